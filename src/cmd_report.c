/* cmd_report.c - `hwprof report`: wire recording reader -> profile loader -> filter -> top table, call tree or callers view, with pprof-style headers. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "escape.h"
#include "commands.h"
#include "filter.h"
#include "perfreader.h"
#include "load.h"
#include "progress.h"
#include "top.h"
#include "tree.h"

enum {
    OPT_INPUT = 1,
    OPT_TOP,
    OPT_CUM,
    OPT_LIMIT,
    OPT_LINES,
    OPT_NO_INLINE,
    OPT_SAMPLE_INDEX,
    OPT_COLUMNS,
    OPT_RATIO,
    OPT_SORT,
    OPT_TREE,
    OPT_CALLERS,
    OPT_STDIO,
    OPT_DEBUGINFOD,
    OPT_MAX_STACK,
    OPT_HELP,
    OPT_FILTER, /* FILTER_NOPTIONS ids from here: the shared filter options */
};

static const struct cli_option report_options[] = {
    {OPT_INPUT, 'i', "input", CLI_REQUIRED_ARG, "FILE", "recording to read (default: hwprof.data; - for a stream on standard input)", NULL, NULL},
    {OPT_TOP, 0, "top", CLI_NO_ARG, NULL, "print the hottest functions like pprof -top (the default)", NULL, NULL},
    {OPT_CUM, 0, "cum", CLI_NO_ARG, NULL, "sort by cumulative value instead of flat", NULL, NULL},
    {OPT_LIMIT, 'n', "limit", CLI_REQUIRED_ARG, "N", "print at most N rows (default: 30; 0: all)", NULL, NULL},
    {OPT_LINES, 0, "lines", CLI_NO_ARG, NULL, "one row per function and source line", NULL, NULL},
    {OPT_NO_INLINE, 0, "no-inline", CLI_NO_ARG, NULL,
     "charge inlined code to the function it was inlined into", NULL, NULL},
    {OPT_SAMPLE_INDEX, 0, "sample-index", CLI_REQUIRED_ARG, "EVENT",
     "which event's values to show, or 'samples' (default: the first event)", NULL, NULL},
    {OPT_COLUMNS, 0, "columns", CLI_REQUIRED_ARG, "EV1,EV2|all",
     "a value column per event, sorted by the first ('all': every event)", NULL, NULL},
    {OPT_RATIO, 0, "ratio", CLI_REQUIRED_ARG, "NUM/DEN",
     "add a column NUM's value / DEN's value per row (instructions/cycles: IPC)", NULL, NULL},
    {OPT_SORT, 0, "sort", CLI_REQUIRED_ARG, "KEY[,KEY...]",
     "what a row is: comm, pid, tid, sym (default: sym), like perf report --sort", NULL, NULL},
    {OPT_TREE, 0, "tree", CLI_NO_ARG, NULL, "print the call tree with cumulative percentages", NULL, NULL},
    {OPT_CALLERS, 0, "callers", CLI_REQUIRED_ARG, "REGEX",
     "print the callers and callees of the functions matching REGEX (like pprof -peek)", NULL, NULL},
    FILTER_CLI_OPTIONS(OPT_FILTER),
    {OPT_STDIO, 0, "stdio", CLI_NO_ARG, NULL, "plain text output even on a terminal", NULL, NULL},
    {OPT_DEBUGINFOD, 0, "debuginfod", CLI_NO_ARG, NULL, "allow fetching debug info with debuginfod", NULL, NULL},
    {OPT_MAX_STACK, 0, "max-stack", CLI_REQUIRED_ARG, "N",
     "keep at most N frames of each stack, the leaf side (default: 127, as perf)", NULL, NULL},
    {OPT_HELP, 'h', "help", CLI_NO_ARG, NULL, "show this help", NULL, NULL},
};

static const char *const report_usage[] = {"report [options]", NULL};

static const struct cli_command report_command = {
    .name = "report",
    .usage = report_usage,
    .description =
        "Read a recording (from hwprof record or perf record), symbolize it exactly with libdw\n"
        "(inlined functions and source lines included) and print the hottest functions the way\n"
        "pprof -top does: flat, flat%, sum%, cum, cum%; or the call tree (--tree), or the callers\n"
        "and callees of some functions (--callers).",
    .options = report_options,
    .noptions = HW_ARRAY_SIZE(report_options),
};

/* The views of report. */
enum report_view { REPORT_TOP, REPORT_TREE, REPORT_CALLERS };

