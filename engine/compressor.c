/*
 * compressor.c — streaming and chunked drivers of the compressor state machine (spec §6.2–§6.4).
 * Pooling: for every channel, softmax over the slot logits (max-subtracted, fp32 with double
 * sums) of the slot values. A slot with logit −inf (absent previous window of entry 0) has
 * weight 0. The chunked driver reads each token of a closing window either from the chunk
 * (t ≥ p0) or from the carried state (t < p0), so chunks may start and end anywhere.
 */
#include "engine/compressor.h"
#include "engine/vecops.h"
#include <math.h>
#include <string.h>

void cmp_state_reset(const cmp_weights *cw, float *sk, float *sz) {
    size_t n = (size_t)cmp_state_rows(cw) * cw->w;
    memset(sk, 0, sizeof(float) * n);
    for (size_t i = 0; i < n; i++) sz[i] = -INFINITY;
}

/* pool: e[ch] = Σ_s softmax_s(zs[s][ch]) · ks[s][ch] over ns slots given as row pointers; the
 * channel offset into each slot row is off[s]. */
static void cmp_pool(int c, int ns, const float *const *ks, const float *const *zs,
                     const int *off, float *e) {
    for (int ch = 0; ch < c; ch++) {
        float mx = -INFINITY;
        for (int s = 0; s < ns; s++) {
            float z = zs[s][off[s] + ch];
            if (z > mx) mx = z;
        }
        double num = 0, den = 0;
        for (int s = 0; s < ns; s++) {
            float z = zs[s][off[s] + ch];
            if (z == -INFINITY) continue;
            double wgt = exp((double)(z - mx));
            den += wgt;
            num += wgt * ks[s][off[s] + ch];
        }
        e[ch] = den > 0 ? (float)(num / den) : 0.0f;
    }
}

/* store: row ← (kv, z + ape[r]). */
static void cmp_store(const cmp_weights *cw, float *sk_row, float *sz_row, const float *kv,
                      const float *z, int r) {
    const float *ape = cw->ape + (size_t)r * cw->w;
    memcpy(sk_row, kv, sizeof(float) * cw->w);
    for (int i = 0; i < cw->w; i++) sz_row[i] = z[i] + ape[i];
}

int cmp_push(const cmp_weights *cw, float *sk, float *sz, const float *kv, const float *z, int p,
             float *e) {
    int m = cw->ratio, w = cw->w, r = p % m, row = (cw->overlap ? m : 0) + r;
    cmp_store(cw, sk + (size_t)row * w, sz + (size_t)row * w, kv, z, r);
    if ((p + 1) % m) return 0;
    const float *ks[256] = {0}, *zs[256] = {0};
    int off[256] = {0}, ns = 0;
    if (cw->overlap) {
        for (int i = 0; i < m; i++, ns++) {       /* previous window, A half */
            ks[ns] = sk + (size_t)i * w; zs[ns] = sz + (size_t)i * w; off[ns] = 0;
        }
        for (int i = m; i < 2 * m; i++, ns++) {   /* current window, B half */
            ks[ns] = sk + (size_t)i * w; zs[ns] = sz + (size_t)i * w; off[ns] = cw->c;
        }
    } else {
        for (int i = 0; i < m; i++, ns++) {
            ks[ns] = sk + (size_t)i * w; zs[ns] = sz + (size_t)i * w; off[ns] = 0;
        }
    }
    cmp_pool(cw->c, ns, ks, zs, off, e);
    if (cw->overlap) {
        memcpy(sk, sk + (size_t)m * w, sizeof(float) * (size_t)m * w);
        memcpy(sz, sz + (size_t)m * w, sizeof(float) * (size_t)m * w);
    }
    return 1;
}

/* The (k, z+ape) rows of token t for a chunk starting at p0: from the chunk when t >= p0,
 * otherwise from the carried state (current window rows, or with overlap the previous window
 * rows). zrow receives z+ape for chunk tokens (scratch of w floats). Returns 0 when token t is
 * before the previous window (never needed). */
typedef struct {
    const cmp_weights *cw;
    const float *sk, *sz, *KV, *Z;
    int p0;
} cmp_src;

