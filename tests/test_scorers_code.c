/*
 * test_scorers_code.c — the Python sandbox (containment: timeout, fork bomb, memory bomb,
 * writes outside the temp dir, network, process-group kill), completion extraction and program
 * building as HumanEval/MBPP do, the code scorers end to end, and pass@k against hand-computed
 * values. Sandbox cases use 1–2 s limits.
 *
 * Leftover processes are found by their environment: the tests point TMPDIR at a directory of
 * their own, so every process a sandboxed program starts carries HOME=<that dir>/v4eval-sbx-….
 */
#include <dirent.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include "tests/test_util.h"
#include "tests/scorers_test_sample.h"
#include "scorers/scorer_internal.h"
#include "scorers/sandbox.h"

static char g_base[128];   /* this test's TMPDIR */

static void setup_base(void) {
    if (g_base[0]) return;
    snprintf(g_base, sizeof g_base, "/tmp/v4eval-test-scorers-%d", (int)getpid());
    mkdir(g_base, 0755);
    setenv("TMPDIR", g_base, 1);
}

/* live (non-zombie) processes whose environment holds HOME=<g_base>/… */
static int count_leftovers(void) {
    char needle[200];
    snprintf(needle, sizeof needle, "HOME=%s/", g_base);
    size_t nl = strlen(needle);
    int count = 0;
    DIR *d = opendir("/proc");
    if (!d) return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        char path[300], buf[8192];
        snprintf(path, sizeof path, "/proc/%s/environ", e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        for (size_t i = 0; i + nl <= n; i++)
            if (memcmp(buf + i, needle, nl) == 0) { count++; break; }
    }
    closedir(d);
    return count;
}

/* leftovers after waiting up to 1 s for the kernel to finish the kills */
static int leftovers_settled(void) {
    int n = 0;
    for (int i = 0; i < 20; i++) {
        n = count_leftovers();
        if (n == 0) return 0;
        usleep(50000);
    }
    return n;
}

static sandbox_limits lim_fast(double wall) {
    sandbox_limits l = sandbox_default_limits();
    l.wall_timeout_s = wall;
    l.cpu_seconds = 2;
    return l;
}

static sandbox_status run_prog(const char *prog, sandbox_limits l, sandbox_result *out) {
    setup_base();
    sandbox_result r;
    int rc = sandbox_run_python(prog, &l, &r);
    if (rc != 0) printf("    sandbox error: %s\n", r.error);
    sandbox_status st = r.status;
    if (out) *out = r;
    else sandbox_result_free(&r);
    return st;
}

static void test_sandbox_pass_fail(void) {
    sandbox_result r;
    CU_ASSERT_EQUAL(run_prog("assert 1 + 1 == 2\nprint('ok')\n", lim_fast(5), &r), SANDBOX_PASS);
    CU_ASSERT(r.output && strstr(r.output, "ok") != NULL);
    printf("    isolation: uid_dropped=%d net=%d pid=%d fs=%d landlock_abi=%d wall=%.3fs\n",
           r.uid_dropped, r.net_isolated, r.pid_isolated, r.fs_isolated, r.landlock_abi, r.wall_s);
    sandbox_result_free(&r);
    CU_ASSERT_EQUAL(run_prog("assert 1 + 1 == 3, 'math broke'\n", lim_fast(5), &r), SANDBOX_FAIL);
    CU_ASSERT_EQUAL(r.exit_code, 1);
    CU_ASSERT(r.output && strstr(r.output, "AssertionError: math broke") != NULL);
    sandbox_result_free(&r);
    CU_ASSERT_EQUAL(run_prog("def f(:\n", lim_fast(5), &r), SANDBOX_FAIL);
    CU_ASSERT(r.output && strstr(r.output, "SyntaxError") != NULL);
    sandbox_result_free(&r);
    /* Python is not PID 1: a signal it sends itself kills it as usual, and is reported */
    CU_ASSERT_EQUAL(run_prog("import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\nimport time\ntime.sleep(5)\n",
                             lim_fast(3), &r), SANDBOX_FAIL);
    CU_ASSERT_EQUAL(r.term_signal, SIGTERM);
    CU_ASSERT(r.wall_s < 2.5);
    sandbox_result_free(&r);
    CU_ASSERT_EQUAL(run_prog("import os\nassert os.getpid() != 1\nos._exit(3)\n", lim_fast(3), &r), SANDBOX_FAIL);
    CU_ASSERT_EQUAL(r.exit_code, 3);
    sandbox_result_free(&r);
    /* stdin is /dev/null: reading gives EOF at once */
    CU_ASSERT_EQUAL(run_prog("import sys\nassert sys.stdin.read() == ''\n", lim_fast(5), NULL), SANDBOX_PASS);
    /* the interpreter missing is a sandbox error, not a failed program */
    sandbox_limits l = lim_fast(2);
    l.python = "/nonexistent/python3";
    CU_ASSERT_EQUAL(run_prog("pass\n", l, &r), SANDBOX_ERROR);
    CU_ASSERT(strstr(r.error, "exec") != NULL);
    sandbox_result_free(&r);
}

