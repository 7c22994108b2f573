/*
 * vecops.h — small fp32 vector helpers shared by the forward-pass modules (RMSNorm, dot,
 * axpy, SiLU). Static inline, no allocation; sums of length-D reductions run in double so that
 * results do not depend on the order in which decode and prefill visit the data.
 */
#ifndef V4_VECOPS_H
#define V4_VECOPS_H

#include <math.h>
#include <stddef.h>

/* vec_rmsnorm: out[n] = w ⊙ x / sqrt(mean(x²) + eps); w == NULL means unweighted. out may be x. */
static inline void vec_rmsnorm(float *out, const float *x, const float *w, int n, float eps) {
    double ss = 0;
    for (int i = 0; i < n; i++) ss += (double)x[i] * x[i];
    float r = (float)(1.0 / sqrt(ss / n + eps));
    for (int i = 0; i < n; i++) out[i] = (w ? w[i] : 1.0f) * (x[i] * r);
}

/* vec_dot: Σ a_i b_i (double accumulator). */
static inline float vec_dot(const float *a, const float *b, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += (double)a[i] * b[i];
    return (float)s;
}

static inline float vec_silu(float x) { return x / (1.0f + expf(-x)); }

#endif /* V4_VECOPS_H */
