/*
 * session.c — creation, deep copy (fork/restore), growth and accounting of the per-sequence
 * state declared in session.h. The state is everything a continuation depends on; fork and
 * restore copy exactly that (rings, ring positions, compressor states, the used part of the
 * compressed caches, position, last streams) and never the scratch.
 */
#include "engine/session.h"
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERR(...) do { if (err) snprintf(err, errlen, __VA_ARGS__); } while (0)

static int ls_dims(const v4_model *m, int l, int *wmain, int *rows_main) {
    const v4_layer *L = &m->layers[l];
    *wmain = L->ratio ? L->cmp.w : 0;
    *rows_main = L->ratio ? cmp_state_rows(&L->cmp) : 0;
    return L->ratio;
}

static void ls_free(layer_state *x) {
    free(x->ring); free(x->ring_pos); free(x->sk); free(x->sz); free(x->isk); free(x->isz);
    free(x->cmain); free(x->kidx);
    memset(x, 0, sizeof *x);
}

/* ls_alloc: ring and compressor states of layer l, reset (empty ring, sk = 0, sz = −inf). */
static int ls_alloc(const v4_model *m, int l, layer_state *x) {
    const v4_config *c = &m->cfg;
    const v4_layer *L = &m->layers[l];
    int W = c->window, d = c->head_dim, wm, rm;
    memset(x, 0, sizeof *x);
    x->ring = calloc((size_t)W * d, sizeof(float));
    x->ring_pos = malloc(sizeof(int) * (size_t)W);
    if (!x->ring || !x->ring_pos) return -1;
    for (int i = 0; i < W; i++) x->ring_pos[i] = -1;
    if (ls_dims(m, l, &wm, &rm)) {
        x->sk = malloc(sizeof(float) * (size_t)rm * wm);
        x->sz = malloc(sizeof(float) * (size_t)rm * wm);
        if (!x->sk || !x->sz) return -1;
        cmp_state_reset(&L->cmp, x->sk, x->sz);
    }
    if (L->ratio == 4) {
        size_t n = (size_t)cmp_state_rows(&L->idx_cmp) * L->idx_cmp.w;
        x->isk = malloc(sizeof(float) * n);
        x->isz = malloc(sizeof(float) * n);
        if (!x->isk || !x->isz) return -1;
        cmp_state_reset(&L->idx_cmp, x->isk, x->isz);
    }
    return 0;
}

int ls_reserve(v4_session *s, int l, int need) {
    layer_state *x = &s->ls[l];
    if (need <= x->cap) return 0;
    const v4_config *c = &s->m->cfg;
    int cap = x->cap ? x->cap : 16;
    while (cap < need) cap *= 2;
    float *cm = realloc(x->cmain, sizeof(float) * (size_t)cap * c->head_dim);
    if (!cm) return -1;
    x->cmain = cm;
    if (s->m->layers[l].ratio == 4) {
        float *ki = realloc(x->kidx, sizeof(float) * (size_t)cap * c->index_head_dim);
        if (!ki) return -1;
        x->kidx = ki;
    }
    x->cap = cap;
    return 0;
}

static void work_free(fwd_work *w) {
    free(w->X); free(w->mix); free(w->pre); free(w->post); free(w->comb); free(w->a);
    free(w->f); free(w->xq); free(w->tmp); free(w->qr); free(w->q); free(w->kv); free(w->o);
    free(w->u); free(w->ug); free(w->ckv); free(w->cz); free(w->ikv); free(w->iz); free(w->iq); free(w->iw);
    free(w->ent); free(w->ctk); free(w->ctz); free(w->logit_row); free(w->sel); free(w->selw);
    free(w->tok_list); free(w->ex_w); free(w->ex_in); free(w->ex_h1); free(w->ex_h3); free(w->ex_out);
    free(w->hn); free(w->tokens); free(w->mtp_X); free((void *)w->keys); free(w->sc); free(w->isc);
    free(w->isel); free(w->isc_all); free(w->itile);
    memset(w, 0, sizeof *w);
}

static int imax(int a, int b) { return a > b ? a : b; }

