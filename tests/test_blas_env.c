/* test_blas_env.c — the OpenBLAS kernel chosen by v4_blas_setup, and SGEMM against a scalar
 * reference product (kernel level). */
#include <cblas.h>
#include "tests/test_util.h"

static void test_kernel_reported(void) {
    const char *k = v4_blas_kernel();
    printf("    OpenBLAS core: %s (OPENBLAS_CORETYPE=%s)\n", k,
           getenv("OPENBLAS_CORETYPE") ? getenv("OPENBLAS_CORETYPE") : "unset");
    CU_ASSERT_PTR_NOT_NULL(k);
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
        CU_ASSERT_STRING_NOT_EQUAL(k, "Prescott");
}

static void test_sgemm_matches_scalar(void) {
    enum { M = 37, N = 53, K = 71 };
    static float A[M * K], B[K * N], C[M * N], R[M * N];
    unsigned s = 1;
    for (int i = 0; i < M * K; i++) { s = s * 1103515245u + 12345u; A[i] = (float)((s >> 8) % 2001) / 1000.f - 1.f; }
    for (int i = 0; i < K * N; i++) { s = s * 1103515245u + 12345u; B[i] = (float)((s >> 8) % 2001) / 1000.f - 1.f; }
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double acc = 0;
            for (int k = 0; k < K; k++) acc += (double)A[i * K + k] * B[k * N + j];
            R[i * N + j] = (float)acc;
        }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.f, A, K, B, N, 0.f, C, N);
    CU_ASSERT(check_tensor(C, R, M * N, "sgemm", 1e-4f));
}

static const test_case TESTS[] = {
    {"kernel_reported", test_kernel_reported},
    {"sgemm_matches_scalar", test_sgemm_matches_scalar},
    {NULL, NULL},
};
TEST_MAIN("blas_env", TESTS)
