/*
 * code_internal.h — shared by the code suite's kinds (code.c: HumanEval/MBPP loaders and the
 * prompt/target building; code_synth.c: the synthetic function families): the target object
 * agreed with scorers/ (suite.h), the benchmark stop strings, and the chat/raw prompt step.
 */
#ifndef V4_CODE_INTERNAL_H
#define V4_CODE_INTERNAL_H

#include "suites/suite_kinds.h"

/* HumanEval's completion stop strings (raw template only). */
extern const char *const CODE_HUMANEVAL_STOPS[];

/* code_target: {"prompt","test","entry_point","test_setup_code","test_list","style"}. */
cJSON *code_target(const char *prompt, const char *test, const char *entry, const char *setup,
                   const cJSON *test_list, int instruct);
/* code_set_stops: the benchmark's stop strings on a raw-template sample without explicit ones. */
void code_set_stops(eval_sample *out, const suite_task *t, const char *const *stops);
/* code_finish: the prompt for a function task — instruct (chat: complete the function in a
 * ```python block) or the bare signature + docstring (raw) — then tokenization. */
int code_finish(const suite_task *t, const char *fn_prompt, const suite_ctx *ctx,
                eval_sample *out, char *err, size_t errlen);
/* code_noparams: validation for kinds without params. */
int code_noparams(const char *where, const suite_task *t, char *err, size_t errlen);

#endif /* V4_CODE_INTERNAL_H */
