/*
 * cliopt.h — strict parsing of numeric option values for the harness subcommands: the whole
 * string must be a number within [lo, hi], otherwise one error line names the option, the
 * expected range and what was found.
 */
#ifndef V4_CLIOPT_H
#define V4_CLIOPT_H

#include <stddef.h>

int cliopt_long(const char *opt, const char *v, long lo, long hi, long *out, char *err,
                size_t errlen);
int cliopt_u64(const char *opt, const char *v, unsigned long long *out, char *err, size_t errlen);
int cliopt_double(const char *opt, const char *v, double lo, double hi, double *out, char *err,
                  size_t errlen);

/* cliopt_lengths: "1024,4k,1M" → a malloc'ed array of positive token counts (k = 1024,
 * m = 1048576), each <= max_len, at most max_n entries (0 = no limit). Non-zero with one line in
 * err (and *out NULL) on bad input. */
int cliopt_lengths(const char *v, int max_len, int max_n, int **out, int *n, char *err,
                   size_t errlen);

#endif /* V4_CLIOPT_H */
