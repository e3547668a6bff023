/* test-attr.c - unit tests for perf_event.c (attrs, fallback, opening) and procsynth.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "events.h"
#include "faketree.h"
#include "perf_event.h"
#include "perf_regs.h"
#include "procsynth.h"

static struct perf_event_attr encoded(uint32_t type, uint64_t config)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof(a));
    a.size = sizeof(a);
    a.type = type;
    a.config = config;
    a.exclude_kernel = 1;
    return a;
}

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

struct notices {
    int n;
    char last[512];
};

static void collect(void *arg, const char *msg)
{
    struct notices *ns = arg;
    ns->n++;
    snprintf(ns->last, sizeof(ns->last), "%s", msg);
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

static void test_errno_advice(void)
{
    struct hw_err err;
    struct perf_event_attr a = encoded(PERF_TYPE_HARDWARE, 0);
    pe_open_error(&err, EACCES, "cycles:k", &a, 1);
    CHECK(strstr(err.msg, "perf_event_paranoid") != NULL);
    pe_open_error(&err, EMFILE, "cycles", &a, 1);
    CHECK(strstr(err.msg, "ulimit -n") != NULL);
    pe_open_error(&err, ESRCH, "cycles", &a, 4242);
    CHECK(strstr(err.msg, "no such process: 4242") != NULL);
    pe_open_error(&err, ENOENT, "cycles", &a, 1);
    CHECK(strstr(err.msg, "not supported") != NULL);
}

/* A fake kernel for pe_open: decides from the attr and CPU whether an event opens, as a kernel with
 * the PMUs of a fake sysfs tree would, and logs every successful open. */
struct fake_kernel {
    int (*rule)(const struct perf_event_attr *attr, int cpu, int group_fd);
    int counters;       /* hardware counters of the fake PMU (0: no limit) */
    int in_group[1024]; /* by leader fd: hardware events in its group */
    size_t nopen;
    struct {
        uint32_t type;
        uint64_t config;
        int cpu;
        bool sideband;
    } log[1024];
    uint64_t next_id;
};

static int fake_open(void *arg, struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd,
                     uint64_t *id)
{
    struct fake_kernel *k = arg;
    (void)pid;
    int e = k->rule(attr, cpu, group_fd);
    if (e)
        return -e;
    bool hw = events_is_hardware(attr);
    if (k->counters && group_fd >= 0 && group_fd < 1024 && hw) {
        if (k->in_group[group_fd] + 1 > k->counters)
            return -EINVAL; /* the kernel's validate_group: the group cannot be scheduled */
        k->in_group[group_fd]++;
    }
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fd < 1024 && group_fd < 0)
        k->in_group[fd] = hw;
    if (k->nopen < HW_ARRAY_SIZE(k->log)) {
        k->log[k->nopen].type = attr->type;
        k->log[k->nopen].config = attr->config;
        k->log[k->nopen].cpu = cpu;
        k->log[k->nopen].sideband = attr->mmap;
        k->nopen++;
    }
    *id = ++k->next_id;
    return fd;
}

/* The PMU type an attr ends up on in the hybrid tree (the kernel's perf_init_event): the extended
 * type of a generic event, else its type; a generic event without one goes to cpu_core. */
static uint32_t hybrid_type(const struct perf_event_attr *a)
{
    if (a->type == PERF_TYPE_HARDWARE || a->type == PERF_TYPE_HW_CACHE) {
        uint32_t ext = (uint32_t)(a->config >> 32);
        return ext ? ext : 4;
    }
    return a->type;
}

/* cpu_core (type 4) counts on CPUs 0-7, cpu_atom (10) on 8-15, software events everywhere. */
static int hybrid_rule(const struct perf_event_attr *a, int cpu, int group_fd)
{
    (void)group_fd;
    uint32_t t = hybrid_type(a);
    if (t == PERF_TYPE_SOFTWARE)
        return 0;
    if (t == 4)
        return cpu >= 0 && cpu <= 7 ? 0 : ENOENT;
    if (t == 10)
        return cpu >= 8 && cpu <= 15 ? 0 : ENOENT;
    return ENOENT;
}

/* A virtual machine: software events only. */
static int nopmu_rule(const struct perf_event_attr *a, int cpu, int group_fd)
{
    (void)cpu;
    (void)group_fd;
    return a->type == PERF_TYPE_SOFTWARE ? 0 : ENOENT;
}

/* Appends an event with this encoding to l (a lone event, or a member/leader of group). */
static void add_event(struct event_list *l, const char *name, uint32_t type, uint64_t config,
                      int group, bool leader)
{
    l->ev = realloc(l->ev, (l->n + 1) * sizeof(*l->ev));
    struct event *e = &l->ev[l->n++];
    memset(e, 0, sizeof(*e));
    e->name = strdup(name);
    e->fqname = strdup(name);
    e->attr.size = sizeof(e->attr);
    e->attr.type = type;
    e->attr.config = config;
    e->attr.exclude_kernel = 1;
    e->group = group;
    e->leader = leader;
}

