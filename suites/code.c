/*
 * code.c — the code suite's task kinds: synthetic Python function tasks with hidden unit tests
 * ("code_synth") and loaders for HumanEval ("humaneval", .jsonl or .jsonl.gz) and MBPP
 * ("mbpp", .jsonl).
 *
 * A synthetic task is one of a set of function families (integers, strings, lists), each with
 * constants drawn from the sample's RNG: the prompt is a HumanEval-style signature + docstring,
 * the hidden test is check(candidate) with asserts on random inputs whose expected values are
 * computed here in C (an implementation independent of the Python canonical solution, which
 * the generator's own tests run against those asserts). Values are printed in Python syntax
 * from restricted alphabets (letters and spaces in strings), so repr quoting is exact.
 *
 * Prompts: template "chat" asks for the whole function in a ```python block (style
 * "instruct"); template "raw" gives the bare prompt to complete (style "completion") with the
 * benchmarks' stop strings (HumanEval: \nclass \ndef \n# \nif \nprint; MBPP: [DONE]).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites/suite_kinds.h"

static const char *const HUMANEVAL_STOPS[] = {"\nclass", "\ndef", "\n#", "\nif", "\nprint", NULL};
static const char *const MBPP_STOPS[] = {"[DONE]", NULL};

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
    char entry[64];
} fam_out;

#define N_CASES 6
#define ASSERT_EQ(o, fmt, ...) sbuf_printf(&(o)->test, "    assert candidate(" fmt "\n", __VA_ARGS__)

static void fam_sum_multiples(srng *r, fam_out *o) {
    int a = (int)srng_range(r, 2, 7), b;
    do b = (int)srng_range(r, 2, 11); while (b == a);
    snprintf(o->entry, sizeof o->entry, "sum_of_multiples");
    sbuf_printf(&o->prompt, "def sum_of_multiples(n: int) -> int:\n    \"\"\"Return the sum of all "
                "positive integers below n that are divisible by %d or by %d.\n    >>> "
                "sum_of_multiples(1)\n    0\n    \"\"\"\n", a, b);
    sbuf_printf(&o->canon, "    return sum(i for i in range(1, n) if i %% %d == 0 or i %% %d == 0)\n", a, b);
    for (int c = 0; c < N_CASES; c++) {
        int n = c == 0 ? 0 : (int)srng_range(r, 1, 300);
        long long s = 0;
        for (int i = 1; i < n; i++) if (i % a == 0 || i % b == 0) s += i;
        ASSERT_EQ(o, "%d) == %lld", n, s);
    }
}

static void fam_digit_sum(srng *r, fam_out *o) {
    snprintf(o->entry, sizeof o->entry, "digit_sum");
    sbuf_puts(&o->prompt, "def digit_sum(n: int) -> int:\n    \"\"\"Return the sum of the decimal "
              "digits of n, ignoring its sign.\n    >>> digit_sum(-123)\n    6\n    \"\"\"\n");
    sbuf_puts(&o->canon, "    return sum(int(d) for d in str(abs(n)))\n");
    for (int c = 0; c < N_CASES; c++) {
        long long n = c == 0 ? 0 : srng_range(r, -999999, 999999);
        long long m = n < 0 ? -n : n, s = 0;
        while (m) { s += m % 10; m /= 10; }
        ASSERT_EQ(o, "%lld) == %lld", n, s);
    }
}

static void fam_collatz(srng *r, fam_out *o) {
    snprintf(o->entry, sizeof o->entry, "collatz_steps");
    sbuf_puts(&o->prompt, "def collatz_steps(n: int) -> int:\n    \"\"\"Return how many steps the "
              "Collatz rule (halve even numbers, map odd n to 3n + 1) takes to bring the positive "
              "integer n down to 1.\n    >>> collatz_steps(1)\n    0\n    >>> collatz_steps(6)\n"
              "    8\n    \"\"\"\n");
    sbuf_puts(&o->canon, "    steps = 0\n    while n != 1:\n        n = n // 2 if n % 2 == 0 else "
              "3 * n + 1\n        steps += 1\n    return steps\n");
    for (int c = 0; c < N_CASES; c++) {
        long long n = srng_range(r, 1, 500), m = n, s = 0;
        while (m != 1) { m = m % 2 ? 3 * m + 1 : m / 2; s++; }
        ASSERT_EQ(o, "%lld) == %lld", n, s);
    }
}

static void fam_power_mod(srng *r, fam_out *o) {
    int m = (int)srng_range(r, 7, 97);
    snprintf(o->entry, sizeof o->entry, "power_mod");
    sbuf_printf(&o->prompt, "def power_mod(base: int, exp: int) -> int:\n    \"\"\"Return base raised "
                "to the non-negative power exp, modulo %d.\n    >>> power_mod(2, 0)\n    1\n"
                "    \"\"\"\n", m);
    sbuf_printf(&o->canon, "    return pow(base, exp, %d)\n", m);
    for (int c = 0; c < N_CASES; c++) {
        long long b = srng_range(r, 0, 50), e = srng_range(r, 0, 40), acc = 1 % m;
        for (long long i = 0; i < e; i++) acc = acc * (b % m) % m;
        ASSERT_EQ(o, "%lld, %lld) == %lld", b, e, acc);
    }
}

static void fam_count_chars(srng *r, fam_out *o) {
    static const char *const SETS[] = {"aeiou", "rstln", "xyz", NULL};
    const char *set = SETS[srng_below(r, 3)];
    snprintf(o->entry, sizeof o->entry, "count_letters");
    sbuf_printf(&o->prompt, "def count_letters(s: str) -> int:\n    \"\"\"Count the characters of s "
                "that are one of the letters '%s', ignoring case.\n    >>> count_letters('')\n"
                "    0\n    \"\"\"\n", set);
    sbuf_printf(&o->canon, "    return sum(1 for ch in s.lower() if ch in '%s')\n", set);
    for (int c = 0; c < N_CASES; c++) {
        char s[200];
        rand_sentence(r, s, sizeof s, (int)srng_range(r, 0, 6));
        int n = 0;
        for (char *p = s; *p; p++) n += strchr(set, tolower((unsigned char)*p)) != NULL && *p != ' ';
        sbuf_puts(&o->test, "    assert candidate(");
        py_str(&o->test, s);
        sbuf_printf(&o->test, ") == %d\n", n);
    }
}

static void fam_reverse_words(srng *r, fam_out *o) {
    snprintf(o->entry, sizeof o->entry, "reverse_words");
    sbuf_puts(&o->prompt, "def reverse_words(s: str) -> str:\n    \"\"\"Return the words of s "
              "(separated by single spaces) in reverse order, joined by single spaces.\n    >>> "
              "reverse_words('a b c')\n    'c b a'\n    \"\"\"\n");
    sbuf_puts(&o->canon, "    return ' '.join(reversed(s.split(' '))) if s else ''\n");
    for (int c = 0; c < N_CASES; c++) {
        char s[200], out[200] = "";
        int nw = (int)srng_range(r, 1, 6);
        rand_sentence(r, s, sizeof s, nw);
        char *w[8];
        int k = 0;
        char tmp[200];
        snprintf(tmp, sizeof tmp, "%s", s);
        for (char *t = strtok(tmp, " "); t && k < 8; t = strtok(NULL, " ")) w[k++] = t;
        size_t off = 0;
        for (int i = k - 1; i >= 0; i--)
            off += (size_t)snprintf(out + off, sizeof out - off, "%s%s", i < k - 1 ? " " : "", w[i]);
        sbuf_puts(&o->test, "    assert candidate(");
        py_str(&o->test, s);
        sbuf_puts(&o->test, ") == ");
        py_str(&o->test, out);
        sbuf_puts(&o->test, "\n");
    }
}

static void fam_palindrome(srng *r, fam_out *o) {
    snprintf(o->entry, sizeof o->entry, "is_palindrome");
    sbuf_puts(&o->prompt, "def is_palindrome(s: str) -> bool:\n    \"\"\"Return True if s reads "
              "the same forwards and backwards when case and spaces are ignored.\n    >>> "
              "is_palindrome('Never odd or even')\n    True\n    \"\"\"\n");
    sbuf_puts(&o->canon, "    t = s.replace(' ', '').lower()\n    return t == t[::-1]\n");
    for (int c = 0; c < N_CASES; c++) {
        char s[64];
        int len = (int)srng_range(r, 1, 9);
        rand_letters(r, s, len, "abcAB");
        if (c % 2 == 0) /* make a palindrome half of the time */
            for (int i = 0; i < len / 2; i++) s[len - 1 - i] = s[i];
        char t[64];
        int n = 0;
        for (int i = 0; s[i]; i++) if (s[i] != ' ') t[n++] = (char)tolower((unsigned char)s[i]);
        int pal = 1;
        for (int i = 0; i < n / 2; i++) pal &= t[i] == t[n - 1 - i];
        sbuf_puts(&o->test, "    assert candidate(");
        py_str(&o->test, s);
        sbuf_printf(&o->test, ") is %s\n", py_bool(pal));
    }
}

