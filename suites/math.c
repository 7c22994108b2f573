/*
 * math.c — the math suite's task kinds: synthetic arithmetic ("arith"), synthetic word
 * problems ("wordprob"), and loaders for GSM8K ("gsm8k") and MATH-style JSONL ("math").
 *
 * Generators compute their answers exactly with 64-bit integers (operands are bounded so
 * nothing overflows) and also record meta.reference, a completion that the scorer accepts
 * (short working + "#### N"), which the training data builder uses. The arith kind covers
 * both the multi-step chains ("arith") and GPT-3's one-step 2–3 digit tests (arith_2da …
 * arith_2dm: operands uniform in [0, 10^d), reference working by digit columns); the working
 * never changes what is scored, only the final number is read. Loaders keep the
 * dataset's own ids (GSM8K: "gsm8k/<zero-based line number>", MATH: unique_id when present).
 * A bad line gives "file:line: …" for that sample only.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites/suite_kinds.h"

#define MATH_INSTRUCT                                                                      \
    "Solve the following math problem step by step. Write the final answer as a number on " \
    "the last line, in the form \"#### <answer>\".\n\n"

/* math_target: {"answer", "mode"} as agreed in suite.h, plus the same choice under the
 * scorers' own names: "filter" (= mode) and "compare" ("numeric" for generated problems,
 * "exact" for GSM8K as lm-eval compares strings). */
static cJSON *math_target(const char *answer, const char *mode, const char *compare) {
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "answer", answer);
    cJSON_AddStringToObject(t, "mode", mode);
    cJSON_AddStringToObject(t, "filter", mode);
    cJSON_AddStringToObject(t, "compare", compare);
    return t;
}

static int finish(const suite_task *t, const char *user, const suite_ctx *ctx, eval_sample *out,
                  char *err, size_t errlen) {
    if (suite_build_prompt(t, NULL, user, NULL, NULL, &out->prompt, &out->messages, err, errlen))
        return 1;
    return suite_sample_tokenize(ctx, out, err, errlen);
}

/* ---- arith ------------------------------------------------------------------------------- */

static const char *const ARITH_KEYS[] = {"min_digits", "max_digits", "max_steps", "ops", "operands",
                                         "working", NULL};

static const char *const OPERANDS[] = {"digits", "uniform", NULL};
static const char *const WORKING[] = {"lines", "columns", NULL};

static int arith_validate(const char *where, const suite_task *t, char *err, size_t errlen) {
    const cJSON *p = t->params;
    if (sv_known(where, p, ARITH_KEYS, err, errlen) ||
        sv_int(where, p, "min_digits", 1, 6, err, errlen) ||
        sv_int(where, p, "max_digits", 1, 6, err, errlen) ||
        sv_int(where, p, "max_steps", 1, 4, err, errlen) ||
        sv_enum(where, p, "operands", OPERANDS, err, errlen) ||
        sv_enum(where, p, "working", WORKING, err, errlen))
        return 1;
    if (sj_int(p, "min_digits", 2) > sj_int(p, "max_digits", 3)) {
        snprintf(err, errlen, "%s: params.min_digits: expected <= max_digits (%d), found %d", where,
                 sj_int(p, "max_digits", 3), sj_int(p, "min_digits", 2));
        return 1;
    }
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(p, "ops");
    if (ops) {
        int ok = cJSON_IsString(ops) && *ops->valuestring;
        for (const char *c = ok ? ops->valuestring : ""; *c; c++) ok &= strchr("+-*", *c) != NULL;
        if (!ok) {
            snprintf(err, errlen, "%s: params.ops: expected a string of operators from \"+-*\", "
                     "found %s", where, sv_type_name(ops));
            return 1;
        }
    }
    const char *w = sj_str(p, "working");
    if (w && !strcmp(w, "columns") && sj_int(p, "max_steps", 2) != 1) {
        snprintf(err, errlen, "%s: params.working: \"columns\" needs max_steps 1, found %d", where,
                 sj_int(p, "max_steps", 2));
        return 1;
    }
    return 0;
}

