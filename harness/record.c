/*
 * record.c — samples.jsonl line <-> sample_record.
 *
 * The JSON field names are the public format of samples.jsonl (documented in record.h and the
 * README): id, suite, task, index, length, depth, prompt_hash, output, extracted, score, passed,
 * status, error, tokens_in, tokens_out, latency_s, finish, meta. Depth -1 is written as null.
 * Lines are always valid UTF-8 (invalid bytes anywhere become U+FFFD).
 */
#include "harness/record.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness/hutil.h"

void record_init(sample_record *r) {
    memset(r, 0, sizeof *r);
    r->depth = -1;
}

void record_free(sample_record *r) {
    free(r->id); free(r->suite); free(r->task); free(r->output); free(r->extracted);
    free(r->status); free(r->error); free(r->finish);
    cJSON_Delete(r->meta);
    record_init(r);
}

static void add_str(cJSON *o, const char *k, const char *v) {
    if (v) cJSON_AddStringToObject(o, k, v);
    else cJSON_AddNullToObject(o, k);
}

char *record_to_json(const sample_record *r) {
    cJSON *o = cJSON_CreateObject();
    add_str(o, "id", r->id);
    add_str(o, "suite", r->suite);
    add_str(o, "task", r->task);
    cJSON_AddNumberToObject(o, "index", r->index);
    cJSON_AddNumberToObject(o, "length", r->length);
    if (r->depth >= 0) cJSON_AddNumberToObject(o, "depth", r->depth);
    else cJSON_AddNullToObject(o, "depth");
    add_str(o, "prompt_hash", r->prompt_hash[0] ? r->prompt_hash : NULL);
    add_str(o, "output", r->output);
    add_str(o, "extracted", r->extracted);
    cJSON_AddNumberToObject(o, "score", r->score);
    cJSON_AddBoolToObject(o, "passed", r->passed);
    add_str(o, "status", r->status ? r->status : "error");
    add_str(o, "error", r->error);
    cJSON_AddNumberToObject(o, "tokens_in", r->tokens_in);
    cJSON_AddNumberToObject(o, "tokens_out", r->tokens_out);
    cJSON_AddNumberToObject(o, "latency_s", r->latency_s);
    add_str(o, "finish", r->finish);
    if (r->meta) cJSON_AddItemToObject(o, "meta", cJSON_Duplicate(r->meta, 1));
    else cJSON_AddNullToObject(o, "meta");
    char *raw = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!raw) { fprintf(stderr, "v4eval: out of memory\n"); abort(); }
    /* Every line is valid UTF-8: any field (output, a scorer's details such as the thinking
     * part of a raw generation cut mid-character) may carry raw model bytes. Bytes >= 0x80 only
     * occur inside JSON strings and a replacement never absorbs an ASCII quote, so replacing
     * invalid sequences with U+FFFD on the printed line keeps it valid JSON. */
    char *s = hutil_utf8_sanitize(raw);
    free(raw);
    return s;
}

static char *opt_str(const cJSON *o, const char *k) {
    const char *v = hutil_json_str(o, k, NULL);
    return v ? hutil_strdup(v) : NULL;
}

int record_from_json(const char *line, sample_record *r, char *err, size_t errlen) {
    record_init(r);
    cJSON *o = cJSON_Parse(line);
    if (!o || !cJSON_IsObject(o)) {
        snprintf(err, errlen, "not a JSON object");
        cJSON_Delete(o);
        return 1;
    }
    static const char *required_str[] = {"id", "suite", "task", "status"};
    for (size_t i = 0; i < sizeof required_str / sizeof *required_str; i++)
        if (!hutil_json_str(o, required_str[i], NULL)) {
            snprintf(err, errlen, "expected string field '%s'", required_str[i]);
            cJSON_Delete(o);
            return 1;
        }
    if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, "score"))) {
        snprintf(err, errlen, "expected number field 'score'");
        cJSON_Delete(o);
        return 1;
    }
    r->id = opt_str(o, "id");
    r->suite = opt_str(o, "suite");
    r->task = opt_str(o, "task");
    r->status = opt_str(o, "status");
    r->index = (int)hutil_json_num(o, "index", 0);
    r->length = (int)hutil_json_num(o, "length", 0);
    r->depth = hutil_json_num(o, "depth", -1);
    const char *ph = hutil_json_str(o, "prompt_hash", "");
    snprintf(r->prompt_hash, sizeof r->prompt_hash, "%s", ph);
    r->output = opt_str(o, "output");
    r->extracted = opt_str(o, "extracted");
    r->score = hutil_json_num(o, "score", 0);
    r->passed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "passed"));
    r->error = opt_str(o, "error");
    r->tokens_in = (int)hutil_json_num(o, "tokens_in", 0);
    r->tokens_out = (int)hutil_json_num(o, "tokens_out", 0);
    r->latency_s = hutil_json_num(o, "latency_s", 0);
    r->finish = opt_str(o, "finish");
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(o, "meta");
    if (meta && !cJSON_IsNull(meta)) r->meta = cJSON_Duplicate(meta, 1);
    cJSON_Delete(o);
    return 0;
}

int record_is_error(const sample_record *r) { return !r->status || !strcmp(r->status, "error"); }

int record_is_null(const sample_record *r) {
    if (record_is_error(r)) return 0;
    for (const char *p = r->output ? r->output : ""; *p; p++)
        if (!isspace((unsigned char)*p)) return 0;
    return 1;
}
