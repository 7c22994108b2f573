/*
 * toolcall.c — the tool-call scorers: toolcall_ast and toolcall_irrelevance.
 *
 * The raw model output is decoded with the engine's DSML parser (v4_dsml_parse, spec §14.3) in
 * the sample's mode (thinking or chat). The parser wants the completion as the model wrote it,
 * ending with EOS; backends that strip EOS (HTTP servers, stop handling) hand us text without
 * it, so EOS is appended when the output has none (details.eos_appended).
 *   toolcall_ast: BFCL AST check (toolcall_ast.c) of the decoded calls against the ground truth.
 *     A completion that does not decode scores 0 (BFCL's "ast_decoder:decoder_failed").
 *     Target: {"ground_truth": [{"func": {"param": [values…]}}…], "functions"?: [docs…]} or the
 *     bare ground-truth list; the function docs default to the sample's tools (OpenAI tools).
 *   toolcall_irrelevance: passes iff no call is decoded (empty tool_calls, or the output does
 *     not decode at all), as BFCL's irrelevance categories. Target unused.
 * details: decode_error or the decoded calls, error_type and a message for failures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/v4.h"
#include "scorers/scorer_internal.h"

#define TOOLCALL_EOS "<｜end▁of▁sentence｜>"

/* decode: returns the parsed {"content","reasoning","tool_calls"} object or NULL (details
 * gets decode_error) */
static cJSON *toolcall_decode(const eval_sample *s, const char *output, cJSON *details) {
    size_t n = strlen(output);
    char *text = NULL;
    if (!strstr(output, TOOLCALL_EOS)) {
        size_t el = strlen(TOOLCALL_EOS);
        text = malloc(n + el + 1);
        if (!text) { cJSON_AddStringToObject(details, "decode_error", "out of memory"); return NULL; }
        memcpy(text, output, n);
        memcpy(text + n, TOOLCALL_EOS, el + 1);
        n += el;
        cJSON_AddBoolToObject(details, "eos_appended", 1);
    }
    char *json = NULL, err[512] = "";
    int rc = v4_dsml_parse(text ? text : output, n, s->thinking, &json, err, sizeof err);
    free(text);
    if (rc != 0) {
        cJSON_AddStringToObject(details, "decode_error", err[0] ? err : "DSML parse failed");
        free(json);
        return NULL;
    }
    cJSON *p = cJSON_Parse(json);
    free(json);
    if (!p || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(p, "tool_calls"))) {
        cJSON_AddStringToObject(details, "decode_error", "DSML parser returned no tool_calls list");
        cJSON_Delete(p);
        return NULL;
    }
    return p;
}

int toolcall_score_ast(const eval_sample *s, const char *output, score_result *r) {
    const cJSON *truth = cJSON_IsArray(s->target) ? s->target : scorer_target_field(s, "ground_truth");
    const cJSON *functions = scorer_target_field(s, "functions");
    if (!functions) functions = s->tools;
    if (!cJSON_IsArray(truth)) {
        scorer_error(r, "target: expected the BFCL ground truth list or {\"ground_truth\": [...]}");
        return 0;
    }
    if (!cJSON_IsArray(functions)) {
        scorer_error(r, "no function docs: neither target.functions nor the sample's tools is a list");
        return 0;
    }
    cJSON *parsed = toolcall_decode(s, output, r->details);
    if (!parsed) {
        cJSON_AddStringToObject(r->details, "error_type", "ast_decoder:decoder_failed");
        scorer_set_pass(r, 0);
        return 0;
    }
    cJSON *calls = cJSON_GetObjectItemCaseSensitive(parsed, "tool_calls");
    r->extracted = cJSON_PrintUnformatted(calls);
    char et[96], msg[512];
    int ok = toolcall_ast_check(calls, functions, truth, et, sizeof et, msg, sizeof msg);
    cJSON_AddItemToObject(r->details, "calls", cJSON_Duplicate(calls, 1));
    cJSON_Delete(parsed);
    if (ok < 0) {
        scorer_error(r, "%s", msg);
        return 0;
    }
    if (!ok) {
        cJSON_AddStringToObject(r->details, "error_type", et);
        cJSON_AddStringToObject(r->details, "message", msg);
    }
    scorer_set_pass(r, ok);
    return 0;
}

int toolcall_score_irrelevance(const eval_sample *s, const char *output, score_result *r) {
    cJSON *parsed = toolcall_decode(s, output, r->details);
    int ncalls = 0;
    if (parsed) {
        cJSON *calls = cJSON_GetObjectItemCaseSensitive(parsed, "tool_calls");
        ncalls = cJSON_GetArraySize(calls);
        r->extracted = cJSON_PrintUnformatted(calls);
        cJSON_AddItemToObject(r->details, "calls", cJSON_Duplicate(calls, 1));
        cJSON_Delete(parsed);
    }
    cJSON_AddNumberToObject(r->details, "n_calls", ncalls);
    if (ncalls > 0) cJSON_AddStringToObject(r->details, "error_type", "irrelevance_error:decoder_success");
    scorer_set_pass(r, ncalls == 0);
    return 0;
}
