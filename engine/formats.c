/*
 * formats.c — exact scalar codecs of the checkpoint formats (BF16, F16, FP8 E4M3FN, E8M0, FP4
 * E2M1), row dequantisation, the format-dispatched products and the QAT fake-quant emulations.
 *
 * Invariants:
 *   - Decoders are exact (every code maps to the f32 value the format defines); encoders round
 *     to nearest, ties to even, and saturate (E4M3 to ±448, E2M1 to ±6).
 *   - A weight is never widened to f32 as a whole: matvec reads the stored bytes directly
 *     through the fused dequantise-and-dot kernels of engine/kernels/ (AVX-512, AVX2 or plain C,
 *     chosen at run time); matmul dequantises one L2-sized tile of rows at a time into a
 *     per-thread scratch buffer (grown, never allocated per call) and multiplies it with
 *     OpenBLAS sgemm. F32 weights go straight to sgemm.
 *   - BLAS is never called from inside an OpenMP parallel region (Debian's OpenBLAS is the
 *     pthread build and threads on its own); OpenMP splits the rows of large matvecs only
 *     (small ones run on the calling thread: a fork/join costs more than they do).
 *   - Stored data may sit at any byte address: multi-byte elements are read with memcpy.
 *   - fmt_fq8 (QAT activation fake-quant) takes each block's scale here and runs the clamp /
 *     E4M3 rounding / rescale loop through the kernels (bit-identical in every variant).
 *   - The fmt_*_ref kernels are plain loops (double accumulation, one element at a time) with
 *     no tiling, BLAS or threads; tests hold the fast paths to them.
 */
#include "engine/formats.h"

#include <cblas.h>
#include <omp.h>
#include "engine/kernels/kern.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Scalar codecs                                                                               */
/* ------------------------------------------------------------------------------------------ */

float fmt_bf16_to_f32(uint16_t v) {
    uint32_t u = (uint32_t)v << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

uint16_t fmt_f32_to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); /* quiet NaN */
    uint32_t lsb = (u >> 16) & 1u;
    u += 0x7fffu + lsb;
    return (uint16_t)(u >> 16);
}

float fmt_f16_to_f32(uint16_t v) {
    int sign = (v >> 15) & 1, e = (v >> 10) & 0x1f, m = v & 0x3ff;
    float r;
    if (e == 0) r = ldexpf((float)m, -24);
    else if (e == 31) r = m ? NAN : INFINITY;
    else r = ldexpf((float)(m | 0x400), e - 25);
    return sign ? -r : r;
}

uint16_t fmt_f32_to_f16(float f) {
    if (isnan(f)) return 0x7e00;
    uint16_t sign = signbit(f) ? 0x8000 : 0;
    float a = fabsf(f);
    if (a >= 65520.0f) return sign | 0x7c00;     /* rounds past 65504: infinity */
    if (a < 0x1p-14f) return sign | (uint16_t)rintf(a * 0x1p24f); /* subnormal grid 2^-24 */
    int ex;
    frexpf(a, &ex);
    int E = ex - 1;                               /* a in [2^E, 2^(E+1)), E in [-14, 15] */
    int k = (int)rintf(ldexpf(a, 10 - E));        /* in [1024, 2048] */
    if (k == 2048) { k = 1024; E++; }
    return sign | (uint16_t)(((E + 15) << 10) | (k - 1024));
}

float fmt_e4m3_to_f32(uint8_t v) {
    int sign = v >> 7, e = (v >> 3) & 0xf, m = v & 7;
    float r;
    if (e == 15 && m == 7) return NAN;            /* S.1111.111: the only NaN; no infinities */
    if (e == 0) r = ldexpf((float)m, -9);         /* subnormal: m/8 · 2^-6 */
    else r = ldexpf((float)(8 + m), e - 10);      /* (1 + m/8) · 2^(e-7) */
    return sign ? -r : r;
}

float fmt_e8m0_to_f32(uint8_t v) {
    if (v == 0xff) return NAN;
    return ldexpf(1.0f, (int)v - 127);            /* v = 0: 2^-127, an f32 subnormal */
}

