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