static void test_sandbox_infinite_loop(void) {
    sandbox_result r;
    CU_ASSERT_EQUAL(run_prog("while True:\n    pass\n", lim_fast(1.0), &r), SANDBOX_TIMEOUT);
    CU_ASSERT(r.wall_s >= 1.0 && r.wall_s < 2.5);
    printf("    wall %.3f s\n", r.wall_s);
    sandbox_result_free(&r);
    /* a sleeping program times out on the wall clock too */
    CU_ASSERT_EQUAL(run_prog("import time\ntime.sleep(30)\n", lim_fast(1.0), NULL), SANDBOX_TIMEOUT);
    /* CPU limit: a busy loop under a 1 s CPU limit and a generous wall clock */
    sandbox_limits l = lim_fast(6.0);
    l.cpu_seconds = 1;
    CU_ASSERT_EQUAL(run_prog("while True:\n    pass\n", l, &r), SANDBOX_TIMEOUT);
    CU_ASSERT(r.term_signal == SIGXCPU || r.term_signal == SIGKILL);
    sandbox_result_free(&r);
    CU_ASSERT_EQUAL(leftovers_settled(), 0);
}

static void test_sandbox_fork_bomb(void) {
    sandbox_limits l = lim_fast(1.5);
    l.nproc = 16;
    sandbox_result r;
    sandbox_status st = run_prog("import os\nwhile True:\n    try:\n        os.fork()\n"
                                 "    except OSError:\n        pass\n", l, &r);
    CU_ASSERT(st == SANDBOX_TIMEOUT || st == SANDBOX_FAIL);
    printf("    fork bomb: %s in %.3f s\n", sandbox_status_name(st), r.wall_s);
    sandbox_result_free(&r);
    CU_ASSERT_EQUAL(leftovers_settled(), 0);
    /* the process limit itself: with nproc 4 at most a few forks succeed */
    l.wall_timeout_s = 5;
    l.nproc = 4;
    st = run_prog("import os, sys\nn = 0\nfor i in range(50):\n    try:\n        pid = os.fork()\n"
                  "    except OSError:\n        break\n    if pid == 0:\n        import time\n"
                  "        time.sleep(30)\n        os._exit(0)\n    n += 1\nprint('forked', n)\n"
                  "sys.exit(0 if n < 10 else 1)\n", l, &r);
    CU_ASSERT_EQUAL(st, SANDBOX_PASS);
    printf("    %s", r.output ? r.output : "");
    sandbox_result_free(&r);
    CU_ASSERT_EQUAL(leftovers_settled(), 0);
}

static void test_sandbox_memory_bomb(void) {
    sandbox_result r;
    CU_ASSERT_EQUAL(run_prog("x = bytearray(8 * 1024**3)\n", lim_fast(5), &r), SANDBOX_FAIL);
    CU_ASSERT(r.output && strstr(r.output, "MemoryError") != NULL);
    sandbox_result_free(&r);
    /* a growing bomb touches its memory: keep it small with a 256 MiB address-space limit */
    sandbox_limits l = lim_fast(5);
    l.as_bytes = 256ULL << 20;
    CU_ASSERT_EQUAL(run_prog("a = []\nwhile True:\n    a.append(bytearray(16 * 1024**2))\n",
                             l, &r), SANDBOX_FAIL);
    CU_ASSERT(r.output && strstr(r.output, "MemoryError") != NULL);
    sandbox_result_free(&r);
}

