/* test-events-perf.c - unit tests for perf's syntax: rNNNN, PMU/TERM/ (fake sysfs), tracepoints. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/perf_event.h>

#include "check.h"
#include "events.h"
#include "faketree.h"

/* Parses spec under the fake root expecting one event; copies it. Returns success. */
static bool parse_at(const char *root, const char *spec, bool kernel_default, struct event *out)
{
    struct event_list l;
    struct hw_err err = {{0}};
    if (events_parse_at(spec, kernel_default, root, &l, &err) < 0) {
        fprintf(stderr, "parse '%s' failed: %s\n", spec, err.msg);
        return false;
    }
    bool ok = l.n == 1;
    if (ok) {
        *out = l.ev[0];
        out->name = strdup(l.ev[0].name);
        out->fqname = NULL;
    }
    events_free(&l);
    return ok;
}

/* Parses spec under root expecting a one-line error. */
static bool fails_at(const char *root, const char *spec, struct hw_err *err)
{
    struct event_list l;
    memset(err, 0, sizeof(*err));
    if (events_parse_at(spec, true, root, &l, err) == 0) {
        events_free(&l);
        return false;
    }
    return err->msg[0] && !strchr(err->msg, '\n');
}

/* perf's raw events: r followed by the hexadecimal encoding. */
static void test_raw(void)
{
    struct event e;
    CHECK(parse_at(NULL, "r1a8", true, &e));
    CHECK_EQ_U64(e.attr.type, PERF_TYPE_RAW);
    CHECK_EQ_U64(e.attr.config, 0x1a8);
    CHECK_STR(e.name, "r1a8");
    free(e.name);
    CHECK(parse_at(NULL, "r01C2:up", true, &e));
    CHECK_EQ_U64(e.attr.config, 0x1c2);
    CHECK(e.attr.exclude_kernel && e.attr.precise_ip == 1 && e.plm_explicit);
    free(e.name);
    struct hw_err err;
    CHECK(fails_at(NULL, "r1g8", &err)); /* not hexadecimal: no raw event, an unknown name */
    CHECK(strstr(err.msg, "unknown event 'r1g8'") != NULL);
    CHECK(fails_at(NULL, "r1a8:zz", &err));
    CHECK(strstr(err.msg, "invalid modifier") != NULL);
}

