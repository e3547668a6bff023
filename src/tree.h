/* tree.h - the call tree of `hwprof report --tree` and the callers/callees view of `--callers REGEX` (like pprof -peek), for terminals. */
#ifndef HWPROF_TREE_H
#define HWPROF_TREE_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "profile.h"
#include "util.h"

struct tree_options {
    size_t type;         /* sample type whose values are shown */
    bool no_inline;      /* charge inlined frames to the function they were inlined into */
    int64_t total;       /* what percentages are of (the total of all samples) */
    double min_fraction; /* --tree: hide nodes below this fraction of total (0: none) */
    size_t width;        /* cut lines to this many columns, 0 = never */
};

/* Prints the call tree of the samples with keep[i] (NULL: all), root first, each node with its
 * cum, cum% and self value, children by decreasing cum, with tree lines. Names are escaped.
 * Returns 0 or -1 with err (out of memory, write error). */
int tree_print(FILE *out, const struct profile *p, const bool *keep, const struct tree_options *o,
               struct hw_err *err);

/* For each function whose name matches re (by decreasing cum): its callers with the value through
 * each, the function's flat and cum, and its callees, as pprof -peek does. Returns the number of
 * functions shown (0: none matched), or -1 with err. */
int tree_print_peek(FILE *out, const struct profile *p, const bool *keep, const regex_t *re,
                    const struct tree_options *o, struct hw_err *err);

#endif