static const float E2M1_MAG[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};

float fmt_e2m1_to_f32(uint8_t code) {
    float m = E2M1_MAG[code & 7];
    return (code & 8) ? -m : m;
}

uint8_t fmt_f32_to_e4m3(float f) {
    if (isnan(f)) return 0x7f;
    uint8_t sign = signbit(f) ? 0x80 : 0;
    float a = fabsf(f);
    if (a >= 448.0f) return sign | 0x7e;          /* saturate (also ±inf) */
    if (a < 0.015625f) {                          /* below 2^-6: subnormal grid of 2^-9 */
        int k = (int)rintf(a * 512.0f);           /* exact scaling; rint = ties to even */
        return sign | (uint8_t)k;                 /* k = 8 is the smallest normal, code 0x08 */
    }
    int ex;
    frexpf(a, &ex);                               /* a = fr · 2^ex, fr in [0.5, 1) */
    int E = ex - 1;                               /* a in [2^E, 2^(E+1)), E in [-6, 8] */
    int k = (int)rintf(ldexpf(a, 3 - E));         /* in [8, 16] */
    if (k == 16) { k = 8; E++; }
    return sign | (uint8_t)(((E + 7) << 3) | (k - 8));
}

uint8_t fmt_f32_to_e2m1(float f) {
    if (isnan(f)) return 0;
    uint8_t sign = signbit(f) ? 8 : 0;
    float a = fabsf(f);
    int i = 7;
    for (int j = 0; j < 7; j++) {
        float mid = 0.5f * (E2M1_MAG[j] + E2M1_MAG[j + 1]);
        if (a < mid) { i = j; break; }
        if (a == mid) { i = (j & 1) ? j + 1 : j; break; }   /* tie: the even code */
    }
    return sign | (uint8_t)i;
}

const char *fmt_name(fmt_kind k) {
    switch (k) {
    case FMT_F32: return "f32";
    case FMT_BF16: return "bf16";
    case FMT_F16: return "f16";
    case FMT_FP8: return "fp8";
    case FMT_FP4: return "fp4";
    default: return "?";
    }
}

size_t fmt_weight_bytes(const v4_weight *w) {
    size_t n = (size_t)w->rows * (size_t)w->cols;
    size_t s = (size_t)w->scale_rows * (size_t)w->scale_cols;
    switch (w->fmt) {
    case FMT_F32: return n * 4;
    case FMT_BF16: case FMT_F16: return n * 2;
    case FMT_FP8: return n + (w->scale ? s : 0);
    case FMT_FP4: return n / 2 + (w->scale ? s : 0);
    default: return 0;
    }
}

/* Bytes of rows [r0, r0+nr) including their share of the scales (for the counters hook). */
static double fmt_rows_bytes(const v4_weight *w, int nr) {
    return w->rows ? (double)fmt_weight_bytes(w) * nr / w->rows : 0.0;
}

/* ------------------------------------------------------------------------------------------ */
/* Dequantisation                                                                              */
/* ------------------------------------------------------------------------------------------ */

/* E4M3 lookup table, filled once (constant after that). */
/* Lookup tables, filled once before main (constant after that): E4M3 code -> f32, and a packed
 * FP4 byte -> its two E2M1 values {low nibble (even column), high nibble (odd column)}. */
static float E4M3_LUT[256];
static float E2M1_PAIR_LUT[256][2];
static void fmt_init_lut(void) __attribute__((constructor));
static void fmt_init_lut(void) {
    for (int i = 0; i < 256; i++) {
        E4M3_LUT[i] = fmt_e4m3_to_f32((uint8_t)i);
        E2M1_PAIR_LUT[i][0] = fmt_e2m1_to_f32((uint8_t)(i & 0xf));
        E2M1_PAIR_LUT[i][1] = fmt_e2m1_to_f32((uint8_t)(i >> 4));
    }
}

