/* folded.h - Brendan Gregg's folded stacks ("comm;root;...;leaf value") of a profile, for flamegraph.pl and speedscope. */
#ifndef HWPROF_FOLDED_H
#define HWPROF_FOLDED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "profile.h"
#include "util.h"

/* Writes one line per unique stack of the samples with keep[i] (NULL: all) whose value of sample
 * type `type` is not 0: the command name, the frames from the root to the leaf (inlined frames
 * suffixed "_[i]"), all separated by ';', then a space and the summed value. Lines are sorted.
 * Returns 0, or -1 with err (out of memory, write error). */
int folded_write(const struct profile *p, const bool *keep, size_t type, FILE *out, struct hw_err *err);

#endif
