/*
 * sandbox.c — the contained child process behind the code scorers (see sandbox.h).
 *
 * Parent side: mkdtemp, write prog.py, fork, poll the output pipe until the child exits or the
 * wall-clock deadline passes, SIGKILL the process group (always, also after a normal exit, so
 * sleeping grandchildren die — before reaping the child, so the group id cannot be reused in
 * between), reap, remove the temp dir.
 * Child side, in this order: setsid; stdin/stdout/stderr; drop root to nobody; unshare user +
 * net + pid namespaces (falling back to none); no_new_privs + Landlock; rlimits; chdir; exec.
 * With a PID namespace the child forks twice more: PID 1 of the namespace is a minimal init that
 * waits for Python (PID 2); child and init mirror Python's exit status or signal, and when the
 * init exits the kernel kills every process left in the namespace (even ones that called
 * setsid).
 * Between fork and exec the child only makes async-signal-safe calls (no malloc, no stdio):
 * the parent may be multi-threaded (OpenMP). Everything the child needs is prepared before
 * fork. The child reports which isolation layers took effect as single bytes on a CLOEXEC pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "scorers/sandbox.h"

/* Landlock ABI (kernel uapi, stable values; the installed header may be older) */
#define SBX_LL_VERSION 1U
#define SBX_LL_RULE_PATH_BENEATH 1
#define SBX_FS_WRITE_FILE (1ULL << 1)
#define SBX_FS_WRITES_V1 0x1FF2ULL   /* WRITE_FILE, REMOVE_*, MAKE_* (bits 1, 4–12) */
#define SBX_FS_REFER (1ULL << 13)    /* ABI 2 */
#define SBX_FS_TRUNCATE (1ULL << 14) /* ABI 3 */
#define SBX_NET_TCP 0x3ULL           /* ABI 4: BIND_TCP | CONNECT_TCP */
#define SBX_SCOPE_ALL 0x3ULL         /* ABI 6: ABSTRACT_UNIX_SOCKET | SIGNAL */

struct sbx_ll_ruleset { uint64_t handled_access_fs, handled_access_net, scoped; };
struct sbx_ll_path_beneath { uint64_t allowed_access; int32_t parent_fd; } __attribute__((packed));

#define SBX_NOBODY 65534

/* report bytes, child → parent */
#define REP_UID 'u'
#define REP_NET 'n'
#define REP_PID 'p'
#define REP_FS 'f'
#define REP_EXEC_FAILED 'E'
#define REP_SETUP_FAILED 'S'
#define REP_SIGNAL 'K'          /* followed by one byte: the signal that ended Python */

sandbox_limits sandbox_default_limits(void) {
    sandbox_limits l;
    l.wall_timeout_s = 3.0;
    l.cpu_seconds = 4;
    l.as_bytes = 4ULL << 30;
    l.nproc = 32;
    l.fsize_bytes = 16ULL << 20;
    l.nofile = 64;
    l.max_output = 64 * 1024;
    l.python = "/usr/bin/python3";
    l.use_namespaces = 1;
    l.use_landlock = 1;
    return l;
}

const char *sandbox_status_name(sandbox_status s) {
    switch (s) {
    case SANDBOX_PASS: return "pass";
    case SANDBOX_FAIL: return "fail";
    case SANDBOX_TIMEOUT: return "timeout";
    case SANDBOX_ERROR: return "error";
    }
    return "error";
}

void sandbox_result_free(sandbox_result *r) {
    if (!r) return;
    free(r->output);
    r->output = NULL;
}

static double sbx_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int sbx_landlock_abi(void) {
    long v = syscall(SYS_landlock_create_ruleset, NULL, 0, SBX_LL_VERSION);
    return v < 0 ? 0 : (int)v;
}

/* ---- child side: async-signal-safe only ---- */

static void sbx_report(int fd, char c) {
    if (fd >= 0) { ssize_t w = write(fd, &c, 1); (void)w; }
}

