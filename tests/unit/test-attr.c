/* test-attr.c - unit tests for perf_event.c (attrs, opening per CPU, probing) and procsynth.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "events.h"
#include "fakekernel.h"
#include "perf_event.h"
#include "perf_regs.h"
#include "procsynth.h"

static void test_alone(void)
{
    struct pe_config cfg = {
        .freq = 999, .callchain = true, .enable_on_exec = true, .wakeup_bytes = 4096};
    struct perf_event_attr enc = encoded(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK), a;
    pe_build_attr(&a, &enc, &cfg, PE_ROLE_ALONE, true);
    CHECK_EQ_U64(a.size, sizeof(a));
    CHECK_EQ_U64(a.type, PERF_TYPE_SOFTWARE);
    CHECK(a.freq == 1 && a.sample_freq == 999);
    uint64_t want = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
                    PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN;
    CHECK_EQ_U64(a.sample_type, want);
    /* the times tell after the run whether the event could be scheduled */
    uint64_t times = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
    CHECK_EQ_U64(a.read_format, PERF_FORMAT_ID | times);
    CHECK(a.inherit && a.disabled && a.enable_on_exec && a.sample_id_all);
    CHECK(a.mmap && a.mmap2 && a.comm && a.comm_exec && a.task);
    CHECK(a.exclude_kernel); /* kept from the encoding */
    CHECK(a.watermark && a.wakeup_watermark == 4096);

    /* no side-band on other events, no callchain when off, a fixed period */
    cfg.callchain = false;
    cfg.period = 10000;
    cfg.enable_on_exec = false;
    pe_build_attr(&a, &enc, &cfg, PE_ROLE_ALONE, false);
    CHECK(!(a.sample_type & PERF_SAMPLE_CALLCHAIN));
    CHECK(!a.mmap && !a.comm && !a.task && !a.mmap2);
    CHECK(a.freq == 0 && a.sample_period == 10000);
    /* a fixed period: no PERF_SAMPLE_PERIOD, or software events report every event */
    CHECK(!(a.sample_type & PERF_SAMPLE_PERIOD));
    CHECK(!a.enable_on_exec);

    /* a period given as an event modifier wins over the command line */
    enc.sample_period = 777;
    pe_build_attr(&a, &enc, &cfg, PE_ROLE_ALONE, false);
    CHECK_EQ_U64(a.sample_period, 777);
}

static void test_group_roles(void)
{
    struct pe_config cfg = {.freq = 4000, .callchain = true, .enable_on_exec = true};
    struct perf_event_attr enc = encoded(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS), l, m;
    pe_build_attr(&l, &enc, &cfg, PE_ROLE_LEADER, true);
    pe_build_attr(&m, &enc, &cfg, PE_ROLE_MEMBER, false);
    CHECK(l.sample_type & PERF_SAMPLE_READ);
    CHECK(l.sample_type & PERF_SAMPLE_TID); /* inherit + SAMPLE_READ needs TID */
    uint64_t times = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
    CHECK_EQ_U64(l.read_format, PERF_FORMAT_GROUP | PERF_FORMAT_ID | times);
    CHECK_EQ_U64(m.read_format, PERF_FORMAT_GROUP | PERF_FORMAT_ID | times);
    CHECK(!(m.sample_type & PERF_SAMPLE_READ));
    CHECK(m.sample_period == 0 && m.freq == 0);
    CHECK(l.disabled && !m.disabled);
    CHECK(l.enable_on_exec && !m.enable_on_exec);
    CHECK(m.inherit);
}

static void test_trailer(void)
{
    unsigned char buf[64];
    size_t len = 0;
    uint64_t st = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
                  PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD;
    synth_trailer(buf, &len, st, 10, 11, 12, 99, 3);
    CHECK_EQ_U64(len, 8 + 8 + 8 + 8); /* tid, time, cpu, identifier */
    uint32_t u32;
    uint64_t u64;
    memcpy(&u32, buf, 4);
    CHECK_EQ_U64(u32, 10);
    memcpy(&u32, buf + 4, 4);
    CHECK_EQ_U64(u32, 11);
    memcpy(&u64, buf + 8, 8);
    CHECK_EQ_U64(u64, 12);
    memcpy(&u32, buf + 16, 4);
    CHECK_EQ_U64(u32, 3);
    memcpy(&u64, buf + 24, 8);
    CHECK_EQ_U64(u64, 99);
    len = 0;
    synth_trailer(buf, &len, PERF_SAMPLE_IP | PERF_SAMPLE_ID, 1, 2, 3, 4, 5);
    CHECK_EQ_U64(len, 8);
    memcpy(&u64, buf, 8);
    CHECK_EQ_U64(u64, 4);
}