/* ---- column working ------------------------------------------------------------------------
 * The reference completion of a one-step problem with params.working = "columns": the
 * schoolbook method, one digit column per line, least significant first, so that every line is
 * a one-digit fact plus a carry ("8 + 9 + 0 = 17") that a small model can learn, and the answer
 * is read off the lines. Operands are >= 0 (the generators never draw negatives). */

static int digits_of(long long v, int *d) { /* d[0] = units; returns the number of digits */
    int n = 0;
    do { d[n++] = (int)(v % 10); v /= 10; } while (v);
    return n;
}

/* a + b, a, b >= 0: one line per column, "ak + bk + carry = s". */
static void work_add(sbuf *w, long long a, long long b) {
    int da[24] = {0}, db[24] = {0};
    int na = digits_of(a, da), nb = digits_of(b, db), n = na > nb ? na : nb, c = 0;
    for (int k = 0; k < n; k++) {
        int s = da[k] + db[k] + c;
        sbuf_printf(w, "%d + %d + %d = %d\n", da[k], db[k], c, s);
        c = s / 10;
    }
}

/* a − b, a >= b >= 0: "ak − bk − borrow = r", r a signed one-digit fact; where r < 0 the line
 * goes on "+ 10 = d" and the next column borrows 1. No digit comparison is needed before a
 * line is written: the sign of the fact decides the borrow. */
static void work_sub(sbuf *w, long long a, long long b) {
    int da[24] = {0}, db[24] = {0};
    int na = digits_of(a, da), br = 0;
    digits_of(b, db);
    for (int k = 0; k < na; k++) {
        int r = da[k] - db[k] - br;
        sbuf_printf(w, "%d − %d − %d = %d", da[k], db[k], br, r);
        if (r < 0) sbuf_printf(w, " + 10 = %d", r + 10);
        sbuf_printf(w, "\n");
        br = r < 0;
    }
}

/* a × b, a, b >= 0: per digit bj of b a partial product by columns, each column two facts
 * ("ak × bj + carry = m + carry = r": the times table, then a one-digit addition), its total
 * ("a × bj·10^j = p"), each partial product after the first added by columns. */
static void work_mul(sbuf *w, long long a, long long b) {
    int da[24] = {0}, db[24] = {0};
    int na = digits_of(a, da), nb = digits_of(b, db);
    long long sum = 0, scale = 1;
    for (int j = 0; j < nb; j++, scale *= 10) {
        int c = 0;
        for (int k = 0; k < na; k++) {
            int m = da[k] * db[j], r = m + c;
            sbuf_printf(w, "%d × %d + %d = %d + %d = %d\n", da[k], db[j], c, m, c, r);
            c = r / 10;
        }
        long long part = a * db[j] * scale;
        sbuf_printf(w, "%lld × %lld = %lld\n", a, db[j] * scale, part);
        if (j > 0) {
            sbuf_printf(w, "%lld + %lld\n", sum, part);
            work_add(w, sum, part);
        }
        sum += part;
    }
}

/* An operand: "digits" draws the number of digits in [dmin, dmax], then a number with exactly
 * that many digits (never 0 or 1); "uniform" draws from [0, 10^dmax) as GPT-3's arithmetic
 * tests do (2D+: two integers uniform in [0, 100)), so small numbers occur at their rate. */
static long long rand_operand(srng *r, int uniform, int dmin, int dmax) {
    if (uniform) {
        long long hi = 1;
        for (int i = 0; i < dmax; i++) hi *= 10;
        return srng_range(r, 0, hi - 1);
    }
    int d = (int)srng_range(r, dmin, dmax);
    long long lo = 1;
    for (int i = 1; i < d; i++) lo *= 10;
    if (d == 1) lo = 2; /* avoid 0 and 1 as operands */
    return srng_range(r, lo, lo * 10 - 1);
}

