/* test_harness_report.c — `v4eval report` on a hand-made run: index.html with the tables and
 * the effective length, PNG and SVG images from gnuplot (heatmap, score vs length, bars), and
 * the one-line message + tables-only page when gnuplot is not on PATH. */
#include <unistd.h>
#include "harness/cli.h"
#include "harness/hutil.h"
#include "harness/journal.h"
#include "tests/test_util.h"

static char *make_run(const char *root) {
    char err[256];
    char *dir = hutil_asprintf("%s/r1", root);
    hutil_mkdir_p(dir, err, sizeof err);
    char *p = hutil_asprintf("%s/samples.jsonl", dir);
    FILE *f = fopen(p, "w");
    /* needle: score falls with length: 4096 → 100, 8192 → 75, 16384 → 50 (depth 0 fails first) */
    const int lens[3] = {4096, 8192, 16384};
    const double deps[2] = {0.0, 1.0};
    for (int l = 0; l < 3; l++)
        for (int d = 0; d < 2; d++)
            for (int i = 0; i < 2; i++) {
                int pass = l == 0 || (l == 1 && (d == 1 || i == 0)) || (l == 2 && d == 1);
                fprintf(f, "{\"id\":\"niah/%d/%g/%d\",\"suite\":\"longctx\",\"task\":\"niah\","
                        "\"length\":%d,\"depth\":%g,\"score\":%d,\"passed\":%s,\"status\":\"ok\","
                        "\"output\":\"x\"}\n", lens[l], deps[d], i, lens[l], deps[d], pass,
                        pass ? "true" : "false");
            }
    for (int l = 0; l < 3; l++)
        fprintf(f, "{\"id\":\"vt/%d\",\"suite\":\"longctx\",\"task\":\"vt\",\"length\":%d,"
                "\"depth\":null,\"score\":1,\"passed\":true,\"status\":\"ok\",\"output\":\"y\"}\n",
                lens[l], lens[l]);
    fclose(f);
    free(p);
    return dir;
}

static int file_starts(const char *path, const char *magic, size_t n) {
    size_t len;
    char *s = hutil_read_file(path, &len);
    int ok = s && len >= n && !memcmp(s, magic, n);
    free(s);
    return ok;
}

static void test_report_with_gnuplot(void) {
    char tmpl[] = "/tmp/v4eval-report-XXXXXX";
    char *root = mkdtemp(tmpl);
    char *dir = make_run(root);
    char *argv[] = {"report", "--run-id", "r1", "--out", root, NULL};
    int rc = cli_report(5, argv);
    if (access("/usr/bin/gnuplot", X_OK) != 0) {
        test_skip("gnuplot not installed");
        CU_ASSERT_EQUAL(rc, 1);
    } else {
        CU_ASSERT_EQUAL(rc, 0);
        char *png = hutil_asprintf("%s/report/heat_longctx_niah.png", dir);
        char *svg = hutil_asprintf("%s/report/length_longctx.svg", dir);
        char *bars = hutil_asprintf("%s/report/bars_longctx.png", dir);
        CU_ASSERT(file_starts(png, "\x89PNG", 4));
        CU_ASSERT(file_starts(bars, "\x89PNG", 4));
        char *s = hutil_read_file(svg, NULL);
        CU_ASSERT(s && strstr(s, "<svg"));
        free(s);
        free(png); free(svg); free(bars);
    }
    char *html = hutil_asprintf("%s/index.html", dir);
    char *h = hutil_read_file(html, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "<th>task</th><th>4096</th><th>8192</th><th>16384</th>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "<td>niah</td><td>100.00</td><td>75.00</td><td>50.00</td>"));
    /* effective length at 85.6: niah reaches it only at 4096, vt at every length */
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "<td>niah</td><td>4096</td>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "<td>vt</td><td>16384</td>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(h, "report/heat_longctx_niah.png"));
    free(h);
    /* the heatmap data: depth 0 at 16384 is 0 %, depth 100 % is 100 % */
    char *dat = hutil_asprintf("%s/report/heat_longctx_niah.dat", dir);
    char *d = hutil_read_file(dat, NULL);
    CU_ASSERT(d && strstr(d, "2 0 0.0000\n2 1 100.0000\n"));
    free(d); free(dat);
    /* a lower threshold moves niah's effective length */
    char *argv2[] = {"report", "--run-id", "r1", "--out", root, "--threshold", "70", NULL};
    cli_report(7, argv2);
    h = hutil_read_file(html, NULL);
    CU_ASSERT(h && strstr(h, "<td>niah</td><td>8192</td>"));
    free(h);
    free(html);
    char *cmd = hutil_asprintf("rm -rf '%s'", root);
    if (system(cmd)) {}
    free(cmd);
    free(dir);
}

static void test_report_without_gnuplot(void) {
    char tmpl[] = "/tmp/v4eval-report-XXXXXX";
    char *root = mkdtemp(tmpl);
    char *dir = make_run(root);
    char *old = hutil_strdup(getenv("PATH"));
    setenv("PATH", "/nonexistent", 1);
    char *argv[] = {"report", "--run-id", "r1", "--out", root, NULL};
    CU_ASSERT_EQUAL(cli_report(5, argv), 1);
    setenv("PATH", old, 1);
    char *html = hutil_asprintf("%s/index.html", dir);
    char *h = hutil_read_file(html, NULL);
    CU_ASSERT(h && strstr(h, "gnuplot was not found"));
    CU_ASSERT(h && strstr(h, "<td>vt</td>"));
    free(h); free(html); free(old);
    char *argv3[] = {"report", "--run-id", "no-such-run", "--out", root, NULL};
    CU_ASSERT_EQUAL(cli_report(5, argv3), 2);
    char *cmd = hutil_asprintf("rm -rf '%s'", root);
    if (system(cmd)) {}
    free(cmd);
    free(dir);
}

static const test_case TESTS[] = {
    {"report_with_gnuplot", test_report_with_gnuplot},
    {"report_without_gnuplot", test_report_without_gnuplot},
    {NULL, NULL},
};
TEST_MAIN("harness_report", TESTS)
