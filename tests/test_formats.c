/*
 * test_formats.c — the storage formats and the products that read them (engine/formats.c).
 *
 * Decoders are checked against values written out from the format definitions (spec §13.5) and
 * against a test-local decoder that uses pow() on the bit fields; encoders against a brute-force
 * nearest-code search with ties to the even code. Every product (fast matvec/matmul and the
 * scalar reference) is compared with a double-precision product of weights decoded by the
 * test-local decoder, over sizes that are not multiples of the 128/32 blocks and over row ranges.
 */
#include <math.h>
#include <stdint.h>
#include "engine/formats.h"
#include "tests/test_util.h"

/* --------------------------------------------------------------------------------------------
 * Test-local decoders written from the definitions, independent of formats.c
 * ------------------------------------------------------------------------------------------ */
static double ref_e4m3(uint8_t v) {
    int s = v >> 7, e = (v >> 3) & 15, m = v & 7;
    if (e == 15 && m == 7) return NAN;
    double r = e == 0 ? (m / 8.0) * pow(2.0, -6) : (1.0 + m / 8.0) * pow(2.0, e - 7);
    return s ? -r : r;
}
static double ref_e8m0(uint8_t v) { return v == 255 ? NAN : pow(2.0, (double)v - 127.0); }
static double ref_e2m1(uint8_t c) {
    static const double mag[8] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
    return (c & 8) ? -mag[c & 7] : mag[c & 7];
}
static double ref_bf16(uint16_t v) {
    int s = v >> 15, e = (v >> 7) & 0xff, m = v & 0x7f;
    double r = e == 0 ? m / 128.0 * pow(2.0, -126) : (1.0 + m / 128.0) * pow(2.0, e - 127);
    return s ? -r : r;
}
static double ref_f16(uint16_t v) {
    int s = v >> 15, e = (v >> 10) & 0x1f, m = v & 0x3ff;
    double r = e == 0 ? m / 1024.0 * pow(2.0, -14) : (1.0 + m / 1024.0) * pow(2.0, e - 15);
    return s ? -r : r;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}
static float rndf(void) { return (float)((rnd() % 2000001) / 1000000.0 - 1.0); }

/* --------------------------------------------------------------------------------------------
 * Decoders
 * ------------------------------------------------------------------------------------------ */
static void test_e8m0_decode(void) {
    float z = fmt_e8m0_to_f32(0);
    CU_ASSERT(z != 0.0f);
    CU_ASSERT_EQUAL(fpclassify(z), FP_SUBNORMAL);          /* 2^-127 is an f32 subnormal */
    CU_ASSERT_EQUAL((double)z, ldexp(1.0, -127));
    CU_ASSERT_EQUAL(fmt_e8m0_to_f32(127), 1.0f);
    CU_ASSERT_EQUAL(fmt_e8m0_to_f32(128), 2.0f);
    CU_ASSERT_EQUAL((double)fmt_e8m0_to_f32(254), ldexp(1.0, 127));
    CU_ASSERT(isnan(fmt_e8m0_to_f32(0xff)));
    for (int v = 0; v < 255; v++) CU_ASSERT_EQUAL((double)fmt_e8m0_to_f32((uint8_t)v), ref_e8m0(v));
}

static void test_e4m3_decode(void) {
    CU_ASSERT_EQUAL(fmt_e4m3_to_f32(0x7e), 448.0f);        /* max */
    CU_ASSERT_EQUAL(fmt_e4m3_to_f32(0xfe), -448.0f);
    CU_ASSERT(isnan(fmt_e4m3_to_f32(0x7f)));
    CU_ASSERT(isnan(fmt_e4m3_to_f32(0xff)));
    CU_ASSERT_EQUAL(fmt_e4m3_to_f32(0x78), 256.0f);        /* exponent 15 is finite: no inf */
    CU_ASSERT_EQUAL(fmt_e4m3_to_f32(0x38), 1.0f);
    CU_ASSERT_EQUAL((double)fmt_e4m3_to_f32(0x01), ldexp(1.0, -9));   /* smallest subnormal */
    CU_ASSERT_EQUAL((double)fmt_e4m3_to_f32(0x08), ldexp(1.0, -6));   /* smallest normal */
    CU_ASSERT_EQUAL(fmt_e4m3_to_f32(0x80), 0.0f);
    int finite = 0;
    float mx = 0;
    for (int v = 0; v < 256; v++) {
        float f = fmt_e4m3_to_f32((uint8_t)v);
        CU_ASSERT(!isinf(f));
        if (isnan(f)) { CU_ASSERT(isnan(ref_e4m3(v))); continue; }
        finite++;
        mx = fmaxf(mx, fabsf(f));
        CU_ASSERT_EQUAL((double)f, ref_e4m3((uint8_t)v));
    }
    CU_ASSERT_EQUAL(finite, 254);
    CU_ASSERT_EQUAL(mx, 448.0f);
}

