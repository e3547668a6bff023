/* test-wall.c - wall.c: pairing switch-outs with switch-ins into off-CPU intervals, forgetting, closing at the end. */
#include <stdlib.h>

#include "check.h"
#include "util.h"
#include "wall.h"

static struct wall_tracker *new_tracker(void)
{
    struct wall_tracker *w = wall_new();
    if (!w) {
        perror("wall_new");
        exit(2);
    }
    return w;
}

static bool locs_are(const struct wall_interval *iv, const uint32_t *want, size_t n)
{
    if (iv->nlocs != n)
        return false;
    return n == 0 || (iv->locs && memcmp(iv->locs, want, n * sizeof(*want)) == 0);
}

/* Out, then in: one interval with the switch-out's stack, cpu and pid; in again: none. */
static void test_out_in(void)
{
    struct wall_tracker *w = new_tracker();
    uint32_t stack[] = {7, 8, 9};
    CHECK_EQ_U64(wall_switch_out(w, 100, 101, 3, 1000, stack, 3), 0);
    stack[0] = 99; /* the tracker keeps its own copy */
    struct wall_interval iv;
    memset(&iv, 0xab, sizeof(iv));
    CHECK(wall_switch_in(w, 101, 1500, &iv));
    CHECK_EQ_U64(iv.pid, 100);
    CHECK_EQ_U64(iv.tid, 101);
    CHECK_EQ_U64(iv.cpu, 3);
    CHECK_EQ_U64(iv.start, 1000);
    CHECK_EQ_U64(iv.end, 1500);
    CHECK(!iv.preempted);
    const uint32_t want[] = {7, 8, 9};
    CHECK(locs_are(&iv, want, 3));
    CHECK(!wall_switch_in(w, 101, 1600, &iv)); /* closed */

    /* Preempted: the SWITCH out record after the switch sample says so. */
    CHECK_EQ_U64(wall_switch_out(w, 100, 101, 1, 2000, want, 3), 0);
    wall_mark_preempted(w, 101, true);
    CHECK(wall_switch_in(w, 101, 2600, &iv));
    CHECK(iv.preempted);
    CHECK_EQ_U64(iv.cpu, 1);
    CHECK_EQ_U64(iv.end - iv.start, 600);

    /* The next switch-out starts as blocked again. */
    CHECK_EQ_U64(wall_switch_out(w, 100, 101, 1, 3000, want, 3), 0);
    CHECK(wall_switch_in(w, 101, 3100, &iv));
    CHECK(!iv.preempted);

    /* Marking a closed interval or an unknown thread changes nothing. */
    wall_mark_preempted(w, 101, true);
    wall_mark_preempted(w, 555, true);
    CHECK(!wall_switch_in(w, 101, 3200, &iv));
    CHECK(!wall_switch_in(w, 555, 3200, &iv));
    CHECK_EQ_U64(wall_switch_out(w, 100, 101, 1, 4000, want, 3), 0);
    CHECK(wall_switch_in(w, 101, 4100, &iv));
    CHECK(!iv.preempted);

    /* A preempted mark can be taken back (the flag is the last record's). */
    CHECK_EQ_U64(wall_switch_out(w, 100, 101, 1, 5000, want, 3), 0);
    wall_mark_preempted(w, 101, true);
    wall_mark_preempted(w, 101, false);
    CHECK(wall_switch_in(w, 101, 5100, &iv));
    CHECK(!iv.preempted);

    /* A switch-in stamped before its switch-out (clock skew between CPUs) gives 0, not a wrap. */
    CHECK_EQ_U64(wall_switch_out(w, 100, 101, 1, 9000, want, 3), 0);
    CHECK(wall_switch_in(w, 101, 8000, &iv));
    CHECK_EQ_U64(iv.start, 9000);
    CHECK_EQ_U64(iv.end, 9000);
    wall_free(w);
}

/* A switch-in with no switch-out before it (the thread's first run, or it was waiting since before
 * the recording): nothing. */
static void test_in_without_out(void)
{
    struct wall_tracker *w = new_tracker();
    struct wall_interval iv;
    CHECK(!wall_switch_in(w, 42, 100, &iv));
    /* another thread's switch-out does not count for this one */
    CHECK_EQ_U64(wall_switch_out(w, 1, 43, 0, 100, NULL, 0), 0);
    CHECK(!wall_switch_in(w, 42, 200, &iv));
    CHECK(wall_switch_in(w, 43, 200, &iv));
    CHECK_EQ_U64(iv.tid, 43);
    CHECK_EQ_U64(iv.nlocs, 0);
    wall_free(w);
}

