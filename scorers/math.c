/*
 * math.c — the math scorers: gsm8k, math_boxed, math_number.
 *
 * gsm8k follows lm-eval's gsm8k task (lm_eval/tasks/gsm8k/gsm8k.yaml), PCRE2 patterns:
 *   strict-match      "#### (\-?[0-9\.\,]+)"                first match, group 1
 *   flexible-extract  "(-?[$0-9.,]{2,})|(-?[0-9]+)"         last match, first non-empty group
 * both stripped of surrounding whitespace, "[invalid]" when nothing matches. exact_match then
 * applies lm-eval's regexes_to_ignore to prediction and reference — "," , "\$", "(?s).*#### ",
 * "\.$" — and ignore_case, and compares strings. Both filters are always recorded in details
 * (lm-eval reports both). Which one makes the score is chosen by the target:
 *   target = "…#### 72" | "72" | 72                → filter strict, compare exact (lm-eval)
 *   target = {"answer": …, "filter": "strict"|"flexible", "compare": "exact"|"numeric"}
 * compare "numeric" additionally accepts equal exact rationals ("5.00" = "5"); synthetic
 * arithmetic tasks use {"filter": "flexible", "compare": "numeric"}.
 *
 * math_boxed: the last \boxed{…} (or \fbox{…}; the "\boxed x" form up to the next "$") as
 * lm-eval/Hendrycks last_boxed_only_string + remove_boxed, compared with Hendrycks is_equiv
 * (math_norm.c); numeric equivalence of exact rationals also counts, both facts are recorded.
 * Target: the answer string (a target holding a \boxed{} solution is reduced to its box) or
 * {"answer": …}.
 *
 * math_number: the content of the last \boxed{} when it is a number, else the last number in
 * the answer (PCRE2 "-?\$?(?:\\[dt]?frac\{-?[0-9]+\}\{-?[0-9]+\}|[0-9]{1,3}(?:,[0-9]{3})+
 * (?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?(?:/[0-9]+)?|\.[0-9]+)"), compared as exact rationals.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "scorers/scorer_internal.h"

static const char MATH_RE_STRICT[] = "#### (\\-?[0-9\\.\\,]+)";
static const char MATH_RE_FLEX[] = "(-?[$0-9.,]{2,})|(-?[0-9]+)";
static const char MATH_RE_NUMBER[] =
    "-?\\$?(?:\\\\[dt]?frac\\{-?[0-9]+\\}\\{-?[0-9]+\\}|[0-9]{1,3}(?:,[0-9]{3})+(?:\\.[0-9]+)?"
    "|[0-9]+(?:\\.[0-9]+)?(?:/[0-9]+)?|\\.[0-9]+)";

static pcre2_code *math_compile(const char *pat) {
    int ec;
    PCRE2_SIZE eo;
    return pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
}

/* math_regex_find: match `pat` over `text` (Python re.findall order). which = 0 → first match,
 * -1 → last match. The result is the first non-empty capture group (or the whole match when the
 * pattern has no groups), malloc'ed; NULL when there is no match. */
static char *math_regex_find(const char *pat, const char *text, int which) {
    pcre2_code *re = math_compile(pat);
    if (!re) return NULL;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    uint32_t ngroups = 0;
    pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &ngroups);
    size_t len = strlen(text), off = 0;
    char *best = NULL;
    while (md && off <= len) {
        int rc = pcre2_match(re, (PCRE2_SPTR)text, len, off, 0, md, NULL);
        if (rc < 0) break;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t a = ov[0], b = ov[1];
        if (ngroups > 0) {
            for (uint32_t g = 1; g <= ngroups && (int)g < rc; g++) {
                if (ov[2 * g] != PCRE2_UNSET && ov[2 * g + 1] > ov[2 * g]) {
                    a = ov[2 * g]; b = ov[2 * g + 1];
                    break;
                }
            }
        }
        free(best);
        best = scorer_strndup(text + a, b - a);
        if (which == 0) break;
        off = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
    }
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return best;
}

/* Python str.strip() for ASCII whitespace, in place */
static void math_strip_ws(char *s) {
    size_t n = strlen(s), a = 0;
    while (a < n && (s[a] == ' ' || (s[a] >= 9 && s[a] <= 13))) a++;
    while (n > a && (s[n - 1] == ' ' || (s[n - 1] >= 9 && s[n - 1] <= 13))) n--;
    memmove(s, s + a, n - a);
    s[n - a] = 0;
}

