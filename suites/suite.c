/*
 * suite.c — suite files: load, validate, apply defaults and CLI overrides, resolve, hash; and
 * the dispatch from (task, index) to the task kind that materialises the sample.
 *
 * A suite file is JSON (suites/NAME.json):
 *   { "name": "longctx", "description": "…",
 *     "defaults": { "template": "chat", "lengths": [4096, …], "samples": 20, "seed": 42, … },
 *     "tasks": [ { "name": "niah_single_1", "kind": "niah", "params": {…}, …overrides… } ] }
 * Task fields (each optional except name and kind; defaults → kind defaults):
 *   kind, scorer, template ("chat"|"raw"), thinking (bool), stops ([str]), max_new_tokens,
 *   lengths ([int], length kinds only), depths ([0..1], length kinds only), samples (per cell
 *   for length kinds; per task otherwise, 0 = whole dataset), seed, data (dataset path for
 *   loaders), optional (bool: skip the task with a note when its data file is missing), params.
 * Unknown fields are errors (a typo must not silently change an evaluation).
 *
 * The resolved suite (every field explicit, overrides applied, dataset and haystack content
 * hashes added) is printed canonically and hashed with SHA-256; that hash goes into every
 * result. Invariant: the same suite file + overrides + data give the same hash and the same
 * samples on every machine.
 */
#include "suites/suite.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "suites/suite_kinds.h"
#include "suites/suite_util.h"

#define SUITE_MIN_LENGTH 128
#define SUITE_MAX_LENGTH 1048576

static const char *const ALL_SUITES[] = {"longctx", "code", "math", "toolcall", NULL};

/* The scorer names agreed with scorers/ (see the comment block in suite.h). */
static const char *const SCORERS[] = {"ruler_all", "ruler_part", "gsm8k", "math_boxed",
                                      "math_number", "humaneval", "mbpp", "code_synth",
                                      "toolcall_ast", "toolcall_irrelevance", NULL};

static const suite_kind *const KINDS[] = {
    &suite_kind_niah, &suite_kind_vt, &suite_kind_cwe, &suite_kind_fwe,
    &suite_kind_arith, &suite_kind_wordprob, &suite_kind_gsm8k, &suite_kind_math,
    &suite_kind_toolcall, &suite_kind_bfcl,
    &suite_kind_code_synth, &suite_kind_humaneval, &suite_kind_mbpp,
    NULL};

const suite_kind *suite_kind_find(const char *name) {
    for (int i = 0; KINDS[i]; i++)
        if (name && strcmp(KINDS[i]->name, name) == 0) return KINDS[i];
    return NULL;
}

const char *suite_kind_names(void) {
    static char buf[512];
    if (!buf[0]) {
        size_t o = 0;
        for (int i = 0; KINDS[i]; i++)
            o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", i ? ", " : "", KINDS[i]->name);
    }
    return buf;
}

/* ---- eval_sample ------------------------------------------------------------------------- */

void eval_sample_free(eval_sample *s) {
    if (!s) return;
    free(s->id); free(s->suite); free(s->task); free(s->prompt); free(s->prompt_ids);
    cJSON_Delete(s->messages); cJSON_Delete(s->tools); cJSON_Delete(s->target);
    cJSON_Delete(s->meta);
    for (int i = 0; i < s->n_stops; i++) free(s->stops[i]);
    free(s->stops);
    free(s->scorer);
    memset(s, 0, sizeof *s);
}

/* ---- seeds ------------------------------------------------------------------------------- */

uint64_t suite_seed(uint64_t base, const char *task, int index, int train) {
    uint64_t st = base ^ 0x5A17E5EEDULL;
    uint64_t a = splitmix64(&st);
    st = a ^ suite_hash_str(task);
    uint64_t b = splitmix64(&st);
    st = b ^ ((uint64_t)(uint32_t)index * 0xD1B54A32D192ED03ULL);
    uint64_t x = splitmix64(&st);
    return train ? (x | SUITE_TRAIN_SEED_BIT) : (x & ~SUITE_TRAIN_SEED_BIT);
}

/* ---- task resolution ---------------------------------------------------------------------- */

static void task_free_fields(suite_task *t) {
    free(t->name); free(t->kind); cJSON_Delete(t->params); free(t->template_name);
    for (int i = 0; i < t->n_stops; i++) free(t->stops[i]);
    free(t->stops); free(t->scorer); free(t->lengths); free(t->depths); free(t->data_path);
    free(t->suite_name);
    suite_task_cache *c = t->cache;
    if (c) {
        suite_lines_free(&c->data);
        suite_lines_free(&c->answers);
        cJSON_Delete(c->answer_index);
        if (c->state && c->state_free) c->state_free(c->state);
        pthread_mutex_destroy(&c->mu);
        free(c);
    }
    memset(t, 0, sizeof *t);
}

/* get: the task's own field, else the suite default, else NULL. */
static const cJSON *field(const cJSON *task, const cJSON *defs, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(task, key);
    if (!v && defs) v = cJSON_GetObjectItemCaseSensitive(defs, key);
    return v;
}

