/*
 * journal.c — samples.jsonl: load with torn-line recovery, id set, append + fsync.
 *
 * Invariant kept on disk: the file is a sequence of complete records, each ending in '\n', with
 * unique ids. Any state other than "that, plus a partial tail" is reported, not repaired.
 */
#include "harness/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness/hutil.h"

struct journal {
    char *path;
    int fd;
    sample_record *recs; /* [n] */
    int n, cap;
    char **slots;        /* open-addressing id set, [n_slots], ids borrowed from recs */
    size_t n_slots;
};

static uint64_t str_hash(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static char **set_find(char **slots, size_t n_slots, const char *id) {
    size_t i = str_hash(id) & (n_slots - 1);
    while (slots[i] && strcmp(slots[i], id)) i = (i + 1) & (n_slots - 1);
    return &slots[i];
}

static void set_rebuild(journal *j) {
    size_t want = 64;
    while (want < (size_t)j->n * 2 + 2) want *= 2;
    if (want != j->n_slots) {
        free(j->slots);
        j->slots = calloc(want, sizeof *j->slots);
        if (!j->slots) { fprintf(stderr, "v4eval: out of memory\n"); abort(); }
        j->n_slots = want;
    } else {
        memset(j->slots, 0, want * sizeof *j->slots);
    }
    for (int i = 0; i < j->n; i++) *set_find(j->slots, j->n_slots, j->recs[i].id) = j->recs[i].id;
}

static void push(sample_record **recs, int *n, int *cap, sample_record *r) {
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        sample_record *nr = realloc(*recs, (size_t)*cap * sizeof **recs);
        if (!nr) { fprintf(stderr, "v4eval: out of memory\n"); abort(); }
        *recs = nr;
    }
    (*recs)[(*n)++] = *r;
    record_init(r);
}

/* parse_all: parses buf (len bytes) into records. *good_len receives the byte length of the
 * complete lines; a tail without '\n' is the torn part. Duplicate ids and bad lines fail. */
static int parse_all(const char *path, char *buf, size_t len, sample_record **recs, int *n,
                     size_t *good_len, char *err, size_t errlen) {
    int cap = 0, line_no = 0;
    *recs = NULL; *n = 0; *good_len = 0;
    size_t set_n = 1024;
    char **set = calloc(set_n, sizeof *set);
    size_t pos = 0;
    int rc = 0;
    while (pos < len) {
        char *nl = memchr(buf + pos, '\n', len - pos);
        if (!nl) break; /* torn tail */
        line_no++;
        *nl = 0;
        const char *line = buf + pos;
        size_t next = (size_t)(nl - buf) + 1;
        if (line[strspn(line, " \t\r")] == 0) { pos = next; *good_len = next; continue; }
        sample_record r;
        char e[256];
        if (record_from_json(line, &r, e, sizeof e)) {
            snprintf(err, errlen, "%s:%d: malformed record: %s", path, line_no, e);
            rc = 1;
            break;
        }
        if ((size_t)*n * 2 + 2 > set_n) {
            size_t nn = set_n * 4;
            char **ns = calloc(nn, sizeof *ns);
            for (int i = 0; i < *n; i++) *set_find(ns, nn, (*recs)[i].id) = (*recs)[i].id;
            free(set); set = ns; set_n = nn;
        }
        char **slot = set_find(set, set_n, r.id);
        if (*slot) {
            snprintf(err, errlen, "%s:%d: duplicate sample id '%s'", path, line_no, r.id);
            record_free(&r);
            rc = 1;
            break;
        }
        push(recs, n, &cap, &r);
        *slot = (*recs)[*n - 1].id; /* the id string itself never moves */
        pos = next;
        *good_len = next;
    }
    free(set);
    if (rc) { journal_records_free(*recs, *n); *recs = NULL; *n = 0; }
    return rc;
}

void journal_records_free(sample_record *recs, int n) {
    for (int i = 0; i < n; i++) record_free(&recs[i]);
    free(recs);
}

int journal_load(const char *path, sample_record **recs, int *n, char *err, size_t errlen) {
    size_t len;
    char *buf = hutil_read_file(path, &len);
    if (!buf) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return 1;
    }
    size_t good;
    int rc = parse_all(path, buf, len, recs, n, &good, err, errlen);
    if (!rc && good < len)
        fprintf(stderr, "v4eval: %s: ignoring a torn last line (%zu bytes)\n", path, len - good);
    free(buf);
    return rc;
}

