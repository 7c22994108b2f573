/*
 * cliopt.c — strict numeric option parsing (see cliopt.h).
 */
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
