/*
 * test_scorers_match.c — RULER string_match_all / string_match_part on hand-made cases taken
 * from RULER's rules (scripts/eval/synthetic/constants.py, evaluate.py postprocess_pred), plus
 * the thinking split every text scorer goes through.
 */
#include <unistd.h>
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


/* Differential check against Python: RULER's postprocess_pred and string_match_all/part written
 * in Python on pseudo-random predictions with control characters, case changes and spaces. */
static const char *PY_RULER =
    "import json, re, sys\n"
    "d = json.load(open(sys.argv[1], encoding='utf-8'))\n"
    "np_ = re.compile(r'[\\x00-\\x1f]')\n"
    "out = []\n"
    "for pred, refs in d:\n"
    "    p = np_.sub('\\n', pred.strip()).strip()\n"
    "    hits = [1.0 if r.lower() in p.lower() else 0.0 for r in refs]\n"
    "    out.append([p, sum(hits) / len(refs), max(hits)])\n"
    "json.dump(out, sys.stdout)\n";

static uint64_t lcg(uint64_t *st) {
    *st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
    return *st >> 33;
}

static void test_python_reference(void) {
    if (access("/usr/bin/python3", X_OK) != 0) { test_skip("/usr/bin/python3 not found"); return; }
    static const char *const TOK[] = {"ab", "AB", "Ab", "12", "3", " ", "\t", "\n", "\x01", "\x1c", "\x1f",
                                      "\r", "\x0b", "x", "-", "uuid", "UUID"};
    const int ntok = (int)(sizeof TOK / sizeof *TOK);
    enum { N = 300 };
    cJSON *in = cJSON_CreateArray();
    uint64_t st = 99;
    for (int i = 0; i < N; i++) {
        char pred[128] = "";
        int n = (int)(lcg(&st) % 12);
        for (int k = 0; k < n; k++) strcat(pred, TOK[lcg(&st) % (uint64_t)ntok]);
        cJSON *row = cJSON_CreateArray(), *refs = cJSON_CreateArray();
        int nr = 1 + (int)(lcg(&st) % 3);
        for (int k = 0; k < nr; k++) {
            char ref[32] = "";
            int m = 1 + (int)(lcg(&st) % 2);
            for (int j = 0; j < m; j++) strcat(ref, TOK[lcg(&st) % 3 + (lcg(&st) % 2 ? 3 : 0)]);
            if (lcg(&st) % 5 == 0) strcat(ref, "\n");
            cJSON_AddItemToArray(refs, cJSON_CreateString(ref));
        }
        cJSON_AddItemToArray(row, cJSON_CreateString(pred));
        cJSON_AddItemToArray(row, refs);
        cJSON_AddItemToArray(in, row);
    }
    char dpath[64], spath[64], cmd[200];
    snprintf(dpath, sizeof dpath, "/tmp/v4eval-test-ruler-%d.json", (int)getpid());
    snprintf(spath, sizeof spath, "/tmp/v4eval-test-ruler-%d.py", (int)getpid());
    char *text = cJSON_PrintUnformatted(in);
    FILE *f = fopen(dpath, "w"); fputs(text, f); fclose(f);
    free(text);
    f = fopen(spath, "w"); fputs(PY_RULER, f); fclose(f);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 -I %s %s", spath, dpath);
    FILE *p = popen(cmd, "r");
    size_t cap = 1 << 20, n = 0, k;
    char *out = malloc(cap);
    while (p && (k = fread(out + n, 1, cap - 1 - n, p)) > 0) n += k;
    out[n] = 0;
    int rc = p ? pclose(p) : -1;
    unlink(dpath);
    unlink(spath);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    cJSON *ref = cJSON_Parse(out);
    free(out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
    int bad = 0;
    for (int i = 0; i < N; i++) {
        cJSON *row = cJSON_GetArrayItem(in, i), *want = cJSON_GetArrayItem(ref, i);
        const char *pred = cJSON_GetArrayItem(row, 0)->valuestring;
        char *refs = cJSON_PrintUnformatted(cJSON_GetArrayItem(row, 1));
        score_result ra, rp;
        double sa = run_all(refs, pred, 1, &ra), sp = run_all(refs, pred, 0, &rp);
        if (strcmp(ra.extracted, cJSON_GetArrayItem(want, 0)->valuestring) ||
            fabs(sa - cJSON_GetArrayItem(want, 1)->valuedouble) > 1e-12 ||
            fabs(sp - cJSON_GetArrayItem(want, 2)->valuedouble) > 1e-12) {
            if (bad++ < 5) printf("    case %d: C all=%g part=%g, Python all=%g part=%g\n", i, sa, sp,
                                  cJSON_GetArrayItem(want, 1)->valuedouble, cJSON_GetArrayItem(want, 2)->valuedouble);
        }
        score_result_free(&ra);
        score_result_free(&rp);
        free(refs);
    }
    printf("    %d cases compared with Python, %d differ\n", N, bad);
    CU_ASSERT_EQUAL(bad, 0);
    cJSON_Delete(ref);
    cJSON_Delete(in);
}

static const test_case TESTS[] = {
    {"all_fraction", test_all_fraction},
    {"case_insensitive", test_case_insensitive},
    {"part_any", test_part_any},
    {"postprocess_control_and_null", test_postprocess_control_and_null},
    {"targets", test_targets},
    {"thinking_split", test_thinking_split},
    {"python_reference", test_python_reference},
    {NULL, NULL},
};
TEST_MAIN("scorers_match", TESTS)
