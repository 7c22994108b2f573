/*
 * tokenizer.c — Hugging Face tokenizer.json, byte-level BPE (the DeepSeek-V3/V4 tokenizer).
 *
 * Pipeline of v4_tokenize (spec §14.1):
 *   1. added tokens (when parse_special): the text is cut at every added token, leftmost
 *      match first and the longest token at that position (lstrip/rstrip/single_word honoured);
 *   2. each remaining span goes through the pre-tokenizer steps in order; a Split step runs its
 *      PCRE2 pattern (compiled with PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, JIT when
 *      available) over every current piece on its own (so a lookahead never sees past a piece)
 *      and cuts it per the step's behaviour (Isolated: matches and gaps both become pieces);
 *      ByteLevel maps bytes to the GPT-2 byte↔unicode alphabet (with use_regex it first splits
 *      with the GPT-2 pattern);
 *   3. each piece is BPE-merged: symbols start as one per byte, a min-heap keyed by
 *      (merge rank, position) holds candidate pairs, stale entries are skipped when popped, so a
 *      piece of n bytes costs O(n log n); results are cached per call by piece text.
 * Invalid UTF-8 never matches a regex (PCRE2_MATCH_INVALID_UTF), so such bytes stay in gap
 * pieces and are still mapped through the byte table: decode(encode(x)) == x for any bytes.
 *
 * Invariants of a loaded tokenizer: every id in [0, n_ids) that exists has its raw bytes in
 * tok_bytes (vocab strings decoded from the byte-level alphabet; added tokens verbatim); every
 * merge names existing vocab entries and its result exists (checked at load).
 */
#include "engine/tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "engine/text_json.h"

/* ---------------------------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------------------------- */

static uint64_t tok_hash(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) { h ^= (unsigned char)s[i]; h *= 1099511628211ull; }
    return h ^ (h >> 29);
}

static uint64_t tok_mix64(uint64_t x) {
    x ^= x >> 33; x *= 0xff51afd7ed558ccdull; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

/* UTF-8 encode cp into out (cp < 0x110000); returns the length. */
static int tok_utf8_put(uint32_t cp, char *out) {
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) { out[0] = (char)(0xC0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 63)); return 2; }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12)); out[1] = (char)(0x80 | ((cp >> 6) & 63));
        out[2] = (char)(0x80 | (cp & 63)); return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18)); out[1] = (char)(0x80 | ((cp >> 12) & 63));
    out[2] = (char)(0x80 | ((cp >> 6) & 63)); out[3] = (char)(0x80 | (cp & 63)); return 4;
}

/* Decodes one UTF-8 sequence at s[0..n); returns its length (>= 1) and *cp, or 1 with
 * *cp = 0xFFFFFFFF for an invalid byte. */
static size_t tok_utf8_get(const unsigned char *s, size_t n, uint32_t *cp) {
    unsigned char c = s[0];
    size_t k;
    uint32_t v, min;
    if (c < 0x80) { *cp = c; return 1; }
    if ((c & 0xE0) == 0xC0) { k = 2; v = c & 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { k = 3; v = c & 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { k = 4; v = c & 0x07; min = 0x10000; }
    else { *cp = 0xFFFFFFFF; return 1; }
    if (k > n) { *cp = 0xFFFFFFFF; return 1; }
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80) { *cp = 0xFFFFFFFF; return 1; }
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) { *cp = 0xFFFFFFFF; return 1; }
    *cp = v;
    return k;
}

/* Unicode White_Space (what Rust's char::is_whitespace accepts), for lstrip/rstrip. */
static int tok_is_space_cp(uint32_t c) {
    return (c >= 9 && c <= 13) || c == 32 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

/* ---------------------------------------------------------------------------------------------
 * Hash maps: string -> int (vocab, added tokens) and (id, id) -> (rank, id) (merges)
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    uint64_t hash;
    uint32_t off, len; /* key bytes in the owning blob */
    int32_t val;       /* -1 = empty slot */
} str_slot;

typedef struct {
    str_slot *slots; /* [cap], cap a power of two */
    size_t cap, n;
} str_map;

static int str_map_init(str_map *m, size_t expected) {
    size_t cap = 16;
    while (cap < expected * 2 + 16) cap *= 2;
    m->slots = malloc(cap * sizeof *m->slots);
    if (!m->slots) return 0;
    for (size_t i = 0; i < cap; i++) m->slots[i].val = -1;
    m->cap = cap;
    m->n = 0;
    return 1;
}

/* Finds key in the map (keys live in blob); returns the slot (val == -1 when absent). */
static str_slot *str_map_find(const str_map *m, const char *blob, const char *key, size_t len) {
    uint64_t h = tok_hash(key, len);
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        str_slot *s = &m->slots[i];
        if (s->val < 0) { s->hash = h; return s; }
        if (s->hash == h && s->len == len && !memcmp(blob + s->off, key, len)) return s;
    }
}

typedef struct {
    uint64_t key; /* (left << 32) | right; UINT64_MAX = empty */
    int32_t rank, id;
} pair_slot;

typedef struct {
    pair_slot *slots;
    size_t cap;
} pair_map;

