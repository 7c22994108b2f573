/*
 * code_synth.c — synthetic Python function tasks with hidden unit tests ("code_synth").
 *
 * A task is one of 18 function families over integers, strings and lists. The prompt is a
 * HumanEval-style signature + docstring whose parameter names, family constants (a modulus, a
 * letter set, a separator, bounds) and docstring example are drawn from the sample's RNG, so
 * every family yields many distinct prompts and the train seed space stays clear of the eval
 * prompts. The hidden test is check(candidate) with asserts on random inputs; the expected
 * values (and the example's output) are computed here in C — an implementation independent of
 * the Python canonical solution, which uses the prompt's names and constants and which the
 * generator's own tests run against those asserts. Values are printed in Python syntax from
 * restricted alphabets (letters, spaces and separators in strings), so repr quoting is exact.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites/code_internal.h"

/* ---- Python literal printing ------------------------------------------------------------- */

static void py_list(sbuf *b, const long long *v, int n) {
    sbuf_puts(b, "[");
    for (int i = 0; i < n; i++) sbuf_printf(b, "%s%lld", i ? ", " : "", v[i]);
    sbuf_puts(b, "]");
}
static void py_str(sbuf *b, const char *s) { sbuf_printf(b, "'%s'", s); }
static const char *py_bool(int v) { return v ? "True" : "False"; }

static void rand_list(srng *r, long long *v, int n, int lo, int hi) {
    for (int i = 0; i < n; i++) v[i] = srng_range(r, lo, hi);
}

static const char *const WORDS[] = {"apple", "river", "stone", "cloud", "tiger", "lemon",
                                    "piano", "maple", "ocean", "ember", "quartz", "violet",
                                    "delta", "orbit", "canyon", "Mango", "Zebra", "Echo", NULL};
static void rand_sentence(srng *r, char *buf, size_t n, int words) {
    size_t o = 0;
    int nw = 0;
    while (WORDS[nw]) nw++;
    buf[0] = 0;
    for (int i = 0; i < words; i++)
        o += (size_t)snprintf(buf + o, n - o, "%s%s", i ? " " : "", WORDS[srng_below(r, (uint64_t)nw)]);
}
static void rand_letters(srng *r, char *buf, int len, const char *alpha) {
    size_t na = strlen(alpha);
    for (int i = 0; i < len; i++) buf[i] = alpha[srng_below(r, na)];
    buf[len] = 0;
}

/* ---- families ------------------------------------------------------------------------------ */

typedef struct {
    sbuf prompt, canon, test;
    sbuf args, want;   /* the case being drawn: call arguments, expected value (Python repr) */
    char entry[64];
} fam_out;

#define N_CASES 6
#define PICK(r, a) ((a)[srng_below((r), sizeof(a) / sizeof((a)[0]))])

static const char *const INT_NAMES[] = {"n", "x", "num"};
static const char *const STR_NAMES[] = {"s", "text", "line"};
static const char *const LIST_NAMES[] = {"xs", "nums", "items", "arr"};

/* Every family draws its cases c = -1 .. N_CASES-1 into o->args / o->want; emit_case writes
 * case -1 as the docstring example (closing the docstring) and the others as hidden asserts
 * (True, False and None compared with `is`). */
static void emit_case(fam_out *o, int c) {
    const char *a = o->args.s ? o->args.s : "", *w = o->want.s ? o->want.s : "";
    if (c < 0)
        sbuf_printf(&o->prompt, "    >>> %s(%s)\n    %s\n    \"\"\"\n", o->entry, a, w);
    else
        sbuf_printf(&o->test, "    assert candidate(%s) %s %s\n", a,
                    strcmp(w, "True") && strcmp(w, "False") && strcmp(w, "None") ? "==" : "is", w);
    sbuf_free(&o->args);
    sbuf_free(&o->want);
}

