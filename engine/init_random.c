/*
 * init_random.c — random-weight checkpoints in the official V4 layout (see init_random.h).
 *
 * Every tensor draws from its own generator seeded by (seed, tensor name), so a tensor's values
 * do not depend on the order of the table. Quantised storage is produced exactly as the released
 * checkpoints define it: the power-of-two UE8M0 scale of a block is 2^ceil(log2(amax/max_code))
 * and codes are rounded to nearest even.
 */
#include "engine/init_random.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "engine/formats.h"
#include "engine/layout.h"
#include "engine/params.h"
#include "engine/st_write.h"

typedef struct { uint64_t s; } ir_rng;

static uint64_t ir_next(ir_rng *r) {               /* splitmix64 */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double ir_uniform(ir_rng *r) { return ((ir_next(r) >> 11) + 0.5) * 0x1p-53; }

static float ir_normal(ir_rng *r) {
    double u = ir_uniform(r), v = ir_uniform(r);
    return (float)(sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
}

static ir_rng ir_for(uint64_t seed, const char *name) {
    uint64_t h = 1469598103934665603ull ^ seed;
    for (const char *p = name; *p; p++) h = (h ^ (uint8_t)*p) * 1099511628211ull;
    ir_rng r = {h};
    ir_next(&r);
    return r;
}

/* E8M0 byte of the power-of-two scale 2^ceil(log2(amax/qmax)); 127 (1.0) for an all-zero block. */
static uint8_t ir_scale_byte(float amax, float qmax) {
    if (!(amax > 0)) return 127;
    int ex;
    float fr = frexpf(amax / qmax, &ex);
    int e = fr == 0.5f ? ex - 1 : ex;
    e += 127;
    return (uint8_t)(e < 0 ? 0 : e > 254 ? 254 : e);
}

static int ir_add_linear(st_writer *w, const char *prefix, fmt_kind f, int rows, int cols,
                         const float *v, int br, int bc, char *err, size_t errlen) {
    char wn[128], sn[128];
    snprintf(wn, sizeof wn, "%s.weight", prefix);
    snprintf(sn, sizeof sn, "%s.scale", prefix);
    const size_t n = (size_t)rows * cols;
    if (f == FMT_BF16 || f == FMT_F32)
        return st_writer_add_f32(w, wn, f == FMT_BF16 ? ST_BF16 : ST_F32, 2,
                                 (int64_t[]){rows, cols}, v, err, errlen);
    if (f == FMT_FP8) {
        int sr = (rows + br - 1) / br, sc = (cols + bc - 1) / bc;
        uint8_t *q = malloc(n ? n : 1), *s = malloc((size_t)sr * sc);
        if (!q || !s) { free(q); free(s); snprintf(err, errlen, "init-random: out of memory"); return -1; }
        for (int bi = 0; bi < sr; bi++)
            for (int bj = 0; bj < sc; bj++) {
                float amax = 0;
                int r1 = (bi + 1) * br < rows ? (bi + 1) * br : rows;
                int c1 = (bj + 1) * bc < cols ? (bj + 1) * bc : cols;
                for (int r = bi * br; r < r1; r++)
                    for (int c = bj * bc; c < c1; c++) amax = fmaxf(amax, fabsf(v[(size_t)r * cols + c]));
                uint8_t sb = ir_scale_byte(amax, 448.0f);
                s[bi * sc + bj] = sb;
                float inv = 1.0f / fmt_e8m0_to_f32(sb);
                for (int r = bi * br; r < r1; r++)
                    for (int c = bj * bc; c < c1; c++)
                        q[(size_t)r * cols + c] = fmt_f32_to_e4m3(v[(size_t)r * cols + c] * inv);
            }
        int rc = st_writer_add(w, wn, ST_F8_E4M3, 2, (int64_t[]){rows, cols}, q, n, err, errlen);
        if (!rc) rc = st_writer_add(w, sn, ST_F8_E8M0, 2, (int64_t[]){sr, sc}, s, (size_t)sr * sc,
                                    err, errlen);
        free(q);
        free(s);
        return rc;
    }
    /* FP4: packed E2M1, low nibble = even column, one UE8M0 scale per 32 columns */
    int sc = (cols + 31) / 32;
    uint8_t *q = calloc(n / 2 ? n / 2 : 1, 1), *s = malloc((size_t)rows * sc);
    if (!q || !s) { free(q); free(s); snprintf(err, errlen, "init-random: out of memory"); return -1; }
    for (int r = 0; r < rows; r++)
        for (int b = 0; b < sc; b++) {
            int c0 = b * 32, c1 = c0 + 32 < cols ? c0 + 32 : cols;
            float amax = 0;
            for (int c = c0; c < c1; c++) amax = fmaxf(amax, fabsf(v[(size_t)r * cols + c]));
            uint8_t sb = ir_scale_byte(amax, 6.0f);
            s[(size_t)r * sc + b] = sb;
            float inv = 1.0f / fmt_e8m0_to_f32(sb);
            for (int c = c0; c < c1; c++) {
                uint8_t code = fmt_f32_to_e2m1(v[(size_t)r * cols + c] * inv);
                q[((size_t)r * cols + c) / 2] |= (uint8_t)((c & 1) ? code << 4 : code);
            }
        }
    int rc = st_writer_add(w, wn, ST_I8, 2, (int64_t[]){rows, cols / 2}, q, n / 2, err, errlen);
    if (!rc) rc = st_writer_add(w, sn, ST_F8_E8M0, 2, (int64_t[]){rows, sc}, s, (size_t)rows * sc,
                                err, errlen);
    free(q);
    free(s);
    return rc;
}

/* Values of one non-index entry. */
static void ir_fill(const v4_config *cfg, const layout_entry *e, ir_rng *r, float *v, size_t n) {
    const char *nm = e->name;
    size_t len = strlen(nm);
#define ENDS(s) (len >= strlen(s) && !strcmp(nm + len - strlen(s), s))
    if (e->cls == LC_NORM) { for (size_t i = 0; i < n; i++) v[i] = 1.0f; return; }
    if (e->is_embed) { for (size_t i = 0; i < n; i++) v[i] = ir_normal(r); return; }
    if (e->cls != LC_F32) {                       /* linear: N(0, 1/fan_in) */
        float sd = 1.0f / sqrtf((float)e->shape[1]);
        for (size_t i = 0; i < n; i++) v[i] = ir_normal(r) * sd;
        return;
    }
    if (ENDS("_fn")) {
        float sd = 1.0f / sqrtf((float)e->shape[1]);
        for (size_t i = 0; i < n; i++) v[i] = ir_normal(r) * sd;
    } else if (ENDS("_base") || ENDS(".ape")) {
        for (size_t i = 0; i < n; i++) v[i] = 0.02f * ir_normal(r) * (ENDS("_base") ? 5.0f : 1.0f);
    } else if (ENDS("_scale")) {
        for (size_t i = 0; i < n; i++) v[i] = 1.0f;
    } else {                                      /* attn_sink, gate.bias */
        for (size_t i = 0; i < n; i++) v[i] = 0.0f;
    }
    (void)cfg;
#undef ENDS
}

static int ir_mkdirs(const char *dir, char *err, size_t errlen) {
    char p[4096];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, 0755) && errno != EEXIST) {
            snprintf(err, errlen, "%s: cannot create directory: %s", p, strerror(errno));
            return -1;
        }
        *s = '/';
    }
    if (mkdir(p, 0755) && errno != EEXIST) {
        snprintf(err, errlen, "%s: cannot create directory: %s", p, strerror(errno));
        return -1;
    }
    return 0;
}