static void test_sandbox_files(void) {
    char victim[256], prog[1024];
    snprintf(victim, sizeof victim, "/tmp/v4eval-escape-%d", (int)getpid());
    unlink(victim);
    snprintf(prog, sizeof prog,
             "import os\n"
             "open('inside.txt', 'w').write('hi')\n"
             "assert open('inside.txt').read() == 'hi'\n"
             "os.mkdir('sub'); open('sub/x', 'w').write('y')\n"
             "try:\n    open('%s', 'w').write('escaped')\n    print('ESCAPED')\n"
             "except OSError as e:\n    print('blocked', e.errno)\n", victim);
    sandbox_result r;
    sandbox_status st = run_prog(prog, lim_fast(5), &r);
    if (!r.fs_isolated && !r.uid_dropped) {
        test_skip("neither Landlock nor a dropped uid confines writes here");
    } else if (!r.fs_isolated) {
        test_skip("Landlock unavailable: writes outside the temp dir are only limited by permissions");
    } else {
        CU_ASSERT_EQUAL(st, SANDBOX_PASS);
        CU_ASSERT(r.output && strstr(r.output, "blocked") != NULL);
        CU_ASSERT(access(victim, F_OK) != 0);
        /* control: without Landlock the same program (as nobody, /tmp world-writable) escapes,
         * so the check above can fail */
        sandbox_result r2;
        sandbox_limits l2 = lim_fast(5);
        l2.use_landlock = 0;
        run_prog(prog, l2, &r2);
        CU_ASSERT(r2.output && strstr(r2.output, "ESCAPED") != NULL);
        sandbox_result_free(&r2);
    }
    sandbox_result_free(&r);
    unlink(victim);
    /* the temp dir is gone afterwards (nothing left under our TMPDIR) */
    DIR *d = opendir(g_base);
    int entries = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) entries++;
    if (d) closedir(d);
    CU_ASSERT_EQUAL(entries, 0);
    /* file size limit */
    sandbox_limits l = lim_fast(5);
    l.fsize_bytes = 1 << 20;
    CU_ASSERT_EQUAL(run_prog("open('big', 'wb').write(b'x' * (4 << 20))\n", l, NULL), SANDBOX_FAIL);
}

static void test_sandbox_network(void) {
    int srv = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    CU_ASSERT_FATAL(srv >= 0 && bind(srv, (struct sockaddr *)&a, sizeof a) == 0 && listen(srv, 4) == 0);
    getsockname(srv, (struct sockaddr *)&a, &al);
    char prog[512];
    snprintf(prog, sizeof prog,
             "import socket\ntry:\n    socket.create_connection(('127.0.0.1', %d), timeout=1)\n"
             "    print('CONNECTED')\nexcept OSError as e:\n    print('blocked', e)\n",
             ntohs(a.sin_port));
    sandbox_result r;
    run_prog(prog, lim_fast(5), &r);
    if (!r.net_isolated && r.landlock_abi < 4) {
        test_skip("no network namespace and no Landlock TCP rules here");
    } else {
        CU_ASSERT(r.output && strstr(r.output, "blocked") != NULL);
        CU_ASSERT(r.output && strstr(r.output, "CONNECTED") == NULL);
    }
    sandbox_result_free(&r);
    close(srv);
}