/* Landlock: writes only beneath dir (and to /dev/null); no TCP; no signals/abstract sockets
 * outside. Returns 1 when enforced. */
static int sbx_child_landlock(int abi, const char *dir) {
    if (abi < 1) return 0;
    uint64_t fs = SBX_FS_WRITES_V1;
    if (abi >= 2) fs |= SBX_FS_REFER;
    if (abi >= 3) fs |= SBX_FS_TRUNCATE;
    struct sbx_ll_ruleset rs = {fs, abi >= 4 ? SBX_NET_TCP : 0, abi >= 6 ? SBX_SCOPE_ALL : 0};
    size_t sz = abi >= 6 ? 24 : abi >= 4 ? 16 : 8;
    int rfd = (int)syscall(SYS_landlock_create_ruleset, &rs, sz, 0);
    if (rfd < 0) return 0;
    int ok = 0;
    int dfd = open(dir, O_PATH | O_CLOEXEC);
    int nfd = open("/dev/null", O_PATH | O_CLOEXEC);
    if (dfd >= 0) {
        struct sbx_ll_path_beneath pb = {fs, dfd};
        ok = syscall(SYS_landlock_add_rule, rfd, SBX_LL_RULE_PATH_BENEATH, &pb, 0) == 0;
    }
    if (ok && nfd >= 0) {
        struct sbx_ll_path_beneath pb = {SBX_FS_WRITE_FILE | (abi >= 3 ? SBX_FS_TRUNCATE : 0), nfd};
        ok = syscall(SYS_landlock_add_rule, rfd, SBX_LL_RULE_PATH_BENEATH, &pb, 0) == 0;
    }
    if (ok) ok = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0;
    if (ok) ok = syscall(SYS_landlock_restrict_self, rfd, 0) == 0;
    if (dfd >= 0) close(dfd);
    if (nfd >= 0) close(nfd);
    close(rfd);
    return ok;
}

/* sbx_mirror: wait for `child` and end this process the same way. An init (PID 1) cannot die
 * of a signal it sends itself, so it reports the signal on the report pipe (REP_SIGNAL + the
 * number) and exits with 128 + signal; the parent reads the signal from the report. */
static void sbx_mirror(pid_t child, int rep, int is_init) {
    close(0); close(1); close(2);
    int st = 0;
    while (waitpid(child, &st, 0) < 0 && errno == EINTR) {}
    if (WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        if (is_init) {
            char msg[2] = {REP_SIGNAL, (char)sig};
            ssize_t w = write(rep, msg, 2);
            (void)w;
        } else {
            signal(sig, SIG_DFL);
            kill(getpid(), sig);
        }
        _exit(128 + sig);
    }
    _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 126);
}

static int sbx_setlimit(int res, rlim_t soft, rlim_t hard) {
    struct rlimit rl = {soft, hard};
    return setrlimit(res, &rl);
}

typedef struct {
    const char *dir;
    const char *python;
    char *const *argv;
    char *const *envp;
    const sandbox_limits *lim;
    int landlock_abi;
    int out_w, rep_w;
} sbx_child_args;

