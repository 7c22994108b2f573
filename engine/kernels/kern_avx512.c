/*
 * kern_avx512.c — AVX-512 (F, BW, VL) fused dequantise-and-dot kernels, 16 lanes, masked
 * loads for tails (no reads past a row). Decoding:
 *   BF16  16-bit zero-extend, shift left 16 = the f32 bits;
 *   F16   vcvtph2ps (exact, subnormals/inf/NaN included);
 *   FP8   the E4M3 bits shifted into an f32 exponent/mantissa (magnitude << 20) times 2^120 is
 *         exact for normals and subnormals; code S.1111.111 is replaced by NaN; sign ORed in;
 *   FP4   the code's 4 bits index a 16-entry register table (vpermps); the low nibble of a byte
 *         is the even column, so x is split into its even and odd columns (vpermt2ps).
 * FP8 and FP4 sum each scale block and multiply the block sum by its E8M0 scale.
 */
#include <immintrin.h>
#include <string.h>
#include "engine/kernels/kern.h"

#define K512 __attribute__((target("avx512f,avx512bw,avx512vl,fma,f16c")))

K512 static inline __mmask16 k5_tail(int n) {
    return n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1u);
}

K512 static void k5_f32(const v4_weight *w, int r0, int nr, const float *x, float *y) {
    const int cols = w->cols;
    for (int i = 0; i < nr; i++) {
        const float *p = (const float *)w->data + (size_t)(r0 + i) * cols;
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
        int c = 0;
        for (; c + 32 <= cols; c += 32) {
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(p + c), _mm512_loadu_ps(x + c), a0);
            a1 = _mm512_fmadd_ps(_mm512_loadu_ps(p + c + 16), _mm512_loadu_ps(x + c + 16), a1);
        }
        for (; c < cols; c += 16) {
            __mmask16 m = k5_tail(cols - c);
            a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, p + c), _mm512_maskz_loadu_ps(m, x + c),
                                 a0);
        }
        y[i] = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
    }
}

K512 static inline __m512 k5_bf16(__m256i h) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

K512 static void k5_bf16_rows(const v4_weight *w, int r0, int nr, const float *x, float *y) {
    const int cols = w->cols;
    for (int i = 0; i < nr; i++) {
        const uint16_t *p =
            (const uint16_t *)((const uint8_t *)w->data + (size_t)(r0 + i) * cols * 2);
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
        int c = 0;
        for (; c + 32 <= cols; c += 32) {
            a0 = _mm512_fmadd_ps(k5_bf16(_mm256_loadu_si256((const void *)(p + c))),
                                 _mm512_loadu_ps(x + c), a0);
            a1 = _mm512_fmadd_ps(k5_bf16(_mm256_loadu_si256((const void *)(p + c + 16))),
                                 _mm512_loadu_ps(x + c + 16), a1);
        }
        for (; c < cols; c += 16) {
            __mmask16 m = k5_tail(cols - c);
            a0 = _mm512_fmadd_ps(k5_bf16(_mm256_maskz_loadu_epi16(m, p + c)),
                                 _mm512_maskz_loadu_ps(m, x + c), a0);
        }
        y[i] = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
    }
}

K512 static void k5_f16_rows(const v4_weight *w, int r0, int nr, const float *x, float *y) {
    const int cols = w->cols;
    for (int i = 0; i < nr; i++) {
        const uint16_t *p =
            (const uint16_t *)((const uint8_t *)w->data + (size_t)(r0 + i) * cols * 2);
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
        int c = 0;
        for (; c + 32 <= cols; c += 32) {
            a0 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const void *)(p + c))),
                                 _mm512_loadu_ps(x + c), a0);
            a1 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const void *)(p + c + 16))),
                                 _mm512_loadu_ps(x + c + 16), a1);
        }
        for (; c < cols; c += 16) {
            __mmask16 m = k5_tail(cols - c);
            a0 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p + c)),
                                 _mm512_maskz_loadu_ps(m, x + c), a0);
        }
        y[i] = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
    }
}

/* k5_e4m3: 16 E4M3 codes (zero-extended to 32 bits) → f32. */
K512 static inline __m512 k5_e4m3(__m512i b) {
    const __m512i mag = _mm512_and_si512(b, _mm512_set1_epi32(0x7f));
    __m512 v =
        _mm512_mul_ps(_mm512_castsi512_ps(_mm512_slli_epi32(mag, 20)), _mm512_set1_ps(0x1p120f));
    __mmask16 nan = _mm512_cmpeq_epi32_mask(mag, _mm512_set1_epi32(0x7f));
    v = _mm512_mask_blend_ps(nan, v, _mm512_set1_ps(__builtin_nanf("")));
    __m512i sign = _mm512_slli_epi32(_mm512_and_si512(b, _mm512_set1_epi32(0x80)), 24);
    return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(v), sign));
}

