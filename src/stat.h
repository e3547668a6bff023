/* stat.h - count events of a command, processes or whole CPUs (perf stat): open, run, read. */
#ifndef HWPROF_STAT_H
#define HWPROF_STAT_H

#include <linux/perf_event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "events.h"
#include "perf_event.h"
#include "util.h"

/* What to count and where. Exactly one target: a command, processes, or CPUs (system_wide, with or
 * without a command). */
struct stat_opts {
    struct event_list *events;    /* parsed events; split per core PMU on a hybrid CPU */
    char *const *argv;            /* the command (NULL or empty: none) */
    const pid_t *pids;            /* attach to these processes (all their threads) */
    size_t npids;
    bool system_wide; /* every process on cpus (pid -1 per CPU) */
    const int *cpus;  /* NULL: every online CPU */
    size_t ncpus;
    double duration;             /* stop after this many seconds (0: when the target ends) */
    const struct pe_system *sys; /* NULL: the real system */
};

/* One counter after a run: its raw sums over its fds. */
struct stat_value {
    char *name;
    struct perf_event_attr attr; /* as encoded (type, config, exclusion bits) */
    int group;                   /* as in struct event */
    bool leader;
    bool supported; /* the kernel opened it (else ENOENT, EOPNOTSUPP, ...) */
    uint64_t value, enabled, running;
};

struct stat_result {
    struct stat_value *v;
    size_t n;
    uint64_t wall_ns;     /* from the start of counting to its end */
    double user_s, sys_s; /* the command's CPU time (getrusage of children) */
    bool workload_ran;
    int exit_code; /* the command's exit code (128+signal if killed) */
    bool command_not_found;
    int stop_signal; /* SIGINT/SIGTERM that ended counting, or 0 */
};

/* Runs one count: opens a counter per event for the target (the command's process with
 * enable_on_exec and inherit; every thread of the processes; pid -1 on each CPU of the event's
 * PMU), starts the command, waits until it exits (or the processes exit, --duration passes, or
 * SIGINT/SIGTERM arrives, which a command is sent), then reads every counter. Events the kernel
 * cannot count are kept as unsupported (perf's <not supported>); other open errors fail. Returns 0
 * with res filled, or -1 with err (res->command_not_found tells a missing command apart). Free res
 * with stat_result_free in both cases. */
int stat_run(const struct stat_opts *opts, struct stat_result *res, struct hw_err *err);

void stat_result_free(struct stat_result *res);

#endif
