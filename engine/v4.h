/*
 * v4.h — the one public door of the v4eval engine.
 *
 * The harness, suites and scorers see only this header: opaque handles for a loaded model, a
 * per-sequence session and a tokenizer, plus the text layer (chat encoding and DSML) as plain
 * strings and JSON text. Tensor internals never leave engine/.
 *
 * Conventions for every function here:
 *   - Functions that can fail return 0 on success and non-zero on failure; on failure they write
 *     one human-readable line into err (file, tensor/field, expected vs found) when err != NULL.
 *     errlen is the size of err in bytes (V4_ERRLEN is always enough).
 *   - Strings and arrays returned through out-pointers are malloc'ed; the caller frees them with
 *     free().
 *   - Nothing here calls exit() or prints to stdout; the CLI decides how to report errors.
 */
#ifndef V4_H
#define V4_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#define V4_ERRLEN 1024

/* ---------------------------------------------------------------------------------------------
 * Process setup
 * ------------------------------------------------------------------------------------------- */

/* v4_blas_setup: call first thing in main(), before any BLAS call. Debian's OpenBLAS 0.3.21 does
 * not recognise recent CPUs and falls back to a slow generic core. When OPENBLAS_CORETYPE is not
 * set and the CPU supports AVX-512 (resp. AVX2), this sets OPENBLAS_CORETYPE=SkylakeX (resp.
 * Haswell) and re-execs the program through /proc/self/exe with the same argv, so the library
 * initialises with the right kernel; the same re-exec sets OMP_WAIT_POLICY=PASSIVE unless the
 * user chose a policy (spinning OpenMP workers starve OpenBLAS's threads). Returns normally when no re-exec is needed (or it failed,
 * in which case the program continues on the default kernel). */
void v4_blas_setup(int argc, char **argv);

/* v4_blas_kernel: the OpenBLAS core name in use (e.g. "SkylakeX"), for reports. Never NULL. */
const char *v4_blas_kernel(void);

/* ---------------------------------------------------------------------------------------------
 * Model
 * ------------------------------------------------------------------------------------------- */

typedef struct v4_model v4_model;
typedef struct v4_session v4_session;

typedef struct {
    int qat;       /* 1 = official QAT emulations (FP8/FP4 fake-quant, activation quant): default */
    int n_threads; /* 0 = OpenMP default */
} v4_opts;

/* v4_opts_default: qat on, threads from OpenMP. */
v4_opts v4_opts_default(void);

/* v4_model_load: loads DIR/config.json and the safetensors weights (model.safetensors or the
 * shards named by model.safetensors.index.json), memory-mapped, every tensor validated against
 * the config. Returns 0 and *out on success; non-zero with one line in err otherwise. */
int v4_model_load(const char *dir, const v4_opts *opts, v4_model **out, char *err, size_t errlen);
void v4_model_free(v4_model *m);

/* v4_model_set_qat: switches the QAT emulations on (1) or off (0) for subsequent forward calls. */
void v4_model_set_qat(v4_model *m, int on);

typedef struct {
    char model_type[32];     /* "deepseek_v4" */
    int vocab_size;
    int dim;
    int n_layers;            /* main blocks */
    int n_mtp_layers;
    int n_heads;
    int head_dim;
    int window;
    int index_topk;          /* CSA entries each query selects (0 without CSA layers) */
    int max_position;        /* max_position_embeddings: the longest context the model accepts */
    int bos_id, eos_id;
    int64_t params_total;    /* all parameters incl. MTP */
    int64_t params_active;   /* parameters touched per token (excl. embedding) */
    int64_t weight_bytes;    /* bytes of weights as stored */
} v4_info;

/* v4_model_get_info: fills *out from the loaded model. */
void v4_model_get_info(const v4_model *m, v4_info *out);

/* ---------------------------------------------------------------------------------------------
 * Sessions: one sequence's state (window rings, compressor states, compressed caches, indexer
 * keys, position). Fork = deep copy (shared prompt prefixes); restore = copy src into dst.
 * ------------------------------------------------------------------------------------------- */

/* v4_session_new: a fresh sequence at position 0 that can hold up to max_tokens tokens
 * (0 = the model's max_position). NULL with err on failure (out of memory, or max_tokens above
 * the model's max_position). */
v4_session *v4_session_new(v4_model *m, int max_tokens, char *err, size_t errlen);
void v4_session_free(v4_session *s);
/* v4_session_fork: a deep copy of s (same model), NULL on out of memory. */
v4_session *v4_session_fork(const v4_session *s);
/* v4_session_restore: makes dst an exact copy of src (same model); 0 on success. */
int v4_session_restore(v4_session *dst, const v4_session *src);
/* v4_session_pos: number of tokens consumed so far. */
int v4_session_pos(const v4_session *s);

