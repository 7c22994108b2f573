/*
 * blas_env.c — make OpenBLAS use its best kernel on this CPU.
 *
 * Debian's OpenBLAS 0.3.21 does not recognise some AVX-512 CPUs (e.g. recent AMD EPYC) and
 * falls back to its Prescott core, ~5x slower for SGEMM. The core type can only be chosen
 * through OPENBLAS_CORETYPE before the library initialises (at load time), so when it is unset
 * we set it from the CPU's features and re-exec the program once. V4EVAL_BLAS_REEXEC guards
 * against loops; a user-set OPENBLAS_CORETYPE is always respected.
 *
 * The same re-exec sets OMP_WAIT_POLICY=PASSIVE when the user has not chosen a policy: the
 * engine alternates short OpenMP regions with OpenBLAS's own pthreads, and spinning OpenMP
 * workers then steal the cores BLAS needs (measured on 2 cores: decode 1.2 tok/s spinning vs
 * ~1100 tok/s passive). Like the core type, it is only read when the runtime starts.
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
    if (getenv("V4EVAL_BLAS_REEXEC")) return;
    int changed = 0;
    if (!getenv("OPENBLAS_CORETYPE")) {
        const char *core = blas_pick_core();
        /* Only worth it when the library would otherwise pick another core. */
        const char *now = openblas_get_corename();
        if (core && !(now && !strcasecmp(now, core))) {
            setenv("OPENBLAS_CORETYPE", core, 1);
            changed = 1;
        }
    }
    if (!getenv("OMP_WAIT_POLICY")) {
        setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
        changed = 1;
    }
    if (!changed) return;
    setenv("V4EVAL_BLAS_REEXEC", "1", 1);
    execv("/proc/self/exe", argv);
    /* exec failed: continue with the settings the runtimes already read */
}

const char *v4_blas_kernel(void) {
    const char *n = openblas_get_corename();
    return n ? n : "unknown";
}
