/*
 * manifest.h — the facts that make a run reproducible, for results/<run-id>/manifest.json:
 * git commit, build flags, CPU, OpenBLAS kernel, model path and content hash.
 *
 * The model hash is SHA-256 over config.json followed by the JSON header of every safetensors
 * file (model.safetensors, or the shards named in model.safetensors.index.json, in sorted
 * order): it changes when the architecture, tensor names, shapes, dtypes or offsets change,
 * without reading gigabytes of weights.
 */
#ifndef V4_MANIFEST_H
#define V4_MANIFEST_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* manifest_model_hash: hex digest as above. Non-zero with err when config.json or a
 * safetensors header cannot be read. */
int manifest_model_hash(const char *dir, char hex[65], char *err, size_t errlen);

/* manifest_environment: a new object {git_commit, git_dirty, build{compiler, flags…},
 * cpu_model, n_cpus, openblas_kernel, hostname}. Missing facts are null, never an error. */
cJSON *manifest_environment(void);

/* manifest_read_max_position: max_position_embeddings from DIR/config.json, 0 if unknown. */
int manifest_read_max_position(const char *dir);

#endif /* V4_MANIFEST_H */
