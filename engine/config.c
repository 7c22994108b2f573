/*
 * config.c — config.json (Hugging Face style keys, spec §1.2) → a validated v4_config.
 *
 * Keys that define the architecture are required; keys with one sensible value across the
 * released models (eps values, Sinkhorn iterations, token ids, …) default to the released value
 * when absent. Every value is type- and range-checked, then the cross-key rules are checked
 * (compress_ratios length and values, head/group divisibility, RoPE dims, expert counts, …).
 * The first problem found is reported as one line "PATH: KEY: expected …, found …".
 *
 * Two dialects are read: the released config.json keys (compress_ratios, num_hash_layers,
 * qk_rope_head_dim, rope_scaling) and, when those keys are absent, the keys transformers'
 * DeepseekV4Config writes instead (layer_types + compress_rates, mlp_layer_types,
 * partial_rotary_factor, rope_parameters {main, compress}); both give the same v4_config.
 * eos_token_id may be a list (the first id is the stop token); keys the engine does not use are
 * ignored.
 *
 * model_type dispatch: "deepseek_v4" is parsed here; "deepseek_v32" is recognised (reserved for
 * the V3.2 baseline) but rejected until its graph exists; anything else is an error.
 */
#include "engine/config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    const char *path;
    char *err;
    size_t errlen;
    int failed;
} cfg_ctx;

static void cfg_fail(cfg_ctx *c, const char *key, const char *fmt, ...) {
    if (c->failed) return;                     /* keep the first problem */
    c->failed = 1;
    if (!c->err || !c->errlen) return;
    int n = snprintf(c->err, c->errlen, "%s: %s: ", c->path, key);
    if (n < 0 || (size_t)n >= c->errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* Short description of a JSON value for "found …". */
static void cfg_found(const cJSON *j, char *buf, size_t len) {
    if (!j) snprintf(buf, len, "nothing (key missing)");
    else if (cJSON_IsNumber(j)) snprintf(buf, len, "%.17g", j->valuedouble);
    else if (cJSON_IsString(j)) snprintf(buf, len, "\"%.60s\"", j->valuestring);
    else if (cJSON_IsBool(j)) snprintf(buf, len, "%s", cJSON_IsTrue(j) ? "true" : "false");
    else if (cJSON_IsNull(j)) snprintf(buf, len, "null");
    else if (cJSON_IsArray(j)) snprintf(buf, len, "an array");
    else snprintf(buf, len, "an object");
}

/* Integer key in [lo, hi]. Missing: error when required, else *out = def. */
static void cfg_int(cfg_ctx *c, const cJSON *root, const char *key, int required, int def,
                    long lo, long hi, int *out) {
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(root, key);
    char f[96];
    if (!j || cJSON_IsNull(j)) {
        if (required) cfg_fail(c, key, "expected an integer in [%ld, %ld], found nothing (key "
                               "missing)", lo, hi);
        *out = def;
        return;
    }
    double d = cJSON_IsNumber(j) ? j->valuedouble : NAN;
    if (!cJSON_IsNumber(j) || floor(d) != d || d < (double)lo || d > (double)hi) {
        cfg_found(j, f, sizeof f);
        cfg_fail(c, key, "expected an integer in [%ld, %ld], found %s", lo, hi, f);
        *out = def;
        return;
    }
    *out = (int)d;
}

/* Real key in [lo, hi] (finite). */
static void cfg_real(cfg_ctx *c, const cJSON *root, const char *key, int required, double def,
                     double lo, double hi, double *out) {
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(root, key);
    char f[96];
    if (!j || cJSON_IsNull(j)) {
        if (required) cfg_fail(c, key, "expected a number in [%g, %g], found nothing (key "
                               "missing)", lo, hi);
        *out = def;
        return;
    }
    if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble) || j->valuedouble < lo ||
        j->valuedouble > hi) {
        cfg_found(j, f, sizeof f);
        cfg_fail(c, key, "expected a number in [%g, %g], found %s", lo, hi, f);
        *out = def;
        return;
    }
    *out = j->valuedouble;
}

