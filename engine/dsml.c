/*
 * dsml.c — DeepSeek-V4 DSML tool calls: rendering (as the official encoder writes them) and a
 * strict parser of model completions (as the official parse_message_from_completion_text
 * reads them), spec §14.3 and §14.5.
 *
 * Parser rules, in order (offsets in errors are byte offsets into the completion text):
 *  - thinking mode: reasoning = text before the first "</think>"; if the tool-call block start
 *    "\n\n<｜DSML｜tool_calls" comes first, or there is no "</think>", the text is malformed;
 *  - content runs to the first EOS or block start (the two newlines belong to the block);
 *  - the block: ">\n" before every "<｜DSML｜invoke" and before "</｜DSML｜tool_calls>"; an
 *    invoke header must match ^\s*name="(.*?)">\n$ and a parameter ^ name="(.*?)"
 *    string="(true|false)">(.*?)<$ (Python re semantics, DOTALL: '$' also matches before a
 *    final "\n", '\s' is Unicode whitespace); ">\n" after every parameter; duplicate parameter
 *    names are errors;
 *  - after "</｜DSML｜tool_calls>" only EOS or the end of the text; text truncated right after the
 *    block start, or right after a complete parameter/invoke line, is accepted (as upstream);
 *  - nothing after EOS; BOS, EOS, <think>, </think> and ｜DSML｜ may not occur in content or
 *    reasoning (parameter values are not checked).
 * arguments = "{" + ", ".join(json.dumps(key) + ": " + value) + "}" where string="true" values
 * are json.dumps'ed and string="false" values are inserted verbatim. One deliberate difference
 * from upstream: a string="false" value that is not valid JSON (this includes Python's NaN and
 * Infinity) is an error here, reported only when the text passes every upstream check (so
 * upstream's error wins whenever it has one); upstream would return an arguments string that
 * is not JSON, while this API returns arguments as a JSON object.
 */
#include "engine/dsml.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/text_json.h"
#include "engine/v4.h"

#define TC_START "\n\n<" DSML_TOKEN "tool_calls"
#define TC_END "</" DSML_TOKEN "tool_calls>"
#define INVOKE_OPEN "<" DSML_TOKEN "invoke"
#define INVOKE_CLOSE "</" DSML_TOKEN "invoke"
#define PARAM_OPEN "<" DSML_TOKEN "parameter"
#define PARAM_CLOSE "/" DSML_TOKEN "parameter"
#define ATTR_TRUE "\" string=\"true\">"
#define ATTR_FALSE "\" string=\"false\">"

/* ---------------------------------------------------------------------------------------------
 * Rendering
 * ------------------------------------------------------------------------------------------- */

/* One parameter line. */
static void render_param(const char *key, const cJSON *v, text_buf *b) {
    tb_puts(b, "<" DSML_TOKEN "parameter name=\"");
    tb_puts(b, key);
    if (cJSON_IsString(v)) {
        tb_puts(b, "\" string=\"true\">");
        tb_puts(b, v->valuestring);
    } else {
        tb_puts(b, "\" string=\"false\">");
        tj_dump(v, b);
    }
    tb_puts(b, "</" DSML_TOKEN "parameter>");
}

/* Parameters of one call from its arguments node, joined by "\n". */
static int render_args(const cJSON *args, int idx, text_buf *b, char *err, size_t errlen) {
    cJSON *owned = NULL;
    const cJSON *obj = args;
    if (cJSON_IsString(args)) {
        owned = tj_parse(args->valuestring, strlen(args->valuestring), NULL);
        if (!owned) { /* not JSON: one raw string parameter named "arguments" */
            render_param("arguments", args, b);
            return 0;
        }
        obj = owned;
    } else if (!args || cJSON_IsNull(args)) {
        cJSON *null = cJSON_CreateNull();
        render_param("arguments", null, b);
        cJSON_Delete(null);
        return 0;
    }
    if (!cJSON_IsObject(obj)) {
        tj_errf(err, errlen, "tool_calls[%d].arguments: expected a JSON object, found %s", idx, tj_type_name(obj));
        cJSON_Delete(owned);
        return 1;
    }
    int first = 1;
    for (const cJSON *c = obj->child; c; c = c->next) {
        /* Python dict semantics for repeated keys: first position, last value */
        int seen = 0;
        for (const cJSON *e = obj->child; e != c; e = e->next)
            if (!strcmp(e->string, c->string)) { seen = 1; break; }
        if (seen) continue;
        const cJSON *val = c;
        for (const cJSON *e = c->next; e; e = e->next)
            if (!strcmp(e->string, c->string)) val = e;
        if (!first) tb_putc(b, '\n');
        first = 0;
        render_param(c->string, val, b);
    }
    cJSON_Delete(owned);
    return 0;
}

