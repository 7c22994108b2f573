/*
 * cli_bench.c — `v4eval bench`: a benchmark, not a test (it asserts nothing; it measures).
 *
 *   bench --model DIR [--lengths 1024,4096,16384] [--decode N] [--chunk N] [--threads N]
 *         [--csv FILE]
 *       For each context length L: a fresh session prefills L random token ids (chunks of N
 *       tokens, default 256 as the builtin backend uses), then decodes --decode tokens (default
 *       32) at that depth. Prints prefill and decode tokens/s, GFLOP/s from the session's profile
 *       counters (v4_session_profile), the per-sequence state bytes (v4_session_state_bytes)
 *       and the OpenBLAS kernel.
 *   bench --kernels [--shape ROWSxCOLS] [--batch N] [--min-time S] [--threads N] [--csv FILE]
 *       Matvec and matmul (N activation rows, default 64) GFLOP/s and GB/s for each weight format,
 *       fast path vs the scalar reference, side by side in one run, with their ratio and the
 *       largest relative difference of the two results; each product is timed for at least S
 *       seconds (default 0.3; the reference a quarter of that).
 * Bad options → one line on stderr, exit 2; failures while running → exit 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/v4.h"
#include "harness/cli.h"
#include "harness/cliopt.h"

#define BENCH_MAX_LENGTHS 16

typedef struct {
    const char *model, *csv;
    int lengths[BENCH_MAX_LENGTHS], n_lengths;
    long decode, chunk, threads, rows, cols, batch;
    double min_time;
    int kernels;
} bench_args;

static int bench_bad(const char *msg) {
    fprintf(stderr, "v4eval bench: %s\n", msg);
    return 2;
}

/* bench_lengths: "1024,4k" → a->lengths (cliopt_lengths); 0 or -1 with err. */
static int bench_lengths(const char *v, bench_args *a, char *err, size_t errlen) {
    int *l = NULL, n = 0;
    if (cliopt_lengths(v, 1 << 22, BENCH_MAX_LENGTHS, &l, &n, err, errlen)) return -1;
    memcpy(a->lengths, l, sizeof(int) * (size_t)n);
    a->n_lengths = n;
    free(l);
    return 0;
}

static int bench_parse(int argc, char **argv, bench_args *a) {
    char err[256];
    memset(a, 0, sizeof *a);
    a->decode = 32;
    a->chunk = 256;
    a->rows = 1024;
    a->cols = 1024;
    a->batch = 64;
    a->min_time = 0.3;
    bench_lengths("1024,4096,16384", a, err, sizeof err);
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--kernels")) {
            a->kernels = 1;
            continue;
        }
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            printf("usage: v4eval bench --model DIR [--lengths L1,L2,…] [--decode N] [--chunk N]"
                   " [--threads N] [--csv FILE]\n"
                   "       v4eval bench --kernels [--shape ROWSxCOLS] [--batch N] [--threads N]"
                   " [--min-time S] [--csv FILE]\n");
            return -1;
        }
        static const char *const opts[] = {"--model",    "--lengths", "--decode", "--chunk",
                                           "--threads",  "--csv",     "--shape",  "--batch",
                                           "--min-time", NULL};
        int known = 0;
        for (int k = 0; opts[k]; k++) known |= !strcmp(o, opts[k]);
        if (!known || i + 1 >= argc) {
            snprintf(err, sizeof err, "%s '%s'%s", known ? "option" : "unknown argument", o,
                     known ? " without a value" : "");
            return bench_bad(err);
        }
        const char *v = argv[++i];
        int rc = 0;
        if (!strcmp(o, "--model"))
            a->model = v;
        else if (!strcmp(o, "--csv"))
            a->csv = v;
        else if (!strcmp(o, "--lengths"))
            rc = bench_lengths(v, a, err, sizeof err);
        else if (!strcmp(o, "--decode"))
            rc = cliopt_long(o, v, 0, 1 << 20, &a->decode, err, sizeof err);
        else if (!strcmp(o, "--chunk"))
            rc = cliopt_long(o, v, 1, 1 << 20, &a->chunk, err, sizeof err);
        else if (!strcmp(o, "--threads"))
            rc = cliopt_long(o, v, 1, 1024, &a->threads, err, sizeof err);
        else if (!strcmp(o, "--batch"))
            rc = cliopt_long(o, v, 2, 4096, &a->batch, err, sizeof err);
        else if (!strcmp(o, "--min-time"))
            rc = cliopt_double(o, v, 0.0, 60.0, &a->min_time, err, sizeof err);
        else if (!strcmp(o, "--shape")) {
            char *end;
            long r = strtol(v, &end, 10), c = *end == 'x' ? strtol(end + 1, &end, 10) : -1;
            if (*end || r < 1 || c < 2 || r > 1 << 16 || c > 1 << 16 || c % 2) {
                snprintf(err, sizeof err,
                         "--shape: expected ROWSxCOLS (COLS even, both <= 65536), "
                         "found '%s'",
                         v);
                rc = -1;
            }
            a->rows = r;
            a->cols = c;
        }
        if (rc) return bench_bad(err);
    }
    if (!a->kernels && !a->model) return bench_bad("--model DIR is required (or --kernels)");
    return 0;
}

