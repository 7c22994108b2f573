/*
 * test_bench_cli.c — `v4eval bench` through its entry point (cli_bench): bad options exit 2
 * with one line; a short run on the tiny fixture model writes one CSV row per length with
 * positive speeds and state bytes that grow with the context; the --kernels mode writes one row
 * per format and product whose fast result agrees with the scalar reference. It checks that the
 * benchmark runs and reports consistent figures, not how fast anything is.
 */
#include <unistd.h>
#include "harness/cli.h"
#include "tests/test_util.h"

static char g_model[512];

static const char *model_dir(void) {
    const char *e = getenv("V4_FIXTURES");
    snprintf(g_model, sizeof g_model, "%s/tiny-bf16", e && *e ? e : "tests/fixtures");
    return g_model;
}

static int run_bench(const char *const *args) {
    char *argv[32];
    int argc = 0;
    for (; args[argc] && argc < 31; argc++) argv[argc] = (char *)args[argc];
    argv[argc] = NULL;
    fflush(stdout);
    return cli_bench(argc, argv);
}

static void test_bad_input(void) {
    const char *const cases[][8] = {
        {"bench", NULL}, /* no --model */
        {"bench", "--model", "tests/fixtures/does-not-exist", "--lengths", "8", NULL},
        {"bench", "--model", "x", "--lengths", "0", NULL},
        {"bench", "--model", "x", "--lengths", "8,,9", NULL},
        {"bench", "--model", "x", "--decode", "-1", NULL},
        {"bench", "--kernels", "--shape", "8x7", NULL}, /* odd cols */
        {"bench", "--kernels", "--shape", "8", NULL},
        {"bench", "--model", "x", "--bogus", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = run_bench(cases[i]);
        if (rc != 2) printf("    case %zu: exit %d\n", i, rc);
        CU_ASSERT_EQUAL(rc, 2);
    }
}

/* read_csv_rows: lines of a CSV after the header, at most max, each up to 255 chars. */
static int read_csv_rows(const char *path, char rows[][256], int max) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[256];
    int n = -1;
    while (fgets(line, sizeof line, f)) {
        if (n >= 0 && n < max) snprintf(rows[n], 256, "%s", line);
        n++;
    }
    fclose(f);
    return n;
}

static void test_model_run(void) {
    const char *csv = "build/tests/bench_cli.csv";
    const char *args[] = {"bench",    "--model", model_dir(), "--lengths", "40,150",
                          "--decode", "3",       "--chunk",   "16",        "--threads",
                          "1",        "--csv",   csv,         NULL};
    CU_ASSERT_EQUAL_FATAL(run_bench(args), 0);
    char rows[4][256];
    CU_ASSERT_EQUAL_FATAL(read_csv_rows(csv, rows, 4), 2);
    int len[2];
    double pre[2], dec[2], state[2];
    for (int i = 0; i < 2; i++) {
        double g1, g2, ms;
        CU_ASSERT_EQUAL(sscanf(rows[i], "%d,%lf,%lf,%lf,%lf,%lf,%lf", &len[i], &pre[i], &g1,
                               &dec[i], &g2, &ms, &state[i]),
                        7);
        CU_ASSERT(pre[i] > 0 && dec[i] > 0 && g1 > 0 && g2 > 0 && ms > 0);
    }
    CU_ASSERT_EQUAL(len[0], 40);
    CU_ASSERT_EQUAL(len[1], 150);
    CU_ASSERT(state[1] > state[0]); /* compressed caches grow with the context */
    unlink(csv);
}

static void test_kernels_run(void) {
    const char *csv = "build/tests/bench_kernels.csv";
    const char *args[] = {"bench",      "--kernels", "--shape", "48x70", "--batch", "5",
                          "--min-time", "0.001",     "--csv",   csv,     NULL};
    CU_ASSERT_EQUAL_FATAL(run_bench(args), 0);
    char rows[16][256];
    CU_ASSERT_EQUAL_FATAL(read_csv_rows(csv, rows, 16), 10); /* 5 formats × matvec, matmul */
    for (int i = 0; i < 10; i++) {
        char fmt[16], op[16];
        int r, c, n;
        double fg, fb, rg, rb, sp, err;
        CU_ASSERT_EQUAL(sscanf(rows[i], "%15[^,],%15[^,],%d,%d,%d,%lf,%lf,%lf,%lf,%lf,%lf", fmt, op,
                               &r, &c, &n, &fg, &fb, &rg, &rb, &sp, &err),
                        11);
        CU_ASSERT(r == 48 && c == 70 && n == (i < 5 ? 1 : 5));
        CU_ASSERT(fg > 0 && rg > 0 && sp > 0);
        if (!(err < 1e-5)) printf("    %s %s: rel err %.3g\n", fmt, op, err);
        CU_ASSERT(err < 1e-5);
    }
    unlink(csv);
}

static const test_case TESTS[] = {
    {"bad_input_exit_2", test_bad_input},
    {"model_run_csv", test_model_run},
    {"kernels_run_csv", test_kernels_run},
    {NULL, NULL},
};

TEST_MAIN("bench_cli", TESTS)
