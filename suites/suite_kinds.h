/*
 * suite_kinds.h — the internal table of task kinds (generators and dataset loaders).
 *
 * A suite file names a task's "kind"; the kind supplies defaults (scorer, max new tokens,
 * stop strings, whether the task has a length axis or reads a dataset), validates the task's
 * "params" object, and materialises sample `index`. Each kind lives in the module of its suite
 * (longctx.c, math.c, toolcall.c, code.c); suite.c only dispatches.
 *
 * Invariant: make() is a pure function of (resolved task, index, tokenizer, seed space); it
 * may fill t->cache with data that depends only on those (dataset lines, tokenized haystack
 * units) under the cache mutex.
 */
#ifndef V4_SUITE_KINDS_H
#define V4_SUITE_KINDS_H

#include <pthread.h>
#include "suites/suite.h"
#include "suites/suite_util.h"

typedef struct {
    pthread_mutex_t mu;
    suite_lines data;      /* loaders: the dataset file */
    suite_lines answers;   /* BFCL: the possible-answer file (may be empty) */
    cJSON *answer_index;   /* BFCL: {id: ground_truth} */
    void *state;           /* kind-specific cache (e.g. tokenized haystack units) */
    void (*state_free)(void *);
} suite_task_cache;

typedef struct suite_kind {
    const char *name;
    int length_task;               /* 1 = samples on a lengths (× depths) grid */
    int loader;                    /* 1 = reads t->data_path */
    const char *default_data;      /* loaders: default file (relative to the repo root) */
    const char *scorer;            /* default scorer */
    const char *template_name;     /* default template: "chat" or "raw" */
    int max_new_tokens;            /* default */
    const char *const *stops;      /* default stop strings, NULL-terminated (may be NULL) */
    /* validate: checks t->params (where = "file: tasks[i]" for messages). */
    int (*validate)(const char *where, const suite_task *t, char *err, size_t errlen);
    /* prepare: after validation and overrides (loaders read their files here); may be NULL. */
    int (*prepare)(suite_task *t, suite_task_cache *c, char *err, size_t errlen);
    /* make: materialise sample `index`; seed is suite_seed(t->seed, t->name, index, train). */
    int (*make)(const suite *s, const suite_task *t, int index, uint64_t seed,
                const suite_ctx *ctx, eval_sample *out, char *err, size_t errlen);
} suite_kind;

const suite_kind *suite_kind_find(const char *name);
/* suite_kind_names: comma-separated list of kinds, for error messages. */
const char *suite_kind_names(void);

/* Kinds defined by the suite modules. */
extern const suite_kind suite_kind_niah, suite_kind_vt, suite_kind_cwe, suite_kind_fwe;
extern const suite_kind suite_kind_arith, suite_kind_wordprob, suite_kind_gsm8k,
    suite_kind_math;
extern const suite_kind suite_kind_toolcall, suite_kind_bfcl;
extern const suite_kind suite_kind_code_synth, suite_kind_humaneval, suite_kind_mbpp;

/* suite_task_cell: splits a length task's flat index into (length, depth, sample) indices. */
void suite_task_cell(const suite_task *t, int index, int *li, int *di, int *si);

/* Helpers for params validation: each writes "where: params.key: expected …, found …". */
int sv_enum(const char *where, const cJSON *params, const char *key, const char *const *allowed,
            char *err, size_t errlen);
int sv_int(const char *where, const cJSON *params, const char *key, int lo, int hi, char *err,
           size_t errlen);
int sv_num(const char *where, const cJSON *params, const char *key, double lo, double hi,
           char *err, size_t errlen);
int sv_known(const char *where, const cJSON *params, const char *const *keys, char *err,
             size_t errlen);
const char *sv_type_name(const cJSON *v);

#endif /* V4_SUITE_KINDS_H */
