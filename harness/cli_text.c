/*
 * cli_text.c — the text-layer subcommands of bin/v4eval: tokenize, detokenize, chat-encode,
 * parse-toolcalls. Each is a thin shell over engine/v4.h: read the inputs, call the engine,
 * write the result to stdout. Exit codes follow harness/cli.h: 0 success, 1 runtime failure
 * (out of memory, write error), 2 bad input or usage, with one line on stderr.
 *
 * Outputs are exact: chat-encode writes the prompt bytes with no trailing newline, detokenize
 * the decoded bytes with no trailing newline; tokenize and parse-toolcalls end their JSON with
 * one newline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "engine/v4.h"
#include "harness/cli.h"

/* Reads a whole file ("-" = stdin) into a NUL-terminated buffer; NULL with a message. */
static char *cli_slurp(const char *path, size_t *len, const char *cmd) {
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) { fprintf(stderr, "v4eval %s: %s: cannot open\n", cmd, path); return NULL; }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            char *p = realloc(buf, cap * 2);
            if (!p) { free(buf); buf = NULL; break; }
            buf = p;
            cap *= 2;
        }
        size_t k = fread(buf + n, 1, cap - n - 1, f);
        n += k;
        if (k == 0) break;
    }
    int bad = ferror(f);
    if (f != stdin) fclose(f);
    if (!buf || bad) {
        fprintf(stderr, "v4eval %s: %s: %s\n", cmd, path, buf ? "read error" : "out of memory");
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

static int cli_write(const char *s, size_t n, const char *cmd) {
    if (fwrite(s, 1, n, stdout) != n || fflush(stdout) != 0) {
        fprintf(stderr, "v4eval %s: write error on stdout\n", cmd);
        return 1;
    }
    return 0;
}

/* Value of option argv[*i] (advancing *i); NULL with a message when missing. */
static const char *cli_value(int argc, char **argv, int *i, const char *cmd) {
    if (*i + 1 >= argc) { fprintf(stderr, "v4eval %s: %s needs a value\n", cmd, argv[*i]); return NULL; }
    return argv[++*i];
}

static int cli_unknown(const char *cmd, const char *arg, const char *usage) {
    fprintf(stderr, "v4eval %s: unknown argument '%s'\nusage: %s\n", cmd, arg, usage);
    return 2;
}

/* ---- tokenize ------------------------------------------------------------------------------ */

static const char TOKENIZE_USAGE[] =
    "v4eval tokenize --tokenizer FILE (--text T | --file F) [--no-special]\n"
    "  prints the token ids as a JSON array; special tokens in the text are matched unless --no-special";

int cli_tokenize(int argc, char **argv) {
    const char *cmd = argv[0], *tok_path = NULL, *text = NULL, *file = NULL;
    int special = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { printf("usage: %s\n", TOKENIZE_USAGE); return 0; }
        else if (!strcmp(a, "--tokenizer")) { if (!(tok_path = cli_value(argc, argv, &i, cmd))) return 2; }
        else if (!strcmp(a, "--text")) { if (!(text = cli_value(argc, argv, &i, cmd))) return 2; }
        else if (!strcmp(a, "--file")) { if (!(file = cli_value(argc, argv, &i, cmd))) return 2; }
        else if (!strcmp(a, "--no-special")) special = 0;
        else return cli_unknown(cmd, a, TOKENIZE_USAGE);
    }
    if (!tok_path || (!text) == (!file)) {
        fprintf(stderr, "v4eval %s: need --tokenizer and exactly one of --text/--file\nusage: %s\n", cmd, TOKENIZE_USAGE);
        return 2;
    }
    char err[V4_ERRLEN];
    v4_tokenizer *t = NULL;
    int rc = v4_tokenizer_load(tok_path, &t, err, sizeof err);
    if (rc) { fprintf(stderr, "v4eval %s: %s\n", cmd, err); return rc == 1 ? 1 : 2; }
    size_t len = 0;
    char *buf = NULL;
    if (file) {
        buf = cli_slurp(file, &len, cmd);
        if (!buf) { v4_tokenizer_free(t); return 2; }
    } else {
        len = strlen(text);
    }
    int32_t *ids = NULL;
    size_t n = 0;
    rc = v4_tokenize(t, buf ? buf : text, len, special, &ids, &n, err, sizeof err);
    free(buf);
    v4_tokenizer_free(t);
    if (rc) { fprintf(stderr, "v4eval %s: %s\n", cmd, err); return 1; }
    putchar('[');
    for (size_t i = 0; i < n; i++) printf(i ? ", %d" : "%d", (int)ids[i]);
    puts("]");
    free(ids);
    return fflush(stdout) ? 1 : 0;
}

