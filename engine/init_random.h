/*
 * init_random.h — writes a random-weight DeepSeek-V4 checkpoint in the official layout.
 *
 * The checkpoint holds exactly the tensors of layout.h for the config (official names), so the
 * loader, the forward pass and every tool can run end to end without released weights. Values
 * are deterministic for a seed and scaled so activations stay O(1): linears ~ N(0, 1/fan_in),
 * embedding ~ N(0, 1), norms 1, attention sinks 0, mHC fn ~ N(0, 1/(n·D)) with small bases and
 * unit scales, compressor ape ~ N(0, 0.02²), gate bias 0, tid2eid rows of distinct expert ids.
 * Storage: "bf16" (every linear BF16) or "fp8" (dense linears E4M3 + 128×128 UE8M0 scales,
 * routed experts packed E2M1 + per-32 UE8M0 scales, as released); norms/embed/head/plain BF16,
 * F32 parameters F32, tid2eid I64.
 */
#ifndef V4_INIT_RANDOM_H
#define V4_INIT_RANDOM_H

#include <stddef.h>
#include <stdint.h>
#include "engine/config.h"

typedef enum { INIT_BF16 = 0, INIT_FP8 = 1 } init_format;

/* Refuses configs whose checkpoint would exceed this many bytes (a random Flash is pointless). */
#define INIT_RANDOM_MAX_BYTES (4LL << 30)

/* init_random_write: writes out_dir/config.json (the text of config_path with
 * quantization_config and expert_dtype set to match the storage format) and
 * out_dir/model.safetensors. out_dir is created when missing. Non-zero with one line in err on
 * bad input (unsupported shapes for FP4, a checkpoint over INIT_RANDOM_MAX_BYTES) or I/O failure;
 * *bad_input is set to 1 for the former. */
int init_random_write(const v4_config *cfg, const char *config_path, const char *out_dir,
                      uint64_t seed, init_format fmt, int *bad_input, char *err, size_t errlen);

#endif /* V4_INIT_RANDOM_H */
