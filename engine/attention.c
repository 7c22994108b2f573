/*
 * attention.c — see attention.h. Layout conventions: q[row][H][d]; kv[row][d] (K = V, RoPE on
 * the last rope_dim dims, nope dims FQ8-quantised under QAT); attention outputs are written
 * group-major o[G][rows][(H/G)·d] so each group's wo_a product is one contiguous GEMM.
 * Visibility (same for decode and prefill): window positions max(0, p−W+1)..p; compressed entry
 * j visible iff j < floor((p+1)/m); CSA picks top-k of the visible indexer scores.
 * Performance: the indexer scores of a whole prefill chunk are one sgemm per tile of entries
 * (queries × compressed keys, idx_scores — decode runs the same code with one query); the
 * per-query attention (top-k, window + selected/HCA entries, softmax with sink) runs the
 * queries of a chunk in parallel, each thread on its own scratch set from fwd_work, with SIMD
 * f32 dot products and axpys over head_dim. Nothing is allocated per token.
 */
#include "engine/attention.h"
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "engine/kernels/kern.h"
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
    const kern_table *kt = kern_best();
    int par = !omp_in_parallel() && (long)H * nk * d > (1L << 18);
#pragma omp parallel for schedule(static) if (par)
    for (int h = 0; h < H; h++) {
        float *s = sc + (size_t)h * nk;
        kt->qk(q + (size_t)h * d, keys, nk, d, scale, s);     /* scores, SIMD over d */
        float mx = sink[h];
        for (int j = 0; j < nk; j++) if (s[j] > mx) mx = s[j];
        double den = exp((double)(sink[h] - mx)) + kt->expsum(s, nk, mx);
        float inv = (float)(1.0 / den);
        for (int j = 0; j < nk; j++) s[j] *= inv;
        float *oh = o + (size_t)(h / hpg) * group_stride + (size_t)(h % hpg) * d;
        kt->pv(s, keys, nk, d, oh);                             /* o = Σ p_j k_j */
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

/* grow: *buf holds at least n floats (grown geometrically, kept); 0 or -1 (OOM). */
static int grow(float **buf, size_t *cap, size_t n) {
    if (n <= *cap) return 0;
    size_t nc = *cap ? *cap : 1024;
    while (nc < n) nc *= 2;
    float *nb = realloc(*buf, nc * sizeof(float));
    if (!nb) return -1;
    *buf = nb;
    *cap = nc;
    return 0;
}

/* idx_scores: index scores out[i][e] = Σ_h iw[i][h] · relu(iq[i][h] · kidx[e]) for the nq
 * queries in rows 0..nq−1 of w->iq / w->iw and the first N indexer keys (row stride N).
 * The q·k products are one sgemm per tile of entries ([nq·H_I] × [tile]; queries × keys),
 * the same code for decode (nq = 1) and prefill, so both see the same scores. 0 or -1 (OOM). */
static int idx_scores(v4_session *s, const layer_state *x, int nq, int N, float *out) {
    const v4_config *c = &s->m->cfg;
    fwd_work *w = &s->wk;
    int HI = c->index_n_heads, cI = c->index_head_dim, rows = nq * HI;
    if (N <= 0) return 0;
    int EB = (1 << 20) / rows / 64 * 64;           /* entry tile: about 4 MiB of products */
    if (EB < 64) EB = 64;
    if (EB > N) EB = N;
    if (grow(&w->itile, &w->itile_cap, (size_t)rows * EB)) return -1;
    for (int e0 = 0; e0 < N; e0 += EB) {
        int nb = N - e0 < EB ? N - e0 : EB;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, nb, cI, 1.0f, w->iq, cI,
                    x->kidx + (size_t)e0 * cI, cI, 0.0f, w->itile, nb);
        for (int i = 0; i < nq; i++) {
            float *o = out + (size_t)i * N + e0;
            for (int e = 0; e < nb; e++) o[e] = 0.0f;
            for (int h = 0; h < HI; h++) {
                const float *r = w->itile + (size_t)(i * HI + h) * nb;
                float wt = w->iw[(size_t)i * HI + h];
#pragma omp simd
                for (int e = 0; e < nb; e++)          /* relu; NaN → 0 */
                    o[e] += wt * (r[e] > 0.0f ? r[e] : 0.0f);
            }
        }
    }
    return 0;
}

