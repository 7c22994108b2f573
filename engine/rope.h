/*
 * rope.h — rotary position embedding tables of DeepSeek-V4 (spec §3.2).
 *
 * Each model has two frequency tables: base rope_theta without YaRN (SWA-only layers and the MTP
 * block) and base compress_rope_theta with YaRN (CSA/HCA layers, whenever original_seq_len > 0).
 * RoPE is partial, trailing and interleaved: on a vector of n dims the last r dims form r/2
 * complex pairs (2i, 2i+1) rotated by pos·ω_i. The inverse rotation uses −pos (conjugate).
 * Invariant: a rope_table holds r/2 frequencies; the angle is computed as float(pos)·ω_i in
 * float (as the reference's float32 freqs_cis) and cos/sin are evaluated from that angle.
 */
#ifndef V4_ROPE_H
#define V4_ROPE_H

typedef struct {
    int rope_dim;      /* r (even) */
    float freq[128];   /* [r/2] ω_i (after YaRN when enabled) */
} rope_table;

/* rope_table_init: ω_i = base^(−2i/r); when orig_len > 0 and factor > 1, the YaRN ramp of
 * spec §3.2 with beta_fast/beta_slow blends ω_i and ω_i/factor. rope_dim must be even and
 * <= 256; returns 0, or -1 when rope_dim is out of range. */
int rope_table_init(rope_table *t, int rope_dim, double base, double factor, int orig_len,
                    double beta_fast, double beta_slow);

/* rope_apply: rotates the trailing t->rope_dim dims of v[n] (n >= rope_dim) by pos·ω
 * (inverse = 1: by −pos·ω). */
void rope_apply(const rope_table *t, float *v, int n, int pos, int inverse);

#endif /* V4_ROPE_H */