/* lm-eval exact_match preprocessing for gsm8k: remove ",", "$", everything up to the last
 * "#### ", a "." at the end (or before a final "\n"), then lower-case. Malloc'ed. */
static char *math_gsm8k_canon(const char *in) {
    const char *p = in, *q;
    while ((q = strstr(p, "#### "))) p = q + 5;    /* (?s).*#### is greedy: the last one */
    /* note: lm-eval removes "," and "$" before "(?s).*#### "; neither can create or destroy
     * a "#### ", so the order does not matter */
    char *o = malloc(strlen(p) + 1);
    if (!o) return NULL;
    size_t n = 0;
    for (; *p; p++)
        if (*p != ',' && *p != '$') o[n++] = (*p >= 'A' && *p <= 'Z') ? (char)(*p + 32) : *p;
    o[n] = 0;
    if (n >= 1 && o[n - 1] == '.') o[n - 1] = 0;
    else if (n >= 2 && o[n - 1] == '\n' && o[n - 2] == '.') { o[n - 2] = '\n'; o[n - 1] = 0; }
    return o;
}

static char *math_target_string(const cJSON *t) {
    char buf[64];
    if (cJSON_IsString(t)) return scorer_strdup(t->valuestring);
    if (cJSON_IsNumber(t)) {
        if (t->valuedouble == (double)(long long)t->valuedouble)
            snprintf(buf, sizeof buf, "%lld", (long long)t->valuedouble);
        else
            snprintf(buf, sizeof buf, "%.17g", t->valuedouble);
        return scorer_strdup(buf);
    }
    return NULL;
}

/* the target's answer: the target itself or its "answer" member */
static char *math_target_answer(const eval_sample *s) {
    const cJSON *a = cJSON_IsObject(s->target) ? scorer_target_field(s, "answer") : s->target;
    return a ? math_target_string(a) : NULL;
}

int math_score_gsm8k(const eval_sample *s, const char *answer, score_result *r) {
    char *gold = math_target_answer(s);
    if (!gold) {
        scorer_error(r, "target: expected the answer as a string or number, or {\"answer\": …}");
        return 0;
    }
    const char *filter = "strict", *compare = "exact";
    const cJSON *f = scorer_target_field(s, "filter"), *c = scorer_target_field(s, "compare");
    if (f && (!cJSON_IsString(f) || (strcmp(f->valuestring, "strict") && strcmp(f->valuestring, "flexible")))) {
        scorer_error(r, "target.filter: expected \"strict\" or \"flexible\"");
        free(gold);
        return 0;
    }
    if (c && (!cJSON_IsString(c) || (strcmp(c->valuestring, "exact") && strcmp(c->valuestring, "numeric")))) {
        scorer_error(r, "target.compare: expected \"exact\" or \"numeric\"");
        free(gold);
        return 0;
    }
    if (f) filter = f->valuestring;
    if (c) compare = c->valuestring;

    char *ex[2];
    ex[0] = math_regex_find(MATH_RE_STRICT, answer, 0);
    ex[1] = math_regex_find(MATH_RE_FLEX, answer, -1);
    char *gcanon = math_gsm8k_canon(gold);
    int exact[2], numeric[2];
    static const char *names[2] = {"strict", "flexible"};
    for (int i = 0; i < 2; i++) {
        if (!ex[i]) ex[i] = scorer_strdup("[invalid]");
        else math_strip_ws(ex[i]);
        char *pc = math_gsm8k_canon(ex[i]);
        exact[i] = pc && gcanon && strcmp(pc, gcanon) == 0;
        numeric[i] = exact[i] || (pc && gcanon && math_numeric_equiv(pc, gcanon));
        free(pc);
        char key[32];
        snprintf(key, sizeof key, "%s_extracted", names[i]);
        cJSON_AddStringToObject(r->details, key, ex[i]);
        snprintf(key, sizeof key, "%s_exact_match", names[i]);
        cJSON_AddBoolToObject(r->details, key, exact[i]);
        snprintf(key, sizeof key, "%s_numeric_match", names[i]);
        cJSON_AddBoolToObject(r->details, key, numeric[i]);
    }
    int k = strcmp(filter, "flexible") == 0;
    int pass = strcmp(compare, "numeric") == 0 ? numeric[k] : exact[k];
    cJSON_AddStringToObject(r->details, "filter", filter);
    cJSON_AddStringToObject(r->details, "compare", compare);
    cJSON_AddStringToObject(r->details, "gold", gcanon ? gcanon : "");
    r->extracted = ex[k];
    free(ex[1 - k]);
    free(gcanon);
    free(gold);
    scorer_set_pass(r, pass);
    return 0;
}

