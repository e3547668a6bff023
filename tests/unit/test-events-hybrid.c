/* test-events-hybrid.c - unit tests for generic events split per core PMU on a hybrid CPU. */
#include <stdint.h>

#include <linux/perf_event.h>

#include "check.h"
#include "events.h"

/* events_hybrid_split: generic events get one copy per core PMU (a group repeated as a whole), or
 * the core PMU another member of their group names; the rest is untouched. */
static void test_split_hybrid(void)
{
    int core_cpus[] = {0, 1, 2, 3, 4, 5, 6, 7}, atom_cpus[] = {8, 9, 10, 11, 12, 13, 14, 15};
    struct pmu v[] = {
        {"software", 1, false, NULL, 0},
        {"cpu_core", 4, true, core_cpus, 8},
        {"cpu_atom", 10, true, atom_cpus, 8},
    };
    struct pmu_set pmus = {"", v, 3};
    struct event_list l;
    struct hw_err err = {{0}};
    CHECK(events_parse("cycles:u,{cycles,instructions},{cpu-clock,page-faults},cache-misses", false,
                       &l, &err) == 0);
    CHECK_EQ_U64(l.n, 6);
    if (l.n != 6) {
        events_free(&l);
        return;
    }
    /* the third group: a raw event of cpu_atom's type leads, a generic member follows it */
    struct event_list m;
    CHECK(events_parse("{cycles,instructions}", false, &m, &err) == 0);
    m.ev[0].attr.type = 10;
    m.ev[0].attr.config = 0xc0;
    CHECK(events_hybrid_split(&m, &pmus, &err) == 0);
    CHECK_EQ_U64(m.n, 2);
    CHECK_EQ_U64(m.ev[1].attr.config, (10ULL << 32) | PERF_COUNT_HW_INSTRUCTIONS);
    CHECK_STR(m.ev[1].name, "cpu_atom/instructions/");
    CHECK(m.ev[0].leader && !m.ev[1].leader && m.ev[0].group == m.ev[1].group);
    events_free(&m);

    CHECK(events_hybrid_split(&l, &pmus, &err) == 0);
    CHECK_EQ_U64(l.n, 10);
    if (l.n == 10) {
        const char *names[] = {"cpu_core/cycles/u",
                               "cpu_atom/cycles/u",
                               "cpu_core/cycles/",
                               "cpu_core/instructions/",
                               "cpu_atom/cycles/",
                               "cpu_atom/instructions/",
                               "cpu-clock",
                               "page-faults",
                               "cpu_core/cache-misses/",
                               "cpu_atom/cache-misses/"};
        for (size_t i = 0; i < 10; i++)
            CHECK_STR(l.ev[i].name, names[i]);
        CHECK_EQ_U64(l.ev[0].attr.config, 4ULL << 32);
        CHECK_EQ_U64(l.ev[1].attr.config, 10ULL << 32);
        CHECK(l.ev[0].attr.exclude_kernel && l.ev[1].attr.exclude_kernel); /* modifiers kept */
        /* the two copies of the group are two groups */
        CHECK(l.ev[2].leader && !l.ev[3].leader && l.ev[4].leader && !l.ev[5].leader);
        CHECK(l.ev[2].group == l.ev[3].group && l.ev[4].group == l.ev[5].group);
        CHECK(l.ev[2].group != l.ev[4].group && l.ev[4].group >= 0);
        CHECK(l.ev[6].group != l.ev[2].group && l.ev[6].group != l.ev[4].group);
        CHECK(l.ev[0].group == -1 && l.ev[8].group == -1);
        CHECK_EQ_U64(l.ev[6].attr.config, PERF_COUNT_SW_CPU_CLOCK); /* software: untouched */
        CHECK_EQ_U64(l.ev[9].attr.config, (10ULL << 32) | PERF_COUNT_HW_CACHE_MISSES);
    }
    events_free(&l);

    /* one core PMU (or none): nothing changes */
    struct pmu_set one = {"", v, 2};
    CHECK(events_parse("cycles", false, &l, &err) == 0);
    CHECK(events_hybrid_split(&l, &one, &err) == 0);
    CHECK_EQ_U64(l.n, 1);
    CHECK_STR(l.ev[0].name, "cycles");
    CHECK_EQ_U64(l.ev[0].attr.config, 0);
    events_free(&l);
}

int main(void)
{
    test_split_hybrid();
    return check_done("test-events-hybrid");
}