/* ---- detokenize ---------------------------------------------------------------------------- */

static const char DETOKENIZE_USAGE[] =
    "v4eval detokenize --tokenizer FILE (--ids JSON | --ids-file F)\n"
    "  JSON is an array of token ids, e.g. '[19923, 3]'; prints the decoded bytes (no newline added)";

int cli_detokenize(int argc, char **argv) {
    const char *cmd = argv[0], *tok_path = NULL, *ids_json = NULL, *ids_file = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { printf("usage: %s\n", DETOKENIZE_USAGE); return 0; }
        else if (!strcmp(a, "--tokenizer")) { if (!(tok_path = cli_value(argc, argv, &i, cmd))) return 2; }
        else if (!strcmp(a, "--ids")) { if (!(ids_json = cli_value(argc, argv, &i, cmd))) return 2; }
        else if (!strcmp(a, "--ids-file")) { if (!(ids_file = cli_value(argc, argv, &i, cmd))) return 2; }
        else return cli_unknown(cmd, a, DETOKENIZE_USAGE);
    }
    if (!tok_path || (!ids_json) == (!ids_file)) {
        fprintf(stderr, "v4eval %s: need --tokenizer and exactly one of --ids/--ids-file\nusage: %s\n", cmd, DETOKENIZE_USAGE);
        return 2;
    }
    char *buf = ids_file ? cli_slurp(ids_file, NULL, cmd) : NULL;
    if (ids_file && !buf) return 2;
    const char *end = NULL;
    cJSON *arr = cJSON_ParseWithOpts(buf ? buf : ids_json, &end, 1);
    free(buf);
    if (!cJSON_IsArray(arr)) {
        fprintf(stderr, "v4eval %s: --ids: expected a JSON array of integers%s\n", cmd, arr ? "" : " (invalid JSON)");
        cJSON_Delete(arr);
        return 2;
    }
    size_t n = (size_t)cJSON_GetArraySize(arr), k = 0;
    int32_t *ids = malloc((n + 1) * sizeof *ids);
    if (!ids) { cJSON_Delete(arr); fprintf(stderr, "v4eval %s: out of memory\n", cmd); return 1; }
    for (const cJSON *e = arr->child; e; e = e->next, k++) {
        double v = cJSON_IsNumber(e) ? e->valuedouble : -1;
        if (!cJSON_IsNumber(e) || v != (double)(int32_t)v || v < 0) {
            fprintf(stderr, "v4eval %s: --ids[%zu]: expected a non-negative integer id\n", cmd, k);
            free(ids);
            cJSON_Delete(arr);
            return 2;
        }
        ids[k] = (int32_t)v;
    }
    cJSON_Delete(arr);
    char err[V4_ERRLEN];
    v4_tokenizer *t = NULL;
    int rc = v4_tokenizer_load(tok_path, &t, err, sizeof err);
    if (rc) { free(ids); fprintf(stderr, "v4eval %s: %s\n", cmd, err); return rc == 1 ? 1 : 2; }
    char *text = NULL;
    size_t len = 0;
    rc = v4_detokenize(t, ids, n, &text, &len, err, sizeof err);
    free(ids);
    v4_tokenizer_free(t);
    if (rc) { fprintf(stderr, "v4eval %s: %s\n", cmd, err); return rc == 1 ? 1 : 2; }
    rc = cli_write(text, len, cmd);
    free(text);
    return rc;
}

