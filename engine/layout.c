/*
 * layout.c — builds the V4 tensor table (layout.h) from a config and validates a checkpoint
 * against it.
 *
 * Shapes (spec §4.1, §5, §6.1, §7.2, §11, §12, §13.3–13.4), with D = hidden, H heads, d = head_dim,
 * n = hc_mult, G = o_groups, E = routed experts, I = moe_inter_dim:
 *   per block: attn_norm/ffn_norm [D]; hc_{attn,ffn}_fn [(2+n)n, nD], _base [(2+n)n], _scale [3];
 *   attn.wq_a [q_lora, D], q_norm [q_lora], wq_b [H·d, q_lora], wkv [d, D], kv_norm [d],
 *   wo_a [G·o_lora, (H/G)·d], wo_b [D, G·o_lora], attn_sink [H];
 *   compressor (ratio m > 0, overlap o = (m == 4)): wkv/wgate [(1+o)d, D], ape [m, (1+o)d],
 *   norm [d]; indexer (m == 4): wq_b [H_I·c_I, q_lora], weights_proj [H_I, D], its compressor
 *   wkv/wgate [2c_I, D], ape [4, 2c_I], norm [c_I];
 *   ffn.gate.weight [E, D] + (hash layer ? tid2eid [vocab, k] : bias [E]);
 *   experts.{e}.w1/w3 [I, D], w2 [D, I]; shared_experts w1/w3 [I·n_shared, D], w2 [D, I·n_shared].
 * Globals: embed, head [vocab, D], norm [D], hc_head_fn [n, nD], hc_head_base [n], hc_head_scale
 * [1]. MTP block i adds e_proj/h_proj [D, D], enorm/hnorm/norm [D], hc_head_* as the globals.
 */
#include "engine/layout.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    v4_layout *l;
    int cap;
    int failed;
} lb_ctx;

static void lb_add(lb_ctx *c, layout_class cls, int layer, int expert, int ndim, int64_t s0,
                   int64_t s1, const char *fmt, ...) __attribute__((format(printf, 8, 9)));

/* Appends one entry (name from fmt); sets c->failed on out of memory. */
static void lb_add(lb_ctx *c, layout_class cls, int layer, int expert, int ndim, int64_t s0,
                   int64_t s1, const char *fmt, ...) {
    if (c->failed) return;
    if (c->l->n == c->cap) {
        int nc = c->cap ? 2 * c->cap : 1024;
        layout_entry *ne = realloc(c->l->e, (size_t)nc * sizeof *ne);
        if (!ne) { c->failed = 1; return; }
        c->l->e = ne;
        c->cap = nc;
    }
    layout_entry *e = &c->l->e[c->l->n++];
    memset(e, 0, sizeof *e);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->name, sizeof e->name, fmt, ap);
    va_end(ap);
    e->cls = cls;
    e->layer = layer;
    e->expert = expert;
    e->ndim = ndim;
    e->shape[0] = s0;
    e->shape[1] = ndim > 1 ? s1 : 0;
}

