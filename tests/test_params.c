/*
 * test_params.c — parameter counts, checkpoint bytes, KV bytes and the layout table for the
 * released Flash and Pro configs, against the figures of spec §13.3–13.6, §16.2 and Appendix A.
 */
#include "engine/config.h"
#include "engine/layout.h"
#include "engine/params.h"
#include "tests/test_util.h"

static int load(const char *path, v4_config *c) {
    char err[V4_ERRLEN];
    int rc = config_load(path, c, err, sizeof err);
    if (rc) printf("    %s\n", err);
    return rc;
}

/* |got/want - 1| <= rel, printed. */
static int near(const char *label, double got, double want, double rel) {
    double r = fabs(got / want - 1.0);
    printf("    %-34s %.6g (spec %.6g, %.3f%%)\n", label, got, want, 100 * r);
    return r <= rel;
}

static void test_flash_counts(void) {
    v4_config c;
    CU_ASSERT_EQUAL_FATAL(load("models/configs/deepseek-v4-flash.json", &c), 0);
    v4_params p;
    char err[V4_ERRLEN];
    CU_ASSERT_EQUAL_FATAL(params_count(&c, &p, err, sizeof err), 0);
    CU_ASSERT(near("Flash total excl. MTP", (double)p.total_no_mtp, 284.3e9, 0.01));
    CU_ASSERT(near("Flash total (announced 284B)", (double)p.total_no_mtp, 284e9, 0.01));
    CU_ASSERT(near("Flash activated (13.27B MACs)", (double)p.active, 13.27e9, 0.01));
    CU_ASSERT(p.total > p.total_no_mtp);
    CU_ASSERT_EQUAL(p.n_swa, 2);
    CU_ASSERT_EQUAL(p.n_csa, 21);
    CU_ASSERT_EQUAL(p.n_hca, 20);
    CU_ASSERT_EQUAL(p.embed, 129280LL * 4096);
    params_storage st = params_default_storage(&c);
    CU_ASSERT_EQUAL(st.dense, FMT_FP8);
    CU_ASSERT_EQUAL(st.expert, FMT_FP4);
    params_bytes b;
    CU_ASSERT_EQUAL_FATAL(params_bytes_for(&c, &st, &b, err, sizeof err), 0);
    CU_ASSERT(near("Flash checkpoint bytes incl. MTP", (double)b.total, 159.6e9, 0.01));
    CU_ASSERT_EQUAL(b.index, 3LL * 129280 * 6 * 8);
}

static void test_pro_counts(void) {
    v4_config c;
    CU_ASSERT_EQUAL_FATAL(load("models/configs/deepseek-v4-pro.json", &c), 0);
    v4_params p;
    char err[V4_ERRLEN];
    CU_ASSERT_EQUAL_FATAL(params_count(&c, &p, err, sizeof err), 0);
    CU_ASSERT(near("Pro total excl. MTP", (double)p.total_no_mtp, 1.573e12, 0.01));
    CU_ASSERT(near("Pro total incl. MTP (announced 1.6T)", (double)p.total, 1.6e12, 0.01));
    CU_ASSERT(near("Pro activated (48.85B MACs)", (double)p.active, 48.85e9, 0.01));
    CU_ASSERT(near("Pro activated (announced 49B)", (double)p.active, 49e9, 0.01));
    CU_ASSERT_EQUAL(p.n_swa, 0);
    CU_ASSERT_EQUAL(p.n_csa, 30);
    CU_ASSERT_EQUAL(p.n_hca, 31);
    params_storage st = params_default_storage(&c);
    params_bytes b;
    CU_ASSERT_EQUAL_FATAL(params_bytes_for(&c, &st, &b, err, sizeof err), 0);
    CU_ASSERT(near("Pro checkpoint bytes incl. MTP", (double)b.total, 864.7e9, 0.01));
}

