/*
 * test_suites_code.c — the code suite: every synthetic family's hidden tests pass with its
 * canonical Python solution (run by /usr/bin/python3) and fail with a stub body; generation is
 * deterministic; every family's prompt varies across seeds; the HumanEval (.jsonl.gz) and MBPP
 * loaders read fixtures with their own ids, targets and benchmark stop strings, and report bad
 * lines as file:line.
 */
#include <unistd.h>
#include "tests/test_util.h"
#include "suites/suite.h"

static suite *load_code(const char *task, const char *data, const char *template_name) {
    suite_overrides ov = {0};
    const char *tasks[1] = {task};
    ov.tasks = tasks; ov.n_tasks = 1; ov.data_path = data;
    suite *s = NULL;
    char err[V4_ERRLEN];
    if (suite_load("code", &ov, &s, err, sizeof err)) { printf("  load: %s\n", err); return NULL; }
    if (template_name) {
        free(s->tasks[0].template_name);
        s->tasks[0].template_name = strdup(template_name);
    }
    return s;
}

/* run_python: runs each program in its own namespace; returns the number that raised, or -1
 * when python3 cannot run. */
static int run_python(cJSON *programs) {
    char path[] = "/tmp/v4eval_code_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    FILE *f = fdopen(fd, "w");
    char *pj = cJSON_PrintUnformatted(programs);
    fprintf(f, "import json, sys\nprogs = json.loads(sys.stdin.read())\nbad = 0\n"
               "for p in progs:\n    try:\n        exec(p, {})\n    except Exception:\n"
               "        bad += 1\nprint(bad)\n");
    fclose(f);
    char cmd[256];
    char jpath[] = "/tmp/v4eval_codej_XXXXXX";
    int jfd = mkstemp(jpath);
    FILE *jf = fdopen(jfd, "w");
    fputs(pj, jf);
    fclose(jf);
    free(pj);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s < %s", path, jpath);
    FILE *p = popen(cmd, "r");
    int bad = -1;
    if (p) {
        if (fscanf(p, "%d", &bad) != 1) bad = -1;
        pclose(p);
    }
    unlink(path);
    unlink(jpath);
    return bad;
}

static void test_synth_canonical(void) {
    if (access("/usr/bin/python3", X_OK) != 0) {
        test_skip("/usr/bin/python3 not available: canonical solutions not executed");
        return;
    }
    suite *s = load_code("code_synth", NULL, NULL);
    CU_ASSERT_FATAL(s != NULL);
    suite_ctx ctx = {0};
    cJSON *good = cJSON_CreateArray(), *stub = cJSON_CreateArray();
    int fams[64] = {0}, n = suite_task_count(&s->tasks[0]);
    CU_ASSERT_EQUAL(n, 100);
    for (int i = 0; i < n; i++) {
        eval_sample x, y;
        char err[V4_ERRLEN];
        CU_ASSERT_EQUAL_FATAL(suite_task_sample(s, &s->tasks[0], i, &ctx, &x, err, sizeof err), 0);
        CU_ASSERT_EQUAL_FATAL(suite_task_sample(s, &s->tasks[0], i, &ctx, &y, err, sizeof err), 0);
        CU_ASSERT_STRING_EQUAL(x.prompt, y.prompt);
        const char *prompt = cJSON_GetObjectItem(x.target, "prompt")->valuestring;
        const char *test = cJSON_GetObjectItem(x.target, "test")->valuestring;
        const char *entry = cJSON_GetObjectItem(x.target, "entry_point")->valuestring;
        const char *canon = cJSON_GetObjectItem(x.meta, "canonical_solution")->valuestring;
        CU_ASSERT(strstr(x.prompt, prompt) != NULL);
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(x.target, "style")->valuestring, "instruct");
        fams[cJSON_GetObjectItem(x.meta, "family")->valueint & 63]++;
        char *prog = NULL, *bad = NULL;
        CU_ASSERT(asprintf(&prog, "%s%s%s\ncheck(%s)\n", prompt, canon, test, entry) > 0);
        CU_ASSERT(asprintf(&bad, "%s    return None\n%s\ncheck(%s)\n", prompt, test, entry) > 0);
        cJSON_AddItemToArray(good, cJSON_CreateString(prog));
        cJSON_AddItemToArray(stub, cJSON_CreateString(bad));
        free(prog); free(bad);
        eval_sample_free(&x); eval_sample_free(&y);
    }
    int distinct = 0;
    for (int i = 0; i < 64; i++) distinct += fams[i] > 0;
    CU_ASSERT(distinct >= 12); /* varied operations */
    int g = run_python(good), b = run_python(stub);
    printf("\n    canonical: %d of %d failed; stub bodies: %d of %d failed\n", g, n, b, n);
    CU_ASSERT_EQUAL(g, 0);
    CU_ASSERT_EQUAL(b, n);
    cJSON_Delete(good); cJSON_Delete(stub);
    suite_free(s);
}

