/*
 * sample.c — next-token choice from logits: greedy (temp <= 0; ties → lowest id), or softmax at
 * temperature T followed by nucleus filtering (smallest set of most probable tokens whose mass
 * reaches top_p; top_p >= 1 keeps all) and one draw from a xorshift64* generator. The state
 * *rng is advanced; a zero state is replaced by a fixed non-zero seed.
 */
#include <math.h>
#include <stdlib.h>
#include "engine/v4.h"

static uint64_t xorshift64s(uint64_t *s) {
    if (!*s) *s = 0x9E3779B97F4A7C15ull;
    uint64_t x = *s;
    x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

typedef struct { float p; int id; } prob_id;

static int cmp_desc(const void *a, const void *b) {
    const prob_id *x = a, *y = b;
    if (x->p != y->p) return x->p < y->p ? 1 : -1;
    return x->id - y->id;
}

int v4_sample(const float *logits, int vocab, float temp, float top_p, uint64_t *rng) {
    int best = 0;
    for (int i = 1; i < vocab; i++) if (logits[i] > logits[best]) best = i;
    if (temp <= 0 || vocab <= 1) return best;
    /* one buffer per thread, grown when a larger vocabulary comes (not per token) */
    static _Thread_local prob_id *buf;
    static _Thread_local int buf_cap;
    if (vocab > buf_cap) {
        prob_id *nb = realloc(buf, sizeof(prob_id) * (size_t)vocab);
        if (!nb) return best;
        buf = nb;
        buf_cap = vocab;
    }
    prob_id *pv = buf;
    double sum = 0, mx = logits[best];
    for (int i = 0; i < vocab; i++) {
        pv[i].p = (float)exp((logits[i] - mx) / temp);
        pv[i].id = i;
        sum += pv[i].p;
    }
    int n = vocab;
    if (top_p > 0 && top_p < 1) {
        qsort(pv, (size_t)vocab, sizeof(prob_id), cmp_desc);
        double cum = 0;
        for (n = 0; n < vocab;) { cum += pv[n].p / sum; n++; if (cum >= top_p) break; }
        sum = cum * sum;
    }
    double r = (double)(xorshift64s(rng) >> 11) * (1.0 / 9007199254740992.0) * sum, acc = 0;
    int id = pv[n - 1].id;
    for (int i = 0; i < n; i++) { acc += pv[i].p; if (r < acc) { id = pv[i].id; break; } }
    return id;
}
