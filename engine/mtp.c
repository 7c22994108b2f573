/*
 * mtp.c — the Multi-Token Prediction block (spec §12). Input: the final mHC streams of the last
 * consumed position p (s->last_X) and the embedding of the next token. e = RMSNorm(Embed[next];
 * enorm), x_i = RMSNorm(X_i; hnorm), X'_i = e_proj·e + h_proj·x_i, then one full block (SWA-only
 * attention at position p with the MTP block's own ring in the session, learned-routing MoE),
 * then the MTP hc_head + norm and the shared head. The main sequence does not advance; the MTP
 * ring slot of position p is (re)written, so calling it at every position reproduces the
 * reference's MTP pass over a whole sequence.
 */
#include <stdio.h>
#include <string.h>
#include "engine/forward.h"
#include "engine/vecops.h"

#define ERR(...) do { if (err) snprintf(err, errlen, __VA_ARGS__); } while (0)

int v4_mtp_logits(v4_session *s, int32_t next_token, float *logits, char *err, size_t errlen) {
    v4_model *m = s->m;
    const v4_config *c = &m->cfg;
    fwd_work *w = &s->wk;
    if (m->n_all_layers <= c->n_layers) { ERR("mtp: the model has no MTP block"); return -1; }
    if (!s->has_last) { ERR("mtp: no token consumed yet (need the final streams of one)"); return -1; }
    if (next_token < 0 || next_token >= c->vocab_size) {
        ERR("mtp: token id %d outside [0,%d)", next_token, c->vocab_size);
        return -1;
    }
    const v4_layer *L = &m->layers[c->n_layers];
    int D = c->dim, hc = c->hc_mult, p = s->pos - 1, tok = next_token;
    float eps = (float)c->norm_eps;
    float *X = w->X, *e = w->f, *hproj = w->tmp;    /* X [hc][D], e [D], hproj [hc][D] */
    fmt_dequant_row(&m->embed, tok, w->a);
    vec_rmsnorm(w->a, w->a, L->enorm, D, eps);
    model_linear(m, &L->e_proj, 0, D, w->a, 1, e, w->xq, &s->ctr);
    for (int i = 0; i < hc; i++)
        vec_rmsnorm(X + (size_t)i * D, s->last_X + (size_t)i * D, L->hnorm, D, eps);
    for (int i = 0; i < hc; i++)
        model_linear(m, &L->h_proj, 0, D, X + (size_t)i * D, 1, hproj + (size_t)i * D, w->xq,
                     &s->ctr);
    for (int i = 0; i < hc; i++)
        for (int t = 0; t < D; t++) X[(size_t)i * D + t] = hproj[(size_t)i * D + t] + e[t];
    if (fwd_block(s, c->n_layers, X, &tok, 1, p, 0)) { ERR("mtp: out of memory"); return -1; }
    if (logits) fwd_head(s, &L->hc_head, L->mnorm, X, 1, logits);
    return 0;
}
