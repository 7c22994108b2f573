/*
 * forward.h — internal pieces of the forward pass shared by forward.c (main model) and mtp.c
 * (MTP block): mHC sites over n rows, one transformer block over n rows, and the head.
 */
#ifndef V4_FORWARD_H
#define V4_FORWARD_H

#include "engine/session.h"

/* fwd_hc_pre: for rows X[n][hc][D]: mixing coefficients of `site` into w->pre/post/comb and
 * a[n][D] = RMSNorm(Σ_i pre_i X_i; norm_w). */
void fwd_hc_pre(v4_session *s, const mhc_site *site, const float *X, int n, const float *norm_w,
                float *a);
/* fwd_hc_post: X[n] ← post ⊗ f + combᵀ X with the coefficients of the last fwd_hc_pre. */
void fwd_hc_post(v4_session *s, float *X, const float *f, int n);
/* fwd_block: layer l on rows X[n][hc][D] at positions p0.., token ids toks[n]; decode (n == 1
 * and prefill == 0) uses the streaming attention, otherwise the chunked one. 0 or -1 (OOM). */
int fwd_block(v4_session *s, int l, float *X, const int *toks, int n, int p0, int prefill);
/* fwd_head: logits[n][V] = head · RMSNorm(hc_head(X); norm) for rows X[n][hc][D]. */
void fwd_head(v4_session *s, const mhc_site *hc_head, const float *norm, const float *X, int n,
              float *logits);
/* fwd_embed: X[n][hc][D] = hc copies of Embed[toks[i]]. */
void fwd_embed(v4_session *s, const int *toks, int n, float *X);

#endif /* V4_FORWARD_H */