static void test_e2m1_decode(void) {
    static const float want[16] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6,
                                   -0.0f, -0.5f, -1, -1.5f, -2, -3, -4, -6};
    for (int c = 0; c < 16; c++) CU_ASSERT_EQUAL(fmt_e2m1_to_f32((uint8_t)c), want[c]);
    CU_ASSERT_EQUAL(fmt_e2m1_to_f32(0xf7), 6.0f);           /* only the low 4 bits count */
}

static void test_bf16_f16_decode(void) {
    CU_ASSERT_EQUAL(fmt_bf16_to_f32(0x3f80), 1.0f);
    CU_ASSERT_EQUAL(fmt_bf16_to_f32(0xc000), -2.0f);
    CU_ASSERT(isinf(fmt_bf16_to_f32(0x7f80)));
    CU_ASSERT_EQUAL(fmt_f16_to_f32(0x3c00), 1.0f);
    CU_ASSERT_EQUAL(fmt_f16_to_f32(0x7bff), 65504.0f);
    CU_ASSERT_EQUAL((double)fmt_f16_to_f32(0x0001), ldexp(1.0, -24));
    CU_ASSERT(isinf(fmt_f16_to_f32(0x7c00)));
    CU_ASSERT(isnan(fmt_f16_to_f32(0x7e00)));
    for (int i = 0; i < 4000; i++) {
        uint16_t v = (uint16_t)rnd();
        if (((v >> 7) & 0xff) != 0xff) CU_ASSERT_EQUAL((double)fmt_bf16_to_f32(v), ref_bf16(v));
        if (((v >> 10) & 0x1f) != 0x1f) CU_ASSERT_EQUAL((double)fmt_f16_to_f32(v), ref_f16(v));
    }
}

/* --------------------------------------------------------------------------------------------
 * Encoders: brute force nearest code, ties to the even code
 * ------------------------------------------------------------------------------------------ */
static uint8_t brute_e4m3(float f) {
    double a = fabs((double)f);
    if (a > 448) a = 448;
    int best = 0;
    double bd = INFINITY;
    for (int c = 0; c <= 0x7e; c++) {
        double d = fabs(ref_e4m3((uint8_t)c) - a);
        if (d < bd || (d == bd && !(c & 1))) { bd = d; best = c; }
    }
    return (uint8_t)((f < 0 ? 0x80 : 0) | best);
}

