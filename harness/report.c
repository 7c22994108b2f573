/*
 * report.c — `v4eval report --run-id ID`: plots and index.html for a finished (or stopped) run.
 *
 *   v4eval report --run-id ID [--out DIR] [--threshold T] [--plots DIR]
 *
 * Everything is recomputed from samples.jsonl (the same aggregation as the run's CSVs) into
 * results/<ID>/report/: gnuplot data files, PNG and SVG images drawn by the templates in
 * scripts/plots (found through --plots, $V4EVAL_PLOTS, <binary>/../scripts/plots or
 * ./scripts/plots), and results/<ID>/index.html with the summary and results tables, the
 * effective lengths and the images:
 *   heat_<suite>_<task>   needle depth × length heatmap (tasks with a depth axis)
 *   length_<suite>        score vs length, one line per task + mean, threshold line (RULER's
 *                         85.6 by default) and effective length = the longest tested length
 *                         whose score is at or above the threshold
 *   bars_<suite>          per-task mean score with stderr, and the suite's macro average
 * gnuplot is an external program; when it is not on PATH the tables are still written and the
 * command says so in one line (exit 1).
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness/cli.h"
#include "harness/cliopt.h"
#include "harness/hutil.h"
#include "harness/journal.h"
#include "harness/results.h"

static int gnuplot_on_path(void) {
    const char *path = getenv("PATH");
    if (!path) return 0;
    char *copy = hutil_strdup(path), *save = NULL;
    int found = 0;
    for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        char *p = hutil_asprintf("%s/gnuplot", *d ? d : ".");
        found = access(p, X_OK) == 0;
        free(p);
    }
    free(copy);
    return found;
}

static char *find_plots_dir(const char *given) {
    if (given) return hutil_strdup(given);
    const char *env = getenv("V4EVAL_PLOTS");
    if (env && *env) return hutil_strdup(env);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            char *p = hutil_asprintf("%s/../scripts/plots", exe);
            char *t = hutil_asprintf("%s/length.gp", p);
            int ok = hutil_file_exists(t);
            free(t);
            if (ok) return p;
            free(p);
        }
    }
    return hutil_strdup("scripts/plots");
}

/* gq: a gnuplot single-quoted string literal of s (quotes doubled) */
static char *gq(const char *s) {
    size_t n = strlen(s);
    char *o = malloc(2 * n + 3), *p = o;
    *p++ = '\'';
    for (; *s; s++) {
        if (*s == '\'') *p++ = '\'';
        *p++ = *s;
    }
    *p++ = '\'';
    *p = 0;
    return o;
}

/* safe_name: file-name-safe copy (letters, digits, - and _ kept) */
static char *safe_name(const char *s) {
    char *o = hutil_strdup(s);
    for (char *p = o; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            *p = '_';
    return o;
}

/* run_gnuplot: gnuplot -e "<vars>; fmt='png'; outfile=…" template, for png then svg */
static int run_gnuplot(const char *tmpl, const char *vars, const char *outbase, char *err,
                       size_t errlen) {
    static const char *fmts[] = {"png", "svg"};
    for (int i = 0; i < 2; i++) {
        char *out = hutil_asprintf("%s.%s", outbase, fmts[i]);
        char *qo = gq(out);
        char *e = hutil_asprintf("%s; fmt='%s'; outfile=%s", vars, fmts[i], qo);
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid == 0) {
            execlp("gnuplot", "gnuplot", "-e", e, tmpl, (char *)NULL);
            _exit(127);
        }
        int st = 0;
        if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            snprintf(err, errlen, "gnuplot failed on %s for %s (status %d)", tmpl, out,
                     WIFEXITED(st) ? WEXITSTATUS(st) : -1);
            free(out); free(qo); free(e);
            return 1;
        }
        free(out); free(qo); free(e);
    }
    return 0;
}

static const char *len_label(int len, char *buf, size_t n) {
    if (len >= 1048576 && len % 1048576 == 0) snprintf(buf, n, "%dM", len / 1048576);
    else if (len >= 1024 && len % 1024 == 0) snprintf(buf, n, "%dK", len / 1024);
    else snprintf(buf, n, "%d", len);
    return buf;
}

