/*
 * test_kernels.c — every fast product held to the plain scalar reference (fmt_matvec_ref):
 * each SIMD variant of engine/kernels/ this CPU supports (plain C, AVX2, AVX-512) and the
 * dispatched fmt_matvec / fmt_matmul (threads, tiles, sgemm), for all weight formats, odd
 * shapes (tails shorter than one vector, partial FP8 blocks, odd block shapes), row ranges
 * that start mid-weight, weights at odd byte addresses, and special codes (F16 subnormals and
 * infinities, E4M3 NaN and subnormals, E8M0 scales 2^-127 and large); also the attention
 * helpers (qk, pv, expsum) of every variant against plain double loops and expf, and the
 * branch-free QAT FP8 fake-quant (fmt_fq8) bit for bit against the plain codec path.
 * Tolerance of the products: |fast − ref| <= 1e-5 · Σ|w·x| + 1e-30 (float reassociation of one
 * dot product); NaN must stay NaN. Every level this CPU supports is tested, whatever
 * V4_KERNELS selects for the engine.
 */
#include "tests/test_util.h"
#include <omp.h>
#include "engine/formats.h"
#include "engine/kernels/kern.h"

static uint64_t rng_state = 0x853c49e6748fea9bull;
static uint32_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}
static float unif(void) { return (float)(rnd() % 2000001) * 1e-6f - 1.0f; }

typedef struct {
    v4_weight w;
    uint8_t *data, *scale;
} tweight;

/* make_weight: random valid codes (specials = 1 also plants F16 subnormals/inf, E4M3
 * subnormals and, in the last row, one E4M3 NaN). */
static void make_weight(tweight *t, fmt_kind k, int rows, int cols, int br, int bc, int specials) {
    memset(t, 0, sizeof *t);
    v4_weight *w = &t->w;
    w->fmt = k;
    w->rows = rows;
    w->cols = cols;
    w->name = "t";
    size_t n = (size_t)rows * cols;
    size_t bytes = k == FMT_F32 ? 4 * n : k == FMT_FP8 ? n : k == FMT_FP4 ? n / 2 : 2 * n;
    t->data = malloc(bytes + 1);
    for (size_t i = 0; i < n; i++) {
        float v = unif();
        switch (k) {
        case FMT_F32:
            memcpy(t->data + 4 * i, &v, 4);
            break;
        case FMT_BF16: {
            uint16_t h = fmt_f32_to_bf16(v);
            memcpy(t->data + 2 * i, &h, 2);
            break;
        }
        case FMT_F16: {
            uint16_t h = fmt_f32_to_f16(v);
            if (specials && i % 7 == 3) h = (uint16_t)(rnd() & 0x83ff); /* subnormal or 0 */
            memcpy(t->data + 2 * i, &h, 2);
            break;
        }
        case FMT_FP8: {
            uint8_t q = (uint8_t)(rnd() & 0xff);
            if ((q & 0x7f) == 0x7f) q ^= 1; /* no NaN here */
            if (specials && i % 5 == 2) q = (uint8_t)(rnd() & 0x87); /* subnormal */
            t->data[i] = q;
            break;
        }
        case FMT_FP4:
            if (i % 2 == 0) t->data[i / 2] = (uint8_t)(rnd() & 0xff);
            break;
        default:
            break;
        }
    }
    if (k == FMT_FP8 && specials) t->data[n - 1] = 0x7f; /* NaN, last row */
    if (k == FMT_F16 && specials) { /* ±inf, first row */
        uint16_t inf = 0x7c00;
        memcpy(t->data, &inf, 2);
    }
    if (k == FMT_FP8 || k == FMT_FP4) {
        w->block_r = br;
        w->block_c = bc;
        w->scale_rows = (rows + br - 1) / br;
        w->scale_cols = (cols + bc - 1) / bc;
        size_t ns = (size_t)w->scale_rows * w->scale_cols;
        t->scale = malloc(ns);
        for (size_t i = 0; i < ns; i++) t->scale[i] = (uint8_t)(118 + rnd() % 16);
        if (specials) {
            t->scale[0] = 0;
            if (ns > 1) t->scale[ns - 1] = 140;
        }
        w->scale = t->scale;
    }
    w->data = t->data;
}

