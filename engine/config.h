/*
 * config.h — config.json → v4_config, validated (spec §1.2, §1.3).
 *
 * Invariant: a v4_config returned by config_load/config_parse is internally consistent
 * (divisibilities, compress_ratios length and values, ranges); the rest of the engine trusts it.
 */
#ifndef V4_CONFIG_H
#define V4_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define V4_MAX_LAYERS 256

typedef enum { MODEL_DEEPSEEK_V4 = 0, MODEL_DEEPSEEK_V32 = 1 } v4_model_type;
typedef enum { SCORE_SQRTSOFTPLUS = 0, SCORE_SOFTMAX = 1, SCORE_SIGMOID = 2 } v4_score_func;

typedef struct {
    v4_model_type model_type;
    char model_type_str[32];
    int vocab_size;            /* vocab_size */
    int dim;                   /* hidden_size, D */
    int n_layers;              /* num_hidden_layers */
    int n_mtp_layers;          /* num_nextn_predict_layers */
    int n_heads;               /* num_attention_heads, H */
    int n_kv_heads;            /* num_key_value_heads (must be 1) */
    int head_dim;              /* head_dim, d */
    int rope_dim;              /* qk_rope_head_dim, r */
    int q_lora_rank;           /* q_lora_rank */
    int o_groups;              /* o_groups, G */
    int o_lora_rank;           /* o_lora_rank */
    int window;                /* sliding_window */
    int compress_ratios[V4_MAX_LAYERS]; /* length n_layers + n_mtp_layers; each 0, 4 or 128 */
    int n_compress_ratios;
    double rope_theta;         /* rope_theta (SWA-only + MTP layers) */
    double compress_rope_theta;/* compress_rope_theta (CSA/HCA layers) */
    /* rope_scaling (YaRN), applied on compressed layers when original_seq_len > 0 */
    double rope_factor;        /* rope_scaling.factor (1 = none) */
    int original_seq_len;      /* rope_scaling.original_max_position_embeddings (0 = none) */
    double beta_fast, beta_slow;
    int index_n_heads;         /* index_n_heads, H_I */
    int index_head_dim;        /* index_head_dim, c_I */
    int index_topk;            /* index_topk */
    int n_routed_experts;      /* n_routed_experts, E */
    int n_shared_experts;      /* n_shared_experts */
    int n_activated_experts;   /* num_experts_per_tok */
    int moe_inter_dim;         /* moe_intermediate_size */
    v4_score_func score_func;  /* scoring_func */
    int norm_topk_prob;        /* norm_topk_prob */
    double route_scale;        /* routed_scaling_factor */
    int n_hash_layers;         /* num_hash_layers */
    double swiglu_limit;       /* swiglu_limit (0 = no clamp) */
    int hc_mult;               /* hc_mult, n streams */
    int hc_sinkhorn_iters;     /* hc_sinkhorn_iters */
    double hc_eps;             /* hc_eps */
    double norm_eps;           /* rms_norm_eps */
    int max_position;          /* max_position_embeddings */
    int bos_id, eos_id;        /* bos_token_id, eos_token_id */
    int tie_word_embeddings;
    char expert_dtype[16];     /* "fp4", "fp8", "bf16", … ("" = same as the checkpoint) */
    int has_fp8_quant;         /* quantization_config present with quant_method fp8 */
    int weight_block[2];       /* quantization_config.weight_block_size (default 128,128) */
} v4_config;

/* config_parse: parses JSON text (len bytes) from file `path` (used in messages only).
 * Returns 0 on success; non-zero with "path: key: expected …, found …" in err. */
int config_parse(const char *json, size_t len, const char *path, v4_config *cfg, char *err,
                 size_t errlen);

/* config_load: reads and parses a config.json file. */
int config_load(const char *path, v4_config *cfg, char *err, size_t errlen);

/* config_layer_ratio: compress ratio of main layer l (0 <= l < n_layers) or MTP layer
 * (l >= n_layers). */
static inline int config_layer_ratio(const v4_config *c, int l) { return c->compress_ratios[l]; }

/* config_is_hash_layer: layer l uses token-id hash routing: l < n_hash_layers, where MTP block i
 * has layer id n_layers + i (the official Gate(layer_id) rule; with the released configs the MTP
 * block is never hash-routed, tiny configs with num_hash_layers > num_hidden_layers make it so). */
static inline int config_is_hash_layer(const v4_config *c, int l) {
    return l < c->n_hash_layers;
}

#endif /* V4_CONFIG_H */
