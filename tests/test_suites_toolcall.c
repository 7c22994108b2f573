/*
 * test_suites_toolcall.c — synthetic tool-use tasks (categories, BFCL ground-truth shape,
 * requests that mention the values, DSML reference that parses back to the intended calls)
 * and the BFCL v4 loader on hand-written fixtures (ids, answers, type conversion, errors).
 */
#include <unistd.h>
#include "tests/test_util.h"
#include "suites/suite.h"

static suite *load_tc(const char *task, const char *data) {
    suite_overrides ov = {0};
    const char *tasks[1] = {task};
    ov.tasks = tasks; ov.n_tasks = 1; ov.data_path = data;
    suite *s = NULL;
    char err[V4_ERRLEN];
    if (suite_load("toolcall", &ov, &s, err, sizeof err)) { printf("  load: %s\n", err); return NULL; }
    return s;
}

static const cJSON *find_fn(const cJSON *functions, const char *name) {
    const cJSON *f;
    cJSON_ArrayForEach(f, functions) if (!strcmp(cJSON_GetObjectItem(f, "name")->valuestring, name)) return f;
    return NULL;
}

/* the shipped tokenizer (digits in pairs): the reference answers must fit the generation
 * budget in the tokens the default model counts */
static v4_tokenizer *g_tok;

static int ref_tokens(const char *ref) {
    char err[V4_ERRLEN];
    if (!g_tok && v4_tokenizer_load("models/tokenizer/tokenizer.json", &g_tok, err, sizeof err)) {
        printf("  tokenizer: %s\n", err);
        return -1;
    }
    int32_t *ids = NULL;
    size_t n = 0;
    if (v4_tokenize(g_tok, ref, strlen(ref), 1, &ids, &n, err, sizeof err)) return -1;
    free(ids);
    return (int)n;
}

