/* timeline.h - a profile's timeline in the Chrome trace-event format (Perfetto, chrome://tracing, speedscope): a track per thread, on-CPU stacks over time, off-CPU intervals. */
#ifndef HWPROF_TIMELINE_H
#define HWPROF_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "profile.h"
#include "util.h"

struct timeline_options {
    size_t type;       /* on-CPU samples of this sample type are drawn (if it has none, those
                          of the first type that has: "wall" shows the "cpu" samples) */
    const char *title; /* recorded in otherData; may be NULL */
};

/* Writes {"traceEvents": [...]} for the timeline of p (load_profile with .timeline), keeping the
 * entries whose sample has keep[i] (NULL: all): process_name and thread_name metadata per
 * process and thread (their command names); per thread, on-CPU samples in time order as nested
 * B/E slices of their stack (root first, consecutive samples with a common prefix merged, each
 * lasting its period, or up to the thread's next entry), and off-CPU intervals as a slice named
 * "STATE: FUNCTION" (the innermost function of the program's own code on the stack, else the
 * innermost user function) over the slices of the stack where the thread waited. Timestamps in
 * microseconds from the first entry. Returns 0 or -1 with err (no timestamps, out of memory,
 * write error). */
int timeline_write_json(const struct profile *p, const bool *keep, const struct timeline_options *o,
                        FILE *out, struct hw_err *err);

#endif
