/*
 * params.c — parameter, byte and KV accounting from a config (conventions in params.h).
 *
 * Counts walk the layout table, so every tensor the loader expects is counted exactly once.
 * Routed experts are all the same size, so the activated share n_activated/E of a layer's routed
 * experts is exact in integers.
 */
#include "engine/params.h"

#include <stdio.h>
#include <string.h>

static int64_t entry_numel(const layout_entry *e) {
    return e->ndim == 1 ? e->shape[0] : e->shape[0] * e->shape[1];
}

int params_count(const v4_config *cfg, v4_params *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    v4_layout lay;
    if (layout_build(cfg, &lay, err, errlen)) return -1;
    int64_t routed_main = 0, routed_mtp = 0;
    for (int i = 0; i < lay.n; i++) {
        const layout_entry *e = &lay.e[i];
        if (e->cls == LC_INDEX) continue;
        int64_t n = entry_numel(e);
        int mtp = e->layer >= cfg->n_layers;
        out->total += n;
        if (!mtp) out->total_no_mtp += n;
        if (e->is_embed) { out->embed += n; continue; }
        if (e->expert >= 0) {
            if (mtp) routed_mtp += n;
            else routed_main += n;
            continue;
        }
        if (mtp) out->active_mtp += n;
        else out->active += n;
    }
    out->active += routed_main / cfg->n_routed_experts * cfg->n_activated_experts;
    out->active_mtp += routed_mtp / cfg->n_routed_experts * cfg->n_activated_experts;
    for (int l = 0; l < cfg->n_layers; l++) {
        int r = cfg->compress_ratios[l];
        if (r == 0) out->n_swa++;
        else if (r == 4) out->n_csa++;
        else out->n_hca++;
    }
    layout_free(&lay);
    return 0;
}

params_storage params_default_storage(const v4_config *cfg) {
    params_storage s;
    s.dense = cfg->has_fp8_quant ? FMT_FP8 : FMT_BF16;
    if (!strcmp(cfg->expert_dtype, "fp4")) s.expert = FMT_FP4;
    else if (!strcmp(cfg->expert_dtype, "fp8")) s.expert = FMT_FP8;
    else if (!strcmp(cfg->expert_dtype, "bf16")) s.expert = FMT_BF16;
    else s.expert = s.dense;
    s.plain = FMT_BF16;
    s.norm = FMT_BF16;
    return s;
}

int64_t params_linear_bytes(fmt_kind f, int64_t rows, int64_t cols, int br, int bc) {
    switch (f) {
    case FMT_F32: return rows * cols * 4;
    case FMT_BF16: case FMT_F16: return rows * cols * 2;
    case FMT_FP8: return rows * cols + ((rows + br - 1) / br) * ((cols + bc - 1) / bc);
    case FMT_FP4: return rows * cols / 2 + rows * ((cols + 31) / 32);
    default: return 0;
    }
}

int params_bytes_for(const v4_config *cfg, const params_storage *st, params_bytes *out,
                     char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    v4_layout lay;
    if (layout_build(cfg, &lay, err, errlen)) return -1;
    for (int i = 0; i < lay.n; i++) {
        const layout_entry *e = &lay.e[i];
        int64_t n = entry_numel(e);
        switch (e->cls) {
        case LC_DENSE: case LC_EXPERT: case LC_PLAIN: {
            fmt_kind f = e->cls == LC_DENSE ? st->dense : e->cls == LC_EXPERT ? st->expert
                                                                              : st->plain;
            out->by_fmt[f] += params_linear_bytes(f, e->shape[0], e->shape[1],
                                                  cfg->weight_block[0], cfg->weight_block[1]);
            break;
        }
        case LC_NORM: out->by_fmt[st->norm] += n * (st->norm == FMT_F32 ? 4 : 2); break;
        case LC_F32: out->by_fmt[FMT_F32] += n * 4; break;
        case LC_INDEX: out->index += n * 8; break;
        default: break;
        }
    }
    for (int f = 0; f < FMT_COUNT; f++) out->total += out->by_fmt[f];
    out->total += out->index;
    layout_free(&lay);
    return 0;
}

/* Bytes of one main (window or compressed) entry and of one indexer key. */
static void kv_entry_bytes(const v4_config *cfg, kv_format f, double *bc, double *bi) {
    int nope = cfg->head_dim - cfg->rope_dim;
    if (f == KV_BF16) {
        *bc = 2.0 * cfg->head_dim;
        *bi = 2.0 * cfg->index_head_dim;
        return;
    }
    int scales = (nope + 63) / 64;
    scales = (scales + 7) / 8 * 8;                 /* vLLM pads the scale bytes to 8 */
    *bc = nope + 2.0 * cfg->rope_dim + scales;
    *bi = cfg->index_head_dim / 2.0 + (cfg->index_head_dim + 31) / 32;
}

double params_kv_bytes_per_token(const v4_config *cfg, kv_format f) {
    double bc, bi, sum = 0;
    kv_entry_bytes(cfg, f, &bc, &bi);
    for (int l = 0; l < cfg->n_compress_ratios; l++) {
        int r = cfg->compress_ratios[l];
        if (r == 4) sum += (bc + bi) / r;
        else if (r > 0) sum += bc / r;
    }
    return sum;
}

double params_kv_bytes(const v4_config *cfg, int64_t L, kv_format f) {
    double bc, bi, sum = 0;
    kv_entry_bytes(cfg, f, &bc, &bi);
    const double d = cfg->head_dim, ci = cfg->index_head_dim;
    for (int l = 0; l < cfg->n_compress_ratios; l++) {
        int r = cfg->compress_ratios[l];
        sum += (double)(L < cfg->window ? L : cfg->window) * bc;
        if (r == 4) {
            sum += (double)(L / r) * (bc + bi);
            sum += 2.0 * (2 * r) * (2 * d) * 4;        /* main compressor SK + SZ, fp32 */
            sum += 2.0 * (2 * r) * (2 * ci) * 4;       /* indexer compressor SK + SZ */
        } else if (r > 0) {
            sum += (double)(L / r) * bc;
            sum += 2.0 * r * d * 4;
        }
    }
    return sum;
}

void params_schedule(const v4_config *cfg, char *buf, size_t len) {
    size_t o = 0;
    int ns = 0, nc = 0, nh = 0;
    if (len == 0) return;
    buf[0] = 0;
#define PUT(...) do { if (o < len) o += (size_t)snprintf(buf + o, len - o, __VA_ARGS__); } while (0)
    for (int l = 0; l < cfg->n_layers; l++) {
        int r = cfg->compress_ratios[l];
        PUT("%c", r == 0 ? 'S' : r == 4 ? 'C' : 'H');
        ns += r == 0;
        nc += r == 4;
        nh += r == 128;
    }
    PUT(" (S = SWA-only x%d, C = CSA x%d, H = HCA x%d)", ns, nc, nh);
    if (cfg->n_mtp_layers) {
        PUT("; MTP: ");
        for (int i = 0; i < cfg->n_mtp_layers; i++) {
            int r = cfg->compress_ratios[cfg->n_layers + i];
            PUT("%c", r == 0 ? 'S' : r == 4 ? 'C' : 'H');
        }
    }
    if (cfg->n_hash_layers > 0) PUT("; hash-routed layers 0-%d", cfg->n_hash_layers - 1);
#undef PUT
}
