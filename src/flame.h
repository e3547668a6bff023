/* flame.h - a profile as one self-contained HTML page: an interactive flame graph (icicle and inverted views, zoom, search, every sample type). */
#ifndef HWPROF_FLAME_H
#define HWPROF_FLAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "profile.h"
#include "util.h"

struct flame_options {
    size_t type;              /* the sample type shown first */
    const char *title;        /* the program's name, shown as the heading */
    const char *subtitle;     /* one line under it (how it was recorded, totals); may be NULL */
    char *const *event_names; /* the recording's name of each attr (types[].event), may be NULL */
    size_t nevents;
};

/* Writes the page for the samples with keep[i] (NULL: all): the call tree of every sample type,
 * with command names as the first level, frames merged by function name; all script and style
 * inline, nothing loaded from the network. Names are escaped for JSON inside HTML. Returns 0 or
 * -1 with err (out of memory, write error). */
int flame_write_html(const struct profile *p, const bool *keep, const struct flame_options *o,
                     FILE *out, struct hw_err *err);

#endif
