/*
 * math_norm.c — answer normalisation and equivalence for math scorers.
 *
 * math_strip_string follows the Hendrycks MATH rules (math_equivalence.py _strip_string, also
 * used by lm-eval's hendrycks_math and AIME tasks), step by step and in the same order:
 *   remove "\n", remove "\!", "\\" → "\", tfrac/dfrac → frac, remove \left and \right,
 *   remove ^{\circ} and ^\circ, remove "\$", drop units on the right (text before "\text{ "),
 *   remove "\%" , " ." → " 0." and "{." → "{0.", a leading "." gets a "0", drop a "k =" prefix
 *   of at most two characters, \sqrtX → \sqrt{X}, remove spaces, \fracab → \frac{a}{b}
 *   (and \fraca{b} → \frac{a}{b}), "0.5" → \frac{1}{2}, "a/b" of two canonical integers →
 *   \frac{a}{b}.
 * Where the Python reference raises (two or more "\text{ ", "\sqrt" or "\frac" followed by
 * nothing) we return NULL and math_is_equiv falls back to comparing the raw strings, as
 * is_equiv's `except` branch does. "One character" means one UTF-8 code point, as in Python.
 *
 * math_parse_number is our addition for numeric equivalence: exact rationals (integers, commas
 * as thousands separators, decimals, a/b, \frac{a}{b}) reduced to lowest terms in 128-bit
 * integers, so "5.00" = "5", "0.5" = "1/2" = "\frac{1}{2}", "1,234" = "1234". Nothing is
 * compared in floating point.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "scorers/scorer_internal.h"

typedef struct { char *p; size_t n, cap; int oom; } math_sb;   /* growable string */

static void sb_add(math_sb *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n + 1) cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) { b->oom = 1; return; }
        b->p = q; b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}
static void sb_adds(math_sb *b, const char *s) { sb_add(b, s, strlen(s)); }
static char *sb_done(math_sb *b) {
    if (b->oom) { free(b->p); return NULL; }
    if (!b->p) return scorer_strdup("");
    return b->p;
}

/* replace every occurrence of `from` (non-empty) by `to`; frees `s`, returns the new string. */
static char *rep(char *s, const char *from, const char *to) {
    if (!s) return NULL;
    size_t fl = strlen(from);
    if (!strstr(s, from)) return s;
    math_sb b = {0};
    const char *p = s, *q;
    while ((q = strstr(p, from))) {
        sb_add(&b, p, (size_t)(q - p));
        sb_adds(&b, to);
        p = q + fl;
    }
    sb_adds(&b, p);
    free(s);
    return sb_done(&b);
}

/* number of occurrences of `sep` (Python: len(s.split(sep)) - 1) */
static int count_sep(const char *s, const char *sep) {
    int n = 0;
    size_t l = strlen(sep);
    for (const char *p = s; (p = strstr(p, sep)); p += l) n++;
    return n;
}

static size_t utf8_char_len(const char *s) {
    unsigned char c = (unsigned char)s[0];
    size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    for (size_t i = 1; i < n; i++)
        if (!s[i]) return i;
    return n;
}

static size_t utf8_count(const char *s, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) c++;
    return c;
}

/* _remove_right_units; *fail on more than one "\text{ " */
static char *remove_right_units(char *s, int *fail) {
    const char *sep = "\\text{ ";
    if (!strstr(s, sep)) return s;
    if (count_sep(s, sep) != 1) { *fail = 1; return s; }
    *strstr(s, sep) = 0;
    return s;
}

/* _fix_sqrt; *fail when "\sqrt" ends the string (Python IndexError) */
static char *fix_sqrt(char *s, int *fail) {
    const char *sep = "\\sqrt";
    if (!strstr(s, sep)) return s;
    math_sb b = {0};
    const char *p = s, *q = strstr(p, sep);
    sb_add(&b, p, (size_t)(q - p));
    p = q + 5;
    for (;;) {
        q = strstr(p, sep);
        size_t len = q ? (size_t)(q - p) : strlen(p);   /* this split: p[0..len) */
        if (len == 0) { *fail = 1; free(b.p); return s; }
        if (p[0] != '{') {
            size_t a = utf8_char_len(p);
            if (a > len) a = len;
            sb_adds(&b, "\\sqrt{");
            sb_add(&b, p, a);
            sb_adds(&b, "}");
            sb_add(&b, p + a, len - a);
        } else {
            sb_adds(&b, "\\sqrt");
            sb_add(&b, p, len);
        }
        if (!q) break;
        p = q + 5;
    }
    char *r = sb_done(&b);
    if (!r) { *fail = 1; return s; }
    free(s);
    return r;
}