/* Every family's prompt depends on the sample RNG (parameter names, constants, the docstring
 * example): over its first 16 eval samples each of the 18 families shows at least 12 distinct
 * prompts, so the train seed space is not cut off by the eval prompts (gen-train drops equal
 * ones). */
static void test_synth_prompts_vary(void) {
    enum { FAMS = 18, PER = 16 };
    suite *s = load_code("code_synth", NULL, NULL);
    CU_ASSERT_FATAL(s != NULL);
    s->tasks[0].n_samples = 4000;
    suite_ctx ctx = {0};
    char *p[FAMS][PER];
    int got[FAMS] = {0}, full = 0;
    for (int i = 0; i < 4000 && full < FAMS; i++) {
        eval_sample x;
        char err[V4_ERRLEN];
        CU_ASSERT_EQUAL_FATAL(suite_task_sample(s, &s->tasks[0], i, &ctx, &x, err, sizeof err), 0);
        int f = cJSON_GetObjectItem(x.meta, "family")->valueint;
        CU_ASSERT_FATAL(f >= 0 && f < FAMS);
        if (got[f] < PER) {
            p[f][got[f]++] = strdup(cJSON_GetObjectItem(x.target, "prompt")->valuestring);
            full += got[f] == PER;
        }
        eval_sample_free(&x);
    }
    CU_ASSERT_EQUAL(full, FAMS);
    int least = PER;
    for (int f = 0; f < FAMS; f++) {
        int distinct = 0;
        for (int i = 0; i < got[f]; i++) {
            int seen = 0;
            for (int j = 0; j < i && !seen; j++) seen = !strcmp(p[f][i], p[f][j]);
            distinct += !seen;
        }
        if (distinct < 12) printf("\n    family %d: %d distinct prompts of %d", f, distinct, got[f]);
        CU_ASSERT(distinct >= 12);
        if (distinct < least) least = distinct;
        for (int i = 0; i < got[f]; i++) free(p[f][i]);
    }
    printf("\n    fewest distinct prompts in %d samples of one family: %d\n", PER, least);
    suite_free(s);
}

static void test_humaneval_loader(void) {
    suite *s = load_code("humaneval", "tests/fixtures/suites/humaneval_small.jsonl.gz", "raw");
    CU_ASSERT_FATAL(s != NULL);
    const suite_task *t = &s->tasks[0];
    CU_ASSERT_EQUAL(suite_task_count(t), 3);
    suite_ctx ctx = {0};
    eval_sample x;
    char err[V4_ERRLEN];
    CU_ASSERT_EQUAL_FATAL(suite_task_sample(s, t, 0, &ctx, &x, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(x.id, "HumanEval/0");
    CU_ASSERT(strncmp(x.prompt, "def add(a: int, b: int) -> int:", 31) == 0);
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(x.target, "entry_point")->valuestring, "add");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(x.target, "style")->valuestring, "completion");
    CU_ASSERT_EQUAL(x.n_stops, 5);
    CU_ASSERT_STRING_EQUAL(x.stops[0], "\nclass");
    CU_ASSERT_STRING_EQUAL(x.scorer, "humaneval");
    eval_sample_free(&x);
    CU_ASSERT_NOT_EQUAL(suite_task_sample(s, t, 2, &ctx, &x, err, sizeof err), 0);
    CU_ASSERT(strstr(err, "humaneval_small.jsonl.gz:3: malformed JSON") != NULL);
    printf("\n    %s\n", err);
    suite_free(s);
    /* chat: instruct prompt, no completion stops */
    s = load_code("humaneval", "tests/fixtures/suites/humaneval_small.jsonl.gz", NULL);
    CU_ASSERT_EQUAL_FATAL(suite_task_sample(s, &s->tasks[0], 1, &ctx, &x, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(x.id, "HumanEval/1");
    CU_ASSERT(strstr(x.prompt, "```python\ndef is_even") != NULL);
    CU_ASSERT_EQUAL(x.n_stops, 0);
    eval_sample_free(&x);
    suite_free(s);
}

static void test_mbpp_loader(void) {
    suite *s = load_code("mbpp", "tests/fixtures/suites/mbpp_small.jsonl", "raw");
    CU_ASSERT_FATAL(s != NULL);
    const suite_task *t = &s->tasks[0];
    suite_ctx ctx = {0};
    eval_sample x;
    char err[V4_ERRLEN];
    CU_ASSERT_EQUAL_FATAL(suite_task_sample(s, t, 1, &ctx, &x, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(x.id, "902");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(x.target, "entry_point")->valuestring, "count_vowels");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(x.target, "test_setup_code")->valuestring, "import math");
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(x.target, "test_list")), 3);
    CU_ASSERT(strstr(x.prompt, "You are an expert Python programmer, and here is your task: Write a "
                               "python function to count vowels") != NULL);
    CU_ASSERT(strstr(x.prompt, "assert count_vowels('hello') == 2\n") != NULL);
    CU_ASSERT(strcmp(x.prompt + strlen(x.prompt) - 8, "[BEGIN]\n") == 0);
    CU_ASSERT_EQUAL(x.n_stops, 1);
    CU_ASSERT_STRING_EQUAL(x.stops[0], "[DONE]");
    eval_sample_free(&x);
    CU_ASSERT_NOT_EQUAL(suite_task_sample(s, t, 2, &ctx, &x, err, sizeof err), 0);
    CU_ASSERT(strstr(err, "mbpp_small.jsonl:3: field \"test_list\"") != NULL);
    printf("\n    %s\n", err);
    suite_free(s);
}

