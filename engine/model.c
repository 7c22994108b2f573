/*
 * model.c — v4_model_load: config → safetensors → bound weights, every tensor shape- and
 * dtype-checked against the config before use (errors name the file/tensor, expected and
 * found). Dispatches on model_type (DeepSeek-V4 now; V3.2 is a later graph and is refused with a
 * clear message). Also the linear-layer entry point with QAT activation quantisation, the info
 * counters and the QAT switch.
 */
#include "engine/model.h"
#include <omp.h>
#include "engine/layout.h"
#include "engine/params.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern void openblas_set_num_threads(int);

#define ERR(...) do { if (err) snprintf(err, errlen, __VA_ARGS__); } while (0)

v4_opts v4_opts_default(void) {
    v4_opts o = {1, 0};
    return o;
}

void model_linear(const v4_model *m, const v4_weight *w, int r0, int nr, const float *X, int n,
                  float *Y, float *xq, fmt_counters *c) {
    if (m->qat && model_is_lowp(w)) {
        memcpy(xq, X, sizeof(float) * (size_t)n * w->cols);
        for (int i = 0; i < n; i++) fmt_fq8(xq + (size_t)i * w->cols, w->cols, 128);
        X = xq;
    }
    if (n == 1) fmt_matvec(w, r0, nr, X, Y, c);
    else fmt_matmul(w, r0, nr, X, n, Y, c);
}

int model_tid2eid(const v4_layer *L, int tok, int k) {
    const st_tensor *t = L->tid2eid;
    size_t idx = (size_t)tok * (size_t)t->shape[1] + (size_t)k;
    if (t->dtype == ST_I64) {
        int64_t v;
        memcpy(&v, (const char *)t->data + idx * 8, 8);
        return (int)v;
    }
    int32_t v;
    memcpy(&v, (const char *)t->data + idx * 4, 4);
    return (int)v;
}

/* ---- binding helpers ---------------------------------------------------------------------- */

typedef struct {
    const st_set *st;
    const v4_config *cfg;
    char *err;
    size_t errlen;
} binder;

/* bind_vec: a small F32/BF16/F16 tensor of the given shape copied to a malloc'ed fp32 array. */
static int bind_vec(binder *b, const char *name, int ndim, const int64_t *shape, float **out) {
    char *err = b->err;
    size_t errlen = b->errlen;
    const st_tensor *t = st_find(b->st, name);
    if (!t) { ERR("model: tensor %s: missing", name); return -1; }
    if (t->dtype != ST_F32 && t->dtype != ST_BF16 && t->dtype != ST_F16) {
        ERR("%s: tensor %s: expected dtype F32/BF16/F16, found %s", t->file, name,
            st_dtype_name(t->dtype));
        return -1;
    }
    int64_t n = 1;
    int ok = t->ndim == ndim;
    for (int i = 0; i < ndim && ok; i++) ok = t->shape[i] == shape[i];
    for (int i = 0; i < ndim; i++) n *= shape[i];
    if (!ok) {
        char want[96] = "", got[96] = "";
        for (int i = 0; i < ndim; i++)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%lld", i ? "," : "",
                     (long long)shape[i]);
        for (int i = 0; i < t->ndim; i++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", i ? "," : "",
                     (long long)t->shape[i]);
        ERR("%s: tensor %s: expected shape [%s], found [%s]", t->file, name, want, got);
        return -1;
    }
    float *v = malloc(sizeof(float) * (size_t)n);
    if (!v) { ERR("model: out of memory for %s", name); return -1; }
    for (int64_t i = 0; i < n; i++) {
        if (t->dtype == ST_F32) memcpy(&v[i], (const char *)t->data + i * 4, 4);
        else {
            uint16_t h;
            memcpy(&h, (const char *)t->data + i * 2, 2);
            v[i] = t->dtype == ST_BF16 ? fmt_bf16_to_f32(h) : fmt_f16_to_f32(h);
        }
    }
    *out = v;
    return 0;
}