/* Out, out (the switch-in between was lost): the first is forgotten, the second counts. */
static void test_out_out(void)
{
    struct wall_tracker *w = new_tracker();
    const uint32_t a[] = {1, 2, 3, 4}, b[] = {5, 6};
    CHECK_EQ_U64(wall_switch_out(w, 10, 11, 0, 100, a, 4), 0);
    wall_mark_preempted(w, 11, true);
    CHECK_EQ_U64(wall_switch_out(w, 10, 11, 1, 700, b, 2), 0);
    struct wall_interval iv;
    CHECK(wall_switch_in(w, 11, 1000, &iv));
    CHECK_EQ_U64(iv.start, 700);
    CHECK_EQ_U64(iv.end, 1000);
    CHECK_EQ_U64(iv.cpu, 1);
    CHECK(!iv.preempted);
    CHECK(locs_are(&iv, b, 2));
    CHECK(!wall_switch_in(w, 11, 1100, &iv));
    wall_free(w);
}

/* wall_close_all's callback: records the intervals it is given. */
struct closed {
    struct wall_interval iv[16];
    uint32_t locs[16][8];
    int n;
    int stop_at; /* return 7 from this call (1-based), 0: never */
};

static int collect(void *arg, const struct wall_interval *iv)
{
    struct closed *c = arg;
    if (c->n < 16) {
        c->iv[c->n] = *iv;
        for (size_t i = 0; i < iv->nlocs && i < 8; i++)
            c->locs[c->n][i] = iv->locs[i];
    }
    c->n++;
    return c->n == c->stop_at ? 7 : 0;
}

/* wall_forget drops an open interval (the thread exited, or ran without a switch-in). */
static void test_forget(void)
{
    struct wall_tracker *w = new_tracker();
    const uint32_t a[] = {1};
    struct wall_interval iv;
    wall_forget(w, 77); /* unknown: nothing happens */
    CHECK_EQ_U64(wall_switch_out(w, 5, 77, 0, 100, a, 1), 0);
    CHECK_EQ_U64(wall_switch_out(w, 5, 78, 0, 100, a, 1), 0);
    wall_forget(w, 77);
    CHECK(!wall_switch_in(w, 77, 200, &iv));
    CHECK(wall_switch_in(w, 78, 200, &iv)); /* the other thread is untouched */
    /* a forgotten thread is tracked again from its next switch-out */
    CHECK_EQ_U64(wall_switch_out(w, 5, 77, 0, 300, a, 1), 0);
    CHECK(wall_switch_in(w, 77, 450, &iv));
    CHECK_EQ_U64(iv.end - iv.start, 150);
    /* forgotten intervals are not closed at the end either */
    CHECK_EQ_U64(wall_switch_out(w, 5, 77, 0, 500, a, 1), 0);
    wall_forget(w, 77);
    wall_forget(w, 77); /* twice is fine */
    struct closed c = {0};
    CHECK_EQ_U64(wall_close_all(w, 1000, collect, &c), 0);
    CHECK_EQ_U64(c.n, 0);
    wall_free(w);
}

/* Open intervals are charged up to the end, in the order threads were first switched out; not
 * those that start after the end, not closed or forgotten ones; each only once. */
/* An exited thread's open interval is dropped, and the final switch-out that a CPU-wide recording
 * samples after the EXIT opens none, until the id names a new thread. */
static void test_exit_reuse(void)
{
    struct wall_tracker *w = new_tracker();
    const uint32_t a[] = {1, 2};
    struct wall_interval iv;
    wall_exit(w, 40); /* unknown: nothing happens */
    CHECK_EQ_U64(wall_switch_out(w, 4, 40, 0, 100, a, 2), 0);
    wall_exit(w, 40);
    CHECK(!wall_switch_in(w, 40, 150, &iv));
    CHECK_EQ_U64(wall_switch_out(w, 4, 40, 0, 200, a, 2), 0); /* its last switch: ignored */
    struct closed c = {0};
    CHECK_EQ_U64(wall_close_all(w, 1000, collect, &c), 0);
    CHECK_EQ_U64(c.n, 0);
    wall_reuse(w, 40); /* FORK of a new thread with the same id */
    CHECK_EQ_U64(wall_switch_out(w, 9, 40, 1, 300, a, 1), 0);
    CHECK(wall_switch_in(w, 40, 380, &iv));
    CHECK_EQ_U64(iv.end - iv.start, 80);
    CHECK_EQ_U64(iv.pid, 9);
    CHECK_EQ_U64(iv.nlocs, 1);
    wall_free(w);
}

