/*
 * hutil.c — SHA-256, clocks, directories, files and cJSON accessors for the harness.
 *
 * The SHA-256 is a plain transcription of FIPS 180-4 (checked in tests against the standard's
 * test vectors). Atomic writes go through a temporary file, fsync and rename so a reader never
 * sees a half-written manifest or CSV.
 */
#include "harness/hutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const unsigned char *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

void hutil_sha256_init(hutil_sha256 *c) {
    static const uint32_t H0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(c->h, H0, sizeof H0);
    c->n_bytes = 0;
    c->n_buf = 0;
}

void hutil_sha256_update(hutil_sha256 *c, const void *data, size_t len) {
    const unsigned char *p = data;
    c->n_bytes += len;
    while (len > 0) {
        size_t take = 64 - c->n_buf < len ? 64 - c->n_buf : len;
        memcpy(c->buf + c->n_buf, p, take);
        c->n_buf += take; p += take; len -= take;
        if (c->n_buf == 64) { sha256_block(c->h, c->buf); c->n_buf = 0; }
    }
}

void hutil_sha256_hex(hutil_sha256 *c, char hex[65]) {
    uint64_t bits = c->n_bytes * 8;
    unsigned char pad = 0x80, zero = 0, lenb[8];
    hutil_sha256_update(c, &pad, 1);
    while (c->n_buf != 56) hutil_sha256_update(c, &zero, 1);
    for (int i = 0; i < 8; i++) lenb[i] = (unsigned char)(bits >> (56 - 8 * i));
    hutil_sha256_update(c, lenb, 8);
    for (int i = 0; i < 8; i++) snprintf(hex + 8 * i, 9, "%08x", c->h[i]);
    hex[64] = 0;
}

void hutil_sha256_str(const void *data, size_t len, char hex[65]) {
    hutil_sha256 c;
    hutil_sha256_init(&c);
    hutil_sha256_update(&c, data, len);
    hutil_sha256_hex(&c, hex);
}

double hutil_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

double hutil_mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void hutil_iso_time(double t, char *out, size_t outlen) {
    time_t s = (time_t)t;
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int hutil_mkdir_p(const char *dir, char *err, size_t errlen) {
    char path[4096];
    if (strlen(dir) >= sizeof path) {
        snprintf(err, errlen, "%s: path too long", dir);
        return 1;
    }
    strcpy(path, dir);
    for (char *p = path + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char save = *p;
            *p = 0;
            if (mkdir(path, 0755) != 0 && errno != EEXIST) {
                snprintf(err, errlen, "%s: cannot create directory: %s", path, strerror(errno));
                return 1;
            }
            *p = save;
            if (!save) break;
        }
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: exists and is not a directory", dir);
        return 1;
    }
    return 0;
}

char *hutil_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) { fclose(f); errno = ENOMEM; return NULL; }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
        if (n + 1 == cap) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) free(buf);
            buf = nb;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) { free(buf); errno = EIO; return NULL; }
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

int hutil_write_file_atomic(const char *path, const char *data, size_t len, char *err,
                            size_t errlen) {
    char *tmp = hutil_asprintf("%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
        free(tmp);
        return 1;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            snprintf(err, errlen, "%s: write failed: %s", tmp, strerror(errno));
            close(fd); unlink(tmp); free(tmp);
            return 1;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: cannot finish writing: %s", path, strerror(errno));
        unlink(tmp); free(tmp);
        return 1;
    }
    free(tmp);
    return 0;
}

int hutil_file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

char *hutil_strdup(const char *s) {
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) { fprintf(stderr, "v4eval: out of memory\n"); abort(); }
    return d;
}

char *hutil_asprintf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0 || !s) { fprintf(stderr, "v4eval: out of memory\n"); abort(); }
    return s;
}

const char *hutil_json_str(const cJSON *obj, const char *key, const char *dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : dflt;
}

double hutil_json_num(const cJSON *obj, const char *key, double dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

void hutil_csv_field(FILE *f, const char *s) {
    if (!s) return;
    if (!strpbrk(s, ",\"\r\n")) { fputs(s, f); return; }
    fputc('"', f);
    for (const char *p = s; *p; p++) {
        if (*p == '"') fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

/* utf8_len: length of the valid UTF-8 sequence at p (1..4), 0 when invalid */
static int utf8_len(const unsigned char *p) {
    if (p[0] < 0x80) return 1;
    int n;
    uint32_t cp;
    if ((p[0] & 0xE0) == 0xC0) { n = 2; cp = p[0] & 0x1F; }
    else if ((p[0] & 0xF0) == 0xE0) { n = 3; cp = p[0] & 0x0F; }
    else if ((p[0] & 0xF8) == 0xF0) { n = 4; cp = p[0] & 0x07; }
    else return 0;
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

char *hutil_utf8_sanitize(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s);
    char *o = malloc(3 * n + 1), *q = o;
    if (!o) { fprintf(stderr, "v4eval: out of memory\n"); abort(); }
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int l = utf8_len(p);
        if (l) { memcpy(q, p, (size_t)l); q += l; p += l; }
        else { memcpy(q, "\xEF\xBF\xBD", 3); q += 3; p++; }
    }
    *q = 0;
    return o;
}
