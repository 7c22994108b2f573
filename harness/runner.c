/*
 * runner.c — the run loop, its worker threads and the progress display.
 *
 * Work items are (task, index) pairs taken in order from a shared cursor. With a backend that
 * allows N concurrent calls, N workers run; building a sample, scoring it and journaling it
 * happen under one mutex (suites, scorers and the journal need not be thread-safe), only
 * backend->generate runs in parallel. Progress counts skipped samples as done immediately; the
 * ETA uses the rate of samples actually generated in this invocation.
 */
#include "harness/runner.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness/hutil.h"

const char *runner_status_name(score_status s) {
    switch (s) {
    case SCORE_OK: return "ok";
    case SCORE_FAIL: return "fail";
    case SCORE_TIMEOUT: return "timeout";
    default: return "error";
    }
}

typedef struct {
    runner_source *src;
    backend *b;
    journal *j;
    runner_opts o;
    runner_stats *st;
    pthread_mutex_t mu;
    int task, index;          /* cursor: next item */
    int *counts;              /* [n_tasks] */
    int processed;            /* skipped + done */
    int stop;
    int bar;                  /* progress style: 1 bar, 2 lines, 0 off */
    double t0, last_line;
    int last_printed;         /* processed count at the last plain line (-1 = none) */
    char **seen_errors; int n_seen_errors;
    char **done_keys; size_t n_done_slots; /* "suite\x1ftask\x1findex" of journaled records */
} run_state;