static int parse_int_array(const char *where, const char *key, const cJSON *v, int lo, int hi,
                           int **out, int *n, char *err, size_t errlen) {
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0) {
        snprintf(err, errlen, "%s: %s: expected a non-empty array of integers in [%d, %d], found %s",
                 where, key, lo, hi, sv_type_name(v));
        return 1;
    }
    int k = cJSON_GetArraySize(v);
    *out = malloc(sizeof(int) * (size_t)k);
    *n = 0;
    for (const cJSON *e = v->child; e; e = e->next) {
        if (!cJSON_IsNumber(e) || e->valuedouble != (double)(long long)e->valuedouble ||
            e->valuedouble < lo || e->valuedouble > hi) {
            char found[64];
            if (cJSON_IsNumber(e)) snprintf(found, sizeof found, "%g", e->valuedouble);
            else snprintf(found, sizeof found, "%s", sv_type_name(e));
            snprintf(err, errlen, "%s: %s[%d]: expected an integer in [%d, %d], found %s", where,
                     key, *n, lo, hi, found);
            free(*out); *out = NULL;
            return 1;
        }
        (*out)[(*n)++] = (int)e->valuedouble;
    }
    return 0;
}

static const char *const TASK_FIELDS[] = {
    "name", "kind", "scorer", "template", "thinking", "stops", "max_new_tokens", "lengths",
    "depths", "samples", "seed", "data", "optional", "params", "description", NULL};
static const char *const DEFAULT_FIELDS[] = {"template", "thinking", "lengths", "depths",
                                             "samples", "seed", "max_new_tokens", NULL};