void fmt_dequant_row(const v4_weight *w, int r, float *out) {
    const int cols = w->cols;
    const uint8_t *base = (const uint8_t *)w->data;
    switch (w->fmt) {
    case FMT_F32:
        memcpy(out, base + (size_t)r * cols * 4, (size_t)cols * 4);
        break;
    case FMT_BF16: {
        const uint8_t *p = base + (size_t)r * cols * 2;
        if (((uintptr_t)p & 1u) == 0) {           /* the loader keeps data element-aligned */
            const uint16_t *h = (const uint16_t *)(const void *)p;
#pragma omp simd
            for (int c = 0; c < cols; c++) {
                uint32_t u = (uint32_t)h[c] << 16;
                float f;
                memcpy(&f, &u, 4);
                out[c] = f;
            }
            break;
        }
        for (int c = 0; c < cols; c++) {
            uint16_t v;
            memcpy(&v, p + 2 * (size_t)c, 2);
            uint32_t u = (uint32_t)v << 16;
            memcpy(&out[c], &u, 4);
        }
        break;
    }
    case FMT_F16: {
        /* branch-free exact conversion: the 15 magnitude bits shifted into an f32 (exponent
         * field e, mantissa m<<13) times 2^112 is exact for normals and subnormals; e = 31
         * (inf/NaN) gets the f32 all-ones exponent */
        const uint8_t *p = base + (size_t)r * cols * 2;
        for (int c = 0; c < cols; c++) {
            uint16_t v;
            memcpy(&v, p + 2 * (size_t)c, 2);
            uint32_t em = v & 0x7fffu, bits = em << 13, sign = (uint32_t)(v & 0x8000u) << 16;
            float f;
            memcpy(&f, &bits, 4);
            f *= 0x1p112f;
            uint32_t u;
            memcpy(&u, &f, 4);
            if (em >= 0x7c00u) u = 0x7f800000u | ((em & 0x3ffu) << 13);
            u |= sign;
            memcpy(&out[c], &u, 4);
        }
        break;
    }
    case FMT_FP8: {
        const uint8_t *p = base + (size_t)r * cols;
        const uint8_t *srow = w->scale + (size_t)(r / w->block_r) * w->scale_cols;
        const int bc = w->block_c;
        for (int c0 = 0, b = 0; c0 < cols; c0 += bc, b++) {
            float s = fmt_e8m0_to_f32(srow[b]);
            int c1 = c0 + bc < cols ? c0 + bc : cols;
            for (int c = c0; c < c1; c++) out[c] = E4M3_LUT[p[c]] * s;
        }
        break;
    }
    case FMT_FP4: {
        const uint8_t *p = base + (size_t)r * (cols / 2);
        const uint8_t *srow = w->scale + (size_t)r * w->scale_cols;
        const int bc = w->block_c;
        for (int c0 = 0, b = 0; c0 < cols; c0 += bc, b++) {
            float s = fmt_e8m0_to_f32(srow[b]);
            int c1 = c0 + bc < cols ? c0 + bc : cols;
            for (int c = c0; c < c1; c += 2) {
                const float *pair = E2M1_PAIR_LUT[p[c / 2]];
                out[c] = pair[0] * s;                            /* low nibble: even column */
                if (c + 1 < c1) out[c + 1] = pair[1] * s;        /* high nibble: odd column */
            }
        }
        break;
    }
    default:
        for (int c = 0; c < cols; c++) out[c] = NAN;
    }
}

void fmt_dequant_rows(const v4_weight *w, int r0, int nr, float *out) {
    const size_t cols = (size_t)w->cols;
#pragma omp parallel for schedule(static) if ((size_t)nr * cols >= (1u << 16))
    for (int i = 0; i < nr; i++) fmt_dequant_row(w, r0 + i, out + (size_t)i * cols);
}

/* ------------------------------------------------------------------------------------------ */
/* Fast products                                                                               */
/* ------------------------------------------------------------------------------------------ */

/* Work (rows × cols multiply-adds) below which a matvec runs on the calling thread: ~2M
 * multiply-adds (~0.1 ms on one AVX-512 core). Below that a fork/join, and the OpenMP workers
 * spinning afterwards against OpenBLAS's own threads, cost more than they save. */
