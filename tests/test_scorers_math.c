/*
 * test_scorers_math.c — GSM8K (lm-eval strict/flexible + exact_match rules), Hendrycks MATH
 * normalisation and \boxed{} extraction, exact numeric equivalence. The expected values were
 * worked out by hand from the published rules (lm-eval gsm8k.yaml, math_equivalence.py).
 */
#include <unistd.h>
#include "tests/test_util.h"
#include "tests/scorers_test_sample.h"
#include "scorers/scorer_internal.h"

typedef int (*mfn)(const eval_sample *, const char *, score_result *);

/* score one output; returns 1 pass, 0 fail, -1 error; *ex receives extracted (may be NULL) */
static int sc(mfn f, const char *scorer, const char *target, const char *out, char **ex,
              cJSON **details) {
    eval_sample s = test_sample_make(scorer, target, 0);
    score_result r = test_new_result();
    f(&s, out, &r);
    int res = r.status == SCORE_ERROR ? -1 : r.passed;
    if (r.status == SCORE_OK) CU_ASSERT_DOUBLE_EQUAL(r.score, res ? 1.0 : 0.0, 0);
    if (ex) *ex = r.extracted ? strdup(r.extracted) : NULL;
    if (details) { *details = r.details; r.details = NULL; }
    score_result_free(&r);
    test_sample_clear(&s);
    return res;
}

static const char *dstr(cJSON *d, const char *k) {
    cJSON *x = cJSON_GetObjectItem(d, k);
    return cJSON_IsString(x) ? x->valuestring : "(none)";
}

static void test_gsm8k_strict(void) {
    char *ex = NULL;
    const char *gold = "\"Natalia sold 48/2 = <<48/2=24>>24 clips in May.\\n#### 72\"";
    CU_ASSERT_EQUAL(sc(math_score_gsm8k, "gsm8k", gold, "48+24=72 clips.\n#### 72", &ex, NULL), 1);
    CU_ASSERT_STRING_EQUAL(ex, "72"); free(ex);
    /* commas are removed before comparing */
    CU_ASSERT_EQUAL(sc(math_score_gsm8k, "gsm8k", "\"1234\"", "so #### 1,234", &ex, NULL), 1);
    CU_ASSERT_STRING_EQUAL(ex, "1,234"); free(ex);
    CU_ASSERT_EQUAL(sc(math_score_gsm8k, "gsm8k", "\"#### 1,234\"", "#### 1234", NULL, NULL), 1);
    /* negative numbers */
    CU_ASSERT_EQUAL(sc(math_score_gsm8k, "gsm8k", "\"-5\"", "#### -5", NULL, NULL), 1);
    CU_ASSERT_EQUAL(sc(math_score_gsm8k, "gsm8k", "\"5\"", "#### -5", NULL, NULL), 0);
    /* the first "#### " wins (take_first) */
    CU_ASSERT_EQUAL(sc(math_score_gsm8k, "gsm8k", "\"5\"", "#### 5 then #### 6", NULL, NULL), 1);
    /* a trailing "." is ignored ("\.$"), number targets are accepted */
    CU_ASSERT_EQUAL(sc(math_score_gsm8k, "gsm8k", "72", "#### 72.", NULL, NULL), 1);
    /* no "#### ": strict is [invalid] even though the number is there */
    CU_ASSERT_EQUAL(sc(math_score_gsm8k, "gsm8k", "\"72\"", "The answer is 72", &ex, NULL), 0);
    CU_ASSERT_STRING_EQUAL(ex, "[invalid]"); free(ex);
    /* lm-eval compares strings: 5.00 is not 5 under exact */
    CU_ASSERT_EQUAL(sc(math_score_gsm8k, "gsm8k", "\"5\"", "#### 5.00", NULL, NULL), 0);
}

