/*
 * kbench.c — kernel microbenchmark behind `v4eval bench --kernels` (v4_kernel_bench in v4.h).
 * For every weight format it builds one random weight in memory at the requested shape (valid
 * codes only: no E4M3 NaN, E8M0 scales near 1), then times the dispatched fast product
 * (fmt_matvec / fmt_matmul) and the plain scalar reference (fmt_*_ref) on the same inputs in
 * the same run, so their ratio is not disturbed by other load on the machine. It also reports
 * the largest relative difference between the two results, so a fast number never hides a
 * wrong one. Buffers are allocated once per format; nothing is kept between calls.
 */

#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "engine/formats.h"
#include "engine/kernels/kern.h"
#include "engine/v4.h"

extern void openblas_set_num_threads(int); /* OpenBLAS extension (engine/model.c too) */

static double kb_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t kb_next(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static float kb_unif(uint64_t *s) { return (float)((kb_next(s) >> 40) * 0x1p-24) * 2.0f - 1.0f; }

/* kb_weight: fills w (format k, rows×cols) with random valid codes; data/scale malloc'ed. */
static int kb_weight(fmt_kind k, int rows, int cols, uint64_t *rng, v4_weight *w, void **data,
                     uint8_t **scale) {
    memset(w, 0, sizeof *w);
    w->fmt = k;
    w->rows = rows;
    w->cols = cols;
    w->name = "bench";
    size_t n = (size_t)rows * cols, bytes = k == FMT_F32   ? 4 * n
                                            : k == FMT_FP8 ? n
                                            : k == FMT_FP4 ? n / 2
                                                           : 2 * n;
    uint8_t *d = malloc(bytes ? bytes : 1);
    *data = d;
    *scale = NULL;
    if (!d) return -1;
    for (size_t i = 0; i < n; i++) {
        float v = kb_unif(rng) * 0.05f;
        switch (k) {
        case FMT_F32:
            memcpy(d + 4 * i, &v, 4);
            break;
        case FMT_BF16: {
            uint16_t h = fmt_f32_to_bf16(v);
            memcpy(d + 2 * i, &h, 2);
            break;
        }
        case FMT_F16: {
            uint16_t h = fmt_f32_to_f16(v);
            memcpy(d + 2 * i, &h, 2);
            break;
        }
        case FMT_FP8:
            d[i] = fmt_f32_to_e4m3(v * 4000.0f);
            break;
        case FMT_FP4:
            if (i % 2 == 0) d[i / 2] = (uint8_t)(kb_next(rng) & 0xff);
            break;
        default:
            break;
        }
    }
    if (k == FMT_FP8 || k == FMT_FP4) {
        w->block_r = k == FMT_FP8 ? 128 : 1;
        w->block_c = k == FMT_FP8 ? 128 : 32;
        w->scale_rows = (rows + w->block_r - 1) / w->block_r;
        w->scale_cols = (cols + w->block_c - 1) / w->block_c;
        uint8_t *s = malloc((size_t)w->scale_rows * w->scale_cols);
        if (!s) return -1;
        for (int i = 0; i < w->scale_rows * w->scale_cols; i++)
            s[i] = (uint8_t)(k == FMT_FP8 ? 112 + kb_next(rng) % 4 : 120 + kb_next(rng) % 4);
        *scale = s;
        w->scale = s;
    }
    w->data = d;
    return 0;
}

static double kb_relerr(const float *a, const float *b, size_t n) {
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]);
        if (e > num) num = e;
        if (fabs((double)b[i]) > den) den = fabs((double)b[i]);
    }
    return den > 0 ? num / den : num;
}

/* kb_time: runs the product until min_s has passed (at least once); seconds per call. */
static double kb_time(const v4_weight *w, const float *X, int n, float *Y, int ref, double min_s) {
    int reps = 0;
    double t0 = kb_now(), t;
    do {
        if (ref)
            fmt_matmul_ref(w, 0, w->rows, X, n, Y);
        else if (n == 1)
            fmt_matvec(w, 0, w->rows, X, Y, NULL);
        else
            fmt_matmul(w, 0, w->rows, X, n, Y, NULL);
        reps++;
        t = kb_now() - t0;
    } while (t < min_s);
    return t / reps;
}

int v4_kernel_bench(int rows, int cols, int n, int n_threads, double min_seconds,
                    v4_kbench_row *out, int max_rows) {
    if (n_threads > 0) {
        omp_set_num_threads(n_threads);
        openblas_set_num_threads(n_threads);
    }
    if (rows <= 0 || cols <= 0 || n <= 0 || cols % 2 || max_rows < FMT_COUNT) return -1;
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    float *X = malloc(sizeof(float) * (size_t)n * cols);
    float *Yf = malloc(sizeof(float) * (size_t)n * rows),
          *Yr = malloc(sizeof(float) * (size_t)n * rows);
    if (!X || !Yf || !Yr) {
        free(X);
        free(Yf);
        free(Yr);
        return -1;
    }
    for (size_t i = 0; i < (size_t)n * cols; i++) X[i] = kb_unif(&rng);
    int cnt = 0;
    for (int k = 0; k < FMT_COUNT; k++) {
        v4_weight w;
        void *data;
        uint8_t *scale;
        if (kb_weight((fmt_kind)k, rows, cols, &rng, &w, &data, &scale)) {
            free(data);
            free(scale);
            cnt = -1;
            break;
        }
        v4_kbench_row *r = &out[cnt++];
        memset(r, 0, sizeof *r);
        snprintf(r->format, sizeof r->format, "%s", fmt_name((fmt_kind)k));
        r->rows = rows;
        r->cols = cols;
        r->n = n;
        r->fast_s = kb_time(&w, X, n, Yf, 0, min_seconds);
        r->ref_s = kb_time(&w, X, n, Yr, 1, min_seconds / 4);
        double fl = 2.0 * rows * (double)cols * n, by = (double)fmt_weight_bytes(&w);
        r->fast_gflops = fl / r->fast_s * 1e-9;
        r->ref_gflops = fl / r->ref_s * 1e-9;
        r->fast_gbs = by / r->fast_s * 1e-9;
        r->ref_gbs = by / r->ref_s * 1e-9;
        r->max_rel_err = kb_relerr(Yf, Yr, (size_t)n * rows);
        free(data);
        free(scale);
    }
    free(X);
    free(Yf);
    free(Yr);
    return cnt;
}

const char *v4_kernel_variant(void) { return kern_best()->name; }
