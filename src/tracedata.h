/* tracedata.h - perf's tracing data (HEADER_TRACING_DATA): tracefs formats of the tracepoints. */
#ifndef HWPROF_TRACEDATA_H
#define HWPROF_TRACEDATA_H

#include <linux/perf_event.h>
#include <stddef.h>

#include "util.h"

/* Builds the body of perf.data's HEADER_TRACING_DATA feature for the tracepoint events among attrs
 * (type PERF_TYPE_TRACEPOINT, config = the tracepoint id), from the tracefs found under root (NULL
 * or "": the real system), so that perf script can print the tracepoints' fields. perf's layout,
 * version 0.6: the magic "\027\010\104tracing", the version, the byte order, the size of a long
 * and the page size; tracefs's events/header_page and events/header_event; no ftrace events; per
 * subsystem, its name and the format file of each of its tracepoints; an empty kallsyms (as perf
 * writes it); printk_formats and saved_cmdlines. Appends it to out (nothing when attrs hold no
 * tracepoint). Returns 0, or -1 with err (tracefs unreadable, a tracepoint id it does not know). */
int tracedata_build(const char *root, const struct perf_event_attr *attrs, size_t nattrs,
                    struct hw_buf *out, struct hw_err *err);

#endif
