/*
 * runner.h — the run loop: for every task and sample index, build the sample, skip it when the
 * journal already holds its id, generate with the backend, score, record, journal.
 *
 * Where samples and scores come from is a small interface (runner_source) so the loop does not
 * care whether it runs a suite file (runner_source_suite, the normal case) or a fixed list (the
 * tests). A bad sample never aborts the run: a failure to build, generate or score one sample is
 * recorded with status "error" and its message. Only a backend failure marked fatal (server gone
 * after all retries) stops the loop early; the journal then holds everything finished and the
 * same command resumes.
 */
#ifndef V4_RUNNER_H
#define V4_RUNNER_H

#include <stdio.h>
#include "harness/backend.h"
#include "harness/journal.h"
#include "scorers/scorer.h"
#include "suites/suite.h"

typedef struct runner_source runner_source;
struct runner_source {
    int n_tasks;
    const char *(*suite_name)(runner_source *src, int task);
    const char *(*task_name)(runner_source *src, int task);
    int (*count)(runner_source *src, int task);
    /* make: materialise sample index of task (deterministic). Non-zero with err on failure;
     * out may then hold the sample's id (used for the error record) and is still released. */
    int (*make)(runner_source *src, int task, int index, eval_sample *out, char *err,
                size_t errlen);
    void (*release)(runner_source *src, eval_sample *s);
    /* score: as scorer_run. Non-zero (err) when the sample cannot be scored at all. */
    int (*score)(runner_source *src, const eval_sample *s, const char *output, score_result *r,
                 char *err, size_t errlen);
    void (*score_release)(runner_source *src, score_result *r);
    void *impl;
};

/* runner_source_suite: a source over a loaded suite (suite_task_sample, scorer_run). ctx is
 * copied; s must outlive the source. Free with runner_source_suite_free. */
runner_source *runner_source_suite(const suite *s, const suite_ctx *ctx);
void runner_source_suite_free(runner_source *src);

typedef enum { RUNNER_PROGRESS_AUTO = 0, RUNNER_PROGRESS_BAR, RUNNER_PROGRESS_LINES,
               RUNNER_PROGRESS_OFF } runner_progress;

typedef struct {
    runner_progress progress;  /* AUTO: a bar when stderr is a terminal, else periodic lines */
    double line_interval_s;    /* seconds between plain progress lines (default 10) */
    int max_error_lines;       /* distinct sample error messages printed (default 5) */
    int skip_by_index;         /* 1 = a journal record with the same (suite, task, index) counts
                                * as done without rebuilding the sample; only valid when the
                                * resolved suite (its hash) is the one the journal was written
                                * with — saves re-tokenizing long prompts on resume */
    volatile int *cancel;      /* when non-NULL and set (e.g. by a SIGINT handler), no new
                                * sample starts; samples in flight finish and are journaled */
} runner_opts;

typedef struct {
    int total;        /* samples the source offers */
    int skipped;      /* already in the journal */
    int done;         /* finished in this invocation */
    int errors;       /* of those, status error */
    int stopped;      /* 1 when a fatal backend failure stopped the run early */
    int cancelled;    /* 1 when opts.cancel stopped the run early */
    double wall_s;
    char fatal_msg[512];
} runner_stats;

/* runner_run: runs every sample of src through b, appending to j. Returns 0 when the loop ran
 * to the end (individual samples may have failed), 1 when it stopped early on a fatal backend
 * error or a journal write failure (message in st->fatal_msg) or was cancelled. */
int runner_run(runner_source *src, backend *b, journal *j, const runner_opts *o,
               runner_stats *st);

/* runner_status_name: "ok" / "fail" / "timeout" / "error" for a scorer status. */
const char *runner_status_name(score_status s);

#endif /* V4_RUNNER_H */
