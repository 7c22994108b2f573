/*
 * cli_gen.c — `v4eval gen-train`: training samples from the suite generators, one JSON line
 * per sample: {"id", "task", "kind", "length", "prompt", "completion", "prompt_tokens",
 * "prompt_ids", "completion_ids"} (ids from --tokenizer, as the engine tokenizes them).
 *
 *   v4eval gen-train --suite NAME [--task T …] --n N [--seed S] [--lengths L,L,…]
 *                    --tokenizer FILE --out FILE.jsonl [--dedup-n N] [--no-dedup]
 *
 * Samples come from the TRAIN seed space (suite_ctx.train = 1): the same generators and
 * templates as `v4eval run`, different seeds. Dataset loader tasks (HumanEval, MBPP, GSM8K,
 * BFCL, MATH) are never dumped: they are evaluation data. For length tasks the N samples are
 * spread round-robin over the (length × depth) cells. Unless --no-dedup, the prompts of the
 * default eval set of every dumped task (same lengths; at least --dedup-n samples for
 * non-length tasks) are hashed first and a train sample
 * with an equal prompt is dropped (and counted on stderr), so no eval sample can reach the
 * training data even by a generator collision. Exit codes as harness/cli.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness/cli.h"
#include "harness/cliopt.h"
#include "harness/gen_train.h"
#include "harness/hutil.h"
#include "suites/suite_kinds.h"

uint64_t gen_train_prompt_hash(const char *prompt) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)prompt; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* ---- completions -------------------------------------------------------------------------- */

/* RULER answers after the answer prefix: niah/cwe/fwe → " a, b, c."; vt (prefix ends with
 * "they are: ") → "a b c". */
static int ruler_completion(const char *kind, const eval_sample *s, sbuf *b, char *err,
                            size_t errlen) {
    if (!cJSON_IsArray(s->target) || cJSON_GetArraySize(s->target) == 0) {
        snprintf(err, errlen, "%s: target: expected a non-empty array of answers", s->id);
        return 2;
    }
    const char *gp = s->meta ? hutil_json_str(s->meta, "gen_prefix", "") : "";
    size_t gl = strlen(gp);
    int vt = !strcmp(kind, "vt");
    if (!(gl && gp[gl - 1] == ' ')) sbuf_puts(b, " ");
    int i = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, s->target) {
        if (!cJSON_IsString(a)) {
            snprintf(err, errlen, "%s: target[%d]: expected a string", s->id, i);
            return 2;
        }
        if (i++) sbuf_puts(b, vt ? " " : ", ");
        sbuf_puts(b, a->valuestring);
    }
    if (!vt) sbuf_puts(b, ".");
    return 0;
}

int gen_train_completion(const char *kind, const eval_sample *s, char **out, char *err,
                         size_t errlen) {
    *out = NULL;
    sbuf b = {0};
    /* a thinking-mode prompt ends with <think>: the (empty) reasoning closes first */
    if (s->thinking) sbuf_puts(&b, "</think>");
    int rc = 0;
    if (s->scorer && (!strcmp(s->scorer, "ruler_all") || !strcmp(s->scorer, "ruler_part"))) {
        rc = ruler_completion(kind, s, &b, err, errlen);
    } else {
        const cJSON *ref = s->meta ? cJSON_GetObjectItemCaseSensitive(s->meta, "reference") : NULL;
        if (!cJSON_IsString(ref)) {
            snprintf(err, errlen, "%s: no meta.reference to train on (scorer %s)", s->id,
                     s->scorer ? s->scorer : "?");
            rc = 2;
        } else {
            sbuf_puts(&b, ref->valuestring);
        }
    }
    if (rc) { sbuf_free(&b); return rc; }
    sbuf_puts(&b, GEN_TRAIN_EOS);
    *out = sbuf_take(&b);
    return 0;
}

/* ---- hash set of eval prompts -------------------------------------------------------------- */

typedef struct {
    uint64_t *v; size_t n, cap;   /* open addressing, 0 = empty (hash 0 stored as 1) */
} hset;

static void hset_add(hset *h, uint64_t x);
static void hset_grow(hset *h) {
    hset o = *h;
    h->cap = o.cap ? o.cap * 2 : 1024;
    h->v = calloc(h->cap, sizeof *h->v);
    h->n = 0;
    for (size_t i = 0; i < o.cap; i++) if (o.v[i]) hset_add(h, o.v[i]);
    free(o.v);
}
static void hset_add(hset *h, uint64_t x) {
    if (!x) x = 1;
    if ((h->n + 1) * 2 > h->cap) hset_grow(h);
    size_t i = (size_t)(x % h->cap);
    while (h->v[i] && h->v[i] != x) i = (i + 1) % h->cap;
    if (!h->v[i]) { h->v[i] = x; h->n++; }
}
static int hset_has(const hset *h, uint64_t x) {
    if (!x) x = 1;
    if (!h->cap) return 0;
    size_t i = (size_t)(x % h->cap);
    while (h->v[i]) {
        if (h->v[i] == x) return 1;
        i = (i + 1) % h->cap;
    }
    return 0;
}