static int file_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}
static int dir_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* resolve_task: fills t from the task object (with suite defaults) and validates it. */
static int resolve_task(const char *file, int idx, const char *suite_name, const cJSON *jt,
                        const cJSON *defs, suite_task *t, char *err, size_t errlen) {
    char where[512];
    snprintf(where, sizeof where, "%.400s: tasks[%d]", file, idx);
    memset(t, 0, sizeof *t);
    if (!cJSON_IsObject(jt)) {
        snprintf(err, errlen, "%s: expected an object, found %s", where, sv_type_name(jt));
        return 1;
    }
    for (const cJSON *c = jt->child; c; c = c->next) {
        int ok = 0;
        for (int i = 0; TASK_FIELDS[i]; i++) ok |= strcmp(TASK_FIELDS[i], c->string) == 0;
        if (!ok) {
            snprintf(err, errlen, "%s.%s: unknown field (expected one of: name, kind, scorer, "
                     "template, thinking, stops, max_new_tokens, lengths, depths, samples, seed, "
                     "data, optional, params, description)", where, c->string);
            return 1;
        }
    }
    const char *name = sj_str(jt, "name");
    if (!name || !*name) {
        snprintf(err, errlen, "%s.name: expected a non-empty string, found %s", where,
                 sv_type_name(cJSON_GetObjectItemCaseSensitive(jt, "name")));
        return 1;
    }
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.') {
            snprintf(err, errlen, "%s.name: expected letters, digits, '_', '-', '.', found \"%s\"",
                     where, name);
            return 1;
        }
    snprintf(where, sizeof where, "%.400s: task %.80s", file, name);
    const char *kind = sj_str(jt, "kind");
    const suite_kind *k = suite_kind_find(kind);
    if (!k) {
        snprintf(err, errlen, "%s: kind: expected one of %s, found %s%s%s", where,
                 suite_kind_names(), kind ? "\"" : "", kind ? kind : "nothing", kind ? "\"" : "");
        return 1;
    }
    t->name = sdup(name);
    t->kind = sdup(k->name);
    t->suite_name = sdup(suite_name);

    const cJSON *v = field(jt, NULL, "scorer");
    if (v) {
        int ok = 0;
        if (cJSON_IsString(v))
            for (int i = 0; SCORERS[i]; i++) ok |= strcmp(SCORERS[i], v->valuestring) == 0;
        if (!ok) {
            snprintf(err, errlen, "%s: scorer: expected one of ruler_all, ruler_part, gsm8k, "
                     "math_boxed, math_number, humaneval, mbpp, code_synth, toolcall_ast, "
                     "toolcall_irrelevance, found %s%s%s", where,
                     cJSON_IsString(v) ? "\"" : "", cJSON_IsString(v) ? v->valuestring : sv_type_name(v),
                     cJSON_IsString(v) ? "\"" : "");
            return 1;
        }
        t->scorer = sdup(v->valuestring);
    } else {
        t->scorer = sdup(k->scorer);
    }

    v = field(jt, defs, "template");
    if (v && (!cJSON_IsString(v) ||
              (strcmp(v->valuestring, "chat") && strcmp(v->valuestring, "raw")))) {
        snprintf(err, errlen, "%s: template: expected \"chat\" | \"raw\", found %s%s%s", where,
                 cJSON_IsString(v) ? "\"" : "", cJSON_IsString(v) ? v->valuestring : sv_type_name(v),
                 cJSON_IsString(v) ? "\"" : "");
        return 1;
    }
    /* A task's own template wins; the suite default applies only when the kind has none. */
    const cJSON *own = cJSON_GetObjectItemCaseSensitive(jt, "template");
    t->template_name = sdup(own ? own->valuestring : v ? v->valuestring : k->template_name);

    v = field(jt, defs, "thinking");
    if (v && !cJSON_IsBool(v)) {
        snprintf(err, errlen, "%s: thinking: expected a boolean, found %s", where, sv_type_name(v));
        return 1;
    }
    t->thinking = v ? cJSON_IsTrue(v) : 0;

    v = cJSON_GetObjectItemCaseSensitive(jt, "stops");
    if (v) {
        if (!cJSON_IsArray(v)) {
            snprintf(err, errlen, "%s: stops: expected an array of strings, found %s", where,
                     sv_type_name(v));
            return 1;
        }
        t->n_stops = cJSON_GetArraySize(v);
        t->stops = calloc((size_t)t->n_stops + 1, sizeof(char *));
        int i = 0;
        for (const cJSON *e = v->child; e; e = e->next, i++) {
            if (!cJSON_IsString(e) || !*e->valuestring) {
                snprintf(err, errlen, "%s: stops[%d]: expected a non-empty string, found %s",
                         where, i, sv_type_name(e));
                t->n_stops = i;
                return 1;
            }
            t->stops[i] = sdup(e->valuestring);
        }
    } else if (k->stops) {
        while (k->stops[t->n_stops]) t->n_stops++;
        t->stops = calloc((size_t)t->n_stops + 1, sizeof(char *));
        for (int i = 0; i < t->n_stops; i++) t->stops[i] = sdup(k->stops[i]);
    }

    v = cJSON_GetObjectItemCaseSensitive(jt, "max_new_tokens");
    if (!v && defs && !k->max_new_tokens) v = cJSON_GetObjectItemCaseSensitive(defs, "max_new_tokens");
    if (v) {
        if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 65536 ||
            v->valuedouble != (double)(int)v->valuedouble) {
            snprintf(err, errlen, "%s: max_new_tokens: expected an integer in [1, 65536], found %s",
                     where, sv_type_name(v));
            return 1;
        }
        t->max_new_tokens = (int)v->valuedouble;
    } else {
        t->max_new_tokens = k->max_new_tokens ? k->max_new_tokens : 256;
    }

    if (k->length_task) {
        v = field(jt, defs, "lengths");
        if (!v) {
            snprintf(err, errlen, "%s: lengths: expected an array of token lengths (task or "
                     "defaults), found nothing", where);
            return 1;
        }
        if (parse_int_array(where, "lengths", v, SUITE_MIN_LENGTH, SUITE_MAX_LENGTH,
                            &t->lengths, &t->n_lengths, err, errlen))
            return 1;
        v = cJSON_GetObjectItemCaseSensitive(jt, "depths");
        if (v) {
            if (!cJSON_IsArray(v) || !cJSON_GetArraySize(v)) {
                snprintf(err, errlen, "%s: depths: expected a non-empty array of numbers in "
                         "[0, 1], found %s", where, sv_type_name(v));
                return 1;
            }
            t->n_depths = cJSON_GetArraySize(v);
            t->depths = malloc(sizeof(double) * (size_t)t->n_depths);
            int i = 0;
            for (const cJSON *e = v->child; e; e = e->next, i++) {
                if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble > 1) {
                    snprintf(err, errlen, "%s: depths[%d]: expected a number in [0, 1], found %s",
                             where, i, cJSON_IsNumber(e) ? "a number out of range" : sv_type_name(e));
                    return 1;
                }
                t->depths[i] = e->valuedouble;
            }
        }
    } else {
        for (const char *key = "lengths"; key; key = strcmp(key, "lengths") ? NULL : "depths")
            if (cJSON_GetObjectItemCaseSensitive(jt, key)) {
                snprintf(err, errlen, "%s: %s: kind %s has no length axis (remove the field)",
                         where, key, k->name);
                return 1;
            }
    }

    v = field(jt, defs, "samples");
    if (v && (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e7 ||
              v->valuedouble != (double)(int)v->valuedouble)) {
        snprintf(err, errlen, "%s: samples: expected an integer >= 0, found %s", where,
                 sv_type_name(v));
        return 1;
    }
    t->n_samples = v ? (int)v->valuedouble : (k->loader ? 0 : 10);
    if (t->n_samples == 0 && !k->loader) {
        snprintf(err, errlen, "%s: samples: expected an integer >= 1 for generator kind %s, "
                 "found 0", where, k->name);
        return 1;
    }

    v = field(jt, defs, "seed");
    if (v && (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740991.0)) {
        snprintf(err, errlen, "%s: seed: expected an integer in [0, 2^53), found %s", where,
                 sv_type_name(v));
        return 1;
    }
    t->seed = v ? (uint64_t)v->valuedouble : 42;

    v = cJSON_GetObjectItemCaseSensitive(jt, "data");
    if (v && !k->loader) {
        snprintf(err, errlen, "%s: data: kind %s is a generator and reads no dataset", where,
                 k->name);
        return 1;
    }
    if (v && !cJSON_IsString(v)) {
        snprintf(err, errlen, "%s: data: expected a file path string, found %s", where,
                 sv_type_name(v));
        return 1;
    }
    if (k->loader) t->data_path = sdup(v ? v->valuestring : k->default_data);

    v = cJSON_GetObjectItemCaseSensitive(jt, "optional");
    if (v && !cJSON_IsBool(v)) {
        snprintf(err, errlen, "%s: optional: expected a boolean, found %s", where, sv_type_name(v));
        return 1;
    }
    v = cJSON_GetObjectItemCaseSensitive(jt, "params");
    if (v && !cJSON_IsObject(v)) {
        snprintf(err, errlen, "%s: params: expected an object, found %s", where, sv_type_name(v));
        return 1;
    }
    t->params = v ? cJSON_Duplicate(v, 1) : cJSON_CreateObject();
    if (k->validate && k->validate(where, t, err, errlen)) return 1;
    return 0;
}