static void free_weight(tweight *t) {
    free(t->data);
    free(t->scale);
}

/* abs_dot: Σ_c |w_rc · x_c| over rows r0.., the scale of the rounding error (via the
 * reference on |w| is not available, so decode elementwise through fmt_dequant_row). */
static void abs_dots(const v4_weight *w, int r0, int nr, const float *x, double *out) {
    float *row = malloc(sizeof(float) * (size_t)w->cols);
    for (int i = 0; i < nr; i++) {
        fmt_dequant_row(w, r0 + i, row);
        double s = 0;
        for (int c = 0; c < w->cols; c++) s += fabs((double)row[c] * x[c]);
        out[i] = s;
    }
    free(row);
}

/* close_enough: fast vs ref within the reassociation bound; NaN iff NaN. Prints mismatches. */
static int close_enough(const float *fast, const float *ref, const double *scale, int n,
                        const char *label) {
    int bad = 0;
    for (int i = 0; i < n; i++) {
        int ok = isnan(ref[i])   ? isnan(fast[i])
                 : isinf(ref[i]) ? fast[i] == ref[i]
                                 : fabs((double)fast[i] - ref[i]) <= 1e-5 * scale[i] + 1e-30;
        if (!ok && bad++ < 3)
            printf("    %s[%d]: fast %.9g ref %.9g (scale %.3g)\n", label, i, fast[i], ref[i],
                   scale[i]);
    }
    return bad == 0;
}

typedef struct {
    fmt_kind k;
    int rows, cols, br, bc, specials;
} shape;

static const shape SHAPES[] = {
    {FMT_F32, 5, 3, 0, 0, 0},         {FMT_F32, 37, 257, 0, 0, 0},  {FMT_BF16, 3, 1, 0, 0, 0},
    {FMT_BF16, 33, 47, 0, 0, 0},      {FMT_BF16, 40, 512, 0, 0, 0}, {FMT_F16, 7, 15, 0, 0, 1},
    {FMT_F16, 19, 131, 0, 0, 1},      {FMT_F16, 17, 256, 0, 0, 0},  {FMT_FP8, 9, 7, 128, 128, 1},
    {FMT_FP8, 130, 300, 128, 128, 1}, {FMT_FP8, 21, 45, 4, 13, 1},  {FMT_FP8, 16, 256, 128, 128, 0},
    {FMT_FP4, 5, 2, 1, 32, 0},        {FMT_FP4, 11, 70, 1, 32, 0},  {FMT_FP4, 24, 256, 1, 32, 0},
    {FMT_FP4, 9, 36, 1, 6, 0},
};
#define N_SHAPES (int)(sizeof SHAPES / sizeof SHAPES[0])

/* Every variant's row kernel, over a row range starting mid-weight, vs the reference. */
static void test_variants_vs_ref(void) {
    int tested = 0;
    for (int lv = 0; lv < KERN_LEVELS; lv++) {
        const kern_table *kt = kern_table_get((kern_level)lv);
        if (!kt) {
            test_skip("kernel level %d not supported by this CPU", lv);
            continue;
        }
        for (int si = 0; si < N_SHAPES; si++) {
            const shape *sh = &SHAPES[si];
            tweight t;
            make_weight(&t, sh->k, sh->rows, sh->cols, sh->br, sh->bc, sh->specials);
            float *x = malloc(sizeof(float) * sh->cols);
            float *yf = malloc(sizeof(float) * sh->rows), *yr = malloc(sizeof(float) * sh->rows);
            double *sc = malloc(sizeof(double) * sh->rows);
            for (int c = 0; c < sh->cols; c++) x[c] = unif();
            for (int r0 = 0; r0 < sh->rows; r0 += sh->rows / 2 + 1) {
                int nr = sh->rows - r0;
                kt->rows[sh->k](&t.w, r0, nr, x, yf);
                fmt_matvec_ref(&t.w, r0, nr, x, yr);
                abs_dots(&t.w, r0, nr, x, sc);
                char label[96];
                snprintf(label, sizeof label, "%s %s %dx%d r0=%d", kt->name, fmt_name(sh->k),
                         sh->rows, sh->cols, r0);
                CU_ASSERT(close_enough(yf, yr, sc, nr, label));
                tested++;
            }
            /* the same weight one byte off any alignment (stored data may sit anywhere) */
            size_t bytes =
                fmt_weight_bytes(&t.w) - (t.scale ? (size_t)t.w.scale_rows * t.w.scale_cols : 0);
            uint8_t *odd = malloc(bytes + 1);
            memcpy(odd + 1, t.data, bytes);
            v4_weight wo = t.w;
            wo.data = odd + 1;
            kt->rows[sh->k](&wo, 0, sh->rows, x, yf);
            fmt_matvec_ref(&t.w, 0, sh->rows, x, yr);
            abs_dots(&t.w, 0, sh->rows, x, sc);
            CU_ASSERT(close_enough(yf, yr, sc, sh->rows, "misaligned"));
            free(odd);
            free(x);
            free(yf);
            free(yr);
            free(sc);
            free_weight(&t);
        }
    }
    printf("    %d variant/shape/range cases\n", tested);
    CU_ASSERT(tested >= 2 * N_SHAPES);
}