enum { FMT_PAR_MIN = 1 << 21 };
/* Elements of one dequantised matmul tile (512 KiB of f32: stays in L2 for the sgemm). */
enum { FMT_TILE_ELEMS = 1 << 17 };

/* fmt_rows_nan: y[nr] = NaN (unknown format). */
static void fmt_rows_nan(float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = NAN;
}

void fmt_matvec(const v4_weight *w, int r0, int nr, const float *x, float *y, fmt_counters *c) {
    const int cols = w->cols;
    if (c) {
        c->flops += 2.0 * nr * cols;
        c->weight_bytes += fmt_rows_bytes(w, nr);
    }
    if (nr <= 0) return;
    if ((unsigned)w->fmt >= FMT_COUNT) { fmt_rows_nan(y, (size_t)nr); return; }
    kern_rows_fn f = kern_best()->rows[w->fmt];
    int nt = omp_in_parallel() ? 1 : omp_get_max_threads();
    if ((long)nr * cols < FMT_PAR_MIN || nt < 2 || nr < 32) {
        f(w, r0, nr, x, y);
        return;
    }
#pragma omp parallel num_threads(nt)
    {
        /* contiguous row ranges, multiples of 16 rows (whole FP8 block rows stay together) */
        int t = omp_get_thread_num(), T = omp_get_num_threads();
        int per = ((nr + T - 1) / T + 15) / 16 * 16;
        int a = t * per, b = a + per < nr ? a + per : nr;
        if (a < b) f(w, r0 + a, b - a, x, y + a);
    }
}

/* fmt_tile_buf: the calling thread's dequantisation tile, grown to n floats; NULL on OOM.
 * Kept for the life of the thread (one buffer per thread, never freed per call). */
static float *fmt_tile_buf(size_t n) {
    static _Thread_local float *buf;
    static _Thread_local size_t cap;
    if (n > cap) {
        float *nb = realloc(buf, n * sizeof(float));
        if (!nb) return NULL;
        buf = nb;
        cap = n;
    }
    return buf;
}

void fmt_matmul(const v4_weight *w, int r0, int nr, const float *X, int n, float *Y,
                fmt_counters *c) {
    const int cols = w->cols;
    if (n < 4) {                                  /* no reuse worth a tile: fused kernels */
        for (int t = 0; t < n; t++)
            fmt_matvec(w, r0, nr, X + (size_t)t * cols, Y + (size_t)t * nr, c);
        return;
    }
    if (c) {
        c->flops += 2.0 * nr * cols * (double)n;
        c->weight_bytes += fmt_rows_bytes(w, nr);
    }
    if (nr <= 0) return;
    if (w->fmt == FMT_F32 && ((uintptr_t)w->data & 3u) == 0) {
        const float *W = (const float *)w->data + (size_t)r0 * cols;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, nr, cols, 1.0f, X, cols, W, cols,
                    0.0f, Y, nr);
        return;
    }
    /* Tiles of rows (multiples of 16, at least 16) of about FMT_TILE_ELEMS floats. */
    int tr = (int)(FMT_TILE_ELEMS / (unsigned)(cols > 0 ? cols : 1)) / 16 * 16;
    if (tr < 16) tr = 16;
    if (tr > nr) tr = nr;
    float *tile = fmt_tile_buf((size_t)tr * cols); /* [tr][cols] */
    if (!tile) {
        fmt_rows_nan(Y, (size_t)n * nr);
        return;
    }
    for (int t0 = 0; t0 < nr; t0 += tr) {
        int m = nr - t0 < tr ? nr - t0 : tr;
        for (int i = 0; i < m; i++) fmt_dequant_row(w, r0 + t0 + i, tile + (size_t)i * cols);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, m, cols, 1.0f, X, cols, tile,
                    cols, 0.0f, Y + t0, nr);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Scalar reference kernels                                                                    */
/* ------------------------------------------------------------------------------------------ */