static void test_close_all(void)
{
    struct wall_tracker *w = new_tracker();
    const uint32_t s1[] = {1, 2}, s2[] = {3}, s3[] = {4, 5, 6};
    struct wall_interval iv;
    CHECK_EQ_U64(wall_switch_out(w, 1, 30, 0, 300, s3, 3), 0); /* first seen: first closed */
    CHECK_EQ_U64(wall_switch_out(w, 1, 10, 1, 100, s1, 2), 0);
    CHECK_EQ_U64(wall_switch_out(w, 1, 20, 0, 200, s2, 1), 0);
    CHECK_EQ_U64(wall_switch_out(w, 1, 40, 0, 400, s2, 1), 0);
    CHECK_EQ_U64(wall_switch_out(w, 1, 50, 0, 2000, s2, 1), 0); /* after the end */
    CHECK_EQ_U64(wall_switch_out(w, 1, 60, 0, 500, s2, 1), 0);
    wall_mark_preempted(w, 10, true);
    CHECK(wall_switch_in(w, 20, 250, &iv)); /* closed before the end */
    wall_forget(w, 40);                     /* exited */
    CHECK_EQ_U64(wall_switch_out(w, 1, 30, 1, 350, s1, 2), 0); /* re-opened: the later one counts */

    struct closed c = {0};
    CHECK_EQ_U64(wall_close_all(w, 1000, collect, &c), 0);
    CHECK_EQ_U64(c.n, 3);
    CHECK_EQ_U64(c.iv[0].tid, 30);
    CHECK_EQ_U64(c.iv[0].start, 350);
    CHECK_EQ_U64(c.iv[0].end, 1000);
    CHECK_EQ_U64(c.iv[0].nlocs, 2);
    CHECK(c.locs[0][0] == 1 && c.locs[0][1] == 2);
    CHECK_EQ_U64(c.iv[1].tid, 10);
    CHECK_EQ_U64(c.iv[1].start, 100);
    CHECK_EQ_U64(c.iv[1].end, 1000);
    CHECK(c.iv[1].preempted);
    CHECK_EQ_U64(c.iv[1].cpu, 1);
    CHECK_EQ_U64(c.iv[2].tid, 60);
    CHECK(!c.iv[2].preempted);
    for (int i = 0; i < 3; i++)
        CHECK_EQ_U64(c.iv[i].pid, 1);

    /* Closed now: a second call and later switch-ins find nothing. */
    struct closed again = {0};
    CHECK_EQ_U64(wall_close_all(w, 5000, collect, &again), 0);
    CHECK_EQ_U64(again.n, 1); /* only tid 50, whose interval started after the first end */
    CHECK_EQ_U64(again.iv[0].tid, 50);
    CHECK_EQ_U64(again.iv[0].end - again.iv[0].start, 3000);
    CHECK(!wall_switch_in(w, 10, 6000, &iv));
    CHECK(!wall_switch_in(w, 50, 6000, &iv));

    /* An interval that starts exactly at the end is charged 0. */
    CHECK_EQ_U64(wall_switch_out(w, 1, 70, 0, 7000, s2, 1), 0);
    struct closed zero = {0};
    CHECK_EQ_U64(wall_close_all(w, 7000, collect, &zero), 0);
    CHECK_EQ_U64(zero.n, 1);
    CHECK_EQ_U64(zero.iv[0].end - zero.iv[0].start, 0);

    /* Nothing open: no calls. */
    struct closed none = {0};
    CHECK_EQ_U64(wall_close_all(w, 9000, collect, &none), 0);
    CHECK_EQ_U64(none.n, 0);
    wall_free(w);
}