/* The tensors of one block (main layer or MTP block); p is "layers.{l}" or "mtp.{i}". */
static void lb_block(lb_ctx *c, const v4_config *g, int layer, const char *p, int hash) {
    const int64_t D = g->dim, n = g->hc_mult, d = g->head_dim, H = g->n_heads, G = g->o_groups;
    const int64_t mix = (2 + n) * n;
    const int ratio = g->compress_ratios[layer];
    lb_add(c, LC_NORM, layer, -1, 1, D, 0, "%s.attn_norm.weight", p);
    lb_add(c, LC_NORM, layer, -1, 1, D, 0, "%s.ffn_norm.weight", p);
    static const char *const site[2] = {"attn", "ffn"};
    for (int s = 0; s < 2; s++) {
        lb_add(c, LC_F32, layer, -1, 2, mix, n * D, "%s.hc_%s_fn", p, site[s]);
        lb_add(c, LC_F32, layer, -1, 1, mix, 0, "%s.hc_%s_base", p, site[s]);
        lb_add(c, LC_F32, layer, -1, 1, 3, 0, "%s.hc_%s_scale", p, site[s]);
    }
    lb_add(c, LC_DENSE, layer, -1, 2, g->q_lora_rank, D, "%s.attn.wq_a", p);
    lb_add(c, LC_NORM, layer, -1, 1, g->q_lora_rank, 0, "%s.attn.q_norm.weight", p);
    lb_add(c, LC_DENSE, layer, -1, 2, H * d, g->q_lora_rank, "%s.attn.wq_b", p);
    lb_add(c, LC_DENSE, layer, -1, 2, d, D, "%s.attn.wkv", p);
    lb_add(c, LC_NORM, layer, -1, 1, d, 0, "%s.attn.kv_norm.weight", p);
    lb_add(c, LC_DENSE, layer, -1, 2, G * g->o_lora_rank, (H / G) * d, "%s.attn.wo_a", p);
    lb_add(c, LC_DENSE, layer, -1, 2, D, G * g->o_lora_rank, "%s.attn.wo_b", p);
    lb_add(c, LC_F32, layer, -1, 1, H, 0, "%s.attn.attn_sink", p);
    if (ratio > 0) {
        const int64_t w = (ratio == 4 ? 2 : 1) * d;
        lb_add(c, LC_PLAIN, layer, -1, 2, w, D, "%s.attn.compressor.wkv", p);
        lb_add(c, LC_PLAIN, layer, -1, 2, w, D, "%s.attn.compressor.wgate", p);
        lb_add(c, LC_F32, layer, -1, 2, ratio, w, "%s.attn.compressor.ape", p);
        lb_add(c, LC_NORM, layer, -1, 1, d, 0, "%s.attn.compressor.norm.weight", p);
    }
    if (ratio == 4) {
        const int64_t hi = g->index_n_heads, ci = g->index_head_dim;
        lb_add(c, LC_DENSE, layer, -1, 2, hi * ci, g->q_lora_rank, "%s.attn.indexer.wq_b", p);
        lb_add(c, LC_PLAIN, layer, -1, 2, hi, D, "%s.attn.indexer.weights_proj", p);
        lb_add(c, LC_PLAIN, layer, -1, 2, 2 * ci, D, "%s.attn.indexer.compressor.wkv", p);
        lb_add(c, LC_PLAIN, layer, -1, 2, 2 * ci, D, "%s.attn.indexer.compressor.wgate", p);
        lb_add(c, LC_F32, layer, -1, 2, 4, 2 * ci, "%s.attn.indexer.compressor.ape", p);
        lb_add(c, LC_NORM, layer, -1, 1, ci, 0, "%s.attn.indexer.compressor.norm.weight", p);
    }
    const int64_t E = g->n_routed_experts, I = g->moe_inter_dim;
    lb_add(c, LC_PLAIN, layer, -1, 2, E, D, "%s.ffn.gate", p);
    if (hash)
        lb_add(c, LC_INDEX, layer, -1, 2, g->vocab_size, g->n_activated_experts,
               "%s.ffn.gate.tid2eid", p);
    else
        lb_add(c, LC_F32, layer, -1, 1, E, 0, "%s.ffn.gate.bias", p);
    for (int e = 0; e < E; e++) {
        lb_add(c, LC_EXPERT, layer, e, 2, I, D, "%s.ffn.experts.%d.w1", p, e);
        lb_add(c, LC_EXPERT, layer, e, 2, D, I, "%s.ffn.experts.%d.w2", p, e);
        lb_add(c, LC_EXPERT, layer, e, 2, I, D, "%s.ffn.experts.%d.w3", p, e);
    }
    if (g->n_shared_experts > 0) {
        const int64_t S = I * g->n_shared_experts;
        lb_add(c, LC_DENSE, layer, -1, 2, S, D, "%s.ffn.shared_experts.w1", p);
        lb_add(c, LC_DENSE, layer, -1, 2, D, S, "%s.ffn.shared_experts.w2", p);
        lb_add(c, LC_DENSE, layer, -1, 2, S, D, "%s.ffn.shared_experts.w3", p);
    }
}

