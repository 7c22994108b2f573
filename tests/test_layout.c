/*
 * test_layout.c — checkpoint validation against the layout (layout_validate), random
 * checkpoints (init_random_write) and the info / init-random commands.
 *
 * Good checkpoints come from init_random_write on models/configs/tiny-random.json (BF16 and FP8
 * storage). Each bad checkpoint is the good one rewritten with one tensor dropped, replaced or
 * added; validation must fail with one line naming the tensor, expected and found.
 */
#include <sys/stat.h>
#include <unistd.h>
#include "engine/config.h"
#include "engine/init_random.h"
#include "engine/layout.h"
#include "engine/safetensors.h"
#include "engine/st_write.h"
#include "harness/cli.h"
#include "tests/test_util.h"

#define TINY "models/configs/tiny-random.json"

static char tmp[256];
static v4_config cfg;

static const char *tmp_path(const char *sub) {
    static char buf[4][512];
    static int k;
    if (!tmp[0]) {
        snprintf(tmp, sizeof tmp, "/tmp/v4eval-layout-XXXXXX");
        if (!mkdtemp(tmp)) tmp[0] = 0;
    }
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmp, sub);
    return buf[k];
}

static int setup(void) {
    char err[V4_ERRLEN];
    if (config_load(TINY, &cfg, err, sizeof err)) { printf("%s\n", err); return -1; }
    int bad;
    if (init_random_write(&cfg, TINY, tmp_path("bf16"), 7, INIT_BF16, &bad, err, sizeof err) ||
        init_random_write(&cfg, TINY, tmp_path("fp8"), 7, INIT_FP8, &bad, err, sizeof err)) {
        printf("%s\n", err);
        return -1;
    }
    return 0;
}

static int validate_dir(const char *dir, char *err, size_t errlen) {
    st_set *s = NULL;
    char cp[600];
    v4_config c;
    snprintf(cp, sizeof cp, "%s/config.json", dir);
    if (config_load(cp, &c, err, errlen)) return -1;
    if (st_open_dir(dir, &s, err, errlen)) return -1;
    int rc = layout_validate(&c, s, err, errlen);
    st_close(s);
    return rc;
}

static void test_good_checkpoints(void) {
    char err[V4_ERRLEN] = "";
    int rc = validate_dir(tmp_path("bf16"), err, sizeof err);
    if (rc) printf("    %s\n", err);
    CU_ASSERT_EQUAL(rc, 0);
    rc = validate_dir(tmp_path("fp8"), err, sizeof err);
    if (rc) printf("    %s\n", err);
    CU_ASSERT_EQUAL(rc, 0);
}

/* Values of the random checkpoint: norms 1, tid2eid rows distinct and in range, linears with
 * standard deviation ~ 1/sqrt(fan_in) in both storages, FP8/FP4 formats where expected. */
