/*
 * test_train_gen.c — `v4eval gen-train` (harness/cli_gen.c): training data from the suite
 * generators in the train seed space.
 *
 * Checks (issue 5 item 3): no prompt of N eval samples appears among the dumped train samples
 * of the same tasks (prompt hashes compared, per suite); train and eval seeds differ in the top
 * bit; every completion ends with the EOS string and is what the task's scorer expects (math:
 * "#### <answer>", RULER: every answer after the answer prefix, toolcall: a DSML block the
 * parser reads back to the reference calls); bad input exits 2.
 */
#include <cjson/cJSON.h>
#include "harness/cli.h"
#include "harness/gen_train.h"
#include "suites/suite.h"
#include "tests/test_util.h"

#define TOK "models/tokenizer/tokenizer.json"
#define TMP "build/tests/train_gen_tmp.jsonl"

/* loads TMP: returns the number of lines parsed into out (array of cJSON objects). */
static int load_jsonl(cJSON ***out) {
    size_t len = 0;
    char *buf = read_file_all(TMP, &len);
    *out = NULL;
    if (!buf) return -1;
    int n = 0, cap = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *o = cJSON_Parse(line);
        if (!o) { n = -1; break; }
        if (n == cap) { cap = cap ? cap * 2 : 64; *out = realloc(*out, sizeof(cJSON *) * (size_t)cap); }
        (*out)[n++] = o;
    }
    free(buf);
    return n;
}

static void free_lines(cJSON **v, int n) {
    for (int i = 0; i < n; i++) cJSON_Delete(v[i]);
    free(v);
}

/* eval prompts of `task` (n samples, eval seed space) vs the gen-train dump of the same task. */
static void check_disjoint(const char *suite_name, const char *task, const char *lengths,
                           int n) {
    char nbuf[16];
    snprintf(nbuf, sizeof nbuf, "%d", n);
    const char *argv[16] = {"gen-train", "--suite", suite_name, "--task", task, "--n", nbuf,
                            "--tokenizer", TOK, "--out", TMP, "--dedup-n", nbuf};
    int argc = 13;
    if (lengths) { argv[argc++] = "--lengths"; argv[argc++] = lengths; }
    CU_ASSERT_EQUAL_FATAL(cli_gen_train(argc, (char **)argv), 0);
    cJSON **lines;
    int nl = load_jsonl(&lines);
    CU_ASSERT_FATAL(nl > 0);

    v4_tokenizer *tok = NULL;
    char err[V4_ERRLEN];
    CU_ASSERT_EQUAL_FATAL(v4_tokenizer_load(TOK, &tok, err, sizeof err), 0);
    suite *s = NULL;
    suite_overrides ov;
    memset(&ov, 0, sizeof ov);
    const char *tasks[1] = {task};
    ov.tasks = tasks;
    ov.n_tasks = 1;
    int lv[1];
    if (lengths) { lv[0] = atoi(lengths); ov.lengths = lv; ov.n_lengths = 1; }
    CU_ASSERT_EQUAL_FATAL(suite_load(suite_name, &ov, &s, err, sizeof err), 0);
    suite_task *t = &s->tasks[0];
    if (!lengths) t->n_samples = n;   /* N eval samples, as many as train samples */
    suite_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.tok = tok;
    int clash = 0, ne = suite_task_count(t);
    for (int i = 0; i < ne; i++) {
        eval_sample es;
        CU_ASSERT_EQUAL_FATAL(suite_task_sample(s, t, i, &ctx, &es, err, sizeof err), 0);
        const cJSON *sd = cJSON_GetObjectItem(es.meta, "seed");
        if (cJSON_IsString(sd))   /* eval seeds: top bit clear */
            CU_ASSERT(strtoull(sd->valuestring, NULL, 10) < (1ULL << 63));
        uint64_t h = gen_train_prompt_hash(es.prompt);
        for (int j = 0; j < nl; j++) {
            const char *p = cJSON_GetObjectItem(lines[j], "prompt")->valuestring;
            if (gen_train_prompt_hash(p) == h && !strcmp(p, es.prompt)) clash++;
        }
        eval_sample_free(&es);
    }
    printf("    %s/%s: %d eval vs %d train prompts, %d equal\n", suite_name, task, ne, nl, clash);
    CU_ASSERT_EQUAL(clash, 0);
    suite_free(s);
    v4_tokenizer_free(tok);
    free_lines(lines, nl);
}

static void test_disjoint_math(void) { check_disjoint("math", "arith", NULL, 200); }
static void test_disjoint_toolcall(void) { check_disjoint("toolcall", "tool_simple", NULL, 100); }
static void test_disjoint_code(void) { check_disjoint("code", "code_synth", NULL, 200); }
static void test_disjoint_longctx(void) { check_disjoint("longctx", "niah_single_1", "1024", 10); }

/* The train dump's seeds have the top bit set and differ from the eval seeds of the same index. */
static void test_seed_spaces(void) {
    for (int i = 0; i < 1000; i++) {
        uint64_t a = suite_seed(42, "arith", i, 0), b = suite_seed(42, "arith", i, 1);
        CU_ASSERT((a & SUITE_TRAIN_SEED_BIT) == 0);
        CU_ASSERT((b & SUITE_TRAIN_SEED_BIT) != 0);
    }
}

static int ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