static void fam_sum_multiples(srng *r, fam_out *o) {
    static const char *const NAMES[] = {"n", "limit", "bound"};
    const char *n = PICK(r, NAMES);
    int a = (int)srng_range(r, 2, 7), b;
    do b = (int)srng_range(r, 2, 11); while (b == a);
    snprintf(o->entry, sizeof o->entry, "sum_of_multiples");
    sbuf_printf(&o->prompt, "def sum_of_multiples(%s: int) -> int:\n    \"\"\"Return the sum of all "
                "positive integers below %s that are divisible by %d or by %d.\n", n, n, a, b);
    sbuf_printf(&o->canon, "    return sum(i for i in range(1, %s) if i %% %d == 0 or i %% %d == 0)\n",
                n, a, b);
    for (int c = -1; c < N_CASES; c++) {
        int m = c < 0 ? (int)srng_range(r, 10, 40) : c == 0 ? 0 : (int)srng_range(r, 1, 300);
        long long s = 0;
        for (int i = 1; i < m; i++) if (i % a == 0 || i % b == 0) s += i;
        sbuf_printf(&o->args, "%d", m);
        sbuf_printf(&o->want, "%lld", s);
        emit_case(o, c);
    }
}

static void fam_digit_sum(srng *r, fam_out *o) {
    const char *n = PICK(r, INT_NAMES);
    snprintf(o->entry, sizeof o->entry, "digit_sum");
    sbuf_printf(&o->prompt, "def digit_sum(%s: int) -> int:\n    \"\"\"Return the sum of the decimal "
                "digits of %s, ignoring its sign.\n", n, n);
    sbuf_printf(&o->canon, "    return sum(int(d) for d in str(abs(%s)))\n", n);
    for (int c = -1; c < N_CASES; c++) {
        long long v = c < 0 ? srng_range(r, -99999, 99999) : c == 0 ? 0 : srng_range(r, -999999, 999999);
        long long m = v < 0 ? -v : v, s = 0;
        while (m) { s += m % 10; m /= 10; }
        sbuf_printf(&o->args, "%lld", v);
        sbuf_printf(&o->want, "%lld", s);
        emit_case(o, c);
    }
}

static void fam_collatz(srng *r, fam_out *o) {
    static const char *const NAMES[] = {"n", "x", "start"};
    const char *n = PICK(r, NAMES);
    snprintf(o->entry, sizeof o->entry, "collatz_steps");
    sbuf_printf(&o->prompt, "def collatz_steps(%s: int) -> int:\n    \"\"\"Return how many steps the "
                "Collatz rule (halve %s when it is even, else replace it by 3 * %s + 1) takes to "
                "bring the positive integer %s down to 1.\n", n, n, n, n);
    sbuf_printf(&o->canon, "    steps = 0\n    while %s != 1:\n        %s = %s // 2 if %s %% 2 == 0 "
                "else 3 * %s + 1\n        steps += 1\n    return steps\n", n, n, n, n, n);
    for (int c = -1; c < N_CASES; c++) {
        long long v = c < 0 ? srng_range(r, 2, 999) : srng_range(r, 1, 500), m = v, s = 0;
        while (m != 1) { m = m % 2 ? 3 * m + 1 : m / 2; s++; }
        sbuf_printf(&o->args, "%lld", v);
        sbuf_printf(&o->want, "%lld", s);
        emit_case(o, c);
    }
}

static void fam_power_mod(srng *r, fam_out *o) {
    static const char *const NAMES[][2] = {{"base", "exp"}, {"b", "e"}, {"x", "n"}};
    const char *const *p = PICK(r, NAMES);
    int m = (int)srng_range(r, 7, 97);
    snprintf(o->entry, sizeof o->entry, "power_mod");
    sbuf_printf(&o->prompt, "def power_mod(%s: int, %s: int) -> int:\n    \"\"\"Return %s raised "
                "to the non-negative power %s, modulo %d.\n", p[0], p[1], p[0], p[1], m);
    sbuf_printf(&o->canon, "    return pow(%s, %s, %d)\n", p[0], p[1], m);
    for (int c = -1; c < N_CASES; c++) {
        long long b = c < 0 ? srng_range(r, 2, 12) : srng_range(r, 0, 50);
        long long e = c < 0 ? srng_range(r, 0, 12) : srng_range(r, 0, 40), acc = 1 % m;
        for (long long i = 0; i < e; i++) acc = acc * (b % m) % m;
        sbuf_printf(&o->args, "%lld, %lld", b, e);
        sbuf_printf(&o->want, "%lld", acc);
        emit_case(o, c);
    }
}