static void test_kv_bytes(void) {
    v4_config f, p;
    CU_ASSERT_EQUAL_FATAL(load("models/configs/deepseek-v4-flash.json", &f), 0);
    CU_ASSERT_EQUAL_FATAL(load("models/configs/deepseek-v4-pro.json", &p), 0);
    double kf = params_kv_bytes_per_token(&f, KV_PAPER), kp = params_kv_bytes_per_token(&p, KV_PAPER);
    printf("    KV bytes/token paper: Flash %.2f, Pro %.2f; BF16: Flash %.2f, Pro %.2f\n", kf, kp,
           params_kv_bytes_per_token(&f, KV_BF16), params_kv_bytes_per_token(&p, KV_BF16));
    CU_ASSERT(fabs(kf - 3514) < 1.0);
    CU_ASSERT(fabs(kp - 5031) < 1.0);
    CU_ASSERT(fabs(params_kv_bytes_per_token(&f, KV_BF16) - 6880) < 1.0);
    CU_ASSERT(fabs(params_kv_bytes_per_token(&p, KV_BF16) - 9848) < 1.0);
    const double GiB = 1024.0 * 1024 * 1024;
    CU_ASSERT(near("Flash KV @1M (GiB)", params_kv_bytes(&f, 1048576, KV_PAPER) / GiB, 3.45, 0.01));
    CU_ASSERT(near("Pro KV @1M (GiB)", params_kv_bytes(&p, 1048576, KV_PAPER) / GiB, 4.94, 0.01));
    CU_ASSERT(near("Flash KV @1M BF16 (GiB)", params_kv_bytes(&f, 1048576, KV_BF16) / GiB, 6.74, 0.01));
    /* at L = 1 only the window entry and the fixed compressor buffers exist */
    double one = params_kv_bytes(&f, 1, KV_PAPER);
    double fixed = 21 * 80.0 * 1024 + 20 * 512.0 * 1024;
    CU_ASSERT(fabs(one - (44 * 584.0 + fixed)) < 1.0);
}

static const layout_entry *find(const v4_layout *l, const char *name) {
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->e[i].name, name)) return &l->e[i];
    return NULL;
}

static int has_shape(const v4_layout *l, const char *name, layout_class cls, int64_t s0, int64_t s1) {
    const layout_entry *e = find(l, name);
    if (!e) { printf("    missing %s\n", name); return 0; }
    int ok = e->cls == cls && e->shape[0] == s0 && e->shape[1] == s1;
    if (!ok) printf("    %s: class %d [%lld, %lld]\n", name, e->cls, (long long)e->shape[0],
                    (long long)e->shape[1]);
    return ok;
}

