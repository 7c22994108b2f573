/*
 * rope.c — frequency tables (plain and YaRN) and the interleaved partial rotation (spec §3.2).
 * The YaRN correction range follows the official find_correction_range / linear ramp:
 * low = max(floor(r·ln(L/(β_fast·2π)) / (2 ln b)), 0), high = min(ceil(r·ln(L/(β_slow·2π)) /
 * (2 ln b)), r−1), ramp_i = clamp((i−low)/(high−low), 0, 1), ω'_i = ω_i(1−ramp_i) + ω_i/f·ramp_i.
 */
#include "engine/rope.h"
#include <math.h>

static double rope_corr_dim(double beta, int r, double base, int orig_len) {
    return r * log((double)orig_len / (beta * 2.0 * M_PI)) / (2.0 * log(base));
}

int rope_table_init(rope_table *t, int rope_dim, double base, double factor, int orig_len,
                    double beta_fast, double beta_slow) {
    if (rope_dim <= 0 || rope_dim % 2 || rope_dim > 256) return -1;
    t->rope_dim = rope_dim;
    int half = rope_dim / 2;
    double low = 0, high = 0;
    int yarn = orig_len > 0 && factor > 1.0;
    if (yarn) {
        low = floor(rope_corr_dim(beta_fast, rope_dim, base, orig_len));
        high = ceil(rope_corr_dim(beta_slow, rope_dim, base, orig_len));
        if (low < 0) low = 0;
        if (high > rope_dim - 1) high = rope_dim - 1;
        if (high == low) high += 0.001;
    }
    for (int i = 0; i < half; i++) {
        /* float32 like the reference: base ** (arange(0, r, 2) / r) */
        double w = 1.0 / pow(base, (2.0 * i) / rope_dim);
        if (yarn) {
            double ramp = (i - low) / (high - low);
            if (ramp < 0) ramp = 0;
            if (ramp > 1) ramp = 1;
            w = w * (1.0 - ramp) + (w / factor) * ramp;
        }
        t->freq[i] = (float)w;
    }
    return 0;
}

void rope_apply(const rope_table *t, float *v, int n, int pos, int inverse) {
    int half = t->rope_dim / 2;
    float *x = v + (n - t->rope_dim);
    float fp = (float)pos;
    for (int i = 0; i < half; i++) {
        float ang = fp * t->freq[i];
        double c = cos((double)ang), s = sin((double)ang);
        if (inverse) s = -s;
        float a = x[2 * i], b = x[2 * i + 1];
        x[2 * i] = (float)(a * c - b * s);
        x[2 * i + 1] = (float)(a * s + b * c);
    }
}
