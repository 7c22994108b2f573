/*
 * cli_run.c — `v4eval run`: suite + backend + journal → results/<run-id>/.
 *
 *   v4eval run --suite NAME [--task T …] [--data PATH] [--model DIR] [--tokenizer FILE]
 *              [--backend builtin|openai|replay:FILE] [--lengths 1024,4096,…] [--limit N]
 *              [--seed S] [--run-id ID] [--out DIR] [--haystack-dir D] [--max-context N]
 *              [--qat on|off] [--threads N] [--temperature T] [--progress auto|bar|lines|off]
 *              [--keep-errors] [--base-url URL --api-model NAME --api-key-env VAR
 *               --concurrency N --timeout S --retries N]
 *
 * The run directory holds manifest.json, samples.jsonl (the journal), summary.csv and
 * results.csv. Rerunning with the same --run-id resumes: finished sample ids are skipped,
 * samples that ended in error are tried again (unless --keep-errors), and the options that
 * decide which samples exist (suite, seed, backend kind) must match the first invocation.
 * Exit status: 0 when the loop ran to the end (sample errors are counted, not fatal), 1 when a
 * fatal backend or disk failure stopped it early (rerun to resume), 2 for bad input, 130 when
 * interrupted by Ctrl-C / SIGTERM (the samples in flight finish, the tables are written).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "harness/backend.h"
#include "harness/cli.h"
#include "harness/cliopt.h"
#include "harness/hutil.h"
#include "harness/journal.h"
#include "harness/manifest.h"
#include "harness/results.h"
#include "harness/runner.h"

static void run_usage(FILE *f) {
    fprintf(f,
        "usage: v4eval run --suite NAME [options]\n"
        "  --suite NAME          suite name (suites/NAME.json), a suite file path, or all\n"
        "  --task T              keep only task T (repeatable, or comma-separated)\n"
        "  --data PATH           dataset file/dir for loader tasks (HumanEval, MBPP, GSM8K, BFCL…)\n"
        "  --model DIR           model directory (config.json, safetensors, tokenizer.json)\n"
        "  --tokenizer FILE      tokenizer.json (default MODEL/tokenizer.json)\n"
        "  --backend B           builtin (default) | openai | replay:FILE.jsonl\n"
        "  --lengths L,L,…       context lengths in model tokens (k/m suffixes: 4k = 4096)\n"
        "  --limit N             at most N samples per task\n"
        "  --seed S              move generated tasks to another part of the eval seed space\n"
        "  --run-id ID           run directory name (default: UTC timestamp + suite); reuse to resume\n"
        "  --out DIR             results root (default results)\n"
        "  --haystack-dir D      your own haystack text for long-context tasks\n"
        "  --max-context N       model window when the backend cannot tell (openai, replay)\n"
        "  --qat on|off          builtin: QAT emulations (default on)\n"
        "  --threads N           builtin: OpenMP threads\n"
        "  --temperature T       sampling temperature (default 0 = greedy)\n"
        "  --progress P          auto (bar on a terminal, lines otherwise) | bar | lines | off\n"
        "  --keep-errors         on resume, keep samples that ended in error instead of retrying\n"
        "  --base-url URL        openai: server base URL, e.g. http://127.0.0.1:8000/v1\n"
        "  --api-model NAME      openai: model name in requests\n"
        "  --api-key-env VAR     openai: environment variable holding the API key\n"
        "  --concurrency N       openai: parallel requests (default 1)\n"
        "  --timeout S           openai: per-request timeout in seconds (default 600)\n"
        "  --retries N           openai: retries on 429/5xx/connection errors (default 3)\n");
}

typedef struct {
    const char *suite, *data, *model, *tokenizer, *backend, *lengths, *run_id, *out, *haystack;
    const char *progress, *qat, *base_url, *api_model, *api_key_env;
    const char **tasks; int n_tasks;
    char **task_bufs; int n_task_bufs; /* the split copies of --task values */
    long limit, max_context, threads, concurrency, retries;
    unsigned long long seed;
    double temperature, timeout;
    int keep_errors;
} run_args;

