/*
 * forward.c — the DeepSeek-V4 forward pass (spec §2). Two drivers over the same blocks:
 *   forward()        one token, read top to bottom like llama2.c's run.c (decode);
 *   prefill_chunk()  a chunk of n tokens layer-major, every projection one GEMM (fmt_matmul)
 *                    and the compressors driven per chunk.
 * Both update the session identically, so any chunking gives the decode logits up to float
 * reassociation. Timing and token counts go to the session's profile; FLOPs and weight bytes
 * come from the format dispatch through s->ctr.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "engine/attention.h"
#include "engine/forward.h"
#include "engine/mhc.h"
#include "engine/moe.h"
#include "engine/mtp.h"
#include "engine/vecops.h"

#define ERR(...) do { if (err) snprintf(err, errlen, __VA_ARGS__); } while (0)

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void fwd_embed(v4_session *s, const int *toks, int n, float *X) {
    const v4_config *c = &s->m->cfg;
    int D = c->dim, hc = c->hc_mult;
    for (int i = 0; i < n; i++) {
        float *x = X + (size_t)i * hc * D;
        fmt_dequant_row(&s->m->embed, toks[i], x);
        for (int h = 1; h < hc; h++) memcpy(x + (size_t)h * D, x, sizeof(float) * D);
    }
    s->ctr.weight_bytes += (double)n * fmt_weight_bytes(&s->m->embed) / c->vocab_size;
}

void fwd_hc_pre(v4_session *s, const mhc_site *site, const float *X, int n, const float *norm_w,
                float *a) {
    const v4_config *c = &s->m->cfg;
    fwd_work *w = &s->wk;
    int D = c->dim, hc = c->hc_mult, nmix = (2 + hc) * hc;
    float eps = (float)c->hc_eps;
    model_linear(s->m, &site->fn, 0, nmix, X, n, w->mix, w->xq, &s->ctr);
    for (int i = 0; i < n; i++) {
        const float *x = X + (size_t)i * hc * D;
        float rho = mhc_rms_scale(x, hc * D, (float)c->norm_eps);
        float *pre = w->pre + (size_t)i * hc;
        mhc_coeffs(w->mix + (size_t)i * nmix, rho, site->scale, site->base, hc,
                   c->hc_sinkhorn_iters, eps, pre, w->post + (size_t)i * hc,
                   w->comb + (size_t)i * hc * hc);
        float *ai = a + (size_t)i * D;
        mhc_collapse(x, pre, hc, D, ai);
        vec_rmsnorm(ai, ai, norm_w, D, (float)c->norm_eps);
    }
}

void fwd_hc_post(v4_session *s, float *X, const float *f, int n) {
    const v4_config *c = &s->m->cfg;
    fwd_work *w = &s->wk;
    int D = c->dim, hc = c->hc_mult;
    for (int i = 0; i < n; i++)
        mhc_post(X + (size_t)i * hc * D, f + (size_t)i * D, w->post + (size_t)i * hc,
                 w->comb + (size_t)i * hc * hc, hc, D, w->tmp);
}

int fwd_block(v4_session *s, int l, float *X, const int *toks, int n, int p0, int prefill) {
    const v4_layer *L = &s->m->layers[l];
    fwd_work *w = &s->wk;
    fwd_hc_pre(s, &L->hc_attn, X, n, L->attn_norm, w->a);          /* attention sub-block */
    int rc = prefill ? attn_prefill(s, l, w->a, n, p0, w->f) : attn_decode(s, l, w->a, p0, w->f);
    if (rc) return rc;
    fwd_hc_post(s, X, w->f, n);
    fwd_hc_pre(s, &L->hc_ffn, X, n, L->ffn_norm, w->a);            /* MoE sub-block */
    moe_forward(s, L, w->a, toks, n, w->f);
    fwd_hc_post(s, X, w->f, n);
    return 0;
}

void fwd_head(v4_session *s, const mhc_site *hc_head, const float *norm, const float *X, int n,
              float *logits) {
    const v4_model *m = s->m;
    const v4_config *c = &m->cfg;
    fwd_work *w = &s->wk;
    int D = c->dim, hc = c->hc_mult;
    model_linear(m, &hc_head->fn, 0, hc, X, n, w->mix, w->xq, &s->ctr);
    for (int i = 0; i < n; i++) {
        const float *x = X + (size_t)i * hc * D;
        float rho = mhc_rms_scale(x, hc * D, (float)c->norm_eps), pre[MHC_MAX_HC];
        mhc_head_pre(w->mix + (size_t)i * hc, rho, hc_head->scale[0], hc_head->base, hc,
                     (float)c->hc_eps, pre);
        float *h = w->hn + (size_t)i * D;
        mhc_collapse(x, pre, hc, D, h);
        vec_rmsnorm(h, h, norm, D, (float)c->norm_eps);
    }
    model_linear(m, &m->head, 0, c->vocab_size, w->hn, n, logits, w->xq, &s->ctr);
}

