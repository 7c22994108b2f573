/*
 * params.h — what a V4 config implies without any weights: parameter counts (total, activated
 * per token), bytes per storage format, KV/state bytes per token (spec §16.2) and the layer
 * schedule. All figures come from the layout table (layout.h), so they agree with what the
 * loader validates and init-random writes.
 *
 * Conventions (spec §13.6, §16, Appendix A):
 *   - parameters: every weight element of the layout (FP4 counts 1 per element, scales excluded);
 *     the tid2eid hash table is an index, not a parameter, and is not counted;
 *   - activated per token: everything a decoded token multiplies with — all dense weights, the
 *     gate, compressors, indexer, mHC, the LM head and n_activated_experts of the routed
 *     experts — but not the embedding table (a lookup); main model only unless stated;
 *   - KV bytes per token: the asymptotic growth of per-sequence state per extra token,
 *     Σ_CSA (B_c + B_i)/4 + Σ_HCA B_c/128, in the paper format (main/window entries: nope dims
 *     E4M3 + rope dims BF16 + one UE8M0 scale per 64 nope dims padded to 8 bytes; indexer keys
 *     E2M1 + one UE8M0 per 32) or in BF16.
 */
#ifndef V4_PARAMS_H
#define V4_PARAMS_H

#include <stdint.h>
#include "engine/config.h"
#include "engine/formats.h"
#include "engine/layout.h"

typedef struct {
    int64_t total;            /* incl. MTP */
    int64_t total_no_mtp;     /* main model */
    int64_t active;           /* per token, main model, excl. embedding */
    int64_t active_mtp;       /* the same for the MTP block(s) alone */
    int64_t embed;            /* embedding table */
    int n_swa, n_csa, n_hca;  /* main layers by type */
} v4_params;

/* params_count: counts for cfg (a validated config). Non-zero with err on out of memory. */
int params_count(const v4_config *cfg, v4_params *out, char *err, size_t errlen);

/* Storage of each layout class, for byte accounting from a config alone. */
typedef struct {
    fmt_kind dense;   /* LC_DENSE linears */
    fmt_kind expert;  /* LC_EXPERT linears */
    fmt_kind plain;   /* LC_PLAIN linears (embed, head, gate, compressors, weights_proj) */
    fmt_kind norm;    /* norm weights (F32, BF16 or F16) */
} params_storage;

/* params_default_storage: the official storage implied by the config: dense FP8 when
 * quantization_config says fp8 (else BF16); experts per expert_dtype (fp4/fp8/bf16; empty =
 * as dense); plain linears and norms BF16. */
params_storage params_default_storage(const v4_config *cfg);

/* params_linear_bytes: stored bytes (data + E8M0 scales) of a [rows, cols] linear in format f
 * with FP8 blocks br × bc (FP4 scales are per 32 columns). */
int64_t params_linear_bytes(fmt_kind f, int64_t rows, int64_t cols, int br, int bc);

typedef struct {
    int64_t by_fmt[FMT_COUNT]; /* linears and norms by storage format; F32 params in FMT_F32 */
    int64_t index;             /* tid2eid tables (I64) */
    int64_t total;
} params_bytes;

/* params_bytes_for: checkpoint bytes of cfg stored as st (incl. MTP). */
int params_bytes_for(const v4_config *cfg, const params_storage *st, params_bytes *out,
                     char *err, size_t errlen);

typedef enum { KV_PAPER = 0, KV_BF16 = 1 } kv_format;

/* params_kv_bytes_per_token: asymptotic per-sequence bytes per extra token (all layers). */
double params_kv_bytes_per_token(const v4_config *cfg, kv_format f);

/* params_kv_bytes: per-sequence state at context length L (window ring, compressed entries,
 * indexer keys, fp32 compressor buffers), main layers and MTP blocks. */
double params_kv_bytes(const v4_config *cfg, int64_t L, kv_format f);

/* params_schedule: "SSCHCH…C (S = SWA-only ×2, C = CSA ×21, H = HCA ×20); MTP: S; hash-routed
 * layers 0-2" into buf. */
void params_schedule(const v4_config *cfg, char *buf, size_t len);

#endif /* V4_PARAMS_H */
