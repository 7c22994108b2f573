/*
 * test_scorers_toolcall.c — the BFCL AST checker rule by rule (name, required, unexpected,
 * types with int-for-float, acceptable values with "" = may be omitted, string
 * standardisation, lists, dicts, order-free parallel matching), irrelevance, the DSML path end
 * to end (calls rendered with v4_dsml_render, decoded by the scorer), and scorer_run dispatch.
 */
#include "tests/test_util.h"
#include "tests/scorers_test_sample.h"
#include "scorers/scorer_internal.h"

static const char *FUNCS =
    "[{\"name\":\"get_weather\",\"description\":\"Weather\",\"parameters\":{\"type\":\"dict\",\"properties\":{"
    "\"city\":{\"type\":\"string\"},\"unit\":{\"type\":\"string\"},\"days\":{\"type\":\"integer\"},"
    "\"lat\":{\"type\":\"float\"},\"detailed\":{\"type\":\"boolean\"},"
    "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},\"opts\":{\"type\":\"dict\"},"
    "\"extra\":{\"type\":\"string\"}},\"required\":[\"city\"]}},"
    "{\"name\":\"math.factorial\",\"parameters\":{\"type\":\"dict\",\"properties\":{\"n\":{\"type\":\"integer\"}},"
    "\"required\":[\"n\"]}}]";

static const char *TRUTH =
    "[{\"get_weather\":{\"city\":[\"San Francisco\",\"SF\"],\"unit\":[\"celsius\",\"\"],\"days\":[3,\"\"],"
    "\"lat\":[37.0,\"\"],\"detailed\":[true,\"\"],\"tags\":[[\"Rain\",\"wind\"],\"\"],"
    "\"opts\":[{\"mode\":[\"Fast Mode\"],\"lang\":[\"en\",\"\"]},\"\"]}}]";

/* check calls (JSON text) against truth; returns the checker result, et gets the error type */
static int check(const char *calls, const char *truth, char *et) {
    cJSON *c = cJSON_Parse(calls), *f = cJSON_Parse(FUNCS), *t = cJSON_Parse(truth);
    CU_ASSERT_PTR_NOT_NULL(c);
    CU_ASSERT_PTR_NOT_NULL(t);
    char msg[512];
    char etb[96];
    int r = toolcall_ast_check(c, f, t, et ? et : etb, 96, msg, sizeof msg);
    if (r != 1) printf("    [%s] %s\n", et ? et : etb, msg);
    cJSON_Delete(c);
    cJSON_Delete(f);
    cJSON_Delete(t);
    return r;
}

#define CALL(args) "[{\"name\":\"get_weather\",\"arguments\":" args "}]"

static void test_pass_and_name(void) {
    char et[96];
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"San Francisco\",\"unit\":\"celsius\",\"days\":3}"), TRUTH, et), 1);
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF\"}"), TRUTH, et), 1);
    CU_ASSERT_EQUAL(check("[{\"name\":\"get_forecast\",\"arguments\":{\"city\":\"SF\"}}]", TRUTH, et), 0);
    CU_ASSERT_STRING_EQUAL(et, "simple_function_checker:wrong_func_name");
    /* "." ↔ "_" in names */
    CU_ASSERT_EQUAL(check("[{\"name\":\"math_factorial\",\"arguments\":{\"n\":5}}]",
                          "[{\"math.factorial\":{\"n\":[5]}}]", et), 1);
    CU_ASSERT_EQUAL(check("[{\"name\":\"math.factorial\",\"arguments\":{\"n\":5}}]",
                          "[{\"math.factorial\":{\"n\":[6]}}]", et), 0);
    CU_ASSERT_STRING_EQUAL(et, "value_error:others");
}