static bool perf_refused(int e)
{
    if (getenv("HWPROF_REQUIRE_PERF") && strcmp(getenv("HWPROF_REQUIRE_PERF"), "1") == 0)
        return false;
    return e == EACCES || e == EPERM || e == ENOSYS;
}

/* Opens {cpu-clock,page-faults},cycles on this process: the group opens as one, and cycles either
 * opens (hardware PMU) or falls back to cpu-clock with one notice. */
static void test_open_live(void)
{
    struct event_list ev = {0};
    struct hw_err err;
    CHECK(events_parse("{cpu-clock,page-faults},cycles", false, &ev, &err) == 0);
    struct perf_event_attr probe = encoded(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK);
    int pe = pe_probe(&probe, NULL, NULL);
    if (pe != 0 && perf_refused(pe)) {
        printf("test-attr: the kernel refuses perf_event_open (%s); live part skipped\n",
               strerror(pe));
        events_free(&ev);
        return;
    }
    bool have_pmu = false;
    struct perf_event_attr cyc = encoded(PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES);
    have_pmu = pe_probe(&cyc, NULL, NULL) == 0;

    struct pe_config cfg = {.freq = 100, .callchain = true};
    pid_t self = getpid();
    int cpus[] = {0};
    struct pe_set set;
    struct notices ns = {0};
    int rc = pe_open(&set, &ev, &cfg, &self, 1, cpus, 1, collect, &ns, &err);
    CHECK(rc == 0);
    if (rc != 0) {
        fprintf(stderr, "pe_open: %s\n", err.msg);
        events_free(&ev);
        return;
    }
    CHECK_EQ_U64(set.nevents, 3);
    CHECK(set.attrs[0].sample_type & PERF_SAMPLE_READ);
    CHECK(!set.attrs[1].disabled);
    if (have_pmu) {
        CHECK_EQ_U64(ns.n, 0);
        CHECK_EQ_U64(set.attrs[2].type, PERF_TYPE_HARDWARE);
    } else {
        CHECK_EQ_U64(ns.n, 1);
        CHECK(strstr(ns.last, "cycles") && strstr(ns.last, "cpu-clock"));
        CHECK_EQ_U64(set.attrs[2].type, PERF_TYPE_SOFTWARE);
        CHECK_STR(set.names[2], "cpu-clock");
    }
    for (size_t e = 0; e < 3; e++) {
        CHECK(set.fds[pe_index(&set, 0, 0, e)] >= 0);
        CHECK_EQ_U64(pe_event_of_id(&set, set.ids[pe_index(&set, 0, 0, e)]), e);
    }
    CHECK(pe_event_of_id(&set, 0xdeadbeefULL) == -1);
    CHECK(pe_enable(&set, true, &err) == 0);
    CHECK(pe_enable(&set, false, &err) == 0);
    pe_close(&set);
    events_free(&ev);

    /* --no-fallback turns the missing PMU into an error naming the event */
    if (!have_pmu) {
        CHECK(events_parse("cycles", false, &ev, &err) == 0);
        cfg.no_fallback = true;
        rc = pe_open(&set, &ev, &cfg, &self, 1, cpus, 1, collect, &ns, &err);
        CHECK(rc < 0);
        CHECK(strstr(err.msg, "cycles") && strstr(err.msg, "not supported"));
        events_free(&ev);
    }

    /* two lone events that both fall back: the second is dropped, not sampled twice */
    if (!have_pmu) {
        CHECK(events_parse("cycles,cache-misses", false, &ev, &err) == 0);
        cfg.no_fallback = false;
        ns.n = 0;
        rc = pe_open(&set, &ev, &cfg, &self, 1, cpus, 1, collect, &ns, &err);
        CHECK(rc == 0);
        CHECK_EQ_U64(set.nevents, 1);
        CHECK_EQ_U64(ns.n, 2);
        CHECK(strstr(ns.last, "cache-misses") != NULL);
        if (rc == 0)
            pe_close(&set);
        events_free(&ev);
    }

    /* a frequency above the kernel's maximum is lowered to it with one notice (perf's way) */
    CHECK(events_parse("cpu-clock", false, &ev, &err) == 0);
    cfg.freq = 100000000;
    ns.n = 0;
    rc = pe_open(&set, &ev, &cfg, &self, 1, cpus, 1, collect, &ns, &err);
    CHECK(rc == 0);
    if (rc == 0) {
        CHECK(set.attrs[0].freq && set.attrs[0].sample_freq < 100000000);
        CHECK_EQ_U64(ns.n, 1);
        CHECK(strstr(ns.last, "perf_event_max_sample_rate") != NULL);
        pe_close(&set);
    }
    /* ... and refused with --strict-freq */
    cfg.strict_freq = true;
    rc = pe_open(&set, &ev, &cfg, &self, 1, cpus, 1, collect, &ns, &err);
    CHECK(rc < 0);
    CHECK(strstr(err.msg, "perf_event_max_sample_rate") != NULL);
    events_free(&ev);
}

