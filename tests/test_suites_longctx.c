/*
 * test_suites_longctx.c — the long-context generators: determinism in (task, seed, index),
 * disjoint train/eval seeds, exact length fitting with a real tokenizer, needle token
 * positions, RULER recipe facts (answers present, cwe/fwe frequencies), the depth grid, and
 * the refusals (length beyond the window, budget too small).
 *
 * Uses the text layer's small byte-level BPE fixture (tests/fixtures/text/tiny_tokenizer.json)
 * so that lengths are counted in real tokens, and the raw template so that the test does not
 * depend on the chat encoder (a chat case runs when the encoder is linked).
 */
#include "tests/test_util.h"
#include "suites/suite.h"

#define TOK_PATH "tests/fixtures/text/tiny_tokenizer.json"

static v4_tokenizer *g_tok;

static v4_tokenizer *tok(void) {
    if (!g_tok) {
        char err[V4_ERRLEN];
        if (v4_tokenizer_load(TOK_PATH, &g_tok, err, sizeof err)) {
            printf("  tokenizer: %s\n", err);
            return NULL;
        }
    }
    return g_tok;
}

/* load longctx with the given overrides, tasks switched to the raw template */
static suite *load(const char *task, const int *lengths, int n_lengths, uint64_t seed) {
    suite_overrides ov = {0};
    const char *tasks[1] = {task};
    if (task) { ov.tasks = tasks; ov.n_tasks = 1; }
    ov.lengths = lengths; ov.n_lengths = n_lengths;
    ov.seed = seed;
    ov.limit = 2;
    suite *s = NULL;
    char err[V4_ERRLEN];
    if (suite_load("longctx", &ov, &s, err, sizeof err)) {
        printf("  load: %s\n", err);
        return NULL;
    }
    for (int i = 0; i < s->n_tasks; i++) {
        free(s->tasks[i].template_name);
        s->tasks[i].template_name = strdup("raw");
    }
    return s;
}

static int make(suite *s, int ti, int index, int train, int max_ctx, eval_sample *out,
                char *err) {
    suite_ctx ctx = {tok(), max_ctx, NULL, train};
    return suite_task_sample(s, &s->tasks[ti], index, &ctx, out, err, V4_ERRLEN);
}

static void test_deterministic(void) {
    int L[] = {1024};
    suite *a = load("niah_single_1", L, 1, 0), *b = load("niah_single_1", L, 1, 0);
    suite *c = load("niah_single_1", L, 1, 7);
    CU_ASSERT_FATAL(a && b && c);
    eval_sample x, y, z, w, tr;
    char err[V4_ERRLEN];
    CU_ASSERT_EQUAL_FATAL(make(a, 0, 1, 0, 0, &x, err), 0);
    CU_ASSERT_EQUAL_FATAL(make(b, 0, 1, 0, 0, &y, err), 0);
    CU_ASSERT_EQUAL_FATAL(make(c, 0, 1, 0, 0, &z, err), 0);
    CU_ASSERT_EQUAL_FATAL(make(a, 0, 0, 0, 0, &w, err), 0);
    CU_ASSERT_EQUAL_FATAL(make(a, 0, 1, 1, 0, &tr, err), 0);
    CU_ASSERT_STRING_EQUAL(x.prompt, y.prompt);             /* same (task, seed, index) */
    CU_ASSERT_STRING_EQUAL(x.id, "niah_single_1/1024/1");
    CU_ASSERT(strcmp(x.prompt, z.prompt) != 0);              /* --seed moves */
    CU_ASSERT(strcmp(x.prompt, w.prompt) != 0);              /* other index */
    CU_ASSERT(strcmp(x.prompt, tr.prompt) != 0);             /* train space differs */
    char *tx = cJSON_PrintUnformatted(x.target), *tz = cJSON_PrintUnformatted(z.target);
    CU_ASSERT(strcmp(tx, tz) != 0);
    free(tx); free(tz);
    eval_sample_free(&x); eval_sample_free(&y); eval_sample_free(&z); eval_sample_free(&w);
    eval_sample_free(&tr);
    suite_free(a); suite_free(b); suite_free(c);
}

