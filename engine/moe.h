/*
 * moe.h — the V4 MoE block (spec §11): router with sqrt-softplus scores, bias used for
 * selection only (learned layers) or token-id hash routing via tid2eid (the first
 * num_hash_layers layers), renormalised weights × route_scale, routed experts and the shared
 * expert, both clamped SwiGLU. Works on n tokens at once: tokens are grouped per expert so each
 * expert is one GEMM over its rows (one matvec per expert when n == 1).
 */
#ifndef V4_MOE_H
#define V4_MOE_H

#include "engine/session.h"

/* moe_route: expert ids sel[k] and weights wt[k] of one token from router logits u[E]
 * (u is overwritten with the scores). tok is used on hash layers. */
void moe_route(const v4_config *c, const v4_layer *L, float *u, int tok, int *sel, float *wt);

/* moe_forward: out[n][D] = Σ_k g_k·expert_k(a) + shared(a) for rows a[n][D] with token ids
 * toks[n]. Uses s->wk scratch sized for n tokens. */
void moe_forward(v4_session *s, const v4_layer *L, const float *a, const int *toks, int n,
                 float *out);

#endif /* V4_MOE_H */