static const pair_slot *pair_map_get(const pair_map *m, int32_t a, int32_t b) {
    uint64_t key = ((uint64_t)(uint32_t)a << 32) | (uint32_t)b;
    for (size_t i = tok_mix64(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        const pair_slot *s = &m->slots[i];
        if (s->key == UINT64_MAX) return NULL;
        if (s->key == key) return s;
    }
}

/* ---------------------------------------------------------------------------------------------
 * The tokenizer object
 * ------------------------------------------------------------------------------------------- */

enum { SPLIT_ISOLATED, SPLIT_REMOVED, SPLIT_MERGED_PREV, SPLIT_MERGED_NEXT, SPLIT_CONTIGUOUS };

typedef struct {
    pcre2_code *re;
    int behavior; /* SPLIT_* */
} tok_split;

typedef struct {
    int32_t id;
    uint32_t off, len; /* content bytes in added_blob */
    int special, lstrip, rstrip, single_word;
} tok_added;

struct v4_tokenizer {
    int n_ids;               /* max id + 1 */
    char *tok_blob;          /* raw bytes of every token, concatenated */
    uint32_t *tok_off;       /* [n_ids + 1]: id's bytes = tok_blob[tok_off[id] .. +tok_len[id]] */
    uint32_t *tok_len;       /* [n_ids] */
    unsigned char *tok_has;  /* [n_ids]: 1 when the id exists */

    char *vocab_keys;        /* vocab strings as written in tokenizer.json (byte-level form) */
    str_map vocab;           /* vocab string -> id */
    pair_map merges;         /* (left id, right id) -> (rank, merged id) */
    int32_t byte_id[256];    /* id of the one-byte token, -1 if the vocab lacks it */
    int ignore_merges;       /* model.ignore_merges: whole-piece vocab hit first */

    tok_added *added;        /* [n_added], sorted by first byte then length descending */
    int n_added;
    char *added_blob;
    int added_first[257];    /* added[added_first[c] .. added_first[c+1]) start with byte c */
    str_map added_map;       /* content -> index into added */

    tok_split *splits;       /* [n_splits] pre-tokenizer regex steps in order */
    int n_splits;
};

/* GPT-2 bytes_to_unicode: printable Latin-1 bytes map to themselves, the rest to 256 + k. */
static void tok_byte_table(uint32_t byte_cp[256], int cp_byte[512]) {
    int k = 0;
    for (int i = 0; i < 512; i++) cp_byte[i] = -1;
    for (int b = 0; b < 256; b++) {
        int keep = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
        byte_cp[b] = keep ? (uint32_t)b : (uint32_t)(256 + k++);
        cp_byte[byte_cp[b]] = b;
    }
}

void v4_tokenizer_free(v4_tokenizer *t) {
    if (!t) return;
    free(t->tok_blob); free(t->tok_off); free(t->tok_len); free(t->tok_has);
    free(t->vocab_keys); free(t->vocab.slots); free(t->merges.slots);
    free(t->added); free(t->added_blob); free(t->added_map.slots);
    for (int i = 0; i < t->n_splits; i++) pcre2_code_free(t->splits[i].re);
    free(t->splits);
    free(t);
}

/* ---------------------------------------------------------------------------------------------
 * Loading
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    const char *name; /* file name for messages */
    char *err;
    size_t errlen;
} load_ctx;

#define LERR(cx, ...) do { \
        char m_[700]; snprintf(m_, sizeof m_, __VA_ARGS__); \
        tj_errf((cx)->err, (cx)->errlen, "%s: %s", (cx)->name, m_); \
    } while (0)

/* Optional boolean field: absent or null -> dflt; returns -1 (with error) for another type. */
static int get_bool(load_ctx *cx, const cJSON *obj, const char *key, int dflt, const char *path) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v)) return dflt;
    if (!cJSON_IsBool(v)) { LERR(cx, "%s.%s: expected a boolean, found %s", path, key, tj_type_name(v)); return -1; }
    return cJSON_IsTrue(v);
}

/* Compiles one pattern; 0 with an error naming path on failure. */
static int compile_split(load_ctx *cx, const char *pat, size_t len, int literal, const char *path,
                         pcre2_code **out) {
    int ec;
    PCRE2_SIZE eo;
    uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | (literal ? PCRE2_LITERAL : 0);
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, len, opts, &ec, &eo, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof msg);
        LERR(cx, "%s: bad regex at offset %zu: %s", path, (size_t)eo, (const char *)msg);
        return 0;
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* optional speed-up; interpreter otherwise */
    *out = re;
    return 1;
}

static const char GPT2_PATTERN[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/* One pre-tokenizer step (Split or ByteLevel); *saw_bytelevel set for ByteLevel. */
static int load_pretok_step(load_ctx *cx, v4_tokenizer *t, const cJSON *step, const char *path,
                            int *saw_bytelevel) {
    if (!cJSON_IsObject(step)) { LERR(cx, "%s: expected an object, found %s", path, tj_type_name(step)); return 0; }
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(step, "type");
    if (!cJSON_IsString(type)) { LERR(cx, "%s.type: expected a string, found %s", path, tj_type_name(type)); return 0; }
    char sub[200];
    if (!strcmp(type->valuestring, "ByteLevel")) {
        int aps = get_bool(cx, step, "add_prefix_space", 0, path);
        int use_regex = get_bool(cx, step, "use_regex", 1, path);
        if (aps < 0 || use_regex < 0) return 0;
        if (aps) { LERR(cx, "%s.add_prefix_space: true is not supported (expected false)", path); return 0; }
        if (use_regex) {
            snprintf(sub, sizeof sub, "%s (GPT-2 pattern)", path);
            if (!compile_split(cx, GPT2_PATTERN, sizeof GPT2_PATTERN - 1, 0, sub, &t->splits[t->n_splits].re)) return 0;
            t->splits[t->n_splits++].behavior = SPLIT_ISOLATED;
        }
        *saw_bytelevel = 1;
        return 1;
    }
    if (strcmp(type->valuestring, "Split") != 0) {
        LERR(cx, "%s.type: pre-tokenizer \"%s\" is not supported (expected Split or ByteLevel)", path, type->valuestring);
        return 0;
    }
    if (*saw_bytelevel) { LERR(cx, "%s: a Split after ByteLevel is not supported", path); return 0; }
    const cJSON *pat = cJSON_GetObjectItemCaseSensitive(step, "pattern");
    const cJSON *rx = pat ? cJSON_GetObjectItemCaseSensitive(pat, "Regex") : NULL;
    const cJSON *lit = pat ? cJSON_GetObjectItemCaseSensitive(pat, "String") : NULL;
    const cJSON *p = rx ? rx : lit;
    if (!cJSON_IsObject(pat) || !cJSON_IsString(p)) {
        LERR(cx, "%s.pattern: expected {\"Regex\": string} or {\"String\": string}, found %s", path,
             pat && cJSON_IsObject(pat) ? "another object" : tj_type_name(pat));
        return 0;
    }
    const cJSON *beh = cJSON_GetObjectItemCaseSensitive(step, "behavior");
    if (!cJSON_IsString(beh)) { LERR(cx, "%s.behavior: expected a string, found %s", path, tj_type_name(beh)); return 0; }
    static const char *names[] = {"Isolated", "Removed", "MergedWithPrevious", "MergedWithNext", "Contiguous"};
    int b = -1;
    for (int i = 0; i < 5; i++) if (!strcmp(beh->valuestring, names[i])) b = i;
    if (b < 0) { LERR(cx, "%s.behavior: unknown value \"%s\"", path, beh->valuestring); return 0; }
    int inv = get_bool(cx, step, "invert", 0, path);
    if (inv < 0) return 0;
    if (inv) { LERR(cx, "%s.invert: true is not supported (expected false)", path); return 0; }
    snprintf(sub, sizeof sub, "%s.pattern.%s", path, rx ? "Regex" : "String");
    if (!compile_split(cx, p->valuestring, strlen(p->valuestring), !rx, sub, &t->splits[t->n_splits].re)) return 0;
    t->splits[t->n_splits++].behavior = b;
    return 1;
}

static int load_pretokenizer(load_ctx *cx, v4_tokenizer *t, const cJSON *pt) {
    int saw_bl = 0;
    if (!cJSON_IsObject(pt)) { LERR(cx, "pre_tokenizer: expected an object, found %s", tj_type_name(pt)); return 0; }
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(pt, "type");
    if (cJSON_IsString(type) && !strcmp(type->valuestring, "Sequence")) {
        const cJSON *steps = cJSON_GetObjectItemCaseSensitive(pt, "pretokenizers");
        if (!cJSON_IsArray(steps)) { LERR(cx, "pre_tokenizer.pretokenizers: expected an array, found %s", tj_type_name(steps)); return 0; }
        int n = cJSON_GetArraySize(steps);
        t->splits = calloc((size_t)n + 1, sizeof *t->splits);
        if (!t->splits) { LERR(cx, "out of memory"); return 0; }
        int i = 0;
        for (const cJSON *s = steps->child; s; s = s->next, i++) {
            char path[64];
            snprintf(path, sizeof path, "pre_tokenizer.pretokenizers[%d]", i);
            if (!load_pretok_step(cx, t, s, path, &saw_bl)) return 0;
        }
    } else {
        t->splits = calloc(1, sizeof *t->splits);
        if (!t->splits) { LERR(cx, "out of memory"); return 0; }
        if (!load_pretok_step(cx, t, pt, "pre_tokenizer", &saw_bl)) return 0;
    }
    if (!saw_bl) { LERR(cx, "pre_tokenizer: no ByteLevel step (only byte-level BPE is supported)"); return 0; }
    return 1;
}

/* Decodes a byte-level vocab string into raw bytes (out has room for len bytes). Characters
 * outside the byte alphabet are kept as their UTF-8 bytes. Returns the byte count. */
static size_t bytelevel_decode(const char *s, size_t len, const int cp_byte[512], char *out) {
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = tok_utf8_get((const unsigned char *)s + i, len - i, &cp);
        if (cp < 512 && cp_byte[cp] >= 0) out[n++] = (char)cp_byte[cp];
        else { memcpy(out + n, s + i, k); n += k; }
        i += k;
    }
    return n;
}