K512 static void k5_fp8_rows(const v4_weight *w, int r0, int nr, const float *x, float *y) {
    const int cols = w->cols, bc = w->block_c;
    for (int i = 0; i < nr; i++) {
        int r = r0 + i;
        const uint8_t *p = (const uint8_t *)w->data + (size_t)r * cols;
        const uint8_t *srow = w->scale + (size_t)(r / w->block_r) * w->scale_cols;
        __m512 tot = _mm512_setzero_ps();
        for (int c0 = 0, b = 0; c0 < cols; c0 += bc, b++) {
            int c1 = c0 + bc < cols ? c0 + bc : cols, c = c0;
            __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
            for (; c + 32 <= c1; c += 32) {
                __m512i q0 = _mm512_cvtepu8_epi32(_mm_loadu_si128((const void *)(p + c)));
                __m512i q1 = _mm512_cvtepu8_epi32(_mm_loadu_si128((const void *)(p + c + 16)));
                a0 = _mm512_fmadd_ps(k5_e4m3(q0), _mm512_loadu_ps(x + c), a0);
                a1 = _mm512_fmadd_ps(k5_e4m3(q1), _mm512_loadu_ps(x + c + 16), a1);
            }
            for (; c < c1; c += 16) {
                __mmask16 m = k5_tail(c1 - c);
                __m512i q = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, p + c));
                a0 = _mm512_fmadd_ps(k5_e4m3(q), _mm512_maskz_loadu_ps(m, x + c), a0);
            }
            tot =
                _mm512_fmadd_ps(_mm512_add_ps(a0, a1), _mm512_set1_ps(kern_e8m0_lut[srow[b]]), tot);
        }
        y[i] = _mm512_reduce_add_ps(tot);
    }
}

K512 static void k5_fp4_rows(const v4_weight *w, int r0, int nr, const float *x, float *y) {
    if (w->block_c != 32) {
        kern_scalar_table.rows[FMT_FP4](w, r0, nr, x, y);
        return;
    }
    const int cols = w->cols, nb = cols / 32, tail = cols % 32;
    const __m512 lut = _mm512_loadu_ps(kern_e2m1_lut);
    const __m512i even =
        _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    const __m512i lo4 = _mm512_set1_epi32(0xf);
    for (int i = 0; i < nr; i++) {
        int r = r0 + i;
        const uint8_t *p = (const uint8_t *)w->data + (size_t)r * (cols / 2);
        const uint8_t *srow = w->scale + (size_t)r * w->scale_cols;
        __m512 tot = _mm512_setzero_ps();
        for (int b = 0; b <= nb; b++) {
            int n = b < nb ? 32 : tail; /* columns in this block */
            if (!n) break;
            __mmask16 mb = k5_tail(n / 2); /* bytes of the block */
            __mmask16 m0 = k5_tail(n), m1 = k5_tail(n - 16 > 0 ? n - 16 : 0);
            __m512i q = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(mb, p + b * 16));
            __m512 wl = _mm512_permutexvar_ps(_mm512_and_si512(q, lo4), lut);
            __m512 wh = _mm512_permutexvar_ps(_mm512_srli_epi32(q, 4), lut);
            __m512 x0 = _mm512_maskz_loadu_ps(m0, x + b * 32),
                   x1 = _mm512_maskz_loadu_ps(m1, x + b * 32 + 16);
            __m512 xe = _mm512_permutex2var_ps(x0, even, x1),
                   xo = _mm512_permutex2var_ps(x0, odd, x1);
            __m512 a = _mm512_fmadd_ps(wl, xe, _mm512_mul_ps(wh, xo));
            tot = _mm512_fmadd_ps(a, _mm512_set1_ps(kern_e8m0_lut[srow[b]]), tot);
        }
        y[i] = _mm512_reduce_add_ps(tot);
    }
}

K512 static void k5_qk(const float *q, const float *const *keys, int nk, int d, float scale,
                       float *s) {
    for (int j = 0; j < nk; j++) {
        const float *k = keys[j];
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
        int t = 0;
        for (; t + 32 <= d; t += 32) {
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + t), _mm512_loadu_ps(k + t), a0);
            a1 = _mm512_fmadd_ps(_mm512_loadu_ps(q + t + 16), _mm512_loadu_ps(k + t + 16), a1);
        }
        for (; t < d; t += 16) {
            __mmask16 m = k5_tail(d - t);
            a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + t), _mm512_maskz_loadu_ps(m, k + t),
                                 a0);
        }
        s[j] = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1)) * scale;
    }
}