/* forward: one token at position s->pos (decode). */
static int forward(v4_session *s, int token, float *logits) {
    v4_model *m = s->m;
    const v4_config *c = &m->cfg;
    float *X = s->wk.X;                       /* [hc][D] the residual streams */
    int p = s->pos;
    if (s->mtp_track && s->has_last &&       /* MTP tracking: the block at p−1 sees this token */
        mtp_rows(s, s->last_X, NULL, &token, 1, p - 1))
        return -1;
    fwd_embed(s, &token, 1, X);               /* 4 copies of the embedding row */
    for (int l = 0; l < c->n_layers; l++)     /* attention + MoE, each inside mHC */
        if (fwd_block(s, l, X, &token, 1, p, 0)) return -1;
    memcpy(s->last_X, X, sizeof(float) * (size_t)c->hc_mult * c->dim);   /* MTP input */
    s->has_last = 1;
    if (logits) fwd_head(s, &m->hc_head, m->norm, X, 1, logits);
    s->pos++;
    return 0;
}

/* prefill_chunk: n tokens at positions s->pos.., layer-major. logits_all [n][V] or NULL;
 * logits_last [V] or NULL. */
static int prefill_chunk(v4_session *s, const int32_t *tokens, int n, float *logits_all,
                         float *logits_last) {
    v4_model *m = s->m;
    const v4_config *c = &m->cfg;
    fwd_work *w = &s->wk;
    int D = c->dim, hc = c->hc_mult, p0 = s->pos;
    for (int i = 0; i < n; i++) w->tokens[i] = tokens[i];
    int mtp_prev = s->mtp_track && s->has_last;   /* position p0−1 awaits its MTP step */
    if (mtp_prev) memcpy(s->mtp_prev, s->last_X, sizeof(float) * (size_t)hc * D);
    fwd_embed(s, w->tokens, n, w->X);
    for (int l = 0; l < c->n_layers; l++)
        if (fwd_block(s, l, w->X, w->tokens, n, p0, 1)) return -1;
    const float *Xlast = w->X + (size_t)(n - 1) * hc * D;
    memcpy(s->last_X, Xlast, sizeof(float) * (size_t)hc * D);
    s->has_last = 1;
    if (logits_all) {
        fwd_head(s, &m->hc_head, m->norm, w->X, n, logits_all);
        if (logits_last)
            memcpy(logits_last, logits_all + (size_t)(n - 1) * c->vocab_size,
                   sizeof(float) * c->vocab_size);
    } else if (logits_last) {
        fwd_head(s, &m->hc_head, m->norm, Xlast, 1, logits_last);
    }
    /* MTP tracking: positions p0−1 (if pending) .. p0+n−2, each with the token after it */
    if (mtp_prev && mtp_rows(s, s->mtp_prev, w->X, w->tokens, n, p0 - 1)) return -1;
    if (!mtp_prev && s->mtp_track && n > 1 &&
        mtp_rows(s, w->X, w->X + (size_t)hc * D, w->tokens + 1, n - 1, p0))
        return -1;
    s->pos += n;
    return 0;
}

static int check_tokens(const v4_session *s, const int32_t *t, int n, char *err, size_t errlen) {
    if (n < 0 || s->pos + n > s->max_tokens) {
        ERR("session: %d more tokens at position %d exceed the session's max_tokens %d", n,
            s->pos, s->max_tokens);
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (t[i] < 0 || t[i] >= s->m->cfg.vocab_size) {
            ERR("tokens: id %d at index %d outside [0,%d)", t[i], i, s->m->cfg.vocab_size);
            return -1;
        }
    return 0;
}

int v4_decode(v4_session *s, int32_t token, float *logits, char *err, size_t errlen) {
    if (check_tokens(s, &token, 1, err, errlen)) return -1;
    double t0 = now_s();
    int rc = forward(s, token, logits);
    s->seconds += now_s() - t0;
    s->tokens++;
    if (rc) ERR("decode: out of memory at position %d", s->pos);
    return rc;
}

int v4_prefill(v4_session *s, const int32_t *tokens, int n, int chunk, float *logits_all,
               float *logits_last, char *err, size_t errlen) {
    if (check_tokens(s, tokens, n, err, errlen)) return -1;
    if (n == 0) return 0;
    if (chunk <= 0 || chunk > n) chunk = n;
    if (work_ensure(s, chunk)) { ERR("prefill: out of memory for a chunk of %d", chunk); return -1; }
    double t0 = now_s();
    int V = s->m->cfg.vocab_size, rc = 0;
    for (int i = 0; i < n && !rc; i += chunk) {
        int k = n - i < chunk ? n - i : chunk;
        rc = prefill_chunk(s, tokens + i, k, logits_all ? logits_all + (size_t)i * V : NULL,
                           i + k == n ? logits_last : NULL);
        s->tokens += k;
    }
    s->seconds += now_s() - t0;
    if (rc) ERR("prefill: out of memory at position %d", s->pos);
    return rc;
}