/* v4_prefill: feeds n tokens, chunk tokens at a time (chunk <= 0: all at once), batched
 * layer-major. If logits_all != NULL it receives [n][vocab] logits (every position); if
 * logits_last != NULL it receives the [vocab] logits of the last token. Fails (non-zero, err)
 * when the session would exceed its max_tokens or a token id is out of range. */
int v4_prefill(v4_session *s, const int32_t *tokens, int n, int chunk, float *logits_all,
               float *logits_last, char *err, size_t errlen);

/* v4_decode: feeds one token; logits (may be NULL) receives [vocab]. */
int v4_decode(v4_session *s, int32_t token, float *logits, char *err, size_t errlen);

/* v4_mtp_logits: the MTP block's logits [vocab] for the token after next, given the final
 * streams of the last consumed position and next_token (the token that follows it).
 * Does not advance the main sequence. Non-zero when the model has no MTP block. */
int v4_mtp_logits(v4_session *s, int32_t next_token, float *logits, char *err, size_t errlen);

/* v4_session_set_mtp: on = 1 makes every later v4_prefill / v4_decode also run the MTP block
 * over the positions consumed (with the token that followed each), so the MTP block's own
 * sliding window is complete and v4_mtp_logits equals a full MTP pass over the sequence. Costs
 * one extra block per token; off by default (then the MTP window holds only the positions
 * v4_mtp_logits was called at). No-op for a model without an MTP block. Copied by fork/restore. */
void v4_session_set_mtp(v4_session *s, int on);

/* v4_session_trace_topk: debug state for verification against a reference. From this call on,
 * every position p the session consumes (prefill or decode) records the compressed entries the
 * CSA top-k of main layer l chose at buf[((size_t)l * max_tokens + p) * index_topk + j],
 * j < index_topk, in no particular order; the call sets every slot to −1 first, so non-CSA
 * layers and the unused slots of positions with fewer visible entries than index_topk stay −1.
 * buf holds v4_session_topk_trace_len(s) int32s and must stay valid while tracing; buf NULL
 * stops tracing. Not copied by fork/restore. A float32 selection may legitimately differ from
 * a float64 one where two index scores tie to rounding (scripts/train/export.py checks that). */
size_t v4_session_topk_trace_len(const v4_session *s);
void v4_session_trace_topk(v4_session *s, int32_t *buf);

/* v4_sample: greedy when temp <= 0, else temperature + nucleus (top_p) sampling with the
 * xorshift state *rng. Returns the token id. */
int v4_sample(const float *logits, int vocab, float temp, float top_p, uint64_t *rng);

/* ---------------------------------------------------------------------------------------------
 * Profile counters (filled by every op through the format dispatch)
 * ------------------------------------------------------------------------------------------- */
typedef struct {
    double flops;          /* multiply-adds counted as 2 */
    double weight_bytes;   /* bytes of stored weights touched */
    double kv_bytes;       /* bytes of per-sequence state read */
    double seconds;        /* wall time inside forward calls */
    int64_t tokens;        /* tokens processed */
} v4_profile;

/* v4_session_profile: the counters accumulated by this session since creation/reset. */
void v4_session_profile(const v4_session *s, v4_profile *out);
void v4_session_profile_reset(v4_session *s);

/* v4_session_state_bytes: bytes of per-sequence state (KV, compressor, indexer) held now. */
int64_t v4_session_state_bytes(const v4_session *s);

/* v4_kernel_bench: microbenchmark of the weight-format products (for `v4eval bench --kernels`):
 * for every format, a random rows×cols weight times n activation rows (n = 1: matvec), the fast
 * dispatched product vs the scalar reference in the same run, each timed for at least
 * min_seconds (the reference a quarter of that), on n_threads threads (0 = unchanged). Fills out[0..FMT count) and returns the count,
 * or -1 on bad arguments (cols must be even, max_rows >= 5) or out of memory. */
typedef struct {
    char format[8];
    int rows, cols, n;
    double fast_s, ref_s;              /* seconds per call */
    double fast_gflops, ref_gflops;    /* 2·rows·cols·n / seconds */
    double fast_gbs, ref_gbs;          /* stored weight bytes / seconds */
    double max_rel_err;                /* max |fast − ref| / max |ref| */
} v4_kbench_row;
int v4_kernel_bench(int rows, int cols, int n, int n_threads, double min_seconds,
                    v4_kbench_row *out, int max_rows);
