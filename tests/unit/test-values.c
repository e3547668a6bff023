/* test-values.c - values: group-read deltas per (id, tid), saturated at INT64_MAX, zero when a total goes down; sample type names. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "values.h"

/* Deltas of the running totals one group member reports, per (id, tid). */
static void test_group_delta(void)
{
    struct values v;
    memset(&v, 0, sizeof(v));
    int64_t d = -1;

    CHECK(values_group_delta(&v, 7, 100, 1000, &d) == 0);
    CHECK(d == 1000); /* the first read counts from 0 */
    CHECK(values_group_delta(&v, 7, 100, 1500, &d) == 0);
    CHECK(d == 500);
    /* another thread of the same event, another event of the same thread: their own totals */
    CHECK(values_group_delta(&v, 7, 101, 300, &d) == 0);
    CHECK(d == 300);
    CHECK(values_group_delta(&v, 8, 100, 40, &d) == 0);
    CHECK(d == 40);
    CHECK(values_group_delta(&v, 7, 100, 1600, &d) == 0);
    CHECK(d == 100);
    /* a total that went down (a damaged file, a counter reset): nothing, never negative */
    CHECK(values_group_delta(&v, 7, 100, 10, &d) == 0);
    CHECK(d == 0);
    /* a jump past INT64_MAX saturates instead of wrapping negative */
    CHECK(values_group_delta(&v, 7, 100, UINT64_MAX, &d) == 0);
    CHECK(d == INT64_MAX);
    CHECK(values_group_delta(&v, 9, 1, (uint64_t)INT64_MAX + 1, &d) == 0);
    CHECK(d == INT64_MAX);
    CHECK(values_group_delta(&v, 9, 1, UINT64_MAX, &d) == 0);
    CHECK(d == INT64_MAX);
    /* many (id, tid) pairs: each keeps its own total */
    for (uint32_t t = 0; t < 5000; t++)
        CHECK(values_group_delta(&v, 11, t, 2 * (uint64_t)t + 1, &d) == 0 && d == 2 * (int64_t)t + 1);
    for (uint32_t t = 0; t < 5000; t++)
        CHECK(values_group_delta(&v, 11, t, 3 * (uint64_t)t + 1, &d) == 0 && d == (int64_t)t);
    values_free(&v);
}

static void test_type_name(void)
{
    char buf[64];
    values_type_name("cpu-clock:ppp", buf, sizeof(buf));
    CHECK_STR(buf, "cpu-clock");
    values_type_name("perf::cpu-clock:u", buf, sizeof(buf));
    CHECK_STR(buf, "perf::cpu-clock");
    values_type_name("cycles", buf, sizeof(buf));
    CHECK_STR(buf, "cycles");
}

int main(void)
{
    test_group_delta();
    test_type_name();
    return check_done("test-values");
}
