/* progress.h - a progress line on a terminal for reads that take more than a second: "hwprof: reading FILE: 42%". */
#ifndef HWPROF_PROGRESS_H
#define HWPROF_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct progress {
    FILE *out;                 /* where the line goes: a terminal, else nothing is printed */
    const char *what;          /* what is read, e.g. the file's name */
    uint64_t start;            /* hw_now_ns() when the work began */
    uint64_t last;             /* when the line was last drawn */
    bool on;                   /* out is a terminal */
    bool shown;                /* a line is on the screen */
};

/* Starts tracking: draws nothing until a second has passed. */
void progress_start(struct progress *p, FILE *out, const char *what);

/* A hw-style progress callback (arg is a struct progress): done of total bytes (total 0: unknown).
 * Redraws at most ten times a second. */
void progress_update(void *arg, uint64_t done, uint64_t total);

/* Clears the line, if one was drawn. */
void progress_end(struct progress *p);

#endif