static int load_vocab(load_ctx *cx, v4_tokenizer *t, const cJSON *vocab, const cJSON *added,
                      const int cp_byte[512]) {
    if (!cJSON_IsObject(vocab)) { LERR(cx, "model.vocab: expected an object, found %s", tj_type_name(vocab)); return 0; }
    size_t nv = 0, key_bytes = 0;
    long max_id = -1;
    for (const cJSON *e = vocab->child; e; e = e->next) {
        if (!cJSON_IsNumber(e) || !tj_is_int_literal(e) || e->valuedouble < 0 || e->valuedouble > 16777215) {
            LERR(cx, "model.vocab[\"%.80s\"]: expected an integer id in [0, 16777215], found %s", e->string,
                 cJSON_IsNumber(e) ? "another number" : tj_type_name(e));
            return 0;
        }
        if ((long)e->valuedouble > max_id) max_id = (long)e->valuedouble;
        nv++;
        key_bytes += strlen(e->string);
    }
    int ai = 0;
    if (added) {
        if (!cJSON_IsArray(added)) { LERR(cx, "added_tokens: expected an array, found %s", tj_type_name(added)); return 0; }
        for (const cJSON *a = added->child; a; a = a->next, ai++) {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(a, "id");
            const cJSON *content = cJSON_GetObjectItemCaseSensitive(a, "content");
            if (!cJSON_IsNumber(id) || !tj_is_int_literal(id) || id->valuedouble < 0 || id->valuedouble > 16777215) {
                LERR(cx, "added_tokens[%d].id: expected an integer id in [0, 16777215], found %s", ai,
                     cJSON_IsNumber(id) ? "another number" : tj_type_name(id));
                return 0;
            }
            if (!cJSON_IsString(content) || !content->valuestring[0]) {
                LERR(cx, "added_tokens[%d].content: expected a non-empty string, found %s", ai,
                     cJSON_IsString(content) ? "an empty string" : tj_type_name(content));
                return 0;
            }
            if ((long)id->valuedouble > max_id) max_id = (long)id->valuedouble;
            key_bytes += strlen(content->valuestring);
        }
    }
    if (max_id < 0) { LERR(cx, "model.vocab: empty vocabulary"); return 0; }
    if (key_bytes > 0x7fffffffu) { LERR(cx, "model.vocab: too large"); return 0; }
    t->n_ids = (int)max_id + 1;
    t->tok_off = calloc((size_t)t->n_ids + 1, sizeof *t->tok_off);
    t->tok_len = calloc((size_t)t->n_ids, sizeof *t->tok_len);
    t->tok_has = calloc((size_t)t->n_ids, 1);
    t->tok_blob = malloc(key_bytes + 1);
    size_t vk_bytes = 0;
    for (const cJSON *e = vocab->child; e; e = e->next) vk_bytes += strlen(e->string);
    t->vocab_keys = malloc(vk_bytes + 1);
    if (!t->tok_off || !t->tok_len || !t->tok_has || !t->tok_blob || !t->vocab_keys ||
        !str_map_init(&t->vocab, nv)) { LERR(cx, "out of memory"); return 0; }

    size_t boff = 0, koff = 0;
    for (const cJSON *e = vocab->child; e; e = e->next) {
        int id = (int)e->valuedouble;
        size_t kl = strlen(e->string);
        if (t->tok_has[id]) { LERR(cx, "model.vocab[\"%.80s\"]: id %d is already used by another entry", e->string, id); return 0; }
        str_slot *s = str_map_find(&t->vocab, t->vocab_keys, e->string, kl);
        if (s->val >= 0) { LERR(cx, "model.vocab: duplicate key \"%.80s\"", e->string); return 0; }
        memcpy(t->vocab_keys + koff, e->string, kl);
        s->off = (uint32_t)koff; s->len = (uint32_t)kl; s->val = id;
        t->vocab.n++;
        koff += kl;
        size_t bn = bytelevel_decode(e->string, kl, cp_byte, t->tok_blob + boff);
        t->tok_off[id] = (uint32_t)boff; t->tok_len[id] = (uint32_t)bn; t->tok_has[id] = 1;
        boff += bn;
    }
    /* Added tokens (their bytes override any vocab decoding of the same id). */
    t->n_added = ai;
    t->added = calloc((size_t)ai + 1, sizeof *t->added);
    size_t ab = 0;
    if (added) for (const cJSON *a = added->child; a; a = a->next) ab += strlen(cJSON_GetObjectItemCaseSensitive(a, "content")->valuestring);
    t->added_blob = malloc(ab + 1);
    if (!t->added || !t->added_blob || !str_map_init(&t->added_map, (size_t)ai)) { LERR(cx, "out of memory"); return 0; }
    ai = 0;
    size_t aoff = 0;
    if (added) for (const cJSON *a = added->child; a; a = a->next, ai++) {
        char path[48];
        snprintf(path, sizeof path, "added_tokens[%d]", ai);
        const char *c = cJSON_GetObjectItemCaseSensitive(a, "content")->valuestring;
        size_t cl = strlen(c);
        tok_added *x = &t->added[ai];
        x->id = (int32_t)cJSON_GetObjectItemCaseSensitive(a, "id")->valuedouble;
        if ((x->special = get_bool(cx, a, "special", 0, path)) < 0 ||
            (x->lstrip = get_bool(cx, a, "lstrip", 0, path)) < 0 ||
            (x->rstrip = get_bool(cx, a, "rstrip", 0, path)) < 0 ||
            (x->single_word = get_bool(cx, a, "single_word", 0, path)) < 0) return 0;
        str_slot *s = str_map_find(&t->added_map, t->added_blob, c, cl);
        if (s->val >= 0) { LERR(cx, "%s.content: \"%.80s\" is listed twice", path, c); return 0; }
        memcpy(t->added_blob + aoff, c, cl);
        x->off = (uint32_t)aoff; x->len = (uint32_t)cl;
        s->off = (uint32_t)aoff; s->len = (uint32_t)cl; s->val = ai;
        t->added_map.n++;
        aoff += cl;
        if (t->tok_has[x->id] && (t->tok_len[x->id] != cl || memcmp(t->tok_blob + t->tok_off[x->id], c, cl))) {
            /* same id as a vocab entry: the added content wins for decoding */
        }
        memcpy(t->tok_blob + boff, c, cl);
        t->tok_off[x->id] = (uint32_t)boff; t->tok_len[x->id] = (uint32_t)cl; t->tok_has[x->id] = 1;
        boff += cl;
    }
    return 1;
}