/* --wall: context switch records on the side-band event only, CLOCK_MONOTONIC on every event, the
 * user registers and stack on sampling events with a callchain, never on group members. */
static void test_wall_fields(void)
{
    struct pe_config cfg = {.freq = 999,
                            .callchain = true,
                            .switch_records = true,
                            .monotonic_clock = true,
                            .user_stack = 512};
    struct perf_event_attr clk = encoded(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK);
    struct perf_event_attr cs = encoded(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES);
    cs.sample_period = 1; /* as record --wall encodes it */
    struct perf_event_attr a, b;
    pe_build_attr(&a, &clk, &cfg, PE_ROLE_ALONE, true);
    pe_build_attr(&b, &cs, &cfg, PE_ROLE_ALONE, false);
    CHECK(a.context_switch);
    CHECK(!b.context_switch);
    CHECK(a.use_clockid && b.use_clockid);
    CHECK_EQ_U64(a.clockid, CLOCK_MONOTONIC);
    CHECK_EQ_U64(b.clockid, CLOCK_MONOTONIC);
    uint64_t user = PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
    CHECK_EQ_U64(a.sample_type & user, user);
    CHECK_EQ_U64(b.sample_type & user, user);
    CHECK_EQ_U64(a.sample_regs_user, PERF_REGS_UNWIND_MASK);
    CHECK_EQ_U64(a.sample_stack_user, 512);
    CHECK_EQ_U64(b.sample_regs_user, PERF_REGS_UNWIND_MASK);
    CHECK_EQ_U64(b.sample_stack_user, 512);
    /* the rest is as without --wall */
    uint64_t base = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
                    PERF_SAMPLE_CPU | PERF_SAMPLE_CALLCHAIN;
    CHECK_EQ_U64(a.sample_type, base | PERF_SAMPLE_PERIOD | user);
    CHECK_EQ_U64(b.sample_type, base | user); /* a fixed period: no PERIOD */
    CHECK(b.freq == 0 && b.sample_period == 1);
    CHECK(a.mmap && a.comm && a.task && !b.mmap && !b.task);

    /* Group roles: the leader copies the user state, a member (it does not sample) does not; the
     * clock applies to both. */
    struct perf_event_attr l, m;
    pe_build_attr(&l, &clk, &cfg, PE_ROLE_LEADER, true);
    pe_build_attr(&m, &cs, &cfg, PE_ROLE_MEMBER, false);
    CHECK_EQ_U64(l.sample_type & user, user);
    CHECK_EQ_U64(l.sample_regs_user, PERF_REGS_UNWIND_MASK);
    CHECK_EQ_U64(m.sample_type & user, 0);
    CHECK_EQ_U64(m.sample_regs_user, 0);
    CHECK_EQ_U64(m.sample_stack_user, 0);
    CHECK(l.use_clockid && m.use_clockid);
    CHECK_EQ_U64(m.clockid, CLOCK_MONOTONIC);
    CHECK(l.context_switch && !m.context_switch);

    /* No callchain: no user stack either (it only repairs callchains). */
    cfg.callchain = false;
    pe_build_attr(&a, &clk, &cfg, PE_ROLE_ALONE, true);
    CHECK_EQ_U64(a.sample_type & (user | PERF_SAMPLE_CALLCHAIN), 0);
    CHECK_EQ_U64(a.sample_regs_user, 0);
    CHECK_EQ_U64(a.sample_stack_user, 0);
    CHECK(a.context_switch && a.use_clockid);

    /* Without --wall none of it, even with a side-band event. */
    struct pe_config plain = {.freq = 999, .callchain = true};
    pe_build_attr(&a, &clk, &plain, PE_ROLE_ALONE, true);
    CHECK(!a.context_switch);
    CHECK(!a.use_clockid);
    CHECK_EQ_U64(a.clockid, 0);
    CHECK_EQ_U64(a.sample_type & user, 0);
    CHECK_EQ_U64(a.sample_regs_user, 0);
    CHECK_EQ_U64(a.sample_stack_user, 0);
    /* each switch on its own */
    plain.switch_records = true;
    pe_build_attr(&a, &clk, &plain, PE_ROLE_ALONE, true);
    CHECK(a.context_switch && !a.use_clockid && !(a.sample_type & user));
    plain.switch_records = false;
    plain.monotonic_clock = true;
    pe_build_attr(&a, &clk, &plain, PE_ROLE_ALONE, true);
    CHECK(!a.context_switch && a.use_clockid && !(a.sample_type & user));
    plain.monotonic_clock = false;
    plain.user_stack = 4096;
    pe_build_attr(&a, &clk, &plain, PE_ROLE_ALONE, true);
    CHECK(!a.context_switch && !a.use_clockid);
    CHECK_EQ_U64(a.sample_type & user, user);
    CHECK_EQ_U64(a.sample_stack_user, 4096);
}

