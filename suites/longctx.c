/*
 * longctx.c — RULER's synthetic long-context tasks (niah_*, vt, cwe, fwe) and the
 * depth × length needle grid, fitted to an exact token budget in the model's own tokens.
 *
 * Recipes follow NVIDIA RULER (scripts/data/synthetic/{niah,variable_tracking,
 * common_words_extraction,freq_words_extraction}.py, constants.py): the same templates,
 * needle sentence, answer prefixes (appended after the assistant tag as the generation
 * prefix), key/value types (adjective-noun words, 7-digit numbers, UUID4), noise / essay /
 * needle-distractor haystacks, RULER's singular rewrite when one value is asked for, vt's
 * 5-letter variable chains with one 3-letter in-context example, cwe's numbered word list with
 * one example, fwe's Zipf-distributed 6-letter coded words. The essay haystack is this
 * project's generated prose (haystack.c) or the user's --haystack-dir text.
 *
 * Length fitting: the budget is length − max_new_tokens. Haystack units (sentences or lines)
 * are tokenized once each (cached per task for the fixed filler streams) and summed; a binary
 * search over the unit count on that estimate gives a first guess, which is verified by one
 * tokenization of the real prompt; a corrected search brackets the answer until the prompt is
 * the largest that fits (upper and lower bracket one unit apart, or the gap below the budget
 * smaller than the smallest unit). The prompt never exceeds the budget; a budget that cannot
 * even hold the prompt without haystack, or a length beyond the model's window, is refused with
 * a clear error. Each sample records its real token count and every needle's token position.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites/haystack.h"
#include "suites/suite_kinds.h"

/* ---- RULER templates ------------------------------------------------------------------------ */

#define NIAH_NEEDLE "One of the special magic %s for %s is: %s."
#define VT_TEMPLATE                                                                         \
    "Memorize and track the chain(s) of variable assignment hidden in the following text.\n\n" \
    "%s\nQuestion: Find all variables that are assigned the value %s in the text above."
#define VT_ANSWER                                                                           \
    " Answer: According to the chain(s) of variable assignment in the text above, %d "      \
    "variables are assigned the value %s, they are: "
#define CWE_TEMPLATE                                                                        \
    "Below is a numbered list of words. In these words, some appear more often than others. " \
    "Memorize the ones that appear most often.\n%s\nQuestion: What are the 10 most common "  \
    "words in the above list?"
#define CWE_ANSWER " Answer: The top 10 words that appear most often in the list are:"
#define FWE_TEMPLATE                                                                        \
    "Read the following coded text and track the frequency of each coded word. Find the "    \
    "three most frequently appeared coded words. %s\nQuestion: Do not provide any "          \
    "explanation. Please ignore the dots '....'. What are the three most frequently "        \
    "appeared words in the above coded text?"
#define FWE_ANSWER                                                                          \
    " Answer: According to the coded text above, the three most frequently appeared words are:"

/* ---- per-task cache: tokenized filler units ---------------------------------------------- */

typedef struct {
    const v4_tokenizer *tok;   /* tokenizer the counts belong to (NULL = approximation) */
    int approx;                /* 1 when counts are approximations */
    /* essay / user-text units, each with its leading joiner */
    char **units; long *utok; long n_units, cap;
    long *upre;                /* [n_units + 1] prefix sums of utok */
    srng stream;               /* generated-essay sentence stream */
    int para_left;             /* sentences left in the current paragraph */
    hs_text user; int user_loaded;
    long noise_tok;            /* tokens of "\n" + noise line; -1 = not computed */
    long vt_noise_tok;         /* tokens of " " + noise line + "\n" */
    int16_t *tok_bytes;        /* [vocab] byte length of each token id, -1 unknown */
    int vocab;
} lc_cache;

static void lc_cache_free(void *p) {
    lc_cache *c = p;
    for (long i = 0; i < c->n_units; i++) free(c->units[i]);
    free(c->units); free(c->utok); free(c->upre);
    hs_text_free(&c->user);
    free(c->tok_bytes);
    free(c);
}

static lc_cache *lc_get_cache(const suite_task *t, const suite_ctx *ctx) {
    suite_task_cache *tc = t->cache;
    lc_cache *c = tc->state;
    const v4_tokenizer *tok = ctx ? ctx->tok : NULL;
    if (c && c->tok != tok) {  /* another tokenizer: counts are stale */
        lc_cache_free(c);
        c = NULL;
    }
    if (!c) {
        c = calloc(1, sizeof *c);
        c->tok = tok;
        c->approx = tok == NULL;
        c->noise_tok = c->vt_noise_tok = -1;
        srng_init(&c->stream, t->seed ^ 0xE55A1ULL);
        tc->state = c;
        tc->state_free = lc_cache_free;
    }
    return c;
}

static long count_text(const suite_ctx *ctx, const char *s, size_t n, char *err, size_t errlen) {
    return suite_count_tokens(ctx, s, n, 0, err, errlen);
}

/* essay_units_ensure: at least n units in the cache (generated prose or user text). */
static int essay_units_ensure(lc_cache *c, const suite *s, const suite_ctx *ctx, long n,
                              char *err, size_t errlen) {
    const char *dir = ctx && ctx->haystack_dir ? ctx->haystack_dir : s ? s->haystack_dir : NULL;
    if (dir && !c->user_loaded) {
        if (hs_text_load_dir(dir, &c->user, err, errlen)) return 1;
        c->user_loaded = 1;
    }
    while (c->n_units < n) {
        if (c->n_units == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 1024;
            c->units = realloc(c->units, sizeof(char *) * (size_t)c->cap);
            c->utok = realloc(c->utok, sizeof(long) * (size_t)c->cap);
            c->upre = realloc(c->upre, sizeof(long) * (size_t)(c->cap + 1));
            c->upre[0] = 0;
        }
        sbuf b = {0};
        if (c->user_loaded) {
            /* RULER expands a short haystack by repeating it */
            sbuf_puts(&b, " ");
            sbuf_puts(&b, c->user.sents[c->n_units % c->user.n]);
            if (c->n_units >= c->user.n) {
                /* repeated sentence: reuse the count of its first occurrence */
                long src = c->n_units % c->user.n;
                c->units[c->n_units] = sbuf_take(&b);
                c->utok[c->n_units] = c->utok[src];
                c->upre[c->n_units + 1] = c->upre[c->n_units] + c->utok[c->n_units];
                c->n_units++;
                continue;
            }
        } else {
            if (c->para_left <= 0) {
                c->para_left = 4 + (int)srng_below(&c->stream, 6);
                sbuf_puts(&b, c->n_units ? "\n\n" : "");
            } else {
                sbuf_puts(&b, " ");
            }
            c->para_left--;
            char *sent = hs_essay_sentence(&c->stream);
            sbuf_puts(&b, sent);
            free(sent);
        }
        long nt = count_text(ctx, b.s, b.n, err, errlen);
        if (nt < 0) { sbuf_free(&b); return 1; }
        c->units[c->n_units] = sbuf_take(&b);
        c->utok[c->n_units] = nt;
        c->upre[c->n_units + 1] = c->upre[c->n_units] + nt;
        c->n_units++;
    }
    return 0;
}

/* token_positions: token index (in ids) that contains each byte offset of offs (sorted
 * ascending); approximations (offset / 4) without a tokenizer. */