static void test_e4m3_encode(void) {
    CU_ASSERT_EQUAL(fmt_f32_to_e4m3(1.0f), 0x38);
    CU_ASSERT_EQUAL(fmt_f32_to_e4m3(1.0625f), 0x38);       /* tie 1 | 1.125 -> even (1) */
    CU_ASSERT_EQUAL(fmt_f32_to_e4m3(1.1875f), 0x3a);       /* tie 1.125 | 1.25 -> even (1.25) */
    CU_ASSERT_EQUAL(fmt_f32_to_e4m3(1000.0f), 0x7e);       /* saturate */
    CU_ASSERT_EQUAL(fmt_f32_to_e4m3(-INFINITY), 0xfe);
    CU_ASSERT_EQUAL(fmt_f32_to_e4m3(464.0f), 0x7e);
    CU_ASSERT_EQUAL(fmt_f32_to_e4m3(0.0009765625f), 0x00); /* 2^-10: tie 0 | 2^-9 -> 0 */
    CU_ASSERT_EQUAL(fmt_f32_to_e4m3(0.0029296875f), 0x02); /* 1.5·2^-9: tie 1 | 2 -> 2 */
    for (int c = 0; c < 256; c++) {
        if ((c & 0x7f) == 0x7f) continue;
        float f = fmt_e4m3_to_f32((uint8_t)c);
        CU_ASSERT_EQUAL(fmt_f32_to_e4m3(f), (uint8_t)c);
    }
    int bad = 0;
    for (int i = 0; i < 20000; i++) {
        float f = ldexpf(rndf(), (int)(rnd() % 24) - 12);
        if (fmt_f32_to_e4m3(f) != brute_e4m3(f) && bad++ < 3)
            printf("    e4m3(%.9g): got 0x%02x want 0x%02x\n", f, fmt_f32_to_e4m3(f), brute_e4m3(f));
    }
    /* exact midpoints between neighbours */
    for (int c = 0; c < 0x7e; c++) {
        float mid = (float)((ref_e4m3((uint8_t)c) + ref_e4m3((uint8_t)(c + 1))) / 2);
        if (fmt_f32_to_e4m3(mid) != brute_e4m3(mid) && bad++ < 6)
            printf("    e4m3 tie %.9g: got 0x%02x want 0x%02x\n", mid, fmt_f32_to_e4m3(mid),
                   brute_e4m3(mid));
    }
    CU_ASSERT_EQUAL(bad, 0);
}

static void test_e2m1_encode(void) {
    static const float in[] = {0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5.0f, 7.0f, 100.f, 0.1f,
                               0.26f, -0.75f, -5.0f, 2.9f};
    static const float out[] = {0, 1, 1, 2, 2, 4, 4, 6, 6, 0, 0.5f, -1, -4, 3};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        float got = fmt_e2m1_to_f32(fmt_f32_to_e2m1(in[i]));
        if (got != out[i]) printf("    e2m1(%g) = %g, want %g\n", in[i], got, out[i]);
        CU_ASSERT_EQUAL(got, out[i]);
    }
    for (int c = 0; c < 16; c++) CU_ASSERT_EQUAL(fmt_f32_to_e2m1(fmt_e2m1_to_f32((uint8_t)c)), c);
    /* brute force: nearest magnitude code, ties to the even code, saturating at 6 */
    int bad = 0;
    for (int i = 0; i < 20000; i++) {
        float f = rndf() * 8.0f;
        if (i < 16) f = (float)(i * 0.5 - 4.0) + 0.25f;     /* exact midpoints and grid points */
        double a = fmin(fabs((double)f), 6.0), bd = INFINITY;
        int best = 0;
        for (int c = 0; c < 8; c++) {
            double d = fabs(ref_e2m1((uint8_t)c) - a);
            if (d < bd || (d == bd && !(c & 1))) { bd = d; best = c; }
        }
        uint8_t want = (uint8_t)((f < 0 ? 8 : 0) | best);
        if (fmt_f32_to_e2m1(f) != want && bad++ < 3)
            printf("    e2m1(%.9g): got 0x%x want 0x%x\n", f, fmt_f32_to_e2m1(f), want);
    }
    CU_ASSERT_EQUAL(bad, 0);
}