int work_ensure(v4_session *s, int n) {
    fwd_work *w = &s->wk;
    if (n <= w->cap) return 0;
    const v4_config *c = &s->m->cfg;
    int D = c->dim, hc = c->hc_mult, nmix = (2 + hc) * hc, H = c->n_heads, d = c->head_dim;
    int k = c->n_activated_experts, I = c->moe_inter_dim;
    int Is = imax(I, c->n_shared_experts * I);
    int maxcols = imax(imax(D, c->q_lora_rank), imax(H / c->o_groups * d,
                       imax(c->o_groups * c->o_lora_rank, Is)));
    size_t N = (size_t)n;
    /* free the per-token part, keep the per-query attention buffers */
    fwd_work keep = *w;
    w->keys = NULL; w->sc = w->isc = w->isc_all = w->itile = NULL; w->isel = NULL;
    work_free(w);
    w->keys = keep.keys; w->sc = keep.sc; w->isc = keep.isc; w->isel = keep.isel;
    w->attn_cap = keep.attn_cap; w->idx_cap = keep.idx_cap; w->pthreads = keep.pthreads;
    w->isc_all = keep.isc_all; w->itile = keep.itile;
    w->isc_all_cap = keep.isc_all_cap; w->itile_cap = keep.itile_cap;
#define A(p_, cnt_) do { p_ = malloc(sizeof(*p_) * (size_t)(cnt_)); if (!p_) return -1; } while (0)
    A(w->X, N * hc * D); A(w->mix, N * nmix); A(w->pre, N * hc); A(w->post, N * hc);
    A(w->comb, N * hc * hc); A(w->a, N * D); A(w->f, N * D); A(w->xq, N * maxcols);
    A(w->tmp, (size_t)hc * D); A(w->qr, N * c->q_lora_rank); A(w->q, N * H * d);
    A(w->kv, N * d); A(w->o, N * H * d); A(w->u, N * c->o_groups * c->o_lora_rank);
    A(w->ug, N * c->o_groups * c->o_lora_rank);
    A(w->ckv, N * 2 * d); A(w->cz, N * 2 * d); A(w->ikv, N * 2 * c->index_head_dim);
    A(w->iz, N * 2 * c->index_head_dim); A(w->iq, N * c->index_n_heads * c->index_head_dim);
    A(w->iw, N * c->index_n_heads); A(w->ent, (N / 4 + 2) * (size_t)imax(d, c->index_head_dim));
    size_t crows = 128 * (size_t)2 * d > 8 * (size_t)2 * d ? 128 * (size_t)2 * d : 8 * (size_t)2 * d;
    A(w->ctk, crows); A(w->ctz, crows);
    A(w->logit_row, N * c->n_routed_experts); A(w->sel, N * k); A(w->selw, N * k);
    A(w->tok_list, N * k); A(w->ex_w, N * k); A(w->ex_in, N * k * D); A(w->ex_h1, N * k * Is);
    A(w->ex_h3, N * k * Is); A(w->ex_out, N * k * D); A(w->hn, N * D); A(w->tokens, N);
    if (s->m->n_all_layers > c->n_layers) A(w->mtp_X, N * hc * D);
#undef A
    w->cap = n;
    return 0;
}

/* attn_work: per-query buffers sized by the longest context of this session. */
static int attn_work(v4_session *s) {
    const v4_config *c = &s->m->cfg;
    fwd_work *w = &s->wk;
    int ncand = imax(c->index_topk, s->max_tokens / 128 + 1);
    int nidx = s->max_tokens / 4 + 1;
    size_t T = (size_t)(w->pthreads = imax(1, omp_get_max_threads()));
    w->attn_cap = c->window + ncand;
    w->idx_cap = nidx;
    w->keys = malloc(sizeof(*w->keys) * (size_t)w->attn_cap * T);
    w->sc = malloc(sizeof(float) * (size_t)w->attn_cap * c->n_heads * T);
    w->isc = malloc(sizeof(float) * (size_t)nidx * T);
    w->isel = malloc(sizeof(int) * (size_t)nidx * T);
    return w->keys && w->sc && w->isc && w->isel ? 0 : -1;
}

v4_session *v4_session_new(v4_model *m, int max_tokens, char *err, size_t errlen) {
    if (max_tokens > m->cfg.max_position) {
        ERR("session: max_tokens %d exceeds the model's max_position_embeddings %d", max_tokens,
            m->cfg.max_position);
        return NULL;
    }
    if (max_tokens <= 0) max_tokens = m->cfg.max_position;
    v4_session *s = calloc(1, sizeof *s);
    if (!s) { ERR("session: out of memory"); return NULL; }
    s->m = m;
    s->max_tokens = max_tokens;
    s->ls = calloc((size_t)m->n_all_layers, sizeof(layer_state));
    s->last_X = calloc((size_t)m->cfg.hc_mult * m->cfg.dim, sizeof(float));
    s->mtp_prev = calloc((size_t)m->cfg.hc_mult * m->cfg.dim, sizeof(float));
    int ok = s->ls && s->last_X && s->mtp_prev && attn_work(s) == 0 && work_ensure(s, 1) == 0;
    for (int l = 0; ok && l < m->n_all_layers; l++) ok = ls_alloc(m, l, &s->ls[l]) == 0;
    if (!ok) {
        ERR("session: out of memory (max_tokens %d)", max_tokens);
        v4_session_free(s);
        return NULL;
    }
    return s;
}

