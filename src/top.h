/* top.h - the `pprof -top` table of a profile: flat, flat%, sum%, cum, cum% per function (or line, command, thread), with more events as columns and a ratio. */
#ifndef HWPROF_TOP_H
#define HWPROF_TOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "profile.h"
#include "util.h"

/* What a row stands for (--sort): any combination; 0 means TOP_KEY_SYM. */
enum top_key {
    TOP_KEY_COMM = 1, /* the command name */
    TOP_KEY_PID = 2,
    TOP_KEY_TID = 4,
    TOP_KEY_SYM = 8, /* the function (and with lines, its file and line): flat to the leaf,
                        cum once to each function of the stack */
};

struct top_options {
    size_t type;           /* sample type of flat and cum, the order and the percentages */
    const size_t *columns; /* with ncolumns: more sample types, each a value and a % column (the
                             table then shows type first, then these; flat, or cum with sort_cum) */
    size_t ncolumns;
    bool ratio;                  /* a ratio column: ratio_num's value / ratio_den's value per row */
    size_t ratio_num, ratio_den; /* sample type indices */
    unsigned keys;               /* enum top_key bits; 0: TOP_KEY_SYM */
    bool sort_cum;               /* sort by cum instead of flat */
    size_t limit;                /* rows to print, 0 = all */
    bool lines;                  /* one row per function and file:line */
    bool no_inline;              /* charge inlined frames to the function they were inlined into */
    size_t width; /* cut lines to this many columns (a terminal's width), 0 = never */
};

struct top_row {
    const char *name;  /* function name (TOP_KEY_SYM), else NULL */
    const char *file;  /* with lines: source file ("" if unknown) */
    uint32_t line;     /* with lines */
    const char *comm;  /* TOP_KEY_COMM: the command name ("" if unknown), else NULL */
    uint32_t pid, tid; /* TOP_KEY_PID, TOP_KEY_TID */
    int64_t flat, cum; /* of o->type */
    size_t vals_at;    /* the table's vals[vals_at + 2k] (flat), [.. + 1] (cum) of types[k] */
};

struct top_table {
    struct top_row *rows; /* sorted */
    size_t nrows;
    int64_t total; /* of o->type, of all samples, before filtering */
    int64_t shown; /* of o->type, of the samples kept by the filter */
    size_t *types; /* every sample type the rows hold: o->type, the columns, the ratio's */
    size_t ntypes;
    int64_t *totals; /* per types[k]: of all samples */
    int64_t *vals;   /* the rows' values (see top_row.vals_at) */
};

/* Computes the table from the samples with keep[i] (NULL: all). Flat goes to the leaf frame,
 * cum to every distinct row of a stack once (recursion counts once); rows keyed by labels alone
 * get a sample's whole value as flat and cum. Values saturate. Returns 0 or -1 with err. */
int top_compute(const struct profile *p, const bool *keep, const struct top_options *o,
                struct top_table *out, struct hw_err *err);
void top_free(struct top_table *t);

/* The index k in t->types of sample type `type`, or -1. */
int top_type_slot(const struct top_table *t, size_t type);

/* Formats a value of unit ("nanoseconds" -> "1.25s"/"808ms"/"12us", else a plain count). */
void top_format_value(char *buf, size_t size, int64_t v, const char *unit);

/* Formats num/den for a ratio column whose header is made by top_ratio_label: a time per count
 * as a time, a count per time per second, otherwise a plain number; "-" when den is 0. */
void top_format_ratio(char *buf, size_t size, int64_t num, int64_t den, const char *num_unit,
                      const char *den_unit);

/* The header of a ratio column ("instructions/cycles", "page-faults/s" for a count per time). */
void top_ratio_label(char *buf, size_t size, const char *num_name, const char *num_unit,
                     const char *den_name, const char *den_unit);

/* Prints the column header and up to o->limit rows. Names of sample types (for the column
 * headers) are p's type names. Every name is printed escaped (escape.h, ESC_TEXT). */
void top_print(FILE *out, const struct top_table *t, const struct top_options *o,
               const struct profile *p);

#endif