int layout_build(const v4_config *g, v4_layout *out, char *err, size_t errlen) {
    out->e = NULL;
    out->n = 0;
    lb_ctx c = {out, 0, 0};
    const int64_t D = g->dim, n = g->hc_mult;
    lb_add(&c, LC_PLAIN, -1, -1, 2, g->vocab_size, D, "embed");
    if (!c.failed) out->e[out->n - 1].is_embed = 1;
    char p[32];
    for (int l = 0; l < g->n_layers; l++) {
        snprintf(p, sizeof p, "layers.%d", l);
        lb_block(&c, g, l, p, config_is_hash_layer(g, l));
    }
    lb_add(&c, LC_NORM, -1, -1, 1, D, 0, "norm.weight");
    lb_add(&c, LC_PLAIN, -1, -1, 2, g->vocab_size, D, "head");
    lb_add(&c, LC_F32, -1, -1, 2, n, n * D, "hc_head_fn");
    lb_add(&c, LC_F32, -1, -1, 1, n, 0, "hc_head_base");
    lb_add(&c, LC_F32, -1, -1, 1, 1, 0, "hc_head_scale");
    for (int i = 0; i < g->n_mtp_layers; i++) {
        const int layer = g->n_layers + i;
        snprintf(p, sizeof p, "mtp.%d", i);
        lb_add(&c, LC_DENSE, layer, -1, 2, D, D, "%s.e_proj", p);
        lb_add(&c, LC_DENSE, layer, -1, 2, D, D, "%s.h_proj", p);
        lb_add(&c, LC_NORM, layer, -1, 1, D, 0, "%s.enorm.weight", p);
        lb_add(&c, LC_NORM, layer, -1, 1, D, 0, "%s.hnorm.weight", p);
        lb_add(&c, LC_NORM, layer, -1, 1, D, 0, "%s.norm.weight", p);
        lb_add(&c, LC_F32, layer, -1, 2, n, n * D, "%s.hc_head_fn", p);
        lb_add(&c, LC_F32, layer, -1, 1, n, 0, "%s.hc_head_base", p);
        lb_add(&c, LC_F32, layer, -1, 1, 1, 0, "%s.hc_head_scale", p);
        lb_block(&c, g, layer, p, config_is_hash_layer(g, layer));
    }
    if (c.failed) {
        layout_free(out);
        snprintf(err, errlen, "layout: out of memory");
        return -1;
    }
    return 0;
}

void layout_free(v4_layout *l) {
    free(l->e);
    l->e = NULL;
    l->n = 0;
}

const char *layout_class_name(layout_class c) {
    switch (c) {
    case LC_DENSE: return "dense linear";
    case LC_EXPERT: return "routed-expert linear";
    case LC_PLAIN: return "linear used unquantised";
    case LC_NORM: return "norm weight";
    case LC_F32: return "F32 parameter";
    case LC_INDEX: return "tid2eid table";
    default: return "?";
    }
}

int layout_class_allows(layout_class c, fmt_kind f) {
    int plain = f == FMT_F32 || f == FMT_BF16 || f == FMT_F16;
    switch (c) {
    case LC_PLAIN: return plain;
    case LC_DENSE: return plain || f == FMT_FP8;
    case LC_EXPERT: return plain || f == FMT_FP8 || f == FMT_FP4;
    default: return 0;
    }
}

static const char *lc_allowed_text(layout_class c) {
    switch (c) {
    case LC_PLAIN: return "F32, BF16 or F16";
    case LC_DENSE: return "F32, BF16, F16 or F8_E4M3 + scale";
    default: return "F32, BF16, F16, F8_E4M3 + scale or packed FP4 + scale";
    }
}

