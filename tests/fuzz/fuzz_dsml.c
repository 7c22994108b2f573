/*
 * fuzz_dsml.c — libFuzzer target for the DSML completion parser (engine/dsml.c), plus the
 * renderer and the chat encoder on the same bytes read as JSON.
 *
 * The first byte picks chat or thinking mode; the rest is the completion. A successful parse
 * must produce valid JSON (checked with cJSON); a failure must come with a message. The NUL-
 * terminated input is also fed to v4_dsml_render and v4_chat_encode, which must not crash.
 * Built by scripts/run-fuzz with -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "engine/v4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    int thinking = data[0] & 1;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    char err[V4_ERRLEN], *json = NULL;
    err[0] = 0;
    if (v4_dsml_parse(text, len, thinking, &json, err, sizeof err) == 0) {
        cJSON *v = cJSON_Parse(json);
        /* the output is JSON unless the input held a NUL (cJSON strings stop there) */
        if (!v && !memchr(text, 0, len)) abort();
        cJSON_Delete(v);
        free(json);
    } else if (!err[0]) {
        abort();
    }
    char *z = malloc(len + 1);
    if (!z) return 0;
    memcpy(z, text, len);
    z[len] = 0;
    char *out = NULL;
    if (v4_dsml_render(z, &out, err, sizeof err) == 0) free(out);
    v4_chat_opts o = v4_chat_opts_default();
    o.thinking = thinking;
    o.effort = (data[0] & 2) ? "max" : NULL;
    if (v4_chat_encode(z, (data[0] & 4) ? "[{\"type\": \"function\", \"function\": {\"name\": \"f\"}}]" : NULL, &o, &out, err, sizeof err) == 0) free(out);
    free(z);
    return 0;
}