static void fam_count_chars(srng *r, fam_out *o) {
    const char *s = PICK(r, STR_NAMES);
    int pick[5], on[26] = {0}, k = (int)srng_range(r, 3, 5), n = 0;
    char set[6];
    srng_sample(r, 26, k, pick);
    for (int i = 0; i < k; i++) on[pick[i]] = 1;
    for (int i = 0; i < 26; i++) if (on[i]) set[n++] = (char)('a' + i);
    set[n] = 0;
    snprintf(o->entry, sizeof o->entry, "count_letters");
    sbuf_printf(&o->prompt, "def count_letters(%s: str) -> int:\n    \"\"\"Count the characters of %s "
                "that are one of the letters '%s', ignoring case.\n", s, s, set);
    sbuf_printf(&o->canon, "    return sum(1 for ch in %s.lower() if ch in '%s')\n", s, set);
    for (int c = -1; c < N_CASES; c++) {
        char t[200];
        rand_sentence(r, t, sizeof t, c < 0 ? (int)srng_range(r, 2, 3) : (int)srng_range(r, 0, 6));
        int cnt = 0;
        for (char *q = t; *q; q++) cnt += *q != ' ' && strchr(set, tolower((unsigned char)*q)) != NULL;
        py_str(&o->args, t);
        sbuf_printf(&o->want, "%d", cnt);
        emit_case(o, c);
    }
}

static void fam_reverse_words(srng *r, fam_out *o) {
    static const struct { char ch; const char *name; } SEPS[] = {
        {' ', "spaces"}, {',', "commas"}, {'-', "hyphens"}, {';', "semicolons"}};
    const char *s = PICK(r, STR_NAMES);
    int si = (int)srng_below(r, sizeof SEPS / sizeof SEPS[0]);
    char sep = SEPS[si].ch, delim[2] = {sep, 0};
    snprintf(o->entry, sizeof o->entry, "reverse_words");
    sbuf_printf(&o->prompt, "def reverse_words(%s: str) -> str:\n    \"\"\"Return the words of %s "
                "(separated by single %s) in reverse order, joined by single %s.\n", s, s,
                SEPS[si].name, SEPS[si].name);
    sbuf_printf(&o->canon, "    return '%c'.join(reversed(%s.split('%c'))) if %s else ''\n", sep, s,
                sep, s);
    for (int c = -1; c < N_CASES; c++) {
        char t[200], tmp[200], out[200] = "", *w[8];
        rand_sentence(r, t, sizeof t, c < 0 ? 3 : (int)srng_range(r, 1, 6));
        for (char *q = t; *q; q++) if (*q == ' ') *q = sep;
        int k = 0;
        snprintf(tmp, sizeof tmp, "%s", t);
        for (char *q = strtok(tmp, delim); q && k < 8; q = strtok(NULL, delim)) w[k++] = q;
        size_t off = 0;
        for (int i = k - 1; i >= 0; i--)
            off += (size_t)snprintf(out + off, sizeof out - off, "%s%s", i < k - 1 ? delim : "", w[i]);
        py_str(&o->args, t);
        py_str(&o->want, out);
        emit_case(o, c);
    }
}

static void fam_palindrome(srng *r, fam_out *o) {
    const char *s = PICK(r, STR_NAMES);
    snprintf(o->entry, sizeof o->entry, "is_palindrome");
    sbuf_printf(&o->prompt, "def is_palindrome(%s: str) -> bool:\n    \"\"\"Return True if %s reads "
                "the same forwards and backwards when case and spaces are ignored.\n    >>> "
                "is_palindrome('Never odd or even')\n    True\n", s, s);
    sbuf_printf(&o->canon, "    t = %s.replace(' ', '').lower()\n    return t == t[::-1]\n", s);
    for (int c = -1; c < N_CASES; c++) {
        char t[64], u[64];
        int len = c < 0 ? (int)srng_range(r, 4, 8) : (int)srng_range(r, 1, 9);
        rand_letters(r, t, len, "abcAB");
        if (c < 0 ? srng_below(r, 2) : c % 2 == 0) /* a palindrome half of the time */
            for (int i = 0; i < len / 2; i++) t[len - 1 - i] = t[i];
        int n = 0, pal = 1;
        for (int i = 0; t[i]; i++) if (t[i] != ' ') u[n++] = (char)tolower((unsigned char)t[i]);
        for (int i = 0; i < n / 2; i++) pal &= u[i] == u[n - 1 - i];
        py_str(&o->args, t);
        sbuf_puts(&o->want, py_bool(pal));
        emit_case(o, c);
    }
}