static void cfg_bool(cfg_ctx *c, const cJSON *root, const char *key, int def, int *out) {
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!j || cJSON_IsNull(j)) { *out = def; return; }
    if (!cJSON_IsBool(j)) {
        char f[96];
        cfg_found(j, f, sizeof f);
        cfg_fail(c, key, "expected true or false, found %s", f);
        *out = def;
        return;
    }
    *out = cJSON_IsTrue(j);
}

/* String key; returns NULL when absent (error if required). */
static const char *cfg_str(cfg_ctx *c, const cJSON *root, const char *key, int required,
                           const char *what) {
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!j || cJSON_IsNull(j)) {
        if (required) cfg_fail(c, key, "expected %s, found nothing (key missing)", what);
        return NULL;
    }
    if (!cJSON_IsString(j)) {
        char f[96];
        cfg_found(j, f, sizeof f);
        cfg_fail(c, key, "expected %s, found %s", what, f);
        return NULL;
    }
    return j->valuestring;
}

/* cfg_yarn: reads a YaRN block `rs` found under `key` (rope_scaling, or the "compress" entry of
 * transformers' rope_parameters). rope_type "default" means no scaling. */
static void cfg_yarn(cfg_ctx *c, const cJSON *rs, const char *key, v4_config *cfg) {
    char tkey[64];
    snprintf(tkey, sizeof tkey, "%s.type", key);
    if (!cJSON_IsObject(rs)) {
        char f[96];
        cfg_found(rs, f, sizeof f);
        cfg_fail(c, key, "expected an object {type: yarn, factor, …} or null, found %s", f);
        return;
    }
    const cJSON *ty = cJSON_GetObjectItemCaseSensitive(rs, "type");
    if (!ty || cJSON_IsNull(ty)) ty = cJSON_GetObjectItemCaseSensitive(rs, "rope_type");
    if (cJSON_IsString(ty) && !strcmp(ty->valuestring, "default")) return;
    if (!cJSON_IsString(ty) || strcmp(ty->valuestring, "yarn")) {
        char f[96];
        cfg_found(ty, f, sizeof f);
        cfg_fail(c, tkey, "expected \"yarn\" (or \"default\" for none), found %s", f);
        return;
    }
    cfg_ctx sub = *c;
    char path[600];
    snprintf(path, sizeof path, "%s: %s", c->path, key);
    sub.path = path;
    cfg_real(&sub, rs, "factor", 1, 1.0, 1.0, 1e6, &cfg->rope_factor);
    cfg_int(&sub, rs, "original_max_position_embeddings", 1, 0, 1, 1L << 30,
            &cfg->original_seq_len);
    cfg_real(&sub, rs, "beta_fast", 0, 32.0, 1e-9, 1e6, &cfg->beta_fast);
    cfg_real(&sub, rs, "beta_slow", 0, 1.0, 1e-9, 1e6, &cfg->beta_slow);
    if (!sub.failed && cfg->beta_fast <= cfg->beta_slow)
        cfg_fail(&sub, "beta_fast", "expected > beta_slow (%g), found %g", cfg->beta_slow,
                 cfg->beta_fast);
    c->failed |= sub.failed;
}

/* cfg_rope_scaling: rope_scaling (released configs), or — when absent — the rope_parameters
 * that transformers' DeepseekV4Config writes ({"main": {...}, "compress": {rope_type yarn, factor,
 * …, rope_theta}}, or one flat block). Sets the YaRN fields; *compress_theta receives
 * rope_parameters.compress.rope_theta when present (0 otherwise). */
static void cfg_rope_scaling(cfg_ctx *c, const cJSON *root, v4_config *cfg,
                             double *compress_theta) {
    cfg->rope_factor = 1.0;
    cfg->original_seq_len = 0;
    cfg->beta_fast = 32.0;
    cfg->beta_slow = 1.0;
    *compress_theta = 0;
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(root, "rope_scaling");
    if (rs && !cJSON_IsNull(rs)) {
        cfg_yarn(c, rs, "rope_scaling", cfg);
        return;
    }
    const cJSON *rp = cJSON_GetObjectItemCaseSensitive(root, "rope_parameters");
    if (!rp || cJSON_IsNull(rp)) return;
    if (!cJSON_IsObject(rp)) {
        char f[96];
        cfg_found(rp, f, sizeof f);
        cfg_fail(c, "rope_parameters", "expected an object or null, found %s", f);
        return;
    }
    const cJSON *cp = cJSON_GetObjectItemCaseSensitive(rp, "compress");
    if (cp && !cJSON_IsNull(cp)) {
        cfg_yarn(c, cp, "rope_parameters.compress", cfg);
        const cJSON *th = cJSON_GetObjectItemCaseSensitive(cp, "rope_theta");
        if (cJSON_IsNumber(th) && th->valuedouble >= 1) *compress_theta = th->valuedouble;
    } else {
        cfg_yarn(c, rp, "rope_parameters", cfg);
    }
}

