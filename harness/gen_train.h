/*
 * gen_train.h — training data from the suite generators (the `v4eval gen-train` subcommand).
 *
 * A training sample is a generated suite sample drawn from the TRAIN seed space
 * (suite_seed(..., train = 1), top bit set) together with the exact assistant text the model
 * should emit after its prompt. The completion is derived from what the generator knows:
 * meta.reference (math work + "#### N", the DSML tool-call block rendered by v4_dsml_render,
 * the fenced canonical code) or, for RULER tasks, the answers of the target rendered after the
 * answer prefix that already ends the prompt. Every completion ends with the EOS string.
 *
 * Invariant: gen-train never emits a sample whose prompt equals a prompt of the default eval
 * set of the same task and lengths (the prompt hashes are compared and collisions dropped).
 */
#ifndef V4_GEN_TRAIN_H
#define V4_GEN_TRAIN_H

#include <stddef.h>
#include <stdint.h>
#include "suites/suite.h"

#define GEN_TRAIN_EOS "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>"

/* gen_train_completion: the assistant text for sample s of a task of kind `kind`, ending with
 * the EOS string; malloc'ed into *out. Non-zero with err when the sample carries neither a
 * reference nor a target this function knows how to render. */
int gen_train_completion(const char *kind, const eval_sample *s, char **out, char *err,
                         size_t errlen);

/* gen_train_prompt_hash: 64-bit FNV-1a of a prompt string (collision checks). */
uint64_t gen_train_prompt_hash(const char *prompt);

#endif /* V4_GEN_TRAIN_H */
