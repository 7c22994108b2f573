/*
 * layout.h — the one table of every tensor a DeepSeek-V4 checkpoint holds for a given config
 * (spec §13.2–13.5), with official names, logical shapes and the storage each may use.
 *
 * Used by the loader (layout_validate checks a whole checkpoint before any forward pass), by the
 * parameter/byte accounting (params.c) and by init-random (which writes exactly this table).
 * Layer types follow config.compress_ratios: 0 = sliding window only, 4 = CSA (compressor with
 * overlap + lightning indexer), 128 = HCA (compressor without overlap). Main layers are
 * `layers.{l}.*`; MTP blocks are `mtp.{i}.*` (layer id n_layers + i, hash-routed only when
 * num_hash_layers exceeds n_layers, as in the official Gate) with their
 * extra e_proj, h_proj, enorm, hnorm, norm and hc_head_* tensors.
 *
 * Entry names: for linear weights (classes LC_DENSE, LC_EXPERT, LC_PLAIN) the name is the module
 * prefix ("layers.0.attn.wq_a"); the checkpoint holds PREFIX.weight and, for FP8/FP4 storage,
 * PREFIX.scale. For every other class the name is the full tensor name.
 */
#ifndef V4_LAYOUT_H
#define V4_LAYOUT_H

#include <stddef.h>
#include <stdint.h>
#include "engine/config.h"
#include "engine/safetensors.h"

typedef enum {
    LC_DENSE = 0, /* linear [out, in]: F32, BF16, F16 or FP8 (E4M3 + E8M0 block scales) */
    LC_EXPERT,    /* routed-expert linear: F32, BF16, F16, FP8 or FP4 (packed E2M1 + E8M0/32) */
    LC_PLAIN,     /* linear used unquantised (embed, head, gate, compressor, weights_proj):
                     F32, BF16 or F16 */
    LC_NORM,      /* RMSNorm weight [n]: BF16, F32 or F16 */
    LC_F32,       /* F32 parameter (mHC fn/base/scale, attn_sink, ape, gate bias) */
    LC_INDEX,     /* ffn.gate.tid2eid [vocab, experts_per_tok]: I64 or I32, values in [0, E) */
    LC_COUNT
} layout_class;

typedef struct {
    char name[80];       /* see the header comment */
    layout_class cls;
    int ndim;            /* 1 or 2 */
    int64_t shape[2];    /* logical shape ([out, in] for linears) */
    int layer;           /* -1 global; 0..n_layers-1 main; n_layers+i for mtp.{i} */
    int expert;          /* routed expert index, -1 otherwise */
    int is_embed;        /* embed.weight (a lookup table, not a product) */
} layout_entry;

typedef struct {
    layout_entry *e;     /* [n] */
    int n;
} v4_layout;

/* layout_build: the table for cfg (a validated config). Non-zero with err on out of memory. */
int layout_build(const v4_config *cfg, v4_layout *out, char *err, size_t errlen);
void layout_free(v4_layout *l);

/* layout_class_name: "dense linear", "routed expert", … for messages. */
const char *layout_class_name(layout_class c);

/* layout_class_allows: 1 when a linear of class c may be stored in format f. */
int layout_class_allows(layout_class c, fmt_kind f);

/* layout_bind: binds linear entry e (classes LC_DENSE/LC_EXPERT/LC_PLAIN) to *w, checking dtype,
 * shape, scale shape and that its class allows the stored format. */
int layout_bind(const v4_config *cfg, const st_set *s, const layout_entry *e, v4_weight *w,
                char *err, size_t errlen);

/* layout_adapt_names: accepts the official names also under a "model." prefix (as some
 * transformers exports write them) by stripping it, and rejects a checkpoint that uses
 * transformers' renamed modules (model.embed_tokens, self_attn.q_a_proj, fused
 * mlp.experts.gate_up_proj, …) with one line naming a tensor and the expected convention.
 * Call after opening, before layout_validate. */
int layout_adapt_names(st_set *s, char *err, size_t errlen);

/* layout_adapt_mtp: a checkpoint without any mtp.* tensor whose config announces MTP layers
 * (transformers exports drop the MTP block but keep num_nextn_predict_layers) loads as a model
 * without MTP: cfg->n_mtp_layers becomes 0. Returns the number of MTP layers dropped. */
int layout_adapt_mtp(v4_config *cfg, const st_set *s);

/* layout_validate: checks every tensor of the layout exists in s with an allowed dtype and the
 * exact shape (scales included), tid2eid values lie in [0, n_routed_experts), and s holds no
 * tensor the layout does not name (tensors of MTP blocks mtp.{i} with i >= n_mtp_layers are
 * ignored: a config may turn MTP off). Returns 0, or non-zero with one line
 * "FILE: tensor NAME: expected …, found …" in err. */
int layout_validate(const v4_config *cfg, const st_set *s, char *err, size_t errlen);

#endif /* V4_LAYOUT_H */
