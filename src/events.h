/* events.h - event lists ("cycles:u,{cpu-clock,page-faults}") turned into perf_event_attrs. */
#ifndef HWPROF_EVENTS_H
#define HWPROF_EVENTS_H

#include <linux/perf_event.h>
#include <stdbool.h>
#include <stddef.h>

#include "pmu.h"
#include "util.h"

/* One event the user named. attr holds what libpfm4 encoded (type, config, config1/2,
 * exclude_user/kernel/hv, and period/freq if given as libpfm modifiers); the sampling fields
 * (sample_type, freq, inherit, ...) are filled later by the perf_event module. */
struct event {
    char *name; /* as the user wrote it, e.g. "cycles:u" (malloc'd) */
    char
        *fqname; /* libpfm4's fully qualified name, e.g. "perf::PERF_COUNT_HW_CPU_CYCLES:u=1:k=0" */
    struct perf_event_attr attr;
    int group;         /* events with the same group number >= 0 form one group; -1 = not grouped */
    bool leader;       /* first event of its group (or a lone event) */
    bool plm_explicit; /* the user gave a privilege modifier (:u, :k, :h) */
    bool precise_max;  /* :P: the highest precise level the PMU supports (lowered until it
                          opens) */
    bool sample_read;  /* :S: the leader's samples read the group (what groups always do) */
};

struct event_list {
    struct event *ev;
    size_t n;
};

/* Loads (dlopen) and initializes libpfm4 once; the parser and events_list call it when they need
 * libpfm4, so callers need not. Returns 0 or -1 with err (libpfm.so.4 missing or unusable). Safe to
 * call more than once. */
int events_init(struct hw_err *err);

/* Parses a comma-separated event list. "{a,b,c}" makes a group whose first member leads. Each
 * event is one of:
 *   a generic name with modifiers: cycles, cache-misses:u, cpu-clock:ppp, cycles:period=1000;
 *   a libpfm4 name: PMU::EVENT:UMASK:MODIFIER (inst_retired:any_p of the active PMU also works);
 *   perf's raw event rNNNN (hexadecimal, the CPU PMU's own encoding);
 *   perf's PMU syntax PMU/TERM=VALUE,.../MODIFIERS, from the PMU's sysfs format and event aliases
 *   (cpu/event=0x3c,umask=0x0/u, cpu/cycles/, msr/tsc/);
 *   a tracepoint SYSTEM:EVENT (sched:sched_switch), from tracefs.
 * Modifiers are perf's letters in any combination (u k h G H I D S p pp ppp P) or libpfm4's
 * key=value (u=1, period=N, freq=N, precise=N).
 * kernel_default: when an event has no privilege modifier, also count the kernel (else user only).
 * Unknown names give an error naming the cause (the PMU models that have the event, up to three
 * nearest names, tracefs not mounted). root is the prefix of the sysfs and tracefs paths (NULL or
 * "": the real system). Returns 0 with out filled (free with events_free), or -1 with err. */
int events_parse_at(const char *spec, bool kernel_default, const char *root, struct event_list *out,
                    struct hw_err *err);

/* events_parse_at on the real system. */
int events_parse(const char *spec, bool kernel_default, struct event_list *out, struct hw_err *err);

void events_free(struct event_list *list);

/* On a CPU with several core PMUs (hybrid: cpu_core and cpu_atom), makes every generic hardware
 * event (cycles, cache-misses, ... of type PERF_TYPE_HARDWARE or HW_CACHE without a PMU in the
 * extended type) name one core PMU, as perf does: a group that also holds an event of one core PMU
 * takes that PMU; any other group or lone event is repeated once per core PMU, named
 * "PMU/NAME/" (e.g. "cpu_core/cycles/", "cpu_atom/cycles/"), with the PMU's type in
 * config >> PERF_PMU_TYPE_SHIFT. Does nothing with fewer than two core PMUs. Returns 0, or -1 with
 * err (out of memory; list is unchanged then). */
int events_hybrid_split(struct event_list *list, const struct pmu_set *pmus, struct hw_err *err);

/* True when the event needs a hardware PMU (PERF_TYPE_HARDWARE, HW_CACHE, RAW or a dynamic PMU type
 * that is a CPU PMU), i.e. it is a candidate for the cpu-clock fallback. */
bool events_is_hardware(const struct perf_event_attr *attr);

/* Replaces ev's encoding by cpu-clock, keeping its exclude_* bits and any period/freq.
 * ev->name becomes "cpu-clock" (the old name is returned through *old_name, caller frees).
 * Returns 0 or -1 with err. */
int events_fallback_cpu_clock(struct event *ev, char **old_name, struct hw_err *err);

/* An entry of `hwprof list`. */
struct event_info {
    const char *name; /* what the user types: "cycles", "perf::PERF_COUNT_SW_CPU_CLOCK",
                         "amd64_fam19h_zen4::RETIRED_INSTRUCTIONS" */
    const char *pmu;  /* libpfm4 PMU name ("perf", "amd64_fam19h_zen4", ...) or "generic" */
    const char *desc; /* one-line description, may be "" */
    bool generic;     /* a perf generic name (cycles, cpu-clock, L1-dcache-load-misses, ...) */
    struct perf_event_attr
        attr; /* its encoding with user-only privilege, to probe whether it opens */
};

/* Calls cb for every event a user can name whose name contains pattern (case-insensitive;
 * NULL or "" = all): generic names first, then the events of every PMU libpfm4 reports present.
 * Stops early and returns cb's value if it returns non-zero. Returns 0, or -1 with err. */
int events_list(const char *pattern, int (*cb)(const struct event_info *info, void *arg), void *arg,
                struct hw_err *err);

#endif