/* Sort added tokens by first byte, then longest first, so the first hit is the longest
 * (qsort_r keeps loading thread-safe). */
static int added_cmp(const void *pa, const void *pb, void *blob) {
    const tok_added *a = pa, *b = pb;
    const char *bl = blob;
    unsigned char ca = (unsigned char)bl[a->off], cb = (unsigned char)bl[b->off];
    if (ca != cb) return ca < cb ? -1 : 1;
    if (a->len != b->len) return a->len > b->len ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

static int index_added(load_ctx *cx, v4_tokenizer *t) {
    qsort_r(t->added, (size_t)t->n_added, sizeof *t->added, added_cmp, t->added_blob);
    for (int c = 0, i = 0; c <= 256; c++) {
        while (i < t->n_added && (unsigned char)t->added_blob[t->added[i].off] < c) i++;
        t->added_first[c] = i;
    }
    /* rebuild the content -> index map after sorting */
    for (size_t i = 0; i < t->added_map.cap; i++) t->added_map.slots[i].val = -1;
    t->added_map.n = 0;
    for (int i = 0; i < t->n_added; i++) {
        str_slot *s = str_map_find(&t->added_map, t->added_blob, t->added_blob + t->added[i].off, t->added[i].len);
        s->off = t->added[i].off; s->len = t->added[i].len; s->val = i;
        t->added_map.n++;
    }
    (void)cx;
    return 1;
}

static int32_t vocab_get(const v4_tokenizer *t, const char *key, size_t len) {
    const str_slot *s = str_map_find(&t->vocab, t->vocab_keys, key, len);
    return s->val;
}

static int load_merges(load_ctx *cx, v4_tokenizer *t, const cJSON *merges) {
    if (!cJSON_IsArray(merges)) { LERR(cx, "model.merges: expected an array, found %s", tj_type_name(merges)); return 0; }
    size_t n = (size_t)cJSON_GetArraySize(merges), cap = 16;
    while (cap < n * 2 + 16) cap *= 2;
    t->merges.slots = malloc(cap * sizeof *t->merges.slots);
    if (!t->merges.slots) { LERR(cx, "out of memory"); return 0; }
    for (size_t i = 0; i < cap; i++) t->merges.slots[i].key = UINT64_MAX;
    t->merges.cap = cap;
    char *tmp = NULL;
    size_t tmpcap = 0;
    int rank = 0;
    for (const cJSON *m = merges->child; m; m = m->next, rank++) {
        const char *a, *b;
        size_t al, bl;
        if (cJSON_IsString(m)) {
            const char *s = m->valuestring, *sp = strchr(s, ' ');
            if (!sp || strchr(sp + 1, ' ') || sp == s || !sp[1]) {
                LERR(cx, "model.merges[%d]: expected \"LEFT RIGHT\" (one space), found \"%.80s\"", rank, s);
                free(tmp); return 0;
            }
            a = s; al = (size_t)(sp - s); b = sp + 1; bl = strlen(b);
        } else if (cJSON_IsArray(m) && cJSON_GetArraySize(m) == 2 && cJSON_IsString(m->child) &&
                   cJSON_IsString(m->child->next)) {
            a = m->child->valuestring; al = strlen(a);
            b = m->child->next->valuestring; bl = strlen(b);
        } else {
            LERR(cx, "model.merges[%d]: expected a string \"LEFT RIGHT\" or a pair of strings, found %s", rank, tj_type_name(m));
            free(tmp); return 0;
        }
        int32_t ia = vocab_get(t, a, al), ib = vocab_get(t, b, bl);
        if (ia < 0 || ib < 0) {
            LERR(cx, "model.merges[%d]: token \"%.*s\" is not in model.vocab", rank,
                 (int)(ia < 0 ? al : bl) > 80 ? 80 : (int)(ia < 0 ? al : bl), ia < 0 ? a : b);
            free(tmp); return 0;
        }
        if (al + bl > tmpcap) { tmpcap = (al + bl) * 2 + 64; char *p = realloc(tmp, tmpcap); if (!p) { free(tmp); LERR(cx, "out of memory"); return 0; } tmp = p; }
        memcpy(tmp, a, al); memcpy(tmp + al, b, bl);
        int32_t ic = vocab_get(t, tmp, al + bl);
        if (ic < 0) {
            LERR(cx, "model.merges[%d]: merged token \"%.*s\" is not in model.vocab", rank,
                 (int)(al + bl) > 80 ? 80 : (int)(al + bl), tmp);
            free(tmp); return 0;
        }
        uint64_t key = ((uint64_t)(uint32_t)ia << 32) | (uint32_t)ib;
        size_t i = tok_mix64(key) & (cap - 1);
        while (t->merges.slots[i].key != UINT64_MAX && t->merges.slots[i].key != key) i = (i + 1) & (cap - 1);
        if (t->merges.slots[i].key == key) continue; /* a repeated merge keeps its first rank */
        t->merges.slots[i].key = key; t->merges.slots[i].rank = rank; t->merges.slots[i].id = ic;
    }
    free(tmp);
    return 1;
}

static int load_model(load_ctx *cx, v4_tokenizer *t, const cJSON *root) {
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    if (!cJSON_IsObject(model)) { LERR(cx, "model: expected an object, found %s", tj_type_name(model)); return 0; }
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(model, "type");
    if (type && !cJSON_IsNull(type) && (!cJSON_IsString(type) || strcmp(type->valuestring, "BPE") != 0)) {
        LERR(cx, "model.type: expected \"BPE\", found %s%s%s", cJSON_IsString(type) ? "\"" : "",
             cJSON_IsString(type) ? type->valuestring : tj_type_name(type), cJSON_IsString(type) ? "\"" : "");
        return 0;
    }
    const cJSON *v;
    if ((v = cJSON_GetObjectItemCaseSensitive(model, "dropout")) && !cJSON_IsNull(v) &&
        !(cJSON_IsNumber(v) && v->valuedouble == 0)) { LERR(cx, "model.dropout: BPE dropout is not supported (expected null)"); return 0; }
    const char *strf[] = {"continuing_subword_prefix", "end_of_word_suffix"};
    for (int i = 0; i < 2; i++)
        if ((v = cJSON_GetObjectItemCaseSensitive(model, strf[i])) && !cJSON_IsNull(v) &&
            !(cJSON_IsString(v) && !v->valuestring[0])) { LERR(cx, "model.%s: not supported (expected null)", strf[i]); return 0; }
    int bf = get_bool(cx, model, "byte_fallback", 0, "model");
    if (bf < 0) return 0;
    if (bf) { LERR(cx, "model.byte_fallback: true is not supported (byte-level BPE expected)"); return 0; }
    if ((t->ignore_merges = get_bool(cx, model, "ignore_merges", 0, "model")) < 0) return 0;

    uint32_t byte_cp[256];
    int cp_byte[512];
    tok_byte_table(byte_cp, cp_byte);
    const cJSON *added = cJSON_GetObjectItemCaseSensitive(root, "added_tokens");
    if (added && cJSON_IsNull(added)) added = NULL;
    if (!load_vocab(cx, t, cJSON_GetObjectItemCaseSensitive(model, "vocab"), added, cp_byte)) return 0;
    if (!index_added(cx, t)) return 0;
    for (int b = 0; b < 256; b++) {
        char u[4];
        int k = tok_utf8_put(byte_cp[b], u);
        t->byte_id[b] = vocab_get(t, u, (size_t)k);
    }
    return load_merges(cx, t, cJSON_GetObjectItemCaseSensitive(model, "merges"));
}

int tokenizer_load_json(const char *json, size_t len, const char *name, v4_tokenizer **out,
                        char *err, size_t errlen) {
    load_ctx cx = {name ? name : "tokenizer.json", err, errlen};
    *out = NULL;
    size_t eoff = 0;
    cJSON *root = tj_parse(json, len, &eoff);
    if (!root) {
        char path[160];
        if (tj_path_at(json, len, path, sizeof path) || eoff >= len)
            LERR(&cx, "invalid JSON: unexpected end of input at byte %zu in %s (truncated file?)", len, path);
        else {
            tj_path_at(json, eoff, path, sizeof path);
            LERR(&cx, "invalid JSON at byte %zu of %zu in %s%s", eoff, len, path,
                 tj_is_nul_escape(json, len, eoff) ? " (a \\u0000 escape in a string is not supported)" : "");
        }
        return 2;
    }
    v4_tokenizer *t = calloc(1, sizeof *t);
    if (!t) { cJSON_Delete(root); LERR(&cx, "out of memory"); return 1; }
    int ok = cJSON_IsObject(root);
    if (!ok) LERR(&cx, "top level: expected an object, found %s", tj_type_name(root));
    const cJSON *norm = ok ? cJSON_GetObjectItemCaseSensitive(root, "normalizer") : NULL;
    if (ok && norm && !cJSON_IsNull(norm)) {
        const cJSON *nt = cJSON_GetObjectItemCaseSensitive(norm, "type");
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(norm, "normalizers");
        if (!(cJSON_IsString(nt) && !strcmp(nt->valuestring, "Sequence") && cJSON_IsArray(list) &&
              cJSON_GetArraySize(list) == 0)) {
            const cJSON *n0 = cJSON_IsArray(list) && list->child ? list->child : norm;
            const cJSON *t0 = cJSON_GetObjectItemCaseSensitive(n0, "type");
            LERR(&cx, "%s.type: normalizer \"%s\" is not supported (expected null or an empty Sequence)",
                 n0 == norm ? "normalizer" : "normalizer.normalizers[0]", cJSON_IsString(t0) ? t0->valuestring : "?");
            ok = 0;
        }
    }
    const cJSON *dec = ok ? cJSON_GetObjectItemCaseSensitive(root, "decoder") : NULL;
    if (ok && dec && !cJSON_IsNull(dec)) {
        const cJSON *dt = cJSON_GetObjectItemCaseSensitive(dec, "type");
        if (!cJSON_IsString(dt) || strcmp(dt->valuestring, "ByteLevel") != 0) {
            LERR(&cx, "decoder.type: expected \"ByteLevel\", found \"%s\"", cJSON_IsString(dt) ? dt->valuestring : "?");
            ok = 0;
        }
    }
    if (ok) ok = load_model(&cx, t, root);
    if (ok) ok = load_pretokenizer(&cx, t, cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer"));
    cJSON_Delete(root);
    if (!ok) { v4_tokenizer_free(t); return 2; }
    *out = t;
    return 0;
}

int v4_tokenizer_load(const char *path, v4_tokenizer **out, char *err, size_t errlen) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) { tj_errf(err, errlen, "%s: cannot open tokenizer file", path); return 2; }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode)) {
        fclose(f);
        tj_errf(err, errlen, "%s: expected a tokenizer.json file, found a %s", path,
                S_ISDIR(st.st_mode) ? "directory" : "non-regular file");
        return 2;
    }
    if (fseek(f, 0, SEEK_END) != 0) { fclose(f); tj_errf(err, errlen, "%s: cannot seek", path); return 2; }
    long n = ftell(f);
    if (n < 0) { fclose(f); tj_errf(err, errlen, "%s: cannot read size (is it a directory?)", path); return 2; }
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf) { fclose(f); tj_errf(err, errlen, "%s: out of memory", path); return 1; }
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    if (got != (size_t)n) { free(buf); tj_errf(err, errlen, "%s: short read", path); return 2; }
    int rc = tokenizer_load_json(buf, (size_t)n, path, out, err, errlen);
    free(buf);
    return rc;
}

