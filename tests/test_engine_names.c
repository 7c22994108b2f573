/*
 * test_engine_names.c — checkpoint naming and storage variants met in public V4 checkpoints
 * (spec §13.2, §17), each written by the test from the committed tiny-fp8 fixture:
 *   - the official names under a "model." prefix load and give bit-identical logits;
 *   - tid2eid stored as I32 instead of I64 loads and gives bit-identical logits;
 *   - transformers' renamed modules (model.embed_tokens, self_attn.q_a_proj, …) are rejected
 *     with one line naming a tensor and the expected convention;
 *   - a "model." name colliding with its unprefixed twin is rejected naming both;
 *   - routed experts stored with safetensors' F4 dtype (logical shape [out, in], or torch's
 *     float4_e2m1fn_x2 shape [out, in/2]) instead of I8 load and give bit-identical logits;
 *   - a config with num_nextn_predict_layers 0 over a checkpoint that has mtp.* tensors loads
 *     (the MTP tensors are unused) with the same main logits;
 *   - a checkpoint without any mtp.* tensor (transformers exports drop the MTP block but keep
 *     num_nextn_predict_layers) loads as a model without MTP, same main logits.
 */
#include <sys/stat.h>
#include "engine/model.h"
#include "engine/st_write.h"
#include "tests/test_util.h"

#define FIX "tests/fixtures/tiny-fp8"
#define NTOK 40

typedef enum { V_PREFIX, V_I32, V_HF, V_COLLIDE, V_NO_MTP, V_F4, V_F4_TORCH, V_CFG_NO_MTP } variant;

/* write_variant: DIR = the fixture's config + its tensors rewritten per `v`. */
static int write_variant(const v4_model *src, const char *dir, variant v) {
    char err[V4_ERRLEN], path[600], name[300];
    mkdir(dir, 0755);
    size_t n;
    char *cfg = read_file_all(FIX "/config.json", &n);
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *o = fopen(path, "wb");
    if (!cfg || !o) { free(cfg); if (o) fclose(o); return -1; }
    if (v == V_CFG_NO_MTP) {       /* num_nextn_predict_layers 0, the mtp.* tensors kept */
        char *k = strstr(cfg, "\"num_nextn_predict_layers\"");
        char *colon = k ? strchr(k, ':') : NULL;
        if (!colon) { free(cfg); fclose(o); return -1; }
        fwrite(cfg, 1, (size_t)(colon + 1 - cfg), o);
        fputs(" 0", o);
        char *rest = colon + 1;
        while (*rest == ' ' || (*rest >= '0' && *rest <= '9')) rest++;
        fputs(rest, o);
    } else {
        fwrite(cfg, 1, n, o);
    }
    fclose(o);
    free(cfg);
    st_writer *w = st_writer_new();
    const st_set *st = src->st;
    int rc = 0;
    for (int i = 0; i < st_count(st) && !rc; i++) {
        const st_tensor *t = st_at(st, i);
        snprintf(name, sizeof name, "%s", t->name);
        if (v == V_PREFIX) snprintf(name, sizeof name, "model.%s", t->name);
        if (v == V_HF && !strcmp(t->name, "embed.weight"))
            snprintf(name, sizeof name, "model.embed_tokens.weight");
        if (v == V_HF && !strcmp(t->name, "layers.0.attn.wq_a.weight"))
            snprintf(name, sizeof name, "model.layers.0.self_attn.q_a_proj.weight");
        if (v == V_COLLIDE && !strcmp(t->name, "embed.weight"))
            snprintf(name, sizeof name, "model.embed.weight");
        if (v == V_NO_MTP && !strncmp(t->name, "mtp.", 4)) continue;
        if ((v == V_F4 || v == V_F4_TORCH) && t->dtype == ST_I8) {
            int64_t sh[2] = {t->shape[0], t->shape[1] * (v == V_F4 ? 2 : 1)};
            rc = st_writer_add(w, name, ST_F4, 2, sh, t->data, t->nbytes, err, sizeof err);
            continue;
        }
        if (v == V_I32 && t->dtype == ST_I64) {
            size_t cnt = t->nbytes / 8;
            int32_t *d = malloc(cnt * sizeof *d);
            for (size_t k = 0; k < cnt; k++) d[k] = (int32_t)((const int64_t *)t->data)[k];
            rc = st_writer_add(w, name, ST_I32, t->ndim, t->shape, d, cnt * 4, err, sizeof err);
            free(d);
            continue;
        }
        rc = st_writer_add(w, name, t->dtype, t->ndim, t->shape, t->data, t->nbytes, err,
                           sizeof err);
        if (!rc && v == V_COLLIDE && !strcmp(t->name, "norm.weight"))
            rc = st_writer_add(w, "model.norm.weight", t->dtype, t->ndim, t->shape, t->data,
                               t->nbytes, err, sizeof err);
    }
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (!rc) rc = st_writer_save(w, path, err, sizeof err);
    if (rc) printf("    write_variant: %s\n", err);
    st_writer_free(w);
    return rc;
}

