/*
 * record.h — one finished sample as the harness stores it: a line of samples.jsonl.
 *
 * A record is complete on its own (suite, task, length, depth, prompt hash, raw output, extracted
 * answer, score, status, token counts, latency, generator/scorer facts), so every table, plot and
 * comparison is recomputed from samples.jsonl alone. status is one of "ok", "fail", "timeout"
 * (scorer outcomes) or "error" (the sample could not be built, generated or scored; error holds
 * the message). Errored samples count as score 0 in every mean (as RULER counts empty
 * predictions) and are also counted separately.
 */
#ifndef V4_RECORD_H
#define V4_RECORD_H

#include <cjson/cJSON.h>

typedef struct {
    char *id;              /* the sample id (unique within a run) */
    char *suite, *task;
    int index;             /* sample index within its task */
    int length;            /* target context length (0 = not a length task) */
    double depth;          /* needle depth in [0,1], or -1 */
    char prompt_hash[65];  /* sha256 hex of the prompt string ("" when never built) */
    char *output;          /* raw model output (NULL when none) */
    char *extracted;       /* the scorer's extracted answer (may be NULL) */
    double score;          /* in [0,1] */
    int passed;            /* 1 = counted as correct */
    char *status;          /* "ok" | "fail" | "timeout" | "error" */
    char *error;           /* message when status is "error" (may be NULL otherwise) */
    int tokens_in, tokens_out;
    double latency_s;      /* generation wall time */
    char *finish;          /* why generation stopped: "stop" | "eos" | "length" | NULL */
    cJSON *meta;           /* generator meta + scorer details ({"sample":…, "score":…}), owned */
} sample_record;

/* record_init: all fields empty, depth -1, status NULL. */
void record_init(sample_record *r);
void record_free(sample_record *r);

/* record_to_json: one compact JSON line (no newline), malloc'ed. */
char *record_to_json(const sample_record *r);

/* record_from_json: parses one samples.jsonl line into *r (r is initialised here). Non-zero with
 * err ("expected field 'id'", …) when the line is not a valid record. */
int record_from_json(const char *line, sample_record *r, char *err, size_t errlen);

/* record_is_error: 1 when the record's status is "error". */
int record_is_error(const sample_record *r);
/* record_is_null: 1 when the model produced an empty (all-whitespace) output — RULER's "null". */
int record_is_null(const sample_record *r);

#endif /* V4_RECORD_H */