static void fam_caesar(srng *r, fam_out *o) {
    const char *s = PICK(r, STR_NAMES);
    int k = (int)srng_range(r, 1, 25);
    snprintf(o->entry, sizeof o->entry, "shift_letters");
    sbuf_printf(&o->prompt, "def shift_letters(%s: str) -> str:\n    \"\"\"Shift every lowercase "
                "letter of %s forward by %d places in the alphabet, wrapping around from 'z' to "
                "'a'; leave every other character unchanged.\n", s, s, k);
    sbuf_printf(&o->canon, "    return ''.join(chr((ord(ch) - 97 + %d) %% 26 + 97) if 'a' <= ch <= "
                "'z' else ch for ch in %s)\n", k, s);
    for (int c = -1; c < N_CASES; c++) {
        char t[200], u[200];
        rand_sentence(r, t, sizeof t, c < 0 ? 2 : (int)srng_range(r, 1, 4));
        for (int i = 0;; i++) {
            char ch = t[i];
            u[i] = ch >= 'a' && ch <= 'z' ? (char)((ch - 'a' + k) % 26 + 'a') : ch;
            if (!ch) break;
        }
        py_str(&o->args, t);
        py_str(&o->want, u);
        emit_case(o, c);
    }
}

static void fam_run_length(srng *r, fam_out *o) {
    const char *s = PICK(r, STR_NAMES);
    snprintf(o->entry, sizeof o->entry, "run_length");
    sbuf_printf(&o->prompt, "def run_length(%s: str) -> str:\n    \"\"\"Encode %s by replacing each "
                "run of a repeated character with the character followed by the run length.\n", s, s);
    sbuf_printf(&o->canon, "    out = []\n    i = 0\n    while i < len(%s):\n        j = i\n        "
                "while j < len(%s) and %s[j] == %s[i]:\n            j += 1\n        out.append(%s[i] + "
                "str(j - i))\n        i = j\n    return ''.join(out)\n", s, s, s, s, s);
    for (int c = -1; c < N_CASES; c++) {
        char t[64], u[200] = "";
        int len = c < 0 ? (int)srng_range(r, 5, 9) : c == 0 ? 0 : (int)srng_range(r, 1, 14);
        rand_letters(r, t, len, c < 0 ? "aabbc" : "aab");
        size_t off = 0;
        for (int i = 0; i < len;) {
            int j = i;
            while (j < len && t[j] == t[i]) j++;
            off += (size_t)snprintf(u + off, sizeof u - off, "%c%d", t[i], j - i);
            i = j;
        }
        py_str(&o->args, t);
        py_str(&o->want, u);
        emit_case(o, c);
    }
}

static void fam_running_sum(srng *r, fam_out *o) {
    const char *xs = PICK(r, LIST_NAMES);
    snprintf(o->entry, sizeof o->entry, "running_sum");
    sbuf_printf(&o->prompt, "def running_sum(%s: list) -> list:\n    \"\"\"Return the list of prefix "
                "sums of %s: element i is %s[0] + ... + %s[i].\n", xs, xs, xs, xs);
    sbuf_printf(&o->canon, "    out, total = [], 0\n    for x in %s:\n        total += x\n        "
                "out.append(total)\n    return out\n", xs);
    for (int c = -1; c < N_CASES; c++) {
        long long v[10], p[10], s = 0;
        int n = c < 0 ? (int)srng_range(r, 3, 5) : c == 0 ? 0 : (int)srng_range(r, 1, 10);
        if (c < 0) rand_list(r, v, n, -5, 20);
        else rand_list(r, v, n, -20, 50);
        for (int i = 0; i < n; i++) p[i] = s += v[i];
        py_list(&o->args, v, n);
        py_list(&o->want, p, n);
        emit_case(o, c);
    }
}