static void fam_caesar(srng *r, fam_out *o) {
    int k = (int)srng_range(r, 1, 25);
    snprintf(o->entry, sizeof o->entry, "shift_letters");
    sbuf_printf(&o->prompt, "def shift_letters(s: str) -> str:\n    \"\"\"Shift every lowercase "
                "letter of s forward by %d places in the alphabet, wrapping around from 'z' to "
                "'a'; leave every other character unchanged.\n    \"\"\"\n", k);
    sbuf_printf(&o->canon, "    return ''.join(chr((ord(ch) - 97 + %d) %% 26 + 97) if 'a' <= ch <= "
                "'z' else ch for ch in s)\n", k);
    for (int c = 0; c < N_CASES; c++) {
        char s[200];
        rand_sentence(r, s, sizeof s, (int)srng_range(r, 1, 4));
        char t[200];
        for (int i = 0;; i++) {
            char ch = s[i];
            t[i] = ch >= 'a' && ch <= 'z' ? (char)((ch - 'a' + k) % 26 + 'a') : ch;
            if (!ch) break;
        }
        sbuf_puts(&o->test, "    assert candidate(");
        py_str(&o->test, s);
        sbuf_puts(&o->test, ") == ");
        py_str(&o->test, t);
        sbuf_puts(&o->test, "\n");
    }
}

