/* cmd_stat.c - `hwprof stat`: parse options, count with the stat module, print as perf stat. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "events.h"
#include "perf_event.h"
#include "stat.h"
#include "statfmt.h"

enum {
    OPT_EVENT = 1,
    OPT_SEP,
    OPT_REPEAT,
    OPT_ALL_CPUS,
    OPT_CPU,
    OPT_PID,
    OPT_DURATION,
    OPT_HELP,
};

/* perf stat's default events. */
#define STAT_DEFAULT_EVENTS                                                                        \
    "task-clock,context-switches,cpu-migrations,page-faults,cycles,instructions,branches,"         \
    "branch-misses"

static const struct cli_option stat_options[] = {
    {OPT_EVENT, 'e', "event", CLI_REQUIRED_ARG, "EVENTS",
     "events to count, comma-separated; {a,b} is a group (default: perf stat's)", NULL, NULL},
    {OPT_SEP, 'x', "field-separator", CLI_REQUIRED_ARG, "SEP",
     "print CSV fields separated by SEP, in perf stat's order", NULL, NULL},
    {OPT_REPEAT, 'r', "repeat", CLI_REQUIRED_ARG, "N",
     "run the command N times; print means and their spread", NULL, NULL},
    {OPT_ALL_CPUS, 'a', "all-cpus", CLI_NO_ARG, NULL,
     "count every process on every CPU (system-wide; with a command, while it runs)", NULL, NULL},
    {OPT_CPU, 'C', "cpu", CLI_REQUIRED_ARG, "CPUS",
     "count every process on these CPUs only, e.g. 0-3", NULL, NULL},
    {OPT_PID, 'p', "pid", CLI_REQUIRED_ARG, "PID[,PID...]", "count these running processes instead",
     NULL, NULL},
    {OPT_DURATION, 0, "duration", CLI_REQUIRED_ARG, "SECONDS",
     "stop after SECONDS (with -a, -C or -p, or to end the command)", NULL, NULL},
    {OPT_HELP, 'h', "help", CLI_NO_ARG, NULL, "show this help", NULL, NULL},
};

static const char *const stat_usage[] = {
    "stat [options] [--] COMMAND [ARGS...]",
    "stat [options] -p PID[,PID...]",
    "stat [options] -a|-C CPUS [[--] COMMAND [ARGS...]]",
    NULL,
};

static const struct cli_command stat_command = {
    .name = "stat",
    .usage = stat_usage,
    .description =
        "Count events while COMMAND runs (or in running processes, or on whole CPUs) and print\n"
        "the totals as perf stat does, on standard error: values scaled when the kernel\n"
        "multiplexed the counters, and the ratios people read first (CPUs utilized, IPC, miss\n"
        "rates, rates per second). Exits with the command's status.",
    .options = stat_options,
    .noptions = HW_ARRAY_SIZE(stat_options),
};

struct stat_args {
    const char *events, *sep;
    uint64_t repeat;
    bool system_wide, help;
    int *cpus;
    size_t ncpus;
    pid_t *pids;
    size_t npids;
    double duration;
    const char *cpu_list;
};

static void stat_args_free(struct stat_args *a)
{
    free(a->cpus);
    free(a->pids);
}