int layout_bind(const v4_config *cfg, const st_set *s, const layout_entry *e, v4_weight *w,
                char *err, size_t errlen) {
    if (e->cls != LC_DENSE && e->cls != LC_EXPERT && e->cls != LC_PLAIN) {
        snprintf(err, errlen, "layout: %s is a %s, not a linear weight", e->name,
                 layout_class_name(e->cls));
        return -1;
    }
    /* The storage class first, so a wrongly quantised weight is named as such. */
    char wn[96];
    snprintf(wn, sizeof wn, "%s.weight", e->name);
    const st_tensor *t = st_find(s, wn);
    if (t) {
        int f = t->dtype == ST_F32 ? FMT_F32 : t->dtype == ST_BF16 ? FMT_BF16
              : t->dtype == ST_F16 ? FMT_F16 : t->dtype == ST_F8_E4M3 ? FMT_FP8
              : (t->dtype == ST_I8 || t->dtype == ST_U8 || t->dtype == ST_F4) ? FMT_FP4 : -1;
        if (f >= 0 && !layout_class_allows(e->cls, (fmt_kind)f)) {
            snprintf(err, errlen, "%s: tensor %s: expected %s (a %s), found %s", t->file, wn,
                     lc_allowed_text(e->cls), layout_class_name(e->cls),
                     st_dtype_name(t->dtype));
            return -1;
        }
    }
    return st_bind_weight(s, e->name, (int)e->shape[0], (int)e->shape[1], cfg->weight_block[0],
                          cfg->weight_block[1], w, err, errlen);
}

/* Markers of transformers' DeepseekV4 module names (its conversion mapping renames attn →
 * self_attn, ffn → mlp, embed → embed_tokens, head → lm_head, wq_a → q_a_proj, …, and fuses the
 * routed experts into 3-D gate_up_proj / down_proj tensors, which no name table can undo). */
static const char *const HF_MARKERS[] = {
    "embed_tokens.", "lm_head.", ".self_attn.", ".mlp.", "input_layernorm.",
    "post_attention_layernorm.", ".attn_hc.", ".ffn_hc.", "hc_head.hc_", NULL,
};

int layout_adapt_names(st_set *s, char *err, size_t errlen) {
    if (!st_find(s, "embed.weight") && st_find(s, "model.embed.weight") &&
        st_strip_prefix(s, "model.", err, errlen))
        return -1;
    if (st_find(s, "embed.weight")) return 0;
    for (int i = 0; i < st_count(s); i++) {
        const st_tensor *t = st_at(s, i);
        for (const char *const *m = HF_MARKERS; *m; m++)
            if (strstr(t->name, *m)) {
                snprintf(err, errlen, "%s: tensor %s: expected the official DeepSeek-V4 tensor "
                         "names (embed.weight, layers.N.attn.wq_a.weight, "
                         "layers.N.ffn.experts.E.w1.weight, …), found Hugging Face transformers "
                         "names (model.layers.N.self_attn…, fused mlp.experts.gate_up_proj); "
                         "use the original checkpoint layout (transformers' save_pretrained with "
                         "the DeepSeek-V4 conversion reverted writes it)", t->file, t->name);
                return -1;
            }
    }
    return 0;
}

int layout_adapt_mtp(v4_config *cfg, const st_set *s) {
    if (cfg->n_mtp_layers <= 0) return 0;
    for (int i = 0; i < st_count(s); i++)
        if (!strncmp(st_at(s, i)->name, "mtp.", 4)) return 0;
    int n = cfg->n_mtp_layers;
    cfg->n_mtp_layers = 0;
    return n;
}

