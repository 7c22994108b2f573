/*
 * hutil.h — small helpers shared by the harness files: wall clock, directories, whole
 * files, and a few cJSON accessors.
 *
 * Nothing here knows about suites, scorers or the engine. Every function is thread-safe (no
 * hidden static state) so the HTTP backend's worker threads may use them.
 */
#ifndef V4_HUTIL_H
#define V4_HUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cjson/cJSON.h>

#include "suites/sha256.h"   /* SHA-256 shared with the suites */

/* hutil_now: wall clock seconds (CLOCK_REALTIME, sub-second). hutil_mono: CLOCK_MONOTONIC. */
double hutil_now(void);
double hutil_mono(void);
/* hutil_iso_time: UTC time t as "2026-11-28T12:00:00Z" into out (at least 21 bytes). */
void hutil_iso_time(double t, char *out, size_t outlen);

/* hutil_mkdir_p: creates dir and its parents (mode 0755); 0 on success or if it exists. */
int hutil_mkdir_p(const char *dir, char *err, size_t errlen);
/* hutil_read_file: whole file, NUL-terminated, malloc'ed; NULL (errno set) if unreadable. */
char *hutil_read_file(const char *path, size_t *len);
/* hutil_write_file_atomic: writes data to path via path.tmp + fsync + rename. 0 on success. */
int hutil_write_file_atomic(const char *path, const char *data, size_t len, char *err,
                            size_t errlen);
/* hutil_file_exists: 1 if path exists (any type). */
int hutil_file_exists(const char *path);

/* hutil_strdup_or_null: strdup(s) or NULL when s is NULL. */
char *hutil_strdup(const char *s);
/* hutil_asprintf: malloc'ed formatted string (aborts the process only on out of memory). */
char *hutil_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* cJSON accessors: the value of key in obj, or the default when absent / of another type. */
const char *hutil_json_str(const cJSON *obj, const char *key, const char *dflt);
double hutil_json_num(const cJSON *obj, const char *key, double dflt);

/* hutil_utf8_sanitize: a malloc'ed copy of s with every invalid UTF-8 sequence replaced by
 * U+FFFD, so JSON readers accept it (NULL → NULL). */
char *hutil_utf8_sanitize(const char *s);

/* hutil_csv_field: writes s (NULL = empty) to f as one CSV field, quoted per RFC 4180 when it
 * holds a comma, quote, CR or LF. No separator is written. */
void hutil_csv_field(FILE *f, const char *s);

#endif /* V4_HUTIL_H */
