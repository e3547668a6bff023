/* load.h - build a profile from a recording: decode records, follow address spaces, symbolize stacks, add values per event. */
#ifndef HWPROF_LOAD_H
#define HWPROF_LOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "perfreader.h"
#include "profile.h"
#include "util.h"

struct load_options {
    bool debuginfod;         /* let the symbolizer use debuginfod */
    hw_warn_fn warn;        /* symbolization warnings (once each) */
    void *warn_arg;
    size_t max_stack;        /* frames kept per sample, leaf side (0: STACK_DEFAULT_MAX, perf's 127) */
    /* called now and then with the bytes of records read so far and the data's size (0: unknown) */
    void (*progress)(void *arg, uint64_t done, uint64_t total);
    void *progress_arg;
    bool timeline;           /* keep every sample and off-CPU interval in time order (profile->timeline) */
    const char *root;        /* prefix for every file the symbolizer opens (binaries, debug files,
                                /proc/kallsyms, /tmp/perf-PID.map); NULL: "/" — for tests and fuzzing */
};

/* Facts about the recording that outputs print in their headers. */
struct load_info {
    char *main_binary;       /* path of the first program mapped, or NULL */
    uint64_t sample_records; /* PERF_RECORD_SAMPLE records read */
    uint64_t lost;           /* samples the kernel reported lost */
    uint64_t unknown_ids;    /* samples whose id names no event of the file (left out) */
    uint64_t first_time, last_time; /* perf clock, ns */
    uint64_t unique_addresses;      /* symbolized once each */
};

/* Reads every record of f (in time order) into a new profile: sample types "samples/count" then
 * one per event ("cpu/nanoseconds" for the first clock event, "<event>/count" otherwise; a group
 * member's value is the delta of its running total per thread); locations with inline chains;
 * labels pid, tid, comm, cpu. Returns 0 with *out and *info filled (free with prof_free and
 * load_info_free), or -1 with err. */
int load_profile(struct pr_file *f, const struct load_options *opts, struct profile **out,
                 struct load_info *info, struct hw_err *err);

void load_info_free(struct load_info *info);

/* Parses the value of --max-stack (frames kept per sample, 1 to STACK_LIMIT) into *out. 0 or -1 with err. */
int load_parse_max_stack(const char *value, size_t *out, struct hw_err *err);

/* The sample type a user names with --sample-index ("samples", "cpu", an event name with or
 * without modifiers); name NULL: the default type. Returns its index, or -1 with err listing the
 * recording's events. */
int load_pick_type(const struct profile *p, const struct pr_file *f, const char *name, struct hw_err *err);


#endif