static void test_bf16_f16_encode(void) {
    CU_ASSERT_EQUAL(fmt_f32_to_bf16(1.0f), 0x3f80);
    CU_ASSERT_EQUAL(fmt_f32_to_bf16(1.00390625f), 0x3f80);   /* 1+2^-8: tie -> even (1.0) */
    CU_ASSERT_EQUAL(fmt_f32_to_bf16(1.01171875f), 0x3f82);   /* 1+3·2^-8: tie -> even */
    CU_ASSERT(isnan(fmt_bf16_to_f32(fmt_f32_to_bf16(NAN))));
    CU_ASSERT_EQUAL(fmt_f32_to_f16(1.0f), 0x3c00);
    CU_ASSERT_EQUAL(fmt_f32_to_f16(65504.0f), 0x7bff);
    CU_ASSERT_EQUAL(fmt_f32_to_f16(1e6f), 0x7c00);
    CU_ASSERT_EQUAL(fmt_f32_to_f16(1.00048828125f), 0x3c00); /* 1+2^-11: tie -> even */
    CU_ASSERT_EQUAL(fmt_f32_to_f16(0x1p-24f), 0x0001);
    int bad = 0;
    for (int i = 0; i < 30000; i++) {
        uint16_t v = (uint16_t)rnd();
        if (((v >> 7) & 0xff) != 0xff && fmt_f32_to_bf16(fmt_bf16_to_f32(v)) != v) bad++;
        if (((v >> 10) & 0x1f) != 0x1f && fmt_f32_to_f16(fmt_f16_to_f32(v)) != v) bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
}

/* --------------------------------------------------------------------------------------------
 * Products
 * ------------------------------------------------------------------------------------------ */
typedef struct {
    v4_weight w;
    uint8_t *data, *scale;
    double *deq;   /* [rows][cols] test-decoded values */
} test_weight;

static void tw_free(test_weight *t) {
    free(t->data);
    free(t->scale);
    free(t->deq);
}

/* Random weight of the given format, decoded independently into t->deq. */
static void tw_make(test_weight *t, fmt_kind k, int rows, int cols) {
    memset(t, 0, sizeof *t);
    v4_weight *w = &t->w;
    w->fmt = k;
    w->rows = rows;
    w->cols = cols;
    w->name = "test";
    size_t n = (size_t)rows * cols;
    t->deq = malloc(n * sizeof(double));
    switch (k) {
    case FMT_F32: {
        float *d = malloc(n * 4);
        for (size_t i = 0; i < n; i++) { d[i] = rndf(); t->deq[i] = d[i]; }
        t->data = (uint8_t *)d;
        break;
    }
    case FMT_BF16: case FMT_F16: {
        uint16_t *d = malloc(n * 2);
        for (size_t i = 0; i < n; i++) {
            d[i] = k == FMT_BF16 ? fmt_f32_to_bf16(rndf()) : fmt_f32_to_f16(rndf());
            t->deq[i] = k == FMT_BF16 ? ref_bf16(d[i]) : ref_f16(d[i]);
        }
        t->data = (uint8_t *)d;
        break;
    }
    case FMT_FP8: {
        w->block_r = w->block_c = 128;
        w->scale_rows = (rows + 127) / 128;
        w->scale_cols = (cols + 127) / 128;
        t->data = malloc(n);
        t->scale = malloc((size_t)w->scale_rows * w->scale_cols);
        for (int i = 0; i < w->scale_rows * w->scale_cols; i++) t->scale[i] = 118 + rnd() % 12;
        for (size_t i = 0; i < n; i++) {
            uint8_t b;
            do b = (uint8_t)rnd(); while ((b & 0x7f) == 0x7f);
            t->data[i] = b;
            int r = (int)(i / cols), c = (int)(i % cols);
            t->deq[i] = ref_e4m3(b) * ref_e8m0(t->scale[(r / 128) * w->scale_cols + c / 128]);
        }
        break;
    }
    case FMT_FP4: {
        w->block_r = 1;
        w->block_c = 32;
        w->scale_rows = rows;
        w->scale_cols = (cols + 31) / 32;
        t->data = malloc(n / 2);
        t->scale = malloc((size_t)rows * w->scale_cols);
        for (int i = 0; i < rows * w->scale_cols; i++) t->scale[i] = 122 + rnd() % 8;
        for (size_t i = 0; i < n / 2; i++) t->data[i] = (uint8_t)rnd();
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                uint8_t byte = t->data[(size_t)r * (cols / 2) + c / 2];
                uint8_t code = (c % 2 == 0) ? (byte & 15) : (byte >> 4);
                t->deq[(size_t)r * cols + c] =
                    ref_e2m1(code) * ref_e8m0(t->scale[(size_t)r * w->scale_cols + c / 32]);
            }
        break;
    }
    default: break;
    }
    w->data = t->data;
    w->scale = t->scale;
}

