/*
 * sandbox.h — run one untrusted Python program in a contained child process.
 *
 * One fork per program. The child starts a new session (its own process group), drops root to
 * nobody when it runs as root (so RLIMIT_NPROC applies), enters new user + network + PID
 * namespaces when the kernel allows it (no network; every process it starts dies with it),
 * restricts file-system writes to its private temp dir with Landlock when available (plus TCP
 * bind/connect and signals outside itself), sets rlimits (address space, CPU seconds, processes,
 * file size, open files, no core), reads stdin from /dev/null, runs in a fresh mkdtemp
 * directory as cwd, and execs /usr/bin/python3 -I -B on the program with a minimal environment.
 * The parent kills the whole process group with SIGKILL at the wall-clock deadline and after the
 * child exits, and removes the temp dir. Every isolation layer that could not be applied is
 * recorded in the result (never silently dropped).
 *
 * Status: pass (exit 0), fail (non-zero exit, uncaught exception, syntax error, MemoryError),
 * timeout (wall clock or CPU limit), error (the sandbox itself could not run the program).
 */
#ifndef V4_SANDBOX_H
#define V4_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    double wall_timeout_s;   /* wall-clock limit (default 3.0, HumanEval's) */
    int cpu_seconds;         /* RLIMIT_CPU soft limit (hard = soft + 1); default 4 */
    uint64_t as_bytes;       /* RLIMIT_AS; default 4 GiB */
    int nproc;               /* RLIMIT_NPROC; default 32 */
    uint64_t fsize_bytes;    /* RLIMIT_FSIZE; default 16 MiB */
    int nofile;              /* RLIMIT_NOFILE; default 64 */
    size_t max_output;       /* bytes of stdout+stderr kept (the rest is counted); default 64 KiB */
    const char *python;      /* interpreter; default "/usr/bin/python3" */
    int use_namespaces;      /* 1 (default) = try user/net/pid namespaces; 0 = group kill only */
    int use_landlock;        /* 1 (default) = confine writes with Landlock when available */
} sandbox_limits;

typedef enum { SANDBOX_PASS = 0, SANDBOX_FAIL, SANDBOX_TIMEOUT, SANDBOX_ERROR } sandbox_status;

typedef struct {
    sandbox_status status;
    int exit_code;           /* exit status, or -1 when killed by a signal */
    int term_signal;         /* the signal, 0 when it exited */
    double wall_s;           /* wall-clock seconds from fork to reap */
    int uid_dropped;         /* 1 = ran as nobody (65534) */
    int net_isolated;        /* 1 = in a new network namespace */
    int pid_isolated;        /* 1 = in a new PID namespace (whole tree dies with it) */
    int fs_isolated;         /* 1 = Landlock confines writes to the temp dir */
    int landlock_abi;        /* Landlock ABI version, 0 = unavailable */
    char *output;            /* captured stdout+stderr, NUL-terminated, malloc'ed */
    size_t output_bytes;     /* total bytes the program wrote (may exceed what was kept) */
    char error[256];         /* SANDBOX_ERROR: what failed */
} sandbox_result;

/* sandbox_default_limits: the defaults listed above. */
sandbox_limits sandbox_default_limits(void);

/* sandbox_run_python: runs `program` (Python source) under `lim` (NULL = defaults) and fills *r.
 * Returns 0 when the program ran (any status but error), -1 with r->status = SANDBOX_ERROR and
 * r->error set when the sandbox could not be set up. Free r with sandbox_result_free. */
int sandbox_run_python(const char *program, const sandbox_limits *lim, sandbox_result *r);

void sandbox_result_free(sandbox_result *r);

/* sandbox_status_name: "pass", "fail", "timeout", "error". */
const char *sandbox_status_name(sandbox_status s);

#endif /* V4_SANDBOX_H */