/* The Flash table of spec §13.3, entry by entry. */
static void test_flash_layout(void) {
    v4_config c;
    CU_ASSERT_EQUAL_FATAL(load("models/configs/deepseek-v4-flash.json", &c), 0);
    v4_layout l;
    char err[V4_ERRLEN];
    CU_ASSERT_EQUAL_FATAL(layout_build(&c, &l, err, sizeof err), 0);
    CU_ASSERT(has_shape(&l, "embed", LC_PLAIN, 129280, 4096));
    CU_ASSERT(has_shape(&l, "head", LC_PLAIN, 129280, 4096));
    CU_ASSERT(has_shape(&l, "norm.weight", LC_NORM, 4096, 0));
    CU_ASSERT(has_shape(&l, "hc_head_fn", LC_F32, 4, 16384));
    CU_ASSERT(has_shape(&l, "hc_head_scale", LC_F32, 1, 0));
    CU_ASSERT(has_shape(&l, "layers.0.attn.wq_a", LC_DENSE, 1024, 4096));
    CU_ASSERT(has_shape(&l, "layers.0.attn.wq_b", LC_DENSE, 32768, 1024));
    CU_ASSERT(has_shape(&l, "layers.0.attn.wkv", LC_DENSE, 512, 4096));
    CU_ASSERT(has_shape(&l, "layers.0.attn.wo_a", LC_DENSE, 8192, 4096));
    CU_ASSERT(has_shape(&l, "layers.0.attn.wo_b", LC_DENSE, 4096, 8192));
    CU_ASSERT(has_shape(&l, "layers.0.attn.attn_sink", LC_F32, 64, 0));
    CU_ASSERT(has_shape(&l, "layers.0.hc_attn_fn", LC_F32, 24, 16384));
    CU_ASSERT(has_shape(&l, "layers.0.hc_ffn_base", LC_F32, 24, 0));
    CU_ASSERT(has_shape(&l, "layers.0.hc_ffn_scale", LC_F32, 3, 0));
    CU_ASSERT(has_shape(&l, "layers.0.ffn.gate", LC_PLAIN, 256, 4096));
    CU_ASSERT(has_shape(&l, "layers.0.ffn.gate.tid2eid", LC_INDEX, 129280, 6));
    CU_ASSERT(has_shape(&l, "layers.2.ffn.gate.tid2eid", LC_INDEX, 129280, 6));
    CU_ASSERT_PTR_NULL(find(&l, "layers.3.ffn.gate.tid2eid"));
    CU_ASSERT(has_shape(&l, "layers.3.ffn.gate.bias", LC_F32, 256, 0));
    CU_ASSERT_PTR_NULL(find(&l, "layers.0.ffn.gate.bias"));
    CU_ASSERT(has_shape(&l, "layers.0.ffn.shared_experts.w1", LC_DENSE, 2048, 4096));
    CU_ASSERT(has_shape(&l, "layers.0.ffn.shared_experts.w2", LC_DENSE, 4096, 2048));
    CU_ASSERT(has_shape(&l, "layers.7.ffn.experts.255.w1", LC_EXPERT, 2048, 4096));
    CU_ASSERT(has_shape(&l, "layers.7.ffn.experts.0.w2", LC_EXPERT, 4096, 2048));
    CU_ASSERT_PTR_NULL(find(&l, "layers.7.ffn.experts.256.w1"));
    /* SWA-only layers 0, 1: no compressor; CSA 2: compressor + indexer; HCA 3: compressor */
    CU_ASSERT_PTR_NULL(find(&l, "layers.1.attn.compressor.wkv"));
    CU_ASSERT(has_shape(&l, "layers.2.attn.compressor.wkv", LC_PLAIN, 1024, 4096));
    CU_ASSERT(has_shape(&l, "layers.2.attn.compressor.ape", LC_F32, 4, 1024));
    CU_ASSERT(has_shape(&l, "layers.2.attn.compressor.norm.weight", LC_NORM, 512, 0));
    CU_ASSERT(has_shape(&l, "layers.2.attn.indexer.wq_b", LC_DENSE, 8192, 1024));
    CU_ASSERT(has_shape(&l, "layers.2.attn.indexer.weights_proj", LC_PLAIN, 64, 4096));
    CU_ASSERT(has_shape(&l, "layers.2.attn.indexer.compressor.wgate", LC_PLAIN, 256, 4096));
    CU_ASSERT(has_shape(&l, "layers.2.attn.indexer.compressor.ape", LC_F32, 4, 256));
    CU_ASSERT(has_shape(&l, "layers.2.attn.indexer.compressor.norm.weight", LC_NORM, 128, 0));
    CU_ASSERT(has_shape(&l, "layers.3.attn.compressor.wgate", LC_PLAIN, 512, 4096));
    CU_ASSERT(has_shape(&l, "layers.3.attn.compressor.ape", LC_F32, 128, 512));
    CU_ASSERT_PTR_NULL(find(&l, "layers.3.attn.indexer.wq_b"));
    CU_ASSERT(has_shape(&l, "layers.42.attn.indexer.wq_b", LC_DENSE, 8192, 1024));
    CU_ASSERT_PTR_NULL(find(&l, "layers.43.attn.wq_a"));
    /* MTP block: SWA-only, learned gate, its own head collapse */
    CU_ASSERT(has_shape(&l, "mtp.0.e_proj", LC_DENSE, 4096, 4096));
    CU_ASSERT(has_shape(&l, "mtp.0.h_proj", LC_DENSE, 4096, 4096));
    CU_ASSERT(has_shape(&l, "mtp.0.enorm.weight", LC_NORM, 4096, 0));
    CU_ASSERT(has_shape(&l, "mtp.0.hnorm.weight", LC_NORM, 4096, 0));
    CU_ASSERT(has_shape(&l, "mtp.0.norm.weight", LC_NORM, 4096, 0));
    CU_ASSERT(has_shape(&l, "mtp.0.hc_head_fn", LC_F32, 4, 16384));
    CU_ASSERT(has_shape(&l, "mtp.0.attn.wq_a", LC_DENSE, 1024, 4096));
    CU_ASSERT(has_shape(&l, "mtp.0.ffn.gate.bias", LC_F32, 256, 0));
    CU_ASSERT_PTR_NULL(find(&l, "mtp.0.ffn.gate.tid2eid"));
    CU_ASSERT_PTR_NULL(find(&l, "mtp.0.attn.compressor.wkv"));
    for (int i = 0; i < l.n; i++)
        if (!strncmp(l.e[i].name, "mtp.0", 5)) CU_ASSERT_EQUAL(l.e[i].layer, 43);
    layout_free(&l);
}

