/*
 * mhc.c — mHC coefficients, Sinkhorn, collapse and expansion (spec §4.2–§4.4), all in fp32
 * (double accumulators where sums run over D). Orientation invariant: comb is row-major [i][j]
 * and the new stream j sums comb[i][j]·X_i over the first index (X' = combᵀ X).
 */
#include "engine/mhc.h"
#include <math.h>
#include <string.h>

static float sigmoidf_(float x) { return 1.0f / (1.0f + expf(-x)); }

float mhc_rms_scale(const float *x, int n, float eps) {
    double ss = 0;
    for (int i = 0; i < n; i++) ss += (double)x[i] * x[i];
    return (float)(1.0 / sqrt(ss / n + eps));
}

void mhc_sinkhorn(float *c, int hc, int iters, float eps) {
    for (int i = 0; i < hc; i++) {          /* row softmax + eps */
        float *r = c + i * hc, mx = r[0], s = 0;
        for (int j = 1; j < hc; j++) mx = r[j] > mx ? r[j] : mx;
        for (int j = 0; j < hc; j++) { r[j] = expf(r[j] - mx); s += r[j]; }
        for (int j = 0; j < hc; j++) r[j] = r[j] / s + eps;
    }
    for (int it = 0; it < iters; it++) {
        if (it > 0)                         /* row normalisation */
            for (int i = 0; i < hc; i++) {
                float s = 0;
                for (int j = 0; j < hc; j++) s += c[i * hc + j];
                for (int j = 0; j < hc; j++) c[i * hc + j] /= s + eps;
            }
        for (int j = 0; j < hc; j++) {      /* column normalisation */
            float s = 0;
            for (int i = 0; i < hc; i++) s += c[i * hc + j];
            for (int i = 0; i < hc; i++) c[i * hc + j] /= s + eps;
        }
    }
}

void mhc_coeffs(const float *mix, float rho, const float *scale, const float *base, int hc,
                int iters, float eps, float *pre, float *post, float *comb) {
    for (int i = 0; i < hc; i++) {
        pre[i] = sigmoidf_(mix[i] * rho * scale[0] + base[i]) + eps;
        post[i] = 2.0f * sigmoidf_(mix[hc + i] * rho * scale[1] + base[hc + i]);
    }
    for (int k = 0; k < hc * hc; k++) comb[k] = mix[2 * hc + k] * rho * scale[2] + base[2 * hc + k];
    mhc_sinkhorn(comb, hc, iters, eps);
}

void mhc_collapse(const float *X, const float *pre, int hc, int D, float *y) {
    for (int d = 0; d < D; d++) {
        float s = 0;
        for (int i = 0; i < hc; i++) s += pre[i] * X[(size_t)i * D + d];
        y[d] = s;
    }
}

void mhc_post(float *X, const float *f, const float *post, const float *comb, int hc, int D,
              float *tmp) {
    memcpy(tmp, X, sizeof(float) * (size_t)hc * D);
    for (int j = 0; j < hc; j++) {
        float *xj = X + (size_t)j * D;
        for (int d = 0; d < D; d++) {
            float s = post[j] * f[d];
            for (int i = 0; i < hc; i++) s += comb[i * hc + j] * tmp[(size_t)i * D + d];
            xj[d] = s;
        }
    }
}

void mhc_head_pre(const float *mix, float rho, float scale0, const float *base, int hc, float eps,
                  float *pre) {
    for (int i = 0; i < hc; i++) pre[i] = sigmoidf_(mix[i] * rho * scale0 + base[i]) + eps;
}