static void test_required_unexpected(void) {
    char et[96];
    CU_ASSERT_EQUAL(check(CALL("{\"unit\":\"celsius\"}"), TRUTH, et), 0);
    CU_ASSERT_STRING_EQUAL(et, "simple_function_checker:missing_required");
    /* not in the schema */
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF\",\"country\":\"US\"}"), TRUTH, et), 0);
    CU_ASSERT_STRING_EQUAL(et, "simple_function_checker:unexpected_param");
    /* in the schema but not in the ground truth */
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF\",\"extra\":\"x\"}"), TRUTH, et), 0);
    CU_ASSERT_STRING_EQUAL(et, "simple_function_checker:unexpected_param");
}

static void test_optional(void) {
    char et[96];
    /* days may not be omitted when "" is not acceptable */
    const char *t = "[{\"get_weather\":{\"city\":[\"SF\"],\"days\":[3]}}]";
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF\"}"), t, et), 0);
    CU_ASSERT_STRING_EQUAL(et, "simple_function_checker:missing_optional");
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF\",\"days\":3}"), t, et), 1);
}

static void test_types(void) {
    char et[96];
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF\",\"days\":\"3\"}"), TRUTH, et), 0);
    CU_ASSERT_STRING_EQUAL(et, "type_error:simple");
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF\",\"days\":3.5}"), TRUTH, et), 0);
    CU_ASSERT_STRING_EQUAL(et, "type_error:simple");
    /* an integer where a float is expected is fine */
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF\",\"lat\":37}"), TRUTH, et), 1);
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF\",\"lat\":37.5}"), TRUTH, et), 0);
    CU_ASSERT_STRING_EQUAL(et, "value_error:others");
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF\",\"detailed\":\"true\"}"), TRUTH, et), 0);
    CU_ASSERT_STRING_EQUAL(et, "type_error:simple");
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF\",\"detailed\":true}"), TRUTH, et), 1);
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF\",\"detailed\":false}"), TRUTH, et), 0);
    CU_ASSERT_EQUAL(check(CALL("{\"city\":5}"), TRUTH, et), 0);
    CU_ASSERT_STRING_EQUAL(et, "type_error:simple");
    /* nested item types: checked when no acceptable value is "" … */
    const char *tt = "[{\"get_weather\":{\"city\":[\"SF\"],\"tags\":[[\"rain\",\"wind\"]]}}]";
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF\",\"tags\":[\"rain\",3]}"), tt, et), 0);
    CU_ASSERT_STRING_EQUAL(et, "type_error:nested");
    /* … and BFCL skips it when "" is acceptable: the value check fails instead */
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF\",\"tags\":[\"rain\",3]}"), TRUTH, et), 0);
    CU_ASSERT_STRING_EQUAL(et, "value_error:list/tuple");
    /* a variable reference: the schema says integer, the ground truth holds a string */
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF\",\"days\":\"n_days\"}"),
                          "[{\"get_weather\":{\"city\":[\"SF\"],\"days\":[\"n_days\"]}}]", et), 1);
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF\",\"days\":\"N_Days\"}"),
                          "[{\"get_weather\":{\"city\":[\"SF\"],\"days\":[\"n_days\"]}}]", et), 0);   /* compared as is */
    CU_ASSERT_STRING_EQUAL(et, "value_error:others");
    /* "number"/"object" JSON-schema spellings and "tuple" */
    CU_ASSERT_EQUAL(check("[{\"name\":\"math.factorial\",\"arguments\":{\"n\":5.0}}]",
                          "[{\"math.factorial\":{\"n\":[5]}}]", et), 1);   /* integral: accepted (no lexeme) */
}

