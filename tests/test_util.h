/*
 * test_util.h — the shared frame of every CUnit test program.
 *
 * A test file lists its cases and ends with TEST_MAIN:
 *
 *     static void test_something(void) { CU_ASSERT_EQUAL(1 + 1, 2); }
 *     static const test_case TESTS[] = { {"something", test_something}, {NULL, NULL} };
 *     TEST_MAIN("formats", TESTS)
 *
 * The program runs from the repository root (make test does this), prints CUnit's verbose
 * report, then "V4TEST name run=N failed=M" for scripts/run-tests, and exits 1 on any failure.
 * check_tensor is llm.c's pattern: max |a-b| and the first mismatches, printed, then judged.
 */
#ifndef V4_TEST_UTIL_H
#define V4_TEST_UTIL_H

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/v4.h"

typedef struct {
    const char *name;
    void (*fn)(void);
} test_case;

/* test_skip: prints a clear skip message (the case then counts as passed). */
#define test_skip(...) do { printf("  SKIP: "); printf(__VA_ARGS__); printf("\n"); } while (0)

/* check_tensor: compares n floats, prints label, max abs diff and up to 5 mismatches;
 * returns 1 when every |a-b| <= tol (NaN never matches). */
static inline int check_tensor(const float *a, const float *b, size_t n, const char *label,
                               float tol) {
    double maxd = 0; size_t bad = 0, worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (isnan(d)) d = INFINITY;
        if (d > maxd) { maxd = d; worst = i; }
        if (d > tol) {
            if (bad < 5) printf("    %s[%zu]: %.8g vs %.8g\n", label, i, a[i], b[i]);
            bad++;
        }
    }
    printf("    %s: n=%zu max_abs_diff=%.3g (at %zu) tol=%.1g %s\n", label, n, maxd, worst, tol,
           bad ? "MISMATCH" : "ok");
    return bad == 0;
}

/* topk_slots_differ: how many of the k slots of ref (entry ids, -1 = unused) the k slots of got
 * do not match as a multiset (order free); 0 = the same selection. */
static inline int topk_slots_differ(const int32_t *got, const int32_t *ref, int k) {
    int bad = 0;
    for (int j = 0; j < k; j++) {
        int in_g = 0, in_r = 0;
        for (int i = 0; i < k; i++) { in_g += got[i] == ref[j]; in_r += ref[i] == ref[j]; }
        bad += in_g != in_r;
    }
    return bad;
}

/* read_file_all: whole file into a malloc'ed NUL-terminated buffer, NULL if unreadable. */
static inline char *read_file_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END); long n = ftell(f); fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) { free(buf); buf = NULL; }
    fclose(f);
    if (buf) { buf[n] = 0; if (len) *len = (size_t)n; }
    return buf;
}

#define TEST_MAIN(suite_name, cases)                                                          \
    int main(int argc, char **argv) {                                                          \
        v4_blas_setup(argc, argv);                                                             \
        if (CU_initialize_registry() != CUE_SUCCESS) return 2;                                 \
        CU_pSuite s_ = CU_add_suite(suite_name, NULL, NULL);                                   \
        const char *only_ = argc > 1 ? argv[1] : NULL;                                         \
        for (const test_case *c_ = cases; c_->name; c_++)                                      \
            if (!only_ || strstr(c_->name, only_)) CU_add_test(s_, c_->name, c_->fn);          \
        CU_basic_set_mode(CU_BRM_VERBOSE);                                                     \
        CU_basic_run_tests();                                                                  \
        unsigned run_ = CU_get_number_of_tests_run(), failed_ = CU_get_number_of_tests_failed(); \
        printf("V4TEST %s run=%u failed=%u\n", suite_name, run_, failed_);                     \
        CU_cleanup_registry();                                                                 \
        return failed_ ? 1 : 0;                                                                \
    }

#endif /* V4_TEST_UTIL_H */