static int arith_make(const suite *s, const suite_task *t, int index, uint64_t seed,
                      const suite_ctx *ctx, eval_sample *out, char *err, size_t errlen) {
    (void)s;
    char id[128];
    snprintf(id, sizeof id, "%s/%d", t->name, index);
    suite_sample_init(t, id, out);
    const cJSON *p = t->params;
    int dmin = sj_int(p, "min_digits", 2), dmax = sj_int(p, "max_digits", 3);
    int steps_max = sj_int(p, "max_steps", 2);
    const char *ops = sj_str(p, "ops") ? sj_str(p, "ops") : "+-*";
    int uniform = sj_str(p, "operands") && !strcmp(sj_str(p, "operands"), "uniform");
    int columns = sj_str(p, "working") && !strcmp(sj_str(p, "working"), "columns");
    srng r;
    srng_init(&r, seed);
    int steps = (int)srng_range(&r, 1, steps_max);
    long long acc = rand_operand(&r, uniform, dmin, dmax);
    sbuf expr = {0}, work = {0};
    sbuf_printf(&expr, "%lld", acc);
    for (int k = 0; k < steps; k++) {
        char op = ops[srng_below(&r, strlen(ops))];
        long long b = rand_operand(&r, uniform, dmin, dmax);
        long long prev = acc;
        if (op == '+') acc += b;
        else if (op == '-') acc -= b;
        else acc *= b;
        const char *sym = op == '*' ? "×" : op == '-' ? "−" : "+";
        if (k > 0) {
            /* parenthesise the running expression so the order is explicit */
            char *e = sbuf_take(&expr);
            sbuf_printf(&expr, "(%s) %s %lld", e, sym, b);
            free(e);
        } else {
            sbuf_printf(&expr, " %s %lld", sym, b);
        }
        if (!columns) {
            sbuf_printf(&work, "%lld %s %lld = %lld\n", prev, sym, b, acc);
        } else if (op == '+') {
            work_add(&work, prev, b);
        } else if (op == '*') {
            work_mul(&work, prev, b);
        } else if (prev >= b) {
            work_sub(&work, prev, b);
        } else { /* a − b = −(b − a) */
            sbuf_printf(&work, "%lld − %lld = −(%lld − %lld)\n", prev, b, b, prev);
            work_sub(&work, b, prev);
        }
    }
    char ans[32];
    snprintf(ans, sizeof ans, "%lld", acc);
    sbuf user = {0};
    sbuf_printf(&user, "What is %s? Give the final answer as a number on the last line, in the "
                "form \"#### <answer>\".", expr.s);
    out->target = math_target(ans, "flexible", "numeric");
    sbuf_printf(&work, "#### %s", ans);
    cJSON_AddStringToObject(out->meta, "reference", work.s);
    cJSON_AddStringToObject(out->meta, "expression", expr.s);
    cJSON_AddNumberToObject(out->meta, "steps", steps);
    int rc = finish(t, user.s, ctx, out, err, errlen);
    sbuf_free(&expr); sbuf_free(&work); sbuf_free(&user);
    return rc;
}

const suite_kind suite_kind_arith = {
    .name = "arith", .scorer = "math_number", .template_name = "chat", .max_new_tokens = 64,
    .validate = arith_validate, .make = arith_make};

/* ---- word problems ------------------------------------------------------------------------- */

static const char *const NAMES[] = {"Ana", "Ben", "Chloe", "David", "Emma", "Farid", "Grace",
                                    "Hugo", "Iris", "Jamal", "Keiko", "Liam", "Maya", "Noah",
                                    "Olga", "Pedro", "Quinn", "Rosa", "Sam", "Tara", NULL};
static const int SHE[] = {1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1};
static const char *const ITEMS[] = {"apples", "marbles", "stickers", "pencils", "cookies",
                                    "books", "stamps", "shells", "cards", "beads", NULL};

static int nlist(const char *const *a) { int n = 0; while (a[n]) n++; return n; }

