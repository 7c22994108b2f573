/*
 * cli_engine.c — `v4eval logits` and `v4eval generate`: thin drivers of the engine's public
 * API (engine/v4.h only). Every bad input (missing/unknown option, unreadable or malformed
 * tokens file, token id out of range, model that fails to load) ends with one line on stderr
 * and exit code 2; runtime failures (out of memory, write errors) exit 1.
 *
 *   logits   --model DIR --tokens-file F --out OUT.f32 [--prefill|--decode] [--chunk N]
 *            [--qat on|off] [--topk-out TOPK.i32]
 *            OUT = little-endian float32 [n_tokens × vocab]; prefill runs in chunks of N tokens
 *            (default 1024, which bounds the scratch memory); TOPK = little-endian int32
 *            [n_layers × n_tokens × index_topk]: the CSA entries each position selected (−1 =
 *            unused slot, non-CSA layer), the engine's debug state for reference comparisons
 *   generate --model DIR (--prompt TEXT | --tokens-file F) [--max-tokens N] [--temp T]
 *            [--top-p P] [--seed S] [--qat on|off]
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "engine/v4.h"
#include "harness/cli.h"

typedef struct {
    const char *model, *tokens_file, *out, *prompt, *topk_out;
    int mode_decode, chunk, qat, max_tokens;
    float temp, top_p;
    uint64_t seed;
} engine_args;

static int bad(const char *cmd, const char *msg, const char *arg) {
    fprintf(stderr, "v4eval %s: %s%s%s\n", cmd, msg, arg ? ": " : "", arg ? arg : "");
    return 2;
}

static int parse_int(const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int parse_float(const char *s, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi)) return -1;
    *out = v;
    return 0;
}

static int takes_value(const char *o) {
    static const char *const opts[] = {"--model", "--tokens-file", "--qat", "--out", "--chunk",
                                       "--prompt", "--max-tokens", "--temp", "--top-p", "--seed",
                                       "--topk-out", NULL};
    for (int i = 0; opts[i]; i++) if (!strcmp(o, opts[i])) return 1;
    return 0;
}

/* parse_args: common option parser; `gen` selects the generate option set. 0 or exit code. */
static int parse_args(int argc, char **argv, int gen, engine_args *a) {
    const char *cmd = argv[0];
    memset(a, 0, sizeof *a);
    a->qat = 1;
    a->chunk = 1024;
    a->max_tokens = 64;
    a->top_p = 1.0f;
    a->seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        int has = i + 1 < argc;
        long lv;
        double dv;
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            printf(gen ? "usage: v4eval generate --model DIR (--prompt TEXT | --tokens-file F) "
                         "[--max-tokens N] [--temp T] [--top-p P] [--seed S] [--qat on|off]\n"
                       : "usage: v4eval logits --model DIR --tokens-file F --out OUT.f32 "
                         "[--prefill|--decode] [--chunk N (default 1024)] [--qat on|off] "
                         "[--topk-out TOPK.i32]\n");
            return -1;
        } else if (!strcmp(o, "--model") && has) a->model = argv[++i];
        else if (!strcmp(o, "--tokens-file") && has) a->tokens_file = argv[++i];
        else if (!strcmp(o, "--qat") && has) {
            const char *v = argv[++i];
            if (!strcmp(v, "on")) a->qat = 1;
            else if (!strcmp(v, "off")) a->qat = 0;
            else return bad(cmd, "--qat: expected on or off, found", v);
        } else if (!gen && !strcmp(o, "--out") && has) a->out = argv[++i];
        else if (!gen && !strcmp(o, "--topk-out") && has) a->topk_out = argv[++i];
        else if (!gen && !strcmp(o, "--prefill")) a->mode_decode = 0;
        else if (!gen && !strcmp(o, "--decode")) a->mode_decode = 1;
        else if (!gen && !strcmp(o, "--chunk") && has) {
            if (parse_int(argv[++i], 1, 1 << 30, &lv)) return bad(cmd, "--chunk: expected a positive integer, found", argv[i]);
            a->chunk = (int)lv;
        } else if (gen && !strcmp(o, "--prompt") && has) a->prompt = argv[++i];
        else if (gen && !strcmp(o, "--max-tokens") && has) {
            if (parse_int(argv[++i], 0, 1 << 24, &lv)) return bad(cmd, "--max-tokens: expected an integer >= 0, found", argv[i]);
            a->max_tokens = (int)lv;
        } else if (gen && !strcmp(o, "--temp") && has) {
            if (parse_float(argv[++i], 0, 100, &dv)) return bad(cmd, "--temp: expected a number in [0,100], found", argv[i]);
            a->temp = (float)dv;
        } else if (gen && !strcmp(o, "--top-p") && has) {
            if (parse_float(argv[++i], 0, 1, &dv) || dv <= 0) return bad(cmd, "--top-p: expected a number in (0,1], found", argv[i]);
            a->top_p = (float)dv;
        } else if (gen && !strcmp(o, "--seed") && has) {
            if (parse_int(argv[++i], 0, 0x7fffffffL, &lv)) return bad(cmd, "--seed: expected an integer >= 0, found", argv[i]);
            a->seed = (uint64_t)lv * 0x9E3779B97F4A7C15ull + 1;
        } else {
            return bad(cmd, takes_value(o) && !has ? "option needs a value" : "unknown option", o);
        }
    }
    if (!a->model) return bad(cmd, "--model DIR is required", NULL);
    if (!gen && !a->tokens_file) return bad(cmd, "--tokens-file F is required", NULL);
    if (!gen && !a->out) return bad(cmd, "--out OUT.f32 is required", NULL);
    if (gen && !a->prompt == !a->tokens_file)
        return bad(cmd, "exactly one of --prompt TEXT or --tokens-file F is required", NULL);
    return 0;
}

