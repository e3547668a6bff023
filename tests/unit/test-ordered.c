/* test-ordered.c - records held until they may go in time order: rounds, the end, the half flush, late records, record bytes kept through compaction. */
#include "check.h"
#include "ordered.h"

#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>

/* A record of size 8 + 8 * words whose first body word is v (and the rest v + k). */
static size_t mk(unsigned char *b, uint64_t v, int words)
{
    struct perf_event_header h = {PERF_RECORD_SAMPLE, 0, (uint16_t)(8 + 8 * words)};
    memcpy(b, &h, sizeof(h));
    for (int k = 0; k < words; k++) {
        uint64_t w = v + (uint64_t)k;
        memcpy(b + 8 + 8 * k, &w, 8);
    }
    return h.size;
}

static int pushed;

static void push(struct ord_queue *q, uint64_t time)
{
    unsigned char b[8 + 8 * 16];
    struct hw_err err;
    int words = 1 + (int)(time % 16); /* sizes vary: alignment in the arena */
    size_t len = mk(b, time, words);
    CHECK(ord_push(q, b, len, time, 1000 + time, (int)(time % 3), &err) == 0);
    pushed++;
}

/* Takes every ready record into times[] (checking its bytes); returns how many. */
static size_t drain(struct ord_queue *q, uint64_t *times, size_t max)
{
    const struct ord_ent *e;
    struct hw_err err;
    size_t n = 0;
    int r;
    while ((r = ord_next(q, &e, &err)) == 1) {
        struct perf_event_header h;
        uint64_t v;
        memcpy(&h, q->arena + e->at, sizeof(h));
        memcpy(&v, q->arena + e->at + 8, 8);
        CHECK(e->at % 8 == 0);
        CHECK_EQ_U64(h.size, 8 + 8 * (1 + v % 16));
        if (v != 0) /* the record of time 0 carries 0 */
            CHECK_EQ_U64(v, e->time);
        CHECK_EQ_U64(e->offset, 1000 + e->time);
        CHECK_EQ_U64(e->attr, e->time % 3);
        if (n < max)
            times[n] = e->time;
        n++;
    }
    CHECK(r == 0);
    return n;
}

static void test_rounds(void)
{
    struct ord_queue q = {0};
    uint64_t t[64];
    /* round 1: two buffers, 10..50 and 15..55 */
    for (uint64_t v = 10; v <= 50; v += 10)
        push(&q, v);
    for (uint64_t v = 15; v <= 55; v += 10)
        push(&q, v);
    ord_round(&q);                        /* lets go up to the round before's latest: none */
    CHECK_EQ_U64(drain(&q, t, 64), 0);
    CHECK_EQ_U64(ord_count(&q), 10);
    /* round 2 starts before round 1's latest (55) */
    push(&q, 52);
    push(&q, 70);
    push(&q, 0); /* no time: next in line */
    ord_round(&q); /* up to 55 */
    size_t n = drain(&q, t, 64);
    CHECK_EQ_U64(n, 12);
    CHECK_EQ_U64(t[0], 0);
    for (size_t i = 1; i < n; i++)
        CHECK(t[i] >= t[i - 1]);
    CHECK_EQ_U64(t[n - 1], 55);
    CHECK_EQ_U64(ord_count(&q), 1); /* 70 waits */
    push(&q, 40);                  /* older than what went: late, next in line */
    CHECK_EQ_U64(q.late, 1);
    ord_flush(&q);
    CHECK_EQ_U64(drain(&q, t, 64), 2);
    CHECK_EQ_U64(t[0], 40);
    CHECK_EQ_U64(t[1], 70);
    CHECK_EQ_U64(ord_count(&q), 0);
    ord_free(&q);
}

static void test_half_and_compaction(void)
{
    struct ord_queue q = {0};
    static uint64_t t[5000];
    /* no rounds: 4000 records in a scrambled order */
    for (uint64_t i = 0; i < 4000; i++)
        push(&q, 1 + (i * 7919) % 4000);
    size_t held = ord_held(&q);
    CHECK(held > 4000 * 16);
    ord_flush_half(&q);
    size_t n = drain(&q, t, 5000);
    CHECK(n >= 1999 && n <= 2001);
    for (size_t i = 1; i < n; i++)
        CHECK(t[i] > t[i - 1]);
    CHECK(ord_held(&q) < held); /* the ones that went are gone from the arena */
    /* the waiting half survived compaction byte for byte (drain checks them) */
    push(&q, 1); /* older than the half that went */
    CHECK_EQ_U64(q.late, 1);
    ord_flush(&q);
    size_t m = drain(&q, t, 5000);
    CHECK_EQ_U64(n + m, 4001);
    CHECK_EQ_U64(t[0], 1);
    for (size_t i = 2; i < m; i++)
        CHECK(t[i] > t[i - 1]);
    /* cleared: a fresh start, memory kept */
    push(&q, 5);
    ord_clear(&q);
    CHECK_EQ_U64(ord_count(&q), 0);
    CHECK_EQ_U64(q.late, 0);
    ord_flush(&q);
    CHECK_EQ_U64(drain(&q, t, 5000), 0);
    ord_free(&q);
    ord_free(&q); /* twice is fine */
}

int main(void)
{
    test_rounds();
    test_half_and_compaction();
    CHECK(pushed > 4000);
    return check_done("test-ordered");
}
