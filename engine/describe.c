/*
 * describe.c — checkpoint-level facts for the CLI, behind engine/v4.h: v4_describe (parameters,
 * layer schedule, bytes per storage format, KV bytes per token, OpenBLAS kernel — from a config
 * alone or from a validated checkpoint) and v4_init_random (a random-weight checkpoint in the
 * official layout, re-validated after writing).
 *
 * Both return 0 on success, 2 for bad input (config, checkpoint, arguments) and 1 for I/O
 * failures, with one line in err. They print only to the FILE* they are given.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/config.h"
#include "engine/init_random.h"
#include "engine/layout.h"
#include "engine/params.h"
#include "engine/safetensors.h"
#include "engine/v4.h"

/* "284.33B", "1.599T", "16.8M" */
static void human_count(int64_t n, char *buf, size_t len) {
    double v = (double)n;
    if (v >= 1e12) snprintf(buf, len, "%.3fT", v / 1e12);
    else if (v >= 1e9) snprintf(buf, len, "%.2fB", v / 1e9);
    else if (v >= 1e6) snprintf(buf, len, "%.2fM", v / 1e6);
    else if (v >= 1e3) snprintf(buf, len, "%.1fK", v / 1e3);
    else snprintf(buf, len, "%lld", (long long)n);
}

static void human_bytes(double b, char *buf, size_t len) {
    if (b >= 1e9) snprintf(buf, len, "%.2f GB", b / 1e9);
    else if (b >= 1e6) snprintf(buf, len, "%.2f MB", b / 1e6);
    else if (b >= 1e3) snprintf(buf, len, "%.1f kB", b / 1e3);
    else snprintf(buf, len, "%.0f B", b);
}

/* Bytes per storage format of the tensors in s (validated against the layout). */
static int bytes_from_checkpoint(const v4_config *cfg, const st_set *s, params_bytes *pb,
                                 char *err, size_t errlen) {
    memset(pb, 0, sizeof *pb);
    v4_layout lay;
    if (layout_build(cfg, &lay, err, errlen)) return -1;
    for (int i = 0; i < lay.n; i++) {
        const layout_entry *e = &lay.e[i];
        if (e->cls == LC_DENSE || e->cls == LC_EXPERT || e->cls == LC_PLAIN) {
            v4_weight w;
            if (layout_bind(cfg, s, e, &w, err, errlen)) { layout_free(&lay); return -1; }
            pb->by_fmt[w.fmt] += (int64_t)fmt_weight_bytes(&w);
            continue;
        }
        const st_tensor *t = st_find(s, e->name);
        if (!t) continue;
        if (e->cls == LC_INDEX) pb->index += (int64_t)t->nbytes;
        else if (t->dtype == ST_F32) pb->by_fmt[FMT_F32] += (int64_t)t->nbytes;
        else if (t->dtype == ST_F16) pb->by_fmt[FMT_F16] += (int64_t)t->nbytes;
        else pb->by_fmt[FMT_BF16] += (int64_t)t->nbytes;
    }
    for (int f = 0; f < FMT_COUNT; f++) pb->total += pb->by_fmt[f];
    pb->total += pb->index;
    layout_free(&lay);
    return 0;
}

static void print_info(FILE *out, const char *source, const v4_config *c, const v4_params *p,
                       const params_bytes *pb, const char *storage_note, int n_tensors) {
    char a[32], b[32], d[32], e[32], sched[V4_MAX_LAYERS + 256];
    fprintf(out, "source            %s\n", source);
    fprintf(out, "model_type        %s\n", c->model_type_str);
    fprintf(out, "dims              vocab %d, hidden %d, %d layers + %d MTP, %d heads x %d (rope %d), "
           "q_lora %d, o_groups %d x %d, window %d, hc_mult %d\n", c->vocab_size, c->dim,
           c->n_layers, c->n_mtp_layers, c->n_heads, c->head_dim, c->rope_dim, c->q_lora_rank,
           c->o_groups, c->o_lora_rank, c->window, c->hc_mult);
    fprintf(out, "experts           %d routed (%d per token) + %d shared, width %d, hash-routed "
           "layers %d\n", c->n_routed_experts, c->n_activated_experts, c->n_shared_experts,
           c->moe_inter_dim, c->n_hash_layers);
    if (p->n_csa)
        fprintf(out, "indexer           %d heads x %d, top-%d\n", c->index_n_heads, c->index_head_dim,
               c->index_topk);
    human_count(p->total_no_mtp, a, sizeof a);
    human_count(p->total, b, sizeof b);
    human_count(p->active, d, sizeof d);
    human_count(p->active_mtp, e, sizeof e);
    fprintf(out, "parameters        total %s (excl. MTP), %s incl. MTP; activated %s per token "
           "(excl. embedding; MTP block %s)\n", a, b, d, e);
    params_schedule(c, sched, sizeof sched);
    fprintf(out, "layer schedule    %s\n", sched);
    fprintf(out, "bytes per format  ");
    int first = 1;
    for (int f = 0; f < FMT_COUNT; f++) {
        if (!pb->by_fmt[f]) continue;
        human_bytes((double)pb->by_fmt[f], a, sizeof a);
        fprintf(out, "%s%s %s", first ? "" : ", ", fmt_name((fmt_kind)f), a);
        first = 0;
    }
    if (pb->index) {
        human_bytes((double)pb->index, a, sizeof a);
        fprintf(out, "%stid2eid %s", first ? "" : ", ", a);
    }
    human_bytes((double)pb->total, a, sizeof a);
    fprintf(out, "; total %s (%s)\n", a, storage_note);
    if (n_tensors >= 0) fprintf(out, "tensors           %d, all validated against the layout\n", n_tensors);
    const double GiB = 1024.0 * 1024 * 1024;
    fprintf(out, "KV bytes/token    %.0f (FP8 nope + BF16 rope + FP4 indexer keys, paper format), "
           "%.0f (BF16)\n", params_kv_bytes_per_token(c, KV_PAPER),
           params_kv_bytes_per_token(c, KV_BF16));
    double kp = params_kv_bytes(c, c->max_position, KV_PAPER);
    double kb = params_kv_bytes(c, c->max_position, KV_BF16);
    int gib = kp >= GiB;
    fprintf(out, "KV at max context %.2f %s (paper format), %.2f %s (BF16) per sequence of %d tokens, "
           "incl. window rings and compressor buffers\n", kp / (gib ? GiB : 1048576.0),
           gib ? "GiB" : "MiB", kb / (gib ? GiB : 1048576.0), gib ? "GiB" : "MiB",
           c->max_position);
    fprintf(out, "OpenBLAS kernel   %s\n", v4_blas_kernel());
}


