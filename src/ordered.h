/* ordered.h - records held until they may go in time order (perf's ordered events): a round lets everything up to the latest time of the round before go. */
#ifndef HWPROF_ORDERED_H
#define HWPROF_ORDERED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* A record waiting; its bytes are at arena + at (8-byte aligned). */
struct ord_ent {
    uint64_t key; /* sort key: its time, or the time let go up to when it has none or is late */
    uint64_t seq; /* arrival order: ties keep it */
    uint64_t time;
    uint64_t offset; /* the caller's: where it came from */
    size_t at;
    int attr; /* the caller's */
};

/* Zero-initialize; free with ord_free. ents[0 .. ready) are sorted and may go (ord_next), the
 * others wait for a round. */
struct ord_queue {
    struct ord_ent *ents, *tmp; /* tmp: room to merge ents into (at least n entries) */
    size_t n, cap, cap_tmp;
    size_t ready, pos;
    unsigned char *arena, *spare; /* record bytes; spare receives the waiting ones at compaction */
    size_t used, cap_arena, cap_spare;
    uint64_t seq;
    uint64_t done;      /* records up to this time were let go */
    uint64_t max_time;  /* the latest time queued */
    uint64_t round_max; /* max_time at the last round */
    uint64_t late;      /* records that came after later ones had been let go */
};

/* Copies a record (a perf_event_header and its body, len == header.size) into the queue with its
 * time (0: none, it goes next in line) and the caller's offset and attr. A record older than what
 * was let go also goes next in line, counted in late. Returns 0, or -1 with err (out of memory). */
int ord_push(struct ord_queue *q, const void *rec, size_t len, uint64_t time, uint64_t offset,
             int attr, struct hw_err *err);

/* A round ended (FINISHED_ROUND): every record up to the latest time of the round before may go
 * (a buffer drained in this round may still hold records older than this round's latest). */
void ord_round(struct ord_queue *q);

/* Lets every record go: the end of the input. */
void ord_flush(struct ord_queue *q);

/* Record bytes held. When they are too many (no rounds, or huge ones), ord_flush_half lets the
 * older half go; records older than that are then late. Call only while nothing is ready. */
size_t ord_held(const struct ord_queue *q);
void ord_flush_half(struct ord_queue *q);

/* The next record that may go: 1 with *e set (its bytes at q->arena + e->at, valid until the next
 * call), 0 when none is ready (after the ready ones went, the others are moved to the start of
 * the other arena), -1 with err (out of memory). */
int ord_next(struct ord_queue *q, const struct ord_ent **e, struct hw_err *err);

/* Records queued (ready or waiting). */
static inline size_t ord_count(const struct ord_queue *q)
{
    return q->n - q->pos;
}

/* Forgets every record (the memory is kept for reuse). */
void ord_clear(struct ord_queue *q);

void ord_free(struct ord_queue *q);

#endif