static void test_gsm8k_flexible(void) {
    char *ex = NULL;
    cJSON *d = NULL;
    const char *flex = "{\"answer\":\"42\",\"filter\":\"flexible\"}";
    CU_ASSERT_EQUAL(sc(math_score_gsm8k, "gsm8k", flex, "I had 3 apples, then 42", &ex, &d), 1);
    CU_ASSERT_STRING_EQUAL(ex, "42"); free(ex);
    CU_ASSERT_STRING_EQUAL(dstr(d, "strict_extracted"), "[invalid]");
    CU_ASSERT_STRING_EQUAL(dstr(d, "flexible_extracted"), "42");
    cJSON_Delete(d);
    /* "$5.00." — flexible picks "$5.00." ; exact (lm-eval) fails, numeric passes */
    CU_ASSERT_EQUAL(sc(math_score_gsm8k, "gsm8k", "{\"answer\":\"5\",\"filter\":\"flexible\"}",
                       "It costs $5.00.", &ex, NULL), 0);
    CU_ASSERT_STRING_EQUAL(ex, "$5.00."); free(ex);
    CU_ASSERT_EQUAL(sc(math_score_gsm8k, "gsm8k",
                       "{\"answer\":\"5\",\"filter\":\"flexible\",\"compare\":\"numeric\"}",
                       "It costs $5.00.", NULL, NULL), 1);
    CU_ASSERT_EQUAL(sc(math_score_gsm8k, "gsm8k", "{\"answer\":\"$5\",\"filter\":\"flexible\"}",
                       "It costs $5.", NULL, NULL), 1);
    /* negative and comma numbers with flexible */
    CU_ASSERT_EQUAL(sc(math_score_gsm8k, "gsm8k", "{\"answer\":-12,\"filter\":\"flexible\"}",
                       "x went down to -12", NULL, NULL), 1);
    CU_ASSERT_EQUAL(sc(math_score_gsm8k, "gsm8k", "{\"answer\":\"1234567\",\"filter\":\"flexible\"}",
                       "total 1,234,567 units", NULL, NULL), 1);
    /* single digit needs the second alternative; last match wins */
    CU_ASSERT_EQUAL(sc(math_score_gsm8k, "gsm8k", "{\"answer\":\"7\",\"filter\":\"flexible\"}",
                       "10 minus 3 is 7", NULL, NULL), 1);
    CU_ASSERT_EQUAL(sc(math_score_gsm8k, "gsm8k", "{\"answer\":\"7\",\"filter\":\"flexible\"}",
                       "no digits", &ex, NULL), 0);
    CU_ASSERT_STRING_EQUAL(ex, "[invalid]"); free(ex);
    /* bad targets */
    CU_ASSERT_EQUAL(sc(math_score_gsm8k, "gsm8k", "{\"answer\":\"7\",\"filter\":\"loose\"}", "7", NULL, NULL), -1);
    CU_ASSERT_EQUAL(sc(math_score_gsm8k, "gsm8k", "[1]", "7", NULL, NULL), -1);
    CU_ASSERT_EQUAL(sc(math_score_gsm8k, "gsm8k", NULL, "7", NULL, NULL), -1);
}

static void expect_strip(const char *in, const char *want) {
    char *got = math_strip_string(in);
    if (!want) {
        CU_ASSERT_PTR_NULL(got);
        if (got) printf("    strip(%s) = %s, expected failure\n", in, got);
    } else {
        CU_ASSERT_PTR_NOT_NULL_FATAL(got);
        if (strcmp(got, want)) printf("    strip(%s) = %s, expected %s\n", in, got, want);
        CU_ASSERT_STRING_EQUAL(got, want);
    }
    free(got);
}

static void test_strip_string(void) {
    expect_strip("\\frac12", "\\frac{1}{2}");
    expect_strip("\\frac1{72}", "\\frac{1}{72}");
    expect_strip("\\dfrac{3}{4}", "\\frac{3}{4}");
    expect_strip("\\tfrac{3}{4}", "\\frac{3}{4}");
    expect_strip("\\sqrt3", "\\sqrt{3}");
    expect_strip("2\\sqrt{2}", "2\\sqrt{2}");
    expect_strip("0.5", "\\frac{1}{2}");
    expect_strip(".5", "\\frac{1}{2}");
    expect_strip("3/4", "\\frac{3}{4}");
    expect_strip("03/4", "03/4");                  /* not canonical integers: unchanged */
    expect_strip("10\\text{ cm}", "10");
    expect_strip("90^\\circ", "90");
    expect_strip("90^{\\circ}", "90");
    expect_strip("\\$5", "5");
    expect_strip("50\\%", "50");
    expect_strip("x = 5", "5");
    expect_strip("abc = 5", "abc=5");              /* prefix longer than two characters stays */
    expect_strip("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})");
    expect_strip("\\{ .5 \\}", "\\{0.5\\}");
    expect_strip("a\n b\\!c", "abc");
    expect_strip("", "");
    /* where the reference raises: two "\text{ ", \sqrt or \frac at the end */
    expect_strip("1\\text{ m} 2\\text{ m}", NULL);
    expect_strip("2\\sqrt", NULL);
    expect_strip("\\frac", NULL);
    expect_strip("\\frac1", "\\frac1");            /* too short: returned unchanged */
    CU_ASSERT(math_is_equiv("1\\text{ m} 2\\text{ m}", "1\\text{ m} 2\\text{ m}"));  /* raw fallback */
    CU_ASSERT(!math_is_equiv("1\\text{ m} 2\\text{ m}", "1"));
}