/* Completions: EOS at the end, and what the scorer wants. */
static void test_completions(void) {
    const char *a1[] = {"gen-train", "--suite", "math", "--task", "arith", "--n", "20",
                        "--tokenizer", TOK, "--out", TMP};
    CU_ASSERT_EQUAL_FATAL(cli_gen_train(11, (char **)a1), 0);
    cJSON **L;
    int n = load_jsonl(&L);
    CU_ASSERT_EQUAL_FATAL(n, 20);
    for (int i = 0; i < n; i++) {
        const char *c = cJSON_GetObjectItem(L[i], "completion")->valuestring;
        const char *p = cJSON_GetObjectItem(L[i], "prompt")->valuestring;
        CU_ASSERT(ends_with(c, GEN_TRAIN_EOS));
        CU_ASSERT(strstr(c, "#### ") != NULL);
        CU_ASSERT(ends_with(p, "<\xef\xbd\x9c" "Assistant\xef\xbd\x9c></think>"));
        /* the last step's result is the answer after #### */
        const char *h = strstr(c, "#### ");
        const char *nl = h;
        while (nl > c && nl[-1] == '\n') nl--;
        const char *eq = NULL;
        for (const char *q = c; q < nl; q++) if (!strncmp(q, " = ", 3)) eq = q + 3;
        CU_ASSERT_FATAL(eq != NULL);
        CU_ASSERT_EQUAL(strtoll(eq, NULL, 10), strtoll(h + 5, NULL, 10));
    }
    free_lines(L, n);

    const char *a2[] = {"gen-train", "--suite", "longctx", "--task", "niah_multivalue", "--n", "3",
                        "--tokenizer", TOK, "--out", TMP, "--lengths", "1024"};
    CU_ASSERT_EQUAL_FATAL(cli_gen_train(13, (char **)a2), 0);
    n = load_jsonl(&L);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    for (int i = 0; i < n; i++) {
        const char *c = cJSON_GetObjectItem(L[i], "completion")->valuestring;
        const char *p = cJSON_GetObjectItem(L[i], "prompt")->valuestring;
        CU_ASSERT(ends_with(c, "." GEN_TRAIN_EOS));
        CU_ASSERT(c[0] == ' ');
        CU_ASSERT(ends_with(p, "mentioned in the provided text are"));
        int commas = 0;
        for (const char *q = c; *q; q++) commas += *q == ',';
        CU_ASSERT_EQUAL(commas, 3);   /* four values */
        CU_ASSERT(cJSON_GetObjectItem(L[i], "prompt_tokens")->valueint <= 1024);
    }
    free_lines(L, n);

    const char *a3[] = {"gen-train", "--suite", "toolcall", "--task", "tool_parallel", "--n", "5",
                        "--tokenizer", TOK, "--out", TMP};
    CU_ASSERT_EQUAL_FATAL(cli_gen_train(11, (char **)a3), 0);
    n = load_jsonl(&L);
    CU_ASSERT_EQUAL_FATAL(n, 5);
    for (int i = 0; i < n; i++) {
        const char *c = cJSON_GetObjectItem(L[i], "completion")->valuestring;
        CU_ASSERT(!strncmp(c, "\n\n<\xef\xbd\x9c" "DSML\xef\xbd\x9c" "tool_calls>", 17));
        CU_ASSERT(ends_with(c, GEN_TRAIN_EOS));
        char *js = NULL, err[V4_ERRLEN];
        CU_ASSERT_EQUAL_FATAL(v4_dsml_parse(c, strlen(c), 0, &js, err, sizeof err), 0);
        cJSON *pj = cJSON_Parse(js);
        CU_ASSERT_PTR_NOT_NULL_FATAL(pj);
        const cJSON *calls = cJSON_GetObjectItem(pj, "tool_calls");
        CU_ASSERT(cJSON_GetArraySize(calls) >= 2);   /* parallel: several calls */
        cJSON_Delete(pj);
        free(js);
    }
    free_lines(L, n);
}

static void test_bad_input(void) {
    const char *b1[] = {"gen-train", "--suite", "math", "--tokenizer", TOK, "--out", TMP};
    CU_ASSERT_EQUAL(cli_gen_train(7, (char **)b1), 2);               /* no --n */
    const char *b2[] = {"gen-train", "--suite", "nope", "--n", "1", "--tokenizer", TOK, "--out", TMP};
    CU_ASSERT_EQUAL(cli_gen_train(9, (char **)b2), 2);               /* unknown suite */
    const char *b3[] = {"gen-train", "--suite", "math", "--n", "x1", "--tokenizer", TOK, "--out", TMP};
    CU_ASSERT_EQUAL(cli_gen_train(9, (char **)b3), 2);               /* bad number */
    const char *b4[] = {"gen-train", "--suite", "math", "--n", "1", "--tokenizer", "/nonexistent.json",
                        "--out", TMP};
    CU_ASSERT_EQUAL(cli_gen_train(9, (char **)b4), 2);               /* no tokenizer */
    const char *b5[] = {"gen-train", "--suite", "longctx", "--task", "vt", "--n", "1", "--lengths",
                        "256", "--tokenizer", TOK, "--out", TMP};
    CU_ASSERT_NOT_EQUAL(cli_gen_train(13, (char **)b5), 0);          /* too short for vt */
    const char *b6[] = {"gen-train", "--suite", "math", "--n", "1", "--bogus", "1", "--tokenizer",
                        TOK, "--out", TMP};
    CU_ASSERT_EQUAL(cli_gen_train(11, (char **)b6), 2);
}

static const test_case TESTS[] = {
    {"seed_spaces", test_seed_spaces},
    {"disjoint_math", test_disjoint_math},
    {"disjoint_toolcall", test_disjoint_toolcall},
    {"disjoint_code", test_disjoint_code},
    {"disjoint_longctx", test_disjoint_longctx},
    {"completions", test_completions},
    {"bad_input", test_bad_input},
    {NULL, NULL},
};
TEST_MAIN("train_gen", TESTS)
