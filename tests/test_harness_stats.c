/* test_harness_stats.c — SHA-256 against the FIPS 180-4 vectors; mean/stderr, McNemar exact,
 * paired bootstrap and pass@k against hand-computed values. */
#include "harness/hutil.h"
#include "harness/stats.h"
#include "tests/test_util.h"

static void test_sha256_vectors(void) {
    char hex[65];
    sha256_hex_of("", 0, hex);
    CU_ASSERT_STRING_EQUAL(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256_hex_of("abc", 3, hex);
    CU_ASSERT_STRING_EQUAL(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256_hex_of(m, strlen(m), hex);
    CU_ASSERT_STRING_EQUAL(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* one million 'a' fed in uneven pieces exercises the block boundary logic */
    sha256_ctx c;
    sha256_init(&c);
    static char a[1000];
    memset(a, 'a', sizeof a);
    size_t left = 1000000, step = 1;
    while (left) {
        size_t k = step < left ? step : left;
        if (k > sizeof a) k = sizeof a;
        sha256_update(&c, a, k);
        left -= k;
        step = step * 7 % 997 + 1;
    }
    sha256_final_hex(&c, hex);
    CU_ASSERT_STRING_EQUAL(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_mean_se(void) {
    double x[] = {1, 0, 1, 1}, m, se;
    stats_mean_se(x, 4, &m, &se);
    CU_ASSERT_DOUBLE_EQUAL(m, 0.75, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(se, 0.25, 1e-12); /* sd (n-1) = 0.5, / sqrt 4 */
    double y[] = {2, 4, 4, 4, 5, 5, 7, 9};
    stats_mean_se(y, 8, &m, &se);
    CU_ASSERT_DOUBLE_EQUAL(m, 5.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(se, sqrt(32.0 / 7.0) / sqrt(8.0), 1e-12);
    stats_mean_se(y, 1, &m, &se);
    CU_ASSERT_DOUBLE_EQUAL(m, 2.0, 1e-12);
    CU_ASSERT(isnan(se));
    stats_mean_se(y, 0, &m, &se);
    CU_ASSERT(isnan(m));
}

static void test_mcnemar_hand_values(void) {
    /* P[X <= k] for X ~ Bin(n, 1/2), doubled */
    CU_ASSERT_DOUBLE_EQUAL(stats_mcnemar_exact(1, 5), 14.0 / 64.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(stats_mcnemar_exact(5, 1), 14.0 / 64.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(stats_mcnemar_exact(0, 6), 2.0 / 64.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(stats_mcnemar_exact(2, 10), 158.0 / 4096.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(stats_mcnemar_exact(3, 3), 1.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(stats_mcnemar_exact(0, 0), 1.0, 1e-12);
    /* n = 30, k = 8: sum C(30,i) i<=8 = 8656937; p = 2 * 8656937 / 2^30 */
    CU_ASSERT_DOUBLE_EQUAL(stats_mcnemar_exact(8, 22), 2.0 * 8656937.0 / 1073741824.0, 1e-12);
    /* large n stays finite and tiny, no NaN */
    double p = stats_mcnemar_exact(10, 5000);
    CU_ASSERT(p >= 0 && p < 1e-100);
    CU_ASSERT_DOUBLE_EQUAL(stats_mcnemar_exact(2500, 2500), 1.0, 1e-9);
}

static void test_bootstrap(void) {
    enum { N = 400 };
    static double a[N], b[N];
    uint64_t s = 7;
    for (int i = 0; i < N; i++) {
        a[i] = (double)(stats_rng_next(&s) % 2);
        b[i] = (double)(stats_rng_next(&s) % 100 < 60);
    }
    double d1, lo1, hi1, d2, lo2, hi2, d3, lo3, hi3;
    stats_paired_bootstrap(a, b, N, 2000, 42, 0.95, &d1, &lo1, &hi1);
    stats_paired_bootstrap(a, b, N, 2000, 42, 0.95, &d2, &lo2, &hi2);
    stats_paired_bootstrap(a, b, N, 2000, 43, 0.95, &d3, &lo3, &hi3);
    CU_ASSERT_EQUAL(lo1, lo2);  /* same seed → bit-identical interval */
    CU_ASSERT_EQUAL(hi1, hi2);
    CU_ASSERT(lo1 != lo3 || hi1 != hi3);
    CU_ASSERT(lo1 < d1 && d1 < hi1);
    /* the normal approximation: delta ± 1.96 se of the paired differences */
    double dd[N], m, se;
    for (int i = 0; i < N; i++) dd[i] = b[i] - a[i];
    stats_mean_se(dd, N, &m, &se);
    CU_ASSERT_DOUBLE_EQUAL(d1, m, 1e-12);
    printf("    bootstrap [%.4f, %.4f] vs normal [%.4f, %.4f]\n", lo1, hi1, m - 1.96 * se, m + 1.96 * se);
    CU_ASSERT_DOUBLE_EQUAL(lo1, m - 1.96 * se, 0.15 * 1.96 * se);
    CU_ASSERT_DOUBLE_EQUAL(hi1, m + 1.96 * se, 0.15 * 1.96 * se);
    /* constant differences → a degenerate interval */
    double one[5] = {1, 1, 1, 1, 1}, zero[5] = {0};
    stats_paired_bootstrap(zero, one, 5, 1000, 1, 0.95, &d1, &lo1, &hi1);
    CU_ASSERT_EQUAL(d1, 1.0);
    CU_ASSERT_EQUAL(lo1, 1.0);
    CU_ASSERT_EQUAL(hi1, 1.0);
}

static void test_pass_at_k(void) {
    CU_ASSERT_DOUBLE_EQUAL(stats_pass_at_k(5, 2, 1), 0.4, 1e-12);
    /* 1 - C(7,5)/C(10,5) = 1 - 21/252 */
    CU_ASSERT_DOUBLE_EQUAL(stats_pass_at_k(10, 3, 5), 1.0 - 21.0 / 252.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(stats_pass_at_k(4, 2, 3), 1.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(stats_pass_at_k(200, 0, 100), 0.0, 1e-12);
    /* 1 - C(190,100)/C(200,100) via the product, against a log-gamma evaluation */
    double ref = 1.0 - exp(lgamma(191) - lgamma(101) - lgamma(91) - (lgamma(201) - lgamma(101) - lgamma(101)));
    CU_ASSERT_DOUBLE_EQUAL(stats_pass_at_k(200, 10, 100), ref, 1e-9);
    CU_ASSERT(isnan(stats_pass_at_k(3, 1, 5)));  /* n < k: not reported */
}

static void test_utf8_sanitize(void) {
    char *a = hutil_utf8_sanitize("ok \xe2\x9c\x93 bad \xff\xc3 end \xed\xa0\x80 \xc0\xaf");
    CU_ASSERT_STRING_EQUAL(a, "ok \xe2\x9c\x93 bad \xef\xbf\xbd\xef\xbf\xbd end "
                              "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd");
    free(a);
    CU_ASSERT_PTR_NULL(hutil_utf8_sanitize(NULL));
}

static const test_case TESTS[] = {
    {"utf8_sanitize", test_utf8_sanitize},
    {"sha256_vectors", test_sha256_vectors},
    {"mean_se", test_mean_se},
    {"mcnemar_hand_values", test_mcnemar_hand_values},
    {"bootstrap", test_bootstrap},
    {"pass_at_k", test_pass_at_k},
    {NULL, NULL},
};
TEST_MAIN("harness_stats", TESTS)