static void test_string_standardisation(void) {
    char et[96];
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"san francisco\"}"), TRUTH, et), 1);
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"San-Francisco.\"}"), TRUTH, et), 1);
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"s_f\"}"), TRUTH, et), 1);
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"Los Angeles\"}"), TRUTH, et), 0);
    CU_ASSERT_STRING_EQUAL(et, "value_error:string");
    /* ' and " are the same after standardisation */
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"it's\"}"), "[{\"get_weather\":{\"city\":[\"It\\\"s\"]}}]", et), 1);
    /* other punctuation is kept */
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF!\"}"), TRUTH, et), 0);
    char *s = toolcall_standardize_string("A b,c.d/e-f_g*h^i'J");
    CU_ASSERT_STRING_EQUAL(s, "abcdefghi\"j");
    free(s);
    /* Python lower-cases every script (BFCL: re.sub(...).lower()): values checked against
     * Python 3's "…".lower() */
    static const char *const pairs[][2] = {
        {"BJÖRK", "björk"}, {"ZÜRICH, Schweiz", "zürichschweiz"}, {"ŁÓDŹ", "łódź"},
        {"ΑΘΉΝΑ", "αθήνα"}, {"МОСКВА", "москва"}, {"ЁЖ", "ёж"}, {"ĐÀ NẴNG", "đànẵng"},
        {"İstanbul", "i\xcc\x87stanbul"}, {"ＴＯＫＹＯ", "ｔｏｋｙｏ"}, {"東京", "東京"},
        {"ŸŽ", "ÿž"}, {"ẞ", "ß"}, {"ΟΔΥΣΣΕΥΣ", "οδυσσευς"}, {"ΟΔΥΣΣΕΥΣ ΚΑΙ", "οδυσσευσκαι"},
        {"ΟΔΥΣΣΕΥΣ!", "οδυσσευς!"}, {"Σ", "σ"}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        s = toolcall_standardize_string(pairs[i][0]);
        if (strcmp(s, pairs[i][1])) printf("\n    %s -> %s, want %s", pairs[i][0], s, pairs[i][1]);
        CU_ASSERT_STRING_EQUAL(s, pairs[i][1]);
        free(s);
    }
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"ZÜRICH\"}"), "[{\"get_weather\":{\"city\":[\"Zürich\"]}}]", et), 1);
}

static void test_lists_dicts(void) {
    char et[96];
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF\",\"tags\":[\"rain\",\"Wind\"]}"), TRUTH, et), 1);
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF\",\"tags\":[\"wind\",\"rain\"]}"), TRUTH, et), 0);   /* order matters */
    CU_ASSERT_STRING_EQUAL(et, "value_error:list/tuple");
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF\",\"tags\":[\"rain\"]}"), TRUTH, et), 0);
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF\",\"opts\":{\"mode\":\"fast-mode\"}}"), TRUTH, et), 1);
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF\",\"opts\":{\"mode\":\"fast\",\"lang\":\"en\"}}"), TRUTH, et), 0);
    CU_ASSERT_STRING_EQUAL(et, "value_error:dict_value");
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF\",\"opts\":{\"mode\":\"Fast Mode\",\"x\":1}}"), TRUTH, et), 0);
    CU_ASSERT_STRING_EQUAL(et, "value_error:dict_key");
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF\",\"opts\":{\"lang\":\"en\"}}"), TRUTH, et), 0);   /* mode missing */
    CU_ASSERT_STRING_EQUAL(et, "value_error:dict_key");
}

