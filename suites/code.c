/*
 * code.c — the code suite's dataset kinds: HumanEval ("humaneval", .jsonl or .jsonl.gz) and
 * MBPP ("mbpp": mbpp.jsonl with text/test_setup_code, or sanitized-mbpp.json — one JSON array —
 * with prompt/test_imports), plus the prompt/target building shared with the synthetic tasks
 * ("code_synth", code_synth.c).
 *
 * Prompts: template "chat" asks for the whole function in a ```python block (style
 * "instruct"); template "raw" gives the bare prompt to complete (style "completion") with the
 * benchmarks' stop strings (HumanEval: \nclass \ndef \n# \nif \nprint; MBPP: [DONE]).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites/code_internal.h"

const char *const CODE_HUMANEVAL_STOPS[] = {"\nclass", "\ndef", "\n#", "\nif", "\nprint", NULL};
static const char *const MBPP_STOPS[] = {"[DONE]", NULL};

/* ---- shared prompt / target building --------------------------------------------------- */

cJSON *code_target(const char *prompt, const char *test, const char *entry, const char *setup,
                   const cJSON *test_list, int instruct) {
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "prompt", prompt);
    cJSON_AddStringToObject(t, "test", test);
    cJSON_AddStringToObject(t, "entry_point", entry);
    cJSON_AddStringToObject(t, "test_setup_code", setup ? setup : "");
    cJSON_AddItemToObject(t, "test_list", test_list ? cJSON_Duplicate(test_list, 1) : cJSON_CreateArray());
    cJSON_AddStringToObject(t, "style", instruct ? "instruct" : "completion");
    return t;
}

void code_set_stops(eval_sample *out, const suite_task *t, const char *const *stops) {
    if (t->n_stops || strcmp(t->template_name, "raw")) return; /* explicit stops or chat */
    int n = 0;
    while (stops[n]) n++;
    out->stops = malloc(sizeof(char *) * (size_t)n);
    for (int i = 0; i < n; i++) out->stops[i] = sdup(stops[i]);
    out->n_stops = n;
}

/* function-style prompt: instruct (chat) or the bare prompt (raw) */
int code_finish(const suite_task *t, const char *fn_prompt, const suite_ctx *ctx,
                eval_sample *out, char *err, size_t errlen) {
    int instruct = strcmp(t->template_name, "chat") == 0;
    int rc;
    if (instruct) {
        sbuf u = {0};
        sbuf_printf(&u, "Complete the following Python function. Return the whole function in a "
                    "```python code block.\n\n```python\n%s```", fn_prompt);
        rc = suite_build_prompt(t, NULL, u.s, NULL, NULL, &out->prompt, &out->messages, err, errlen);
        sbuf_free(&u);
    } else {
        out->prompt = sdup(fn_prompt);
        rc = 0;
    }
    code_set_stops(out, t, CODE_HUMANEVAL_STOPS);
    return rc ? rc : suite_sample_tokenize(ctx, out, err, errlen);
}

int code_noparams(const char *where, const suite_task *t, char *err, size_t errlen) {
    static const char *const none[] = {NULL};
    return sv_known(where, t->params, none, err, errlen);
}

/* ---- HumanEval ---------------------------------------------------------------------------- */

static int lines_prepare(suite_task *t, suite_task_cache *c, char *err, size_t errlen) {
    return suite_lines_load(t->data_path, &c->data, err, errlen);
}

static const char *need(const suite_lines *l, int i, const cJSON *row, const char *key, char *err,
                        size_t errlen) {
    const char *v = sj_str(row, key);
    if (!v)
        snprintf(err, errlen, "%s:%d: field \"%s\": expected a string, found %s", l->path,
                 l->lineno[i], key, sv_type_name(cJSON_GetObjectItemCaseSensitive(row, key)));
    return v;
}

