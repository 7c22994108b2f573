/*
 * manifest.c — environment facts and the model content hash for manifest.json.
 */
#include "harness/manifest.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine/v4.h"
#include "harness/hutil.h"

static int hash_safetensors_header(sha256_ctx *c, const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return 1;
    }
    unsigned char lb[8];
    if (fread(lb, 1, 8, f) != 8) {
        snprintf(err, errlen, "%s: too short for a safetensors header", path);
        fclose(f);
        return 1;
    }
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | lb[i];
    if (n == 0 || n > (100u << 20)) {
        snprintf(err, errlen, "%s: safetensors header length %llu out of range", path,
                 (unsigned long long)n);
        fclose(f);
        return 1;
    }
    char *h = malloc(n);
    if (!h || fread(h, 1, n, f) != n) {
        snprintf(err, errlen, "%s: truncated safetensors header", path);
        free(h);
        fclose(f);
        return 1;
    }
    fclose(f);
    sha256_update(c, lb, 8);
    sha256_update(c, h, n);
    free(h);
    return 0;
}

static int cmp_strp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int manifest_model_hash(const char *dir, char hex[65], char *err, size_t errlen) {
    sha256_ctx c;
    sha256_init(&c);
    char *p = hutil_asprintf("%s/config.json", dir);
    size_t len;
    char *cfg = hutil_read_file(p, &len);
    if (!cfg) {
        snprintf(err, errlen, "%s: cannot read: %s", p, strerror(errno));
        free(p);
        return 1;
    }
    sha256_update(&c, cfg, len);
    free(cfg);
    free(p);
    int rc = 0;
    p = hutil_asprintf("%s/model.safetensors.index.json", dir);
    char *idx = hutil_read_file(p, &len);
    free(p);
    if (idx) {
        cJSON *o = cJSON_Parse(idx);
        free(idx);
        cJSON *wm = o ? cJSON_GetObjectItemCaseSensitive(o, "weight_map") : NULL;
        int n = 0;
        char **files = malloc(sizeof(char *) * (size_t)(cJSON_GetArraySize(wm) + 1));
        cJSON *e;
        cJSON_ArrayForEach(e, wm) {
            if (!cJSON_IsString(e)) continue;
            int dup = 0;
            for (int i = 0; i < n; i++) dup |= !strcmp(files[i], e->valuestring);
            if (!dup) files[n++] = e->valuestring;
        }
        if (!n) {
            snprintf(err, errlen, "%s/model.safetensors.index.json: expected a non-empty "
                     "'weight_map' object", dir);
            rc = 1;
        }
        qsort(files, (size_t)n, sizeof *files, cmp_strp);
        for (int i = 0; i < n && !rc; i++) {
            char *fp = hutil_asprintf("%s/%s", dir, files[i]);
            sha256_update(&c, files[i], strlen(files[i]) + 1);
            rc = hash_safetensors_header(&c, fp, err, errlen);
            free(fp);
        }
        free(files);
        cJSON_Delete(o);
    } else {
        char *fp = hutil_asprintf("%s/model.safetensors", dir);
        rc = hash_safetensors_header(&c, fp, err, errlen);
        free(fp);
    }
    if (!rc) sha256_final_hex(&c, hex);
    return rc;
}

int manifest_read_max_position(const char *dir) {
    char *p = hutil_asprintf("%s/config.json", dir);
    char *cfg = hutil_read_file(p, NULL);
    free(p);
    if (!cfg) return 0;
    cJSON *o = cJSON_Parse(cfg);
    free(cfg);
    int v = (int)hutil_json_num(o, "max_position_embeddings", 0);
    cJSON_Delete(o);
    return v > 0 ? v : 0;
}

/* first line of a command's stdout, or NULL */
static char *command_line(const char *cmd) {
    FILE *p = popen(cmd, "r");
    if (!p) return NULL;
    char buf[256];
    char *r = NULL;
    if (fgets(buf, sizeof buf, p)) {
        buf[strcspn(buf, "\r\n")] = 0;
        if (buf[0]) r = hutil_strdup(buf);
    }
    pclose(p);
    return r;
}

static void add_str_or_null(cJSON *o, const char *k, const char *v) {
    if (v) cJSON_AddStringToObject(o, k, v);
    else cJSON_AddNullToObject(o, k);
}

cJSON *manifest_environment(void) {
    cJSON *o = cJSON_CreateObject();
    char *commit = command_line("git rev-parse HEAD 2>/dev/null");
    add_str_or_null(o, "git_commit", commit);
    if (commit) {
        char *dirty = command_line("git status --porcelain --untracked-files=no 2>/dev/null");
        cJSON_AddBoolToObject(o, "git_dirty", dirty != NULL);
        free(dirty);
    } else {
        cJSON_AddNullToObject(o, "git_dirty");
    }
    free(commit);
    cJSON *b = cJSON_AddObjectToObject(o, "build");
#ifdef __VERSION__
    cJSON_AddStringToObject(b, "compiler", __VERSION__);
#endif
#ifdef V4EVAL_CFLAGS
    cJSON_AddStringToObject(b, "cflags", V4EVAL_CFLAGS);
#endif
#ifdef __OPTIMIZE__
    cJSON_AddBoolToObject(b, "optimized", 1);
#else
    cJSON_AddBoolToObject(b, "optimized", 0);
#endif
#ifdef NDEBUG
    cJSON_AddBoolToObject(b, "ndebug", 1);
#else
    cJSON_AddBoolToObject(b, "ndebug", 0);
#endif
#if defined(__SANITIZE_ADDRESS__)
    cJSON_AddStringToObject(b, "sanitizer", "address");
#endif
#ifdef _OPENMP
    cJSON_AddNumberToObject(b, "openmp", _OPENMP);
#endif
    const char *isa = "generic";
#if defined(__AVX512F__)
    isa = "avx512f";
#elif defined(__AVX2__)
    isa = "avx2";
#elif defined(__SSE4_2__)
    isa = "sse4.2";
#endif
    cJSON_AddStringToObject(b, "compiled_isa", isa);
    char *cpu = NULL;
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[512];
        while (fgets(line, sizeof line, f))
            if (!strncmp(line, "model name", 10)) {
                char *c = strchr(line, ':');
                if (c) {
                    c++;
                    while (*c == ' ' || *c == '\t') c++;
                    c[strcspn(c, "\n")] = 0;
                    cpu = hutil_strdup(c);
                }
                break;
            }
        fclose(f);
    }
    add_str_or_null(o, "cpu_model", cpu);
    free(cpu);
    cJSON_AddNumberToObject(o, "n_cpus", (double)sysconf(_SC_NPROCESSORS_ONLN));
    cJSON_AddStringToObject(o, "openblas_kernel", v4_blas_kernel());
    char host[256];
    if (gethostname(host, sizeof host) == 0) {
        host[sizeof host - 1] = 0;
        cJSON_AddStringToObject(o, "hostname", host);
    }
    return o;
}