static void test_list_of_dicts(void) {
    static const char *F =
        "[{\"name\":\"book\",\"parameters\":{\"type\":\"dict\",\"properties\":{\"legs\":{\"type\":\"array\","
        "\"items\":{\"type\":\"dict\"}}},\"required\":[\"legs\"]}}]";
    const char *truth = "[{\"book\":{\"legs\":[[{\"from\":[\"Paris\"],\"to\":[\"Rome\"]},{\"from\":[\"Rome\"],\"to\":[\"Oslo\"]}]]}}]";
    cJSON *f = cJSON_Parse(F), *t = cJSON_Parse(truth);
    char et[96], msg[256];
    cJSON *c = cJSON_Parse("[{\"name\":\"book\",\"arguments\":{\"legs\":[{\"from\":\"paris\",\"to\":\"ROME\"},"
                           "{\"from\":\"Rome\",\"to\":\"Oslo\"}]}}]");
    CU_ASSERT_EQUAL(toolcall_ast_check(c, f, t, et, sizeof et, msg, sizeof msg), 1);
    cJSON_Delete(c);
    c = cJSON_Parse("[{\"name\":\"book\",\"arguments\":{\"legs\":[{\"from\":\"Rome\",\"to\":\"Oslo\"},"
                    "{\"from\":\"Paris\",\"to\":\"Rome\"}]}}]");   /* order of the list matters */
    CU_ASSERT_EQUAL(toolcall_ast_check(c, f, t, et, sizeof et, msg, sizeof msg), 0);
    CU_ASSERT_STRING_EQUAL(et, "value_error:dict_value");
    cJSON_Delete(c);
    c = cJSON_Parse("[{\"name\":\"book\",\"arguments\":{\"legs\":[{\"from\":\"Paris\",\"to\":\"Rome\"}]}}]");
    CU_ASSERT_EQUAL(toolcall_ast_check(c, f, t, et, sizeof et, msg, sizeof msg), 0);
    CU_ASSERT_STRING_EQUAL(et, "value_error:list_dict_count");
    cJSON_Delete(c);
    cJSON_Delete(f);
    cJSON_Delete(t);
}

static void test_parallel(void) {
    char et[96];
    const char *t = "[{\"get_weather\":{\"city\":[\"SF\"]}},{\"get_weather\":{\"city\":[\"NYC\"]}},"
                    "{\"math.factorial\":{\"n\":[4]}}]";
    const char *outs = "[{\"name\":\"math.factorial\",\"arguments\":{\"n\":4}},"
                       "{\"name\":\"get_weather\",\"arguments\":{\"city\":\"nyc\"}},"
                       "{\"name\":\"get_weather\",\"arguments\":{\"city\":\"SF\"}}]";
    CU_ASSERT_EQUAL(check(outs, t, et), 1);
    /* same call twice cannot cover two expected calls */
    CU_ASSERT_EQUAL(check("[{\"name\":\"math.factorial\",\"arguments\":{\"n\":4}},"
                          "{\"name\":\"get_weather\",\"arguments\":{\"city\":\"SF\"}},"
                          "{\"name\":\"get_weather\",\"arguments\":{\"city\":\"SF\"}}]", t, et), 0);
    CU_ASSERT_STRING_EQUAL(et, "parallel_function_checker_no_order:cannot_find_match");
    CU_ASSERT_EQUAL(check("[{\"name\":\"math.factorial\",\"arguments\":{\"n\":4}}]", t, et), 0);
    CU_ASSERT_STRING_EQUAL(et, "parallel_function_checker_no_order:wrong_count");
    CU_ASSERT_EQUAL(check("[]", TRUTH, et), 0);
    CU_ASSERT_STRING_EQUAL(et, "simple_function_checker:wrong_count");
    /* a perfect matching exists although greedy (first expected → first fitting call) fails */
    const char *t2 = "[{\"get_weather\":{\"city\":[\"SF\",\"NYC\"]}},{\"get_weather\":{\"city\":[\"SF\"]}}]";
    CU_ASSERT_EQUAL(check("[{\"name\":\"get_weather\",\"arguments\":{\"city\":\"SF\"}},"
                          "{\"name\":\"get_weather\",\"arguments\":{\"city\":\"NYC\"}}]", t2, et), 1);
    /* no calls expected, none made */
    CU_ASSERT_EQUAL(check("[]", "[]", et), 1);
}

static void test_malformed_truth(void) {
    char et[96];
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF\"}"), "{\"get_weather\":{}}", et), -1);
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF\"}"), "[{\"unknown_fn\":{}}]", et), -1);
    CU_ASSERT_EQUAL(check(CALL("{\"city\":\"SF\"}"), "[{\"get_weather\":{\"city\":\"SF\"}}]", et), -1);
}

