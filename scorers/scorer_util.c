/*
 * scorer_util.c — the small shared pieces of every scorer: result lifetime, status names, the
 * unbiased pass@k estimator, and the split of a model output into thinking and answer.
 *
 * Invariant: nothing here depends on a particular scorer, so test programs can link any one
 * scorer file together with this one.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "scorers/scorer_internal.h"

/* score_result_free: frees extracted and details; safe on a zeroed or already freed result. */
void score_result_free(score_result *r) {
    if (!r) return;
    free(r->extracted);
    r->extracted = NULL;
    cJSON_Delete(r->details);
    r->details = NULL;
}

/* score_status_name: "ok", "fail", "timeout", "error" (the samples.jsonl spelling). */
const char *score_status_name(score_status s) {
    switch (s) {
    case SCORE_OK: return "ok";
    case SCORE_FAIL: return "fail";
    case SCORE_TIMEOUT: return "timeout";
    case SCORE_ERROR: return "error";
    }
    return "error";
}

/* scorer_pass_at_k: HumanEval's unbiased estimator 1 - C(n-c,k)/C(n,k), computed as the
 * numerically stable product 1 - prod_{i=n-c+1}^{n} (1 - k/i). Returns NAN when the estimate is
 * undefined (n < k, k < 1, c outside [0,n]) — callers report pass@k only when n >= k. */
double scorer_pass_at_k(int n, int c, int k) {
    if (k < 1 || n < k || c < 0 || c > n) return NAN;
    if (n - c < k) return 1.0;
    double prod = 1.0;
    for (int i = n - c + 1; i <= n; i++) prod *= 1.0 - (double)k / (double)i;
    return 1.0 - prod;
}

const char *scorer_split_thinking(const eval_sample *s, const char *output, cJSON *details) {
    static const char close_tag[] = "</think>";
    const char *end = strstr(output, close_tag);
    if (end) {
        if (details) {
            char *th = scorer_strndup(output, (size_t)(end - output));
            cJSON_AddStringToObject(details, "thinking", th ? th : "");
            free(th);
        }
        return end + strlen(close_tag);
    }
    if (s && s->thinking) {
        if (details) {
            cJSON_AddStringToObject(details, "thinking", output);
            cJSON_AddBoolToObject(details, "thinking_unterminated", 1);
        }
        return "";
    }
    return output;
}

void scorer_error(score_result *r, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    r->status = SCORE_ERROR;
    r->score = 0;
    r->passed = 0;
    if (!r->details) r->details = cJSON_CreateObject();
    if (r->details) {
        cJSON_DeleteItemFromObject(r->details, "error");
        cJSON_AddStringToObject(r->details, "error", buf);
    }
}

void scorer_set_pass(score_result *r, int passed) {
    r->status = SCORE_OK;
    r->passed = passed ? 1 : 0;
    r->score = passed ? 1.0 : 0.0;
}

char *scorer_strndup(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *scorer_strdup(const char *s) { return scorer_strndup(s, strlen(s)); }

const cJSON *scorer_target_field(const eval_sample *s, const char *key) {
    if (!s || !cJSON_IsObject(s->target)) return NULL;
    return cJSON_GetObjectItemCaseSensitive(s->target, key);
}