static void test_boxed(void) {
    char *ex = NULL;
    cJSON *d = NULL;
    CU_ASSERT_EQUAL(sc(math_score_boxed, "math_boxed", "\"0.5\"", "so \\boxed{\\frac{1}{2}}.", &ex, NULL), 1);
    CU_ASSERT_STRING_EQUAL(ex, "\\frac{1}{2}"); free(ex);
    CU_ASSERT_EQUAL(sc(math_score_boxed, "math_boxed", "\"\\\\frac12\"", "\\boxed{\\dfrac{1}{2}}", NULL, NULL), 1);
    CU_ASSERT_EQUAL(sc(math_score_boxed, "math_boxed", "\"10\"", "\\boxed{10\\text{ cm}}", NULL, NULL), 1);
    CU_ASSERT_EQUAL(sc(math_score_boxed, "math_boxed", "\"(3,\\\\frac{\\\\pi}{2})\"",
                       "$\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}$", NULL, NULL), 1);
    CU_ASSERT_EQUAL(sc(math_score_boxed, "math_boxed", "\"\\\\frac{\\\\sqrt3}{2}\"",
                       "\\boxed{\\frac{\\sqrt{3}}{2}}", &ex, NULL), 1);
    CU_ASSERT_STRING_EQUAL(ex, "\\frac{\\sqrt{3}}{2}"); free(ex);
    CU_ASSERT_EQUAL(sc(math_score_boxed, "math_boxed", "\"2\"", "\\boxed{1} no wait \\boxed{2}", NULL, NULL), 1);
    CU_ASSERT_EQUAL(sc(math_score_boxed, "math_boxed", "\"1\"", "\\boxed{1} no wait \\boxed{2}", NULL, NULL), 0);
    CU_ASSERT_EQUAL(sc(math_score_boxed, "math_boxed", "\"5\"", "$\\boxed 5$ done", &ex, NULL), 1);
    CU_ASSERT_STRING_EQUAL(ex, "5"); free(ex);
    CU_ASSERT_EQUAL(sc(math_score_boxed, "math_boxed", "\"7\"", "\\fbox{7}", NULL, NULL), 1);
    CU_ASSERT_EQUAL(sc(math_score_boxed, "math_boxed", "\"x=5\"", "\\boxed{5}", NULL, NULL), 1);
    CU_ASSERT_EQUAL(sc(math_score_boxed, "math_boxed", "\"0.5\"", "\\boxed{\\frac{1}{3}}", NULL, NULL), 0);
    /* numeric equivalence on top of Hendrycks: 1,000 = 1000, 2.50 = 5/2 */
    CU_ASSERT_EQUAL(sc(math_score_boxed, "math_boxed", "\"1000\"", "\\boxed{1,000}", NULL, &d), 1);
    CU_ASSERT(cJSON_IsFalse(cJSON_GetObjectItem(d, "hendrycks_equiv")));
    CU_ASSERT(cJSON_IsTrue(cJSON_GetObjectItem(d, "numeric_equiv")));
    cJSON_Delete(d);
    CU_ASSERT_EQUAL(sc(math_score_boxed, "math_boxed", "{\"answer\":\"\\\\frac{5}{2}\"}", "\\boxed{2.50}", NULL, NULL), 1);
    /* tuple-like commas are not numbers */
    CU_ASSERT_EQUAL(sc(math_score_boxed, "math_boxed", "\"12\"", "\\boxed{1,2}", NULL, NULL), 0);
    /* a target holding a full solution is reduced to its box */
    CU_ASSERT_EQUAL(sc(math_score_boxed, "math_boxed", "\"Thus the answer is $\\\\boxed{42}$.\"", "\\boxed{42}", NULL, NULL), 1);
    /* no box, unbalanced box */
    CU_ASSERT_EQUAL(sc(math_score_boxed, "math_boxed", "\"42\"", "the answer is 42", &ex, &d), 0);
    CU_ASSERT_PTR_NULL(ex);
    CU_ASSERT(cJSON_IsFalse(cJSON_GetObjectItem(d, "boxed_found")));
    cJSON_Delete(d);
    CU_ASSERT_EQUAL(sc(math_score_boxed, "math_boxed", "\"42\"", "\\boxed{42", NULL, NULL), 0);
}