/* ---- files and names ---------------------------------------------------------------------- */

/* find_suite_file: suites/NAME.json in the cwd, else next to the executable's repo root. */
static int find_suite_file(const char *name, char *path, size_t n) {
    if (strchr(name, '/') || strstr(name, ".json")) {
        snprintf(path, n, "%s", name);
        return file_exists(path);
    }
    snprintf(path, n, "suites/%s.json", name);
    if (file_exists(path)) return 1;
    char exe[4096];
    ssize_t r = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (r > 0) {
        exe[r] = 0;
        for (int up = 0; up < 3; up++) {
            char *s = strrchr(exe, '/');
            if (!s) break;
            *s = 0;
            if (strlen(exe) + strlen(name) + 16 > n) break;
            snprintf(path, n, "%.3000s/suites/%.200s.json", exe, name);
            if (file_exists(path)) return 1;
        }
    }
    snprintf(path, n, "suites/%s.json", name);
    return 0;
}

static int is_selected(const suite_overrides *ov, const char *task) {
    if (!ov || !ov->n_tasks) return 1;
    for (int i = 0; i < ov->n_tasks; i++)
        if (strcmp(ov->tasks[i], task) == 0) return 1;
    return 0;
}

static int explicitly_selected(const suite_overrides *ov, const char *task) {
    return ov && ov->n_tasks && is_selected(ov, task);
}

/* data_fits_kind: 1 when the first readable record of FILE has the fields loader `kind` reads
 * (HumanEval task_id/prompt/entry_point, MBPP test_list, GSM8K question/answer, MATH problem,
 * BFCL question/function), 0 when it does not or the file cannot be read. */
static int data_fits_kind(const char *kind, const char *file) {
    static const char *const need[][4] = {
        {"humaneval", "entry_point", "prompt", "test"}, {"mbpp", "test_list", "code", NULL},
        {"gsm8k", "question", "answer", NULL},          {"math", "problem", NULL, NULL},
        {"bfcl", "question", "function", NULL}};
    int k = -1;
    for (int i = 0; i < (int)(sizeof need / sizeof need[0]); i++)
        if (!strcmp(kind, need[i][0])) k = i;
    if (k < 0) return 1; /* a loader this table does not know: no opinion */
    suite_lines l;
    char err[256];
    if (suite_lines_load(file, &l, err, sizeof err)) return 0;
    int fits = 0;
    for (int i = 0; i < l.n && i < 8; i++) {
        cJSON *o = suite_lines_parse(&l, i, err, sizeof err);
        if (!o) continue;
        fits = 1;
        for (int f = 1; f < 4 && need[k][f]; f++)
            fits &= cJSON_GetObjectItemCaseSensitive(o, need[k][f]) != NULL;
        cJSON_Delete(o);
        break;
    }
    suite_lines_free(&l);
    return fits;
}

static const char *base_name_of(const char *p) {
    const char *b = p ? strrchr(p, '/') : NULL;
    return b ? b + 1 : p;
}

/* data_for: the dataset path a loader task uses after --data.
 *   --data DIR:  DIR/<default path without its first component> (e.g. DIR/gsm8k/test.jsonl)
 *                when that exists, else DIR/<default base name>;
 *   --data FILE: with tasks chosen by --task (or a FILE that does not exist), every chosen
 *                loader task reads FILE; without,
 *                only the loader tasks whose kind fits FILE's records (and, for several tasks
 *                of one kind such as the BFCL categories, whose default file has FILE's base
 *                name when one does) — the others keep their default file. */