int32_t v4_token_id(const v4_tokenizer *t, const char *token) {
    size_t n = strlen(token);
    const str_slot *s = str_map_find(&t->added_map, t->added_blob, token, n);
    if (s->val >= 0) return t->added[s->val].id;
    return vocab_get(t, token, n);
}

int v4_tokenizer_vocab_size(const v4_tokenizer *t) { return t->n_ids; }

/* ---------------------------------------------------------------------------------------------
 * Encoding
 * ------------------------------------------------------------------------------------------- */

typedef struct { size_t off, len; } span;

typedef struct { int32_t rank, pos, id; } merge_cand;

typedef struct {
    uint64_t hash;
    size_t off, len;   /* piece text */
    size_t ids_off;    /* where its ids were first written in the output */
    uint32_t n_ids;
    int used;
} cache_slot;

typedef struct {
    const v4_tokenizer *t;
    const char *text;
    int32_t *ids; size_t n_ids, cap_ids;        /* output */
    span *pa, *pb; size_t na, nb, cap_a, cap_b;  /* pieces, double-buffered */
    pcre2_match_data *md;
    int32_t *sym_id, *sym_prev, *sym_next;      /* [sym_cap] BPE symbols of one piece */
    size_t sym_cap;
    merge_cand *heap; size_t heap_n, heap_cap;
    cache_slot *cache; size_t cache_cap, cache_n;
    char *err; size_t errlen;
    int oom;
} enc_ctx;