static uint64_t key_hash(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static char **key_slot(char **slots, size_t n, const char *k) {
    size_t i = key_hash(k) & (n - 1);
    while (slots[i] && strcmp(slots[i], k)) i = (i + 1) & (n - 1);
    return &slots[i];
}

/* build_done_keys: the (suite, task, index) set of the journal's records */
static void build_done_keys(run_state *r) {
    int n;
    const sample_record *recs = journal_records(r->j, &n);
    size_t slots = 64;
    while (slots < (size_t)n * 2 + 2) slots *= 2;
    r->done_keys = calloc(slots, sizeof *r->done_keys);
    r->n_done_slots = slots;
    for (int i = 0; i < n; i++) {
        char *k = hutil_asprintf("%s\x1f%s\x1f%d", recs[i].suite, recs[i].task, recs[i].index);
        char **sl = key_slot(r->done_keys, slots, k);
        if (*sl) free(k);
        else *sl = k;
    }
}

static int done_by_index(run_state *r, int t, int idx) {
    if (!r->done_keys) return 0;
    char *k = hutil_asprintf("%s\x1f%s\x1f%d", r->src->suite_name(r->src, t),
                             r->src->task_name(r->src, t), idx);
    int found = *key_slot(r->done_keys, r->n_done_slots, k) != NULL;
    free(k);
    return found;
}

static void format_hms(double s, char *out, size_t n) {
    if (!isfinite(s) || s < 0) { snprintf(out, n, "--:--:--"); return; }
    if (s > 359999999.0) s = 359999999.0;
    long t = (long)(s + 0.5);
    snprintf(out, n, "%02ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
}

/* progress: caller holds the mutex */
static void progress(run_state *r, int final) {
    if (!r->bar) return;
    runner_stats *st = r->st;
    double now = hutil_mono(), el = now - r->t0;
    int left = st->total - r->processed;
    double eta = st->done > 0 ? el / st->done * left : NAN;
    char eta_s[32], el_s[32];
    format_hms(eta, eta_s, sizeof eta_s);
    format_hms(el, el_s, sizeof el_s);
    double pct = st->total ? 100.0 * r->processed / st->total : 100.0;
    if (r->bar == 1) {
        int w = 30, fill = st->total ? (int)((long)w * r->processed / st->total) : w;
        char bar[64];
        for (int i = 0; i < w; i++) bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
        bar[w] = 0;
        fprintf(stderr, "\r[%s] %d/%d %5.1f%% elapsed %s ETA %s errors %d ", bar, r->processed,
                st->total, pct, el_s, final ? "00:00:00" : eta_s, st->errors);
        if (final) fputc('\n', stderr);
        fflush(stderr);
    } else if ((final && r->last_printed != r->processed) ||
               (!final && now - r->last_line >= r->o.line_interval_s)) {
        r->last_line = now;
        r->last_printed = r->processed;
        fprintf(stderr, "progress: %d/%d samples (%.1f%%), %d skipped, %d errors, elapsed %s, "
                "ETA %s\n", r->processed, st->total, pct, st->skipped, st->errors, el_s,
                final ? "00:00:00" : eta_s);
    }
}

/* note_error: prints the first few distinct sample error messages (caller holds the mutex) */
static void note_error(run_state *r, const char *id, const char *msg) {
    for (int i = 0; i < r->n_seen_errors; i++)
        if (!strcmp(r->seen_errors[i], msg)) return;
    if (r->n_seen_errors >= r->o.max_error_lines) {
        if (r->n_seen_errors == r->o.max_error_lines) {
            fprintf(stderr, "%sv4eval: further sample errors are recorded in samples.jsonl only\n",
                    r->bar == 1 ? "\n" : "");
            r->seen_errors = realloc(r->seen_errors, (size_t)(r->n_seen_errors + 1) * sizeof *r->seen_errors);
            r->seen_errors[r->n_seen_errors++] = hutil_strdup("");
        }
        return;
    }
    fprintf(stderr, "%sv4eval: sample %s: %s\n", r->bar == 1 ? "\n" : "", id, msg);
    r->seen_errors = realloc(r->seen_errors, (size_t)(r->n_seen_errors + 1) * sizeof *r->seen_errors);
    r->seen_errors[r->n_seen_errors++] = hutil_strdup(msg);
}

/* next_item: advances the cursor; 0 when none left (caller holds the mutex) */
static int next_item(run_state *r, int *task, int *index) {
    while (r->task < r->src->n_tasks && r->index >= r->counts[r->task]) {
        r->task++;
        r->index = 0;
    }
    if (r->o.cancel && *r->o.cancel && !r->stop) {
        r->stop = 1;
        r->st->cancelled = 1;
    }
    if (r->task >= r->src->n_tasks || r->stop) return 0;
    *task = r->task;
    *index = r->index++;
    return 1;
}

static void finish_record(run_state *r, sample_record *rec) {
    runner_stats *st = r->st;
    char err[512];
    int is_err = record_is_error(rec);
    if (is_err) note_error(r, rec->id, rec->error ? rec->error : "error");
    int jrc = journal_append(r->j, rec, err, sizeof err);
    if (jrc == 2) { /* the disk refused: stop, everything before is safe */
        snprintf(st->fatal_msg, sizeof st->fatal_msg, "%s", err);
        r->stop = 1;
        st->stopped = 1;
    } else if (jrc) {
        note_error(r, rec->id ? rec->id : "?", err);
    }
    record_free(rec);
    st->done++;
    st->errors += is_err;
    r->processed++;
    progress(r, 0);
}

static void *worker(void *arg) {
    run_state *r = arg;
    runner_source *src = r->src;
    char err[1024];
    pthread_mutex_lock(&r->mu);
    for (;;) {
        int t, idx;
        if (!next_item(r, &t, &idx)) break;
        if (done_by_index(r, t, idx)) {
            r->st->skipped++;
            r->processed++;
            progress(r, 0);
            continue;
        }
        eval_sample s;
        memset(&s, 0, sizeof s);
        sample_record rec;
        record_init(&rec);
        rec.suite = hutil_strdup(src->suite_name(src, t));
        rec.task = hutil_strdup(src->task_name(src, t));
        rec.index = idx;
        err[0] = 0;
        if (src->make(src, t, idx, &s, err, sizeof err)) {
            /* the dataset's own id when the line got that far (gsm8k/<line>), else task#index */
            rec.id = s.id ? hutil_strdup(s.id) : hutil_asprintf("%s#%d", rec.task, idx);
            src->release(src, &s);
            rec.status = hutil_strdup("error");
            rec.error = hutil_asprintf("cannot build sample: %s", err[0] ? err : "unknown error");
            if (journal_has(r->j, rec.id)) {
                record_free(&rec);
                r->st->skipped++;
                r->processed++;
                continue;
            }
            finish_record(r, &rec);
            continue;
        }
        if (journal_has(r->j, s.id)) {
            src->release(src, &s);
            record_free(&rec);
            r->st->skipped++;
            r->processed++;
            progress(r, 0);
            continue;
        }
        rec.id = hutil_strdup(s.id);
        if (s.suite) { free(rec.suite); rec.suite = hutil_strdup(s.suite); }
        rec.length = s.length;
        rec.depth = s.depth;
        if (s.prompt) sha256_hex_of(s.prompt, strlen(s.prompt), rec.prompt_hash);
        rec.meta = cJSON_CreateObject();
        if (s.meta) cJSON_AddItemToObject(rec.meta, "sample", cJSON_Duplicate(s.meta, 1));

        /* generation runs without the lock */
        pthread_mutex_unlock(&r->mu);
        backend_result br;
        memset(&br, 0, sizeof br);
        int fatal = 0;
        err[0] = 0;
        double g0 = hutil_mono();
        int grc = r->b->generate(r->b, &s, &br, &fatal, err, sizeof err);
        double g1 = hutil_mono();
        pthread_mutex_lock(&r->mu);

        rec.latency_s = br.latency_s > 0 ? br.latency_s : g1 - g0;
        rec.tokens_in = br.tokens_in ? br.tokens_in : s.n_prompt_ids;
        rec.tokens_out = br.tokens_out;
        if (br.finish[0]) rec.finish = hutil_strdup(br.finish);
        if (grc) {
            rec.status = hutil_strdup("error");
            rec.error = hutil_utf8_sanitize(err[0] ? err : "generation failed");
            if (fatal) {
                r->stop = 1;
                r->st->stopped = 1;
                snprintf(r->st->fatal_msg, sizeof r->st->fatal_msg, "%s", rec.error);
            }
        } else {
            score_result sr;
            memset(&sr, 0, sizeof sr);
            err[0] = 0;
            /* the scorer sees the raw bytes; the record keeps valid UTF-8 for JSON readers */
            rec.output = hutil_utf8_sanitize(br.output);
            if (src->score(src, &s, br.output, &sr, err, sizeof err)) {
                rec.status = hutil_strdup("error");
                rec.error = hutil_asprintf("cannot score: %s", err[0] ? err : "scorer failed");
            } else {
                rec.score = sr.score;
                rec.passed = sr.passed;
                rec.status = hutil_strdup(runner_status_name(sr.status));
                rec.extracted = hutil_utf8_sanitize(sr.extracted);
                if (sr.status == SCORE_ERROR)
                    rec.error = hutil_utf8_sanitize(err[0] ? err : "the scorer could not score this output");
                if (sr.details) cJSON_AddItemToObject(rec.meta, "score", cJSON_Duplicate(sr.details, 1));
            }
            src->score_release(src, &sr);
        }
        backend_result_free(&br);
        src->release(src, &s);
        finish_record(r, &rec);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

int runner_run(runner_source *src, backend *b, journal *j, const runner_opts *o,
               runner_stats *st) {
    memset(st, 0, sizeof *st);
    run_state r;
    memset(&r, 0, sizeof r);
    r.src = src; r.b = b; r.j = j; r.st = st;
    if (o) r.o = *o;
    if (r.o.line_interval_s <= 0) r.o.line_interval_s = 10;
    if (r.o.max_error_lines <= 0) r.o.max_error_lines = 5;
    switch (r.o.progress) {
    case RUNNER_PROGRESS_BAR: r.bar = 1; break;
    case RUNNER_PROGRESS_LINES: r.bar = 2; break;
    case RUNNER_PROGRESS_OFF: r.bar = 0; break;
    default: r.bar = isatty(STDERR_FILENO) ? 1 : 2;
    }
    pthread_mutex_init(&r.mu, NULL);
    r.counts = calloc((size_t)src->n_tasks + 1, sizeof *r.counts);
    for (int t = 0; t < src->n_tasks; t++) {
        r.counts[t] = src->count(src, t);
        if (r.counts[t] < 0) r.counts[t] = 0;
        st->total += r.counts[t];
    }
    if (r.o.skip_by_index) build_done_keys(&r);
    r.t0 = r.last_line = hutil_mono();
    r.last_printed = -1;
    int n_workers = b->max_concurrency > 1 ? b->max_concurrency : 1;
    if (n_workers > st->total) n_workers = st->total > 0 ? st->total : 1;
    if (n_workers == 1) {
        worker(&r);
    } else {
        pthread_t *th = calloc((size_t)n_workers, sizeof *th);
        int started = 0;
        for (int i = 0; i < n_workers; i++)
            if (pthread_create(&th[i], NULL, worker, &r) == 0) started++;
            else break;
        if (!started) worker(&r);
        for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
        free(th);
    }
    pthread_mutex_lock(&r.mu);
    progress(&r, 1);
    pthread_mutex_unlock(&r.mu);
    st->wall_s = hutil_mono() - r.t0;
    for (int i = 0; i < r.n_seen_errors; i++) free(r.seen_errors[i]);
    free(r.seen_errors);
    for (size_t i = 0; i < r.n_done_slots; i++) free(r.done_keys[i]);
    free(r.done_keys);
    free(r.counts);
    pthread_mutex_destroy(&r.mu);
    return r.stop ? 1 : 0;
}