/* One element of w, decoded straight from its stored bytes (no row buffer, no table). */
static float fmt_elem_ref(const v4_weight *w, int r, int c) {
    const uint8_t *base = (const uint8_t *)w->data;
    size_t idx = (size_t)r * w->cols + c;
    switch (w->fmt) {
    case FMT_F32: { float f; memcpy(&f, base + idx * 4, 4); return f; }
    case FMT_BF16: { uint16_t v; memcpy(&v, base + idx * 2, 2); return fmt_bf16_to_f32(v); }
    case FMT_F16: { uint16_t v; memcpy(&v, base + idx * 2, 2); return fmt_f16_to_f32(v); }
    case FMT_FP8: {
        uint8_t s = w->scale[(size_t)(r / w->block_r) * w->scale_cols + c / w->block_c];
        return fmt_e4m3_to_f32(base[idx]) * fmt_e8m0_to_f32(s);
    }
    case FMT_FP4: {
        uint8_t byte = base[idx / 2];
        uint8_t code = (c & 1) ? byte >> 4 : byte & 0xf;
        uint8_t s = w->scale[(size_t)r * w->scale_cols + c / w->block_c];
        return fmt_e2m1_to_f32(code) * fmt_e8m0_to_f32(s);
    }
    default: return NAN;
    }
}

void fmt_matvec_ref(const v4_weight *w, int r0, int nr, const float *x, float *y) {
    for (int i = 0; i < nr; i++) {
        double acc = 0.0;
        for (int c = 0; c < w->cols; c++) acc += (double)fmt_elem_ref(w, r0 + i, c) * x[c];
        y[i] = (float)acc;
    }
}

void fmt_matmul_ref(const v4_weight *w, int r0, int nr, const float *X, int n, float *Y) {
    for (int t = 0; t < n; t++)
        fmt_matvec_ref(w, r0, nr, X + (size_t)t * w->cols, Y + (size_t)t * nr);
}

/* ------------------------------------------------------------------------------------------ */
/* QAT emulations                                                                              */
/* ------------------------------------------------------------------------------------------ */

/* 2^ceil(log2(x)) for finite x > 0, computed exactly from the binary exponent. */
static float fmt_pow2_ceil(float x) {
    int ex;
    float fr = frexpf(x, &ex);                    /* x = fr · 2^ex, fr in [0.5, 1) */
    return ldexpf(1.0f, fr == 0.5f ? ex - 1 : ex);
}

void fmt_fq8(float *v, int n, int block) {
    for (int b0 = 0; b0 < n; b0 += block) {
        int b1 = b0 + block < n ? b0 + block : n;
        float amax = 0.0f;
        for (int i = b0; i < b1; i++) {
            float a = fabsf(v[i]);
            amax = a > amax ? a : amax;           /* = fmaxf(amax, a): NaN never wins */
        }
        float s = fmt_pow2_ceil(fmaxf(amax, 1e-4f) / 448.0f);
        float inv = 1.0f / s;    /* exact: s is a power of two >= 2^-22, so v·inv == v/s */
        kern_best()->fq8(v + b0, b1 - b0, inv, s);   /* clamp, round to E4M3, rescale */
    }
}

void fmt_fq4(float *v, int n, int block) {
    for (int b0 = 0; b0 < n; b0 += block) {
        int b1 = b0 + block < n ? b0 + block : n;
        float amax = 0.0f;
        for (int i = b0; i < b1; i++) amax = fmaxf(amax, fabsf(v[i]));
        float s = fmt_pow2_ceil(fmaxf(amax, 6.0f * 0x1p-126f) / 6.0f);
        for (int i = b0; i < b1; i++) {
            float q = fminf(fmaxf(v[i] / s, -6.0f), 6.0f);
            v[i] = fmt_e2m1_to_f32(fmt_f32_to_e2m1(q)) * s;
        }
    }
}

void fmt_hadamard(float *v, int n) {
    for (int h = 1; h < n; h *= 2)
        for (int i = 0; i < n; i += 2 * h)
            for (int j = i; j < i + h; j++) {
                float a = v[j], b = v[j + h];
                v[j] = a + b;
                v[j + h] = a - b;
            }
    float s = 1.0f / sqrtf((float)n);
    for (int i = 0; i < n; i++) v[i] *= s;
}