/* _fix_fracs; *fail when "\frac" ends the string (Python IndexError on substr[0]) */
static char *fix_fracs(char *s, int *fail) {
    const char *sep = "\\frac";
    if (!strstr(s, sep)) return s;
    math_sb b = {0};
    const char *p = s, *q = strstr(p, sep);
    sb_add(&b, p, (size_t)(q - p));
    p = q + 5;
    for (;;) {
        q = strstr(p, sep);
        size_t len = q ? (size_t)(q - p) : strlen(p);
        sb_adds(&b, "\\frac");
        if (len == 0) { *fail = 1; free(b.p); return s; }
        if (p[0] == '{') {
            sb_add(&b, p, len);
        } else {
            if (utf8_count(p, len) < 2) { free(b.p); return s; }   /* "return string" */
            size_t la = utf8_char_len(p);
            size_t lb = utf8_char_len(p + la);
            const char *a = p, *bb = p + la, *post = p + la + lb;
            size_t lpost = len - la - lb;
            sb_adds(&b, "{");
            sb_add(&b, a, la);
            if (bb[0] != '{') {
                sb_adds(&b, "}{");
                sb_add(&b, bb, lb);
                sb_adds(&b, "}");
            } else {
                sb_adds(&b, "}");
                sb_add(&b, bb, lb);
            }
            sb_add(&b, post, lpost);
        }
        if (!q) break;
        p = q + 5;
    }
    char *r = sb_done(&b);
    if (!r) { *fail = 1; return s; }
    free(s);
    return r;
}