static void test_random_values(void) {
    char err[V4_ERRLEN];
    st_set *s8 = NULL, *s16 = NULL;
    CU_ASSERT_EQUAL_FATAL(st_open_dir(tmp_path("fp8"), &s8, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(st_open_dir(tmp_path("bf16"), &s16, err, sizeof err), 0);
    const st_tensor *t = st_find(s8, "layers.0.attn_norm.weight");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL(fmt_bf16_to_f32(((const uint16_t *)t->data)[17]), 1.0f);
    t = st_find(s8, "layers.1.ffn.gate.tid2eid");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    const int64_t *ids = t->data;
    int ok = 1;
    for (int r = 0; r < cfg.vocab_size; r++) {
        int64_t a = ids[2 * r], b = ids[2 * r + 1];
        ok &= a != b && a >= 0 && b >= 0 && a < 8 && b < 8;
    }
    CU_ASSERT(ok);
    CU_ASSERT_PTR_NULL(st_find(s8, "layers.2.ffn.gate.tid2eid"));
    v4_layout lay;
    CU_ASSERT_EQUAL_FATAL(layout_build(&cfg, &lay, err, sizeof err), 0);
    for (int i = 0; i < lay.n; i++) {
        const layout_entry *e = &lay.e[i];
        if (strcmp(e->name, "layers.2.attn.wq_a") && strcmp(e->name, "layers.3.ffn.experts.5.w2"))
            continue;
        v4_weight w8, w16;
        CU_ASSERT_EQUAL_FATAL(layout_bind(&cfg, s8, e, &w8, err, sizeof err), 0);
        CU_ASSERT_EQUAL_FATAL(layout_bind(&cfg, s16, e, &w16, err, sizeof err), 0);
        CU_ASSERT_EQUAL(w8.fmt, e->cls == LC_EXPERT ? FMT_FP4 : FMT_FP8);
        CU_ASSERT_EQUAL(w16.fmt, FMT_BF16);
        float *a = malloc(sizeof(float) * (size_t)w8.cols), *b = malloc(sizeof(float) * (size_t)w8.cols);
        double s2 = 0, d2 = 0;
        for (int r = 0; r < w8.rows; r++) {
            fmt_dequant_row(&w8, r, a);
            fmt_dequant_row(&w16, r, b);
            for (int c = 0; c < w8.cols; c++) { s2 += (double)b[c] * b[c]; d2 += (double)(a[c] - b[c]) * (a[c] - b[c]); }
        }
        double n = (double)w8.rows * w8.cols, sd = sqrt(s2 / n), want = 1.0 / sqrt(w8.cols);
        double rel = sqrt(d2 / s2);
        printf("    %s: sd %.4f (want %.4f), quantised vs bf16 rel. error %.3f\n", e->name, sd,
               want, rel);
        CU_ASSERT(fabs(sd / want - 1) < 0.05);
        CU_ASSERT(rel < (w8.fmt == FMT_FP4 ? 0.2 : 0.05));   /* same seed: same values, quantised */
        free(a);
        free(b);
    }
    layout_free(&lay);
    st_close(s8);
    st_close(s16);
}

/* Rewrites src's checkpoint into dst with tensor `drop` removed and (name, dt, shape, data)
 * added, then validates dst; returns the validation rc with err. */
static int rewrite_and_validate(const char *src, const char *dst, const char *drop,
                                const char *add, st_dtype dt, int ndim, const int64_t *shape,
                                const void *data, size_t nbytes, char *err, size_t errlen) {
    st_set *s = NULL;
    char e2[V4_ERRLEN];
    if (st_open_dir(src, &s, e2, sizeof e2)) { snprintf(err, errlen, "setup: %.900s", e2); return 0; }
    st_writer *w = st_writer_new();
    for (int i = 0; i < st_count(s); i++) {
        const st_tensor *t = st_at(s, i);
        if ((drop && !strcmp(t->name, drop)) || (add && !strcmp(t->name, add))) continue;
        st_writer_add(w, t->name, t->dtype, t->ndim, t->shape, t->data, t->nbytes, e2, sizeof e2);
    }
    if (add) st_writer_add(w, add, dt, ndim, shape, data, nbytes, e2, sizeof e2);
    st_close(s);
    char p[600], cs[600], cd[600];
    mkdir(dst, 0755);
    snprintf(p, sizeof p, "%s/model.safetensors", dst);
    st_writer_save(w, p, e2, sizeof e2);
    st_writer_free(w);
    snprintf(cs, sizeof cs, "%s/config.json", src);
    snprintf(cd, sizeof cd, "%s/config.json", dst);
    size_t len;
    char *txt = read_file_all(cs, &len);
    FILE *f = fopen(cd, "w");
    if (f && txt) fwrite(txt, 1, len, f);
    if (f) fclose(f);
    free(txt);
    return validate_dir(dst, err, errlen);
}

static void expect_invalid(const char *label, const char *src, const char *drop, const char *add,
                           st_dtype dt, int ndim, const int64_t *shape, const void *data,
                           size_t nbytes, const char *n1, const char *n2) {
    char err[V4_ERRLEN] = "";
    int rc = rewrite_and_validate(tmp_path(src), tmp_path("bad"), drop, add, dt, ndim, shape,
                                  data, nbytes, err, sizeof err);
    printf("    %-22s -> %s\n", label, rc ? err : "(accepted!)");
    CU_ASSERT(rc != 0);
    CU_ASSERT(strstr(err, "expected") != NULL);
    CU_ASSERT(strchr(err, '\n') == NULL);
    if (n1) CU_ASSERT(strstr(err, n1) != NULL);
    if (n2) CU_ASSERT(strstr(err, n2) != NULL);
}

static void test_invalid_checkpoints(void) {
    static uint8_t buf[1 << 20];
    memset(buf, 0, sizeof buf);
    expect_invalid("missing tensor", "bf16", "layers.2.attn.indexer.compressor.ape", NULL, 0, 0,
                   NULL, NULL, 0, "layers.2.attn.indexer.compressor.ape", "missing");
    expect_invalid("missing scale", "fp8", "layers.4.attn.wkv.scale", NULL, 0, 0, NULL, NULL, 0,
                   "layers.4.attn.wkv.scale", "missing");
    expect_invalid("wrong shape", "bf16", NULL, "layers.0.attn.wq_a.weight", ST_BF16, 2,
                   (int64_t[]){128, 255}, buf, 128 * 255 * 2, "layers.0.attn.wq_a.weight",
                   "expected BF16 [128, 256], found BF16 [128, 255]");
    expect_invalid("wrong dtype", "bf16", NULL, "layers.3.ffn.gate.bias", ST_BF16, 1,
                   (int64_t[]){8}, buf, 16, "layers.3.ffn.gate.bias",
                   "expected F32 [8], found BF16 [8]");
    expect_invalid("FP8 where unquantised", "fp8", NULL, "layers.2.ffn.gate.weight", ST_F8_E4M3,
                   2, (int64_t[]){8, 256}, buf, 8 * 256, "layers.2.ffn.gate.weight",
                   "found F8_E4M3");
    expect_invalid("unexpected tensor", "bf16", NULL, "model.embed.weight", ST_BF16, 1,
                   (int64_t[]){4}, buf, 8, "model.embed.weight", "unexpected");
    expect_invalid("tid2eid dtype", "bf16", NULL, "layers.0.ffn.gate.tid2eid", ST_F32, 2,
                   (int64_t[]){4096, 2}, buf, 4096 * 2 * 4, "tid2eid", "I64 or I32");
    static int64_t ids[4096 * 2];
    for (int i = 0; i < 4096 * 2; i++) ids[i] = i % 8;
    ids[4097] = 8;
    expect_invalid("tid2eid out of range", "bf16", NULL, "layers.0.ffn.gate.tid2eid", ST_I64, 2,
                   (int64_t[]){4096, 2}, ids, sizeof ids, "[0, 8)", "found 8 at [2048, 1]");
    expect_invalid("no MTP tensors", "bf16", "mtp.0.e_proj.weight", NULL, 0, 0, NULL, NULL, 0,
                   "mtp.0.e_proj.weight", "missing");
    /* I32 tid2eid is accepted */
    static int32_t ids32[4096 * 2];
    for (int i = 0; i < 4096 * 2; i++) ids32[i] = i % 8;
    char err[V4_ERRLEN] = "";
    int rc = rewrite_and_validate(tmp_path("bf16"), tmp_path("i32"), NULL,
                                  "layers.0.ffn.gate.tid2eid", ST_I32, 2, (int64_t[]){4096, 2},
                                  ids32, sizeof ids32, err, sizeof err);
    if (rc) printf("    %s\n", err);
    CU_ASSERT_EQUAL(rc, 0);
}

/* A checkpoint validated against a config it was not written for. */
static void test_config_mismatch(void) {
    char err[V4_ERRLEN] = "";
    v4_config other = cfg;
    other.n_routed_experts = 16;
    st_set *s;
    CU_ASSERT_EQUAL_FATAL(st_open_dir(tmp_path("bf16"), &s, err, sizeof err), 0);
    CU_ASSERT(layout_validate(&other, s, err, sizeof err) != 0);
    printf("    %s\n", err);
    CU_ASSERT(strstr(err, "layers.0.ffn.gate.weight") != NULL);
    st_close(s);
}

/* The reference helper's fixtures (written by an independent Python writer) validate, when
 * present in this checkout. */
static void test_reference_fixtures(void) {
    const char *dirs[2] = {"tests/fixtures/tiny-bf16", "tests/fixtures/tiny-fp8"};
    for (int i = 0; i < 2; i++) {
        char cp[300], err[V4_ERRLEN] = "";
        snprintf(cp, sizeof cp, "%s/config.json", dirs[i]);
        if (access(cp, R_OK)) { test_skip("%s not in this checkout", dirs[i]); continue; }
        int rc = validate_dir(dirs[i], err, sizeof err);
        printf("    %s: %s\n", dirs[i], rc ? err : "valid");
        CU_ASSERT_EQUAL(rc, 0);
    }
}

static int run_cli(int (*fn)(int, char **), const char *a0, const char *a1, const char *a2,
                   const char *a3, const char *a4, const char *a5, const char *a6) {
    char *argv[8] = {(char *)a0, (char *)a1, (char *)a2, (char *)a3, (char *)a4, (char *)a5,
                     (char *)a6, NULL};
    int argc = 0;
    while (argc < 7 && argv[argc]) argc++;
    fflush(stdout);
    return fn(argc, argv);
}

static void test_cli(void) {
    CU_ASSERT_EQUAL(run_cli(cli_info, "info", "--model", tmp_path("fp8"), NULL, NULL, NULL, NULL), 0);
    CU_ASSERT_EQUAL(run_cli(cli_info, "info", "--config", TINY, NULL, NULL, NULL, NULL), 0);
    CU_ASSERT_EQUAL(run_cli(cli_info, "info", "--model", tmp_path("bad"), NULL, NULL, NULL, NULL), 2);
    CU_ASSERT_EQUAL(run_cli(cli_info, "info", "--model", "/nonexistent", NULL, NULL, NULL, NULL), 2);
    CU_ASSERT_EQUAL(run_cli(cli_info, "info", NULL, NULL, NULL, NULL, NULL, NULL), 2);
    CU_ASSERT_EQUAL(run_cli(cli_info, "info", "--bogus", NULL, NULL, NULL, NULL, NULL), 2);
    CU_ASSERT_EQUAL(run_cli(cli_init_random, "init-random", "--config", TINY, "--out",
                            tmp_path("cli"), "--seed", "5"), 0);
    CU_ASSERT_EQUAL(run_cli(cli_init_random, "init-random", "--config",
                            "models/configs/deepseek-v4-pro.json", "--out", tmp_path("big"),
                            NULL, NULL), 2);
    CU_ASSERT_EQUAL(run_cli(cli_init_random, "init-random", "--config", TINY, "--out",
                            tmp_path("x"), "--format", "int3"), 2);
    CU_ASSERT_EQUAL(run_cli(cli_init_random, "init-random", "--config", TINY, NULL, NULL, NULL,
                            NULL), 2);
    /* same seed, same bytes */
    CU_ASSERT_EQUAL(run_cli(cli_init_random, "init-random", "--config", TINY, "--out",
                            tmp_path("cli2"), "--seed", "5"), 0);
    char p1[600], p2[600];
    snprintf(p1, sizeof p1, "%s/model.safetensors", tmp_path("cli"));
    snprintf(p2, sizeof p2, "%s/model.safetensors", tmp_path("cli2"));
    size_t l1 = 0, l2 = 0;
    char *a = read_file_all(p1, &l1), *b = read_file_all(p2, &l2);
    CU_ASSERT(a && b && l1 == l2 && !memcmp(a, b, l1));
    free(a);
    free(b);
}

static void test_cleanup(void) {
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    CU_ASSERT_EQUAL(system(cmd), 0);
}

static void test_setup(void) { CU_ASSERT_EQUAL_FATAL(setup(), 0); }

/* The layout table for the released Flash config against the published facts of the real
 * checkpoint (a header listing of deepseek-ai/DeepSeek-V4-Flash, 46 shards): 69,187 tensors
 * and 158,069,433,298 stored elements, with FP8 dense linears + E8M0 [ceil/128] scales, routed
 * experts I8 [out, in/2] + E8M0 [out, in/32], BF16/F32 elsewhere; spot checks of the names
 * that distinguish layer kinds (tid2eid on layers 0-2 only, gate.bias on 3-42 and mtp.0,
 * compressor.norm on 2-42, indexer on even layers >= 2). */
static void test_flash_real_checkpoint(void) {
    v4_config c;
    char err[V4_ERRLEN];
    CU_ASSERT_EQUAL_FATAL(config_load("models/configs/deepseek-v4-flash.json", &c, err, sizeof err), 0);
    v4_layout l;
    CU_ASSERT_EQUAL_FATAL(layout_build(&c, &l, err, sizeof err), 0);
    long n = 0;
    double elems = 0;
    int tid = 0, bias = 0, cnorm = 0, idx = 0, mtp_bias = 0, mtp_tid = 0;
    for (int i = 0; i < l.n; i++) {
        const layout_entry *e = &l.e[i];
        double r = (double)e->shape[0], k = e->ndim == 2 ? (double)e->shape[1] : 1;
        n++;
        if (e->cls == LC_DENSE) {
            n++;
            elems += r * k + (double)((e->shape[0] + 127) / 128) * (double)((e->shape[1] + 127) / 128);
        } else if (e->cls == LC_EXPERT) {
            n++;
            elems += r * k / 2 + r * (k / 32);
        } else {
            elems += r * k;
        }
        tid += strstr(e->name, "ffn.gate.tid2eid") != NULL;
        bias += strstr(e->name, "ffn.gate.bias") != NULL;
        cnorm += strstr(e->name, "attn.compressor.norm.weight") != NULL;
        idx += strstr(e->name, "attn.indexer.weights_proj") != NULL;
        mtp_bias += !strcmp(e->name, "mtp.0.ffn.gate.bias");
        mtp_tid += !strcmp(e->name, "mtp.0.ffn.gate.tid2eid");
    }
    printf("    Flash layout: %ld tensors, %.0f stored elements (checkpoint: 69187, 158069433298)\n",
           n, elems);
    CU_ASSERT_EQUAL(n, 69187);
    CU_ASSERT(elems == 158069433298.0);
    CU_ASSERT_EQUAL(tid, 3);
    CU_ASSERT_EQUAL(bias, 40 + 1);
    CU_ASSERT_EQUAL(mtp_bias, 1);
    CU_ASSERT_EQUAL(mtp_tid, 0);
    CU_ASSERT_EQUAL(cnorm, 41);
    CU_ASSERT_EQUAL(idx, 21);
    layout_free(&l);
}

static const test_case TESTS[] = {
    {"flash_real_checkpoint", test_flash_real_checkpoint},
    {"setup", test_setup},
    {"good_checkpoints", test_good_checkpoints},
    {"random_values", test_random_values},
    {"invalid_checkpoints", test_invalid_checkpoints},
    {"config_mismatch", test_config_mismatch},
    {"reference_fixtures", test_reference_fixtures},
    {"cli", test_cli},
    {"zz_cleanup", test_cleanup},
    {NULL, NULL},
};
TEST_MAIN("layout", TESTS)