static char *data_for(const suite_task *t, const suite_overrides *ov, const suite_kind *k,
                      int same_kind_name_match) {
    if (!ov || !ov->data_path) return sdup(t->data_path);
    if (dir_exists(ov->data_path)) {
        const char *base = base_name_of(t->data_path);
        size_t dl = strlen(ov->data_path);
        while (dl > 1 && ov->data_path[dl - 1] == '/') dl--;
        const char *rest = t->data_path ? strchr(t->data_path, '/') : NULL;
        if (rest && rest[1]) {
            size_t n = dl + strlen(rest) + 1;
            char *p = malloc(n);
            snprintf(p, n, "%.*s%s", (int)dl, ov->data_path, rest);
            if (file_exists(p)) return p;
            free(p);
        }
        size_t n = dl + (base ? strlen(base) : 0) + 2;
        char *p = malloc(n);
        snprintf(p, n, "%.*s/%s", (int)dl, ov->data_path, base ? base : "");
        return p;
    }
    /* a path that does not exist goes to every loader task: they report it (or are skipped
     * when optional) — never silently replaced by their default files */
    if (ov->n_tasks || !file_exists(ov->data_path)) return sdup(ov->data_path);
    if (!data_fits_kind(k->name, ov->data_path)) return sdup(t->data_path);
    if (same_kind_name_match && strcmp(base_name_of(t->data_path) ? base_name_of(t->data_path) : "",
                                       base_name_of(ov->data_path)))
        return sdup(t->data_path);
    return sdup(ov->data_path);
}

/* name_match_in_kind: 1 when some task of the suite file with kind `kind` has a default data
 * file whose base name equals --data FILE's */
static int name_match_in_kind(const cJSON *tasks, const char *kind, const suite_kind *k,
                              const char *file) {
    const cJSON *jt;
    cJSON_ArrayForEach(jt, tasks) {
        const char *kd = sj_str(jt, "kind");
        if (!kd || strcmp(kd, kind)) continue;
        const char *d = sj_str(jt, "data");
        if (!d) d = k->default_data;
        if (d && !strcmp(base_name_of(d), base_name_of(file))) return 1;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* haystack_hash: sha256 over the sorted .txt files of dir (names and contents). */
static int haystack_hash(const char *dir, char out[65], int *n_files, char *err, size_t errlen) {
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "--haystack-dir %s: cannot open: %s", dir, strerror(errno));
        return 1;
    }
    char **names = NULL;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".txt") == 0) {
            names = realloc(names, sizeof(char *) * (size_t)(n + 1));
            names[n++] = strdup(e->d_name);
        }
    }
    closedir(d);
    if (!n) {
        snprintf(err, errlen, "--haystack-dir %s: expected at least one .txt file, found none",
                 dir);
        free(names);
        return 1;
    }
    qsort(names, (size_t)n, sizeof(char *), cmp_str);
    sbuf all = {0};
    int rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        size_t len = 0;
        char *txt = suite_read_file(p, &len, err, errlen);
        if (!txt) { rc = 1; break; }
        char h[65];
        sha256_hex_of(txt, len, h);
        sbuf_printf(&all, "%s %s\n", names[i], h);
        free(txt);
    }
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    if (!rc) sha256_hex_of(all.s, all.n, out);
    sbuf_free(&all);
    *n_files = n;
    return rc;
}

/* ---- resolved JSON ------------------------------------------------------------------------ */

static cJSON *task_json(const suite_task *t) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "suite", t->suite_name);
    cJSON_AddStringToObject(o, "name", t->name);
    cJSON_AddStringToObject(o, "kind", t->kind);
    cJSON_AddStringToObject(o, "scorer", t->scorer);
    cJSON_AddStringToObject(o, "template", t->template_name);
    cJSON_AddBoolToObject(o, "thinking", t->thinking);
    cJSON *st = cJSON_AddArrayToObject(o, "stops");
    for (int i = 0; i < t->n_stops; i++) cJSON_AddItemToArray(st, cJSON_CreateString(t->stops[i]));
    cJSON_AddNumberToObject(o, "max_new_tokens", t->max_new_tokens);
    if (t->n_lengths) cJSON_AddItemToObject(o, "lengths", cJSON_CreateIntArray(t->lengths, t->n_lengths));
    if (t->n_depths) cJSON_AddItemToObject(o, "depths", cJSON_CreateDoubleArray(t->depths, t->n_depths));
    cJSON_AddNumberToObject(o, "samples", t->n_samples);
    cJSON_AddNumberToObject(o, "limit", t->limit);
    cJSON_AddNumberToObject(o, "count", suite_task_count(t));
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)t->seed);
    cJSON_AddStringToObject(o, "seed", seed); /* string: exact beyond 2^53 */
    if (t->data_path) {
        cJSON_AddStringToObject(o, "data", t->data_path);
        suite_task_cache *c = t->cache;
        if (c && c->data.path) cJSON_AddStringToObject(o, "data_sha256", c->data.sha256);
        if (c && c->answers.path) {
            cJSON_AddStringToObject(o, "answers", c->answers.path);
            cJSON_AddStringToObject(o, "answers_sha256", c->answers.sha256);
        }
    }
    cJSON_AddItemToObject(o, "params", cJSON_Duplicate(t->params, 1));
    return o;
}

/* ---- load --------------------------------------------------------------------------------- */

