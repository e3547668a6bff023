/* test-pe-explain.c - unit tests for the one-line advice on an event the kernel refused. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "check.h"
#include "fakekernel.h"
#include "perf_event.h"

/* errnos explained without looking at the PMUs */
static void test_errno_advice(void)
{
    struct hw_err err;
    struct perf_event_attr a = encoded(PERF_TYPE_HARDWARE, 0);
    pe_explain_errno(&err, EACCES, "cycles:k", &a, getpid());
    CHECK(strstr(err.msg, "perf_event_paranoid") && strstr(err.msg, "'cycles:k'"));
    CHECK(strstr(err.msg, ":u") == NULL); /* it already excludes the kernel */
    a.exclude_kernel = 0;
    pe_explain_errno(&err, EPERM, "cycles", &a, getpid());
    CHECK(strstr(err.msg, "user space only with ':u'") != NULL);
    pe_explain_errno(&err, EACCES, "cycles", &a, -1);
    CHECK(strstr(err.msg, "all processes of CPUs") && strstr(err.msg, "CAP_PERFMON"));
    pe_explain_errno(&err, EMFILE, "cycles", &a, 1);
    CHECK(strstr(err.msg, "ulimit -n") != NULL);
    pe_explain_errno(&err, ESRCH, "cycles", &a, 4242);
    CHECK(strstr(err.msg, "no such process: 4242") != NULL);
    pe_explain_errno(&err, ENOENT, "cycles", &a, 1);
    CHECK(strstr(err.msg, "not supported") && strstr(err.msg, "--no-fallback"));
    struct perf_event_attr sw = encoded(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK);
    pe_explain_errno(&err, ENODEV, "cpu-clock", &sw, 1);
    CHECK(strstr(err.msg, "not supported") && !strstr(err.msg, "--no-fallback"));
    pe_explain_errno(&err, EBUSY, "cycles", &a, 1);
    CHECK(strstr(err.msg, "busy") != NULL);
    pe_explain_errno(&err, EINVAL, "cycles", &a, 1); /* a period: no rate to blame */
    CHECK(strstr(err.msg, "invalid argument") != NULL);
    pe_explain_errno(&err, E2BIG, "cycles", &a, 1);
    CHECK(strstr(err.msg, "cannot open event 'cycles'") && strstr(err.msg, strerror(E2BIG)));
    CHECK(!strchr(err.msg, '\n'));
}

/* errnos explained from the PMUs: a CPU outside the event's PMU, no PMU at all, a precise level
 * too high, a PMU that cannot sample, a generic event the CPU does not map, a counting-only PMU */
static void test_explain_error(void)
{
    int core_cpus[] = {0, 1, 2, 3, 4, 5, 6, 7}, atom_cpus[] = {8, 9, 10, 11, 12, 13, 14, 15};
    int uncore_cpus[] = {0};
    struct pmu hybrid[] = {
        {"software", 1, false, NULL, 0},
        {"cpu_core", 4, true, core_cpus, 8},
        {"cpu_atom", 10, true, atom_cpus, 8},
    };
    struct pmu_set hyb = {"/nonexistent-hwprof-root", hybrid, 3};
    struct hw_err err;
    struct perf_event_attr a = encoded(10, 0xc0);
    pe_explain_error(&err, ENOENT, "adl_grt::INST_RETIRED:ANY", &a, 1, 3, &hyb);
    CHECK(strstr(err.msg, "cpu_atom") && strstr(err.msg, "8-15") && strstr(err.msg, "CPU 3"));

    struct pmu_set none = {"/nonexistent-hwprof-root", NULL, 0};
    a = encoded(PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES);
    pe_explain_error(&err, ENOENT, "cycles", &a, 1, 0, &none);
    CHECK(strstr(err.msg, "no hardware PMU") != NULL);

    struct pmu one[] = {
        {"software", 1, false, NULL, 0},
        {"cpu", 4, true, NULL, 0},
        {"msr", 9, false, NULL, 0},
        {"uncore_imc", 12, false, uncore_cpus, 1},
    };
    struct pmu_set cpu = {"/nonexistent-hwprof-root", one, 4};
    a.precise_ip = 3;
    pe_explain_error(&err, EOPNOTSUPP, "cycles:ppp", &a, 1, 0, &cpu);
    CHECK(strstr(err.msg, "precise level 3") && strstr(err.msg, "':P'"));
    CHECK(strstr(err.msg, "at most") == NULL); /* its max_precise is unknown */
    a = encoded(PERF_TYPE_RAW, 0x1ff);
    a.sample_period = 1000;
    pe_explain_error(&err, EOPNOTSUPP, "r1ff", &a, 1, 0, &cpu);
    CHECK(strstr(err.msg, "PMU cpu cannot sample 'r1ff'") && strstr(err.msg, "hwprof stat"));
    a = encoded(PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES);
    pe_explain_error(&err, ENOENT, "ref-cycles", &a, 1, 0, &cpu);
    CHECK(strstr(err.msg, "no event for the generic ref-cycles 'ref-cycles'") != NULL);
    a = encoded(PERF_TYPE_RAW, 0x1234);
    pe_explain_error(&err, ENOENT, "r1234", &a, 1, 0, &cpu);
    CHECK(strstr(err.msg, "PMU cpu does not count event 'r1234'") && strstr(err.msg, "0x1234"));

    /* PMUs that only count: with -a when they count system-wide only */
    a = encoded(9, 0);
    a.sample_period = 1000;
    pe_explain_error(&err, EINVAL, "msr/tsc/", &a, 1, -1, &cpu);
    CHECK(strstr(err.msg, "PMU msr refused to sample") && strstr(err.msg, "'hwprof stat'"));
    a.type = 12;
    pe_explain_error(&err, EINVAL, "uncore_imc/x/", &a, 1, -1, &cpu);
    CHECK(strstr(err.msg, "PMU uncore_imc refused to sample") && strstr(err.msg, "stat' -a"));

    a = encoded(PERF_TYPE_TRACEPOINT, 316);
    pe_explain_error(&err, EACCES, "sched:sched_switch", &a, 1, -1, &cpu);
    CHECK(strstr(err.msg, "tracepoint 'sched:sched_switch'") && strstr(err.msg, "paranoid=-1"));

    /* software events, and no PMUs to ask: the errno's advice */
    a = encoded(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK);
    pe_explain_error(&err, EMFILE, "cpu-clock", &a, 1, 0, &cpu);
    CHECK(strstr(err.msg, "ulimit -n") != NULL);
    a = encoded(PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES);
    pe_explain_error(&err, ENOENT, "cycles", &a, 1, 0, NULL);
    CHECK(strstr(err.msg, "virtual machines") && strstr(err.msg, "--no-fallback"));
}

int main(void)
{
    test_errno_advice();
    test_explain_error();
    return check_done("test-pe-explain");
}