static int token_positions(lc_cache *c, const suite_ctx *ctx, const int32_t *ids, long n_ids,
                           const long *offs, int k, long *out, char *err, size_t errlen) {
    if (!ctx || !ctx->tok || !ids) {
        for (int i = 0; i < k; i++) out[i] = offs[i] < 0 ? -1 : offs[i] / 4;
        return 0;
    }
    if (!c->tok_bytes) {
        c->vocab = v4_tokenizer_vocab_size(ctx->tok);
        c->tok_bytes = malloc(sizeof(int16_t) * (size_t)(c->vocab > 0 ? c->vocab : 1));
        for (int i = 0; i < c->vocab; i++) c->tok_bytes[i] = -1;
    }
    long pos = 0;
    int j = 0;
    while (j < k && offs[j] < 0) out[j++] = -1;
    for (long i = 0; i < n_ids && j < k; i++) {
        int32_t id = ids[i];
        long len;
        if (id >= 0 && id < c->vocab && c->tok_bytes[id] >= 0) {
            len = c->tok_bytes[id];
        } else {
            char *txt = NULL;
            size_t l = 0;
            if (v4_detokenize(ctx->tok, &id, 1, &txt, &l, err, errlen)) return 1;
            free(txt);
            len = (long)l;
            if (id >= 0 && id < c->vocab && l < 32767) c->tok_bytes[id] = (int16_t)l;
        }
        while (j < k && offs[j] < pos + len) out[j++] = i;
        pos += len;
    }
    while (j < k) out[j++] = n_ids;
    return 0;
}

/* ---- the fitter --------------------------------------------------------------------------- */

typedef struct {
    void *u;
    /* est: estimated prompt tokens with n haystack units (monotone in n) */
    long (*est)(void *u, long n);
    /* build: the full prompt with n units (malloc'ed) */
    int (*build)(void *u, long n, char **prompt, char *err, size_t errlen);
    long n_max;     /* largest allowed n */
    long unit_min;  /* fewest tokens one unit adds (stopping rule), >= 1 */
} lc_fit;

typedef struct {
    long n;          /* units used */
    char *prompt;
    int32_t *ids; long n_ids;
    int iterations;  /* tokenizations of the full prompt */
} lc_fit_result;

static int measure(const suite_ctx *ctx, const char *prompt, int32_t **ids, long *n,
                   char *err, size_t errlen) {
    *ids = NULL;
    if (!ctx || !ctx->tok) { *n = (long)((strlen(prompt) + 3) / 4); return 0; }
    size_t nn = 0;
    if (v4_tokenize(ctx->tok, prompt, strlen(prompt), 1, ids, &nn, err, errlen)) return 1;
    *n = (long)nn;
    return 0;
}

/* search: largest m in [lo, hi] with base + ratio * (est(m) − est0) <= budget (lo if none). */
static long search(lc_fit *f, long lo, long hi, double base, double est0, double ratio,
                   long budget) {
    while (lo < hi) {
        long mid = lo + (hi - lo + 1) / 2;
        double e = base + ratio * ((double)f->est(f->u, mid) - est0);
        if (e <= (double)budget) lo = mid; else hi = mid - 1;
    }
    return lo;
}

static int fit_run(const suite_ctx *ctx, lc_fit *f, long budget, const char *what,
                   lc_fit_result *r, char *err, size_t errlen) {
    memset(r, 0, sizeof *r);
    char *p0 = NULL;
    int32_t *ids0 = NULL;
    long t0 = 0;
    if (f->build(f->u, 0, &p0, err, errlen) || measure(ctx, p0, &ids0, &t0, err, errlen)) {
        free(p0);
        return 1;
    }
    r->iterations = 1;
    if (t0 > budget) {
        snprintf(err, errlen, "%s: the prompt without any haystack already takes %ld tokens, "
                 "more than the budget of %ld (length − max_new_tokens); use a longer length",
                 what, t0, budget);
        free(p0); free(ids0);
        return 1;
    }
    long lo = 0, hi = f->n_max + 1; /* lo fits; hi is the smallest known not to fit */
    long t_lo = t0, t_hi = -1;
    r->n = 0; r->prompt = p0; r->ids = ids0; r->n_ids = t0;
    double est0 = (double)f->est(f->u, 0);
    /* first guess from the per-unit token counts, then regula falsi on measured counts */
    long n = search(f, 0, f->n_max, (double)t0, est0, 1.0, budget);
    for (int it = 0; it < 32 && hi - lo > 1; it++) {
        if (n <= lo) n = lo + 1;
        if (n >= hi) n = hi - 1;
        char *p = NULL;
        int32_t *ids = NULL;
        long tn = 0;
        if (f->build(f->u, n, &p, err, errlen) || measure(ctx, p, &ids, &tn, err, errlen)) {
            free(p);
            free(r->prompt); free(r->ids);
            memset(r, 0, sizeof *r);
            return 1;
        }
        r->iterations++;
        if (tn <= budget) {
            lo = n; t_lo = tn;
            free(r->prompt); free(r->ids);
            r->n = n; r->prompt = p; r->ids = ids; r->n_ids = tn;
            if (budget - tn < f->unit_min) break; /* no further unit can fit */
        } else {
            hi = n; t_hi = tn;
            free(p); free(ids);
        }
        if (hi - lo <= 1) break;
        if (t_hi > t_lo) {
            /* interpolate between the brackets */
            n = lo + (long)((double)(budget - t_lo) * (double)(hi - lo) / (double)(t_hi - t_lo));
        } else {
            /* no upper measurement yet: extrapolate with the measured tokens per unit */
            double per = lo > 0 ? (double)(t_lo - t0) / (double)lo : (double)f->unit_min;
            if (per < 1e-9) per = 1;
            n = lo + (long)((double)(budget - t_lo) / per);
        }
    }
    return 0;
}

/* ---- key and value generators (RULER: words = adjective-noun, numbers = 7 digits) ------- */