static int bind_vec1(binder *b, const char *name, int n, float **out) {
    int64_t s[1] = {n};
    return bind_vec(b, name, 1, s, out);
}

/* bind_lin: `prefix`.weight (+ .scale) as a [rows, cols] weight in its stored format. */
static int bind_lin(binder *b, const char *prefix, int rows, int cols, v4_weight *w) {
    return st_bind_weight(b->st, prefix, rows, cols, b->cfg->weight_block[0],
                          b->cfg->weight_block[1], w, b->err, b->errlen);
}

/* bind_f32_mat: an F32 matrix tensor without .weight suffix (mHC fn) as an FMT_F32 weight. */
static int bind_f32_mat(binder *b, const char *name, int rows, int cols, v4_weight *w) {
    int64_t shape[2] = {rows, cols};
    const st_tensor *t;
    if (st_expect(b->st, name, ST_F32, 2, shape, &t, b->err, b->errlen)) return -1;
    memset(w, 0, sizeof *w);
    w->fmt = FMT_F32;
    w->rows = rows;
    w->cols = cols;
    w->data = t->data;
    w->name = t->name;
    return 0;
}

static int bind_mhc(binder *b, const char *pre, const char *site, int nmix, mhc_site *s) {
    const v4_config *c = b->cfg;
    char n[256];
    int hcD = c->hc_mult * c->dim, nscale = nmix == c->hc_mult ? 1 : 3;
    snprintf(n, sizeof n, "%shc_%s_fn", pre, site);
    if (bind_f32_mat(b, n, nmix, hcD, &s->fn)) return -1;
    snprintf(n, sizeof n, "%shc_%s_base", pre, site);
    if (bind_vec1(b, n, nmix, &s->base)) return -1;
    snprintf(n, sizeof n, "%shc_%s_scale", pre, site);
    return bind_vec1(b, n, nscale, &s->scale);
}

static int bind_cmp(binder *b, const char *prefix, int ratio, int c, cmp_weights *cw) {
    const v4_config *cfg = b->cfg;
    char n[256];
    cw->ratio = ratio;
    cw->c = c;
    cw->overlap = ratio == 4;
    cw->w = (1 + cw->overlap) * c;
    snprintf(n, sizeof n, "%s.wkv", prefix);
    if (bind_lin(b, n, cw->w, cfg->dim, &cw->wkv)) return -1;
    snprintf(n, sizeof n, "%s.wgate", prefix);
    if (bind_lin(b, n, cw->w, cfg->dim, &cw->wgate)) return -1;
    int64_t ape_shape[2] = {ratio, cw->w};
    snprintf(n, sizeof n, "%s.ape", prefix);
    if (bind_vec(b, n, 2, ape_shape, &cw->ape)) return -1;
    snprintf(n, sizeof n, "%s.norm.weight", prefix);
    return bind_vec1(b, n, c, &cw->norm);
}

