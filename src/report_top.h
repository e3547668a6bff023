/* report_top.h - the `pprof -top` table of a profile: flat, flat%, sum%, cum, cum% per function (or per line). */
#ifndef HWPROF_REPORT_TOP_H
#define HWPROF_REPORT_TOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "profile.h"
#include "util.h"

struct top_options {
    size_t type;          /* sample type index whose values are shown */
    bool sort_cum;        /* sort by cum instead of flat */
    size_t limit;         /* rows to print, 0 = all */
    bool lines;           /* one row per function and file:line */
    bool no_inline;       /* charge inlined frames to the function they were inlined into */
    size_t width;         /* cut lines to this many columns (a terminal's width), 0 = never */
};

struct top_row {
    const char *name;     /* function name */
    const char *file;     /* with lines: source file ("" if unknown) */
    uint32_t line;        /* with lines */
    int64_t flat, cum;
};

struct top_table {
    struct top_row *rows; /* sorted */
    size_t nrows;
    int64_t total;        /* of all samples, before filtering */
    int64_t shown;        /* of the samples kept by the filter */
};

/* Computes the table from the samples with keep[i] (NULL: all). Flat goes to the leaf frame,
 * cum to every distinct row of a stack once (recursion counts once). Returns 0 or -1 with err. */
int top_compute(const struct profile *p, const bool *keep, const struct top_options *o,
                struct top_table *out, struct hw_err *err);
void top_free(struct top_table *t);

/* Formats a value of unit ("nanoseconds" -> "1.25s"/"808ms"/"12us", else a plain count). */
void top_format_value(char *buf, size_t size, int64_t v, const char *unit);

/* Prints the column header and up to o->limit rows. */
void top_print(FILE *out, const struct top_table *t, const struct top_options *o, const char *unit);

#endif