/* load_one: parses one suite file and appends its selected, resolved tasks to s. */
static int load_one(const char *name_or_path, const suite_overrides *ov, suite *s,
                    int in_all, char *err, size_t errlen) {
    char path[4096];
    if (!find_suite_file(name_or_path, path, sizeof path)) {
        if (strchr(name_or_path, '/') || strstr(name_or_path, ".json"))
            snprintf(err, errlen, "%s: suite file not found", path);
        else
            snprintf(err, errlen, "unknown suite \"%s\": %s not found (known: longctx, code, "
                     "math, toolcall, all)", name_or_path, path);
        return 1;
    }
    size_t len = 0;
    char *txt = suite_read_file(path, &len, err, errlen);
    if (!txt) return 1;
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithOpts(txt, &end, 1);
    if (!j) {
        int line = 1;
        for (const char *p = txt; end && p < end; p++) line += *p == '\n';
        snprintf(err, errlen, "%s:%d: malformed JSON", path, line);
        free(txt);
        return 1;
    }
    free(txt);
    int rc = 1;
    const char *sname = sj_str(j, "name");
    const cJSON *defs = cJSON_GetObjectItemCaseSensitive(j, "defaults");
    const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(j, "tasks");
    if (!cJSON_IsObject(j)) {
        snprintf(err, errlen, "%s: expected a JSON object at the top level, found %s", path,
                 sv_type_name(j));
        goto done;
    }
    for (const cJSON *c = j->child; c; c = c->next)
        if (strcmp(c->string, "name") && strcmp(c->string, "description") &&
            strcmp(c->string, "defaults") && strcmp(c->string, "tasks") &&
            strcmp(c->string, "version")) {
            snprintf(err, errlen, "%s: %s: unknown field (expected name, description, version, "
                     "defaults, tasks)", path, c->string);
            goto done;
        }
    if (!sname || !*sname) {
        snprintf(err, errlen, "%s: name: expected a non-empty string, found %s", path,
                 sv_type_name(cJSON_GetObjectItemCaseSensitive(j, "name")));
        goto done;
    }
    if (defs && !cJSON_IsObject(defs)) {
        snprintf(err, errlen, "%s: defaults: expected an object, found %s", path,
                 sv_type_name(defs));
        goto done;
    }
    for (const cJSON *c = defs ? defs->child : NULL; c; c = c->next) {
        int ok = 0;
        for (int i = 0; DEFAULT_FIELDS[i]; i++) ok |= strcmp(DEFAULT_FIELDS[i], c->string) == 0;
        if (!ok) {
            snprintf(err, errlen, "%s: defaults.%s: unknown field (expected template, thinking, "
                     "lengths, depths, samples, seed, max_new_tokens)", path, c->string);
            goto done;
        }
    }
    if (!cJSON_IsArray(tasks) || !cJSON_GetArraySize(tasks)) {
        snprintf(err, errlen, "%s: tasks: expected a non-empty array, found %s", path,
                 sv_type_name(tasks));
        goto done;
    }
    if (!in_all) { free(s->name); s->name = sdup(sname); free(s->path); s->path = sdup(path); }
    int idx = 0;
    for (const cJSON *jt = tasks->child; jt; jt = jt->next, idx++) {
        suite_task t;
        if (resolve_task(path, idx, sname, jt, defs, &t, err, errlen)) {
            task_free_fields(&t);
            goto done;
        }
        for (int i = 0; i < s->n_tasks; i++)
            if (strcmp(s->tasks[i].name, t.name) == 0) {
                snprintf(err, errlen, "%s: task %s: duplicate task name (also in suite %s)",
                         path, t.name, s->tasks[i].suite_name);
                task_free_fields(&t);
                goto done;
            }
        if (!is_selected(ov, t.name)) { task_free_fields(&t); continue; }
        const suite_kind *k = suite_kind_find(t.kind);
        /* overrides */
        if (ov && ov->n_lengths && k->length_task) {
            free(t.lengths);
            t.lengths = malloc(sizeof(int) * (size_t)ov->n_lengths);
            for (int i = 0; i < ov->n_lengths; i++) {
                if (ov->lengths[i] < SUITE_MIN_LENGTH || ov->lengths[i] > SUITE_MAX_LENGTH) {
                    snprintf(err, errlen, "--lengths: expected token lengths in [%d, %d], found %d",
                             SUITE_MIN_LENGTH, SUITE_MAX_LENGTH, ov->lengths[i]);
                    task_free_fields(&t);
                    goto done;
                }
                t.lengths[i] = ov->lengths[i];
            }
            t.n_lengths = ov->n_lengths;
        }
        if (ov && ov->limit > 0) t.limit = ov->limit;
        if (ov && ov->seed) {
            uint64_t st = ov->seed;
            t.seed = splitmix64(&st) & ~SUITE_TRAIN_SEED_BIT;
        }
        if (k->loader) {
            int nm = ov && ov->data_path && !ov->n_tasks && !dir_exists(ov->data_path) &&
                     name_match_in_kind(cJSON_GetObjectItemCaseSensitive(j, "tasks"), t.kind, k,
                                        ov->data_path);
            char *dp = data_for(&t, ov, k, nm);
            free(t.data_path);
            t.data_path = dp;
        }
        t.cache = calloc(1, sizeof(suite_task_cache));
        pthread_mutex_init(&((suite_task_cache *)t.cache)->mu, NULL);
        if (k->loader && (!t.data_path || !file_exists(t.data_path))) {
            int optional = sj_bool(jt, "optional", 0);
            if (optional && !explicitly_selected(ov, t.name)) {
                char note[1024];
                snprintf(note, sizeof note, "%s: data file %s not found (pass --data, or fetch the "
                         "dataset; see suites/README.md)", t.name, t.data_path ? t.data_path : "(none)");
                s->skipped = realloc(s->skipped, sizeof(char *) * (size_t)(s->n_skipped + 1));
                s->skipped[s->n_skipped++] = sdup(note);
                task_free_fields(&t);
                continue;
            }
            snprintf(err, errlen, "%s: task %s: data: file %s not found (pass --data FILE or "
                     "DIR)", path, t.name, t.data_path ? t.data_path : "(none)");
            task_free_fields(&t);
            goto done;
        }
        if (k->prepare && k->prepare(&t, t.cache, err, errlen)) {
            task_free_fields(&t);
            goto done;
        }
        s->tasks = realloc(s->tasks, sizeof(suite_task) * (size_t)(s->n_tasks + 1));
        s->tasks[s->n_tasks++] = t;
    }
    rc = 0;
done:
    cJSON_Delete(j);
    return rc;
}