static FILE *bench_csv_open(const char *path, const char *header) {
    if (!path) return NULL;
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "v4eval bench: %s: cannot write: %s\n", path, strerror(errno));
        return NULL;
    }
    fprintf(f, "%s\n", header);
    return f;
}

static int bench_kernels(const bench_args *a) {
    FILE *csv = bench_csv_open(a->csv, "format,op,rows,cols,n,fast_gflops,fast_gbs,ref_gflops,"
                                       "ref_gbs,speedup,max_rel_err");
    if (a->csv && !csv) return 1;
    printf("kernels: %ldx%ld weight, %s fused kernels, OpenBLAS %s\n", a->rows, a->cols,
           v4_kernel_variant(), v4_blas_kernel());
    printf("%-6s %-7s %6s  %10s %8s  %10s %8s  %8s  %9s\n", "format", "op", "n", "fast GF/s",
           "GB/s", "ref GF/s", "GB/s", "speedup", "rel err");
    for (int pass = 0; pass < 2; pass++) {
        int n = pass ? (int)a->batch : 1;
        v4_kbench_row r[8];
        int k = v4_kernel_bench((int)a->rows, (int)a->cols, n, (int)a->threads, a->min_time, r, 8);
        if (k < 0) {
            fprintf(stderr, "v4eval bench: kernel benchmark failed (out of memory)\n");
            return 1;
        }
        for (int i = 0; i < k; i++) {
            const char *op = n == 1 ? "matvec" : "matmul";
            printf("%-6s %-7s %6d  %10.2f %8.2f  %10.3f %8.3f  %7.1fx  %9.2e\n", r[i].format, op, n,
                   r[i].fast_gflops, r[i].fast_gbs, r[i].ref_gflops, r[i].ref_gbs,
                   r[i].ref_s / r[i].fast_s, r[i].max_rel_err);
            if (csv)
                fprintf(csv, "%s,%s,%d,%d,%d,%.4f,%.4f,%.4f,%.4f,%.3f,%.3e\n", r[i].format, op,
                        r[i].rows, r[i].cols, n, r[i].fast_gflops, r[i].fast_gbs, r[i].ref_gflops,
                        r[i].ref_gbs, r[i].ref_s / r[i].fast_s, r[i].max_rel_err);
        }
    }
    if (csv) fclose(csv);
    return 0;
}

