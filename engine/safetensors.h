/*
 * safetensors.h — memory-mapped safetensors files, single or sharded.
 *
 * st_open_dir maps DIR/model.safetensors or every shard named by DIR/model.safetensors.index.json
 * and validates each header on open: JSON well-formed, header length within the file, every
 * tensor's dtype known, shape × dtype size == byte span, spans inside the data section and
 * non-overlapping, index.json entries pointing at tensors that exist. After a successful open
 * every st_tensor can be trusted.
 */
#ifndef V4_SAFETENSORS_H
#define V4_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>
#include "formats.h"

typedef enum {
    ST_F32 = 0, ST_F16, ST_BF16, ST_F8_E4M3, ST_F8_E8M0, ST_I8, ST_U8, ST_I16, ST_I32, ST_I64,
    ST_F64, ST_BOOL,
    ST_F4,          /* 4-bit float (E2M1), two per byte, low nibble first; shape in elements */
    ST_DTYPE_COUNT
} st_dtype;

#define ST_MAX_DIMS 8

typedef struct {
    const char *name;
    st_dtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    const void *data;      /* inside the mapping */
    size_t nbytes;
    const char *file;      /* shard path, for messages */
} st_tensor;

typedef struct st_set st_set;

/* st_open_dir: see above. Errors: "FILE: tensor NAME: expected …, found …" in err. */
int st_open_dir(const char *dir, st_set **out, char *err, size_t errlen);
/* st_open_file: one safetensors file. */
int st_open_file(const char *path, st_set **out, char *err, size_t errlen);
void st_close(st_set *s);

/* st_find: tensor by exact name, NULL if absent (O(1) hash lookup). */
const st_tensor *st_find(const st_set *s, const char *name);
int st_count(const st_set *s);
/* st_strip_prefix: renames every tensor "PREFIX…" to "…" (e.g. "model."). Fails, naming both,
 * when a stripped name collides with an existing one. */
int st_strip_prefix(st_set *s, const char *prefix, char *err, size_t errlen);
const st_tensor *st_at(const st_set *s, int i);

const char *st_dtype_name(st_dtype d);
size_t st_dtype_size(st_dtype d);   /* bytes per element */

/* st_expect: checks that tensor `name` exists with dtype `dt` and the given shape
 * (ndim entries). One clear error line otherwise. *out receives the tensor. */
int st_expect(const st_set *s, const char *name, st_dtype dt, int ndim, const int64_t *shape,
              const st_tensor **out, char *err, size_t errlen);

/* st_bind_weight: binds the linear weight `prefix`.weight (+ `prefix`.scale for FP8/FP4) with
 * logical shape [rows, cols] to *w, deciding the format from the stored dtype:
 *   F32/BF16/F16 [rows, cols]; F8_E4M3 [rows, cols] + F8_E8M0 scale [ceil(rows/br), ceil(cols/bc)];
 *   I8 or U8 [rows, cols/2] (packed FP4) + F8_E8M0 scale [rows, cols/32];
 *   F4 (safetensors' 4-bit dtype) [rows, cols], or [rows, cols/2] as torch's float4_e2m1fn_x2
 *   writes it, holding rows·cols/2 bytes + the same scale.
 * Errors name the tensor, expected and found dtype/shape. */
int st_bind_weight(const st_set *s, const char *prefix, int rows, int cols, int block_r,
                   int block_c, v4_weight *w, char *err, size_t errlen);

#endif /* V4_SAFETENSORS_H */
