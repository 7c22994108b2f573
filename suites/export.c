/*
 * export.c — a suite's samples as JSON lines (suite_export_jsonl in suite.h): the bridge to
 * training-data builders (train seed space) and a way to look at exactly what a run will ask.
 *
 * Invariant: the lines are in task order, then sample index order, and depend only on the
 * resolved suite, the tokenizer and the seed space, so two exports of the same suite are
 * byte-identical.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites/suite.h"

int suite_export_jsonl(const suite *s, const suite_ctx *ctx, FILE *out, int *n_written,
                       int *n_errors, char *err, size_t errlen) {
    int written = 0, errors = 0;
    for (int ti = 0; ti < s->n_tasks; ti++) {
        const suite_task *t = &s->tasks[ti];
        int n = suite_task_count(t);
        for (int i = 0; i < n; i++) {
            eval_sample x;
            char serr[V4_ERRLEN];
            cJSON *o = cJSON_CreateObject();
            if (suite_task_sample(s, t, i, ctx, &x, serr, sizeof serr)) {
                cJSON_AddStringToObject(o, "id", x.id ? x.id : "");
                cJSON_AddStringToObject(o, "task", t->name);
                cJSON_AddStringToObject(o, "error", serr);
                errors++;
            } else {
                const cJSON *m = x.meta;
                cJSON_AddStringToObject(o, "id", x.id);
                cJSON_AddStringToObject(o, "suite", x.suite);
                cJSON_AddStringToObject(o, "task", x.task);
                cJSON_AddNumberToObject(o, "length", x.length);
                if (x.depth >= 0) cJSON_AddNumberToObject(o, "depth", x.depth);
                else cJSON_AddNullToObject(o, "depth");
                cJSON_AddStringToObject(o, "scorer", x.scorer);
                cJSON_AddNumberToObject(o, "max_new_tokens", x.max_new_tokens);
                cJSON_AddStringToObject(o, "prompt", x.prompt);
                const cJSON *pt = cJSON_GetObjectItemCaseSensitive(m, "prompt_tokens");
                cJSON_AddNumberToObject(o, "prompt_tokens", cJSON_IsNumber(pt) ? pt->valuedouble : -1);
                const cJSON *ref = cJSON_GetObjectItemCaseSensitive(m, "reference");
                if (cJSON_IsString(ref)) cJSON_AddStringToObject(o, "reference", ref->valuestring);
                else cJSON_AddNullToObject(o, "reference");
                cJSON_AddItemToObject(o, "target", cJSON_Duplicate(x.target, 1));
                const cJSON *sd = cJSON_GetObjectItemCaseSensitive(m, "seed");
                if (cJSON_IsString(sd)) cJSON_AddStringToObject(o, "seed", sd->valuestring);
                cJSON_AddBoolToObject(o, "train", ctx && ctx->train);
                eval_sample_free(&x);
                written++;
            }
            char *line = cJSON_PrintUnformatted(o);
            cJSON_Delete(o);
            int bad = !line || fputs(line, out) == EOF || fputc('\n', out) == EOF;
            free(line);
            if (bad) {
                snprintf(err, errlen, "export: write failed after %d samples", written + errors);
                return 1;
            }
        }
    }
    if (n_written) *n_written = written;
    if (n_errors) *n_errors = errors;
    return 0;
}
