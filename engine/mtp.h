/*
 * mtp.h — internal entry of the MTP block (spec §12) for forward.c's tracking mode.
 */
#ifndef V4_MTP_H
#define V4_MTP_H

#include "engine/session.h"

/* mtp_rows: runs the MTP block for n consecutive positions p0..p0+n−1 whose final main streams
 * are `first` (row 0, [hc][D]) and rest[n−1][hc][D] (rows 1..), each followed by token toks[i].
 * The block's output streams are left in s->wk.mtp_X[n][hc][D]. Requires an MTP block and
 * scratch for n rows; 0 or -1 (out of memory). */
int mtp_rows(v4_session *s, const float *first, const float *rest, const int *toks, int n,
             int p0);

#endif /* V4_MTP_H */
