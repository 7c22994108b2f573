/*
 * test_engine_cli.c — `v4eval logits` and `v4eval generate` through their entry points
 * (cli_logits / cli_generate): the written logits file equals the reference fixture's logits in
 * every mode (prefill, chunked, decode; QAT off), greedy generation is deterministic and starts
 * with the argmax of the prompt's last logits, --topk-out writes the reference's CSA selections,
 * and bad input exits 2. Fixture root as in
 * test_engine_model.c (V4_FIXTURES, default tests/fixtures).
 */
#include <sys/stat.h>
#include <unistd.h>
#include "engine/safetensors.h"
#include "harness/cli.h"
#include "tests/test_util.h"

static char g_model[512], g_tokens[600];

static const char *model_dir(void) {
    const char *e = getenv("V4_FIXTURES");
    snprintf(g_model, sizeof g_model, "%s/tiny-bf16", e && *e ? e : "tests/fixtures");
    snprintf(g_tokens, sizeof g_tokens, "%s/tokens.json", g_model);
    return g_model;
}

static int run_cli(int (*fn)(int, char **), const char *const *args) {
    char *argv[32];
    int argc = 0;
    for (; args[argc] && argc < 31; argc++) argv[argc] = (char *)args[argc];
    argv[argc] = NULL;
    fflush(stdout);
    return fn(argc, argv);
}

