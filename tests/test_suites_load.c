/*
 * test_suites_load.c — suite files: the four shipped suites and "all" load; the resolved
 * suite's SHA-256 is stable and changes with every override; SHA-256 itself against the
 * FIPS 180-4 test vectors; unknown suite / task and each kind of bad suite file give one
 * clear error naming file and field; the keyed RNG is uniform enough and reproducible.
 */
#include "tests/test_util.h"
#include "suites/suite.h"
#include "suites/suite_util.h"

static void test_sha256_vectors(void) {
    char h[65];
    sha256_hex_of("", 0, h);
    CU_ASSERT_STRING_EQUAL(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256_hex_of("abc", 3, h);
    CU_ASSERT_STRING_EQUAL(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256_hex_of(m, strlen(m), h);
    CU_ASSERT_STRING_EQUAL(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char *a = malloc(1000000);
    memset(a, 'a', 1000000);
    sha256_hex_of(a, 1000000, h);
    CU_ASSERT_STRING_EQUAL(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
    /* 55/56/64-byte boundaries against python's hashlib values */
    char b[64];
    memset(b, 'x', 64);
    const int lens[] = {55, 56, 63, 64};
    const char *want[] = {"d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072",
                          "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e",
                          "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2",
                          "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c"};
    for (int i = 0; i < 4; i++) {
        sha256_hex_of(b, (size_t)lens[i], h);
        CU_ASSERT_STRING_EQUAL(h, want[i]);
    }
}

static void test_rng(void) {
    srng a, b;
    srng_init(&a, 123);
    srng_init(&b, 123);
    for (int i = 0; i < 100; i++) CU_ASSERT_EQUAL(srng_next(&a), srng_next(&b));
    int hist[10] = {0};
    srng_init(&a, 7);
    for (int i = 0; i < 100000; i++) hist[srng_below(&a, 10)]++;
    for (int i = 0; i < 10; i++) CU_ASSERT(hist[i] > 9500 && hist[i] < 10500);
    int s[5];
    srng_sample(&a, 8, 5, s);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < i; j++) CU_ASSERT(s[i] != s[j]);
}

static void test_shipped_suites(void) {
    const char *names[] = {"longctx", "code", "math", "toolcall", "all"};
    int counts[5];
    for (int i = 0; i < 5; i++) {
        suite *s = NULL;
        char err[V4_ERRLEN];
        int rc = suite_load(names[i], NULL, &s, err, sizeof err);
        if (rc) printf("\n  %s: %s\n", names[i], err);
        CU_ASSERT_EQUAL_FATAL(rc, 0);
        CU_ASSERT_EQUAL(strlen(s->hash), 64);
        counts[i] = s->n_tasks;
        for (int k = 0; k < s->n_tasks; k++) CU_ASSERT(suite_task_count(&s->tasks[k]) > 0);
        suite_free(s);
    }
    /* without data files only the generators remain; "all" is their union */
    CU_ASSERT_EQUAL(counts[0], 12);
    CU_ASSERT_EQUAL(counts[4], counts[0] + counts[1] + counts[2] + counts[3]);
}

static void hash_of(const suite_overrides *ov, char out[65]) {
    suite *s = NULL;
    char err[V4_ERRLEN];
    out[0] = 0;
    if (suite_load("longctx", ov, &s, err, sizeof err) == 0) {
        memcpy(out, s->hash, 65);
        suite_free(s);
    }
}

static void test_hash(void) {
    char h0[65], h1[65], h2[65], h3[65], h4[65], h5[65];
    suite_overrides ov = {0};
    hash_of(NULL, h0);
    hash_of(&ov, h1);
    CU_ASSERT_STRING_EQUAL(h0, h1); /* stable, and no override = NULL overrides */
    int L[] = {4096};
    ov.lengths = L; ov.n_lengths = 1;
    hash_of(&ov, h2);
    ov.n_lengths = 0; ov.limit = 3;
    hash_of(&ov, h3);
    ov.limit = 0; ov.seed = 5;
    hash_of(&ov, h4);
    ov.seed = 0;
    const char *t[] = {"vt"};
    ov.tasks = t; ov.n_tasks = 1;
    hash_of(&ov, h5);
    const char *hs[] = {h0, h2, h3, h4, h5};
    for (int i = 0; i < 5; i++) {
        CU_ASSERT_EQUAL(strlen(hs[i]), 64);
        for (int j = 0; j < i; j++) CU_ASSERT(strcmp(hs[i], hs[j]) != 0);
    }
}

static void test_overrides(void) {
    suite_overrides ov = {0};
    const char *t[] = {"niah_single_1", "cwe"};
    int L[] = {2048, 8192};
    ov.tasks = t; ov.n_tasks = 2; ov.lengths = L; ov.n_lengths = 2; ov.limit = 3;
    suite *s = NULL;
    char err[V4_ERRLEN];
    CU_ASSERT_EQUAL_FATAL(suite_load("longctx", &ov, &s, err, sizeof err), 0);
    CU_ASSERT_EQUAL(s->n_tasks, 2);
    CU_ASSERT_STRING_EQUAL(s->tasks[0].name, "niah_single_1");
    CU_ASSERT_EQUAL(s->tasks[0].n_lengths, 2);
    CU_ASSERT_EQUAL(s->tasks[0].lengths[1], 8192);
    CU_ASSERT_EQUAL(suite_task_count(&s->tasks[0]), 2 * 3); /* limit per (length, depth) cell */
    CU_ASSERT_STRING_EQUAL(s->tasks[1].scorer, "ruler_all");
    CU_ASSERT_EQUAL(s->tasks[1].max_new_tokens, 120);
    suite_free(s);
}

static void expect_error(const char *name, const suite_overrides *ov, const char *const *parts) {
    suite *s = NULL;
    char err[V4_ERRLEN] = "";
    CU_ASSERT_NOT_EQUAL(suite_load(name, ov, &s, err, sizeof err), 0);
    CU_ASSERT(s == NULL);
    for (int i = 0; parts[i]; i++) {
        int ok = strstr(err, parts[i]) != NULL;
        if (!ok) printf("\n  %s: expected \"%s\" in: %s\n", name, parts[i], err);
        CU_ASSERT(ok);
    }
    printf("\n    %s", err);
}

static void test_errors(void) {
    expect_error("nosuch", NULL, (const char *[]){"unknown suite \"nosuch\"", NULL});
    suite_overrides ov = {0};
    const char *t[] = {"niah_single_9"};
    ov.tasks = t; ov.n_tasks = 1;
    expect_error("longctx", &ov, (const char *[]){"unknown task \"niah_single_9\"", NULL});
    const char *D = "tests/fixtures/suites/bad/";
    struct { const char *file; const char *parts[3]; } cases[] = {
        {"unknown_field.json", {"tasks[0].colour: unknown field", NULL}},
        {"bad_kind.json", {"task a: kind: expected one of niah", "found \"sorting\"", NULL}},
        {"bad_scorer.json", {"task a: scorer: expected one of ruler_all", "found \"bleu\"", NULL}},
        {"bad_lengths.json", {"task a: lengths[1]: expected an integer in [128, 1048576]", "found a string", NULL}},
        {"bad_param.json", {"task a: params.haystack: expected \"noise\" | \"essay\" | \"needle\"", "found \"essays\"", NULL}},
        {"dup_task.json", {"task a: duplicate task name", NULL}},
        {"malformed.json", {"malformed.json:3: malformed JSON", NULL}},
        {"depths_on_generator.json", {"depths: kind arith has no length axis", NULL}},
        {"no_lengths.json", {"task a: lengths: expected an array of token lengths", NULL}},
        {"bad_template.json", {"template: expected \"chat\" | \"raw\", found \"chatml\"", NULL}},
        {"missing.json", {"missing.json: suite file not found", NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s%s", D, cases[i].file);
        expect_error(path, NULL, cases[i].parts);
    }
    printf("\n");
}

static char *export(int train, int *lines) {
    suite_overrides ov = {0};
    ov.limit = 5;
    ov.data_path = "tests/fixtures/suites/none/";
    suite *s = NULL;
    char err[V4_ERRLEN];
    if (suite_load("math", &ov, &s, err, sizeof err)) return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    suite_ctx ctx = {NULL, 0, NULL, train};
    int w = 0, e = 0;
    CU_ASSERT_EQUAL(suite_export_jsonl(s, &ctx, f, &w, &e, err, sizeof err), 0);
    fclose(f);
    CU_ASSERT_EQUAL(e, 0);
    *lines = w;
    suite_free(s);
    return buf;
}

static void test_export(void) {
    int n1 = 0, n2 = 0, n3 = 0;
    char *a = export(0, &n1), *b = export(0, &n2), *t = export(1, &n3);
    CU_ASSERT_FATAL(a && b && t);
    CU_ASSERT_EQUAL(n1, 35); /* arith, the five one-step tasks and wordprob, 5 each; no loader data */
    CU_ASSERT_STRING_EQUAL(a, b); /* byte-identical */
    char *sa = NULL, *st = NULL;
    char *la = strtok_r(a, "\n", &sa), *lt = strtok_r(t, "\n", &st);
    int k = 0;
    while (la && lt) {
        cJSON *ja = cJSON_Parse(la), *jt = cJSON_Parse(lt);
        CU_ASSERT_FATAL(ja && jt);
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(ja, "id")->valuestring,
                               cJSON_GetObjectItem(jt, "id")->valuestring);
        CU_ASSERT(strcmp(cJSON_GetObjectItem(ja, "prompt")->valuestring,
                         cJSON_GetObjectItem(jt, "prompt")->valuestring) != 0);
        unsigned long long se = strtoull(cJSON_GetObjectItem(ja, "seed")->valuestring, NULL, 10);
        unsigned long long stn = strtoull(cJSON_GetObjectItem(jt, "seed")->valuestring, NULL, 10);
        CU_ASSERT(se < (1ULL << 63) && stn >= (1ULL << 63));
        CU_ASSERT(cJSON_IsFalse(cJSON_GetObjectItem(ja, "train")));
        CU_ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(jt, "train")));
        CU_ASSERT(cJSON_IsString(cJSON_GetObjectItem(jt, "reference")));
        cJSON_Delete(ja); cJSON_Delete(jt);
        la = strtok_r(NULL, "\n", &sa); lt = strtok_r(NULL, "\n", &st);
        k++;
    }
    CU_ASSERT_EQUAL(k, 35);
    free(a); free(b); free(t);
}

static const suite_task *task_named(const suite *s, const char *name) {
    for (int i = 0; i < s->n_tasks; i++)
        if (!strcmp(s->tasks[i].name, name)) return &s->tasks[i];
    return NULL;
}

/* --data routing: a FILE goes to the dataset tasks its records fit (HumanEval → humaneval, not
 * mbpp; BFCL_v4_parallel.json → bfcl_parallel only), never to two tasks at once (the datasets'
 * own ids would collide and one task's samples would be skipped as the other's); a FILE that
 * fits no task and two tasks on one file are one-line errors; DIR/<kind dir>/<file> is found */
static void test_data_routing(void) {
    suite_overrides ov = {0};
    suite *s = NULL;
    char err[V4_ERRLEN];
    ov.data_path = "tests/fixtures/suites/humaneval_small.jsonl.gz";
    CU_ASSERT_EQUAL_FATAL(suite_load("code", &ov, &s, err, sizeof err), 0);
    CU_ASSERT_PTR_NOT_NULL(task_named(s, "humaneval"));
    CU_ASSERT_PTR_NULL(task_named(s, "mbpp"));            /* default file absent: skipped */
    CU_ASSERT_STRING_EQUAL(task_named(s, "humaneval")->data_path, ov.data_path);
    suite_free(s);
    ov.data_path = "tests/fixtures/suites/bfcl/BFCL_v4_parallel.json";
    CU_ASSERT_EQUAL_FATAL(suite_load("toolcall", &ov, &s, err, sizeof err), 0);
    int n_bfcl = 0;
    for (int i = 0; i < s->n_tasks; i++) n_bfcl += s->tasks[i].data_path != NULL;
    CU_ASSERT_EQUAL(n_bfcl, 1);
    CU_ASSERT_PTR_NOT_NULL(task_named(s, "bfcl_parallel"));
    suite_free(s);
    s = NULL;
    ov.data_path = "tests/fixtures/suites/humaneval_small.jsonl.gz";
    CU_ASSERT_NOT_EQUAL(suite_load("math", &ov, &s, err, sizeof err), 0);
    printf("\n    %s\n", err);
    CU_ASSERT(strstr(err, "no dataset task of suite math reads this file") != NULL);
    /* explicit tasks on one file */
    const char *two[2] = {"humaneval", "mbpp"};
    ov.tasks = two;
    ov.n_tasks = 2;
    s = NULL;
    CU_ASSERT_NOT_EQUAL(suite_load("code", &ov, &s, err, sizeof err), 0);
    printf("    %s\n", err);
    CU_ASSERT(strstr(err, "tasks humaneval and mbpp both read") != NULL);
    ov.tasks = NULL;
    ov.n_tasks = 0;
    /* DIR holding gsm8k/test.jsonl and math/test.jsonl (the same base name) */
    char dir[] = "/tmp/v4eval_data_XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char cmd[512];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/gsm8k %s/math && cp tests/fixtures/suites/gsm8k_small.jsonl "
             "%s/gsm8k/test.jsonl && cp tests/fixtures/suites/math_small.jsonl %s/math/test.jsonl",
             dir, dir, dir, dir);
    CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
    ov.data_path = dir;
    s = NULL;
    CU_ASSERT_EQUAL(suite_load("math", &ov, &s, err, sizeof err), 0);
    if (s) {
        CU_ASSERT(task_named(s, "gsm8k") && strstr(task_named(s, "gsm8k")->data_path, "/gsm8k/test.jsonl"));
        CU_ASSERT(task_named(s, "math500") && strstr(task_named(s, "math500")->data_path, "/math/test.jsonl"));
        suite_free(s);
    } else printf("    %s\n", err);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CU_ASSERT_EQUAL(system(cmd), 0);
}

static const test_case TESTS[] = {
    {"export", test_export},
    {"sha256_vectors", test_sha256_vectors},
    {"rng", test_rng},
    {"shipped_suites", test_shipped_suites},
    {"hash", test_hash},
    {"overrides", test_overrides},
    {"errors", test_errors},
    {"data_routing", test_data_routing},
    {NULL, NULL}};
TEST_MAIN("suites_load", TESTS)