static void expect_num(const char *t, int ok, long long p, long long q) {
    math_rational r;
    int got = math_parse_number(t, &r);
    if (got != ok) printf("    parse(%s) = %d, expected %d\n", t, got, ok);
    CU_ASSERT_EQUAL(got, ok);
    if (ok && got) {
        CU_ASSERT(r.p == p && r.q == q);
        if (!(r.p == p && r.q == q)) printf("    parse(%s) = %lld/%lld\n", t, (long long)r.p, (long long)r.q);
    }
}

static void test_numbers(void) {
    expect_num("1234", 1, 1234, 1);
    expect_num("1,234", 1, 1234, 1);
    expect_num("1,234,567.50", 1, 2469135, 2);
    expect_num("12,34", 0, 0, 0);
    expect_num("1,2345", 0, 0, 0);
    expect_num("1234,567", 0, 0, 0);
    expect_num("-5", 1, -5, 1);
    expect_num("$5.00", 1, 5, 1);
    expect_num("-$5", 1, -5, 1);
    expect_num(".5", 1, 1, 2);
    expect_num("5.", 1, 5, 1);
    expect_num(".", 0, 0, 0);
    expect_num("6/8", 1, 3, 4);
    expect_num("-6/8", 1, -3, 4);
    expect_num("1/0", 0, 0, 0);
    expect_num("\\frac{1}{2}", 1, 1, 2);
    expect_num("\\dfrac{-2}{4}", 1, -1, 2);
    expect_num("-\\frac{1}{2}", 1, -1, 2);
    expect_num("\\frac{1}{2}x", 0, 0, 0);
    expect_num("0.000", 1, 0, 1);
    expect_num("-0", 1, 0, 1);
    expect_num("1e5", 0, 0, 0);
    math_rational big;   /* 36 digits still fit */
    CU_ASSERT(math_parse_number("123456789012345678901234567890123456", &big));
    CU_ASSERT(math_numeric_equiv("123456789012345678901234567890123456", "246913578024691357802469135780246912/2"));
    expect_num("1234567890123456789012345678901234567", 0, 0, 0);   /* 37 digits: refused */
    CU_ASSERT(math_numeric_equiv("0.5", "\\frac{1}{2}"));
    CU_ASSERT(math_numeric_equiv("\\frac12", "0.50"));
    CU_ASSERT(math_numeric_equiv("10\\text{ cm}", "10"));
    CU_ASSERT(!math_numeric_equiv("0.3333", "\\frac{1}{3}"));
    CU_ASSERT(!math_numeric_equiv("abc", "abc"));
}

static void test_math_number(void) {
    char *ex = NULL;
    CU_ASSERT_EQUAL(sc(math_score_number, "math_number", "\"-17\"", "so the result is -17.", &ex, NULL), 1);
    CU_ASSERT_STRING_EQUAL(ex, "-17"); free(ex);
    CU_ASSERT_EQUAL(sc(math_score_number, "math_number", "2.5", "x = 2.50", NULL, NULL), 1);
    CU_ASSERT_EQUAL(sc(math_score_number, "math_number", "1234", "costs $1,234 in total", NULL, NULL), 1);
    CU_ASSERT_EQUAL(sc(math_score_number, "math_number", "\"0.75\"", "\\boxed{\\frac{3}{4}} (I checked 7 times)", NULL, NULL), 1);
    CU_ASSERT_EQUAL(sc(math_score_number, "math_number", "\"0.75\"", "it is 3/4", NULL, NULL), 1);
    CU_ASSERT_EQUAL(sc(math_score_number, "math_number", "\"0.75\"", "it is \\frac{3}{4}", NULL, NULL), 1);
    CU_ASSERT_EQUAL(sc(math_score_number, "math_number", "\"5\"", "first 5 then 6", NULL, NULL), 0);
    CU_ASSERT_EQUAL(sc(math_score_number, "math_number", "\"5\"", "nothing", &ex, NULL), 0);
    CU_ASSERT_PTR_NULL(ex);
    CU_ASSERT_EQUAL(sc(math_score_number, "math_number", "\"five\"", "5", NULL, NULL), -1);
}


