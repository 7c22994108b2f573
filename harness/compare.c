/*
 * compare.c — `v4eval compare RUN_A RUN_B`: paired deltas between two runs on the same sample
 * ids.
 *
 *   v4eval compare RUN_A RUN_B [--out DIR] [--iters N] [--seed S] [--csv FILE]
 *
 * RUN is a run id under --out (default results), a run directory, or a samples.jsonl path.
 * Samples are paired by id; pairs where either side ended in error are left out (and counted).
 * For every (suite, task, length) group and overall: n pairs, mean score of A and B, the mean
 * delta B − A with a 95% paired-bootstrap CI (fixed seed, default 2000 resamples), the flip
 * counts of the pass/fail outcome (A right → B wrong, A wrong → B right) and McNemar's exact
 * two-sided p-value on those flips.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <limits.h>
#include "harness/cli.h"
#include "harness/cliopt.h"
#include "harness/hutil.h"
#include "harness/journal.h"
#include "harness/stats.h"

/* resolve_samples: the samples.jsonl path a RUN argument names (malloc'ed) */
static char *resolve_samples(const char *run, const char *out_dir) {
    struct stat st;
    if (stat(run, &st) == 0 && S_ISREG(st.st_mode)) return hutil_strdup(run);
    if (stat(run, &st) == 0 && S_ISDIR(st.st_mode)) return hutil_asprintf("%s/samples.jsonl", run);
    return hutil_asprintf("%s/%s/samples.jsonl", out_dir, run);
}

typedef struct {
    const sample_record *a, *b;
} pair;

static int cmp_pair(const void *x, const void *y) {
    const sample_record *a = ((const pair *)x)->a, *b = ((const pair *)y)->a;
    int c = strcmp(a->suite, b->suite);
    if (!c) c = strcmp(a->task, b->task);
    if (!c) c = (a->length > b->length) - (a->length < b->length);
    if (!c) c = strcmp(a->id, b->id);
    return c;
}

static int cmp_rec_id(const void *x, const void *y) {
    return strcmp(((const sample_record *)x)->id, ((const sample_record *)y)->id);
}

static void report_group(FILE *out, FILE *csv, const char *label, int length, const pair *p,
                         int n, int iters, unsigned long long seed) {
    if (n <= 0) return;
    double *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b);
    int flip_ab = 0, flip_ba = 0;
    double ma = 0, mb = 0;
    for (int i = 0; i < n; i++) {
        a[i] = p[i].a->score;
        b[i] = p[i].b->score;
        ma += a[i]; mb += b[i];
        if (p[i].a->passed && !p[i].b->passed) flip_ab++;
        if (!p[i].a->passed && p[i].b->passed) flip_ba++;
    }
    ma /= n; mb /= n;
    double d, lo, hi;
    stats_paired_bootstrap(a, b, n, iters, seed, 0.95, &d, &lo, &hi);
    double pv = stats_mcnemar_exact(flip_ab, flip_ba);
    char len_s[16];
    if (length < 0) snprintf(len_s, sizeof len_s, "all");
    else snprintf(len_s, sizeof len_s, "%d", length);
    fprintf(out, "%-28s %8s %6d %7.4f %7.4f %+8.4f [%+7.4f,%+7.4f] %6d %6d %9.4g\n", label, len_s,
            n, ma, mb, d, lo, hi, flip_ab, flip_ba, pv);
    if (csv) {
        hutil_csv_field(csv, label);
        fprintf(csv, ",%s,%d,%.6f,%.6f,%.6f,%.6f,%.6f,%d,%d,%.6g\n", len_s, n, ma, mb, d, lo, hi,
                flip_ab, flip_ba, pv);
    }
    free(a);
    free(b);
}

