/*
 * st_write.c — the safetensors writer declared in st_write.h.
 *
 * Tensors are kept in insertion order with their own copy of the bytes; st_writer_save builds
 * the header with cJSON, pads it with spaces to a multiple of 8 and streams the data after it.
 */
#include "engine/st_write.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/formats.h"

typedef struct {
    char *name;
    st_dtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    void *data;
    size_t nbytes;
} stw_tensor;

struct st_writer {
    stw_tensor *t;
    int n, cap;
    size_t bytes;
};

st_writer *st_writer_new(void) { return calloc(1, sizeof(st_writer)); }

void st_writer_free(st_writer *w) {
    if (!w) return;
    for (int i = 0; i < w->n; i++) {
        free(w->t[i].name);
        free(w->t[i].data);
    }
    free(w->t);
    free(w);
}

size_t st_writer_bytes(const st_writer *w) { return w ? w->bytes : 0; }

int st_writer_add(st_writer *w, const char *name, st_dtype dt, int ndim, const int64_t *shape,
                  const void *data, size_t nbytes, char *err, size_t errlen) {
    if (ndim < 0 || ndim > ST_MAX_DIMS || (unsigned)dt >= ST_DTYPE_COUNT) {
        snprintf(err, errlen, "st_write: tensor %s: expected 0..%d dims and a known dtype, "
                 "found %d dims", name, ST_MAX_DIMS, ndim);
        return -1;
    }
    uint64_t nel = 1;
    for (int i = 0; i < ndim; i++) nel *= (uint64_t)shape[i];
    uint64_t want = dt == ST_F4 ? nel / 2 : nel * st_dtype_size(dt);   /* F4: 4-bit elements */
    if (dt == ST_F4 && nbytes == nel) want = nel;   /* torch float4_e2m1fn_x2: shape in bytes */
    if ((dt == ST_F4 && nel % 2 && want != nel) || want != nbytes) {
        snprintf(err, errlen, "st_write: tensor %s: expected %" PRIu64 " bytes for %s, found %zu",
                 name, want, st_dtype_name(dt), nbytes);
        return -1;
    }
    for (int i = 0; i < w->n; i++)
        if (!strcmp(w->t[i].name, name)) {
            snprintf(err, errlen, "st_write: tensor %s: expected a unique name, found a duplicate",
                     name);
            return -1;
        }
    if (w->n == w->cap) {
        int nc = w->cap ? 2 * w->cap : 64;
        stw_tensor *nt = realloc(w->t, (size_t)nc * sizeof *nt);
        if (!nt) { snprintf(err, errlen, "st_write: out of memory"); return -1; }
        w->t = nt;
        w->cap = nc;
    }
    stw_tensor *t = &w->t[w->n];
    memset(t, 0, sizeof *t);
    t->name = strdup(name);
    t->data = malloc(nbytes ? nbytes : 1);
    if (!t->name || !t->data) {
        free(t->name);
        free(t->data);
        snprintf(err, errlen, "st_write: out of memory");
        return -1;
    }
    if (nbytes) memcpy(t->data, data, nbytes);
    t->dtype = dt;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) t->shape[i] = shape[i];
    t->nbytes = nbytes;
    w->bytes += nbytes;
    w->n++;
    return 0;
}

int st_writer_add_f32(st_writer *w, const char *name, st_dtype dt, int ndim, const int64_t *shape,
                      const float *values, char *err, size_t errlen) {
    uint64_t nel = 1;
    for (int i = 0; i < ndim; i++) nel *= (uint64_t)shape[i];
    if (dt == ST_F32)
        return st_writer_add(w, name, dt, ndim, shape, values, nel * 4, err, errlen);
    if (dt != ST_BF16 && dt != ST_F16) {
        snprintf(err, errlen, "st_write: tensor %s: expected F32, BF16 or F16, found %s", name,
                 st_dtype_name(dt));
        return -1;
    }
    uint16_t *buf = malloc(nel ? nel * 2 : 2);
    if (!buf) { snprintf(err, errlen, "st_write: out of memory"); return -1; }
    for (uint64_t i = 0; i < nel; i++) {
        if (dt == ST_BF16) { buf[i] = fmt_f32_to_bf16(values[i]); continue; }
        buf[i] = fmt_f32_to_f16(values[i]);
    }
    int rc = st_writer_add(w, name, dt, ndim, shape, buf, nel * 2, err, errlen);
    free(buf);
    return rc;
}

/* Data order: larger elements first (stable), so every tensor is aligned to its element size. */
static int stw_order(const st_writer *w, int *ord) {
    int k = 0;
    for (size_t es = 8; es >= 1; es /= 2)
        for (int i = 0; i < w->n; i++)
            if (st_dtype_size(w->t[i].dtype) == es) ord[k++] = i;
    return k;
}

int st_writer_save(const st_writer *w, const char *path, char *err, size_t errlen) {
    int *ord = malloc(sizeof(int) * (size_t)(w->n ? w->n : 1));
    if (!ord) { snprintf(err, errlen, "%s: out of memory", path); return -1; }
    int nord = stw_order(w, ord);
    cJSON *root = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(root, "__metadata__");
    cJSON_AddStringToObject(meta, "format", "pt");
    uint64_t off = 0;
    for (int k = 0; k < nord; k++) {
        const stw_tensor *t = &w->t[ord[k]];
        cJSON *o = cJSON_AddObjectToObject(root, t->name);
        cJSON_AddStringToObject(o, "dtype", st_dtype_name(t->dtype));
        cJSON *sh = cJSON_AddArrayToObject(o, "shape");
        for (int d = 0; d < t->ndim; d++)
            cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)t->shape[d]));
        cJSON *of = cJSON_AddArrayToObject(o, "data_offsets");
        cJSON_AddItemToArray(of, cJSON_CreateNumber((double)off));
        cJSON_AddItemToArray(of, cJSON_CreateNumber((double)(off + t->nbytes)));
        off += t->nbytes;
    }
    char *hdr = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!hdr) { free(ord); snprintf(err, errlen, "%s: out of memory", path); return -1; }
    size_t hl = strlen(hdr);
    size_t padded = (hl + 7) / 8 * 8;
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        free(hdr);
        free(ord);
        return -1;
    }
    uint8_t len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    int ok = fwrite(len8, 1, 8, f) == 8 && fwrite(hdr, 1, hl, f) == hl;
    for (size_t i = hl; ok && i < padded; i++) ok = fputc(' ', f) != EOF;
    for (int k = 0; ok && k < nord; k++)
        ok = fwrite(w->t[ord[k]].data, 1, w->t[ord[k]].nbytes, f) == w->t[ord[k]].nbytes;
    free(hdr);
    free(ord);
    if (fclose(f) != 0) ok = 0;
    if (!ok) {
        snprintf(err, errlen, "%s: write failed: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int st_write_raw(const char *path, uint64_t hlen, const char *header, const void *data,
                 size_t dlen) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    uint8_t len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (uint8_t)(hlen >> (8 * i));
    size_t hl = strlen(header);
    int ok = fwrite(len8, 1, 8, f) == 8 && fwrite(header, 1, hl, f) == hl &&
             (dlen == 0 || fwrite(data, 1, dlen, f) == dlen);
    if (fclose(f) != 0) ok = 0;
    return ok ? 0 : -1;
}
