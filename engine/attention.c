/*
 * attention.c — see attention.h. Layout conventions: q[row][H][d]; kv[row][d] (K = V, RoPE on
 * the last rope_dim dims, nope dims FQ8-quantised under QAT); attention outputs are written
 * group-major o[G][rows][(H/G)·d] so each group's wo_a product is one contiguous GEMM.
 * Visibility (same for decode and prefill): window positions max(0, p−W+1)..p; compressed entry
 * j visible iff j < floor((p+1)/m); CSA picks top-k of the visible indexer scores.
 */
#include "engine/attention.h"
#include <math.h>
#include <string.h>
#include "engine/vecops.h"

/* ---- top-k ------------------------------------------------------------------------------- */

/* topk_better: the total order of the selection: higher score first, NaN last, and on equal
 * scores the lower index first (as a stable descending sort). */
static int topk_better(const float *sc, int a, int b) {
    float x = isnan(sc[a]) ? -INFINITY : sc[a], y = isnan(sc[b]) ? -INFINITY : sc[b];
    return x > y || (x == y && a < b);
}

int topk_select(const float *sc, int n, int k, int *idx) {
    for (int i = 0; i < n; i++) idx[i] = i;
    if (k >= n) return n;
    if (k <= 0) return 0;
    int lo = 0, hi = n - 1, want = k - 1;   /* place the k best in idx[0..k−1] */
    while (lo < hi) {
        int a = idx[lo], b = idx[lo + (hi - lo) / 2], c = idx[hi], piv;
        if (topk_better(sc, a, b)) piv = topk_better(sc, b, c) ? b : (topk_better(sc, a, c) ? c : a);
        else piv = topk_better(sc, a, c) ? a : (topk_better(sc, b, c) ? c : b);
        /* partition: [lo, lt) better than the pivot, idx[lt] = pivot, (lt, hi] worse */
        int lt = lo, i = lo, gt = hi;
        while (i <= gt) {
            int v = idx[i];
            if (v != piv && topk_better(sc, v, piv)) { idx[i] = idx[lt]; idx[lt] = v; lt++; i++; }
            else if (v != piv) { idx[i] = idx[gt]; idx[gt] = v; gt--; }
            else i++;
        }
        if (want < lt) hi = lt - 1;
        else if (want > gt) lo = gt + 1;
        else break;
    }
    return k;
}

/* ---- core -------------------------------------------------------------------------------- */

void attn_core(const v4_config *c, const rope_table *rope, const float *q,
               const float *const *keys, int nk, const float *sink, int p, float *sc, float *o,
               size_t group_stride) {
    int H = c->n_heads, d = c->head_dim, hpg = H / c->o_groups;
    float scale = 1.0f / sqrtf((float)d);
#pragma omp parallel for schedule(static) if ((long)H * nk * d > (1L << 18))
    for (int h = 0; h < H; h++) {
        const float *qh = q + (size_t)h * d;
        float *s = sc + (size_t)h * nk;
        float mx = sink[h];
        for (int j = 0; j < nk; j++) {
            s[j] = vec_dot(qh, keys[j], d) * scale;
            if (s[j] > mx) mx = s[j];
        }
        double den = exp((double)(sink[h] - mx));
        for (int j = 0; j < nk; j++) { s[j] = expf(s[j] - mx); den += s[j]; }
        float *oh = o + (size_t)(h / hpg) * group_stride + (size_t)(h % hpg) * d;
        for (int t = 0; t < d; t++) {
            double acc = 0;
            for (int j = 0; j < nk; j++) acc += (double)s[j] * keys[j][t];
            oh[t] = (float)(acc / den);
        }
        rope_apply(rope, oh, d, p, 1);
    }
}

/* ---- projections ------------------------------------------------------------------------- */

/* attn_qkv: qr[n][q_lora], q[n][H][d] (per-head RMS-normalised, RoPE at p0+i), kv[n][d]
 * (kv_norm, RoPE, FQ8 on nope dims under QAT). */