static void html_escape(FILE *f, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* csv_table: a CSV file as an HTML table (simple RFC 4180 reader) */
static void csv_table(FILE *f, const char *path) {
    char *s = hutil_read_file(path, NULL);
    if (!s) {
        fprintf(f, "<p>(%s not found)</p>\n", path);
        return;
    }
    fputs("<table>\n", f);
    int row = 0;
    char *p = s;
    while (*p) {
        fputs(row == 0 ? "<tr>" : "<tr>", f);
        for (;;) {
            fputs(row == 0 ? "<th>" : "<td>", f);
            if (*p == '"') {
                p++;
                while (*p && !(*p == '"' && p[1] != '"')) {
                    if (*p == '"') p++;
                    char c[2] = {*p++, 0};
                    html_escape(f, c);
                }
                if (*p == '"') p++;
            } else {
                while (*p && *p != ',' && *p != '\n') {
                    char c[2] = {*p++, 0};
                    html_escape(f, c);
                }
            }
            fputs(row == 0 ? "</th>" : "</td>", f);
            if (*p == ',') { p++; continue; }
            break;
        }
        fputs("</tr>\n", f);
        if (*p == '\n') p++;
        row++;
    }
    fputs("</table>\n", f);
    free(s);
}

typedef struct {
    char *suite, *task;
    int *len; double *score, *se; int n;     /* length axis (depth = all), ascending */
    int has_depth;
    double bar, bar_se;                      /* over all lengths */
    int eff;                                 /* effective length, 0 = none */
} task_info;

static int find_task(task_info *t, int n, const char *suite, const char *task) {
    for (int i = 0; i < n; i++)
        if (!strcmp(t[i].suite, suite) && !strcmp(t[i].task, task)) return i;
    return -1;
}

static int effective_length(const int *len, const double *score, int n, double thr) {
    int eff = 0;
    for (int i = 0; i < n; i++)
        if (len[i] > 0 && score[i] >= thr && len[i] > eff) eff = len[i];
    return eff;
}

int cli_report(int argc, char **argv) {
    const char *run_id = NULL, *out_dir = "results", *plots = NULL;
    double threshold = 85.6;
    char err[1024];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: v4eval report --run-id ID [--out DIR] [--threshold T] [--plots DIR]\n");
            return 0;
        }
        if (i + 1 >= argc) { fprintf(stderr, "v4eval report: %s: missing value\n", argv[i]); return 2; }
        const char *o = argv[i], *v = argv[++i];
        if (!strcmp(o, "--run-id")) run_id = v;
        else if (!strcmp(o, "--out")) out_dir = v;
        else if (!strcmp(o, "--plots")) plots = v;
        else if (!strcmp(o, "--threshold")) {
            if (cliopt_double(o, v, 0, 100, &threshold, err, sizeof err)) {
                fprintf(stderr, "v4eval report: %s\n", err);
                return 2;
            }
        } else {
            fprintf(stderr, "v4eval report: unknown option '%s'\n", o);
            return 2;
        }
    }
    if (!run_id) {
        fprintf(stderr, "v4eval report: --run-id ID is required\n");
        return 2;
    }
    char *dir = hutil_asprintf("%s/%s", out_dir, run_id);
    char *samples = hutil_asprintf("%s/samples.jsonl", dir);
    sample_record *recs = NULL;
    int n = 0, rc = 2;
    char *rdir = NULL, *tmpl_dir = NULL, *summary = NULL, *results = NULL, *html = NULL;
    task_info *tasks = NULL;
    int n_tasks = 0;
    char **images = NULL;
    int n_images = 0;
    cJSON *man = NULL;
    if (journal_load(samples, &recs, &n, err, sizeof err)) {
        fprintf(stderr, "v4eval report: %s (is '%s' a run id under %s?)\n", err, run_id, out_dir);
        goto done;
    }
    if (n == 0) {
        fprintf(stderr, "v4eval report: %s holds no samples yet\n", samples);
        goto done;
    }
    rc = 1;
    char *mpath = hutil_asprintf("%s/manifest.json", dir);
    char *mtext = hutil_read_file(mpath, NULL);
    free(mpath);
    man = mtext ? cJSON_Parse(mtext) : NULL;
    free(mtext);
    rdir = hutil_asprintf("%s/report", dir);
    if (hutil_mkdir_p(rdir, err, sizeof err)) { fprintf(stderr, "v4eval report: %s\n", err); goto done; }
    summary = hutil_asprintf("%s/summary.csv", dir);
    results = hutil_asprintf("%s/results.csv", dir);
    {
        const cJSON *mo = cJSON_GetObjectItemCaseSensitive(man, "model");
        const char *mp = hutil_json_str(mo, "path", NULL);
        const char *bk = hutil_json_str(man, "backend_kind", "");
        const cJSON *q = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(man, "quant"), "qat");
        const char *model = mp ? strrchr(mp, '/') ? strrchr(mp, '/') + 1 : mp : bk;
        const char *quant = !strcmp(bk, "builtin") ? (cJSON_IsTrue(q) ? "qat" : "noqat") : bk;
        if (results_write_summary(summary, recs, n, err, sizeof err) ||
            results_write_csv(results, recs, n, model, quant, err, sizeof err)) {
            fprintf(stderr, "v4eval report: %s\n", err);
            goto done;
        }
    }

    /* collect the numbers to plot */
    result_row *rows;
    int nr;
    results_aggregate(recs, n, &rows, &nr);
    tasks = calloc((size_t)nr + 1, sizeof *tasks);
    for (int i = 0; i < nr; i++) {
        const result_row *r = &rows[i];
        if (strcmp(r->metric, "score") || !strcmp(r->task, "all")) continue;
        int k = find_task(tasks, n_tasks, r->suite, r->task);
        if (k < 0) {
            k = n_tasks++;
            tasks[k].suite = hutil_strdup(r->suite);
            tasks[k].task = hutil_strdup(r->task);
            tasks[k].len = calloc((size_t)nr, sizeof(int));
            tasks[k].score = calloc((size_t)nr, sizeof(double));
            tasks[k].se = calloc((size_t)nr, sizeof(double));
            tasks[k].bar = NAN;
        }
        task_info *t = &tasks[k];
        if (r->depth >= 0) { t->has_depth = 1; continue; }
        if (r->length < 0) { t->bar = 100 * r->value; t->bar_se = 100 * r->se; continue; }
        t->len[t->n] = r->length;
        t->score[t->n] = 100 * r->value;
        t->se[t->n] = isnan(r->se) ? 0 : 100 * r->se;
        t->n++;
        if (isnan(t->bar) || t->n == 1) { t->bar = 100 * r->value; t->bar_se = isnan(r->se) ? 0 : 100 * r->se; }
    }
    for (int k = 0; k < n_tasks; k++)
        tasks[k].eff = effective_length(tasks[k].len, tasks[k].score, tasks[k].n, threshold);

    int have_gnuplot = gnuplot_on_path();
    tmpl_dir = find_plots_dir(plots);
    char *probe = hutil_asprintf("%s/length.gp", tmpl_dir);
    int have_templates = hutil_file_exists(probe);
    free(probe);
    images = calloc((size_t)(3 * n_tasks + 8), sizeof *images);
    int plot_fail = 0;
    if (!have_gnuplot)
        fprintf(stderr, "v4eval report: gnuplot is not on PATH: no plots (install it, e.g. "
                "apt-get install gnuplot-nox); tables written to %s/index.html\n", dir);
    else if (!have_templates)
        fprintf(stderr, "v4eval report: plot templates not found in %s (give --plots DIR or set "
                "V4EVAL_PLOTS)\n", tmpl_dir);

    /* heatmaps: one per task with a depth axis */
    for (int k = 0; k < n_tasks && have_gnuplot && have_templates; k++) {
        if (!tasks[k].has_depth) continue;
        int lens[256], nl = 0;
        double deps[256];
        int nd = 0;
        for (int i = 0; i < nr; i++) {
            const result_row *r = &rows[i];
            if (strcmp(r->metric, "score") || strcmp(r->suite, tasks[k].suite) ||
                strcmp(r->task, tasks[k].task) || r->depth < 0 || r->length < 0)
                continue;
            int fl = 0, fd = 0;
            for (int a = 0; a < nl; a++) fl |= lens[a] == r->length;
            for (int a = 0; a < nd; a++) fd |= deps[a] == r->depth;
            if (!fl && nl < 256) lens[nl++] = r->length;
            if (!fd && nd < 256) deps[nd++] = r->depth;
        }
        for (int a = 0; a < nl; a++) for (int b = a + 1; b < nl; b++) if (lens[b] < lens[a]) { int t = lens[a]; lens[a] = lens[b]; lens[b] = t; }
        for (int a = 0; a < nd; a++) for (int b = a + 1; b < nd; b++) if (deps[b] < deps[a]) { double t = deps[a]; deps[a] = deps[b]; deps[b] = t; }
        char *sn = safe_name(tasks[k].suite), *tn = safe_name(tasks[k].task);
        char *base = hutil_asprintf("heat_%s_%s", sn, tn);
        char *datp = hutil_asprintf("%s/%s.dat", rdir, base);
        FILE *f = fopen(datp, "w");
        if (!f) { plot_fail = 1; free(sn); free(tn); free(base); free(datp); continue; }
        fprintf(f, "# %s/%s: x = length index, y = depth index, score %%\n", tasks[k].suite, tasks[k].task);
        for (int x = 0; x < nl; x++) {
            for (int y = 0; y < nd; y++) {
                double v = NAN;
                for (int i = 0; i < nr; i++) {
                    const result_row *r = &rows[i];
                    if (!strcmp(r->metric, "score") && !strcmp(r->suite, tasks[k].suite) &&
                        !strcmp(r->task, tasks[k].task) && r->length == lens[x] && r->depth == deps[y])
                        v = 100 * r->value;
                }
                if (isnan(v)) fprintf(f, "%d %d NaN\n", x, y);
                else fprintf(f, "%d %d %.4f\n", x, y, v);
            }
            fputc('\n', f);
        }
        fclose(f);
        char xt[4096] = "(", yt[4096] = "(", lb[32];
        for (int x = 0; x < nl; x++)
            snprintf(xt + strlen(xt), sizeof xt - strlen(xt), "%s\"%s\" %d", x ? ", " : "",
                     len_label(lens[x], lb, sizeof lb), x);
        strcat(xt, ")");
        for (int y = 0; y < nd; y++)
            snprintf(yt + strlen(yt), sizeof yt - strlen(yt), "%s\"%.0f\" %d", y ? ", " : "", 100 * deps[y], y);
        strcat(yt, ")");
        char *title = hutil_asprintf("%s / %s: needle depth x context length", tasks[k].suite, tasks[k].task);
        char *qd = gq(datp), *qt = gq(title), *qx = gq(xt), *qy = gq(yt);
        char *vars = hutil_asprintf("datafile=%s; plottitle=%s; xt=%s; yt=%s; nx=%d; ny=%d", qd, qt, qx, qy, nl, nd);
        char *tmpl = hutil_asprintf("%s/heatmap.gp", tmpl_dir);
        char *outbase = hutil_asprintf("%s/%s", rdir, base);
        if (run_gnuplot(tmpl, vars, outbase, err, sizeof err)) { fprintf(stderr, "v4eval report: %s\n", err); plot_fail = 1; }
        else images[n_images++] = hutil_asprintf("report/%s", base);
        free(qd); free(qt); free(qx); free(qy); free(vars); free(tmpl); free(outbase); free(title);
        free(sn); free(tn); free(base); free(datp);
    }

    /* per suite: score vs length and bars */
    for (int k = 0; k < n_tasks; k++) {
        int first = 1;
        for (int m = 0; m < k; m++) first &= strcmp(tasks[m].suite, tasks[k].suite) != 0;
        if (!first) continue;
        const char *suite = tasks[k].suite;
        char *sn = safe_name(suite);
        /* score vs length: tasks with real lengths; mean over those tasks per length */
        int nblocks = 0;
        char *datp = hutil_asprintf("%s/length_%s.dat", rdir, sn);
        FILE *f = fopen(datp, "w");
        size_t tcap = 64;
        char *titles = calloc(1, tcap);
        int all_len[512], n_all = 0;
        for (int m = k; m < n_tasks && f; m++) {
            if (strcmp(tasks[m].suite, suite)) continue;
            int any = 0;
            for (int i = 0; i < tasks[m].n; i++) any |= tasks[m].len[i] > 0;
            if (!any) continue;
            if (nblocks) fputs("\n\n", f);
            fprintf(f, "# %s: length score stderr (percent)\n", tasks[m].task);
            for (int i = 0; i < tasks[m].n; i++) {
                if (tasks[m].len[i] <= 0) continue;
                fprintf(f, "%d %.4f %.4f\n", tasks[m].len[i], tasks[m].score[i], tasks[m].se[i]);
                int found = 0;
                for (int a = 0; a < n_all; a++) found |= all_len[a] == tasks[m].len[i];
                if (!found && n_all < 512) all_len[n_all++] = tasks[m].len[i];
            }
            size_t need = strlen(titles) + strlen(tasks[m].task) + 2;
            if (need > tcap) { tcap = need * 2; titles = realloc(titles, tcap); }
            if (titles[0]) strcat(titles, " ");
            strcat(titles, tasks[m].task);
            nblocks++;
        }
        int eff_mean = 0;
        if (f && nblocks) {
            for (int a = 0; a < n_all; a++) for (int b = a + 1; b < n_all; b++) if (all_len[b] < all_len[a]) { int t = all_len[a]; all_len[a] = all_len[b]; all_len[b] = t; }
            fputs("\n\n# mean over tasks: length score stderr(combined)\n", f);
            double ms[512];
            for (int a = 0; a < n_all; a++) {
                double s = 0, v = 0;
                int c = 0;
                for (int m = k; m < n_tasks; m++) {
                    if (strcmp(tasks[m].suite, suite)) continue;
                    for (int i = 0; i < tasks[m].n; i++)
                        if (tasks[m].len[i] == all_len[a]) { s += tasks[m].score[i]; v += tasks[m].se[i] * tasks[m].se[i]; c++; }
                }
                ms[a] = s / c;
                fprintf(f, "%d %.4f %.4f\n", all_len[a], ms[a], sqrt(v) / c);
            }
            eff_mean = effective_length(all_len, ms, n_all, threshold);
            size_t need = strlen(titles) + 8;
            if (need > tcap) { tcap = need * 2; titles = realloc(titles, tcap); }
            strcat(titles, " mean");
            nblocks++;
        }
        if (f) fclose(f);
        if (nblocks && have_gnuplot && have_templates) {
            char *title = hutil_asprintf("%s: score vs context length", suite);
            char *qd = gq(datp), *qt = gq(title), *qn = gq(titles);
            char xt[8192] = "(", lb[32];
            for (int a = 0; a < n_all; a++)
                snprintf(xt + strlen(xt), sizeof xt - strlen(xt) - 2, "%s\"%s\" %d", a ? ", " : "",
                         len_label(all_len[a], lb, sizeof lb), all_len[a]);
            strcat(xt, ")");
            char *qx = gq(xt);
            char *vars = hutil_asprintf("datafile=%s; plottitle=%s; nblocks=%d; titles=%s; xt=%s; threshold=%g; efflen=%d",
                                        qd, qt, nblocks, qn, qx, threshold, eff_mean);
            free(qx);
            char *tmpl = hutil_asprintf("%s/length.gp", tmpl_dir);
            char *outbase = hutil_asprintf("%s/length_%s", rdir, sn);
            if (run_gnuplot(tmpl, vars, outbase, err, sizeof err)) { fprintf(stderr, "v4eval report: %s\n", err); plot_fail = 1; }
            else images[n_images++] = hutil_asprintf("report/length_%s", sn);
            free(qd); free(qt); free(qn); free(vars); free(tmpl); free(outbase); free(title);
        }
        free(titles);
        free(datp);
        /* bars */
        datp = hutil_asprintf("%s/bars_%s.dat", rdir, sn);
        f = fopen(datp, "w");
        if (f) {
            fputs("# task score stderr (percent, over all lengths and depths)\n", f);
            for (int m = k; m < n_tasks; m++)
                if (!strcmp(tasks[m].suite, suite))
                    fprintf(f, "%s %.4f %.4f\n", tasks[m].task, tasks[m].bar, isnan(tasks[m].bar_se) ? 0 : tasks[m].bar_se);
            for (int i = 0; i < nr; i++)
                if (!strcmp(rows[i].suite, suite) && !strcmp(rows[i].task, "all") && rows[i].length < 0 &&
                    !strcmp(rows[i].metric, "score"))
                    fprintf(f, "average %.4f %.4f\n", 100 * rows[i].value, isnan(rows[i].se) ? 0 : 100 * rows[i].se);
            fclose(f);
            if (have_gnuplot && have_templates) {
                char *title = hutil_asprintf("%s: mean score per task", suite);
                char *qd = gq(datp), *qt = gq(title);
                char *vars = hutil_asprintf("datafile=%s; plottitle=%s", qd, qt);
                char *tmpl = hutil_asprintf("%s/bars.gp", tmpl_dir);
                char *outbase = hutil_asprintf("%s/bars_%s", rdir, sn);
                if (run_gnuplot(tmpl, vars, outbase, err, sizeof err)) { fprintf(stderr, "v4eval report: %s\n", err); plot_fail = 1; }
                else images[n_images++] = hutil_asprintf("report/bars_%s", sn);
                free(qd); free(qt); free(vars); free(tmpl); free(outbase); free(title);
            }
        }
        free(datp);
        free(sn);
    }
    results_rows_free(rows, nr);

    /* index.html */
    html = hutil_asprintf("%s/index.html", dir);
    {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>v4eval run ");
        html_escape(f, run_id);
        fputs("</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1200px}"
              "table{border-collapse:collapse;margin:1em 0;font-size:90%}"
              "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
              "th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}"
              "img{max-width:100%;border:1px solid #eee;margin:0.5em 0}"
              ".scroll{max-height:500px;overflow:auto}</style></head><body>\n", f);
        fputs("<h1>v4eval run ", f);
        html_escape(f, run_id);
        fputs("</h1>\n<table>\n", f);
        const cJSON *env = cJSON_GetObjectItemCaseSensitive(man, "environment");
        const cJSON *mo = cJSON_GetObjectItemCaseSensitive(man, "model");
        const char *facts[][2] = {
            {"status", hutil_json_str(man, "status", "?")},
            {"command", hutil_json_str(man, "command", "?")},
            {"started", hutil_json_str(man, "started", "?")},
            {"ended", hutil_json_str(man, "ended", "?")},
            {"backend", hutil_json_str(man, "backend_kind", "?")},
            {"model", hutil_json_str(mo, "path", "-")},
            {"model hash", hutil_json_str(mo, "hash", "-")},
            {"git commit", hutil_json_str(env, "git_commit", "-")},
            {"CPU", hutil_json_str(env, "cpu_model", "-")},
            {"OpenBLAS kernel", hutil_json_str(env, "openblas_kernel", "-")},
        };
        for (size_t i = 0; i < sizeof facts / sizeof *facts; i++) {
            fputs("<tr><th>", f);
            html_escape(f, facts[i][0]);
            fputs("</th><td>", f);
            html_escape(f, facts[i][1]);
            fputs("</td></tr>\n", f);
        }
        fprintf(f, "<tr><th>samples</th><td>%d</td></tr>\n</table>\n", n);
        fputs("<h2>Summary (score %, rows = tasks, columns = context length)</h2>\n", f);
        csv_table(f, summary);
        int any_eff = 0;
        for (int k = 0; k < n_tasks; k++) any_eff |= tasks[k].n > 1 || (tasks[k].n == 1 && tasks[k].len[0] > 0);
        if (any_eff) {
            fprintf(f, "<h2>Effective length (longest tested length with score &ge; %.1f)</h2>\n"
                    "<table><tr><th>suite</th><th>task</th><th>effective length</th></tr>\n", threshold);
            for (int k = 0; k < n_tasks; k++) {
                if (tasks[k].n == 0 || tasks[k].len[tasks[k].n - 1] <= 0) continue;
                fputs("<tr><td>", f);
                html_escape(f, tasks[k].suite);
                fputs("</td><td>", f);
                html_escape(f, tasks[k].task);
                if (tasks[k].eff) fprintf(f, "</td><td>%d</td></tr>\n", tasks[k].eff);
                else fputs("</td><td>none</td></tr>\n", f);
            }
            fputs("</table>\n", f);
        }
        if (n_images) fputs("<h2>Plots</h2>\n", f);
        for (int i = 0; i < n_images; i++) {
            fputs("<p><a href=\"", f);
            html_escape(f, images[i]);
            fputs(".svg\"><img src=\"", f);
            html_escape(f, images[i]);
            fputs(".png\" alt=\"", f);
            html_escape(f, images[i]);
            fputs("\"></a></p>\n", f);
        }
        if (!have_gnuplot) fputs("<p>(no plots: gnuplot was not found on PATH)</p>\n", f);
        fputs("<h2>All results (long format, results.csv)</h2>\n<div class=\"scroll\">\n", f);
        csv_table(f, results);
        fputs("</div>\n<p>Per-sample records: <a href=\"samples.jsonl\">samples.jsonl</a>, run facts: "
              "<a href=\"manifest.json\">manifest.json</a></p>\n</body></html>\n", f);
        fclose(f);
        if (hutil_write_file_atomic(html, buf, len, err, sizeof err)) {
            fprintf(stderr, "v4eval report: %s\n", err);
            free(buf);
            goto done;
        }
        free(buf);
    }
    printf("report: %s (%d images in %s)\n", html, n_images * 2, rdir);
    rc = (!have_gnuplot || !have_templates || plot_fail) ? 1 : 0;
done:
    for (int k = 0; k < n_tasks; k++) {
        free(tasks[k].suite); free(tasks[k].task); free(tasks[k].len); free(tasks[k].score); free(tasks[k].se);
    }
    free(tasks);
    for (int i = 0; i < n_images; i++) free(images[i]);
    free(images);
    cJSON_Delete(man);
    journal_records_free(recs, n);
    free(dir); free(samples); free(rdir); free(tmpl_dir); free(summary); free(results); free(html);
    return rc;
}