int v4_describe(const char *model_dir, const char *config_path, FILE *out, char *err,
                size_t errlen) {
    if (!model_dir == !config_path) {
        snprintf(err, errlen, "expected exactly one of a model directory or a config file");
        return 2;
    }
    char cpath[4096];
    snprintf(cpath, sizeof cpath, "%s%s", model_dir ? model_dir : config_path,
             model_dir ? "/config.json" : "");
    v4_config cfg;
    if (config_load(cpath, &cfg, err, errlen)) return 2;
    v4_params p;
    params_bytes pb;
    if (params_count(&cfg, &p, err, errlen)) return 1;
    if (config_path) {
        params_storage st = params_default_storage(&cfg);
        char note[128];
        snprintf(note, sizeof note, "as the config implies: dense %s, experts %s, rest bf16/f32",
                 fmt_name(st.dense), fmt_name(st.expert));
        if (params_bytes_for(&cfg, &st, &pb, err, errlen)) return 1;
        print_info(out, config_path, &cfg, &p, &pb, note, -1);
        return 0;
    }
    st_set *s = NULL;
    if (st_open_dir(model_dir, &s, err, errlen) || layout_adapt_names(s, err, errlen) ||
        (layout_adapt_mtp(&cfg, s) && params_count(&cfg, &p, err, errlen)) ||
        layout_validate(&cfg, s, err, errlen) || bytes_from_checkpoint(&cfg, s, &pb, err, errlen)) {
        st_close(s);
        return 2;
    }
    print_info(out, model_dir, &cfg, &p, &pb, "as stored", st_count(s));
    st_close(s);
    return 0;
}

static int copy_file(const char *src, const char *dst, char *err, size_t errlen) {
    FILE *in = fopen(src, "rb");
    if (!in) { snprintf(err, errlen, "%.900s: cannot read: %s", src, strerror(errno)); return -1; }
    FILE *out = fopen(dst, "wb");
    if (!out) {
        fclose(in);
        snprintf(err, errlen, "%.900s: cannot write: %s", dst, strerror(errno));
        return -1;
    }
    char buf[1 << 16];
    size_t n;
    int ok = 1;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0) ok = fwrite(buf, 1, n, out) == n;
    if (ferror(in)) ok = 0;
    fclose(in);
    if (fclose(out)) ok = 0;
    if (!ok) snprintf(err, errlen, "%.480s: copy to %.480s failed", src, dst);
    return ok ? 0 : -1;
}


int v4_init_random(const char *config_path, const char *out_dir, uint64_t seed,
                   const char *format, const char *tokenizer, FILE *out, char *err,
                   size_t errlen) {
    init_format fmt;
    if (!strcmp(format, "bf16")) fmt = INIT_BF16;
    else if (!strcmp(format, "fp8")) fmt = INIT_FP8;
    else {
        snprintf(err, errlen, "--format: expected bf16 or fp8, found '%.100s'", format);
        return 2;
    }
    if (tokenizer) {
        FILE *f = fopen(tokenizer, "rb");
        if (!f) {
            snprintf(err, errlen, "%.900s: expected a readable tokenizer.json, found %s",
                     tokenizer, strerror(errno));
            return 2;
        }
        fclose(f);
    }
    v4_config cfg;
    if (config_load(config_path, &cfg, err, errlen)) return 2;
    int bad = 0;
    if (init_random_write(&cfg, config_path, out_dir, seed, fmt, &bad, err, errlen))
        return bad ? 2 : 1;
    if (tokenizer) {
        char dst[4096];
        snprintf(dst, sizeof dst, "%s/tokenizer.json", out_dir);
        if (copy_file(tokenizer, dst, err, errlen)) return 1;
    }
    /* Self-check: the written checkpoint loads and matches the layout. */
    char cpath[4096], why[V4_ERRLEN];
    snprintf(cpath, sizeof cpath, "%s/config.json", out_dir);
    st_set *s = NULL;
    v4_config back;
    if (config_load(cpath, &back, why, sizeof why) || st_open_dir(out_dir, &s, why, sizeof why) ||
        layout_validate(&back, s, why, sizeof why)) {
        snprintf(err, errlen, "written checkpoint does not validate: %.900s", why);
        st_close(s);
        return 1;
    }
    v4_params p;
    char a[32] = "?";
    if (!params_count(&back, &p, why, sizeof why)) human_count(p.total, a, sizeof a);
    fprintf(out, "wrote %s: %d tensors, %s parameters, %s storage, seed %llu%s\n", out_dir,
            st_count(s), a, format, (unsigned long long)seed,
            tokenizer ? ", tokenizer.json copied" : "");
    st_close(s);
    return 0;
}
