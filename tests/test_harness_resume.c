/* test_harness_resume.c — the run loop end to end with the replay backend on a small in-test
 * suite (two tasks, lengths and depths, one id missing from the replay file), the journal's
 * torn-line recovery and error-retry compaction, and resume after SIGKILL: a child process runs
 * with a slow backend, is killed mid-run, a torn line is appended, the run is resumed, and the
 * final journal has every sample exactly once and a summary.csv identical to an uninterrupted
 * run. */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "harness/backend.h"
#include "harness/hutil.h"
#include "harness/journal.h"
#include "harness/results.h"
#include "harness/runner.h"
#include "tests/test_util.h"

/* ---- a tiny suite: task "needle" (lengths 1024/2048 × depths 0/0.5 × 3) and "plain" (5) ---- */
static const char *t_suite(runner_source *s, int t) { (void)s; (void)t; return "mini"; }
static const char *t_task(runner_source *s, int t) { (void)s; return t == 0 ? "needle" : "plain"; }
static int t_count(runner_source *s, int t) { (void)s; return t == 0 ? 12 : 5; }

static void t_id(int t, int index, char *id, size_t n, int *length, double *depth) {
    if (t == 0) {
        *length = index < 6 ? 1024 : 2048;
        *depth = (index / 3) % 2 ? 0.5 : 0.0;
        snprintf(id, n, "needle/%d/%g/%d", *length, *depth, index % 3);
    } else {
        *length = 0;
        *depth = -1;
        snprintf(id, n, "plain/%d", index);
    }
}

static int t_make(runner_source *s, int t, int index, eval_sample *out, char *err, size_t errlen) {
    (void)s;
    memset(out, 0, sizeof *out);
    if (t == 1 && index == 4) {
        snprintf(err, errlen, "synthetic generator failure");
        return 1;
    }
    char id[64];
    int length;
    double depth;
    t_id(t, index, id, sizeof id, &length, &depth);
    out->id = hutil_strdup(id);
    out->suite = hutil_strdup("mini");
    out->task = hutil_strdup(t_task(s, t));
    out->length = length;
    out->depth = depth;
    out->prompt = hutil_asprintf("What is the answer for %s?", id);
    out->target = cJSON_CreateString(id);
    out->meta = cJSON_CreateObject();
    cJSON_AddNumberToObject(out->meta, "index", index);
    out->max_new_tokens = 16;
    return 0;
}

static void t_release(runner_source *s, eval_sample *e) {
    (void)s;
    free(e->id); free(e->suite); free(e->task); free(e->prompt);
    cJSON_Delete(e->target); cJSON_Delete(e->meta);
    memset(e, 0, sizeof *e);
}

/* score: 1 when the output names the sample id exactly, 0.5 for "half", else 0 */
static int t_score(runner_source *s, const eval_sample *e, const char *output, score_result *r,
                   char *err, size_t errlen) {
    (void)s; (void)err; (void)errlen;
    memset(r, 0, sizeof *r);
    r->score = !strcmp(output, e->target->valuestring) ? 1.0 : !strcmp(output, "half") ? 0.5 : 0.0;
    r->passed = r->score == 1.0;
    r->status = r->passed ? SCORE_OK : SCORE_FAIL;
    r->extracted = hutil_strdup(output);
    return 0;
}

static void t_score_release(runner_source *s, score_result *r) {
    (void)s;
    free(r->extracted);
    cJSON_Delete(r->details);
}

static runner_source SRC = {2, t_suite, t_task, t_count, t_make, t_release, t_score,
                            t_score_release, NULL};

/* the replay file: correct for most, "half" / wrong for a few, needle/2048/0.5/2 missing */
static char *write_replay(const char *dir) {
    char *p = hutil_asprintf("%s/replay.jsonl", dir);
    FILE *f = fopen(p, "w");
    for (int t = 0; t < 2; t++)
        for (int i = 0; i < t_count(NULL, t); i++) {
            char id[64];
            int length;
            double depth;
            t_id(t, i, id, sizeof id, &length, &depth);
            if (!strcmp(id, "needle/2048/0.5/2")) continue;
            const char *out = id;
            if (!strcmp(id, "needle/1024/0.5/1")) out = "wrong";
            if (!strcmp(id, "plain/2")) out = "half";
            if (!strcmp(id, "plain/3")) out = "";
            fprintf(f, "{\"id\": \"%s\", \"output\": \"%s\", \"tokens_out\": 3}\n", id, out);
        }
    fclose(f);
    return p;
}