static void gen_random(srng *r, const char *type, char *buf, size_t n) {
    if (strcmp(type, "numbers") == 0) {
        snprintf(buf, n, "%lld", (long long)srng_range(r, 1000000, 9999999));
    } else if (strcmp(type, "uuids") == 0) {
        uint64_t a = srng_next(r), b = srng_next(r);
        a = (a & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL; /* version 4 */
        b = (b & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL; /* variant 10 */
        snprintf(buf, n, "%08llx-%04llx-%04llx-%04llx-%012llx",
                 (unsigned long long)(a >> 32), (unsigned long long)((a >> 16) & 0xFFFF),
                 (unsigned long long)(a & 0xFFFF), (unsigned long long)(b >> 48),
                 (unsigned long long)(b & 0xFFFFFFFFFFFFULL));
    } else { /* words */
        snprintf(buf, n, "%s-%s", hs_adj((int)srng_below(r, (uint64_t)hs_n_adjs())),
                 hs_noun((int)srng_below(r, (uint64_t)hs_n_nouns())));
    }
}

/* ---- NIAH ------------------------------------------------------------------------------- */

static const char *const HAYSTACKS[] = {"noise", "essay", "needle", NULL};
static const char *const KTYPES[] = {"words", "numbers", "uuids", NULL};

typedef struct {
    const suite *s;
    const suite_task *t;
    const suite_ctx *ctx;
    lc_cache *c;
    const char *haystack;     /* noise | essay | needle */
    char **needles; int n_needles;
    double *nfrac;            /* [n_needles] insertion fraction (noise/needle) */
    int *ndepth;              /* [n_needles] essay depth percent (RULER DEPTHS) */
    double grid_depth;        /* >= 0: depth-grid insertion by token depth */
    char *pre, *post;         /* user message before / after the context */
    char *gen_prefix;
    /* needle-distractor haystack lines (per sample) */
    char **lines; long *ltok; long n_lines, cap_lines;
    long *lpre;               /* [n_lines + 1] prefix sums of ltok */
    srng line_rng;
    const char *ktype, *vtype, *vname;
    long *pos_tmp;            /* scratch: insertion unit index per needle */
    char err[V4_ERRLEN];
} niah_job;

static int niah_lines_ensure(niah_job *j, long n) {
    while (j->n_lines < n) {
        if (j->n_lines == j->cap_lines) {
            j->cap_lines = j->cap_lines ? j->cap_lines * 2 : 1024;
            j->lines = realloc(j->lines, sizeof(char *) * (size_t)j->cap_lines);
            j->ltok = realloc(j->ltok, sizeof(long) * (size_t)j->cap_lines);
            j->lpre = realloc(j->lpre, sizeof(long) * (size_t)(j->cap_lines + 1));
            j->lpre[0] = 0;
        }
        char k[64], v[64];
        gen_random(&j->line_rng, j->ktype, k, sizeof k);
        gen_random(&j->line_rng, j->vtype, v, sizeof v);
        sbuf b = {0};
        sbuf_puts(&b, "\n");
        sbuf_printf(&b, NIAH_NEEDLE, j->vname, k, v);
        long nt = count_text(j->ctx, b.s, b.n, j->err, sizeof j->err);
        if (nt < 0) { sbuf_free(&b); return 1; }
        j->lines[j->n_lines] = sbuf_take(&b);
        j->ltok[j->n_lines] = nt;
        j->lpre[j->n_lines + 1] = j->lpre[j->n_lines] + nt;
        j->n_lines++;
    }
    return 0;
}

static long niah_unit_tok(niah_job *j, long i) {
    if (strcmp(j->haystack, "noise") == 0) return j->c->noise_tok;
    if (strcmp(j->haystack, "needle") == 0) return j->ltok[i];
    return j->c->utok[i];
}

static long niah_est(void *u, long n) {
    niah_job *j = u;
    if (strcmp(j->haystack, "noise") == 0) return n * j->c->noise_tok;
    if (strcmp(j->haystack, "needle") == 0) return j->lpre[n];
    return j->c->upre[n];
}

static const char *niah_unit(niah_job *j, long i) {
    if (strcmp(j->haystack, "noise") == 0) return "\n" HS_NOISE;
    if (strcmp(j->haystack, "needle") == 0) return j->lines[i];
    return j->c->units[i];
}

/* niah_positions: the unit boundary (0..n) before which each needle goes. */
static void niah_positions(niah_job *j, long n, long *pos) {
    if (j->grid_depth >= 0) {
        /* depth grid (gkamradt): depth% of the haystack's tokens, moved back to the previous
         * unit (sentence/line) boundary; further needles spread evenly over the rest */
        long total = niah_est(j, n);
        for (int k = 0; k < j->n_needles; k++) {
            double d = j->grid_depth + (1.0 - j->grid_depth) * k / j->n_needles;
            double target = d * (double)total;
            long cum = 0, b = 0;
            while (b < n && (double)(cum + niah_unit_tok(j, b)) <= target) cum += niah_unit_tok(j, b++);
            if (d >= 1.0) b = n;
            pos[k] = b;
        }
    } else if (strcmp(j->haystack, "essay") == 0) {
        for (int k = 0; k < j->n_needles; k++) pos[k] = (long)(n * (j->ndepth[k] / 100.0));
    } else {
        for (int k = 0; k < j->n_needles; k++) pos[k] = (long)(j->nfrac[k] * (double)(n + 1));
    }
    for (int k = 0; k < j->n_needles; k++) if (pos[k] > n) pos[k] = n;
}

static int niah_build(void *u, long n, char **prompt, char *err, size_t errlen) {
    niah_job *j = u;
    long *pos = j->pos_tmp;
    niah_positions(j, n, pos);
    /* needle insertion order: by position; equal positions keep needle order */
    int *ord = malloc(sizeof(int) * (size_t)j->n_needles);
    for (int k = 0; k < j->n_needles; k++) ord[k] = k;
    for (int a = 1; a < j->n_needles; a++)
        for (int b = a; b > 0 && pos[ord[b - 1]] > pos[ord[b]]; b--) {
            int x = ord[b]; ord[b] = ord[b - 1]; ord[b - 1] = x;
        }
    int essay = strcmp(j->haystack, "essay") == 0;
    sbuf ctxt = {0};
    int k = 0;
    for (long i = 0; i <= n; i++) {
        while (k < j->n_needles && pos[ord[k]] == i) {
            sbuf_puts(&ctxt, essay ? " " : "\n");
            sbuf_puts(&ctxt, j->needles[ord[k]]);
            k++;
        }
        if (i < n) sbuf_puts(&ctxt, niah_unit(j, i));
    }
    free(ord);
    /* the context starts without a joiner */
    const char *cs = ctxt.s ? ctxt.s : "";
    while (*cs == ' ' || *cs == '\n') cs++;
    sbuf user = {0};
    sbuf_puts(&user, j->pre);
    sbuf_puts(&user, cs);
    sbuf_puts(&user, j->post);
    sbuf_free(&ctxt);
    int rc = suite_build_prompt(j->t, NULL, user.s, NULL, j->gen_prefix, prompt, NULL, err, errlen);
    sbuf_free(&user);
    return rc;
}

static int niah_validate(const char *where, const suite_task *t, char *err, size_t errlen) {
    static const char *const keys[] = {"haystack", "key_type", "value_type", "num_needle_k",
                                       "num_needle_v", "num_needle_q", "answer_prefix", NULL};
    const cJSON *p = t->params;
    if (sv_known(where, p, keys, err, errlen) || sv_enum(where, p, "haystack", HAYSTACKS, err, errlen) ||
        sv_enum(where, p, "key_type", KTYPES, err, errlen) ||
        sv_enum(where, p, "value_type", KTYPES, err, errlen) ||
        sv_int(where, p, "num_needle_k", 1, 64, err, errlen) ||
        sv_int(where, p, "num_needle_v", 1, 64, err, errlen) ||
        sv_int(where, p, "num_needle_q", 1, 64, err, errlen))
        return 1;
    const cJSON *ap = cJSON_GetObjectItemCaseSensitive(p, "answer_prefix");
    if (ap && !cJSON_IsBool(ap)) {
        snprintf(err, errlen, "%s: params.answer_prefix: expected a boolean, found %s", where,
                 sv_type_name(ap));
        return 1;
    }
    return 0;
}

static char *cell_id(const suite_task *t, int index, int *length, double *depth) {
    int li, di, si;
    suite_task_cell(t, index, &li, &di, &si);
    *length = t->lengths[li];
    *depth = t->n_depths ? t->depths[di] : -1;
    char buf[256];
    if (t->n_depths)
        snprintf(buf, sizeof buf, "%s/%d/d%g/%d", t->name, *length, t->depths[di] * 100, si);
    else
        snprintf(buf, sizeof buf, "%s/%d/%d", t->name, *length, si);
    return sdup(buf);
}

static int check_window(const suite_task *t, int length, const suite_ctx *ctx, char *err,
                        size_t errlen) {
    if (ctx && ctx->max_context > 0 && length > ctx->max_context) {
        snprintf(err, errlen, "task %s: length %d exceeds the model's window of %d tokens "
                 "(max_position_embeddings); refusing to truncate — choose --lengths up to %d",
                 t->name, length, ctx->max_context, ctx->max_context);
        return 1;
    }
    if (length <= t->max_new_tokens) {
        snprintf(err, errlen, "task %s: length %d leaves no room for the prompt after "
                 "max_new_tokens %d", t->name, length, t->max_new_tokens);
        return 1;
    }
    return 0;
}

/* finish_length_sample: fills prompt/ids/meta common to every length task. */
static int finish_length_sample(const suite_ctx *ctx, lc_cache *c, eval_sample *out,
                                lc_fit_result *fr, int length, long units, const char *gen_prefix,
                                char **needles, int n_needles, char *err, size_t errlen) {
    out->prompt = fr->prompt; fr->prompt = NULL;
    if (fr->ids) { out->prompt_ids = fr->ids; out->n_prompt_ids = (int)fr->n_ids; fr->ids = NULL; }
    cJSON *m = out->meta;
    cJSON_AddNumberToObject(m, "length", length);
    cJSON_AddNumberToObject(m, "prompt_tokens", (double)fr->n_ids);
    cJSON_AddNumberToObject(m, "real_length", (double)(fr->n_ids + out->max_new_tokens));
    cJSON_AddBoolToObject(m, "tokens_exact", ctx && ctx->tok);
    cJSON_AddNumberToObject(m, "haystack_units", (double)units);
    cJSON_AddNumberToObject(m, "fit_tokenizations", fr->iterations);
    if (gen_prefix) cJSON_AddStringToObject(m, "gen_prefix", gen_prefix);
    size_t nn = n_needles > 0 ? (size_t)n_needles : 1;
    long *offs = calloc(nn, sizeof(long));
    long *tp = calloc(nn, sizeof(long));
    /* byte offsets of the needles in the prompt (each needle text is unique) */
    for (int k = 0; k < n_needles; k++) {
        const char *h = strstr(out->prompt, needles[k]);
        offs[k] = h ? (long)(h - out->prompt) : -1;
    }
    /* sort offsets ascending for the walk, remember original order */
    int *ord = calloc(nn, sizeof(int));
    for (int k = 0; k < n_needles; k++) ord[k] = k;
    for (int a = 1; a < n_needles; a++)
        for (int b = a; b > 0 && offs[ord[b - 1]] > offs[ord[b]]; b--) {
            int x = ord[b]; ord[b] = ord[b - 1]; ord[b - 1] = x;
        }
    long *so = calloc(nn, sizeof(long));
    long *st = calloc(nn, sizeof(long));
    for (int k = 0; k < n_needles; k++) so[k] = offs[ord[k]];
    int rc = token_positions(c, ctx, out->prompt_ids, out->n_prompt_ids ? out->n_prompt_ids : fr->n_ids,
                             so, n_needles, st, err, errlen);
    for (int k = 0; k < n_needles; k++) tp[ord[k]] = st[k];
    if (!rc && n_needles) {
        cJSON_AddNumberToObject(m, "needle_token_pos", (double)tp[0]);
        long first = -1;
        for (int k = 0; k < n_needles; k++)
            if (tp[k] >= 0 && (first < 0 || tp[k] < first)) first = tp[k];
        cJSON_AddNumberToObject(m, "first_needle_token_pos", (double)first);
        cJSON *arr = cJSON_AddArrayToObject(m, "needle_token_positions");
        for (int k = 0; k < n_needles; k++) cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)tp[k]));
        cJSON_AddNumberToObject(m, "depth_actual",
                                fr->n_ids > 0 && tp[0] >= 0 ? (double)tp[0] / (double)fr->n_ids : -1);
    } else if (!rc) {
        cJSON_AddNumberToObject(m, "needle_token_pos", -1);
    }
    free(offs); free(tp); free(ord); free(so); free(st);
    return rc;
}

