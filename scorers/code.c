/*
 * code.c — the code scorers: humaneval, mbpp, code_synth.
 *
 * Completion extraction:
 *   chat samples (s->chat = 1): the first ```python (or ```py, ```python3) fenced block, else the
 *     first fenced block of any kind (lm-eval's extract_code_blocks); an unclosed fence runs to
 *     the end; without any fence the whole answer.
 *   raw samples: HumanEval/code_synth cut at the earliest of "\ndef ", "\nclass ",
 *     "\nif __name__", "\nprint(", "\n#" (the Codex stop list); MBPP cuts at "[DONE]" and drops
 *     a leading "[BEGIN]" (the MBPP prompt format).
 * Programs:
 *   humaneval   prompt + completion + "\n" + test + "\n" + "check(<entry_point>)"   (raw)
 *               prompt + "\n" + block + …                                          (chat)
 *   mbpp        test_setup_code + "\n" + code + "\n" + the test_list asserts, one per line
 *   code_synth  [prompt] + completion + "\n" + test [+ "\n" + "check(<entry_point>)"]
 * Targets (JSON objects):
 *   humaneval   {"prompt", "test", "entry_point"}          (HumanEval's own fields)
 *   mbpp        {"test_list": [...], "test_setup_code"?}   (MBPP's own fields)
 *   code_synth  {"test", "prompt"?, "entry_point"?}
 *   all         "timeout_s"? (default 3.0, HumanEval's) — CPU limit = ceil(timeout) + 1 s
 * The program runs in the sandbox (sandbox.h): pass → status ok, score 1; fail → status fail;
 * timeout → status timeout; sandbox trouble → status error. details carry the program, the
 * sandbox status, exit code/signal, wall time, the output's tail and the isolation in effect.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "scorers/scorer_internal.h"
#include "scorers/sandbox.h"

static const char *const CODE_STOPS[] = {"\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#", NULL};

size_t code_cut_stops(const char *c) {
    size_t n = strlen(c);
    for (int i = 0; CODE_STOPS[i]; i++) {
        const char *p = strstr(c, CODE_STOPS[i]);
        if (p && (size_t)(p - c) < n) n = (size_t)(p - c);
    }
    return n;
}

/* the info string of the fence at f (```python → "python"), as [p, p+len) */
static int code_fence_is_python(const char *f) {
    const char *p = f + 3;
    while (*p == ' ') p++;
    size_t n = 0;
    while (p[n] && p[n] != '\n' && p[n] != ' ') n++;
    return (n == 6 && !strncasecmp(p, "python", 6)) || (n == 7 && !strncasecmp(p, "python3", 7)) ||
           (n == 2 && !strncasecmp(p, "py", 2));
}

char *code_first_fence(const char *answer) {
    /* opening fences are at even positions in the sequence of ``` marks */
    const char *f = NULL, *any = NULL, *q = answer;
    for (int k = 0; (q = strstr(q, "```")); k++) {
        if (k % 2 == 0) {
            if (!any) any = q;
            if (code_fence_is_python(q)) { f = q; break; }
        }
        q += 3;
    }
    if (!f) f = any;
    if (!f) return NULL;
    const char *nl = strchr(f + 3, '\n');   /* the info string ("python") runs to the newline */
    if (!nl) return scorer_strdup("");
    const char *body = nl + 1;
    const char *end = strstr(body, "```");
    size_t len = end ? (size_t)(end - body) : strlen(body);
    return scorer_strndup(body, len);
}

static char *code_cat(const char *const *parts) {
    size_t n = 1;
    for (int i = 0; parts[i]; i++) n += strlen(parts[i]);
    char *o = malloc(n);
    if (!o) return NULL;
    o[0] = 0;
    for (int i = 0; parts[i]; i++) strcat(o, parts[i]);
    return o;
}

