/* test-pmu.c - unit tests for pmu.c over fake sysfs trees. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/perf_event.h>

#include "check.h"
#include "faketree.h"
#include "pmu.h"

/* A hybrid Intel machine: cpu_core type 4 on CPUs 0-7, cpu_atom type 10 on 8-15, an uncore PMU
 * with a cpumask, and the software and tracepoint PMUs. */
static void build_hybrid(struct faketree *t)
{
    CHECK(faketree_pmu(t, "cpu_core", 4, "0-7", 0) == 0);
    CHECK(faketree_pmu(t, "cpu_atom", 10, "8-15", 0) == 0);
    CHECK(faketree_pmu(t, "uncore_imc_0", 14, "0", 1) == 0);
    CHECK(faketree_pmu(t, "software", 1, NULL, 0) == 0);
    CHECK(faketree_pmu(t, "tracepoint", 2, NULL, 0) == 0);
    CHECK(faketree_write(t, "sys/bus/event_source/devices/cpu_core/caps/max_precise", "3") == 0);
}

static void test_hybrid_scan(void)
{
    struct faketree t;
    CHECK(faketree_init(&t, "pmu-hybrid") == 0);
    build_hybrid(&t);
    struct pmu_set s;
    struct hw_err err = {{0}};
    CHECK(pmu_scan(t.root, &s, &err) == 0);
    CHECK_EQ_U64(s.n, 5);
    CHECK_EQ_U64(pmu_ncore(&s), 2);
    const struct pmu *core = pmu_by_name(&s, "cpu_core"), *atom = pmu_by_name(&s, "cpu_atom");
    CHECK(core && atom);
    if (!core || !atom) {
        pmu_set_free(&s);
        faketree_free(&t);
        return;
    }
    CHECK(core->core && atom->core);
    CHECK_EQ_U64(core->type, 4);
    CHECK_EQ_U64(atom->type, 10);
    CHECK_EQ_U64(core->ncpus, 8);
    CHECK_EQ_U64(atom->ncpus, 8);
    CHECK(pmu_core(&s, 0) == core && pmu_core(&s, 1) == atom); /* type order */
    CHECK(pmu_has_cpu(core, 7) && !pmu_has_cpu(core, 8));
    CHECK(pmu_has_cpu(atom, 8) && pmu_has_cpu(atom, 15) && !pmu_has_cpu(atom, 0));
    char buf[64];
    pmu_cpus_string(atom, buf, sizeof(buf));
    CHECK_STR(buf, "8-15");
    const struct pmu *imc = pmu_by_name(&s, "uncore_imc_0");
    CHECK(imc && !imc->core && imc->ncpus == 1 && pmu_has_cpu(imc, 0) && !pmu_has_cpu(imc, 1));
    const struct pmu *sw = pmu_by_name(&s, "software");
    CHECK(sw && !sw->core && !sw->cpus && pmu_has_cpu(sw, 12));

    /* which PMU an attr goes to */
    struct perf_event_attr a;
    memset(&a, 0, sizeof(a));
    a.type = PERF_TYPE_HARDWARE;
    a.config = PERF_COUNT_HW_CPU_CYCLES;
    CHECK(pmu_of_attr(&s, &a) == NULL); /* hybrid: a generic event without a PMU is ambiguous */
    a.config |= (uint64_t)10 << PERF_PMU_TYPE_SHIFT;
    CHECK(pmu_of_attr(&s, &a) == atom);
    a.type = PERF_TYPE_HW_CACHE;
    a.config = (uint64_t)4 << PERF_PMU_TYPE_SHIFT;
    CHECK(pmu_of_attr(&s, &a) == core);
    a.type = PERF_TYPE_RAW; /* 4: the type number of cpu_core */
    a.config = 0xc0;
    CHECK(pmu_of_attr(&s, &a) == core);
    a.type = 10;
    CHECK(pmu_of_attr(&s, &a) == atom);
    a.type = PERF_TYPE_SOFTWARE;
    CHECK(pmu_of_attr(&s, &a) == NULL);
    a.type = 99;
    CHECK(pmu_of_attr(&s, &a) == NULL);
    CHECK(pmu_of_attr(NULL, &a) == NULL);

    CHECK_EQ_U64(pmu_cap(&s, core, "max_precise"), 3);
    CHECK(pmu_cap(&s, atom, "max_precise") == -1);
    pmu_set_free(&s);
    faketree_free(&t);
}

