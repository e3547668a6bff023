/* test-events-mods.c - unit tests for event modifiers: parsed from text, applied to an attr. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/perf_event.h>

#include "check.h"
#include "events_private.h"

/* Parses the modifiers of text (those after its name) into m. Returns success. */
static bool mods_of(const char *text, struct events_mods *m, struct hw_err *err)
{
    memset(err, 0, sizeof(*err));
    return events_mods_parse(text, text + events_mods_start(text), m, err) == 0;
}

/* Where the modifiers start: after a PMU's "::", at the first ':' of the event part. */
static void test_start(void)
{
    CHECK_EQ_U64(events_mods_start("cycles"), 6);
    CHECK_EQ_U64(events_mods_start("cycles:u"), 6);
    CHECK_EQ_U64(events_mods_start("skl::INST_RETIRED:ANY_P:u"), strlen("skl::INST_RETIRED"));
    CHECK_EQ_U64(events_mods_start(""), 0);
    CHECK(events_mods_has_plm("cycles:u"));
    CHECK(events_mods_has_plm("skl::INST_RETIRED:ANY_P:K=1"));
    CHECK(!events_mods_has_plm("skl::INST_RETIRED:ANY_P"));
    CHECK(!events_mods_has_plm("cycles:period=10"));
    CHECK(!events_mods_has_plm("cycles:uk")); /* a cluster is perf's, not libpfm4's */
}

static void test_cluster_and_number(void)
{
    CHECK(events_mods_is_cluster("ukhGHIDSpP", 10));
    CHECK(events_mods_is_cluster("ppp", 3));
    CHECK(events_mods_is_cluster("UK", 2));
    CHECK(!events_mods_is_cluster("", 0));
    CHECK(!events_mods_is_cluster("ux", 2));
    CHECK(!events_mods_is_cluster("period", 6));
    uint64_t v = 7;
    CHECK(events_mods_number("0x1f", 4, &v) == 0 && v == 31);
    CHECK(events_mods_number("1000:u", 4, &v) == 0 && v == 1000); /* only len bytes count */
    CHECK(events_mods_number("", 0, &v) < 0);
    CHECK(events_mods_number("-1", 2, &v) < 0);
    CHECK(events_mods_number("+1", 2, &v) < 0);
    CHECK(events_mods_number("12z", 3, &v) < 0);
    CHECK(events_mods_number("99999999999999999999999", 23, &v) < 0);
}

static void test_parse(void)
{
    struct events_mods m;
    struct hw_err err;
    CHECK(mods_of("cycles", &m, &err));
    CHECK(!m.plm_given && !m.precise && !m.have_period && !m.have_freq);
    CHECK(mods_of("cycles:ukp:S", &m, &err));
    CHECK(m.plm_given && m.user && m.kernel && !m.hv && m.precise == 1 && m.sample_read);
    CHECK(mods_of("cycles:u=1:k=0:precise=2:period=0x100", &m, &err));
    CHECK(m.plm_given && m.user && !m.kernel && m.precise == 2);
    CHECK(m.have_period && m.period == 256 && !m.have_freq);
    CHECK(mods_of("cycles:freq=99:GIDP", &m, &err));
    CHECK(m.have_freq && m.freq == 99 && m.guest_given && m.guest && !m.host);
    CHECK(m.exclude_idle && m.pinned && m.precise_max && !m.plm_given);

    CHECK(!mods_of("cycles:pppp", &m, &err) && strstr(err.msg, "precise level 4"));
    CHECK(!mods_of("cycles:precise=9", &m, &err) && strstr(err.msg, "precise level 4"));
    CHECK(!mods_of("cycles:u=0", &m, &err) && strstr(err.msg, "every privilege level"));
    CHECK(!mods_of("cycles:u=2", &m, &err) && strstr(err.msg, "use u=0 or u=1"));
    CHECK(!mods_of("cycles:period=1:freq=2", &m, &err) && strstr(err.msg, "both"));
    CHECK(!mods_of("cycles:period=x", &m, &err) && strstr(err.msg, "give a number"));
    CHECK(!mods_of("cycles:period=0", &m, &err) && strstr(err.msg, "invalid modifier"));
    CHECK(!mods_of("cycles:cpu=1", &m, &err) && strstr(err.msg, "cpu= modifier"));
    CHECK(!mods_of("cycles:cpu=x", &m, &err) && strstr(err.msg, "cpu= modifier"));
    CHECK(!mods_of("cycles:", &m, &err) && strstr(err.msg, "'cycles:'"));
    CHECK(events_mods_parse("cycles", "u", &m, &err) < 0 && strstr(err.msg, "expected ':'"));
}

