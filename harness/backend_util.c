/*
 * backend_util.c — the pieces every backend shares: result cleanup, stop-string cutting and
 * default options.
 */
#include <stdlib.h>
#include <string.h>
#include "harness/backend.h"

void backend_result_free(backend_result *r) {
    free(r->output);
    memset(r, 0, sizeof *r);
}

size_t backend_cut_stops(const char *text, size_t len, char *const *stops, int n_stops) {
    size_t best = len;
    for (int i = 0; i < n_stops; i++) {
        size_t sl = stops[i] ? strlen(stops[i]) : 0;
        if (!sl || sl > len) continue;
        const char *hit = memmem(text, len, stops[i], sl);
        if (hit && (size_t)(hit - text) < best) best = (size_t)(hit - text);
    }
    return best;
}

backend_opts backend_opts_default(void) {
    backend_opts o;
    memset(&o, 0, sizeof o);
    o.spec = "builtin";
    o.qat = 1;
    o.concurrency = 1;
    o.timeout_s = 600;
    o.retries = 3;
    o.backoff_s = 1.0;
    return o;
}
