/* test_harness_results.c — summary.csv (RULER layout) and results.csv (long format) for a
 * hand-made set of records, compared byte for byte with hand-computed tables; pass@k rows;
 * record JSON round trip. */
#include <unistd.h>
#include "harness/hutil.h"
#include "harness/record.h"
#include "harness/results.h"
#include "tests/test_util.h"

static void mk(sample_record *r, const char *task, const char *id, int length, double depth,
               double score, int passed, const char *status, const char *output) {
    record_init(r);
    r->id = hutil_strdup(id);
    r->suite = hutil_strdup("s");
    r->task = hutil_strdup(task);
    r->length = length;
    r->depth = depth;
    r->score = score;
    r->passed = passed;
    r->status = hutil_strdup(status);
    r->output = hutil_strdup(output);
}

/* records in a scrambled order: the tables must not depend on it */
static int make_records(sample_record *r) {
    mk(&r[0], "b", "b/1", 0, -1, 0.5, 0, "ok", "half");
    mk(&r[1], "a", "a/2048/0.5", 2048, 0.5, 0, 0, "error", NULL);
    mk(&r[2], "a", "a/1024/0", 1024, 0, 1, 1, "ok", "x");
    mk(&r[3], "b", "b/0", 0, -1, 1, 1, "ok", "y");
    mk(&r[4], "a", "a/1024/0.5", 1024, 0.5, 0, 0, "ok", "  \n");
    mk(&r[5], "a", "a/2048/0", 2048, 0, 1, 1, "ok", "z");
    r[1].error = hutil_strdup("backend failed");
    return 6;
}

static char *tmpdir(void) {
    char tmpl[] = "/tmp/v4eval-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    return d ? hutil_strdup(d) : NULL;
}

static void test_summary_csv(void) {
    sample_record r[8];
    int n = make_records(r);
    char *d = tmpdir(), err[256];
    char *p = hutil_asprintf("%s/summary.csv", d);
    CU_ASSERT_EQUAL_FATAL(results_write_summary(p, r, n, err, sizeof err), 0);
    char *got = hutil_read_file(p, NULL);
    const char *want =
        "task,score,1024,2048,n,nulls,errors\n"
        "a,,50.00,50.00,4,1/4,1\n"
        "b,75.00,,,2,0/2,0\n"
        "average,75.00,50.00,50.00,6,1/6,1\n";
    if (strcmp(got, want)) printf("\n--- got\n%s--- want\n%s", got, want);
    CU_ASSERT_STRING_EQUAL(got, want);
    free(got);
    unlink(p); free(p); rmdir(d); free(d);
    for (int i = 0; i < n; i++) record_free(&r[i]);
}