/* read_tokens: JSON array of integer ids → malloc'ed int32 array. 0 or exit code 2. */
static int read_tokens(const char *cmd, const char *path, int vocab, int32_t **ids, int *n) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "v4eval %s: %s: cannot open (%s)\n", cmd, path, strerror(errno));
        return 2;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        fprintf(stderr, "v4eval %s: %s: expected a JSON file of token ids, found a directory\n", cmd, path);
        return 2;
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
        fclose(f); free(buf);
        fprintf(stderr, "v4eval %s: %s: read error\n", cmd, path);
        return 2;
    }
    fclose(f);
    buf[len] = 0;
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    if (!j || !cJSON_IsArray(j)) {
        cJSON_Delete(j);
        fprintf(stderr, "v4eval %s: %s: expected a JSON array of token ids\n", cmd, path);
        return 2;
    }
    int cnt = cJSON_GetArraySize(j);
    if (cnt == 0) {
        cJSON_Delete(j);
        fprintf(stderr, "v4eval %s: %s: expected at least one token id, found an empty array\n", cmd, path);
        return 2;
    }
    int32_t *out = malloc(sizeof(int32_t) * (size_t)cnt);
    int i = 0;
    for (cJSON *e = j->child; e; e = e->next, i++) {
        double v = cJSON_IsNumber(e) ? e->valuedouble : -1;
        if (!cJSON_IsNumber(e) || v != (double)(int64_t)v || v < 0 || v >= vocab) {
            char *s = cJSON_PrintUnformatted(e);
            fprintf(stderr, "v4eval %s: %s: element %d: expected an integer id in [0,%d), found %s\n",
                    cmd, path, i, vocab, s ? s : "?");
            free(s); free(out); cJSON_Delete(j);
            return 2;
        }
        out[i] = (int32_t)v;
    }
    cJSON_Delete(j);
    *ids = out;
    *n = cnt;
    return 0;
}

static int load_model(const char *cmd, const engine_args *a, v4_model **m, v4_info *info) {
    char err[V4_ERRLEN];
    v4_opts o = v4_opts_default();
    o.qat = a->qat;
    if (v4_model_load(a->model, &o, m, err, sizeof err)) {
        fprintf(stderr, "v4eval %s: %s\n", cmd, err);
        return 2;
    }
    v4_model_get_info(*m, info);
    return 0;
}

/* write_rows: cnt 4-byte words (float32 logits, int32 entry ids) to f as little-endian
 * (swapped in place on a big-endian host). 0 or -1 on a write error. */