int journal_open(const char *path, int retry_errors, journal **out, char *err, size_t errlen) {
    journal *j = calloc(1, sizeof *j);
    j->path = hutil_strdup(path);
    j->fd = -1;
    size_t len = 0, good = 0;
    char *buf = hutil_read_file(path, &len);
    if (!buf && errno != ENOENT) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        journal_close(j);
        return 1;
    }
    if (buf) {
        int rc = parse_all(path, buf, len, &j->recs, &j->n, &good, err, errlen);
        free(buf);
        if (rc) { journal_close(j); return 1; }
        j->cap = j->n;
        if (good < len) {
            if (truncate(path, (off_t)good) != 0) {
                snprintf(err, errlen, "%s: cannot truncate torn last line: %s", path,
                         strerror(errno));
                journal_close(j);
                return 1;
            }
            fprintf(stderr, "v4eval: %s: removed a torn last line (%zu bytes) left by an "
                    "interrupted run\n", path, len - good);
        }
    }
    if (retry_errors) {
        int kept = 0, dropped = 0;
        for (int i = 0; i < j->n; i++) {
            if (record_is_error(&j->recs[i])) { record_free(&j->recs[i]); dropped++; }
            else j->recs[kept++] = j->recs[i];
        }
        j->n = kept;
        if (dropped) {
            size_t cap = 4096, n = 0;
            char *data = malloc(cap);
            for (int i = 0; i < j->n; i++) {
                char *line = record_to_json(&j->recs[i]);
                size_t l = strlen(line);
                while (n + l + 2 > cap) { cap *= 2; data = realloc(data, cap); }
                if (!data) { fprintf(stderr, "v4eval: out of memory\n"); abort(); }
                memcpy(data + n, line, l); n += l; data[n++] = '\n';
                free(line);
            }
            int rc = hutil_write_file_atomic(path, data, n, err, errlen);
            free(data);
            if (rc) { journal_close(j); return 1; }
            fprintf(stderr, "v4eval: %s: %d sample(s) that ended in error will be tried again\n",
                    path, dropped);
        }
    }
    j->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (j->fd < 0) {
        snprintf(err, errlen, "%s: cannot open for appending: %s", path, strerror(errno));
        journal_close(j);
        return 1;
    }
    set_rebuild(j);
    *out = j;
    return 0;
}

void journal_close(journal *j) {
    if (!j) return;
    if (j->fd >= 0) close(j->fd);
    journal_records_free(j->recs, j->n);
    free(j->slots);
    free(j->path);
    free(j);
}

int journal_has(const journal *j, const char *id) {
    return *set_find(j->slots, j->n_slots, id) != NULL;
}

int journal_append(journal *j, sample_record *r, char *err, size_t errlen) {
    if (!r->id || journal_has(j, r->id)) {
        snprintf(err, errlen, "%s: sample id '%s' is already recorded", j->path,
                 r->id ? r->id : "(null)");
        return 1;
    }
    char *line = record_to_json(r);
    size_t l = strlen(line);
    line[l] = '\n'; /* replace the NUL: written as one piece, never NUL-terminated again */
    int rc = 0;
    size_t off = 0;
    while (off < l + 1) {
        ssize_t w = write(j->fd, line + off, l + 1 - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            snprintf(err, errlen, "%s: append failed: %s", j->path, strerror(errno));
            rc = 2;
            break;
        }
        off += (size_t)w;
    }
    if (!rc && fsync(j->fd) != 0) {
        snprintf(err, errlen, "%s: fsync failed: %s", j->path, strerror(errno));
        rc = 2;
    }
    free(line);
    push(&j->recs, &j->n, &j->cap, r);
    if ((size_t)j->n * 2 + 2 > j->n_slots) set_rebuild(j);
    else *set_find(j->slots, j->n_slots, j->recs[j->n - 1].id) = j->recs[j->n - 1].id;
    return rc;
}

const sample_record *journal_records(const journal *j, int *n) {
    *n = j->n;
    return j->recs;
}