static void sbx_child(const sbx_child_args *a) {
    int rep = a->rep_w;
    setsid();
    sigset_t none;   /* the signal mask survives exec: start Python with nothing blocked */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (nul < 0 || dup2(nul, 0) < 0 || dup2(a->out_w, 1) < 0 || dup2(a->out_w, 2) < 0) {
        sbx_report(rep, REP_SETUP_FAILED);
        _exit(126);
    }
    if (geteuid() == 0) {
        if (setgroups(0, NULL) != 0 || setresgid(SBX_NOBODY, SBX_NOBODY, SBX_NOBODY) != 0 ||
            setresuid(SBX_NOBODY, SBX_NOBODY, SBX_NOBODY) != 0) {
            sbx_report(rep, REP_SETUP_FAILED);
            _exit(126);
        }
        sbx_report(rep, REP_UID);
    }
    int pidns = 0;
    if (!a->lim->use_namespaces) {
        /* namespaces switched off by the caller */
    } else if (unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWPID) == 0) {
        sbx_report(rep, REP_NET);
        pidns = 1;
    } else if (unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0) {
        sbx_report(rep, REP_NET);
    } else if (unshare(CLONE_NEWNET) == 0) {
        sbx_report(rep, REP_NET);
    }
    if (a->lim->use_landlock && sbx_child_landlock(a->landlock_abi, a->dir)) sbx_report(rep, REP_FS);
    const sandbox_limits *l = a->lim;
    rlim_t cpu = l->cpu_seconds > 0 ? (rlim_t)l->cpu_seconds : 1;
    if (sbx_setlimit(RLIMIT_AS, l->as_bytes, l->as_bytes) || sbx_setlimit(RLIMIT_CPU, cpu, cpu + 1) ||
        sbx_setlimit(RLIMIT_NPROC, (rlim_t)l->nproc, (rlim_t)l->nproc) ||
        sbx_setlimit(RLIMIT_FSIZE, l->fsize_bytes, l->fsize_bytes) ||
        sbx_setlimit(RLIMIT_NOFILE, (rlim_t)l->nofile, (rlim_t)l->nofile) ||
        sbx_setlimit(RLIMIT_CORE, 0, 0) || chdir(a->dir) != 0) {
        sbx_report(rep, REP_SETUP_FAILED);
        _exit(126);
    }
    if (pidns) {
        /* the first child after unshare(CLONE_NEWPID) is PID 1 of the namespace: a small init
         * that only waits for Python (PID 2) — Python keeps normal signal semantics — and whose
         * exit makes the kernel kill everything left in the namespace */
        pid_t init = fork();
        if (init < 0) { sbx_report(rep, REP_SETUP_FAILED); _exit(126); }
        if (init > 0) sbx_mirror(init, rep, 0);
        pid_t py = fork();
        if (py < 0) { sbx_report(rep, REP_SETUP_FAILED); _exit(126); }
        if (py > 0) sbx_mirror(py, rep, 1);
        sbx_report(rep, REP_PID);
    }
    close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    execve(a->python, a->argv, a->envp);
    sbx_report(rep, REP_EXEC_FAILED);
    _exit(127);
}

/* ---- parent side ---- */

static int sbx_rm_one(const char *path, const struct stat *st, int flag, struct FTW *f) {
    (void)st; (void)f;
    if (flag == FTW_DP || flag == FTW_D || flag == FTW_DNR) rmdir(path);
    else unlink(path);
    return 0;
}

static int sbx_chmod_dir(const char *path, const struct stat *st, int flag, struct FTW *f) {
    (void)st; (void)f;
    if (flag == FTW_D || flag == FTW_DNR) chmod(path, 0700);
    return 0;
}

static void sbx_remove_tree(const char *dir) {
    nftw(dir, sbx_chmod_dir, 16, FTW_PHYS);
    nftw(dir, sbx_rm_one, 16, FTW_PHYS | FTW_DEPTH);
    rmdir(dir);
}

static void sbx_take_output(int fd, char *buf, size_t cap, size_t *kept, size_t *total) {
    char tmp[4096];
    for (;;) {
        ssize_t n = read(fd, tmp, sizeof tmp);
        if (n <= 0) return;
        *total += (size_t)n;
        size_t room = cap - *kept;
        size_t c = (size_t)n < room ? (size_t)n : room;
        memcpy(buf + *kept, tmp, c);
        *kept += c;
    }
}

