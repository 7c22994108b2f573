/*
 * attention.h — V4 attention for all layer types (spec §5, §7, §8, §9): Q/KV projections with
 * partial interleaved RoPE, the sliding-window ring, CSA (main compressor + lightning indexer
 * with its own compressor and O(n) top-k), HCA (dense over compressed entries), one softmax over
 * the union of candidates with a per-head sink, inverse RoPE on the outputs and the grouped
 * output projection. attn_decode handles one token through the streaming compressors;
 * attn_prefill a chunk of n tokens at any start position through the batched compressor driver
 * and GEMMs; both give the same result as token-by-token decoding.
 */
#ifndef V4_ATTENTION_H
#define V4_ATTENTION_H

#include "engine/session.h"

/* topk_select: indices of the k largest of sc[n] into idx[0..k−1] in no particular order,
 * with the order of a stable descending sort (equal scores: lower index wins; NaN last), O(n)
 * average (quickselect, median-of-three pivot); idx must hold n ints (scratch). Returns
 * min(k, n). */
int topk_select(const float *sc, int n, int k, int *idx);

/* attn_core: one query at position p over nk candidate keys (K = V, d dims each): per head h
 * o_h = Σ_s softmax([q_h·k_s/sqrt(d)]_s ∪ {sink_h}) k_s (the sink only enlarges the
 * denominator), then inverse RoPE at p on o_h's trailing rope dims. q[H][d]; head h is written
 * group-major to o + (h / (H/G))·group_stride + (h mod (H/G))·d. sc: scratch [H][nk]. */
void attn_core(const v4_config *c, const rope_table *rope, const float *q,
               const float *const *keys, int nk, const float *sink, int p, float *sc, float *o,
               size_t group_stride);

/* attn_decode: one token (position p, input a[D] = attn_norm(collapse)) through layer l;
 * writes out[D] and updates the layer state (ring, compressors, caches). 0, or -1 on OOM. */
int attn_decode(v4_session *s, int l, const float *a, int p, float *out);

/* attn_prefill: n tokens at positions p0..p0+n−1, inputs a[n][D]; writes out[n][D]. */
int attn_prefill(v4_session *s, int l, const float *a, int n, int p0, float *out);

#endif /* V4_ATTENTION_H */