/* cfg_layer_types: compress_ratios from transformers' layer_types (one attention type per main
 * layer) and compress_rates ({type: ratio}, default CSA 4 / HCA 128); MTP layers get 0. */
static void cfg_layer_types(cfg_ctx *c, const cJSON *root, const cJSON *lt, v4_config *cfg) {
    static const char *const names[3] = {"sliding_attention", "compressed_sparse_attention",
                                         "heavily_compressed_attention"};
    int rate[3] = {0, 4, 128};
    const cJSON *cr = cJSON_GetObjectItemCaseSensitive(root, "compress_rates");
    for (int t = 1; t < 3 && cJSON_IsObject(cr); t++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(cr, names[t]);
        if (cJSON_IsNumber(v)) rate[t] = (int)v->valuedouble;
    }
    int n = cJSON_GetArraySize(lt);
    if (n != cfg->n_layers) {
        cfg_fail(c, "layer_types", "expected %d entries (num_hidden_layers), found %d",
                 cfg->n_layers, n);
        return;
    }
    int i = 0;
    for (const cJSON *e = lt->child; e; e = e->next, i++) {
        int t = -1;
        for (int k = 0; k < 3 && cJSON_IsString(e); k++)
            if (!strcmp(e->valuestring, names[k])) t = k;
        char k[48], f[96];
        snprintf(k, sizeof k, "layer_types[%d]", i);
        if (t < 0) {
            cfg_found(e, f, sizeof f);
            cfg_fail(c, k, "expected \"sliding_attention\", \"compressed_sparse_attention\" or "
                     "\"heavily_compressed_attention\", found %s", f);
            return;
        }
        if (rate[t] != 0 && rate[t] != 4 && rate[t] != 128) {
            cfg_fail(c, "compress_rates", "expected %s in {4, 128}, found %d", names[t], rate[t]);
            return;
        }
        cfg->compress_ratios[i] = rate[t];
    }
    for (int m = 0; m < cfg->n_mtp_layers; m++) cfg->compress_ratios[n + m] = 0;
    cfg->n_compress_ratios = n + cfg->n_mtp_layers;
}

/* cfg_hash_layers: num_hash_layers, or the leading run of "hash_moe" in transformers'
 * mlp_layer_types (which must then be "moe" to the end). */
static void cfg_hash_layers(cfg_ctx *c, const cJSON *root, v4_config *cfg) {
    const cJSON *nh = cJSON_GetObjectItemCaseSensitive(root, "num_hash_layers");
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(root, "mlp_layer_types");
    if ((nh && !cJSON_IsNull(nh)) || !mt || cJSON_IsNull(mt)) {
        cfg_int(c, root, "num_hash_layers", 0, 0, 0, V4_MAX_LAYERS, &cfg->n_hash_layers);
        return;
    }
    if (!cJSON_IsArray(mt) || cJSON_GetArraySize(mt) != cfg->n_layers) {
        char f[96];
        cfg_found(mt, f, sizeof f);
        if (cJSON_IsArray(mt)) snprintf(f, sizeof f, "%d entries", cJSON_GetArraySize(mt));
        cfg_fail(c, "mlp_layer_types", "expected an array of %d entries (num_hidden_layers), "
                 "found %s", cfg->n_layers, f);
        return;
    }
    int i = 0, hashes = 0, seen_moe = 0;
    for (const cJSON *e = mt->child; e; e = e->next, i++) {
        int is_hash = cJSON_IsString(e) && !strcmp(e->valuestring, "hash_moe");
        int is_moe = cJSON_IsString(e) && !strcmp(e->valuestring, "moe");
        char k[48], f[96];
        snprintf(k, sizeof k, "mlp_layer_types[%d]", i);
        if ((!is_hash && !is_moe) || (is_hash && seen_moe)) {
            cfg_found(e, f, sizeof f);
            cfg_fail(c, k, "expected %s, found %s", seen_moe ? "\"moe\" (hash-routed layers "
                     "come first)" : "\"hash_moe\" or \"moe\"", f);
            return;
        }
        seen_moe |= is_moe;
        hashes += is_hash;
    }
    cfg->n_hash_layers = hashes;
}

