/*
 * suite_util.c — string buffer, keyed RNG, SHA-256, file and JSONL reading, token counting
 * and the prompt/sample finishing step shared by every task generator (see suite_util.h).
 *
 * The SHA-256 is a plain FIPS 180-4 implementation written for this project (checked in
 * tests/test_suites_load.c against the standard test vectors). gzip files are decompressed
 * with libarchive's raw format + gzip filter, so .jsonl.gz datasets need no zlib code here.
 */
#include "suites/suite_util.h"

#include <archive.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- string buffer ------------------------------------------------------------------------ */

static void sbuf_reserve(sbuf *b, size_t extra) {
    if (b->n + extra + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + extra + 1) cap *= 2;
    char *p = realloc(b->s, cap);
    if (!p) { fprintf(stderr, "v4eval: out of memory\n"); abort(); }
    b->s = p; b->cap = cap;
}

void sbuf_put(sbuf *b, const char *s, size_t n) {
    sbuf_reserve(b, n);
    if (n) memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

void sbuf_puts(sbuf *b, const char *s) { sbuf_put(b, s, strlen(s)); }

void sbuf_printf(sbuf *b, const char *fmt, ...) {
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) { va_end(ap2); return; }
    sbuf_reserve(b, (size_t)n);
    vsnprintf(b->s + b->n, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    b->n += (size_t)n;
}

char *sbuf_take(sbuf *b) {
    if (!b->s) sbuf_reserve(b, 0), b->s[0] = 0;
    char *s = b->s;
    b->s = NULL; b->n = b->cap = 0;
    return s;
}

void sbuf_free(sbuf *b) { free(b->s); b->s = NULL; b->n = b->cap = 0; }

/* ---- RNG ------------------------------------------------------------------------------------ */

uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void srng_init(srng *r, uint64_t seed) {
    uint64_t st = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&st);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t srng_next(srng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t srng_below(srng *r, uint64_t n) {
    if (n <= 1) return 0;
    uint64_t limit = UINT64_MAX - (UINT64_MAX % n); /* reject the biased tail */
    uint64_t x;
    do { x = srng_next(r); } while (x >= limit);
    return x % n;
}

int64_t srng_range(srng *r, int64_t lo, int64_t hi) {
    if (hi <= lo) return lo;
    return lo + (int64_t)srng_below(r, (uint64_t)(hi - lo) + 1);
}

double srng_unit(srng *r) { return (double)(srng_next(r) >> 11) * (1.0 / 9007199254740992.0); }

void srng_shuffle_int(srng *r, int *a, int n) {
    for (int i = n - 1; i > 0; i--) {
        int j = (int)srng_below(r, (uint64_t)i + 1);
        int t = a[i]; a[i] = a[j]; a[j] = t;
    }
}

void srng_sample(srng *r, int n, int k, int *out) {
    /* Floyd's algorithm would avoid the O(n) array; n is small wherever this is used
     * (word lists, depth tables), so a partial Fisher–Yates keeps it simple and exact. */
    int *a = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++) a[i] = i;
    for (int i = 0; i < k && i < n; i++) {
        int j = i + (int)srng_below(r, (uint64_t)(n - i));
        int t = a[i]; a[i] = a[j]; a[j] = t;
        out[i] = a[i];
    }
    free(a);
}

uint64_t suite_hash_str(const char *s) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; s && *s; s++) { h ^= (unsigned char)*s; h *= 0x100000001b3ULL; }
    return h;
}

/* ---- files ---------------------------------------------------------------------------------- */

