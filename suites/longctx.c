/*
 * longctx.c — RULER's needle-in-a-haystack tasks ("niah": niah_single_*, niah_multikey_*,
 * niah_multivalue, niah_multiquery) and the depth × length needle grid, fitted to an exact
 * token budget in the model's own tokens. vt is in longctx_vt.c, cwe/fwe in longctx_words.c,
 * the shared fitter in longctx_fit.c.
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
 * V4EVAL_FIT_DEBUG=1 in the environment prints each fitting step on stderr.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites/longctx_fit.h"

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
    char (*keys)[64]; int n_keys; /* the real keys: distractor lines never reuse them */
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
        for (int tries = 0;; tries++) {
            lc_gen_random(&j->line_rng, j->ktype, k, sizeof k);
            int clash = 0;
            for (int a = 0; a < j->n_keys; a++) clash |= strcmp(k, j->keys[a]) == 0;
            if (!clash || tries > 1000) break;
        }
        lc_gen_random(&j->line_rng, j->vtype, v, sizeof v);
        sbuf b = {0};
        sbuf_puts(&b, "\n");
        sbuf_printf(&b, NIAH_NEEDLE, j->vname, k, v);
        long nt = lc_count_text(j->ctx, b.s, b.n, j->err, sizeof j->err);
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

static int niah_make(const suite *s, const suite_task *t, int index, uint64_t seed,
                     const suite_ctx *ctx, eval_sample *out, char *err, size_t errlen) {
    int length;
    double depth;
    char *id = lc_cell_id(t, index, &length, &depth);
    suite_sample_init(t, id, out);
    free(id);
    out->length = length;
    out->depth = depth;
    if (lc_check_window(t, length, ctx, err, errlen)) return 1;

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
            lc_gen_random(&r, j.ktype, keys[a], 64);
            int dup = 0;
            for (int b = 0; b < a; b++) dup |= strcmp(keys[a], keys[b]) == 0;
            if (!dup) break;
        }
        for (int b = 0; b < nv; b++) lc_gen_random(&r, j.vtype, vals[a * nv + b], 64);
    }
    j.vname = j.vtype; /* "numbers" / "words" / "uuids" as in RULER */
    j.keys = keys;
    j.n_keys = nk;
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
            j.c->noise_tok = lc_count_text(ctx, "\n" HS_NOISE, strlen("\n" HS_NOISE), err, errlen);
            if (j.c->noise_tok < 0) rc = 1;
        }
        /* in context a line may take fewer tokens than alone: bound by the budget itself */
        if (!rc) { nmax = budget + 1; f.unit_min = j.c->noise_tok > 0 ? j.c->noise_tok : 1; }
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
        if (lc_essay_units_ensure(j.c, s, ctx, budget / 8 + 64, err, errlen)) rc = 1;
        long mn = 1 << 30;
        for (long a = 0; !rc && a < j.c->n_units; a++) if (j.c->utok[a] < mn) mn = j.c->utok[a];
        if (mn < 1) mn = 1;
        if (!rc && mn < 8 && lc_essay_units_ensure(j.c, s, ctx, budget / mn + 64, err, errlen)) rc = 1;
        f.unit_min = mn < (1 << 30) ? mn : 1;
        nmax = j.c->n_units;
    }
    f.n_max = nmax;
    char what[256];
    snprintf(what, sizeof what, "task %s length %d", t->name, length);
    lc_fit_result fr;
    memset(&fr, 0, sizeof fr);
    /* the unit pools (needle lines, essay sentences) are sized from per-unit counts; in
     * context units can tokenize shorter, so a fit that used the whole pool with room left
     * is repeated with a larger pool */
    for (int grow = 0; !rc; grow++) {
        rc = lc_fit_run(ctx, &f, budget, what, &fr, err, errlen);
        if (rc || grow == 4 || fr.n < f.n_max || budget - fr.n_ids < f.unit_min ||
            strcmp(j.haystack, "noise") == 0)
            break;
        long more = f.n_max + f.n_max / 2 + 64;
        if (strcmp(j.haystack, "needle") == 0) {
            if (niah_lines_ensure(&j, more)) { rc = 1; snprintf(err, errlen, "%s", j.err); break; }
            f.n_max = j.n_lines;
        } else {
            if (lc_essay_units_ensure(j.c, s, ctx, more, err, errlen)) { rc = 1; break; }
            f.n_max = j.c->n_units;
        }
        free(fr.prompt); free(fr.ids);
        memset(&fr, 0, sizeof fr);
    }
    if (!rc) rc = lc_finish_length_sample(ctx, j.c, out, &fr, length, fr.n, j.gen_prefix, j.needles,
                                       j.n_needles, err, errlen);
    if (!rc) {
        cJSON_AddStringToObject(out->meta, "haystack", j.haystack);
        cJSON *qa = cJSON_AddArrayToObject(out->meta, "queries");
        for (int a = 0; a < nq; a++) cJSON_AddItemToArray(qa, cJSON_CreateString(keys[qi[a]]));
        cJSON_AddNumberToObject(out->meta, "num_needles", j.n_needles);
        /* depth of each needle within the haystack alone (gkamradt's axis), by unit tokens */
        niah_positions(&j, fr.n, j.pos_tmp);
        long tot = niah_est(&j, fr.n);
        cJSON *hd = cJSON_AddArrayToObject(out->meta, "haystack_depths");
        for (int a = 0; a < j.n_needles; a++)
            cJSON_AddItemToArray(hd, cJSON_CreateNumber(tot > 0 ? (double)niah_est(&j, j.pos_tmp[a]) / (double)tot : 0));
        lc_add_reference(out->meta, out->target, " ", ", ", 1, ".");
    }
    pthread_mutex_unlock(&tc->mu);
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
