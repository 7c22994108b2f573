/*
 * backend_builtin.c — the built-in engine as a backend, through engine/v4.h only.
 *
 * Loads DIR (config.json + safetensors) and its tokenizer (DIR/tokenizer.json unless another
 * is given). Per sample: prompt ids (the suite's, else the prompt tokenized with special
 * tokens parsed) → refuse when prompt + max new tokens exceeds the model's max_position (no
 * truncation, ever) → prefill → greedy (or temperature) decoding until EOS, a stop string
 * (cut off, not returned) or max new tokens.
 *
 * Shared prefixes: consecutive samples that share a long token prefix (a haystack asked
 * several questions, a few-shot block) reuse one prefilled state. When a sample's ids share at
 * least PREFIX_MIN tokens with the previous sample's, the shared part is prefilled once and a
 * fork of that session is kept; later samples starting with the same ids restore from it and
 * prefill only their own tail. The cache never changes results: restore copies the exact state.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness/backend.h"
#include "harness/hutil.h"

enum { PREFIX_MIN = 64, PREFILL_CHUNK = 256 };

typedef struct {
    v4_model *m;
    v4_tokenizer *tok;
    v4_info info;
    char *dir, *tok_path;
    int qat;
    float temperature;
    unsigned long long seed;
    /* prefix cache */
    v4_session *cache;        /* state after cache_ids[0..n_cache) */
    int32_t *cache_ids; int n_cache;
    int32_t *prev_ids; int n_prev;  /* the previous sample's prompt ids */
    long long cache_hits, cache_tokens_saved;
    int *unwritable; int n_unwritable; /* model ids the tokenizer cannot detokenize (masked) */
} builtin_impl;

