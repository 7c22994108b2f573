/*
 * longctx_fit.c — the long-context generators' shared machinery (see longctx_fit.h): tokenized
 * haystack units cached per task, the length fitter (estimate from per-unit counts, then a
 * bracketed search on real tokenizations), needle token positions from per-token byte lengths,
 * RULER's key/value generators and the common fields of a length sample.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites/longctx_fit.h"

/* ---- per-task cache: tokenized filler units ---------------------------------------------- */


static void lc_cache_free(void *p) {
    lc_cache *c = p;
    for (long i = 0; i < c->n_units; i++) free(c->units[i]);
    free(c->units); free(c->utok); free(c->upre);
    hs_text_free(&c->user);
    free(c->tok_bytes);
    free(c);
}

lc_cache *lc_get_cache(const suite_task *t, const suite_ctx *ctx) {
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

long lc_count_text(const suite_ctx *ctx, const char *s, size_t n, char *err, size_t errlen) {
    return suite_count_tokens(ctx, s, n, 0, err, errlen);
}

/* lc_essay_units_ensure: at least n units in the cache (generated prose or user text). */
int lc_essay_units_ensure(lc_cache *c, const suite *s, const suite_ctx *ctx, long n,
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
            /* RULER collapses the essays' whitespace to single spaces: no paragraph breaks */
            sbuf_puts(&b, " ");
            char *sent = hs_essay_sentence(&c->stream);
            sbuf_puts(&b, sent);
            free(sent);
        }
        long nt = lc_count_text(ctx, b.s, b.n, err, errlen);
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

int lc_fit_run(const suite_ctx *ctx, lc_fit *f, long budget, const char *what,
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
        if (getenv("V4EVAL_FIT_DEBUG"))
            fprintf(stderr, "fit %s: n=%ld est=%ld tokens=%ld budget=%ld lo=%ld hi=%ld\n", what, n,
                    f->est(f->u, n), tn, budget, lo, hi);
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

void lc_gen_random(srng *r, const char *type, char *buf, size_t n) {
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

/* lc_add_reference: meta.reference = the answers as a model should continue after the
 * generation prefix: sep-joined, with RULER's list wording when `oxford` ("a, b, and c."). */
void lc_add_reference(cJSON *meta, const cJSON *answers, const char *lead, const char *sep,
                      int oxford, const char *tail) {
    sbuf b = {0};
    sbuf_puts(&b, lead);
    int n = cJSON_GetArraySize(answers), i = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, answers) {
        if (i) sbuf_puts(&b, sep);
        if (oxford && n > 1 && i == n - 1) sbuf_puts(&b, "and ");
        sbuf_puts(&b, a->valuestring);
        i++;
    }
    sbuf_puts(&b, tail);
    cJSON_AddStringToObject(meta, "reference", b.s);
    sbuf_free(&b);
}

char *lc_cell_id(const suite_task *t, int index, int *length, double *depth) {
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

int lc_check_window(const suite_task *t, int length, const suite_ctx *ctx, char *err,
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

/* lc_finish_length_sample: fills prompt/ids/meta common to every length task. */
int lc_finish_length_sample(const suite_ctx *ctx, lc_cache *c, eval_sample *out,
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
