/* main.c - hwprof's entry point: git-style dispatch of `hwprof COMMAND` to the cmd_*.c files. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "util.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"record", cmd_record, "Run a command (or attach to processes) and sample it into a perf.data file"},
    {"stat", cmd_stat, "Count events of a command (or processes, or CPUs) and print the totals as perf stat"},
    {"report", cmd_report, "Print the hottest functions of a recording, symbolized with inlines and lines"},
    {"convert", cmd_convert, "Write a recording as pprof, folded stacks, a flame graph page or a timeline"},
    {"list", cmd_list, "List the events you can name, and whether this machine can open them"},
    {"help", NULL, "Show the help of a command"},
};

static void print_usage(FILE *out)
{
    fprintf(out, "usage: hwprof [-h|--help] [-V|--version] COMMAND [ARGS]\n\n"
                 "A sampling profiler: records perf_event samples with callchains into perf.data.\n\n"
                 "Commands:\n");
    for (size_t i = 0; i < HW_ARRAY_SIZE(commands); i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nSee 'hwprof help COMMAND' or 'man hwprof-COMMAND' for the options of a command.\n");
}

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < HW_ARRAY_SIZE(commands); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int unknown_command(const char *name)
{
    const char *names[HW_ARRAY_SIZE(commands)];
    for (size_t i = 0; i < HW_ARRAY_SIZE(commands); i++)
        names[i] = commands[i].name;
    const char *best[1];
    if (hw_closest(name, names, HW_ARRAY_SIZE(names), 3, best, 1) == 1)
        fprintf(stderr, "hwprof: '%s' is not a hwprof command. Did you mean '%s'?\n", name, best[0]);
    else
        fprintf(stderr, "hwprof: '%s' is not a hwprof command. See 'hwprof --help'.\n", name);
    return HW_EXIT_USAGE;
}

/* `hwprof help [COMMAND]`: the same text as `hwprof COMMAND --help`. */
static int run_help(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stdout);
        return 0;
    }
    const struct command *c = find_command(argv[1]);
    if (!c)
        return unknown_command(argv[1]);
    if (!c->run) {
        print_usage(stdout);
        return 0;
    }
    char *help_argv[] = {argv[1], "--help", NULL};
    return c->run(2, help_argv);
}

/* Reports a failed write of stdout (full disk, closed pipe) as an error, as git does. */
static int finish_stdout(int code)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        /* a command that failed has said why already */
        if (code == 0 && errno != EPIPE)
            fprintf(stderr, "hwprof: write failure on standard output: %s\n", strerror(errno));
        return code ? code : HW_EXIT_ERROR;
    }
    return code;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return HW_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        print_usage(stdout);
        return finish_stdout(0);
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("hwprof %s\n", PACKAGE_VERSION);
        return finish_stdout(0);
    }
    if (cmd[0] == '-') {
        fprintf(stderr, "hwprof: unknown option '%s'. See 'hwprof --help'.\n", cmd);
        return HW_EXIT_USAGE;
    }
    const struct command *c = find_command(cmd);
    if (!c)
        return unknown_command(cmd);
    int code = c->run ? c->run(argc - 1, argv + 1) : run_help(argc - 1, argv + 1);
    return finish_stdout(code);
}
