/*
 * results.c — records → result rows → summary.csv / results.csv / console table.
 *
 * Grouping works on a sorted array of record pointers; every group is a contiguous range, so
 * the order of samples.jsonl (which depends on resume points and worker threads) never changes
 * the output.
 */
#include "harness/results.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness/hutil.h"
#include "harness/stats.h"

static int cmp_rec(const void *pa, const void *pb) {
    const sample_record *a = *(const sample_record *const *)pa, *b = *(const sample_record *const *)pb;
    int c = strcmp(a->suite, b->suite);
    if (!c) c = strcmp(a->task, b->task);
    if (!c) c = (a->length > b->length) - (a->length < b->length);
    if (!c) c = (a->depth > b->depth) - (a->depth < b->depth);
    if (!c) c = strcmp(a->id, b->id);
    return c;
}

static const sample_record **sorted(const sample_record *recs, int n) {
    const sample_record **p = malloc((size_t)(n ? n : 1) * sizeof *p);
    if (!p) { fprintf(stderr, "v4eval: out of memory\n"); abort(); }
    for (int i = 0; i < n; i++) p[i] = &recs[i];
    qsort(p, (size_t)n, sizeof *p, cmp_rec);
    return p;
}

typedef struct {
    result_row *rows;
    int n, cap;
} row_list;

static void add_row(row_list *l, const char *suite, const char *task, int length, double depth,
                    const char *metric, double value, double se, int n) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->rows = realloc(l->rows, (size_t)l->cap * sizeof *l->rows);
        if (!l->rows) { fprintf(stderr, "v4eval: out of memory\n"); abort(); }
    }
    result_row *r = &l->rows[l->n++];
    r->suite = hutil_strdup(suite);
    r->task = hutil_strdup(task);
    r->length = length;
    r->depth = depth;
    r->metric = metric;
    r->value = value;
    r->se = se;
    r->n = n;
}

