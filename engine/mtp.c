/*
 * mtp.c — the Multi-Token Prediction block (spec §12). Input: the final mHC streams of a
 * position p and the embedding of the token that follows it. e = RMSNorm(Embed[next]; enorm),
 * x_i = RMSNorm(X_i; hnorm), X'_i = e_proj·e + h_proj·x_i, then one full block (SWA-only
 * attention at position p with the MTP block's own ring in the session, learned-routing MoE),
 * then the MTP hc_head + norm and the shared head. The main sequence never advances here; the
 * MTP ring slot of position p is (re)written, so running the block at every position (calls at
 * each step, or v4_session_set_mtp tracking) reproduces the reference's MTP pass.
 */
#include <stdio.h>
#include <string.h>
#include "engine/forward.h"
#include "engine/mtp.h"
#include "engine/vecops.h"

#define ERR(...) do { if (err) snprintf(err, errlen, __VA_ARGS__); } while (0)

int mtp_rows(v4_session *s, const float *first, const float *rest, const int *toks, int n,
             int p0) {
    v4_model *m = s->m;
    const v4_config *c = &m->cfg;
    fwd_work *w = &s->wk;
    const v4_layer *L = &m->layers[c->n_layers];
    int D = c->dim, hc = c->hc_mult;
    float eps = (float)c->norm_eps, *X = w->mtp_X;
    for (int i = 0; i < n; i++) {               /* e = e_proj · enorm(embed[next]) → w->f */
        fmt_dequant_row(&m->embed, toks[i], w->a + (size_t)i * D);
        vec_rmsnorm(w->a + (size_t)i * D, w->a + (size_t)i * D, L->enorm, D, eps);
    }
    model_linear(m, &L->e_proj, 0, D, w->a, n, w->f, w->xq, &s->ctr);
    for (int h = 0; h < hc; h++) {              /* stream h of every row: h_proj · hnorm(X_h) */
        for (int i = 0; i < n; i++) {
            const float *src = (i == 0 ? first : rest + (size_t)(i - 1) * hc * D) + (size_t)h * D;
            vec_rmsnorm(w->a + (size_t)i * D, src, L->hnorm, D, eps);
        }
        model_linear(m, &L->h_proj, 0, D, w->a, n, w->hn, w->xq, &s->ctr);
        for (int i = 0; i < n; i++) {
            float *x = X + ((size_t)i * hc + h) * D;
            const float *hp = w->hn + (size_t)i * D, *e = w->f + (size_t)i * D;
            for (int t = 0; t < D; t++) x[t] = hp[t] + e[t];
        }
    }
    return fwd_block(s, c->n_layers, X, toks, n, p0, n > 1);
}

int v4_mtp_logits(v4_session *s, int32_t next_token, float *logits, char *err, size_t errlen) {
    v4_model *m = s->m;
    const v4_config *c = &m->cfg;
    if (m->n_all_layers <= c->n_layers) { ERR("mtp: the model has no MTP block"); return -1; }
    if (!s->has_last) { ERR("mtp: no token consumed yet (need the final streams of one)"); return -1; }
    if (next_token < 0 || next_token >= c->vocab_size) {
        ERR("mtp: token id %d outside [0,%d)", next_token, c->vocab_size);
        return -1;
    }
    const v4_layer *L = &m->layers[c->n_layers];
    int tok = next_token;
    if (mtp_rows(s, s->last_X, NULL, &tok, 1, s->pos - 1)) { ERR("mtp: out of memory"); return -1; }
    if (logits) fwd_head(s, &L->hc_head, L->mnorm, s->wk.mtp_X, 1, logits);
    return 0;
}
