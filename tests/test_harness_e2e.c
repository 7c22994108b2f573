/* test_harness_e2e.c — `v4eval run` end to end on a small suite file with the real suites and
 * scorers and the replay backend: outputs built from each sample's own target (one wrong, one
 * missing), then summary.csv / manifest.json checked, the run resumed (no duplicates, the
 * missing sample retried), a resume with another seed refused, `v4eval compare` between two
 * runs (flip counts, McNemar p), and the one-line errors for bad input (exit 2). */
#include <unistd.h>
#include "harness/cli.h"
#include "harness/hutil.h"
#include "harness/journal.h"
#include "suites/suite.h"
#include "tests/test_util.h"

static char ROOT[64];
static char *SUITE_PATH;

static const char *SUITE_JSON =
    "{\n"
    "  \"name\": \"mini\",\n"
    "  \"version\": 1,\n"
    "  \"defaults\": {\"template\": \"raw\", \"seed\": 7},\n"
    "  \"tasks\": [\n"
    "    {\"name\": \"arith\", \"kind\": \"arith\", \"samples\": 4},\n"
    "    {\"name\": \"niah_single_1\", \"kind\": \"niah\", \"lengths\": [1024, 2048], \"samples\": 2,\n"
    "     \"params\": {\"haystack\": \"noise\", \"key_type\": \"words\", \"value_type\": \"numbers\"}}\n"
    "  ]\n"
    "}\n";

/* write_replay: the right answer for every sample except `wrong` (answered "no idea") and
 * `missing` (left out); returns the file path */
static char *write_replay(const char *name, const char *wrong, const char *wrong2, const char *missing) {
    char err[512];
    suite *s;
    suite_overrides ov;
    memset(&ov, 0, sizeof ov);
    CU_ASSERT_EQUAL_FATAL(suite_load(SUITE_PATH, &ov, &s, err, sizeof err), 0);
    char *path = hutil_asprintf("%s/%s", ROOT, name);
    FILE *f = fopen(path, "w");
    suite_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    for (int t = 0; t < s->n_tasks; t++)
        for (int i = 0; i < suite_task_count(&s->tasks[t]); i++) {
            eval_sample e;
            CU_ASSERT_EQUAL_FATAL(suite_task_sample(s, &s->tasks[t], i, &ctx, &e, err, sizeof err), 0);
            if (!missing || strcmp(e.id, missing)) {
                char *out;
                const char *ref = hutil_json_str(e.meta, "reference", NULL);
                if ((wrong && !strcmp(e.id, wrong)) || (wrong2 && !strcmp(e.id, wrong2))) out = hutil_strdup("no idea");
                else if (ref) out = hutil_strdup(ref);
                else {
                    out = hutil_strdup("");
                    cJSON *v;
                    cJSON_ArrayForEach(v, e.target) {
                        char *n = hutil_asprintf("%s%s%s", out, *out ? " " : "", v->valuestring);
                        free(out);
                        out = n;
                    }
                }
                cJSON *line = cJSON_CreateObject();
                cJSON_AddStringToObject(line, "id", e.id);
                cJSON_AddStringToObject(line, "output", out);
                char *js = cJSON_PrintUnformatted(line);
                fprintf(f, "%s\n", js);
                free(js);
                cJSON_Delete(line);
                free(out);
            }
            eval_sample_free(&e);
        }
    fclose(f);
    suite_free(s);
    return path;
}

static int run_cli(const char *replay, const char *run_id, const char *seed) {
    char *spec = hutil_asprintf("replay:%s", replay);
    char *argv[16] = {"run", "--suite", SUITE_PATH, "--backend", spec, "--run-id", (char *)run_id,
                      "--out", ROOT, "--progress", "off"};
    int argc = 11;
    if (seed) { argv[argc++] = "--seed"; argv[argc++] = (char *)seed; }
    fflush(stdout);
    int rc = cli_run(argc, argv);
    free(spec);
    return rc;
}

static char *run_file(const char *run, const char *name) {
    char *p = hutil_asprintf("%s/%s/%s", ROOT, run, name);
    char *s = hutil_read_file(p, NULL);
    free(p);
    return s;
}