static int write_rows(FILE *f, void *x, size_t cnt) {
    const uint32_t one = 1;
    if (*(const unsigned char *)&one == 0)
        for (size_t i = 0; i < cnt; i++) {
            unsigned char *b = (unsigned char *)x + 4 * i, t0 = b[0], t1 = b[1];
            b[0] = b[3]; b[1] = b[2]; b[2] = t1; b[3] = t0;
        }
    return fwrite(x, 4, cnt, f) == cnt ? 0 : -1;
}

int cli_logits(int argc, char **argv) {
    engine_args a;
    int rc = parse_args(argc, argv, 0, &a);
    if (rc) return rc < 0 ? 0 : rc;
    v4_model *m;
    v4_info info;
    if ((rc = load_model(argv[0], &a, &m, &info))) return rc;
    int32_t *ids = NULL;
    int n = 0;
    if ((rc = read_tokens(argv[0], a.tokens_file, info.vocab_size, &ids, &n))) {
        v4_model_free(m);
        return rc;
    }
    if (n > info.max_position) {
        free(ids); v4_model_free(m);
        return bad(argv[0], "tokens file longer than max_position_embeddings", a.tokens_file);
    }
    FILE *f = fopen(a.out, "wb");
    if (!f) {
        fprintf(stderr, "v4eval logits: %s: cannot open for writing (%s)\n", a.out, strerror(errno));
        free(ids); v4_model_free(m);
        return 2;
    }
    FILE *tf = a.topk_out ? fopen(a.topk_out, "wb") : NULL;   /* bad path: fail before the run */
    if (a.topk_out && !tf) {
        fprintf(stderr, "v4eval logits: %s: cannot open for writing (%s)\n", a.topk_out,
                strerror(errno));
        fclose(f); unlink(a.out);
        free(ids); v4_model_free(m);
        return 2;
    }
    /* logits are written chunk by chunk: memory is chunk × vocab, not n × vocab */
    int step = a.mode_decode ? 1 : (a.chunk < n ? a.chunk : n);
    char err[V4_ERRLEN];
    float *logits = malloc(sizeof(float) * (size_t)step * info.vocab_size);
    v4_session *s = logits ? v4_session_new(m, n, err, sizeof err) : NULL;
    if (!s) {
        fprintf(stderr, "v4eval logits: %s\n", logits ? err : "out of memory");
        rc = 1;
    }
    int32_t *trace = NULL;
    size_t trace_len = s && a.topk_out ? v4_session_topk_trace_len(s) : 0;
    if (trace_len) {
        if (!(trace = malloc(sizeof(int32_t) * trace_len))) {
            fprintf(stderr, "v4eval logits: out of memory (top-k trace)\n");
            rc = 1;
        } else {
            v4_session_trace_topk(s, trace);
        }
    }
    for (int i = 0; !rc && i < n; i += step) {
        int k = n - i < step ? n - i : step;
        int bad_call = a.mode_decode ? v4_decode(s, ids[i], logits, err, sizeof err)
                                     : v4_prefill(s, ids + i, k, k, logits, NULL, err, sizeof err);
        if (bad_call) {
            fprintf(stderr, "v4eval logits: %s\n", err);
            rc = 1;
        } else if (write_rows(f, logits, (size_t)k * info.vocab_size)) {
            fprintf(stderr, "v4eval logits: %s: write error (%s)\n", a.out, strerror(errno));
            rc = 1;
        }
    }
    if (fclose(f) && !rc) {
        fprintf(stderr, "v4eval logits: %s: write error (%s)\n", a.out, strerror(errno));
        rc = 1;
    }
    if (tf) {
        /* [n_layers][n][index_topk]: the session was made for exactly n tokens */
        int bad_w = !rc && trace_len && write_rows(tf, trace, trace_len);
        if ((fclose(tf) || bad_w) && !rc) {
            fprintf(stderr, "v4eval logits: %s: write error (%s)\n", a.topk_out, strerror(errno));
            rc = 1;
        }
        if (rc) unlink(a.topk_out);   /* no partial trace either */
    }
    free(trace);
    if (rc) unlink(a.out);   /* no partial output file */
    if (!rc) {
        v4_profile p;
        v4_session_profile(s, &p);
        fprintf(stderr, "v4eval logits: %d tokens × %d vocab → %s (%s%s, qat %s, %.3f s, %.3g GFLOP)\n",
                n, info.vocab_size, a.out, a.mode_decode ? "decode" : "prefill",
                a.mode_decode || step >= n ? "" : " chunked", a.qat ? "on" : "off", p.seconds,
                p.flops * 1e-9);
    }
    v4_session_free(s);
    free(logits); free(ids);
    v4_model_free(m);
    return rc;
}