static void fam_run_length(srng *r, fam_out *o) {
    snprintf(o->entry, sizeof o->entry, "run_length");
    sbuf_puts(&o->prompt, "def run_length(s: str) -> str:\n    \"\"\"Encode s by replacing each "
              "run of a repeated character with the character followed by the run length.\n"
              "    >>> run_length('aaab')\n    'a3b1'\n    \"\"\"\n");
    sbuf_puts(&o->canon, "    out = []\n    i = 0\n    while i < len(s):\n        j = i\n        while "
              "j < len(s) and s[j] == s[i]:\n            j += 1\n        out.append(s[i] + str(j - "
              "i))\n        i = j\n    return ''.join(out)\n");
    for (int c = 0; c < N_CASES; c++) {
        char s[64];
        int len = c == 0 ? 0 : (int)srng_range(r, 1, 14);
        rand_letters(r, s, len, "aab");
        char t[200];
        size_t off = 0;
        t[0] = 0;
        for (int i = 0; i < len;) {
            int j = i;
            while (j < len && s[j] == s[i]) j++;
            off += (size_t)snprintf(t + off, sizeof t - off, "%c%d", s[i], j - i);
            i = j;
        }
        sbuf_puts(&o->test, "    assert candidate(");
        py_str(&o->test, s);
        sbuf_puts(&o->test, ") == ");
        py_str(&o->test, t);
        sbuf_puts(&o->test, "\n");
    }
}

static void fam_running_sum(srng *r, fam_out *o) {
    snprintf(o->entry, sizeof o->entry, "running_sum");
    sbuf_puts(&o->prompt, "def running_sum(xs: list) -> list:\n    \"\"\"Return the list of prefix "
              "sums of xs: element i is xs[0] + ... + xs[i].\n    >>> running_sum([1, 2, 3])\n"
              "    [1, 3, 6]\n    \"\"\"\n");
    sbuf_puts(&o->canon, "    out, total = [], 0\n    for x in xs:\n        total += x\n        "
              "out.append(total)\n    return out\n");
    for (int c = 0; c < N_CASES; c++) {
        long long v[10], p[10];
        int n = c == 0 ? 0 : (int)srng_range(r, 1, 10);
        rand_list(r, v, n, -20, 50);
        long long s = 0;
        for (int i = 0; i < n; i++) p[i] = s += v[i];
        sbuf_puts(&o->test, "    assert candidate(");
        py_list(&o->test, v, n);
        sbuf_puts(&o->test, ") == ");
        py_list(&o->test, p, n);
        sbuf_puts(&o->test, "\n");
    }
}