static int bind_layer(binder *b, v4_model *m, int l) {
    const v4_config *c = &m->cfg;
    v4_layer *L = &m->layers[l];
    char pre[64], n[256];
    int D = c->dim, H = c->n_heads, d = c->head_dim, nmix = (2 + c->hc_mult) * c->hc_mult;
    L->id = l;
    L->is_mtp = l >= c->n_layers;
    L->ratio = config_layer_ratio(c, l);
    L->hash = config_is_hash_layer(c, l);
    L->rope = L->ratio ? &m->rope_yarn : &m->rope_base;
    if (L->is_mtp) snprintf(pre, sizeof pre, "mtp.%d.", l - c->n_layers);
    else snprintf(pre, sizeof pre, "layers.%d.", l);
#define NAME(fmt_) (snprintf(n, sizeof n, "%s" fmt_, pre), n)
    if (bind_mhc(b, pre, "attn", nmix, &L->hc_attn) || bind_mhc(b, pre, "ffn", nmix, &L->hc_ffn))
        return -1;
    if (bind_vec1(b, NAME("attn_norm.weight"), D, &L->attn_norm)) return -1;
    if (bind_vec1(b, NAME("ffn_norm.weight"), D, &L->ffn_norm)) return -1;
    if (bind_lin(b, NAME("attn.wq_a"), c->q_lora_rank, D, &L->wq_a)) return -1;
    if (bind_lin(b, NAME("attn.wq_b"), H * d, c->q_lora_rank, &L->wq_b)) return -1;
    if (bind_lin(b, NAME("attn.wkv"), d, D, &L->wkv)) return -1;
    if (bind_lin(b, NAME("attn.wo_a"), c->o_groups * c->o_lora_rank, H / c->o_groups * d,
                 &L->wo_a)) return -1;
    if (bind_lin(b, NAME("attn.wo_b"), D, c->o_groups * c->o_lora_rank, &L->wo_b)) return -1;
    if (bind_vec1(b, NAME("attn.q_norm.weight"), c->q_lora_rank, &L->q_norm)) return -1;
    if (bind_vec1(b, NAME("attn.kv_norm.weight"), d, &L->kv_norm)) return -1;
    if (bind_vec1(b, NAME("attn.attn_sink"), H, &L->attn_sink)) return -1;
    if (L->ratio) {
        if (bind_cmp(b, NAME("attn.compressor"), L->ratio, d, &L->cmp)) return -1;
    }
    if (L->ratio == 4) {
        if (bind_lin(b, NAME("attn.indexer.wq_b"), c->index_n_heads * c->index_head_dim,
                     c->q_lora_rank, &L->idx_wq_b)) return -1;
        if (bind_lin(b, NAME("attn.indexer.weights_proj"), c->index_n_heads, D, &L->idx_wproj))
            return -1;
        if (bind_cmp(b, NAME("attn.indexer.compressor"), 4, c->index_head_dim, &L->idx_cmp))
            return -1;
    }
    int E = c->n_routed_experts, I = c->moe_inter_dim;
    if (bind_lin(b, NAME("ffn.gate"), E, D, &L->gate)) return -1;
    if (L->hash) {
        const st_tensor *t = st_find(b->st, NAME("ffn.gate.tid2eid"));
        char *err = b->err;
        size_t errlen = b->errlen;
        if (!t) { ERR("model: tensor %s: missing (hash layer %d)", n, l); return -1; }
        if ((t->dtype != ST_I64 && t->dtype != ST_I32) || t->ndim != 2 ||
            t->shape[0] != c->vocab_size || t->shape[1] != c->n_activated_experts) {
            ERR("%s: tensor %s: expected I64/I32 [%d,%d], found %s ndim %d", t->file, n,
                c->vocab_size, c->n_activated_experts, st_dtype_name(t->dtype), t->ndim);
            return -1;
        }
        for (int64_t i = 0; i < t->shape[0] * t->shape[1]; i++) {
            int e = model_tid2eid(&(v4_layer){.tid2eid = t}, (int)(i / t->shape[1]),
                                  (int)(i % t->shape[1]));
            if (e < 0 || e >= E) {
                ERR("%s: tensor %s: expert id %d at flat index %lld outside [0,%d)", t->file, n,
                    e, (long long)i, E);
                return -1;
            }
        }
        L->tid2eid = t;
    } else if (bind_vec1(b, NAME("ffn.gate.bias"), E, &L->gate_bias)) {
        return -1;
    }
    L->w1 = calloc((size_t)E, sizeof(v4_weight));
    L->w2 = calloc((size_t)E, sizeof(v4_weight));
    L->w3 = calloc((size_t)E, sizeof(v4_weight));
    if (!L->w1 || !L->w2 || !L->w3) { snprintf(b->err, b->errlen, "model: out of memory"); return -1; }
    for (int e = 0; e < E; e++) {
        char en[256];
        snprintf(en, sizeof en, "%sffn.experts.%d.w1", pre, e);
        if (bind_lin(b, en, I, D, &L->w1[e])) return -1;
        snprintf(en, sizeof en, "%sffn.experts.%d.w2", pre, e);
        if (bind_lin(b, en, D, I, &L->w2[e])) return -1;
        snprintf(en, sizeof en, "%sffn.experts.%d.w3", pre, e);
        if (bind_lin(b, en, I, D, &L->w3[e])) return -1;
    }
    L->shared_inter = c->n_shared_experts * I;
    if (L->shared_inter) {
        if (bind_lin(b, NAME("ffn.shared_experts.w1"), L->shared_inter, D, &L->sw1)) return -1;
        if (bind_lin(b, NAME("ffn.shared_experts.w2"), D, L->shared_inter, &L->sw2)) return -1;
        if (bind_lin(b, NAME("ffn.shared_experts.w3"), L->shared_inter, D, &L->sw3)) return -1;
    }
    if (L->is_mtp) {
        if (bind_lin(b, NAME("e_proj"), D, D, &L->e_proj)) return -1;
        if (bind_lin(b, NAME("h_proj"), D, D, &L->h_proj)) return -1;
        if (bind_vec1(b, NAME("enorm.weight"), D, &L->enorm)) return -1;
        if (bind_vec1(b, NAME("hnorm.weight"), D, &L->hnorm)) return -1;
        if (bind_vec1(b, NAME("norm.weight"), D, &L->mnorm)) return -1;
        if (bind_mhc(b, pre, "head", c->hc_mult, &L->hc_head)) return -1;
    }
#undef NAME
    return 0;
}

