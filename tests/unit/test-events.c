/* test-events.c - unit tests for event lists: names, libpfm4, groups, errors, fallback, listing. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/perf_event.h>

#include "check.h"
#include "events.h"
#include "values.h"

#define HW_CACHE(cache, op, result) ((cache) | ((op) << 8) | ((result) << 16))

/* What perf means by each generic name (perf list, perf_event_open(2)). */
static const struct {
    const char *name;
    uint32_t type;
    uint64_t config;
} generic_expect[] = {
    {"cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
    {"cpu-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
    {"instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
    {"cache-references", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES},
    {"cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES},
    {"branch-instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS},
    {"branches", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS},
    {"branch-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES},
    {"bus-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BUS_CYCLES},
    {"stalled-cycles-frontend", PERF_TYPE_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_FRONTEND},
    {"stalled-cycles-backend", PERF_TYPE_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_BACKEND},
    {"ref-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES},
    {"cpu-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK},
    {"task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK},
    {"page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS},
    {"faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS},
    {"minor-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN},
    {"major-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ},
    {"context-switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES},
    {"cs", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES},
    {"cpu-migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS},
    {"migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS},
    {"alignment-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_ALIGNMENT_FAULTS},
    {"emulation-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_EMULATION_FAULTS},
    {"L1-dcache-loads", PERF_TYPE_HW_CACHE,
     HW_CACHE(PERF_COUNT_HW_CACHE_L1D, PERF_COUNT_HW_CACHE_OP_READ,
              PERF_COUNT_HW_CACHE_RESULT_ACCESS)},
    {"L1-dcache-load-misses", PERF_TYPE_HW_CACHE,
     HW_CACHE(PERF_COUNT_HW_CACHE_L1D, PERF_COUNT_HW_CACHE_OP_READ,
              PERF_COUNT_HW_CACHE_RESULT_MISS)},
    {"L1-dcache-stores", PERF_TYPE_HW_CACHE,
     HW_CACHE(PERF_COUNT_HW_CACHE_L1D, PERF_COUNT_HW_CACHE_OP_WRITE,
              PERF_COUNT_HW_CACHE_RESULT_ACCESS)},
    {"L1-icache-load-misses", PERF_TYPE_HW_CACHE,
     HW_CACHE(PERF_COUNT_HW_CACHE_L1I, PERF_COUNT_HW_CACHE_OP_READ,
              PERF_COUNT_HW_CACHE_RESULT_MISS)},
    {"LLC-loads", PERF_TYPE_HW_CACHE,
     HW_CACHE(PERF_COUNT_HW_CACHE_LL, PERF_COUNT_HW_CACHE_OP_READ,
              PERF_COUNT_HW_CACHE_RESULT_ACCESS)},
    {"LLC-load-misses", PERF_TYPE_HW_CACHE,
     HW_CACHE(PERF_COUNT_HW_CACHE_LL, PERF_COUNT_HW_CACHE_OP_READ,
              PERF_COUNT_HW_CACHE_RESULT_MISS)},
    {"LLC-stores", PERF_TYPE_HW_CACHE,
     HW_CACHE(PERF_COUNT_HW_CACHE_LL, PERF_COUNT_HW_CACHE_OP_WRITE,
              PERF_COUNT_HW_CACHE_RESULT_ACCESS)},
    {"dTLB-loads", PERF_TYPE_HW_CACHE,
     HW_CACHE(PERF_COUNT_HW_CACHE_DTLB, PERF_COUNT_HW_CACHE_OP_READ,
              PERF_COUNT_HW_CACHE_RESULT_ACCESS)},
    {"dTLB-load-misses", PERF_TYPE_HW_CACHE,
     HW_CACHE(PERF_COUNT_HW_CACHE_DTLB, PERF_COUNT_HW_CACHE_OP_READ,
              PERF_COUNT_HW_CACHE_RESULT_MISS)},
    {"iTLB-load-misses", PERF_TYPE_HW_CACHE,
     HW_CACHE(PERF_COUNT_HW_CACHE_ITLB, PERF_COUNT_HW_CACHE_OP_READ,
              PERF_COUNT_HW_CACHE_RESULT_MISS)},
    {"branch-loads", PERF_TYPE_HW_CACHE,
     HW_CACHE(PERF_COUNT_HW_CACHE_BPU, PERF_COUNT_HW_CACHE_OP_READ,
              PERF_COUNT_HW_CACHE_RESULT_ACCESS)},
    {"branch-load-misses", PERF_TYPE_HW_CACHE,
     HW_CACHE(PERF_COUNT_HW_CACHE_BPU, PERF_COUNT_HW_CACHE_OP_READ,
              PERF_COUNT_HW_CACHE_RESULT_MISS)},
};

/* Parses spec expecting exactly one event; copies its attr (and plm_explicit). Returns success. */
static bool parse_one(const char *spec, bool kernel_default, struct perf_event_attr *attr,
                      bool *plm_explicit)
{
    struct event_list l;
    struct hw_err err = {{0}};
    if (events_parse(spec, kernel_default, &l, &err) < 0) {
        fprintf(stderr, "parse '%s' failed: %s\n", spec, err.msg);
        return false;
    }
    bool ok = l.n == 1;
    if (ok) {
        *attr = l.ev[0].attr;
        if (plm_explicit)
            *plm_explicit = l.ev[0].plm_explicit;
    }
    events_free(&l);
    return ok;
}

/* Parses spec expecting a clean one-line error in err. Returns whether it failed that way. */
static bool parse_fails(const char *spec, struct hw_err *err)
{
    struct event_list l = {(struct event *)1, 99}; /* must be reset by events_parse */
    memset(err, 0, sizeof(*err));
    int rc = events_parse(spec, true, &l, err);
    bool failed = rc == -1 && l.ev == NULL && l.n == 0 && err->msg[0] != '\0';
    if (rc == 0)
        events_free(&l);
    if (strchr(err->msg, '\n'))
        failed = false; /* messages are one line */
    return failed;
}

static void test_init(void)
{
    struct hw_err err = {{0}};
    CHECK(events_init(&err) == 0);
    CHECK(events_init(&err) == 0); /* idempotent */
}

static void test_generic_names(void)
{
    for (size_t i = 0; i < sizeof(generic_expect) / sizeof(generic_expect[0]); i++) {
        struct perf_event_attr a;
        bool ok = parse_one(generic_expect[i].name, true, &a, NULL);
        CHECK(ok);
        if (!ok)
            continue;
        if (a.type != generic_expect[i].type || a.config != generic_expect[i].config)
            fprintf(stderr, "generic name %s\n", generic_expect[i].name);
        CHECK_EQ_U64(a.type, generic_expect[i].type);
        CHECK_EQ_U64(a.config, generic_expect[i].config);
        CHECK_EQ_U64(a.size, sizeof(struct perf_event_attr));
        CHECK_EQ_U64(a.exclude_user, 0);
        CHECK_EQ_U64(a.exclude_kernel, 0);
    }
    /* pmu-qualified and case-insensitive forms */
    struct perf_event_attr a;
    CHECK(parse_one("perf::cpu-clock", true, &a, NULL));
    CHECK_EQ_U64(a.type, PERF_TYPE_SOFTWARE);
    CHECK_EQ_U64(a.config, PERF_COUNT_SW_CPU_CLOCK);
    CHECK(parse_one("CYCLES", true, &a, NULL));
    CHECK_EQ_U64(a.type, PERF_TYPE_HARDWARE);
    CHECK_EQ_U64(a.config, PERF_COUNT_HW_CPU_CYCLES);
}

static void test_name_and_fqname(void)
{
    struct event_list l;
    struct hw_err err = {{0}};
    CHECK(events_parse("  cycles:u  ", true, &l, &err) == 0);
    CHECK_EQ_U64(l.n, 1);
    if (l.n == 1) {
        CHECK_STR(l.ev[0].name, "cycles:u");
        CHECK(strncmp(l.ev[0].fqname, "perf::PERF_COUNT_HW_CPU_CYCLES", 30) == 0);
        CHECK(strstr(l.ev[0].fqname, "k=0") != NULL);
    }
    events_free(&l);
    CHECK(l.ev == NULL && l.n == 0);

    /* an alias libpfm4 lacks keeps modifiers and gets its own fqname */
    CHECK(events_parse("alignment-faults:k", false, &l, &err) == 0);
    if (l.n == 1) {
        CHECK_EQ_U64(l.ev[0].attr.config, PERF_COUNT_SW_ALIGNMENT_FAULTS);
        CHECK_EQ_U64(l.ev[0].attr.exclude_user, 1);
        CHECK_EQ_U64(l.ev[0].attr.exclude_kernel, 0);
        CHECK(strstr(l.ev[0].fqname, "ALIGNMENT_FAULTS") != NULL);
    }
    events_free(&l);
}

static void test_modifiers(void)
{
    struct perf_event_attr a;
    bool plm = true;

    /* no modifier: kernel_default decides exclude_kernel */
    CHECK(parse_one("cycles", false, &a, &plm));
    CHECK(!plm);
    CHECK_EQ_U64(a.exclude_user, 0);
    CHECK_EQ_U64(a.exclude_kernel, 1);
    CHECK(parse_one("cycles", true, &a, &plm));
    CHECK(!plm);
    CHECK_EQ_U64(a.exclude_user, 0);
    CHECK_EQ_U64(a.exclude_kernel, 0);
    CHECK(parse_one("cpu-clock", false, &a, &plm));
    CHECK_EQ_U64(a.exclude_kernel, 1);
    CHECK(parse_one("L1-dcache-load-misses", false, &a, &plm));
    CHECK_EQ_U64(a.exclude_kernel, 1);
    CHECK_EQ_U64(a.config, 0x10000);

    /* explicit privilege modifiers win over kernel_default */
    CHECK(parse_one("cycles:u", true, &a, &plm));
    CHECK(plm);
    CHECK_EQ_U64(a.exclude_user, 0);
    CHECK_EQ_U64(a.exclude_kernel, 1);
    CHECK(parse_one("cycles:k", false, &a, &plm));
    CHECK(plm);
    CHECK_EQ_U64(a.exclude_user, 1);
    CHECK_EQ_U64(a.exclude_kernel, 0);
    CHECK(parse_one("cpu-clock:u=1", true, &a, &plm));
    CHECK(plm);
    CHECK_EQ_U64(a.exclude_kernel, 1);
    CHECK(parse_one("LLC-loads:K", false, &a, &plm));
    CHECK(plm);
    CHECK_EQ_U64(a.exclude_user, 1);
    CHECK_EQ_U64(a.exclude_kernel, 0);
    CHECK_EQ_U64(a.type, PERF_TYPE_HW_CACHE);

    /* non-privilege modifiers are not plm_explicit */
    CHECK(parse_one("cycles:period=1000", false, &a, &plm));
    CHECK(!plm);
    CHECK_EQ_U64(a.sample_period, 1000);
    CHECK_EQ_U64(a.freq, 0);
    CHECK_EQ_U64(a.exclude_kernel, 1);
    CHECK(parse_one("cpu-clock:freq=99", true, &a, &plm));
    CHECK(!plm);
    CHECK_EQ_U64(a.freq, 1);
    CHECK_EQ_U64(a.sample_freq, 99);
    CHECK(parse_one("cycles:precise=1:u", true, &a, &plm));
    CHECK(plm);
    CHECK_EQ_U64(a.precise_ip, 1);
}

/* perf's modifier letters, in any combination, on generic names (no libpfm4 involved). */
static void test_perf_letters(void)
{
    struct perf_event_attr a;
    bool plm = false;
    struct event_list l;
    struct hw_err err = {{0}};

    CHECK(parse_one("cycles:uk", false, &a, &plm));
    CHECK(plm && !a.exclude_user && !a.exclude_kernel && a.exclude_hv);
    CHECK(parse_one("cycles:k", true, &a, &plm));
    CHECK(plm && a.exclude_user && !a.exclude_kernel);
    CHECK(parse_one("cycles:h", true, &a, &plm));
    CHECK(a.exclude_user && a.exclude_kernel && !a.exclude_hv);
    CHECK(parse_one("cycles:ppp", false, &a, &plm));
    CHECK(!plm && a.precise_ip == 3 && a.exclude_kernel && a.exclude_guest);
    CHECK(parse_one("cycles:upp", true, &a, &plm));
    CHECK(plm && a.precise_ip == 2 && a.exclude_kernel && !a.exclude_user);
    CHECK(parse_one("cycles:pu:period=5000", true, &a, &plm));
    CHECK(a.precise_ip == 1 && a.exclude_kernel && a.sample_period == 5000 && !a.freq);
    CHECK(parse_one("cpu-clock:ppp", true, &a, &plm)); /* perf takes precise on any event */
    CHECK_EQ_U64(a.precise_ip, 3);
    CHECK_EQ_U64(a.type, PERF_TYPE_SOFTWARE);
    CHECK(parse_one("cycles:G", true, &a, &plm));
    CHECK(!a.exclude_guest && a.exclude_host);
    CHECK(parse_one("cycles:H", true, &a, &plm));
    CHECK(a.exclude_guest && !a.exclude_host);
    CHECK(parse_one("cycles:GH", true, &a, &plm));
    CHECK(!a.exclude_guest && !a.exclude_host);
    CHECK(parse_one("cycles:Hp", true, &a, &plm));
    CHECK(a.exclude_guest && !a.exclude_host && a.precise_ip == 1);
    CHECK(parse_one("cycles", true, &a, &plm)); /* perf's default: guest time not excluded */
    CHECK(!a.exclude_guest && !a.exclude_host && !a.precise_ip);
    CHECK(parse_one("cycles:I", true, &a, &plm));
    CHECK(a.exclude_idle);
    CHECK(parse_one("instructions:D", true, &a, &plm));
    CHECK(a.pinned);

    CHECK(events_parse("cycles:P,cycles:S,cycles:u:k", false, &l, &err) == 0);
    CHECK_EQ_U64(l.n, 3);
    if (l.n == 3) {
        CHECK(l.ev[0].precise_max && l.ev[0].attr.precise_ip == 3);
        CHECK(!l.ev[1].precise_max && l.ev[1].sample_read);
        CHECK(!l.ev[2].attr.exclude_user && !l.ev[2].attr.exclude_kernel);
        CHECK(strstr(l.ev[0].fqname, "precise=3") != NULL);
    }
    events_free(&l);

    CHECK(parse_fails("cycles:pppp", &err));
    CHECK(strstr(err.msg, "precise level 4") != NULL);
    CHECK(parse_fails("cycles:u=0", &err));
    CHECK(strstr(err.msg, "every privilege level") != NULL);
    CHECK(parse_fails("cycles:ux", &err));
    CHECK(strstr(err.msg, "invalid modifier in 'cycles:ux'") && strstr(err.msg, "'ux'"));
    CHECK(parse_fails("cycles:period=1:freq=2", &err));
    CHECK(strstr(err.msg, "both") != NULL);
    CHECK(parse_fails("cycles:period=0", &err));
    CHECK(parse_fails("cycles:", &err));
}

static void test_groups(void)
{
    struct event_list l;
    struct hw_err err = {{0}};
    CHECK(events_parse("{cpu-clock,page-faults},cycles", true, &l, &err) == 0);
    CHECK_EQ_U64(l.n, 3);
    if (l.n == 3) {
        CHECK_STR(l.ev[0].name, "cpu-clock");
        CHECK_STR(l.ev[1].name, "page-faults");
        CHECK_STR(l.ev[2].name, "cycles");
        CHECK_EQ_U64(l.ev[0].group, 0);
        CHECK_EQ_U64(l.ev[1].group, 0);
        CHECK(l.ev[2].group == -1);
        CHECK(l.ev[0].leader);
        CHECK(!l.ev[1].leader);
        CHECK(l.ev[2].leader);
        CHECK_EQ_U64(l.ev[1].attr.config, PERF_COUNT_SW_PAGE_FAULTS);
    }
    events_free(&l);

    /* two groups, whitespace, a group of one, a lone event between */
    CHECK(events_parse(" { task-clock , cs:u } , faults ,{ cycles } ", false, &l, &err) == 0);
    CHECK_EQ_U64(l.n, 4);
    if (l.n == 4) {
        CHECK_STR(l.ev[1].name, "cs:u");
        CHECK_EQ_U64(l.ev[0].group, 0);
        CHECK_EQ_U64(l.ev[1].group, 0);
        CHECK(l.ev[2].group == -1);
        CHECK_EQ_U64(l.ev[3].group, 1);
        CHECK(l.ev[0].leader && !l.ev[1].leader && l.ev[2].leader && l.ev[3].leader);
        CHECK(l.ev[1].plm_explicit);
        CHECK(!l.ev[0].plm_explicit);
    }
    events_free(&l);
}

static void test_errors(void)
{
    struct hw_err err;

    CHECK(parse_fails("cyclez", &err));
    CHECK(strstr(err.msg, "unknown event 'cyclez'") != NULL);
    CHECK(strstr(err.msg, "did you mean") != NULL);
    CHECK(strstr(err.msg, "cycles") != NULL);
    CHECK(strstr(err.msg, "hwprof list") != NULL);

    CHECK(parse_fails("cpu-clok", &err));
    CHECK(strstr(err.msg, "cpu-clock") != NULL);

    CHECK(parse_fails("cpu-clock,instrucions:u", &err));
    CHECK(strstr(err.msg, "'instrucions:u'") != NULL);
    CHECK(strstr(err.msg, "instructions") != NULL);

    /* (tracepoints depend on tracefs: see test_tracepoints, with a fake one) */

    CHECK(parse_fails("cycles:zz", &err));
    CHECK(strstr(err.msg, "invalid modifier in 'cycles:zz'") != NULL);
    CHECK(parse_fails("cpu-clock:precise=5", &err));
    CHECK(strstr(err.msg, "precise level") != NULL);
    CHECK(parse_fails("cycles:period=abc", &err));
    CHECK(parse_fails("cycles:cpu=1", &err));
    CHECK(strstr(err.msg, "cpu=") != NULL);

    CHECK(parse_fails("{cpu-clock,page-faults", &err));
    CHECK(strstr(err.msg, "unbalanced") != NULL);
    CHECK(parse_fails("{a,b", &err)); /* syntax is checked before names */
    CHECK(strstr(err.msg, "unbalanced") != NULL);
    CHECK(parse_fails("cpu-clock}", &err));
    CHECK(strstr(err.msg, "unbalanced") != NULL);
    CHECK(parse_fails("{cpu-clock}}", &err));
    CHECK(strstr(err.msg, "unbalanced") != NULL);

    CHECK(parse_fails("{cpu-clock,{page-faults}}", &err));
    CHECK(strstr(err.msg, "nested") != NULL);
    CHECK(parse_fails("{a,{b}}", &err));
    CHECK(strstr(err.msg, "nested") != NULL);

    CHECK(parse_fails("", &err));
    CHECK(strstr(err.msg, "empty") != NULL);
    CHECK(parse_fails("   ", &err));
    CHECK(strstr(err.msg, "empty") != NULL);
    CHECK(parse_fails("a,,b", &err));
    CHECK(strstr(err.msg, "empty event name in 'a,,b'") != NULL);
    CHECK(parse_fails("cpu-clock,", &err));
    CHECK(strstr(err.msg, "empty event name") != NULL);
    CHECK(parse_fails("{cpu-clock,}", &err));
    CHECK(strstr(err.msg, "empty event name") != NULL);
    CHECK(parse_fails("{ },cycles", &err));
    CHECK(strstr(err.msg, "empty group") != NULL);
    CHECK(parse_fails("{cycles}cs", &err));
    CHECK(parse_fails("cycles{cs}", &err));
}

static void test_is_hardware(void)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof(a));
    a.type = PERF_TYPE_HARDWARE;
    CHECK(events_is_hardware(&a));
    a.type = PERF_TYPE_HW_CACHE;
    CHECK(events_is_hardware(&a));
    a.type = PERF_TYPE_RAW;
    CHECK(events_is_hardware(&a));
    a.type = PERF_TYPE_MAX + 3; /* a dynamic PMU type from sysfs */
    CHECK(events_is_hardware(&a));
    a.type = PERF_TYPE_SOFTWARE;
    CHECK(!events_is_hardware(&a));
    a.type = PERF_TYPE_TRACEPOINT;
    CHECK(!events_is_hardware(&a));
    a.type = PERF_TYPE_BREAKPOINT;
    CHECK(!events_is_hardware(&a));

    struct perf_event_attr p;
    CHECK(parse_one("cache-misses", true, &p, NULL));
    CHECK(events_is_hardware(&p));
    CHECK(parse_one("cpu-clock", true, &p, NULL));
    CHECK(!events_is_hardware(&p));
}

static void test_fallback(void)
{
    struct event_list l;
    struct hw_err err = {{0}};
    CHECK(events_parse("cycles:k:period=5000,cache-misses:freq=77", false, &l, &err) == 0);
    CHECK_EQ_U64(l.n, 2);
    if (l.n != 2) {
        events_free(&l);
        return;
    }
    char *old = NULL;
    CHECK(events_fallback_cpu_clock(&l.ev[0], &old, &err) == 0);
    CHECK_STR(old, "cycles:k:period=5000");
    free(old);
    CHECK_STR(l.ev[0].name, "cpu-clock");
    CHECK_EQ_U64(l.ev[0].attr.type, PERF_TYPE_SOFTWARE);
    CHECK_EQ_U64(l.ev[0].attr.config, PERF_COUNT_SW_CPU_CLOCK);
    CHECK_EQ_U64(l.ev[0].attr.size, sizeof(struct perf_event_attr));
    CHECK_EQ_U64(l.ev[0].attr.exclude_user, 1);
    CHECK_EQ_U64(l.ev[0].attr.exclude_kernel, 0);
    CHECK_EQ_U64(l.ev[0].attr.sample_period, 5000);
    CHECK_EQ_U64(l.ev[0].attr.freq, 0);
    CHECK_EQ_U64(l.ev[0].attr.config1, 0);
    CHECK_EQ_U64(l.ev[0].attr.config2, 0);
    CHECK(strstr(l.ev[0].fqname, "CPU_CLOCK") != NULL);
    CHECK(strstr(l.ev[0].fqname, "u=0:k=1") != NULL);
    CHECK(!events_is_hardware(&l.ev[0].attr));

    CHECK(events_fallback_cpu_clock(&l.ev[1], &old, &err) == 0);
    CHECK_STR(old, "cache-misses:freq=77");
    free(old);
    CHECK_EQ_U64(l.ev[1].attr.exclude_user, 0);
    CHECK_EQ_U64(l.ev[1].attr.exclude_kernel, 1);
    CHECK_EQ_U64(l.ev[1].attr.freq, 1);
    CHECK_EQ_U64(l.ev[1].attr.sample_freq, 77);
    CHECK(strstr(l.ev[1].fqname, "freq=77") != NULL);
    events_free(&l);
}

struct list_state {
    size_t n, ngeneric;
    bool cycles, cpu_clock, pmu_cpu_clock, generic_after_pmu, bad_match, bad_attr;
    const char *pattern;
    size_t stop_after;
};

static int list_cb(const struct event_info *info, void *arg)
{
    struct list_state *st = arg;
    st->n++;
    if (info->generic) {
        st->ngeneric++;
        if (st->n != st->ngeneric)
            st->generic_after_pmu = true;
        if (strcmp(info->pmu, "generic") != 0)
            st->bad_attr = true;
    }
    if (info->generic && strcmp(info->name, "cycles") == 0) {
        st->cycles = info->attr.type == PERF_TYPE_HARDWARE &&
                     info->attr.config == PERF_COUNT_HW_CPU_CYCLES && info->attr.exclude_kernel &&
                     !info->attr.exclude_user;
    }
    if (info->generic && strcmp(info->name, "cpu-clock") == 0)
        st->cpu_clock =
            info->attr.type == PERF_TYPE_SOFTWARE && info->attr.config == PERF_COUNT_SW_CPU_CLOCK;
    if (!info->generic && strcmp(info->name, "perf::PERF_COUNT_SW_CPU_CLOCK") == 0)
        st->pmu_cpu_clock = strcmp(info->pmu, "perf") == 0 &&
                            info->attr.type == PERF_TYPE_SOFTWARE && info->desc != NULL;
    if (!info->generic && (strncmp(info->name, "perf_raw::", 10) == 0 ||
                           strstr(info->name, "::") == NULL || strchr(info->desc, '\n')))
        st->bad_attr = true;
    if (info->attr.size != sizeof(struct perf_event_attr))
        st->bad_attr = true;
    if (st->pattern && !strcasestr(info->name, st->pattern))
        st->bad_match = true;
    if (st->stop_after && st->n == st->stop_after)
        return 42;
    return 0;
}

static void test_list(void)
{
    struct hw_err err = {{0}};
    struct list_state all = {0};
    CHECK(events_list(NULL, list_cb, &all, &err) == 0);
    CHECK(all.cycles);
    CHECK(all.cpu_clock);
    CHECK(all.pmu_cpu_clock);
    CHECK(!all.generic_after_pmu);
    CHECK(!all.bad_attr);
    CHECK_EQ_U64(all.ngeneric, sizeof(generic_expect) / sizeof(generic_expect[0]));
    CHECK(all.n > all.ngeneric + 50); /* the perf PMU alone has 82 events */

    struct list_state some = {.pattern = "CLOCK"};
    CHECK(events_list("CLOCK", list_cb, &some, &err) == 0);
    CHECK(some.cpu_clock);
    CHECK(!some.cycles);
    CHECK(!some.bad_match);
    CHECK(some.n >= 4); /* cpu-clock, task-clock, perf::PERF_COUNT_SW_{CPU,TASK}_CLOCK, ... */
    CHECK(some.n < all.n);

    struct list_state none = {.pattern = "no-such-event-xyz"};
    CHECK(events_list("no-such-event-xyz", list_cb, &none, &err) == 0);
    CHECK_EQ_U64(none.n, 0);

    struct list_state stop = {.stop_after = 3};
    CHECK(events_list("", list_cb, &stop, &err) == 42);
    CHECK_EQ_U64(stop.n, 3);
}

/* Reports and profiles name a sample type after its event without the modifiers: tracepoint, raw
 * and PMU events keep their whole name (sched:sched_switch, not sched). */
static void test_type_names(void)
{
    static const char *const cases[][2] = {
        {"sched:sched_switch", "sched:sched_switch"},
        {"syscalls:sys_enter_clock_nanosleep:u", "syscalls:sys_enter_clock_nanosleep"},
        {"sched:sched_switch:period=2", "sched:sched_switch"},
        {"r1a8", "r1a8"},
        {"r1a8:ppp", "r1a8"},
        {"cpu/event=0x3c,umask=0x0/", "cpu/event=0x3c,umask=0x0/"},
        {"cpu_core/cycles/", "cpu_core/cycles/"},
        {"cycles:ppp", "cycles"},
        {"cpu-clock:uk", "cpu-clock"},
        {"skl::INST_RETIRED:ANY_P:u", "skl::INST_RETIRED:ANY_P"},
    };
    for (size_t i = 0; i < HW_ARRAY_SIZE(cases); i++) {
        char buf[256];
        values_type_name(cases[i][0], buf, sizeof(buf));
        CHECK_STR(buf, cases[i][1]);
    }
}

int main(void)
{
    test_type_names();
    test_init();
    test_generic_names();
    test_name_and_fqname();
    test_modifiers();
    test_perf_letters();
    test_groups();
    test_errors();
    test_is_hardware();
    test_fallback();
    test_list();
    return check_done("test-events");
}
