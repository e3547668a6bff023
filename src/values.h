/* values.h - the sample types of a profile built from a recording and what each sample adds to them: one type per event (name, unit, period), the wall-clock trio, group-read deltas. */
#ifndef HWPROF_VALUES_H
#define HWPROF_VALUES_H

#include <linux/perf_event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "hashmap.h"
#include "profile.h"
#include "util.h"

/* One event of the recording, as the reader gives it. */
struct values_event {
    const struct perf_event_attr *attr;
    const char *name;          /* the event's name ("cpu-clock", "cycles:u", "sched:sched_switch") */
};

/* The sample types of one profile. Fields are read-only for callers. */
struct values {
    size_t nevents;
    int *type_of_event;        /* sample type index per event, -1 for none (dummy events) */
    bool wall;                 /* a wall-clock recording (see values_init) */
    int wall_clock, wall_switch; /* its clock and context-switch events */
    uint32_t t_wall, t_cpu, t_off; /* its sample types */
    /* private: the last running total of a group member per (id, tid) */
    struct values_read *reads;
    size_t nreads, cap_reads;
    struct hw_map read_map;
};

/* Adds the sample types to p: samples/count first; for a wall-clock recording (a clock event, a
 * context-switches event sampled at every switch, and switch records: hwprof record --wall, or perf
 * record -e cpu-clock,context-switches -c 1 --switch-events) wall/cpu/off-cpu nanoseconds, wall the
 * default; then one type per other event: "cpu/nanoseconds" for the first clock event, otherwise the
 * event's name without modifiers (kept whole where that would collide) with unit nanoseconds for clocks
 * and count for the rest. The first event's type is the default and period type, with its period.
 * Returns 0 or -1 with err (out of memory). Free with values_free. */
int values_init(struct values *v, struct profile *p, const struct values_event *ev, size_t n, struct hw_err *err);
void values_free(struct values *v);

/* What one sample of event ev adds to its type: its PERF_SAMPLE_PERIOD when recorded, else the fixed
 * period, or 1 for frequency sampling without a recorded period. */
uint64_t values_period(const struct perf_event_attr *attr, const struct dec_format *fmt, const struct dec_sample *s);

/* The stated sampling period of an event: its fixed period, or for a clock event sampled by
 * frequency the nanoseconds between samples; 0 when unknown. */
int64_t values_stated_period(const struct perf_event_attr *attr);

/* A group member's running total read at a sample of thread tid: *delta is its increase since the
 * last read of the same (id, tid) (0 if it went down). Returns 0 or -1 (out of memory). */
int values_group_delta(struct values *v, uint64_t id, uint32_t tid, uint64_t total, int64_t *delta);

/* The sample type name of an event name: modifiers dropped ("cpu-clock:ppp" -> "cpu-clock",
 * "perf::cpu-clock:u" -> "perf::cpu-clock"), written into buf. */
void values_type_name(const char *event, char *buf, size_t size);

#endif
