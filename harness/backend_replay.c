/*
 * backend_replay.c — replay:FILE.jsonl: outputs produced elsewhere, keyed by sample id.
 *
 * Each non-blank line is {"id": "...", "output": "..."} (optional "tokens_in"/"tokens_out"
 * numbers are carried over). The whole file is validated at open: a malformed line or a
 * duplicate id is reported as FILE:LINE and the run does not start. A sample whose id is not in
 * the file gets status error ("no output for id …"); it never aborts the run. No stop strings
 * are applied: the outputs are taken as they were produced.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness/backend.h"
#include "harness/hutil.h"

typedef struct {
    char *id, *output;
    int tokens_in, tokens_out;
} replay_entry;

typedef struct {
    char *path;
    replay_entry *e; int n;
    int *slots; size_t n_slots;  /* open addressing: index+1 into e, 0 = empty */
} replay_impl;

static uint64_t h64(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int *slot_of(replay_impl *r, const char *id) {
    size_t i = h64(id) & (r->n_slots - 1);
    while (r->slots[i] && strcmp(r->e[r->slots[i] - 1].id, id)) i = (i + 1) & (r->n_slots - 1);
    return &r->slots[i];
}

static int replay_generate(backend *b, const eval_sample *s, backend_result *res, int *fatal,
                           char *err, size_t errlen) {
    replay_impl *r = b->impl;
    (void)fatal;
    memset(res, 0, sizeof *res);
    int k = *slot_of(r, s->id);
    if (!k) {
        snprintf(err, errlen, "replay file %s has no output for id '%s'", r->path, s->id);
        return 1;
    }
    const replay_entry *e = &r->e[k - 1];
    res->output = hutil_strdup(e->output);
    res->tokens_in = e->tokens_in ? e->tokens_in : s->n_prompt_ids;
    res->tokens_out = e->tokens_out;
    snprintf(res->finish, sizeof res->finish, "replay");
    return 0;
}

static cJSON *replay_describe(const backend *b) {
    const replay_impl *r = b->impl;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", "replay");
    cJSON_AddStringToObject(o, "file", r->path);
    cJSON_AddNumberToObject(o, "entries", r->n);
    size_t len;
    char *data = hutil_read_file(r->path, &len);
    if (data) {
        char hex[65];
        sha256_hex_of(data, len, hex);
        cJSON_AddStringToObject(o, "sha256", hex);
        free(data);
    }
    return o;
}

static void replay_close(backend *b) {
    if (!b) return;
    replay_impl *r = b->impl;
    if (r) {
        for (int i = 0; i < r->n; i++) { free(r->e[i].id); free(r->e[i].output); }
        free(r->e); free(r->slots); free(r->path); free(r);
    }
    free(b);
}

int backend_replay_open(const char *path, backend **out, char *err, size_t errlen) {
    size_t len;
    char *data = hutil_read_file(path, &len);
    if (!data) {
        snprintf(err, errlen, "%s: cannot read replay file: %s", path, strerror(errno));
        return 1;
    }
    backend *b = calloc(1, sizeof *b);
    replay_impl *r = calloc(1, sizeof *r);
    b->impl = r;
    b->kind = "replay";
    b->max_concurrency = 1;
    b->generate = replay_generate;
    b->describe = replay_describe;
    b->close = replay_close;
    r->path = hutil_strdup(path);
    int lines = 0;
    for (size_t i = 0; i < len; i++) lines += data[i] == '\n';
    r->e = calloc((size_t)lines + 1, sizeof *r->e);
    r->n_slots = 16;
    while (r->n_slots < (size_t)lines * 2 + 2) r->n_slots *= 2;
    r->slots = calloc(r->n_slots, sizeof *r->slots);
    char *p = data;
    int line_no = 0, rc = 0;
    while (*p && !rc) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = 0;
        line_no++;
        if (p[strspn(p, " \t\r")]) {
            cJSON *o = cJSON_Parse(p);
            const char *id = NULL, *output = NULL;
            const cJSON *idv = o ? cJSON_GetObjectItemCaseSensitive(o, "id") : NULL;
            char idbuf[32];
            if (cJSON_IsString(idv)) id = idv->valuestring;
            else if (cJSON_IsNumber(idv)) { snprintf(idbuf, sizeof idbuf, "%.17g", idv->valuedouble); id = idbuf; }
            output = hutil_json_str(o, "output", NULL);
            if (!o || !cJSON_IsObject(o)) {
                snprintf(err, errlen, "%s:%d: not a JSON object", path, line_no);
                rc = 1;
            } else if (!id) {
                snprintf(err, errlen, "%s:%d: expected field 'id' (string or number)", path, line_no);
                rc = 1;
            } else if (!output) {
                snprintf(err, errlen, "%s:%d: expected string field 'output'", path, line_no);
                rc = 1;
            } else {
                int *slot = slot_of(r, id);
                if (*slot) {
                    snprintf(err, errlen, "%s:%d: duplicate id '%s'", path, line_no, id);
                    rc = 1;
                } else {
                    replay_entry *e = &r->e[r->n++];
                    e->id = hutil_strdup(id);
                    e->output = hutil_strdup(output);
                    e->tokens_in = (int)hutil_json_num(o, "tokens_in", 0);
                    e->tokens_out = (int)hutil_json_num(o, "tokens_out", 0);
                    *slot = r->n;
                }
            }
            cJSON_Delete(o);
        }
        if (!nl) break;
        p = nl + 1;
    }
    free(data);
    if (rc) { replay_close(b); return 1; }
    *out = b;
    return 0;
}
