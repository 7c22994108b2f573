/*
 * cliopt.c — strict numeric option parsing (see cliopt.h).
 */
#include <string.h>
#include <limits.h>
#include "harness/cliopt.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int cliopt_long(const char *opt, const char *v, long lo, long hi, long *out, char *err,
                size_t errlen) {
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (end == v || *end || errno || x < lo || x > hi) {
        snprintf(err, errlen, "%s: expected an integer in [%ld, %ld], found '%s'", opt, lo, hi, v);
        return 1;
    }
    *out = x;
    return 0;
}

int cliopt_u64(const char *opt, const char *v, unsigned long long *out, char *err,
               size_t errlen) {
    char *end;
    errno = 0;
    if (*v == '-') goto bad;
    unsigned long long x = strtoull(v, &end, 10);
    if (end == v || *end || errno) goto bad;
    *out = x;
    return 0;
bad:
    snprintf(err, errlen, "%s: expected a non-negative integer, found '%s'", opt, v);
    return 1;
}

int cliopt_double(const char *opt, const char *v, double lo, double hi, double *out, char *err,
                  size_t errlen) {
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(x) || x < lo || x > hi) {
        snprintf(err, errlen, "%s: expected a number in [%g, %g], found '%s'", opt, lo, hi, v);
        return 1;
    }
    *out = x;
    return 0;
}

int cliopt_lengths(const char *v, int max_len, int max_n, int **out, int *n, char *err,
                   size_t errlen) {
    int cap = 0;
    *out = NULL;
    *n = 0;
    const char *p = v;
    while (*p) {
        char *end;
        errno = 0;
        long long x = strtoll(p, &end, 10);
        if (end != p && (*end == 'k' || *end == 'K')) { x *= 1024; end++; }
        else if (end != p && (*end == 'm' || *end == 'M')) { x *= 1048576; end++; }
        if (end == p || errno || x <= 0 || x > max_len || (*end && *end != ',')) {
            snprintf(err, errlen, "--lengths: expected comma-separated token counts in [1, %d] "
                     "(k/m suffixes), found '%.*s'", max_len, (int)strcspn(p, ","), p);
            goto bad;
        }
        if (max_n && *n == max_n) {
            snprintf(err, errlen, "--lengths: at most %d lengths, found more in '%.200s'", max_n, v);
            goto bad;
        }
        if (*n == cap) {
            cap = cap ? 2 * cap : 8;
            int *g = realloc(*out, (size_t)cap * sizeof *g);
            if (!g) { snprintf(err, errlen, "--lengths: out of memory"); goto bad; }
            *out = g;
        }
        (*out)[(*n)++] = (int)x;
        p = *end ? end + 1 : end;
    }
    if (*n) return 0;
    snprintf(err, errlen, "--lengths: empty list");
bad:
    free(*out);
    *out = NULL;
    *n = 0;
    return 2;
}