/* A planted E4M3 NaN must reach the output in every variant (and only in its row). */
static void test_nan_propagates(void) {
    for (int lv = 0; lv < KERN_LEVELS; lv++) {
        const kern_table *kt = kern_table_get((kern_level)lv);
        if (!kt) continue;
        tweight t;
        make_weight(&t, FMT_FP8, 6, 40, 128, 128, 1);
        float x[40], y[6];
        for (int c = 0; c < 40; c++) x[c] = unif();
        kt->rows[FMT_FP8](&t.w, 0, 6, x, y);
        CU_ASSERT(isnan(y[5]));
        for (int r = 0; r < 5; r++) CU_ASSERT(!isnan(y[r]));
        free_weight(&t);
    }
}

/* The dispatched products (threads, tiles, sgemm) on larger weights, n = 1, 3 and 37. */
static void test_dispatch_vs_ref(void) {
    static const shape big[] = {
        {FMT_BF16, 1100, 260, 0, 0, 0},    {FMT_F16, 700, 384, 0, 0, 0},
        {FMT_FP8, 1000, 300, 128, 128, 0}, {FMT_FP4, 900, 320, 1, 32, 0},
        {FMT_F32, 600, 200, 0, 0, 0},
    };
    for (int threads = 1; threads <= 2; threads++) {
        omp_set_num_threads(threads);
        for (size_t si = 0; si < sizeof big / sizeof big[0]; si++) {
            const shape *sh = &big[si];
            tweight t;
            make_weight(&t, sh->k, sh->rows, sh->cols, sh->br, sh->bc, 0);
            int r0 = 13, nr = sh->rows - 13 - 5;
            static const int ns[] = {1, 3, 37};
            for (int ni = 0; ni < 3; ni++) {
                int n = ns[ni];
                float *X = malloc(sizeof(float) * (size_t)n * sh->cols);
                float *Yf = malloc(sizeof(float) * (size_t)n * nr),
                      *Yr = malloc(sizeof(float) * (size_t)n * nr);
                double *sc = malloc(sizeof(double) * nr);
                for (size_t i = 0; i < (size_t)n * sh->cols; i++) X[i] = unif();
                fmt_counters ctr = {0, 0};
                if (n == 1)
                    fmt_matvec(&t.w, r0, nr, X, Yf, &ctr);
                else
                    fmt_matmul(&t.w, r0, nr, X, n, Yf, &ctr);
                fmt_matmul_ref(&t.w, r0, nr, X, n, Yr);
                CU_ASSERT_DOUBLE_EQUAL(ctr.flops, 2.0 * n * nr * sh->cols, 0.5);
                int ok = 1;
                for (int tk = 0; tk < n; tk++) {
                    abs_dots(&t.w, r0, nr, X + (size_t)tk * sh->cols, sc);
                    char label[96];
                    snprintf(label, sizeof label, "%s %dx%d n=%d thr=%d tok %d", fmt_name(sh->k),
                             sh->rows, sh->cols, n, threads, tk);
                    ok &= close_enough(Yf + (size_t)tk * nr, Yr + (size_t)tk * nr, sc, nr, label);
                }
                CU_ASSERT(ok);
                free(X);
                free(Yf);
                free(Yr);
                free(sc);
            }
            free_weight(&t);
        }
    }
    omp_set_num_threads(omp_get_num_procs());
}