static void fam_filter_multiples(srng *r, fam_out *o) {
    const char *xs = PICK(r, LIST_NAMES);
    int k = (int)srng_range(r, 2, 6);
    snprintf(o->entry, sizeof o->entry, "keep_multiples");
    sbuf_printf(&o->prompt, "def keep_multiples(%s: list) -> list:\n    \"\"\"Return the elements "
                "of %s that are divisible by %d, in their original order.\n", xs, xs, k);
    sbuf_printf(&o->canon, "    return [x for x in %s if x %% %d == 0]\n", xs, k);
    for (int c = -1; c < N_CASES; c++) {
        long long v[12], w[12];
        int n = c < 0 ? (int)srng_range(r, 5, 8) : (int)srng_range(r, 0, 12), m = 0;
        if (c < 0) rand_list(r, v, n, 0, 30);
        else rand_list(r, v, n, -30, 60);
        for (int i = 0; i < n; i++) if (v[i] % k == 0) w[m++] = v[i];
        py_list(&o->args, v, n);
        py_list(&o->want, w, m);
        emit_case(o, c);
    }
}

/* second_of: the second largest distinct value of v into *out; 0 when there is none. */
static int second_of(const long long *v, int n, long long *out) {
    long long best = 0;
    int hb = 0, hs = 0;
    for (int i = 0; i < n; i++) if (!hb || v[i] > best) { best = v[i]; hb = 1; }
    for (int i = 0; i < n; i++)
        if (v[i] < best && (!hs || v[i] > *out)) { *out = v[i]; hs = 1; }
    return hs;
}

static void fam_second_largest(srng *r, fam_out *o) {
    const char *xs = PICK(r, LIST_NAMES);
    snprintf(o->entry, sizeof o->entry, "second_largest");
    sbuf_printf(&o->prompt, "def second_largest(%s: list):\n    \"\"\"Return the second largest "
                "distinct value in %s, or None when %s has fewer than two distinct values.\n", xs,
                xs, xs);
    sbuf_printf(&o->canon, "    values = sorted(set(%s))\n    return values[-2] if len(values) >= 2 "
                "else None\n", xs);
    for (int c = -1; c < N_CASES; c++) {
        long long v[10], second = 0;
        int n = c < 0 ? (int)srng_range(r, 4, 6) : c == 0 ? (int)srng_range(r, 0, 1)
                                                          : (int)srng_range(r, 2, 10), has;
        do rand_list(r, v, n, -9, 9);   /* the docstring example has an answer */
        while (!(has = second_of(v, n, &second)) && c < 0);
        if (c == 1) { for (int i = 0; i < n; i++) v[i] = 4; has = 0; } /* all equal */
        py_list(&o->args, v, n);
        if (has) sbuf_printf(&o->want, "%lld", second);
        else sbuf_puts(&o->want, "None");
        emit_case(o, c);
    }
}

static void fam_rotate(srng *r, fam_out *o) {
    static const char *const NAMES[][2] = {{"xs", "k"}, {"items", "n"}, {"nums", "steps"}};
    const char *const *p = PICK(r, NAMES), *xs = p[0], *k = p[1];
    snprintf(o->entry, sizeof o->entry, "rotate_left");
    sbuf_printf(&o->prompt, "def rotate_left(%s: list, %s: int) -> list:\n    \"\"\"Return %s rotated "
                "left by %s positions (%s may exceed the length; an empty list stays empty).\n",
                xs, k, xs, k, k);
    sbuf_printf(&o->canon, "    if not %s:\n        return []\n    %s %%= len(%s)\n    return %s[%s:] + "
                "%s[:%s]\n", xs, k, xs, xs, k, xs, k);
    for (int c = -1; c < N_CASES; c++) {
        long long v[10], w[10];
        int n = c < 0 ? (int)srng_range(r, 4, 6) : c == 0 ? 0 : (int)srng_range(r, 1, 10);
        int sh = c < 0 ? (int)srng_range(r, 1, 9) : (int)srng_range(r, 0, 15);
        rand_list(r, v, n, 0, 99);
        for (int i = 0; i < n; i++) w[i] = v[(i + sh) % n];
        py_list(&o->args, v, n);
        sbuf_printf(&o->args, ", %d", sh);
        py_list(&o->want, w, n);
        emit_case(o, c);
    }
}