/* Y[n][nr] in double from the test-decoded weights. */
static void ref_product(const test_weight *t, int r0, int nr, const float *X, int n, float *Y) {
    int cols = t->w.cols;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < nr; i++) {
            double acc = 0;
            for (int c = 0; c < cols; c++) acc += t->deq[(size_t)(r0 + i) * cols + c] * X[(size_t)j * cols + c];
            Y[(size_t)j * nr + i] = (float)acc;
        }
}

/* Tolerance for float-accumulated dot products: 1e-5 of the largest sum |w|·|x| over the rows
 * and the n input vectors (a wrong scale, nibble or block index is off by far more). */
static float prod_tol(const test_weight *t, const float *X, int n) {
    double worst = 0;
    int cols = t->w.cols;
    for (int j = 0; j < n; j++)
        for (int r = 0; r < t->w.rows; r++) {
            double s = 0;
            for (int c = 0; c < cols; c++)
                s += fabs(t->deq[(size_t)r * cols + c]) * fabs(X[(size_t)j * cols + c]);
            worst = fmax(worst, s);
        }
    return (float)(worst * 1e-5 + 1e-6);
}

static void check_format(fmt_kind k, int rows, int cols) {
    test_weight t;
    tw_make(&t, k, rows, cols);
    printf("    format %s [%d x %d]\n", fmt_name(k), rows, cols);
    const int n = 7;
    float *X = malloc((size_t)n * cols * 4);
    for (int i = 0; i < n * cols; i++) X[i] = rndf();
    float *want = malloc((size_t)n * rows * 4), *got = malloc((size_t)n * rows * 4);
    float tol = prod_tol(&t, X, n);

    /* dequantisation is exact */
    float *row = malloc((size_t)cols * 4);
    int exact = 1;
    for (int r = 0; r < rows; r += 7) {
        fmt_dequant_row(&t.w, r, row);
        for (int c = 0; c < cols; c++) exact &= (double)row[c] == t.deq[(size_t)r * cols + c];
    }
    CU_ASSERT(exact);
    float *rows3 = malloc((size_t)3 * cols * 4);
    fmt_dequant_rows(&t.w, rows - 3, 3, rows3);
    for (int c = 0; c < 3 * cols; c++) exact &= (double)rows3[c] == t.deq[(size_t)(rows - 3) * cols + c];
    CU_ASSERT(exact);

    /* whole weight and a row range that crosses block boundaries */
    int ranges[2][2] = {{0, rows}, {rows / 3 + 1, rows - rows / 3 - 2}};
    for (int g = 0; g < 2; g++) {
        int r0 = ranges[g][0], nr = ranges[g][1];
        ref_product(&t, r0, nr, X, n, want);
        fmt_counters cnt = {0, 0};
        fmt_matvec(&t.w, r0, nr, X, got, &cnt);
        CU_ASSERT(check_tensor(got, want, (size_t)nr, "matvec", tol));
        CU_ASSERT_EQUAL(cnt.flops, 2.0 * nr * cols);
        CU_ASSERT(cnt.weight_bytes > 0);
        fmt_matvec_ref(&t.w, r0, nr, X, got);
        CU_ASSERT(check_tensor(got, want, (size_t)nr, "matvec_ref", tol));
        memset(&cnt, 0, sizeof cnt);
        fmt_matmul(&t.w, r0, nr, X, n, got, &cnt);
        CU_ASSERT(check_tensor(got, want, (size_t)n * nr, "matmul", tol));
        CU_ASSERT_EQUAL(cnt.flops, 2.0 * nr * cols * n);
        fmt_matmul_ref(&t.w, r0, nr, X, n, got);
        CU_ASSERT(check_tensor(got, want, (size_t)n * nr, "matmul_ref", tol));
        fmt_matmul(&t.w, r0, nr, X, 1, got, NULL);
        CU_ASSERT(check_tensor(got, want, (size_t)nr, "matmul_n1", tol));
    }
    free(rows3);
    free(row);
    free(X);
    free(want);
    free(got);
    tw_free(&t);
}