static void test_plain_and_none(void)
{
    struct faketree t;
    CHECK(faketree_init(&t, "pmu-plain") == 0);
    /* A non-hybrid machine: "cpu" has no cpus file but is the core PMU; generic events go to it. */
    CHECK(faketree_pmu(&t, "cpu", 4, NULL, 0) == 0);
    CHECK(faketree_pmu(&t, "software", 1, NULL, 0) == 0);
    struct pmu_set s;
    struct hw_err err = {{0}};
    CHECK(pmu_scan(t.root, &s, &err) == 0);
    CHECK_EQ_U64(pmu_ncore(&s), 1);
    const struct pmu *cpu = pmu_by_name(&s, "cpu");
    CHECK(cpu && cpu->core && !cpu->cpus);
    struct perf_event_attr a;
    memset(&a, 0, sizeof(a));
    a.type = PERF_TYPE_HARDWARE;
    CHECK(pmu_of_attr(&s, &a) == cpu);
    char buf[64];
    pmu_cpus_string(cpu, buf, sizeof(buf));
    CHECK_STR(buf, "all CPUs");
    pmu_set_free(&s);
    faketree_free(&t);

    /* A virtual machine without a PMU (only software ones), and a tree without sysfs at all. */
    CHECK(faketree_init(&t, "pmu-none") == 0);
    CHECK(faketree_pmu(&t, "software", 1, NULL, 0) == 0);
    CHECK(faketree_pmu(&t, "msr", 9, NULL, 0) == 0);
    CHECK(pmu_scan(t.root, &s, &err) == 0);
    CHECK_EQ_U64(s.n, 2);
    CHECK_EQ_U64(pmu_ncore(&s), 0);
    CHECK(pmu_core(&s, 0) == NULL);
    a.type = PERF_TYPE_HARDWARE;
    CHECK(pmu_of_attr(&s, &a) == NULL);
    pmu_set_free(&s);
    CHECK(pmu_scan("/nonexistent-hwprof-root", &s, &err) == 0);
    CHECK_EQ_U64(s.n, 0);
    pmu_set_free(&s);

    /* a malformed type is an error naming the file */
    CHECK(faketree_write(&t, "sys/bus/event_source/devices/bad/type", "four") == 0);
    CHECK(pmu_scan(t.root, &s, &err) == -1);
    CHECK(strstr(err.msg, "bad") && strstr(err.msg, "four"));
    faketree_free(&t);
}