static int push_id(enc_ctx *c, int32_t id) {
    if (c->n_ids == c->cap_ids) {
        size_t cap = c->cap_ids ? c->cap_ids * 2 : 256;
        int32_t *p = realloc(c->ids, cap * sizeof *p);
        if (!p) { c->oom = 1; return 0; }
        c->ids = p; c->cap_ids = cap;
    }
    c->ids[c->n_ids++] = id;
    return 1;
}

static int push_span(span **arr, size_t *n, size_t *cap, size_t off, size_t len) {
    if (!len) return 1;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        span *p = realloc(*arr, nc * sizeof *p);
        if (!p) return 0;
        *arr = p; *cap = nc;
    }
    (*arr)[(*n)++] = (span){off, len};
    return 1;
}

static int heap_less(const merge_cand *a, const merge_cand *b) {
    return a->rank < b->rank || (a->rank == b->rank && a->pos < b->pos);
}

static int heap_push(enc_ctx *c, merge_cand m) {
    if (c->heap_n == c->heap_cap) {
        size_t cap = c->heap_cap ? c->heap_cap * 2 : 64;
        merge_cand *p = realloc(c->heap, cap * sizeof *p);
        if (!p) { c->oom = 1; return 0; }
        c->heap = p; c->heap_cap = cap;
    }
    size_t i = c->heap_n++;
    while (i > 0) {
        size_t up = (i - 1) / 2;
        if (!heap_less(&m, &c->heap[up])) break;
        c->heap[i] = c->heap[up];
        i = up;
    }
    c->heap[i] = m;
    return 1;
}

static merge_cand heap_pop(enc_ctx *c) {
    merge_cand top = c->heap[0], last = c->heap[--c->heap_n];
    size_t i = 0, n = c->heap_n;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const merge_cand *best = &last;
        if (l < n && heap_less(&c->heap[l], best)) { m = l; best = &c->heap[l]; }
        if (r < n && heap_less(&c->heap[r], best)) { m = r; }
        if (m == i) break;
        c->heap[i] = c->heap[m];
        i = m;
    }
    if (n) c->heap[i] = last;
    return top;
}

static void cand_for(enc_ctx *c, int32_t left) {
    int32_t right = c->sym_next[left];
    if (right < 0) return;
    const pair_slot *p = pair_map_get(&c->t->merges, c->sym_id[left], c->sym_id[right]);
    if (p) heap_push(c, (merge_cand){p->rank, left, p->id});
}

