/*
 * text_json.c — Python-compatible JSON parse (number literals kept) and json.dumps
 * (ensure_ascii=False, default separators). See text_json.h for the rules and the known
 * differences from CPython.
 */
#include <stdarg.h>
#include "engine/text_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- number literals -------------------------------------------------------------------- */

/* Next number literal at or after *pos in text[0..len); returns its start and sets *n, or
 * NULL when none is left. Strings and keywords are skipped. */
static const char *tj_next_number(const char *text, size_t len, size_t *pos, size_t *n) {
    size_t i = *pos;
    while (i < len) {
        char c = text[i];
        if (c == '"') {
            for (i++; i < len && text[i] != '"'; i++)
                if (text[i] == '\\') i++;
            i++;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t s = i;
            while (i < len && (text[i] == '-' || text[i] == '+' || text[i] == '.' ||
                               text[i] == 'e' || text[i] == 'E' || (text[i] >= '0' && text[i] <= '9')))
                i++;
            *pos = i;
            *n = i - s;
            return text + s;
        } else {
            i++;
        }
    }
    *pos = i;
    return NULL;
}

/* Pre-order walk giving each number node its literal; 0 on mismatch or allocation failure. */
static int tj_attach(cJSON *v, const char *text, size_t len, size_t *pos) {
    for (; v; v = v->next) {
        if (cJSON_IsNumber(v)) {
            size_t n;
            const char *lit = tj_next_number(text, len, pos, &n);
            if (!lit) return 0;
            char *s = malloc(n + 1);
            if (!s) return 0;
            memcpy(s, lit, n);
            s[n] = 0;
            v->valuestring = s;
        } else if (v->child && !tj_attach(v->child, text, len, pos)) {
            return 0;
        }
    }
    return 1;
}

int tj_is_nul_escape(const char *text, size_t len, size_t off) {
    return off <= len && len - off >= 6 && !memcmp(text + off, "\\u0000", 6);
}

/* Offset of the first \u0000 escape inside a string, or SIZE_MAX. */
static size_t tj_find_nul_escape(const char *text, size_t len) {
    int in_str = 0;
    for (size_t i = 0; i < len; i++) {
        if (!in_str) { in_str = text[i] == '"'; continue; }
        if (text[i] == '"') in_str = 0;
        else if (text[i] == '\\') {
            if (tj_is_nul_escape(text, len, i)) return i;
            i++;
        }
    }
    return (size_t)-1;
}

static cJSON *tj_parse_impl(const char *text, size_t len, size_t *err_off, int allow_nul);

cJSON *tj_parse(const char *text, size_t len, size_t *err_off) {
    return tj_parse_impl(text, len, err_off, 0);
}

int tj_valid(const char *text, size_t len, size_t *err_off) {
    cJSON *v = tj_parse_impl(text, len, err_off, 1);
    cJSON_Delete(v);
    return v != NULL;
}

static cJSON *tj_parse_impl(const char *text, size_t len, size_t *err_off, int allow_nul) {
    /* cJSON needs its input to stop at len: copy into a NUL-terminated buffer. */
    char *buf = malloc(len + 1);
    if (!buf) { if (err_off) *err_off = 0; return NULL; }
    memcpy(buf, text, len);
    buf[len] = 0;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(buf, &end, 1);
    if (!root) {
        if (err_off) *err_off = end ? (size_t)(end - buf) : len;
        if (err_off && *err_off > len) *err_off = len;
        free(buf);
        return NULL;
    }
    if (strlen(buf) != len) { /* an embedded NUL ended the parse early */
        if (err_off) *err_off = strlen(buf);
        cJSON_Delete(root);
        free(buf);
        return NULL;
    }
    size_t nul = allow_nul ? (size_t)-1 : tj_find_nul_escape(buf, len);
    if (nul != (size_t)-1) {
        if (err_off) *err_off = nul;
        cJSON_Delete(root);
        free(buf);
        return NULL;
    }
    size_t pos = 0;
    if (!tj_attach(root, buf, len, &pos)) {
        if (err_off) *err_off = pos;
        cJSON_Delete(root);
        free(buf);
        return NULL;
    }
    free(buf);
    return root;
}