static int niah_make(const suite *s, const suite_task *t, int index, uint64_t seed,
                     const suite_ctx *ctx, eval_sample *out, char *err, size_t errlen) {
    int length;
    double depth;
    char *id = cell_id(t, index, &length, &depth);
    suite_sample_init(t, id, out);
    free(id);
    out->length = length;
    out->depth = depth;
    if (check_window(t, length, ctx, err, errlen)) return 1;

    const cJSON *p = t->params;
    niah_job j;
    memset(&j, 0, sizeof j);
    j.s = s; j.t = t; j.ctx = ctx;
    j.haystack = sj_str(p, "haystack") ? sj_str(p, "haystack") : "essay";
    j.ktype = sj_str(p, "key_type") ? sj_str(p, "key_type") : "words";
    j.vtype = sj_str(p, "value_type") ? sj_str(p, "value_type") : "numbers";
    int nk = sj_int(p, "num_needle_k", 1), nv = sj_int(p, "num_needle_v", 1);
    int nq = sj_int(p, "num_needle_q", 1);
    if (nk < nq) nk = nq; /* RULER: num_needle_k = max(num_needle_k, num_needle_q) */
    j.grid_depth = depth;

    srng r;
    srng_init(&r, seed);
    /* keys (distinct) and values */
    char (*keys)[64] = calloc((size_t)nk, 64);
    char (*vals)[64] = calloc((size_t)nk * (size_t)nv, 64);
    for (int a = 0; a < nk; a++) {
        for (int tries = 0; tries < 1000; tries++) {
            gen_random(&r, j.ktype, keys[a], 64);
            int dup = 0;
            for (int b = 0; b < a; b++) dup |= strcmp(keys[a], keys[b]) == 0;
            if (!dup) break;
        }
        for (int b = 0; b < nv; b++) gen_random(&r, j.vtype, vals[a * nv + b], 64);
    }
    j.vname = j.vtype; /* "numbers" / "words" / "uuids" as in RULER */
    int single = nq * nv == 1;
    char vname_s[32];
    snprintf(vname_s, sizeof vname_s, "%s", j.vtype);
    if (single) vname_s[strlen(vname_s) - 1] = 0; /* remove the plural "s" */
    j.n_needles = nk * nv;
    j.needles = malloc(sizeof(char *) * (size_t)j.n_needles);
    for (int a = 0; a < nk; a++)
        for (int b = 0; b < nv; b++) {
            sbuf nb = {0};
            sbuf_printf(&nb, NIAH_NEEDLE, j.vtype, keys[a], vals[a * nv + b]);
            j.needles[a * nv + b] = sbuf_take(&nb);
        }
    /* RULER shuffles the needles */
    int *perm = malloc(sizeof(int) * (size_t)j.n_needles);
    for (int a = 0; a < j.n_needles; a++) perm[a] = a;
    srng_shuffle_int(&r, perm, j.n_needles);
    char **sh = malloc(sizeof(char *) * (size_t)j.n_needles);
    for (int a = 0; a < j.n_needles; a++) sh[a] = j.needles[perm[a]];
    free(j.needles);
    j.needles = sh;
    free(perm);
    /* positions */
    j.nfrac = malloc(sizeof(double) * (size_t)j.n_needles);
    j.ndepth = malloc(sizeof(int) * (size_t)j.n_needles);
    j.pos_tmp = malloc(sizeof(long) * (size_t)j.n_needles);
    for (int a = 0; a < j.n_needles; a++) j.nfrac[a] = srng_unit(&r);
    {
        /* RULER DEPTHS = round(linspace(0, 100, 40)), sampled without replacement */
        int pick[64];
        int want = j.n_needles < 40 ? j.n_needles : 40;
        srng_sample(&r, 40, want, pick);
        for (int a = 0; a < j.n_needles; a++)
            j.ndepth[a] = (int)lround(100.0 * pick[a % want] / 39.0);
    }
    /* queries */
    int *qi = malloc(sizeof(int) * (size_t)nq);
    srng_sample(&r, nk, nq, qi);
    sbuf q = {0};
    for (int a = 0; a < nq; a++) {
        if (a) sbuf_puts(&q, ", ");
        if (a == nq - 1 && nq > 1) sbuf_puts(&q, "and ");
        sbuf_puts(&q, keys[qi[a]]);
    }
    out->target = cJSON_CreateArray();
    for (int a = 0; a < nq; a++)
        for (int b = 0; b < nv; b++)
            cJSON_AddItemToArray(out->target, cJSON_CreateString(vals[qi[a] * nv + b]));
    /* template (RULER's singular rewrite when exactly one value is asked for) */
    sbuf pre = {0}, post = {0}, gp = {0};
    if (single)
        sbuf_printf(&pre, "A special magic %s is hidden within the following text. Make sure to "
                    "memorize it. I will quiz you about the %s afterwards.\n", vname_s, vname_s);
    else
        sbuf_printf(&pre, "Some special magic %s are hidden within the following text. Make "
                    "sure to memorize it. I will quiz you about the %s afterwards.\n", vname_s,
                    vname_s);
    if (single)
        sbuf_printf(&post, "\nWhat is the special magic %s for %s mentioned in the provided text?",
                    vname_s, q.s);
    else
        sbuf_printf(&post, "\nWhat are all the special magic %s for %s mentioned in the provided "
                    "text?", vname_s, q.s);
    int use_prefix = sj_bool(p, "answer_prefix", 1);
    if (use_prefix)
        sbuf_printf(&gp, " The special magic %s for %s mentioned in the provided text %s", vname_s,
                    q.s, single ? "is" : "are");
    j.pre = sbuf_take(&pre);
    j.post = sbuf_take(&post);
    j.gen_prefix = use_prefix ? sbuf_take(&gp) : NULL;
    sbuf_free(&gp);
    srng_init(&j.line_rng, seed ^ 0x11AE5ULL);

    suite_task_cache *tc = t->cache;
    pthread_mutex_lock(&tc->mu);
    j.c = lc_get_cache(t, ctx);
    int rc = 0;
    long budget = length - t->max_new_tokens;
    lc_fit f = {&j, niah_est, niah_build, 0, 1};
    /* upper bound on units: every unit has >= 1 token */
    long nmax = budget + 1;
    if (strcmp(j.haystack, "noise") == 0) {
        if (j.c->noise_tok < 0) {
            j.c->noise_tok = count_text(ctx, "\n" HS_NOISE, strlen("\n" HS_NOISE), err, errlen);
            if (j.c->noise_tok < 0) rc = 1;
        }
        if (!rc) { nmax = budget / (j.c->noise_tok > 0 ? j.c->noise_tok : 1) + 1; f.unit_min = j.c->noise_tok; }
    } else if (strcmp(j.haystack, "needle") == 0) {
        /* distractor lines are all alike: size the pool from the first 64 */
        long mn = 1 << 30;
        if (niah_lines_ensure(&j, 64)) rc = 1;
        for (long a = 0; !rc && a < j.n_lines; a++) if (j.ltok[a] < mn) mn = j.ltok[a];
        if (!rc) {
            if (mn < 1) mn = 1;
            if (niah_lines_ensure(&j, budget / mn + 64)) rc = 1;
        }
        if (rc) snprintf(err, errlen, "%s", j.err);
        f.unit_min = mn > 0 && mn < (1 << 30) ? mn : 1;
        nmax = j.n_lines;
    } else {
        if (essay_units_ensure(j.c, s, ctx, budget / 8 + 64, err, errlen)) rc = 1;
        long mn = 1 << 30;
        for (long a = 0; !rc && a < j.c->n_units; a++) if (j.c->utok[a] < mn) mn = j.c->utok[a];
        if (mn < 1) mn = 1;
        if (!rc && mn < 8 && essay_units_ensure(j.c, s, ctx, budget / mn + 64, err, errlen)) rc = 1;
        f.unit_min = mn < (1 << 30) ? mn : 1;
        nmax = j.c->n_units;
    }
    f.n_max = nmax;
    char what[256];
    snprintf(what, sizeof what, "task %s length %d", t->name, length);
    lc_fit_result fr;
    memset(&fr, 0, sizeof fr);
    if (!rc) rc = fit_run(ctx, &f, budget, what, &fr, err, errlen);
    if (!rc) rc = finish_length_sample(ctx, j.c, out, &fr, length, fr.n, j.gen_prefix, j.needles,
                                       j.n_needles, err, errlen);
    pthread_mutex_unlock(&tc->mu);
    if (!rc) {
        cJSON_AddStringToObject(out->meta, "haystack", j.haystack);
        cJSON *qa = cJSON_AddArrayToObject(out->meta, "queries");
        for (int a = 0; a < nq; a++) cJSON_AddItemToArray(qa, cJSON_CreateString(keys[qi[a]]));
        cJSON_AddNumberToObject(out->meta, "num_needles", j.n_needles);
    }
    free(fr.prompt); free(fr.ids);
    for (int a = 0; a < j.n_needles; a++) free(j.needles[a]);
    free(j.needles); free(j.nfrac); free(j.ndepth); free(j.pos_tmp);
    for (long a = 0; a < j.n_lines; a++) free(j.lines[a]);
    free(j.lines); free(j.ltok); free(j.lpre);
    free(j.pre); free(j.post); free(j.gen_prefix);
    free(keys); free(vals); free(qi); sbuf_free(&q);
    return rc;
}