/* canonical Python str(int(x)): -?(0|[1-9][0-9]*), and not "-0" */
static int canonical_int(const char *s, size_t n) {
    size_t i = 0;
    if (i < n && s[i] == '-') i++;
    if (i >= n) return 0;
    if (s[i] == '0') return i + 1 == n && i == 0;
    for (; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return 0;
    return 1;
}

/* _fix_a_slash_b */
static char *fix_a_slash_b(char *s) {
    if (count_sep(s, "/") != 1) return s;
    char *slash = strchr(s, '/');
    size_t la = (size_t)(slash - s), lb = strlen(slash + 1);
    if (!canonical_int(s, la) || !canonical_int(slash + 1, lb)) return s;
    math_sb b = {0};
    sb_adds(&b, "\\frac{");
    sb_add(&b, s, la);
    sb_adds(&b, "}{");
    sb_add(&b, slash + 1, lb);
    sb_adds(&b, "}");
    char *r = sb_done(&b);
    if (!r) return s;
    free(s);
    return r;
}

char *math_strip_string(const char *in) {
    int fail = 0;
    char *s = scorer_strdup(in);
    s = rep(s, "\n", "");
    s = rep(s, "\\!", "");
    s = rep(s, "\\\\", "\\");
    s = rep(s, "tfrac", "frac");
    s = rep(s, "dfrac", "frac");
    s = rep(s, "\\left", "");
    s = rep(s, "\\right", "");
    s = rep(s, "^{\\circ}", "");
    s = rep(s, "^\\circ", "");
    s = rep(s, "\\$", "");
    if (!s) return NULL;
    s = remove_right_units(s, &fail);
    if (fail) { free(s); return NULL; }
    s = rep(s, "\\%", "");
    s = rep(s, " .", " 0.");
    s = rep(s, "{.", "{0.");
    if (!s) return NULL;
    if (!s[0]) return s;
    if (s[0] == '.') {
        char *t = malloc(strlen(s) + 2);
        if (!t) { free(s); return NULL; }
        t[0] = '0';
        strcpy(t + 1, s);
        free(s);
        s = t;
    }
    if (count_sep(s, "=") == 1) {
        char *eq = strchr(s, '=');
        if (utf8_count(s, (size_t)(eq - s)) <= 2) memmove(s, eq + 1, strlen(eq + 1) + 1);
    }
    s = fix_sqrt(s, &fail);
    if (fail) { free(s); return NULL; }
    s = rep(s, " ", "");
    if (!s) return NULL;
    s = fix_fracs(s, &fail);
    if (fail) { free(s); return NULL; }
    if (strcmp(s, "0.5") == 0) {
        free(s);
        s = scorer_strdup("\\frac{1}{2}");
        if (!s) return NULL;
    }
    return fix_a_slash_b(s);
}

int math_is_equiv(const char *a, const char *b) {
    if (!a || !b) return !a && !b;
    char *sa = math_strip_string(a), *sb = math_strip_string(b);
    int eq = (sa && sb) ? strcmp(sa, sb) == 0 : strcmp(a, b) == 0;
    free(sa);
    free(sb);
    return eq;
}

/* ---- exact numbers ---- */

#define MATH_MAX_DIGITS 36

static __int128 gcd128(__int128 a, __int128 b) {
    if (a < 0) a = -a;
    if (b < 0) b = -b;
    while (b) { __int128 t = a % b; a = b; b = t; }
    return a;
}

/* digits with optional thousands commas ("1,234,567": first group 1–3 digits, then groups of
 * exactly 3). Appends to *v, counts digits; returns bytes consumed or 0. */
static size_t parse_int_part(const char *s, __int128 *v, int *ndig) {
    size_t i = 0, first = 0;
    while (isdigit((unsigned char)s[i])) {
        if (++*ndig > MATH_MAX_DIGITS) return 0;
        *v = *v * 10 + (s[i] - '0');
        i++;
    }
    first = i;
    if (first == 0) return 0;
    if (s[i] == ',' && first <= 3) {
        size_t j = i;
        while (s[j] == ',' && isdigit((unsigned char)s[j + 1]) && isdigit((unsigned char)s[j + 2]) &&
               isdigit((unsigned char)s[j + 3]) && !isdigit((unsigned char)s[j + 4])) {
            for (int k = 1; k <= 3; k++) {
                if (++*ndig > MATH_MAX_DIGITS) return 0;
                *v = *v * 10 + (s[j + k] - '0');
            }
            j += 4;
        }
        i = j;
    }
    return i;
}

/* signed integer (braced frac parts): -?digits, no commas */
static int parse_plain_int(const char *s, size_t n, __int128 *v) {
    size_t i = 0;
    int neg = 0, nd = 0;
    if (i < n && (s[i] == '-' || s[i] == '+')) { neg = s[i] == '-'; i++; }
    if (i >= n) return 0;
    *v = 0;
    for (; i < n; i++) {
        if (!isdigit((unsigned char)s[i]) || ++nd > MATH_MAX_DIGITS) return 0;
        *v = *v * 10 + (s[i] - '0');
    }
    if (neg) *v = -*v;
    return 1;
}

static int make_rational(__int128 p, __int128 q, math_rational *out) {
    if (q == 0) return 0;
    if (q < 0) { p = -p; q = -q; }
    __int128 g = gcd128(p, q);
    if (g > 1) { p /= g; q /= g; }
    if (p == 0) q = 1;
    out->p = p;
    out->q = q;
    return 1;
}

int math_parse_number(const char *text, math_rational *out) {
    const char *s = text;
    while (*s == ' ') s++;
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ') n--;
    char *t = scorer_strndup(s, n);
    if (!t) return 0;
    int ok = 0, neg = 0;
    const char *p = t;
    if (*p == '-' || *p == '+') { neg = *p == '-'; p++; }
    if (strncmp(p, "\\$", 2) == 0) p += 2;
    else if (*p == '$') p++;
    if (!neg && (*p == '-' || *p == '+')) { neg = *p == '-'; p++; }
    const char *fr = NULL;
    if (strncmp(p, "\\frac{", 6) == 0) fr = p + 6;
    else if (strncmp(p, "\\dfrac{", 7) == 0 || strncmp(p, "\\tfrac{", 7) == 0) fr = p + 7;
    if (fr) {
        const char *c1 = strchr(fr, '}');
        if (c1 && c1[1] == '{') {
            const char *c2 = strchr(c1 + 2, '}');
            __int128 a, b;
            if (c2 && c2[1] == 0 && parse_plain_int(fr, (size_t)(c1 - fr), &a) &&
                parse_plain_int(c1 + 2, (size_t)(c2 - c1 - 2), &b))
                ok = make_rational(neg ? -a : a, b, out);
        }
        free(t);
        return ok;
    }
    __int128 v = 0, scale = 1;
    int nd = 0;
    size_t used = 0;
    if (*p != '.') {
        used = parse_int_part(p, &v, &nd);
        if (!used) { free(t); return 0; }
        p += used;
    }
    if (*p == '.') {
        p++;
        int fd = 0;
        while (isdigit((unsigned char)*p)) {
            if (++nd > MATH_MAX_DIGITS) { free(t); return 0; }
            v = v * 10 + (*p - '0');
            scale *= 10;
            p++;
            fd++;
        }
        if (fd == 0 && used == 0) { free(t); return 0; }   /* a lone "." */
        if (*p == 0) ok = make_rational(neg ? -v : v, scale, out);
    } else if (*p == '/') {
        __int128 b;
        if (parse_plain_int(p + 1, strlen(p + 1), &b) && p[1] != '-' && p[1] != '+')
            ok = make_rational(neg ? -v : v, b, out);
    } else if (*p == 0) {
        ok = make_rational(neg ? -v : v, 1, out);
    }
    free(t);
    return ok;
}

int math_parse_loose(const char *x, math_rational *r) {
    if (math_parse_number(x, r)) return 1;
    char *st = math_strip_string(x);
    int ok = st && math_parse_number(st, r);
    free(st);
    return ok;
}

int math_numeric_equiv(const char *a, const char *b) {
    math_rational ra, rb;
    if (!a || !b || !math_parse_loose(a, &ra) || !math_parse_loose(b, &rb)) return 0;
    return ra.p == rb.p && ra.q == rb.q;
}