int dsml_render_block(const cJSON *calls, text_buf *b, char *err, size_t errlen) {
    if (!cJSON_IsArray(calls)) { tj_errf(err, errlen, "tool_calls: expected an array, found %s", tj_type_name(calls)); return 1; }
    tb_puts(b, "\n\n<" DSML_TOKEN "tool_calls>\n");
    int i = 0;
    for (const cJSON *c = calls->child; c; c = c->next, i++) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(c, "function");
        const cJSON *holder = cJSON_IsObject(fn) ? fn : c;
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(holder, "name");
        if (!cJSON_IsObject(c) || !cJSON_IsString(name)) {
            tj_errf(err, errlen, "tool_calls[%d]%s.name: expected a string, found %s", i,
                     holder == fn ? ".function" : "", cJSON_IsObject(c) ? tj_type_name(name) : tj_type_name(c));
            return 1;
        }
        if (i) tb_putc(b, '\n');
        tb_puts(b, "<" DSML_TOKEN "invoke name=\"");
        tb_puts(b, name->valuestring);
        tb_puts(b, "\">\n");
        if (render_args(cJSON_GetObjectItemCaseSensitive(holder, "arguments"), i, b, err, errlen)) return 1;
        tb_puts(b, "\n</" DSML_TOKEN "invoke>");
    }
    tb_puts(b, "\n</" DSML_TOKEN "tool_calls>");
    return 0;
}

int v4_dsml_render(const char *tool_calls_json, char **out, char *err, size_t errlen) {
    *out = NULL;
    size_t eo = 0;
    cJSON *calls = tj_parse(tool_calls_json, strlen(tool_calls_json), &eo);
    if (!calls) { tj_errf(err, errlen, "tool_calls: invalid JSON at byte %zu", eo); return 2; }
    text_buf b = {0};
    int rc = dsml_render_block(calls, &b, err, errlen);
    cJSON_Delete(calls);
    if (rc) { tb_free(&b); return 2; }
    *out = tb_take(&b);
    if (!*out) { tj_errf(err, errlen, "dsml render: out of memory"); return 1; }
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Parsing
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    const char *s;
    size_t n;
    char *err;
    size_t errlen;
} dsml_in;

/* Position of pat in s[from..n), or SIZE_MAX. */
static size_t find_at(const dsml_in *in, size_t from, const char *pat) {
    size_t pl = strlen(pat);
    if (from > in->n || in->n - from < pl) return SIZE_MAX;
    const char *p = memmem(in->s + from, in->n - from, pat, pl);
    return p ? (size_t)(p - in->s) : SIZE_MAX;
}

/* _read_until_stop: the earliest of the stops at or after *idx. On return [*c0, *c1) is the
 * text before it, *idx is past it (or n), and the index of the stop (or -1) is returned. */
static int read_until(const dsml_in *in, size_t *idx, const char *const *stops, int ns, size_t *c0, size_t *c1) {
    size_t best = SIZE_MAX;
    int which = -1;
    for (int k = 0; k < ns; k++) {
        size_t p = find_at(in, *idx, stops[k]);
        if (p < best) { best = p; which = k; }
    }
    *c0 = *idx;
    if (which < 0) { *c1 = in->n; *idx = in->n; return -1; }
    *c1 = best;
    *idx = best + strlen(stops[which]);
    return which;
}

