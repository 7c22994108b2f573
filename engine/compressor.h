/*
 * compressor.h — the token-level KV compressor of CSA/HCA layers (spec §6): per-channel softmax
 * pooling of m tokens (ratio 128, no overlap) or of 2m half-slots (ratio 4, overlap: the A-halves
 * of the previous window and the B-halves of the current one).
 *
 * Two equivalent ways to drive it, both over the same state (spec §6.3):
 *   cmp_push   — streaming, one token at a time (decode);
 *   cmp_chunk  — a chunk of n tokens at any start position (prefill): every window that closes
 *                inside the chunk is pooled directly from the chunk's projections plus the
 *                carried state, then the state is rebuilt for the trailing partial window.
 * State: sk, sz fp32 [(1+o)·m][w], initialised sk = 0, sz = −inf; with overlap rows 0..m−1 hold
 * the previous complete window and rows m..2m−1 the current one. Emitted raw entries e[c] still
 * need cmp_finish (RMSNorm, RoPE at position j·m, QAT).
 */
#ifndef V4_COMPRESSOR_H
#define V4_COMPRESSOR_H

#include "engine/formats.h"
#include "engine/rope.h"

typedef struct {
    int ratio;          /* m: 4 or 128 */
    int c;              /* entry dim (head_dim or index_head_dim) */
    int overlap;        /* ratio == 4 */
    int w;              /* projected width (1+overlap)·c */
    v4_weight wkv, wgate; /* [w, D] */
    float *ape;         /* [m][w], owned */
    float *norm;        /* [c], owned */
} cmp_weights;

typedef enum { CMP_QAT_NONE = 0, CMP_QAT_FQ8_NOPE, CMP_QAT_HAD_FQ4 } cmp_qat;

/* cmp_state_rows: number of state rows (1+overlap)·m. */
static inline int cmp_state_rows(const cmp_weights *cw) { return (1 + cw->overlap) * cw->ratio; }

/* cmp_state_reset: sk = 0, sz = −inf. */
void cmp_state_reset(const cmp_weights *cw, float *sk, float *sz);

/* cmp_push: token at position p with projections kv[w] (= wkv·a) and z[w] (= wgate·a, without
 * ape). Stores it; when (p+1) mod m == 0 writes the pooled raw entry e[c] and returns 1
 * (entry index p/m), else returns 0. */
int cmp_push(const cmp_weights *cw, float *sk, float *sz, const float *kv, const float *z, int p,
             float *e);

/* cmp_chunk: n tokens at positions p0..p0+n−1 with projections KV[n][w], Z[n][w] (no ape).
 * Writes the raw entries of every window closing in the chunk to E[k][c] in order, k =
 * floor((p0+n)/m) − floor(p0/m), returns k, and leaves the state as n cmp_push calls would
 * (up to rows that are never read again). tmp_k, tmp_z: scratch [(1+o)·m][w]. */
int cmp_chunk(const cmp_weights *cw, float *sk, float *sz, const float *KV, const float *Z, int p0,
              int n, float *E, float *tmp_k, float *tmp_z);

/* cmp_finish: e[c] ← RMSNorm(e; norm, eps), RoPE on its trailing rope dims at position j·m,
 * then the QAT emulation q (FQ8 block 64 on the first c − rope_dim dims, or Hadamard + FQ4
 * block 32 on all c dims). */
void cmp_finish(const cmp_weights *cw, float *e, int j, const rope_table *rope, float eps,
                cmp_qat q);

#endif /* V4_COMPRESSOR_H */