/* ---- CLI ------------------------------------------------------------------------------------- */

static void gen_usage(FILE *f) {
    fprintf(f,
        "usage: v4eval gen-train --suite NAME --n N --tokenizer FILE --out FILE.jsonl [options]\n"
        "  --suite NAME       suite name or file (generated tasks only; loaders are eval data)\n"
        "  --task T           keep only task T (repeatable)\n"
        "  --n N              samples per task (length tasks: spread over the length x depth cells)\n"
        "  --seed S           base seed inside the train seed space (default: the suite's)\n"
        "  --lengths L,L,…    context lengths in model tokens for length tasks (k suffix = 1024)\n"
        "  --tokenizer FILE   tokenizer.json (lengths are counted in its tokens)\n"
        "  --out FILE         output JSONL ('-' = stdout)\n"
        "  --dedup-n N        drop train prompts equal to any of the first max(suite count, N)\n"
        "                     eval prompts of a task (default: the suite's sample count)\n"
        "  --no-dedup         skip the check against the eval prompts\n");
}

/* eval_hashes: prompt hashes of the default eval samples of every generated task of the suite
 * loaded with ov (eval seed space); non-length tasks use max(suite count, dedup_n) samples. */
static int eval_hashes(const char *suite_name, const suite_overrides *ov, const suite_ctx *ctx,
                       int dedup_n, hset *h, char *err, size_t errlen) {
    suite *s = NULL;
    suite_overrides o = *ov;
    o.seed = 0;   /* the default eval set */
    if (suite_load(suite_name, &o, &s, err, errlen)) return 2;
    suite_ctx ec = *ctx;
    ec.train = 0;
    int rc = 0;
    for (int ti = 0; ti < s->n_tasks && !rc; ti++) {
        suite_task *t = &s->tasks[ti];
        const suite_kind *k = suite_kind_find(t->kind);
        if (!k || k->loader) continue;
        if (!k->length_task && dedup_n > t->n_samples) t->n_samples = dedup_n;
        int n = suite_task_count(t);
        for (int i = 0; i < n; i++) {
            eval_sample es;
            if (suite_task_sample(s, t, i, &ec, &es, err, errlen)) { rc = 1; break; }
            hset_add(h, gen_train_prompt_hash(es.prompt));
            eval_sample_free(&es);
        }
    }
    suite_free(s);
    return rc;
}