static int humaneval_make(const suite *s, const suite_task *t, int index, uint64_t seed,
                          const suite_ctx *ctx, eval_sample *out, char *err, size_t errlen) {
    (void)s; (void)seed;
    const suite_task_cache *c = t->cache;
    const suite_lines *l = &c->data;
    cJSON *row = suite_lines_parse(l, index, err, errlen);
    const char *id = row ? sj_str(row, "task_id") : NULL;
    char fb[64];
    snprintf(fb, sizeof fb, "%s/%d", t->name, l->lineno[index] - 1);
    suite_sample_init(t, id ? id : fb, out);
    if (!row) return 1;
    int rc = 1;
    const char *prompt = NULL, *entry = NULL, *test = NULL, *canon = NULL;
    if ((id = need(l, index, row, "task_id", err, errlen)) &&
        (prompt = need(l, index, row, "prompt", err, errlen)) &&
        (entry = need(l, index, row, "entry_point", err, errlen)) &&
        (test = need(l, index, row, "test", err, errlen))) {
        canon = sj_str(row, "canonical_solution");
        int instruct = strcmp(t->template_name, "chat") == 0;
        out->target = code_target(prompt, test, entry, "", NULL, instruct);
        if (canon) {
            cJSON_AddStringToObject(out->meta, "canonical_solution", canon);
            sbuf ref = {0};
            if (instruct) sbuf_printf(&ref, "```python\n%s%s```", prompt, canon);
            else sbuf_puts(&ref, canon);
            cJSON_AddStringToObject(out->meta, "reference", ref.s);
            sbuf_free(&ref);
        }
        rc = code_finish(t, prompt, ctx, out, err, errlen);
    }
    cJSON_Delete(row);
    return rc;
}

const suite_kind suite_kind_humaneval = {
    .name = "humaneval", .loader = 1, .default_data = "data/humaneval/HumanEval.jsonl.gz",
    .scorer = "humaneval", .template_name = "chat", .max_new_tokens = 512, .validate = code_noparams,
    .prepare = lines_prepare, .make = humaneval_make};

/* ---- MBPP ---------------------------------------------------------------------------------- */

/* mbpp_entry: the function the first test calls ("assert name(") or the code's first def. */
static void mbpp_entry(const cJSON *tests, const char *code, char *buf, size_t n) {
    buf[0] = 0;
    const cJSON *t0 = cJSON_GetArrayItem(tests, 0);
    const char *p = cJSON_IsString(t0) ? t0->valuestring : NULL;
    if (p && !strncmp(p, "assert ", 7)) {
        p += 7;
        while (*p == ' ' || *p == '(') p++;
        if (!strncmp(p, "not ", 4)) p += 4;
        if (!strncmp(p, "math.isclose(", 13)) p += 13;
        if (!strncmp(p, "set(", 4)) p += 4;
        size_t k = 0;
        while ((isalnum((unsigned char)p[k]) || p[k] == '_') && k + 1 < n) k++;
        if (p[k] == '(' && k) { memcpy(buf, p, k); buf[k] = 0; return; }
    }
    const char *d = code ? strstr(code, "def ") : NULL;
    if (d) {
        d += 4;
        size_t k = 0;
        while ((isalnum((unsigned char)d[k]) || d[k] == '_') && k + 1 < n) k++;
        memcpy(buf, d, k);
        buf[k] = 0;
    }
}

