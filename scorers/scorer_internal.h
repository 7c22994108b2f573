/*
 * scorer_internal.h — the contract between the scorer files (not for the harness).
 *
 * Every scorer is a function of the same shape (scorer_fn). scorer_run (scorer.c) looks the name
 * up, prepares an empty result with a details object, splits off the thinking part where the
 * scorer wants the plain answer, and calls it. A scorer never fails the call: a problem with the
 * sample itself (malformed target) becomes status SCORE_ERROR with details.error set.
 *
 * Invariants: r->details is a cJSON object when a scorer is called; r->extracted is NULL on entry.
 */
#ifndef V4_SCORER_INTERNAL_H
#define V4_SCORER_INTERNAL_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "scorers/scorer.h"

/* A scorer: `answer` is the model output with the thinking part removed (or the raw output for
 * scorers that parse thinking themselves). Always fills r; returns 0. */
typedef int (*scorer_fn)(const eval_sample *s, const char *answer, score_result *r);

/* Scorer entry points (one per public scorer name). */
int match_score_all(const eval_sample *s, const char *answer, score_result *r);
int match_score_part(const eval_sample *s, const char *answer, score_result *r);
int math_score_gsm8k(const eval_sample *s, const char *answer, score_result *r);
int math_score_boxed(const eval_sample *s, const char *answer, score_result *r);
int math_score_number(const eval_sample *s, const char *answer, score_result *r);
int code_score_humaneval(const eval_sample *s, const char *answer, score_result *r);
int code_score_mbpp(const eval_sample *s, const char *answer, score_result *r);
int code_score_synth(const eval_sample *s, const char *answer, score_result *r);
int toolcall_score_ast(const eval_sample *s, const char *output, score_result *r);
int toolcall_score_irrelevance(const eval_sample *s, const char *output, score_result *r);

/* scorer_split_thinking: the answer part of `output`. Everything up to and including the first
 * "</think>" is the thinking part; it is stored as details.thinking. When the sample is a
 * thinking-mode prompt and no "</think>" occurs, the model never finished thinking: the answer
 * is "" and details.thinking_unterminated is true. Returns a pointer into `output` (or to ""). */
const char *scorer_split_thinking(const eval_sample *s, const char *output, cJSON *details);

/* scorer_error: marks r as SCORE_ERROR (score 0) with details.error = formatted message. */
void scorer_error(score_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* scorer_set_pass: score = passed ? 1 : 0, status SCORE_OK. */
void scorer_set_pass(score_result *r, int passed);

/* scorer_strdup / scorer_strndup: malloc'ed copies (NULL only when out of memory). */
char *scorer_strdup(const char *s);
char *scorer_strndup(const char *s, size_t n);

/* scorer_target_field: when the target is an object, its member `key`; otherwise NULL. */
const cJSON *scorer_target_field(const eval_sample *s, const char *key);

/* ---- math helpers (math_norm.c) ---- */

/* math_strip_string: the Hendrycks MATH normalisation (math_equivalence.py _strip_string).
 * Returns a malloc'ed string, or NULL where the reference raises (a "\text{ " split into more
 * than two parts, "\sqrt" or "\frac" at the very end); is_equiv then compares raw strings. */
char *math_strip_string(const char *in);

/* math_is_equiv: Hendrycks is_equiv: strip both, compare; raw compare when stripping fails. */
int math_is_equiv(const char *a, const char *b);

/* An exact rational p/q (q > 0, reduced). */
typedef struct { __int128 p, q; } math_rational;

/* math_parse_number: parses an exact number: optional sign, optional "$", integer with optional
 * thousands commas ("1,234" — groups of exactly three), decimal ("0.5", ".5", "5."), a/b, or
 * \frac{a}{b} / \dfrac / \tfrac (a, b integers, optionally signed); surrounding spaces, a
 * trailing "." and "\%"/"%" are not accepted (the caller normalises). Returns 1 and fills *out,
 * or 0 when the text is not such a number or needs more than 36 digits. */
int math_parse_number(const char *text, math_rational *out);

/* math_parse_loose: math_parse_number of the text, or else of its math_strip_string form
 * ("\\frac12", "10\\text{ cm}", "x = 5"). */
int math_parse_loose(const char *text, math_rational *out);

/* math_numeric_equiv: 1 when both parse (math_parse_number) to the same rational. */
int math_numeric_equiv(const char *a, const char *b);

/* ---- code helpers (code.c) ---- */

/* code_cut_stops: length of the raw completion up to the earliest HumanEval stop string
 * ("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#"). */
size_t code_cut_stops(const char *completion);

/* code_first_fence: the first ```python / ```py / ```python3 fenced block of a chat answer, else
 * the first fenced block of any kind, malloc'ed; an unclosed fence runs to the end. NULL when
 * there is no fence. */
char *code_first_fence(const char *answer);

/* ---- tool-call AST checker (toolcall_ast.c) ---- */

/* toolcall_ast_check: BFCL AST check of decoded calls against a ground truth.
 *   calls:     JSON array of {"name": str, "arguments": object}  (decoded model calls)
 *   functions: JSON array of function docs — BFCL ({"name", "parameters": {"type": "dict",
 *              "properties", "required"}}) or OpenAI tools ({"type": "function", "function":
 *              {…}}) — used for the schema of each expected function
 *   truth:     BFCL ground truth, [{"func_name": {"param": [acceptable values…]}}, …]
 * Returns 1 when every expected call is matched to a distinct model call (order-free) and the
 * counts agree; 0 otherwise with error_type (BFCL-style, e.g. "simple_function_checker:
 * missing_required") and a one-line message written to the buffers. -1 when truth/functions
 * are malformed (message in msg). */
int toolcall_ast_check(const cJSON *calls, const cJSON *functions, const cJSON *truth,
                       char *error_type, size_t etlen, char *msg, size_t msglen);

/* toolcall_standardize_string: BFCL's string standardisation: remove ' ' , . / - _ * ^,
 * lower-case (Python's str.lower() for Latin, Greek, Cyrillic, Armenian, fullwidth letters),
 * and turn ' into ". Malloc'ed. */
char *toolcall_standardize_string(const char *s);

#endif /* V4_SCORER_INTERNAL_H */