int cli_gen_train(int argc, char **argv) {
    const char *suite_name = NULL, *tok_path = NULL, *out_path = NULL, *lengths_s = NULL;
    const char **tasks = NULL;
    int n_tasks = 0, dedup = 1;
    long dedup_n = 0;
    long n_per = 0;
    unsigned long long seed = 0;
    char err[V4_ERRLEN] = "";
    int rc = 2;
    int *lengths = NULL, n_lengths = 0;
    v4_tokenizer *tok = NULL;
    suite *s = NULL;
    FILE *f = NULL;
    hset ev = {0};

    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) { gen_usage(stdout); free(tasks); return 0; }
        if (!strcmp(o, "--no-dedup")) { dedup = 0; continue; }
        if (i + 1 >= argc) {
            snprintf(err, sizeof err, "%s: missing value (or unknown option)", o);
            goto bad;
        }
        const char *v = argv[++i];
        if (!strcmp(o, "--suite")) suite_name = v;
        else if (!strcmp(o, "--tokenizer")) tok_path = v;
        else if (!strcmp(o, "--out")) out_path = v;
        else if (!strcmp(o, "--lengths")) lengths_s = v;
        else if (!strcmp(o, "--task")) {
            tasks = realloc(tasks, sizeof *tasks * (size_t)(n_tasks + 1));
            tasks[n_tasks++] = v;
        } else if (!strcmp(o, "--n")) {
            if (cliopt_long("--n", v, 1, 10000000, &n_per, err, sizeof err)) goto bad;
        } else if (!strcmp(o, "--dedup-n")) {
            if (cliopt_long("--dedup-n", v, 0, 10000000, &dedup_n, err, sizeof err)) goto bad;
        } else if (!strcmp(o, "--seed")) {
            if (cliopt_u64("--seed", v, &seed, err, sizeof err)) goto bad;
        } else {
            snprintf(err, sizeof err, "unknown option '%s'", o);
            goto bad;
        }
    }
    if (!suite_name || !n_per || !tok_path || !out_path) {
        snprintf(err, sizeof err, "--suite, --n, --tokenizer and --out are required");
        goto bad;
    }
    if (lengths_s && cliopt_lengths(lengths_s, INT_MAX, 0, &lengths, &n_lengths, err, sizeof err)) goto bad;
    if (v4_tokenizer_load(tok_path, &tok, err, sizeof err)) goto bad;

    suite_overrides ov;
    memset(&ov, 0, sizeof ov);
    ov.tasks = tasks;
    ov.n_tasks = n_tasks;
    ov.lengths = lengths;
    ov.n_lengths = n_lengths;
    ov.seed = seed;
    suite_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.tok = tok;
    ctx.train = 1;

    if (dedup) {
        int r = eval_hashes(suite_name, &ov, &ctx, (int)dedup_n, &ev, err, sizeof err);
        if (r) { rc = r; goto bad; }
    }
    if (suite_load(suite_name, &ov, &s, err, sizeof err)) goto bad;

    f = strcmp(out_path, "-") ? fopen(out_path, "w") : stdout;
    if (!f) {
        snprintf(err, sizeof err, "%s: cannot open for writing: %s", out_path, strerror(errno));
        goto bad;
    }
    long total = 0, dropped = 0;
    for (int ti = 0; ti < s->n_tasks; ti++) {
        suite_task *t = &s->tasks[ti];
        const suite_kind *k = suite_kind_find(t->kind);
        if (!k || k->loader) {
            fprintf(stderr, "gen-train: %s: skipped (dataset loader = evaluation data)\n", t->name);
            continue;
        }
        t->limit = 0;
        int cells = 1;
        if (k->length_task) cells = t->n_lengths * (t->n_depths ? t->n_depths : 1);
        /* draws beyond n_per/cells replace samples dropped by the eval check */
        int per = (int)((n_per + cells - 1) / cells);
        int per_cap = per * 4 + 16;
        t->n_samples = per_cap;
        long written = 0;
        for (int si = 0; si < per_cap && written < n_per; si++) {
            for (int c = 0; c < cells && written < n_per; c++) {
                int index = c * per_cap + si;
                eval_sample es;
                if (suite_task_sample(s, t, index, &ctx, &es, err, sizeof err)) {
                    rc = 1;
                    goto bad;
                }
                if (dedup && hset_has(&ev, gen_train_prompt_hash(es.prompt))) {
                    dropped++;
                    eval_sample_free(&es);
                    continue;
                }
                char *comp = NULL;
                int r = gen_train_completion(t->kind, &es, &comp, err, sizeof err);
                if (r) { eval_sample_free(&es); rc = r; goto bad; }
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "id", es.id);
                cJSON_AddStringToObject(o, "task", es.task);
                cJSON_AddStringToObject(o, "kind", t->kind);
                cJSON_AddNumberToObject(o, "length", es.length);
                cJSON_AddStringToObject(o, "prompt", es.prompt);
                cJSON_AddStringToObject(o, "completion", comp);
                cJSON_AddNumberToObject(o, "prompt_tokens", es.n_prompt_ids);
                /* ids as the engine sees them: the prompt tokenized alone (what `run` feeds),
                 * the completion tokenized on its own with special tokens parsed (what the
                 * model emits token by token after the prompt) */
                int32_t *cids = NULL;
                size_t ncid = 0;
                if (!es.prompt_ids ||
                    v4_tokenize(tok, comp, strlen(comp), 1, &cids, &ncid, err, sizeof err)) {
                    if (!es.prompt_ids) snprintf(err, sizeof err, "%s: no prompt ids", es.id);
                    cJSON_Delete(o); free(comp); eval_sample_free(&es);
                    rc = 1;
                    goto bad;
                }
                cJSON *pa = cJSON_CreateArray(), *ca = cJSON_CreateArray();
                for (int q = 0; q < es.n_prompt_ids; q++)
                    cJSON_AddItemToArray(pa, cJSON_CreateNumber(es.prompt_ids[q]));
                for (size_t q = 0; q < ncid; q++)
                    cJSON_AddItemToArray(ca, cJSON_CreateNumber(cids[q]));
                free(cids);
                cJSON_AddItemToObject(o, "prompt_ids", pa);
                cJSON_AddItemToObject(o, "completion_ids", ca);
                char *line = cJSON_PrintUnformatted(o);
                int werr = fputs(line, f) < 0 || fputc('\n', f) == EOF;
                free(line);
                cJSON_Delete(o);
                free(comp);
                eval_sample_free(&es);
                if (werr) {
                    snprintf(err, sizeof err, "%s: write failed: %s", out_path, strerror(errno));
                    rc = 1;
                    goto bad;
                }
                written++;
                total++;
            }
        }
        fprintf(stderr, "gen-train: %s: %ld samples\n", t->name, written);
        if (written < n_per)
            fprintf(stderr, "gen-train: %s: only %ld of %ld samples: the generator's prompts "
                    "repeat the eval prompts too often\n", t->name, written, n_per);
    }
    if (f != stdout && fclose(f)) {
        f = NULL;
        snprintf(err, sizeof err, "%s: write failed: %s", out_path, strerror(errno));
        rc = 1;
        goto bad;
    }
    f = NULL;
    fprintf(stderr, "gen-train: %ld samples written to %s (%ld dropped: prompt equal to an eval "
            "prompt)\n", total, out_path, dropped);
    rc = 0;
    goto done;
bad:
    fprintf(stderr, "v4eval gen-train: %s\n", err);
    if (rc == 2 && !suite_name) gen_usage(stderr);
done:
    if (f && f != stdout) fclose(f);
    free(ev.v);
    suite_free(s);
    v4_tokenizer_free(tok);
    free(lengths);
    free(tasks);
    return rc;
}
