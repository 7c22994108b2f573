/*
 * model.h — the loaded DeepSeek-V4 model: validated config, the memory-mapped safetensors set
 * and one bound v4_weight (stored format, not widened) per linear tensor; small vectors (norm
 * weights, mHC base/scale, sinks, ape, router bias) are copied to owned fp32 arrays.
 *
 * Invariant: after model_load succeeds every pointer a layer needs for its type is bound and
 * shape-checked (a CSA layer has both compressors and the indexer, HCA one compressor, SWA none;
 * hash layers have tid2eid, learned layers gate.bias). Layers 0..n_layers−1 are the main blocks,
 * layer n_layers (when present) is the MTP block with its extra tensors.
 */
#ifndef V4_MODEL_H
#define V4_MODEL_H

#include <stdint.h>
#include "engine/compressor.h"
#include "engine/config.h"
#include "engine/formats.h"
#include "engine/rope.h"
#include "engine/safetensors.h"
#include "engine/v4.h"

typedef struct {
    v4_weight fn;      /* F32 [(2+hc)·hc, hc·D] */
    float *base;       /* [(2+hc)·hc] */
    float *scale;      /* [3] */
} mhc_site;

typedef struct {
    int id, ratio, hash, is_mtp;
    const rope_table *rope;       /* base table (ratio 0) or YaRN table (ratio > 0) */
    mhc_site hc_attn, hc_ffn;
    float *attn_norm, *ffn_norm;  /* [D] */
    /* attention (§5) */
    v4_weight wq_a;               /* [q_lora, D] */
    v4_weight wq_b;               /* [H·d, q_lora] */
    v4_weight wkv;                /* [d, D] */
    v4_weight wo_a;               /* [G·o_lora, (H/G)·d] */
    v4_weight wo_b;               /* [D, G·o_lora] */
    float *q_norm;                /* [q_lora] */
    float *kv_norm;               /* [d] */
    float *attn_sink;             /* [H] */
    cmp_weights cmp;              /* main compressor (ratio > 0) */
    v4_weight idx_wq_b;           /* [H_I·c_I, q_lora] (ratio 4) */
    v4_weight idx_wproj;          /* [H_I, D] */
    cmp_weights idx_cmp;          /* indexer compressor, c = c_I (ratio 4) */
    /* MoE (§11) */
    v4_weight gate;               /* [E, D] */
    float *gate_bias;             /* [E] or NULL (hash layers) */
    const st_tensor *tid2eid;     /* I64/I32 [vocab, k] (hash layers) */
    v4_weight *w1, *w2, *w3;      /* [E]: [inter, D], [D, inter], [inter, D] */
    v4_weight sw1, sw2, sw3;      /* shared expert (n_shared_experts · inter wide) */
    int shared_inter;             /* width of the shared expert (0 = none) */
    /* MTP block only (§12) */
    v4_weight e_proj, h_proj;     /* [D, D] */
    float *enorm, *hnorm, *mnorm; /* [D] */
    mhc_site hc_head;             /* fn [hc, hc·D], base [hc], scale [1] */
} v4_layer;

struct v4_model {
    v4_config cfg;
    st_set *st;
    int qat;                      /* QAT emulations on (default) */
    int n_threads;
    rope_table rope_base;         /* rope_theta, no YaRN */
    rope_table rope_yarn;         /* compress_rope_theta + YaRN */
    v4_weight embed;              /* [V, D] */
    v4_weight head;               /* [V, D] */
    float *norm;                  /* [D] */
    mhc_site hc_head;             /* fn [hc, hc·D], base [hc], scale [1] */
    int n_all_layers;             /* n_layers + (n_mtp_layers > 0) */
    v4_layer *layers;             /* [n_all_layers] */
    int64_t params_total, params_active, weight_bytes;
};

/* model_linear: Y[n][nr] = X[n][cols] · W[r0:r0+nr]ᵀ through the format dispatch (matvec when
 * n == 1). With QAT on and an FP8/FP4 weight, each input row is first fake-quantised to FP8
 * (block 128) in xq[n·cols] (scratch, may be NULL otherwise). */
void model_linear(const v4_model *m, const v4_weight *w, int r0, int nr, const float *X, int n,
                  float *Y, float *xq, fmt_counters *c);

/* model_is_lowp: weight stored FP8 or FP4 (activation quantisation applies under QAT). */
static inline int model_is_lowp(const v4_weight *w) { return w->fmt == FMT_FP8 || w->fmt == FMT_FP4; }

/* model_tid2eid: expert k of token tok on a hash layer. */
int model_tid2eid(const v4_layer *L, int tok, int k);

#endif /* V4_MODEL_H */
