/* filter.h - choose the samples of a profile that an output shows: by comm, pid, tid, and focus/ignore regexes on function names. */
#ifndef HWPROF_FILTER_H
#define HWPROF_FILTER_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "util.h"

struct filter {
    char **comms;            /* keep samples whose comm is one of these (NULL: any) */
    size_t ncomms;
    uint32_t *pids;          /* keep samples of these processes (NULL: any) */
    size_t npids;
    uint32_t *tids;          /* keep samples of these threads (NULL: any) */
    size_t ntids;
    regex_t *focus;          /* keep samples with a frame whose function matches (NULL: any) */
    regex_t *ignore;         /* drop samples with a frame whose function matches (NULL: none) */
};

/* Parses a comma-separated list of names into f->comms. Returns 0 or -1 with err. */
int filter_set_comms(struct filter *f, const char *list, struct hw_err *err);
/* Parses comma-separated positive numbers ("--pid"/"--tid" in messages is what). 0 or -1 with err. */
int filter_set_ids(uint32_t **ids, size_t *n, const char *list, const char *what, struct hw_err *err);
/* Compiles a POSIX extended regex into *re (malloc'd). Returns 0 or -1 with err. */
int filter_set_regex(regex_t **re, const char *pattern, const char *what, struct hw_err *err);
void filter_free(struct filter *f);

/* True when the filter would keep every sample. */
bool filter_is_empty(const struct filter *f);

/* Fills keep[i] for every sample of p. Returns 0 or -1 with err (out of memory). */
int filter_apply(const struct filter *f, const struct profile *p, bool *keep, struct hw_err *err);

#endif