/* Parses the options; returns the index of COMMAND in argv, or -1 with err. */
static int stat_parse(struct stat_args *a, int argc, char **argv, struct hw_err *err)
{
    struct cli_parser p;
    cli_init(&p, &stat_command, argc, argv);
    const char *v;
    int id;
    while ((id = cli_next(&p, &v, err)) > 0) {
        switch (id) {
        case OPT_EVENT:
            a->events = v;
            break;
        case OPT_SEP:
            if (!*v)
                return hw_errf(err, "--field-separator needs a separator, e.g. -x,");
            a->sep = v;
            break;
        case OPT_REPEAT:
            if (hw_parse_u64(v, &a->repeat) < 0 || a->repeat == 0 || a->repeat > 100000)
                return hw_errf(err, "invalid value '%s' for --repeat: give a count such as 5", v);
            break;
        case OPT_ALL_CPUS:
            a->system_wide = true;
            break;
        case OPT_CPU:
            if (cli_parse_cpus("--cpu", v, &a->cpus, &a->ncpus, err) < 0)
                return -1;
            a->system_wide = true;
            a->cpu_list = v;
            break;
        case OPT_PID:
            if (cli_parse_pids("--pid", v, &a->pids, &a->npids, err) < 0)
                return -1;
            break;
        case OPT_DURATION:
            if (cli_parse_seconds("--duration", v, &a->duration, err) < 0)
                return -1;
            break;
        case OPT_HELP:
            a->help = true;
            return p.index;
        }
    }
    if (id < 0)
        return -1;
    bool have_cmd = p.index < argc;
    if (a->system_wide && a->npids)
        return hw_errf(err, "give either -a/-C (every process) or --pid, not both");
    if (a->npids && have_cmd)
        return hw_errf(err, "give either a command or --pid, not both");
    if (!have_cmd && !a->npids && !a->system_wide)
        return hw_errf(err,
                       "no command given: 'hwprof stat [options] -- COMMAND', 'hwprof stat -p PID' "
                       "or 'hwprof stat -a'");
    if (a->repeat > 1 && !have_cmd)
        return hw_errf(err, "--repeat runs a command several times: give one");
    return p.index;
}

/* Writes what the counts are of ("'./prog args'", "'system wide'") into buf. */
static void stat_target(const struct stat_args *a, char *const *cmd, char *buf, size_t size)
{
    size_t len = 0;
    if (cmd && cmd[0]) {
        len += (size_t)snprintf(buf, size, "'");
        for (size_t i = 0; cmd[i] && len < size; i++)
            len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? " " : "", cmd[i]);
        if (len < size)
            snprintf(buf + len, size - len, "'%s", a->system_wide ? " (system wide)" : "");
    } else if (a->cpu_list) {
        snprintf(buf, size, "'CPU(s) %s'", a->cpu_list);
    } else if (a->system_wide) {
        snprintf(buf, size, "'system wide'");
    } else {
        len = (size_t)snprintf(buf, size, "process id '");
        for (size_t i = 0; i < a->npids && len < size; i++)
            len += (size_t)snprintf(buf + len, size - len, "%s%d", i ? "," : "", (int)a->pids[i]);
        if (len < size)
            snprintf(buf + len, size - len, "'");
    }
}

/* The statistics of one counter over the runs. */
struct stat_acc {
    struct statfmt_stats value, enabled, running;
    bool supported, counted;
};

/* Adds one run's counts to acc. */
static void stat_accumulate(struct stat_acc *acc, const struct stat_result *res)
{
    for (size_t i = 0; i < res->n; i++) {
        const struct stat_value *v = &res->v[i];
        double scaled;
        bool counted = v->supported && statfmt_scale(v->value, v->enabled, v->running, &scaled);
        acc[i].supported = v->supported;
        acc[i].counted = acc[i].counted || counted;
        statfmt_stats_add(&acc[i].value, counted ? scaled : 0);
        statfmt_stats_add(&acc[i].enabled, (double)v->enabled);
        statfmt_stats_add(&acc[i].running, (double)v->running);
    }
}

/* Warns (as perf stat's notes) about hardware counters that never ran or were multiplexed. */
static void stat_warn_schedule(const struct stat_result *res)
{
    int nmi = pe_nmi_watchdog(NULL);
    for (size_t i = 0; i < res->n; i++) {
        const struct stat_value *v = &res->v[i];
        char msg[1024];
        if (v->supported && events_is_hardware(&v->attr) &&
            pe_schedule_verdict(msg, sizeof(msg), v->name, 1, v->enabled, v->running, nmi))
            fprintf(stderr, "hwprof: %s\n", msg);
    }
}