/* The CPUs (as a bit mask) event e of set opened on, for target 0. */
static uint32_t opened_cpus(const struct pe_set *set, size_t e)
{
    uint32_t m = 0;
    for (size_t c = 0; c < set->ncpus; c++)
        if (set->fds[pe_index(set, 0, c, e)] >= 0)
            m |= 1u << set->cpus[c];
    return m;
}

static void build_hybrid_tree(struct faketree *t)
{
    CHECK(faketree_pmu(t, "cpu_core", 4, "0-7", 0) == 0);
    CHECK(faketree_pmu(t, "cpu_atom", 10, "8-15", 0) == 0);
    CHECK(faketree_pmu(t, "software", 1, NULL, 0) == 0);
}

/* One fake machine for pe_open: a sysfs/procfs tree (the test adds its PMUs), a kernel that decides
 * with rule, the system and configuration pointing at them, and what pe_open reports. */
struct fake_machine {
    struct faketree t;
    struct fake_kernel k;
    struct pe_system sys;
    struct pe_config cfg;
    int cpus[16];
    size_t ncpus;
    pid_t pid;
    struct hw_err err;
    struct notices ns;
};

static void fake_machine_init(struct fake_machine *m, const char *name,
                              int (*rule)(const struct perf_event_attr *, int, int), size_t ncpus)
{
    memset(m, 0, sizeof(*m));
    CHECK(faketree_init(&m->t, name) == 0);
    m->k.rule = rule;
    m->sys = (struct pe_system){.root = m->t.root, .open = fake_open, .arg = &m->k};
    m->cfg = (struct pe_config){.freq = 999, .callchain = true, .sys = &m->sys};
    for (size_t c = 0; c < HW_ARRAY_SIZE(m->cpus); c++)
        m->cpus[c] = (int)c;
    m->ncpus = ncpus;
    m->pid = 4242;
}

/* pe_open of ev on the fake machine's process and CPUs. */
static int fake_pe_open(struct fake_machine *m, struct event_list *ev, struct pe_set *set)
{
    return pe_open(set, ev, &m->cfg, &m->pid, 1, m->cpus, m->ncpus, collect, &m->ns, &m->err);
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

/* A machine with a PMU (cpu, type 4, precise up to 2) that maps no ref-cycles and cannot sample
 * raw event 0x1ff: the kernel's errnos for those. */
static int pmu_rule(const struct perf_event_attr *a, int cpu, int group_fd)
{
    (void)cpu;
    (void)group_fd;
    if (a->type == PERF_TYPE_SOFTWARE)
        return 0;
    if (a->type == PERF_TYPE_HARDWARE && a->config == PERF_COUNT_HW_REF_CPU_CYCLES)
        return ENOENT;
    if (a->precise_ip > 2)
        return EOPNOTSUPP;
    if (a->type == PERF_TYPE_RAW && a->config == 0x1ff && (a->sample_period || a->freq))
        return EOPNOTSUPP;
    return a->type == PERF_TYPE_HARDWARE || a->type == PERF_TYPE_RAW ? 0 : ENOENT;
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

    /* `hwprof list` probes as record samples: an event that counts but cannot sample is refused */
    struct pmu_set tp;
    CHECK(pmu_scan(m.t.root, &tp, &m.err) == 0);
    struct perf_event_attr r = encoded(PERF_TYPE_RAW, 0x1ff);
    CHECK_EQ_U64(pe_probe(&r, &tp, &m.sys), EOPNOTSUPP);
    r = encoded(PERF_TYPE_RAW, 0xc0);
    CHECK_EQ_U64(pe_probe(&r, &tp, &m.sys), 0);
    CHECK(m.k.log[m.k.nopen - 1].type == PERF_TYPE_RAW);
    pmu_set_free(&tp);
    faketree_free(&m.t);

    /* pe_explain_error on its own: a CPU outside the event's PMU; no PMU at all */
    struct faketree h;
    CHECK(faketree_init(&h, "attr-explain") == 0);
    build_hybrid_tree(&h);
    struct pmu_set pmus;
    CHECK(pmu_scan(h.root, &pmus, &m.err) == 0);
    struct perf_event_attr a = encoded(10, 0xc0);
    pe_explain_error(&m.err, ENOENT, "adl_grt::INST_RETIRED:ANY", &a, 1, 3, &pmus);
    CHECK(strstr(m.err.msg, "cpu_atom") && strstr(m.err.msg, "8-15") && strstr(m.err.msg, "CPU 3"));
    pmu_set_free(&pmus);
    CHECK(pmu_scan("/nonexistent-hwprof-root", &pmus, &m.err) == 0);
    a = encoded(PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES);
    pe_explain_error(&m.err, ENOENT, "cycles", &a, 1, 0, &pmus);
    CHECK(strstr(m.err.msg, "no hardware PMU") != NULL);
    pmu_set_free(&pmus);
    faketree_free(&h);
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
    pe_adjust_precise_amd(&x, &none, collect, &m.ns);
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
    test_hybrid_open();
    test_clock_weights();
    test_max_rate();
    test_amd_precise();
    test_group_too_big();
    test_pmu_errors();
    test_nopmu_fallback();
    test_alone();
    test_group_roles();
    test_trailer();
    test_errno_advice();
    test_open_live();
    test_wall_fields();
    test_perf_regs_get();
    test_wall_open_live();
    return check_done("test-attr");
}