/* The attention helpers of every variant vs plain double loops (odd head dims, tails). */
static void test_attention_helpers(void) {
    static const int dims[] = {1, 7, 16, 45, 64, 128, 129, 200};
    static const int nks[] = {0, 1, 5, 17, 130};
    for (int lv = 0; lv < KERN_LEVELS; lv++) {
        const kern_table *kt = kern_table_get((kern_level)lv);
        if (!kt) continue;
        for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++)
            for (size_t ni = 0; ni < sizeof nks / sizeof nks[0]; ni++) {
                int d = dims[di], nk = nks[ni];
                float *K = malloc(sizeof(float) * ((size_t)nk * d + 1)),
                      *q = malloc(sizeof(float) * d);
                const float **keys = malloc(sizeof(*keys) * (nk + 1));
                float *s = malloc(sizeof(float) * (nk + 1)), *o = malloc(sizeof(float) * d);
                for (int i = 0; i < nk * d; i++) K[i] = unif();
                for (int t = 0; t < d; t++) q[t] = unif();
                for (int j = 0; j < nk; j++) keys[j] = K + (size_t)(nk - 1 - j) * d; /* any order */
                kt->qk(q, keys, nk, d, 0.37f, s);
                int ok = 1;
                for (int j = 0; j < nk; j++) {
                    double ref = 0, mag = 0;
                    for (int t = 0; t < d; t++) {
                        ref += (double)q[t] * keys[j][t];
                        mag += fabs((double)q[t] * keys[j][t]);
                    }
                    ok &= fabs(s[j] - 0.37 * ref) <= 1e-6 * mag + 1e-30;
                }
                CU_ASSERT(ok);
                /* expsum on scores spread over [-100, 3] (underflow end included) */
                for (int j = 0; j < nk; j++) s[j] = -100.0f + 103.0f * (unif() + 1.0f) / 2.0f;
                float mx = nk ? 1.5f : 0.0f, *ref = malloc(sizeof(float) * (nk + 1));
                double rsum = 0;
                for (int j = 0; j < nk; j++) {
                    ref[j] = expf(s[j] - mx);
                    rsum += ref[j];
                }
                float sum = kt->expsum(s, nk, mx);
                for (int j = 0; j < nk; j++) ok &= fabsf(s[j] - ref[j]) <= 3e-7f * ref[j] + 2e-38f;
                ok &= fabs(sum - rsum) <= 1e-6 * rsum + 1e-37;
                CU_ASSERT(ok);
                /* pv with the probabilities just computed */
                kt->pv(s, keys, nk, d, o);
                for (int t = 0; t < d; t++) {
                    double r = 0, mag = 0;
                    for (int j = 0; j < nk; j++) {
                        r += (double)s[j] * keys[j][t];
                        mag += fabs((double)s[j] * keys[j][t]);
                    }
                    ok &= fabs(o[t] - r) <= 1e-6 * mag + 1e-30;
                }
                if (!ok)
                    printf("    %s: attention helpers mismatch at d=%d nk=%d\n", kt->name, d, nk);
                CU_ASSERT(ok);
                free(K);
                free(q);
                free(keys);
                free(s);
                free(o);
                free(ref);
            }
    }
}

/* fq8_plain: the QAT FP8 fake-quant written the plain way, through the exact codecs. */
static void fq8_plain(float *v, int n, int block) {
    for (int b0 = 0; b0 < n; b0 += block) {
        int b1 = b0 + block < n ? b0 + block : n;
        float amax = 0.0f;
        for (int i = b0; i < b1; i++) amax = fmaxf(amax, fabsf(v[i]));
        float x = fmaxf(amax, 1e-4f) / 448.0f;
        int ex;
        float fr = frexpf(x, &ex);
        float s = ldexpf(1.0f, fr == 0.5f ? ex - 1 : ex);
        for (int i = b0; i < b1; i++) {
            float q = fminf(fmaxf(v[i] / s, -448.0f), 448.0f);
            v[i] = fmt_e4m3_to_f32(fmt_f32_to_e4m3(q)) * s;
        }
    }
}