int suite_load(const char *name_or_path, const suite_overrides *ov, suite **out, char *err,
               size_t errlen) {
    *out = NULL;
    if (!name_or_path || !*name_or_path) {
        snprintf(err, errlen, "suite: expected a suite name (longctx, code, math, toolcall, all)");
        return 1;
    }
    suite *s = calloc(1, sizeof *s);
    int rc = 0;
    if (strcmp(name_or_path, "all") == 0) {
        s->name = sdup("all");
        s->path = sdup("suites/*.json");
        for (int i = 0; ALL_SUITES[i] && !rc; i++)
            rc = load_one(ALL_SUITES[i], ov, s, 1, err, errlen);
    } else {
        rc = load_one(name_or_path, ov, s, 0, err, errlen);
    }
    if (!rc && ov && ov->n_tasks) {
        for (int i = 0; i < ov->n_tasks; i++) {
            int found = 0;
            for (int k = 0; k < s->n_tasks; k++) found |= strcmp(s->tasks[k].name, ov->tasks[i]) == 0;
            for (int k = 0; k < s->n_skipped; k++)
                found |= strncmp(s->skipped[k], ov->tasks[i], strlen(ov->tasks[i])) == 0 &&
                         s->skipped[k][strlen(ov->tasks[i])] == ':';
            if (!found) {
                snprintf(err, errlen, "unknown task \"%s\" in suite %s", ov->tasks[i], s->name);
                rc = 1;
                break;
            }
        }
    }
    /* --data FILE must feed some task; two tasks on one file would give colliding sample ids
     * (the datasets' own ids) and one task's samples would pass for the other's */
    if (!rc && ov && ov->data_path && file_exists(ov->data_path) && !dir_exists(ov->data_path) &&
        s->n_tasks) {
        int used = 0;
        for (int k = 0; k < s->n_tasks; k++)
            used |= s->tasks[k].data_path && !strcmp(s->tasks[k].data_path, ov->data_path);
        if (!used) {
            snprintf(err, errlen, "--data %s: no dataset task of suite %s reads this file (its "
                     "records fit none of them); choose the task with --task", ov->data_path,
                     s->name);
            rc = 1;
        }
    }
    for (int a = 0; !rc && a < s->n_tasks; a++)
        for (int b = a + 1; !rc && b < s->n_tasks; b++)
            if (s->tasks[a].data_path && s->tasks[b].data_path &&
                !strcmp(s->tasks[a].data_path, s->tasks[b].data_path)) {
                snprintf(err, errlen, "tasks %s and %s both read %s: their sample ids (the "
                         "dataset's own) would collide; run one of them (--task), or give each "
                         "its own file", s->tasks[a].name, s->tasks[b].name, s->tasks[a].data_path);
                rc = 1;
            }
    if (!rc && s->n_tasks == 0) {
        snprintf(err, errlen, "suite %s: no task left to run%s%s", s->name,
                 s->n_skipped ? " (skipped: " : "", s->n_skipped ? s->skipped[0] : "");
        if (s->n_skipped) strncat(err, ")", errlen - strlen(err) - 1);
        rc = 1;
    }
    if (!rc) {
        s->resolved = cJSON_CreateObject();
        cJSON_AddStringToObject(s->resolved, "name", s->name);
        cJSON_AddNumberToObject(s->resolved, "format", 1);
        if (ov && ov->haystack_dir) {
            char h[65];
            int nf = 0;
            if (haystack_hash(ov->haystack_dir, h, &nf, err, errlen)) rc = 1;
            else {
                s->haystack_dir = sdup(ov->haystack_dir);
                cJSON_AddStringToObject(s->resolved, "haystack_dir", ov->haystack_dir);
                cJSON_AddStringToObject(s->resolved, "haystack_sha256", h);
                cJSON_AddNumberToObject(s->resolved, "haystack_files", nf);
            }
        }
        cJSON *ta = cJSON_AddArrayToObject(s->resolved, "tasks");
        for (int i = 0; i < s->n_tasks; i++) cJSON_AddItemToArray(ta, task_json(&s->tasks[i]));
        if (s->n_skipped) {
            cJSON *sk = cJSON_AddArrayToObject(s->resolved, "skipped");
            for (int i = 0; i < s->n_skipped; i++)
                cJSON_AddItemToArray(sk, cJSON_CreateString(s->skipped[i]));
        }
        char *canon = cJSON_PrintUnformatted(s->resolved);
        sha256_hex_of(canon, strlen(canon), s->hash);
        free(canon);
    }
    if (rc) { suite_free(s); return rc; }
    *out = s;
    return 0;
}