static int wordprob_make(const suite *s, const suite_task *t, int index, uint64_t seed,
                         const suite_ctx *ctx, eval_sample *out, char *err, size_t errlen) {
    (void)s;
    char id[128];
    snprintf(id, sizeof id, "%s/%d", t->name, index);
    suite_sample_init(t, id, out);
    srng r;
    srng_init(&r, seed);
    int ni = (int)srng_below(&r, (uint64_t)nlist(NAMES));
    const char *name = NAMES[ni], *pr = SHE[ni] ? "She" : "He", *pos = SHE[ni] ? "her" : "his";
    const char *item = ITEMS[srng_below(&r, (uint64_t)nlist(ITEMS))];
    long long a = srng_range(&r, 3, 60), b = srng_range(&r, 2, 12), c = srng_range(&r, 2, 15);
    long long ans = 0;
    sbuf q = {0}, w = {0};
    switch (srng_below(&r, 8)) {
    case 0:
        ans = a + b * c;
        sbuf_printf(&q, "%s has %lld %s. %s buys %lld packs with %lld %s in each. How many %s "
                    "does %s have now?", name, a, item, pr, b, c, item, item, name);
        sbuf_printf(&w, "%lld × %lld = %lld\n%lld + %lld = %lld\n", b, c, b * c, a, b * c, ans);
        break;
    case 1: {
        long long tot = a * b;
        long long give = srng_range(&r, 1, tot - 1);
        ans = tot - give;
        sbuf_printf(&q, "A box holds %lld %s. %s fills %lld boxes and then gives away %lld %s. "
                    "How many %s are left?", a, item, name, b, give, item, item);
        sbuf_printf(&w, "%lld × %lld = %lld\n%lld − %lld = %lld\n", a, b, tot, tot, give, ans);
        break;
    }
    case 2:
        ans = a * b + c;
        sbuf_printf(&q, "%s reads %lld pages every day for %lld days, and then %lld more pages "
                    "on the last evening. How many pages does %s read in total?", name, a, b, c,
                    name);
        sbuf_printf(&w, "%lld × %lld = %lld\n%lld + %lld = %lld\n", a, b, a * b, a * b, c, ans);
        break;
    case 3: {
        long long cost = a * b;
        long long bill = (cost / 100 + 1) * 100;
        ans = bill - cost;
        sbuf_printf(&q, "A shop sells %s at %lld dollars each. %s buys %lld of them and pays "
                    "with %lld dollars. How many dollars of change does %s get?", item, a, name,
                    b, bill, name);
        sbuf_printf(&w, "%lld × %lld = %lld\n%lld − %lld = %lld\n", a, b, cost, bill, cost, ans);
        break;
    }
    case 4:
        ans = a;
        sbuf_printf(&q, "%s shares %lld %s equally among %lld friends. How many %s does each "
                    "friend get?", name, a * b, item, b, item);
        sbuf_printf(&w, "%lld ÷ %lld = %lld\n", a * b, b, ans);
        break;
    case 5:
        ans = a * b + c;
        sbuf_printf(&q, "A train travels %lld kilometers every hour for %lld hours, and then %lld "
                    "kilometers more. How many kilometers does it travel in total?", a, b, c);
        sbuf_printf(&w, "%lld × %lld = %lld\n%lld + %lld = %lld\n", a, b, a * b, a * b, c, ans);
        break;
    case 6: {
        long long lost = srng_range(&r, 1, a - 1);
        ans = a - lost + c * lost;
        sbuf_printf(&q, "%s had %lld %s. %s lost %lld of them, and later found %lld times as "
                    "many as %s lost. How many %s does %s have now?", name, a, item, pr, lost, c,
                    SHE[ni] ? "she" : "he", item, name);
        sbuf_printf(&w, "%lld − %lld = %lld\n%lld × %lld = %lld\n%lld + %lld = %lld\n", a, lost,
                    a - lost, c, lost, c * lost, a - lost, c * lost, ans);
        break;
    }
    default: {
        long long k = srng_range(&r, 2, 5);
        ans = (a + b) * k;
        sbuf_printf(&q, "%s collects %lld %s on Monday and %lld on Tuesday. %s friend collects "
                    "%lld times as many %s as %s did over both days. How many %s does %s friend "
                    "collect?", name, a, item, b, SHE[ni] ? "Her" : "His", k, item, name, item,
                    pos);
        sbuf_printf(&w, "%lld + %lld = %lld\n%lld × %lld = %lld\n", a, b, a + b, a + b, k, ans);
        break;
    }
    }
    char as[32];
    snprintf(as, sizeof as, "%lld", ans);
    sbuf_printf(&w, "#### %s", as);
    sbuf user = {0};
    sbuf_puts(&user, MATH_INSTRUCT);
    sbuf_puts(&user, "Question: ");
    sbuf_puts(&user, q.s);
    out->target = math_target(as, "flexible", "numeric");
    cJSON_AddStringToObject(out->meta, "reference", w.s);
    int rc = finish(t, user.s, ctx, out, err, errlen);
    sbuf_free(&q); sbuf_free(&w); sbuf_free(&user);
    return rc;
}

