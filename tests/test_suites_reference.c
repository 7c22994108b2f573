/*
 * test_suites_reference.c — the suites ↔ scorers contract end to end: for every generated task
 * of every shipped suite, the sample's meta.reference (the output the generator knows is right)
 * scores as a pass under the sample's own scorer, and a wrong output does not. Runs the code
 * references in the scorers' sandbox (python3), so it also checks the code target format.
 */
#include "tests/test_util.h"
#include "scorers/scorer.h"
#include "suites/suite.h"

static void check_suite(const char *name, int limit) {
    suite_overrides ov = {0};
    int L[] = {1024};
    ov.lengths = L; ov.n_lengths = 1; ov.limit = limit;
    suite *s = NULL;
    char err[V4_ERRLEN];
    CU_ASSERT_EQUAL_FATAL(suite_load(name, &ov, &s, err, sizeof err), 0);
    v4_tokenizer *tk = NULL;
    v4_tokenizer_load("models/tokenizer/tokenizer.json", &tk, err, sizeof err);
    suite_ctx ctx = {tk, 0, NULL, 0};
    for (int ti = 0; ti < s->n_tasks; ti++) {
        const suite_task *t = &s->tasks[ti];
        int n = suite_task_count(t), passed = 0, wrong_passed = 0;
        for (int i = 0; i < n; i++) {
            eval_sample x;
            int rc = suite_task_sample(s, t, i, &ctx, &x, err, sizeof err);
            if (rc) printf("\n  %s[%d]: %s", t->name, i, err);
            CU_ASSERT_EQUAL_FATAL(rc, 0);
            const cJSON *ref = cJSON_GetObjectItem(x.meta, "reference");
            CU_ASSERT_FATAL(cJSON_IsString(ref));
            CU_ASSERT_EQUAL_FATAL(scorer_exists(x.scorer), 1);
            score_result r;
            memset(&r, 0, sizeof r);
            CU_ASSERT_EQUAL_FATAL(scorer_run(&x, ref->valuestring, &r, err, sizeof err), 0);
            if (!r.passed) {
                char *d = r.details ? cJSON_PrintUnformatted(r.details) : NULL;
                printf("\n  %s %s: reference did not pass (%s): %.300s", t->name, x.id,
                       score_status_name(r.status), d ? d : "");
                free(d);
            }
            passed += r.passed;
            score_result_free(&r);
            /* a wrong answer must not pass (irrelevance: a tool call is the wrong answer) */
            const char *wrong = !strcmp(x.scorer, "toolcall_irrelevance")
                ? "\n\n<｜DSML｜tool_calls>\n<｜DSML｜invoke name=\"get_weather\">\n<｜DSML｜parameter "
                  "name=\"city\" string=\"true\">Paris</｜DSML｜parameter>\n</｜DSML｜invoke>\n"
                  "</｜DSML｜tool_calls>"
                : "I do not know. #### 0.5";
            memset(&r, 0, sizeof r);
            CU_ASSERT_EQUAL(scorer_run(&x, wrong, &r, err, sizeof err), 0);
            wrong_passed += r.passed;
            score_result_free(&r);
            eval_sample_free(&x);
        }
        printf("\n    %-24s %-22s references passed %d/%d, wrong passed %d", t->name,
               t->scorer, passed, n, wrong_passed);
        CU_ASSERT_EQUAL(passed, n);
        CU_ASSERT_EQUAL(wrong_passed, 0);
    }
    printf("\n");
    v4_tokenizer_free(tk);
    suite_free(s);
}

static void test_longctx(void) { check_suite("longctx", 2); }
static void test_math(void) { check_suite("math", 20); }
static void test_toolcall(void) { check_suite("toolcall", 10); }
static void test_code(void) { check_suite("code", 8); }

/* dataset loaders: the dataset's own reference solution passes its sample's scorer */
static void check_loader(const char *suite_name, const char *task, const char *data, int n_ok) {
    suite_overrides ov = {0};
    const char *tasks[1] = {task};
    ov.tasks = tasks; ov.n_tasks = 1; ov.data_path = data;
    suite *s = NULL;
    char err[V4_ERRLEN];
    CU_ASSERT_EQUAL_FATAL(suite_load(suite_name, &ov, &s, err, sizeof err), 0);
    suite_ctx ctx = {0};
    for (int i = 0; i < n_ok; i++) {
        eval_sample x;
        CU_ASSERT_EQUAL_FATAL(suite_task_sample(s, &s->tasks[0], i, &ctx, &x, err, sizeof err), 0);
        const cJSON *ref = cJSON_GetObjectItem(x.meta, "reference");
        CU_ASSERT_FATAL(cJSON_IsString(ref));
        score_result r;
        memset(&r, 0, sizeof r);
        CU_ASSERT_EQUAL_FATAL(scorer_run(&x, ref->valuestring, &r, err, sizeof err), 0);
        printf("\n    %-10s %-24s %s %s", task, x.id, x.scorer, r.passed ? "pass" : "FAIL");
        CU_ASSERT(r.passed);
        score_result_free(&r);
        eval_sample_free(&x);
    }
    suite_free(s);
}

static void test_loaders(void) {
    check_loader("math", "gsm8k", "tests/fixtures/suites/gsm8k_small.jsonl", 2);
    check_loader("math", "math500", "tests/fixtures/suites/math_small.jsonl", 2);
    check_loader("code", "humaneval", "tests/fixtures/suites/humaneval_small.jsonl.gz", 2);
    check_loader("code", "mbpp", "tests/fixtures/suites/mbpp_small.jsonl", 2);
    printf("\n");
}

static const test_case TESTS[] = {
    {"loaders", test_loaders},
    {"longctx", test_longctx},
    {"math", test_math},
    {"toolcall", test_toolcall},
    {"code", test_code},
    {NULL, NULL}};
TEST_MAIN("suites_reference", TESTS)
