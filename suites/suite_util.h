/*
 * suite_util.h — small building blocks shared by the suite loader and the task generators:
 * a growable string buffer, a keyed deterministic RNG (splitmix64 seeding a xoshiro256**),
 * SHA-256, whole-file and JSON-lines reading (plain or gzip through libarchive), and the
 * prompt/sample finishing step every task uses.
 *
 * Invariants: the RNG output depends only on its 64-bit seed (no global state), so a
 * generator seeded with suite_seed(base, task, index, train) is reproducible byte for byte on
 * every machine; every buffer here is malloc'ed and released by its own *_free.
 */
#ifndef V4_SUITE_UTIL_H
#define V4_SUITE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "suites/suite.h"

/* ---- string buffer ------------------------------------------------------------------------ */
typedef struct {
    char *s;     /* NUL-terminated text, NULL until the first append */
    size_t n;    /* bytes used (excluding the NUL) */
    size_t cap;
} sbuf;

void sbuf_put(sbuf *b, const char *s, size_t n);      /* append n bytes */
void sbuf_puts(sbuf *b, const char *s);                /* append a C string */
void sbuf_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *sbuf_take(sbuf *b);                              /* the text (never NULL); b is reset */
void sbuf_free(sbuf *b);

/* ---- deterministic RNG -------------------------------------------------------------------- */
typedef struct { uint64_t s[4]; } srng;

uint64_t splitmix64(uint64_t *state);
void srng_init(srng *r, uint64_t seed);
uint64_t srng_next(srng *r);
uint64_t srng_below(srng *r, uint64_t n);              /* uniform in [0, n), n > 0, unbiased */
int64_t srng_range(srng *r, int64_t lo, int64_t hi);   /* uniform in [lo, hi] */
double srng_unit(srng *r);                             /* uniform in [0, 1) */
void srng_shuffle_int(srng *r, int *a, int n);          /* Fisher–Yates */
/* srng_sample: k distinct ints from [0, n) in random order into out (k <= n). */
void srng_sample(srng *r, int n, int k, int *out);
uint64_t suite_hash_str(const char *s);                /* FNV-1a 64 of a string */

#include "suites/sha256.h"   /* sha256_hex_of: content hashes */

/* ---- files -------------------------------------------------------------------------------- */
/* suite_read_file: the whole file, decompressed when it is gzip (magic 1f 8b). NULL with err. */
char *suite_read_file(const char *path, size_t *len, char *err, size_t errlen);

/* A JSONL file split into its non-blank lines; line numbers are 1-based physical lines. A file
 * whose first non-blank character is '[' is one JSON array of records instead (e.g. MBPP's
 * sanitized-mbpp.json): one item per element, lineno = the line where the element starts. */
typedef struct {
    char *path;
    char *buf;            /* file contents, lines NUL-terminated in place */
    char **lines; int *lineno; int n;
    char sha256[65];      /* of the (decompressed) contents */
    int array;            /* 1 = the file is one JSON array (items are its elements) */
} suite_lines;

int suite_lines_load(const char *path, suite_lines *out, char *err, size_t errlen);
void suite_lines_free(suite_lines *l);
/* suite_lines_parse: line i as a JSON object, NULL with "file:line: …" in err. */
cJSON *suite_lines_parse(const suite_lines *l, int i, char *err, size_t errlen);

/* ---- JSON helpers ------------------------------------------------------------------------- */
/* Fetch a string / number field; NULL / fallback when absent or of another type. */
const char *sj_str(const cJSON *o, const char *key);
double sj_num(const cJSON *o, const char *key, double fallback);
int sj_int(const cJSON *o, const char *key, int fallback);
int sj_bool(const cJSON *o, const char *key, int fallback);
char *sdup(const char *s);                              /* strdup that accepts NULL */

/* ---- token counting ------------------------------------------------------------------------ */
/* suite_count_tokens: tokens of text under ctx's tokenizer (no special tokens parsed unless
 * special != 0); without a tokenizer, the approximation ceil(bytes / 4). -1 with err on failure. */
long suite_count_tokens(const suite_ctx *ctx, const char *text, size_t len, int special,
                        char *err, size_t errlen);

/* ---- sample finishing --------------------------------------------------------------------- */
/* suite_build_prompt: builds the exact prompt for task t from a user message (and optional
 * system message, OpenAI tools array, and a generation prefix appended after the assistant
 * tag — RULER's answer prefix). Template "chat" uses v4_chat_encode; "raw" concatenates
 * system + user + gen_prefix. *messages_out (may be NULL) receives the chat messages. */
int suite_build_prompt(const suite_task *t, const char *system, const char *user,
                       const cJSON *tools, const char *gen_prefix, char **prompt_out,
                       cJSON **messages_out, char *err, size_t errlen);

/* suite_sample_init: fills the task-wide fields of out (id, suite, task, stops, scorer,
 * max_new_tokens, template flags); the generator fills prompt, target and meta. */
void suite_sample_init(const suite_task *t, const char *id, eval_sample *out);

/* suite_sample_tokenize: when ctx has a tokenizer, sets out->prompt_ids / n_prompt_ids and
 * meta.prompt_tokens; fails when prompt + max_new_tokens exceeds ctx->max_context. */
int suite_sample_tokenize(const suite_ctx *ctx, eval_sample *out, char *err, size_t errlen);

#endif /* V4_SUITE_UTIL_H */
