/*
 * safetensors.c — memory-mapped safetensors files (single or sharded), validated on open.
 *
 * File layout: 8-byte little-endian header length N, N bytes of JSON
 * {"NAME": {"dtype": D, "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}},
 * then the data section; offsets are relative to the data section.
 *
 * Invariants after a successful open:
 *   - every tensor has a known dtype, shape × element size == its byte span, the span lies inside
 *     its file's data section, spans of one file do not overlap, names are unique across shards;
 *   - st_tensor.data is aligned to its element size (a tensor whose mapped address is not, which
 *     only happens in files written without padding, is copied once into an owned buffer);
 *   - names and file paths live as long as the st_set.
 * Every failure yields one line "FILE: tensor NAME: expected …, found …" (or the header/index
 * field at fault) and leaves nothing allocated.
 */
#include "engine/safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char *path;
    uint8_t *map;      /* whole file, read-only mapping (NULL for an empty mapping) */
    size_t size;
} st_file;

struct st_set {
    char *origin;      /* the directory or file given to open, for messages */
    st_file *files;
    int nfiles;
    st_tensor *t;      /* [n] */
    int n, cap;
    void **owned;      /* realigned copies and names to free */
    int nowned, capowned;
    int *hash;         /* [hcap] tensor index or -1 */
    int hcap;
};

static const struct { const char *name; size_t size; } ST_DTYPES[ST_DTYPE_COUNT] = {
    [ST_F32] = {"F32", 4},         [ST_F16] = {"F16", 2},       [ST_BF16] = {"BF16", 2},
    [ST_F8_E4M3] = {"F8_E4M3", 1}, [ST_F8_E8M0] = {"F8_E8M0", 1}, [ST_I8] = {"I8", 1},
    [ST_U8] = {"U8", 1},           [ST_I16] = {"I16", 2},       [ST_I32] = {"I32", 4},
    [ST_I64] = {"I64", 8},         [ST_F64] = {"F64", 8},       [ST_BOOL] = {"BOOL", 1},
    [ST_F4] = {"F4", 1},           /* 4 bits: spans are checked as elements / 2 */
};

const char *st_dtype_name(st_dtype d) {
    return (unsigned)d < ST_DTYPE_COUNT ? ST_DTYPES[d].name : "?";
}

size_t st_dtype_size(st_dtype d) {
    return (unsigned)d < ST_DTYPE_COUNT ? ST_DTYPES[d].size : 0;
}

