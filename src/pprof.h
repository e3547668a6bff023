/* pprof.h - write a profile as pprof protobuf (profile.proto, package perftools.profiles), plain or gzip'd. */
#ifndef HWPROF_PPROF_H
#define HWPROF_PPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "profile.h"
#include "util.h"

struct pprof_options {
    bool labels;                 /* per-sample labels thread_id, pid, thread_name, comm, cpu */
    const char *const *comments; /* comments after the profile's own (command line, host, ...) */
    size_t ncomments;
    int64_t time_nanos; /* wall-clock start; 0: the profile's time_nanos */
    bool gzip;          /* gzip the output (what pprof expects in a .pb.gz) */
};

/* Encodes the samples i of p with keep[i] (keep NULL: every sample) as a pprof Profile and
 * writes it to out, flushing it (the caller closes out). Only the locations, functions and
 * mappings those samples reference are written; ids are the profile's index + 1 and string
 * indices are renumbered to the strings written. o NULL means labels on, no extra comments, no
 * gzip. Returns 0, or -1 with err (out of memory, write error). On error, part of the output may
 * have been written. */
int pprof_write(const struct profile *p, const bool *keep, const struct pprof_options *o, FILE *out,
                struct hw_err *err);

#endif
