/* wall.c - off-CPU intervals of a wall-clock recording: pair each thread's switch-out (with its stack) with its next switch-in. */
#include "wall.h"

#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "util.h"

/* One thread's last switch-out; its stack lives in its own buffer, reused by the next one. */
struct wall_thread {
    uint32_t pid, tid, cpu;
    bool open, preempted, exited;
    uint64_t start;
    uint32_t *locs;
    size_t nlocs, cap_locs;
};

struct wall_tracker {
    struct wall_thread *threads;
    size_t nthreads, cap_threads;
    struct hw_map map; /* tid -> index in threads */
};

struct wall_key {
    const struct wall_tracker *w;
    uint32_t tid;
};

static bool wall_tid_eq(const void *ctx, uint32_t val)
{
    const struct wall_key *k = ctx;
    return k->w->threads[val].tid == k->tid;
}

static uint64_t wall_hash(uint32_t tid)
{
    return hw_hash_u64(12, tid);
}

/* The thread of tid, or NULL when it has never been switched out. */
static struct wall_thread *wall_find(const struct wall_tracker *w, uint32_t tid)
{
    struct wall_key k = {w, tid};
    uint32_t idx;
    return hw_map_find(&w->map, wall_hash(tid), wall_tid_eq, &k, &idx) ? &w->threads[idx] : NULL;
}

struct wall_tracker *wall_new(void)
{
    return calloc(1, sizeof(struct wall_tracker));
}

void wall_free(struct wall_tracker *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->nthreads; i++)
        free(w->threads[i].locs);
    free(w->threads);
    hw_map_free(&w->map);
    free(w);
}

int wall_switch_out(struct wall_tracker *w, uint32_t pid, uint32_t tid, uint32_t cpu, uint64_t time,
                    const uint32_t *locs, size_t nlocs)
{
    struct wall_thread *t = wall_find(w, tid);
    if (!t) {
        if (hw_grow(&w->threads, &w->cap_threads, w->nthreads + 1, sizeof(*w->threads)) < 0 ||
            hw_map_insert(&w->map, wall_hash(tid), (uint32_t)w->nthreads) < 0)
            return -1;
        t = &w->threads[w->nthreads++];
        memset(t, 0, sizeof(*t));
        t->tid = tid;
    }
    if (t->exited)
        return 0;
    if (hw_grow(&t->locs, &t->cap_locs, nlocs, sizeof(*t->locs)) < 0)
        return -1;
    if (nlocs)
        memcpy(t->locs, locs, nlocs * sizeof(*locs));
    t->nlocs = nlocs;
    t->pid = pid;
    t->cpu = cpu;
    t->start = time;
    t->preempted = false;
    t->open = true;
    return 0;
}

void wall_mark_preempted(struct wall_tracker *w, uint32_t tid, bool preempted)
{
    struct wall_thread *t = wall_find(w, tid);
    if (t && t->open)
        t->preempted = preempted;
}

static void wall_fill(const struct wall_thread *t, uint64_t end, struct wall_interval *out)
{
    *out = (struct wall_interval){.pid = t->pid, .tid = t->tid, .cpu = t->cpu, .start = t->start,
                                  .end = end, .preempted = t->preempted, .locs = t->locs,
                                  .nlocs = t->nlocs};
}

bool wall_switch_in(struct wall_tracker *w, uint32_t tid, uint64_t time, struct wall_interval *out)
{
    struct wall_thread *t = wall_find(w, tid);
    if (!t || !t->open)
        return false;
    t->open = false;
    wall_fill(t, time > t->start ? time : t->start, out);
    return true;
}

void wall_forget(struct wall_tracker *w, uint32_t tid)
{
    struct wall_thread *t = wall_find(w, tid);
    if (t)
        t->open = false;
}

void wall_exit(struct wall_tracker *w, uint32_t tid)
{
    struct wall_thread *t = wall_find(w, tid);
    if (!t)
        return;
    t->open = false;
    t->exited = true;
    free(t->locs); /* a long recording sees many threads come and go */
    t->locs = NULL;
    t->cap_locs = 0;
    t->nlocs = 0;
}

void wall_reuse(struct wall_tracker *w, uint32_t tid)
{
    struct wall_thread *t = wall_find(w, tid);
    if (t)
        t->exited = false;
}

int wall_close_all(struct wall_tracker *w, uint64_t end, int (*cb)(void *arg, const struct wall_interval *iv),
                   void *arg)
{
    for (size_t i = 0; i < w->nthreads; i++) {
        struct wall_thread *t = &w->threads[i];
        if (!t->open || t->start > end)
            continue;
        t->open = false;
        struct wall_interval iv;
        wall_fill(t, end, &iv);
        int rc = cb(arg, &iv);
        if (rc)
            return rc;
    }
    return 0;
}