/* model_count: parameter counts from the layout (params.h conventions) and the bytes of the
 * checkpoint as stored. */
static int model_count(v4_model *m, char *err, size_t errlen) {
    v4_params p;
    if (params_count(&m->cfg, &p, err, errlen)) return -1;
    int64_t bytes = 0;
    for (int i = 0; i < st_count(m->st); i++) bytes += (int64_t)st_at(m->st, i)->nbytes;
    m->params_total = p.total;
    m->params_active = p.active;
    m->weight_bytes = bytes;
    return 0;
}

static int model_load_v4(v4_model *m, const char *dir, char *err, size_t errlen) {
    v4_config *c = &m->cfg;
    if (st_open_dir(dir, &m->st, err, errlen) || layout_adapt_names(m->st, err, errlen))
        return -1;
    if (rope_table_init(&m->rope_base, c->rope_dim, c->rope_theta, 1.0, 0, 0, 0) ||
        rope_table_init(&m->rope_yarn, c->rope_dim, c->compress_rope_theta, c->rope_factor,
                        c->original_seq_len, c->beta_fast, c->beta_slow)) {
        ERR("%s/config.json: qk_rope_head_dim: expected an even value <= 256, found %d", dir,
            c->rope_dim);
        return -1;
    }
    if (c->n_routed_experts > 1024 || c->n_activated_experts > c->n_routed_experts ||
        c->hc_mult > 8) {
        ERR("%s/config.json: n_routed_experts %d / num_experts_per_tok %d / hc_mult %d: "
            "expected E <= 1024, k <= E, hc_mult <= 8", dir, c->n_routed_experts,
            c->n_activated_experts, c->hc_mult);
        return -1;
    }
    int has_csa = 0;
    for (int l = 0; l < c->n_compress_ratios; l++) has_csa |= c->compress_ratios[l] == 4;
    if (has_csa && (c->index_head_dim <= 0 || (c->index_head_dim & (c->index_head_dim - 1)) ||
                    c->index_head_dim < c->rope_dim || c->index_head_dim > c->head_dim)) {
        ERR("%s/config.json: index_head_dim: expected a power of two in [qk_rope_head_dim %d, "
            "head_dim %d] (Hadamard rotation of the indexer), found %d", dir, c->rope_dim,
            c->head_dim, c->index_head_dim);
        return -1;
    }
    /* the whole checkpoint against the layout table first (names, dtypes, shapes, scales,
     * tid2eid range, no stray tensors), then bind what the forward pass reads */
    layout_adapt_mtp(c, m->st);      /* no mtp.* tensors at all: load without the MTP block */
    if (layout_validate(c, m->st, err, errlen)) return -1;
    binder b = {m->st, c, err, errlen};
    int D = c->dim, V = c->vocab_size;
    if (bind_lin(&b, "embed", V, D, &m->embed) || bind_lin(&b, "head", V, D, &m->head) ||
        bind_vec1(&b, "norm.weight", D, &m->norm) ||
        bind_mhc(&b, "", "head", c->hc_mult, &m->hc_head))
        return -1;
    m->n_all_layers = c->n_layers + (c->n_mtp_layers > 0 ? 1 : 0);
    m->layers = calloc((size_t)m->n_all_layers, sizeof(v4_layer));
    if (!m->layers) { ERR("model: out of memory"); return -1; }
    for (int l = 0; l < m->n_all_layers; l++)
        if (bind_layer(&b, m, l)) return -1;
    return model_count(m, err, errlen);
}