static int noparams_validate(const char *where, const suite_task *t, char *err, size_t errlen) {
    static const char *const none[] = {NULL};
    return sv_known(where, t->params, none, err, errlen);
}

const suite_kind suite_kind_wordprob = {
    .name = "wordprob", .scorer = "math_number", .template_name = "chat", .max_new_tokens = 128,
    .validate = noparams_validate, .make = wordprob_make};

/* ---- dataset loaders ------------------------------------------------------------------------ */

static const char *const MODES[] = {"strict", "flexible", NULL};

static int loader_validate(const char *where, const suite_task *t, char *err, size_t errlen) {
    static const char *const keys[] = {"mode", NULL};
    return sv_known(where, t->params, keys, err, errlen) ||
           sv_enum(where, t->params, "mode", MODES, err, errlen);
}

static int loader_prepare(suite_task *t, suite_task_cache *c, char *err, size_t errlen) {
    return suite_lines_load(t->data_path, &c->data, err, errlen);
}

/* field: a required string field of a dataset row; "file:line: field …" when missing. */
static const char *need_str(const suite_lines *l, int i, const cJSON *row, const char *key,
                            char *err, size_t errlen) {
    const char *v = sj_str(row, key);
    if (!v)
        snprintf(err, errlen, "%s:%d: field \"%s\": expected a string, found %s", l->path,
                 l->lineno[i], key, sv_type_name(cJSON_GetObjectItemCaseSensitive(row, key)));
    return v;
}

static int gsm8k_make(const suite *s, const suite_task *t, int index, uint64_t seed,
                      const suite_ctx *ctx, eval_sample *out, char *err, size_t errlen) {
    (void)s; (void)seed;
    const suite_task_cache *c = t->cache;
    char id[64];
    snprintf(id, sizeof id, "gsm8k/%d", c->data.lineno[index] - 1);
    suite_sample_init(t, id, out);
    cJSON *row = suite_lines_parse(&c->data, index, err, errlen);
    if (!row) return 1;
    int rc = 1;
    const char *q = need_str(&c->data, index, row, "question", err, errlen);
    const char *a = q ? need_str(&c->data, index, row, "answer", err, errlen) : NULL;
    const char *h = a ? strstr(a, "####") : NULL;
    if (a && !h)
        snprintf(err, errlen, "%s:%d: field \"answer\": expected a final \"#### N\", found none",
                 c->data.path, c->data.lineno[index]);
    if (h) {
        /* the reference answer: after "####", commas removed (grade_school_math/dataset.py) */
        h += 4;
        while (*h == ' ') h++;
        sbuf ans = {0};
        for (const char *p = h; *p && *p != '\n'; p++)
            if (*p != ',') sbuf_put(&ans, p, 1);
        while (ans.n && isspace((unsigned char)ans.s[ans.n - 1])) ans.s[--ans.n] = 0;
        const char *mode = sj_str(t->params, "mode") ? sj_str(t->params, "mode") : "strict";
        out->target = math_target(ans.s ? ans.s : "", mode, "exact");
        cJSON_AddStringToObject(out->meta, "reference", a);
        sbuf_free(&ans);
        sbuf user = {0};
        if (strcmp(t->template_name, "raw") == 0) {
            sbuf_printf(&user, "Question: %s\nAnswer:", q); /* lm-eval gsm8k form */
            if (!t->n_stops) { /* and lm-eval's stop strings */
                static const char *const STOPS[] = {"Question:", "</s>", "<|im_end|>"};
                out->stops = malloc(sizeof(char *) * 3);
                for (int k = 0; k < 3; k++) out->stops[k] = sdup(STOPS[k]);
                out->n_stops = 3;
            }
        } else {
            sbuf_puts(&user, MATH_INSTRUCT);
            sbuf_printf(&user, "Question: %s", q);
        }
        rc = finish(t, user.s, ctx, out, err, errlen);
        sbuf_free(&user);
    }
    cJSON_Delete(row);
    return rc;
}