static void attn_qkv(v4_session *s, const v4_layer *L, const float *a, int n, int p0) {
    const v4_model *m = s->m;
    const v4_config *c = &m->cfg;
    fwd_work *w = &s->wk;
    int H = c->n_heads, d = c->head_dim, ql = c->q_lora_rank;
    float eps = (float)c->norm_eps;
    model_linear(m, &L->wq_a, 0, ql, a, n, w->qr, w->xq, &s->ctr);
    for (int i = 0; i < n; i++) vec_rmsnorm(w->qr + (size_t)i * ql, w->qr + (size_t)i * ql,
                                            L->q_norm, ql, eps);
    model_linear(m, &L->wq_b, 0, H * d, w->qr, n, w->q, w->xq, &s->ctr);
    model_linear(m, &L->wkv, 0, d, a, n, w->kv, w->xq, &s->ctr);
    for (int i = 0; i < n; i++) {
        for (int h = 0; h < H; h++) {
            float *qh = w->q + ((size_t)i * H + h) * d;
            vec_rmsnorm(qh, qh, NULL, d, eps);
            rope_apply(L->rope, qh, d, p0 + i, 0);
        }
        float *kv = w->kv + (size_t)i * d;
        vec_rmsnorm(kv, kv, L->kv_norm, d, eps);
        rope_apply(L->rope, kv, d, p0 + i, 0);
        if (m->qat) fmt_fq8(kv, d - c->rope_dim, 64);
    }
}

/* idx_query: indexer queries iq[n][H_I][c_I] (RoPE at p0+i, Hadamard + FQ4 under QAT) and
 * head weights iw[n][H_I] scaled by c_I^−1/2 · H_I^−1/2. */
static void idx_query(v4_session *s, const v4_layer *L, const float *a, int n, int p0) {
    const v4_model *m = s->m;
    const v4_config *c = &m->cfg;
    fwd_work *w = &s->wk;
    int HI = c->index_n_heads, cI = c->index_head_dim;
    model_linear(m, &L->idx_wq_b, 0, HI * cI, w->qr, n, w->iq, w->xq, &s->ctr);
    for (int i = 0; i < n; i++)
        for (int h = 0; h < HI; h++) {
            float *qh = w->iq + ((size_t)i * HI + h) * cI;
            rope_apply(L->rope, qh, cI, p0 + i, 0);
            if (m->qat) { fmt_hadamard(qh, cI); fmt_fq4(qh, cI, 32); }
        }
    model_linear(m, &L->idx_wproj, 0, HI, a, n, w->iw, w->xq, &s->ctr);
    float sc = 1.0f / (sqrtf((float)cI) * sqrtf((float)HI));
    for (int i = 0; i < n * HI; i++) w->iw[i] *= sc;
}

/* idx_select: top-k entries for the query at p (row i of iq/iw) over the N visible keys.
 * Returns the number selected, indices in w->isel. */
static int idx_select(v4_session *s, const layer_state *x, int i, int N) {
    const v4_config *c = &s->m->cfg;
    fwd_work *w = &s->wk;
    int HI = c->index_n_heads, cI = c->index_head_dim;
    const float *iq = w->iq + (size_t)i * HI * cI, *iw = w->iw + (size_t)i * HI;
#pragma omp parallel for schedule(static) if ((long)N * HI * cI > (1L << 18))
    for (int e = 0; e < N; e++) {
        const float *k = x->kidx + (size_t)e * cI;
        double acc = 0;
        for (int h = 0; h < HI; h++) {
            float dt = vec_dot(iq + (size_t)h * cI, k, cI);
            if (dt > 0) acc += (double)iw[h] * dt;
        }
        w->isc[e] = (float)acc;
    }
    s->kv_bytes += (double)N * cI * 4;
    s->ctr.flops += 2.0 * N * HI * cI;          /* index scores (multiply-adds × 2) */
    return topk_select(w->isc, N, c->index_topk, w->isel);
}

/* add_compressed: appends the candidate keys of the compressed branch for position p. */
static int add_compressed(v4_session *s, const v4_layer *L, const layer_state *x, int i, int p,
                          const float **keys, int nk) {
    const v4_config *c = &s->m->cfg;
    if (!L->ratio) return nk;
    int d = c->head_dim, N = (p + 1) / L->ratio;
    if (L->ratio == 4) {
        int k = idx_select(s, x, i, N);
        for (int j = 0; j < k; j++) keys[nk++] = x->cmain + (size_t)s->wk.isel[j] * d;
    } else {
        for (int j = 0; j < N; j++) keys[nk++] = x->cmain + (size_t)j * d;
    }
    return nk;
}