/* ---- chat-encode --------------------------------------------------------------------------- */

static const char CHAT_USAGE[] =
    "v4eval chat-encode --messages FILE.json [--thinking] [--effort high|max] [--tools FILE.json] [--keep-thinking]\n"
    "  FILE.json: a JSON array of OpenAI-style messages (\"-\" = stdin); tools/response_format may sit on a\n"
    "  system or developer message; --tools attaches a tools array to the first system message;\n"
    "  --keep-thinking turns drop_thinking off. Prints the exact prompt string (no newline added)";

int cli_chat_encode(int argc, char **argv) {
    const char *cmd = argv[0], *msgs_path = NULL, *tools_path = NULL;
    v4_chat_opts o = v4_chat_opts_default();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { printf("usage: %s\n", CHAT_USAGE); return 0; }
        else if (!strcmp(a, "--messages")) { if (!(msgs_path = cli_value(argc, argv, &i, cmd))) return 2; }
        else if (!strcmp(a, "--tools")) { if (!(tools_path = cli_value(argc, argv, &i, cmd))) return 2; }
        else if (!strcmp(a, "--effort")) { if (!(o.effort = cli_value(argc, argv, &i, cmd))) return 2; }
        else if (!strcmp(a, "--thinking")) o.thinking = 1;
        else if (!strcmp(a, "--keep-thinking")) o.drop_thinking = 0;
        else return cli_unknown(cmd, a, CHAT_USAGE);
    }
    if (!msgs_path) { fprintf(stderr, "v4eval %s: --messages is required\nusage: %s\n", cmd, CHAT_USAGE); return 2; }
    char *msgs = cli_slurp(msgs_path, NULL, cmd);
    if (!msgs) return 2;
    char *tools = tools_path ? cli_slurp(tools_path, NULL, cmd) : NULL;
    if (tools_path && !tools) { free(msgs); return 2; }
    char err[V4_ERRLEN], *out = NULL;
    int rc = v4_chat_encode(msgs, tools, &o, &out, err, sizeof err);
    free(msgs);
    free(tools);
    if (rc) {
        fprintf(stderr, "v4eval %s: %s\n", cmd, err);
        return rc == 1 ? 1 : 2;
    }
    rc = cli_write(out, strlen(out), cmd);
    free(out);
    return rc;
}

/* ---- parse-toolcalls ----------------------------------------------------------------------- */

static const char PARSE_USAGE[] =
    "v4eval parse-toolcalls [--thinking] [--file F] < OUTPUT.txt\n"
    "  parses a model completion (ending in <｜end▁of▁sentence｜>) as DeepSeek's parser does and prints\n"
    "  {\"content\": ..., \"reasoning\": ..., \"tool_calls\": [{\"name\": ..., \"arguments\": {...}}]}";

int cli_parse_toolcalls(int argc, char **argv) {
    const char *cmd = argv[0], *path = "-";
    int thinking = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { printf("usage: %s\n", PARSE_USAGE); return 0; }
        else if (!strcmp(a, "--thinking")) thinking = 1;
        else if (!strcmp(a, "--file")) { if (!(path = cli_value(argc, argv, &i, cmd))) return 2; }
        else return cli_unknown(cmd, a, PARSE_USAGE);
    }
    size_t len = 0;
    char *text = cli_slurp(path, &len, cmd);
    if (!text) return 2;
    char err[V4_ERRLEN], *json = NULL;
    int rc = v4_dsml_parse(text, len, thinking, &json, err, sizeof err);
    free(text);
    if (rc) { fprintf(stderr, "v4eval %s: %s\n", cmd, err); return rc == 1 ? 1 : 2; }
    rc = cli_write(json, strlen(json), cmd);
    if (!rc) rc = cli_write("\n", 1, cmd);
    free(json);
    return rc;
}