static void test_sandbox_group_kill(void) {
    /* a grandchild sleeping after the program passed must die with the group — with and
     * without namespaces (the plain process-group kill) */
    for (int ns = 1; ns >= 0; ns--) {
        sandbox_limits l = lim_fast(5);
        l.use_namespaces = ns;
        CU_ASSERT_EQUAL(run_prog("import subprocess\nsubprocess.Popen(['sleep', '30'])\nprint('spawned')\n",
                                 l, NULL), SANDBOX_PASS);
        CU_ASSERT_EQUAL(leftovers_settled(), 0);
        /* and after a timeout, with the grandchild and the parent both sleeping */
        l.wall_timeout_s = 1.0;
        CU_ASSERT_EQUAL(run_prog("import subprocess, time\nsubprocess.Popen(['sleep', '30'])\n"
                                 "time.sleep(30)\n", l, NULL), SANDBOX_TIMEOUT);
        CU_ASSERT_EQUAL(leftovers_settled(), 0);
    }
    /* with the PID namespace even a grandchild that left the process group dies */
    sandbox_result r;
    sandbox_status st = run_prog("import subprocess\nsubprocess.Popen(['sleep', '30'], start_new_session=True)\n",
                                 lim_fast(5), &r);
    CU_ASSERT_EQUAL(st, SANDBOX_PASS);
    if (r.pid_isolated) {
        CU_ASSERT_EQUAL(leftovers_settled(), 0);
    } else {
        test_skip("no PID namespace: a grandchild that calls setsid escapes the group kill");
    }
    sandbox_result_free(&r);
}

