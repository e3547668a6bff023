/* cmd_convert.c - `hwprof convert`: parse options, then wire the recording through the converter into pprof, folded stacks, a flame graph page or a timeline. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "convert.h"
#include "filter.h"
#include "load.h"
#include "progress.h"

enum {
    OPT_INPUT = 1,
    OPT_OUTPUT,
    OPT_FORMAT,
    OPT_SAMPLE_INDEX,
    OPT_NO_LABELS,
    OPT_DEBUGINFOD,
    OPT_MAX_STACK,
    OPT_HELP,
    OPT_FILTER, /* FILTER_NOPTIONS ids from here: the shared filter options */
};

static const struct cli_option convert_options[] = {
    {OPT_INPUT, 'i', "input", CLI_REQUIRED_ARG, "FILE", "recording to read (default: hwprof.data; - for a stream on standard input)", NULL, NULL},
    {OPT_OUTPUT, 'o', "output", CLI_REQUIRED_ARG, "FILE",
     "output file, '-' for stdout (default: hwprof.pb.gz); the name picks the format", NULL, NULL},
    {OPT_FORMAT, 0, "format", CLI_REQUIRED_ARG, "FORMAT", "pprof, folded, html or trace (default: from the output name)",
     NULL, NULL},
    {OPT_SAMPLE_INDEX, 0, "sample-index", CLI_REQUIRED_ARG, "EVENT",
     "which event's values folded stacks hold and the others show first (default: the first event)", NULL, NULL},
    {OPT_NO_LABELS, 0, "no-labels", CLI_NO_ARG, NULL, "pprof: leave out the per-sample labels", NULL, NULL},
    FILTER_CLI_OPTIONS(OPT_FILTER),
    {OPT_DEBUGINFOD, 0, "debuginfod", CLI_NO_ARG, NULL, "allow fetching debug info with debuginfod", NULL, NULL},
    {OPT_MAX_STACK, 0, "max-stack", CLI_REQUIRED_ARG, "N",
     "keep at most N frames of each stack, the leaf side (default: 127, as perf)", NULL, NULL},
    {OPT_HELP, 'h', "help", CLI_NO_ARG, NULL, "show this help", NULL, NULL},
};

static const char *const convert_usage[] = {"convert [options]", NULL};

static const struct cli_command convert_command = {
    .name = "convert",
    .usage = convert_usage,
    .description = "Convert a recording (from hwprof record or perf record) into a gzip'd pprof profile\n"
                   "(profile.proto: one sample type per event, inlined frames, labels), folded stacks,\n"
                   "an interactive flame graph page (one HTML file) or a per-thread timeline (Chrome\n"
                   "trace-event JSON). The output name picks the format: .pb.gz, .pb, .folded, .html,\n"
                   ".trace.json.",
    .options = convert_options,
    .noptions = HW_ARRAY_SIZE(convert_options),
};

static void convert_warn(void *arg, const char *msg)
{
    (void)arg;
    fprintf(stderr, "hwprof: warning: %s\n", msg);
}

/* Parses the options into o and f. Returns 1 for --help, 0, or -1 with err. */
static int convert_parse(struct convert_options *o, struct filter *f, int argc, char **argv, struct hw_err *err)
{
    struct cli_parser p;
    cli_init(&p, &convert_command, argc, argv);
    const char *v;
    int id;
    while ((id = cli_next(&p, &v, err)) > 0) {
        int rc = 0;
        switch (id) {
        case OPT_INPUT:
            o->input = v;
            break;
        case OPT_OUTPUT:
            if (!*v)
                return hw_errf(err, "--output needs a file name");
            o->output = v;
            break;
        case OPT_FORMAT:
            rc = convert_parse_format(v, &o->format, err);
            break;
        case OPT_SAMPLE_INDEX:
            o->sample_index = v;
            break;
        case OPT_NO_LABELS:
            o->labels = false;
            break;
        case OPT_DEBUGINFOD:
            o->debuginfod = true;
            break;
        case OPT_MAX_STACK:
            rc = load_parse_max_stack(v, &o->max_stack, err);
            break;
        case OPT_HELP:
            return 1;
        default: /* the shared filter options */
            rc = filter_set_option(f, id - OPT_FILTER, v, err);
            break;
        }
        if (rc < 0)
            return -1;
    }
    if (id < 0)
        return -1;
    if (p.index < argc)
        return hw_errf(err, "unexpected argument '%s' (give the recording with -i and the output with -o)",
                       argv[p.index]);
    return 0;
}

int cmd_convert(int argc, char **argv)
{
    struct filter f = {0};
    struct convert_options o = {.input = "hwprof.data", .output = "hwprof.pb.gz", .labels = true,
                                .filter = &f, .version = "hwprof " PACKAGE_VERSION, .warn = convert_warn};
    struct hw_err err = {{0}};
    int rc = convert_parse(&o, &f, argc, argv, &err);
    if (rc != 0) {
        if (rc > 0)
            cli_print_help(stdout, "hwprof", &convert_command);
        else
            fprintf(stderr, "hwprof: %s\n", err.msg);
        filter_free(&f);
        return rc > 0 ? 0 : HW_EXIT_USAGE;
    }
    struct progress pg;
    progress_start(&pg, stderr, o.input);
    o.progress = progress_update;
    o.progress_arg = &pg;
    rc = convert_file(&o, &err);
    progress_end(&pg);
    if (rc < 0)
        fprintf(stderr, "hwprof: %s\n", err.msg);
    filter_free(&f);
    return rc < 0 ? HW_EXIT_ERROR : 0;
}