static void fam_dedupe(srng *r, fam_out *o) {
    const char *xs = PICK(r, LIST_NAMES);
    snprintf(o->entry, sizeof o->entry, "dedupe");
    sbuf_printf(&o->prompt, "def dedupe(%s: list) -> list:\n    \"\"\"Remove repeated values from %s, "
                "keeping the first occurrence of each, in order.\n", xs, xs);
    sbuf_printf(&o->canon, "    seen, out = set(), []\n    for x in %s:\n        if x not in seen:\n"
                "            seen.add(x)\n            out.append(x)\n    return out\n", xs);
    for (int c = -1; c < N_CASES; c++) {
        long long v[12], w[12];
        int n = c < 0 ? (int)srng_range(r, 5, 8) : (int)srng_range(r, 0, 12), m = 0;
        rand_list(r, v, n, 0, 6);
        for (int i = 0; i < n; i++) {
            int dup = 0;
            for (int j = 0; j < m; j++) dup |= w[j] == v[i];
            if (!dup) w[m++] = v[i];
        }
        py_list(&o->args, v, n);
        py_list(&o->want, w, m);
        emit_case(o, c);
    }
}

static void fam_count_greater(srng *r, fam_out *o) {
    static const char *const NAMES[][2] = {{"xs", "t"}, {"nums", "threshold"}, {"values", "limit"}};
    const char *const *p = PICK(r, NAMES), *xs = p[0], *t = p[1];
    snprintf(o->entry, sizeof o->entry, "count_greater");
    sbuf_printf(&o->prompt, "def count_greater(%s: list, %s: int) -> int:\n    \"\"\"Return how many "
                "elements of %s are strictly greater than %s.\n", xs, t, xs, t);
    sbuf_printf(&o->canon, "    return sum(1 for x in %s if x > %s)\n", xs, t);
    for (int c = -1; c < N_CASES; c++) {
        long long v[12];
        int n = c < 0 ? (int)srng_range(r, 4, 7) : (int)srng_range(r, 0, 12);
        rand_list(r, v, n, -10, 10);
        int th = (int)srng_range(r, -5, 5), k = 0;
        for (int i = 0; i < n; i++) k += v[i] > th;
        py_list(&o->args, v, n);
        sbuf_printf(&o->args, ", %d", th);
        sbuf_printf(&o->want, "%d", k);
        emit_case(o, c);
    }
}

static void fam_clamp(srng *r, fam_out *o) {
    const char *xs = PICK(r, LIST_NAMES);
    int lo = (int)srng_range(r, -10, 0), hi = (int)srng_range(r, 5, 20);
    snprintf(o->entry, sizeof o->entry, "clamp_all");
    sbuf_printf(&o->prompt, "def clamp_all(%s: list) -> list:\n    \"\"\"Return a new list where each "
                "element of %s is limited to the range [%d, %d]: smaller values become %d and "
                "larger values become %d.\n", xs, xs, lo, hi, lo, hi);
    sbuf_printf(&o->canon, "    return [min(max(x, %d), %d) for x in %s]\n", lo, hi, xs);
    for (int c = -1; c < N_CASES; c++) {
        long long v[10], w[10];
        int n = c < 0 ? (int)srng_range(r, 4, 6) : (int)srng_range(r, 0, 10);
        rand_list(r, v, n, -30, 30);
        for (int i = 0; i < n; i++) w[i] = v[i] < lo ? lo : v[i] > hi ? hi : v[i];
        py_list(&o->args, v, n);
        py_list(&o->want, w, n);
        emit_case(o, c);
    }
}

