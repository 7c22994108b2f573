/*
 * kern_scalar.c — the plain-C fused kernels (any CPU) and the shared decode tables. Each row is
 * a dot product with 8 f32 partial sums (vectorisable by the compiler, independent of thread
 * count); FP8 and FP4 sum each scale block first and multiply the block sum by its E8M0 scale
 * (an exact power of two), as the SIMD variants do. Also the run-time choice of the variant.
 */
#include <cpuid.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "engine/kernels/kern.h"

float kern_e8m0_lut[256];
float kern_e4m3_lut[256];
float kern_e2m1_lut[16];

static void kern_init_luts(void) __attribute__((constructor));
static void kern_init_luts(void) {
    for (int i = 0; i < 256; i++) {
        kern_e8m0_lut[i] = fmt_e8m0_to_f32((uint8_t)i);
        kern_e4m3_lut[i] = fmt_e4m3_to_f32((uint8_t)i);
    }
    for (int i = 0; i < 16; i++) kern_e2m1_lut[i] = fmt_e2m1_to_f32((uint8_t)i);
}

static float sum8(const float *a) {
    return ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
}

static void ks_f32(const v4_weight *w, int r0, int nr, const float *x, float *y) {
    const int cols = w->cols;
    for (int i = 0; i < nr; i++) {
        const uint8_t *p = (const uint8_t *)w->data + (size_t)(r0 + i) * cols * 4;
        float acc[8] = {0};
        for (int c = 0; c < cols; c++) {
            float v;
            memcpy(&v, p + 4 * (size_t)c, 4);
            acc[c & 7] += v * x[c];
        }
        y[i] = sum8(acc);
    }
}

static void ks_bf16(const v4_weight *w, int r0, int nr, const float *x, float *y) {
    const int cols = w->cols;
    for (int i = 0; i < nr; i++) {
        const uint8_t *p = (const uint8_t *)w->data + (size_t)(r0 + i) * cols * 2;
        float acc[8] = {0};
        for (int c = 0; c < cols; c++) {
            uint16_t h;
            memcpy(&h, p + 2 * (size_t)c, 2);
            acc[c & 7] += fmt_bf16_to_f32(h) * x[c];
        }
        y[i] = sum8(acc);
    }
}

static void ks_f16(const v4_weight *w, int r0, int nr, const float *x, float *y) {
    const int cols = w->cols;
    for (int i = 0; i < nr; i++) {
        const uint8_t *p = (const uint8_t *)w->data + (size_t)(r0 + i) * cols * 2;
        float acc[8] = {0};
        for (int c = 0; c < cols; c++) {
            uint16_t h;
            memcpy(&h, p + 2 * (size_t)c, 2);
            acc[c & 7] += fmt_f16_to_f32(h) * x[c];
        }
        y[i] = sum8(acc);
    }
}

static void ks_fp8(const v4_weight *w, int r0, int nr, const float *x, float *y) {
    const int cols = w->cols, bc = w->block_c;
    for (int i = 0; i < nr; i++) {
        int r = r0 + i;
        const uint8_t *p = (const uint8_t *)w->data + (size_t)r * cols;
        const uint8_t *srow = w->scale + (size_t)(r / w->block_r) * w->scale_cols;
        float tot = 0.0f;
        for (int c0 = 0, b = 0; c0 < cols; c0 += bc, b++) {
            int c1 = c0 + bc < cols ? c0 + bc : cols;
            float acc[8] = {0};
            for (int c = c0; c < c1; c++) acc[(c - c0) & 7] += kern_e4m3_lut[p[c]] * x[c];
            tot += sum8(acc) * kern_e8m0_lut[srow[b]];
        }
        y[i] = tot;
    }
}

static void ks_fp4(const v4_weight *w, int r0, int nr, const float *x, float *y) {
    const int cols = w->cols, bc = w->block_c;
    for (int i = 0; i < nr; i++) {
        int r = r0 + i;
        const uint8_t *p = (const uint8_t *)w->data + (size_t)r * (cols / 2);
        const uint8_t *srow = w->scale + (size_t)r * w->scale_cols;
        float tot = 0.0f;
        for (int c0 = 0, b = 0; c0 < cols; c0 += bc, b++) {
            int c1 = c0 + bc < cols ? c0 + bc : cols;
            float acc[8] = {0};
            for (int c = c0; c < c1; c++) {
                uint8_t byte = p[c / 2];
                acc[(c - c0) & 7] += kern_e2m1_lut[(c & 1) ? byte >> 4 : byte & 0xf] * x[c];
            }
            tot += sum8(acc) * kern_e8m0_lut[srow[b]];
        }
        y[i] = tot;
    }
}

