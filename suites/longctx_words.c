/*
 * longctx_words.c — RULER's aggregation tasks: common words extraction ("cwe": a numbered word
 * list where 10 words appear 30 times and the rest 3 times — 6 and 1 below 4K tokens — after one
 * in-context example) and frequent words extraction ("fwe": 6-letter coded words with Zipf
 * counts N·k^−α/ζ(α), the top-ranked word replaced by "..."; the answer is ranks 2–4).
 * Templates and answer prefixes as RULER's constants.py; length fitting in longctx_fit.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites/longctx_fit.h"

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
    char *id = lc_cell_id(t, index, &length, &depth);
    suite_sample_init(t, id, out);
    free(id);
    out->length = length;
    if (lc_check_window(t, length, ctx, err, errlen)) return 1;
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
    int rc = lc_fit_run(ctx, &f, budget, what, &fr, err, errlen);
    if (!rc) {
        /* rebuild the answer for the chosen n (build() was last called with another n) */
        char *p = NULL;
        rc = cwe_build(&j, fr.n, &p, err, errlen);
        free(p);
    }
    if (!rc) {
        out->target = cJSON_CreateArray();
        for (int a = 0; a < j.n_answer; a++) cJSON_AddItemToArray(out->target, cJSON_CreateString(j.answer[a]));
        rc = lc_finish_length_sample(ctx, c, out, &fr, length, fr.n < j.num_cw ? j.num_cw : fr.n,
                                  CWE_ANSWER, NULL, 0, err, errlen);
        sbuf ref = {0};
        for (int a = 0; a < j.n_answer; a++) sbuf_printf(&ref, " %d. %s", a + 1, j.answer[a]);
        if (!rc) cJSON_AddStringToObject(out->meta, "reference", ref.s ? ref.s : "");
        sbuf_free(&ref);
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

/* zipf_count: floor(n · k^−α / ζ(α)) — RULER's count of the rank-k word. For integer α the
 * power is formed by exact multiplications so every libm gives the same counts. */
static long zipf_count(const fwe_job *j, long n, int k) {
    double p;
    if (j->alpha == floor(j->alpha) && j->alpha <= 8) {
        p = 1.0;
        for (int a = 0; a < (int)j->alpha; a++) p *= (double)k;
        p = 1.0 / p;
    } else {
        p = pow(k, -j->alpha);
    }
    return (long)floor((double)n * p / j->zeta);
}

static long fwe_words(const fwe_job *j, long n) {
    long total = 0;
    for (int k = 1; k <= j->vocab_size; k++) {
        long c = zipf_count(j, n, k);
        if (c == 0) break; /* counts are non-increasing in k */
        total += c;
    }
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
        long cnt = zipf_count(j, n, k);
        if (cnt == 0) break;
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
    char *id = lc_cell_id(t, index, &length, &depth);
    suite_sample_init(t, id, out);
    free(id);
    out->length = length;
    if (lc_check_window(t, length, ctx, err, errlen)) return 1;
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
    int rc = lc_fit_run(ctx, &f, budget, what, &fr, err, errlen);
    if (!rc) {
        out->target = cJSON_CreateArray();
        for (int a = 1; a <= 3 && a < j.vocab_size; a++)
            cJSON_AddItemToArray(out->target, cJSON_CreateString(j.vocab[a]));
        rc = lc_finish_length_sample(ctx, c, out, &fr, length, fwe_words(&j, fr.n), FWE_ANSWER,
                                  NULL, 0, err, errlen);
        if (!rc) lc_add_reference(out->meta, out->target, " ", " ", 0, "");
    }
    pthread_mutex_unlock(&tc->mu);
    free(fr.prompt); free(fr.ids); free(j.vocab);
    return rc;
}

const suite_kind suite_kind_fwe = {
    .name = "fwe", .length_task = 1, .scorer = "ruler_all", .template_name = "chat",
    .max_new_tokens = 50, .validate = fwe_validate, .make = fwe_make};