/* bench_length: prefill L random ids then decode; fills the measured figures. 0 or 1. */
static int bench_length(v4_model *m, const bench_args *a, int L, uint64_t *rng, double out[6]) {
    char err[256];
    v4_info info;
    v4_model_get_info(m, &info);
    v4_session *s = v4_session_new(m, L + (int)a->decode + 1, err, sizeof err);
    if (!s) {
        fprintf(stderr, "v4eval bench: %s\n", err);
        return 1;
    }
    int32_t *ids = malloc(sizeof(int32_t) * (size_t)L);
    float *logits = malloc(sizeof(float) * (size_t)info.vocab_size);
    int rc = 1;
    if (!ids || !logits) {
        fprintf(stderr, "v4eval bench: out of memory\n");
        goto done;
    }
    for (int i = 0; i < L; i++) {
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        ids[i] = (int32_t)(2 + *rng % (uint64_t)(info.vocab_size - 2));
    }
    v4_profile p;
    if (v4_prefill(s, ids, L, (int)a->chunk, NULL, logits, err, sizeof err)) {
        fprintf(stderr, "v4eval bench: %s\n", err);
        goto done;
    }
    v4_session_profile(s, &p);
    out[0] = L / p.seconds;
    out[1] = p.flops / p.seconds * 1e-9;
    out[4] = (double)v4_session_state_bytes(s);
    v4_session_profile_reset(s);
    int32_t tok = ids[L - 1];
    for (long t = 0; t < a->decode; t++) {
        if (v4_decode(s, tok, logits, err, sizeof err)) {
            fprintf(stderr, "v4eval bench: %s\n", err);
            goto done;
        }
        tok = v4_sample(logits, info.vocab_size, 0.0f, 1.0f, rng);
    }
    v4_session_profile(s, &p);
    out[2] = a->decode ? a->decode / p.seconds : 0;
    out[3] = a->decode ? p.flops / p.seconds * 1e-9 : 0;
    out[5] = a->decode ? p.seconds / a->decode * 1e3 : 0;
    rc = 0;
done:
    free(ids);
    free(logits);
    v4_session_free(s);
    return rc;
}

int cli_bench(int argc, char **argv) {
    bench_args a;
    int rc = bench_parse(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    if (a.kernels && !a.model) return bench_kernels(&a);
    char err[512];
    v4_opts o = v4_opts_default();
    o.n_threads = (int)a.threads;
    v4_model *m = NULL;
    if (v4_model_load(a.model, &o, &m, err, sizeof err)) {
        fprintf(stderr, "v4eval bench: %s\n", err);
        return 2;
    }
    if (a.kernels) {
        v4_model_free(m);
        return bench_kernels(&a);
    }
    v4_info info;
    v4_model_get_info(m, &info);
    for (int i = 0; i < a.n_lengths; i++)
        if (a.lengths[i] + a.decode + 1 > info.max_position) {
            fprintf(stderr,
                    "v4eval bench: --lengths: %d + %ld decode tokens exceed the model's "
                    "max_position_embeddings %d\n",
                    a.lengths[i], a.decode, info.max_position);
            v4_model_free(m);
            return 2;
        }
    FILE *csv = bench_csv_open(a.csv, "length,prefill_tok_s,prefill_gflops,decode_tok_s,"
                                      "decode_gflops,decode_ms,state_bytes,blas_kernel,threads");
    if (a.csv && !csv) {
        v4_model_free(m);
        return 1;
    }
    printf("bench: %s (dim %d, %d layers, %.2fM params), chunk %ld, %ld decode tokens, "
           "%s kernels, OpenBLAS %s, threads %ld (0 = OpenMP default)\n",
           a.model, info.dim, info.n_layers, info.params_total * 1e-6, a.chunk, a.decode,
           v4_kernel_variant(), v4_blas_kernel(), a.threads);
    printf("%8s  %12s %9s  %11s %9s %9s  %12s\n", "length", "prefill t/s", "GFLOP/s", "decode t/s",
           "ms/tok", "GFLOP/s", "state MiB");
    uint64_t rng = 0x2545f4914f6cdd1dull;
    for (int i = 0; i < a.n_lengths && !rc; i++) {
        double r[6];
        rc = bench_length(m, &a, a.lengths[i], &rng, r);
        if (rc) break;
        printf("%8d  %12.1f %9.2f  %11.1f %9.2f %9.2f  %12.2f\n", a.lengths[i], r[0], r[1], r[2],
               r[5], r[3], r[4] / (1024.0 * 1024.0));
        fflush(stdout);
        if (csv)
            fprintf(csv, "%d,%.2f,%.3f,%.2f,%.3f,%.3f,%.0f,%s,%ld\n", a.lengths[i], r[0], r[1],
                    r[2], r[3], r[5], r[4], v4_blas_kernel(), a.threads);
    }
    if (csv) fclose(csv);
    v4_model_free(m);
    return rc;
}