struct report_args {
    const char *input;
    const char *sample_index;
    const char *columns;     /* --columns, resolved against the recording */
    const char *ratio;       /* --ratio NUM/DEN */
    enum report_view view;
    int nviews;              /* how many of --top, --tree, --callers were given */
    regex_t *callers;
    struct top_options top;
    struct filter filter;
    bool stdio, debuginfod, help;
    size_t max_stack;
};

static void report_free_callers(struct report_args *a)
{
    if (a->callers) {
        regfree(a->callers);
        free(a->callers);
        a->callers = NULL;
    }
}

/* Parses --sort keys into top_key bits. Returns 0 or -1 with err. */
static int report_parse_sort(const char *list, unsigned *keys, struct hw_err *err)
{
    static const struct {
        const char *name;
        unsigned key;
    } names[] = {{"comm", TOP_KEY_COMM}, {"pid", TOP_KEY_PID}, {"tid", TOP_KEY_TID},
                 {"sym", TOP_KEY_SYM},   {"symbol", TOP_KEY_SYM}, {"function", TOP_KEY_SYM}};
    *keys = 0;
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        size_t i = 0;
        while (i < HW_ARRAY_SIZE(names) && !(strlen(names[i].name) == n && strncmp(names[i].name, p, n) == 0))
            i++;
        if (i == HW_ARRAY_SIZE(names))
            return hw_errf(err, "unknown --sort key '%.*s' (known: comm, pid, tid, sym)", (int)n, p);
        *keys |= names[i].key;
        p += n;
        if (*p == ',')
            p++;
    }
    return *keys ? 0 : hw_errf(err, "--sort needs a key: comm, pid, tid or sym");
}

static int report_parse(struct report_args *a, int argc, char **argv, struct hw_err *err)
{
    struct cli_parser p;
    cli_init(&p, &report_command, argc, argv);
    const char *v;
    int id;
    while ((id = cli_next(&p, &v, err)) > 0) {
        uint64_t n;
        switch (id) {
        case OPT_INPUT:
            a->input = v;
            break;
        case OPT_TOP:
            a->view = REPORT_TOP;
            a->nviews++;
            break;
        case OPT_TREE:
            a->view = REPORT_TREE;
            a->nviews++;
            break;
        case OPT_CALLERS:
            a->view = REPORT_CALLERS;
            a->nviews++;
            report_free_callers(a); /* the last --callers counts */
            if (filter_set_regex(&a->callers, v, "--callers", err) < 0)
                return -1;
            break;
        case OPT_COLUMNS:
            a->columns = v;
            break;
        case OPT_RATIO:
            a->ratio = v;
            break;
        case OPT_SORT:
            if (report_parse_sort(v, &a->top.keys, err) < 0)
                return -1;
            break;
        case OPT_CUM:
            a->top.sort_cum = true;
            break;
        case OPT_LIMIT:
            if (hw_parse_u64(v, &n) < 0)
                return hw_errf(err, "invalid value '%s' for --limit: give a whole number (0 for all)", v);
            a->top.limit = (size_t)n;
            break;
        case OPT_LINES:
            a->top.lines = true;
            break;
        case OPT_NO_INLINE:
            a->top.no_inline = true;
            break;
        case OPT_SAMPLE_INDEX:
            a->sample_index = v;
            break;
        case OPT_STDIO:
            a->stdio = true;
            break;
        case OPT_DEBUGINFOD:
            a->debuginfod = true;
            break;
        case OPT_MAX_STACK:
            if (load_parse_max_stack(v, &a->max_stack, err) < 0)
                return -1;
            break;
        case OPT_HELP:
            a->help = true;
            return 0;
        default: /* the shared filter options */
            if (filter_set_option(&a->filter, id - OPT_FILTER, v, err) < 0)
                return -1;
            break;
        }
    }
    if (id < 0)
        return -1;
    if (p.index < argc)
        return hw_errf(err, "unexpected argument '%s' (the recording is given with -i FILE)", argv[p.index]);
    if (a->nviews > 1)
        return hw_errf(err, "--top, --tree and --callers are different views: give one of them");
    if (a->view != REPORT_TOP && (a->columns || a->ratio || a->top.keys))
        return hw_errf(err, "--columns, --ratio and --sort shape the top table: leave out --tree and --callers");
    return 0;
}

static void report_warn(void *arg, const char *msg)
{
    (void)arg;
    char esc[2048];
    fprintf(stderr, "hwprof: warning: %s\n", esc_text(esc, sizeof(esc), msg)); /* it may quote names */
}

