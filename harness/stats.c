/*
 * stats.c — standard errors, McNemar's exact test, paired bootstrap, pass@k.
 *
 * The binomial tail is summed in log space (lgamma), so b + c in the millions neither
 * overflows nor underflows to a wrong answer. The bootstrap sorts the resampled means and takes
 * the (1-level)/2 and (1+level)/2 order statistics (nearest rank).
 */
#include "harness/stats.h"

#include <math.h>
#include <stdlib.h>

void stats_mean_se(const double *x, int n, double *mean, double *se) {
    if (n <= 0) { *mean = NAN; *se = NAN; return; }
    double s = 0;
    for (int i = 0; i < n; i++) s += x[i];
    double m = s / n, ss = 0;
    for (int i = 0; i < n; i++) ss += (x[i] - m) * (x[i] - m);
    *mean = m;
    *se = n < 2 ? NAN : sqrt(ss / (n - 1)) / sqrt((double)n);
}

double stats_mcnemar_exact(int b, int c) {
    int n = b + c;
    if (n <= 0) return 1.0;
    int k = b < c ? b : c;
    /* P[X <= k] = sum_i C(n,i) 2^-n, summed relative to the largest term for stability */
    double lfn = lgamma(n + 1.0), l2 = n * log(2.0);
    double lmax = -INFINITY;
    for (int i = 0; i <= k; i++) {
        double lt = lfn - lgamma(i + 1.0) - lgamma(n - i + 1.0) - l2;
        if (lt > lmax) lmax = lt;
    }
    double acc = 0;
    for (int i = 0; i <= k; i++)
        acc += exp(lfn - lgamma(i + 1.0) - lgamma(n - i + 1.0) - l2 - lmax);
    double p = 2.0 * exp(lmax) * acc;
    return p > 1.0 ? 1.0 : p;
}

uint64_t stats_rng_next(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void stats_paired_bootstrap(const double *a, const double *b, int n, int iters, uint64_t seed,
                            double level, double *delta, double *lo, double *hi) {
    if (n <= 0 || iters <= 0) { *delta = *lo = *hi = NAN; return; }
    double s = 0;
    for (int i = 0; i < n; i++) s += b[i] - a[i];
    *delta = s / n;
    double *means = malloc((size_t)iters * sizeof *means);
    if (!means) { *lo = *hi = NAN; return; }
    uint64_t st = seed;
    for (int it = 0; it < iters; it++) {
        double acc = 0;
        for (int i = 0; i < n; i++) {
            int j = (int)(stats_rng_next(&st) % (uint64_t)n);
            acc += b[j] - a[j];
        }
        means[it] = acc / n;
    }
    qsort(means, (size_t)iters, sizeof *means, cmp_double);
    double alpha = (1.0 - level) / 2.0;
    int ilo = (int)floor(alpha * iters), ihi = (int)ceil((1.0 - alpha) * iters) - 1;
    if (ilo < 0) ilo = 0;
    if (ihi > iters - 1) ihi = iters - 1;
    if (ihi < ilo) ihi = ilo;
    *lo = means[ilo];
    *hi = means[ihi];
    free(means);
}

double stats_pass_at_k(int n, int c, int k) {
    if (k < 1 || n < k || c < 0 || c > n) return NAN;
    if (n - c < k) return 1.0;
    double prod = 1.0;
    for (int i = n - c + 1; i <= n; i++) prod *= 1.0 - (double)k / i;
    return 1.0 - prod;
}