/* cfg_eos: eos_token_id as an integer or a non-empty array of integers (the first is the
 * engine's stop token). */
static void cfg_eos(cfg_ctx *c, const cJSON *root, v4_config *cfg) {
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(root, "eos_token_id");
    if (!cJSON_IsArray(j)) {
        cfg_int(c, root, "eos_token_id", 0, 1, 0, 1L << 30, &cfg->eos_id);
        return;
    }
    const cJSON *e = j->child;
    if (!e || !cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble > (double)(1L << 30) ||
        floor(e->valuedouble) != e->valuedouble) {
        char f[96];
        cfg_found(e, f, sizeof f);
        cfg_fail(c, "eos_token_id[0]", "expected an integer token id, found %s", f);
        return;
    }
    cfg->eos_id = (int)e->valuedouble;
}

static void cfg_quant(cfg_ctx *c, const cJSON *root, v4_config *cfg) {
    cfg->has_fp8_quant = 0;
    cfg->weight_block[0] = cfg->weight_block[1] = 128;
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(root, "quantization_config");
    if (!q || cJSON_IsNull(q)) return;
    if (!cJSON_IsObject(q)) {
        char f[96];
        cfg_found(q, f, sizeof f);
        cfg_fail(c, "quantization_config", "expected an object, found %s", f);
        return;
    }
    cfg_ctx sub = *c;
    char path[600];
    snprintf(path, sizeof path, "%s: quantization_config", c->path);
    sub.path = path;
    const char *m = cfg_str(&sub, q, "quant_method", 1, "\"fp8\"");
    if (m && strcmp(m, "fp8"))
        cfg_fail(&sub, "quant_method", "expected \"fp8\", found \"%s\"", m);
    const char *fmt = cfg_str(&sub, q, "fmt", 0, "\"e4m3\"");
    if (fmt && strcmp(fmt, "e4m3")) cfg_fail(&sub, "fmt", "expected \"e4m3\", found \"%s\"", fmt);
    const char *sf = cfg_str(&sub, q, "scale_fmt", 0, "\"ue8m0\"");
    if (sf && strcmp(sf, "ue8m0"))
        cfg_fail(&sub, "scale_fmt", "expected \"ue8m0\", found \"%s\"", sf);
    const cJSON *wb = cJSON_GetObjectItemCaseSensitive(q, "weight_block_size");
    if (wb && !cJSON_IsNull(wb)) {
        int ok = cJSON_IsArray(wb) && cJSON_GetArraySize(wb) == 2;
        for (int i = 0; ok && i < 2; i++) {
            const cJSON *e = cJSON_GetArrayItem(wb, i);
            ok = cJSON_IsNumber(e) && e->valuedouble >= 1 && e->valuedouble <= 65536 &&
                 floor(e->valuedouble) == e->valuedouble;
            if (ok) cfg->weight_block[i] = (int)e->valuedouble;
        }
        if (!ok) {
            char f[96];
            cfg_found(wb, f, sizeof f);
            cfg_fail(&sub, "weight_block_size", "expected [rows, cols] of positive integers, "
                     "found %s", f);
        }
    }
    c->failed |= sub.failed;
    if (!sub.failed) cfg->has_fp8_quant = 1;
}