/* Quotes up to 60 bytes of s[a..b) for an error message (escapes control bytes). */
static const char *quote(const dsml_in *in, size_t a, size_t b, char *buf, size_t cap) {
    size_t o = 0;
    buf[o++] = '\'';
    for (size_t i = a; i < b && o + 8 < cap; i++) {
        unsigned char c = (unsigned char)in->s[i];
        if (i - a >= 60) { memcpy(buf + o, "...", 3); o += 3; break; }
        if (c == '\n') { buf[o++] = '\\'; buf[o++] = 'n'; }
        else if (c < 0x20) o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
        else buf[o++] = (char)c;
    }
    buf[o++] = '\'';
    buf[o] = 0;
    return buf;
}

/* Python str.isspace() for the code point starting at s (length in *k). */
static int py_isspace(const unsigned char *s, size_t n, size_t *k) {
    *k = 1;
    unsigned c = s[0];
    if ((c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x20)) return 1;
    if (c < 0x80) return 0;
    uint32_t cp = 0;
    size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (!len || len > n) return 0;
    cp = c & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    int sp = cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
             cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    if (sp) *k = len;
    return sp;
}

typedef struct {
    size_t name0, name1;           /* invoke name in the text */
    text_buf args;                 /* arguments JSON text */
} parsed_call;

typedef struct {
    size_t key0, key1;
} seen_key;

/* The first string="false" value that is not JSON (value start, error offset, key range). */
typedef struct {
    int set;
    size_t v0, at, key0, key1;
} nonjson_value;

static int matches_at(const dsml_in *in, size_t i, size_t end, const char *lit) {
    size_t l = strlen(lit);
    return end >= i && end - i >= l && !memcmp(in->s + i, lit, l);
}

/* Parses the tool-call block starting at *idx (just after "\n\n<｜DSML｜tool_calls").
 * The calls are returned through calls and ncalls. Returns 0, or 2 with err.  */
