/*
 * match.c — RULER's string-match metrics (scripts/eval/synthetic/constants.py, evaluate.py).
 *
 * Prediction post-processing as RULER's postprocess_pred: strip surrounding whitespace, turn
 * every control character 0x00–0x1F into "\n", strip again. An empty result is a "null"
 * prediction (RULER's Nulls column); it scores 0.
 *   ruler_all  (string_match_all, niah_*, vt, cwe, fwe): fraction of the references that occur
 *              as case-insensitive substrings of the prediction.
 *   ruler_part (string_match_part, qa): 1 if any reference occurs, else 0.
 * RULER reports the mean × 100; per sample we keep the fraction in [0,1] and the harness scales.
 * Target: a JSON array of reference strings (a single string is accepted as a one-element list).
 * Case folding is ASCII (Python's str.lower also folds non-ASCII letters; RULER's references
 * — numbers, UUIDs, English words — are ASCII). passed = 1 only when the score is 1.
 */
#include <stdlib.h>
#include <string.h>
#include "scorers/scorer_internal.h"

/* Python's str.isspace for ASCII: \t \n \v \f \r, 0x1C–0x1F and space. */
static int match_is_space(unsigned char c) {
    return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
}

static char *match_postprocess(const char *in) {
    size_t n = strlen(in), a = 0, b = n;
    while (a < b && match_is_space((unsigned char)in[a])) a++;
    while (b > a && match_is_space((unsigned char)in[b - 1])) b--;
    char *t = scorer_strndup(in + a, b - a);
    if (!t) return NULL;
    for (char *p = t; *p; p++)
        if ((unsigned char)*p < 0x20) *p = '\n';
    /* strip again: the control characters that became "\n" are whitespace now */
    size_t m = strlen(t), c = 0, d = m;
    while (c < d && match_is_space((unsigned char)t[c])) c++;
    while (d > c && match_is_space((unsigned char)t[d - 1])) d--;
    memmove(t, t + c, d - c);
    t[d - c] = 0;
    return t;
}

static void match_lower(char *s) {
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z') *s = (char)(*s - 'A' + 'a');
}

/* match_run: shared body; all_mode 1 = string_match_all, 0 = string_match_part. */
static int match_run(const eval_sample *s, const char *answer, score_result *r, int all_mode) {
    const cJSON *t = s->target;
    cJSON *single = NULL;
    if (cJSON_IsString(t)) {
        single = cJSON_CreateArray();
        cJSON_AddItemToArray(single, cJSON_CreateString(t->valuestring));
        t = single;
    }
    if (!cJSON_IsArray(t) || cJSON_GetArraySize(t) == 0) {
        scorer_error(r, "target: expected a non-empty JSON array of reference strings");
        return 0;
    }
    char *pred = match_postprocess(answer);
    if (!pred) { scorer_error(r, "out of memory"); cJSON_Delete(single); return 0; }
    r->extracted = scorer_strdup(pred);
    match_lower(pred);
    cJSON *found = cJSON_AddArrayToObject(r->details, "found");
    int n = 0, hits = 0;
    const cJSON *ref;
    cJSON_ArrayForEach(ref, t) {
        if (!cJSON_IsString(ref)) {
            scorer_error(r, "target[%d]: expected a string reference", n);
            free(pred);
            cJSON_Delete(single);
            return 0;
        }
        char *low = scorer_strdup(ref->valuestring);
        if (!low) break;
        match_lower(low);
        int hit = strstr(pred, low) != NULL;
        free(low);
        cJSON_AddItemToArray(found, cJSON_CreateBool(hit));
        hits += hit;
        n++;
    }
    cJSON_AddBoolToObject(r->details, "null", pred[0] == 0);
    cJSON_AddStringToObject(r->details, "metric", all_mode ? "string_match_all" : "string_match_part");
    r->status = SCORE_OK;
    r->score = all_mode ? (double)hits / (double)n : (hits > 0 ? 1.0 : 0.0);
    r->passed = r->score >= 1.0;
    free(pred);
    cJSON_Delete(single);
    return 0;
}

/* match_score_all: RULER string_match_all for one sample (see the file comment). */
int match_score_all(const eval_sample *s, const char *answer, score_result *r) {
    return match_run(s, answer, r, 1);
}

/* match_score_part: RULER string_match_part for one sample (see the file comment). */
int match_score_part(const eval_sample *s, const char *answer, score_result *r) {
    return match_run(s, answer, r, 0);
}
