/* pmu.h - the PMUs in sysfs: types, the CPUs each covers, formats, aliases, caps. */
#ifndef HWPROF_PMU_H
#define HWPROF_PMU_H

#include <linux/perf_event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* The shift of a PMU type in the config of a PERF_TYPE_HARDWARE or PERF_TYPE_HW_CACHE event (the
 * "extended type" that picks one core PMU of a hybrid CPU); older UAPI headers lack it. */
#ifndef PERF_PMU_TYPE_SHIFT
#define PERF_PMU_TYPE_SHIFT 32
#endif
#define PMU_HW_EVENT_MASK 0xffffffffULL

/* One PMU of /sys/bus/event_source/devices. */
struct pmu {
    char *name;    /* "cpu", "cpu_core", "software", "msr", ... */
    uint32_t type; /* the number for perf_event_attr.type */
    bool core;     /* a CPU PMU: named "cpu" (or "cpum_cf"), or one with a cpus file (hybrid
                      x86 and ARM core PMUs), as perf decides */
    int *cpus;     /* the CPUs it counts on (its cpus or cpumask file), sorted; NULL = every CPU */
    size_t ncpus;
};

/* Every PMU of a system, or of a fake tree under root (tests). */
struct pmu_set {
    char *root; /* prefix of the /sys paths ("" for the real system) */
    struct pmu *v;
    size_t n;
};

/* Reads ROOT/sys/bus/event_source/devices (root NULL or "": the real one). A missing directory
 * gives an empty set (no PMU at all). Returns 0 with out filled (free with pmu_set_free), or -1
 * with err (out of memory, or a malformed type or CPU list). */
int pmu_scan(const char *root, struct pmu_set *out, struct hw_err *err);

void pmu_set_free(struct pmu_set *s);

/* The PMU with this type or name, or NULL. */
const struct pmu *pmu_by_type(const struct pmu_set *s, uint32_t type);
const struct pmu *pmu_by_name(const struct pmu_set *s, const char *name);

/* The number of core PMUs (0: the machine has no hardware PMU; 2 or more: a hybrid CPU), and the
 * i-th of them in type order. */
size_t pmu_ncore(const struct pmu_set *s);
const struct pmu *pmu_core(const struct pmu_set *s, size_t i);

/* The PMU the kernel will give attr to (NULL when s is NULL): for PERF_TYPE_HARDWARE/HW_CACHE the
 * PMU of the extended type in config, or else the only core PMU (NULL on a hybrid CPU or without
 * one); for RAW and dynamic types the PMU of that type; NULL for software, tracepoint and
 * breakpoint events and for types sysfs does not list. */
const struct pmu *pmu_of_attr(const struct pmu_set *s, const struct perf_event_attr *attr);

/* Whether PMU p counts on cpu (true for a PMU without a CPU list). */
bool pmu_has_cpu(const struct pmu *p, int cpu);

/* Writes p's CPU list as "8-15" into buf ("all CPUs" without one). */
void pmu_cpus_string(const struct pmu *p, char *buf, size_t size);

/* A format term of a PMU (its file in format/): which config word and which bits. */
struct pmu_format {
    int word;      /* 0 config, 1 config1, 2 config2, 3 config3 */
    uint64_t mask; /* the bits it occupies in that word */
    int nbits;
};

/* Reads the format term of PMU p. Returns 0, 1 when p has no such term, or -1 with err when its
 * file cannot be parsed. */
int pmu_format(const struct pmu_set *s, const struct pmu *p, const char *term,
               struct pmu_format *out, struct hw_err *err);

/* Parses a format file's text ("config:0-7,21", "config1:0-15"). Returns 0 or -1 with err. Pure. */
int pmu_parse_format(const char *text, struct pmu_format *out, struct hw_err *err);

/* Puts value into the bits of f in word (the lowest value bit into the lowest bit of the mask).
 * Returns 0, or -1 when value has more bits than f holds. Pure. */
int pmu_format_apply(const struct pmu_format *f, uint64_t value, uint64_t *word);

/* Reads the event alias name of PMU p (its file in events/, e.g. "event=0x3c,umask=0x00") into buf.
 * Returns 0, 1 when p has no such alias, -1 with err when it is unreadable or too long. */
int pmu_alias(const struct pmu_set *s, const struct pmu *p, const char *name, char *buf,
              size_t size, struct hw_err *err);

/* Writes the names of p's format terms, comma-separated, into buf (empty when none). */
void pmu_format_names(const struct pmu_set *s, const struct pmu *p, char *buf, size_t size);

/* The value of p's capability file caps/NAME (e.g. max_precise), or -1 when absent. */
long pmu_cap(const struct pmu_set *s, const struct pmu *p, const char *name);

#endif
