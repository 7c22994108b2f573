/*
 * test_config.c — config.json parsing and validation (engine/config.c).
 *
 * The released Flash and Pro configs (models/configs/) must parse with the spec's values
 * (§1.2, §1.3); each invalid case is made by editing one key of the Flash config and must fail
 * with one line naming the file, the key, what was expected and what was found.
 */
#include <cjson/cJSON.h>
#include "engine/config.h"
#include "tests/test_util.h"

#define FLASH "models/configs/deepseek-v4-flash.json"
#define PRO "models/configs/deepseek-v4-pro.json"

static void test_flash(void) {
    v4_config c;
    char err[V4_ERRLEN] = "";
    int rc = config_load(FLASH, &c, err, sizeof err);
    if (rc) printf("    %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(c.model_type, MODEL_DEEPSEEK_V4);
    CU_ASSERT_EQUAL(c.vocab_size, 129280);
    CU_ASSERT_EQUAL(c.dim, 4096);
    CU_ASSERT_EQUAL(c.n_layers, 43);
    CU_ASSERT_EQUAL(c.n_mtp_layers, 1);
    CU_ASSERT_EQUAL(c.n_heads, 64);
    CU_ASSERT_EQUAL(c.head_dim, 512);
    CU_ASSERT_EQUAL(c.rope_dim, 64);
    CU_ASSERT_EQUAL(c.q_lora_rank, 1024);
    CU_ASSERT_EQUAL(c.o_groups, 8);
    CU_ASSERT_EQUAL(c.o_lora_rank, 1024);
    CU_ASSERT_EQUAL(c.window, 128);
    CU_ASSERT_EQUAL(c.n_compress_ratios, 44);
    CU_ASSERT_EQUAL(c.compress_ratios[0], 0);
    CU_ASSERT_EQUAL(c.compress_ratios[1], 0);
    CU_ASSERT_EQUAL(c.compress_ratios[2], 4);
    CU_ASSERT_EQUAL(c.compress_ratios[3], 128);
    CU_ASSERT_EQUAL(c.compress_ratios[42], 4);
    CU_ASSERT_EQUAL(c.compress_ratios[43], 0);
    CU_ASSERT_EQUAL(c.rope_theta, 10000.0);
    CU_ASSERT_EQUAL(c.compress_rope_theta, 160000.0);
    CU_ASSERT_EQUAL(c.rope_factor, 16.0);
    CU_ASSERT_EQUAL(c.original_seq_len, 65536);
    CU_ASSERT_EQUAL(c.beta_fast, 32.0);
    CU_ASSERT_EQUAL(c.beta_slow, 1.0);
    CU_ASSERT_EQUAL(c.index_n_heads, 64);
    CU_ASSERT_EQUAL(c.index_head_dim, 128);
    CU_ASSERT_EQUAL(c.index_topk, 512);
    CU_ASSERT_EQUAL(c.n_routed_experts, 256);
    CU_ASSERT_EQUAL(c.n_shared_experts, 1);
    CU_ASSERT_EQUAL(c.n_activated_experts, 6);
    CU_ASSERT_EQUAL(c.moe_inter_dim, 2048);
    CU_ASSERT_EQUAL(c.score_func, SCORE_SQRTSOFTPLUS);
    CU_ASSERT_EQUAL(c.norm_topk_prob, 1);
    CU_ASSERT_EQUAL(c.route_scale, 1.5);
    CU_ASSERT_EQUAL(c.n_hash_layers, 3);
    CU_ASSERT_EQUAL(c.swiglu_limit, 10.0);
    CU_ASSERT_EQUAL(c.hc_mult, 4);
    CU_ASSERT_EQUAL(c.hc_sinkhorn_iters, 20);
    CU_ASSERT_EQUAL(c.hc_eps, 1e-6);
    CU_ASSERT_EQUAL(c.norm_eps, 1e-6);
    CU_ASSERT_EQUAL(c.max_position, 1048576);
    CU_ASSERT_EQUAL(c.bos_id, 0);
    CU_ASSERT_EQUAL(c.eos_id, 1);
    CU_ASSERT_EQUAL(c.tie_word_embeddings, 0);
    CU_ASSERT_STRING_EQUAL(c.expert_dtype, "fp4");
    CU_ASSERT_EQUAL(c.has_fp8_quant, 1);
    CU_ASSERT_EQUAL(c.weight_block[0], 128);
    CU_ASSERT_EQUAL(c.weight_block[1], 128);
    CU_ASSERT(config_is_hash_layer(&c, 2));
    CU_ASSERT(!config_is_hash_layer(&c, 3));
    CU_ASSERT(!config_is_hash_layer(&c, 43));
}

static void test_pro(void) {
    v4_config c;
    char err[V4_ERRLEN] = "";
    int rc = config_load(PRO, &c, err, sizeof err);
    if (rc) printf("    %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(c.dim, 7168);
    CU_ASSERT_EQUAL(c.n_layers, 61);
    CU_ASSERT_EQUAL(c.n_heads, 128);
    CU_ASSERT_EQUAL(c.q_lora_rank, 1536);
    CU_ASSERT_EQUAL(c.o_groups, 16);
    CU_ASSERT_EQUAL(c.index_topk, 1024);
    CU_ASSERT_EQUAL(c.n_routed_experts, 384);
    CU_ASSERT_EQUAL(c.moe_inter_dim, 3072);
    CU_ASSERT_EQUAL(c.route_scale, 2.5);
    CU_ASSERT_EQUAL(c.n_compress_ratios, 62);
    CU_ASSERT_EQUAL(c.compress_ratios[0], 128);
    CU_ASSERT_EQUAL(c.compress_ratios[1], 128);
    CU_ASSERT_EQUAL(c.compress_ratios[60], 4);
    CU_ASSERT_EQUAL(c.compress_ratios[61], 0);
    int csa = 0, hca = 0, swa = 0;
    for (int l = 0; l < c.n_layers; l++) {
        csa += c.compress_ratios[l] == 4;
        hca += c.compress_ratios[l] == 128;
        swa += c.compress_ratios[l] == 0;
    }
    CU_ASSERT_EQUAL(csa, 30);
    CU_ASSERT_EQUAL(hca, 31);
    CU_ASSERT_EQUAL(swa, 0);
}

/* Applies `edit` to the parsed Flash config, re-serialises, parses; expects failure with an
 * error that contains every string in `needles` (NULL-terminated). */
typedef void (*cfg_edit)(cJSON *root);

static void expect_bad(const char *label, cfg_edit edit, const char *const *needles) {
    size_t len;
    char *txt = read_file_all(FLASH, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(txt);
    cJSON *root = cJSON_Parse(txt);
    free(txt);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    edit(root);
    char *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    v4_config c;
    char err[V4_ERRLEN] = "";
    int rc = config_parse(out, strlen(out), "bad/config.json", &c, err, sizeof err);
    free(out);
    printf("    %-28s -> %s\n", label, rc ? err : "(accepted!)");
    CU_ASSERT(rc != 0);
    CU_ASSERT(strncmp(err, "bad/config.json: ", 17) == 0);
    CU_ASSERT(strstr(err, "expected") != NULL);
    CU_ASSERT(strchr(err, '\n') == NULL);
    for (const char *const *n = needles; *n; n++) {
        if (!strstr(err, *n)) printf("      missing \"%s\" in the message\n", *n);
        CU_ASSERT(strstr(err, *n) != NULL);
    }
}

static void set_num(cJSON *r, const char *k, double v) {
    cJSON_ReplaceItemInObjectCaseSensitive(r, k, cJSON_CreateNumber(v));
}
static void e_ratios_len(cJSON *r) {
    cJSON_DeleteItemFromArray(cJSON_GetObjectItem(r, "compress_ratios"), 0);
}
static void e_ratio_value(cJSON *r) {
    cJSON_ReplaceItemInArray(cJSON_GetObjectItem(r, "compress_ratios"), 5, cJSON_CreateNumber(2));
}
static void e_groups(cJSON *r) { set_num(r, "o_groups", 7); }
static void e_head_dim(cJSON *r) { set_num(r, "head_dim", 64); }
static void e_rope_odd(cJSON *r) { set_num(r, "qk_rope_head_dim", 63); }
static void e_topk(cJSON *r) { set_num(r, "index_topk", 0); }
static void e_experts(cJSON *r) { set_num(r, "num_experts_per_tok", 300); }
static void e_kv_heads(cJSON *r) { set_num(r, "num_key_value_heads", 2); }
static void e_model_type(cJSON *r) {
    cJSON_ReplaceItemInObjectCaseSensitive(r, "model_type", cJSON_CreateString("llama"));
}
static void e_model_v32(cJSON *r) {
    cJSON_ReplaceItemInObjectCaseSensitive(r, "model_type", cJSON_CreateString("deepseek_v32"));
}
static void e_missing_dim(cJSON *r) { cJSON_DeleteItemFromObject(r, "hidden_size"); }
static void e_string_int(cJSON *r) {
    cJSON_ReplaceItemInObjectCaseSensitive(r, "num_attention_heads", cJSON_CreateString("64"));
}
static void e_fraction(cJSON *r) { set_num(r, "vocab_size", 1000.5); }
static void e_yarn(cJSON *r) {
    cJSON *rs = cJSON_GetObjectItem(r, "rope_scaling");
    cJSON_ReplaceItemInObjectCaseSensitive(rs, "type", cJSON_CreateString("linear"));
}
static void e_quant(cJSON *r) {
    cJSON *q = cJSON_GetObjectItem(r, "quantization_config");
    cJSON_ReplaceItemInObjectCaseSensitive(q, "quant_method", cJSON_CreateString("gptq"));
}
static void e_score(cJSON *r) {
    cJSON_ReplaceItemInObjectCaseSensitive(r, "scoring_func", cJSON_CreateString("relu"));
}
static void e_hash(cJSON *r) { set_num(r, "num_hash_layers", 50); }
static void e_idx_dim(cJSON *r) { set_num(r, "index_head_dim", 96); }
static void e_ratios_type(cJSON *r) {
    cJSON_ReplaceItemInObjectCaseSensitive(r, "compress_ratios", cJSON_CreateString("0,4"));
}

/* The Flash config rewritten in the dialect transformers' DeepseekV4Config.save_pretrained
 * writes (what HF-made tiny checkpoints ship): layer_types + compress_rates instead of
 * compress_ratios, mlp_layer_types instead of num_hash_layers, partial_rotary_factor instead of
 * qk_rope_head_dim, rope_parameters {main, compress} instead of rope_scaling and
 * compress_rope_theta, eos_token_id as a list, dtype instead of torch_dtype, expert_dtype nested
 * in quantization_config, and keys the engine does not use (some null). */
static cJSON *hf_dialect_flash(void) {
    size_t len;
    char *txt = read_file_all(FLASH, &len);
    cJSON *r = txt ? cJSON_Parse(txt) : NULL;
    free(txt);
    if (!r) return NULL;
    const char *drop[] = {"compress_ratios", "num_hash_layers", "qk_rope_head_dim",
                          "rope_scaling", "compress_rope_theta", "eos_token_id", "torch_dtype",
                          "expert_dtype"};
    for (size_t i = 0; i < sizeof drop / sizeof *drop; i++)
        cJSON_DeleteItemFromObjectCaseSensitive(r, drop[i]);
    cJSON *lt = cJSON_AddArrayToObject(r, "layer_types");
    cJSON *mt = cJSON_AddArrayToObject(r, "mlp_layer_types");
    for (int l = 0; l < 43; l++) {
        const char *t = l < 2 ? "sliding_attention" : l == 42 || l % 2 == 0
                      ? "compressed_sparse_attention" : "heavily_compressed_attention";
        cJSON_AddItemToArray(lt, cJSON_CreateString(t));
        cJSON_AddItemToArray(mt, cJSON_CreateString(l < 3 ? "hash_moe" : "moe"));
    }
    cJSON *rates = cJSON_AddObjectToObject(r, "compress_rates");
    cJSON_AddNumberToObject(rates, "compressed_sparse_attention", 4);
    cJSON_AddNumberToObject(rates, "heavily_compressed_attention", 128);
    cJSON_AddNumberToObject(r, "partial_rotary_factor", 0.125);
    cJSON *rp = cJSON_AddObjectToObject(r, "rope_parameters");
    cJSON *mn = cJSON_AddObjectToObject(rp, "main");
    cJSON_AddStringToObject(mn, "rope_type", "default");
    cJSON_AddNumberToObject(mn, "rope_theta", 10000);
    cJSON *cp = cJSON_AddObjectToObject(rp, "compress");
    cJSON_AddStringToObject(cp, "rope_type", "yarn");
    cJSON_AddNumberToObject(cp, "factor", 16);
    cJSON_AddNumberToObject(cp, "original_max_position_embeddings", 65536);
    cJSON_AddNumberToObject(cp, "beta_fast", 32);
    cJSON_AddNumberToObject(cp, "beta_slow", 1);
    cJSON_AddNumberToObject(cp, "rope_theta", 160000);
    cJSON_AddNumberToObject(cp, "attention_factor", 1.0);
    cJSON *eos = cJSON_AddArrayToObject(r, "eos_token_id");
    cJSON_AddItemToArray(eos, cJSON_CreateNumber(1));
    cJSON_AddItemToArray(eos, cJSON_CreateNumber(128805));
    cJSON_AddStringToObject(r, "dtype", "bfloat16");
    cJSON_AddNullToObject(r, "pad_token_id");
    cJSON_AddNumberToObject(r, "initializer_range", 0.02);
    cJSON_AddFalseToObject(r, "output_router_logits");
    cJSON *q = cJSON_GetObjectItemCaseSensitive(r, "quantization_config");
    cJSON_AddStringToObject(q, "expert_dtype", "fp4");
    cJSON_AddNullToObject(q, "modules_to_not_convert");
    return r;
}

static int parse_json(cJSON *r, v4_config *c, char *err, size_t errlen) {
    char *out = cJSON_PrintUnformatted(r);
    int rc = config_parse(out, strlen(out), "hf/config.json", c, err, errlen);
    free(out);
    return rc;
}

/* Same struct, field by field where it matters, as the released Flash config. */
static void test_hf_dialect(void) {
    v4_config ref, c;
    char err[V4_ERRLEN] = "";
    CU_ASSERT_EQUAL_FATAL(config_load(FLASH, &ref, err, sizeof err), 0);
    cJSON *r = hf_dialect_flash();
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    int rc = parse_json(r, &c, err, sizeof err);
    if (rc) printf("    %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(c.n_compress_ratios, 44);
    CU_ASSERT(memcmp(c.compress_ratios, ref.compress_ratios, sizeof c.compress_ratios) == 0);
    CU_ASSERT_EQUAL(c.n_hash_layers, 3);
    CU_ASSERT_EQUAL(c.rope_dim, 64);
    CU_ASSERT_EQUAL(c.rope_theta, 10000.0);
    CU_ASSERT_EQUAL(c.compress_rope_theta, 160000.0);
    CU_ASSERT_EQUAL(c.rope_factor, 16.0);
    CU_ASSERT_EQUAL(c.original_seq_len, 65536);
    CU_ASSERT_EQUAL(c.beta_fast, 32.0);
    CU_ASSERT_EQUAL(c.beta_slow, 1.0);
    CU_ASSERT_EQUAL(c.eos_id, 1);
    CU_ASSERT_STRING_EQUAL(c.expert_dtype, "fp4");
    CU_ASSERT(memcmp(&c, &ref, sizeof c) == 0);   /* nothing else differs either */

    /* rope_theta only inside rope_parameters.main */
    cJSON_DeleteItemFromObjectCaseSensitive(r, "rope_theta");
    CU_ASSERT_EQUAL(parse_json(r, &c, err, sizeof err), 0);
    CU_ASSERT_EQUAL(c.rope_theta, 10000.0);

    /* rope_type "default" in rope_parameters = no YaRN */
    cJSON *cp = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(r, "rope_parameters"), "compress");
    cJSON_ReplaceItemInObjectCaseSensitive(cp, "rope_type", cJSON_CreateString("default"));
    CU_ASSERT_EQUAL(parse_json(r, &c, err, sizeof err), 0);
    CU_ASSERT_EQUAL(c.original_seq_len, 0);
    CU_ASSERT_EQUAL(c.rope_factor, 1.0);
    CU_ASSERT_EQUAL(c.compress_rope_theta, 160000.0);

    /* bad HF-dialect values: one line naming the key */
    cJSON *mt = cJSON_GetObjectItemCaseSensitive(r, "mlp_layer_types");
    cJSON_ReplaceItemInArray(mt, 5, cJSON_CreateString("hash_moe"));
    CU_ASSERT(parse_json(r, &c, err, sizeof err) != 0);
    printf("    %s\n", err);
    CU_ASSERT(strstr(err, "hf/config.json: mlp_layer_types[5]: expected \"moe\"") != NULL);
    cJSON_ReplaceItemInArray(mt, 5, cJSON_CreateString("moe"));
    cJSON *lt = cJSON_GetObjectItemCaseSensitive(r, "layer_types");
    cJSON_ReplaceItemInArray(lt, 7, cJSON_CreateString("full_attention"));
    CU_ASSERT(parse_json(r, &c, err, sizeof err) != 0);
    printf("    %s\n", err);
    CU_ASSERT(strstr(err, "layer_types[7]") && strstr(err, "full_attention"));
    cJSON_DeleteItemFromArray(lt, 7);
    CU_ASSERT(parse_json(r, &c, err, sizeof err) != 0);
    printf("    %s\n", err);
    CU_ASSERT(strstr(err, "layer_types") && strstr(err, "43") && strstr(err, "42"));
    cJSON_Delete(r);
}

/* eos_token_id given as a list (as several exports do): the first id is the stop token. */
static void test_eos_list(void) {
    size_t len;
    char *txt = read_file_all(FLASH, &len);
    cJSON *r = cJSON_Parse(txt);
    free(txt);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    cJSON *eos = cJSON_CreateArray();
    cJSON_AddItemToArray(eos, cJSON_CreateNumber(1));
    cJSON_ReplaceItemInObjectCaseSensitive(r, "eos_token_id", eos);
    v4_config c;
    char err[V4_ERRLEN] = "";
    int rc = parse_json(r, &c, err, sizeof err);
    if (rc) printf("    %s\n", err);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_EQUAL(c.eos_id, 1);
    cJSON_ReplaceItemInArray(eos, 0, cJSON_CreateString("x"));
    CU_ASSERT(parse_json(r, &c, err, sizeof err) != 0);
    CU_ASSERT(strstr(err, "eos_token_id[0]") != NULL);
    cJSON_Delete(r);
}

/* A tiny config derived from a released one keeps num_hash_layers 3 with 2 main layers: the
 * official Gate hashes every layer id < 3, so the MTP block (layer id 2) is hash-routed too. */
static void test_hash_beyond_layers(void) {
    size_t len;
    char *txt = read_file_all(FLASH, &len);
    cJSON *r = cJSON_Parse(txt);
    free(txt);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    cJSON_ReplaceItemInObjectCaseSensitive(r, "num_hidden_layers", cJSON_CreateNumber(2));
    int cr[3] = {0, 4, 0};
    cJSON_ReplaceItemInObjectCaseSensitive(r, "compress_ratios", cJSON_CreateIntArray(cr, 3));
    v4_config c;
    char err[V4_ERRLEN] = "";
    int rc = parse_json(r, &c, err, sizeof err);
    if (rc) printf("    %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(c.n_hash_layers, 3);
    CU_ASSERT(config_is_hash_layer(&c, 0) && config_is_hash_layer(&c, 1));
    CU_ASSERT(config_is_hash_layer(&c, 2));          /* mtp.0 */
    cJSON_ReplaceItemInObjectCaseSensitive(r, "num_hash_layers", cJSON_CreateNumber(4));
    CU_ASSERT(parse_json(r, &c, err, sizeof err) != 0);
    printf("    %s\n", err);
    CU_ASSERT(strstr(err, "num_hash_layers") && strstr(err, "(3)") && strstr(err, "found 4"));
    cJSON_Delete(r);
}

/* compress_ratios longer than layers + MTP (a tiny config cut from Pro keeps Pro's 62-entry
 * list): read up to the layers present, like the official ModelArgs indexing; more than
 * V4_MAX_LAYERS layers in all is an error, not an overflow. */
static void test_ratios_long_list(void) {
    v4_config pro, c;
    char err[V4_ERRLEN] = "";
    CU_ASSERT_EQUAL_FATAL(config_load(PRO, &pro, err, sizeof err), 0);
    size_t len;
    char *txt = read_file_all(PRO, &len);
    cJSON *r = cJSON_Parse(txt);
    free(txt);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    cJSON_ReplaceItemInObjectCaseSensitive(r, "num_hidden_layers", cJSON_CreateNumber(4));
    cJSON_ReplaceItemInObjectCaseSensitive(r, "num_hash_layers", cJSON_CreateNumber(1));
    int rc = parse_json(r, &c, err, sizeof err);
    if (rc) printf("    %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(c.n_compress_ratios, 5);
    CU_ASSERT(memcmp(c.compress_ratios, pro.compress_ratios, 5 * sizeof(int)) == 0);
    CU_ASSERT_EQUAL(c.compress_ratios[4], 4);   /* the MTP block takes entry 4 of the list */
    int zeros[263] = {0};
    cJSON_ReplaceItemInObjectCaseSensitive(r, "compress_ratios", cJSON_CreateIntArray(zeros, 263));
    cJSON_ReplaceItemInObjectCaseSensitive(r, "num_hidden_layers", cJSON_CreateNumber(255));
    cJSON_ReplaceItemInObjectCaseSensitive(r, "num_nextn_predict_layers", cJSON_CreateNumber(8));
    CU_ASSERT(parse_json(r, &c, err, sizeof err) != 0);
    printf("    %s\n", err);
    CU_ASSERT(strstr(err, "num_hidden_layers") && strstr(err, "255 + 8"));
    cJSON_Delete(r);
}

#define NEEDLES(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_invalid(void) {
    expect_bad("compress_ratios length", e_ratios_len,
               NEEDLES("compress_ratios", "44", "43"));
    expect_bad("compress_ratios value", e_ratio_value, NEEDLES("compress_ratios[5]", "0, 4 or 128", "found 2"));
    expect_bad("compress_ratios type", e_ratios_type, NEEDLES("compress_ratios", "array"));
    expect_bad("o_groups divisibility", e_groups, NEEDLES("o_groups", "64", "found 7"));
    expect_bad("head_dim <= rope", e_head_dim, NEEDLES("head_dim", "found 64"));
    expect_bad("rope dim odd", e_rope_odd, NEEDLES("qk_rope_head_dim", "even", "63"));
    expect_bad("index_topk 0", e_topk, NEEDLES("index_topk", "found 0"));
    expect_bad("experts per token", e_experts, NEEDLES("num_experts_per_tok", "256", "300"));
    expect_bad("kv heads", e_kv_heads, NEEDLES("num_key_value_heads", "found 2"));
    expect_bad("unknown model_type", e_model_type, NEEDLES("model_type", "deepseek_v4", "llama"));
    expect_bad("deepseek_v32 reserved", e_model_v32, NEEDLES("model_type", "deepseek_v32"));
    expect_bad("missing hidden_size", e_missing_dim, NEEDLES("hidden_size", "missing"));
    expect_bad("string for integer", e_string_int, NEEDLES("num_attention_heads", "\"64\""));
    expect_bad("fractional integer", e_fraction, NEEDLES("vocab_size", "1000.5"));
    expect_bad("rope_scaling type", e_yarn, NEEDLES("rope_scaling.type", "yarn", "linear"));
    expect_bad("quant method", e_quant, NEEDLES("quant_method", "fp8", "gptq"));
    expect_bad("scoring_func", e_score, NEEDLES("scoring_func", "relu"));
    expect_bad("num_hash_layers", e_hash, NEEDLES("num_hash_layers", "50"));
    expect_bad("index_head_dim pow2", e_idx_dim, NEEDLES("index_head_dim", "power of two", "96"));
}

static void test_bad_json(void) {
    v4_config c;
    char err[V4_ERRLEN] = "";
    const char *txt = "{\"model_type\": \"deepseek_v4\", \"hidden_size\": }";
    CU_ASSERT(config_parse(txt, strlen(txt), "x.json", &c, err, sizeof err) != 0);
    printf("    %s\n", err);
    CU_ASSERT(strstr(err, "x.json: expected valid JSON") != NULL);
    CU_ASSERT(config_parse("[1]", 3, "y.json", &c, err, sizeof err) != 0);
    CU_ASSERT(strstr(err, "y.json") != NULL);
    /* the official inference/config.json (ModelArgs names) instead of the HF config.json */
    const char *inf = "{\"vocab_size\": 129280, \"dim\": 4096, \"n_layers\": 43, \"n_heads\": 64}";
    CU_ASSERT(config_parse(inf, strlen(inf), "inference/config.json", &c, err, sizeof err) != 0);
    printf("    %s\n", err);
    CU_ASSERT(strstr(err, "inference/config.json: model_type:") && strstr(err, "ModelArgs"));
    CU_ASSERT(config_load("/nonexistent/config.json", &c, err, sizeof err) != 0);
    CU_ASSERT(strstr(err, "/nonexistent/config.json") != NULL);
}

static const test_case TESTS[] = {
    {"flash", test_flash},
    {"pro", test_pro},
    {"invalid", test_invalid},
    {"bad_json", test_bad_json},
    {"hf_dialect", test_hf_dialect},
    {"eos_list", test_eos_list},
    {"hash_beyond_layers", test_hash_beyond_layers},
    {"ratios_long_list", test_ratios_long_list},
    {NULL, NULL},
};
TEST_MAIN("config", TESTS)