static int parse_run_args(int argc, char **argv, run_args *a, char *err, size_t errlen) {
    memset(a, 0, sizeof *a);
    a->out = "results";
    a->backend = "builtin";
    a->concurrency = 1;
    a->retries = 3;
    a->timeout = 600;
    a->tasks = calloc((size_t)argc + 1, sizeof *a->tasks);
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = NULL;
        if (!strcmp(o, "--keep-errors")) { a->keep_errors = 1; continue; }
        if (strncmp(o, "--", 2)) {
            snprintf(err, errlen, "unexpected argument '%s'", o);
            return 1;
        }
        if (i + 1 >= argc) {
            snprintf(err, errlen, "%s: missing value", o);
            return 1;
        }
        v = argv[++i];
        if (!strcmp(o, "--suite")) a->suite = v;
        else if (!strcmp(o, "--task")) {
            /* comma lists are split in place */
            char *copy = hutil_strdup(v), *save = NULL;
            a->task_bufs = realloc(a->task_bufs, (size_t)(a->n_task_bufs + 1) * sizeof *a->task_bufs);
            a->task_bufs[a->n_task_bufs++] = copy;
            for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                a->tasks = realloc(a->tasks, (size_t)(a->n_tasks + argc + 1) * sizeof *a->tasks);
                a->tasks[a->n_tasks++] = t;
            }
        }
        else if (!strcmp(o, "--data")) a->data = v;
        else if (!strcmp(o, "--model")) a->model = v;
        else if (!strcmp(o, "--tokenizer")) a->tokenizer = v;
        else if (!strcmp(o, "--backend")) a->backend = v;
        else if (!strcmp(o, "--lengths")) a->lengths = v;
        else if (!strcmp(o, "--run-id")) a->run_id = v;
        else if (!strcmp(o, "--out")) a->out = v;
        else if (!strcmp(o, "--haystack-dir")) a->haystack = v;
        else if (!strcmp(o, "--progress")) a->progress = v;
        else if (!strcmp(o, "--qat")) a->qat = v;
        else if (!strcmp(o, "--base-url")) a->base_url = v;
        else if (!strcmp(o, "--api-model")) a->api_model = v;
        else if (!strcmp(o, "--api-key-env")) a->api_key_env = v;
        else if (!strcmp(o, "--limit")) { if (cliopt_long(o, v, 1, LONG_MAX, &a->limit, err, errlen)) return 1; }
        else if (!strcmp(o, "--max-context")) { if (cliopt_long(o, v, 1, INT_MAX, &a->max_context, err, errlen)) return 1; }
        else if (!strcmp(o, "--threads")) { if (cliopt_long(o, v, 0, 4096, &a->threads, err, errlen)) return 1; }
        else if (!strcmp(o, "--concurrency")) { if (cliopt_long(o, v, 1, 1024, &a->concurrency, err, errlen)) return 1; }
        else if (!strcmp(o, "--retries")) { if (cliopt_long(o, v, 0, 100, &a->retries, err, errlen)) return 1; }
        else if (!strcmp(o, "--seed")) { if (cliopt_u64(o, v, &a->seed, err, errlen)) return 1; }
        else if (!strcmp(o, "--temperature")) { if (cliopt_double(o, v, 0, 10, &a->temperature, err, errlen)) return 1; }
        else if (!strcmp(o, "--timeout")) { if (cliopt_double(o, v, 0.001, 1e6, &a->timeout, err, errlen)) return 1; }
        else {
            snprintf(err, errlen, "unknown option '%s' (v4eval run --help lists them)", o);
            return 1;
        }
    }
    if (!a->suite) {
        snprintf(err, errlen, "--suite NAME is required");
        return 1;
    }
    if (a->qat && strcmp(a->qat, "on") && strcmp(a->qat, "off")) {
        snprintf(err, errlen, "--qat: expected on or off, found '%s'", a->qat);
        return 1;
    }
    if (a->progress && strcmp(a->progress, "auto") && strcmp(a->progress, "bar") &&
        strcmp(a->progress, "lines") && strcmp(a->progress, "off")) {
        snprintf(err, errlen, "--progress: expected auto, bar, lines or off, found '%s'", a->progress);
        return 1;
    }
    if (a->model && !a->model[0]) {
        snprintf(err, errlen, "--model: empty path (under make eval: scripts/default-model could "
                 "not provide a model; see its message above)");
        return 1;
    }
    if (a->run_id && (!a->run_id[0] || strchr(a->run_id, '/') || !strcmp(a->run_id, ".") ||
                      !strcmp(a->run_id, ".."))) {
        snprintf(err, errlen, "--run-id: '%s' is not a valid directory name", a->run_id);
        return 1;
    }
    return 0;
}