/* sanitized-mbpp.json: one JSON array (here split over two lines, strings holding , ] }),
 * "prompt" instead of "text", "test_imports" instead of "test_setup_code"; the canonical code
 * passes its asserts when run as the scorer assembles it */
static void test_mbpp_sanitized(void) {
    suite *s = load_code("mbpp", "tests/fixtures/suites/mbpp_sanitized_small.json", "raw");
    CU_ASSERT_FATAL(s != NULL);
    const suite_task *t = &s->tasks[0];
    CU_ASSERT_EQUAL(suite_task_count(t), 3);
    suite_ctx ctx = {0};
    eval_sample x;
    char err[V4_ERRLEN];
    cJSON *progs = cJSON_CreateArray();
    for (int i = 0; i < 2; i++) {
        CU_ASSERT_EQUAL_FATAL(suite_task_sample(s, t, i, &ctx, &x, err, sizeof err), 0);
        CU_ASSERT_STRING_EQUAL(x.id, i ? "5" : "2");
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(x.target, "entry_point")->valuestring,
                               i ? "hyp" : "shared_items");
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(x.target, "test_setup_code")->valuestring,
                               i ? "import math\n" : "");
        CU_ASSERT(strstr(x.prompt, i ? "here is your task: Write a function to compute the hypotenuse, "
                                       "comma, bracket ] and brace } in text."
                                     : "shared elements of two tuples, e.g. ('\xc3\xa9', '\xc3\x9f')") != NULL);
        char *prog = NULL;
        const cJSON *tl = cJSON_GetObjectItem(x.target, "test_list"), *a;
        CU_ASSERT(asprintf(&prog, "%s\n%s\n", cJSON_GetObjectItem(x.target, "test_setup_code")->valuestring,
                           cJSON_GetObjectItem(x.meta, "canonical_solution")->valuestring) > 0);
        cJSON_ArrayForEach(a, tl) {
            char *q = NULL;
            CU_ASSERT(asprintf(&q, "%s%s\n", prog, a->valuestring) > 0);
            free(prog);
            prog = q;
        }
        cJSON_AddItemToArray(progs, cJSON_CreateString(prog));
        free(prog);
        eval_sample_free(&x);
    }
    if (access("/usr/bin/python3", X_OK) == 0) CU_ASSERT_EQUAL(run_python(progs), 0);
    cJSON_Delete(progs);
    CU_ASSERT_NOT_EQUAL(suite_task_sample(s, t, 2, &ctx, &x, err, sizeof err), 0);
    printf("\n    %s\n", err);
    CU_ASSERT(strstr(err, "mbpp_sanitized_small.json:2: field \"test_list\"") != NULL);
    suite_free(s);
    /* an array that never closes is one file:line error */
    char path[] = "/tmp/v4eval_arr_XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    const char *torn = "[{\"task_id\": 1, \"prompt\": \"]\"},\n {\"task_id\": 2";
    if (write(fd, torn, strlen(torn)) != (ssize_t)strlen(torn)) CU_FAIL("write");
    close(fd);
    suite_overrides ov = {0};
    const char *tasks[1] = {"mbpp"};
    ov.tasks = tasks; ov.n_tasks = 1; ov.data_path = path;
    s = NULL;
    CU_ASSERT_NOT_EQUAL(suite_load("code", &ov, &s, err, sizeof err), 0);
    printf("    %s\n", err);
    CU_ASSERT(strstr(err, "JSON array not closed") != NULL);
    if (s) suite_free(s);
    unlink(path);
}

static const test_case TESTS[] = {
    {"synth_canonical", test_synth_canonical},
    {"synth_prompts_vary", test_synth_prompts_vary},
    {"humaneval_loader", test_humaneval_loader},
    {"mbpp_loader", test_mbpp_loader},
    {"mbpp_sanitized", test_mbpp_sanitized},
    {NULL, NULL}};
TEST_MAIN("suites_code", TESTS)
