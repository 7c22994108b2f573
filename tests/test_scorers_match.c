/*
 * test_scorers_match.c — RULER string_match_all / string_match_part on hand-made cases taken
 * from RULER's rules (scripts/eval/synthetic/constants.py, evaluate.py postprocess_pred), plus
 * the thinking split every text scorer goes through.
 */
#include "tests/test_util.h"
#include "tests/scorers_test_sample.h"
#include "scorers/scorer_internal.h"

static double run_all(const char *target, const char *out, int all_mode, score_result *keep) {
    eval_sample s = test_sample_make(all_mode ? "ruler_all" : "ruler_part", target, 0);
    score_result r = test_new_result();
    if (all_mode) match_score_all(&s, out, &r);
    else match_score_part(&s, out, &r);
    double sc = r.status == SCORE_OK ? r.score : -1;
    if (keep) *keep = r;
    else score_result_free(&r);
    test_sample_clear(&s);
    return sc;
}

static void test_all_fraction(void) {
    const char *t = "[\"1234567\",\"7654321\",\"1111111\",\"2222222\"]";
    CU_ASSERT_DOUBLE_EQUAL(run_all(t, "The special magic numbers are 1234567, 7654321 and 1111111.", 1, NULL), 0.75, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(run_all(t, "1234567 7654321 1111111 2222222", 1, NULL), 1.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(run_all(t, "none of them", 1, NULL), 0.0, 1e-12);
    /* substring semantics: a reference inside a longer number still counts (RULER's `r in pred`) */
    CU_ASSERT_DOUBLE_EQUAL(run_all("[\"12345\"]", "9912345678", 1, NULL), 1.0, 1e-12);
}

static void test_case_insensitive(void) {
    CU_ASSERT_DOUBLE_EQUAL(run_all("[\"Apple\",\"BANANA\"]", "apple and Banana", 1, NULL), 1.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(run_all("[\"UUID-ABCDEF\"]", "uuid-abcdef", 1, NULL), 1.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(run_all("[\"apple\"]", "appl e", 1, NULL), 0.0, 1e-12);
}

static void test_part_any(void) {
    const char *t = "[\"Paris\",\"City of Paris\",\"the capital\"]";
    CU_ASSERT_DOUBLE_EQUAL(run_all(t, "It is paris.", 0, NULL), 1.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(run_all(t, "London", 0, NULL), 0.0, 1e-12);
    /* part is max, never a fraction */
    CU_ASSERT_DOUBLE_EQUAL(run_all("[\"a1\",\"b2\",\"c3\"]", "b2", 0, NULL), 1.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(run_all("[\"a1\",\"b2\",\"c3\"]", "b2", 1, NULL), 1.0 / 3.0, 1e-12);
}

static void test_postprocess_control_and_null(void) {
    score_result r;
    /* control characters become newlines: a tab in the output matches "\n" in a reference */
    CU_ASSERT_DOUBLE_EQUAL(run_all("[\"c\\nd\"]", "abc\tdef", 1, &r), 1.0, 1e-12);
    CU_ASSERT_STRING_EQUAL(r.extracted, "abc\ndef");
    score_result_free(&r);
    /* leading/trailing whitespace and control characters are stripped; empty → null */
    CU_ASSERT_DOUBLE_EQUAL(run_all("[\"x\"]", "  \x01\n\x1f ", 1, &r), 0.0, 1e-12);
    cJSON *nul = cJSON_GetObjectItem(r.details, "null");
    CU_ASSERT(cJSON_IsTrue(nul));
    CU_ASSERT_STRING_EQUAL(r.extracted, "");
    score_result_free(&r);
    CU_ASSERT_DOUBLE_EQUAL(run_all("[\"x\"]", "  x\x02 ", 1, &r), 1.0, 1e-12);
    CU_ASSERT(cJSON_IsFalse(cJSON_GetObjectItem(r.details, "null")));
    CU_ASSERT_STRING_EQUAL(r.extracted, "x");
    score_result_free(&r);
}

static void test_targets(void) {
    CU_ASSERT_DOUBLE_EQUAL(run_all("\"needle\"", "a needle here", 1, NULL), 1.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(run_all("{\"a\":1}", "x", 1, NULL), -1, 0);  /* error status */
    CU_ASSERT_DOUBLE_EQUAL(run_all("[]", "x", 1, NULL), -1, 0);
    CU_ASSERT_DOUBLE_EQUAL(run_all("[\"a\", 5]", "a 5", 1, NULL), -1, 0);
    CU_ASSERT_DOUBLE_EQUAL(run_all(NULL, "x", 0, NULL), -1, 0);
}

static void test_thinking_split(void) {
    eval_sample s = test_sample_make("ruler_all", "[\"1234567\"]", 1);
    cJSON *d = cJSON_CreateObject();
    const char *out = "<think>the number 1234567 is there</think>I don't know";
    const char *ans = scorer_split_thinking(&s, out, d);
    CU_ASSERT_STRING_EQUAL(ans, "I don't know");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(d, "thinking")->valuestring, "<think>the number 1234567 is there");
    score_result r = test_new_result();
    match_score_all(&s, ans, &r);
    CU_ASSERT_DOUBLE_EQUAL(r.score, 0.0, 0);   /* the needle in the thinking does not count */
    score_result_free(&r);
    cJSON_Delete(d);
    /* only the first </think> closes the thinking part */
    d = cJSON_CreateObject();
    ans = scorer_split_thinking(&s, "a</think>b</think>c", d);
    CU_ASSERT_STRING_EQUAL(ans, "b</think>c");
    cJSON_Delete(d);
    /* thinking mode without </think>: no answer, flagged */
    d = cJSON_CreateObject();
    ans = scorer_split_thinking(&s, "still thinking 1234567", d);
    CU_ASSERT_STRING_EQUAL(ans, "");
    CU_ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(d, "thinking_unterminated")));
    cJSON_Delete(d);
    /* chat mode without </think>: the whole output is the answer */
    s.thinking = 0;
    d = cJSON_CreateObject();
    ans = scorer_split_thinking(&s, "1234567", d);
    CU_ASSERT_STRING_EQUAL(ans, "1234567");
    CU_ASSERT_PTR_NULL(cJSON_GetObjectItem(d, "thinking"));
    cJSON_Delete(d);
    test_sample_clear(&s);
}

static const test_case TESTS[] = {
    {"all_fraction", test_all_fraction},
    {"case_insensitive", test_case_insensitive},
    {"part_any", test_part_any},
    {"postprocess_control_and_null", test_postprocess_control_and_null},
    {"targets", test_targets},
    {"thinking_split", test_thinking_split},
    {NULL, NULL},
};
TEST_MAIN("scorers_match", TESTS)