static void test_seed_spaces(void) {
    for (int i = 0; i < 1000; i++) {
        uint64_t e = suite_seed(42, "niah_single_1", i, 0), t = suite_seed(42, "niah_single_1", i, 1);
        CU_ASSERT((e & SUITE_TRAIN_SEED_BIT) == 0);
        CU_ASSERT((t & SUITE_TRAIN_SEED_BIT) != 0);
    }
    CU_ASSERT(suite_seed(42, "a", 0, 0) != suite_seed(42, "b", 0, 0));
    CU_ASSERT(suite_seed(42, "a", 0, 0) != suite_seed(43, "a", 0, 0));
    CU_ASSERT(suite_seed(42, "a", 0, 0) == suite_seed(42, "a", 0, 0));
}

/* independent check of a recorded token position: the bytes of ids[0..pos) end at or before
 * the needle's byte offset, and ids[0..pos] reach past it. */
static int check_pos(const eval_sample *s, const char *needle, long pos) {
    const char *h = strstr(s->prompt, needle);
    if (!h || pos < 0 || pos >= s->n_prompt_ids) return 0;
    long off = h - s->prompt;
    char *t1 = NULL, *t2 = NULL;
    size_t l1 = 0, l2 = 0;
    char err[V4_ERRLEN];
    if (v4_detokenize(tok(), s->prompt_ids, (size_t)pos, &t1, &l1, err, sizeof err)) return 0;
    if (v4_detokenize(tok(), s->prompt_ids, (size_t)pos + 1, &t2, &l2, err, sizeof err)) return 0;
    int ok = (long)l1 <= off && (long)l2 > off && memcmp(t1, s->prompt, l1) == 0;
    free(t1); free(t2);
    return ok;
}

static int count_occ(const char *hay, const char *word) {
    int n = 0;
    size_t wl = strlen(word);
    for (const char *p = hay; (p = strstr(p, word)); p += wl) {
        char after = p[wl];
        char before = p == hay ? ' ' : p[-1];
        if (before == ' ' && (after == ' ' || after == '\n' || after == 0)) n++;
    }
    return n;
}

