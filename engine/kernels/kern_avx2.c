/*
 * kern_avx2.c — AVX2 + FMA + F16C fused dequantise-and-dot kernels, 8 lanes; the columns past
 * the last full group of 8 (or of a block) run through a scalar tail on the same decode
 * tables. Decoding as in kern_avx512.c, except FP4: the three magnitude bits index an 8-entry
 * register table (vpermps) and the sign bit is ORed in; each 8-byte group is split into its
 * even (low nibble) and odd (high nibble) columns, and x likewise.
 */
#include <immintrin.h>
#include <math.h>
#include <string.h>
#include "engine/kernels/kern.h"

#define K256 __attribute__((target("avx2,fma,f16c")))

K256 static inline float k2_hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

K256 static void k2_f32(const v4_weight *w, int r0, int nr, const float *x, float *y) {
    const int cols = w->cols;
    for (int i = 0; i < nr; i++) {
        const float *p = (const float *)w->data + (size_t)(r0 + i) * cols;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        int c = 0;
        for (; c + 16 <= cols; c += 16) {
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(p + c), _mm256_loadu_ps(x + c), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(p + c + 8), _mm256_loadu_ps(x + c + 8), a1);
        }
        float t = 0.0f;
        for (; c < cols; c++) { /* the row may sit at any byte address */
            float v;
            memcpy(&v, p + c, 4);
            t += v * x[c];
        }
        y[i] = k2_hsum(_mm256_add_ps(a0, a1)) + t;
    }
}

K256 static inline __m256 k2_bf16(__m128i h) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

K256 static void k2_bf16_rows(const v4_weight *w, int r0, int nr, const float *x, float *y) {
    const int cols = w->cols;
    for (int i = 0; i < nr; i++) {
        const uint16_t *p =
            (const uint16_t *)((const uint8_t *)w->data + (size_t)(r0 + i) * cols * 2);
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        int c = 0;
        for (; c + 16 <= cols; c += 16) {
            a0 = _mm256_fmadd_ps(k2_bf16(_mm_loadu_si128((const void *)(p + c))),
                                 _mm256_loadu_ps(x + c), a0);
            a1 = _mm256_fmadd_ps(k2_bf16(_mm_loadu_si128((const void *)(p + c + 8))),
                                 _mm256_loadu_ps(x + c + 8), a1);
        }
        float t = 0.0f;
        for (; c < cols; c++) {
            uint16_t h;
            memcpy(&h, p + c, 2);
            t += fmt_bf16_to_f32(h) * x[c];
        }
        y[i] = k2_hsum(_mm256_add_ps(a0, a1)) + t;
    }
}

K256 static void k2_f16_rows(const v4_weight *w, int r0, int nr, const float *x, float *y) {
    const int cols = w->cols;
    for (int i = 0; i < nr; i++) {
        const uint16_t *p =
            (const uint16_t *)((const uint8_t *)w->data + (size_t)(r0 + i) * cols * 2);
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        int c = 0;
        for (; c + 16 <= cols; c += 16) {
            a0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const void *)(p + c))),
                                 _mm256_loadu_ps(x + c), a0);
            a1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const void *)(p + c + 8))),
                                 _mm256_loadu_ps(x + c + 8), a1);
        }
        float t = 0.0f;
        for (; c < cols; c++) {
            uint16_t h;
            memcpy(&h, p + c, 2);
            t += fmt_f16_to_f32(h) * x[c];
        }
        y[i] = k2_hsum(_mm256_add_ps(a0, a1)) + t;
    }
}

K256 static inline __m256 k2_e4m3(__m128i bytes8) {
    __m256i b = _mm256_cvtepu8_epi32(bytes8);
    __m256i mag = _mm256_and_si256(b, _mm256_set1_epi32(0x7f));
    __m256 v =
        _mm256_mul_ps(_mm256_castsi256_ps(_mm256_slli_epi32(mag, 20)), _mm256_set1_ps(0x1p120f));
    __m256 nan = _mm256_castsi256_ps(_mm256_cmpeq_epi32(mag, _mm256_set1_epi32(0x7f)));
    v = _mm256_blendv_ps(v, _mm256_set1_ps(__builtin_nanf("")), nan);
    __m256i sign = _mm256_slli_epi32(_mm256_and_si256(b, _mm256_set1_epi32(0x80)), 24);
    return _mm256_castsi256_ps(_mm256_or_si256(_mm256_castps_si256(v), sign));
}

