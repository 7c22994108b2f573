/*
 * test_suites_math.c — the math suite: synthetic arithmetic answers checked by an independent
 * expression evaluator written here, word-problem working lines checked line by line, and the
 * GSM8K / MATH loaders on hand-written fixtures (ids, answers, file:line errors).
 */
#include <ctype.h>
#include "tests/test_util.h"
#include "suites/suite.h"

static suite *load_math(const char *task, const char *data, int limit) {
    suite_overrides ov = {0};
    const char *tasks[1] = {task};
    ov.tasks = tasks; ov.n_tasks = 1; ov.data_path = data; ov.limit = limit;
    suite *s = NULL;
    char err[V4_ERRLEN];
    if (suite_load("math", &ov, &s, err, sizeof err)) { printf("  load: %s\n", err); return NULL; }
    for (int i = 0; i < s->n_tasks; i++) {
        free(s->tasks[i].template_name);
        s->tasks[i].template_name = strdup("raw");
    }
    return s;
}

/* --- a tiny independent evaluator: integers, + − × (UTF-8 signs), parentheses --- */
static const char *ep;
static long long e_expr(void);
static void skip(void) { while (*ep == ' ') ep++; }
static long long e_atom(void) {
    skip();
    if (*ep == '(') { ep++; long long v = e_expr(); skip(); if (*ep == ')') ep++; return v; }
    long long v = 0;
    int neg = 0;
    if (*ep == '-') { neg = 1; ep++; }
    while (isdigit((unsigned char)*ep)) v = v * 10 + (*ep++ - '0');
    return neg ? -v : v;
}
static int is_times(void) { return strncmp(ep, "×", strlen("×")) == 0; }
static int is_minus(void) { return strncmp(ep, "−", strlen("−")) == 0; }
static long long e_term(void) {
    long long v = e_atom();
    for (;;) {
        skip();
        if (is_times()) { ep += strlen("×"); v *= e_atom(); } else return v;
    }
}
static long long e_expr(void) {
    long long v = e_term();
    for (;;) {
        skip();
        if (*ep == '+') { ep++; v += e_term(); }
        else if (is_minus()) { ep += strlen("−"); v -= e_term(); }
        else return v;
    }
}

static void test_arith(void) {
    suite *s = load_math("arith", NULL, 0);
    CU_ASSERT_FATAL(s != NULL);
    CU_ASSERT_EQUAL(suite_task_count(&s->tasks[0]), 100);
    suite_ctx ctx = {0};
    int multi = 0;
    for (int i = 0; i < 100; i++) {
        eval_sample x, y;
        char err[V4_ERRLEN];
        CU_ASSERT_EQUAL_FATAL(suite_task_sample(s, &s->tasks[0], i, &ctx, &x, err, sizeof err), 0);
        CU_ASSERT_EQUAL_FATAL(suite_task_sample(s, &s->tasks[0], i, &ctx, &y, err, sizeof err), 0);
        CU_ASSERT_STRING_EQUAL(x.prompt, y.prompt);
        const char *expr = cJSON_GetObjectItem(x.meta, "expression")->valuestring;
        CU_ASSERT(strstr(x.prompt, expr) != NULL);
        ep = expr;
        long long v = e_expr();
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", v);
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(x.target, "answer")->valuestring, buf);
        CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(x.target, "mode")->valuestring, "flexible");
        CU_ASSERT_STRING_EQUAL(x.scorer, "math_number");
        multi += cJSON_GetObjectItem(x.meta, "steps")->valueint > 1;
        eval_sample_free(&x); eval_sample_free(&y);
    }
    CU_ASSERT(multi > 20 && multi < 100); /* a mix of one- and multi-step problems */
    suite_free(s);
}

/* GPT-3-style one-step tasks with column working: operands uniform in [0, 10^d), the answer
 * from the independent evaluator, every working line a true one-digit fact, and for sums the
 * answer read back off the column lines (last line's value, then the other lines' units digits
 * from the bottom up). */