static int ir_write_config(const v4_config *cfg, const char *config_path, const char *out_dir,
                           init_format fmt, char *err, size_t errlen) {
    FILE *f = fopen(config_path, "rb");
    if (!f) { snprintf(err, errlen, "%s: cannot read: %s", config_path, strerror(errno)); return -1; }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *txt = malloc(n > 0 ? (size_t)n : 1);
    size_t got = txt && n > 0 ? fread(txt, 1, (size_t)n, f) : 0;
    fclose(f);
    cJSON *root = txt && got == (size_t)n ? cJSON_ParseWithLength(txt, (size_t)n) : NULL;
    free(txt);
    if (!root) { snprintf(err, errlen, "%s: cannot re-read the config", config_path); return -1; }
    cJSON_DeleteItemFromObjectCaseSensitive(root, "quantization_config");
    cJSON_DeleteItemFromObjectCaseSensitive(root, "expert_dtype");
    if (fmt == INIT_FP8) {
        cJSON *q = cJSON_AddObjectToObject(root, "quantization_config");
        cJSON_AddStringToObject(q, "quant_method", "fp8");
        cJSON_AddStringToObject(q, "fmt", "e4m3");
        cJSON_AddStringToObject(q, "scale_fmt", "ue8m0");
        cJSON_AddStringToObject(q, "activation_scheme", "dynamic");
        cJSON *wb = cJSON_AddArrayToObject(q, "weight_block_size");
        cJSON_AddItemToArray(wb, cJSON_CreateNumber(cfg->weight_block[0]));
        cJSON_AddItemToArray(wb, cJSON_CreateNumber(cfg->weight_block[1]));
        cJSON_AddStringToObject(root, "expert_dtype", "fp4");
    } else {
        cJSON_AddStringToObject(root, "expert_dtype", "bf16");
    }
    char *out = cJSON_Print(root);
    cJSON_Delete(root);
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", out_dir);
    FILE *o = out ? fopen(path, "wb") : NULL;
    int ok = o && fputs(out, o) >= 0 && fputc('\n', o) != EOF;
    if (o && fclose(o)) ok = 0;
    free(out);
    if (!ok) { snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno)); return -1; }
    return 0;
}