K256 static void k2_fp8_rows(const v4_weight *w, int r0, int nr, const float *x, float *y) {
    const int cols = w->cols, bc = w->block_c;
    for (int i = 0; i < nr; i++) {
        int r = r0 + i;
        const uint8_t *p = (const uint8_t *)w->data + (size_t)r * cols;
        const uint8_t *srow = w->scale + (size_t)(r / w->block_r) * w->scale_cols;
        float tot = 0.0f;
        for (int c0 = 0, b = 0; c0 < cols; c0 += bc, b++) {
            int c1 = c0 + bc < cols ? c0 + bc : cols, c = c0;
            __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
            for (; c + 16 <= c1; c += 16) {
                __m128i q = _mm_loadu_si128((const void *)(p + c));
                a0 = _mm256_fmadd_ps(k2_e4m3(q), _mm256_loadu_ps(x + c), a0);
                a1 = _mm256_fmadd_ps(k2_e4m3(_mm_srli_si128(q, 8)), _mm256_loadu_ps(x + c + 8), a1);
            }
            float t = 0.0f;
            for (; c < c1; c++) t += kern_e4m3_lut[p[c]] * x[c];
            tot += (k2_hsum(_mm256_add_ps(a0, a1)) + t) * kern_e8m0_lut[srow[b]];
        }
        y[i] = tot;
    }
}

K256 static void k2_fp4_rows(const v4_weight *w, int r0, int nr, const float *x, float *y) {
    if (w->block_c != 32 || w->cols % 32) {
        kern_scalar_table.rows[FMT_FP4](w, r0, nr, x, y);
        return;
    }
    const int cols = w->cols, nb = cols / 32;
    const __m256 mag = _mm256_loadu_ps(kern_e2m1_lut); /* codes 0..7: magnitudes */
    const __m256i seven = _mm256_set1_epi32(7), eight = _mm256_set1_epi32(8);
    const __m256i deint = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    for (int i = 0; i < nr; i++) {
        int r = r0 + i;
        const uint8_t *p = (const uint8_t *)w->data + (size_t)r * (cols / 2);
        const uint8_t *srow = w->scale + (size_t)r * w->scale_cols;
        float tot = 0.0f;
        for (int b = 0; b < nb; b++) {
            __m256 acc = _mm256_setzero_ps();
            for (int g = 0; g < 2; g++) { /* 8 bytes = 16 columns */
                __m256i q =
                    _mm256_cvtepu8_epi32(_mm_loadl_epi64((const void *)(p + b * 16 + g * 8)));
                __m256i lo = _mm256_and_si256(q, _mm256_set1_epi32(0xf)),
                        hi = _mm256_srli_epi32(q, 4);
                __m256 wl = _mm256_permutevar8x32_ps(mag, _mm256_and_si256(lo, seven));
                __m256 wh = _mm256_permutevar8x32_ps(mag, _mm256_and_si256(hi, seven));
                wl = _mm256_castsi256_ps(_mm256_or_si256(
                    _mm256_castps_si256(wl), _mm256_slli_epi32(_mm256_and_si256(lo, eight), 28)));
                wh = _mm256_castsi256_ps(_mm256_or_si256(
                    _mm256_castps_si256(wh), _mm256_slli_epi32(_mm256_and_si256(hi, eight), 28)));
                const float *xg = x + b * 32 + g * 16;
                /* x0 = cols 0..7, x1 = 8..15 → even = {0,2,..,14}, odd = {1,3,..,15} */
                __m256 x0 = _mm256_permutevar8x32_ps(_mm256_loadu_ps(xg), deint);
                __m256 x1 = _mm256_permutevar8x32_ps(_mm256_loadu_ps(xg + 8), deint);
                __m256 xe = _mm256_permute2f128_ps(x0, x1, 0x20),
                       xo = _mm256_permute2f128_ps(x0, x1, 0x31);
                acc = _mm256_fmadd_ps(wl, xe, acc);
                acc = _mm256_fmadd_ps(wh, xo, acc);
            }
            tot += k2_hsum(acc) * kern_e8m0_lut[srow[b]];
        }
        y[i] = tot;
    }
}

K256 static void k2_qk(const float *q, const float *const *keys, int nk, int d, float scale,
                       float *s) {
    for (int j = 0; j < nk; j++) {
        const float *k = keys[j];
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        int t = 0;
        for (; t + 16 <= d; t += 16) {
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + t), _mm256_loadu_ps(k + t), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + t + 8), _mm256_loadu_ps(k + t + 8), a1);
        }
        float tail = 0.0f;
        for (; t < d; t++) tail += q[t] * k[t];
        s[j] = (k2_hsum(_mm256_add_ps(a0, a1)) + tail) * scale;
    }
}

