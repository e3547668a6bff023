/* cmd-report.c - `hwprof report`: wire recording reader -> profile loader -> filter -> top table, with pprof-style headers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "filter.h"
#include "perfreader.h"
#include "profile_load.h"
#include "progress.h"
#include "report_top.h"

enum {
    OPT_INPUT = 1,
    OPT_TOP,
    OPT_CUM,
    OPT_LIMIT,
    OPT_LINES,
    OPT_NO_INLINE,
    OPT_SAMPLE_INDEX,
    OPT_STDIO,
    OPT_DEBUGINFOD,
    OPT_MAX_STACK,
    OPT_HELP,
    OPT_FILTER, /* FILTER_NOPTIONS ids from here: the shared filter options */
};

static const struct cli_option report_options[] = {
    {OPT_INPUT, 'i', "input", CLI_REQUIRED_ARG, "FILE", "recording to read (default: hwprof.data)", NULL, NULL},
    {OPT_TOP, 0, "top", CLI_NO_ARG, NULL, "print the hottest functions like pprof -top (the default)", NULL, NULL},
    {OPT_CUM, 0, "cum", CLI_NO_ARG, NULL, "sort by cumulative value instead of flat", NULL, NULL},
    {OPT_LIMIT, 'n', "limit", CLI_REQUIRED_ARG, "N", "print at most N rows (default: 30; 0: all)", NULL, NULL},
    {OPT_LINES, 0, "lines", CLI_NO_ARG, NULL, "one row per function and source line", NULL, NULL},
    {OPT_NO_INLINE, 0, "no-inline", CLI_NO_ARG, NULL,
     "charge inlined code to the function it was inlined into", NULL, NULL},
    {OPT_SAMPLE_INDEX, 0, "sample-index", CLI_REQUIRED_ARG, "EVENT",
     "which event's values to show, or 'samples' (default: the first event)", NULL, NULL},
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
        "pprof -top does: flat, flat%, sum%, cum, cum%.",
    .options = report_options,
    .noptions = HW_ARRAY_SIZE(report_options),
};

struct report_args {
    const char *input;
    const char *sample_index;
    struct top_options top;
    struct filter filter;
    bool stdio, debuginfod, help;
    size_t max_stack;
};

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
    return 0;
}

static void report_warn(void *arg, const char *msg)
{
    (void)arg;
    fprintf(stderr, "hwprof: warning: %s\n", msg);
}

static void report_header(FILE *out, const struct pr_file *f, const struct profile *p, const struct load_info *info,
                          int type, const struct top_table *t)
{
    const struct prof_sample_type *st = &p->types[type];
    const char *unit = p->strings[st->unit];
    const char *main_bin = info->main_binary ? strrchr(info->main_binary, '/') : NULL;
    fprintf(out, "File: %s\n", main_bin ? main_bin + 1 : f->path);
    if (st->event >= 0)
        fprintf(out, "Event: %s (%s/%s)\n", f->attrs[st->event].name, p->strings[st->type], unit);
    else /* samples, or the wall time of a wall recording */
        fprintf(out, "Event: %s (%s)\n", p->strings[st->type], unit);
    if (f->cmdline)
        fprintf(out, "Recorded: %s\n", f->cmdline);
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

/* Runs the report; returns the exit code. */
static int report_run(struct report_args *a)
{
    struct hw_err err = {{0}};
    struct pr_file *f = NULL;
    struct profile *p = NULL;
    struct load_info info = {0};
    struct top_table t = {0};
    bool *keep = NULL;
    int code = HW_EXIT_ERROR;
    struct progress pg;
    progress_start(&pg, stderr, a->input);
    struct load_options lo = {.debuginfod = a->debuginfod, .warn = report_warn, .max_stack = a->max_stack,
                              .progress = progress_update, .progress_arg = &pg};

    int rc = pr_open(&f, a->input, &err) < 0 || profile_load(f, &lo, &p, &info, &err) < 0 ? -1 : 0;
    progress_end(&pg);
    if (rc < 0)
        goto out;
    int type = load_pick_type(p, f, a->sample_index, &err);
    if (type < 0)
        goto out;
    a->top.type = (size_t)type;
    struct winsize ws;
    if (!a->stdio && isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
        a->top.width = ws.ws_col;
    if (!filter_is_empty(&a->filter)) {
        keep = calloc(p->nsamples ? p->nsamples : 1, sizeof(*keep));
        if (!keep) {
            hw_errf(&err, "out of memory");
            goto out;
        }
        if (filter_apply(&a->filter, p, keep, &err) < 0)
            goto out;
    }
    if (top_compute(p, keep, &a->top, &t, &err) < 0)
        goto out;
    report_header(stdout, f, p, &info, type, &t);
    if (a->top.limit && a->top.limit < t.nrows)
        printf("Showing top %zu of %zu rows (--limit 0 shows all)\n", a->top.limit, t.nrows);
    top_print(stdout, &t, &a->top, p->strings[p->types[type].unit]);
    code = 0;
out:
    if (code != 0)
        fprintf(stderr, "hwprof: %s\n", err.msg);
    top_free(&t);
    free(keep);
    load_info_free(&info);
    prof_free(p);
    pr_close(f);
    return code;
}

int cmd_report(int argc, char **argv)
{
    struct report_args a = {.input = "hwprof.data", .top = {.limit = 30}};
    struct hw_err err = {{0}};
    if (report_parse(&a, argc, argv, &err) < 0) {
        fprintf(stderr, "hwprof: %s\n", err.msg);
        filter_free(&a.filter);
        return HW_EXIT_USAGE;
    }
    if (a.help) {
        cli_print_help(stdout, "hwprof", &report_command);
        filter_free(&a.filter);
        return 0;
    }
    int code = report_run(&a);
    filter_free(&a.filter);
    return code;
}