static void check_category(const char *task, int min_calls, int max_calls, int same_fn) {
    suite *s = load_tc(task, NULL);
    CU_ASSERT_FATAL(s != NULL);
    suite_ctx ctx = {0};
    for (int i = 0; i < 50; i++) {
        eval_sample x, y;
        char err[V4_ERRLEN];
        int rc = suite_task_sample(s, &s->tasks[0], i, &ctx, &x, err, sizeof err);
        if (rc) printf("\n  %s: %s\n", task, err);
        CU_ASSERT_EQUAL_FATAL(rc, 0);
        CU_ASSERT_EQUAL_FATAL(suite_task_sample(s, &s->tasks[0], i, &ctx, &y, err, sizeof err), 0);
        CU_ASSERT_STRING_EQUAL(x.prompt, y.prompt);
        const cJSON *fns = cJSON_GetObjectItem(x.meta, "functions");
        int n = cJSON_GetArraySize(x.target);
        CU_ASSERT(n >= min_calls && n <= max_calls);
        CU_ASSERT_EQUAL(cJSON_GetArraySize(x.tools), cJSON_GetArraySize(fns));
        const char *user = cJSON_GetObjectItem(cJSON_GetArrayItem(x.messages, 0), "content")->valuestring;
        const char *first = NULL;
        int same = 1;
        const cJSON *call;
        cJSON_ArrayForEach(call, x.target) {
            CU_ASSERT_EQUAL(cJSON_GetArraySize(call), 1);
            const char *name = call->child->string;
            if (!first) first = name; else same &= !strcmp(first, name);
            const cJSON *fn = find_fn(fns, name);
            CU_ASSERT_FATAL(fn != NULL);
            CU_ASSERT(strstr(x.prompt, name) != NULL); /* the TOOLS block names it */
            const cJSON *req = cJSON_GetObjectItem(cJSON_GetObjectItem(fn, "parameters"), "required");
            const cJSON *r;
            cJSON_ArrayForEach(r, req) {
                const cJSON *vals = cJSON_GetObjectItem(call->child, r->valuestring);
                CU_ASSERT_FATAL(cJSON_IsArray(vals) && cJSON_GetArraySize(vals) >= 1);
                const cJSON *v = cJSON_GetArrayItem(vals, 0);
                if (cJSON_IsString(v)) {
                    CU_ASSERT(*v->valuestring != 0);
                    CU_ASSERT(strstr(user, v->valuestring) != NULL);
                }
            }
        }
        if (n > 1) CU_ASSERT_EQUAL(same, same_fn);
        /* converted tool schemas: JSON Schema types only */
        char *tj = cJSON_PrintUnformatted(x.tools);
        CU_ASSERT(strstr(tj, "\"dict\"") == NULL && strstr(tj, "\"float\"") == NULL);
        CU_ASSERT(strstr(tj, "\"object\"") != NULL);
        free(tj);
        if (n == 0) {
            CU_ASSERT_STRING_EQUAL(x.scorer, "toolcall_irrelevance");
        } else {
            CU_ASSERT_STRING_EQUAL(x.scorer, "toolcall_ast");
            /* the DSML reference parses back to the intended calls */
            const char *ref = cJSON_GetObjectItem(x.meta, "reference")->valuestring;
            /* the reference and the end of turn fit the budget */
            int nref = ref_tokens(ref);
            CU_ASSERT(nref > 0);
            if (nref + 1 > x.max_new_tokens)
                printf("\n  %s/%d: reference of %d tokens, max_new_tokens %d\n", task, i, nref,
                       x.max_new_tokens);
            CU_ASSERT(nref + 1 <= x.max_new_tokens);
            char *pj = NULL;
            CU_ASSERT_EQUAL_FATAL(v4_dsml_parse(ref, strlen(ref), 0, &pj, err, sizeof err), 0);
            cJSON *parsed = cJSON_Parse(pj);
            const cJSON *tcs = cJSON_GetObjectItem(parsed, "tool_calls");
            const cJSON *want = cJSON_GetObjectItem(x.meta, "reference_calls");
            CU_ASSERT_EQUAL_FATAL(cJSON_GetArraySize(tcs), cJSON_GetArraySize(want));
            for (int k = 0; k < cJSON_GetArraySize(want); k++) {
                const cJSON *a = cJSON_GetArrayItem(tcs, k), *b = cJSON_GetArrayItem(want, k);
                CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(a, "name")->valuestring,
                                       cJSON_GetObjectItem(b, "name")->valuestring);
                CU_ASSERT(cJSON_Compare(cJSON_GetObjectItem(a, "arguments"),
                                        cJSON_GetObjectItem(b, "arguments"), 1));
            }
            cJSON_Delete(parsed);
            free(pj);
        }
        eval_sample_free(&x); eval_sample_free(&y);
    }
    suite_free(s);
}

static void test_simple(void) { check_category("tool_simple", 1, 1, 1); }
static void test_multiple(void) { check_category("tool_multiple", 1, 1, 1); }
static void test_parallel(void) { check_category("tool_parallel", 2, 3, 1); }
static void test_parallel_multiple(void) { check_category("tool_parallel_multiple", 2, 3, 0); }
static void test_irrelevance(void) { check_category("tool_irrelevance", 0, 0, 1); }

static void test_optional_gt(void) {
    /* an optional parameter the request does not mention is ["", default] */
    suite *s = load_tc("tool_simple", NULL);
    suite_ctx ctx = {0};
    int seen = 0;
    for (int i = 0; i < 50; i++) {
        eval_sample x;
        char err[V4_ERRLEN];
        CU_ASSERT_EQUAL_FATAL(suite_task_sample(s, &s->tasks[0], i, &ctx, &x, err, sizeof err), 0);
        const cJSON *p = cJSON_GetArrayItem(x.target, 0)->child, *v;
        cJSON_ArrayForEach(v, p) {
            const cJSON *f = cJSON_GetArrayItem(v, 0);
            if (cJSON_IsString(f) && !*f->valuestring) seen++;
        }
        eval_sample_free(&x);
    }
    CU_ASSERT(seen > 5);
    suite_free(s);
}