static const char *code_str_field(const eval_sample *s, const char *k) {
    const cJSON *x = scorer_target_field(s, k);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

/* completion for humaneval/code_synth (mbpp = 1 switches to the MBPP raw rules) */
static char *code_extract(const eval_sample *s, const char *answer, int mbpp, cJSON *details) {
    if (s->chat) {
        char *b = code_first_fence(answer);
        cJSON_AddStringToObject(details, "extraction", b ? "fence" : "no_fence");
        return b ? b : scorer_strdup(answer);
    }
    if (mbpp) {
        const char *a = answer;
        while (*a == ' ' || *a == '\n') a++;
        if (strncmp(a, "[BEGIN]", 7) == 0) a += 7;
        const char *d = strstr(a, "[DONE]");
        cJSON_AddStringToObject(details, "extraction", "mbpp_done");
        return scorer_strndup(a, d ? (size_t)(d - a) : strlen(a));
    }
    cJSON_AddStringToObject(details, "extraction", "stop_strings");
    return scorer_strndup(answer, code_cut_stops(answer));
}

/* run the program and fill r */
static void code_execute(const eval_sample *s, char *program, score_result *r) {
    sandbox_limits lim = sandbox_default_limits();
    const cJSON *t = scorer_target_field(s, "timeout_s");
    if (t && (!cJSON_IsNumber(t) || !(t->valuedouble > 0) || t->valuedouble > 600)) {
        scorer_error(r, "target.timeout_s: expected a number in (0, 600]");
        return;
    }
    if (t) lim.wall_timeout_s = t->valuedouble;
    lim.cpu_seconds = (int)ceil(lim.wall_timeout_s) + 1;
    cJSON_AddStringToObject(r->details, "program", program);
    sandbox_result sr;
    sandbox_run_python(program, &lim, &sr);
    cJSON_AddStringToObject(r->details, "sandbox", sandbox_status_name(sr.status));
    cJSON_AddNumberToObject(r->details, "exit_code", sr.exit_code);
    cJSON_AddNumberToObject(r->details, "signal", sr.term_signal);
    cJSON_AddNumberToObject(r->details, "wall_s", sr.wall_s);
    cJSON_AddNumberToObject(r->details, "timeout_s", lim.wall_timeout_s);
    cJSON *iso = cJSON_AddObjectToObject(r->details, "isolation");
    cJSON_AddBoolToObject(iso, "uid_dropped", sr.uid_dropped);
    cJSON_AddBoolToObject(iso, "network_namespace", sr.net_isolated);
    cJSON_AddBoolToObject(iso, "pid_namespace", sr.pid_isolated);
    cJSON_AddBoolToObject(iso, "landlock_writes", sr.fs_isolated);
    cJSON_AddNumberToObject(iso, "landlock_abi", sr.landlock_abi);
    if (sr.output) {
        size_t n = strlen(sr.output);
        const size_t keep = 2000;
        cJSON_AddStringToObject(r->details, "output_tail", n > keep ? sr.output + n - keep : sr.output);
    }
    switch (sr.status) {
    case SANDBOX_PASS: scorer_set_pass(r, 1); break;
    case SANDBOX_FAIL: r->status = SCORE_FAIL; r->score = 0; r->passed = 0; break;
    case SANDBOX_TIMEOUT: r->status = SCORE_TIMEOUT; r->score = 0; r->passed = 0; break;
    case SANDBOX_ERROR: scorer_error(r, "sandbox: %s", sr.error); break;
    }
    sandbox_result_free(&sr);
}

int code_score_humaneval(const eval_sample *s, const char *answer, score_result *r) {
    const char *prompt = code_str_field(s, "prompt"), *test = code_str_field(s, "test"),
               *entry = code_str_field(s, "entry_point");
    if (!prompt || !test || !entry) {
        scorer_error(r, "target: expected {\"prompt\", \"test\", \"entry_point\"} strings (HumanEval fields)");
        return 0;
    }
    char *comp = code_extract(s, answer, 0, r->details);
    if (!comp) { scorer_error(r, "out of memory"); return 0; }
    const char *parts[] = {prompt, s->chat ? "\n" : "", comp, "\n", test, "\n", "check(", entry, ")\n", NULL};
    char *prog = code_cat(parts);
    r->extracted = comp;
    if (!prog) { scorer_error(r, "out of memory"); return 0; }
    code_execute(s, prog, r);
    free(prog);
    return 0;
}

int code_score_mbpp(const eval_sample *s, const char *answer, score_result *r) {
    const cJSON *tl = scorer_target_field(s, "test_list");
    const char *setup = code_str_field(s, "test_setup_code");
    const cJSON *su = scorer_target_field(s, "test_setup_code");
    if (!cJSON_IsArray(tl) || cJSON_GetArraySize(tl) == 0 || (su && !setup)) {
        scorer_error(r, "target: expected {\"test_list\": [assert strings], \"test_setup_code\"?: string} (MBPP fields)");
        return 0;
    }
    size_t tn = 1;
    const cJSON *it;
    cJSON_ArrayForEach(it, tl) {
        if (!cJSON_IsString(it)) {
            scorer_error(r, "target.test_list: expected strings");
            return 0;
        }
        tn += strlen(it->valuestring) + 1;
    }
    char *tests = malloc(tn);
    char *comp = code_extract(s, answer, 1, r->details);
    if (!tests || !comp) { free(tests); free(comp); scorer_error(r, "out of memory"); return 0; }
    tests[0] = 0;
    cJSON_ArrayForEach(it, tl) {
        strcat(tests, it->valuestring);
        strcat(tests, "\n");
    }
    const char *parts[] = {setup ? setup : "", "\n", comp, "\n", tests, NULL};
    char *prog = code_cat(parts);
    free(tests);
    r->extracted = comp;
    if (!prog) { scorer_error(r, "out of memory"); return 0; }
    code_execute(s, prog, r);
    free(prog);
    return 0;
}

int code_score_synth(const eval_sample *s, const char *answer, score_result *r) {
    const char *test = code_str_field(s, "test"), *prompt = code_str_field(s, "prompt"),
               *entry = code_str_field(s, "entry_point");
    if (!test || (scorer_target_field(s, "prompt") && !prompt) ||
        (scorer_target_field(s, "entry_point") && !entry)) {
        scorer_error(r, "target: expected {\"test\": string, \"prompt\"?: string, \"entry_point\"?: string}");
        return 0;
    }
    char *comp = code_extract(s, answer, 0, r->details);
    if (!comp) { scorer_error(r, "out of memory"); return 0; }
    const char *parts[] = {prompt ? prompt : "", prompt && s->chat ? "\n" : "", comp, "\n", test, "\n",
                           entry ? "check(" : "", entry ? entry : "", entry ? ")\n" : "", NULL};
    char *prog = code_cat(parts);
    r->extracted = comp;
    if (!prog) { scorer_error(r, "out of memory"); return 0; }
    code_execute(s, prog, r);
    free(prog);
    return 0;
}