/* Counts the runs and prints the result. Returns the exit code. */
static int stat_count(const struct stat_args *a, struct event_list *events, char *const *cmd)
{
    struct stat_opts opts = {.events = events,
                             .argv = cmd,
                             .pids = a->pids,
                             .npids = a->npids,
                             .system_wide = a->system_wide,
                             .cpus = a->cpus,
                             .ncpus = a->ncpus,
                             .duration = a->duration};
    struct hw_err err = {{0}};
    struct stat_acc *acc = NULL;
    struct statfmt_stats wall = {0};
    struct stat_result res = {0}, last = {0};
    int code = 0;
    uint64_t runs = a->repeat ? a->repeat : 1;
    for (uint64_t r = 0; r < runs; r++) {
        if (stat_run(&opts, &res, &err) < 0) {
            fprintf(stderr, "hwprof: %s\n", err.msg);
            code = res.command_not_found ? 127 : HW_EXIT_ERROR;
            stat_result_free(&res);
            free(acc);
            stat_result_free(&last);
            return code;
        }
        if (!acc && !(acc = calloc(res.n ? res.n : 1, sizeof(*acc)))) {
            cli_print_oom(stderr);
            stat_result_free(&res);
            return HW_EXIT_ERROR;
        }
        stat_accumulate(acc, &res);
        statfmt_stats_add(&wall, (double)res.wall_ns);
        code = res.workload_ran ? res.exit_code : 0;
        stat_result_free(&last);
        last = res;
        memset(&res, 0, sizeof(res));
    }
    struct statfmt_counter *c = calloc(last.n ? last.n : 1, sizeof(*c));
    struct hw_buf out = {0};
    int rc = c ? 0 : -1;
    for (size_t i = 0; c && i < last.n; i++)
        c[i] = (struct statfmt_counter){.name = last.v[i].name,
                                        .type = last.v[i].attr.type,
                                        .config = last.v[i].attr.config,
                                        .supported = acc[i].supported,
                                        .counted = acc[i].counted,
                                        .value = acc[i].value.mean,
                                        .stddev = statfmt_stats_stddev(&acc[i].value),
                                        .enabled = acc[i].enabled.mean,
                                        .running = acc[i].running.mean};
    if (rc == 0 && a->sep) {
        rc = statfmt_csv(&out, c, last.n, a->sep, (int)runs, wall.mean);
    } else if (rc == 0) {
        char target[1024];
        stat_target(a, cmd, target, sizeof(target));
        struct statfmt_run run = {.target = target,
                                  .runs = (int)runs,
                                  .wall_ns = wall.mean,
                                  .wall_stddev = statfmt_stats_stddev(&wall),
                                  .rusage = runs == 1 && last.workload_ran,
                                  .user_s = last.user_s,
                                  .sys_s = last.sys_s};
        rc = statfmt_human(&out, c, last.n, &run);
    }
    if (rc < 0) {
        cli_print_oom(stderr);
        code = HW_EXIT_ERROR;
    } else {
        fwrite(out.data, 1, out.len, stderr); /* perf stat writes its counts to stderr too */
        stat_warn_schedule(&last);
    }
    hw_buf_free(&out);
    free(c);
    free(acc);
    stat_result_free(&last);
    return code;
}

int cmd_stat(int argc, char **argv)
{
    struct stat_args a = {.events = STAT_DEFAULT_EVENTS};
    struct hw_err err = {{0}};
    int cmd_at = stat_parse(&a, argc, argv, &err);
    if (cmd_at < 0) {
        fprintf(stderr, "hwprof: %s\n", err.msg);
        stat_args_free(&a);
        return HW_EXIT_USAGE;
    }
    if (a.help) {
        cli_print_help(stdout, "hwprof", &stat_command);
        stat_args_free(&a);
        return 0;
    }
    if (a.system_wide && !pe_cpu_wide_allowed()) {
        pe_cpu_wide_error(&err);
        fprintf(stderr, "hwprof: %s\n", err.msg);
        stat_args_free(&a);
        return HW_EXIT_ERROR;
    }
    struct event_list events = {0};
    if (events_parse(a.events, pe_kernel_allowed(), &events, &err) < 0) {
        fprintf(stderr, "hwprof: %s\n", err.msg);
        stat_args_free(&a);
        return HW_EXIT_ERROR;
    }
    int code = stat_count(&a, &events, cmd_at < argc ? argv + cmd_at : NULL);
    events_free(&events);
    stat_args_free(&a);
    return code;
}