/* render calls as DSML (the engine's encoder) → completion text */
static char *dsml_of(const char *calls_json, const char *prefix) {
    char *block = NULL, err[256];
    if (v4_dsml_render(calls_json, &block, err, sizeof err) != 0) {
        printf("    render failed: %s\n", err);
        return NULL;
    }
    char *out = malloc(strlen(prefix) + strlen(block) + 1);
    strcpy(out, prefix);
    strcat(out, block);
    free(block);
    return out;
}

static score_result run_scorer(const char *scorer, const char *target, const char *tools, int thinking,
                               const char *output) {
    eval_sample s = test_sample_make(scorer, target, thinking);
    if (tools) s.tools = cJSON_Parse(tools);
    score_result r;
    char err[256] = "";
    int rc = scorer_run(&s, output, &r, err, sizeof err);
    CU_ASSERT_EQUAL(rc, 0);
    test_sample_clear(&s);
    return r;
}

static void test_dsml_end_to_end(void) {
    char target[2048];
    snprintf(target, sizeof target, "{\"ground_truth\":%s,\"functions\":%s}", TRUTH, FUNCS);
    const char *calls = "[{\"name\":\"get_weather\",\"arguments\":{\"city\":\"San Francisco\",\"days\":3,"
                        "\"tags\":[\"rain\",\"wind\"]}}]";
    char *out = dsml_of(calls, "Let me check.");
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    score_result r = run_scorer("toolcall_ast", target, NULL, 0, out);   /* no EOS: appended */
    CU_ASSERT_EQUAL(r.status, SCORE_OK);
    CU_ASSERT_EQUAL(r.passed, 1);
    CU_ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(r.details, "eos_appended")));
    score_result_free(&r);
    /* with EOS, thinking mode, tools from the sample (OpenAI wrapper) */
    char *out2 = malloc(strlen(out) + 200);
    sprintf(out2, "I should call the tool.</think>%s<｜end▁of▁sentence｜>", out);
    char tools[2048];
    snprintf(tools, sizeof tools, "[{\"type\":\"function\",\"function\":%s}]", "{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},\"days\":{\"type\":\"integer\"},\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}},\"required\":[\"city\"]}}");
    r = run_scorer("toolcall_ast", "[{\"get_weather\":{\"city\":[\"SF\",\"San Francisco\"],\"days\":[3],\"tags\":[[\"rain\",\"wind\"]]}}]",
                   tools, 1, out2);
    CU_ASSERT_EQUAL(r.passed, 1);
    CU_ASSERT(cJSON_GetObjectItem(r.details, "eos_appended") == NULL);
    score_result_free(&r);
    /* wrong value → 0 with a BFCL error type */
    r = run_scorer("toolcall_ast", "[{\"get_weather\":{\"city\":[\"NYC\"],\"days\":[3],\"tags\":[[\"rain\",\"wind\"]]}}]",
                   tools, 1, out2);
    CU_ASSERT_EQUAL(r.status, SCORE_OK);
    CU_ASSERT_EQUAL(r.passed, 0);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(r.details, "error_type")->valuestring, "value_error:string");
    score_result_free(&r);
    /* undecodable completion → decoder_failed, score 0 */
    r = run_scorer("toolcall_ast", target, NULL, 0, "\n\n<｜DSML｜tool_calls>\ngarbage");
    CU_ASSERT_EQUAL(r.status, SCORE_OK);
    CU_ASSERT_EQUAL(r.passed, 0);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(r.details, "error_type")->valuestring, "ast_decoder:decoder_failed");
    CU_ASSERT_PTR_NOT_NULL(cJSON_GetObjectItem(r.details, "decode_error"));
    score_result_free(&r);
    /* no function docs anywhere → error */
    r = run_scorer("toolcall_ast", TRUTH, NULL, 0, out);
    CU_ASSERT_EQUAL(r.status, SCORE_ERROR);
    score_result_free(&r);
    free(out);
    free(out2);
}