const suite_kind suite_kind_niah = {
    .name = "niah", .length_task = 1, .scorer = "ruler_all", .template_name = "chat",
    .max_new_tokens = 128, .validate = niah_validate, .make = niah_make};

/* ---- VT (variable tracking) --------------------------------------------------------------- */

typedef struct {
    const suite_task *t;
    const suite_ctx *ctx;
    lc_cache *c;
    char **chain; int n_chain;      /* chain statements of the first chain */
    char **chains_all; int n_all;   /* all statements of all chains, chain by chain */
    int num_chains, hops;
    double *frac;                    /* [n_all] insertion fractions, sorted per chain */
    char *icl;                       /* in-context example text (with answers), or "" */
    char *value;
    char *gen_prefix;
    int raw_icl;                     /* build the example itself: template inline, raw */
} vt_job;

static long vt_est(void *u, long n) {
    vt_job *j = u;
    return n * j->c->vt_noise_tok;
}

static char *vt_context(vt_job *j, long n) {
    /* sentences = [noise + "\n"] * n; each chain's statements at sorted random positions
     * (chain order preserved); joined with " "; ". \n" → ".\n" (RULER) */
    long total = n + j->n_all;
    const char **items = malloc(sizeof(char *) * (size_t)(total ? total : 1));
    long cnt = 0;
    for (long i = 0; i < n; i++) items[cnt++] = HS_NOISE "\n";
    int per = j->hops + 1;
    for (int ch = 0; ch < j->num_chains; ch++) {
        long len = cnt;
        for (int s = 0; s < per; s++) {
            int idx = ch * per + s;
            long p = (long)(j->frac[idx] * (double)len) + s; /* positions[j] + j, as RULER */
            if (p > cnt) p = cnt;
            memmove(items + p + 1, items + p, sizeof(char *) * (size_t)(cnt - p));
            items[p] = j->chains_all[idx];
            cnt++;
        }
    }
    sbuf b = {0};
    for (long i = 0; i < cnt; i++) {
        if (i) sbuf_puts(&b, " ");
        sbuf_puts(&b, items[i]);
    }
    free(items);
    /* replace ". \n" with ".\n" */
    char *s = sbuf_take(&b);
    char *w = s;
    for (char *r = s; *r;) {
        if (r[0] == '.' && r[1] == ' ' && r[2] == '\n') { *w++ = '.'; *w++ = '\n'; r += 3; }
        else *w++ = *r++;
    }
    *w = 0;
    return s;
}

