/* wall.h - off-CPU intervals of a wall-clock recording: pair each thread's switch-out (with its stack) with its next switch-in. */
#ifndef HWPROF_WALL_H
#define HWPROF_WALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A thread's time off the CPU, from its switch-out to its next switch-in. */
struct wall_interval {
    uint32_t pid, tid, cpu;    /* cpu: where it was switched out */
    uint64_t start, end;       /* ns */
    bool preempted;            /* still runnable (waiting for a CPU), not blocked */
    const uint32_t *locs;      /* the stack at switch-out, leaf first: caller's location ids; valid
                                  until the next call on the tracker */
    size_t nlocs;
};

struct wall_tracker;

/* Returns a new tracker, or NULL when out of memory. */
struct wall_tracker *wall_new(void);
void wall_free(struct wall_tracker *w);

/* tid left the CPU at time with this stack (the switch sample). An interval it had open is
 * forgotten (its switch-in was lost). Returns 0, or -1 when out of memory. */
int wall_switch_out(struct wall_tracker *w, uint32_t pid, uint32_t tid, uint32_t cpu, uint64_t time,
                    const uint32_t *locs, size_t nlocs);

/* The switch-out record of tid: whether it was preempted (still runnable). */
void wall_mark_preempted(struct wall_tracker *w, uint32_t tid, bool preempted);

/* tid entered a CPU at time: closes its open interval into *out (returns true), or returns false
 * when it had none (its first run, or it was off-CPU since before the recording). */
bool wall_switch_in(struct wall_tracker *w, uint32_t tid, uint64_t time, struct wall_interval *out);

/* tid is seen running without a switch-in (lost records): its open interval, if any, is
 * forgotten, not charged. */
void wall_forget(struct wall_tracker *w, uint32_t tid);

/* tid exited: its open interval is forgotten, and so are its switch-outs until wall_reuse (a CPU-wide
 * recording still samples the final switch of an exited task). */
void wall_exit(struct wall_tracker *w, uint32_t tid);

/* tid names a new thread (FORK, or COMM of a reused id): its switch-outs count again. */
void wall_reuse(struct wall_tracker *w, uint32_t tid);

/* Closes every interval still open at end (threads off-CPU when the recording stopped), in the
 * order the threads were first switched out, calling cb with each; an interval that started after end gets none.
 * Stops and returns cb's value if it is non-zero; returns 0 otherwise. */
int wall_close_all(struct wall_tracker *w, uint64_t end, int (*cb)(void *arg, const struct wall_interval *iv),
                   void *arg);

#endif
