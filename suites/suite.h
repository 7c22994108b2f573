/*
 * suite.h — what a suite is (data) and what a task produces (samples).
 *
 * A suite file (suites/NAME.json) names its tasks; each task has a generator or a dataset
 * loader, a prompt template, stop strings, max new tokens, scorer, lengths/depths, sample count
 * and seed. suite_load resolves it (defaults filled in, CLI overrides applied) and records a
 * content hash. Generators are deterministic in (task, seed, index); the eval seed space and the
 * train seed space are disjoint (suite_seed()).
 *
 * Arrows: suites → engine/v4.h (tokenizer, chat encoding). Never → harness.
 */
#ifndef V4_SUITE_H
#define V4_SUITE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cjson/cJSON.h>
#include "engine/v4.h"

/*
 * ---- Contract between suites/ and scorers/: scorer names and target formats ----------------
 *
 * eval_sample.scorer is one of the names below; eval_sample.target has the matching form.
 *
 *   "ruler_all"   RULER string_match_all. target: JSON array of answer strings, e.g.
 *                 ["8675309"] or ["ABCDE","FGHIJ",…]. Score = mean over refs of
 *                 (ref found case-insensitively as a substring of the output).
 *   "ruler_part"  RULER string_match_part. target: JSON array; 1 if any ref is found.
 *                 For both: the output is the continuation after meta.gen_prefix (RULER's
 *                 answer prefix, already at the end of the prompt).
 *   "gsm8k"       target: {"answer": "18", "mode": "strict"|"flexible"}. strict = the
 *                 "#### N" extraction, flexible = the last number (lm-eval's two filters);
 *                 mode says which is the primary score (report the other in details).
 *                 Math targets also carry "filter" (= mode) and "compare" ("numeric" for
 *                 generated problems, "exact" for GSM8K), the scorers' names for the same.
 *   "math_number" target: {"answer": "929", "mode": "flexible"}: last number in the output
 *                 (or "#### N" when present), numeric equality (ints, decimals, fractions).
 *   "math_boxed"  target: {"answer": "\frac{5}{6}", "mode": "strict"}: last \boxed{} of the
 *                 output, Hendrycks normalisation, then string/numeric equivalence.
 *   "humaneval", "mbpp", "code_synth"
 *                 target: {"prompt": …, "test": …, "entry_point": …, "test_setup_code": …,
 *                 "test_list": [ … ], "style": "instruct"|"completion"}.
 *                 humaneval/code_synth: test defines check(candidate); program = code + test +
 *                 "check(<entry_point>)". mbpp: program = test_setup_code + code + each of
 *                 test_list (asserts); test is "" and entry_point is the function name taken
 *                 from the reference code. style "completion" (raw template): code = prompt +
 *                 output cut at the stop strings. style "instruct" (chat): code = the first
 *                 ```python fenced block of the output (else the whole output); when it does
 *                 not define entry_point, prepend prompt (HumanEval's signature + docstring).
 *                 Fields that do not apply are "" / [] (never missing).
 *   "toolcall_ast" target: BFCL ground truth, a JSON array of single-key objects
 *                 [{"func_name": {"param": [allowed values…]}}]; "" in a list means the
 *                 optional parameter may be omitted. Order-free matching when more than one
 *                 call is expected (parallel categories). The function docs with their types
 *                 (BFCL form: "type": "dict", "integer", "float", …) are in meta.functions;
 *                 the same functions as OpenAI tools are in eval_sample.tools.
 *   "toolcall_irrelevance" target: []; passes iff the output has no tool call.
 *
 * Generated samples also carry meta.reference (when the generator knows one): an output that
 * the scorer must accept — used to build training data and to test scorers end to end. Length
 * tasks carry meta.prompt_tokens, meta.real_length (prompt + max_new_tokens),
 * meta.needle_token_pos (first needle's token index, -1 if none), meta.needle_token_positions,
 * meta.depth_actual and meta.gen_prefix.
 * ---------------------------------------------------------------------------------------------
 */

/* One evaluation sample, fully materialised. Owned by whoever called the generator;
 * free with eval_sample_free. */
typedef struct {
    char *id;              /* stable sample id: the dataset's own id (HumanEval/MBPP task_id,
                              BFCL id, "gsm8k/<line-1>", MATH unique_id) or "task/len/index",
                              "task/len/dDEPTH%/index" (grid), "task/index" (generators) */
    char *suite;           /* suite name */
    char *task;            /* task name */
    int length;            /* target context length in model tokens (0 = not a length task) */
    double depth;          /* needle depth in [0,1], or -1 */
    char *prompt;          /* the exact prompt string given to the model (chat-encoded or raw) */
    int chat;              /* 1 = prompt was built with the V4 chat encoding */
    int thinking;          /* 1 = thinking mode prompt */
    int32_t *prompt_ids;   /* prompt token ids when a tokenizer was available, else NULL */
    int n_prompt_ids;
    cJSON *messages;       /* the chat messages (for HTTP chat backends), or NULL */
    cJSON *tools;          /* OpenAI tools array for tool tasks, or NULL */
    cJSON *target;         /* expected answer(s), scorer-specific */
    cJSON *meta;           /* generator facts: needle token position, real length, … */
    char **stops;          /* stop strings */
    int n_stops;
    int max_new_tokens;
    char *scorer;          /* scorer name (scorers/scorer.h) */
} eval_sample;