/* every task at two lengths: exact fit, answers, needles */
static void test_all_tasks_fit(void) {
    if (!tok()) { test_skip("no tokenizer fixture"); return; }
    int L[] = {2000, 3000};
    suite *s = load(NULL, L, 2, 0);
    CU_ASSERT_FATAL(s != NULL);
    for (int ti = 0; ti < s->n_tasks; ti++) {
        const suite_task *t = &s->tasks[ti];
        int n = suite_task_count(t);
        CU_ASSERT(n >= 4);
        for (int i = 0; i < n; i += (t->n_depths ? 5 : 1)) {
            eval_sample x;
            char err[V4_ERRLEN];
            int rc = make(s, ti, i, 0, 0, &x, err);
            if (rc) printf("\n  %s[%d]: %s\n", t->name, i, err);
            CU_ASSERT_EQUAL_FATAL(rc, 0);
            /* the prompt tokens as recorded equal an independent tokenization */
            int32_t *ids = NULL;
            size_t nid = 0;
            CU_ASSERT_EQUAL(v4_tokenize(tok(), x.prompt, strlen(x.prompt), 1, &ids, &nid, err,
                                        sizeof err), 0);
            CU_ASSERT_EQUAL((int)nid, x.n_prompt_ids);
            free(ids);
            int real = (int)cJSON_GetObjectItem(x.meta, "real_length")->valuedouble;
            CU_ASSERT_EQUAL(real, x.n_prompt_ids + x.max_new_tokens);
            CU_ASSERT(real <= x.length);
            /* maximal: within one haystack unit (a noise line is the largest, ~90 tokens
             * under this byte-level fixture) or 3 % of the length */
            int slack = x.length - real;
            int allowed = 150 > x.length * 3 / 100 ? 150 : x.length * 3 / 100;
            if (slack > allowed) printf("\n  %s len %d: real %d slack %d\n", t->name, x.length, real, slack);
            CU_ASSERT(slack <= allowed);
            CU_ASSERT(cJSON_IsArray(x.target) && cJSON_GetArraySize(x.target) >= 1);
            const char *kind = t->kind;
            if (!strcmp(kind, "niah") || !strcmp(kind, "vt")) {
                const cJSON *a;
                cJSON_ArrayForEach(a, x.target) CU_ASSERT(strstr(x.prompt, a->valuestring) != NULL);
                const cJSON *np = cJSON_GetObjectItem(x.meta, "needle_token_positions");
                CU_ASSERT_FATAL(cJSON_IsArray(np));
                long p0 = (long)cJSON_GetObjectItem(x.meta, "needle_token_pos")->valuedouble;
                CU_ASSERT(p0 >= 0 && p0 < x.n_prompt_ids);
                /* niah: the first needle holds a target value or a distractor key; check the
                 * recorded position against the needle containing the first answer */
                if (!strcmp(kind, "niah")) {
                    const char *ans = cJSON_GetArrayItem(x.target, 0)->valuestring;
                    const char *h = strstr(x.prompt, ans);
                    /* walk back to "One of the special magic" */
                    const char *st = h;
                    while (st > x.prompt && strncmp(st, "One of the special magic", 24)) st--;
                    char needle[256];
                    size_t nl = (size_t)(h - st) + strlen(ans) + 1;
                    if (nl > sizeof needle - 1) nl = sizeof needle - 1;
                    memcpy(needle, st, nl); needle[nl] = 0;
                    int found = 0;
                    const cJSON *e;
                    cJSON_ArrayForEach(e, np) found |= check_pos(&x, needle, (long)e->valuedouble);
                    CU_ASSERT(found);
                }
            } else if (!strcmp(kind, "cwe")) {
                /* the main list is after the example: count there */
                const char *main_list = strstr(x.prompt + 1, "Below is a numbered list");
                CU_ASSERT_FATAL(main_list != NULL);
                const char *ml = strstr(main_list + 10, "Below is a numbered list");
                if (ml) main_list = ml;
                const cJSON *a;
                int rep = x.length < 4096 ? 6 : 30;
                cJSON_ArrayForEach(a, x.target) CU_ASSERT_EQUAL(count_occ(main_list, a->valuestring), rep);
            } else if (!strcmp(kind, "fwe")) {
                int c1 = count_occ(x.prompt, cJSON_GetArrayItem(x.target, 0)->valuestring);
                int c2 = count_occ(x.prompt, cJSON_GetArrayItem(x.target, 1)->valuestring);
                int c3 = count_occ(x.prompt, cJSON_GetArrayItem(x.target, 2)->valuestring);
                CU_ASSERT(c1 >= c2 && c2 >= c3 && c3 >= 1);
            }
            eval_sample_free(&x);
        }
    }
    suite_free(s);
}

static void test_grid_depth(void) {
    if (!tok()) { test_skip("no tokenizer fixture"); return; }
    int L[] = {4096};
    suite *s = load("niah_grid", L, 1, 0);
    CU_ASSERT_FATAL(s != NULL);
    const suite_task *t = &s->tasks[0];
    CU_ASSERT_EQUAL(suite_task_count(t), 11 * 2);
    double last = -1;
    for (int d = 0; d < 11; d++) {
        eval_sample x;
        char err[V4_ERRLEN];
        CU_ASSERT_EQUAL_FATAL(make(s, 0, d * 2, 0, 0, &x, err), 0);
        CU_ASSERT_DOUBLE_EQUAL(x.depth, d / 10.0, 1e-9);
        double da = cJSON_GetObjectItem(x.meta, "depth_actual")->valuedouble;
        /* the needle sits at the requested share of the prompt, up to the template and one
         * sentence of snapping */
        CU_ASSERT(fabs(da - d / 10.0) < 0.08);
        CU_ASSERT(da >= last);
        last = da;
        eval_sample_free(&x);
    }
    suite_free(s);
}