/* BPE of one piece (raw bytes) -> ids appended to the output. */
static int bpe_piece(enc_ctx *c, const unsigned char *s, size_t n) {
    const v4_tokenizer *t = c->t;
    if (t->ignore_merges) {
        /* whole-piece hit in byte-level form */
        char *bl = malloc(n * 2 + 1);
        if (!bl) { c->oom = 1; return 0; }
        size_t k = 0;
        uint32_t bcp[256]; int cpb[512];
        tok_byte_table(bcp, cpb);
        for (size_t i = 0; i < n; i++) k += (size_t)tok_utf8_put(bcp[s[i]], bl + k);
        int32_t id = vocab_get(t, bl, k);
        free(bl);
        if (id >= 0) return push_id(c, id);
    }
    if (n > c->sym_cap) {
        size_t cap = n + 64;
        int32_t *a = realloc(c->sym_id, cap * sizeof *a); if (!a) { c->oom = 1; return 0; } c->sym_id = a;
        a = realloc(c->sym_prev, cap * sizeof *a); if (!a) { c->oom = 1; return 0; } c->sym_prev = a;
        a = realloc(c->sym_next, cap * sizeof *a); if (!a) { c->oom = 1; return 0; } c->sym_next = a;
        c->sym_cap = cap;
    }
    if (n >= 0x7fffffff) { tj_errf(c->err, c->errlen, "tokenize: piece of %zu bytes is too long", n); return 0; }
    for (size_t i = 0; i < n; i++) {
        int32_t id = t->byte_id[s[i]];
        if (id < 0) {
            tj_errf(c->err, c->errlen, "tokenize: byte 0x%02x has no token in the vocabulary", s[i]);
            return 0;
        }
        c->sym_id[i] = id;
        c->sym_prev[i] = (int32_t)i - 1;
        c->sym_next[i] = i + 1 < n ? (int32_t)i + 1 : -1;
    }
    c->heap_n = 0;
    for (size_t i = 0; i + 1 < n; i++) cand_for(c, (int32_t)i);
    while (c->heap_n && !c->oom) {
        merge_cand m = heap_pop(c);
        int32_t left = m.pos, right = c->sym_next[left];
        if (c->sym_id[left] < 0 || right < 0) continue; /* left was merged away */
        const pair_slot *p = pair_map_get(&t->merges, c->sym_id[left], c->sym_id[right]);
        if (!p || p->rank != m.rank || p->id != m.id) continue; /* stale */
        c->sym_id[left] = m.id;
        c->sym_id[right] = -1;
        int32_t nx = c->sym_next[right];
        c->sym_next[left] = nx;
        if (nx >= 0) c->sym_prev[nx] = left;
        if (c->sym_prev[left] >= 0) cand_for(c, c->sym_prev[left]);
        cand_for(c, left);
    }
    if (c->oom) return 0;
    for (int32_t i = 0; i >= 0; i = c->sym_next[i])
        if (!push_id(c, c->sym_id[i])) return 0;
    return 1;
}

/* BPE with the per-call cache keyed by piece text. */
static int bpe_cached(enc_ctx *c, size_t off, size_t len) {
    const char *s = c->text + off;
    if (len > 256) return bpe_piece(c, (const unsigned char *)s, len);
    if (c->cache_n * 2 >= c->cache_cap) {
        size_t cap = c->cache_cap ? c->cache_cap * 2 : 1024;
        cache_slot *nc = calloc(cap, sizeof *nc);
        if (!nc) { c->oom = 1; return 0; }
        for (size_t i = 0; i < c->cache_cap; i++) {
            if (!c->cache[i].used) continue;
            size_t j = c->cache[i].hash & (cap - 1);
            while (nc[j].used) j = (j + 1) & (cap - 1);
            nc[j] = c->cache[i];
        }
        free(c->cache);
        c->cache = nc; c->cache_cap = cap;
    }
    uint64_t h = tok_hash(s, len);
    size_t j = h & (c->cache_cap - 1);
    for (; c->cache[j].used; j = (j + 1) & (c->cache_cap - 1)) {
        cache_slot *e = &c->cache[j];
        if (e->hash == h && e->len == len && !memcmp(c->text + e->off, s, len)) {
            for (uint32_t k = 0; k < e->n_ids; k++)
                if (!push_id(c, c->ids[e->ids_off + k])) return 0;
            return 1;
        }
    }
    size_t start = c->n_ids;
    if (!bpe_piece(c, (const unsigned char *)s, len)) return 0;
    c->cache[j] = (cache_slot){h, off, len, start, (uint32_t)(c->n_ids - start), 1};
    c->cache_n++;
    return 1;
}

/* Runs split step k over the pieces in pa, writing pb. */
static int split_step(enc_ctx *c, const tok_split *sp) {
    c->nb = 0;
    for (size_t p = 0; p < c->na; p++) {
        size_t base = c->pa[p].off, len = c->pa[p].len, pos = 0, prev_end = 0;
        const unsigned char *subj = (const unsigned char *)c->text + base;
        /* pending: a piece being grown for MergedWithNext / Contiguous */
        size_t pend_off = 0, pend_len = 0;
        int have_pend = 0;
        while (pos <= len) {
            int rc = pcre2_match(sp->re, subj, len, pos, 0, c->md, NULL);
            if (rc == PCRE2_ERROR_NOMATCH) break;
            if (rc < 0) {
                PCRE2_UCHAR msg[200];
                pcre2_get_error_message(rc, msg, sizeof msg);
                tj_errf(c->err, c->errlen, "tokenize: regex match failed at byte %zu: %s", base + pos, (const char *)msg);
                return 0;
            }
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(c->md);
            size_t ms = ov[0], me = ov[1];
            if (me == ms) { /* empty match: step one character and retry */
                if (ms >= len) break;
                uint32_t cp;
                pos = ms + tok_utf8_get(subj + ms, len - ms, &cp);
                continue;
            }
            size_t gap_off = base + prev_end, gap_len = ms - prev_end, m_off = base + ms, m_len = me - ms;
            int ok = 1;
            switch (sp->behavior) {
            case SPLIT_ISOLATED:
                ok = push_span(&c->pb, &c->nb, &c->cap_b, gap_off, gap_len) &&
                     push_span(&c->pb, &c->nb, &c->cap_b, m_off, m_len);
                break;
            case SPLIT_REMOVED:
                ok = push_span(&c->pb, &c->nb, &c->cap_b, gap_off, gap_len);
                break;
            case SPLIT_MERGED_PREV:
                ok = push_span(&c->pb, &c->nb, &c->cap_b, gap_off, gap_len + m_len);
                break;
            case SPLIT_MERGED_NEXT:
                if (have_pend) ok = push_span(&c->pb, &c->nb, &c->cap_b, pend_off, pend_len + gap_len);
                else ok = push_span(&c->pb, &c->nb, &c->cap_b, gap_off, gap_len);
                pend_off = m_off; pend_len = m_len; have_pend = 1;
                break;
            case SPLIT_CONTIGUOUS:
                if (have_pend && gap_len == 0) { pend_len += m_len; break; }
                if (have_pend) ok = push_span(&c->pb, &c->nb, &c->cap_b, pend_off, pend_len);
                ok = ok && push_span(&c->pb, &c->nb, &c->cap_b, gap_off, gap_len);
                pend_off = m_off; pend_len = m_len; have_pend = 1;
                break;
            }
            if (!ok) { c->oom = 1; return 0; }
            prev_end = me;
            pos = me;
        }
        int ok = 1;
        size_t tail_off = base + prev_end, tail_len = len - prev_end;
        if (have_pend && sp->behavior == SPLIT_MERGED_NEXT) ok = push_span(&c->pb, &c->nb, &c->cap_b, pend_off, pend_len + tail_len);
        else {
            if (have_pend) ok = push_span(&c->pb, &c->nb, &c->cap_b, pend_off, pend_len);
            ok = ok && push_span(&c->pb, &c->nb, &c->cap_b, tail_off, tail_len);
        }
        if (!ok) { c->oom = 1; return 0; }
    }
    span *tmp = c->pa; c->pa = c->pb; c->pb = tmp;
    size_t tc = c->cap_a; c->cap_a = c->cap_b; c->cap_b = tc;
    c->na = c->nb;
    return 1;
}