static void test_run_replay(void) {
    char *rp = write_replay("a.jsonl", "arith/2", NULL, "niah_single_1/2048/1");
    CU_ASSERT_EQUAL(run_cli(rp, "A", NULL), 0);
    char *sum = run_file("A", "summary.csv");
    const char *want =
        "task,score,1024,2048,n,nulls,errors\n"
        "arith,75.00,,,4,0/4,0\n"
        "niah_single_1,,100.00,50.00,4,0/4,1\n"
        "average,75.00,100.00,50.00,8,0/8,1\n";
    if (sum && strcmp(sum, want)) printf("\n--- got\n%s--- want\n%s", sum, want);
    CU_ASSERT_STRING_EQUAL(sum ? sum : "", want);
    free(sum);
    char *mt = run_file("A", "manifest.json");
    cJSON *m = cJSON_Parse(mt);
    CU_ASSERT_STRING_EQUAL(hutil_json_str(m, "status", ""), "complete");
    CU_ASSERT_STRING_EQUAL(hutil_json_str(m, "backend_kind", ""), "replay");
    cJSON *env = cJSON_GetObjectItem(m, "environment");
    CU_ASSERT_PTR_NOT_NULL(hutil_json_str(env, "openblas_kernel", NULL));
    CU_ASSERT_PTR_NOT_NULL(hutil_json_str(env, "cpu_model", NULL));
    CU_ASSERT(strlen(hutil_json_str(env, "git_commit", "")) == 40);
    cJSON *su = cJSON_GetArrayItem(cJSON_GetObjectItem(m, "suites"), 0);
    CU_ASSERT_EQUAL(strlen(hutil_json_str(su, "hash", "")), 64);
    CU_ASSERT_EQUAL(hutil_json_num(cJSON_GetObjectItem(m, "totals"), "samples", 0), 8);
    CU_ASSERT_EQUAL(hutil_json_num(cJSON_GetObjectItem(m, "totals"), "errors", 0), 1);
    CU_ASSERT_PTR_NOT_NULL(hutil_json_str(cJSON_GetObjectItem(m, "backend"), "sha256", NULL));
    cJSON_Delete(m);
    free(mt);
    char *res = run_file("A", "results.csv");
    CU_ASSERT(res && strstr(res, "mini,arith,0,all,score,0.750000,0.250000,4,replay,replay\n"));
    free(res);
    /* resume: everything finished is skipped; the missing sample is tried again (still missing) */
    CU_ASSERT_EQUAL(run_cli(rp, "A", NULL), 0);
    sample_record *recs;
    int n;
    char err[512];
    char *js = hutil_asprintf("%s/A/samples.jsonl", ROOT);
    CU_ASSERT_EQUAL_FATAL(journal_load(js, &recs, &n, err, sizeof err), 0);
    CU_ASSERT_EQUAL(n, 8);
    journal_records_free(recs, n);
    mt = run_file("A", "manifest.json");
    m = cJSON_Parse(mt);
    CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItem(m, "resumed")), 1);
    CU_ASSERT_EQUAL(hutil_json_num(cJSON_GetObjectItem(m, "totals"), "skipped_this_invocation", 0), 7);
    cJSON_Delete(m);
    free(mt);
    /* a resume that would change the samples is refused */
    CU_ASSERT_EQUAL(run_cli(rp, "A", "5"), 2);
    free(js);
    free(rp);
}