static void run_args_free(run_args *a) {
    for (int i = 0; i < a->n_task_bufs; i++) free(a->task_bufs[i]);
    free(a->task_bufs);
    free(a->tasks);
}

static const char *base_name(const char *p) {
    if (!p) return NULL;
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/') n--;
    const char *s = p + n;
    while (s > p && s[-1] != '/') s--;
    return s;
}

/* check_resume: the first invocation's manifest must agree on what defines the samples */
static int check_resume(const cJSON *old, const run_args *a, const char *backend_kind,
                        const char *path, char *err, size_t errlen) {
    const char *os = hutil_json_str(old, "suite_arg", NULL);
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(old, "seed_arg");
    const char *ob = hutil_json_str(old, "backend_kind", NULL);
    char now_seed[32];
    snprintf(now_seed, sizeof now_seed, "%llu", a->seed);
    if (os && strcmp(os, a->suite)) {
        snprintf(err, errlen, "%s: this run was started with --suite %s, not %s; rerun with the "
                 "same options or choose another --run-id", path, os, a->suite);
        return 1;
    }
    if (cJSON_IsString(seed) && strcmp(seed->valuestring, now_seed)) {
        snprintf(err, errlen, "%s: this run was started with --seed %s, not %s; rerun with the "
                 "same options or choose another --run-id", path, seed->valuestring, now_seed);
        return 1;
    }
    if (ob && strcmp(ob, backend_kind)) {
        snprintf(err, errlen, "%s: this run was started with the %s backend, not %s; rerun with "
                 "the same options or choose another --run-id", path, ob, backend_kind);
        return 1;
    }
    return 0;
}

static cJSON *totals_json(const sample_record *recs, int n) {
    cJSON *t = cJSON_CreateObject();
    int ok = 0, fail = 0, timeout = 0, err = 0, nulls = 0;
    double tin = 0, tout = 0, lat = 0, score = 0;
    for (int i = 0; i < n; i++) {
        const sample_record *r = &recs[i];
        if (record_is_error(r)) err++;
        else if (!strcmp(r->status, "fail")) fail++;
        else if (!strcmp(r->status, "timeout")) timeout++;
        else ok++;
        nulls += record_is_null(r);
        tin += r->tokens_in; tout += r->tokens_out; lat += r->latency_s;
        score += record_is_error(r) ? 0 : r->score;
    }
    cJSON_AddNumberToObject(t, "samples", n);
    cJSON_AddNumberToObject(t, "ok", ok);
    cJSON_AddNumberToObject(t, "fail", fail);
    cJSON_AddNumberToObject(t, "timeout", timeout);
    cJSON_AddNumberToObject(t, "errors", err);
    cJSON_AddNumberToObject(t, "nulls", nulls);
    cJSON_AddNumberToObject(t, "mean_score", n ? score / n : 0);
    cJSON_AddNumberToObject(t, "tokens_in", tin);
    cJSON_AddNumberToObject(t, "tokens_out", tout);
    cJSON_AddNumberToObject(t, "generation_s", lat);
    return t;
}