static void test_logits_file(void) {
    const char *dir = model_dir();
    char path[600], err[V4_ERRLEN];
    snprintf(path, sizeof path, "%s/expected.safetensors", dir);
    st_set *exp;
    if (st_open_file(path, &exp, err, sizeof err)) { printf("    %s\n", err); CU_FAIL("fixture"); return; }
    const st_tensor *ref = st_find(exp, "logits_noqat");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
    size_t n = (size_t)ref->shape[0] * ref->shape[1];
    const char *out = "build/tests/cli_logits.f32";
    const char *modes[3][4] = {{"--prefill", NULL}, {"--chunk", "7", NULL}, {"--decode", NULL}};
    for (int i = 0; i < 3; i++) {
        const char *args[16] = {"logits", "--model", dir, "--tokens-file", g_tokens, "--out", out,
                                "--qat", "off"};
        int k = 9;
        for (int j = 0; modes[i][j]; j++) args[k++] = modes[i][j];
        CU_ASSERT_EQUAL_FATAL(run_cli(cli_logits, args), 0);
        size_t len = 0;
        char *buf = read_file_all(out, &len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
        CU_ASSERT_EQUAL(len, n * sizeof(float));
        if (len == n * sizeof(float)) {
            char label[64];
            snprintf(label, sizeof label, "cli logits %s", modes[i][0]);
            CU_ASSERT(check_tensor((const float *)buf, ref->data, n, label, 1e-3f));
        }
        free(buf);
    }
    unlink(out);
    st_close(exp);
}

/* --topk-out: int32 [n_layers][T][index_topk] equal to the fixture's csa_topk_noqat.L on CSA
 * layers and -1 elsewhere; an unwritable trace path exits 2 and leaves neither file */
static void test_topk_out(void) {
    const char *dir = model_dir();
    char path[600], err[V4_ERRLEN];
    snprintf(path, sizeof path, "%s/expected.safetensors", dir);
    st_set *exp;
    if (st_open_file(path, &exp, err, sizeof err)) { printf("    %s\n", err); CU_FAIL("fixture"); return; }
    const st_tensor *ref1 = st_find(exp, "csa_topk_noqat.1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ref1);
    int T = (int)ref1->shape[0], K = (int)ref1->shape[1], L = 0;
    const char *out = "build/tests/cli_topk_logits.f32", *tk = "build/tests/cli_topk.i32";
    const char *args[] = {"logits", "--model", dir, "--tokens-file", g_tokens, "--out", out,
                          "--qat", "off", "--chunk", "9", "--topk-out", tk, NULL};
    CU_ASSERT_EQUAL_FATAL(run_cli(cli_logits, args), 0);
    size_t len = 0;
    char *buf = read_file_all(tk, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    L = (int)(len / (sizeof(int32_t) * T * K));
    CU_ASSERT(L >= 2 && len == (size_t)L * T * K * sizeof(int32_t));
    int bad = 0, csa = 0;
    for (int l = 0; l < L; l++) {
        char nm[48];
        snprintf(nm, sizeof nm, "csa_topk_noqat.%d", l);
        const st_tensor *r = st_find(exp, nm);
        const int32_t *g = (const int32_t *)buf + (size_t)l * T * K;
        csa += r != NULL;
        for (int t = 0; t < T; t++) {
            if (r) bad += topk_slots_differ(g + t * K, (const int32_t *)r->data + (size_t)t * K, K);
            else for (int j = 0; j < K; j++) bad += g[t * K + j] != -1;
        }
    }
    CU_ASSERT(csa >= 1);
    CU_ASSERT_EQUAL(bad, 0);
    free(buf);
    unlink(out); unlink(tk);
    const char *nope[] = {"logits", "--model", dir, "--tokens-file", g_tokens, "--out", out,
                          "--topk-out", "/nonexistent/dir/t.i32", NULL};
    CU_ASSERT_EQUAL(run_cli(cli_logits, nope), 2);
    struct stat sb;
    CU_ASSERT(stat(out, &sb) != 0);
    st_close(exp);
}

static void test_generate(void) {
    const char *dir = model_dir();
    const char *out = "build/tests/cli_gen.txt";
    const char *args[] = {"generate", "--model", dir, "--tokens-file", g_tokens, "--max-tokens", "6",
                          NULL};
    char *txt[2] = {NULL, NULL};
    for (int r = 0; r < 2; r++) {
        fflush(stdout);
        int saved = dup(1);
        FILE *f = freopen(out, "w", stdout);
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        int rc = run_cli(cli_generate, args);
        fflush(stdout);
        dup2(saved, 1);
        close(saved);
        CU_ASSERT_EQUAL(rc, 0);
        txt[r] = read_file_all(out, NULL);
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(txt[0]);
    printf("    greedy: %s", txt[0]);
    CU_ASSERT_STRING_EQUAL(txt[0], txt[1]);           /* greedy is deterministic */
    int ids = 0;
    for (char *p = txt[0]; *p; p++) if (*p >= '0' && *p <= '9' && (p == txt[0] || p[-1] == ' ')) ids++;
    CU_ASSERT(ids >= 1 && ids <= 6);
    /* the first generated id is the argmax of the reference's last-position logits */
    char path[600], err[V4_ERRLEN];
    snprintf(path, sizeof path, "%s/expected.safetensors", dir);
    st_set *exp;
    if (!st_open_file(path, &exp, err, sizeof err)) {
        const st_tensor *ref = st_find(exp, "logits_qat");
        if (ref) {
            int V = (int)ref->shape[1];
            const float *last = (const float *)ref->data + (size_t)(ref->shape[0] - 1) * V;
            int am = 0;
            for (int v = 1; v < V; v++) if (last[v] > last[am]) am = v;
            CU_ASSERT_EQUAL(atoi(txt[0]), am);
        } else CU_FAIL("logits_qat missing");
        st_close(exp);
    } else CU_FAIL("expected.safetensors");
    free(txt[0]); free(txt[1]);
    unlink(out);
}

/* --prompt: a model directory with a tokenizer.json (the text fixture's tiny tokenizer next to
 * the tiny-bf16 weights): the prompt is tokenized, generation prints detokenized text */
static void test_generate_prompt(void) {
    const char *dir = model_dir();
    char abs[1024], cwd[512], link[1200];
    const char *tmp = "build/tests/cli_prompt_model";
    CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwd, sizeof cwd));
    mkdir(tmp, 0755);
    const char *files[2] = {"config.json", "model.safetensors"};
    for (int i = 0; i < 2; i++) {
        snprintf(abs, sizeof abs, "%s%s%s/%s", dir[0] == '/' ? "" : cwd, dir[0] == '/' ? "" : "/", dir, files[i]);
        snprintf(link, sizeof link, "%s/%s", tmp, files[i]);
        unlink(link);
        CU_ASSERT_EQUAL(symlink(abs, link), 0);
    }
    size_t len = 0;
    char *tj = read_file_all("tests/fixtures/text/tiny_tokenizer.json", &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tj);
    snprintf(link, sizeof link, "%s/tokenizer.json", tmp);
    FILE *f = fopen(link, "wb");
    fwrite(tj, 1, len, f);
    fclose(f);
    free(tj);
    const char *out = "build/tests/cli_prompt.txt";
    const char *args[] = {"generate", "--model", tmp, "--prompt", "abc", "--max-tokens", "5", NULL};
    fflush(stdout);
    int saved = dup(1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(freopen(out, "w", stdout));
    int rc = run_cli(cli_generate, args);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    CU_ASSERT_EQUAL(rc, 0);
    char *txt = read_file_all(out, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(txt);
    printf("    prompt 'abc' → %zu bytes of text: %s", len, txt);
    CU_ASSERT(len >= 2);   /* at least one piece and the newline */
    free(txt);
    unlink(out);
}

static void test_bad_input(void) {
    const char *dir = model_dir();
    const char *bad_json = "build/tests/cli_bad.json", *big = "build/tests/cli_big.json";
    FILE *f = fopen(bad_json, "w"); fputs("[1, 2,", f); fclose(f);
    f = fopen(big, "w"); fputs("[1, 1000000]", f); fclose(f);
    const char *cases[][12] = {
        {"logits", "--model", "/nonexistent", "--tokens-file", g_tokens, "--out", "/tmp/x", NULL},
        {"logits", "--model", dir, "--tokens-file", bad_json, "--out", "/tmp/x", NULL},
        {"logits", "--model", dir, "--tokens-file", big, "--out", "/tmp/x", NULL},
        {"logits", "--model", dir, "--tokens-file", g_tokens, NULL},
        {"logits", "--model", dir, "--tokens-file", g_tokens, "--out", "/tmp/x", "--qat", "maybe", NULL},
        {"logits", "--model", dir, "--tokens-file", g_tokens, "--out", "/tmp/x", "--chunk", "0", NULL},
        {"logits", "--model", dir, "--tokens-file", g_tokens, "--out", "/tmp/x", "--bogus", NULL},
        {"generate", "--model", dir, NULL},
        {"generate", "--model", dir, "--tokens-file", g_tokens, "--top-p", "1.5", NULL},
        {"generate", "--model", dir, "--prompt", "hi", NULL},   /* no tokenizer.json in the fixture */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int (*fn)(int, char **) = !strcmp(cases[i][0], "logits") ? cli_logits : cli_generate;
        int rc = run_cli(fn, cases[i]);
        if (rc != 2) printf("    case %zu: rc %d\n", i, rc);
        CU_ASSERT_EQUAL(rc, 2);
    }
    unlink(bad_json);
    unlink(big);
}

static const test_case TESTS[] = {
    {"logits_file_vs_reference", test_logits_file},
    {"logits_topk_trace", test_topk_out},
    {"generate_greedy", test_generate},
    {"generate_prompt", test_generate_prompt},
    {"bad_input_exit_2", test_bad_input},
    {NULL, NULL},
};
TEST_MAIN("engine_cli", TESTS)