static char *tmpdir(void) {
    char tmpl[] = "/tmp/v4eval-resume-XXXXXX";
    char *d = mkdtemp(tmpl);
    return d ? hutil_strdup(d) : NULL;
}

static int rm_rf(const char *d) {
    char *cmd = hutil_asprintf("rm -rf '%s'", d);
    int rc = system(cmd);
    free(cmd);
    return rc;
}

/* run_once: opens the journal in dir, runs SRC through b, writes summary.csv */
static int run_once_opt(const char *dir, backend *b, runner_stats *st, int skip_by_index) {
    char err[512];
    char *js = hutil_asprintf("%s/samples.jsonl", dir), *sp = hutil_asprintf("%s/summary.csv", dir);
    journal *j;
    int rc = journal_open(js, 1, &j, err, sizeof err);
    if (rc) printf("    journal_open: %s\n", err);
    if (!rc) {
        runner_opts o = {RUNNER_PROGRESS_OFF, 0, 0, skip_by_index, NULL};
        rc = runner_run(&SRC, b, j, &o, st);
        int n;
        const sample_record *r = journal_records(j, &n);
        rc |= results_write_summary(sp, r, n, err, sizeof err);
        journal_close(j);
    }
    free(js); free(sp);
    return rc;
}

static int run_once(const char *dir, backend *b, runner_stats *st) {
    return run_once_opt(dir, b, st, 0);
}

static void test_replay_end_to_end(void) {
    char *d = tmpdir(), err[512];
    char *rp = write_replay(d);
    backend *b;
    CU_ASSERT_EQUAL_FATAL(backend_replay_open(rp, &b, err, sizeof err), 0);
    runner_stats st;
    CU_ASSERT_EQUAL(run_once(d, b, &st), 0);
    CU_ASSERT_EQUAL(st.total, 17);
    CU_ASSERT_EQUAL(st.done, 17);
    CU_ASSERT_EQUAL(st.errors, 2); /* missing replay id + generator failure */
    char *sp = hutil_asprintf("%s/summary.csv", d);
    char *got = hutil_read_file(sp, NULL);
    /* needle 1024: 6 samples, 1 wrong → 83.33; 2048: 1 missing → 83.33; plain: 1 + 1 + .5 + 0 + err(0) */
    const char *want =
        "task,score,1024,2048,n,nulls,errors\n"
        "needle,,83.33,83.33,12,0/12,1\n"
        "plain,50.00,,,5,1/5,1\n"
        "average,50.00,83.33,83.33,17,1/17,2\n";
    if (got && strcmp(got, want)) printf("\n--- got\n%s--- want\n%s", got, want);
    CU_ASSERT_STRING_EQUAL(got ? got : "", want);
    free(got);
    /* the records carry what the scorer and backend said */
    sample_record *recs;
    int n;
    char *js = hutil_asprintf("%s/samples.jsonl", d);
    CU_ASSERT_EQUAL_FATAL(journal_load(js, &recs, &n, err, sizeof err), 0);
    CU_ASSERT_EQUAL(n, 17);
    int seen_missing = 0, seen_gen = 0;
    for (int i = 0; i < n; i++) {
        if (!strcmp(recs[i].id, "needle/2048/0.5/2")) {
            seen_missing = 1;
            CU_ASSERT_STRING_EQUAL(recs[i].status, "error");
            CU_ASSERT_PTR_NOT_NULL(strstr(recs[i].error, "no output for id"));
        }
        if (!strcmp(recs[i].id, "plain#4")) {
            seen_gen = 1;
            CU_ASSERT_PTR_NOT_NULL(strstr(recs[i].error, "synthetic generator failure"));
        }
        if (!strcmp(recs[i].id, "needle/1024/0/0")) {
            char hex[65];
            sha256_hex_of("What is the answer for needle/1024/0/0?", 39, hex);
            CU_ASSERT_STRING_EQUAL(recs[i].prompt_hash, hex);
            CU_ASSERT_EQUAL(recs[i].tokens_out, 3);
            CU_ASSERT_STRING_EQUAL(recs[i].status, "ok");
            CU_ASSERT_EQUAL(hutil_json_num(cJSON_GetObjectItem(recs[i].meta, "sample"), "index", -1), 0);
        }
    }
    CU_ASSERT(seen_missing && seen_gen);
    journal_records_free(recs, n);
    /* rerunning finds everything done except the errored samples, which are tried again */
    CU_ASSERT_EQUAL(run_once(d, b, &st), 0);
    CU_ASSERT_EQUAL(st.skipped, 15);
    CU_ASSERT_EQUAL(st.done, 2);
    CU_ASSERT_EQUAL_FATAL(journal_load(js, &recs, &n, err, sizeof err), 0);
    CU_ASSERT_EQUAL(n, 17); /* never two lines for one id */
    journal_records_free(recs, n);
    b->close(b);
    free(js); free(sp); free(rp);
    rm_rf(d); free(d);
}

