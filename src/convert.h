/* convert.h - turn a recording into an output file (pprof, folded stacks, HTML flame graph, trace-event timeline): read, load, filter, write, atomically. */
#ifndef HWPROF_CONVERT_H
#define HWPROF_CONVERT_H

#include <stdbool.h>
#include <stdint.h>

#include "filter.h"
#include "util.h"

enum convert_format {
    CONVERT_AUTO,          /* from the output name */
    CONVERT_PPROF_GZ,
    CONVERT_PPROF,         /* uncompressed profile.proto */
    CONVERT_FOLDED,
    CONVERT_HTML,          /* the interactive flame graph page */
    CONVERT_TRACE,         /* Chrome trace-event JSON: the timeline per thread */
};

struct convert_options {
    const char *input;     /* perf.data file */
    const char *output;    /* file name, or "-" for stdout */
    enum convert_format format;
    const char *sample_index; /* folded: which value; pprof, html: shown first; trace: whose
                                 on-CPU samples (NULL: the first event) */
    bool labels;           /* pprof: per-sample labels */
    const struct filter *filter;
    bool debuginfod;
    size_t max_stack;      /* frames kept per sample (0: the default) */
    void (*progress)(void *arg, uint64_t done, uint64_t total); /* see load_options (may be NULL) */
    void *progress_arg;
    const char *version;   /* "hwprof 0.1.0", for a pprof comment */
    hw_warn_fn warn;
    void *warn_arg;
};

/* Parses a --format name ("pprof", "folded", "html", "trace"). Returns 0 or -1 with err. */
int convert_parse_format(const char *name, enum convert_format *out, struct hw_err *err);

/* The format an output name asks for (.pb.gz, .pb, .folded, .txt, .html, .htm, .json), or
 * CONVERT_AUTO if none. */
enum convert_format convert_format_of(const char *path);

/* The length of path without its format ending ("out.pb.gz" -> 3); strlen(path) if it has none. */
size_t convert_name_base(const char *path);

/* Converts. A file output is written to a temporary name and renamed when complete, so a failure
 * never leaves a partial file under the name. Returns 0 or -1 with err. */
int convert_file(const struct convert_options *o, struct hw_err *err);

#endif
