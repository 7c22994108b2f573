/*
 * scorers_test_sample.h — building eval_sample values by hand for the scorer tests.
 *
 * The samples are made from a target given as JSON text; test_sample_clear frees exactly the
 * fields test_sample_make set (the scorer tests do not depend on the suites helper's
 * eval_sample_free).
 */
#ifndef V4_SCORERS_TEST_SAMPLE_H
#define V4_SCORERS_TEST_SAMPLE_H

#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "suites/suite.h"
#include "scorers/scorer.h"

/* test_sample_make: a sample scored by `scorer` with target parsed from target_json (NULL =
 * no target). thinking as given; every other field zero. */
static inline eval_sample test_sample_make(const char *scorer, const char *target_json,
                                           int thinking) {
    eval_sample s;
    memset(&s, 0, sizeof s);
    s.id = strdup("test/0");
    s.scorer = strdup(scorer);
    s.thinking = thinking;
    s.depth = -1;
    s.target = target_json ? cJSON_Parse(target_json) : NULL;
    return s;
}

static inline void test_sample_clear(eval_sample *s) {
    free(s->id);
    free(s->scorer);
    cJSON_Delete(s->target);
    cJSON_Delete(s->tools);
    memset(s, 0, sizeof *s);
}

/* test_new_result: a zeroed result with an empty details object, as scorer_run prepares it. */
static inline score_result test_new_result(void) {
    score_result r;
    memset(&r, 0, sizeof r);
    r.details = cJSON_CreateObject();
    return r;
}

#endif