static void cfg_compress_ratios(cfg_ctx *c, const cJSON *root, v4_config *cfg) {
    const cJSON *cr = cJSON_GetObjectItemCaseSensitive(root, "compress_ratios");
    int want = cfg->n_layers + cfg->n_mtp_layers;
    if (!cJSON_IsArray(cr)) {
        char f[96];
        cfg_found(cr, f, sizeof f);
        cfg_fail(c, "compress_ratios", "expected an array of %d entries in {0, 4, 128}, found %s",
                 want, f);
        return;
    }
    int n = cJSON_GetArraySize(cr);
    if (want > V4_MAX_LAYERS) {
        cfg_fail(c, "num_hidden_layers", "expected num_hidden_layers + num_nextn_predict_layers "
                 "<= %d, found %d + %d", V4_MAX_LAYERS, cfg->n_layers, cfg->n_mtp_layers);
        return;
    }
    /* The official ModelArgs indexes compress_ratios by layer id, so a longer list (tiny
     * configs cut from a released one keep its full list) is read up to the layers it has. */
    if (n < want) {
        cfg_fail(c, "compress_ratios", "expected %d entries (num_hidden_layers %d + "
                 "num_nextn_predict_layers %d), found %d", want, cfg->n_layers,
                 cfg->n_mtp_layers, n);
        return;
    }
    int i = 0;
    for (const cJSON *e = cr->child; e && i < want; e = e->next, i++) {
        double d = cJSON_IsNumber(e) ? e->valuedouble : NAN;
        if (!(d == 0 || d == 4 || d == 128)) {
            char f[96], k[48];
            cfg_found(e, f, sizeof f);
            snprintf(k, sizeof k, "compress_ratios[%d]", i);
            cfg_fail(c, k, "expected 0, 4 or 128, found %s", f);
            return;
        }
        cfg->compress_ratios[i] = (int)d;
    }
    cfg->n_compress_ratios = want;
}

static int cfg_is_pow2(int v) { return v > 0 && (v & (v - 1)) == 0; }

/* Cross-key rules; keys are named as in config.json. */
static void cfg_check(cfg_ctx *c, v4_config *g) {
    if (g->n_kv_heads != 1)
        cfg_fail(c, "num_key_value_heads", "expected 1 (one shared K=V head), found %d",
                 g->n_kv_heads);
    if (g->n_heads % g->o_groups)
        cfg_fail(c, "o_groups", "expected a divisor of num_attention_heads (%d), found %d",
                 g->n_heads, g->o_groups);
    if (g->rope_dim % 2)
        cfg_fail(c, "qk_rope_head_dim", "expected an even number, found %d", g->rope_dim);
    if (g->head_dim <= g->rope_dim)
        cfg_fail(c, "head_dim", "expected > qk_rope_head_dim (%d), found %d", g->rope_dim,
                 g->head_dim);
    if (g->n_activated_experts > g->n_routed_experts)
        cfg_fail(c, "num_experts_per_tok", "expected <= n_routed_experts (%d), found %d",
                 g->n_routed_experts, g->n_activated_experts);
    if (g->n_hash_layers > g->n_layers + g->n_mtp_layers)
        cfg_fail(c, "num_hash_layers", "expected <= num_hidden_layers + num_nextn_predict_layers "
                 "(%d), found %d", g->n_layers + g->n_mtp_layers, g->n_hash_layers);
    if (g->eos_id >= g->vocab_size)
        cfg_fail(c, "eos_token_id", "expected < vocab_size (%d), found %d", g->vocab_size,
                 g->eos_id);
    if (g->bos_id >= g->vocab_size)
        cfg_fail(c, "bos_token_id", "expected < vocab_size (%d), found %d", g->vocab_size,
                 g->bos_id);
    int has_csa = 0, has_comp = 0;
    for (int i = 0; i < g->n_compress_ratios; i++) {
        has_csa |= g->compress_ratios[i] == 4;
        has_comp |= g->compress_ratios[i] != 0;
    }
    if (has_csa) {
        if (g->index_n_heads < 1)
            cfg_fail(c, "index_n_heads", "expected >= 1 (the model has CSA layers), found %d",
                     g->index_n_heads);
        if (g->index_head_dim <= g->rope_dim)
            cfg_fail(c, "index_head_dim", "expected > qk_rope_head_dim (%d) (CSA layers rotate "
                     "the last %d indexer dims), found %d", g->rope_dim, g->rope_dim,
                     g->index_head_dim);
        else if (!cfg_is_pow2(g->index_head_dim))
            cfg_fail(c, "index_head_dim", "expected a power of two (Hadamard rotation), found %d",
                     g->index_head_dim);
        if (g->index_topk < 1)
            cfg_fail(c, "index_topk", "expected >= 1 (the model has CSA layers), found %d",
                     g->index_topk);
    }
    if (has_comp && g->original_seq_len > 0 && g->rope_factor < 1)
        cfg_fail(c, "rope_scaling.factor", "expected >= 1, found %g", g->rope_factor);
}

