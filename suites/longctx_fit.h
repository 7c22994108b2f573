/*
 * longctx_fit.h — shared machinery of the long-context generators (longctx*.c): the per-task
 * cache of tokenized haystack units, the length fitter, needle token positions, RULER's key and
 * value generators and the common sample fields of length tasks.
 *
 * The fitter's contract: given a build(n) that renders the full prompt with n haystack units
 * and a monotone estimate est(n) from per-unit token counts, lc_fit_run returns the largest n
 * whose real prompt fits the budget (upper and lower bracket one unit apart, or the gap below
 * the budget smaller than the smallest unit), never a prompt over the budget, with its token
 * ids from one real tokenization. Callers hold the task cache mutex while using lc_cache.
 */
#ifndef V4_LONGCTX_FIT_H
#define V4_LONGCTX_FIT_H

#include "suites/haystack.h"
#include "suites/suite_kinds.h"

#define NIAH_NEEDLE "One of the special magic %s for %s is: %s."

/* Per-task cache: tokenized filler units. */
typedef struct {
    const v4_tokenizer *tok;   /* tokenizer the counts belong to (NULL = approximation) */
    int approx;                /* 1 when counts are approximations */
    /* essay / user-text units, each with its leading joiner */
    char **units; long *utok; long n_units, cap;
    long *upre;                /* [n_units + 1] prefix sums of utok */
    srng stream;               /* generated-essay sentence stream */
    hs_text user; int user_loaded;
    long noise_tok;            /* tokens of "\n" + noise line; -1 = not computed */
    long vt_noise_tok;         /* tokens of " " + noise line + "\n" */
    int16_t *tok_bytes;        /* [vocab] byte length of each token id, -1 unknown */
    int vocab;
} lc_cache;

/* lc_get_cache: the task's cache for ctx's tokenizer (reset when the tokenizer changes). */
lc_cache *lc_get_cache(const suite_task *t, const suite_ctx *ctx);
/* lc_count_text: tokens of a haystack unit (no special tokens), -1 with err. */
long lc_count_text(const suite_ctx *ctx, const char *s, size_t n, char *err, size_t errlen);
/* lc_essay_units_ensure: at least n essay units (generated prose or --haystack-dir text). */
int lc_essay_units_ensure(lc_cache *c, const suite *s, const suite_ctx *ctx, long n, char *err,
                          size_t errlen);

typedef struct {
    void *u;
    /* est: estimated prompt tokens with n haystack units (monotone in n) */
    long (*est)(void *u, long n);
    /* build: the full prompt with n units (malloc'ed) */
    int (*build)(void *u, long n, char **prompt, char *err, size_t errlen);
    long n_max;     /* largest allowed n */
    long unit_min;  /* fewest tokens one unit adds (stopping rule), >= 1 */
} lc_fit;

typedef struct {
    long n;          /* units used */
    char *prompt;
    int32_t *ids; long n_ids;
    int iterations;  /* tokenizations of the full prompt */
} lc_fit_result;

/* lc_fit_run: see the header comment; what names the task/length in errors. */
int lc_fit_run(const suite_ctx *ctx, lc_fit *f, long budget, const char *what,
               lc_fit_result *r, char *err, size_t errlen);

/* lc_gen_random: a RULER key/value of type "words" (adjective-noun), "numbers" (7 digits) or
 * "uuids" (UUID4). */
void lc_gen_random(srng *r, const char *type, char *buf, size_t n);
/* lc_add_reference: meta.reference = answers joined by sep after lead, RULER's "…, and x"
 * wording when oxford, then tail. */
void lc_add_reference(cJSON *meta, const cJSON *answers, const char *lead, const char *sep,
                      int oxford, const char *tail);
/* lc_cell_id: "task/length/index" or "task/length/dDEPTH/index"; sets length and depth. */
char *lc_cell_id(const suite_task *t, int index, int *length, double *depth);
/* lc_check_window: refuses a length above the model's window or without room for the prompt. */
int lc_check_window(const suite_task *t, int length, const suite_ctx *ctx, char *err,
                    size_t errlen);
/* lc_finish_length_sample: moves the fitted prompt/ids into out and records length, real
 * length and the token positions of the given needle texts in meta. */
int lc_finish_length_sample(const suite_ctx *ctx, lc_cache *c, eval_sample *out,
                            lc_fit_result *fr, int length, long units, const char *gen_prefix,
                            char **needles, int n_needles, char *err, size_t errlen);

#endif /* V4_LONGCTX_FIT_H */