static void report_header(FILE *out, const struct pr_file *f, const struct profile *p, const struct load_info *info,
                          const struct top_options *o, const struct top_table *t)
{
    const struct prof_sample_type *st = &p->types[o->type];
    const char *unit = p->strings[st->unit];
    const char *main_bin = info->main_binary ? strrchr(info->main_binary, '/') : NULL;
    char esc[1024];
    fprintf(out, "File: %s\n", esc_text(esc, sizeof(esc), main_bin ? main_bin + 1 : pr_info(f)->path));
    for (size_t i = 0; i <= o->ncolumns; i++) {
        size_t type = i ? o->columns[i - 1] : o->type;
        st = &p->types[type];
        const char *label = i ? "Column" : "Event";
        if (st->event >= 0)
            fprintf(out, "%s: %s (%s/%s)\n", label, esc_text(esc, sizeof(esc), pr_env(f)->attrs[st->event].name),
                    p->strings[st->type], p->strings[st->unit]);
        else /* samples, or the wall time of a wall recording */
            fprintf(out, "%s: %s (%s)\n", label, p->strings[st->type], p->strings[st->unit]);
    }
    if (pr_env(f)->cmdline)
        fprintf(out, "Recorded: %s\n", esc_text(esc, sizeof(esc), pr_env(f)->cmdline));
    char dur[32], total[32];
    top_format_value(dur, sizeof(dur), p->duration_nanos, "nanoseconds");
    top_format_value(total, sizeof(total), t->total, unit);
    fprintf(out, "Duration: %s, Total: %s, Samples: %llu, Lost: %llu\n", dur, total,
            (unsigned long long)info->sample_records, (unsigned long long)info->lost);
    if (t->shown != t->total) {
        char shown[32];
        top_format_value(shown, sizeof(shown), t->shown, unit);
        fprintf(out, "Showing samples accounting for %s, %.2f%% of %s total\n", shown,
                t->total ? 100.0 * (double)t->shown / (double)t->total : 0.0, total);
    }
}

/* Resolves --columns ("all": every type but samples/count) into cols (o->type becomes the first
 * column, the others go to cols[]). Returns 0 or -1 with err. */
static int report_columns(const struct report_args *a, const struct profile *p, const struct pr_file *f,
                          size_t *cols, size_t *ncols, size_t *type, struct hw_err *err)
{
    size_t n = 0;
    if (strcmp(a->columns, "all") == 0) {
        for (size_t t = 1; t < p->ntypes; t++)
            cols[n++] = t;
        if (n == 0)
            cols[n++] = 0;
    } else {
        const char *s = a->columns;
        while (*s) {
            char name[512];
            size_t len = strcspn(s, ",");
            if (len == 0 || len >= sizeof(name))
                return hw_errf(err, "invalid --columns '%s': give event names separated by commas, or 'all'",
                               a->columns);
            memcpy(name, s, len);
            name[len] = '\0';
            int t = load_pick_type(p, f, name, err);
            if (t < 0)
                return -1;
            bool dup = false;
            for (size_t k = 0; k < n; k++)
                dup = dup || cols[k] == (size_t)t;
            if (!dup && n < p->ntypes)
                cols[n++] = (size_t)t;
            s += len;
            if (*s == ',')
                s++;
        }
        if (n == 0)
            return hw_errf(err, "--columns needs event names, or 'all'");
    }
    *type = cols[0];
    memmove(cols, cols + 1, (n - 1) * sizeof(*cols));
    *ncols = n - 1;
    return 0;
}

/* Resolves --ratio NUM/DEN: the first '/' that splits it into two known sample types (event names
 * may hold '/' themselves). Returns 0 or -1 with err. */
static int report_ratio(const char *ratio, const struct profile *p, const struct pr_file *f, struct top_options *o,
                        struct hw_err *err)
{
    size_t len = strlen(ratio);
    char *buf = hw_strdup(ratio);
    if (!buf)
        return hw_err_oom(err);
    struct hw_err why = {{0}};
    int rc = hw_errf(&why, "invalid --ratio '%s': give two event names as NUM/DEN, e.g. instructions/cycles", ratio);
    for (size_t i = 1; i + 1 < len && rc < 0; i++) {
        if (ratio[i] != '/')
            continue;
        memcpy(buf, ratio, len + 1);
        buf[i] = '\0';
        struct hw_err e1, e2;
        int num = load_pick_type(p, f, buf, &e1), den = num < 0 ? -1 : load_pick_type(p, f, buf + i + 1, &e2);
        if (num >= 0 && den >= 0) {
            o->ratio = true;
            o->ratio_num = (size_t)num;
            o->ratio_den = (size_t)den;
            rc = 0;
        } else {
            why = num < 0 ? e1 : e2;
        }
    }
    free(buf);
    if (rc < 0)
        *err = why;
    return rc;
}