void v4_session_free(v4_session *s) {
    if (!s) return;
    for (int l = 0; s->ls && l < s->m->n_all_layers; l++) ls_free(&s->ls[l]);
    free(s->ls);
    free(s->last_X);
    free(s->mtp_prev);
    work_free(&s->wk);
    free(s);
}

/* ls_copy: dst ← src for layer l (dst already allocated with the same dims). */
static int ls_copy(v4_session *ds, const v4_session *ss, int l) {
    const v4_model *m = ss->m;
    const v4_config *c = &m->cfg;
    const v4_layer *L = &m->layers[l];
    layer_state *d = &ds->ls[l];
    const layer_state *x = &ss->ls[l];
    int W = c->window;
    memcpy(d->ring, x->ring, sizeof(float) * (size_t)W * c->head_dim);
    memcpy(d->ring_pos, x->ring_pos, sizeof(int) * (size_t)W);
    if (L->ratio) {
        size_t n = (size_t)cmp_state_rows(&L->cmp) * L->cmp.w;
        memcpy(d->sk, x->sk, sizeof(float) * n);
        memcpy(d->sz, x->sz, sizeof(float) * n);
        if (ls_reserve(ds, l, x->n_main)) return -1;
        if (x->n_main) /* cmain may still be NULL: nothing emitted yet */
            memcpy(d->cmain, x->cmain, sizeof(float) * (size_t)x->n_main * c->head_dim);
    }
    if (L->ratio == 4) {
        size_t n = (size_t)cmp_state_rows(&L->idx_cmp) * L->idx_cmp.w;
        memcpy(d->isk, x->isk, sizeof(float) * n);
        memcpy(d->isz, x->isz, sizeof(float) * n);
        if (x->n_idx)
            memcpy(d->kidx, x->kidx, sizeof(float) * (size_t)x->n_idx * c->index_head_dim);
    }
    d->n_main = x->n_main;
    d->n_idx = x->n_idx;
    return 0;
}

int v4_session_restore(v4_session *dst, const v4_session *src) {
    if (dst == src) return 0;
    if (dst->m != src->m || dst->max_tokens < src->pos) return -1;
    for (int l = 0; l < src->m->n_all_layers; l++)
        if (ls_copy(dst, src, l)) return -1;
    dst->pos = src->pos;
    dst->has_last = src->has_last;
    dst->mtp_track = src->mtp_track;
    memcpy(dst->last_X, src->last_X, sizeof(float) * (size_t)src->m->cfg.hc_mult * src->m->cfg.dim);
    return 0;
}

v4_session *v4_session_fork(const v4_session *s) {
    v4_session *f = v4_session_new(s->m, s->max_tokens, NULL, 0);
    if (!f) return NULL;
    if (v4_session_restore(f, s)) { v4_session_free(f); return NULL; }
    return f;
}

int v4_session_pos(const v4_session *s) { return s->pos; }

size_t v4_session_topk_trace_len(const v4_session *s) {
    const v4_config *c = &s->m->cfg;
    return (size_t)c->n_layers * s->max_tokens * (c->index_topk > 0 ? c->index_topk : 0);
}

void v4_session_trace_topk(v4_session *s, int32_t *buf) {
    s->topk_trace = buf;
    size_t n = v4_session_topk_trace_len(s);
    for (size_t i = 0; buf && i < n; i++) buf[i] = -1;
}

void v4_session_set_mtp(v4_session *s, int on) {
    s->mtp_track = on && s->m->n_all_layers > s->m->cfg.n_layers;
}

void v4_session_profile(const v4_session *s, v4_profile *out) {
    out->flops = s->ctr.flops;
    out->weight_bytes = s->ctr.weight_bytes;
    out->kv_bytes = s->kv_bytes;
    out->seconds = s->seconds;
    out->tokens = s->tokens;
}

void v4_session_profile_reset(v4_session *s) {
    memset(&s->ctr, 0, sizeof s->ctr);
    s->kv_bytes = 0;
    s->seconds = 0;
    s->tokens = 0;
}

int64_t v4_session_state_bytes(const v4_session *s) {
    const v4_model *m = s->m;
    const v4_config *c = &m->cfg;
    int64_t b = 0;
    for (int l = 0; l < m->n_all_layers; l++) {
        const v4_layer *L = &m->layers[l];
        const layer_state *x = &s->ls[l];
        b += (int64_t)c->window * c->head_dim * 4 + (int64_t)c->window * (int64_t)sizeof(int);
        if (L->ratio) {
            b += (int64_t)cmp_state_rows(&L->cmp) * L->cmp.w * 8;
            b += (int64_t)x->n_main * c->head_dim * 4;
        }
        if (L->ratio == 4) {
            b += (int64_t)cmp_state_rows(&L->idx_cmp) * L->idx_cmp.w * 8;
            b += (int64_t)x->n_idx * c->index_head_dim * 4;
        }
    }
    return b;
}