/* perf_regs_get: the value of a register from the registers of a mask, in ascending bit order. */
static void test_perf_regs_get(void)
{
    const uint64_t regs[] = {0xb9, 0x5b, 0x19}; /* bp, sp, ip for PERF_REGS_UNWIND_MASK */
    uint64_t v = 0;
    CHECK_EQ_U64(PERF_REGS_UNWIND_MASK, 0x1c0);
    CHECK(perf_regs_get(PERF_REGS_UNWIND_MASK, regs, 3, PERF_REGS_BP, &v) == 0 && v == 0xb9);
    CHECK(perf_regs_get(PERF_REGS_UNWIND_MASK, regs, 3, PERF_REGS_SP, &v) == 0 && v == 0x5b);
    CHECK(perf_regs_get(PERF_REGS_UNWIND_MASK, regs, 3, PERF_REGS_IP, &v) == 0 && v == 0x19);
    v = 42;
    CHECK(perf_regs_get(PERF_REGS_UNWIND_MASK, regs, 3, 0, &v) == -1); /* ax: not in the mask */
    CHECK(perf_regs_get(PERF_REGS_UNWIND_MASK, regs, 3, 63, &v) == -1);
    CHECK_EQ_U64(v, 42); /* untouched on failure */
    /* fewer registers than the mask has (a short sample): the missing ones are not read */
    CHECK(perf_regs_get(PERF_REGS_UNWIND_MASK, regs, 2, PERF_REGS_IP, &v) == -1);
    CHECK(perf_regs_get(PERF_REGS_UNWIND_MASK, regs, 2, PERF_REGS_SP, &v) == 0 && v == 0x5b);
    CHECK(perf_regs_get(PERF_REGS_UNWIND_MASK, regs, 0, PERF_REGS_BP, &v) == -1);
    CHECK(perf_regs_get(0, regs, 3, PERF_REGS_BP, &v) == -1);
    /* other registers in the mask shift the positions */
    const uint64_t more[] = {1, 2, 3, 4, 5};
    uint64_t mask = (1ULL << 0) | (1ULL << 5) | PERF_REGS_UNWIND_MASK;
    CHECK(perf_regs_get(mask, more, 5, PERF_REGS_BP, &v) == 0 && v == 3);
    CHECK(perf_regs_get(mask, more, 5, PERF_REGS_IP, &v) == 0 && v == 5);
    CHECK(perf_regs_get(mask, more, 5, 0, &v) == 0 && v == 1);
    /* the top bit */
    const uint64_t top[] = {7, 8};
    CHECK(perf_regs_get((1ULL << 63) | 1, top, 2, 63, &v) == 0 && v == 8);
}

/* The kernel accepts what --wall asks for: cpu-clock with switch records, CLOCK_MONOTONIC, the user
 * registers and stack, and context-switches at every switch, opened on this process. */