/* Prints the chosen view of the samples with keep (NULL: all). Returns 0 or -1 with err. */
static int report_view(struct report_args *a, const struct profile *p, const bool *keep, const struct top_table *t,
                       struct hw_err *err)
{
    if (a->view == REPORT_TOP) {
        if (a->top.limit && a->top.limit < t->nrows)
            printf("Showing top %zu of %zu rows (--limit 0 shows all)\n", a->top.limit, t->nrows);
        top_print(stdout, t, &a->top, p);
        return 0;
    }
    struct tree_options to = {.type = a->top.type, .no_inline = a->top.no_inline, .total = t->total,
                              .min_fraction = a->top.limit ? 0.005 : 0, .width = a->top.width};
    if (a->view == REPORT_TREE)
        return tree_print(stdout, p, keep, &to, err);
    int n = tree_print_peek(stdout, p, keep, a->callers, &to, err);
    if (n == 0)
        return hw_errf(err, "no function matching the --callers pattern has samples (of this event)");
    return n < 0 ? -1 : 0;
}

/* Runs the report; returns the exit code. */
static int report_run(struct report_args *a)
{
    struct hw_err err = {{0}};
    struct pr_file *f = NULL;
    struct profile *p = NULL;
    struct load_info info = {0};
    struct top_table t = {0};
    bool *keep = NULL;
    size_t *cols = NULL;
    int code = HW_EXIT_ERROR;
    struct progress pg;
    progress_start(&pg, stderr, a->input);
    struct load_options lo = {.debuginfod = a->debuginfod, .warn = report_warn, .max_stack = a->max_stack,
                              .progress = progress_update, .progress_arg = &pg};

    int rc = pr_open(&f, a->input, &(struct hw_warn){report_warn, NULL}, &err) < 0 ||
                     load_profile(f, &lo, &p, &info, &err) < 0
                 ? -1
                 : 0;
    progress_end(&pg);
    if (rc < 0)
        goto out;
    int type = load_pick_type(p, f, a->sample_index, &err);
    if (type < 0)
        goto out;
    a->top.type = (size_t)type;
    if (a->columns) {
        if (!(cols = calloc(p->ntypes + 1, sizeof(*cols)))) {
            hw_err_oom(&err);
            goto out;
        }
        if (report_columns(a, p, f, cols, &a->top.ncolumns, &a->top.type, &err) < 0)
            goto out;
        a->top.columns = cols;
    }
    if (a->ratio && report_ratio(a->ratio, p, f, &a->top, &err) < 0)
        goto out;
    struct winsize ws;
    if (!a->stdio && isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
        a->top.width = ws.ws_col;
    if (!filter_is_empty(&a->filter)) {
        keep = calloc(p->nsamples ? p->nsamples : 1, sizeof(*keep));
        if (!keep) {
            hw_err_oom(&err);
            goto out;
        }
        if (filter_apply(&a->filter, p, keep, &err) < 0)
            goto out;
    }
    if (top_compute(p, keep, &a->top, &t, &err) < 0)
        goto out;
    report_header(stdout, f, p, &info, &a->top, &t);
    if (report_view(a, p, keep, &t, &err) < 0)
        goto out;
    code = 0;
out:
    if (code != 0)
        fprintf(stderr, "hwprof: %s\n", err.msg);
    top_free(&t);
    free(keep);
    free(cols);
    load_info_free(&info);
    prof_free(p);
    pr_close(f);
    return code;
}

static void report_args_free(struct report_args *a)
{
    filter_free(&a->filter);
    report_free_callers(a);
}

int cmd_report(int argc, char **argv)
{
    struct report_args a = {.input = "hwprof.data", .top = {.limit = 30}};
    struct hw_err err = {{0}};
    int code;
    if (report_parse(&a, argc, argv, &err) < 0) {
        fprintf(stderr, "hwprof: %s\n", err.msg);
        code = HW_EXIT_USAGE;
    } else if (a.help) {
        cli_print_help(stdout, "hwprof", &report_command);
        code = 0;
    } else {
        code = report_run(&a);
    }
    report_args_free(&a);
    return code;
}