static void test_refusals(void) {
    int L[] = {2048};
    suite *s = load("niah_single_2", L, 1, 0);
    CU_ASSERT_FATAL(s != NULL);
    eval_sample x;
    char err[V4_ERRLEN] = "";
    CU_ASSERT_NOT_EQUAL(make(s, 0, 0, 0, 1024, &x, err), 0);
    CU_ASSERT(strstr(err, "exceeds the model's window of 1024") != NULL);
    printf("\n  refusal: %s\n", err);
    suite_free(s);
    int S[] = {160};
    s = load("niah_single_2", S, 1, 0);
    CU_ASSERT_FATAL(s != NULL);
    err[0] = 0;
    CU_ASSERT_NOT_EQUAL(make(s, 0, 0, 0, 0, &x, err), 0);
    CU_ASSERT(strstr(err, "without any haystack") != NULL || strstr(err, "no room") != NULL);
    printf("  too small: %s\n", err);
    suite_free(s);
    /* lengths outside [128, 1M] are rejected at load */
    int B[] = {2000000};
    suite_overrides ov = {0};
    ov.lengths = B; ov.n_lengths = 1;
    suite *bad = NULL;
    CU_ASSERT_NOT_EQUAL(suite_load("longctx", &ov, &bad, err, sizeof err), 0);
    CU_ASSERT(strstr(err, "--lengths") != NULL);
}

static void test_haystack_dir(void) {
    if (!tok()) { test_skip("no tokenizer fixture"); return; }
    int L[] = {1024};
    suite_overrides ov = {0};
    const char *tasks[1] = {"niah_single_2"};
    ov.tasks = tasks; ov.n_tasks = 1; ov.lengths = L; ov.n_lengths = 1;
    ov.haystack_dir = "tests/fixtures/suites/haystack";
    suite *s = NULL;
    char err[V4_ERRLEN];
    CU_ASSERT_EQUAL_FATAL(suite_load("longctx", &ov, &s, err, sizeof err), 0);
    free(s->tasks[0].template_name);
    s->tasks[0].template_name = strdup("raw");
    CU_ASSERT(cJSON_GetObjectItem(s->resolved, "haystack_sha256") != NULL);
    eval_sample x;
    CU_ASSERT_EQUAL_FATAL(make(s, 0, 0, 0, 0, &x, err), 0);
    CU_ASSERT(strstr(x.prompt, "lighthouse keeper") != NULL); /* text from the fixture */
    CU_ASSERT(x.n_prompt_ids + x.max_new_tokens <= 1024);
    eval_sample_free(&x);
    suite_free(s);
}

static void test_chat_template(void) {
    int L[] = {1024};
    suite_overrides ov = {0};
    const char *tasks[1] = {"niah_single_1"};
    ov.tasks = tasks; ov.n_tasks = 1; ov.lengths = L; ov.n_lengths = 1;
    suite *s = NULL;
    char err[V4_ERRLEN];
    CU_ASSERT_EQUAL_FATAL(suite_load("longctx", &ov, &s, err, sizeof err), 0);
    eval_sample x;
    suite_ctx ctx = {tok(), 0, NULL, 0};
    int rc = suite_task_sample(s, &s->tasks[0], 0, &ctx, &x, err, sizeof err);
    if (rc && strstr(err, "no chat encoder")) {
        test_skip("chat encoder not linked yet: %s", err);
    } else {
        CU_ASSERT_EQUAL_FATAL(rc, 0);
        CU_ASSERT(x.chat == 1);
        CU_ASSERT(strstr(x.prompt, "The special magic number for") != NULL);
        CU_ASSERT(x.n_prompt_ids + x.max_new_tokens <= 1024);
        eval_sample_free(&x);
    }
    suite_free(s);
}

static const test_case TESTS[] = {
    {"deterministic", test_deterministic},
    {"seed_spaces", test_seed_spaces},
    {"all_tasks_fit", test_all_tasks_fit},
    {"grid_depth", test_grid_depth},
    {"refusals", test_refusals},
    {"haystack_dir", test_haystack_dir},
    {"chat_template", test_chat_template},
    {NULL, NULL}};
TEST_MAIN("suites_longctx", TESTS)