/* A non-zero callback value stops wall_close_all and is returned. */
static void test_close_all_stops(void)
{
    struct wall_tracker *w = new_tracker();
    for (uint32_t t = 1; t <= 5; t++)
        CHECK_EQ_U64(wall_switch_out(w, 1, t, 0, 10 * t, NULL, 0), 0);
    struct closed c = {.stop_at = 2};
    CHECK_EQ_U64(wall_close_all(w, 100, collect, &c), 7);
    CHECK_EQ_U64(c.n, 2);
    CHECK_EQ_U64(c.iv[0].tid, 1);
    CHECK_EQ_U64(c.iv[1].tid, 2);
    /* the rest are still open */
    struct wall_interval iv;
    CHECK(wall_switch_in(w, 3, 200, &iv));
    CHECK_EQ_U64(iv.start, 30);
    struct closed rest = {0};
    CHECK_EQ_U64(wall_close_all(w, 100, collect, &rest), 0);
    CHECK_EQ_U64(rest.n, 2);
    CHECK_EQ_U64(rest.iv[0].tid, 4);
    CHECK_EQ_U64(rest.iv[1].tid, 5);
    wall_free(w);
}

/* One thread's stacks of different lengths: each interval has exactly its own stack, whether the
 * buffer grows or is reused; an empty stack is fine. */
static void test_stack_buffers(void)
{
    struct wall_tracker *w = new_tracker();
    uint32_t big[300];
    for (uint32_t i = 0; i < 300; i++)
        big[i] = 1000 + i;
    const size_t lens[] = {3, 1, 300, 2, 0, 17, 300, 5};
    int bad = 0;
    for (size_t k = 0; k < HW_ARRAY_SIZE(lens); k++) {
        uint32_t stack[300];
        for (size_t i = 0; i < lens[k]; i++)
            stack[i] = (uint32_t)(k * 10000 + i);
        /* another thread in between, with the big stack, so buffers are not shared */
        if (wall_switch_out(w, 1, 2, 0, k * 100, lens[k] ? stack : NULL, lens[k]) < 0 ||
            wall_switch_out(w, 1, 3, 0, k * 100, big, 300 - lens[k]) < 0)
            bad++;
        struct wall_interval iv;
        if (!wall_switch_in(w, 2, k * 100 + 50, &iv) || iv.nlocs != lens[k])
            bad++;
        for (size_t i = 0; i < iv.nlocs; i++)
            bad += iv.locs[i] != (uint32_t)(k * 10000 + i);
        if (!wall_switch_in(w, 3, k * 100 + 60, &iv) || iv.nlocs != 300 - lens[k])
            bad++;
        for (size_t i = 0; i < iv.nlocs; i++)
            bad += iv.locs[i] != 1000 + i;
    }
    CHECK_EQ_U64(bad, 0);
    wall_free(w);
}

/* Many threads (the tid map grows and the thread array moves): every interval stays its own. */
static void test_many_threads(void)
{
    struct wall_tracker *w = new_tracker();
    int bad = 0;
    for (uint32_t t = 0; t < 5000; t++) {
        uint32_t stack[2] = {t, t + 1};
        if (wall_switch_out(w, t / 10, 100000 + t * 7, t % 4, t, stack, 1 + t % 2) < 0)
            bad++;
    }
    for (uint32_t t = 0; t < 5000; t += 2) {
        struct wall_interval iv;
        if (!wall_switch_in(w, 100000 + t * 7, t + 1000, &iv) || iv.tid != 100000 + t * 7 ||
            iv.pid != t / 10 || iv.cpu != t % 4 || iv.start != t || iv.end != t + 1000 ||
            iv.nlocs != 1 + t % 2 || iv.locs[0] != t)
            bad++;
    }
    struct closed c = {0};
    CHECK_EQ_U64(wall_close_all(w, 1000000, collect, &c), 0);
    CHECK_EQ_U64(c.n, 2500); /* the odd ones */
    CHECK_EQ_U64(c.iv[0].tid, 100000 + 1 * 7);
    CHECK_EQ_U64(c.iv[15].tid, 100000 + 31 * 7);
    CHECK_EQ_U64(c.iv[15].nlocs, 2);
    CHECK(c.locs[15][0] == 31 && c.locs[15][1] == 32);
    CHECK_EQ_U64(bad, 0);
    wall_free(w);
    wall_free(NULL);
}

int main(void)
{
    test_out_in();
    test_in_without_out();
    test_out_out();
    test_forget();
    test_exit_reuse();
    test_close_all();
    test_close_all_stops();
    test_stack_buffers();
    test_many_threads();
    return check_done("test-wall");
}