/* add_compressed: appends the candidate keys of the compressed branch for position p; on CSA
 * layers isc holds the index scores of the N visible entries and isel is N ints of scratch.
 * Adds the bytes read and the index-scoring FLOPs to *kvb, *fl. */
static int add_compressed(const v4_session *s, int l, const v4_layer *L, const layer_state *x,
                          int p, const float *isc, int *isel, const float **keys, int nk,
                          double *kvb, double *fl) {
    const v4_config *c = &s->m->cfg;
    if (!L->ratio) return nk;
    int d = c->head_dim, N = (p + 1) / L->ratio;
    if (L->ratio == 4) {
        int HI = c->index_n_heads, cI = c->index_head_dim;
        int k = topk_select(isc, N, c->index_topk, isel);
        for (int j = 0; j < k; j++) keys[nk++] = x->cmain + (size_t)isel[j] * d;
        if (s->topk_trace && l < c->n_layers) {                 /* debug state */
            int32_t *tr = s->topk_trace + ((size_t)l * s->max_tokens + p) * c->index_topk;
            for (int j = 0; j < k; j++) tr[j] = isel[j];
        }
        *kvb += (double)N * cI * 4;
        *fl += 2.0 * N * HI * cI;                 /* index scores (multiply-adds × 2) */
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
    double kvb = 0, fl = 0;
    if (L->ratio == 4 && idx_scores(s, x, 1, (p + 1) / 4, w->isc)) return -1;
    nk = add_compressed(s, l, L, x, p, w->isc, w->isel, w->keys, nk, &kvb, &fl);
    s->kv_bytes += kvb + (double)nk * d * 4;
    s->ctr.flops += fl;
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
    /* CSA: index scores of every query of the chunk over all entries up to the chunk's end
     * (query i reads its visible prefix of row i) */
    int Nall = L->ratio == 4 ? x->n_idx : 0;
    if (Nall && (grow(&w->isc_all, &w->isc_all_cap, (size_t)n * Nall) ||
                 idx_scores(s, x, n, Nall, w->isc_all)))
        return -1;
    /* queries in parallel, each thread with its own candidate/score scratch set */
    size_t gstride = (size_t)n * (H / c->o_groups) * d;
    double kvb = 0, fl = 0;
    int T = w->pthreads;
#pragma omp parallel for schedule(dynamic, 1) num_threads(T) reduction(+ : kvb, fl) \
    if (T > 1 && n >= 8)
    for (int i = 0; i < n; i++) {
        int tid = omp_get_thread_num();
        const float **keys = w->keys + (size_t)tid * w->attn_cap;
        float *sc = w->sc + (size_t)tid * w->attn_cap * H;
        int *isel = w->isel + (size_t)tid * w->idx_cap;
        int p = p0 + i, nk = 0;
        for (int t = p - W + 1 > 0 ? p - W + 1 : 0; t <= p; t++) {
            if (t >= p0) keys[nk++] = w->kv + (size_t)(t - p0) * d;
            else if (x->ring_pos[t % W] == t) keys[nk++] = x->ring + (size_t)(t % W) * d;
        }
        nk = add_compressed(s, l, L, x, p, Nall ? w->isc_all + (size_t)i * Nall : NULL, isel, keys,
                            nk, &kvb, &fl);
        kvb += (double)nk * d * 4;
        fl += 4.0 * H * nk * d;                 /* QK and PV products */
        attn_core(c, L->rope, w->q + (size_t)i * H * d, keys, nk, L->attn_sink, p, sc,
                  w->o + (size_t)i * (H / c->o_groups) * d, gstride);
    }
    s->kv_bytes += kvb;
    s->ctr.flops += fl;
    for (int i = n - W > 0 ? n - W : 0; i < n; i++) {
        int p = p0 + i;
        memcpy(x->ring + (size_t)(p % W) * d, w->kv + (size_t)i * d, sizeof(float) * d);
        x->ring_pos[p % W] = p;
    }
    attn_output(s, L, n, out);
    return 0;
}
