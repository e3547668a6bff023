/* ordered.c - records held until they may go in time order: merged per round from the runs they come in, compacted into a second arena. */
#include "ordered.h"

#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>

/* Whether a goes before b: by key, then by arrival. */
static bool ord_before(const struct ord_ent *a, const struct ord_ent *b)
{
    return a->key < b->key || (a->key == b->key && a->seq < b->seq);
}

int ord_push(struct ord_queue *q, const void *rec, size_t len, uint64_t time, uint64_t offset,
             int attr, struct hw_err *err)
{
    size_t at = (size_t)HW_ALIGN(q->used, 8);
    if ((at + len > q->cap_arena && hw_grow(&q->arena, &q->cap_arena, at + len, 1) < 0) ||
        (q->n + 1 > q->cap && hw_grow(&q->ents, &q->cap, q->n + 1, sizeof(*q->ents)) < 0) ||
        (q->n + 1 > q->cap_tmp && hw_grow(&q->tmp, &q->cap_tmp, q->n + 1, sizeof(*q->tmp)) < 0))
        return hw_err_oom(err);
    memcpy(q->arena + at, rec, len);
    q->used = at + len;
    uint64_t key = time;
    if (time < q->done) {
        key = q->done; /* no time, or later than its turn: next in line */
        q->late += time != 0;
    }
    q->ents[q->n++] = (struct ord_ent){key, q->seq++, time, offset, at, attr};
    if (time > q->max_time)
        q->max_time = time;
    return 0;
}

/* The end of the ascending run of a that starts at i (< n). */
static size_t ord_run_end(const struct ord_ent *a, size_t i, size_t n)
{
    for (i++; i < n && ord_before(&a[i - 1], &a[i]); i++)
        ;
    return i;
}

/* Sorts ents by merging the ascending runs they already form (each buffer's records come in
 * time order, so a round is a few runs): O(n log runs), no allocation (tmp has ents' capacity). */
static void ord_sort(struct ord_queue *q)
{
    struct ord_ent *a = q->ents, *b = q->tmp;
    size_t n = q->n;
    while (n > 1 && ord_run_end(a, 0, n) < n) {
        size_t i = 0, out = 0;
        while (i < n) {
            size_t e1 = ord_run_end(a, i, n), j = e1, e2 = e1 < n ? ord_run_end(a, e1, n) : n;
            while (i < e1 && j < e2)
                b[out++] = ord_before(&a[j], &a[i]) ? a[j++] : a[i++];
            while (i < e1)
                b[out++] = a[i++];
            while (j < e2)
                b[out++] = a[j++];
            i = e2;
        }
        struct ord_ent *t = a;
        a = b;
        b = t;
    }
    if (a != q->ents) { /* the result is in tmp: swap the arrays */
        size_t c = q->cap;
        q->tmp = q->ents;
        q->ents = a;
        q->cap = q->cap_tmp;
        q->cap_tmp = c;
    }
}

/* Sorts the queue and lets every record up to time limit go (ready). */
static void ord_release(struct ord_queue *q, uint64_t limit)
{
    ord_sort(q);
    size_t last =
        hw_bsearch_le(q->ents, q->n, sizeof(*q->ents), offsetof(struct ord_ent, key), limit);
    q->ready = last == q->n ? 0 : last + 1;
    q->pos = 0;
    if (limit > q->done && limit != UINT64_MAX)
        q->done = limit;
}

void ord_round(struct ord_queue *q)
{
    uint64_t limit = q->round_max;
    q->round_max = q->max_time;
    ord_release(q, limit);
}

void ord_flush(struct ord_queue *q)
{
    ord_release(q, UINT64_MAX);
}

size_t ord_held(const struct ord_queue *q)
{
    return q->used;
}

void ord_flush_half(struct ord_queue *q)
{
    if (q->n == 0)
        return;
    ord_sort(q);
    ord_release(q, q->ents[q->n / 2].key);
}

/* The size of the record at byte at of the arena. */
static uint16_t ord_size(const struct ord_queue *q, size_t at)
{
    struct perf_event_header h;
    memcpy(&h, q->arena + at, sizeof(h));
    return h.size;
}

/* Drops the records that went and moves the waiting ones to the start of the other arena.
 * Returns 0 or -1 with err (out of memory). */
static int ord_compact(struct ord_queue *q, struct hw_err *err)
{
    size_t need = 0;
    for (size_t i = q->ready; i < q->n; i++)
        need = (size_t)HW_ALIGN(need, 8) + ord_size(q, q->ents[i].at);
    if (hw_grow(&q->spare, &q->cap_spare, need ? need : 1, 1) < 0)
        return hw_err_oom(err);
    size_t used = 0;
    for (size_t i = q->ready; i < q->n; i++) {
        struct ord_ent *e = &q->ents[i];
        uint16_t size = ord_size(q, e->at);
        used = (size_t)HW_ALIGN(used, 8);
        memcpy(q->spare + used, q->arena + e->at, size);
        e->at = used;
        used += size;
    }
    memmove(q->ents, q->ents + q->ready, (q->n - q->ready) * sizeof(*q->ents));
    q->n -= q->ready;
    q->ready = q->pos = 0;
    unsigned char *t = q->arena;
    size_t tc = q->cap_arena;
    q->arena = q->spare;
    q->cap_arena = q->cap_spare;
    q->spare = t;
    q->cap_spare = tc;
    q->used = used;
    return 0;
}

int ord_next(struct ord_queue *q, const struct ord_ent **e, struct hw_err *err)
{
    if (q->pos < q->ready) {
        *e = &q->ents[q->pos++];
        return 1;
    }
    if (q->ready && ord_compact(q, err) < 0)
        return -1;
    return 0;
}

void ord_clear(struct ord_queue *q)
{
    q->n = q->ready = q->pos = q->used = 0;
    q->seq = q->done = q->max_time = q->round_max = q->late = 0;
}

void ord_free(struct ord_queue *q)
{
    free(q->ents);
    free(q->tmp);
    free(q->arena);
    free(q->spare);
    memset(q, 0, sizeof(*q));
}
