/*
 * moe.c — router and experts (see moe.h). Numerics: router logits in fp32, score
 * s = sqrt(softplus(u)) (softplus(u) = u for u > 20), top-k by s + bias through topk_select
 * then ordered by descending key (ties: lower expert id first); SwiGLU: g = min(w1·a, L),
 * v = clamp(w3·a, −L, L), h = silu(g)·v, routed h scaled by its weight before w2.
 */
#include "engine/moe.h"
#include <math.h>
#include <string.h>
#include "engine/attention.h"
#include "engine/vecops.h"

static float softplusf_(float u) { return u > 20.0f ? u : log1pf(expf(u)); }

void moe_route(const v4_config *c, const v4_layer *L, float *u, int tok, int *sel, float *wt) {
    int E = c->n_routed_experts, k = c->n_activated_experts;
    float key[1024];
    int idx[1024];
    for (int e = 0; e < E; e++) u[e] = sqrtf(softplusf_(u[e]));
    if (L->hash) {
        for (int j = 0; j < k; j++) sel[j] = model_tid2eid(L, tok, j);
    } else {
        for (int e = 0; e < E; e++) key[e] = u[e] + (L->gate_bias ? L->gate_bias[e] : 0.0f);
        topk_select(key, E, k, idx);
        for (int j = 0; j < k; j++) sel[j] = idx[j];
    }
    double sum = 0;
    for (int j = 0; j < k; j++) { wt[j] = u[sel[j]]; sum += wt[j]; }
    for (int j = 0; j < k; j++) {
        if (c->norm_topk_prob && sum > 0) wt[j] = (float)(wt[j] / sum);
        wt[j] *= (float)c->route_scale;
    }
}

/* swiglu: h1[n][I] ← silu(min(h1, lim)) · clamp(h3, −lim, lim) (lim <= 0: no clamp), then
 * scaled by rw[row] when rw != NULL. */
static void swiglu(float *h1, const float *h3, int n, int I, float lim, const float *rw) {
    for (int i = 0; i < n; i++)
        for (int t = 0; t < I; t++) {
            size_t q = (size_t)i * I + t;
            float g = h1[q], v = h3[q];
            if (lim > 0) {
                if (g > lim) g = lim;
                if (v > lim) v = lim;
                if (v < -lim) v = -lim;
            }
            h1[q] = vec_silu(g) * v * (rw ? rw[i] : 1.0f);
        }
}

void moe_forward(v4_session *s, const v4_layer *L, const float *a, const int *toks, int n,
                 float *out) {
    const v4_model *m = s->m;
    const v4_config *c = &m->cfg;
    fwd_work *w = &s->wk;
    int D = c->dim, E = c->n_routed_experts, k = c->n_activated_experts, I = c->moe_inter_dim;
    float lim = (float)c->swiglu_limit;
    model_linear(m, &L->gate, 0, E, a, n, w->logit_row, w->xq, &s->ctr);   /* [n][E] */
    for (int i = 0; i < n; i++)
        moe_route(c, L, w->logit_row + (size_t)i * E, toks[i], w->sel + (size_t)i * k,
                  w->selw + (size_t)i * k);
    /* shared expert on all rows */
    if (L->shared_inter) {
        int Is = L->shared_inter;
        model_linear(m, &L->sw1, 0, Is, a, n, w->ex_h1, w->xq, &s->ctr);
        model_linear(m, &L->sw3, 0, Is, a, n, w->ex_h3, w->xq, &s->ctr);
        swiglu(w->ex_h1, w->ex_h3, n, Is, lim, NULL);
        model_linear(m, &L->sw2, 0, D, w->ex_h1, n, out, w->xq, &s->ctr);
    } else {
        memset(out, 0, sizeof(float) * (size_t)n * D);
    }
    /* routed experts, grouped: rows of tokens that picked expert e, with their weights */
    for (int e = 0; e < E; e++) {
        int cnt = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < k; j++)
                if (w->sel[(size_t)i * k + j] == e) {
                    w->tok_list[cnt] = i;
                    w->ex_w[cnt] = w->selw[(size_t)i * k + j];
                    memcpy(w->ex_in + (size_t)cnt * D, a + (size_t)i * D, sizeof(float) * D);
                    cnt++;
                }
        if (!cnt) continue;
        model_linear(m, &L->w1[e], 0, I, w->ex_in, cnt, w->ex_h1, w->xq, &s->ctr);
        model_linear(m, &L->w3[e], 0, I, w->ex_in, cnt, w->ex_h3, w->xq, &s->ctr);
        swiglu(w->ex_h1, w->ex_h3, cnt, I, lim, w->ex_w);
        model_linear(m, &L->w2[e], 0, D, w->ex_h1, cnt, w->ex_out, w->xq, &s->ctr);
        for (int r = 0; r < cnt; r++) {
            float *o = out + (size_t)w->tok_list[r] * D;
            const float *y = w->ex_out + (size_t)r * D;
            for (int t = 0; t < D; t++) o[t] += y[t];
        }
    }
}