static uint64_t id_hash(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int common_prefix(const int32_t *a, int na, const int32_t *b, int nb) {
    int n = na < nb ? na : nb, i = 0;
    while (i < n && a[i] == b[i]) i++;
    return i;
}

/* prefill_prompt: brings a fresh session s to the end of ids[0..n), using and refreshing the
 * prefix cache; logits receives the last position's logits. */
static int prefill_prompt(builtin_impl *x, v4_session *s, const int32_t *ids, int n,
                          float *logits, char *err, size_t errlen) {
    int start = 0;
    if (x->cache && x->n_cache < n && common_prefix(x->cache_ids, x->n_cache, ids, n) == x->n_cache) {
        if (v4_session_restore(s, x->cache) == 0) {
            start = x->n_cache;
            x->cache_hits++;
            x->cache_tokens_saved += start;
        }
    }
    if (!start) {
        /* a new shared prefix with the previous sample? prefill it once and keep a fork */
        int l = x->prev_ids ? common_prefix(x->prev_ids, x->n_prev, ids, n) : 0;
        if (l >= n) l = n - 1; /* the last token must be fed to get its logits */
        if (l >= PREFIX_MIN) {
            if (v4_prefill(s, ids, l, PREFILL_CHUNK, NULL, NULL, err, errlen)) return 1;
            v4_session *f = v4_session_fork(s);
            if (f) {
                v4_session_free(x->cache);
                free(x->cache_ids);
                x->cache = f;
                x->cache_ids = malloc((size_t)l * sizeof *x->cache_ids);
                memcpy(x->cache_ids, ids, (size_t)l * sizeof *ids);
                x->n_cache = l;
            }
            start = l;
        }
    }
    free(x->prev_ids);
    x->prev_ids = malloc((size_t)n * sizeof *ids);
    memcpy(x->prev_ids, ids, (size_t)n * sizeof *ids);
    x->n_prev = n;
    return v4_prefill(s, ids + start, n - start, PREFILL_CHUNK, NULL, logits, err, errlen);
}

static int builtin_generate(backend *b, const eval_sample *smp, backend_result *r, int *fatal,
                            char *err, size_t errlen) {
    builtin_impl *x = b->impl;
    (void)fatal;
    memset(r, 0, sizeof *r);
    double t0 = hutil_mono();
    int32_t *ids = NULL;
    size_t n_ids = 0;
    int own_ids = 0;
    if (smp->prompt_ids && smp->n_prompt_ids > 0) {
        ids = smp->prompt_ids;
        n_ids = (size_t)smp->n_prompt_ids;
    } else {
        if (!smp->prompt) {
            snprintf(err, errlen, "sample %s has neither prompt ids nor a prompt", smp->id);
            return 1;
        }
        if (v4_tokenize(x->tok, smp->prompt, strlen(smp->prompt), 1, &ids, &n_ids, err, errlen))
            return 1;
        own_ids = 1;
    }
    int max_new = smp->max_new_tokens > 0 ? smp->max_new_tokens : 256;
    r->tokens_in = (int)n_ids;
    if (n_ids == 0) {
        snprintf(err, errlen, "sample %s: empty prompt", smp->id);
        if (own_ids) free(ids);
        return 1;
    }
    if ((long long)n_ids + max_new > x->info.max_position) {
        snprintf(err, errlen, "sample %s needs %zu prompt + %d new tokens = %lld, beyond the "
                 "model's window of %d tokens (max_position_embeddings); not truncated",
                 smp->id, n_ids, max_new, (long long)n_ids + max_new, x->info.max_position);
        if (own_ids) free(ids);
        return 1;
    }
    int vocab = x->info.vocab_size;
    float *logits = malloc((size_t)vocab * sizeof *logits);
    int32_t *out = malloc((size_t)max_new * sizeof *out);
    v4_session *s = v4_session_new(x->m, (int)n_ids + max_new, err, errlen);
    int rc = 1;
    char *text = NULL;
    size_t text_len = 0;
    if (!logits || !out || !s) {
        if (logits && out) snprintf(err + strlen(err), errlen - strlen(err), " (sample %s)", smp->id);
        else snprintf(err, errlen, "out of memory for sample %s", smp->id);
        goto done;
    }
    if (prefill_prompt(x, s, ids, (int)n_ids, logits, err, errlen)) goto done;
    uint64_t rng = (x->seed ^ id_hash(smp->id)) | 1;
    int n_out = 0;
    const char *finish = "length";
    for (;;) {
        /* sample only ids the tokenizer can write back (the model's vocab may be padded) */
        for (int i = 0; i < x->n_unwritable; i++) logits[x->unwritable[i]] = -INFINITY;
        int tok = v4_sample(logits, vocab, x->temperature, 1.0f, &rng);
        if (tok == x->info.eos_id) { finish = "eos"; break; }
        out[n_out++] = tok;
        free(text);
        text = NULL;
        if (v4_detokenize(x->tok, out, (size_t)n_out, &text, &text_len, err, errlen)) goto done;
        size_t cut = backend_cut_stops(text, text_len, smp->stops, smp->n_stops);
        if (cut < text_len) {
            text[cut] = 0;
            text_len = cut;
            finish = "stop";
            break;
        }
        if (n_out >= max_new) break;
        if (v4_decode(s, tok, logits, err, errlen)) goto done;
    }
    if (!text) text = hutil_strdup("");
    r->output = text;
    text = NULL;
    r->tokens_out = n_out;
    snprintf(r->finish, sizeof r->finish, "%s", finish);
    rc = 0;
done:
    r->latency_s = hutil_mono() - t0;
    free(text);
    free(logits);
    free(out);
    v4_session_free(s);
    if (own_ids) free(ids);
    return rc;
}

static cJSON *builtin_describe(const backend *b) {
    const builtin_impl *x = b->impl;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", "builtin");
    cJSON_AddStringToObject(o, "model_dir", x->dir);
    cJSON_AddStringToObject(o, "tokenizer", x->tok_path);
    cJSON_AddStringToObject(o, "model_type", x->info.model_type);
    cJSON_AddNumberToObject(o, "vocab_size", x->info.vocab_size);
    cJSON_AddNumberToObject(o, "n_layers", x->info.n_layers);
    cJSON_AddNumberToObject(o, "dim", x->info.dim);
    cJSON_AddNumberToObject(o, "max_position", x->info.max_position);
    cJSON_AddNumberToObject(o, "params_total", (double)x->info.params_total);
    cJSON_AddNumberToObject(o, "params_active", (double)x->info.params_active);
    cJSON_AddNumberToObject(o, "weight_bytes", (double)x->info.weight_bytes);
    cJSON_AddBoolToObject(o, "qat", x->qat);
    cJSON_AddStringToObject(o, "decoding", x->temperature > 0 ? "temperature" : "greedy");
    cJSON_AddNumberToObject(o, "temperature", x->temperature);
    cJSON_AddNumberToObject(o, "prefix_cache_hits", (double)x->cache_hits);
    cJSON_AddNumberToObject(o, "prefix_tokens_reused", (double)x->cache_tokens_saved);
    cJSON_AddNumberToObject(o, "masked_ids", x->n_unwritable);
    return o;
}

static void builtin_close(backend *b) {
    if (!b) return;
    builtin_impl *x = b->impl;
    if (x) {
        v4_session_free(x->cache);
        free(x->cache_ids);
        free(x->prev_ids);
        free(x->unwritable);
        if (x->tok) v4_tokenizer_free(x->tok);
        if (x->m) v4_model_free(x->m);
        free(x->dir);
        free(x->tok_path);
        free(x);
    }
    free(b);
}

int backend_builtin_open(const backend_opts *o, backend **out, char *err, size_t errlen) {
    if (!o->model_dir) {
        snprintf(err, errlen, "builtin backend: --model DIR is required");
        return 1;
    }
    backend *b = calloc(1, sizeof *b);
    builtin_impl *x = calloc(1, sizeof *x);
    b->impl = x;
    b->kind = "builtin";
    b->max_concurrency = 1;
    b->generate = builtin_generate;
    b->describe = builtin_describe;
    b->close = builtin_close;
    x->dir = hutil_strdup(o->model_dir);
    x->tok_path = o->tokenizer ? hutil_strdup(o->tokenizer)
                               : hutil_asprintf("%s/tokenizer.json", o->model_dir);
    x->qat = o->qat;
    x->temperature = o->temperature;
    x->seed = o->seed;
    v4_opts vo = v4_opts_default();
    vo.qat = o->qat;
    vo.n_threads = o->threads;
    if (!hutil_file_exists(x->tok_path)) {
        snprintf(err, errlen, "%s: no tokenizer (the builtin backend needs the model's "
                 "tokenizer.json; give --tokenizer FILE)", x->tok_path);
        builtin_close(b);
        return 1;
    }
    if (v4_model_load(o->model_dir, &vo, &x->m, err, errlen) ||
        v4_tokenizer_load(x->tok_path, &x->tok, err, errlen)) {
        builtin_close(b);
        return 1;
    }
    v4_model_get_info(x->m, &x->info);
    /* ids the model can emit but the tokenizer cannot write back are never sampled */
    x->unwritable = malloc((size_t)x->info.vocab_size * sizeof *x->unwritable);
    for (int32_t id = 0; id < x->info.vocab_size; id++) {
        char *t = NULL, e2[64];
        size_t tl;
        if (id == x->info.eos_id) continue;
        if (v4_detokenize(x->tok, &id, 1, &t, &tl, e2, sizeof e2)) x->unwritable[x->n_unwritable++] = id;
        free(t);
    }
    if (x->n_unwritable == x->info.vocab_size) {
        snprintf(err, errlen, "%s: the tokenizer can write none of the model's %d ids", x->tok_path,
                 x->info.vocab_size);
        builtin_close(b);
        return 1;
    }
    b->max_context = x->info.max_position;
    b->tok = x->tok;
    *out = b;
    return 0;
}
