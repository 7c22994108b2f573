/*
 * scorer.h — turn (sample, model output) into a score exactly as the reference benchmarks do.
 *
 * Scorers are pure functions of the sample's target/meta and the raw output (except the code
 * sandbox, which runs the program in a contained child). They never abort the run: a scorer
 * problem is reported as status "error" in the result.
 *
 * Arrows: scorers → engine/v4.h (DSML parser), suites/suite.h (the sample type). Never → harness.
 */
#ifndef V4_SCORER_H
#define V4_SCORER_H

#include <cjson/cJSON.h>
#include "suites/suite.h"

typedef enum {
    SCORE_OK = 0,        /* scored normally (score may be 0) */
    SCORE_FAIL,          /* code: tests failed */
    SCORE_TIMEOUT,       /* code: wall-clock or CPU limit */
    SCORE_ERROR          /* could not score (malformed output for strict parsers, sandbox error) */
} score_status;

typedef struct {
    double score;        /* in [0,1] */
    int passed;          /* 1 = counts as correct for pass/fail statistics */
    score_status status;
    char *extracted;     /* the extracted answer (malloc'ed, may be NULL) */
    cJSON *details;      /* scorer-specific facts (malloc'ed cJSON, may be NULL) */
} score_result;

void score_result_free(score_result *r);
const char *score_status_name(score_status s);

/* Scorer names and the sample->target each expects (suites build these; details in the files):
 *   ruler_all, ruler_part   ["ref", …] (or one string)                         scorers/match.c
 *   gsm8k                   "…#### 72" | "72" | 72 | {"answer", "filter": "strict"|"flexible",
 *                           "compare": "exact"|"numeric"}  (default strict + exact, lm-eval)
 *   math_boxed              "answer latex" | {"answer"}                          scorers/math.c
 *   math_number             "3/4" | 0.75 | {"answer"}
 *   humaneval               {"prompt", "test", "entry_point", "timeout_s"?}      scorers/code.c
 *   mbpp                    {"test_list": [...], "test_setup_code"?, "timeout_s"?}
 *   code_synth              {"test", "prompt"?, "entry_point"?, "timeout_s"?}
 *   toolcall_ast            [{"fn": {"param": [values, "" = may omit]}}, …] | {"ground_truth",
 *                           "functions"?}  (function docs default to sample->tools) scorers/toolcall.c
 *   toolcall_irrelevance    (unused)
 * Text scorers see the output after the first "</think>" (the thinking part is kept in
 * details.thinking; a thinking-mode output without "</think>" has no answer). Code scorers use
 * sample->chat to choose fenced-block (chat) or stop-string (raw) extraction. Status: ok for a
 * normal score (0 or 1, or a fraction for ruler_all), fail/timeout from the code sandbox, error
 * for a malformed target or a sandbox that could not run (details.error says why). */

/* scorer_run: scores `output` for sample s with the scorer named s->scorer.
 * Returns 0 (r filled, possibly with status ERROR) or non-zero for an unknown scorer name. */
int scorer_run(const eval_sample *s, const char *output, score_result *r, char *err,
               size_t errlen);

/* scorer_exists: 1 if a scorer of that name exists. */
int scorer_exists(const char *name);

/* pass@k, unbiased estimator (product form): 1 - prod_{i=n-c+1}^{n} (1 - k/i); requires n >= k. */
double scorer_pass_at_k(int n, int c, int k);

#endif /* V4_SCORER_H */
