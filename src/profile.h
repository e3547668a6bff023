/* profile.h - a pprof-shaped profile: sample types, strings, functions, mappings, locations with inline chains, aggregated samples. */
#ifndef HWPROF_PROFILE_H
#define HWPROF_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Indices below are 0-based positions in the profile's arrays; string ids index prof->strings
 * (id 0 is ""). A mapping index of PROF_NONE means "no mapping". */
#define PROF_NONE UINT32_MAX

struct prof_sample_type {
    uint32_t type, unit;       /* string ids, e.g. "cpu" / "nanoseconds" */
    int event;                 /* recording attr index, -1 for "samples" */
};

struct prof_function {
    uint32_t name, system_name, filename; /* string ids */
    uint32_t start_line;
};

struct prof_line {
    uint32_t function;         /* index into functions */
    uint32_t line;             /* 0 if unknown */
};

struct prof_mapping {
    uint64_t start, limit, offset;
    uint32_t filename, build_id; /* string ids; build id as lowercase hex */
    bool has_functions, has_filenames, has_line_numbers, has_inline_frames;
};

struct prof_location {
    uint32_t mapping;          /* index or PROF_NONE */
    uint64_t address;          /* sample address; return address - 1 for callers */
    uint32_t first_line, nlines; /* lines[first_line ..]: innermost (inlined) first, caller last */
};

struct prof_sample {
    uint32_t first_loc, nlocs; /* loc_ids[first_loc ..]: leaf first */
    uint32_t values_at;        /* values[values_at .. + ntypes] */
    uint32_t pid, tid;
    uint32_t comm;             /* string id, 0 if unknown */
    int32_t cpu;               /* -1 if unknown */
    uint32_t state;            /* string id of the thread state (wall recordings), 0 if none */
};

/* One sample or off-CPU interval in time order, for timelines: kept only when the profile was
 * created with prof_keep_timeline. Its stack and labels are those of samples[sample]. */
struct prof_timed {
    uint64_t time;             /* ns, the recording's clock: when the sample was taken or the interval began */
    uint64_t duration;         /* ns: the interval's length; 0 for an on-CPU sample */
    uint32_t sample;           /* index into samples */
    uint32_t type;             /* the sample type the value counts in (an event's, or off-cpu) */
    int64_t value;             /* what it added to that type */
};

/* Labels that distinguish otherwise identical stacks. */
struct prof_labels {
    uint32_t pid, tid;
    const char *comm;
    int32_t cpu;
    const char *state;         /* "on-cpu", "preempted", "blocked" in wall recordings; NULL: none */
};

struct profile {
    char **strings;
    size_t nstrings;
    struct prof_sample_type *types;
    size_t ntypes;
    uint32_t default_type;     /* index into types */
    uint32_t period_type;      /* index into types, or PROF_NONE */
    int64_t period;
    int64_t time_nanos, duration_nanos;
    uint32_t main_mapping;     /* the main binary's mapping (written first to pprof), or PROF_NONE */
    uint32_t *comments;        /* string ids */
    size_t ncomments;
    struct prof_function *functions;
    size_t nfunctions;
    struct prof_line *lines;
    size_t nlines;
    struct prof_mapping *mappings;
    size_t nmappings;
    struct prof_location *locations;
    size_t nlocations;
    struct prof_sample *samples;
    size_t nsamples;
    uint32_t *loc_ids;
    size_t nloc_ids;
    int64_t *values;
    size_t nvalues;
    struct prof_timed *timeline; /* in the order added (time order when the loader adds them) */
    size_t ntimeline;
    struct prof_private *priv; /* interning tables and capacities: profile.c's alone */
};

/* Returns an empty profile (strings hold ""), or NULL when out of memory. */
struct profile *prof_new(void);
void prof_free(struct profile *p);

/* Interns s. Returns its id, or -1 when out of memory. */
int64_t prof_string(struct profile *p, const char *s);

/* Appends a sample type (before any sample is added). Returns its index or -1. */
int64_t prof_add_type(struct profile *p, const char *type, const char *unit, int event);

/* Appends a comment. Returns 0 or -1. */
int prof_add_comment(struct profile *p, const char *text);

/* Interns a function by (name, system_name, filename, start_line). Returns its index or -1. */
int64_t prof_function(struct profile *p, const char *name, const char *system_name, const char *filename,
                      uint32_t start_line);

/* Like prof_function, with the strings already interned (ids from prof_string). */
int64_t prof_function_ids(struct profile *p, uint32_t name, uint32_t system_name, uint32_t filename,
                          uint32_t start_line);

/* Like prof_mapping, with the strings already interned. */
int64_t prof_mapping_ids(struct profile *p, uint64_t start, uint64_t limit, uint64_t offset, uint32_t filename,
                         uint32_t build_id);

/* Interns a mapping by (start, limit, offset, filename). Returns its index or -1. The first mapping
 * added is the main binary (pprof convention); callers add it first. */
int64_t prof_mapping(struct profile *p, uint64_t start, uint64_t limit, uint64_t offset, const char *filename,
                     const char *build_id_hex);

/* Returns the index of the location (mapping, address) if it exists, else -1 (never fails). */
int64_t prof_find_location(const struct profile *p, uint32_t mapping, uint64_t address);

/* Adds a location with its inline chain (innermost first). Returns its index or -1. */
int64_t prof_add_location(struct profile *p, uint32_t mapping, uint64_t address, const struct prof_line *lines,
                          size_t nlines);

/* Gives location loc (added with no lines) its inline chain. Returns 0 or -1 (out of memory). */
int prof_set_location_lines(struct profile *p, uint32_t loc, const struct prof_line *lines, size_t nlines);

/* From now on, prof_add_timed records entries (timelines need every sample, not just the aggregate). */
void prof_keep_timeline(struct profile *p);

/* Appends a timeline entry when the profile keeps them (else does nothing). Returns 0 or -1 (out of memory). */
int prof_add_timed(struct profile *p, const struct prof_timed *t);

/* Returns a + b clamped to [INT64_MIN, INT64_MAX]: values come from files, so sums of them must
 * saturate instead of overflowing. */
static inline int64_t prof_sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

/* Adds values (ntypes of them) for the stack locs[0..n) (leaf first) with labels; identical stack
 * and labels are aggregated into one sample. Returns the sample's index, or -1 when out of memory. */
int64_t prof_add_sample(struct profile *p, const uint32_t *locs, size_t n, const int64_t *values,
                    const struct prof_labels *labels);

/* The sample type index whose type or event name matches name ("samples", "cpu", "cpu-clock",
 * "page-faults"; case-insensitive; an event name matches with or without ":modifiers"), or -1.
 * event_names[i] is the recording's name of attr i (may be NULL). */
int prof_find_type(const struct profile *p, const char *name, char *const *event_names, size_t nevents);

#endif