static void ks_qk(const float *q, const float *const *keys, int nk, int d, float scale, float *s) {
    for (int j = 0; j < nk; j++) {
        const float *k = keys[j];
        float acc[8] = {0};
        for (int t = 0; t < d; t++) acc[t & 7] += q[t] * k[t];
        s[j] = sum8(acc) * scale;
    }
}

static void ks_pv(const float *p, const float *const *keys, int nk, int d, float *o) {
    for (int t = 0; t < d; t++) o[t] = 0.0f;
    for (int j = 0; j < nk; j++) {
        const float *k = keys[j];
        for (int t = 0; t < d; t++) o[t] += p[j] * k[t];
    }
}

static float ks_expsum(float *s, int n, float mx) {
    float acc[8] = {0};
    for (int j = 0; j < n; j++) {
        s[j] = expf(s[j] - mx);
        acc[j & 7] += s[j];
    }
    return sum8(acc);
}

/* fq8_round: the E4M3 value nearest to q (ties to even) for |q| <= 448, exactly what
 * fmt_e4m3_to_f32(fmt_f32_to_e4m3(q)) gives, without branches or library calls: normals keep 3
 * mantissa bits (round-to-nearest-even on the f32 bits; a carry moves into the exponent, and
 * 448 is the top of the grid so nothing overflows), subnormals below 2^-6 round to the 2^-9
 * grid with the 1.5·2^23 trick (exact for the non-negative |q|·512 <= 8). The sign is kept. */
static inline float fq8_round(float q) {
    uint32_t u, sign;
    memcpy(&u, &q, 4);
    sign = u & 0x80000000u;
    u &= 0x7fffffffu;
    float a;
    memcpy(&a, &u, 4);
    uint32_t n = (u + 0x7ffffu + ((u >> 20) & 1u)) & ~0xfffffu;
    float sub = ((a * 512.0f + 0x1.8p23f) - 0x1.8p23f) * (1.0f / 512.0f);
    uint32_t su;
    memcpy(&su, &sub, 4);
    uint32_t r = (a < 0.015625f ? su : n) | sign;
    float out;
    memcpy(&out, &r, 4);
    return out;
}

void kern_fq8_plain(float *v, int n, float inv, float s) {
    for (int i = 0; i < n; i++) {
        float q = v[i] * inv;
        q = q >= -448.0f ? q : -448.0f; /* = fmaxf(q, -448): NaN → −448 */
        q = q <= 448.0f ? q : 448.0f;
        v[i] = fq8_round(q) * s;
    }
}

const kern_table kern_scalar_table = {
    "scalar", {ks_f32, ks_bf16, ks_f16, ks_fp8, ks_fp4}, ks_qk, ks_pv, ks_expsum, kern_fq8_plain};

/* cpu_has_f16c: CPUID leaf 1, ECX bit 29 (clang's __builtin_cpu_supports has no "f16c"). */
static int cpu_has_f16c(void) {
    unsigned a, b, c, d;
    return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
}

const kern_table *kern_table_get(kern_level lv) {
    __builtin_cpu_init();
    switch (lv) {
    case KERN_SCALAR:
        return &kern_scalar_table;
    case KERN_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                       cpu_has_f16c()
                   ? &kern_avx2_table
                   : NULL;
    case KERN_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                       __builtin_cpu_supports("avx512vl")
                   ? &kern_avx512_table
                   : NULL;
    default:
        return NULL;
    }
}

static const kern_table *kern_chosen;

static void kern_choose(void) __attribute__((constructor));
static void kern_choose(void) {
    const char *cap = getenv("V4_KERNELS");
    int top = KERN_AVX512;
    if (cap && !strcmp(cap, "scalar"))
        top = KERN_SCALAR;
    else if (cap && !strcmp(cap, "avx2"))
        top = KERN_AVX2;
    for (int lv = top; lv >= 0 && !kern_chosen; lv--) kern_chosen = kern_table_get((kern_level)lv);
}

const kern_table *kern_best(void) {
    if (!kern_chosen) kern_choose();
    return kern_chosen;
}