static void test_wall_open_live(void)
{
    struct perf_event_attr probe = encoded(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK);
    int pe = pe_probe(&probe, NULL, NULL);
    if ((pe != 0 && perf_refused(pe)) || !pe_kernel_allowed()) {
        printf("test-attr: no kernel sampling here; live --wall part skipped\n");
        return;
    }
    struct event_list ev = {0};
    struct hw_err err;
    CHECK(events_parse("cpu-clock,context-switches", true, &ev, &err) == 0);
    if (ev.n < 2) {
        events_free(&ev);
        return;
    }
    ev.ev[1].attr.sample_period = 1;
    ev.ev[1].attr.freq = 0;
    struct pe_config cfg = {.freq = 100,
                            .callchain = true,
                            .switch_records = true,
                            .monotonic_clock = true,
                            .user_stack = 512};
    pid_t self = getpid();
    int cpus[] = {0};
    struct pe_set set;
    struct notices ns = {0};
    int rc = pe_open(&set, &ev, &cfg, &self, 1, cpus, 1, collect, &ns, &err);
    CHECK(rc == 0);
    if (rc != 0) {
        fprintf(stderr, "pe_open: %s\n", err.msg);
        events_free(&ev);
        return;
    }
    CHECK_EQ_U64(set.nevents, 2);
    CHECK(set.attrs[0].context_switch && !set.attrs[1].context_switch);
    CHECK(set.attrs[0].use_clockid && set.attrs[1].use_clockid);
    CHECK(set.attrs[0].sample_type & PERF_SAMPLE_STACK_USER);
    CHECK_EQ_U64(set.attrs[1].sample_period, 1);
    CHECK_EQ_U64(set.attrs[1].freq, 0);
    CHECK_EQ_U64(ns.n, 0);
    for (size_t e = 0; e < 2; e++)
        CHECK(set.fds[pe_index(&set, 0, 0, e)] >= 0);
    pe_close(&set);
    events_free(&ev);
}

/* Hybrid CPUs: each event opens only on its PMU's CPUs, generic events are split per core PMU, a
 * dummy carries the side-band on every CPU, and nothing falls back to cpu-clock. */