/* tokens from --prompt through DIR/tokenizer.json; 0 or exit code. */
static int prompt_tokens(const engine_args *a, v4_tokenizer **tok, int32_t **ids, int *n) {
    char path[4096], err[V4_ERRLEN];
    snprintf(path, sizeof path, "%s/tokenizer.json", a->model);
    if (v4_tokenizer_load(path, tok, err, sizeof err)) {
        fprintf(stderr, "v4eval generate: %s\n", err);
        return 2;
    }
    size_t cnt = 0;
    if (v4_tokenize(*tok, a->prompt, strlen(a->prompt), 1, ids, &cnt, err, sizeof err)) {
        fprintf(stderr, "v4eval generate: --prompt: %s\n", err);
        return 2;
    }
    *n = (int)cnt;
    return 0;
}

int cli_generate(int argc, char **argv) {
    engine_args a;
    int rc = parse_args(argc, argv, 1, &a);
    if (rc) return rc < 0 ? 0 : rc;
    v4_model *m;
    v4_info info;
    if ((rc = load_model(argv[0], &a, &m, &info))) return rc;
    int32_t *ids = NULL;
    int n = 0;
    v4_tokenizer *tok = NULL;
    rc = a.prompt ? prompt_tokens(&a, &tok, &ids, &n)
                  : read_tokens(argv[0], a.tokens_file, info.vocab_size, &ids, &n);
    if (!rc && n == 0) rc = bad(argv[0], "the prompt has no tokens", NULL);
    if (!rc && (long)n + a.max_tokens > info.max_position)
        rc = bad(argv[0], "prompt + --max-tokens exceed max_position_embeddings", NULL);
    for (int i = 0; !rc && i < n; i++)
        if (ids[i] < 0 || ids[i] >= info.vocab_size) {
            fprintf(stderr, "v4eval generate: --prompt: token %d (id %d): expected an id in [0,%d) "
                    "(tokenizer and model vocabularies differ)\n", i, ids[i], info.vocab_size);
            rc = 2;
        }
    char err[V4_ERRLEN];
    float *logits = rc ? NULL : malloc(sizeof(float) * info.vocab_size);
    v4_session *s = logits ? v4_session_new(m, n + a.max_tokens, err, sizeof err) : NULL;
    if (!rc && !s) { fprintf(stderr, "v4eval generate: %s\n", logits ? err : "out of memory"); rc = 1; }
    if (!rc && v4_prefill(s, ids, n, 1024, NULL, logits, err, sizeof err)) {
        fprintf(stderr, "v4eval generate: %s\n", err);
        rc = 1;
    }
    uint64_t rng = a.seed;
    for (int i = 0; !rc && i < a.max_tokens; i++) {
        int32_t t = v4_sample(logits, info.vocab_size, a.temp, a.top_p, &rng);
        char *piece = NULL;
        size_t plen = 0;
        if (tok && !v4_detokenize(tok, &t, 1, &piece, &plen, err, sizeof err)) fwrite(piece, 1, plen, stdout);
        else printf("%s%d", i ? " " : "", t);
        free(piece);
        fflush(stdout);
        if (t == info.eos_id) break;
        if (i + 1 < a.max_tokens && v4_decode(s, t, logits, err, sizeof err)) {
            fprintf(stderr, "\nv4eval generate: %s\n", err);
            rc = 1;
        }
    }
    if (!rc) {
        printf("\n");
        v4_profile p;
        v4_session_profile(s, &p);
        fprintf(stderr, "v4eval generate: %lld tokens in %.3f s\n", (long long)p.tokens, p.seconds);
    }
    v4_session_free(s);
    free(logits); free(ids);
    if (tok) v4_tokenizer_free(tok);
    v4_model_free(m);
    return rc;
}