K512 static void k5_pv(const float *p, const float *const *keys, int nk, int d, float *o) {
    for (int t0 = 0; t0 < d; t0 += 64) { /* 64 output dims in 4 registers */
        __mmask16 m[4];
        for (int g = 0; g < 4; g++) m[g] = k5_tail(d - t0 - 16 * g > 0 ? d - t0 - 16 * g : 0);
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int j = 0; j < nk; j++) {
            const float *k = keys[j] + t0;
            __m512 pj = _mm512_set1_ps(p[j]);
            a0 = _mm512_fmadd_ps(pj, _mm512_maskz_loadu_ps(m[0], k), a0);
            a1 = _mm512_fmadd_ps(pj, _mm512_maskz_loadu_ps(m[1], k + 16), a1);
            a2 = _mm512_fmadd_ps(pj, _mm512_maskz_loadu_ps(m[2], k + 32), a2);
            a3 = _mm512_fmadd_ps(pj, _mm512_maskz_loadu_ps(m[3], k + 48), a3);
        }
        _mm512_mask_storeu_ps(o + t0, m[0], a0);
        _mm512_mask_storeu_ps(o + t0 + 16, m[1], a1);
        _mm512_mask_storeu_ps(o + t0 + 32, m[2], a2);
        _mm512_mask_storeu_ps(o + t0 + 48, m[3], a3);
    }
}

/* k5_exp: e^x for x <= 0 (larger x also fine up to 88), NaN stays NaN; below −87.3 → ~0. */
K512 static inline __m512 k5_exp(__m512 x) {
    x = _mm512_max_ps(_mm512_set1_ps(-87.33654f), x); /* NaN x passes through */
    __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(k, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, k);
}

K512 static float k5_expsum(float *s, int n, float mx) {
    __m512 acc = _mm512_setzero_ps(), m = _mm512_set1_ps(mx);
    for (int j = 0; j < n; j += 16) {
        __mmask16 k = k5_tail(n - j);
        __m512 e = k5_exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, s + j), m));
        _mm512_mask_storeu_ps(s + j, k, e);
        acc = _mm512_mask_add_ps(acc, k, acc, e);
    }
    return _mm512_reduce_add_ps(acc);
}

/* k5_fq8: kern_fq8_plain in 16 lanes (vmaxps returns its second operand for a NaN first one,
 * which is fmaxf's NaN → −448 here). */
K512 static void k5_fq8(float *v, int n, float inv, float s) {
    const __m512 vinv = _mm512_set1_ps(inv), vs = _mm512_set1_ps(s);
    const __m512 magic = _mm512_set1_ps(0x1.8p23f), small = _mm512_set1_ps(0.015625f);
    const __m512i absm = _mm512_set1_epi32(0x7fffffff), keep = _mm512_set1_epi32(~0xfffff);
    for (int i = 0; i < n; i += 16) {
        __mmask16 m = k5_tail(n - i);
        __m512 q = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, v + i), vinv);
        q = _mm512_min_ps(_mm512_max_ps(q, _mm512_set1_ps(-448.0f)), _mm512_set1_ps(448.0f));
        __m512i u = _mm512_castps_si512(q), au = _mm512_and_si512(u, absm);
        __m512i odd = _mm512_and_si512(_mm512_srli_epi32(au, 20), _mm512_set1_epi32(1));
        __m512i nrm = _mm512_and_si512(
            _mm512_add_epi32(_mm512_add_epi32(au, _mm512_set1_epi32(0x7ffff)), odd), keep);
        __m512 a = _mm512_castsi512_ps(au);
        __m512 sub = _mm512_mul_ps(
            _mm512_sub_ps(_mm512_add_ps(_mm512_mul_ps(a, _mm512_set1_ps(512.0f)), magic), magic),
            _mm512_set1_ps(1.0f / 512.0f));
        __mmask16 tiny = _mm512_cmp_ps_mask(a, small, _CMP_LT_OQ);
        __m512i r = _mm512_mask_blend_epi32(tiny, nrm, _mm512_castps_si512(sub));
        r = _mm512_or_si512(r, _mm512_andnot_si512(absm, u));
        _mm512_mask_storeu_ps(v + i, m, _mm512_mul_ps(_mm512_castsi512_ps(r), vs));
    }
}

const kern_table kern_avx512_table = {"avx512",
                                      {k5_f32, k5_bf16_rows, k5_f16_rows, k5_fp8_rows, k5_fp4_rows},
                                      k5_qk,
                                      k5_pv,
                                      k5_expsum,
                                      k5_fq8};