static void test_products_f32(void) { check_format(FMT_F32, 45, 83); }
static void test_products_bf16(void) { check_format(FMT_BF16, 131, 77); }
static void test_products_f16(void) { check_format(FMT_F16, 29, 301); }
static void test_products_fp8(void) { check_format(FMT_FP8, 261, 300); }
static void test_products_fp4(void) { check_format(FMT_FP4, 67, 100); }
static void test_products_fp4_large(void) { check_format(FMT_FP4, 300, 1024); }

/* Stored data at an odd address (a file written without padding) decodes the same. */
static void test_unaligned_data(void) {
    fmt_kind kinds[3] = {FMT_BF16, FMT_F16, FMT_F32};
    for (int k = 0; k < 3; k++) {
        test_weight t;
        tw_make(&t, kinds[k], 9, 37);
        size_t nb = fmt_weight_bytes(&t.w);
        uint8_t *shifted = malloc(nb + 1);
        memcpy(shifted + 1, t.data, nb);
        v4_weight w = t.w;
        w.data = shifted + 1;
        float a[37], b[37], x[37], ya[9], yb[9];
        for (int i = 0; i < 37; i++) x[i] = rndf();
        int same = 1;
        for (int r = 0; r < 9; r++) {
            fmt_dequant_row(&t.w, r, a);
            fmt_dequant_row(&w, r, b);
            same &= !memcmp(a, b, sizeof a);
        }
        CU_ASSERT(same);
        fmt_matvec(&t.w, 0, 9, x, ya, NULL);
        fmt_matvec(&w, 0, 9, x, yb, NULL);
        CU_ASSERT(check_tensor(yb, ya, 9, fmt_name(kinds[k]), 1e-5f));
        free(shifted);
        tw_free(&t);
    }
}

static void test_weight_bytes(void) {
    test_weight t;
    tw_make(&t, FMT_FP8, 130, 260);
    CU_ASSERT_EQUAL(fmt_weight_bytes(&t.w), (size_t)130 * 260 + 2 * 3);
    tw_free(&t);
    tw_make(&t, FMT_FP4, 4, 64);
    CU_ASSERT_EQUAL(fmt_weight_bytes(&t.w), (size_t)4 * 32 + 4 * 2);
    tw_free(&t);
}

/* FP4 nibble order: low nibble is the even column. */
static void test_fp4_nibble_order(void) {
    uint8_t data[16] = {0};
    uint8_t scale[1] = {127};
    data[0] = 0x72;   /* col 0 = code 2 (1.0), col 1 = code 7 (6.0) */
    data[1] = 0xc1;   /* col 2 = code 1 (0.5), col 3 = code 0xc (-2.0) */
    v4_weight w = {FMT_FP4, 1, 32, data, scale, 1, 1, 1, 32, "nib"};
    float row[32];
    fmt_dequant_row(&w, 0, row);
    CU_ASSERT_EQUAL(row[0], 1.0f);
    CU_ASSERT_EQUAL(row[1], 6.0f);
    CU_ASSERT_EQUAL(row[2], 0.5f);
    CU_ASSERT_EQUAL(row[3], -2.0f);
    scale[0] = 0;     /* E8M0 byte 0 scales by 2^-127, not by 0 */
    fmt_dequant_row(&w, 0, row);
    CU_ASSERT_EQUAL((double)row[1], 6.0 * ldexp(1.0, -127));
    CU_ASSERT(row[1] != 0.0f);
}

/* --------------------------------------------------------------------------------------------
 * QAT emulations
 * ------------------------------------------------------------------------------------------ */