/* logits of the first NTOK fixture tokens (decode order), malloc'd [NTOK][vocab] or NULL */
static float *run_logits(v4_model *m) {
    size_t n;
    char *tj = read_file_all(FIX "/tokens.json", &n);
    if (!tj) return NULL;
    int32_t toks[NTOK];
    int k = 0;
    for (char *p = tj; *p && k < NTOK; p++)
        if (*p >= '0' && *p <= '9') toks[k++] = (int32_t)strtol(p, &p, 10);
    free(tj);
    if (k < NTOK) return NULL;
    int V = m->cfg.vocab_size;
    char err[V4_ERRLEN];
    float *out = malloc(sizeof(float) * (size_t)NTOK * V);
    v4_session *s = v4_session_new(m, NTOK, err, sizeof err);
    int rc = !s || !out || v4_prefill(s, toks, NTOK, 7, out, NULL, err, sizeof err);
    v4_session_free(s);
    if (rc) { printf("    %s\n", err); free(out); return NULL; }
    return out;
}

static void accepted_case(variant v, const char *dir, const char *label) {
    char err[V4_ERRLEN] = "";
    v4_model *ref = NULL, *m = NULL;
    CU_ASSERT_EQUAL_FATAL(v4_model_load(FIX, NULL, &ref, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(write_variant(ref, dir, v), 0);
    int rc = v4_model_load(dir, NULL, &m, err, sizeof err);
    if (rc) printf("    %s: %s\n", label, err);
    CU_ASSERT_EQUAL(rc, 0);
    if (!rc) {
        float *a = run_logits(ref), *b = run_logits(m);
        CU_ASSERT(a && b);
        if (a && b)
            CU_ASSERT(check_tensor(b, a, (size_t)NTOK * ref->cfg.vocab_size, label, 0.0f));
        free(a);
        free(b);
    }
    v4_model_free(m);
    v4_model_free(ref);
}

static void test_cfg_no_mtp(void) {
    accepted_case(V_CFG_NO_MTP, "build/tests/names_cfgnomtp", "config without MTP");
}
static void test_f4(void) { accepted_case(V_F4, "build/tests/names_f4", "experts as F4"); }
static void test_f4_torch(void) {
    accepted_case(V_F4_TORCH, "build/tests/names_f4t", "experts as F4, torch shape");
}
static void test_model_prefix(void) { accepted_case(V_PREFIX, "build/tests/names_prefix", "model. prefix"); }
static void test_tid2eid_i32(void) { accepted_case(V_I32, "build/tests/names_i32", "tid2eid I32"); }

static void test_no_mtp(void) {
    accepted_case(V_NO_MTP, "build/tests/names_nomtp", "no mtp.* tensors");
    char err[V4_ERRLEN] = "";
    v4_model *m = NULL;
    CU_ASSERT_EQUAL_FATAL(v4_model_load("build/tests/names_nomtp", NULL, &m, err, sizeof err), 0);
    v4_info info;
    v4_model_get_info(m, &info);
    CU_ASSERT_EQUAL(info.n_mtp_layers, 0);
    v4_session *s = v4_session_new(m, 4, err, sizeof err);
    int32_t t = 3;
    CU_ASSERT_EQUAL(v4_decode(s, t, NULL, err, sizeof err), 0);
    CU_ASSERT(v4_mtp_logits(s, 5, NULL, err, sizeof err) != 0);
    printf("    mtp on a model without MTP: %s\n", err);
    CU_ASSERT(strstr(err, "no MTP block") != NULL);
    v4_session_free(s);
    v4_model_free(m);
    FILE *o = tmpfile();
    CU_ASSERT_EQUAL(v4_describe("build/tests/names_nomtp", NULL, o, err, sizeof err), 0);
    rewind(o);
    char line[512];
    int seen = 0;
    while (fgets(line, sizeof line, o)) seen |= strstr(line, "+ 0 MTP") != NULL;
    CU_ASSERT(seen);
    fclose(o);
}

static void rejected_case(variant v, const char *dir, const char *const *needles) {
    char err[V4_ERRLEN] = "";
    v4_model *ref = NULL, *m = (v4_model *)1;
    CU_ASSERT_EQUAL_FATAL(v4_model_load(FIX, NULL, &ref, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(write_variant(ref, dir, v), 0);
    v4_model_free(ref);
    CU_ASSERT(v4_model_load(dir, NULL, &m, err, sizeof err) != 0);
    CU_ASSERT_PTR_NULL(m);
    printf("    %s\n", err);
    CU_ASSERT(strchr(err, '\n') == NULL);
    for (; *needles; needles++) {
        if (!strstr(err, *needles)) printf("    missing \"%s\"\n", *needles);
        CU_ASSERT(strstr(err, *needles) != NULL);
    }
}

static void test_hf_names(void) {
    const char *n[] = {"model.safetensors", "expected the official DeepSeek-V4 tensor names",
                       "Hugging Face transformers", NULL};
    rejected_case(V_HF, "build/tests/names_hf", n);
}

static void test_collision(void) {
    const char *n[] = {"model.norm.weight", "norm.weight", "found both", NULL};
    rejected_case(V_COLLIDE, "build/tests/names_collide", n);
}

static const test_case TESTS[] = {
    {"model_prefix", test_model_prefix},
    {"tid2eid_i32", test_tid2eid_i32},
    {"hf_names_rejected", test_hf_names},
    {"prefix_collision", test_collision},
    {"no_mtp_tensors", test_no_mtp},
    {"config_mtp_off", test_cfg_no_mtp},
    {"experts_f4", test_f4},
    {"experts_f4_torch_shape", test_f4_torch},
    {NULL, NULL},
};
TEST_MAIN("engine_names", TESTS)