static int parse_block(const dsml_in *in, size_t *idx, parsed_call **calls, int *ncalls, nonjson_value *bad) {
    static const char *const S_INVOKE[] = {INVOKE_OPEN, TC_END};
    static const char *const S_PARAM[] = {PARAM_OPEN, INVOKE_CLOSE};
    static const char *const S_PCLOSE[] = {PARAM_CLOSE};
    char q[200];
    int cap = 0;
    seen_key *keys = NULL;
    int nkeys = 0, capk = 0;
    while (*idx < in->n) {
        size_t c0, c1;
        int st = read_until(in, idx, S_INVOKE, 2, &c0, &c1);
        if (c1 - c0 != 2 || memcmp(in->s + c0, ">\n", 2) != 0) {
            tj_errf(in->err, in->errlen, "Tool call format error at byte %zu: expected '>\\n' before %s, found %s",
                     c0, st < 0 ? "'<" DSML_TOKEN "invoke' or '" TC_END "'" : st == 0 ? "'" INVOKE_OPEN "'" : "'" TC_END "'",
                     quote(in, c0, c1, q, sizeof q));
            free(keys);
            return 2;
        }
        if (st == 1) break;
        if (st < 0) {
            tj_errf(in->err, in->errlen, "Missing special token in tool calls at byte %zu: expected '" INVOKE_OPEN "' or '" TC_END "'", in->n);
            free(keys);
            return 2;
        }
        /* invoke header */
        st = read_until(in, idx, S_PARAM, 2, &c0, &c1);
        size_t i = c0, k;
        while (i < c1 && py_isspace((const unsigned char *)in->s + i, c1 - i, &k)) i += k;
        size_t name0 = i + 6, name1 = SIZE_MAX;
        if (matches_at(in, i, c1, "name=\"")) {
            for (size_t p = name0; p + 3 <= c1; p++)
                if (!memcmp(in->s + p, "\">\n", 3) && (p + 3 == c1 || (p + 4 == c1 && in->s[p + 3] == '\n'))) { name1 = p; break; }
        }
        if (name1 == SIZE_MAX) {
            tj_errf(in->err, in->errlen, "Tool name format error at byte %zu: expected ' name=\"NAME\">\\n' after '" INVOKE_OPEN "', found %s",
                     c0, quote(in, c0, c1, q, sizeof q));
            free(keys);
            return 2;
        }
        if (*ncalls == cap) {
            cap = cap ? cap * 2 : 4;
            parsed_call *p = realloc(*calls, (size_t)cap * sizeof *p);
            if (!p) { tj_errf(in->err, in->errlen, "out of memory"); free(keys); return 1; }
            *calls = p;
        }
        parsed_call *call = &(*calls)[(*ncalls)++];
        memset(call, 0, sizeof *call);
        call->name0 = name0;
        call->name1 = name1;
        tb_putc(&call->args, '{');
        nkeys = 0;
        while (st == 0) {
            read_until(in, idx, S_PCLOSE, 1, &c0, &c1);
            /* regex: ^ name="(.*?)" string="(true|false)">(.*?)<$ */
            size_t vend = SIZE_MAX, key1 = SIZE_MAX, v0 = 0;
            int is_str = 0;
            if (c1 > c0 && in->s[c1 - 1] == '<') vend = c1 - 1;
            else if (c1 - c0 >= 2 && in->s[c1 - 2] == '<' && in->s[c1 - 1] == '\n') vend = c1 - 2;
            if (vend != SIZE_MAX && matches_at(in, c0, c1, " name=\"")) {
                for (size_t p = c0 + 7; p <= vend; p++) {
                    if (matches_at(in, p, vend, ATTR_TRUE)) { key1 = p; v0 = p + strlen(ATTR_TRUE); is_str = 1; break; }
                    if (matches_at(in, p, vend, ATTR_FALSE)) { key1 = p; v0 = p + strlen(ATTR_FALSE); is_str = 0; break; }
                }
            }
            if (key1 == SIZE_MAX) {
                tj_errf(in->err, in->errlen, "Parameter format error at byte %zu: expected ' name=\"KEY\" string=\"true|false\">VALUE</" DSML_TOKEN "parameter>', found %s",
                         c0, quote(in, c0, c1, q, sizeof q));
                free(keys);
                return 2;
            }
            size_t key0 = c0 + 7;
            for (int j = 0; j < nkeys; j++)
                if (keys[j].key1 - keys[j].key0 == key1 - key0 && !memcmp(in->s + keys[j].key0, in->s + key0, key1 - key0)) {
                    tj_errf(in->err, in->errlen, "Duplicate parameter name at byte %zu: '%.*s' already given in this invoke",
                             key0, (int)(key1 - key0 > 80 ? 80 : key1 - key0), in->s + key0);
                    free(keys);
                    return 2;
                }
            if (nkeys == capk) {
                capk = capk ? capk * 2 : 8;
                seen_key *p = realloc(keys, (size_t)capk * sizeof *p);
                if (!p) { tj_errf(in->err, in->errlen, "out of memory"); free(keys); return 1; }
                keys = p;
            }
            keys[nkeys++] = (seen_key){key0, key1};
            if (!is_str && !bad->set) { /* reported only if the text is otherwise well formed */
                size_t eo;
                if (!tj_valid(in->s + v0, vend - v0, &eo)) *bad = (nonjson_value){1, v0, v0 + eo, key0, key1};
            }
            if (nkeys > 1) tb_puts(&call->args, ", ");
            tj_dump_string(in->s + key0, key1 - key0, &call->args);
            tb_puts(&call->args, ": ");
            if (is_str) tj_dump_string(in->s + v0, vend - v0, &call->args);
            else tb_put(&call->args, in->s + v0, vend - v0);
            st = read_until(in, idx, S_PARAM, 2, &c0, &c1);
            if (c1 - c0 != 2 || memcmp(in->s + c0, ">\n", 2) != 0) {
                tj_errf(in->err, in->errlen, "Parameter format error at byte %zu: expected '>\\n' after '" PARAM_CLOSE "', found %s",
                         c0, quote(in, c0, c1, q, sizeof q));
                free(keys);
                return 2;
            }
        }
        tb_putc(&call->args, '}');
        if (call->args.oom) { tj_errf(in->err, in->errlen, "out of memory"); free(keys); return 1; }
    }
    free(keys);
    return 0;
}

static void free_calls(parsed_call *calls, int n) {
    for (int i = 0; i < n; i++) tb_free(&calls[i].args);
    free(calls);
}