static void fam_filter_multiples(srng *r, fam_out *o) {
    int k = (int)srng_range(r, 2, 6);
    snprintf(o->entry, sizeof o->entry, "keep_multiples");
    sbuf_printf(&o->prompt, "def keep_multiples(xs: list) -> list:\n    \"\"\"Return the elements "
                "of xs that are divisible by %d, in their original order.\n    \"\"\"\n", k);
    sbuf_printf(&o->canon, "    return [x for x in xs if x %% %d == 0]\n", k);
    for (int c = 0; c < N_CASES; c++) {
        long long v[12], w[12];
        int n = (int)srng_range(r, 0, 12), m = 0;
        rand_list(r, v, n, -30, 60);
        for (int i = 0; i < n; i++) if (v[i] % k == 0) w[m++] = v[i];
        sbuf_puts(&o->test, "    assert candidate(");
        py_list(&o->test, v, n);
        sbuf_puts(&o->test, ") == ");
        py_list(&o->test, w, m);
        sbuf_puts(&o->test, "\n");
    }
}

static void fam_second_largest(srng *r, fam_out *o) {
    snprintf(o->entry, sizeof o->entry, "second_largest");
    sbuf_puts(&o->prompt, "def second_largest(xs: list):\n    \"\"\"Return the second largest "
              "distinct value in xs, or None when xs has fewer than two distinct values.\n    >>> "
              "second_largest([3, 1, 3, 2])\n    2\n    \"\"\"\n");
    sbuf_puts(&o->canon, "    values = sorted(set(xs))\n    return values[-2] if len(values) >= 2 "
              "else None\n");
    for (int c = 0; c < N_CASES; c++) {
        long long v[10];
        int n = c == 0 ? (int)srng_range(r, 0, 1) : (int)srng_range(r, 2, 10);
        rand_list(r, v, n, -9, 9);
        if (c == 1) for (int i = 0; i < n; i++) v[i] = 4; /* all equal */
        long long best = 0, second = 0;
        int hb = 0, hs = 0;
        for (int i = 0; i < n; i++) if (!hb || v[i] > best) { best = v[i]; hb = 1; }
        for (int i = 0; i < n; i++)
            if (v[i] < best && (!hs || v[i] > second)) { second = v[i]; hs = 1; }
        sbuf_puts(&o->test, "    assert candidate(");
        py_list(&o->test, v, n);
        if (hs) sbuf_printf(&o->test, ") == %lld\n", second);
        else sbuf_puts(&o->test, ") is None\n");
    }
}

static void fam_rotate(srng *r, fam_out *o) {
    snprintf(o->entry, sizeof o->entry, "rotate_left");
    sbuf_puts(&o->prompt, "def rotate_left(xs: list, k: int) -> list:\n    \"\"\"Return xs rotated "
              "left by k positions (k may exceed the length; an empty list stays empty).\n    >>> "
              "rotate_left([1, 2, 3, 4], 1)\n    [2, 3, 4, 1]\n    \"\"\"\n");
    sbuf_puts(&o->canon, "    if not xs:\n        return []\n    k %= len(xs)\n    return xs[k:] + "
              "xs[:k]\n");
    for (int c = 0; c < N_CASES; c++) {
        long long v[10], w[10];
        int n = c == 0 ? 0 : (int)srng_range(r, 1, 10);
        int k = (int)srng_range(r, 0, 15);
        rand_list(r, v, n, 0, 99);
        for (int i = 0; i < n; i++) w[i] = v[(i + k) % n];
        sbuf_puts(&o->test, "    assert candidate(");
        py_list(&o->test, v, n);
        sbuf_printf(&o->test, ", %d) == ", k);
        py_list(&o->test, w, n);
        sbuf_puts(&o->test, "\n");
    }
}