int sandbox_run_python(const char *program, const sandbox_limits *lim_in, sandbox_result *r) {
    memset(r, 0, sizeof *r);
    r->status = SANDBOX_ERROR;
    r->exit_code = -1;
    sandbox_limits lim = lim_in ? *lim_in : sandbox_default_limits();
    if (!lim.python) lim.python = "/usr/bin/python3";
    if (lim.wall_timeout_s <= 0) lim.wall_timeout_s = 3.0;

    const char *tmpbase = getenv("TMPDIR");
    if (!tmpbase || !*tmpbase) tmpbase = "/tmp";
    char dir[512], prog[600], home[540], tmpenv[540];
    if (strlen(tmpbase) > 400) {
        snprintf(r->error, sizeof r->error, "TMPDIR is longer than 400 bytes");
        return -1;
    }
    snprintf(dir, sizeof dir, "%s/v4eval-sbx-XXXXXX", tmpbase);
    if (!mkdtemp(dir)) {
        snprintf(r->error, sizeof r->error, "mkdtemp in %.200s: %s", tmpbase, strerror(errno));
        return -1;
    }
    snprintf(prog, sizeof prog, "%s/prog.py", dir);
    snprintf(home, sizeof home, "HOME=%s", dir);
    snprintf(tmpenv, sizeof tmpenv, "TMPDIR=%s", dir);
    FILE *f = fopen(prog, "w");
    size_t plen = strlen(program);
    if (!f || fwrite(program, 1, plen, f) != plen || fclose(f) != 0) {
        snprintf(r->error, sizeof r->error, "writing %.200s: %s", prog, strerror(errno));
        sbx_remove_tree(dir);
        return -1;
    }
    if (geteuid() == 0 && (chown(dir, SBX_NOBODY, SBX_NOBODY) != 0 ||
                           chown(prog, SBX_NOBODY, SBX_NOBODY) != 0)) {
        snprintf(r->error, sizeof r->error, "chown %.200s to nobody: %s", dir, strerror(errno));
        sbx_remove_tree(dir);
        return -1;
    }
    char *argv[] = {"python3", "-I", "-B", "prog.py", NULL};
    char *envp[] = {"PATH=/usr/bin:/bin", home, tmpenv, "LANG=C.UTF-8", "PYTHONHASHSEED=0",
                    "OPENBLAS_NUM_THREADS=1", "OMP_NUM_THREADS=1", "MKL_NUM_THREADS=1", NULL};
    int outp[2], repp[2];
    if (pipe2(outp, O_CLOEXEC) != 0) {
        snprintf(r->error, sizeof r->error, "pipe: %s", strerror(errno));
        sbx_remove_tree(dir);
        return -1;
    }
    if (pipe2(repp, O_CLOEXEC) != 0) {
        snprintf(r->error, sizeof r->error, "pipe: %s", strerror(errno));
        close(outp[0]); close(outp[1]);
        sbx_remove_tree(dir);
        return -1;
    }
    size_t cap = lim.max_output ? lim.max_output : 1;
    char *buf = malloc(cap + 1);
    if (!buf) {
        snprintf(r->error, sizeof r->error, "out of memory");
        close(outp[0]); close(outp[1]); close(repp[0]); close(repp[1]);
        sbx_remove_tree(dir);
        return -1;
    }
    r->landlock_abi = sbx_landlock_abi();
    sbx_child_args ca = {dir, lim.python, argv, envp, &lim, r->landlock_abi, outp[1], repp[1]};

    double t0 = sbx_now();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(r->error, sizeof r->error, "fork: %s", strerror(errno));
        free(buf);
        close(outp[0]); close(outp[1]); close(repp[0]); close(repp[1]);
        sbx_remove_tree(dir);
        return -1;
    }
    if (pid == 0) sbx_child(&ca);   /* never returns */
    close(outp[1]);
    close(repp[1]);
    fcntl(outp[0], F_SETFL, O_NONBLOCK);
    fcntl(repp[0], F_SETFL, O_NONBLOCK);

    size_t kept = 0, total = 0;
    int st = 0, reaped = 0, timed_out = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    double deadline = t0 + lim.wall_timeout_s;
    while (!reaped) {
        struct pollfd pfd = {outp[0], POLLIN, 0};
        poll(&pfd, 1, 10);
        sbx_take_output(outp[0], buf, cap, &kept, &total);
        /* exited? (not reaped yet: the zombie keeps the group id from being reused until the
         * group has been killed) */
        siginfo_t si;
        si.si_pid = 0;
        if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid) {
            kill(-pid, SIGKILL);
            while (wait4(pid, &st, 0, &ru) < 0 && errno == EINTR) {}
            reaped = 1;
            break;
        }
        if (sbx_now() > deadline) {
            timed_out = 1;
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            while (wait4(pid, &st, 0, &ru) < 0 && errno == EINTR) {}
            reaped = 1;
        }
    }
    r->wall_s = sbx_now() - t0;
    kill(-pid, SIGKILL);   /* whatever joined the group late */
    /* drain what is already in the pipe; stop at EOF or after a short grace period, because a
     * process that left the group may still hold the write end */
    double drain_end = sbx_now() + 0.2;
    for (;;) {
        struct pollfd pfd = {outp[0], POLLIN, 0};
        int pr = poll(&pfd, 1, 10);
        if (pr > 0) {
            char probe;
            ssize_t n = read(outp[0], &probe, 1);
            if (n <= 0) break;   /* EOF */
            total++;
            if (kept < cap) buf[kept++] = probe;
            sbx_take_output(outp[0], buf, cap, &kept, &total);
        }
        if (sbx_now() > drain_end) break;
    }
    close(outp[0]);
    buf[kept] = 0;
    r->output = buf;
    r->output_bytes = total;

    char rep[64];
    ssize_t nrep = read(repp[0], rep, sizeof rep);
    close(repp[0]);
    int exec_failed = 0, setup_failed = 0;
    int rep_signal = 0;
    for (ssize_t i = 0; i < nrep; i++) {
        switch (rep[i]) {
        case REP_SIGNAL:
            if (i + 1 < nrep) rep_signal = (unsigned char)rep[++i];
            break;
        case REP_UID: r->uid_dropped = 1; break;
        case REP_NET: r->net_isolated = 1; break;
        case REP_PID: r->pid_isolated = 1; break;
        case REP_FS: r->fs_isolated = 1; break;
        case REP_EXEC_FAILED: exec_failed = 1; break;
        case REP_SETUP_FAILED: setup_failed = 1; break;
        }
    }
    sbx_remove_tree(dir);

    if (WIFEXITED(st)) r->exit_code = WEXITSTATUS(st);
    if (WIFSIGNALED(st)) r->term_signal = WTERMSIG(st);
    if (!timed_out && rep_signal && WIFEXITED(st) && r->exit_code == 128 + rep_signal) {
        r->term_signal = rep_signal;   /* Python died of it inside the PID namespace */
        r->exit_code = -1;
    }
    double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec +
                 ru.ru_stime.tv_usec * 1e-6;
    if (exec_failed || setup_failed) {
        r->status = SANDBOX_ERROR;
        snprintf(r->error, sizeof r->error, "%s", exec_failed ? "exec of the interpreter failed"
                                                              : "sandbox setup failed in the child");
        if (exec_failed) {
            size_t l = strlen(r->error);
            snprintf(r->error + l, sizeof r->error - l, " (%s)", lim.python);
        }
        return -1;
    }
    if (timed_out) r->status = SANDBOX_TIMEOUT;
    else if (r->term_signal == SIGXCPU ||
             (r->term_signal == SIGKILL && cpu >= (double)(lim.cpu_seconds > 0 ? lim.cpu_seconds : 1)))
        r->status = SANDBOX_TIMEOUT;
    else if (WIFEXITED(st) && r->exit_code == 0) r->status = SANDBOX_PASS;
    else r->status = SANDBOX_FAIL;
    return 0;
}