static int write_json(const char *path, const cJSON *o, char *err, size_t errlen) {
    char *s = cJSON_Print(o);
    size_t n = strlen(s);
    char *t = malloc(n + 2);
    memcpy(t, s, n);
    t[n] = '\n';
    int rc = hutil_write_file_atomic(path, t, n + 1, err, errlen);
    free(s);
    free(t);
    return rc;
}

/* Ctrl-C / SIGTERM: the first one lets the samples in flight finish, writes the tables and
 * exits 130; a second one kills as usual (nothing finished is lost either way). */
static volatile int run_cancel = 0;
static void on_signal(int sig) {
    run_cancel = 1;
    signal(sig, SIG_DFL);
}

int cli_run(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { run_usage(stdout); return 0; }
    char err[V4_ERRLEN];
    run_args a;
    if (parse_run_args(argc, argv, &a, err, sizeof err)) {
        fprintf(stderr, "v4eval run: %s\n", err);
        run_args_free(&a);
        return 2;
    }
    int rc = 2;
    backend *b = NULL;
    v4_tokenizer *own_tok = NULL;
    suite *s = NULL;
    journal *j = NULL;
    runner_source *src = NULL;
    cJSON *man = NULL;
    int *lengths = NULL, n_lengths = 0;
    char *run_dir = NULL, *path_samples = NULL, *path_manifest = NULL, *path_summary = NULL,
         *path_results = NULL, *run_id = NULL, *tok_path = NULL;
    double t_start = hutil_now();

    if (a.lengths && cliopt_lengths(a.lengths, INT_MAX, 0, &lengths, &n_lengths, err, sizeof err)) goto bad;

    /* backend */
    backend_opts bo = backend_opts_default();
    bo.spec = a.backend;
    bo.model_dir = a.model;
    bo.tokenizer = a.tokenizer;
    bo.qat = !a.qat || !strcmp(a.qat, "on");
    bo.threads = (int)a.threads;
    bo.seed = a.seed;
    bo.temperature = (float)a.temperature;
    bo.base_url = a.base_url;
    bo.api_model = a.api_model;
    bo.api_key_env = a.api_key_env;
    bo.concurrency = (int)a.concurrency;
    bo.timeout_s = a.timeout;
    bo.retries = (int)a.retries;
    if (!strcmp(a.backend, "builtin") && !a.model) {
        snprintf(err, sizeof err, "--model DIR is required with the builtin backend "
                 "(make eval picks the default model)");
        goto bad;
    }
    if (backend_open(&bo, &b, err, sizeof err)) goto bad;

    /* tokenizer for length fitting: the backend's, else the model's when present */
    const v4_tokenizer *tok = b->tok;
    if (!tok) {
        if (a.tokenizer) tok_path = hutil_strdup(a.tokenizer);
        else if (a.model) {
            tok_path = hutil_asprintf("%s/tokenizer.json", a.model);
            if (!hutil_file_exists(tok_path)) { free(tok_path); tok_path = NULL; }
        }
        if (tok_path) {
            if (v4_tokenizer_load(tok_path, &own_tok, err, sizeof err)) goto bad;
            tok = own_tok;
        }
    } else if (a.tokenizer) tok_path = hutil_strdup(a.tokenizer);
    else if (a.model) tok_path = hutil_asprintf("%s/tokenizer.json", a.model);
    int max_context = a.max_context ? (int)a.max_context : b->max_context;
    if (!max_context && a.model) max_context = manifest_read_max_position(a.model);
    if (!tok)
        fprintf(stderr, "v4eval run: no tokenizer (give --model or --tokenizer): context lengths "
                "are approximated, not counted in model tokens\n");

    /* suite */
    suite_overrides ov;
    memset(&ov, 0, sizeof ov);
    ov.tasks = a.tasks;
    ov.n_tasks = a.n_tasks;
    ov.lengths = lengths;
    ov.n_lengths = n_lengths;
    ov.limit = (int)a.limit;
    ov.seed = a.seed;
    ov.data_path = a.data;
    ov.haystack_dir = a.haystack;
    if (suite_load(a.suite, &ov, &s, err, sizeof err)) goto bad;
    /* a length beyond the window is refused before anything runs (never truncated) */
    if (suite_check_window(s, max_context, err, sizeof err)) goto bad;

    /* run directory, manifest, journal */
    if (a.run_id) run_id = hutil_strdup(a.run_id);
    else {
        char ts[32];
        time_t now = (time_t)t_start;
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(ts, sizeof ts, "%Y%m%d-%H%M%S", &tm);
        run_id = hutil_asprintf("%s-%s", ts, base_name(a.suite));
        char *dot = strrchr(run_id, '.');
        if (dot && !strcmp(dot, ".json")) *dot = 0;
    }
    run_dir = hutil_asprintf("%s/%s", a.out, run_id);
    path_samples = hutil_asprintf("%s/samples.jsonl", run_dir);
    path_manifest = hutil_asprintf("%s/manifest.json", run_dir);
    path_summary = hutil_asprintf("%s/summary.csv", run_dir);
    path_results = hutil_asprintf("%s/results.csv", run_dir);
    if (hutil_mkdir_p(run_dir, err, sizeof err)) goto bad;

    cJSON *resumes = NULL;
    int same_suite = 0;
    char *old_text = hutil_read_file(path_manifest, NULL);
    if (old_text) {
        cJSON *old = cJSON_Parse(old_text);
        free(old_text);
        if (!old) {
            snprintf(err, sizeof err, "%s: not valid JSON (remove it or choose another --run-id)",
                     path_manifest);
            goto bad;
        }
        if (check_resume(old, &a, b->kind, path_manifest, err, sizeof err)) { cJSON_Delete(old); goto bad; }
        const cJSON *os = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(old, "suites"), 0);
        same_suite = !strcmp(hutil_json_str(os, "hash", ""), s->hash);
        man = old;
        resumes = cJSON_GetObjectItemCaseSensitive(man, "resumed");
        if (!cJSON_IsArray(resumes)) {
            cJSON_DeleteItemFromObject(man, "resumed");
            resumes = cJSON_AddArrayToObject(man, "resumed");
        }
        char iso[32];
        hutil_iso_time(t_start, iso, sizeof iso);
        cJSON_AddItemToArray(resumes, cJSON_CreateString(iso));
        fprintf(stderr, "v4eval run: resuming %s\n", run_dir);
    } else {
        man = cJSON_CreateObject();
        char iso[32];
        hutil_iso_time(t_start, iso, sizeof iso);
        cJSON_AddStringToObject(man, "run_id", run_id);
        cJSON_AddStringToObject(man, "started", iso);
        cJSON_AddArrayToObject(man, "resumed");
        cJSON_AddStringToObject(man, "suite_arg", a.suite);
        char sd[32];
        snprintf(sd, sizeof sd, "%llu", a.seed);
        cJSON_AddStringToObject(man, "seed_arg", sd);
        cJSON_AddStringToObject(man, "backend_kind", b->kind);
    }
    /* facts refreshed on every invocation */
    cJSON_DeleteItemFromObject(man, "command");
    {
        size_t cl = 16;
        for (int i = 0; i < argc; i++) cl += strlen(argv[i]) + 1;
        char *cmd = calloc(1, cl);
        strcpy(cmd, "v4eval");
        for (int i = 0; i < argc; i++) { strcat(cmd, " "); strcat(cmd, argv[i]); }
        cJSON_AddStringToObject(man, "command", cmd);
        free(cmd);
    }
    cJSON_DeleteItemFromObject(man, "status");
    cJSON_AddStringToObject(man, "status", "running");
    cJSON_DeleteItemFromObject(man, "environment");
    cJSON_AddItemToObject(man, "environment", manifest_environment());
    cJSON_DeleteItemFromObject(man, "backend");
    cJSON_AddItemToObject(man, "backend", b->describe(b));
    cJSON_DeleteItemFromObject(man, "model");
    {
        cJSON *mo = cJSON_AddObjectToObject(man, "model");
        if (a.model) {
            cJSON_AddStringToObject(mo, "path", a.model);
            char hex[65], e2[512];
            if (manifest_model_hash(a.model, hex, e2, sizeof e2) == 0)
                cJSON_AddStringToObject(mo, "hash", hex);
            else {
                cJSON_AddNullToObject(mo, "hash");
                cJSON_AddStringToObject(mo, "hash_error", e2);
            }
        } else {
            cJSON_AddNullToObject(mo, "path");
        }
        cJSON_AddNumberToObject(mo, "max_context", max_context);
        if (tok_path) {
            cJSON_AddStringToObject(mo, "tokenizer", tok_path);
            size_t tl;
            char *td = hutil_read_file(tok_path, &tl);
            if (td) {
                char hex[65];
                sha256_hex_of(td, tl, hex);
                cJSON_AddStringToObject(mo, "tokenizer_sha256", hex);
                free(td);
            }
        }
    }
    cJSON_DeleteItemFromObject(man, "quant");
    {
        cJSON *q = cJSON_AddObjectToObject(man, "quant");
        if (!strcmp(b->kind, "builtin")) cJSON_AddBoolToObject(q, "qat", bo.qat);
        else cJSON_AddNullToObject(q, "qat");
    }
    cJSON_DeleteItemFromObject(man, "seeds");
    {
        cJSON *sd = cJSON_AddObjectToObject(man, "seeds");
        char buf[32];
        snprintf(buf, sizeof buf, "%llu", a.seed);
        cJSON_AddStringToObject(sd, "cli", buf);
        cJSON *ts = cJSON_AddObjectToObject(sd, "tasks");
        for (int t = 0; t < s->n_tasks; t++) {
            snprintf(buf, sizeof buf, "%llu", (unsigned long long)s->tasks[t].seed);
            cJSON_AddStringToObject(ts, s->tasks[t].name, buf);
        }
        cJSON_AddNumberToObject(sd, "temperature", a.temperature);
    }
    cJSON_DeleteItemFromObject(man, "suites");
    {
        cJSON *sa = cJSON_AddArrayToObject(man, "suites");
        cJSON *so = cJSON_CreateObject();
        cJSON_AddStringToObject(so, "name", s->name);
        if (s->path) cJSON_AddStringToObject(so, "path", s->path);
        cJSON_AddStringToObject(so, "hash", s->hash);
        cJSON *tn = cJSON_AddArrayToObject(so, "tasks");
        for (int t = 0; t < s->n_tasks; t++) cJSON_AddItemToArray(tn, cJSON_CreateString(s->tasks[t].name));
        if (s->resolved) cJSON_AddItemToObject(so, "resolved", cJSON_Duplicate(s->resolved, 1));
        cJSON_AddItemToArray(sa, so);
    }
    cJSON_DeleteItemFromObject(man, "options");
    {
        cJSON *op = cJSON_AddObjectToObject(man, "options");
        if (a.limit) cJSON_AddNumberToObject(op, "limit", (double)a.limit);
        if (a.lengths) cJSON_AddStringToObject(op, "lengths", a.lengths);
        if (a.data) cJSON_AddStringToObject(op, "data", a.data);
        if (a.haystack) cJSON_AddStringToObject(op, "haystack_dir", a.haystack);
        if (a.n_tasks) {
            cJSON *tk = cJSON_AddArrayToObject(op, "tasks");
            for (int t = 0; t < a.n_tasks; t++) cJSON_AddItemToArray(tk, cJSON_CreateString(a.tasks[t]));
        }
    }
    if (write_json(path_manifest, man, err, sizeof err)) { rc = 1; goto bad; }
    if (journal_open(path_samples, !a.keep_errors, &j, err, sizeof err)) goto bad;

    suite_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.tok = tok;
    ctx.max_context = max_context;
    ctx.haystack_dir = a.haystack;
    ctx.train = 0;
    for (int i = 0; i < s->n_skipped; i++)
        fprintf(stderr, "v4eval run: task left out: %s\n", s->skipped[i]);
    src = runner_source_suite(s, &ctx);
    runner_opts ro = {0};
    ro.progress = !a.progress || !strcmp(a.progress, "auto") ? RUNNER_PROGRESS_AUTO
                  : !strcmp(a.progress, "bar") ? RUNNER_PROGRESS_BAR
                  : !strcmp(a.progress, "lines") ? RUNNER_PROGRESS_LINES : RUNNER_PROGRESS_OFF;
    runner_stats st;
    fprintf(stderr, "v4eval run: %s: suite %s, backend %s, run %s\n", run_dir, s->name, b->kind, run_id);
    run_cancel = 0;
    ro.cancel = &run_cancel;
    ro.skip_by_index = same_suite; /* same resolved suite: skip finished indices unbuilt */
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int stopped = runner_run(src, b, j, &ro, &st);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);

    int n_recs;
    const sample_record *recs = journal_records(j, &n_recs);
    const char *model_name = !strcmp(b->kind, "openai") && a.api_model ? a.api_model
                             : a.model ? base_name(a.model) : b->kind;
    const char *quant = !strcmp(b->kind, "builtin") ? (bo.qat ? "qat" : "noqat") : b->kind;
    rc = 0;
    if (results_write_summary(path_summary, recs, n_recs, err, sizeof err) ||
        results_write_csv(path_results, recs, n_recs, model_name, quant, err, sizeof err)) {
        fprintf(stderr, "v4eval run: %s\n", err);
        rc = 1;
    }
    char iso[32];
    hutil_iso_time(hutil_now(), iso, sizeof iso);
    cJSON_DeleteItemFromObject(man, "ended");
    cJSON_AddStringToObject(man, "ended", iso);
    cJSON_DeleteItemFromObject(man, "status");
    cJSON_AddStringToObject(man, "status", st.cancelled ? "interrupted" : stopped ? "stopped" : "complete");
    cJSON_DeleteItemFromObject(man, "totals");
    cJSON *tot = totals_json(recs, n_recs);
    cJSON_AddNumberToObject(tot, "offered", st.total);
    cJSON_AddNumberToObject(tot, "skipped_this_invocation", st.skipped);
    cJSON_AddNumberToObject(tot, "done_this_invocation", st.done);
    cJSON_AddNumberToObject(tot, "wall_s_this_invocation", st.wall_s);
    cJSON_AddItemToObject(man, "totals", tot);
    if (write_json(path_manifest, man, err, sizeof err)) {
        fprintf(stderr, "v4eval run: %s\n", err);
        rc = 1;
    }
    results_print_table(stdout, recs, n_recs);
    printf("run %s: %d samples (%d new, %d already done, %d errors this time) in %.1f s\n",
           run_id, n_recs, st.done, st.skipped, st.errors, st.wall_s);
    printf("results: %s/{manifest.json,samples.jsonl,summary.csv,results.csv}\n", run_dir);
    if (st.cancelled) {
        fprintf(stderr, "v4eval run: interrupted; rerun with --run-id %s to resume\n", run_id);
        rc = 130;
    } else if (stopped) {
        fprintf(stderr, "v4eval run: stopped early: %s\nv4eval run: rerun with --run-id %s to "
                "resume\n", st.fatal_msg, run_id);
        rc = 1;
    }
    goto done;

bad:
    fprintf(stderr, "v4eval run: %s\n", err);
done:
    runner_source_suite_free(src);
    journal_close(j);
    cJSON_Delete(man);
    if (s) suite_free(s);
    if (b) b->close(b);
    if (own_tok) v4_tokenizer_free(own_tok);
    free(lengths);
    free(run_dir); free(path_samples); free(path_manifest); free(path_summary);
    free(path_results); free(run_id); free(tok_path);
    run_args_free(&a);
    return rc;
}