/* ---- differential check against Python (re module and the published strip_string rules,
 * re-implemented in Python by us): same inputs, same answers ---- */

static const char *PY_REF =
    "import json, re, sys\n"
    "STRICT = re.compile(r'#### (\\-?[0-9\\.\\,]+)')\n"
    "FLEX = re.compile(r'(-?[$0-9.,]{2,})|(-?[0-9]+)')\n"
    "def filt(rx, s, sel):\n"
    "    m = rx.findall(s)\n"
    "    if not m: return '[invalid]'\n"
    "    m = m[sel]\n"
    "    if isinstance(m, tuple):\n"
    "        m = [x for x in m if x]\n"
    "        if not m: return '[invalid]'\n"
    "        m = m[0]\n"
    "    return m.strip()\n"
    "def fracs(s):\n"
    "    parts = s.split('\\\\frac'); out = parts[0]\n"
    "    for p in parts[1:]:\n"
    "        out += '\\\\frac'\n"
    "        if p[0] == '{': out += p; continue\n"
    "        if len(p) < 2: return s\n"
    "        out += '{' + p[0] + '}' + (p[1] if p[1] == '{' else '{' + p[1] + '}') + p[2:]\n"
    "    return out\n"
    "def slash(s):\n"
    "    if len(s.split('/')) != 2: return s\n"
    "    a, b = s.split('/')\n"
    "    try:\n"
    "        ai, bi = int(a), int(b)\n"
    "        if s != '%d/%d' % (ai, bi): return s\n"
    "        return '\\\\frac{%d}{%d}' % (ai, bi)\n"
    "    except ValueError: return s\n"
    "def sqrt(s):\n"
    "    if '\\\\sqrt' not in s: return s\n"
    "    parts = s.split('\\\\sqrt'); out = parts[0]\n"
    "    for p in parts[1:]:\n"
    "        out += ('\\\\sqrt{' + p[0] + '}' + p[1:]) if p[0] != '{' else '\\\\sqrt' + p\n"
    "    return out\n"
    "def strip(s):\n"
    "    for a, b in [('\\n', ''), ('\\\\!', ''), ('\\\\\\\\', '\\\\'), ('tfrac', 'frac'), ('dfrac', 'frac'),\n"
    "                 ('\\\\left', ''), ('\\\\right', ''), ('^{\\\\circ}', ''), ('^\\\\circ', ''), ('\\\\$', '')]:\n"
    "        s = s.replace(a, b)\n"
    "    if '\\\\text{ ' in s:\n"
    "        parts = s.split('\\\\text{ ')\n"
    "        if len(parts) != 2: raise ValueError('units')\n"
    "        s = parts[0]\n"
    "    s = s.replace('\\\\%', '').replace(' .', ' 0.').replace('{.', '{0.')\n"
    "    if not s: return s\n"
    "    if s[0] == '.': s = '0' + s\n"
    "    if len(s.split('=')) == 2 and len(s.split('=')[0]) <= 2: s = s.split('=')[1]\n"
    "    s = sqrt(s).replace(' ', '')\n"
    "    s = fracs(s)\n"
    "    if s == '0.5': s = '\\\\frac{1}{2}'\n"
    "    return slash(s)\n"
    "def safe_strip(s):\n"
    "    try: return strip(s)\n"
    "    except (IndexError, ValueError): return None\n"
    "d = json.load(open(sys.argv[1], encoding='utf-8'))\n"
    "out = {'gsm': [[filt(STRICT, x, 0), filt(FLEX, x, -1)] for x in d['gsm']],\n"
    "       'strip': [safe_strip(x) for x in d['strip']]}\n"
    "json.dump(out, sys.stdout)\n";

static uint64_t lcg_next(uint64_t *st) {
    *st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
    return *st >> 33;
}

static void random_string(uint64_t *st, const char *const *tok, int ntok, int maxlen, char *buf, size_t cap) {
    buf[0] = 0;
    int n = 1 + (int)(lcg_next(st) % (uint64_t)maxlen);
    for (int i = 0; i < n; i++) {
        const char *t = tok[lcg_next(st) % (uint64_t)ntok];
        if (strlen(buf) + strlen(t) + 1 < cap) strcat(buf, t);
    }
}

