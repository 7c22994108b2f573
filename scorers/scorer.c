/*
 * scorer.c — the scorer registry: name → function, and the one public entry scorer_run.
 *
 * Text scorers (RULER match, math, code) see the answer part of the output: everything up to and
 * including the first "</think>" is removed first and kept in details.thinking (see
 * scorer_split_thinking). Tool-call scorers get the raw output, because the DSML parser splits
 * reasoning and content itself. Every result carries details.scorer.
 */
#include <stdio.h>
#include <string.h>
#include "scorers/scorer_internal.h"

typedef struct {
    const char *name;
    scorer_fn fn;
    int split_thinking;   /* 1 = pass the answer part, 0 = pass the raw output */
} scorer_entry;

static const scorer_entry SCORERS[] = {
    {"ruler_all", match_score_all, 1},
    {"ruler_part", match_score_part, 1},
    {"gsm8k", math_score_gsm8k, 1},
    {"math_boxed", math_score_boxed, 1},
    {"math_number", math_score_number, 1},
    {"humaneval", code_score_humaneval, 1},
    {"mbpp", code_score_mbpp, 1},
    {"code_synth", code_score_synth, 1},
    {"toolcall_ast", toolcall_score_ast, 0},
    {"toolcall_irrelevance", toolcall_score_irrelevance, 0},
    {NULL, NULL, 0},
};

static const scorer_entry *scorer_find(const char *name) {
    if (!name) return NULL;
    for (const scorer_entry *e = SCORERS; e->name; e++)
        if (strcmp(e->name, name) == 0) return e;
    return NULL;
}

int scorer_exists(const char *name) { return scorer_find(name) != NULL; }

int scorer_run(const eval_sample *s, const char *output, score_result *r, char *err,
               size_t errlen) {
    memset(r, 0, sizeof *r);
    const scorer_entry *e = scorer_find(s ? s->scorer : NULL);
    if (!e) {
        if (err && errlen)
            snprintf(err, errlen, "unknown scorer \"%s\" (sample %s)",
                     s && s->scorer ? s->scorer : "(null)", s && s->id ? s->id : "?");
        return 1;
    }
    r->details = cJSON_CreateObject();
    if (!r->details) {
        if (err && errlen) snprintf(err, errlen, "out of memory");
        return 1;
    }
    cJSON_AddStringToObject(r->details, "scorer", e->name);
    if (!output) output = "";
    const char *text = e->split_thinking ? scorer_split_thinking(s, output, r->details) : output;
    e->fn(s, text, r);
    if (r->status == SCORE_ERROR && err && errlen) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(r->details, "error");
        snprintf(err, errlen, "%s: %s", e->name, cJSON_IsString(m) ? m->valuestring : "error");
    }
    return 0;
}