K256 static void k2_pv(const float *p, const float *const *keys, int nk, int d, float *o) {
    int t0 = 0;
    for (; t0 + 32 <= d; t0 += 32) { /* 32 output dims in 4 registers */
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int j = 0; j < nk; j++) {
            const float *k = keys[j] + t0;
            __m256 pj = _mm256_set1_ps(p[j]);
            a0 = _mm256_fmadd_ps(pj, _mm256_loadu_ps(k), a0);
            a1 = _mm256_fmadd_ps(pj, _mm256_loadu_ps(k + 8), a1);
            a2 = _mm256_fmadd_ps(pj, _mm256_loadu_ps(k + 16), a2);
            a3 = _mm256_fmadd_ps(pj, _mm256_loadu_ps(k + 24), a3);
        }
        _mm256_storeu_ps(o + t0, a0);
        _mm256_storeu_ps(o + t0 + 8, a1);
        _mm256_storeu_ps(o + t0 + 16, a2);
        _mm256_storeu_ps(o + t0 + 24, a3);
    }
    for (int t = t0; t < d; t++) o[t] = 0.0f;
    for (int j = 0; j < nk && t0 < d; j++)
        for (int t = t0; t < d; t++) o[t] += p[j] * keys[j][t];
}

/* k2_exp: as k5_exp; 2^k is built in the exponent field (k >= −126 after the clamp). */
K256 static inline __m256 k2_exp(__m256 x) {
    x = _mm256_max_ps(_mm256_set1_ps(-87.33654f), x);
    __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i e =
        _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

K256 static float k2_expsum(float *s, int n, float mx) {
    __m256 acc = _mm256_setzero_ps(), m = _mm256_set1_ps(mx);
    int j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 e = k2_exp(_mm256_sub_ps(_mm256_loadu_ps(s + j), m));
        _mm256_storeu_ps(s + j, e);
        acc = _mm256_add_ps(acc, e);
    }
    if (j < n) { /* tail through an 8-float buffer */
        float buf[8] = {0};
        for (int i = j; i < n; i++) buf[i - j] = s[i] - mx;
        for (int i = n - j; i < 8; i++) buf[i] = -INFINITY;
        _mm256_storeu_ps(buf, k2_exp(_mm256_loadu_ps(buf)));
        for (int i = j; i < n; i++) s[i] = buf[i - j];
        for (int i = n - j; i < 8; i++) buf[i] = 0.0f;
        acc = _mm256_add_ps(acc, _mm256_loadu_ps(buf));
    }
    return k2_hsum(acc);
}

/* k2_fq8: kern_fq8_plain in 8 lanes (see k5_fq8); the tail runs the plain loop. */
K256 static void k2_fq8(float *v, int n, float inv, float s) {
    const __m256 vinv = _mm256_set1_ps(inv), vs = _mm256_set1_ps(s);
    const __m256 magic = _mm256_set1_ps(0x1.8p23f), small = _mm256_set1_ps(0.015625f);
    const __m256i absm = _mm256_set1_epi32(0x7fffffff), keep = _mm256_set1_epi32(~0xfffff);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 q = _mm256_mul_ps(_mm256_loadu_ps(v + i), vinv);
        q = _mm256_min_ps(_mm256_max_ps(q, _mm256_set1_ps(-448.0f)), _mm256_set1_ps(448.0f));
        __m256i u = _mm256_castps_si256(q), au = _mm256_and_si256(u, absm);
        __m256i odd = _mm256_and_si256(_mm256_srli_epi32(au, 20), _mm256_set1_epi32(1));
        __m256i nrm = _mm256_and_si256(
            _mm256_add_epi32(_mm256_add_epi32(au, _mm256_set1_epi32(0x7ffff)), odd), keep);
        __m256 a = _mm256_castsi256_ps(au);
        __m256 sub = _mm256_mul_ps(
            _mm256_sub_ps(_mm256_add_ps(_mm256_mul_ps(a, _mm256_set1_ps(512.0f)), magic), magic),
            _mm256_set1_ps(1.0f / 512.0f));
        __m256 tiny = _mm256_cmp_ps(a, small, _CMP_LT_OQ);
        __m256 r = _mm256_blendv_ps(_mm256_castsi256_ps(nrm), sub, tiny);
        r = _mm256_or_ps(r, _mm256_castsi256_ps(_mm256_andnot_si256(absm, u)));
        _mm256_storeu_ps(v + i, _mm256_mul_ps(r, vs));
    }
    if (i < n) kern_fq8_plain(v + i, n - i, inv, s);
}

const kern_table kern_avx2_table = {"avx2",
                                    {k2_f32, k2_bf16_rows, k2_f16_rows, k2_fp8_rows, k2_fp4_rows},
                                    k2_qk,
                                    k2_pv,
                                    k2_expsum,
                                    k2_fq8};
