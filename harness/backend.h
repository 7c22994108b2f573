/*
 * backend.h — where outputs come from: the built-in engine, an OpenAI-compatible HTTP server,
 * or a replay file of outputs produced elsewhere. One small interface for all three.
 *
 * A backend turns one eval_sample (prompt string, token ids, chat messages + tools, stop
 * strings, max new tokens) into raw output text. generate must be safe to call from several
 * threads at once when max_concurrency > 1 (HTTP); the runner never calls it concurrently
 * otherwise. A failure for one sample is returned as non-zero with a message and becomes that
 * sample's error status; a failure that makes every further sample pointless (server down after
 * all retries) additionally sets *fatal so the runner stops early, leaving the run resumable.
 */
#ifndef V4_BACKEND_H
#define V4_BACKEND_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "engine/v4.h"
#include "suites/suite.h"

typedef struct {
    char *output;          /* raw generated text, stop string excluded (malloc'ed) */
    int tokens_in;         /* prompt tokens (as counted by the backend, 0 if unknown) */
    int tokens_out;        /* generated tokens */
    double latency_s;      /* wall time of the generation */
    char finish[16];       /* "stop" (stop string), "eos", "length", "replay", … */
} backend_result;

typedef struct backend backend;
struct backend {
    const char *kind;      /* "builtin" | "openai" | "replay" */
    int max_concurrency;   /* how many generate calls may run at once (>= 1) */
    int max_context;       /* the model's window in tokens (0 = unknown) */
    const v4_tokenizer *tok; /* the model's tokenizer for length fitting, or NULL */
    /* generate: fills *r (output malloc'ed). Non-zero with err on failure; *fatal = 1 when the
     * run cannot continue (the runner stops after recording this sample). */
    int (*generate)(backend *b, const eval_sample *s, backend_result *r, int *fatal, char *err,
                    size_t errlen);
    /* describe: facts for manifest.json (a new cJSON object). */
    cJSON *(*describe)(const backend *b);
    void (*close)(backend *b);
    void *impl;
};

void backend_result_free(backend_result *r);

/* backend_cut_stops: the position of the earliest occurrence of any stop string in text (len
 * bytes), or len when none occurs. Empty stop strings are ignored. */
size_t backend_cut_stops(const char *text, size_t len, char *const *stops, int n_stops);

/* Options for opening any backend (fields not used by a kind are ignored). */
typedef struct {
    const char *spec;         /* "builtin" | "openai" | "replay:FILE.jsonl" */
    const char *model_dir;    /* builtin: model directory */
    const char *tokenizer;    /* tokenizer.json (default MODEL_DIR/tokenizer.json) */
    int qat;                  /* builtin: QAT emulations on (1, default) / off (0) */
    int threads;              /* builtin: OpenMP threads (0 = default) */
    unsigned long long seed;  /* sampling seed (greedy ignores it) */
    float temperature;        /* 0 = greedy (default) */
    const char *base_url;     /* openai: e.g. http://127.0.0.1:8000/v1 */
    const char *api_model;    /* openai: model name sent in requests */
    const char *api_key_env;  /* openai: environment variable holding the API key (may be NULL) */
    int concurrency;          /* openai: parallel requests (default 1) */
    double timeout_s;         /* openai: per-request timeout (default 600) */
    int retries;              /* openai: retries on 429/5xx/connection errors (default 3) */
    double backoff_s;         /* openai: first backoff delay, doubled per retry (default 1) */
} backend_opts;

/* backend_opts_default: builtin, qat on, greedy, concurrency 1, timeout 600 s, 3 retries. */
backend_opts backend_opts_default(void);

/* backend_open: opens the backend named by o->spec. Non-zero with one line in err (unknown
 * kind, unreadable model, unreachable server, malformed replay file with file:line). */
int backend_open(const backend_opts *o, backend **out, char *err, size_t errlen);

/* The kinds, also usable directly (tests). */
int backend_replay_open(const char *path, backend **out, char *err, size_t errlen);
int backend_openai_open(const backend_opts *o, backend **out, char *err, size_t errlen);
int backend_builtin_open(const backend_opts *o, backend **out, char *err, size_t errlen);

#endif /* V4_BACKEND_H */