/* v4_kernel_variant: the fused-kernel set in use ("avx512", "avx2" or "scalar"). Never NULL. */
const char *v4_kernel_variant(void);

/* ---------------------------------------------------------------------------------------------
 * Tokenizer (Hugging Face tokenizer.json, byte-level BPE)
 * ------------------------------------------------------------------------------------------- */
typedef struct v4_tokenizer v4_tokenizer;

/* v4_tokenizer_load: parses a tokenizer.json; non-zero with the offending field in err. */
int v4_tokenizer_load(const char *path, v4_tokenizer **out, char *err, size_t errlen);
void v4_tokenizer_free(v4_tokenizer *t);

/* v4_tokenize: text (len bytes, need not be NUL-terminated, may be invalid UTF-8) → ids.
 * parse_special != 0 matches added/special tokens in the text first. No BOS is added. */
int v4_tokenize(const v4_tokenizer *t, const char *text, size_t len, int parse_special,
                int32_t **ids, size_t *n_ids, char *err, size_t errlen);

/* v4_detokenize: ids → text bytes (NUL-terminated; *len excludes the NUL). Unknown ids fail. */
int v4_detokenize(const v4_tokenizer *t, const int32_t *ids, size_t n, char **text, size_t *len,
                  char *err, size_t errlen);

/* v4_token_id: id of an exact token string (special or vocabulary), -1 if absent. */
int32_t v4_token_id(const v4_tokenizer *t, const char *token);

/* v4_tokenizer_vocab_size: number of ids (vocab + added tokens). */
int v4_tokenizer_vocab_size(const v4_tokenizer *t);

/* ---------------------------------------------------------------------------------------------
 * Chat encoding (DeepSeek-V4 encoding_dsv4 rules, spec §14.2/§14.5) and DSML tool calls
 * ------------------------------------------------------------------------------------------- */
typedef struct {
    int thinking;          /* 0 = chat mode, 1 = thinking mode */
    int drop_thinking;     /* default 1 (auto-disabled when any message defines tools) */
    const char *effort;    /* NULL, "high" or "max" */
} v4_chat_opts;

v4_chat_opts v4_chat_opts_default(void);

/* v4_chat_encode: messages_json is a JSON array of OpenAI-style messages; tools_json (may be
 * NULL) is a JSON array of OpenAI tools attached to the first system message (one is created
 * if absent). *out receives the exact prompt string, starting with <｜begin▁of▁sentence｜>. */
int v4_chat_encode(const char *messages_json, const char *tools_json, const v4_chat_opts *opts,
                   char **out, char *err, size_t errlen);

/* v4_dsml_render: tool_calls_json is a JSON array of {"name":…, "arguments": "<JSON text>"}
 * (OpenAI style; arguments may also be an object). *out receives the DSML tool_calls block
 * exactly as the encoder writes it (starting with "\n\n<｜DSML｜tool_calls>"), without EOS. */
int v4_dsml_render(const char *tool_calls_json, char **out, char *err, size_t errlen);

/* v4_dsml_parse: parses a model completion (text, len bytes) as DeepSeek's parser does.
 * *json_out receives {"content":…, "reasoning":…, "tool_calls":[{"name":…, "arguments":{…}}]}.
 * Malformed input: non-zero, err says what was expected at which byte offset. */
int v4_dsml_parse(const char *text, size_t len, int thinking, char **json_out, char *err,
                  size_t errlen);

/* ---------------------------------------------------------------------------------------------
 * Checkpoint-level tools (for `v4eval info` and `v4eval init-random`)
 * Return 0 on success, 2 for bad input, 1 for I/O failures (one line in err).
 * ------------------------------------------------------------------------------------------- */

/* v4_describe: exactly one of model_dir (loads config + safetensors, validates every tensor,
 * reports the bytes as stored) or config_path (derives everything from the config). Prints
 * parameters (total, activated), layer schedule, bytes per format, KV bytes per token and the
 * OpenBLAS kernel to out. */
int v4_describe(const char *model_dir, const char *config_path, FILE *out, char *err,
                size_t errlen);

/* v4_init_random: writes out_dir/config.json + model.safetensors with random weights in the
 * official layout (format "bf16" or "fp8"), copies tokenizer (may be NULL) to
 * out_dir/tokenizer.json, re-validates the result and prints one summary line to out. */
int v4_init_random(const char *config_path, const char *out_dir, uint64_t seed,
                   const char *format, const char *tokenizer, FILE *out, char *err,
                   size_t errlen);

#endif /* V4_H */
