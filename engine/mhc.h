/*
 * mhc.h — Manifold-Constrained Hyper-Connections (spec §4): the per-token mixing coefficients
 * (pre, post and the doubly stochastic comb matrix from a 20-step Sinkhorn), the collapse of the
 * hc streams into one sub-layer input, the expansion back (with comb transposed) and the final
 * head collapse. Streams are fp32 [hc][D]. The hc_fn product (the only O(D) part) is done by the
 * caller through the format dispatch; these functions take its result `mix`.
 */
#ifndef V4_MHC_H
#define V4_MHC_H

#define MHC_MAX_HC 8

/* mhc_rms_scale: ρ = 1/sqrt(mean(x²) + eps) over the n values of x (all streams). */
float mhc_rms_scale(const float *x, int n, float eps);

/* mhc_coeffs: from mix[(2+hc)·hc] (= fn·x̄, NOT yet scaled by ρ), ρ, scale[3], base[(2+hc)·hc]:
 * pre[hc] = sigmoid(s0·ρ·mix_i + b_i) + eps, post[hc] = 2·sigmoid(s1·ρ·mix + b),
 * comb[hc][hc] = Sinkhorn(s2·ρ·mix + b) with `iters` steps (row softmax + eps, column
 * normalisation, then iters−1 × (row, column)). */
void mhc_coeffs(const float *mix, float rho, const float *scale, const float *base, int hc,
                int iters, float eps, float *pre, float *post, float *comb);

/* mhc_sinkhorn: in place on c[hc][hc] (logits in, doubly stochastic out), as above. */
void mhc_sinkhorn(float *c, int hc, int iters, float eps);

/* mhc_collapse: y[D] = Σ_i pre_i · X_i. */
void mhc_collapse(const float *X, const float *pre, int hc, int D, float *y);

/* mhc_post: X'_j = post_j · f + Σ_i comb[i][j] · X_i, in place on X[hc][D]. tmp[hc·D] scratch. */
void mhc_post(float *X, const float *f, const float *post, const float *comb, int hc, int D,
              float *tmp);

/* mhc_head_pre: pre_i = sigmoid(scale0·ρ·mix_i + base_i) + eps (no Sinkhorn, no post). */
void mhc_head_pre(const float *mix, float rho, float scale0, const float *base, int hc, float eps,
                  float *pre);

#endif /* V4_MHC_H */
