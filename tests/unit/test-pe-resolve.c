/* test-pe-resolve.c - unit tests for making events openable: fallbacks, precise, groups, rates. */
#include <stdint.h>
#include <string.h>

#include <linux/perf_event.h>

#include "check.h"
#include "events.h"
#include "fakekernel.h"
#include "perf_event.h"

/* Without any CPU PMU in sysfs, a hardware event falls back to cpu-clock with one notice. */
static void test_nopmu_fallback(void)
{
    struct fake_machine m;
    fake_machine_init(&m, "attr-nopmu", nopmu_rule, 2);
    CHECK(faketree_pmu(&m.t, "software", 1, NULL, 0) == 0);
    CHECK(faketree_pmu(&m.t, "msr", 9, NULL, 0) == 0);
    struct pe_set set;
    struct event_list ev = {0};
    add_event(&ev, "cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, -1, true);
    int rc = fake_pe_open(&m, &ev, &set);
    CHECK(rc == 0);
    if (rc == 0) {
        CHECK_EQ_U64(m.ns.n, 1);
        CHECK(strstr(m.ns.last, "cycles") && strstr(m.ns.last, "cpu-clock"));
        CHECK_EQ_U64(set.nevents, 1);
        CHECK_EQ_U64(set.attrs[0].type, PERF_TYPE_SOFTWARE);
        CHECK_EQ_U64(opened_cpus(&set, 0), 0x3);
        pe_close(&set);
    }
    events_free(&ev);
    faketree_free(&m.t);
}

/* With a CPU PMU, nothing falls back to cpu-clock: each refusal is explained by its real cause,
 * and an unsupported group member is dropped with that cause. */
static void test_pmu_errors(void)
{
    struct fake_machine m;
    fake_machine_init(&m, "attr-pmu", pmu_rule, 2);
    CHECK(faketree_pmu(&m.t, "cpu", 4, NULL, 0) == 0);
    CHECK(faketree_pmu(&m.t, "software", 1, NULL, 0) == 0);
    CHECK(faketree_write(&m.t, "sys/bus/event_source/devices/cpu/caps/max_precise", "2") == 0);
    struct pe_set set;
    struct event_list ev = {0};

    add_event(&ev, "ref-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES, -1, true);
    CHECK(fake_pe_open(&m, &ev, &set) == -1);
    CHECK(strstr(m.err.msg, "ref-cycles") && strstr(m.err.msg, "maps") &&
          !strstr(m.err.msg, "no hardware PMU"));
    CHECK_EQ_U64(m.ns.n, 0);
    events_free(&ev);

    add_event(&ev, "cycles:ppp", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, -1, true);
    ev.ev[0].attr.precise_ip = 3;
    CHECK(fake_pe_open(&m, &ev, &set) == -1);
    CHECK(strstr(m.err.msg, "precise level 3") && strstr(m.err.msg, "at most 2"));
    CHECK_EQ_U64(m.ns.n, 0);
    events_free(&ev);

    /* :P: the highest level the PMU opens, silently */
    add_event(&ev, "cycles:P", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, -1, true);
    ev.ev[0].attr.precise_ip = 3;
    ev.ev[0].precise_max = true;
    CHECK(fake_pe_open(&m, &ev, &set) == 0);
    CHECK_EQ_U64(set.attrs[0].precise_ip, 2);
    CHECK_EQ_U64(m.ns.n, 0);
    pe_close(&set);
    events_free(&ev);

    add_event(&ev, "r1ff", PERF_TYPE_RAW, 0x1ff, -1, true);
    CHECK(fake_pe_open(&m, &ev, &set) == -1);
    CHECK(strstr(m.err.msg, "cannot sample 'r1ff'") && strstr(m.err.msg, "hwprof stat"));
    events_free(&ev);

    /* a member the PMU cannot count is dropped, saying why; --no-fallback makes it an error */
    add_event(&ev, "cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, 0, true);
    add_event(&ev, "ref-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES, 0, false);
    int rc = fake_pe_open(&m, &ev, &set);
    CHECK(rc == 0);
    if (rc == 0) {
        CHECK_EQ_U64(set.nevents, 1);
        CHECK_EQ_U64(set.attrs[0].type, PERF_TYPE_HARDWARE);
        CHECK_EQ_U64(m.ns.n, 1);
        CHECK(strstr(m.ns.last, "dropping ref-cycles") && strstr(m.ns.last, "maps"));
        pe_close(&set);
    }
    events_free(&ev);
    add_event(&ev, "cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, 0, true);
    add_event(&ev, "ref-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES, 0, false);
    m.cfg.no_fallback = true;
    CHECK(fake_pe_open(&m, &ev, &set) == -1);
    CHECK(strstr(m.err.msg, "ref-cycles") != NULL);
    events_free(&ev);

    faketree_free(&m.t);
}

/* A group that needs more counters than the PMU has: the members that do not fit are dropped with a
 * notice naming the limit (the NMI watchdog when it is on), or an error with --no-fallback. */
static void test_group_too_big(void)
{
    struct fake_machine m;
    fake_machine_init(&m, "attr-group", pmu_rule, 2);
    m.k.counters = 4;
    CHECK(faketree_pmu(&m.t, "cpu", 4, NULL, 0) == 0);
    CHECK(faketree_pmu(&m.t, "software", 1, NULL, 0) == 0);
    CHECK(faketree_write(&m.t, "proc/sys/kernel/nmi_watchdog", "1") == 0);
    struct pe_set set;
    struct event_list ev = {0};
    static const char *const names[] = {"cycles",        "instructions", "branches",
                                        "branch-misses", "cache-misses", "cache-references"};
    for (int i = 0; i < 6; i++)
        add_event(&ev, names[i], PERF_TYPE_HARDWARE, (uint64_t)i, 0, i == 0);
    add_event(&ev, "page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, 0, false);
    int rc = fake_pe_open(&m, &ev, &set);
    CHECK(rc == 0);
    if (rc == 0) {
        CHECK_EQ_U64(set.nevents, 5); /* four hardware events fit, the software one too */
        CHECK_STR(set.names[3], "branch-misses");
        CHECK_STR(set.names[4], "page-faults");
        CHECK_EQ_U64(pe_group_size(&set, 0), 5);
        CHECK_EQ_U64(m.ns.n, 2);
        CHECK(strstr(m.ns.last, "dropping cache-references") && strstr(m.ns.last, "NMI watchdog") &&
              strstr(m.ns.last, "{cycles,instructions,branches,branch-misses,cache-references,"));
        pe_close(&set);
    }
    events_free(&ev);

    CHECK(faketree_write(&m.t, "proc/sys/kernel/nmi_watchdog", "0") == 0);
    for (int i = 0; i < 6; i++)
        add_event(&ev, names[i], PERF_TYPE_HARDWARE, (uint64_t)i, 0, i == 0);
    m.cfg.no_fallback = true;
    CHECK(fake_pe_open(&m, &ev, &set) == -1);
    CHECK(strstr(m.err.msg, "6 events at once") && strstr(m.err.msg, "split the group") &&
          !strstr(m.err.msg, "watchdog"));
    events_free(&ev);
    faketree_free(&m.t);

    /* the verdict after a run, from the enabled and running times */
    char buf[512];
    CHECK(!pe_schedule_verdict(buf, sizeof(buf), "cycles", 1, 0, 0, 1)); /* never enabled */
    CHECK(!pe_schedule_verdict(buf, sizeof(buf), "cycles", 1, 1000000, 1000000, 1));
    CHECK(!pe_schedule_verdict(buf, sizeof(buf), "cycles", 1, 1000000, 999500, 1));
    CHECK(pe_schedule_verdict(buf, sizeof(buf), "group {a,b,c}", 3, 1000000, 0, 1));
    CHECK(strstr(buf, "group {a,b,c} never ran") && strstr(buf, "3 hardware counters") &&
          strstr(buf, "nmi_watchdog=0"));
    CHECK(pe_schedule_verdict(buf, sizeof(buf), "cycles", 1, 1000000, 0, 0));
    CHECK(strstr(buf, "never ran") && strstr(buf, "fewer free counters") &&
          !strstr(buf, "watchdog"));
    CHECK(pe_schedule_verdict(buf, sizeof(buf), "cycles", 1, 1000000, 370000, 0));
    CHECK(strstr(buf, "37.0%") && strstr(buf, "multiplexed") && !strchr(buf, '\n'));
    CHECK(pe_nmi_watchdog(&(struct pe_system){.root = "/nonexistent-hwprof-root"}) == -1);
}

/* An AMD kernel: precise events go to IBS, which takes cycles at levels 1-2 only and refuses guest,
 * host, idle and hypervisor exclusion, and privilege filtering without swfilt in config2. */
static int amd_rule(const struct perf_event_attr *a, int cpu, int group_fd)
{
    (void)cpu;
    (void)group_fd;
    if (a->type == PERF_TYPE_SOFTWARE)
        return 0;
    if (!a->precise_ip)
        return a->type == PERF_TYPE_HARDWARE || a->type == PERF_TYPE_RAW ? 0 : ENOENT;
    if (a->precise_ip > 2 || a->type != PERF_TYPE_HARDWARE || a->config != PERF_COUNT_HW_CPU_CYCLES)
        return EOPNOTSUPP;
    if (a->exclude_guest || a->exclude_host || a->exclude_idle)
        return EINVAL;
    if (!(a->config2 & 1) && (a->exclude_user || a->exclude_kernel || a->exclude_hv))
        return EINVAL;
    return 0;
}

static void test_amd_precise(void)
{
    /* the exclusion bits of the encoding are kept, :h included */
    struct pe_config plain = {.freq = 999};
    struct perf_event_attr enc = encoded(PERF_TYPE_HARDWARE, 0), a;
    enc.exclude_hv = 0;
    pe_build_attr(&a, &enc, &plain, PE_ROLE_ALONE, false);
    CHECK_EQ_U64(a.exclude_hv, 0);
    enc.exclude_hv = 1;
    enc.exclude_guest = 1;
    pe_build_attr(&a, &enc, &plain, PE_ROLE_ALONE, false);
    CHECK(a.exclude_hv && a.exclude_guest);

    struct fake_machine m;
    fake_machine_init(&m, "attr-amd", amd_rule, 2);
    CHECK(faketree_pmu(&m.t, "cpu", 4, NULL, 0) == 0);
    CHECK(faketree_pmu(&m.t, "ibs_op", 11, "0-1", 1) == 0);
    CHECK(faketree_pmu(&m.t, "software", 1, NULL, 0) == 0);
    CHECK(faketree_write(&m.t, "proc/cpuinfo", "processor\t: 0\nvendor_id\t: AuthenticAMD\n") == 0);
    CHECK(pe_cpu_is_amd(&m.sys));
    struct pe_set set;
    struct event_list ev = {0};

    /* cycles:ppp as root, with libpfm4's exclude_guest and exclude_hv: level 2, exclusions cleared
     */
    add_event(&ev, "cycles:ppp", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, -1, true);
    ev.ev[0].attr.exclude_kernel = 0;
    ev.ev[0].attr.exclude_hv = 1;
    ev.ev[0].attr.exclude_guest = 1;
    ev.ev[0].attr.precise_ip = 3;
    int rc = fake_pe_open(&m, &ev, &set);
    CHECK(rc == 0);
    if (rc == 0) {
        CHECK_EQ_U64(set.attrs[0].precise_ip, 2);
        CHECK(!set.attrs[0].exclude_guest && !set.attrs[0].exclude_hv);
        CHECK_EQ_U64(m.ns.n, 1);
        CHECK(strstr(m.ns.last, "levels 1 and 2"));
        pe_close(&set);
    } else {
        fprintf(stderr, "pe_open: %s\n", m.err.msg);
    }
    events_free(&ev);

    /* user space only, without swfilt: precise is dropped, saying why */
    add_event(&ev, "cycles:pu", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, -1, true);
    ev.ev[0].attr.precise_ip = 1;
    m.ns.n = 0;
    rc = fake_pe_open(&m, &ev, &set);
    CHECK(rc == 0);
    if (rc == 0) {
        CHECK_EQ_U64(set.attrs[0].precise_ip, 0);
        CHECK(set.attrs[0].exclude_kernel);
        CHECK(m.ns.n == 1 && strstr(m.ns.last, "swfilt") && strstr(m.ns.last, "without precise"));
        pe_close(&set);
    }
    events_free(&ev);

    /* with swfilt (newer kernels), IBS filters in software: precise stays, config2 says so */
    CHECK(faketree_write(&m.t, "sys/bus/event_source/devices/ibs_op/format/swfilt", "config2:0") ==
          0);
    add_event(&ev, "cycles:pu", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, -1, true);
    ev.ev[0].attr.precise_ip = 1;
    m.ns.n = 0;
    rc = fake_pe_open(&m, &ev, &set);
    CHECK(rc == 0);
    if (rc == 0) {
        CHECK_EQ_U64(set.attrs[0].precise_ip, 1);
        CHECK_EQ_U64(set.attrs[0].config2, 1);
        CHECK(set.attrs[0].exclude_kernel);
        CHECK_EQ_U64(m.ns.n, 0);
        pe_close(&set);
    }
    events_free(&ev);

    /* an event IBS does not sample: precise dropped */
    add_event(&ev, "instructions:p", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, -1, true);
    ev.ev[0].attr.precise_ip = 1;
    m.ns.n = 0;
    rc = fake_pe_open(&m, &ev, &set);
    CHECK(rc == 0);
    if (rc == 0) {
        CHECK_EQ_U64(set.attrs[0].precise_ip, 0);
        CHECK(m.ns.n == 1 && strstr(m.ns.last, "cycles and micro-ops"));
        pe_close(&set);
    }
    events_free(&ev);
    faketree_free(&m.t);

    /* an AMD machine without IBS, and a non-AMD one (nothing changes there) */
    struct event x = {.name = "cycles:p"};
    x.attr = encoded(PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES);
    x.attr.precise_ip = 1;
    struct pmu_set none = {"", NULL, 0};
    m.ns.n = 0;
    pe_resolve_precise_amd(&x, &none, collect, &m.ns);
    CHECK(x.attr.precise_ip == 0 && m.ns.n == 1 && strstr(m.ns.last, "IBS"));
    CHECK(!pe_cpu_is_amd(&(struct pe_system){.root = "/nonexistent-hwprof-root"}));
}

/* A virtual machine whose kernel.perf_event_max_sample_rate is 400: a higher frequency is EINVAL.
 */
static int rate_rule(const struct perf_event_attr *a, int cpu, int group_fd)
{
    if (a->freq && a->sample_freq > 400)
        return EINVAL;
    return nopmu_rule(a, cpu, group_fd);
}

/* kernel.perf_event_max_sample_rate below the frequency (the kernel lowers it itself when sampling
 * interrupts run long): lowered with one notice, or an error with --strict-freq. */
static void test_max_rate(void)
{
    struct fake_machine m;
    fake_machine_init(&m, "attr-rate", rate_rule, 2);
    CHECK(faketree_pmu(&m.t, "software", 1, NULL, 0) == 0);
    CHECK(faketree_write(&m.t, "proc/sys/kernel/perf_event_max_sample_rate", "400") == 0);
    struct pe_set set;
    struct event_list ev = {0};
    add_event(&ev, "cpu-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK, -1, true);
    add_event(&ev, "page-faults:freq=5000", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, -1,
              true);
    ev.ev[1].attr.freq = 1;
    ev.ev[1].attr.sample_freq = 5000;
    add_event(&ev, "context-switches:period=1", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES,
              -1, true);
    ev.ev[2].attr.sample_period = 1;
    int rc = fake_pe_open(&m, &ev, &set);
    CHECK(rc == 0);
    if (rc == 0) {
        CHECK_EQ_U64(m.ns.n, 1);
        CHECK(strstr(m.ns.last, "5000 Hz") && strstr(m.ns.last, "400") &&
              strstr(m.ns.last, "--strict-freq"));
        CHECK(set.attrs[0].freq && set.attrs[0].sample_freq == 400);
        CHECK(set.attrs[1].freq && set.attrs[1].sample_freq == 400);
        CHECK(!set.attrs[2].freq && set.attrs[2].sample_period == 1); /* a period is no frequency */
        pe_close(&set);
    }
    /* below the limit nothing is said; a fixed period is not limited */
    m.ns.n = 0;
    events_free(&ev);
    add_event(&ev, "cpu-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK, -1, true);
    m.cfg.freq = 400;
    CHECK(fake_pe_open(&m, &ev, &set) == 0);
    CHECK_EQ_U64(m.ns.n, 0);
    pe_close(&set);
    m.cfg.freq = 999;
    m.cfg.period = 100000; /* 10 kHz of cpu-clock, above 400 Hz: a period is not checked */
    CHECK(fake_pe_open(&m, &ev, &set) == 0);
    CHECK_EQ_U64(m.ns.n, 0);
    pe_close(&set);
    /* a hardware event sampled with -c falls back to cpu-clock at -F: lowered to the limit */
    events_free(&ev);
    add_event(&ev, "cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES, -1, true);
    m.cfg.period = 1000;
    m.ns.n = 0;
    CHECK(fake_pe_open(&m, &ev, &set) == 0);
    CHECK(set.attrs[0].freq && set.attrs[0].sample_freq == 400);
    CHECK_EQ_U64(m.ns.n, 2); /* the fallback, the lowered frequency */
    pe_close(&set);
    events_free(&ev);
    add_event(&ev, "cpu-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK, -1, true);
    m.cfg.period = 0;
    m.cfg.strict_freq = true;
    CHECK(fake_pe_open(&m, &ev, &set) == -1);
    CHECK(strstr(m.err.msg, "999 Hz") && strstr(m.err.msg, "-F 400"));
    events_free(&ev);
    faketree_free(&m.t);
}

/* Clock samples weigh the time they cover: a hardware event sampled every N events that falls back
 * to cpu-clock samples at the frequency (N events mean nothing as a time), and a clock period below
 * the kernel's 10 us hrtimer minimum is raised to it. */
static void test_clock_weights(void)
{
    struct fake_machine m;
    fake_machine_init(&m, "attr-weights", nopmu_rule, 2);
    CHECK(faketree_pmu(&m.t, "software", 1, NULL, 0) == 0);
    m.cfg.period = 1000;
    struct pe_set set;
    struct event_list ev = {0};

    /* -e cache-misses -c 1000 */
    add_event(&ev, "cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES, -1, true);
    int rc = fake_pe_open(&m, &ev, &set);
    CHECK(rc == 0);
    if (rc == 0) {
        CHECK_EQ_U64(set.attrs[0].type, PERF_TYPE_SOFTWARE);
        CHECK(set.attrs[0].freq && set.attrs[0].sample_freq == 999);
        CHECK(set.attrs[0].sample_type & PERF_SAMPLE_PERIOD); /* each sample says its weight */
        CHECK_EQ_U64(m.ns.n, 1);
        CHECK(strstr(m.ns.last, "cpu-clock instead at 999 Hz") && strstr(m.ns.last, "1000 events"));
        pe_close(&set);
    }
    events_free(&ev);

    /* an event's own :period=, with a frequency on the command line */
    add_event(&ev, "cycles:period=5000", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, -1, true);
    ev.ev[0].attr.sample_period = 5000;
    m.cfg.period = 0;
    m.cfg.freq = 250;
    m.ns.n = 0;
    rc = fake_pe_open(&m, &ev, &set);
    CHECK(rc == 0);
    if (rc == 0) {
        CHECK(set.attrs[0].freq && set.attrs[0].sample_freq == 250);
        pe_close(&set);
    }
    events_free(&ev);

    /* a frequency stays a frequency */
    add_event(&ev, "cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, -1, true);
    m.ns.n = 0;
    rc = fake_pe_open(&m, &ev, &set);
    CHECK(rc == 0);
    if (rc == 0) {
        CHECK(set.attrs[0].freq && set.attrs[0].sample_freq == 250);
        CHECK(!strstr(m.ns.last, "meaning"));
        pe_close(&set);
    }
    events_free(&ev);

    /* -e cpu-clock -c 1000: the kernel fires every 10 us, so each sample weighs 10000 ns */
    add_event(&ev, "cpu-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK, -1, true);
    add_event(&ev, "page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, -1, true);
    m.cfg.period = 1000;
    m.ns.n = 0;
    rc = fake_pe_open(&m, &ev, &set);
    CHECK(rc == 0);
    if (rc == 0) {
        CHECK(!set.attrs[0].freq && set.attrs[0].sample_period == PE_CLOCK_MIN_PERIOD);
        CHECK_EQ_U64(set.attrs[1].sample_period, 1000); /* not a clock: untouched */
        CHECK(m.ns.n == 1 && strstr(m.ns.last, "10000 ns"));
        pe_close(&set);
    }
    events_free(&ev);
    /* -c 20000 is above the minimum: kept, nothing said */
    add_event(&ev, "task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, -1, true);
    m.cfg.period = 20000;
    m.ns.n = 0;
    CHECK(fake_pe_open(&m, &ev, &set) == 0);
    CHECK_EQ_U64(set.attrs[0].sample_period, 20000);
    CHECK_EQ_U64(m.ns.n, 0);
    pe_close(&set);
    events_free(&ev);
    faketree_free(&m.t);
}

int main(void)
{
    test_clock_weights();
    test_max_rate();
    test_amd_precise();
    test_group_too_big();
    test_pmu_errors();
    test_nopmu_fallback();
    return check_done("test-pe-resolve");
}