static void test_formats(void)
{
    struct pmu_format f;
    struct hw_err err = {{0}};
    CHECK(pmu_parse_format("config:0-7", &f, &err) == 0);
    CHECK(f.word == 0 && f.mask == 0xff && f.nbits == 8);
    CHECK(pmu_parse_format("config1:0-15", &f, &err) == 0);
    CHECK(f.word == 1 && f.mask == 0xffff);
    CHECK(pmu_parse_format("config:0-7,32-35", &f, &err) == 0);
    CHECK(f.word == 0 && f.mask == 0xf000000ffULL && f.nbits == 12);
    CHECK(pmu_parse_format("config2:63\n", &f, &err) == 0);
    CHECK(f.word == 2 && f.mask == 1ULL << 63);
    CHECK(pmu_parse_format("config:64", &f, &err) == -1);
    CHECK(pmu_parse_format("config:7-3", &f, &err) == -1);
    CHECK(pmu_parse_format("config:0-3,2", &f, &err) == -1); /* overlapping bits */
    CHECK(pmu_parse_format("cfg:0-7", &f, &err) == -1);
    CHECK(pmu_parse_format("config:", &f, &err) == -1);
    CHECK(strstr(err.msg, "config") != NULL);

    /* values fill the bits lowest first, across ranges; too wide values are refused */
    uint64_t w = 0;
    CHECK(pmu_parse_format("config:0-7,32-35", &f, &err) == 0);
    CHECK(pmu_format_apply(&f, 0x1c0, &w) == 0);
    CHECK_EQ_U64(w, 0x1000000c0ULL);
    CHECK(pmu_format_apply(&f, 0x1000, &w) == -1);
    w = 0xffff;
    CHECK(pmu_parse_format("config:8-15", &f, &err) == 0);
    CHECK(pmu_format_apply(&f, 0x1, &w) == 0);
    CHECK_EQ_U64(w, 0x1ff); /* the term's bits are replaced, the others kept */
    CHECK(pmu_parse_format("config:0-63", &f, &err) == 0);
    w = 0;
    CHECK(pmu_format_apply(&f, UINT64_MAX, &w) == 0);
    CHECK_EQ_U64(w, UINT64_MAX);

    /* from a tree: terms, aliases, the list of term names */
    struct faketree t;
    CHECK(faketree_init(&t, "pmu-format") == 0);
    CHECK(faketree_pmu(&t, "cpu", 4, NULL, 0) == 0);
    CHECK(faketree_write(&t, "sys/bus/event_source/devices/cpu/format/event", "config:0-7") == 0);
    CHECK(faketree_write(&t, "sys/bus/event_source/devices/cpu/format/umask", "config:8-15") == 0);
    CHECK(faketree_write(&t, "sys/bus/event_source/devices/cpu/format/broken", "config:x") == 0);
    CHECK(faketree_write(&t, "sys/bus/event_source/devices/cpu/events/cpu-cycles", "event=0x3c") ==
          0);
    CHECK(faketree_write(&t, "sys/bus/event_source/devices/cpu/events/mem-loads",
                         "event=0xcd,umask=0x1,ldlat=3  ") == 0);
    CHECK(faketree_write(&t, "sys/bus/event_source/devices/cpu/events/mem-loads.unit", "x") == 0);
    struct pmu_set s;
    CHECK(pmu_scan(t.root, &s, &err) == 0);
    const struct pmu *cpu = pmu_by_name(&s, "cpu");
    CHECK(cpu != NULL);
    if (cpu) {
        CHECK(pmu_format(&s, cpu, "umask", &f, &err) == 0 && f.mask == 0xff00);
        CHECK(pmu_format(&s, cpu, "cmask", &f, &err) == 1);
        CHECK(pmu_format(&s, cpu, "../type", &f, &err) == 1);
        CHECK(pmu_format(&s, cpu, "broken", &f, &err) == -1);
        CHECK(strstr(err.msg, "broken") != NULL);
        char buf[128];
        CHECK(pmu_alias(&s, cpu, "cpu-cycles", buf, sizeof(buf), &err) == 0);
        CHECK_STR(buf, "event=0x3c");
        CHECK(pmu_alias(&s, cpu, "mem-loads", buf, sizeof(buf), &err) == 0);
        CHECK_STR(buf, "event=0xcd,umask=0x1,ldlat=3");
        CHECK(pmu_alias(&s, cpu, "mem-loads.unit", buf, sizeof(buf), &err) == 1);
        CHECK(pmu_alias(&s, cpu, "no-such", buf, sizeof(buf), &err) == 1);
        CHECK(pmu_alias(&s, cpu, "mem-loads", buf, 8, &err) == -1);
        pmu_format_names(&s, cpu, buf, sizeof(buf));
        CHECK_STR(buf, "broken,event,umask");
    }
    pmu_set_free(&s);
    faketree_free(&t);
}

int main(void)
{
    test_hybrid_scan();
    test_plain_and_none();
    test_formats();
    return check_done("test-pmu");
}