static void test_python_reference(void) {
    if (access("/usr/bin/python3", X_OK) != 0) { test_skip("/usr/bin/python3 not found"); return; }
    static const char *const GT[] = {"#### ", "1", "23", ",", ".", "$", "-", " ", "abc", "\n", "4,567",
                                     "0.5", "####", "-$", "#"};
    static const char *const ST[] = {"\\frac", "\\dfrac", "\\tfrac", "\\sqrt", "{", "}", "1", "2", "3", "0",
                                     ".", " ", "=", "x", "\\text{ ", "cm", "/", "-", "\\left(", "\\right)",
                                     "^\\circ", "^{\\circ}", "\\$", "\\%", "\\!", "\n", "\\\\", "0.5",
                                     "\xcf\x80", ",", "a"};
    enum { N = 400 };
    cJSON *in = cJSON_CreateObject();
    cJSON *gsm = cJSON_AddArrayToObject(in, "gsm"), *str = cJSON_AddArrayToObject(in, "strip");
    uint64_t st = 12345;
    char buf[256];
    for (int i = 0; i < N; i++) {
        random_string(&st, GT, (int)(sizeof GT / sizeof *GT), 10, buf, sizeof buf);
        cJSON_AddItemToArray(gsm, cJSON_CreateString(buf));
        random_string(&st, ST, (int)(sizeof ST / sizeof *ST), 8, buf, sizeof buf);
        cJSON_AddItemToArray(str, cJSON_CreateString(buf));
    }
    char dpath[64], spath[64];
    snprintf(dpath, sizeof dpath, "/tmp/v4eval-test-math-%d.json", (int)getpid());
    snprintf(spath, sizeof spath, "/tmp/v4eval-test-math-%d.py", (int)getpid());
    char *text = cJSON_PrintUnformatted(in);
    FILE *f = fopen(dpath, "w");
    fputs(text, f);
    fclose(f);
    free(text);
    f = fopen(spath, "w");
    fputs(PY_REF, f);
    fclose(f);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 -I %s %s", spath, dpath);
    FILE *p = popen(cmd, "r");
    size_t cap = 1 << 20, n = 0;
    char *out = malloc(cap);
    size_t k;
    while (p && (k = fread(out + n, 1, cap - 1 - n, p)) > 0) n += k;
    out[n] = 0;
    int rc = p ? pclose(p) : -1;
    unlink(dpath);
    unlink(spath);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    cJSON *ref = cJSON_Parse(out);
    free(out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
    int bad = 0, checked = 0;
    for (int i = 0; i < N; i++) {
        const char *x = cJSON_GetArrayItem(gsm, i)->valuestring;
        cJSON *want = cJSON_GetArrayItem(cJSON_GetObjectItem(ref, "gsm"), i);
        cJSON *d = NULL;
        sc(math_score_gsm8k, "gsm8k", "\"0\"", x, NULL, &d);
        const char *ws = cJSON_GetArrayItem(want, 0)->valuestring, *wf = cJSON_GetArrayItem(want, 1)->valuestring;
        if (strcmp(dstr(d, "strict_extracted"), ws) || strcmp(dstr(d, "flexible_extracted"), wf)) {
            if (bad++ < 5) printf("    gsm8k [%s]: C %s / %s, Python %s / %s\n", x, dstr(d, "strict_extracted"),
                                  dstr(d, "flexible_extracted"), ws, wf);
        }
        cJSON_Delete(d);
        const char *y = cJSON_GetArrayItem(str, i)->valuestring;
        cJSON *ws2 = cJSON_GetArrayItem(cJSON_GetObjectItem(ref, "strip"), i);
        char *got = math_strip_string(y);
        int same = cJSON_IsNull(ws2) ? got == NULL : (got && strcmp(got, ws2->valuestring) == 0);
        if (!same && bad++ < 10)
            printf("    strip [%s]: C %s, Python %s\n", y, got ? got : "(raises)",
                   cJSON_IsNull(ws2) ? "(raises)" : ws2->valuestring);
        free(got);
        checked += 2;
    }
    printf("    %d cases compared with Python, %d differ\n", checked, bad);
    CU_ASSERT_EQUAL(bad, 0);
    cJSON_Delete(ref);
    cJSON_Delete(in);
}

static const test_case TESTS[] = {
    {"gsm8k_strict", test_gsm8k_strict},
    {"gsm8k_flexible", test_gsm8k_flexible},
    {"strip_string", test_strip_string},
    {"boxed", test_boxed},
    {"numbers", test_numbers},
    {"math_number", test_math_number},
    {"python_reference", test_python_reference},
    {NULL, NULL},
};
TEST_MAIN("scorers_math", TESTS)