/* perf's PMU syntax against a fake sysfs: format terms, aliases, generic names, modifiers. */
static void test_pmu_syntax(void)
{
    struct faketree t;
    CHECK(faketree_init(&t, "events-pmu") == 0);
    const char *dev = "sys/bus/event_source/devices";
    char rel[256];
    static const char *const fmt[][2] = {
        {"event", "config:0-7"}, {"umask", "config:8-15"},  {"edge", "config:18"},
        {"inv", "config:23"},    {"cmask", "config:24-31"}, {"ldlat", "config1:0-15"},
    };
    CHECK(faketree_pmu(&t, "cpu", 4, NULL, 0) == 0);
    for (size_t i = 0; i < HW_ARRAY_SIZE(fmt); i++) {
        snprintf(rel, sizeof(rel), "%s/cpu/format/%s", dev, fmt[i][0]);
        CHECK(faketree_write(&t, rel, fmt[i][1]) == 0);
    }
    snprintf(rel, sizeof(rel), "%s/cpu/events/cpu-cycles", dev);
    CHECK(faketree_write(&t, rel, "event=0x3c") == 0);
    snprintf(rel, sizeof(rel), "%s/cpu/events/mem-loads", dev);
    CHECK(faketree_write(&t, rel, "event=0xcd,umask=0x1,ldlat=3") == 0);
    CHECK(faketree_pmu(&t, "msr", 9, NULL, 0) == 0);
    snprintf(rel, sizeof(rel), "%s/msr/format/event", dev);
    CHECK(faketree_write(&t, rel, "config:0-63") == 0);
    snprintf(rel, sizeof(rel), "%s/msr/events/tsc", dev);
    CHECK(faketree_write(&t, rel, "event=0x00") == 0);
    snprintf(rel, sizeof(rel), "%s/msr/events/aperf", dev);
    CHECK(faketree_write(&t, rel, "event=0x01") == 0);

    struct event e;
    CHECK(parse_at(t.root, "cpu/event=0x3c,umask=0x0/", false, &e));
    CHECK(e.attr.type == 4 && e.attr.config == 0x3c && e.attr.exclude_kernel);
    CHECK_STR(e.name, "cpu/event=0x3c,umask=0x0/");
    free(e.name);
    CHECK(parse_at(t.root, "cpu/event=0xc0,umask=1,cmask=2,inv,edge/uk", false, &e));
    CHECK_EQ_U64(e.attr.config, 0xc0 | 1 << 8 | 2ULL << 24 | 1 << 23 | 1 << 18);
    CHECK(!e.attr.exclude_kernel && !e.attr.exclude_user && e.plm_explicit);
    free(e.name);
    CHECK(parse_at(t.root, "cpu/cpu-cycles/:ppp", true, &e));
    CHECK(e.attr.config == 0x3c && e.attr.precise_ip == 3);
    free(e.name);
    CHECK(parse_at(t.root, "cpu/mem-loads,ldlat=30/", true, &e)); /* a term after an alias wins */
    CHECK(e.attr.config == 0x1cd && e.attr.config1 == 30);
    free(e.name);
    CHECK(parse_at(t.root, "cpu/cycles/", true, &e)); /* a generic name, on the one core PMU */
    CHECK(e.attr.type == PERF_TYPE_HARDWARE && e.attr.config == PERF_COUNT_HW_CPU_CYCLES);
    free(e.name);
    CHECK(parse_at(t.root, "cpu/event=0x3c,name=my-cycles,period=20000/", true, &e));
    CHECK_STR(e.name, "my-cycles");
    CHECK(e.attr.sample_period == 20000 && !e.attr.freq);
    free(e.name);
    CHECK(parse_at(t.root, "cpu/config=0x5300c0,config1=7/", true, &e));
    CHECK(e.attr.config == 0x5300c0 && e.attr.config1 == 7);
    free(e.name);
    CHECK(parse_at(t.root, "msr/tsc/", true, &e));
    CHECK(e.attr.type == 9 && e.attr.config == 0);
    free(e.name);

    /* commas inside the slashes belong to the event, also in a group */
    struct event_list l;
    struct hw_err err = {{0}};
    CHECK(events_parse_at("{cpu/event=0x3c,umask=0/,cpu/event=0xc0,umask=0/},msr/aperf/", true,
                          t.root, &l, &err) == 0);
    CHECK_EQ_U64(l.n, 3);
    if (l.n == 3) {
        CHECK(l.ev[0].leader && !l.ev[1].leader && l.ev[2].leader);
        CHECK_EQ_U64(l.ev[1].attr.config, 0xc0);
        CHECK_EQ_U64(l.ev[2].attr.config, 1);
    }
    events_free(&l);

    CHECK(fails_at(t.root, "cpu/umask=0x100/", &err));
    CHECK(strstr(err.msg, "0x100") && strstr(err.msg, "8 bits"));
    CHECK(fails_at(t.root, "cpu/foo=1/", &err));
    CHECK(strstr(err.msg, "unknown term 'foo' for PMU cpu") &&
          strstr(err.msg, "cmask,edge,event,inv,ldlat,umask"));
    CHECK(fails_at(t.root, "cpu/bogus-alias/", &err));
    CHECK(strstr(err.msg, "unknown term 'bogus-alias'") != NULL);
    CHECK(fails_at(t.root, "nope/event=1/", &err));
    CHECK(strstr(err.msg, "unknown PMU 'nope'") && strstr(err.msg, "cpu, msr"));
    CHECK(fails_at(t.root, "cpu/event=0x3c", &err));
    CHECK(strstr(err.msg, "closing '/'") != NULL);
    CHECK(fails_at(t.root, "cpu/event=zz/", &err));
    CHECK(strstr(err.msg, "invalid value") != NULL);
    CHECK(fails_at(t.root, "cpu/event=0x3c/x", &err));
    CHECK(strstr(err.msg, "invalid modifier") != NULL);
    faketree_free(&t);

    /* a hybrid CPU: a generic name inside a core PMU names that PMU */
    CHECK(faketree_init(&t, "events-hybrid") == 0);
    CHECK(faketree_pmu(&t, "cpu_core", 4, "0-7", 0) == 0);
    CHECK(faketree_pmu(&t, "cpu_atom", 10, "8-15", 0) == 0);
    CHECK(parse_at(t.root, "cpu_atom/cycles/", true, &e));
    CHECK(e.attr.type == PERF_TYPE_HARDWARE && e.attr.config == (10ULL << 32));
    free(e.name);
    faketree_free(&t);
}