static void test_results_csv(void) {
    sample_record r[8];
    int n = make_records(r);
    char *d = tmpdir(), err[256];
    char *p = hutil_asprintf("%s/results.csv", d);
    CU_ASSERT_EQUAL_FATAL(results_write_csv(p, r, n, "tiny", "qat", err, sizeof err), 0);
    char *got = hutil_read_file(p, NULL);
    const char *want =
        "suite,task,length,depth,metric,value,stderr,n,model,quant\n"
        "s,a,1024,all,score,0.500000,0.500000,2,tiny,qat\n"
        "s,a,1024,all,pass_rate,0.500000,0.500000,2,tiny,qat\n"
        "s,a,1024,all,nulls,1,,2,tiny,qat\n"
        "s,a,1024,all,errors,0,,2,tiny,qat\n"
        "s,a,1024,0,score,1.000000,,1,tiny,qat\n"
        "s,a,1024,0,pass_rate,1.000000,,1,tiny,qat\n"
        "s,a,1024,0,nulls,0,,1,tiny,qat\n"
        "s,a,1024,0,errors,0,,1,tiny,qat\n"
        "s,a,1024,0.5,score,0.000000,,1,tiny,qat\n"
        "s,a,1024,0.5,pass_rate,0.000000,,1,tiny,qat\n"
        "s,a,1024,0.5,nulls,1,,1,tiny,qat\n"
        "s,a,1024,0.5,errors,0,,1,tiny,qat\n"
        "s,a,2048,all,score,0.500000,0.500000,2,tiny,qat\n"
        "s,a,2048,all,pass_rate,0.500000,0.500000,2,tiny,qat\n"
        "s,a,2048,all,nulls,0,,2,tiny,qat\n"
        "s,a,2048,all,errors,1,,2,tiny,qat\n"
        "s,a,2048,0,score,1.000000,,1,tiny,qat\n"
        "s,a,2048,0,pass_rate,1.000000,,1,tiny,qat\n"
        "s,a,2048,0,nulls,0,,1,tiny,qat\n"
        "s,a,2048,0,errors,0,,1,tiny,qat\n"
        "s,a,2048,0.5,score,0.000000,,1,tiny,qat\n"
        "s,a,2048,0.5,pass_rate,0.000000,,1,tiny,qat\n"
        "s,a,2048,0.5,nulls,0,,1,tiny,qat\n"
        "s,a,2048,0.5,errors,1,,1,tiny,qat\n"
        "s,a,all,all,score,0.500000,0.288675,4,tiny,qat\n"
        "s,a,all,all,pass_rate,0.500000,0.288675,4,tiny,qat\n"
        "s,a,all,all,nulls,1,,4,tiny,qat\n"
        "s,a,all,all,errors,1,,4,tiny,qat\n"
        "s,b,0,all,score,0.750000,0.250000,2,tiny,qat\n"
        "s,b,0,all,pass_rate,0.500000,0.500000,2,tiny,qat\n"
        "s,b,0,all,nulls,0,,2,tiny,qat\n"
        "s,b,0,all,errors,0,,2,tiny,qat\n"
        "s,all,all,all,score,0.625000,0.190941,2,tiny,qat\n"
        "s,all,0,all,score,0.750000,0.250000,1,tiny,qat\n"
        "s,all,1024,all,score,0.500000,0.500000,1,tiny,qat\n"
        "s,all,2048,all,score,0.500000,0.500000,1,tiny,qat\n";
    if (strcmp(got, want)) printf("\n--- got\n%s--- want\n%s", got, want);
    CU_ASSERT_STRING_EQUAL(got, want);
    free(got);
    unlink(p); free(p); rmdir(d); free(d);
    for (int i = 0; i < n; i++) record_free(&r[i]);
}

static void test_pass_at_k_rows(void) {
    /* problem p1: 3 samples, 2 pass; p2: 3 samples, none pass → pass@1 = mean(2/3, 0) */
    sample_record r[6];
    const int pass[6] = {1, 0, 1, 0, 0, 0};
    for (int i = 0; i < 6; i++) {
        char id[16];
        snprintf(id, sizeof id, "c/%d", i);
        mk(&r[i], "c", id, 0, -1, pass[i], pass[i], pass[i] ? "ok" : "fail", "code");
        r[i].meta = cJSON_Parse(i < 3 ? "{\"sample\":{\"problem_id\":\"p1\"}}"
                                      : "{\"sample\":{\"problem_id\":\"p2\"}}");
    }
    result_row *rows;
    int nr, found = 0, found10 = 0;
    results_aggregate(r, 6, &rows, &nr);
    for (int i = 0; i < nr; i++) {
        if (!strcmp(rows[i].metric, "pass@1") && !strcmp(rows[i].task, "c")) {
            found = 1;
            CU_ASSERT_DOUBLE_EQUAL(rows[i].value, 1.0 / 3.0, 1e-12);
            CU_ASSERT_DOUBLE_EQUAL(rows[i].se, sqrt(2.0 / 9.0) / sqrt(2.0), 1e-12);
            CU_ASSERT_EQUAL(rows[i].n, 2);
        }
        found10 |= !strcmp(rows[i].metric, "pass@10"); /* n = 3 < 10: never reported */
    }
    CU_ASSERT(found);
    CU_ASSERT(!found10);
    results_rows_free(rows, nr);
    for (int i = 0; i < 6; i++) record_free(&r[i]);
}