static char *read_gzip(const char *path, size_t *len, char *err, size_t errlen) {
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_raw(a);
    struct archive_entry *e;
    if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK ||
        archive_read_next_header(a, &e) != ARCHIVE_OK) {
        snprintf(err, errlen, "%s: cannot decompress: %s", path, archive_error_string(a));
        archive_read_free(a);
        return NULL;
    }
    sbuf b = {0};
    char chunk[1 << 16];
    for (;;) {
        la_ssize_t r = archive_read_data(a, chunk, sizeof chunk);
        if (r < 0) {
            snprintf(err, errlen, "%s: corrupt gzip data: %s", path, archive_error_string(a));
            archive_read_free(a); sbuf_free(&b);
            return NULL;
        }
        if (r == 0) break;
        sbuf_put(&b, chunk, (size_t)r);
    }
    archive_read_free(a);
    *len = b.n;
    return sbuf_take(&b);
}

char *suite_read_file(const char *path, size_t *len, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) { snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno)); return NULL; }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        snprintf(err, errlen, "%s: expected a file, found a directory", path);
        return NULL;
    }
    unsigned char magic[2] = {0, 0};
    size_t got = fread(magic, 1, 2, f);
    if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
        fclose(f);
        return read_gzip(path, len, err, errlen);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        snprintf(err, errlen, "%s: read failed", path);
        free(buf); fclose(f);
        return NULL;
    }
    fclose(f);
    buf[n] = 0;
    *len = (size_t)n;
    return buf;
}

static void lines_push(suite_lines *out, int *cap, char *p, int ln) {
    if (out->n == *cap) {
        *cap *= 2;
        out->lines = realloc(out->lines, sizeof(char *) * (size_t)*cap);
        out->lineno = realloc(out->lineno, sizeof(int) * (size_t)*cap);
    }
    out->lines[out->n] = p;
    out->lineno[out->n] = ln;
    out->n++;
}

/* lines_split_array: a file holding one JSON array of records (sanitized-mbpp.json, HF JSON
 * exports) → one item per element, NUL-terminated in place at its separator; lineno = the
 * physical line where the element starts. Strings and nesting are tracked so commas inside
 * elements do not split. An array that never closes, or text after it, is an error. */
static int lines_split_array(const char *path, char *buf, size_t len, size_t at, suite_lines *out,
                             char *err, size_t errlen) {
    int cap = 64, depth = 0, in_str = 0, esc = 0, ln = 1, closed = 0;
    out->lines = malloc(sizeof(char *) * (size_t)cap);
    out->lineno = malloc(sizeof(int) * (size_t)cap);
    for (size_t i = 0; i < at; i++) ln += buf[i] == '\n';
    char *start = NULL;
    int start_ln = 0;
    size_t i = at;
    for (; i < len; i++) {
        char ch = buf[i];
        if (ch == '\n') ln++;
        if (in_str) {
            if (esc) esc = 0;
            else if (ch == '\\') esc = 1;
            else if (ch == '"') in_str = 0;
            continue;
        }
        int ws = ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
        if (depth == 0) {
            if (ch == '[' && !closed) { depth = 1; continue; }
            if (ws) continue;
            break; /* text after the array */
        }
        if (depth == 1 && (ch == ',' || ch == ']')) {
            if (start) lines_push(out, &cap, start, start_ln);
            else if (ch == ',') { /* an empty element: reported as malformed at its line */
                lines_push(out, &cap, buf + i, ln);
            }
            buf[i] = 0;
            start = NULL;
            if (ch == ']') { depth = 0; closed = 1; }
            continue;
        }
        if (depth == 1 && !start && !ws) { start = buf + i; start_ln = ln; }
        if (ch == '"') in_str = 1;
        else if (ch == '{' || ch == '[') depth++;
        else if (ch == '}' || ch == ']') depth--;
    }
    if (!closed || i < len) {
        snprintf(err, errlen, "%s:%d: %s", path, ln, !closed ? "JSON array not closed (expected "
                 "']' before the end of the file)" : "unexpected text after the JSON array");
        free(out->lines); free(out->lineno);
        memset(out, 0, sizeof *out);
        free(buf);
        return 1;
    }
    out->buf = buf;
    out->path = sdup(path);
    out->array = 1;
    return 0;
}