/* Tracepoints against a fake tracefs: found at its usual place or through /proc/mounts, its id as
 * config, the kernel always counted; errors for a misspelled one and for tracefs not mounted. */
static void test_tracepoints(void)
{
    struct faketree t;
    CHECK(faketree_init(&t, "events-tp") == 0);
    CHECK(faketree_write(&t, "sys/kernel/tracing/events/sched/sched_switch/id", "316") == 0);
    CHECK(faketree_write(&t, "sys/kernel/tracing/events/sched/sched_wakeup/id", "318") == 0);
    CHECK(faketree_write(&t, "sys/kernel/tracing/events/syscalls/sys_enter_clock_nanosleep/id",
                         "474") == 0);
    struct event e;
    CHECK(parse_at(t.root, "sched:sched_switch", false, &e));
    CHECK(e.attr.type == PERF_TYPE_TRACEPOINT && e.attr.config == 316);
    CHECK(!e.attr.exclude_kernel && !e.attr.exclude_user); /* it fires in the kernel */
    CHECK(e.plm_explicit);
    CHECK_STR(e.name, "sched:sched_switch");
    free(e.name);
    CHECK(parse_at(t.root, "syscalls:sys_enter_clock_nanosleep:period=2", false, &e));
    CHECK(e.attr.config == 474 && e.attr.sample_period == 2);
    free(e.name);
    struct hw_err err;
    CHECK(fails_at(t.root, "sched:sched_swich", &err));
    CHECK(strstr(err.msg, "unknown tracepoint 'sched:sched_swich'") &&
          strstr(err.msg, "sched:sched_switch"));
    CHECK(fails_at(t.root, "nosys:nothing", &err)); /* no such subsystem: an unknown event */
    CHECK(strstr(err.msg, "unknown event 'nosys:nothing'") != NULL);
    faketree_free(&t);

    /* tracefs mounted elsewhere, found through /proc/mounts */
    CHECK(faketree_init(&t, "events-tp-mounts") == 0);
    CHECK(faketree_write(&t, "proc/mounts",
                         "sysfs /sys sysfs rw 0 0\nnodev /mnt/tr tracefs rw,relatime 0 0") == 0);
    CHECK(faketree_write(&t, "mnt/tr/events/sched/sched_switch/id", "316") == 0);
    CHECK(parse_at(t.root, "sched:sched_switch", true, &e));
    CHECK_EQ_U64(e.attr.config, 316);
    free(e.name);
    faketree_free(&t);

    /* no tracefs: say how to mount it; a libpfm4-looking name is not taken for a tracepoint */
    CHECK(faketree_init(&t, "events-tp-none") == 0);
    CHECK(fails_at(t.root, "sched:sched_switch", &err));
    CHECK(strstr(err.msg, "not mounted") && strstr(err.msg, "mount -t tracefs"));
    CHECK(fails_at(t.root, "INST_RETIRED:ANY_P", &err));
    CHECK(strstr(err.msg, "unknown event 'INST_RETIRED:ANY_P'") && !strstr(err.msg, "tracepoint") &&
          !strstr(err.msg, "tracefs"));
    faketree_free(&t);
}

int main(void)
{
    test_raw();
    test_pmu_syntax();
    test_tracepoints();
    return check_done("test-events-perf");
}
