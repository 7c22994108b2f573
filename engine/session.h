/*
 * session.h — one sequence's state, as ONE explicit struct (spec §10): per layer the sliding
 * window ring (K = V entries with the position each slot holds), the compressor SK/SZ states of
 * the main and indexer compressors, the compressed caches (main entries and indexer keys), plus
 * the position, the final mHC streams of the last consumed token (input of MTP) and the profile
 * counters. The work buffers (fwd_work) are scratch owned by the session and are NOT part of
 * the state: fork/restore copy the state only.
 *
 * Invariants: ring slot p mod window holds the entry of position ring_pos[slot] (−1: empty);
 * layer l holds n_main = floor(pos/ratio) main entries (and as many indexer keys on CSA layers);
 * every buffer is allocated at session creation or grown geometrically (never per token).
 */
#ifndef V4_SESSION_H
#define V4_SESSION_H

#include <stdint.h>
#include "engine/model.h"

typedef struct {
    float *ring;       /* [window][d] */
    int *ring_pos;     /* [window] position held by each slot, −1 = empty */
    float *sk, *sz;    /* main compressor state [(1+o)·m][2d or d] */
    float *isk, *isz;  /* indexer compressor state [8][2·c_I] */
    float *cmain;      /* [cap][d] compressed main entries */
    float *kidx;       /* [cap][c_I] indexer keys (CSA) */
    int n_main, n_idx, cap;
} layer_state;

/* Scratch for a forward over up to `cap` tokens at once (decode: 1; prefill: the chunk). */
typedef struct {
    int cap;
    float *X;          /* [cap][hc][D] streams */
    float *mix;        /* [cap][nmix] */
    float *pre, *post, *comb; /* [cap][hc], [cap][hc], [cap][hc][hc] */
    float *a, *f;      /* [cap][D] */
    float *xq;         /* [cap][max_cols] QAT activation copy */
    float *tmp;        /* [hc][D] */
    float *qr;         /* [cap][q_lora] */
    float *q;          /* [cap][H·d] */
    float *kv;         /* [cap][d] */
    float *o;          /* [G][cap][(H/G)·d] attention outputs, group-major */
    float *u;          /* [cap][G·o_lora] */
    float *ug;         /* [G][cap][o_lora] grouped wo_a outputs */
    float *ckv, *cz;   /* [cap][2d] compressor projections */
    float *ikv, *iz;   /* [cap][2·c_I] indexer compressor projections */
    float *iq;         /* [cap][H_I·c_I] */
    float *iw;         /* [cap][H_I] */
    float *ent;        /* [cap/4 + 2][d] entries emitted by a chunk */
    float *ctk, *ctz;  /* compressor chunk scratch [max rows][max w] */
    float *logit_row;  /* [cap][E] router logits */
    int *sel;          /* [cap][k] selected experts */
    float *selw;       /* [cap][k] their weights */
    int *tok_list;     /* [cap·k] token rows of one expert */
    float *ex_w;       /* [cap·k] their routing weights */
    float *ex_in, *ex_h1, *ex_h3, *ex_out; /* [cap·k][D], [cap·k][I], …, [cap·k][D] */
    float *hn;         /* [cap][D] head input */
    int *tokens;       /* [cap] token ids of the chunk */
    float *mtp_X;      /* [cap][hc][D] MTP block streams (models with an MTP block) */
    /* attention per query (sized by the session's max_tokens), one set per thread: set t of
     * each starts at t·(its per-set size); decode uses set 0, prefill one set per thread */
    int pthreads;      /* number of sets (OpenMP max threads at session creation) */
    const float **keys;/* [pthreads][attn_cap] */
    float *sc;         /* [pthreads][H][attn_cap] scores */
    float *isc;        /* [pthreads][idx cap] indexer scores */
    int *isel;         /* [pthreads][idx cap] indexer index scratch */
    int attn_cap, idx_cap;
    /* prefill indexer scoring (grown on demand, kept): all queries of a chunk at once */
    float *isc_all;    /* [chunk][entries] combined index scores */
    float *itile;      /* [chunk·H_I][entry tile] raw q·k products of one entry tile */
    size_t isc_all_cap, itile_cap;
} fwd_work;

struct v4_session {
    v4_model *m;
    int max_tokens;
    int pos;               /* tokens consumed */
    layer_state *ls;       /* [n_all_layers] (MTP block last) */
    float *last_X;         /* [hc][D] final streams of position pos−1 */
    int has_last;
    int mtp_track;         /* run the MTP block over every consumed position (v4_session_set_mtp) */
    float *mtp_prev;       /* [hc][D] last_X before the current chunk (MTP tracking) */
    fmt_counters ctr;      /* fed by every fmt op */
    double kv_bytes, seconds;
    int64_t tokens;
    fwd_work wk;
    int32_t *topk_trace;   /* [n_layers][max_tokens][index_topk] or NULL (v4_session_trace_topk) */
};

/* work_ensure: grows s->wk to hold n tokens at once; 0 or -1 (out of memory). */
int work_ensure(v4_session *s, int n);

/* ls_reserve: makes room for `need` compressed entries in layer l; 0 or -1. */
int ls_reserve(v4_session *s, int l, int need);

#endif /* V4_SESSION_H */