/* problem key for pass@k: meta.sample.problem_id when the suite gives one, else the id */
static const char *problem_of(const sample_record *r) {
    const cJSON *s = r->meta ? cJSON_GetObjectItemCaseSensitive(r->meta, "sample") : NULL;
    const char *p = s ? hutil_json_str(s, "problem_id", NULL) : NULL;
    return p ? p : r->id;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* add_group_rows: score, pass_rate, pass@k, nulls, errors for the records g[0..n) */
static void add_group_rows(row_list *l, const sample_record **g, int n, int length,
                           double depth, double *mean_out, double *se_out) {
    double *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    int nulls = 0, errors = 0;
    for (int i = 0; i < n; i++) {
        x[i] = record_is_error(g[i]) ? 0.0 : g[i]->score;
        y[i] = record_is_error(g[i]) ? 0.0 : (double)(g[i]->passed != 0);
        nulls += record_is_null(g[i]);
        errors += record_is_error(g[i]);
    }
    double m, se;
    stats_mean_se(x, n, &m, &se);
    add_row(l, g[0]->suite, g[0]->task, length, depth, "score", m, se, n);
    if (mean_out) { *mean_out = m; *se_out = se; }
    stats_mean_se(y, n, &m, &se);
    add_row(l, g[0]->suite, g[0]->task, length, depth, "pass_rate", m, se, n);
    /* pass@k over problems */
    const char **keys = malloc((size_t)n * sizeof *keys);
    int *order = malloc((size_t)n * sizeof *order);
    for (int i = 0; i < n; i++) keys[i] = problem_of(g[i]);
    /* sort keys together with pass flags: pack as pairs */
    typedef struct { const char *k; int pass; } kp;
    kp *pairs = malloc((size_t)n * sizeof *pairs);
    for (int i = 0; i < n; i++) { pairs[i].k = keys[i]; pairs[i].pass = y[i] > 0.5; }
    qsort(pairs, (size_t)n, sizeof *pairs, cmp_str);
    int n_prob = 0, min_n = n, max_n = 0;
    int *pn = order, *pc = malloc((size_t)n * sizeof *pc);
    for (int i = 0; i < n;) {
        int j = i, c = 0;
        while (j < n && !strcmp(pairs[j].k, pairs[i].k)) c += pairs[j++].pass;
        pn[n_prob] = j - i; pc[n_prob] = c; n_prob++;
        if (j - i < min_n) min_n = j - i;
        if (j - i > max_n) max_n = j - i;
        i = j;
    }
    static const int KS[] = {1, 10, 100};
    static const char *KNAMES[] = {"pass@1", "pass@10", "pass@100"};
    if (max_n > 1)
        for (int t = 0; t < 3; t++) {
            if (min_n < KS[t]) continue;
            double *v = malloc((size_t)n_prob * sizeof *v);
            for (int p = 0; p < n_prob; p++) v[p] = stats_pass_at_k(pn[p], pc[p], KS[t]);
            stats_mean_se(v, n_prob, &m, &se);
            add_row(l, g[0]->suite, g[0]->task, length, depth, KNAMES[t], m, se, n_prob);
            free(v);
        }
    add_row(l, g[0]->suite, g[0]->task, length, depth, "nulls", nulls, NAN, n);
    add_row(l, g[0]->suite, g[0]->task, length, depth, "errors", errors, NAN, n);
    free(pairs); free(keys); free(order); free(pc); free(x); free(y);
}

typedef struct {
    const char *task;
    int length;
    double mean, se;
} task_mean;

static void add_suite_rows(row_list *l, const char *suite, task_mean *tm, int n_tm) {
    /* lengths present, ascending; -1 = the tasks' all-length means */
    int *lens = malloc((size_t)(n_tm + 1) * sizeof *lens), n_len = 0;
    for (int i = 0; i < n_tm; i++) {
        int found = 0;
        for (int k = 0; k < n_len; k++) found |= lens[k] == tm[i].length;
        if (!found) lens[n_len++] = tm[i].length;
    }
    for (int a = 0; a < n_len; a++)
        for (int b = a + 1; b < n_len; b++)
            if (lens[b] < lens[a]) { int t = lens[a]; lens[a] = lens[b]; lens[b] = t; }
    for (int k = 0; k < n_len; k++) {
        double s = 0, v = 0;
        int t = 0, se_ok = 1;
        for (int i = 0; i < n_tm; i++)
            if (tm[i].length == lens[k]) {
                s += tm[i].mean; t++;
                if (isnan(tm[i].se)) se_ok = 0; else v += tm[i].se * tm[i].se;
            }
        add_row(l, suite, "all", lens[k], -1, "score", s / t, se_ok ? sqrt(v) / t : NAN, t);
    }
    free(lens);
}

int results_aggregate(const sample_record *recs, int n, result_row **rows, int *n_rows) {
    row_list l = {0};
    const sample_record **p = sorted(recs, n);
    task_mean *tm = malloc((size_t)(2 * n + 1) * sizeof *tm);
    int n_tm = 0;
    for (int s0 = 0; s0 < n;) {
        int s1 = s0;
        while (s1 < n && !strcmp(p[s1]->suite, p[s0]->suite)) s1++;
        n_tm = 0;
        for (int t0 = s0; t0 < s1;) {
            int t1 = t0;
            while (t1 < s1 && !strcmp(p[t1]->task, p[t0]->task)) t1++;
            int n_lengths = 0;
            for (int l0 = t0; l0 < t1;) {
                int l1 = l0;
                while (l1 < t1 && p[l1]->length == p[l0]->length) l1++;
                double m, se;
                add_group_rows(&l, p + l0, l1 - l0, p[l0]->length, -1, &m, &se);
                tm[n_tm++] = (task_mean){p[l0]->task, p[l0]->length, m, se};
                for (int d0 = l0; d0 < l1;) {
                    int d1 = d0;
                    while (d1 < l1 && p[d1]->depth == p[d0]->depth) d1++;
                    if (p[d0]->depth >= 0) add_group_rows(&l, p + d0, d1 - d0, p[d0]->length, p[d0]->depth, NULL, NULL);
                    d0 = d1;
                }
                n_lengths++;
                l0 = l1;
            }
            if (n_lengths > 1) {
                double m, se;
                add_group_rows(&l, p + t0, t1 - t0, -1, -1, &m, &se);
                tm[n_tm++] = (task_mean){p[t0]->task, -1, m, se};
            } else {
                tm[n_tm] = tm[n_tm - 1];
                tm[n_tm++].length = -1;
            }
            t0 = t1;
        }
        add_suite_rows(&l, p[s0]->suite, tm, n_tm);
        s0 = s1;
    }
    free(tm);
    free(p);
    *rows = l.rows;
    *n_rows = l.n;
    return 0;
}

void results_rows_free(result_row *rows, int n_rows) {
    for (int i = 0; i < n_rows; i++) { free(rows[i].suite); free(rows[i].task); }
    free(rows);
}

static void fmt_num(FILE *f, double v) {
    if (isnan(v)) return;
    fprintf(f, "%.6f", v);
}

/* finish_memstream: closes f (which sets *buf and *len) and writes the bytes to path */
static int finish_memstream(FILE *f, char **buf, size_t *len, const char *path, char *err,
                            size_t errlen) {
    fclose(f);
    int rc = hutil_write_file_atomic(path, *buf, *len, err, errlen);
    free(*buf);
    return rc;
}

int results_write_csv(const char *path, const sample_record *recs, int n, const char *model,
                      const char *quant, char *err, size_t errlen) {
    result_row *rows;
    int nr;
    results_aggregate(recs, n, &rows, &nr);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fprintf(f, "suite,task,length,depth,metric,value,stderr,n,model,quant\n");
    for (int i = 0; i < nr; i++) {
        const result_row *r = &rows[i];
        hutil_csv_field(f, r->suite); fputc(',', f);
        hutil_csv_field(f, r->task); fputc(',', f);
        if (r->length < 0) fputs("all", f); else fprintf(f, "%d", r->length);
        fputc(',', f);
        if (r->depth < 0) fputs("all", f); else fprintf(f, "%.4g", r->depth);
        fprintf(f, ",%s,", r->metric);
        if (!strcmp(r->metric, "nulls") || !strcmp(r->metric, "errors")) fprintf(f, "%d", (int)r->value);
        else fmt_num(f, r->value);
        fputc(',', f);
        fmt_num(f, r->se);
        fprintf(f, ",%d,", r->n);
        hutil_csv_field(f, model); fputc(',', f);
        hutil_csv_field(f, quant); fputc('\n', f);
    }
    results_rows_free(rows, nr);
    return finish_memstream(f, &buf, &len, path, err, errlen);
}

/* the summary grid: tasks (in sorted order) × lengths */
typedef struct {
    char **tasks; int n_tasks;
    int *lengths; int n_lengths;
    double *cell;   /* [n_tasks][n_lengths] score percent, NaN = absent */
    int *n, *nulls, *errors; /* [n_tasks] */
} grid;

static void grid_build(grid *g, const sample_record *recs, int n) {
    memset(g, 0, sizeof *g);
    const sample_record **p = sorted(recs, n);
    int multi_suite = 0;
    for (int i = 1; i < n; i++) multi_suite |= strcmp(p[i]->suite, p[0]->suite) != 0;
    g->tasks = malloc((size_t)(n + 1) * sizeof *g->tasks);
    g->lengths = malloc((size_t)(n + 1) * sizeof *g->lengths);
    for (int i = 0; i < n; i++) {
        int found = 0;
        for (int k = 0; k < g->n_lengths; k++) found |= g->lengths[k] == p[i]->length;
        if (!found) g->lengths[g->n_lengths++] = p[i]->length;
    }
    for (int a = 0; a < g->n_lengths; a++)
        for (int b = a + 1; b < g->n_lengths; b++)
            if (g->lengths[b] < g->lengths[a]) { int t = g->lengths[a]; g->lengths[a] = g->lengths[b]; g->lengths[b] = t; }
    /* tasks */
    for (int i = 0; i < n;) {
        int j = i;
        while (j < n && !strcmp(p[j]->suite, p[i]->suite) && !strcmp(p[j]->task, p[i]->task)) j++;
        g->tasks[g->n_tasks++] = multi_suite ? hutil_asprintf("%s/%s", p[i]->suite, p[i]->task)
                                             : hutil_strdup(p[i]->task);
        i = j;
    }
    size_t nc = (size_t)g->n_tasks * (size_t)(g->n_lengths ? g->n_lengths : 1);
    g->cell = malloc(nc * sizeof *g->cell);
    for (size_t i = 0; i < nc; i++) g->cell[i] = NAN;
    g->n = calloc((size_t)g->n_tasks + 1, sizeof *g->n);
    g->nulls = calloc((size_t)g->n_tasks + 1, sizeof *g->nulls);
    g->errors = calloc((size_t)g->n_tasks + 1, sizeof *g->errors);
    int t = 0;
    for (int i = 0; i < n; t++) {
        int j = i;
        while (j < n && !strcmp(p[j]->suite, p[i]->suite) && !strcmp(p[j]->task, p[i]->task)) j++;
        for (int a = i; a < j;) {
            int b = a;
            double s = 0;
            while (b < j && p[b]->length == p[a]->length) {
                s += record_is_error(p[b]) ? 0.0 : p[b]->score;
                g->n[t]++;
                g->nulls[t] += record_is_null(p[b]);
                g->errors[t] += record_is_error(p[b]);
                b++;
            }
            int k = 0;
            while (g->lengths[k] != p[a]->length) k++;
            g->cell[(size_t)t * g->n_lengths + k] = 100.0 * s / (b - a);
            a = b;
        }
        i = j;
    }
    free(p);
}

static void grid_free(grid *g) {
    for (int i = 0; i < g->n_tasks; i++) free(g->tasks[i]);
    free(g->tasks); free(g->lengths); free(g->cell); free(g->n); free(g->nulls); free(g->errors);
}

static void grid_col_mean(const grid *g, int k, double *mean, int *count) {
    double s = 0;
    int c = 0;
    for (int t = 0; t < g->n_tasks; t++) {
        double v = g->cell[(size_t)t * g->n_lengths + k];
        if (!isnan(v)) { s += v; c++; }
    }
    *mean = c ? s / c : NAN;
    *count = c;
}

int results_write_summary(const char *path, const sample_record *recs, int n, char *err,
                          size_t errlen) {
    grid g;
    grid_build(&g, recs, n);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fputs("task", f);
    for (int k = 0; k < g.n_lengths; k++) {
        if (g.lengths[k] == 0) fputs(",score", f);
        else fprintf(f, ",%d", g.lengths[k]);
    }
    fputs(",n,nulls,errors\n", f);
    int tn = 0, tnull = 0, terr = 0;
    for (int t = 0; t < g.n_tasks; t++) {
        hutil_csv_field(f, g.tasks[t]);
        for (int k = 0; k < g.n_lengths; k++) {
            double v = g.cell[(size_t)t * g.n_lengths + k];
            fputc(',', f);
            if (!isnan(v)) fprintf(f, "%.2f", v);
        }
        fprintf(f, ",%d,%d/%d,%d\n", g.n[t], g.nulls[t], g.n[t], g.errors[t]);
        tn += g.n[t]; tnull += g.nulls[t]; terr += g.errors[t];
    }
    if (g.n_tasks > 0) {
        fputs("average", f);
        for (int k = 0; k < g.n_lengths; k++) {
            double m; int c;
            grid_col_mean(&g, k, &m, &c);
            fputc(',', f);
            if (c) fprintf(f, "%.2f", m);
        }
        fprintf(f, ",%d,%d/%d,%d\n", tn, tnull, tn, terr);
    }
    grid_free(&g);
    return finish_memstream(f, &buf, &len, path, err, errlen);
}

void results_print_table(FILE *f, const sample_record *recs, int n) {
    grid g;
    grid_build(&g, recs, n);
    int w = 12;
    for (int t = 0; t < g.n_tasks; t++) if ((int)strlen(g.tasks[t]) > w) w = (int)strlen(g.tasks[t]);
    fprintf(f, "%-*s", w, "task");
    for (int k = 0; k < g.n_lengths; k++) {
        if (g.lengths[k] == 0) fprintf(f, " %8s", "score");
        else fprintf(f, " %8d", g.lengths[k]);
    }
    fprintf(f, " %6s %9s %6s\n", "n", "nulls", "errors");
    for (int t = 0; t <= g.n_tasks; t++) {
        int avg = t == g.n_tasks;
        if (avg && g.n_tasks < 2) break;
        fprintf(f, "%-*s", w, avg ? "average" : g.tasks[t]);
        for (int k = 0; k < g.n_lengths; k++) {
            double v; int c = 1;
            if (avg) grid_col_mean(&g, k, &v, &c);
            else v = g.cell[(size_t)t * g.n_lengths + k];
            if (isnan(v) || !c) fprintf(f, " %8s", "-");
            else fprintf(f, " %8.2f", v);
        }
        if (!avg) {
            char nb[32];
            snprintf(nb, sizeof nb, "%d/%d", g.nulls[t], g.n[t]);
            fprintf(f, " %6d %9s %6d", g.n[t], nb, g.errors[t]);
        }
        fputc('\n', f);
    }
    grid_free(&g);
}