static int lv_cmp(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Checks one non-linear entry. */
static int lv_check_param(const v4_config *cfg, const st_set *s, const layout_entry *e, char *err,
                          size_t errlen) {
    const st_tensor *t = st_find(s, e->name);
    if (e->cls == LC_F32)
        return st_expect(s, e->name, ST_F32, e->ndim, e->shape, NULL, err, errlen);
    if (e->cls == LC_NORM) {
        st_dtype dt = t && (t->dtype == ST_F32 || t->dtype == ST_F16) ? t->dtype : ST_BF16;
        if (t && t->dtype != dt) {
            snprintf(err, errlen, "%s: tensor %s: expected BF16, F32 or F16 [%lld], found %s",
                     t->file, e->name, (long long)e->shape[0], st_dtype_name(t->dtype));
            return -1;
        }
        return st_expect(s, e->name, dt, 1, e->shape, NULL, err, errlen);
    }
    /* LC_INDEX */
    st_dtype dt = t && t->dtype == ST_I32 ? ST_I32 : ST_I64;
    if (t && t->dtype != dt) {
        snprintf(err, errlen, "%s: tensor %s: expected I64 or I32 [%lld, %lld], found %s",
                 t->file, e->name, (long long)e->shape[0], (long long)e->shape[1],
                 st_dtype_name(t->dtype));
        return -1;
    }
    if (st_expect(s, e->name, dt, 2, e->shape, &t, err, errlen)) return -1;
    size_t n = (size_t)e->shape[0] * (size_t)e->shape[1];
    for (size_t i = 0; i < n; i++) {
        int64_t v = dt == ST_I64 ? ((const int64_t *)t->data)[i] : ((const int32_t *)t->data)[i];
        if (v < 0 || v >= cfg->n_routed_experts) {
            snprintf(err, errlen, "%s: tensor %s: expected expert ids in [0, %d), found %lld at "
                     "[%zu, %zu]", t->file, e->name, cfg->n_routed_experts, (long long)v,
                     i / (size_t)e->shape[1], i % (size_t)e->shape[1]);
            return -1;
        }
    }
    return 0;
}

int layout_validate(const v4_config *cfg, const st_set *s, char *err, size_t errlen) {
    v4_layout lay;
    if (layout_build(cfg, &lay, err, errlen)) return -1;
    int rc = -1;
    char **names = NULL;
    int nn = 0;
    names = malloc(sizeof(char *) * (size_t)(2 * lay.n + 1));
    if (!names) { snprintf(err, errlen, "layout: out of memory"); goto out; }
    for (int i = 0; i < lay.n; i++) {
        const layout_entry *e = &lay.e[i];
        if (e->cls == LC_DENSE || e->cls == LC_EXPERT || e->cls == LC_PLAIN) {
            v4_weight w;
            if (layout_bind(cfg, s, e, &w, err, errlen)) goto out;
            char buf[96];
            snprintf(buf, sizeof buf, "%s.weight", e->name);
            names[nn++] = strdup(buf);
            if (w.scale) {
                snprintf(buf, sizeof buf, "%s.scale", e->name);
                names[nn++] = strdup(buf);
            }
        } else {
            if (lv_check_param(cfg, s, e, err, errlen)) goto out;
            names[nn++] = strdup(e->name);
        }
        if (!names[nn - 1]) { snprintf(err, errlen, "layout: out of memory"); goto out; }
    }
    /* Nothing the layout does not name. */
    qsort(names, (size_t)nn, sizeof *names, lv_cmp);
    for (int i = 0; i < st_count(s); i++) {
        const st_tensor *t = st_at(s, i);
        const char *key = t->name;
        /* MTP blocks beyond num_nextn_predict_layers (e.g. set to 0 to skip MTP) are unused */
        char *end = NULL;
        long mi = !strncmp(key, "mtp.", 4) ? strtol(key + 4, &end, 10) : -1;
        if (mi >= cfg->n_mtp_layers && end && *end == '.') continue;
        if (!bsearch(&key, names, (size_t)nn, sizeof *names, lv_cmp)) {
            snprintf(err, errlen, "%s: tensor %s: expected only tensors of the %s layout for this "
                     "config (official names, e.g. layers.0.attn.wq_a.weight), found an "
                     "unexpected tensor", t->file, t->name, cfg->model_type_str);
            goto out;
        }
    }
    rc = 0;
out:
    for (int i = 0; i < nn; i++) free(names[i]);
    free(names);
    layout_free(&lay);
    return rc;
}
