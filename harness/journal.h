/*
 * journal.h — samples.jsonl as an append-only, crash-safe journal; the basis of resume.
 *
 * Each finished sample is one JSON line, written with a single write(2) and fsync'ed before the
 * next sample starts, so a SIGKILL loses at most the sample in flight. On open the existing file
 * is read back: a torn last line (bytes after the last newline, left by a kill during the write)
 * is truncated away and logged; a malformed complete line is an error (file:line), never skipped
 * silently; ids are unique (a duplicate is an error too). With retry_errors the records whose
 * status is "error" are dropped (the file is rewritten atomically without them) so the run
 * tries those samples again — the file never holds two lines for one id.
 */
#ifndef V4_JOURNAL_H
#define V4_JOURNAL_H

#include <stddef.h>
#include "harness/record.h"

typedef struct journal journal;

/* journal_open: opens (creating if absent) the journal at path and loads its records.
 * Returns 0 and *out; non-zero with one line in err (path:line: what is wrong). Writes a notice
 * on stderr when it truncates a torn line or drops errored records. */
int journal_open(const char *path, int retry_errors, journal **out, char *err, size_t errlen);
void journal_close(journal *j);

/* journal_has: 1 when a record with this id is already in the journal. */
int journal_has(const journal *j, const char *id);

/* journal_append: writes r as one line + fsync and takes ownership of r's contents (r is reset
 * to empty). Returns 0 on success; 1 (err) for an id already present (r untouched); 2 (err)
 * when the write or fsync fails (disk full …) — the record is then kept in memory only. Not
 * thread-safe: callers serialise. */
int journal_append(journal *j, sample_record *r, char *err, size_t errlen);

/* journal_records: the records loaded at open plus those appended, in file order. */
const sample_record *journal_records(const journal *j, int *n);

/* journal_load: reads a journal read-only (no truncation, no rewrite): for report and compare.
 * A torn last line is ignored with a notice. Caller frees with journal_records_free. */
int journal_load(const char *path, sample_record **recs, int *n, char *err, size_t errlen);
void journal_records_free(sample_record *recs, int n);

#endif /* V4_JOURNAL_H */