/* a slow backend wrapping replay: 40 ms per sample */
static int slow_generate(backend *b, const eval_sample *s, backend_result *r, int *fatal,
                         char *err, size_t errlen) {
    backend *inner = b->impl;
    struct timespec ts = {0, 40 * 1000000L};
    nanosleep(&ts, NULL);
    return inner->generate(inner, s, r, fatal, err, errlen);
}

static int count_lines(const char *path) {
    char *s = hutil_read_file(path, NULL);
    int n = 0;
    for (char *p = s; p && *p; p++) n += *p == '\n';
    free(s);
    return n;
}

static void test_resume_after_sigkill(void) {
    char *base = tmpdir(), err[512];
    char *rp = write_replay(base);
    char *d_ref = hutil_asprintf("%s/ref", base), *d_kill = hutil_asprintf("%s/kill", base);
    CU_ASSERT_EQUAL_FATAL(hutil_mkdir_p(d_ref, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(hutil_mkdir_p(d_kill, err, sizeof err), 0);
    backend *rb;
    CU_ASSERT_EQUAL_FATAL(backend_replay_open(rp, &rb, err, sizeof err), 0);
    backend slow = *rb;
    slow.impl = rb;
    slow.generate = slow_generate;
    runner_stats st;
    CU_ASSERT_EQUAL(run_once(d_ref, rb, &st), 0);

    char *js = hutil_asprintf("%s/samples.jsonl", d_kill);
    fflush(stdout);
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        runner_stats cst;
        run_once(d_kill, &slow, &cst);
        _exit(0);
    }
    double t0 = hutil_mono();
    while (count_lines(js) < 6 && hutil_mono() - t0 < 20) {
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    int before = count_lines(js);
    printf("    killed after %d finished samples\n", before);
    CU_ASSERT(before >= 6 && before < 17);
    /* simulate a kill in the middle of a write: a partial record without its newline */
    FILE *f = fopen(js, "a");
    fputs("{\"id\":\"needle/2048/0/1\",\"suite\":\"mi", f);
    fclose(f);
    char *before_text = hutil_read_file(js, NULL);
    size_t good_len = strrchr(before_text, '\n') - before_text + 1;

    /* resume skipping finished (suite, task, index) without rebuilding them */
    CU_ASSERT_EQUAL(run_once_opt(d_kill, rb, &st, 1), 0);
    CU_ASSERT_EQUAL(st.skipped + st.done, 17);
    CU_ASSERT(st.skipped >= before - 2); /* finished samples are not redone (errors are retried) */
    char *after_text = hutil_read_file(js, NULL);
    /* nothing finished before the kill was lost or rewritten, except retried error lines */
    int errors_before = 0;
    for (char *p = before_text; (p = strstr(p, "\"status\":\"error\"")); p++) errors_before++;
    if (!errors_before) CU_ASSERT_EQUAL(strncmp(after_text, before_text, good_len), 0);
    sample_record *recs;
    int n;
    CU_ASSERT_EQUAL_FATAL(journal_load(js, &recs, &n, err, sizeof err), 0);
    CU_ASSERT_EQUAL(n, 17);
    for (int i = 0; i < n; i++)
        for (int k = i + 1; k < n; k++) CU_ASSERT(strcmp(recs[i].id, recs[k].id) != 0);
    journal_records_free(recs, n);
    char *s_ref = hutil_asprintf("%s/summary.csv", d_ref), *s_kill = hutil_asprintf("%s/summary.csv", d_kill);
    char *a = hutil_read_file(s_ref, NULL), *b = hutil_read_file(s_kill, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_STRING_EQUAL(a, b);
    free(a); free(b); free(s_ref); free(s_kill); free(before_text); free(after_text);
    rb->close(rb);
    free(js); free(rp); free(d_ref); free(d_kill);
    rm_rf(base); free(base);
}

static void test_journal_bad_lines(void) {
    char *d = tmpdir(), err[512];
    char *js = hutil_asprintf("%s/samples.jsonl", d);
    FILE *f = fopen(js, "w");
    fputs("{\"id\":\"a\",\"suite\":\"s\",\"task\":\"t\",\"status\":\"ok\",\"score\":1}\n", f);
    fputs("not json\n", f);
    fputs("{\"id\":\"b\",\"suite\":\"s\",\"task\":\"t\",\"status\":\"ok\",\"score\":1}\n", f);
    fclose(f);
    journal *j = NULL;
    CU_ASSERT_NOT_EQUAL(journal_open(js, 1, &j, err, sizeof err), 0);
    printf("    %s\n", err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "samples.jsonl:2:"));
    f = fopen(js, "w");
    fputs("{\"id\":\"a\",\"suite\":\"s\",\"task\":\"t\",\"status\":\"ok\",\"score\":1}\n", f);
    fputs("{\"id\":\"a\",\"suite\":\"s\",\"task\":\"t\",\"status\":\"ok\",\"score\":0}\n", f);
    fclose(f);
    CU_ASSERT_NOT_EQUAL(journal_open(js, 1, &j, err, sizeof err), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "duplicate sample id 'a'"));
    /* errors are dropped (retried) only when asked */
    f = fopen(js, "w");
    fputs("{\"id\":\"a\",\"suite\":\"s\",\"task\":\"t\",\"status\":\"ok\",\"score\":1}\n", f);
    fputs("{\"id\":\"e\",\"suite\":\"s\",\"task\":\"t\",\"status\":\"error\",\"score\":0}\n", f);
    fclose(f);
    CU_ASSERT_EQUAL_FATAL(journal_open(js, 0, &j, err, sizeof err), 0);
    CU_ASSERT(journal_has(j, "e"));
    journal_close(j);
    CU_ASSERT_EQUAL_FATAL(journal_open(js, 1, &j, err, sizeof err), 0);
    CU_ASSERT(!journal_has(j, "e"));
    CU_ASSERT(journal_has(j, "a"));
    sample_record r;
    record_init(&r);
    r.id = hutil_strdup("a");
    r.suite = hutil_strdup("s"); r.task = hutil_strdup("t"); r.status = hutil_strdup("ok");
    CU_ASSERT_EQUAL(journal_append(j, &r, err, sizeof err), 1); /* duplicate refused */
    record_free(&r);
    journal_close(j);
    CU_ASSERT_EQUAL(count_lines(js), 1);
    free(js);
    rm_rf(d); free(d);
}

static void test_replay_bad_file(void) {
    char *d = tmpdir(), err[512];
    char *p = hutil_asprintf("%s/r.jsonl", d);
    FILE *f = fopen(p, "w");
    fputs("{\"id\": \"x\", \"output\": \"a\"}\n\n{\"id\": \"y\"}\n", f);
    fclose(f);
    backend *b;
    CU_ASSERT_NOT_EQUAL(backend_replay_open(p, &b, err, sizeof err), 0);
    printf("    %s\n", err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "r.jsonl:3: expected string field 'output'"));
    CU_ASSERT_NOT_EQUAL(backend_replay_open("/nonexistent/r.jsonl", &b, err, sizeof err), 0);
    free(p);
    rm_rf(d); free(d);
}

static void test_cut_stops(void) {
    char *stops[] = {"\n\n", "END", ""};
    CU_ASSERT_EQUAL(backend_cut_stops("abc END x\n\n", 11, stops, 3), 4);
    CU_ASSERT_EQUAL(backend_cut_stops("abc\n\nEND", 8, stops, 3), 3);
    CU_ASSERT_EQUAL(backend_cut_stops("abc", 3, stops, 3), 3);
}

static const test_case TESTS[] = {
    {"replay_end_to_end", test_replay_end_to_end},
    {"resume_after_sigkill", test_resume_after_sigkill},
    {"journal_bad_lines", test_journal_bad_lines},
    {"replay_bad_file", test_replay_bad_file},
    {"cut_stops", test_cut_stops},
    {NULL, NULL},
};
TEST_MAIN("harness_resume", TESTS)