static void test_hybrid_open(void)
{
    struct fake_machine m;
    fake_machine_init(&m, "attr-hybrid", hybrid_rule, 16);
    build_hybrid_tree(&m.t);
    struct pe_set set;

    /* -e cycles: two events, cpu_core/cycles/ on 0-7 and cpu_atom/cycles/ on 8-15 */
    struct event_list ev = {0};
    add_event(&ev, "cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, -1, true);
    int rc = fake_pe_open(&m, &ev, &set);
    CHECK(rc == 0);
    if (rc == 0) {
        CHECK_EQ_U64(m.ns.n, 0); /* no fallback, no notice */
        CHECK_EQ_U64(set.nevents, 3);
        CHECK(set.tracking);
        CHECK_STR(set.names[1], "cpu_core/cycles/");
        CHECK_STR(set.names[2], "cpu_atom/cycles/");
        CHECK_EQ_U64(set.attrs[0].type, PERF_TYPE_SOFTWARE);
        CHECK_EQ_U64(set.attrs[0].config, PERF_COUNT_SW_DUMMY);
        CHECK(set.attrs[0].mmap && set.attrs[0].comm && set.attrs[0].task);
        CHECK(!set.attrs[1].mmap && !set.attrs[2].mmap);
        CHECK_EQ_U64(set.attrs[1].config, (4ULL << 32) | PERF_COUNT_HW_CPU_CYCLES);
        CHECK_EQ_U64(set.attrs[2].config, (10ULL << 32) | PERF_COUNT_HW_CPU_CYCLES);
        CHECK_EQ_U64(opened_cpus(&set, 0), 0xffff);
        CHECK_EQ_U64(opened_cpus(&set, 1), 0x00ff);
        CHECK_EQ_U64(opened_cpus(&set, 2), 0xff00);
        for (int c = 0; c < 16; c++)
            CHECK(pe_buffer_fd(&set, (size_t)c) >= 0);
        pe_close(&set);
    } else {
        fprintf(stderr, "pe_open: %s\n", m.err.msg);
    }
    events_free(&ev);

    /* an E-core model event (libpfm4's adl_grt:: events have cpu_atom's type) opens on 8-15 only:
     * neither replaced by cpu-clock nor refused on the P-cores */
    add_event(&ev, "adl_grt::INST_RETIRED:ANY", 10, 0xc0, -1, true);
    add_event(&ev, "adl_glc::INST_RETIRED:ANY", PERF_TYPE_RAW, 0xc0, -1, true);
    m.k.nopen = 0;
    rc = fake_pe_open(&m, &ev, &set);
    CHECK(rc == 0);
    if (rc == 0) {
        CHECK_EQ_U64(m.ns.n, 0);
        CHECK_EQ_U64(set.nevents, 3);
        CHECK_STR(set.names[1], "adl_grt::INST_RETIRED:ANY");
        CHECK_EQ_U64(set.attrs[1].type, 10);
        CHECK_EQ_U64(opened_cpus(&set, 1), 0xff00);
        CHECK_EQ_U64(opened_cpus(&set, 2), 0x00ff);
        pe_close(&set);
    } else {
        fprintf(stderr, "pe_open: %s\n", m.err.msg);
    }
    events_free(&ev);

    /* a group of generic events is repeated per core PMU, members following their leader's CPUs */
    add_event(&ev, "cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, 0, true);
    add_event(&ev, "instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, 0, false);
    add_event(&ev, "page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, 0, false);
    rc = fake_pe_open(&m, &ev, &set);
    CHECK(rc == 0);
    if (rc == 0) {
        CHECK_EQ_U64(set.nevents, 7);
        CHECK_STR(set.names[4], "cpu_atom/cycles/");
        CHECK_STR(set.names[5], "cpu_atom/instructions/");
        CHECK_STR(set.names[6], "page-faults");
        CHECK_EQ_U64(pe_group_size(&set, 1), 3);
        CHECK_EQ_U64(pe_group_size(&set, 4), 3);
        CHECK_EQ_U64(opened_cpus(&set, 3), 0x00ff); /* page-faults of the cpu_core group */
        CHECK_EQ_U64(opened_cpus(&set, 6), 0xff00);
        pe_close(&set);
    }
    events_free(&ev);

    /* a software event first: it covers every CPU, no dummy */
    add_event(&ev, "cpu-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK, -1, true);
    add_event(&ev, "cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES, -1, true);
    rc = fake_pe_open(&m, &ev, &set);
    CHECK(rc == 0);
    if (rc == 0) {
        CHECK(!set.tracking);
        CHECK_EQ_U64(set.nevents, 3);
        CHECK_EQ_U64(opened_cpus(&set, 0), 0xffff);
        CHECK(set.attrs[0].mmap);
        pe_close(&set);
    }
    events_free(&ev);

    /* list probes an E-core event on an E-core */
    struct pmu_set pmus;
    CHECK(pmu_scan(m.t.root, &pmus, &m.err) == 0);
    struct perf_event_attr atom = encoded(10, 0xc0);
    CHECK_EQ_U64(pe_probe(&atom, &pmus, &m.sys), 0);
    CHECK_EQ_U64(m.k.log[m.k.nopen - 1].cpu, 8);
    pmu_set_free(&pmus);

    /* -C with CPUs none of which an event's PMU covers: an error naming the PMU and its CPUs */
    add_event(&ev, "adl_grt::INST_RETIRED:ANY", 10, 0xc0, -1, true);
    m.ncpus = 4;
    rc = fake_pe_open(&m, &ev, &set);
    CHECK(rc == -1);
    CHECK(strstr(m.err.msg, "cpu_atom") && strstr(m.err.msg, "8-15"));
    events_free(&ev);
    faketree_free(&m.t);
}

/* `hwprof list` probes as record samples: an event that counts but cannot sample is refused. */
static void test_probe(void)
{
    struct fake_machine m;
    fake_machine_init(&m, "attr-probe", pmu_rule, 2);
    CHECK(faketree_pmu(&m.t, "cpu", 4, NULL, 0) == 0);
    CHECK(faketree_pmu(&m.t, "software", 1, NULL, 0) == 0);
    struct pmu_set tp;
    CHECK(pmu_scan(m.t.root, &tp, &m.err) == 0);
    struct perf_event_attr r = encoded(PERF_TYPE_RAW, 0x1ff);
    CHECK_EQ_U64(pe_probe(&r, &tp, &m.sys), EOPNOTSUPP);
    r = encoded(PERF_TYPE_RAW, 0xc0);
    CHECK_EQ_U64(pe_probe(&r, &tp, &m.sys), 0);
    CHECK(m.k.log[m.k.nopen - 1].type == PERF_TYPE_RAW);
    pmu_set_free(&tp);
    faketree_free(&m.t);
}

int main(void)
{
    test_hybrid_open();
    test_probe();
    test_alone();
    test_group_roles();
    test_trailer();
    test_open_live();
    test_wall_fields();
    test_perf_regs_get();
    test_wall_open_live();
    return check_done("test-attr");
}