static void test_arith_columns(void) {
    static const struct { const char *task; int digits; const char *op; } T[] = {
        {"arith_2da", 2, "+"}, {"arith_2ds", 2, "−"}, {"arith_3da", 3, "+"},
        {"arith_3ds", 3, "−"}, {"arith_2dm", 2, "×"}};
    for (size_t t = 0; t < sizeof T / sizeof T[0]; t++) {
        suite *s = load_math(T[t].task, NULL, 0);
        CU_ASSERT_FATAL(s != NULL);
        CU_ASSERT_EQUAL(suite_task_count(&s->tasks[0]), 100);
        suite_ctx ctx = {0};
        int small = 0, negative = 0;
        for (int i = 0; i < 100; i++) {
            eval_sample x;
            char err[V4_ERRLEN];
            CU_ASSERT_EQUAL_FATAL(suite_task_sample(s, &s->tasks[0], i, &ctx, &x, err, sizeof err), 0);
            const char *expr = cJSON_GetObjectItem(x.meta, "expression")->valuestring;
            long long a, b, lim = T[t].digits == 2 ? 100 : 1000;
            char op[8];
            CU_ASSERT_EQUAL_FATAL(sscanf(expr, "%lld %7s %lld", &a, op, &b), 3);
            CU_ASSERT_STRING_EQUAL(op, T[t].op);
            CU_ASSERT(a >= 0 && a < lim && b >= 0 && b < lim);
            small += a < lim / 10 || b < lim / 10;
            ep = expr;
            long long v = e_expr();
            negative += v < 0;
            char want[32];
            snprintf(want, sizeof want, "%lld", v);
            CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(x.target, "answer")->valuestring, want);
            char *ref = strdup(cJSON_GetObjectItem(x.meta, "reference")->valuestring), *save = NULL;
            int col_units[24], n_cols = 0, neg = 0;
            long long last = -1;
            for (char *ln = strtok_r(ref, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
                long long p, q, r, c, m, r2;
                int used = 0;
                char o1[8], o2[8];
                if (!strncmp(ln, "#### ", 5)) { CU_ASSERT_STRING_EQUAL(ln + 5, want); continue; }
                if (strstr(ln, " = −(")) { /* a − b = −(b − a), then b − a by columns */
                    CU_ASSERT(sscanf(ln, "%lld − %lld = −(%lld − %lld)", &p, &q, &r, &c) == 4 &&
                              p == c && q == r && p < q);
                    neg = 1;
                    continue;
                }
                if (sscanf(ln, "%lld %7s %lld %7s %lld = %lld%n", &p, o1, &q, o2, &r, &c, &used) == 6) {
                    const char *tail = ln + used;
                    CU_ASSERT(p < 10 && q < 10 && r < 10); /* one digit each */
                    if (!strcmp(o1, "+")) {                /* ak + bk + carry = s */
                        CU_ASSERT_EQUAL(c, p + q + r);
                        CU_ASSERT_STRING_EQUAL(tail, "");
                        col_units[n_cols++] = (int)(c % 10); last = c;
                    } else if (!strcmp(o1, "−")) {         /* ak − bk − borrow = r [+ 10 = d] */
                        CU_ASSERT_EQUAL(c, p - q - r);
                        long long d = c;
                        if (c < 0) {
                            CU_ASSERT(sscanf(tail, " + 10 = %lld", &d) == 1 && d == c + 10);
                        } else {
                            CU_ASSERT_STRING_EQUAL(tail, "");
                        }
                        col_units[n_cols++] = (int)d;
                    } else {                               /* ak × bj + carry = m + carry = r */
                        CU_ASSERT_STRING_EQUAL(o1, "×");
                        CU_ASSERT(sscanf(tail, " + %lld = %lld", &m, &r2) == 2 && c == p * q &&
                                  m == r && r2 == c + r);
                    }
                } else if (sscanf(ln, "%lld %7s %lld = %lld", &p, o1, &q, &c) == 4) {
                    CU_ASSERT_STRING_EQUAL(o1, "×");
                    CU_ASSERT_EQUAL(c, p * q);
                    n_cols = 0; last = -1;
                } else {
                    CU_ASSERT_EQUAL(sscanf(ln, "%lld + %lld", &p, &q), 2); /* partial sums */
                    n_cols = 0; last = -1;
                }
            }
            /* the answer read back off the column lines, the model's way */
            char read[40];
            size_t o = 0;
            CU_ASSERT_FATAL(n_cols > 0 || !strcmp(T[t].op, "×"));
            if (!strcmp(T[t].op, "−")) {
                long long val = 0;
                for (int k = n_cols - 1; k >= 0; k--) val = val * 10 + col_units[k];
                snprintf(read, sizeof read, "%s%lld", neg && val ? "-" : "", val);
                CU_ASSERT_STRING_EQUAL(read, want);
            } else if (n_cols > 0) {                       /* sums, and products by two digits */
                o = (size_t)snprintf(read, sizeof read, "%lld", last);
                for (int k = n_cols - 2; k >= 0 && o + 1 < sizeof read; k--) read[o++] = (char)('0' + col_units[k]);
                read[o] = 0;
                CU_ASSERT_STRING_EQUAL(read, want);
            }
            free(ref);
            eval_sample_free(&x);
        }
        CU_ASSERT(small > 0);                                    /* uniform, not fixed digits */
        if (!strcmp(T[t].op, "−")) CU_ASSERT(negative > 20 && negative < 80);
        suite_free(s);
    }
}