int v4_dsml_parse(const char *text, size_t len, int thinking, char **json_out, char *err,
                  size_t errlen) {
    *json_out = NULL;
    dsml_in in = {text, len, err, errlen};
    static const char *const S_THINK[] = {DSML_THINK_CLOSE, TC_START};
    static const char *const S_CONTENT[] = {DSML_EOS, TC_START};
    static const char *const S_EOS[] = {DSML_EOS};
    size_t idx = 0, r0 = 0, r1 = 0, c0, c1;
    char q[200];
    if (thinking) {
        int st = read_until(&in, &idx, S_THINK, 2, &r0, &r1);
        if (st != 0) {
            if (st == 1) tj_errf(err, errlen, "Invalid thinking format: missing </think> (the tool-call block starts at byte %zu before any </think>)", r1);
            else tj_errf(err, errlen, "Invalid thinking format: missing </think> (none in %zu bytes)", len);
            return 2;
        }
    }
    int st = read_until(&in, &idx, S_CONTENT, 2, &c0, &c1);
    parsed_call *calls = NULL;
    int ncalls = 0, rc;
    nonjson_value bad = {0, 0, 0, 0, 0};
    if (st < 0) {
        tj_errf(err, errlen, "Invalid format: missing EOS token (" DSML_EOS ") at byte %zu", len);
        return 2;
    }
    if (st == 1) {
        if ((rc = parse_block(&in, &idx, &calls, &ncalls, &bad))) { free_calls(calls, ncalls); return rc; }
        size_t t0, t1;
        st = read_until(&in, &idx, S_EOS, 1, &t0, &t1);
        if (t1 > t0) {
            tj_errf(err, errlen, "Unexpected content after tool calls at byte %zu: expected EOS or end of text, found %s",
                     t0, quote(&in, t0, t1, q, sizeof q));
            free_calls(calls, ncalls);
            return 2;
        }
    }
    if (idx != len) {
        tj_errf(err, errlen, "Unexpected content at end: %zu bytes after EOS at byte %zu, found %s", len - idx, idx,
                 quote(&in, idx, len, q, sizeof q));
        free_calls(calls, ncalls);
        return 2;
    }
    static const char *const SPECIAL[] = {DSML_BOS, DSML_EOS, DSML_THINK_OPEN, DSML_THINK_CLOSE, DSML_TOKEN};
    for (int k = 0; k < 5; k++) {
        dsml_in sub = {text, c1, NULL, 0};
        size_t p = find_at(&sub, c0, SPECIAL[k]);
        const char *where = "content";
        if (p == SIZE_MAX && thinking) {
            sub.n = r1;
            p = find_at(&sub, r0, SPECIAL[k]);
            where = "reasoning";
        }
        if (p != SIZE_MAX) {
            tj_errf(err, errlen, "Unexpected special token '%s' in %s at byte %zu", SPECIAL[k], where, p);
            free_calls(calls, ncalls);
            return 2;
        }
    }
    if (bad.set) {
        tj_errf(err, errlen, "Parameter value error at byte %zu: parameter '%.*s' has string=\"false\" but its value is not JSON (error at byte %zu)",
                 bad.v0, (int)(bad.key1 - bad.key0 > 80 ? 80 : bad.key1 - bad.key0), text + bad.key0, bad.at);
        free_calls(calls, ncalls);
        return 2;
    }
    text_buf b = {0};
    tb_puts(&b, "{\"content\": ");
    tj_dump_string(text + c0, c1 - c0, &b);
    tb_puts(&b, ", \"reasoning\": ");
    tj_dump_string(text + r0, r1 - r0, &b);
    tb_puts(&b, ", \"tool_calls\": [");
    for (int i = 0; i < ncalls; i++) {
        if (i) tb_puts(&b, ", ");
        tb_puts(&b, "{\"name\": ");
        tj_dump_string(text + calls[i].name0, calls[i].name1 - calls[i].name0, &b);
        tb_puts(&b, ", \"arguments\": ");
        tb_put(&b, calls[i].args.p, calls[i].args.n);
        tb_putc(&b, '}');
    }
    tb_puts(&b, "]}");
    free_calls(calls, ncalls);
    *json_out = tb_take(&b);
    if (!*json_out) { tj_errf(err, errlen, "dsml parse: out of memory"); return 1; }
    return 0;
}
