/*
 * longctx_vt.c — RULER's variable tracking task ("vt"): chains VAR X = N, VAR Y = VAR X, …
 * (5 random upper-case letters per name) hidden among noise lines, after one in-context example
 * with 3-letter names fitted to 500 tokens; the answer is every variable of the first chain.
 * Template and answer prefix as RULER's constants.py; length fitting in longctx_fit.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites/longctx_fit.h"

#define VT_TEMPLATE                                                                         \
    "Memorize and track the chain(s) of variable assignment hidden in the following text.\n\n" \
    "%s\nQuestion: Find all variables that are assigned the value %s in the text above."
#define VT_ANSWER                                                                           \
    " Answer: According to the chain(s) of variable assignment in the text above, %d "      \
    "variables are assigned the value %s, they are: "

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
    char *id = lc_cell_id(t, index, &length, &depth);
    suite_sample_init(t, id, out);
    free(id);
    out->length = length;
    if (lc_check_window(t, length, ctx, err, errlen)) return 1;
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
        c->vt_noise_tok = lc_count_text(ctx, u, strlen(u), err, errlen);
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
        rc = lc_fit_run(ctx, &f, 500 - t->max_new_tokens, "vt in-context example", &fr, err, errlen);
        if (!rc) {
            sbuf b = {0};
            /* RULER: example input (ending in the answer prefix) + " " + the answers */
            sbuf_puts(&b, fr.prompt);
            sbuf_puts(&b, " ");
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
        lc_fit f = {&j, vt_est, vt_build, budget + 1,
                    c->vt_noise_tok > 0 ? c->vt_noise_tok : 1};
        char what[256];
        snprintf(what, sizeof what, "task %s length %d", t->name, length);
        lc_fit_result fr;
        rc = lc_fit_run(ctx, &f, budget, what, &fr, err, errlen);
        if (!rc) {
            out->target = cJSON_CreateArray();
            for (int a = 0; a <= hops; a++) cJSON_AddItemToArray(out->target, cJSON_CreateString(vars[a]));
            /* "needles" = the chain statements of the queried chain */
            rc = lc_finish_length_sample(ctx, c, out, &fr, length, fr.n, j.gen_prefix,
                                      j.chains_all, hops + 1, err, errlen);
            if (!rc) {
                cJSON_AddStringToObject(out->meta, "value", j.value);
                lc_add_reference(out->meta, out->target, "", " ", 0, "");
            }
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
