/* test_harness_builtin.c — the builtin backend on a tiny random-weight V4 checkpoint written by
 * init-random: greedy outputs are the same whether a shared prompt prefix is restored from the
 * fork cache or prefilled from scratch (fresh backend per sample), repeated samples give the
 * same output, a stop string cuts the output exactly where it first occurs, and a sample that
 * does not fit the model's window is refused with a clear message. */
#include <unistd.h>
#include "harness/backend.h"
#include "harness/cli.h"
#include "harness/hutil.h"
#include "tests/test_util.h"

static char DIR_[64];

static const char *PREFIX =
    "The quick brown fox jumps over the lazy dog while the five boxing wizards jump quickly. ";
static const char *QUESTIONS[] = {"Q: first?", "Q: second one?", "Q: third!"};

static backend *open_builtin(void) {
    backend_opts o = backend_opts_default();
    o.model_dir = DIR_;
    o.qat = 0;
    backend *b = NULL;
    char err[1024];
    if (backend_open(&o, &b, err, sizeof err)) printf("    open: %s\n", err);
    return b;
}

static char *gen(backend *b, const char *prompt, char **stops, int n_stops, int max_new,
                 char *err, size_t errlen) {
    eval_sample s;
    memset(&s, 0, sizeof s);
    s.id = (char *)prompt;
    s.prompt = (char *)prompt;
    s.stops = stops;
    s.n_stops = n_stops;
    s.max_new_tokens = max_new;
    backend_result r;
    int fatal = 0;
    if (b->generate(b, &s, &r, &fatal, err, errlen)) return NULL;
    char *o = r.output;
    r.output = NULL;
    backend_result_free(&r);
    return o;
}

static void test_setup(void) {
    strcpy(DIR_, "/tmp/v4eval-builtin-XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(DIR_));
    char *argv[] = {"init-random", "--config", "models/configs/tiny-random.json", "--tokenizer",
                    "tests/fixtures/text/tiny_tokenizer.json", "--out", DIR_, "--seed", "3", NULL};
    fflush(stdout);
    CU_ASSERT_EQUAL_FATAL(cli_init_random(9, argv), 0);
}

static void test_prefix_cache_equivalence(void) {
    char err[1024];
    backend *b = open_builtin();
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    char *prompts[4], *outa[4], *outb[3];
    for (int i = 0; i < 3; i++) prompts[i] = hutil_asprintf("%s%s", PREFIX, QUESTIONS[i]);
    prompts[3] = prompts[0];
    double t0 = hutil_mono();
    for (int i = 0; i < 4; i++) {
        outa[i] = gen(b, prompts[i], NULL, 0, 5, err, sizeof err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(outa[i]);
    }
    cJSON *d = b->describe(b);
    int hits = (int)hutil_json_num(d, "prefix_cache_hits", 0);
    printf("    4 samples in %.2f s, prefix cache hits %d, tokens reused %.0f\n", hutil_mono() - t0,
           hits, hutil_json_num(d, "prefix_tokens_reused", 0));
    CU_ASSERT(hits >= 2); /* samples 3 and 4 restore the prefix kept after sample 2 */
    cJSON_Delete(d);
    b->close(b);
    CU_ASSERT_STRING_EQUAL(outa[3], outa[0]); /* greedy: the same sample, the same output */
    for (int i = 0; i < 3; i++) {
        backend *f = open_builtin(); /* a fresh backend: no cache, full prefill */
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        outb[i] = gen(f, prompts[i], NULL, 0, 5, err, sizeof err);
        f->close(f);
        CU_ASSERT_PTR_NOT_NULL_FATAL(outb[i]);
        CU_ASSERT_STRING_EQUAL(outa[i], outb[i]);
    }
    /* a stop string taken from the middle of the output cuts it at its first occurrence */
    size_t len = strlen(outa[0]);
    if (len >= 3) {
        char stop[3] = {outa[0][len / 2], outa[0][len / 2 + 1], 0};
        char *stops[] = {stop};
        size_t cut = (size_t)(strstr(outa[0], stop) - outa[0]);
        backend *f = open_builtin();
        char *o = gen(f, prompts[0], stops, 1, 5, err, sizeof err);
        CU_ASSERT_PTR_NOT_NULL(o);
        CU_ASSERT(o && strlen(o) == cut && !strncmp(o, outa[0], cut));
        free(o);
        f->close(f);
    } else {
        test_skip("output too short for the stop-string check");
    }
    for (int i = 0; i < 3; i++) { free(prompts[i]); free(outa[i]); free(outb[i]); }
    free(outa[3]);
}

static void test_window_refusal(void) {
    char err[1024];
    backend *b = open_builtin();
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(b->max_context, 65536);
    char *o = gen(b, "short prompt", NULL, 0, 70000, err, sizeof err);
    CU_ASSERT_PTR_NULL(o);
    printf("    %s\n", err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "beyond the model's window of 65536"));
    b->close(b);
    backend_opts bad = backend_opts_default();
    bad.model_dir = "/nonexistent/model";
    backend *x;
    CU_ASSERT_NOT_EQUAL(backend_open(&bad, &x, err, sizeof err), 0);
    printf("    %s\n", err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a model directory"));
}

static void test_cleanup(void) {
    char *cmd = hutil_asprintf("rm -rf '%s'", DIR_);
    CU_ASSERT_EQUAL(system(cmd), 0);
    free(cmd);
}

static const test_case TESTS[] = {
    {"setup", test_setup},
    {"prefix_cache_equivalence", test_prefix_cache_equivalence},
    {"window_refusal", test_window_refusal},
    {"cleanup", test_cleanup},
    {NULL, NULL},
};
TEST_MAIN("harness_builtin", TESTS)