static void test_irrelevance(void) {
    score_result r = run_scorer("toolcall_irrelevance", NULL, NULL, 0, "I cannot help with that; no tool fits.");
    CU_ASSERT_EQUAL(r.passed, 1);
    CU_ASSERT_DOUBLE_EQUAL(r.score, 1.0, 0);
    score_result_free(&r);
    char *out = dsml_of("[{\"name\":\"get_weather\",\"arguments\":{\"city\":\"SF\"}}]", "");
    r = run_scorer("toolcall_irrelevance", NULL, NULL, 0, out);
    CU_ASSERT_EQUAL(r.passed, 0);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(r.details, "error_type")->valuestring, "irrelevance_error:decoder_success");
    score_result_free(&r);
    free(out);
    /* undecodable output counts as no call (BFCL) */
    r = run_scorer("toolcall_irrelevance", NULL, NULL, 0, "\n\n<｜DSML｜tool_calls>\nbroken");
    CU_ASSERT_EQUAL(r.passed, 1);
    score_result_free(&r);
}

static void test_dispatch(void) {
    const char *names[] = {"ruler_all", "ruler_part", "gsm8k", "math_boxed", "math_number", "humaneval",
                           "mbpp", "code_synth", "toolcall_ast", "toolcall_irrelevance", NULL};
    for (int i = 0; names[i]; i++) CU_ASSERT(scorer_exists(names[i]));
    CU_ASSERT(!scorer_exists("bleu"));
    CU_ASSERT(!scorer_exists(NULL));
    eval_sample s = test_sample_make("bleu", "[]", 0);
    score_result r;
    char err[256] = "";
    CU_ASSERT_NOT_EQUAL(scorer_run(&s, "x", &r, err, sizeof err), 0);
    CU_ASSERT(strstr(err, "unknown scorer \"bleu\"") != NULL);
    test_sample_clear(&s);
    /* through scorer_run: thinking is split off and kept, details.scorer set */
    s = test_sample_make("math_boxed", "\"4\"", 1);
    CU_ASSERT_EQUAL(scorer_run(&s, "maybe \\boxed{5}? no</think>The answer is \\boxed{4}.", &r, err, sizeof err), 0);
    CU_ASSERT_EQUAL(r.passed, 1);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(r.details, "scorer")->valuestring, "math_boxed");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(r.details, "thinking")->valuestring, "maybe \\boxed{5}? no");
    score_result_free(&r);
    /* unterminated thinking: no answer */
    CU_ASSERT_EQUAL(scorer_run(&s, "still \\boxed{4} thinking", &r, err, sizeof err), 0);
    CU_ASSERT_EQUAL(r.passed, 0);
    score_result_free(&r);
    test_sample_clear(&s);
    /* an error status comes with a message in err */
    s = test_sample_make("ruler_all", "{}", 0);
    CU_ASSERT_EQUAL(scorer_run(&s, "x", &r, err, sizeof err), 0);
    CU_ASSERT_EQUAL(r.status, SCORE_ERROR);
    CU_ASSERT(strstr(err, "ruler_all: target") != NULL);
    CU_ASSERT_STRING_EQUAL(score_status_name(r.status), "error");
    score_result_free(&r);
    score_result_free(&r);   /* double free is safe */
    test_sample_clear(&s);
}

static const test_case TESTS[] = {
    {"pass_and_name", test_pass_and_name},
    {"required_unexpected", test_required_unexpected},
    {"optional", test_optional},
    {"types", test_types},
    {"string_standardisation", test_string_standardisation},
    {"lists_dicts", test_lists_dicts},
    {"list_of_dicts", test_list_of_dicts},
    {"parallel", test_parallel},
    {"malformed_truth", test_malformed_truth},
    {"dsml_end_to_end", test_dsml_end_to_end},
    {"irrelevance", test_irrelevance},
    {"dispatch", test_dispatch},
    {NULL, NULL},
};
TEST_MAIN("scorers_toolcall", TESTS)
