/*
 * tokenizer.h — engine-internal entry points of the byte-level BPE tokenizer (tokenizer.c).
 *
 * The public API (v4_tokenizer_load, v4_tokenize, v4_detokenize, v4_token_id,
 * v4_tokenizer_vocab_size) lives in engine/v4.h; this header adds loading from memory, used by
 * the loader fuzz target and by tests that build tokenizer.json text on the fly.
 */
#ifndef V4_TOKENIZER_H
#define V4_TOKENIZER_H

#include <stddef.h>
#include "engine/v4.h"

/* tokenizer_load_json: like v4_tokenizer_load, from len bytes of tokenizer.json text; name is
 * used in error messages (e.g. the file path). */
int tokenizer_load_json(const char *json, size_t len, const char *name, v4_tokenizer **out,
                        char *err, size_t errlen);

#endif /* V4_TOKENIZER_H */