static void fam_dedupe(srng *r, fam_out *o) {
    snprintf(o->entry, sizeof o->entry, "dedupe");
    sbuf_puts(&o->prompt, "def dedupe(xs: list) -> list:\n    \"\"\"Remove repeated values from xs, "
              "keeping the first occurrence of each, in order.\n    >>> dedupe([3, 1, 3, 2, 1])\n"
              "    [3, 1, 2]\n    \"\"\"\n");
    sbuf_puts(&o->canon, "    seen, out = set(), []\n    for x in xs:\n        if x not in seen:\n"
              "            seen.add(x)\n            out.append(x)\n    return out\n");
    for (int c = 0; c < N_CASES; c++) {
        long long v[12], w[12];
        int n = (int)srng_range(r, 0, 12), m = 0;
        rand_list(r, v, n, 0, 6);
        for (int i = 0; i < n; i++) {
            int dup = 0;
            for (int j = 0; j < m; j++) dup |= w[j] == v[i];
            if (!dup) w[m++] = v[i];
        }
        sbuf_puts(&o->test, "    assert candidate(");
        py_list(&o->test, v, n);
        sbuf_puts(&o->test, ") == ");
        py_list(&o->test, w, m);
        sbuf_puts(&o->test, "\n");
    }
}

static void fam_count_greater(srng *r, fam_out *o) {
    snprintf(o->entry, sizeof o->entry, "count_greater");
    sbuf_puts(&o->prompt, "def count_greater(xs: list, t: int) -> int:\n    \"\"\"Return how many "
              "elements of xs are strictly greater than t.\n    \"\"\"\n");
    sbuf_puts(&o->canon, "    return sum(1 for x in xs if x > t)\n");
    for (int c = 0; c < N_CASES; c++) {
        long long v[12];
        int n = (int)srng_range(r, 0, 12);
        rand_list(r, v, n, -10, 10);
        int t = (int)srng_range(r, -5, 5), k = 0;
        for (int i = 0; i < n; i++) k += v[i] > t;
        sbuf_puts(&o->test, "    assert candidate(");
        py_list(&o->test, v, n);
        sbuf_printf(&o->test, ", %d) == %d\n", t, k);
    }
}

static void fam_clamp(srng *r, fam_out *o) {
    int lo = (int)srng_range(r, -10, 0), hi = (int)srng_range(r, 5, 20);
    snprintf(o->entry, sizeof o->entry, "clamp_all");
    sbuf_printf(&o->prompt, "def clamp_all(xs: list) -> list:\n    \"\"\"Return a new list where each "
                "element of xs is limited to the range [%d, %d]: smaller values become %d and "
                "larger values become %d.\n    \"\"\"\n", lo, hi, lo, hi);
    sbuf_printf(&o->canon, "    return [min(max(x, %d), %d) for x in xs]\n", lo, hi);
    for (int c = 0; c < N_CASES; c++) {
        long long v[10], w[10];
        int n = (int)srng_range(r, 0, 10);
        rand_list(r, v, n, -30, 30);
        for (int i = 0; i < n; i++) w[i] = v[i] < lo ? lo : v[i] > hi ? hi : v[i];
        sbuf_puts(&o->test, "    assert candidate(");
        py_list(&o->test, v, n);
        sbuf_puts(&o->test, ") == ");
        py_list(&o->test, w, n);
        sbuf_puts(&o->test, "\n");
    }
}

static void fam_capitalize(srng *r, fam_out *o) {
    snprintf(o->entry, sizeof o->entry, "title_words");
    sbuf_puts(&o->prompt, "def title_words(s: str) -> str:\n    \"\"\"Return s with the first letter "
              "of every space-separated word in upper case and the other letters in lower case.\n"
              "    >>> title_words('hello wORLD')\n    'Hello World'\n    \"\"\"\n");
    sbuf_puts(&o->canon, "    return ' '.join(w[:1].upper() + w[1:].lower() for w in s.split(' '))\n");
    for (int c = 0; c < N_CASES; c++) {
        char s[200], t[200];
        rand_sentence(r, s, sizeof s, (int)srng_range(r, 1, 5));
        int start = 1;
        for (int i = 0;; i++) {
            char ch = s[i];
            if (!ch) { t[i] = 0; break; }
            if (ch == ' ') { t[i] = ch; start = 1; continue; }
            t[i] = start ? (char)toupper((unsigned char)ch) : (char)tolower((unsigned char)ch);
            start = 0;
        }
        sbuf_puts(&o->test, "    assert candidate(");
        py_str(&o->test, s);
        sbuf_puts(&o->test, ") == ");
        py_str(&o->test, t);
        sbuf_puts(&o->test, "\n");
    }
}