static int mbpp_make(const suite *s, const suite_task *t, int index, uint64_t seed,
                     const suite_ctx *ctx, eval_sample *out, char *err, size_t errlen) {
    (void)s; (void)seed;
    const suite_task_cache *c = t->cache;
    const suite_lines *l = &c->data;
    cJSON *row = suite_lines_parse(l, index, err, errlen);
    char id[64];
    const cJSON *tid = row ? cJSON_GetObjectItemCaseSensitive(row, "task_id") : NULL;
    if (cJSON_IsNumber(tid)) snprintf(id, sizeof id, "%lld", (long long)tid->valuedouble);
    else if (cJSON_IsString(tid)) snprintf(id, sizeof id, "%.60s", tid->valuestring);
    else snprintf(id, sizeof id, "%s/%d", t->name, l->lineno[index] - 1);
    suite_sample_init(t, id, out);
    if (!row) return 1;
    int rc = 1;
    const char *text = NULL, *code = NULL;
    const cJSON *tests = cJSON_GetObjectItemCaseSensitive(row, "test_list");
    if (!tid || (!cJSON_IsNumber(tid) && !cJSON_IsString(tid))) {
        snprintf(err, errlen, "%s:%d: field \"task_id\": expected a number or string, found %s",
                 l->path, l->lineno[index], sv_type_name(tid));
    } else if ((text = sj_str(row, "prompt") && !cJSON_GetObjectItemCaseSensitive(row, "text")
                       ? sj_str(row, "prompt") /* sanitized MBPP names the task text "prompt" */
                       : need(l, index, row, "text", err, errlen)) &&
               (code = need(l, index, row, "code", err, errlen))) {
        int ok = cJSON_IsArray(tests) && cJSON_GetArraySize(tests) > 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, tests) ok &= cJSON_IsString(e);
        if (!ok) {
            snprintf(err, errlen, "%s:%d: field \"test_list\": expected a non-empty list of assert "
                     "strings, found %s", l->path, l->lineno[index], sv_type_name(tests));
        } else {
            const char *setup = sj_str(row, "test_setup_code");
            /* sanitized MBPP: "test_imports" (a list of import lines) instead */
            sbuf imports = {0};
            const cJSON *ti = cJSON_GetObjectItemCaseSensitive(row, "test_imports");
            if (!setup && cJSON_IsArray(ti)) {
                const cJSON *im;
                cJSON_ArrayForEach(im, ti)
                    if (cJSON_IsString(im)) sbuf_printf(&imports, "%s\n", im->valuestring);
                setup = imports.s ? imports.s : "";
            }
            char entry[128];
            mbpp_entry(tests, code, entry, sizeof entry);
            int instruct = strcmp(t->template_name, "chat") == 0;
            out->target = code_target("", "", entry, setup, tests, instruct);
            sbuf u = {0};
            sbuf_printf(&u, "You are an expert Python programmer, and here is your task: %s Your "
                        "code should pass these tests:\n\n", text);
            cJSON_ArrayForEach(e, tests) sbuf_printf(&u, "%s\n", e->valuestring);
            sbuf ref = {0};
            if (instruct) {
                sbuf_puts(&u, "\nWrite the function in a ```python code block.");
                rc = suite_build_prompt(t, NULL, u.s, NULL, NULL, &out->prompt, &out->messages,
                                        err, errlen);
                sbuf_printf(&ref, "```python\n%s\n```", code);
            } else {
                sbuf_puts(&u, "[BEGIN]\n"); /* the MBPP paper's format; the model ends with [DONE] */
                out->prompt = sbuf_take(&u);
                rc = 0;
                sbuf_printf(&ref, "%s\n[DONE]", code);
            }
            cJSON_AddStringToObject(out->meta, "reference", ref.s);
            cJSON_AddStringToObject(out->meta, "canonical_solution", code);
            sbuf_free(&ref);
            sbuf_free(&u);
            sbuf_free(&imports);
            code_set_stops(out, t, MBPP_STOPS);
            if (!rc) rc = suite_sample_tokenize(ctx, out, err, errlen);
        }
    }
    cJSON_Delete(row);
    return rc;
}

const suite_kind suite_kind_mbpp = {
    .name = "mbpp", .loader = 1, .default_data = "data/mbpp/mbpp.jsonl", .scorer = "mbpp",
    .template_name = "chat", .max_new_tokens = 512, .validate = code_noparams,
    .prepare = lines_prepare, .make = mbpp_make};