int init_random_write(const v4_config *cfg, const char *config_path, const char *out_dir,
                      uint64_t seed, init_format fmt, int *bad_input, char *err, size_t errlen) {
    *bad_input = 0;
    params_storage st = {FMT_BF16, FMT_BF16, FMT_BF16, FMT_BF16};
    if (fmt == INIT_FP8) {
        st.dense = FMT_FP8;
        st.expert = FMT_FP4;
        if (cfg->dim % 32 || cfg->moe_inter_dim % 32) {
            *bad_input = 1;
            snprintf(err, errlen, "%s: hidden_size/moe_intermediate_size: expected multiples of 32 "
                     "for FP4 experts (--format fp8), found %d / %d", config_path, cfg->dim,
                     cfg->moe_inter_dim);
            return -1;
        }
    }
    params_bytes pb;
    if (params_bytes_for(cfg, &st, &pb, err, errlen)) return -1;
    if (pb.total > INIT_RANDOM_MAX_BYTES) {
        *bad_input = 1;
        snprintf(err, errlen, "%s: expected a config whose checkpoint fits in %lld MiB for "
                 "init-random, found %.1f GB (use a small config such as "
                 "models/configs/tiny-random.json)", config_path,
                 (long long)(INIT_RANDOM_MAX_BYTES >> 20), pb.total / 1e9);
        return -1;
    }
    if (ir_mkdirs(out_dir, err, errlen)) return -1;
    if (ir_write_config(cfg, config_path, out_dir, fmt, err, errlen)) return -1;
    char stale[4096];                             /* an old shard index would shadow the file */
    snprintf(stale, sizeof stale, "%s/model.safetensors.index.json", out_dir);
    if (unlink(stale) && errno != ENOENT) {
        snprintf(err, errlen, "%s: cannot remove: %s", stale, strerror(errno));
        return -1;
    }

    v4_layout lay;
    if (layout_build(cfg, &lay, err, errlen)) return -1;
    st_writer *w = st_writer_new();
    int rc = w ? 0 : -1;
    if (!w) snprintf(err, errlen, "init-random: out of memory");
    for (int i = 0; rc == 0 && i < lay.n; i++) {
        const layout_entry *e = &lay.e[i];
        ir_rng r = ir_for(seed, e->name);
        size_t n = (size_t)e->shape[0] * (size_t)(e->ndim > 1 ? e->shape[1] : 1);
        if (e->cls == LC_INDEX) {                  /* distinct expert ids per token */
            int k = (int)e->shape[1], E = cfg->n_routed_experts;
            int64_t *ids = malloc(n * sizeof *ids);
            int *perm = malloc((size_t)E * sizeof *perm);
            if (!ids || !perm) { free(ids); free(perm); rc = -1; snprintf(err, errlen, "init-random: out of memory"); break; }
            for (int64_t t = 0; t < e->shape[0]; t++) {
                for (int j = 0; j < E; j++) perm[j] = j;
                for (int j = 0; j < k; j++) {      /* partial Fisher–Yates */
                    int s = j + (int)(ir_next(&r) % (uint64_t)(E - j));
                    int tmp = perm[j]; perm[j] = perm[s]; perm[s] = tmp;
                    ids[t * k + j] = perm[j];
                }
            }
            rc = st_writer_add(w, e->name, ST_I64, 2, e->shape, ids, n * sizeof *ids, err, errlen);
            free(ids);
            free(perm);
            continue;
        }
        float *v = malloc(n * sizeof *v);
        if (!v) { rc = -1; snprintf(err, errlen, "init-random: out of memory"); break; }
        ir_fill(cfg, e, &r, v, n);
        switch (e->cls) {
        case LC_DENSE: case LC_EXPERT: case LC_PLAIN: {
            fmt_kind f = e->cls == LC_DENSE ? st.dense : e->cls == LC_EXPERT ? st.expert : st.plain;
            rc = ir_add_linear(w, e->name, f, (int)e->shape[0], (int)e->shape[1], v,
                               cfg->weight_block[0], cfg->weight_block[1], err, errlen);
            break;
        }
        case LC_NORM:
            rc = st_writer_add_f32(w, e->name, ST_BF16, e->ndim, e->shape, v, err, errlen);
            break;
        default:
            rc = st_writer_add_f32(w, e->name, ST_F32, e->ndim, e->shape, v, err, errlen);
        }
        free(v);
    }
    if (rc == 0) {
        char path[4096];
        snprintf(path, sizeof path, "%s/model.safetensors", out_dir);
        rc = st_writer_save(w, path, err, errlen);
    }
    st_writer_free(w);
    layout_free(&lay);
    return rc;
}
