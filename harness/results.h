/*
 * results.h — aggregation of sample records into the run's tables.
 *
 * Everything is recomputed from the records (samples.jsonl), sorted by (suite, task, length,
 * depth), so an interrupted-and-resumed run writes byte-identical tables to an uninterrupted one.
 *
 *   summary.csv  RULER layout: one row per task, one column per context length with the mean
 *                score in percent (2 decimals), then n, nulls as "k/N" (empty outputs), errors;
 *                a last row "average" holds the mean over tasks per length (RULER's headline).
 *                Length-free tasks (length 0) go in a column named "score".
 *   results.csv  long format: suite,task,length,depth,metric,value,stderr,n,model,quant with
 *                metrics score, pass_rate (fractions in [0,1], stderr = sample sd / sqrt(n)),
 *                pass@k (k in 1,10,100, only when a problem has several samples and every
 *                problem has >= k; stderr over problems), nulls and errors (counts, no stderr).
 *                depth is "all" for the aggregate over depths, else the depth fraction. Rows with
 *                task "all" are the suite's macro average over its tasks (stderr combined as
 *                sqrt(sum se^2)/T).
 */
#ifndef V4_RESULTS_H
#define V4_RESULTS_H

#include <stddef.h>
#include <stdio.h>
#include "harness/record.h"

typedef struct {
    char *suite, *task;
    int length;            /* 0 = length-free task, -1 = all lengths (suite rows) */
    double depth;          /* -1 = all depths */
    const char *metric;    /* static string */
    double value, se;      /* se NaN when not defined */
    int n;
} result_row;

/* results_aggregate: rows of results.csv, in output order. Caller frees with results_rows_free. */
int results_aggregate(const sample_record *recs, int n, result_row **rows, int *n_rows);
void results_rows_free(result_row *rows, int n_rows);

/* results_write_summary: writes summary.csv to path (atomically). 0 on success. */
int results_write_summary(const char *path, const sample_record *recs, int n, char *err,
                          size_t errlen);
/* results_write_csv: writes results.csv to path (atomically); model and quant fill the last two
 * columns of every row. */
int results_write_csv(const char *path, const sample_record *recs, int n, const char *model,
                      const char *quant, char *err, size_t errlen);

/* results_print_table: a compact human table of summary.csv on f. */
void results_print_table(FILE *f, const sample_record *recs, int n);

#endif /* V4_RESULTS_H */