/* each working line "a op b = c" must hold; the last line is "#### answer" */
static void test_wordprob(void) {
    suite *s = load_math("wordprob", NULL, 0);
    CU_ASSERT_FATAL(s != NULL);
    suite_ctx ctx = {0};
    for (int i = 0; i < 100; i++) {
        eval_sample x;
        char err[V4_ERRLEN];
        CU_ASSERT_EQUAL_FATAL(suite_task_sample(s, &s->tasks[0], i, &ctx, &x, err, sizeof err), 0);
        char *ref = strdup(cJSON_GetObjectItem(x.meta, "reference")->valuestring);
        const char *ans = cJSON_GetObjectItem(x.target, "answer")->valuestring;
        char *save = NULL;
        for (char *ln = strtok_r(ref, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
            if (strncmp(ln, "#### ", 5) == 0) { CU_ASSERT_STRING_EQUAL(ln + 5, ans); continue; }
            long long a, b, c;
            char op[8];
            CU_ASSERT_EQUAL_FATAL(sscanf(ln, "%lld %7s %lld = %lld", &a, op, &b, &c), 4);
            long long want = !strcmp(op, "+") ? a + b : !strcmp(op, "×") ? a * b
                           : !strcmp(op, "−") ? a - b : b ? a / b : -1;
            if (!strcmp(op, "÷")) CU_ASSERT_EQUAL(a % b, 0);
            CU_ASSERT_EQUAL(c, want);
        }
        CU_ASSERT(atoll(ans) > 0);
        free(ref);
        eval_sample_free(&x);
    }
    suite_free(s);
}

static void test_gsm8k_loader(void) {
    suite *s = load_math("gsm8k", "tests/fixtures/suites/gsm8k_small.jsonl", 0);
    CU_ASSERT_FATAL(s != NULL);
    const suite_task *t = &s->tasks[0];
    CU_ASSERT_EQUAL(suite_task_count(t), 5); /* blank line skipped */
    suite_ctx ctx = {0};
    eval_sample x;
    char err[V4_ERRLEN];
    CU_ASSERT_EQUAL_FATAL(suite_task_sample(s, t, 0, &ctx, &x, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(x.id, "gsm8k/0");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(x.target, "answer")->valuestring, "7");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(x.target, "mode")->valuestring, "strict");
    CU_ASSERT_STRING_EQUAL(x.scorer, "gsm8k");
    CU_ASSERT(strncmp(x.prompt, "Question: Tom has 3 boxes", 25) == 0);
    CU_ASSERT(strcmp(x.prompt + strlen(x.prompt) - 8, "\nAnswer:") == 0);
    CU_ASSERT_EQUAL(x.n_stops, 3);
    eval_sample_free(&x);
    CU_ASSERT_EQUAL_FATAL(suite_task_sample(s, t, 1, &ctx, &x, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(x.id, "gsm8k/1");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(x.target, "answer")->valuestring, "1200");
    eval_sample_free(&x);
    const char *want[] = {":4: field \"answer\"", ":5: malformed JSON", ":6: field \"question\""};
    for (int i = 2; i < 5; i++) {
        err[0] = 0;
        CU_ASSERT_NOT_EQUAL(suite_task_sample(s, t, i, &ctx, &x, err, sizeof err), 0);
        CU_ASSERT(strstr(err, "gsm8k_small.jsonl") && strstr(err, want[i - 2]));
        printf("\n    %s", err);
    }
    /* the dataset hash is in the resolved suite */
    const cJSON *tj = cJSON_GetArrayItem(cJSON_GetObjectItem(s->resolved, "tasks"), 0);
    CU_ASSERT(cJSON_GetObjectItem(tj, "data_sha256") != NULL);
    suite_free(s);
    /* --limit */
    s = load_math("gsm8k", "tests/fixtures/suites/gsm8k_small.jsonl", 2);
    CU_ASSERT_EQUAL(suite_task_count(&s->tasks[0]), 2);
    suite_free(s);
}

static void test_math_loader(void) {
    suite *s = load_math("math500", "tests/fixtures/suites/math_small.jsonl", 0);
    CU_ASSERT_FATAL(s != NULL);
    const suite_task *t = &s->tasks[0];
    CU_ASSERT_EQUAL(suite_task_count(t), 3);
    suite_ctx ctx = {0};
    eval_sample x;
    char err[V4_ERRLEN];
    CU_ASSERT_EQUAL_FATAL(suite_task_sample(s, t, 0, &ctx, &x, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(x.id, "test/prealgebra/1.json");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(x.target, "answer")->valuestring, "\\frac{5}{6}");
    CU_ASSERT(strstr(x.prompt, "\\boxed{}") != NULL);
    eval_sample_free(&x);
    CU_ASSERT_EQUAL_FATAL(suite_task_sample(s, t, 1, &ctx, &x, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(x.id, "math/1");
    CU_ASSERT_STRING_EQUAL(cJSON_GetObjectItem(x.target, "answer")->valuestring, "1024");
    eval_sample_free(&x);
    CU_ASSERT_NOT_EQUAL(suite_task_sample(s, t, 2, &ctx, &x, err, sizeof err), 0);
    CU_ASSERT(strstr(err, "math_small.jsonl:3:") != NULL);
    suite_free(s);
}

static void test_optional_missing(void) {
    /* without data files the optional loader tasks are skipped with a note */
    suite_overrides ov = {0};
    ov.data_path = "tests/fixtures/suites/no_such_dir/";
    suite *s = NULL;
    char err[V4_ERRLEN];
    CU_ASSERT_EQUAL_FATAL(suite_load("math", &ov, &s, err, sizeof err), 0);
    CU_ASSERT_EQUAL(s->n_tasks, 7); /* arith, the five one-step tasks, wordprob */
    CU_ASSERT_EQUAL(s->n_skipped, 2);
    suite_free(s);
    /* asked for explicitly: an error naming the file */
    const char *tasks[1] = {"gsm8k"};
    ov.tasks = tasks; ov.n_tasks = 1;
    CU_ASSERT_NOT_EQUAL(suite_load("math", &ov, &s, err, sizeof err), 0);
    CU_ASSERT(strstr(err, "not found") != NULL);
}

static const test_case TESTS[] = {
    {"arith", test_arith},
    {"arith_columns", test_arith_columns},
    {"wordprob", test_wordprob},
    {"gsm8k_loader", test_gsm8k_loader},
    {"math_loader", test_math_loader},
    {"optional_missing", test_optional_missing},
    {NULL, NULL}};
TEST_MAIN("suites_math", TESTS)