static void st_err(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------------------------------ */
/* Set bookkeeping                                                                             */
/* ------------------------------------------------------------------------------------------ */

static uint64_t st_hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull;               /* FNV-1a */
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static int st_own(st_set *s, void *p) {
    if (s->nowned == s->capowned) {
        int nc = s->capowned ? 2 * s->capowned : 64;
        void **o = realloc(s->owned, (size_t)nc * sizeof *o);
        if (!o) return -1;
        s->owned = o;
        s->capowned = nc;
    }
    s->owned[s->nowned++] = p;
    return 0;
}

static int st_rehash(st_set *s, int cap) {
    int *h = malloc((size_t)cap * sizeof *h);
    if (!h) return -1;
    for (int i = 0; i < cap; i++) h[i] = -1;
    for (int i = 0; i < s->n; i++) {
        uint64_t k = st_hash_str(s->t[i].name) & (uint64_t)(cap - 1);
        while (h[k] >= 0) k = (k + 1) & (uint64_t)(cap - 1);
        h[k] = i;
    }
    free(s->hash);
    s->hash = h;
    s->hcap = cap;
    return 0;
}

const st_tensor *st_find(const st_set *s, const char *name) {
    if (!s || !s->hcap) return NULL;
    uint64_t k = st_hash_str(name) & (uint64_t)(s->hcap - 1);
    while (s->hash[k] >= 0) {
        if (!strcmp(s->t[s->hash[k]].name, name)) return &s->t[s->hash[k]];
        k = (k + 1) & (uint64_t)(s->hcap - 1);
    }
    return NULL;
}

int st_strip_prefix(st_set *s, const char *prefix, char *err, size_t errlen) {
    size_t pl = strlen(prefix);
    int changed = 0;
    for (int i = 0; i < s->n; i++) {
        if (strncmp(s->t[i].name, prefix, pl) || !s->t[i].name[pl]) continue;
        const st_tensor *other = st_find(s, s->t[i].name + pl);
        if (other) {
            st_err(err, errlen, "%s: tensor %s: expected one tensor per name after removing the "
                   "prefix \"%s\", found both %s and %s", s->t[i].file, s->t[i].name, prefix,
                   s->t[i].name, other->name);
            return -1;
        }
        changed = 1;
    }
    if (!changed) return 0;
    for (int i = 0; i < s->n; i++)          /* names live in s->owned; only the view moves */
        if (!strncmp(s->t[i].name, prefix, pl) && s->t[i].name[pl]) s->t[i].name += pl;
    if (st_rehash(s, s->hcap)) {
        st_err(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int st_count(const st_set *s) { return s ? s->n : 0; }

const st_tensor *st_at(const st_set *s, int i) {
    return s && i >= 0 && i < s->n ? &s->t[i] : NULL;
}

/* Appends a tensor (its name already owned by the set) and indexes it. */
static int st_add(st_set *s, const st_tensor *t) {
    if (s->n == s->cap) {
        int nc = s->cap ? 2 * s->cap : 256;
        st_tensor *nt = realloc(s->t, (size_t)nc * sizeof *nt);
        if (!nt) return -1;
        s->t = nt;
        s->cap = nc;
    }
    s->t[s->n++] = *t;
    if (2 * s->n > s->hcap) return st_rehash(s, s->hcap ? 2 * s->hcap : 512);
    uint64_t k = st_hash_str(t->name) & (uint64_t)(s->hcap - 1);
    while (s->hash[k] >= 0) k = (k + 1) & (uint64_t)(s->hcap - 1);
    s->hash[k] = s->n - 1;
    return 0;
}

void st_close(st_set *s) {
    if (!s) return;
    for (int i = 0; i < s->nfiles; i++) {
        if (s->files[i].map) munmap(s->files[i].map, s->files[i].size);
        free(s->files[i].path);
    }
    for (int i = 0; i < s->nowned; i++) free(s->owned[i]);
    free(s->owned);
    free(s->files);
    free(s->t);
    free(s->hash);
    free(s->origin);
    free(s);
}

static st_set *st_new(const char *origin) {
    st_set *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->origin = strdup(origin);
    if (!s->origin) { free(s); return NULL; }
    return s;
}

/* ------------------------------------------------------------------------------------------ */
/* One file                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* A JSON number that is a non-negative integer no larger than 2^53; -1 otherwise. */
static int64_t st_json_uint(const cJSON *j) {
    if (!cJSON_IsNumber(j)) return -1;
    double d = j->valuedouble;
    if (!(d >= 0) || d > 9007199254740992.0 || floor(d) != d) return -1;
    return (int64_t)d;
}

static int st_dtype_parse(const char *name) {
    for (int i = 0; i < ST_DTYPE_COUNT; i++)
        if (!strcmp(name, ST_DTYPES[i].name)) return i;
    return -1;
}

typedef struct { uint64_t b, e; int idx; } st_span;

static int st_span_cmp(const void *a, const void *b) {
    const st_span *x = a, *y = b;
    if (x->b != y->b) return x->b < y->b ? -1 : 1;
    return x->e < y->e ? -1 : (x->e > y->e);
}

static void st_shape_str(const int64_t *shape, int ndim, char *buf, size_t len) {
    size_t o = 0;
    o += (size_t)snprintf(buf + o, len - o, "[");
    for (int i = 0; i < ndim && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%" PRId64, i ? ", " : "", shape[i]);
    if (o < len) snprintf(buf + o, len - o, "]");
}

/* Maps `path` and appends its tensors to s. */
static int st_load_file(st_set *s, const char *path, char *err, size_t errlen) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        st_err(err, errlen, "%s: expected a readable safetensors file, found %s", path,
               strerror(errno));
        return -1;
    }
    struct stat stt;
    if (fstat(fd, &stt) != 0 || !S_ISREG(stt.st_mode)) {
        st_err(err, errlen, "%s: expected a regular file, found something else", path);
        close(fd);
        return -1;
    }
    size_t size = (size_t)stt.st_size;
    if (size < 8) {
        st_err(err, errlen, "%s: header: expected at least 8 bytes (header length), found %zu",
               path, size);
        close(fd);
        return -1;
    }
    uint8_t *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        st_err(err, errlen, "%s: mmap failed: %s", path, strerror(errno));
        return -1;
    }
    st_file *nf = realloc(s->files, (size_t)(s->nfiles + 1) * sizeof *nf);
    if (!nf) { munmap(map, size); st_err(err, errlen, "%s: out of memory", path); return -1; }
    s->files = nf;
    st_file *f = &s->files[s->nfiles];
    f->path = strdup(path);
    f->map = map;
    f->size = size;
    if (!f->path) { munmap(map, size); st_err(err, errlen, "%s: out of memory", path); return -1; }
    s->nfiles++;

    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | map[i];
    if (hlen > size - 8) {
        st_err(err, errlen,
               "%s: header length: expected at most %zu (file size %zu - 8), found %" PRIu64
               " (header larger than the file)", path, size - 8, size, hlen);
        return -1;
    }
    if (hlen == 0) {
        st_err(err, errlen, "%s: header: expected a JSON object, found an empty header", path);
        return -1;
    }
    const char *hdr = (const char *)map + 8;
    cJSON *root = cJSON_ParseWithLength(hdr, (size_t)hlen);
    if (!root) {
        const char *ep = cJSON_GetErrorPtr();
        long off = ep && ep >= hdr && ep <= hdr + hlen ? (long)(ep - hdr) : -1;
        st_err(err, errlen, "%s: header: expected valid JSON, found a syntax error near byte %ld",
               path, off);
        return -1;
    }
    int rc = -1;
    st_span *spans = NULL;
    if (!cJSON_IsObject(root)) {
        st_err(err, errlen, "%s: header: expected a JSON object, found another JSON value", path);
        goto done;
    }
    const uint64_t data_len = size - 8 - hlen;
    const uint8_t *data = map + 8 + hlen;
    int count = cJSON_GetArraySize(root);
    spans = malloc((size_t)(count ? count : 1) * sizeof *spans);
    if (!spans) { st_err(err, errlen, "%s: out of memory", path); goto done; }
    int nsp = 0;
    for (cJSON *e = root->child; e; e = e->next) {
        const char *name = e->string ? e->string : "";
        if (!strcmp(name, "__metadata__")) {
            if (!cJSON_IsObject(e)) {
                st_err(err, errlen, "%s: __metadata__: expected an object, found another value",
                       path);
                goto done;
            }
            continue;
        }
        if (!cJSON_IsObject(e)) {
            st_err(err, errlen, "%s: tensor %s: expected an object {dtype, shape, data_offsets}, "
                   "found another JSON value", path, name);
            goto done;
        }
        const cJSON *jd = cJSON_GetObjectItemCaseSensitive(e, "dtype");
        const cJSON *js = cJSON_GetObjectItemCaseSensitive(e, "shape");
        const cJSON *jo = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
        if (!cJSON_IsString(jd)) {
            st_err(err, errlen, "%s: tensor %s: dtype: expected a string, found %s", path, name,
                   jd ? "another JSON value" : "nothing");
            goto done;
        }
        int dt = st_dtype_parse(jd->valuestring);
        if (dt < 0) {
            st_err(err, errlen, "%s: tensor %s: dtype: expected one of F32 F16 BF16 F8_E4M3 "
                   "F8_E8M0 I8 U8 I16 I32 I64 F64 BOOL F4, found \"%s\"", path, name,
                   jd->valuestring);
            goto done;
        }
        st_tensor t;
        memset(&t, 0, sizeof t);
        t.dtype = (st_dtype)dt;
        if (!cJSON_IsArray(js) || cJSON_GetArraySize(js) > ST_MAX_DIMS) {
            st_err(err, errlen, "%s: tensor %s: shape: expected an array of at most %d integers, "
                   "found %s", path, name, ST_MAX_DIMS, js ? "another value" : "nothing");
            goto done;
        }
        uint64_t nel = 1;
        int overflow = 0;
        for (const cJSON *d = js->child; d; d = d->next) {
            int64_t v = st_json_uint(d);
            if (v < 0) {
                st_err(err, errlen, "%s: tensor %s: shape: expected non-negative integers, found "
                       "%s", path, name, cJSON_IsNumber(d) ? "a negative or fractional number"
                                                           : "a non-number");
                goto done;
            }
            t.shape[t.ndim++] = v;
            if (v && nel > UINT64_MAX / (uint64_t)v) overflow = 1;
            nel *= (uint64_t)v;
        }
        size_t es = ST_DTYPES[dt].size;
        if (overflow || (nel && nel > UINT64_MAX / es)) {
            st_err(err, errlen, "%s: tensor %s: shape: expected a size that fits 64 bits, found an "
                   "overflow", path, name);
            goto done;
        }
        int64_t ob = -1, oe = -1;
        if (cJSON_IsArray(jo) && cJSON_GetArraySize(jo) == 2) {
            ob = st_json_uint(cJSON_GetArrayItem(jo, 0));
            oe = st_json_uint(cJSON_GetArrayItem(jo, 1));
        }
        if (ob >= 0 && oe >= 0 && oe < ob) {
            st_err(err, errlen, "%s: tensor %s: data_offsets: expected [begin, end] with begin <= "
                   "end, found [%" PRId64 ", %" PRId64 "]", path, name, ob, oe);
            goto done;
        }
        if (ob < 0 || oe < 0) {
            st_err(err, errlen, "%s: tensor %s: data_offsets: expected [begin, end] of "
                   "non-negative integers, found %s", path, name, jo ? "something else" : "nothing");
            goto done;
        }
        if ((uint64_t)oe > data_len) {
            st_err(err, errlen, "%s: tensor %s: data_offsets [%" PRId64 ", %" PRId64 "]: expected "
                   "end <= %" PRIu64 " (data section size), found %" PRId64 " (truncated file?)",
                   path, name, ob, oe, data_len, oe);
            goto done;
        }
        char sh[160];
        st_shape_str(t.shape, t.ndim, sh, sizeof sh);
        uint64_t want = dt == ST_F4 ? (nel + 1) / 2 : nel * es;
        /* F4 by the safetensors rule (shape counts 4-bit elements), or as torch's
         * float4_e2m1fn_x2 (shape counts bytes) */
        int span_ok = (uint64_t)(oe - ob) == want ||
                      (dt == ST_F4 && (uint64_t)(oe - ob) == nel);
        if (dt == ST_F4 && nel % 2 && (uint64_t)(oe - ob) != nel) {
            st_err(err, errlen, "%s: tensor %s: expected an even number of 4-bit elements for "
                   "F4 %s, found %" PRIu64, path, name, sh, nel);
            goto done;
        }
        if (!span_ok) {
            st_err(err, errlen, "%s: tensor %s: expected %" PRIu64 " bytes for %s %s, found a "
                   "span of %" PRId64 " bytes", path, name, want, ST_DTYPES[dt].name, sh,
                   oe - ob);
            goto done;
        }
        if (st_find(s, name)) {
            st_err(err, errlen, "%s: tensor %s: expected a unique name, found it twice (also in "
                   "%s)", path, name, st_find(s, name)->file);
            goto done;
        }
        char *nm = strdup(name);
        if (!nm || st_own(s, nm)) { free(nm); st_err(err, errlen, "%s: out of memory", path); goto done; }
        t.name = nm;
        t.nbytes = (size_t)(oe - ob);
        t.file = f->path;
        t.data = data + ob;
        if (((uintptr_t)t.data % es) != 0) {     /* unpadded writer: keep consumers aligned */
            void *copy = NULL;
            if (posix_memalign(&copy, 64, t.nbytes ? t.nbytes : 1) || st_own(s, copy)) {
                free(copy);
                st_err(err, errlen, "%s: out of memory", path);
                goto done;
            }
            memcpy(copy, t.data, t.nbytes);
            t.data = copy;
        }
        spans[nsp].b = (uint64_t)ob;
        spans[nsp].e = (uint64_t)oe;
        spans[nsp].idx = s->n;
        nsp++;
        if (st_add(s, &t)) { st_err(err, errlen, "%s: out of memory", path); goto done; }
    }
    qsort(spans, (size_t)nsp, sizeof *spans, st_span_cmp);
    int prev = -1;                               /* the non-empty span reaching furthest */
    for (int i = 0; i < nsp; i++) {
        if (spans[i].e == spans[i].b) continue;  /* empty tensors occupy no bytes */
        if (prev >= 0 && spans[i].b < spans[prev].e) {
            st_err(err, errlen, "%s: tensors %s and %s: expected non-overlapping data spans, found "
                   "[%" PRIu64 ", %" PRIu64 ") and [%" PRIu64 ", %" PRIu64 ")", path,
                   s->t[spans[prev].idx].name, s->t[spans[i].idx].name, spans[prev].b,
                   spans[prev].e, spans[i].b, spans[i].e);
            goto done;
        }
        if (prev < 0 || spans[i].e > spans[prev].e) prev = i;
    }
    rc = 0;
done:
    free(spans);
    cJSON_Delete(root);
    return rc;
}

int st_open_file(const char *path, st_set **out, char *err, size_t errlen) {
    *out = NULL;
    st_set *s = st_new(path);
    if (!s) { st_err(err, errlen, "%s: out of memory", path); return -1; }
    if (st_load_file(s, path, err, errlen)) { st_close(s); return -1; }
    *out = s;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Directories and shard indexes                                                               */
/* ------------------------------------------------------------------------------------------ */

static int st_open_index(st_set *s, const char *dir, const char *ipath, char *err, size_t errlen) {
    FILE *fp = fopen(ipath, "rb");
    if (!fp) { st_err(err, errlen, "%s: cannot read: %s", ipath, strerror(errno)); return -1; }
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *txt = malloc(len > 0 ? (size_t)len : 1);
    if (!txt || (len > 0 && fread(txt, 1, (size_t)len, fp) != (size_t)len)) {
        fclose(fp);
        free(txt);
        st_err(err, errlen, "%s: cannot read", ipath);
        return -1;
    }
    fclose(fp);
    cJSON *root = cJSON_ParseWithLength(txt, len > 0 ? (size_t)len : 0);
    free(txt);
    if (!root) {
        st_err(err, errlen, "%s: expected valid JSON, found a syntax error", ipath);
        return -1;
    }
    int rc = -1;
    const cJSON *wm = cJSON_GetObjectItemCaseSensitive(root, "weight_map");
    if (!cJSON_IsObject(wm)) {
        st_err(err, errlen, "%s: weight_map: expected an object {tensor: shard file}, found %s",
               ipath, wm ? "another JSON value" : "nothing");
        goto done;
    }
    /* Open each distinct shard once, in order of first mention. */
    for (const cJSON *e = wm->child; e; e = e->next) {
        if (!cJSON_IsString(e) || !e->valuestring[0]) {
            st_err(err, errlen, "%s: weight_map.%s: expected a shard file name, found %s", ipath,
                   e->string, cJSON_IsString(e) ? "an empty string" : "a non-string");
            goto done;
        }
        const char *fn = e->valuestring;
        if (strchr(fn, '/') || !strcmp(fn, "..") || !strcmp(fn, ".")) {
            st_err(err, errlen, "%s: weight_map.%s: expected a file name inside %s, found \"%s\"",
                   ipath, e->string, dir, fn);
            goto done;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, fn);
        int seen = 0;
        for (int i = 0; i < s->nfiles && !seen; i++) seen = !strcmp(s->files[i].path, path);
        if (!seen && st_load_file(s, path, err, errlen)) goto done;
    }
    /* Every listed tensor exists, in the shard the index names. */
    for (const cJSON *e = wm->child; e; e = e->next) {
        const st_tensor *t = st_find(s, e->string);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->valuestring);
        if (!t) {
            st_err(err, errlen, "%s: tensor %s: expected in %s, found missing", ipath, e->string,
                   path);
            goto done;
        }
        if (strcmp(t->file, path)) {
            st_err(err, errlen, "%s: tensor %s: expected in %s, found in %s", ipath, e->string,
                   path, t->file);
            goto done;
        }
    }
    rc = 0;
done:
    cJSON_Delete(root);
    return rc;
}

int st_open_dir(const char *dir, st_set **out, char *err, size_t errlen) {
    *out = NULL;
    char ipath[4096], fpath[4096];
    snprintf(ipath, sizeof ipath, "%s/model.safetensors.index.json", dir);
    snprintf(fpath, sizeof fpath, "%s/model.safetensors", dir);
    struct stat stt;
    int has_index = stat(ipath, &stt) == 0, has_file = stat(fpath, &stt) == 0;
    if (!has_index && !has_file) {
        st_err(err, errlen, "%s: expected model.safetensors or model.safetensors.index.json, "
               "found neither", dir);
        return -1;
    }
    st_set *s = st_new(dir);
    if (!s) { st_err(err, errlen, "%s: out of memory", dir); return -1; }
    int rc = has_index ? st_open_index(s, dir, ipath, err, errlen)
                       : st_load_file(s, fpath, err, errlen);
    if (rc) { st_close(s); return -1; }
    *out = s;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Expectations                                                                                */
/* ------------------------------------------------------------------------------------------ */

int st_expect(const st_set *s, const char *name, st_dtype dt, int ndim, const int64_t *shape,
              const st_tensor **out, char *err, size_t errlen) {
    if (out) *out = NULL;
    char want[200];
    st_shape_str(shape, ndim, want, sizeof want);
    const st_tensor *t = st_find(s, name);
    if (!t) {
        st_err(err, errlen, "%s: tensor %s: expected %s %s, found missing", s->origin, name,
               st_dtype_name(dt), want);
        return -1;
    }
    int ok = t->dtype == dt && t->ndim == ndim;
    for (int i = 0; ok && i < ndim; i++) ok = t->shape[i] == shape[i];
    if (!ok) {
        char got[200];
        st_shape_str(t->shape, t->ndim, got, sizeof got);
        st_err(err, errlen, "%s: tensor %s: expected %s %s, found %s %s", t->file, name,
               st_dtype_name(dt), want, st_dtype_name(t->dtype), got);
        return -1;
    }
    if (out) *out = t;
    return 0;
}

int st_bind_weight(const st_set *s, const char *prefix, int rows, int cols, int block_r,
                   int block_c, v4_weight *w, char *err, size_t errlen) {
    char wn[512], sn[512];
    snprintf(wn, sizeof wn, "%s.weight", prefix);
    snprintf(sn, sizeof sn, "%s.scale", prefix);
    memset(w, 0, sizeof *w);
    const st_tensor *t = st_find(s, wn);
    if (!t) {
        st_err(err, errlen, "%s: tensor %s: expected a [%d, %d] linear weight (F32, BF16, F16, "
               "F8_E4M3 or packed FP4), found missing", s->origin, wn, rows, cols);
        return -1;
    }
    int64_t shape[2] = {rows, cols};
    w->rows = rows;
    w->cols = cols;
    w->name = t->name;
    switch (t->dtype) {
    case ST_F32: case ST_BF16: case ST_F16:
        if (st_expect(s, wn, t->dtype, 2, shape, &t, err, errlen)) return -1;
        w->fmt = t->dtype == ST_F32 ? FMT_F32 : t->dtype == ST_BF16 ? FMT_BF16 : FMT_F16;
        w->data = t->data;
        w->block_r = w->block_c = 1;
        return 0;
    case ST_F8_E4M3: {
        if (block_r <= 0 || block_c <= 0) {
            st_err(err, errlen, "%s: tensor %s: expected positive FP8 block sizes, found %d x %d",
                   t->file, wn, block_r, block_c);
            return -1;
        }
        if (st_expect(s, wn, ST_F8_E4M3, 2, shape, &t, err, errlen)) return -1;
        int64_t ss[2] = {(rows + block_r - 1) / block_r, (cols + block_c - 1) / block_c};
        const st_tensor *st;
        if (st_expect(s, sn, ST_F8_E8M0, 2, ss, &st, err, errlen)) return -1;
        w->fmt = FMT_FP8;
        w->data = t->data;
        w->scale = st->data;
        w->scale_rows = (int)ss[0];
        w->scale_cols = (int)ss[1];
        w->block_r = block_r;
        w->block_c = block_c;
        return 0;
    }
    case ST_I8: case ST_U8: case ST_F4: {
        if (cols % 2) {
            st_err(err, errlen, "%s: tensor %s: packed FP4 needs an even number of columns, found "
                   "logical shape [%d, %d]", t->file, wn, rows, cols);
            return -1;
        }
        int64_t ps[2] = {rows, cols / 2};
        int f4_logical = t->dtype == ST_F4 && t->ndim == 2 && t->shape[0] == rows &&
                         t->shape[1] == cols;
        if (!f4_logical && st_expect(s, wn, t->dtype, 2, ps, &t, err, errlen)) return -1;
        if (t->nbytes != (size_t)rows * (size_t)cols / 2) {
            st_err(err, errlen, "%s: tensor %s: expected %zu bytes of packed FP4 for [%d, %d], "
                   "found %zu", t->file, wn, (size_t)rows * (size_t)cols / 2, rows, cols,
                   t->nbytes);
            return -1;
        }
        int64_t ss[2] = {rows, (cols + 31) / 32};
        const st_tensor *st;
        if (st_expect(s, sn, ST_F8_E8M0, 2, ss, &st, err, errlen)) return -1;
        w->fmt = FMT_FP4;
        w->data = t->data;
        w->scale = st->data;
        w->scale_rows = (int)ss[0];
        w->scale_cols = (int)ss[1];
        w->block_r = 1;
        w->block_c = 32;
        return 0;
    }
    default: {
        char got[200];
        st_shape_str(t->shape, t->ndim, got, sizeof got);
        st_err(err, errlen, "%s: tensor %s: expected F32, BF16, F16, F8_E4M3, I8 or F4 (FP4) "
               "[%d, %d], found %s %s", t->file, wn, rows, cols, st_dtype_name(t->dtype), got);
        return -1;
    }
    }
}
