/*
 * backend.c — backend_open: picks the kind named by the --backend spec.
 */
#include <stdio.h>
#include <string.h>
#include "harness/backend.h"

int backend_open(const backend_opts *o, backend **out, char *err, size_t errlen) {
    const char *spec = o->spec ? o->spec : "builtin";
    if (!strcmp(spec, "builtin")) return backend_builtin_open(o, out, err, errlen);
    if (!strcmp(spec, "openai")) return backend_openai_open(o, out, err, errlen);
    if (!strncmp(spec, "replay:", 7)) {
        if (!spec[7]) {
            snprintf(err, errlen, "--backend replay:FILE.jsonl: the file name is missing");
            return 1;
        }
        return backend_replay_open(spec + 7, out, err, errlen);
    }
    snprintf(err, errlen, "--backend: unknown backend '%s' (expected builtin, openai or "
             "replay:FILE.jsonl)", spec);
    return 1;
}