static void test_bfcl_loader(void) {
    suite *s = load_tc("bfcl_simple", "tests/fixtures/suites/bfcl/");
    CU_ASSERT_FATAL(s != NULL);
    const suite_task *t = &s->tasks[0];
    CU_ASSERT_EQUAL(suite_task_count(t), 4);
    suite_ctx ctx = {0};
    eval_sample x;
    char err[V4_ERRLEN];
    CU_ASSERT_EQUAL_FATAL(suite_task_sample(s, t, 0, &ctx, &x, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(x.id, "simple_python_0");
    char *tj = cJSON_PrintUnformatted(x.target);
    CU_ASSERT_STRING_EQUAL(tj, "[{\"calculate_triangle_area\":{\"base\":[10],\"height\":[5],\"unit\":[\"units\",\"\"]}}]");
    free(tj);
    CU_ASSERT(strstr(x.prompt, "calculate_triangle_area") != NULL);
    CU_ASSERT(strstr(x.prompt, "base of 10 units") != NULL);
    const cJSON *params = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(x.tools, 0), "function"), "parameters");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(params, "type")->valuestring, "object");
    const cJSON *fparams = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(x.meta, "functions"), 0), "parameters");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(fparams, "type")->valuestring, "dict"); /* original kept */
    eval_sample_free(&x);
    CU_ASSERT_EQUAL_FATAL(suite_task_sample(s, t, 1, &ctx, &x, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(x.id, "simple_python_1");
    eval_sample_free(&x);
    CU_ASSERT_NOT_EQUAL(suite_task_sample(s, t, 2, &ctx, &x, err, sizeof err), 0);
    CU_ASSERT(strstr(err, "BFCL_v4_simple_python.json:3: field \"question\"") != NULL);
    printf("\n    %s", err);
    CU_ASSERT_NOT_EQUAL(suite_task_sample(s, t, 3, &ctx, &x, err, sizeof err), 0);
    CU_ASSERT(strstr(err, ":4: id \"simple_python_3\" has no ground truth") != NULL);
    printf("\n    %s\n", err);
    suite_free(s);

    /* a Java/JavaScript category file is refused, not scored with the Python rules */
    char jpath[] = "/tmp/v4eval_bfcl_XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(jpath));
    char *jf = NULL;
    CU_ASSERT(asprintf(&jf, "%s/BFCL_v4_simple_java.json", jpath) > 0);
    FILE *f = fopen(jf, "w");
    fputs("{\"id\": \"simple_java_0\", \"question\": [[{\"role\": \"user\", \"content\": \"x\"}]], "
          "\"function\": [{\"name\": \"f\", \"parameters\": {\"type\": \"dict\", \"properties\": "
          "{\"n\": {\"type\": \"integer\"}}, \"required\": [\"n\"]}}]}\n", f);
    fclose(f);
    suite_overrides ov = {0};
    const char *tk[1] = {"bfcl_simple"};
    ov.tasks = tk; ov.n_tasks = 1; ov.data_path = jf;
    suite *sj = NULL;
    CU_ASSERT_NOT_EQUAL(suite_load("toolcall", &ov, &sj, err, sizeof err), 0);
    printf("    %s\n", err);
    CU_ASSERT(strstr(err, "Java/JavaScript categories are not supported") != NULL);
    if (sj) suite_free(sj);
    unlink(jf);
    rmdir(jpath);
    free(jf);

    s = load_tc("bfcl_irrelevance", "tests/fixtures/suites/bfcl/");
    CU_ASSERT_FATAL(s != NULL);
    CU_ASSERT_EQUAL_FATAL(suite_task_sample(s, &s->tasks[0], 0, &ctx, &x, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(x.id, "irrelevance_0");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(x.target), 0);
    CU_ASSERT_STRING_EQUAL(x.scorer, "toolcall_irrelevance");
    eval_sample_free(&x);
    suite_free(s);
}

static const test_case TESTS[] = {
    {"simple", test_simple},
    {"multiple", test_multiple},
    {"parallel", test_parallel},
    {"parallel_multiple", test_parallel_multiple},
    {"irrelevance", test_irrelevance},
    {"optional_gt", test_optional_gt},
    {"bfcl_loader", test_bfcl_loader},
    {NULL, NULL}};
TEST_MAIN("suites_toolcall", TESTS)