int cli_compare(int argc, char **argv) {
    const char *runs[2] = {NULL, NULL}, *out_dir = "results", *csv_path = NULL;
    long iters = 2000;
    unsigned long long seed = 20240531;
    char err[1024];
    int nr = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: v4eval compare RUN_A RUN_B [--out DIR] [--iters N] [--seed S] "
                   "[--csv FILE]\n");
            return 0;
        }
        if (!strncmp(argv[i], "--", 2)) {
            if (i + 1 >= argc) { fprintf(stderr, "v4eval compare: %s: missing value\n", argv[i]); return 2; }
            const char *o = argv[i], *v = argv[++i];
            int bad = 0;
            if (!strcmp(o, "--out")) out_dir = v;
            else if (!strcmp(o, "--csv")) csv_path = v;
            else if (!strcmp(o, "--iters")) bad = cliopt_long(o, v, 100, 10000000, &iters, err, sizeof err);
            else if (!strcmp(o, "--seed")) bad = cliopt_u64(o, v, &seed, err, sizeof err);
            else { snprintf(err, sizeof err, "unknown option '%s'", o); bad = 1; }
            if (bad) { fprintf(stderr, "v4eval compare: %s\n", err); return 2; }
        } else if (nr < 2) runs[nr++] = argv[i];
        else { fprintf(stderr, "v4eval compare: expected two runs, found a third: '%s'\n", argv[i]); return 2; }
    }
    if (nr != 2) {
        fprintf(stderr, "v4eval compare: expected two runs: RUN_A RUN_B\n");
        return 2;
    }
    sample_record *ra = NULL, *rb = NULL;
    int na = 0, nb = 0;
    char *pa = resolve_samples(runs[0], out_dir), *pb = resolve_samples(runs[1], out_dir);
    int rc = 2;
    if (journal_load(pa, &ra, &na, err, sizeof err) || journal_load(pb, &rb, &nb, err, sizeof err)) {
        fprintf(stderr, "v4eval compare: %s\n", err);
        goto done;
    }
    qsort(rb, (size_t)nb, sizeof *rb, cmp_rec_id);
    pair *p = malloc((size_t)(na ? na : 1) * sizeof *p);
    int np = 0, only_a = 0, errored = 0;
    for (int i = 0; i < na; i++) {
        sample_record key;
        key.id = ra[i].id;
        const sample_record *m = bsearch(&key, rb, (size_t)nb, sizeof *rb, cmp_rec_id);
        if (!m) { only_a++; continue; }
        if (record_is_error(&ra[i]) || record_is_error(m)) { errored++; continue; }
        p[np].a = &ra[i];
        p[np].b = m;
        np++;
    }
    int only_b = nb - (na - only_a);
    if (np == 0) {
        fprintf(stderr, "v4eval compare: %s and %s share no scored sample ids (A only %d, B only "
                "%d, with errors %d)\n", pa, pb, only_a, only_b, errored);
        free(p);
        goto done;
    }
    qsort(p, (size_t)np, sizeof *p, cmp_pair);
    FILE *csv = NULL;
    if (csv_path) {
        csv = fopen(csv_path, "w");
        if (!csv) {
            fprintf(stderr, "v4eval compare: %s: cannot write\n", csv_path);
            free(p);
            goto done;
        }
        fprintf(csv, "group,length,n,mean_a,mean_b,delta,ci_lo,ci_hi,a_right_b_wrong,"
                "a_wrong_b_right,mcnemar_p\n");
    }
    printf("A = %s\nB = %s\n", pa, pb);
    printf("paired on sample id: %d pairs; left out: %d only in A, %d only in B, %d with an error "
           "on either side\n", np, only_a, only_b, errored);
    printf("delta = B - A, 95%% paired bootstrap CI (%ld resamples, seed %llu); flips of pass/fail "
           "with McNemar exact p\n\n", iters, seed);
    printf("%-28s %8s %6s %7s %7s %8s %17s %6s %6s %9s\n", "group", "length", "n", "A", "B",
           "delta", "95% CI", "A>B", "B>A", "p");
    for (int i = 0; i < np;) {
        int j = i;
        while (j < np && !strcmp(p[j].a->suite, p[i].a->suite) && !strcmp(p[j].a->task, p[i].a->task)) j++;
        char *label = hutil_asprintf("%s/%s", p[i].a->suite, p[i].a->task);
        int n_len = 0;
        for (int k = i; k < j;) {
            int l = k;
            while (l < j && p[l].a->length == p[k].a->length) l++;
            report_group(stdout, csv, label, p[k].a->length, p + k, l - k, (int)iters, seed);
            n_len++;
            k = l;
        }
        if (n_len > 1) report_group(stdout, csv, label, -1, p + i, j - i, (int)iters, seed);
        free(label);
        i = j;
    }
    report_group(stdout, csv, "all", -1, p, np, (int)iters, seed);
    if (csv) fclose(csv);
    free(p);
    rc = 0;
done:
    journal_records_free(ra, na);
    journal_records_free(rb, nb);
    free(pa);
    free(pb);
    return rc;
}
