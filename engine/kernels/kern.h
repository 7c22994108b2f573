/*
 * kern.h — fused dequantise-and-dot kernels for the weight formats (the fast path of
 * fmt_matvec). Each kernel computes y[i] = W[r0+i, :] · x for i in [0, nr) straight from the
 * stored bytes: no row buffer, no allocation, no threads (the caller splits rows across
 * threads). Three variants exist — plain C (any CPU), AVX2+FMA+F16C and AVX-512 (F, BW, VL) —
 * compiled with per-function target attributes and chosen once at run time with
 * __builtin_cpu_supports. All variants accumulate in f32 with several partial sums, so they
 * differ from the double-accumulating scalar reference (fmt_matvec_ref) only by float
 * reassociation; tests/test_kernels.c holds every variant to that reference.
 *
 * The same tables carry the SIMD helpers of attention (score dot products, probability-weighted
 * sums of keys, exp + sum of a softmax row).
 *
 * Supported layouts: those of formats.h. FP8 blocks may have any shape; FP4 blocks are
 * (1, block_c) with block_c even. A SIMD variant falls back to the plain kernel for a shape it
 * does not handle (FP4 with block_c != 32), so every table entry accepts every valid weight.
 */
#ifndef V4_KERN_H
#define V4_KERN_H

#include "engine/formats.h"

typedef void (*kern_rows_fn)(const v4_weight *w, int r0, int nr, const float *x, float *y);

typedef struct {
    const char *name;               /* "scalar", "avx2", "avx512" */
    kern_rows_fn rows[FMT_COUNT];   /* indexed by fmt_kind */
    /* Attention helpers over nk keys given as row pointers (K = V, d floats each):
     * qk: s[j] = scale · (q · keys[j]);  pv: o[d] = Σ_j p[j] · keys[j];
     * expsum: s[j] ← exp(s[j] − mx) for j < n (n >= 0), returns Σ_j s[j]. The SIMD exp is a
     * range reduction to 2^k · e^r with a degree-6 polynomial (within 2 ulp of expf). */
    void (*qk)(const float *q, const float *const *keys, int nk, int d, float scale, float *s);
    void (*pv)(const float *p, const float *const *keys, int nk, int d, float *o);
    float (*expsum)(float *s, int n, float mx);
    /* fq8: the inner loop of the QAT FP8 fake-quant (fmt_fq8) over one block with its
     * power-of-two scale s and inv = 1/s: v[i] ← e4m3(clamp(v[i]·inv, ±448)) · s, NaN → −448·s,
     * E4M3 rounding to nearest even. Bit-identical in every variant. */
    void (*fq8)(float *v, int n, float inv, float s);
} kern_table;

/* kern_fq8_plain: the plain-C fq8 (the scalar table's entry). */
void kern_fq8_plain(float *v, int n, float inv, float s);

typedef enum { KERN_SCALAR = 0, KERN_AVX2, KERN_AVX512, KERN_LEVELS } kern_level;

/* kern_table_get: the table of a level, or NULL when this CPU lacks the instructions. */
const kern_table *kern_table_get(kern_level lv);

/* kern_best: the fastest table this CPU supports (chosen once, constant afterwards). The
 * environment variable V4_KERNELS=scalar|avx2|avx512 caps the choice (for comparisons). */
const kern_table *kern_best(void);

/* Decode tables shared by the variants (filled before main, constant afterwards). */
extern float kern_e8m0_lut[256];   /* E8M0 code -> 2^(code-127), 0xFF -> NaN */
extern float kern_e4m3_lut[256];   /* E4M3FN code -> f32 */
extern float kern_e2m1_lut[16];    /* E2M1 code -> f32 */

/* The variants' tables (kern_avx2.c, kern_avx512.c, kern_scalar.c). */
extern const kern_table kern_scalar_table, kern_avx2_table, kern_avx512_table;

#endif /* V4_KERN_H */