static int cmp_row(const cmp_src *s, int t, const float **k, const float **z, float *zbuf) {
    const cmp_weights *cw = s->cw;
    int m = cw->ratio, w = cw->w;
    if (t < 0) return 0;
    if (t >= s->p0) {
        const float *ape = cw->ape + (size_t)(t % m) * w, *zz = s->Z + (size_t)(t - s->p0) * w;
        for (int i = 0; i < w; i++) zbuf[i] = zz[i] + ape[i];
        *k = s->KV + (size_t)(t - s->p0) * w;
        *z = zbuf;
        return 1;
    }
    int wcur = s->p0 / m, wt = t / m, row;
    if (wt == wcur) row = (cw->overlap ? m : 0) + t % m;
    else if (cw->overlap && wt == wcur - 1) row = t % m;
    else return 0;
    *k = s->sk + (size_t)row * w;
    *z = s->sz + (size_t)row * w;
    return 1;
}

int cmp_chunk(const cmp_weights *cw, float *sk, float *sz, const float *KV, const float *Z, int p0,
              int n, float *E, float *tmp_k, float *tmp_z) {
    int m = cw->ratio, w = cw->w, c = cw->c;
    cmp_src src = {cw, sk, sz, KV, Z, p0};
    /* z+ape rows of chunk tokens are materialised in tmp_z, one per slot in use */
    const float *ks[256] = {0}, *zs[256] = {0};
    int off[256];
    int j0 = p0 / m, j1 = (p0 + n) / m, k = 0;
    for (int j = j0; j < j1; j++, k++) {
        int ns = 0;
        if (cw->overlap) {
            for (int i = 0; i < m; i++) {
                int t = (j - 1) * m + i;
                if (j == 0 || !cmp_row(&src, t, &ks[ns], &zs[ns], tmp_z + (size_t)ns * w)) {
                    continue;   /* absent previous window: weight 0 */
                }
                off[ns++] = 0;
            }
        }
        for (int i = 0; i < m; i++) {
            int t = j * m + i;
            cmp_row(&src, t, &ks[ns], &zs[ns], tmp_z + (size_t)ns * w);
            off[ns++] = cw->overlap ? c : 0;
        }
        cmp_pool(c, ns, ks, zs, off, E + (size_t)k * c);
    }
    /* new state after position q−1, q = p0+n: current window rows for tokens floor(q/m)·m..q−1,
     * with overlap the previous rows = window floor(q/m)−1 when it exists. Built in tmp first,
     * because the sources may be the old state itself. */
    int q = p0 + n, rows = cmp_state_rows(cw), jc = q / m;
    memcpy(tmp_k, sk, sizeof(float) * (size_t)rows * w);
    memcpy(tmp_z, sz, sizeof(float) * (size_t)rows * w);
    int tfirst = (cw->overlap && jc > j0) ? (jc - 1) * m : jc * m;
    for (int t = tfirst; t < q; t++) {
        /* rows of window jc go to the current rows; with overlap window jc−1 (closed inside
         * this chunk) becomes the previous window */
        int row = (t / m == jc ? (cw->overlap ? m : 0) : 0) + t % m;
        float *dk = tmp_k + (size_t)row * w, *dz = tmp_z + (size_t)row * w;
        if (t >= p0) {
            const float *ape = cw->ape + (size_t)(t % m) * w, *zz = Z + (size_t)(t - p0) * w;
            memcpy(dk, KV + (size_t)(t - p0) * w, sizeof(float) * w);
            for (int i = 0; i < w; i++) dz[i] = zz[i] + ape[i];
        } else {
            int orow = (t / m == j0 ? (cw->overlap ? m : 0) : 0) + t % m;
            memcpy(dk, sk + (size_t)orow * w, sizeof(float) * w);
            memcpy(dz, sz + (size_t)orow * w, sizeof(float) * w);
        }
    }
    memcpy(sk, tmp_k, sizeof(float) * (size_t)rows * w);
    memcpy(sz, tmp_z, sizeof(float) * (size_t)rows * w);
    return k;
}

void cmp_finish(const cmp_weights *cw, float *e, int j, const rope_table *rope, float eps,
                cmp_qat q) {
    vec_rmsnorm(e, e, cw->norm, cw->c, eps);
    rope_apply(rope, e, cw->c, j * cw->ratio, 0);
    if (q == CMP_QAT_FQ8_NOPE) {
        fmt_fq8(e, cw->c - rope->rope_dim, 64);
    } else if (q == CMP_QAT_HAD_FQ4) {
        fmt_hadamard(e, cw->c);
        fmt_fq4(e, cw->c, 32);
    }
}