static void test_pro_layout(void) {
    v4_config c;
    CU_ASSERT_EQUAL_FATAL(load("models/configs/deepseek-v4-pro.json", &c), 0);
    v4_layout l;
    char err[V4_ERRLEN];
    CU_ASSERT_EQUAL_FATAL(layout_build(&c, &l, err, sizeof err), 0);
    CU_ASSERT(has_shape(&l, "layers.0.attn.wq_a", LC_DENSE, 1536, 7168));
    CU_ASSERT(has_shape(&l, "layers.0.attn.wq_b", LC_DENSE, 65536, 1536));
    CU_ASSERT(has_shape(&l, "layers.0.attn.wo_a", LC_DENSE, 16384, 4096));
    CU_ASSERT(has_shape(&l, "layers.0.attn.wo_b", LC_DENSE, 7168, 16384));
    CU_ASSERT(has_shape(&l, "layers.0.hc_attn_fn", LC_F32, 24, 28672));
    CU_ASSERT(has_shape(&l, "layers.0.attn.compressor.ape", LC_F32, 128, 512));  /* HCA */
    CU_ASSERT(has_shape(&l, "layers.60.attn.indexer.wq_b", LC_DENSE, 8192, 1536));
    CU_ASSERT(has_shape(&l, "layers.60.ffn.experts.383.w2", LC_EXPERT, 7168, 3072));
    CU_ASSERT(has_shape(&l, "layers.0.ffn.gate", LC_PLAIN, 384, 7168));
    layout_free(&l);
}

static void test_schedule(void) {
    v4_config c;
    CU_ASSERT_EQUAL_FATAL(load("models/configs/deepseek-v4-flash.json", &c), 0);
    char buf[512];
    params_schedule(&c, buf, sizeof buf);
    printf("    %s\n", buf);
    CU_ASSERT(strncmp(buf, "SSCHCH", 6) == 0);
    CU_ASSERT(strstr(buf, "HC (S = SWA-only x2, C = CSA x21, H = HCA x20); MTP: S") != NULL);
    CU_ASSERT(strstr(buf, "hash-routed layers 0-2") != NULL);
}

static void test_linear_bytes(void) {
    CU_ASSERT_EQUAL(params_linear_bytes(FMT_FP8, 1024, 4096, 128, 128), 1024 * 4096 + 8 * 32);
    CU_ASSERT_EQUAL(params_linear_bytes(FMT_FP4, 2048, 4096, 128, 128), 2048 * 2048 + 2048 * 128);
    CU_ASSERT_EQUAL(params_linear_bytes(FMT_BF16, 3, 5, 128, 128), 30);
    CU_ASSERT_EQUAL(params_linear_bytes(FMT_FP8, 129, 130, 128, 128), 129 * 130 + 4);
}

static const test_case TESTS[] = {
    {"flash_counts", test_flash_counts},
    {"pro_counts", test_pro_counts},
    {"kv_bytes", test_kv_bytes},
    {"flash_layout", test_flash_layout},
    {"pro_layout", test_pro_layout},
    {"schedule", test_schedule},
    {"linear_bytes", test_linear_bytes},
    {NULL, NULL},
};
TEST_MAIN("params", TESTS)