static void test_record_roundtrip(void) {
    sample_record r, back;
    mk(&r, "t", "t/7", 4096, 0.25, 0.5, 0, "ok", "line1\nline2 \"quoted\" \xe2\x9c\x93");
    r.index = 7;
    r.tokens_in = 4000; r.tokens_out = 12; r.latency_s = 1.5;
    r.extracted = hutil_strdup("line1");
    r.meta = cJSON_Parse("{\"sample\":{\"needle_pos\":123}}");
    strcpy(r.prompt_hash, "ab");
    char *j = record_to_json(&r), err[128];
    CU_ASSERT_PTR_NULL(strchr(j, '\n')); /* one line */
    CU_ASSERT_EQUAL_FATAL(record_from_json(j, &back, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(back.output, r.output);
    CU_ASSERT_STRING_EQUAL(back.id, "t/7");
    CU_ASSERT_EQUAL(back.length, 4096);
    CU_ASSERT_DOUBLE_EQUAL(back.depth, 0.25, 0);
    CU_ASSERT_EQUAL(back.index, 7);
    CU_ASSERT_EQUAL(back.tokens_in, 4000);
    CU_ASSERT_STRING_EQUAL(back.prompt_hash, "ab");
    CU_ASSERT_EQUAL(hutil_json_num(cJSON_GetObjectItem(back.meta, "sample"), "needle_pos", 0), 123);
    char *j2 = record_to_json(&back);
    CU_ASSERT_STRING_EQUAL(j, j2);
    free(j); free(j2);
    record_free(&back);
    CU_ASSERT_NOT_EQUAL(record_from_json("{\"id\":\"x\"}", &back, err, sizeof err), 0);
    printf("    missing fields → %s\n", err);
    CU_ASSERT_NOT_EQUAL(record_from_json("{\"id\":", &back, err, sizeof err), 0);
    record_free(&r);
}

/* utf8_ok: 1 when s is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF) */
static int utf8_ok(const unsigned char *s) {
    while (*s) {
        int n = *s < 0x80 ? 1 : (*s & 0xE0) == 0xC0 ? 2 : (*s & 0xF0) == 0xE0 ? 3 : (*s & 0xF8) == 0xF0 ? 4 : 0;
        if (!n || (n == 2 && *s < 0xC2)) return 0;
        unsigned cp = n == 1 ? *s : *s & (0x7F >> n);
        for (int i = 1; i < n; i++) {
            if ((s[i] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i] & 0x3F);
        }
        if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        s += n;
    }
    return 1;
}

/* a raw generation cut mid-character reaches the record through the scorer's details (the
 * thinking part) and extracted: the line must still be valid UTF-8 JSON */
static void test_record_utf8(void) {
    sample_record r;
    record_init(&r);
    r.id = strdup("niah/1024/0");
    r.status = strdup("ok");
    r.output = strdup("ok \xE2\x82\xAC");
    r.extracted = strdup("cut \xD0");
    r.meta = cJSON_CreateObject();
    cJSON *sc = cJSON_AddObjectToObject(r.meta, "score");
    cJSON_AddStringToObject(sc, "thinking", "05\xC2" "987\xC3\xAAt \xF0\x9F\x98");
    char *line = record_to_json(&r);
    printf("\n    %s\n", line);
    CU_ASSERT(utf8_ok((const unsigned char *)line));
    cJSON *o = cJSON_Parse(line);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_STRING_EQUAL(hutil_json_str(o, "output", ""), "ok \xE2\x82\xAC"); /* valid text kept */
    CU_ASSERT_STRING_EQUAL(hutil_json_str(o, "extracted", ""), "cut \xEF\xBF\xBD");
    CU_ASSERT_STRING_EQUAL(hutil_json_str(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "meta"), "score"), "thinking", ""),
                           "05\xEF\xBF\xBD" "987\xC3\xAAt \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    cJSON_Delete(o);
    free(line);
    record_free(&r);
}

static const test_case TESTS[] = {
    {"summary_csv", test_summary_csv},
    {"results_csv", test_results_csv},
    {"pass_at_k_rows", test_pass_at_k_rows},
    {"record_roundtrip", test_record_roundtrip},
    {"record_utf8", test_record_utf8},
    {NULL, NULL},
};
TEST_MAIN("harness_results", TESTS)