static void test_compare(void) {
    /* B: arith/2 now right, arith/0 and niah_single_1/1024/0 wrong → flips 2 A>B, 1 B>A */
    char *rp = write_replay("b.jsonl", "arith/0", "niah_single_1/1024/0", "niah_single_1/2048/1");
    CU_ASSERT_EQUAL(run_cli(rp, "B", NULL), 0);
    char *csv = hutil_asprintf("%s/cmp.csv", ROOT);
    char *argv[] = {"compare", "A", "B", "--out", ROOT, "--csv", csv, NULL};
    fflush(stdout);
    CU_ASSERT_EQUAL(cli_compare(7, argv), 0);
    char *c = hutil_read_file(csv, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    printf("\n%s", c);
    /* 7 pairs (the missing sample is an error on both sides); A right/B wrong 2, A wrong/B right 1;
     * McNemar exact p = min(1, 2 * P[X<=1 | n=3]) = 2 * 4/8 = 1 */
    const char *all = strstr(c, "\nall,all,7,");
    CU_ASSERT_PTR_NOT_NULL(all);
    if (all) {
        double ma, mb, d, lo, hi, p;
        int fab, fba;
        CU_ASSERT_EQUAL(sscanf(all, "\nall,all,7,%lf,%lf,%lf,%lf,%lf,%d,%d,%lf", &ma, &mb, &d, &lo, &hi, &fab, &fba, &p), 8);
        CU_ASSERT_DOUBLE_EQUAL(ma, 6.0 / 7.0, 1e-6);
        CU_ASSERT_DOUBLE_EQUAL(mb, 5.0 / 7.0, 1e-6);
        CU_ASSERT_DOUBLE_EQUAL(d, -1.0 / 7.0, 1e-6);
        CU_ASSERT(lo <= d && d <= hi);
        CU_ASSERT_EQUAL(fab, 2);
        CU_ASSERT_EQUAL(fba, 1);
        CU_ASSERT_DOUBLE_EQUAL(p, 1.0, 1e-9);
    }
    free(c);
    /* deterministic: same inputs, same file */
    char *csv2 = hutil_asprintf("%s/cmp2.csv", ROOT);
    char *argv2[] = {"compare", "A", "B", "--out", ROOT, "--csv", csv2, NULL};
    CU_ASSERT_EQUAL(cli_compare(7, argv2), 0);
    char *x = hutil_read_file(csv, NULL), *y = hutil_read_file(csv2, NULL);
    CU_ASSERT(x && y && !strcmp(x, y));
    free(x); free(y); free(csv); free(csv2); free(rp);
    char *argv3[] = {"compare", "A", "nope", "--out", ROOT, NULL};
    CU_ASSERT_EQUAL(cli_compare(5, argv3), 2);
}

static void test_bad_input(void) {
    char *a1[] = {"run", "--suite", "no_such_suite_xyz", "--backend", "replay:/dev/null", "--out", ROOT, NULL};
    CU_ASSERT_EQUAL(cli_run(7, a1), 2);
    char *a2[] = {"run", "--suite", SUITE_PATH, "--lengths", "4k,abc", "--backend", "replay:/dev/null", NULL};
    CU_ASSERT_EQUAL(cli_run(7, a2), 2);
    char *a3[] = {"run", "--suite", SUITE_PATH, "--backend", "carrier-pigeon", NULL};
    CU_ASSERT_EQUAL(cli_run(5, a3), 2);
    char *a4[] = {"run", "--suite", SUITE_PATH, "--limit", "-3", NULL};
    CU_ASSERT_EQUAL(cli_run(5, a4), 2);
    char *a5[] = {"run", "--suite", SUITE_PATH, NULL}; /* builtin without --model */
    CU_ASSERT_EQUAL(cli_run(3, a5), 2);
}

/* a length above the model's window is refused before the run starts: exit 2, no run dir */
static void test_window_refused(void) {
    char *argv[] = {"run", "--suite", SUITE_PATH, "--backend", "replay:/dev/null", "--max-context",
                    "1500", "--run-id", "W", "--out", ROOT, "--progress", "off", NULL};
    CU_ASSERT_EQUAL(cli_run(13, argv), 2);
    char *p = hutil_asprintf("%s/W/samples.jsonl", ROOT);
    CU_ASSERT_FALSE(hutil_file_exists(p));
    free(p);
    char *ok[] = {"run", "--suite", SUITE_PATH, "--backend", "replay:/dev/null", "--max-context",
                  "2048", "--run-id", "W2", "--out", ROOT, "--progress", "off", NULL};
    CU_ASSERT_EQUAL(cli_run(13, ok), 0);
}

/* malformed dataset lines: recorded under the dataset's own id (gsm8k/<zero-based line>) with
 * status error and file:line; the run goes on */
static void test_malformed_line_ids(void) {
    char *sp = hutil_asprintf("%s/g.json", ROOT);
    FILE *f = fopen(sp, "w");
    fputs("{\"name\": \"g\", \"version\": 1, \"defaults\": {\"template\": \"raw\"}, \"tasks\": "
          "[{\"name\": \"gsm8k\", \"kind\": \"gsm8k\", \"samples\": 0, "
          "\"data\": \"tests/fixtures/suites/gsm8k_small.jsonl\"}]}\n", f);
    fclose(f);
    char *rp = hutil_asprintf("%s/g.jsonl", ROOT);
    f = fopen(rp, "w");
    fputs("{\"id\": \"gsm8k/0\", \"output\": \"So 7 left.\\n#### 7\"}\n", f);
    fclose(f);
    char *spec = hutil_asprintf("replay:%s", rp);
    char *argv[] = {"run", "--suite", sp, "--backend", spec, "--run-id", "G", "--out", ROOT,
                    "--progress", "off", NULL};
    CU_ASSERT_EQUAL(cli_run(11, argv), 0);
    char *smp = run_file("G", "samples.jsonl");
    CU_ASSERT_PTR_NOT_NULL_FATAL(smp);
    int n = 0, has3 = 0, hash = 0, ok0 = 0;
    for (char *line = strtok(smp, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *o = cJSON_Parse(line);
        CU_ASSERT_PTR_NOT_NULL(o);
        const char *id = hutil_json_str(o, "id", "");
        n++;
        if (strchr(id, '#')) hash++;
        if (!strcmp(id, "gsm8k/0") && !strcmp(hutil_json_str(o, "status", ""), "ok")) ok0 = 1;
        if (!strcmp(id, "gsm8k/3")) {
            has3 = !strcmp(hutil_json_str(o, "status", ""), "error") &&
                   strstr(hutil_json_str(o, "error", ""), "gsm8k_small.jsonl:4:") != NULL;
        }
        cJSON_Delete(o);
    }
    CU_ASSERT_EQUAL(n, 5);
    CU_ASSERT(ok0);
    CU_ASSERT(has3);
    CU_ASSERT_EQUAL(hash, 0);
    free(smp); free(spec); free(rp); free(sp);
}

/* BFCL v4 in its real shape (question = list of turns, "dict"/"float"/"array" types, dotted
 * names, possible_answer/ beside the questions, nested dict answers, list alternatives, ""
 * for omittable parameters, non-ASCII values) through the CLI with DSML replay outputs */
static void test_bfcl_real_shape(void) {
    char *sp = hutil_asprintf("%s/bf.json", ROOT);
    FILE *f = fopen(sp, "w");
    fputs("{\"name\": \"bf\", \"version\": 1, \"defaults\": {\"template\": \"chat\"}, \"tasks\": "
          "[{\"name\": \"bfcl_parallel\", \"kind\": \"bfcl\", \"samples\": 0, \"params\": "
          "{\"category\": \"parallel\"}, \"data\": \"tests/fixtures/suites/bfcl/BFCL_v4_parallel.json\"}]}\n", f);
    fclose(f);
    static const char *const calls[2] = {
        /* order-free; Python lower-cases Ö */
        "[{\"name\":\"stereo.play_artist\",\"arguments\":{\"artist\":\"Sigur Rós\",\"duration\":15}},"
        "{\"name\":\"stereo.play_artist\",\"arguments\":{\"artist\":\"BJÖRK\",\"duration\":20}}]",
        /* nested dict with an omitted optional key; list in the other order; optional omitted */
        "[{\"name\":\"waste.estimate\",\"arguments\":{\"population\":{\"adults\":2,\"children\":2},"
        "\"location\":\"Lyon\",\"tags\":[\"weekly\",\"home\"],\"ratio\":0.5}},"
        "{\"name\":\"waste.estimate\",\"arguments\":{\"population\":{\"singles\":1},\"location\":\"Zurich\"}}]"};
    char *rp = hutil_asprintf("%s/bf.jsonl", ROOT);
    f = fopen(rp, "w");
    for (int i = 0; i < 2; i++) {
        char err[256], *block = NULL;
        CU_ASSERT_EQUAL_FATAL(v4_dsml_render(calls[i], &block, err, sizeof err), 0);
        cJSON *line = cJSON_CreateObject();
        char id[32];
        snprintf(id, sizeof id, "parallel_%d", i);
        cJSON_AddStringToObject(line, "id", id);
        cJSON_AddStringToObject(line, "output", block);
        char *js = cJSON_PrintUnformatted(line);
        fprintf(f, "%s\n", js);
        free(js); free(block); cJSON_Delete(line);
    }
    fclose(f);
    char *spec = hutil_asprintf("replay:%s", rp);
    char *argv[] = {"run", "--suite", sp, "--backend", spec, "--run-id", "BF", "--out", ROOT,
                    "--progress", "off", NULL};
    CU_ASSERT_EQUAL(cli_run(11, argv), 0);
    char *sum = run_file("BF", "summary.csv");
    printf("\n%s", sum ? sum : "(none)\n");
    CU_ASSERT(sum && strstr(sum, "bfcl_parallel,100.00,2,0/2,0\n"));
    free(sum); free(spec); free(rp); free(sp);
}

static int setup(void) {
    strcpy(ROOT, "/tmp/v4eval-e2e-XXXXXX");
    if (!mkdtemp(ROOT)) return 1;
    SUITE_PATH = hutil_asprintf("%s/mini.json", ROOT);
    FILE *f = fopen(SUITE_PATH, "w");
    fputs(SUITE_JSON, f);
    fclose(f);
    return 0;
}

static void test_cleanup(void) {
    char *cmd = hutil_asprintf("rm -rf '%s'", ROOT);
    CU_ASSERT_EQUAL(system(cmd), 0);
    free(cmd);
    free(SUITE_PATH);
}

static void test_setup(void) { CU_ASSERT_EQUAL_FATAL(setup(), 0); }

static const test_case TESTS[] = {
    {"setup", test_setup},
    {"run_replay", test_run_replay},
    {"compare", test_compare},
    {"bad_input", test_bad_input},
    {"window_refused", test_window_refused},
    {"malformed_line_ids", test_malformed_line_ids},
    {"bfcl_real_shape", test_bfcl_real_shape},
    {"cleanup", test_cleanup},
    {NULL, NULL},
};
TEST_MAIN("harness_e2e", TESTS)
