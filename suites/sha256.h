/*
 * sha256.h — SHA-256 digests as 64 lowercase hex digits. No hidden state: thread-safe.
 */
#ifndef V4_SHA256_H
#define V4_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t h[8];
    uint64_t n_bytes;
    unsigned char buf[64];
    size_t n_buf;
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t len);
/* sha256_final_hex: finishes the digest and writes 64 hex digits + NUL into hex. */
void sha256_final_hex(sha256_ctx *c, char hex[65]);
/* sha256_hex_of: one-shot digest of len bytes. */
void sha256_hex_of(const void *data, size_t len, char hex[65]);

#endif /* V4_SHA256_H */
