/*
 * source_suite.c — runner_source over a resolved suite: samples from suite_task_sample, scores
 * from scorer_run. The only place the run loop touches suites/ and scorers/.
 */
#include <stdlib.h>
#include "harness/runner.h"

typedef struct {
    const suite *s;
    suite_ctx ctx;
} suite_src;

static const char *ss_suite(runner_source *src, int t) {
    const suite *s = ((suite_src *)src->impl)->s;
    return s->tasks[t].suite_name ? s->tasks[t].suite_name : s->name;
}
static const char *ss_task(runner_source *src, int t) {
    return ((suite_src *)src->impl)->s->tasks[t].name;
}
static int ss_count(runner_source *src, int t) {
    return suite_task_count(&((suite_src *)src->impl)->s->tasks[t]);
}
static int ss_make(runner_source *src, int t, int index, eval_sample *out, char *err,
                   size_t errlen) {
    suite_src *x = src->impl;
    return suite_task_sample_keep_id(x->s, &x->s->tasks[t], index, &x->ctx, out, 1, err, errlen);
}
static void ss_release(runner_source *src, eval_sample *s) {
    (void)src;
    eval_sample_free(s);
}
static int ss_score(runner_source *src, const eval_sample *s, const char *output,
                    score_result *r, char *err, size_t errlen) {
    (void)src;
    return scorer_run(s, output, r, err, errlen);
}
static void ss_score_release(runner_source *src, score_result *r) {
    (void)src;
    score_result_free(r);
}

runner_source *runner_source_suite(const suite *s, const suite_ctx *ctx) {
    runner_source *src = calloc(1, sizeof *src);
    suite_src *x = calloc(1, sizeof *x);
    if (!src || !x) { free(src); free(x); return NULL; }
    x->s = s;
    x->ctx = *ctx;
    src->impl = x;
    src->n_tasks = s->n_tasks;
    src->suite_name = ss_suite;
    src->task_name = ss_task;
    src->count = ss_count;
    src->make = ss_make;
    src->release = ss_release;
    src->score = ss_score;
    src->score_release = ss_score_release;
    return src;
}

void runner_source_suite_free(runner_source *src) {
    if (!src) return;
    free(src->impl);
    free(src);
}