static void fam_max_diff(srng *r, fam_out *o) {
    snprintf(o->entry, sizeof o->entry, "spread");
    sbuf_puts(&o->prompt, "def spread(xs: list) -> int:\n    \"\"\"Return the largest element of the "
              "non-empty list xs minus its smallest element.\n    >>> spread([4, -1, 7])\n    8\n"
              "    \"\"\"\n");
    sbuf_puts(&o->canon, "    return max(xs) - min(xs)\n");
    for (int c = 0; c < N_CASES; c++) {
        long long v[10];
        int n = (int)srng_range(r, 1, 10);
        rand_list(r, v, n, -50, 50);
        long long mx = v[0], mn = v[0];
        for (int i = 1; i < n; i++) { if (v[i] > mx) mx = v[i]; if (v[i] < mn) mn = v[i]; }
        sbuf_puts(&o->test, "    assert candidate(");
        py_list(&o->test, v, n);
        sbuf_printf(&o->test, ") == %lld\n", mx - mn);
    }
}

typedef void (*fam_fn)(srng *, fam_out *);
static const fam_fn FAMILIES[] = {
    fam_sum_multiples, fam_digit_sum, fam_collatz, fam_power_mod, fam_count_chars,
    fam_reverse_words, fam_palindrome, fam_caesar, fam_run_length, fam_running_sum,
    fam_filter_multiples, fam_second_largest, fam_rotate, fam_dedupe, fam_count_greater,
    fam_clamp, fam_capitalize, fam_max_diff};
enum { N_FAMILIES = sizeof FAMILIES / sizeof FAMILIES[0] };

/* ---- shared prompt / target building --------------------------------------------------- */

static cJSON *code_target(const char *prompt, const char *test, const char *entry,
                          const char *setup, const cJSON *test_list, int instruct) {
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "prompt", prompt);
    cJSON_AddStringToObject(t, "test", test);
    cJSON_AddStringToObject(t, "entry_point", entry);
    cJSON_AddStringToObject(t, "test_setup_code", setup ? setup : "");
    cJSON_AddItemToObject(t, "test_list", test_list ? cJSON_Duplicate(test_list, 1) : cJSON_CreateArray());
    cJSON_AddStringToObject(t, "style", instruct ? "instruct" : "completion");
    return t;
}

static void set_stops(eval_sample *out, const suite_task *t, const char *const *stops) {
    if (t->n_stops || strcmp(t->template_name, "raw")) return; /* explicit stops or chat */
    int n = 0;
    while (stops[n]) n++;
    out->stops = malloc(sizeof(char *) * (size_t)n);
    for (int i = 0; i < n; i++) out->stops[i] = sdup(stops[i]);
    out->n_stops = n;
}

/* function-style prompt: instruct (chat) or the bare prompt (raw) */
static int code_finish(const suite_task *t, const char *fn_prompt, const suite_ctx *ctx,
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
    set_stops(out, t, HUMANEVAL_STOPS);
    return rc ? rc : suite_sample_tokenize(ctx, out, err, errlen);
}

static int noparams(const char *where, const suite_task *t, char *err, size_t errlen) {
    static const char *const none[] = {NULL};
    return sv_known(where, t->params, none, err, errlen);
}

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
    .validate = noparams, .make = synth_make};

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
    .scorer = "humaneval", .template_name = "chat", .max_new_tokens = 512, .validate = noparams,
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
    } else if ((text = need(l, index, row, "text", err, errlen)) &&
               (code = need(l, index, row, "code", err, errlen))) {
        int ok = cJSON_IsArray(tests) && cJSON_GetArraySize(tests) > 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, tests) ok &= cJSON_IsString(e);
        if (!ok) {
            snprintf(err, errlen, "%s:%d: field \"test_list\": expected a non-empty list of assert "
                     "strings, found %s", l->path, l->lineno[index], sv_type_name(tests));
        } else {
            const char *setup = sj_str(row, "test_setup_code");
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
            set_stops(out, t, MBPP_STOPS);
            if (!rc) rc = suite_sample_tokenize(ctx, out, err, errlen);
        }
    }
    cJSON_Delete(row);
    return rc;
}

const suite_kind suite_kind_mbpp = {
    .name = "mbpp", .loader = 1, .default_data = "data/mbpp/mbpp.jsonl", .scorer = "mbpp",
    .template_name = "chat", .max_new_tokens = 512, .validate = noparams,
    .prepare = lines_prepare, .make = mbpp_make};