void suite_free(suite *s) {
    if (!s) return;
    for (int i = 0; i < s->n_tasks; i++) task_free_fields(&s->tasks[i]);
    free(s->tasks);
    for (int i = 0; i < s->n_skipped; i++) free(s->skipped[i]);
    free(s->skipped);
    free(s->name); free(s->path); free(s->haystack_dir);
    cJSON_Delete(s->resolved);
    free(s);
}

/* ---- samples ------------------------------------------------------------------------------ */

int suite_task_count(const suite_task *t) {
    const suite_kind *k = suite_kind_find(t->kind);
    if (!k) return 0;
    if (k->length_task) {
        int per = t->n_samples;
        if (t->limit > 0 && t->limit < per) per = t->limit;
        return t->n_lengths * (t->n_depths ? t->n_depths : 1) * per;
    }
    int n = t->n_samples;
    if (k->loader) {
        const suite_task_cache *c = t->cache;
        int avail = c ? c->data.n : 0;
        n = (n == 0 || n > avail) ? avail : n;
    }
    if (t->limit > 0 && t->limit < n) n = t->limit;
    return n;
}

int suite_check_window(const suite *s, int max_context, char *err, size_t errlen) {
    if (!s || max_context <= 0) return 0;
    for (int i = 0; i < s->n_tasks; i++)
        for (int k = 0; k < s->tasks[i].n_lengths; k++)
            if (s->tasks[i].lengths[k] > max_context) {
                snprintf(err, errlen, "task %s: length %d exceeds the model's window of %d tokens "
                         "(max_position_embeddings, a server's max_model_len or --max-context); "
                         "refusing to truncate — choose --lengths up to %d", s->tasks[i].name,
                         s->tasks[i].lengths[k], max_context, max_context);
                return 1;
            }
    return 0;
}

void suite_task_cell(const suite_task *t, int index, int *li, int *di, int *si) {
    int per = t->n_samples;
    if (t->limit > 0 && t->limit < per) per = t->limit;
    int nd = t->n_depths ? t->n_depths : 1;
    *si = index % per;
    *di = (index / per) % nd;
    *li = index / (per * nd);
}

int suite_task_sample(const suite *s, const suite_task *t, int index, const suite_ctx *ctx,
                      eval_sample *out, char *err, size_t errlen) {
    return suite_task_sample_keep_id(s, t, index, ctx, out, 0, err, errlen);
}

int suite_task_sample_keep_id(const suite *s, const suite_task *t, int index, const suite_ctx *ctx,
                              eval_sample *out, int keep_id, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    const suite_kind *k = suite_kind_find(t->kind);
    if (!k) {
        snprintf(err, errlen, "task %s: unknown kind %s", t->name, t->kind);
        return 1;
    }
    int n = suite_task_count(t);
    if (index < 0 || index >= n) {
        snprintf(err, errlen, "task %s: sample index %d out of range [0, %d)", t->name, index, n);
        return 1;
    }
    /* The same (task, seed, index) always gives the same sample, whatever --limit or the
     * other tasks are. Length tasks key on (length value, depth value, sample number), so a
     * cell keeps its samples when --lengths or --limit change the grid around it. */
    uint64_t base = t->seed;
    int key = index;
    if (k->length_task) {
        int li, di, si;
        suite_task_cell(t, index, &li, &di, &si);
        uint64_t st = base ^ ((uint64_t)t->lengths[li] << 20);
        if (t->n_depths) st ^= (uint64_t)llround(t->depths[di] * 1e6) * 0x9E3779B97F4A7C15ULL;
        base = splitmix64(&st);
        key = si;
    }
    uint64_t seed = suite_seed(base, t->name, key, ctx && ctx->train);
    int rc = k->make(s, t, index, seed, ctx, out, err, errlen);
    if (rc) { /* keep_id: the sample's own id (e.g. gsm8k/<line>) for the error record */
        char *id = keep_id ? out->id : NULL;
        if (keep_id) out->id = NULL;
        eval_sample_free(out);
        out->id = id;
        return rc;
    }
    if (out->meta) {
        char sd[32];
        snprintf(sd, sizeof sd, "%llu", (unsigned long long)seed);
        cJSON_AddStringToObject(out->meta, "seed", sd);
    }
    return 0;
}
