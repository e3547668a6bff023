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

/* The command-line options for a filter, shared by every command that shows samples: expands to
 * five struct cli_option entries (see cli.h) with ids first_id .. first_id + 4, in the order of
 * enum filter_option. */
enum filter_option { FILTER_OPT_COMM, FILTER_OPT_PID, FILTER_OPT_TID, FILTER_OPT_FOCUS, FILTER_OPT_IGNORE, FILTER_NOPTIONS };
#define FILTER_CLI_OPTIONS(first_id)                                                                         \
    {(first_id) + FILTER_OPT_COMM, 0, "comm", CLI_REQUIRED_ARG, "COMM[,COMM...]",                          \
     "only samples of these command names", NULL, NULL},                                                   \
        {(first_id) + FILTER_OPT_PID, 0, "pid", CLI_REQUIRED_ARG, "PID[,PID...]",                          \
         "only samples of these processes", NULL, NULL},                                                   \
        {(first_id) + FILTER_OPT_TID, 0, "tid", CLI_REQUIRED_ARG, "TID[,TID...]",                          \
         "only samples of these threads", NULL, NULL},                                                     \
        {(first_id) + FILTER_OPT_FOCUS, 0, "focus", CLI_REQUIRED_ARG, "REGEX",                             \
         "only samples with a function matching REGEX in their stack", NULL, NULL},                        \
        {(first_id) + FILTER_OPT_IGNORE, 0, "ignore", CLI_REQUIRED_ARG, "REGEX",                           \
         "drop samples with a function matching REGEX in their stack", NULL, NULL}

/* Applies the value of filter option `which` (an enum filter_option) to f. 0 or -1 with err. */
int filter_set_option(struct filter *f, int which, const char *value, struct hw_err *err);

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