int tj_is_int_literal(const cJSON *num) {
    const char *s = num->valuestring;
    if (!s) return fabs(num->valuedouble) < 9007199254740992.0 && num->valuedouble == floor(num->valuedouble);
    return strpbrk(s, ".eE") == NULL;
}

/* ---- dump ------------------------------------------------------------------------------- */

void tj_float_repr(double d, text_buf *b) {
    if (isnan(d)) { tb_puts(b, "NaN"); return; }
    if (isinf(d)) { tb_puts(b, d < 0 ? "-Infinity" : "Infinity"); return; }
    char tmp[40];
    int p;
    for (p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, d);
        if (strtod(tmp, NULL) == d) break;
    }
    /* tmp = [-]D[.DDD]e±XX : collect the digits and the decimal exponent. */
    const char *s = tmp;
    int neg = 0;
    if (*s == '-') { neg = 1; s++; }
    char digits[24];
    int nd = 0;
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9') digits[nd++] = *s;
    int e10 = atoi(s + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--; /* %.*e may pad with zeros */
    digits[nd] = 0;
    int decpt = e10 + 1; /* position of the decimal point after the first digit */
    if (neg) tb_putc(b, '-');
    if (decpt <= -4 || decpt > 16) {
        tb_putc(b, digits[0]);
        if (nd > 1) { tb_putc(b, '.'); tb_put(b, digits + 1, (size_t)(nd - 1)); }
        tb_printf(b, "e%c%02d", e10 < 0 ? '-' : '+', e10 < 0 ? -e10 : e10);
    } else if (decpt <= 0) {
        tb_puts(b, "0.");
        for (int i = 0; i < -decpt; i++) tb_putc(b, '0');
        tb_put(b, digits, (size_t)nd);
    } else if (decpt < nd) {
        tb_put(b, digits, (size_t)decpt);
        tb_putc(b, '.');
        tb_put(b, digits + decpt, (size_t)(nd - decpt));
    } else {
        tb_put(b, digits, (size_t)nd);
        for (int i = nd; i < decpt; i++) tb_putc(b, '0');
        tb_puts(b, ".0");
    }
}

void tj_dump_string(const char *s, size_t n, text_buf *b) {
    tb_putc(b, '"');
    size_t run = 0; /* start of the current raw run */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[8];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default:
            if (c < 0x20) { snprintf(u, sizeof u, "\\u%04x", c); esc = u; }
        }
        if (esc) {
            tb_put(b, s + run, i - run);
            tb_puts(b, esc);
            run = i + 1;
        }
    }
    tb_put(b, s + run, n - run);
    tb_putc(b, '"');
}

static void tj_dump_number(const cJSON *v, text_buf *b) {
    const char *lit = v->valuestring;
    if (lit && tj_is_int_literal(v)) {
        const char *d = lit[0] == '-' ? lit + 1 : lit;
        if (!strcmp(d, "0")) tb_putc(b, '0'); /* int("-0") == 0 */
        else tb_puts(b, lit);
        return;
    }
    if (!lit && tj_is_int_literal(v)) { tb_printf(b, "%.0f", v->valuedouble); return; }
    tj_float_repr(lit ? strtod(lit, NULL) : v->valuedouble, b);
}