/* attn_output: out[n][D] = wo_b · concat_g(wo_a_g · o_g) (wo_a is a plain product as in the
 * reference einsum; wo_b is a linear with QAT activation quantisation). */
static void attn_output(v4_session *s, const v4_layer *L, int n, float *out) {
    const v4_model *m = s->m;
    const v4_config *c = &m->cfg;
    fwd_work *w = &s->wk;
    int G = c->o_groups, ol = c->o_lora_rank, cols = c->n_heads / G * c->head_dim;
    for (int g = 0; g < G; g++) {
        const float *og = w->o + (size_t)g * n * cols;
        float *ug = w->ug + (size_t)g * n * ol;
        if (n == 1) fmt_matvec(&L->wo_a, g * ol, ol, og, ug, &s->ctr);
        else fmt_matmul(&L->wo_a, g * ol, ol, og, n, ug, &s->ctr);
        for (int i = 0; i < n; i++)
            memcpy(w->u + (size_t)i * G * ol + (size_t)g * ol, ug + (size_t)i * ol,
                   sizeof(float) * ol);
    }
    model_linear(m, &L->wo_b, 0, c->dim, w->u, n, out, w->xq, &s->ctr);
}

/* cmp_emit: finishes `k` raw entries of compressor cw (first index j0) into cache dst. */
static void cmp_emit(const v4_model *m, const v4_layer *L, const cmp_weights *cw, float *E, int k,
                     int j0, float *dst, int is_idx) {
    cmp_qat q = !m->qat ? CMP_QAT_NONE : is_idx ? CMP_QAT_HAD_FQ4 : CMP_QAT_FQ8_NOPE;
    for (int t = 0; t < k; t++) {
        float *e = E + (size_t)t * cw->c;
        cmp_finish(cw, e, j0 + t, L->rope, (float)m->cfg.norm_eps, q);
        memcpy(dst + (size_t)(j0 + t) * cw->c, e, sizeof(float) * cw->c);
    }
}

/* ---- decode ------------------------------------------------------------------------------ */

int attn_decode(v4_session *s, int l, const float *a, int p, float *out) {
    const v4_model *m = s->m;
    const v4_config *c = &m->cfg;
    const v4_layer *L = &m->layers[l];
    layer_state *x = &s->ls[l];
    fwd_work *w = &s->wk;
    int d = c->head_dim, W = c->window;

    attn_qkv(s, L, a, 1, p);                                     /* 1. q path, raw kv */
    if (L->ratio == 4) {                                         /* 2. indexer keys, queries */
        const cmp_weights *ic = &L->idx_cmp;
        model_linear(m, &ic->wkv, 0, ic->w, a, 1, w->ikv, w->xq, &s->ctr);
        model_linear(m, &ic->wgate, 0, ic->w, a, 1, w->iz, w->xq, &s->ctr);
        if (ls_reserve(s, l, p / 4 + 1)) return -1;
        if (cmp_push(ic, x->isk, x->isz, w->ikv, w->iz, p, w->ent)) {
            cmp_emit(m, L, ic, w->ent, 1, p / 4, x->kidx, 1);
            x->n_idx++;
        }
        idx_query(s, L, a, 1, p);
    }
    memcpy(x->ring + (size_t)(p % W) * d, w->kv, sizeof(float) * d);   /* 3. ring */
    x->ring_pos[p % W] = p;
    if (L->ratio) {                                              /* 4. main compressor */
        const cmp_weights *mc = &L->cmp;
        model_linear(m, &mc->wkv, 0, mc->w, a, 1, w->ckv, w->xq, &s->ctr);
        model_linear(m, &mc->wgate, 0, mc->w, a, 1, w->cz, w->xq, &s->ctr);
        if (ls_reserve(s, l, p / L->ratio + 1)) return -1;
        if (cmp_push(mc, x->sk, x->sz, w->ckv, w->cz, p, w->ent)) {
            cmp_emit(m, L, mc, w->ent, 1, p / L->ratio, x->cmain, 0);
            x->n_main++;
        }
    }
    int nk = 0;                                                  /* 5. candidates */
    for (int slot = 0; slot < W; slot++)
        if (x->ring_pos[slot] >= 0 && x->ring_pos[slot] > p - W && x->ring_pos[slot] <= p)
            w->keys[nk++] = x->ring + (size_t)slot * d;
    nk = add_compressed(s, L, x, 0, p, w->keys, nk);
    s->kv_bytes += (double)nk * d * 4;
    s->ctr.flops += 4.0 * c->n_heads * nk * d;  /* QK and PV products */
    attn_core(c, L->rope, w->q, w->keys, nk, L->attn_sink, p, w->sc, w->o,
              (size_t)c->n_heads / c->o_groups * d);
    attn_output(s, L, 1, out);                                   /* 6. grouped output */
    return 0;
}