void eval_sample_free(eval_sample *s);

/* A resolved task of a suite. */
typedef struct {
    char *name;            /* e.g. "niah_single_1" */
    char *kind;            /* generator or loader name, e.g. "niah", "vt", "humaneval" */
    cJSON *params;         /* the task's own parameters from the suite file */
    char *template_name;   /* "chat" or "raw" */
    char **stops; int n_stops;
    int max_new_tokens;
    char *scorer;
    int *lengths; int n_lengths;   /* 0 entries for non-length tasks */
    double *depths; int n_depths;  /* 0 entries when the task has no depth axis */
    int n_samples;         /* per (length, depth) cell */
    uint64_t seed;
    char *data_path;       /* dataset file for loaders, NULL for generators */
    /* added by the suites helper: */
    char *suite_name;      /* the suite this task came from (differs per task under "all") */
    int thinking;          /* 1 = thinking-mode chat prompts */
    int limit;             /* --limit as applied (0 = none); see suite_task_count */
    void *cache;           /* loader data / tokenized haystack units (owned, freed by suite_free) */
} suite_task;

typedef struct {
    char *name;
    char *path;
    suite_task *tasks; int n_tasks;
    char hash[65];         /* sha256 hex of the resolved suite JSON */
    cJSON *resolved;       /* resolved suite JSON */
    /* added by the suites helper: */
    char *haystack_dir;    /* --haystack-dir as applied (NULL = generated filler) */
    char **skipped; int n_skipped; /* "task: reason" for optional tasks left out (no data) */
} suite;

/* Overrides from the CLI; zero/NULL fields mean "as in the suite file". */
typedef struct {
    const char **tasks; int n_tasks;     /* keep only these tasks */
    const int *lengths; int n_lengths;
    int limit;                           /* max samples per task (0 = all); per (length,
                                            depth) cell for length tasks */
    uint64_t seed;                       /* 0 = suite default; otherwise moves into a new part of the eval seed space */
    const char *data_path;               /* dataset file/dir for loaders */
    const char *haystack_dir;            /* user haystack text */
} suite_overrides;

/* suite_load: loads suites/NAME.json (or a path), applies overrides, resolves. One error line
 * (file, field, expected vs found) on failure. "all" loads every suite. */
int suite_load(const char *name_or_path, const suite_overrides *ov, suite **out, char *err,
               size_t errlen);
void suite_free(suite *s);

/* Context for materialising samples. tok may be NULL (then lengths are approximated and
 * prompt_ids is NULL); max_context is the model's window (0 = unknown). */
typedef struct {
    const v4_tokenizer *tok;
    int max_context;
    const char *haystack_dir;
    int train;             /* added: 1 = draw from the train seed space (training data) */
} suite_ctx;

/* suite_task_count: number of samples the task will produce. Length tasks: lengths × depths
 * × samples, where --limit caps the samples per (length, depth) cell; other tasks: samples
 * (0 = the whole dataset for loaders) capped by --limit. Sample `index` orders length tasks
 * length-major, then depth, then sample number. */
int suite_task_count(const suite_task *t);

/* suite_check_window (added): non-zero with one error line when a length task of s asks for a
 * length above max_context (the model's window), so a run can refuse before it starts;
 * 0 when everything fits or max_context <= 0 (unknown). */
int suite_check_window(const suite *s, int max_context, char *err, size_t errlen);
/* suite_task_sample: materialise sample `index` (0 <= index < count) of task t. Deterministic.
 * Non-zero with err for a bad dataset line (file:line) or a length beyond max_context. */
int suite_task_sample(const suite *s, const suite_task *t, int index, const suite_ctx *ctx,
                      eval_sample *out, char *err, size_t errlen);
/* suite_task_sample_keep_id (added): as suite_task_sample; with keep_id = 1 a failed sample
 * keeps its own id (e.g. gsm8k/<line> for a malformed line; NULL when the kind could not tell)
 * in out->id for the error record — the caller then frees out with eval_sample_free. */
int suite_task_sample_keep_id(const suite *s, const suite_task *t, int index, const suite_ctx *ctx,
                              eval_sample *out, int keep_id, char *err, size_t errlen);

/* suite_export_jsonl (added): writes every sample of every task of s as one JSON line —
 * {"id", "suite", "task", "length", "depth", "scorer", "max_new_tokens", "prompt",
 *  "prompt_tokens", "reference", "target", "seed", "train"} — for building training data
 * (ctx->train = 1 draws from the train seed space) or inspecting a suite. A sample that fails
 * is written as {"id", "task", "error"} and counted in *n_errors; returns non-zero only when
 * the output cannot be written. */
int suite_export_jsonl(const suite *s, const suite_ctx *ctx, FILE *out, int *n_written,
                       int *n_errors, char *err, size_t errlen);

/* Seed spaces: eval seeds have the top bit clear, train seeds have it set. suite_seed mixes
 * (base, task name, index) with splitmix64; generators seed their xoshiro256** with it. For
 * length tasks base is the task seed mixed with the cell's length and depth values, so a cell
 * keeps its samples when --lengths or --limit change the grid around it. */
#define SUITE_TRAIN_SEED_BIT (1ULL << 63)
uint64_t suite_seed(uint64_t base, const char *task, int index, int train);

#endif /* V4_SUITE_H */
