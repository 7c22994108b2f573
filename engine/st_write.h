/*
 * st_write.h — a small safetensors writer (init-random, tests that build good and bad files).
 *
 * A writer collects named tensors (the bytes are copied), then writes one file: 8-byte
 * little-endian header length, the JSON header padded with spaces to a multiple of 8 bytes, then
 * the tensors back to back, 8-byte elements first, then 4-, 2- and 1-byte ones (each group in the
 * order added), so every tensor starts aligned to its element size.
 */
#ifndef V4_ST_WRITE_H
#define V4_ST_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include "engine/safetensors.h"

typedef struct st_writer st_writer;

/* st_writer_new: an empty writer; NULL on out of memory. */
st_writer *st_writer_new(void);
void st_writer_free(st_writer *w);

/* st_writer_add: appends tensor `name` (dtype dt, shape[ndim]) with nbytes of data (copied).
 * Fails (non-zero, err) when nbytes != shape product × element size (F4: half a byte per
 * element, an even count, or one byte per element as torch's float4_e2m1fn_x2 shapes it), the name is a duplicate,
 * or memory runs out. */
int st_writer_add(st_writer *w, const char *name, st_dtype dt, int ndim, const int64_t *shape,
                  const void *data, size_t nbytes, char *err, size_t errlen);

/* st_writer_add_f32: appends a tensor given as f32 values, converted to dt ∈ {F32, BF16, F16}
 * (round to nearest even). */
int st_writer_add_f32(st_writer *w, const char *name, st_dtype dt, int ndim, const int64_t *shape,
                      const float *values, char *err, size_t errlen);

/* st_writer_save: writes the file (with optional "__metadata__" {"format": "pt"}).
 * Non-zero with err on I/O failure. */
int st_writer_save(const st_writer *w, const char *path, char *err, size_t errlen);

/* st_writer_bytes: total bytes of tensor data added so far. */
size_t st_writer_bytes(const st_writer *w);

/* st_write_raw: writes a file with header length hlen (as given, even if it lies), header text
 * `header` (strlen bytes) and `data` (dlen bytes) — for tests of malformed files. */
int st_write_raw(const char *path, uint64_t hlen, const char *header, const void *data,
                 size_t dlen);

#endif /* V4_ST_WRITE_H */