/* ---- prefill ----------------------------------------------------------------------------- */

int attn_prefill(v4_session *s, int l, const float *a, int n, int p0, float *out) {
    const v4_model *m = s->m;
    const v4_config *c = &m->cfg;
    const v4_layer *L = &m->layers[l];
    layer_state *x = &s->ls[l];
    fwd_work *w = &s->wk;
    int d = c->head_dim, W = c->window, H = c->n_heads;

    attn_qkv(s, L, a, n, p0);
    if (L->ratio == 4) {
        const cmp_weights *ic = &L->idx_cmp;
        model_linear(m, &ic->wkv, 0, ic->w, a, n, w->ikv, w->xq, &s->ctr);
        model_linear(m, &ic->wgate, 0, ic->w, a, n, w->iz, w->xq, &s->ctr);
        if (ls_reserve(s, l, (p0 + n) / 4 + 1)) return -1;
        int k = cmp_chunk(ic, x->isk, x->isz, w->ikv, w->iz, p0, n, w->ent, w->ctk, w->ctz);
        cmp_emit(m, L, ic, w->ent, k, x->n_idx, x->kidx, 1);
        x->n_idx += k;
        idx_query(s, L, a, n, p0);
    }
    if (L->ratio) {
        const cmp_weights *mc = &L->cmp;
        model_linear(m, &mc->wkv, 0, mc->w, a, n, w->ckv, w->xq, &s->ctr);
        model_linear(m, &mc->wgate, 0, mc->w, a, n, w->cz, w->xq, &s->ctr);
        if (ls_reserve(s, l, (p0 + n) / L->ratio + 1)) return -1;
        int k = cmp_chunk(mc, x->sk, x->sz, w->ckv, w->cz, p0, n, w->ent, w->ctk, w->ctz);
        cmp_emit(m, L, mc, w->ent, k, x->n_main, x->cmain, 0);
        x->n_main += k;
    }
    size_t gstride = (size_t)n * (H / c->o_groups) * d;
    for (int i = 0; i < n; i++) {
        int p = p0 + i, nk = 0;
        for (int t = p - W + 1 > 0 ? p - W + 1 : 0; t <= p; t++) {
            if (t >= p0) w->keys[nk++] = w->kv + (size_t)(t - p0) * d;
            else if (x->ring_pos[t % W] == t) w->keys[nk++] = x->ring + (size_t)(t % W) * d;
        }
        nk = add_compressed(s, L, x, i, p, w->keys, nk);
        s->kv_bytes += (double)nk * d * 4;
        s->ctr.flops += 4.0 * H * nk * d;       /* QK and PV products */
        attn_core(c, L->rope, w->q + (size_t)i * H * d, w->keys, nk, L->attn_sink, p, w->sc,
                  w->o + (size_t)i * (H / c->o_groups) * d, gstride);
    }
    for (int i = n - W > 0 ? n - W : 0; i < n; i++) {
        int p = p0 + i;
        memcpy(x->ring + (size_t)(p % W) * d, w->kv + (size_t)i * d, sizeof(float) * d);
        x->ring_pos[p % W] = p;
    }
    attn_output(s, L, n, out);
    return 0;
}
