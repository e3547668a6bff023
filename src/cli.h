/* cli.h - table-driven option parsing and --help text for hwprof's subcommands (one table per command). */
#ifndef HWPROF_CLI_H
#define HWPROF_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "util.h"

enum cli_arg {
    CLI_NO_ARG,
    CLI_REQUIRED_ARG,
    /* Takes a value only when attached (-gfp, --call-graph=fp) or when the next word is one of
     * `words`, alone or with ",PARAMETERS" (-g fp, -g dwarf,16384); otherwise the option stands
     * alone. */
    CLI_OPTIONAL_WORD,
};

struct cli_option {
    int id;                /* returned by cli_next; > 0 */
    char short_name;       /* 0 if none */
    const char *long_name; /* NULL if none */
    enum cli_arg arg;
    const char *arg_name;         /* shown in --help, e.g. "EVENTS" */
    const char *help;             /* one line */
    const char *const *words;     /* CLI_OPTIONAL_WORD: accepted separate values, NULL-terminated */
    const char *help_short_alias; /* shown instead of short_name's form in help, e.g. "-g [MODE]"
                                     (may be NULL) */
};

struct cli_command {
    const char *name;         /* "record" */
    const char *const *usage; /* NULL-terminated usage lines without "usage: " */
    const char *description;  /* paragraph after the usage */
    const struct cli_option *options;
    size_t noptions;
};

/* Walks argv. Options may come before the first positional word; "--" ends options; the first
 * non-option word ends them too (so "record ./prog -x" leaves "-x" to the program). */
struct cli_parser {
    const struct cli_command *cmd;
    int argc;
    char **argv;
    int index;           /* next argv index to look at */
    const char *cluster; /* rest of a short-option cluster ("-qe" -> "e") */
};

void cli_init(struct cli_parser *p, const struct cli_command *cmd, int argc, char **argv);

/* Returns the id of the next option (with *value set to its argument or NULL), 0 when options
 * are over (p->index is the first positional argument), or -1 with err for an unknown option
 * (naming the closest one) or a missing argument. */
int cli_next(struct cli_parser *p, const char **value, struct hw_err *err);

/* Prints usage, description and the option table. */
void cli_print_help(FILE *out, const char *prog, const struct cli_command *cmd);

/* Values of options that several commands share. Each returns 0, or -1 with an error naming
 * opt (e.g. "--pid") and what to give. */

/* Appends the comma-separated process ids of s to *pids (malloc'd, *n of them). */
int cli_parse_pids(const char *opt, const char *s, pid_t **pids, size_t *n, struct hw_err *err);

/* Parses a CPU list ("0-3,8") into *cpus (malloc'd, sorted, each CPU once, *n of them); every CPU
 * must be online. */
int cli_parse_cpus(const char *opt, const char *s, int **cpus, size_t *n, struct hw_err *err);

/* Parses a positive number of seconds ("10", "0.5"), at most 10^7. */
int cli_parse_seconds(const char *opt, const char *s, double *out, struct hw_err *err);

#endif