const suite_kind suite_kind_gsm8k = {
    .name = "gsm8k", .loader = 1, .default_data = "data/gsm8k/test.jsonl", .scorer = "gsm8k",
    .template_name = "chat", .max_new_tokens = 512, .validate = loader_validate,
    .prepare = loader_prepare, .make = gsm8k_make};

/* last_boxed: the content of the last \boxed{…} (or \fbox{…}) in s, brace-matched; NULL if
 * none. Also handles "\boxed 5" (space form, up to the next '$' or end). */
static char *last_boxed(const char *s) {
    const char *best = NULL;
    int fbox = 0;
    for (const char *p = s; (p = strstr(p, "\\boxed")); p++) best = p, fbox = 0;
    if (!best)
        for (const char *p = s; (p = strstr(p, "\\fbox")); p++) best = p, fbox = 1;
    if (!best) return NULL;
    const char *p = best + (fbox ? 5 : 6);
    if (*p == ' ') {
        p++;
        const char *e = p;
        while (*e && *e != '$') e++;
        return strndup(p, (size_t)(e - p));
    }
    if (*p != '{') return NULL;
    int depth = 0;
    for (const char *q = p; *q; q++) {
        if (*q == '{') depth++;
        else if (*q == '}' && --depth == 0) return strndup(p + 1, (size_t)(q - p - 1));
    }
    return NULL;
}

static int math_make(const suite *s, const suite_task *t, int index, uint64_t seed,
                     const suite_ctx *ctx, eval_sample *out, char *err, size_t errlen) {
    (void)s; (void)seed;
    const suite_task_cache *c = t->cache;
    cJSON *row = suite_lines_parse(&c->data, index, err, errlen);
    char id[512];
    const char *uid = row ? sj_str(row, "unique_id") : NULL;
    if (uid) snprintf(id, sizeof id, "%.500s", uid);
    else snprintf(id, sizeof id, "math/%d", c->data.lineno[index] - 1);
    suite_sample_init(t, id, out);
    if (!row) return 1;
    int rc = 1;
    const char *prob = need_str(&c->data, index, row, "problem", err, errlen);
    char *ans = NULL;
    if (prob) {
        const char *a = sj_str(row, "answer");
        const char *sol = sj_str(row, "solution");
        if (a) ans = strdup(a);
        else if (sol) ans = last_boxed(sol);
        if (!ans)
            snprintf(err, errlen, "%s:%d: expected field \"answer\" or a \"solution\" with "
                     "\\boxed{…}, found %s", c->data.path, c->data.lineno[index],
                     sol ? "a solution without \\boxed" : "neither");
        if (ans) {
            out->target = math_target(ans, "strict", "exact");
            if (sol) cJSON_AddStringToObject(out->meta, "reference", sol);
            const char *lvl = sj_str(row, "level"), *subj = sj_str(row, "subject");
            if (!subj) subj = sj_str(row, "type");
            if (lvl) cJSON_AddStringToObject(out->meta, "level", lvl);
            if (subj) cJSON_AddStringToObject(out->meta, "subject", subj);
            sbuf user = {0};
            sbuf_printf(&user, "Solve the following math problem. Put your final answer within "
                        "\\boxed{}.\n\n%s", prob);
            rc = finish(t, user.s, ctx, out, err, errlen);
            sbuf_free(&user);
        }
    }
    free(ans);
    cJSON_Delete(row);
    return rc;
}

const suite_kind suite_kind_math = {
    .name = "math", .loader = 1, .default_data = "data/math/test.jsonl", .scorer = "math_boxed",
    .template_name = "chat", .max_new_tokens = 1024, .validate = loader_validate,
    .prepare = loader_prepare, .make = math_make};