/* last_boxed_only_string + remove_boxed; malloc'ed content or NULL */
static char *math_last_boxed(const char *text) {
    const char *sp = NULL, *q;
    for (const char *p = text; (q = strstr(p, "\\boxed ")); p = q + 1) sp = q;
    if (sp) {   /* "\boxed x" form: the text after the last "\boxed " up to the next "$" */
        const char *a = sp + 7, *d = strchr(a, '$');
        return scorer_strndup(a, d ? (size_t)(d - a) : strlen(a));
    }
    const char *idx = NULL;
    for (const char *p = text; (q = strstr(p, "\\boxed")); p = q + 1) idx = q;
    size_t wl = 6;
    if (!idx) {
        for (const char *p = text; (q = strstr(p, "\\fbox")); p = q + 1) idx = q;
        wl = 5;
        if (!idx) return NULL;
    }
    int open = 0;
    for (const char *p = idx; *p; p++) {
        if (*p == '{') open++;
        if (*p == '}') {
            open--;
            if (open == 0) {
                /* remove_boxed: the wrapper must be "\boxed{" … "}" */
                if (idx[wl] != '{') return NULL;
                return scorer_strndup(idx + wl + 1, (size_t)(p - (idx + wl + 1)));
            }
        }
    }
    return NULL;
}

int math_score_boxed(const eval_sample *s, const char *answer, score_result *r) {
    char *gold = math_target_answer(s);
    if (!gold) {
        scorer_error(r, "target: expected the answer as a string or number, or {\"answer\": …}");
        return 0;
    }
    if (strstr(gold, "\\boxed") || strstr(gold, "\\fbox")) {
        char *g = math_last_boxed(gold);
        if (g) { free(gold); gold = g; }
    }
    char *pred = math_last_boxed(answer);
    cJSON_AddBoolToObject(r->details, "boxed_found", pred != NULL);
    int he = 0, ne = 0;
    if (pred) {
        he = math_is_equiv(pred, gold);
        ne = math_numeric_equiv(pred, gold);
        char *np = math_strip_string(pred), *ng = math_strip_string(gold);
        cJSON_AddStringToObject(r->details, "normalized", np ? np : pred);
        cJSON_AddStringToObject(r->details, "gold_normalized", ng ? ng : gold);
        free(np);
        free(ng);
    }
    cJSON_AddBoolToObject(r->details, "hendrycks_equiv", he);
    cJSON_AddBoolToObject(r->details, "numeric_equiv", ne);
    cJSON_AddStringToObject(r->details, "gold", gold);
    r->extracted = pred;
    free(gold);
    scorer_set_pass(r, he || ne);
    return 0;
}

int math_score_number(const eval_sample *s, const char *answer, score_result *r) {
    char *gold = math_target_answer(s);
    math_rational rg, rp;
    if (!gold || !math_parse_number(gold, &rg)) {
        scorer_error(r, "target: expected an exact number (integer, decimal or fraction), got %s",
                     gold ? gold : "no answer");
        free(gold);
        return 0;
    }
    char *pred = math_last_boxed(answer);
    const char *how = "boxed";
    if (pred && !math_parse_loose(pred, &rp)) { free(pred); pred = NULL; }
    if (!pred) {
        pred = math_regex_find(MATH_RE_NUMBER, answer, -1);
        how = "last_number";
    }
    int pass = 0;
    if (pred) {
        cJSON_AddStringToObject(r->details, "source", how);
        pass = math_parse_loose(pred, &rp) && rp.p == rg.p && rp.q == rg.q;
    }
    cJSON_AddStringToObject(r->details, "gold", gold);
    r->extracted = pred;
    free(gold);
    scorer_set_pass(r, pass);
    return 0;
}
