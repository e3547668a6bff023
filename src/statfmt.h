/* statfmt.h - perf stat's numbers: multiplexing scaling, spread over runs, metrics, output. */
#ifndef HWPROF_STATFMT_H
#define HWPROF_STATFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* A running mean and variance (Welford) of one quantity over the runs of `stat -r N`. */
struct statfmt_stats {
    uint64_t n;
    double mean, m2;
};

/* Adds one run's value. Can't fail. */
void statfmt_stats_add(struct statfmt_stats *s, double v);

/* The standard deviation of the mean (perf's "+-"): sqrt(variance / n), 0 for fewer than two
 * values. */
double statfmt_stats_stddev(const struct statfmt_stats *s);

/* A count scaled for multiplexing as perf does: value * enabled / running when the kernel ran the
 * counter only part of the time it was enabled. Returns false (nothing counted) when running is 0.
 */
bool statfmt_scale(uint64_t value, uint64_t enabled, uint64_t running, double *out);

/* One counter as printed. */
struct statfmt_counter {
    const char *name; /* as the user wrote it */
    uint32_t type;    /* perf_event_attr type and config, to recognize generic events */
    uint64_t config;
    bool supported;          /* false: "<not supported>" */
    bool counted;            /* false: "<not counted>" (never ran) */
    double value;            /* scaled; the mean over the runs */
    double stddev;           /* of the mean over the runs (0 for one run) */
    double enabled, running; /* ns, summed over the counter's fds; means over the runs */
};

/* The derived metric perf prints for counter i of c[0..n) (what it prints after '#'): CPUs
 * utilized for task-clock and cpu-clock (over wall_ns), GHz for cycles, insn per cycle for
 * instructions, the miss rate for branch, cache, L1-dcache, LLC and TLB misses, the idle share of
 * stalled-cycles, and a rate per second of task-clock for any other event. Writes the number, as
 * perf formats it ("0.367", "2.34%"), into num and the unit ("CPUs utilized", "K/sec") into unit.
 * Returns false when the counter has none (or what it needs was not counted). Pure. */
bool statfmt_metric(const struct statfmt_counter *c, size_t n, size_t i, double wall_ns, char *num,
                    size_t numsize, char *unit, size_t unitsize);

/* Appends perf stat's CSV (-x SEP) lines for the counters: value, unit, event, [the spread in %
 * with more than one run,] run time, running percentage, metric value, metric unit. Returns 0 or
 * -1 (out of memory). */
int statfmt_csv(struct hw_buf *out, const struct statfmt_counter *c, size_t n, const char *sep,
                int runs, double wall_ns);

/* What the human-readable output says about the run. */
struct statfmt_run {
    const char *target; /* "'./prog arg'", "system wide", "process id '42'" */
    int runs;
    double wall_ns, wall_stddev; /* elapsed time (mean over the runs) */
    bool rusage;                 /* print user and system time (one run of a command) */
    double user_s, sys_s;
};

/* Appends perf stat's human-readable output: the header, one line per counter (value, unit,
 * event, metric, the running percentage when multiplexed, the spread over runs), the elapsed
 * time, and the command's user and system time. Returns 0 or -1 (out of memory). */
int statfmt_human(struct hw_buf *out, const struct statfmt_counter *c, size_t n,
                  const struct statfmt_run *run);

#endif