static void test_fq8(void) {
    float v[4] = {1000.0f, 1.0f, -3.0f, 0.0f};
    fmt_fq8(v, 4, 4);
    /* amax 1000 -> s = 2^ceil(log2(1000/448)) = 4; 250 -> 256 (grid step 16 there) */
    CU_ASSERT_EQUAL(v[0], 1024.0f);
    CU_ASSERT_EQUAL(v[1], 1.0f);
    CU_ASSERT_EQUAL(v[2], -3.0f);
    CU_ASSERT_EQUAL(v[3], 0.0f);
    float z[3] = {0, 0, 0};
    fmt_fq8(z, 3, 64);
    CU_ASSERT(z[0] == 0 && z[1] == 0 && z[2] == 0);
    /* blocks are independent: block 2 small values keep precision */
    float b[4] = {448.0f, 300.0f, 0.01f, 0.0123f};
    fmt_fq8(b, 4, 2);
    CU_ASSERT_EQUAL(b[0], 448.0f);
    CU_ASSERT_EQUAL(b[1], 288.0f);                         /* 300 -> 288 (step 32 in [256,448]) */
    CU_ASSERT(fabsf(b[3] - 0.0123f) < 0.0123f / 16);
    /* every output is e4m3 value × a power-of-two scale and within relative 1/16 */
    float r[64], o[64];
    for (int i = 0; i < 64; i++) r[i] = o[i] = rndf() * 37.0f;
    fmt_fq8(r, 64, 64);
    float amax = 0;
    for (int i = 0; i < 64; i++) amax = fmaxf(amax, fabsf(o[i]));
    for (int i = 0; i < 64; i++) CU_ASSERT(fabsf(r[i] - o[i]) <= fmaxf(fabsf(o[i]) / 16, amax / 448 / 8 * 1.01f));
}

static void test_fq4(void) {
    float v[4] = {6.0f, 0.7f, -2.9f, 0.1f};
    fmt_fq4(v, 4, 4);
    CU_ASSERT_EQUAL(v[0], 6.0f);
    CU_ASSERT_EQUAL(v[1], 0.5f);
    CU_ASSERT_EQUAL(v[2], -3.0f);
    CU_ASSERT_EQUAL(v[3], 0.0f);
    float w[2] = {12.0f, 1.2f};   /* s = 2: 6 -> 12, 0.6 -> 0.5 -> 1.0 */
    fmt_fq4(w, 2, 32);
    CU_ASSERT_EQUAL(w[0], 12.0f);
    CU_ASSERT_EQUAL(w[1], 1.0f);
    float z[5] = {0};
    fmt_fq4(z, 5, 32);
    CU_ASSERT(z[0] == 0 && z[4] == 0);
}

static void test_hadamard(void) {
    enum { N = 128 };
    float v[N], o[N];
    for (int i = 0; i < N; i++) v[i] = o[i] = rndf();
    fmt_hadamard(v, N);
    float want[N];
    for (int i = 0; i < N; i++) {
        double acc = 0;
        for (int j = 0; j < N; j++) acc += (__builtin_popcount(i & j) & 1 ? -1.0 : 1.0) * o[j];
        want[i] = (float)(acc / sqrt(N));
    }
    CU_ASSERT(check_tensor(v, want, N, "hadamard", 1e-5f));
    fmt_hadamard(v, N);                                     /* orthogonal and symmetric: H·H = I */
    CU_ASSERT(check_tensor(v, o, N, "hadamard^2", 1e-5f));
}

static const test_case TESTS[] = {
    {"e8m0_decode", test_e8m0_decode},
    {"e4m3_decode", test_e4m3_decode},
    {"e2m1_decode", test_e2m1_decode},
    {"bf16_f16_decode", test_bf16_f16_decode},
    {"e4m3_encode", test_e4m3_encode},
    {"e2m1_encode", test_e2m1_encode},
    {"bf16_f16_encode", test_bf16_f16_encode},
    {"fp4_nibble_order", test_fp4_nibble_order},
    {"weight_bytes", test_weight_bytes},
    {"unaligned_data", test_unaligned_data},
    {"products_f32", test_products_f32},
    {"products_bf16", test_products_bf16},
    {"products_f16", test_products_f16},
    {"products_fp8", test_products_fp8},
    {"products_fp4", test_products_fp4},
    {"products_fp4_large", test_products_fp4_large},
    {"fq8", test_fq8},
    {"fq4", test_fq4},
    {"hadamard", test_hadamard},
    {NULL, NULL},
};
TEST_MAIN("formats", TESTS)