static void test_pass_at_k(void) {
    /* 1 - C(n-c,k)/C(n,k), by hand */
    CU_ASSERT_DOUBLE_EQUAL(scorer_pass_at_k(5, 2, 1), 1.0 - 3.0 / 5.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(scorer_pass_at_k(5, 2, 2), 1.0 - 3.0 / 10.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(scorer_pass_at_k(5, 2, 3), 1.0 - 1.0 / 10.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(scorer_pass_at_k(5, 2, 4), 1.0, 0);          /* n - c < k */
    CU_ASSERT_DOUBLE_EQUAL(scorer_pass_at_k(5, 0, 3), 0.0, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(scorer_pass_at_k(5, 5, 5), 1.0, 0);
    CU_ASSERT_DOUBLE_EQUAL(scorer_pass_at_k(10, 3, 5), 1.0 - 21.0 / 252.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(scorer_pass_at_k(200, 13, 10), 1.0 - 0.50244888527, 1e-9);  /* C(187,10)/C(200,10) */
    CU_ASSERT_DOUBLE_EQUAL(scorer_pass_at_k(1, 1, 1), 1.0, 0);
    CU_ASSERT(isnan(scorer_pass_at_k(1, 1, 2)));    /* n < k: not reported */
    CU_ASSERT(isnan(scorer_pass_at_k(5, 6, 1)));
    CU_ASSERT(isnan(scorer_pass_at_k(5, 1, 0)));
}


static void test_extraction(void) {
    const char *c1 = "    return a + b\n\ndef other():\n    pass\n";
    CU_ASSERT_EQUAL(code_cut_stops(c1), strlen("    return a + b\n"));
    CU_ASSERT_EQUAL(code_cut_stops("    x = 1\n# trailing comment\n"), strlen("    x = 1"));
    CU_ASSERT_EQUAL(code_cut_stops("    return 1\nif __name__ == '__main__':\n"), strlen("    return 1"));
    CU_ASSERT_EQUAL(code_cut_stops("    return 1\nprint(f(2))\n"), strlen("    return 1"));
    CU_ASSERT_EQUAL(code_cut_stops("    return 1\nclass A:\n"), strlen("    return 1"));
    /* indented comments, defs and prints belong to the body: not cut */
    const char *c2 = "    # inner\n    def g():\n        print(1)\n    return g\n";
    CU_ASSERT_EQUAL(code_cut_stops(c2), strlen(c2));
    /* "\nif x" is not a stop; "\nif __name__" is */
    const char *c3 = "    return 1\nif_x = 2\n";
    CU_ASSERT_EQUAL(code_cut_stops(c3), strlen(c3));
    char *b = code_first_fence("Here:\n```python\ndef f():\n    return 1\n```\nand ```py\nx\n```");
    CU_ASSERT_STRING_EQUAL(b, "def f():\n    return 1\n");
    free(b);
    b = code_first_fence("```\nplain\n```");
    CU_ASSERT_STRING_EQUAL(b, "plain\n");
    free(b);
    b = code_first_fence("```python\nunclosed = 1\n");
    CU_ASSERT_STRING_EQUAL(b, "unclosed = 1\n");
    free(b);
    CU_ASSERT_PTR_NULL(code_first_fence("no fence at all"));
    /* a python block is preferred to an earlier block of another language */
    b = code_first_fence("Run:\n```bash\npip install x\n```\nthen\n```Python\nimport x\n```\n");
    CU_ASSERT_STRING_EQUAL(b, "import x\n");
    free(b);
    /* a closing fence followed by text is not an opening "```python" */
    b = code_first_fence("```text\nhello\n```python is great\n");
    CU_ASSERT_STRING_EQUAL(b, "hello\n");
    free(b);
}

static const char *HE_TARGET =
    "{\"task_id\":\"HumanEval/x\",\"prompt\":\"def add(a, b):\\n    \\\"\\\"\\\"Add two numbers.\\\"\\\"\\\"\\n\","
    "\"entry_point\":\"add\",\"test\":\"def check(candidate):\\n    assert candidate(2, 3) == 5\\n"
    "    assert candidate(-1, 1) == 0\\n\",\"timeout_s\":1}";

static score_result score_code(int (*f)(const eval_sample *, const char *, score_result *),
                               const char *scorer, const char *target, int chat, const char *out) {
    setup_base();
    eval_sample s = test_sample_make(scorer, target, 0);
    s.chat = chat;
    score_result r = test_new_result();
    f(&s, out, &r);
    test_sample_clear(&s);
    return r;
}

static void test_humaneval(void) {
    /* the stop string removes the broken trailing def: pass */
    score_result r = score_code(code_score_humaneval, "humaneval", HE_TARGET, 0,
                                "    return a + b\n\ndef junk(:\n");
    CU_ASSERT_EQUAL(r.status, SCORE_OK);
    CU_ASSERT_EQUAL(r.passed, 1);
    CU_ASSERT_STRING_EQUAL(r.extracted, "    return a + b\n");
    const char *prog = cJSON_GetObjectItem(r.details, "program")->valuestring;
    CU_ASSERT(strstr(prog, "def add(a, b):\n    \"\"\"Add two numbers.\"\"\"\n    return a + b\n\ndef check(candidate)") != NULL);
    CU_ASSERT(strstr(prog, "\ncheck(add)\n") != NULL);
    score_result_free(&r);
    r = score_code(code_score_humaneval, "humaneval", HE_TARGET, 0, "    return a - b\n");
    CU_ASSERT_EQUAL(r.status, SCORE_FAIL);
    CU_ASSERT_EQUAL(r.passed, 0);
    CU_ASSERT_DOUBLE_EQUAL(r.score, 0, 0);
    CU_ASSERT(strstr(cJSON_GetObjectItem(r.details, "output_tail")->valuestring, "AssertionError") != NULL);
    score_result_free(&r);
    /* chat: the first fenced block */
    r = score_code(code_score_humaneval, "humaneval", HE_TARGET, 1,
                   "Sure!\n```python\ndef add(a, b):\n    return a + b\n```\nTest: ```python\nassert False\n```");
    CU_ASSERT_EQUAL(r.status, SCORE_OK);
    CU_ASSERT_EQUAL(r.passed, 1);
    score_result_free(&r);
    /* an infinite loop times out */
    r = score_code(code_score_humaneval, "humaneval", HE_TARGET, 0, "    while True:\n        pass\n");
    CU_ASSERT_EQUAL(r.status, SCORE_TIMEOUT);
    score_result_free(&r);
    /* bad target */
    r = score_code(code_score_humaneval, "humaneval", "{\"prompt\":\"x\"}", 0, "pass");
    CU_ASSERT_EQUAL(r.status, SCORE_ERROR);
    score_result_free(&r);
    r = score_code(code_score_humaneval, "humaneval",
                   "{\"prompt\":\"\",\"test\":\"\",\"entry_point\":\"f\",\"timeout_s\":-1}", 0, "pass");
    CU_ASSERT_EQUAL(r.status, SCORE_ERROR);
    score_result_free(&r);
}

static void test_mbpp(void) {
    const char *t = "{\"task_id\":2,\"test_setup_code\":\"import math\","
                    "\"test_list\":[\"assert hyp(3, 4) == 5\",\"assert hyp(5, 12) == 13\"]}";
    score_result r = score_code(code_score_mbpp, "mbpp", t, 0,
                                "[BEGIN]\ndef hyp(a, b):\n    return int(math.sqrt(a*a + b*b))\n[DONE]\nblah(");
    CU_ASSERT_EQUAL(r.status, SCORE_OK);
    CU_ASSERT_EQUAL(r.passed, 1);
    score_result_free(&r);
    r = score_code(code_score_mbpp, "mbpp", t, 0, "def hyp(a, b):\n    return a + b\n");
    CU_ASSERT_EQUAL(r.status, SCORE_FAIL);
    score_result_free(&r);
    r = score_code(code_score_mbpp, "mbpp", t, 1,
                   "```python\ndef hyp(a, b):\n    return round(math.hypot(a, b))\n```");
    CU_ASSERT_EQUAL(r.passed, 1);
    score_result_free(&r);
    r = score_code(code_score_mbpp, "mbpp", "{\"test_list\":[]}", 0, "x");
    CU_ASSERT_EQUAL(r.status, SCORE_ERROR);
    score_result_free(&r);
    r = score_code(code_score_mbpp, "mbpp", "{\"test_list\":[1]}", 0, "x");
    CU_ASSERT_EQUAL(r.status, SCORE_ERROR);
    score_result_free(&r);
}

static void test_code_synth(void) {
    const char *t = "{\"prompt\":\"def rev(xs):\\n\",\"test\":\"def check(f):\\n    assert f([1,2,3]) == [3,2,1]\\n"
                    "    assert f([]) == []\\n\",\"entry_point\":\"rev\",\"timeout_s\":1}";
    score_result r = score_code(code_score_synth, "code_synth", t, 0, "    return xs[::-1]\n");
    CU_ASSERT_EQUAL(r.passed, 1);
    score_result_free(&r);
    r = score_code(code_score_synth, "code_synth", t, 0, "    return xs\n");
    CU_ASSERT_EQUAL(r.status, SCORE_FAIL);
    score_result_free(&r);
    r = score_code(code_score_synth, "code_synth", t, 0, "    import time\n    time.sleep(10)\n");
    CU_ASSERT_EQUAL(r.status, SCORE_TIMEOUT);
    score_result_free(&r);
    r = score_code(code_score_synth, "code_synth", "{\"test\":\"assert f() == 7\"}", 1,
                   "```python\ndef f():\n    return 7\n```");
    CU_ASSERT_EQUAL(r.passed, 1);
    score_result_free(&r);
    r = score_code(code_score_synth, "code_synth", "{\"prompt\":3,\"test\":\"\"}", 0, "x");
    CU_ASSERT_EQUAL(r.status, SCORE_ERROR);
    score_result_free(&r);
}

static void test_cleanup(void) {
    if (g_base[0]) CU_ASSERT_EQUAL(rmdir(g_base), 0);
}

static const test_case TESTS[] = {
    {"sandbox_pass_fail", test_sandbox_pass_fail},
    {"sandbox_infinite_loop", test_sandbox_infinite_loop},
    {"sandbox_fork_bomb", test_sandbox_fork_bomb},
    {"sandbox_memory_bomb", test_sandbox_memory_bomb},
    {"sandbox_files", test_sandbox_files},
    {"sandbox_network", test_sandbox_network},
    {"sandbox_group_kill", test_sandbox_group_kill},
    {"pass_at_k", test_pass_at_k},
    {"extraction", test_extraction},
    {"humaneval", test_humaneval},
    {"mbpp", test_mbpp},
    {"code_synth", test_code_synth},
    {"cleanup", test_cleanup},
    {NULL, NULL},
};
TEST_MAIN("scorers_code", TESTS)