int v4_model_load(const char *dir, const v4_opts *opts, v4_model **out, char *err,
                  size_t errlen) {
    *out = NULL;
    v4_model *m = calloc(1, sizeof *m);
    if (!m) { ERR("model: out of memory"); return -1; }
    v4_opts o = opts ? *opts : v4_opts_default();
    m->qat = o.qat;
    m->n_threads = o.n_threads;
    if (o.n_threads > 0) {   /* both thread pools: ours (OpenMP) and OpenBLAS's */
        omp_set_num_threads(o.n_threads);
        openblas_set_num_threads(o.n_threads);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    if (config_load(path, &m->cfg, err, errlen)) { free(m); return -1; }
    int rc;
    switch (m->cfg.model_type) {
    case MODEL_DEEPSEEK_V4: rc = model_load_v4(m, dir, err, errlen); break;
    default:
        ERR("%s: model_type: expected deepseek_v4, found %s (graph not implemented yet)", path,
            m->cfg.model_type_str);
        rc = -1;
    }
    if (rc) { v4_model_free(m); return -1; }
    *out = m;
    return 0;
}

static void cmp_free(cmp_weights *cw) { free(cw->ape); free(cw->norm); }
static void mhc_free(mhc_site *s) { free(s->base); free(s->scale); }

void v4_model_free(v4_model *m) {
    if (!m) return;
    for (int l = 0; m->layers && l < m->n_all_layers; l++) {
        v4_layer *L = &m->layers[l];
        mhc_free(&L->hc_attn); mhc_free(&L->hc_ffn); mhc_free(&L->hc_head);
        free(L->attn_norm); free(L->ffn_norm); free(L->q_norm); free(L->kv_norm);
        free(L->attn_sink); free(L->gate_bias); free(L->enorm); free(L->hnorm); free(L->mnorm);
        cmp_free(&L->cmp); cmp_free(&L->idx_cmp);
        free(L->w1); free(L->w2); free(L->w3);
    }
    free(m->layers);
    mhc_free(&m->hc_head);
    free(m->norm);
    if (m->st) st_close(m->st);
    free(m);
}

void v4_model_set_qat(v4_model *m, int on) { m->qat = on ? 1 : 0; }

void v4_model_get_info(const v4_model *m, v4_info *out) {
    const v4_config *c = &m->cfg;
    memset(out, 0, sizeof *out);
    snprintf(out->model_type, sizeof out->model_type, "%s", c->model_type_str);
    out->vocab_size = c->vocab_size;
    out->dim = c->dim;
    out->n_layers = c->n_layers;
    out->n_mtp_layers = c->n_mtp_layers;
    out->n_heads = c->n_heads;
    out->head_dim = c->head_dim;
    out->window = c->window;
    out->index_topk = c->index_topk;
    out->max_position = c->max_position;
    out->bos_id = c->bos_id;
    out->eos_id = c->eos_id;
    out->params_total = m->params_total;
    out->params_active = m->params_active;
    out->weight_bytes = m->weight_bytes;
}