void tj_dump(const cJSON *v, text_buf *b) {
    if (!v) { tb_puts(b, "null"); return; }
    if (cJSON_IsNull(v)) tb_puts(b, "null");
    else if (cJSON_IsTrue(v)) tb_puts(b, "true");
    else if (cJSON_IsFalse(v)) tb_puts(b, "false");
    else if (cJSON_IsNumber(v)) tj_dump_number(v, b);
    else if (cJSON_IsString(v)) tj_dump_string(v->valuestring, strlen(v->valuestring), b);
    else if (cJSON_IsArray(v)) {
        tb_putc(b, '[');
        for (const cJSON *c = v->child; c; c = c->next) {
            if (c != v->child) tb_puts(b, ", ");
            tj_dump(c, b);
        }
        tb_putc(b, ']');
    } else if (cJSON_IsObject(v)) {
        /* Python dicts keep the first position of a key and the last value given to it. */
        tb_putc(b, '{');
        int first = 1;
        for (const cJSON *c = v->child; c; c = c->next) {
            int seen = 0;
            for (const cJSON *e = v->child; e != c; e = e->next)
                if (!strcmp(e->string, c->string)) { seen = 1; break; }
            if (seen) continue;
            const cJSON *val = c;
            for (const cJSON *e = c->next; e; e = e->next)
                if (!strcmp(e->string, c->string)) val = e;
            if (!first) tb_puts(b, ", ");
            first = 0;
            tj_dump_string(c->string, strlen(c->string), b);
            tb_puts(b, ": ");
            tj_dump(val, b);
        }
        tb_putc(b, '}');
    } else {
        tb_puts(b, "null");
    }
}

/* ---- path of a byte offset -------------------------------------------------------------- */

typedef struct {
    int is_obj;
    size_t key0, key1; /* object: current key in text (key1 == key0 when none yet) */
    long index;        /* array: current element */
} tj_frame;

int tj_path_at(const char *text, size_t off, char *out, size_t cap) {
    tj_frame st[64];
    int depth = 0, overflow = 0, expect_key = 0, in_string = 0;
    size_t i = 0;
    while (i < off) {
        char c = text[i];
        if (c == '"') {
            size_t s = ++i;
            while (i < off && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
            if (i >= off) in_string = 1;
            if (depth > 0 && !overflow && st[depth - 1].is_obj && expect_key) {
                st[depth - 1].key0 = s;
                st[depth - 1].key1 = i < off ? i : off;
                expect_key = 0;
            }
            i++;
        } else if (c == '{' || c == '[') {
            if (depth < 64) st[depth] = (tj_frame){c == '{', 0, 0, 0};
            else overflow++;
            depth++;
            expect_key = c == '{';
            i++;
        } else if (c == '}' || c == ']') {
            if (depth > 0) depth--;
            if (overflow) overflow--;
            expect_key = 0;
            i++;
        } else if (c == ',') {
            if (depth > 0 && depth <= 64) {
                if (st[depth - 1].is_obj) { expect_key = 1; st[depth - 1].key1 = st[depth - 1].key0; }
                else st[depth - 1].index++;
            }
            i++;
        } else {
            i++;
        }
    }
    size_t o = 0;
    int open = depth > 0 || in_string;
    if (cap == 0) return open;
    out[0] = 0;
    int shown = depth < 64 ? depth : 64;
    for (int d = 0; d < shown && o + 1 < cap; d++) {
        int k;
        if (st[d].is_obj) {
            if (st[d].key1 == st[d].key0) break;
            size_t kl = st[d].key1 - st[d].key0;
            k = snprintf(out + o, cap - o, "%s%.*s", d ? "." : "", (int)(kl > 40 ? 40 : kl), text + st[d].key0);
        } else {
            k = snprintf(out + o, cap - o, "[%ld]", st[d].index);
        }
        if (k < 0) break;
        o += (size_t)k;
        if (o >= cap) { o = cap - 1; break; }
    }
    if (!out[0]) snprintf(out, cap, "top level");
    return open;
}

const char *tj_type_name(const cJSON *v) {
    if (!v) return "nothing";
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsNull(v)) return "null";
    if (cJSON_IsArray(v)) return "an array";
    if (cJSON_IsObject(v)) return "an object";
    return "an invalid value";
}

void tj_errf(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