int suite_lines_load(const char *path, suite_lines *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    size_t len = 0;
    char *buf = suite_read_file(path, &len, err, errlen);
    if (!buf) return 1;
    if (memchr(buf, 0, len)) {
        snprintf(err, errlen, "%s: contains NUL bytes (expected JSON lines text)", path);
        free(buf);
        return 1;
    }
    sha256_hex_of(buf, len, out->sha256);
    size_t lead = 0;
    while (lead < len && (buf[lead] == ' ' || buf[lead] == '\t' || buf[lead] == '\r' || buf[lead] == '\n'))
        lead++;
    if (lead + 3 <= len && !memcmp(buf + lead, "\xEF\xBB\xBF", 3)) lead += 3; /* UTF-8 BOM */
    if (lead < len && buf[lead] == '[') return lines_split_array(path, buf, len, lead, out, err, errlen);
    int cap = 64;
    out->lines = malloc(sizeof(char *) * (size_t)cap);
    out->lineno = malloc(sizeof(int) * (size_t)cap);
    int ln = 0;
    char *p = buf;
    while (p < buf + len) {
        char *nl = memchr(p, '\n', (size_t)(buf + len - p));
        char *end = nl ? nl : buf + len;
        ln++;
        *end = 0;
        if (end > p && end[-1] == '\r') end[-1] = 0;
        const char *q = p;
        while (*q == ' ' || *q == '\t') q++;
        if (*q) {
            if (out->n == cap) {
                cap *= 2;
                out->lines = realloc(out->lines, sizeof(char *) * (size_t)cap);
                out->lineno = realloc(out->lineno, sizeof(int) * (size_t)cap);
            }
            out->lines[out->n] = p;
            out->lineno[out->n] = ln;
            out->n++;
        }
        if (!nl) break;
        p = nl + 1;
    }
    out->buf = buf;
    out->path = sdup(path);
    return 0;
}

void suite_lines_free(suite_lines *l) {
    if (!l) return;
    free(l->buf); free(l->lines); free(l->lineno); free(l->path);
    memset(l, 0, sizeof *l);
}

cJSON *suite_lines_parse(const suite_lines *l, int i, char *err, size_t errlen) {
    if (i < 0 || i >= l->n) {
        snprintf(err, errlen, "%s: item %d out of range (file has %d items)", l->path, i, l->n);
        return NULL;
    }
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithOpts(l->lines[i], &end, 1);
    if (!o) {
        long off = end ? (long)(end - l->lines[i]) : 0;
        if (l->array)
            snprintf(err, errlen, "%s:%d: array element %d: malformed JSON", l->path,
                     l->lineno[i], i + 1);
        else
            snprintf(err, errlen, "%s:%d: malformed JSON near column %ld", l->path, l->lineno[i],
                     off + 1);
        return NULL;
    }
    if (!cJSON_IsObject(o)) {
        snprintf(err, errlen, "%s:%d: expected a JSON object, found %s", l->path, l->lineno[i],
                 cJSON_IsArray(o) ? "an array" : "a scalar");
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* ---- JSON helpers ---------------------------------------------------------------------------- */

const char *sj_str(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

double sj_num(const cJSON *o, const char *key, double fallback) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : fallback;
}

int sj_int(const cJSON *o, const char *key, int fallback) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? (int)v->valuedouble : fallback;
}

int sj_bool(const cJSON *o, const char *key, int fallback) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : fallback;
}

char *sdup(const char *s) { return s ? strdup(s) : NULL; }

/* ---- token counting -------------------------------------------------------------------------- */

long suite_count_tokens(const suite_ctx *ctx, const char *text, size_t len, int special,
                        char *err, size_t errlen) {
    if (!ctx || !ctx->tok) return (long)((len + 3) / 4);
    int32_t *ids = NULL;
    size_t n = 0;
    if (v4_tokenize(ctx->tok, text, len, special, &ids, &n, err, errlen)) return -1;
    free(ids);
    return (long)n;
}