/* Pre-tokenizes and BPE-encodes text[off .. off+len). */
static int encode_span(enc_ctx *c, size_t off, size_t len) {
    if (!len) return 1;
    c->na = 0;
    if (!push_span(&c->pa, &c->na, &c->cap_a, off, len)) { c->oom = 1; return 0; }
    for (int k = 0; k < c->t->n_splits; k++)
        if (!split_step(c, &c->t->splits[k])) return 0;
    for (size_t p = 0; p < c->na; p++)
        if (!bpe_cached(c, c->pa[p].off, c->pa[p].len)) return 0;
    return 1;
}

static int is_word_byte(unsigned char ch) {
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch >= 0x80;
}

/* Longest added token at text[i..len) (honouring single_word), or -1. */
static int match_added(const v4_tokenizer *t, const char *text, size_t len, size_t i) {
    unsigned char c0 = (unsigned char)text[i];
    for (int k = t->added_first[c0]; k < t->added_first[c0 + 1]; k++) {
        const tok_added *a = &t->added[k];
        if (a->len > len - i || memcmp(text + i, t->added_blob + a->off, a->len) != 0) continue;
        if (a->single_word) {
            if (i > 0 && is_word_byte((unsigned char)text[i - 1])) continue;
            if (i + a->len < len && is_word_byte((unsigned char)text[i + a->len])) continue;
        }
        return k;
    }
    return -1;
}

/* Length of the whitespace run ending at text[end) not before start (for lstrip). */
static size_t space_before(const char *text, size_t start, size_t end) {
    size_t e = end;
    while (e > start) {
        size_t b = e - 1;
        while (b > start && ((unsigned char)text[b] & 0xC0) == 0x80 && e - b < 4) b--;
        uint32_t cp;
        size_t k = tok_utf8_get((const unsigned char *)text + b, e - b, &cp);
        if (k != e - b || !tok_is_space_cp(cp)) break;
        e = b;
    }
    return end - e;
}

static size_t space_after(const char *text, size_t start, size_t len) {
    size_t i = start;
    while (i < len) {
        uint32_t cp;
        size_t k = tok_utf8_get((const unsigned char *)text + i, len - i, &cp);
        if (cp == 0xFFFFFFFF || !tok_is_space_cp(cp)) break;
        i += k;
    }
    return i - start;
}

int v4_tokenize(const v4_tokenizer *t, const char *text, size_t len, int parse_special,
                int32_t **ids, size_t *n_ids, char *err, size_t errlen) {
    *ids = NULL;
    *n_ids = 0;
    enc_ctx c = {0};
    c.t = t; c.text = text; c.err = err; c.errlen = errlen;
    if (err && errlen) err[0] = 0;
    int ok = 1;
    if (t->n_splits) {
        c.md = pcre2_match_data_create(1, NULL);
        if (!c.md) c.oom = 1;
    }
    size_t seg = 0; /* start of the pending text segment */
    if (!c.oom && parse_special && t->n_added) {
        for (size_t i = 0; i < len && ok;) {
            int k = match_added(t, text, len, i);
            if (k < 0) { i++; continue; }
            const tok_added *a = &t->added[k];
            size_t seg_end = i, next = i + a->len;
            if (a->lstrip) seg_end -= space_before(text, seg, i);
            if (a->rstrip) next += space_after(text, next, len);
            ok = encode_span(&c, seg, seg_end - seg) && push_id(&c, a->id);
            seg = i = next;
        }
    }
    if (ok && !c.oom) ok = encode_span(&c, seg, len - seg);
    pcre2_match_data_free(c.md);
    free(c.pa); free(c.pb); free(c.sym_id); free(c.sym_prev); free(c.sym_next);
    free(c.heap); free(c.cache);
    if (c.oom || !ok) {
        if (c.oom) tj_errf(err, errlen, "tokenize: out of memory");
        else if (err && errlen && !err[0]) tj_errf(err, errlen, "tokenize: failed");
        free(c.ids);
        return 1;
    }
    if (!c.ids) { c.ids = malloc(sizeof *c.ids); if (!c.ids) { tj_errf(err, errlen, "tokenize: out of memory"); return 1; } }
    *ids = c.ids;
    *n_ids = c.n_ids;
    return 0;
}

int v4_detokenize(const v4_tokenizer *t, const int32_t *ids, size_t n, char **text, size_t *len,
                  char *err, size_t errlen) {
    *text = NULL;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= t->n_ids || !t->tok_has[ids[i]]) {
            tj_errf(err, errlen, "detokenize: id %d at position %zu is not in the vocabulary (0..%d)",
                    (int)ids[i], i, t->n_ids - 1);
            return 2;
        }
        total += t->tok_len[ids[i]];
    }
    char *out = malloc(total + 1);
    if (!out) { tj_errf(err, errlen, "detokenize: out of memory"); return 1; }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(out + o, t->tok_blob + t->tok_off[ids[i]], t->tok_len[ids[i]]);
        o += t->tok_len[ids[i]];
    }
    out[o] = 0;
    *text = out;
    if (len) *len = o;
    return 0;
}
