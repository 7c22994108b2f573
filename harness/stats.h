/*
 * stats.h — the statistics behind every number the harness prints.
 *
 * Means come with a standard error (sample standard deviation with n-1 / sqrt(n), as lm-eval's
 * closed form; NaN when n < 2). Paired comparisons use McNemar's exact test (two-sided binomial
 * on the discordant pairs) for pass/fail and a percentile paired bootstrap for score deltas,
 * driven by a fixed-seed splitmix64 generator so the same inputs give the same interval.
 * pass@k is the unbiased estimator of the HumanEval paper in its numerically stable product form.
 */
#ifndef V4_STATS_H
#define V4_STATS_H

#include <stdint.h>

/* stats_mean_se: mean of x[0..n) and its standard error. n == 0 → mean NaN; n < 2 → se NaN. */
void stats_mean_se(const double *x, int n, double *mean, double *se);

/* stats_mcnemar_exact: two-sided exact McNemar p-value for b pairs (A right, B wrong) and c
 * pairs (A wrong, B right): min(1, 2 P[X <= min(b,c)]), X ~ Binomial(b+c, 1/2). 1 when b+c = 0. */
double stats_mcnemar_exact(int b, int c);

/* stats_paired_bootstrap: mean of d_i = b_i - a_i and its percentile CI at level (e.g. 0.95)
 * from iters resamples of the n pairs with the generator seeded by seed. n == 0 → NaNs.
 * Deterministic in (a, b, n, iters, seed). */
void stats_paired_bootstrap(const double *a, const double *b, int n, int iters, uint64_t seed,
                            double level, double *delta, double *lo, double *hi);

/* stats_pass_at_k: unbiased pass@k for n samples of which c are correct:
 * 1 - prod_{i=n-c+1}^{n} (1 - k/i); 1 when n - c < k. Requires 0 <= c <= n and n >= k >= 1;
 * returns NaN otherwise. */
double stats_pass_at_k(int n, int c, int k);

/* splitmix64 step: returns the next value and advances *state. */
uint64_t stats_rng_next(uint64_t *state);

#endif /* V4_STATS_H */