/* ---- sample finishing ------------------------------------------------------------------------ */

int suite_build_prompt(const suite_task *t, const char *system, const char *user,
                       const cJSON *tools, const char *gen_prefix, char **prompt_out,
                       cJSON **messages_out, char *err, size_t errlen) {
    cJSON *msgs = cJSON_CreateArray();
    if (system) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "role", "system");
        cJSON_AddStringToObject(m, "content", system);
        cJSON_AddItemToArray(msgs, m);
    }
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", "user");
    cJSON_AddStringToObject(m, "content", user);
    cJSON_AddItemToArray(msgs, m);

    sbuf b = {0};
    if (strcmp(t->template_name, "chat") == 0) {
        char *mj = cJSON_PrintUnformatted(msgs);
        char *tj = tools ? cJSON_PrintUnformatted(tools) : NULL;
        v4_chat_opts o = v4_chat_opts_default();
        o.thinking = t->thinking;
        char *enc = NULL;
        int rc = v4_chat_encode(mj, tj, &o, &enc, err, errlen);
        free(mj); free(tj);
        if (rc) { cJSON_Delete(msgs); return 1; }
        sbuf_puts(&b, enc);
        free(enc);
    } else {
        if (system) { sbuf_puts(&b, system); sbuf_puts(&b, "\n\n"); }
        sbuf_puts(&b, user);
    }
    if (gen_prefix) sbuf_puts(&b, gen_prefix);
    *prompt_out = sbuf_take(&b);
    if (messages_out) *messages_out = msgs; else cJSON_Delete(msgs);
    return 0;
}

void suite_sample_init(const suite_task *t, const char *id, eval_sample *out) {
    memset(out, 0, sizeof *out);
    out->id = sdup(id);
    out->suite = sdup(t->suite_name);
    out->task = sdup(t->name);
    out->depth = -1;
    out->chat = strcmp(t->template_name, "chat") == 0;
    out->thinking = t->thinking;
    out->max_new_tokens = t->max_new_tokens;
    out->scorer = sdup(t->scorer);
    out->n_stops = t->n_stops;
    if (t->n_stops) {
        out->stops = malloc(sizeof(char *) * (size_t)t->n_stops);
        for (int i = 0; i < t->n_stops; i++) out->stops[i] = sdup(t->stops[i]);
    }
    out->meta = cJSON_CreateObject();
}

int suite_sample_tokenize(const suite_ctx *ctx, eval_sample *out, char *err, size_t errlen) {
    size_t plen = strlen(out->prompt);
    long n;
    if (ctx && ctx->tok) {
        int32_t *ids = NULL;
        size_t nn = 0;
        if (v4_tokenize(ctx->tok, out->prompt, plen, 1, &ids, &nn, err, errlen)) return 1;
        if (!out->prompt_ids) { out->prompt_ids = ids; out->n_prompt_ids = (int)nn; }
        else free(ids);
        n = (long)nn;
    } else {
        n = (long)((plen + 3) / 4);
    }
    cJSON_DeleteItemFromObject(out->meta, "prompt_tokens");
    cJSON_AddNumberToObject(out->meta, "prompt_tokens", (double)n);
    cJSON_DeleteItemFromObject(out->meta, "tokens_exact");
    cJSON_AddBoolToObject(out->meta, "tokens_exact", ctx && ctx->tok);
    if (ctx && ctx->max_context > 0 && n + out->max_new_tokens > ctx->max_context) {
        snprintf(err, errlen,
                 "task %s sample %s: prompt (%ld tokens) + max_new_tokens (%d) exceeds the "
                 "model's window (%d tokens); refusing to truncate",
                 out->task, out->id, n, out->max_new_tokens, ctx->max_context);
        return 1;
    }
    return 0;
}
