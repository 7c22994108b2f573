/*
 * blas_env.c — make OpenBLAS use its best kernel on this CPU.
 *
 * Debian's OpenBLAS 0.3.21 does not recognise some AVX-512 CPUs (e.g. recent AMD EPYC) and
 * falls back to its Prescott core, ~5x slower for SGEMM. The core type can only be chosen
 * through OPENBLAS_CORETYPE before the library initialises (at load time), so when it is unset
 * we set it from the CPU's features and re-exec the program once. V4EVAL_BLAS_REEXEC guards
 * against loops; a user-set OPENBLAS_CORETYPE is always respected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine/v4.h"

extern char *openblas_get_corename(void);

static const char *blas_pick_core(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
    return NULL;
}

void v4_blas_setup(int argc, char **argv) {
    (void)argc;
    if (getenv("OPENBLAS_CORETYPE") || getenv("V4EVAL_BLAS_REEXEC")) return;
    const char *core = blas_pick_core();
    if (!core) return;
    /* Only worth a re-exec when the library would otherwise pick a slower core. */
    const char *now = openblas_get_corename();
    if (now && !strcasecmp(now, core)) return;
    setenv("OPENBLAS_CORETYPE", core, 1);
    setenv("V4EVAL_BLAS_REEXEC", "1", 1);
    execv("/proc/self/exe", argv);
    /* exec failed: continue on the default kernel */
}

const char *v4_blas_kernel(void) {
    const char *n = openblas_get_corename();
    return n ? n : "unknown";
}