static int vt_build(void *u, long n, char **prompt, char *err, size_t errlen) {
    vt_job *j = u;
    char *ctx_text = vt_context(j, n);
    sbuf user = {0};
    sbuf_puts(&user, j->icl);
    sbuf_printf(&user, VT_TEMPLATE, ctx_text, j->value);
    free(ctx_text);
    int rc = 0;
    if (j->raw_icl) {
        sbuf_puts(&user, j->gen_prefix);
        *prompt = sbuf_take(&user);
    } else {
        rc = suite_build_prompt(j->t, NULL, user.s, NULL, j->gen_prefix, prompt, NULL, err, errlen);
    }
    sbuf_free(&user);
    return rc;
}

static void vt_var(srng *r, int k, char *buf) {
    for (int i = 0; i < k; i++) buf[i] = (char)('A' + srng_below(r, 26));
    buf[k] = 0;
}

/* vt_chains: builds num_chains chains of hops+1 distinct variables (names of k letters). */
static void vt_chains(srng *r, vt_job *j, int k, char (**vars)[8]) {
    int per = j->hops + 1, total = per * j->num_chains;
    char (*v)[8] = calloc((size_t)total, 8);
    for (int i = 0; i < total; i++) {
        for (;;) {
            vt_var(r, k, v[i]);
            int dup = 0;
            for (int a = 0; a < i; a++) dup |= strcmp(v[a], v[i]) == 0;
            if (!dup) break;
        }
    }
    j->n_all = total;
    j->chains_all = malloc(sizeof(char *) * (size_t)total);
    for (int ch = 0; ch < j->num_chains; ch++) {
        char b[64];
        snprintf(b, sizeof b, "VAR %s = %lld", v[ch * per], (long long)srng_range(r, 10000, 99998));
        j->chains_all[ch * per] = sdup(b);
        for (int s = 1; s < per; s++) {
            snprintf(b, sizeof b, "VAR %s = VAR %s ", v[ch * per + s], v[ch * per + s - 1]);
            j->chains_all[ch * per + s] = sdup(b);
        }
    }
    j->frac = malloc(sizeof(double) * (size_t)total);
    for (int ch = 0; ch < j->num_chains; ch++) {
        /* sorted distinct-ish fractions per chain */
        double *f = j->frac + ch * per;
        for (int s = 0; s < per; s++) f[s] = srng_unit(r);
        for (int a = 1; a < per; a++)
            for (int b = a; b > 0 && f[b - 1] > f[b]; b--) { double x = f[b]; f[b] = f[b - 1]; f[b - 1] = x; }
    }
    *vars = v;
}

static void vt_job_free(vt_job *j) {
    for (int i = 0; i < j->n_all; i++) free(j->chains_all[i]);
    free(j->chains_all); free(j->frac); free(j->value); free(j->gen_prefix); free(j->icl);
}

static int vt_validate(const char *where, const suite_task *t, char *err, size_t errlen) {
    static const char *const keys[] = {"num_chains", "num_hops", "icl", NULL};
    const cJSON *p = t->params;
    if (sv_known(where, p, keys, err, errlen) || sv_int(where, p, "num_chains", 1, 16, err, errlen) ||
        sv_int(where, p, "num_hops", 1, 32, err, errlen))
        return 1;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, "icl");
    if (v && !cJSON_IsBool(v)) {
        snprintf(err, errlen, "%s: params.icl: expected a boolean, found %s", where, sv_type_name(v));
        return 1;
    }
    return 0;
}

static int vt_setup(vt_job *j, srng *r, int is_icl, char (**vars)[8]) {
    vt_chains(r, j, is_icl ? 3 : 5, vars);
    const char *first = j->chains_all[0];
    j->value = sdup(strrchr(first, '=') + 2);
    sbuf gp = {0};
    sbuf_printf(&gp, VT_ANSWER, j->hops + 1, j->value);
    j->gen_prefix = sbuf_take(&gp);
    return 0;
}

static int vt_make(const suite *s, const suite_task *t, int index, uint64_t seed,
                   const suite_ctx *ctx, eval_sample *out, char *err, size_t errlen) {
    (void)s;
    int length;
    double depth;
    char *id = cell_id(t, index, &length, &depth);
    suite_sample_init(t, id, out);
    free(id);
    out->length = length;
    if (check_window(t, length, ctx, err, errlen)) return 1;
    int num_chains = sj_int(t->params, "num_chains", 1), hops = sj_int(t->params, "num_hops", 4);
    int use_icl = sj_bool(t->params, "icl", 1);
    srng r;
    srng_init(&r, seed);
    suite_task_cache *tc = t->cache;
    pthread_mutex_lock(&tc->mu);
    lc_cache *c = lc_get_cache(t, ctx);
    int rc = 0;
    if (c->vt_noise_tok < 0) {
        const char *u = " " HS_NOISE "\n";
        c->vt_noise_tok = count_text(ctx, u, strlen(u), err, errlen);
        if (c->vt_noise_tok < 0) rc = 1;
    }
    /* the in-context example: 3-letter names, at most 10 hops, fitted to 500 tokens (RULER) */
    char *icl = sdup("");
    if (!rc && use_icl) {
        vt_job e;
        memset(&e, 0, sizeof e);
        e.t = t; e.ctx = ctx; e.c = c; e.num_chains = num_chains;
        e.hops = hops < 10 ? hops : 10;
        e.icl = sdup(""); e.raw_icl = 1;
        char (*ev)[8] = NULL;
        vt_setup(&e, &r, 1, &ev);
        lc_fit f = {&e, vt_est, vt_build, 100000, c->vt_noise_tok > 0 ? c->vt_noise_tok : 1};
        lc_fit_result fr;
        rc = fit_run(ctx, &f, 500 - t->max_new_tokens, "vt in-context example", &fr, err, errlen);
        if (!rc) {
            sbuf b = {0};
            sbuf_puts(&b, fr.prompt);
            for (int a = 0; a <= e.hops; a++) sbuf_printf(&b, "%s%s", a ? " " : "", ev[a]);
            sbuf_puts(&b, "\n\n\n\n"); /* RULER: example + "\n\n", then + "\n\n" before the task */
            free(icl);
            icl = sbuf_take(&b);
        }
        free(fr.prompt); free(fr.ids); free(ev);
        vt_job_free(&e);
    }
    vt_job j;
    memset(&j, 0, sizeof j);
    j.t = t; j.ctx = ctx; j.c = c; j.num_chains = num_chains; j.hops = hops; j.icl = icl;
    char (*vars)[8] = NULL;
    vt_setup(&j, &r, 0, &vars);
    if (!rc) {
        long budget = length - t->max_new_tokens;
        lc_fit f = {&j, vt_est, vt_build, budget / (c->vt_noise_tok > 0 ? c->vt_noise_tok : 1) + 1,
                    c->vt_noise_tok > 0 ? c->vt_noise_tok : 1};
        char what[256];
        snprintf(what, sizeof what, "task %s length %d", t->name, length);
        lc_fit_result fr;
        rc = fit_run(ctx, &f, budget, what, &fr, err, errlen);
        if (!rc) {
            out->target = cJSON_CreateArray();
            for (int a = 0; a <= hops; a++) cJSON_AddItemToArray(out->target, cJSON_CreateString(vars[a]));
            /* "needles" = the chain statements of the queried chain */
            rc = finish_length_sample(ctx, c, out, &fr, length, fr.n, j.gen_prefix,
                                      j.chains_all, hops + 1, err, errlen);
            if (!rc) cJSON_AddStringToObject(out->meta, "value", j.value);
        }
        free(fr.prompt); free(fr.ids);
    }
    pthread_mutex_unlock(&tc->mu);
    free(vars);
    vt_job_free(&j);
    return rc;
}