/* fq8_level: fmt_fq8's block loop with the fq8 entry of one kernel table (NULL: fmt_fq8). */
static void fq8_level(const kern_table *kt, float *v, int n, int block) {
    if (!kt) { fmt_fq8(v, n, block); return; }
    for (int b0 = 0; b0 < n; b0 += block) {
        int b1 = b0 + block < n ? b0 + block : n;
        float amax = 0.0f;
        for (int i = b0; i < b1; i++) amax = fmaxf(amax, fabsf(v[i]));
        float x = fmaxf(amax, 1e-4f) / 448.0f;
        int ex;
        float fr = frexpf(x, &ex);
        float s = ldexpf(1.0f, fr == 0.5f ? ex - 1 : ex);
        kt->fq8(v + b0, b1 - b0, 1.0f / s, s);
    }
}

/* fmt_fq8 and the fq8 entry of every variant (branch-free rounding) are bit-identical to the
 * plain codec path. */
static void test_fq8_bit_exact(void) {
    enum { N = 1 << 16 };
    float *a = malloc(sizeof(float) * N), *b = malloc(sizeof(float) * N);
    float *c = malloc(sizeof(float) * N);
    for (int i = 0; i < N; i++) {
        /* magnitudes over 2^-30..2^20 so blocks hit subnormal, tie and saturation cases */
        float m = ldexpf(1.0f + (float)(rnd() % 4096) / 4096.0f, (int)(rnd() % 51) - 30);
        a[i] = (rnd() & 1) ? -m : m;
        if (i % 97 == 5) /* exact ties of the E4M3 grid */
            a[i] = ldexpf((float)(2 * (rnd() % 16) + 1), -10 - (int)(rnd() % 4));
    }
    a[3] = NAN; a[70] = -0.0f; a[71] = 0.0f; a[200] = 448.0f; a[201] = -464.0f;
    int blocks[] = {64, 128, 7}, bad = 0;
    for (int lv = -1; lv < KERN_LEVELS; lv++) {
        const kern_table *kt = lv < 0 ? NULL : kern_table_get((kern_level)lv);
        if (lv >= 0 && !kt) continue;
        for (int k = 0; k < 3; k++) {
            memcpy(b, a, sizeof(float) * N);
            memcpy(c, a, sizeof(float) * N);
            fq8_level(kt, b, N - 3, blocks[k]);
            fq8_plain(c, N - 3, blocks[k]);
            for (int i = 0; i < N; i++) {
                uint32_t ub, uc;
                memcpy(&ub, &b[i], 4);
                memcpy(&uc, &c[i], 4);
                if (ub != uc && !(isnan(b[i]) && isnan(c[i])) && bad++ < 5)
                    printf("    fq8 %s block %d [%d]: in %.9g fast %.9g plain %.9g\n",
                           kt ? kt->name : "fmt_fq8", blocks[k], i, a[i], b[i], c[i]);
            }
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    free(a); free(b); free(c);
}

/* The chosen table is the best supported level, and a named level is what it says. */
static void test_selection(void) {
    const kern_table *b = kern_best();
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    printf("    best kernels: %s\n", b->name);
    CU_ASSERT_STRING_EQUAL(kern_table_get(KERN_SCALAR)->name, "scalar");
    if (!getenv("V4_KERNELS")) {
        int top = KERN_SCALAR;
        for (int lv = 0; lv < KERN_LEVELS; lv++)
            if (kern_table_get((kern_level)lv)) top = lv;
        CU_ASSERT_PTR_EQUAL(b, kern_table_get((kern_level)top));
    }
}

static const test_case TESTS[] = {
    {"variants_vs_scalar_reference", test_variants_vs_ref},
    {"fp8_nan_propagates", test_nan_propagates},
    {"dispatched_products_vs_reference", test_dispatch_vs_ref},
    {"attention_helpers_vs_double", test_attention_helpers},
    {"fq8_fast_is_bit_exact", test_fq8_bit_exact},
    {"runtime_selection", test_selection},
    {NULL, NULL},
};

TEST_MAIN("kernels", TESTS)