static void test_apply(void)
{
    struct events_mods m;
    struct hw_err err;
    struct perf_event_attr a;

    /* no level named: user space, the kernel with kernel_default, never the hypervisor */
    CHECK(mods_of("cycles", &m, &err));
    memset(&a, 0, sizeof(a));
    events_mods_apply(&a, &m, false, false);
    CHECK(!a.exclude_user && a.exclude_kernel && a.exclude_hv);
    events_mods_apply(&a, &m, true, false);
    CHECK(!a.exclude_user && !a.exclude_kernel && a.exclude_hv);
    /* ... or the encoding's levels, untouched */
    memset(&a, 0, sizeof(a));
    a.exclude_user = 1;
    events_mods_apply(&a, &m, false, true);
    CHECK(a.exclude_user && !a.exclude_kernel && !a.exclude_hv);

    /* named levels win; precise without G/H excludes the guest (perf's default) */
    CHECK(mods_of("cycles:kpp", &m, &err));
    memset(&a, 0, sizeof(a));
    events_mods_apply(&a, &m, false, false);
    CHECK(a.exclude_user && !a.exclude_kernel && a.exclude_hv);
    CHECK(a.precise_ip == 2 && a.exclude_guest && !a.exclude_host);
    CHECK(mods_of("cycles:Hp:P:I:D:period=500", &m, &err));
    memset(&a, 0, sizeof(a));
    a.freq = 1;
    events_mods_apply(&a, &m, true, false);
    CHECK(a.exclude_guest && !a.exclude_host && a.precise_ip == 3 && a.exclude_idle && a.pinned);
    CHECK(!a.freq && a.sample_period == 500);
    CHECK(mods_of("cycles:freq=4000", &m, &err));
    events_mods_apply(&a, &m, true, false);
    CHECK(a.freq && a.sample_freq == 4000);

    struct event ev;
    memset(&ev, 0, sizeof(ev));
    CHECK(mods_of("cycles:uPS", &m, &err));
    events_mods_mark(&ev, &m);
    CHECK(ev.plm_explicit && ev.precise_max && ev.sample_read);
    CHECK(mods_of("cycles:p", &m, &err));
    events_mods_mark(&ev, &m);
    CHECK(!ev.plm_explicit && !ev.precise_max && !ev.sample_read);
}

/* libpfm4 names keep their own modifiers; perf's clusters are taken out and parsed. */
static void test_strip_clusters(void)
{
    struct events_mods m;
    bool found = true;
    char *rest = events_mods_strip_clusters("skl::INST_RETIRED:ANY_P:u", &m, &found);
    CHECK(rest && !found);
    CHECK_STR(rest, "skl::INST_RETIRED:ANY_P:u"); /* a lone u is libpfm4's */
    free(rest);
    rest = events_mods_strip_clusters("skl::INST_RETIRED:ANY_P:ppp:c=1:uk", &m, &found);
    CHECK(rest && found);
    CHECK_STR(rest, "skl::INST_RETIRED:ANY_P:c=1");
    CHECK(m.precise == 3 && m.plm_given && m.user && m.kernel);
    free(rest);
}

static void test_fqname(void)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof(a));
    a.exclude_kernel = 1;
    a.exclude_hv = 1;
    char *s = events_mods_fqname("perf::X", &a);
    CHECK_STR(s, "perf::X:u=1:k=0:h=0");
    free(s);
    a.precise_ip = 2;
    a.freq = 1;
    a.sample_freq = 99;
    s = events_mods_fqname("raw 0x1a8", &a);
    CHECK_STR(s, "raw 0x1a8:u=1:k=0:h=0:precise=2:freq=99");
    free(s);
    a.freq = 0;
    a.sample_period = 1000;
    a.precise_ip = 0;
    a.exclude_user = 1;
    a.exclude_kernel = 0;
    s = events_mods_fqname("t", &a);
    CHECK_STR(s, "t:u=0:k=1:h=0:period=1000");
    free(s);
}

int main(void)
{
    test_start();
    test_cluster_and_number();
    test_parse();
    test_apply();
    test_strip_clusters();
    test_fqname();
    return check_done("test-events-mods");
}
