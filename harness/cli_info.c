/*
 * cli_info.c — `v4eval info` (model facts from a config or a checkpoint) and `v4eval init-random`
 * (a random-weight checkpoint in the official layout).
 *
 * info --config FILE derives everything from the config (storage assumed from
 * quantization_config / expert_dtype); info --model DIR loads DIR/config.json and the
 * safetensors, validates every tensor against the layout and reports the bytes actually stored.
 * Bad input (usage, config, checkpoint) exits 2 with one line on stderr; I/O failures exit 1.
 *
 * Note: this file uses engine-internal headers (config, safetensors, layout, params,
 * init_random) because these two commands are about the checkpoint format itself.
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
#include "harness/cli.h"

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

static void print_info(const char *source, const v4_config *c, const v4_params *p,
                       const params_bytes *pb, const char *storage_note, int n_tensors) {
    char a[32], b[32], d[32], e[32], sched[V4_MAX_LAYERS + 256];
    printf("source            %s\n", source);
    printf("model_type        %s\n", c->model_type_str);
    printf("dims              vocab %d, hidden %d, %d layers + %d MTP, %d heads x %d (rope %d), "
           "q_lora %d, o_groups %d x %d, window %d, hc_mult %d\n", c->vocab_size, c->dim,
           c->n_layers, c->n_mtp_layers, c->n_heads, c->head_dim, c->rope_dim, c->q_lora_rank,
           c->o_groups, c->o_lora_rank, c->window, c->hc_mult);
    printf("experts           %d routed (%d per token) + %d shared, width %d, hash-routed "
           "layers %d\n", c->n_routed_experts, c->n_activated_experts, c->n_shared_experts,
           c->moe_inter_dim, c->n_hash_layers);
    if (p->n_csa)
        printf("indexer           %d heads x %d, top-%d\n", c->index_n_heads, c->index_head_dim,
               c->index_topk);
    human_count(p->total_no_mtp, a, sizeof a);
    human_count(p->total, b, sizeof b);
    human_count(p->active, d, sizeof d);
    human_count(p->active_mtp, e, sizeof e);
    printf("parameters        total %s (excl. MTP), %s incl. MTP; activated %s per token "
           "(excl. embedding; MTP block %s)\n", a, b, d, e);
    params_schedule(c, sched, sizeof sched);
    printf("layer schedule    %s\n", sched);
    printf("bytes per format  ");
    int first = 1;
    for (int f = 0; f < FMT_COUNT; f++) {
        if (!pb->by_fmt[f]) continue;
        human_bytes((double)pb->by_fmt[f], a, sizeof a);
        printf("%s%s %s", first ? "" : ", ", fmt_name((fmt_kind)f), a);
        first = 0;
    }
    if (pb->index) {
        human_bytes((double)pb->index, a, sizeof a);
        printf("%stid2eid %s", first ? "" : ", ", a);
    }
    human_bytes((double)pb->total, a, sizeof a);
    printf("; total %s (%s)\n", a, storage_note);
    if (n_tensors >= 0) printf("tensors           %d, all validated against the layout\n", n_tensors);
    const double GiB = 1024.0 * 1024 * 1024;
    printf("KV bytes/token    %.0f (FP8 nope + BF16 rope + FP4 indexer keys, paper format), "
           "%.0f (BF16)\n", params_kv_bytes_per_token(c, KV_PAPER),
           params_kv_bytes_per_token(c, KV_BF16));
    double kp = params_kv_bytes(c, c->max_position, KV_PAPER);
    double kb = params_kv_bytes(c, c->max_position, KV_BF16);
    int gib = kp >= GiB;
    printf("KV at max context %.2f %s (paper format), %.2f %s (BF16) per sequence of %d tokens, "
           "incl. window rings and compressor buffers\n", kp / (gib ? GiB : 1048576.0),
           gib ? "GiB" : "MiB", kb / (gib ? GiB : 1048576.0), gib ? "GiB" : "MiB",
           c->max_position);
    printf("OpenBLAS kernel   %s\n", v4_blas_kernel());
}

static int info_usage(const char *why) {
    fprintf(stderr, "v4eval info: %s (usage: v4eval info --model DIR | --config FILE)\n", why);
    return 2;
}

int cli_info(int argc, char **argv) {
    const char *model = NULL, *config = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: v4eval info --model DIR | --config FILE\n"
                   "  parameters (total, activated), layer schedule, bytes per format, KV bytes\n"
                   "  per token, OpenBLAS kernel. --model validates every tensor.\n");
            return 0;
        }
        if ((!strcmp(argv[i], "--model") || !strcmp(argv[i], "--config")) && i + 1 < argc) {
            if (argv[i][2] == 'm') model = argv[++i];
            else config = argv[++i];
            continue;
        }
        int known = !strcmp(argv[i], "--model") || !strcmp(argv[i], "--config");
        char why[300];
        snprintf(why, sizeof why, "expected --model DIR or --config FILE, found '%.200s'%s",
                 argv[i], known ? " without a value" : "");
        return info_usage(why);
    }
    if (!model == !config) return info_usage("expected exactly one of --model DIR or --config FILE");
    char err[V4_ERRLEN], cpath[4096];
    snprintf(cpath, sizeof cpath, "%s%s", model ? model : config, model ? "/config.json" : "");
    v4_config cfg;
    if (config_load(cpath, &cfg, err, sizeof err)) {
        fprintf(stderr, "v4eval info: %s\n", err);
        return 2;
    }
    v4_params p;
    params_bytes pb;
    if (params_count(&cfg, &p, err, sizeof err)) {
        fprintf(stderr, "v4eval info: %s\n", err);
        return 1;
    }
    if (config) {
        params_storage st = params_default_storage(&cfg);
        char note[128];
        snprintf(note, sizeof note, "as the config implies: dense %s, experts %s, rest bf16/f32",
                 fmt_name(st.dense), fmt_name(st.expert));
        if (params_bytes_for(&cfg, &st, &pb, err, sizeof err)) {
            fprintf(stderr, "v4eval info: %s\n", err);
            return 1;
        }
        print_info(config, &cfg, &p, &pb, note, -1);
        return 0;
    }
    st_set *s = NULL;
    if (st_open_dir(model, &s, err, sizeof err) || layout_validate(&cfg, s, err, sizeof err) ||
        bytes_from_checkpoint(&cfg, s, &pb, err, sizeof err)) {
        fprintf(stderr, "v4eval info: %s\n", err);
        st_close(s);
        return 2;
    }
    print_info(model, &cfg, &p, &pb, "as stored", st_count(s));
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

static int init_usage(const char *why) {
    fprintf(stderr, "v4eval init-random: %s (usage: v4eval init-random --config FILE --out DIR "
            "[--seed S] [--tokenizer FILE] [--format bf16|fp8])\n", why);
    return 2;
}

int cli_init_random(int argc, char **argv) {
    const char *config = NULL, *out = NULL, *tok = NULL, *seed_s = "1", *fmt_s = "bf16";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: v4eval init-random --config FILE --out DIR [--seed S] "
                   "[--tokenizer FILE] [--format bf16|fp8]\n"
                   "  writes DIR/config.json, DIR/model.safetensors (official V4 layout, random\n"
                   "  weights) and DIR/tokenizer.json (a copy of --tokenizer).\n");
            return 0;
        }
        const char **slot = !strcmp(argv[i], "--config") ? &config
                          : !strcmp(argv[i], "--out") ? &out
                          : !strcmp(argv[i], "--tokenizer") ? &tok
                          : !strcmp(argv[i], "--seed") ? &seed_s
                          : !strcmp(argv[i], "--format") ? &fmt_s : NULL;
        if (!slot || i + 1 >= argc) {
            char why[300];
            snprintf(why, sizeof why, "expected an option with its value, found %s '%.200s'%s",
                     slot ? "option" : "unknown argument", argv[i], slot ? " without a value" : "");
            return init_usage(why);
        }
        *slot = argv[++i];
    }
    if (!config || !out) return init_usage("expected --config FILE and --out DIR");
    char *end = NULL;
    errno = 0;
    unsigned long long seed = strtoull(seed_s, &end, 10);
    if (errno || !*seed_s || *end || seed_s[0] == '-') {
        char why[300];
        snprintf(why, sizeof why, "--seed: expected a non-negative integer, found '%s'", seed_s);
        return init_usage(why);
    }
    init_format fmt;
    if (!strcmp(fmt_s, "bf16")) fmt = INIT_BF16;
    else if (!strcmp(fmt_s, "fp8")) fmt = INIT_FP8;
    else {
        char why[300];
        snprintf(why, sizeof why, "--format: expected bf16 or fp8, found '%s'", fmt_s);
        return init_usage(why);
    }
    char err[V4_ERRLEN];
    if (tok) {
        FILE *f = fopen(tok, "rb");
        if (!f) {
            fprintf(stderr, "v4eval init-random: %s: expected a readable tokenizer.json, found %s\n",
                    tok, strerror(errno));
            return 2;
        }
        fclose(f);
    }
    v4_config cfg;
    if (config_load(config, &cfg, err, sizeof err)) {
        fprintf(stderr, "v4eval init-random: %s\n", err);
        return 2;
    }
    int bad = 0;
    if (init_random_write(&cfg, config, out, (uint64_t)seed, fmt, &bad, err, sizeof err)) {
        fprintf(stderr, "v4eval init-random: %s\n", err);
        return bad ? 2 : 1;
    }
    if (tok) {
        char dst[4096];
        snprintf(dst, sizeof dst, "%s/tokenizer.json", out);
        if (copy_file(tok, dst, err, sizeof err)) {
            fprintf(stderr, "v4eval init-random: %s\n", err);
            return 1;
        }
    }
    /* Self-check: the written checkpoint loads and matches the layout. */
    char cpath[4096];
    snprintf(cpath, sizeof cpath, "%s/config.json", out);
    st_set *s = NULL;
    v4_config back;
    if (config_load(cpath, &back, err, sizeof err) || st_open_dir(out, &s, err, sizeof err) ||
        layout_validate(&back, s, err, sizeof err)) {
        fprintf(stderr, "v4eval init-random: written checkpoint does not validate: %s\n", err);
        st_close(s);
        return 1;
    }
    v4_params p;
    char a[32] = "?";
    if (!params_count(&back, &p, err, sizeof err)) human_count(p.total, a, sizeof a);
    printf("wrote %s: %d tensors, %s parameters, %s storage, seed %llu%s\n", out, st_count(s), a,
           fmt_s, seed, tok ? ", tokenizer.json copied" : "");
    st_close(s);
    return 0;
}