const suite_kind suite_kind_vt = {
    .name = "vt", .length_task = 1, .scorer = "ruler_all", .template_name = "chat",
    .max_new_tokens = 30, .validate = vt_validate, .make = vt_make};

/* ---- CWE (common words extraction) ------------------------------------------------------- */

typedef struct {
    const suite_task *t;
    uint64_t seed;
    int freq_cw, freq_ucw, num_cw;
    int ex_words, ex_cw, ex_ucw;   /* the in-context example's shape */
    long per_word_tok;             /* estimate: tokens per list entry */
    char **answer; int n_answer;   /* common words of the main list (set by build) */
} cwe_job;

/* cwe_list: "1. w 2. w …" for num_words words drawn from the pool; common words first. */
static char *cwe_list(srng *r, long num_words, int rep_c, int rep_u, int num_c, char ***common) {
    long pool = hs_pool_size_real();
    if (pool < num_words * 3 / 2) pool = num_words * 3 / 2 + 16;
    int *pick = malloc(sizeof(int) * (size_t)(num_words ? num_words : 1));
    srng_sample(r, (int)pool, (int)num_words, pick);
    long entries = (long)num_c * rep_c + (num_words - num_c) * (long)rep_u;
    int *list = malloc(sizeof(int) * (size_t)(entries > 0 ? entries : 1));
    long e = 0;
    for (int rep = 0; rep < rep_c; rep++)
        for (int a = 0; a < num_c && a < num_words; a++) list[e++] = pick[a];
    for (int rep = 0; rep < rep_u; rep++)
        for (long a = num_c; a < num_words; a++) list[e++] = pick[a];
    srng_shuffle_int(r, list, (int)e);
    sbuf b = {0};
    char w[32];
    for (long a = 0; a < e; a++) {
        hs_pool_word(list[a], w, sizeof w);
        sbuf_printf(&b, "%s%ld. %s", a ? " " : "", a + 1, w);
    }
    if (common) {
        *common = malloc(sizeof(char *) * (size_t)num_c);
        for (int a = 0; a < num_c; a++) {
            hs_pool_word(pick[a], w, sizeof w);
            (*common)[a] = sdup(w);
        }
    }
    free(pick); free(list);
    return sbuf_take(&b);
}

static long cwe_est(void *u, long n) {
    cwe_job *j = u;
    /* relative to the smallest list (num_cw words), which build(0) produces */
    if (n <= j->num_cw) return 0;
    return (n - j->num_cw) * (long)j->freq_ucw * j->per_word_tok;
}

static int cwe_build(void *u, long n, char **prompt, char *err, size_t errlen) {
    cwe_job *j = u;
    srng r;
    srng_init(&r, j->seed); /* same example and list for the same n */
    char **ex_common = NULL;
    char *ex = cwe_list(&r, j->ex_words, j->ex_cw, j->ex_ucw, j->num_cw, &ex_common);
    if (n < j->num_cw) n = j->num_cw;
    for (int a = 0; a < j->n_answer; a++) free(j->answer[a]);
    free(j->answer);
    char *main_list = cwe_list(&r, n, j->freq_cw, j->freq_ucw, j->num_cw, &j->answer);
    j->n_answer = j->num_cw;
    sbuf user = {0};
    sbuf_printf(&user, CWE_TEMPLATE, ex);
    sbuf_puts(&user, CWE_ANSWER);
    for (int a = 0; a < j->num_cw; a++) sbuf_printf(&user, "%s%d. %s", a ? " " : "", a + 1, ex_common[a]);
    sbuf_puts(&user, "\n");
    sbuf_printf(&user, CWE_TEMPLATE, main_list);
    for (int a = 0; a < j->num_cw; a++) free(ex_common[a]);
    free(ex_common); free(ex); free(main_list);
    int rc = suite_build_prompt(j->t, NULL, user.s, NULL, CWE_ANSWER, prompt, NULL, err, errlen);
    sbuf_free(&user);
    return rc;
}

static int cwe_validate(const char *where, const suite_task *t, char *err, size_t errlen) {
    static const char *const keys[] = {"freq_cw", "freq_ucw", "num_cw", NULL};
    const cJSON *p = t->params;
    return sv_known(where, p, keys, err, errlen) || sv_int(where, p, "freq_cw", 2, 1000, err, errlen) ||
           sv_int(where, p, "freq_ucw", 1, 999, err, errlen) ||
           sv_int(where, p, "num_cw", 1, 100, err, errlen);
}

static int cwe_make(const suite *s, const suite_task *t, int index, uint64_t seed,
                    const suite_ctx *ctx, eval_sample *out, char *err, size_t errlen) {
    (void)s;
    int length;
    double depth;
    char *id = cell_id(t, index, &length, &depth);
    suite_sample_init(t, id, out);
    free(id);
    out->length = length;
    if (check_window(t, length, ctx, err, errlen)) return 1;
    cwe_job j;
    memset(&j, 0, sizeof j);
    j.t = t; j.seed = seed;
    j.num_cw = sj_int(t->params, "num_cw", 10);
    if (length < 4096) { /* RULER's short-length shape */
        j.ex_words = 20; j.ex_cw = 3; j.ex_ucw = 1; j.freq_cw = 6; j.freq_ucw = 1;
    } else {
        j.ex_words = 40; j.ex_cw = 10; j.ex_ucw = 3;
        j.freq_cw = sj_int(t->params, "freq_cw", 30); j.freq_ucw = sj_int(t->params, "freq_ucw", 3);
    }
    if (j.ex_words < j.num_cw + 1) j.ex_words = j.num_cw + 1;
    /* per-entry estimate from a small real sample */
    {
        srng r;
        srng_init(&r, seed ^ 0xC0FFEEULL);
        char *l = cwe_list(&r, 60, 2, 1, 10, NULL);
        long nt = suite_count_tokens(ctx, l, strlen(l), 0, err, errlen);
        free(l);
        if (nt < 0) return 1;
        j.per_word_tok = (nt + 69) / 70;
        if (j.per_word_tok < 1) j.per_word_tok = 1;
    }
    suite_task_cache *tc = t->cache;
    pthread_mutex_lock(&tc->mu);
    lc_cache *c = lc_get_cache(t, ctx);
    long budget = length - t->max_new_tokens;
    long nmax = budget / (j.freq_ucw > 0 ? j.freq_ucw : 1) + j.num_cw + 1;
    lc_fit f = {&j, cwe_est, cwe_build, nmax, j.freq_ucw};
    char what[256];
    snprintf(what, sizeof what, "task %s length %d", t->name, length);
    lc_fit_result fr;
    int rc = fit_run(ctx, &f, budget, what, &fr, err, errlen);
    if (!rc) {
        /* rebuild the answer for the chosen n (build() was last called with another n) */
        char *p = NULL;
        rc = cwe_build(&j, fr.n, &p, err, errlen);
        free(p);
    }
    if (!rc) {
        out->target = cJSON_CreateArray();
        for (int a = 0; a < j.n_answer; a++) cJSON_AddItemToArray(out->target, cJSON_CreateString(j.answer[a]));
        rc = finish_length_sample(ctx, c, out, &fr, length, fr.n < j.num_cw ? j.num_cw : fr.n,
                                  CWE_ANSWER, NULL, 0, err, errlen);
    }
    pthread_mutex_unlock(&tc->mu);
    free(fr.prompt); free(fr.ids);
    for (int a = 0; a < j.n_answer; a++) free(j.answer[a]);
    free(j.answer);
    return rc;
}

