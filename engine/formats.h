/*
 * formats.h — storage formats of weights and the products that read them in place.
 *
 * Weights stay in their stored format in memory (mmap of the safetensors file). Every product
 * (matrix–vector for decode, matrix–matrix for prefill) dispatches on the format. Each format has
 * a plain scalar reference kernel (fmt_*_ref) that tests prove equal to dequantize-then-f32; the
 * fast paths are tested against the reference, never against themselves (tests/test_formats.c,
 * tests/test_kernels.c). Fast paths: matvec runs the fused dequantise-and-dot kernels of
 * engine/kernels/ (AVX-512 / AVX2 / plain C, chosen at run time, no allocation); matmul
 * dequantises L2-sized tiles into a per-thread buffer and calls sgemm.
 *
 * Layout conventions (spec §13.5): a weight is logically [rows = out, cols = in], row-major.
 *   FMT_F32 / FMT_BF16 / FMT_F16 : rows*cols elements.
 *   FMT_FP8 : rows*cols E4M3FN bytes + E8M0 scales [ceil(rows/128)][ceil(cols/128)]
 *             (block sizes from the config's weight_block_size, default 128×128).
 *   FMT_FP4 : rows*cols/2 bytes, two E2M1 codes per byte, low nibble = even column;
 *             E8M0 scales [rows][cols/32].
 */
#ifndef V4_FORMATS_H
#define V4_FORMATS_H

#include <stddef.h>
#include <stdint.h>

typedef enum { FMT_F32 = 0, FMT_BF16, FMT_F16, FMT_FP8, FMT_FP4, FMT_COUNT } fmt_kind;

typedef struct {
    fmt_kind fmt;
    int rows, cols;          /* logical [out, in] */
    const void *data;        /* stored bytes, not owned */
    const uint8_t *scale;    /* E8M0 scale bytes (FP8, FP4) or NULL, not owned */
    int scale_rows, scale_cols; /* shape of the scale tensor */
    int block_r, block_c;    /* FP8: block shape (128,128); FP4: (1,32) */
    const char *name;        /* tensor name for messages, not owned */
} v4_weight;

/* Counters hook: every product adds its FLOPs and weight bytes here when non-NULL. */
typedef struct {
    double flops;
    double weight_bytes;
} fmt_counters;

/* Scalar decoders (exact). */
float fmt_bf16_to_f32(uint16_t v);
uint16_t fmt_f32_to_bf16(float f);          /* round to nearest even */
float fmt_f16_to_f32(uint16_t v);
uint16_t fmt_f32_to_f16(float f);          /* round to nearest even, overflow -> inf */
float fmt_e4m3_to_f32(uint8_t v);           /* E4M3FN: max 448, 0x7F/0xFF NaN, no inf */
float fmt_e8m0_to_f32(uint8_t v);           /* 2^(v-127); 0 -> 2^-127 (subnormal), 0xFF NaN */
float fmt_e2m1_to_f32(uint8_t code);        /* low 4 bits; sign bit 3 */
uint8_t fmt_f32_to_e4m3(float f);           /* round to nearest even, saturating to ±448 */
uint8_t fmt_f32_to_e2m1(float f);           /* round to nearest even, saturating to ±6 */

const char *fmt_name(fmt_kind k);
/* fmt_weight_bytes: bytes of stored data + scales of w. */
size_t fmt_weight_bytes(const v4_weight *w);

/* fmt_dequant_row: out[cols] = row r of w in f32. */
void fmt_dequant_row(const v4_weight *w, int r, float *out);
/* fmt_dequant_rows: out[nr][cols] = rows r0..r0+nr-1 of w in f32. */
void fmt_dequant_rows(const v4_weight *w, int r0, int nr, float *out);

/* fmt_matvec: y[nr] = W[r0:r0+nr, :] · x[cols]  (nr = w->rows, r0 = 0 for the whole weight). */
void fmt_matvec(const v4_weight *w, int r0, int nr, const float *x, float *y, fmt_counters *c);
/* fmt_matmul: Y[n][nr] = X[n][cols] · W[r0:r0+nr, :]^T  (ldx = cols, ldy = nr). */
void fmt_matmul(const v4_weight *w, int r0, int nr, const float *X, int n, float *Y,
                fmt_counters *c);

/* Scalar reference kernels (no BLAS, no tiling, no threads). */
void fmt_matvec_ref(const v4_weight *w, int r0, int nr, const float *x, float *y);
void fmt_matmul_ref(const v4_weight *w, int r0, int nr, const float *X, int n, float *Y);

/* QAT emulations (spec §3.4), in place.
 * fmt_fq8: per block of `block` elements, UE8M0 scale s = 2^ceil(log2(max(amax,1e-4)/448)),
 *          v = e4m3(clamp(v/s)) * s.
 * fmt_fq4: per block of `block` elements, s = 2^ceil(log2(max(amax, 6*2^-126)/6)),
 *          v = e2m1(clamp(v/s)) * s.
 * fmt_hadamard: v[n] ← H_n v / sqrt(n), natural-order Sylvester, n a power of two. */
void fmt_fq8(float *v, int n, int block);
void fmt_fq4(float *v, int n, int block);
void fmt_hadamard(float *v, int n);

#endif /* V4_FORMATS_H */