int config_parse(const char *json, size_t len, const char *path, v4_config *cfg, char *err,
                 size_t errlen) {
    cfg_ctx c = {path, err, errlen, 0};
    memset(cfg, 0, sizeof *cfg);
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root) {
        const char *ep = cJSON_GetErrorPtr();
        long off = ep && ep >= json && ep <= json + len ? (long)(ep - json) : -1;
        if (err && errlen)
            snprintf(err, errlen, "%s: expected valid JSON, found a syntax error near byte %ld",
                     path, off);
        return -1;
    }
    if (!cJSON_IsObject(root)) {
        if (err && errlen)
            snprintf(err, errlen, "%s: expected a JSON object, found another JSON value", path);
        cJSON_Delete(root);
        return -1;
    }

    /* model_type dispatch */
    if (!cJSON_GetObjectItemCaseSensitive(root, "model_type") &&
        cJSON_GetObjectItemCaseSensitive(root, "dim") &&
        cJSON_GetObjectItemCaseSensitive(root, "n_layers")) {
        cfg_fail(&c, "model_type", "expected \"deepseek_v4\" (the Hugging Face config.json), found "
                 "nothing: this looks like the official inference/config.json (ModelArgs keys dim, "
                 "n_layers, …); use the config.json at the checkpoint's root");
        goto out;
    }
    const char *mt = cfg_str(&c, root, "model_type", 1, "\"deepseek_v4\"");
    if (mt) {
        snprintf(cfg->model_type_str, sizeof cfg->model_type_str, "%s", mt);
        if (!strcmp(mt, "deepseek_v4")) cfg->model_type = MODEL_DEEPSEEK_V4;
        else if (!strcmp(mt, "deepseek_v32"))
            cfg_fail(&c, "model_type", "expected \"deepseek_v4\", found \"deepseek_v32\" "
                     "(recognised, but the V3.2 graph is not built yet)");
        else cfg_fail(&c, "model_type", "expected \"deepseek_v4\", found \"%s\"", mt);
    }
    if (c.failed) goto out;

    const long BIG = 1L << 30;
    cfg_int(&c, root, "vocab_size", 1, 0, 1, BIG, &cfg->vocab_size);
    cfg_int(&c, root, "hidden_size", 1, 0, 1, 1 << 20, &cfg->dim);
    cfg_int(&c, root, "num_hidden_layers", 1, 0, 1, V4_MAX_LAYERS - 1, &cfg->n_layers);
    cfg_int(&c, root, "num_nextn_predict_layers", 0, 0, 0, 8, &cfg->n_mtp_layers);
    cfg_int(&c, root, "num_attention_heads", 1, 0, 1, 1 << 16, &cfg->n_heads);
    cfg_int(&c, root, "num_key_value_heads", 0, 1, 0, 1 << 16, &cfg->n_kv_heads);
    cfg_int(&c, root, "head_dim", 1, 0, 1, 1 << 16, &cfg->head_dim);
    const cJSON *prf = cJSON_GetObjectItemCaseSensitive(root, "partial_rotary_factor");
    if (!cJSON_GetObjectItemCaseSensitive(root, "qk_rope_head_dim") && cJSON_IsNumber(prf)) {
        /* transformers' DeepseekV4Config: rope dims = head_dim · partial_rotary_factor */
        double r = prf->valuedouble * cfg->head_dim;
        if (!(r >= 2) || fabs(r - floor(r + 0.5)) > 1e-6)
            cfg_fail(&c, "partial_rotary_factor", "expected a fraction giving an integer number "
                     "of rotary dims of head_dim %d, found %g", cfg->head_dim, prf->valuedouble);
        else cfg->rope_dim = (int)floor(r + 0.5);
    } else {
        cfg_int(&c, root, "qk_rope_head_dim", 1, 0, 2, 1 << 16, &cfg->rope_dim);
    }
    cfg_int(&c, root, "q_lora_rank", 1, 0, 1, 1 << 20, &cfg->q_lora_rank);
    cfg_int(&c, root, "o_groups", 1, 0, 1, 1 << 16, &cfg->o_groups);
    cfg_int(&c, root, "o_lora_rank", 1, 0, 1, 1 << 20, &cfg->o_lora_rank);
    cfg_int(&c, root, "sliding_window", 1, 0, 1, 1 << 20, &cfg->window);
    if (c.failed) goto out;
    const cJSON *lt = cJSON_GetObjectItemCaseSensitive(root, "layer_types");
    if (!cJSON_GetObjectItemCaseSensitive(root, "compress_ratios") && cJSON_IsArray(lt))
        cfg_layer_types(&c, root, lt, cfg);
    else
        cfg_compress_ratios(&c, root, cfg);
    /* transformers may keep the main base only in rope_parameters.main.rope_theta */
    const cJSON *rpm = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root, "rope_parameters"), "main");
    const cJSON *rpm_theta = cJSON_IsObject(rpm) ? cJSON_GetObjectItemCaseSensitive(rpm, "rope_theta")
                                                 : NULL;
    int theta_nested = !cJSON_GetObjectItemCaseSensitive(root, "rope_theta") &&
                       cJSON_IsNumber(rpm_theta) && rpm_theta->valuedouble >= 1;
    cfg_real(&c, root, "rope_theta", !theta_nested, theta_nested ? rpm_theta->valuedouble : 0,
             1.0, 1e12, &cfg->rope_theta);
    int has_comp = 0, has_csa = 0;
    for (int i = 0; i < cfg->n_compress_ratios; i++) {
        has_comp |= cfg->compress_ratios[i] != 0;
        has_csa |= cfg->compress_ratios[i] == 4;
    }
    double rp_theta;
    cfg_rope_scaling(&c, root, cfg, &rp_theta);
    cfg_real(&c, root, "compress_rope_theta", has_comp && rp_theta == 0,
             rp_theta > 0 ? rp_theta : cfg->rope_theta, 1.0, 1e12, &cfg->compress_rope_theta);
    cfg_int(&c, root, "index_n_heads", has_csa, 0, 0, 1 << 16, &cfg->index_n_heads);
    cfg_int(&c, root, "index_head_dim", has_csa, 0, 0, 1 << 16, &cfg->index_head_dim);
    cfg_int(&c, root, "index_topk", has_csa, 0, 0, BIG, &cfg->index_topk);
    cfg_int(&c, root, "n_routed_experts", 1, 0, 1, 1 << 20, &cfg->n_routed_experts);
    cfg_int(&c, root, "n_shared_experts", 0, 1, 0, 64, &cfg->n_shared_experts);
    cfg_int(&c, root, "num_experts_per_tok", 1, 0, 1, 1 << 20, &cfg->n_activated_experts);
    cfg_int(&c, root, "moe_intermediate_size", 1, 0, 1, 1 << 24, &cfg->moe_inter_dim);
    const char *sfn = cfg_str(&c, root, "scoring_func", 0, "\"sqrtsoftplus\"");
    cfg->score_func = SCORE_SQRTSOFTPLUS;
    if (sfn) {
        if (!strcmp(sfn, "sqrtsoftplus")) cfg->score_func = SCORE_SQRTSOFTPLUS;
        else if (!strcmp(sfn, "softmax")) cfg->score_func = SCORE_SOFTMAX;
        else if (!strcmp(sfn, "sigmoid")) cfg->score_func = SCORE_SIGMOID;
        else cfg_fail(&c, "scoring_func", "expected \"sqrtsoftplus\", \"softmax\" or "
                      "\"sigmoid\", found \"%s\"", sfn);
    }
    cfg_bool(&c, root, "norm_topk_prob", 1, &cfg->norm_topk_prob);
    cfg_real(&c, root, "routed_scaling_factor", 1, 1.0, 1e-6, 1e6, &cfg->route_scale);
    const char *tkm = cfg_str(&c, root, "topk_method", 0, "\"noaux_tc\"");
    if (tkm && strcmp(tkm, "noaux_tc"))
        cfg_fail(&c, "topk_method", "expected \"noaux_tc\", found \"%s\"", tkm);
    cfg_hash_layers(&c, root, cfg);
    cfg_real(&c, root, "swiglu_limit", 0, 0.0, 0.0, 1e30, &cfg->swiglu_limit);
    cfg_int(&c, root, "hc_mult", 1, 0, 1, 64, &cfg->hc_mult);
    cfg_int(&c, root, "hc_sinkhorn_iters", 0, 20, 1, 1000, &cfg->hc_sinkhorn_iters);
    cfg_real(&c, root, "hc_eps", 0, 1e-6, 0.0, 1.0, &cfg->hc_eps);
    cfg_real(&c, root, "rms_norm_eps", 0, 1e-6, 0.0, 1.0, &cfg->norm_eps);
    cfg_int(&c, root, "max_position_embeddings", 1, 0, 1, 1L << 30, &cfg->max_position);
    cfg_int(&c, root, "bos_token_id", 0, 0, 0, BIG, &cfg->bos_id);
    cfg_eos(&c, root, cfg);
    cfg_bool(&c, root, "tie_word_embeddings", 0, &cfg->tie_word_embeddings);
    if (cfg->tie_word_embeddings)
        cfg_fail(&c, "tie_word_embeddings", "expected false (V4 has a separate head.weight), "
                 "found true");
    const char *act = cfg_str(&c, root, "hidden_act", 0, "\"silu\"");
    if (act && strcmp(act, "silu"))
        cfg_fail(&c, "hidden_act", "expected \"silu\", found \"%s\"", act);
    const char *ed = cfg_str(&c, root, "expert_dtype", 0, "\"fp4\", \"fp8\" or \"bf16\"");
    if (ed) {
        if (strcmp(ed, "fp4") && strcmp(ed, "fp8") && strcmp(ed, "bf16"))
            cfg_fail(&c, "expert_dtype", "expected \"fp4\", \"fp8\" or \"bf16\", found \"%s\"",
                     ed);
        else snprintf(cfg->expert_dtype, sizeof cfg->expert_dtype, "%s", ed);
    }
    cfg_quant(&c, root, cfg);
    const cJSON *qc = cJSON_GetObjectItemCaseSensitive(root, "quantization_config");
    const cJSON *qed = cJSON_IsObject(qc) ? cJSON_GetObjectItemCaseSensitive(qc, "expert_dtype")
                                          : NULL;
    if (!ed && cJSON_IsString(qed)) {       /* some exports nest it in quantization_config */
        if (strcmp(qed->valuestring, "fp4") && strcmp(qed->valuestring, "fp8") &&
            strcmp(qed->valuestring, "bf16"))
            cfg_fail(&c, "quantization_config.expert_dtype", "expected \"fp4\", \"fp8\" or "
                     "\"bf16\", found \"%.20s\"", qed->valuestring);
        else snprintf(cfg->expert_dtype, sizeof cfg->expert_dtype, "%s", qed->valuestring);
    }
    if (!c.failed) cfg_check(&c, cfg);
out:
    cJSON_Delete(root);
    return c.failed ? -1 : 0;
}

int config_load(const char *path, v4_config *cfg, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err && errlen) snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        if (err && errlen) snprintf(err, errlen, "%s: expected a config.json file, found a directory", path);
        return -1;
    }
    if (fseek(f, 0, SEEK_END) != 0) { fclose(f); return -1; }
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n < 0 || n > (1L << 26)) {
        fclose(f);
        if (err && errlen)
            snprintf(err, errlen, "%s: expected a config.json under 64 MiB, found %ld bytes", path,
                     n);
        return -1;
    }
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        if (err && errlen) snprintf(err, errlen, "%s: cannot read", path);
        return -1;
    }
    fclose(f);
    buf[n] = 0;
    int rc = config_parse(buf, (size_t)n, path, cfg, err, errlen);
    free(buf);
    return rc;
}
