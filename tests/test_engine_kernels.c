/*
 * test_engine_kernels.c — kernel-level checks of the forward-pass building blocks against
 * plain computations written here: Sinkhorn doubly stochastic, RoPE/YaRN frequencies vs the
 * spec's sample values and rotation/inverse, the compressor (streaming and chunked drivers vs a
 * direct batch pooling over all windows), top-k vs a full sort, and the sampler.
 */
#include <stdint.h>
#include "engine/attention.h"
#include "engine/compressor.h"
#include "engine/mhc.h"
#include "engine/rope.h"
#include "tests/test_util.h"

static uint64_t rng_state = 88172645463325252ull;
static float frand(void) {   /* uniform in [-1, 1) */
    rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17;
    return (float)((rng_state >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

static void test_sinkhorn(void) {
    for (int trial = 0; trial < 50; trial++) {
        float c[16];
        for (int i = 0; i < 16; i++) c[i] = frand() * 2.0f;   /* logits of N(0,1)-like size */
        mhc_sinkhorn(c, 4, 20, 1e-6f);
        double maxc = 0, maxr = 0;
        int pos = 1;
        for (int i = 0; i < 4; i++) {
            double rs = 0, cs = 0;
            for (int j = 0; j < 4; j++) {
                rs += c[i * 4 + j];
                cs += c[j * 4 + i];
                if (!(c[i * 4 + j] > 0)) pos = 0;
            }
            if (fabs(rs - 1) > maxr) maxr = fabs(rs - 1);
            if (fabs(cs - 1) > maxc) maxc = fabs(cs - 1);
        }
        CU_ASSERT(maxc <= 1e-5);
        CU_ASSERT(maxr <= 1e-4);
        CU_ASSERT(pos);
        if (trial == 0) printf("    sinkhorn: max|colsum-1|=%.2g max|rowsum-1|=%.2g\n", maxc, maxr);
    }
    /* one step reduces to the plain recipe: softmax rows + eps, then column normalisation */
    float c[16], ref[16];
    for (int i = 0; i < 16; i++) c[i] = ref[i] = frand() * 3;
    mhc_sinkhorn(c, 4, 1, 1e-6f);
    for (int i = 0; i < 4; i++) {
        double s = 0;
        for (int j = 0; j < 4; j++) s += exp(ref[i * 4 + j]);
        for (int j = 0; j < 4; j++) ref[i * 4 + j] = (float)(exp(ref[i * 4 + j]) / s + 1e-6);
    }
    for (int j = 0; j < 4; j++) {
        double s = 0;
        for (int i = 0; i < 4; i++) s += ref[i * 4 + j];
        for (int i = 0; i < 4; i++) ref[i * 4 + j] = (float)(ref[i * 4 + j] / (s + 1e-6));
    }
    CU_ASSERT(check_tensor(c, ref, 16, "sinkhorn_1step", 1e-6f));
}

static void test_rope_tables(void) {
    rope_table t;
    CU_ASSERT_EQUAL(rope_table_init(&t, 64, 160000, 16, 65536, 32, 1), 0);
    const int idx[5] = {0, 15, 16, 25, 31};
    const double want[5] = {1.0, 3.636e-3, 2.266e-3, 5.372e-6, 5.681e-7};
    for (int k = 0; k < 5; k++) {
        double rel = fabs(t.freq[idx[k]] - want[k]) / want[k];
        printf("    omega'_%d = %.4g (spec %.4g)\n", idx[k], t.freq[idx[k]], want[k]);
        CU_ASSERT(rel < 1e-3);
    }
    rope_table b;
    CU_ASSERT_EQUAL(rope_table_init(&b, 64, 10000, 1, 0, 0, 0), 0);
    CU_ASSERT(fabs(b.freq[1] / pow(10000, -2.0 / 64) - 1) < 1e-6);
    CU_ASSERT(rope_table_init(&b, 63, 10000, 1, 0, 0, 0) != 0);
    /* rotation: only the trailing dims move, pairs interleaved, inverse restores */
    float v[24], v0[24];
    for (int i = 0; i < 24; i++) v[i] = v0[i] = frand();
    rope_table r8;
    rope_table_init(&r8, 8, 10000, 1, 0, 0, 0);
    rope_apply(&r8, v, 24, 37, 0);
    CU_ASSERT(memcmp(v, v0, 16 * sizeof(float)) == 0);
    float ang = 37.0f * r8.freq[1];
    float ex = v0[18] * cosf(ang) - v0[19] * sinf(ang), ey = v0[18] * sinf(ang) + v0[19] * cosf(ang);
    CU_ASSERT(fabs(v[18] - ex) < 1e-5 && fabs(v[19] - ey) < 1e-5);
    rope_apply(&r8, v, 24, 37, 1);
    CU_ASSERT(check_tensor(v, v0, 24, "rope_inverse", 1e-5f));
}

/* direct batch computation of every compressed entry (spec §6.2), written plainly */
static void cmp_direct(const cmp_weights *cw, const float *K, const float *Z, int T, float *E) {
    int m = cw->ratio, c = cw->c, w = cw->w;
    for (int j = 0; j < T / m; j++)
        for (int ch = 0; ch < c; ch++) {
            double lg[256], val[256];
            int ns = 0;
            if (cw->overlap && j > 0)
                for (int t = (j - 1) * m; t < j * m; t++, ns++) {
                    lg[ns] = Z[t * w + ch] + cw->ape[(t % m) * w + ch];
                    val[ns] = K[t * w + ch];
                }
            int off = cw->overlap ? c : 0;
            for (int t = j * m; t < j * m + m; t++, ns++) {
                lg[ns] = Z[t * w + off + ch] + cw->ape[(t % m) * w + off + ch];
                val[ns] = K[t * w + off + ch];
            }
            double mx = lg[0], num = 0, den = 0;
            for (int s = 1; s < ns; s++) if (lg[s] > mx) mx = lg[s];
            for (int s = 0; s < ns; s++) { den += exp(lg[s] - mx); num += exp(lg[s] - mx) * val[s]; }
            E[j * c + ch] = (float)(num / den);
        }
}

static void cmp_case(int ratio, int c, int T) {
    cmp_weights cw = {0};
    cw.ratio = ratio; cw.c = c; cw.overlap = ratio == 4; cw.w = (1 + cw.overlap) * c;
    int w = cw.w, rows = cmp_state_rows(&cw);
    cw.ape = malloc(sizeof(float) * ratio * w);
    for (int i = 0; i < ratio * w; i++) cw.ape[i] = frand();
    float *K = malloc(sizeof(float) * T * w), *Z = malloc(sizeof(float) * T * w);
    for (int i = 0; i < T * w; i++) { K[i] = frand() * 2; Z[i] = frand() * 4; }
    int n = T / ratio;
    float *ref = malloc(sizeof(float) * (n + 1) * c), *got = malloc(sizeof(float) * (n + 2) * c);
    cmp_direct(&cw, K, Z, T, ref);
    float *sk = malloc(sizeof(float) * rows * w), *sz = malloc(sizeof(float) * rows * w);
    float *tk = malloc(sizeof(float) * rows * w), *tz = malloc(sizeof(float) * rows * w);
    /* streaming */
    cmp_state_reset(&cw, sk, sz);
    int k = 0;
    for (int t = 0; t < T; t++) if (cmp_push(&cw, sk, sz, K + t * w, Z + t * w, t, got + k * c)) k++;
    CU_ASSERT_EQUAL(k, n);
    char label[64];
    snprintf(label, sizeof label, "cmp%d_stream", ratio);
    CU_ASSERT(check_tensor(got, ref, (size_t)n * c, label, 1e-5f));
    /* chunked at several chunk sizes, and a mixed schedule */
    const int chunks[] = {1, 3, 7, 64, 129, T};
    for (size_t ci = 0; ci < sizeof chunks / sizeof *chunks; ci++) {
        cmp_state_reset(&cw, sk, sz);
        k = 0;
        for (int t = 0; t < T; t += chunks[ci]) {
            int len = T - t < chunks[ci] ? T - t : chunks[ci];
            k += cmp_chunk(&cw, sk, sz, K + t * w, Z + t * w, t, len, got + k * c, tk, tz);
        }
        CU_ASSERT_EQUAL(k, n);
        snprintf(label, sizeof label, "cmp%d_chunk%d", ratio, chunks[ci]);
        CU_ASSERT(check_tensor(got, ref, (size_t)n * c, label, 1e-5f));
    }
    cmp_state_reset(&cw, sk, sz);
    k = 0;
    for (int t = 0; t < T;) {
        int len = 1 + (t * 7 + 3) % 11;
        if (len > T - t) len = T - t;
        if (len == 1) {
            if (cmp_push(&cw, sk, sz, K + t * w, Z + t * w, t, got + k * c)) k++;
        } else {
            k += cmp_chunk(&cw, sk, sz, K + t * w, Z + t * w, t, len, got + k * c, tk, tz);
        }
        t += len;
    }
    snprintf(label, sizeof label, "cmp%d_mixed", ratio);
    CU_ASSERT_EQUAL(k, n);
    CU_ASSERT(check_tensor(got, ref, (size_t)n * c, label, 1e-5f));
    free(cw.ape); free(K); free(Z); free(ref); free(got); free(sk); free(sz); free(tk); free(tz);
}

static void test_compressor(void) {
    cmp_case(4, 8, 301);
    cmp_case(128, 6, 389);
}

/* reference order for top-k: stable descending sort of indices by score */
static const float *g_sc;
static int cmp_idx_desc(const void *a, const void *b) {
    int i = *(const int *)a, j = *(const int *)b;
    if (g_sc[i] != g_sc[j]) return g_sc[i] < g_sc[j] ? 1 : -1;
    return i - j;
}
static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

static void test_topk(void) {
    for (int trial = 0; trial < 60; trial++) {
        int n = 1 + trial * 37 % 1000, k = 1 + trial * 13 % (n + 3);
        float *sc = malloc(sizeof(float) * n);
        int *idx = malloc(sizeof(int) * n), *ref = malloc(sizeof(int) * n);
        /* every third trial has many exact ties: the lower index must win them */
        for (int i = 0; i < n; i++) sc[i] = trial % 3 ? frand() : (float)(int)(frand() * 5);
        for (int i = 0; i < n; i++) ref[i] = i;
        g_sc = sc;
        qsort(ref, n, sizeof(int), cmp_idx_desc);
        int got = topk_select(sc, n, k, idx), want = k < n ? k : n;
        CU_ASSERT_EQUAL(got, want);
        qsort(idx, want, sizeof(int), cmp_int);
        qsort(ref, want, sizeof(int), cmp_int);
        CU_ASSERT(memcmp(idx, ref, sizeof(int) * want) == 0);
        free(sc); free(idx); free(ref);
    }
}

static void test_sample(void) {
    float lg[5] = {0.1f, 2.0f, 1.9f, -1.0f, 0.0f};
    uint64_t rng = 42;
    CU_ASSERT_EQUAL(v4_sample(lg, 5, 0, 1, &rng), 1);
    /* top_p tiny: only the best token survives */
    for (int i = 0; i < 20; i++) CU_ASSERT_EQUAL(v4_sample(lg, 5, 1.0f, 1e-6f, &rng), 1);
    /* temperature 1: frequencies follow the softmax */
    int cnt[5] = {0};
    for (int i = 0; i < 20000; i++) cnt[v4_sample(lg, 5, 1.0f, 1.0f, &rng)]++;
    double z = 0;
    for (int i = 0; i < 5; i++) z += exp(lg[i]);
    for (int i = 0; i < 5; i++) {
        double p = exp(lg[i]) / z, f = cnt[i] / 20000.0;
        CU_ASSERT(fabs(p - f) < 0.02);
    }
    /* top_p 0.6 keeps exactly tokens 1 and 2 (p1 = 0.41 < 0.6 <= p1 + p2) */
    int other = 0;
    for (int i = 0; i < 2000; i++) {
        int t = v4_sample(lg, 5, 1.0f, 0.6f, &rng);
        if (t != 1 && t != 2) other++;
    }
    CU_ASSERT_EQUAL(other, 0);
}

static const test_case TESTS[] = {
    {"sinkhorn_doubly_stochastic", test_sinkhorn},
    {"rope_tables_yarn", test_rope_tables},
    {"compressor_stream_chunk_vs_direct", test_compressor},
    {"topk_vs_sort", test_topk},
    {"sample", test_sample},
    {NULL, NULL},
};
TEST_MAIN("engine_kernels", TESTS)