static void fam_capitalize(srng *r, fam_out *o) {
    const char *s = PICK(r, STR_NAMES);
    snprintf(o->entry, sizeof o->entry, "title_words");
    sbuf_printf(&o->prompt, "def title_words(%s: str) -> str:\n    \"\"\"Return %s with the first letter "
                "of every space-separated word in upper case and the other letters in lower case.\n",
                s, s);
    sbuf_printf(&o->canon, "    return ' '.join(w[:1].upper() + w[1:].lower() for w in %s.split(' '))\n",
                s);
    for (int c = -1; c < N_CASES; c++) {
        char t[200], u[200];
        rand_sentence(r, t, sizeof t, c < 0 ? (int)srng_range(r, 2, 3) : (int)srng_range(r, 1, 5));
        for (char *q = t; *q; q++) /* mixed case: about one letter in three upper */
            if (srng_below(r, 3) == 0) *q = (char)toupper((unsigned char)*q);
        int start = 1;
        for (int i = 0;; i++) {
            char ch = t[i];
            if (!ch) { u[i] = 0; break; }
            if (ch == ' ') { u[i] = ch; start = 1; continue; }
            u[i] = start ? (char)toupper((unsigned char)ch) : (char)tolower((unsigned char)ch);
            start = 0;
        }
        py_str(&o->args, t);
        py_str(&o->want, u);
        emit_case(o, c);
    }
}

static void fam_max_diff(srng *r, fam_out *o) {
    const char *xs = PICK(r, LIST_NAMES);
    snprintf(o->entry, sizeof o->entry, "spread");
    sbuf_printf(&o->prompt, "def spread(%s: list) -> int:\n    \"\"\"Return the largest element of the "
                "non-empty list %s minus its smallest element.\n", xs, xs);
    sbuf_printf(&o->canon, "    return max(%s) - min(%s)\n", xs, xs);
    for (int c = -1; c < N_CASES; c++) {
        long long v[10];
        int n = c < 0 ? (int)srng_range(r, 3, 5) : (int)srng_range(r, 1, 10);
        rand_list(r, v, n, -50, 50);
        long long mx = v[0], mn = v[0];
        for (int i = 1; i < n; i++) { if (v[i] > mx) mx = v[i]; if (v[i] < mn) mn = v[i]; }
        py_list(&o->args, v, n);
        sbuf_printf(&o->want, "%lld", mx - mn);
        emit_case(o, c);
    }
}

typedef void (*fam_fn)(srng *, fam_out *);
static const fam_fn FAMILIES[] = {
    fam_sum_multiples, fam_digit_sum, fam_collatz, fam_power_mod, fam_count_chars,
    fam_reverse_words, fam_palindrome, fam_caesar, fam_run_length, fam_running_sum,
    fam_filter_multiples, fam_second_largest, fam_rotate, fam_dedupe, fam_count_greater,
    fam_clamp, fam_capitalize, fam_max_diff};
enum { N_FAMILIES = sizeof FAMILIES / sizeof FAMILIES[0] };

/* ---- code_synth --------------------------------------------------------------------------- */

static int synth_make(const suite *s, const suite_task *t, int index, uint64_t seed,
                      const suite_ctx *ctx, eval_sample *out, char *err, size_t errlen) {
    (void)s;
    char id[128];
    snprintf(id, sizeof id, "%s/%d", t->name, index);
    suite_sample_init(t, id, out);
    srng r;
    srng_init(&r, seed);
    fam_out f;
    memset(&f, 0, sizeof f);
    int fam = (int)srng_below(&r, N_FAMILIES);
    FAMILIES[fam](&r, &f);
    char *test = NULL;
    {
        sbuf tb = {0};
        sbuf_printf(&tb, "\n\ndef check(candidate):\n%s", f.test.s);
        test = sbuf_take(&tb);
    }
    int instruct = strcmp(t->template_name, "chat") == 0;
    out->target = code_target(f.prompt.s, test, f.entry, "", NULL, instruct);
    cJSON_AddStringToObject(out->meta, "canonical_solution", f.canon.s);
    sbuf ref = {0};
    if (instruct) sbuf_printf(&ref, "```python\n%s%s```", f.prompt.s, f.canon.s);
    else sbuf_puts(&ref, f.canon.s);
    cJSON_AddStringToObject(out->meta, "reference", ref.s);
    cJSON_AddNumberToObject(out->meta, "family", fam);
    sbuf_free(&ref);
    int rc = code_finish(t, f.prompt.s, ctx, out, err, errlen);
    free(test);
    sbuf_free(&f.prompt); sbuf_free(&f.canon); sbuf_free(&f.test);
    return rc;
}

const suite_kind suite_kind_code_synth = {
    .name = "code_synth", .scorer = "code_synth", .template_name = "chat", .max_new_tokens = 384,
    .validate = code_noparams, .make = synth_make};