const suite_kind suite_kind_cwe = {
    .name = "cwe", .length_task = 1, .scorer = "ruler_all", .template_name = "chat",
    .max_new_tokens = 120, .validate = cwe_validate, .make = cwe_make};

/* ---- FWE (frequent words extraction) ----------------------------------------------------- */

typedef struct {
    const suite_task *t;
    uint64_t seed;
    double alpha, zeta;
    int vocab_size, wordlen;
    char (*vocab)[16];
    long per_word_tok;
} fwe_job;

static long fwe_words(const fwe_job *j, long n) {
    long total = 0;
    for (int k = 1; k <= j->vocab_size; k++) total += (long)floor((double)n * pow(k, -j->alpha) / j->zeta);
    return total;
}

static long fwe_est(void *u, long n) {
    fwe_job *j = u;
    return fwe_words(j, n) * j->per_word_tok;
}

static int fwe_build(void *u, long n, char **prompt, char *err, size_t errlen) {
    fwe_job *j = u;
    long total = fwe_words(j, n);
    int *w = malloc(sizeof(int) * (size_t)(total ? total : 1));
    long e = 0;
    for (int k = 1; k <= j->vocab_size; k++) {
        long cnt = (long)floor((double)n * pow(k, -j->alpha) / j->zeta);
        for (long a = 0; a < cnt; a++) w[e++] = k - 1;
    }
    srng r;
    srng_init(&r, j->seed ^ 0xF3EULL);
    srng_shuffle_int(&r, w, (int)e);
    sbuf ctxt = {0};
    for (long a = 0; a < e; a++) {
        if (a) sbuf_puts(&ctxt, " ");
        sbuf_puts(&ctxt, j->vocab[w[a]]);
    }
    free(w);
    sbuf user = {0};
    sbuf_printf(&user, FWE_TEMPLATE, ctxt.s ? ctxt.s : "");
    sbuf_free(&ctxt);
    int rc = suite_build_prompt(j->t, NULL, user.s, NULL, FWE_ANSWER, prompt, NULL, err, errlen);
    sbuf_free(&user);
    return rc;
}

static int fwe_validate(const char *where, const suite_task *t, char *err, size_t errlen) {
    static const char *const keys[] = {"alpha", "coded_wordlen", "vocab_size", NULL};
    const cJSON *p = t->params;
    return sv_known(where, p, keys, err, errlen) || sv_num(where, p, "alpha", 1.1, 10, err, errlen) ||
           sv_int(where, p, "coded_wordlen", 3, 12, err, errlen) ||
           sv_int(where, p, "vocab_size", 0, 1000000, err, errlen);
}

static int fwe_make(const suite *s, const suite_task *t, int index, uint64_t seed,
                    const suite_ctx *ctx, eval_sample *out, char *err, size_t errlen) {
    (void)s;
    int length;
    double depth;
    char *id = cell_id(t, index, &length, &depth);
    suite_sample_init(t, id, out);
    free(id);
    out->length = length;
    if (check_window(t, length, ctx, err, errlen)) return 1;
    fwe_job j;
    memset(&j, 0, sizeof j);
    j.t = t; j.seed = seed;
    j.alpha = sj_num(t->params, "alpha", 2.0);
    j.wordlen = sj_int(t->params, "coded_wordlen", 6);
    j.vocab_size = sj_int(t->params, "vocab_size", 0);
    if (j.vocab_size <= 0) j.vocab_size = length / 50; /* RULER: max_seq_length // 50 */
    if (j.vocab_size < 5) j.vocab_size = 5;
    /* Riemann zeta(alpha) by direct summation plus the integral tail */
    double z = 0;
    for (int k = 1; k <= 100000; k++) z += pow(k, -j.alpha);
    z += pow(100000.5, 1 - j.alpha) / (j.alpha - 1);
    j.zeta = z;
    srng r;
    srng_init(&r, seed);
    j.vocab = calloc((size_t)j.vocab_size, 16);
    for (int a = 0; a < j.vocab_size; a++) {
        for (;;) {
            for (int b = 0; b < j.wordlen; b++) j.vocab[a][b] = (char)('a' + srng_below(&r, 26));
            j.vocab[a][j.wordlen] = 0;
            int dup = 0;
            for (int b = 0; b < a && !dup; b++) dup = strcmp(j.vocab[a], j.vocab[b]) == 0;
            if (!dup) break;
        }
    }
    snprintf(j.vocab[0], 16, "..."); /* RULER: the top-ranked word is noise */
    {
        sbuf b = {0};
        for (int a = 1; a < j.vocab_size && a < 200; a++) sbuf_printf(&b, " %s", j.vocab[a]);
        long nt = suite_count_tokens(ctx, b.s, b.n, 0, err, errlen);
        int cnt = j.vocab_size - 1 < 199 ? j.vocab_size - 1 : 199;
        sbuf_free(&b);
        if (nt < 0) { free(j.vocab); return 1; }
        j.per_word_tok = cnt > 0 ? (nt + cnt - 1) / cnt : 2;
        if (j.per_word_tok < 1) j.per_word_tok = 1;
    }
    suite_task_cache *tc = t->cache;
    pthread_mutex_lock(&tc->mu);
    lc_cache *c = lc_get_cache(t, ctx);
    long budget = length - t->max_new_tokens;
    lc_fit f = {&j, fwe_est, fwe_build, (long)((double)budget * j.zeta) + 10, 1};
    char what[256];
    snprintf(what, sizeof what, "task %s length %d", t->name, length);
    lc_fit_result fr;
    int rc = fit_run(ctx, &f, budget, what, &fr, err, errlen);
    if (!rc) {
        out->target = cJSON_CreateArray();
        for (int a = 1; a <= 3 && a < j.vocab_size; a++)
            cJSON_AddItemToArray(out->target, cJSON_CreateString(j.vocab[a]));
        rc = finish_length_sample(ctx, c, out, &fr, length, fwe_words(&j, fr.n), FWE_ANSWER,
                                  NULL, 0, err, errlen);
    }
    pthread_mutex_unlock(&tc->mu);
    free(fr.prompt); free(fr.ids); free(j.vocab);
    return rc;
}

const suite_kind suite_kind_fwe = {
    .name = "fwe", .length_task = 1, .scorer = "ruler_all", .template_name = "chat",
    .max_new_tokens = 50, .validate = fwe_validate, .make = fwe_make};
