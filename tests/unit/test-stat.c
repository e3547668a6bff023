/* test-stat.c - unit tests for statfmt.c: scaling, spread, metrics, perf stat's CSV and text. */
#include <linux/perf_event.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "statfmt.h"

#define HWC(c, o, r)                                                                               \
    (PERF_COUNT_HW_CACHE_##c | (PERF_COUNT_HW_CACHE_OP_##o << 8) |                                 \
     (PERF_COUNT_HW_CACHE_RESULT_##r << 16))

static bool near(double a, double b)
{
    return fabs(a - b) <= 1e-9 * (fabs(a) + fabs(b) + 1);
}

/* A counter read as the kernel returns it with TOTAL_TIME_ENABLED|RUNNING: value, enabled, running
 * (24 bytes), scaled the way perf stat scales it. */
static void test_scaling(void)
{
    uint64_t bytes[3] = {1000000, 400000000, 100000000}; /* ran a quarter of the time */
    unsigned char buf[24];
    memcpy(buf, bytes, sizeof(buf));
    uint64_t v, en, run;
    memcpy(&v, buf, 8);
    memcpy(&en, buf + 8, 8);
    memcpy(&run, buf + 16, 8);
    double s;
    CHECK(statfmt_scale(v, en, run, &s));
    CHECK(near(s, 4000000));
    CHECK(statfmt_scale(123, 50, 50, &s) && near(s, 123));      /* ran the whole time */
    CHECK(statfmt_scale(123, 0, 0, &s) == false);               /* never enabled */
    CHECK(statfmt_scale(0, 1000, 0, &s) == false && s == 0);    /* never ran: nothing counted */
    CHECK(statfmt_scale(UINT64_MAX / 2, 3, 1, &s) && s > 1e19); /* no overflow in doubles */
}

static void test_spread(void)
{
    struct statfmt_stats st = {0};
    CHECK(statfmt_stats_stddev(&st) == 0);
    statfmt_stats_add(&st, 10);
    CHECK(near(st.mean, 10) && statfmt_stats_stddev(&st) == 0);
    statfmt_stats_add(&st, 12);
    statfmt_stats_add(&st, 14);
    CHECK(near(st.mean, 12));
    /* sample variance 4, standard deviation of the mean sqrt(4 / 3) */
    CHECK(near(statfmt_stats_stddev(&st), sqrt(4.0 / 3.0)));
}

/* Looks up the metric of the counter named name. */
static bool metric_of(const struct statfmt_counter *c, size_t n, const char *name, double wall,
                      char *num, char *unit)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(c[i].name, name) == 0)
            return statfmt_metric(c, n, i, wall, num, 64, unit, 64);
    return false;
}

#define COUNTER(nm, t, cfg, v)                                                                     \
    {                                                                                              \
        nm, t, cfg, true, true, v, 0, 1e9, 1e9                                                     \
    }

static void test_metrics(void)
{
    struct statfmt_counter c[] = {
        COUNTER("task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, 2e9),
        COUNTER("cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, 4e9),
        COUNTER("instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS, 6e9),
        COUNTER("branches", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS, 1e9),
        COUNTER("branch-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES, 1e7),
        COUNTER("cache-references", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES, 1000),
        COUNTER("cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES, 250),
        COUNTER("stalled-cycles-frontend", PERF_TYPE_HARDWARE,
                PERF_COUNT_HW_STALLED_CYCLES_FRONTEND, 1e9),
        COUNTER("L1-dcache-loads", PERF_TYPE_HW_CACHE, HWC(L1D, READ, ACCESS), 800),
        COUNTER("L1-dcache-load-misses", PERF_TYPE_HW_CACHE, HWC(L1D, READ, MISS), 8),
        COUNTER("page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, 2000),
        COUNTER("cs", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES, 10),
        COUNTER("r1a8", PERF_TYPE_RAW, 0x1a8, 3e6),
    };
    size_t n = HW_ARRAY_SIZE(c);
    char num[64], unit[64];
    double wall = 1e9; /* 2 s of task-clock in 1 s: two CPUs busy */
    CHECK(metric_of(c, n, "task-clock", wall, num, unit));
    CHECK_STR(num, "2.000");
    CHECK_STR(unit, "CPUs utilized");
    CHECK(metric_of(c, n, "cycles", wall, num, unit));
    CHECK_STR(num, "2.000");
    CHECK_STR(unit, "GHz");
    CHECK(metric_of(c, n, "instructions", wall, num, unit));
    CHECK_STR(num, "1.50");
    CHECK_STR(unit, "insn per cycle");
    CHECK(metric_of(c, n, "branch-misses", wall, num, unit));
    CHECK_STR(num, "1.00%");
    CHECK_STR(unit, "of all branches");
    CHECK(metric_of(c, n, "cache-misses", wall, num, unit));
    CHECK_STR(num, "25.00%");
    CHECK_STR(unit, "of all cache refs");
    CHECK(metric_of(c, n, "stalled-cycles-frontend", wall, num, unit));
    CHECK_STR(num, "25.00%");
    CHECK_STR(unit, "frontend cycles idle");
    CHECK(metric_of(c, n, "L1-dcache-load-misses", wall, num, unit));
    CHECK_STR(num, "1.00%");
    CHECK_STR(unit, "of all L1-dcache accesses");
    /* rates per second of task-clock, with perf's K/M/G */
    CHECK(metric_of(c, n, "page-faults", wall, num, unit));
    CHECK_STR(num, "1.000");
    CHECK_STR(unit, "K/sec");
    CHECK(metric_of(c, n, "cs", wall, num, unit));
    CHECK_STR(num, "5.000");
    CHECK_STR(unit, "/sec");
    CHECK(metric_of(c, n, "branches", wall, num, unit));
    CHECK_STR(num, "500.000");
    CHECK_STR(unit, "M/sec");
    CHECK(metric_of(c, n, "r1a8", wall, num, unit));
    CHECK_STR(num, "1.500");
    CHECK_STR(unit, "M/sec");

    /* what a metric needs was not counted: no metric */
    c[1].supported = false; /* cycles <not supported> */
    CHECK(!metric_of(c, n, "instructions", wall, num, unit));
    CHECK(!metric_of(c, n, "cycles", wall, num, unit));
    CHECK(!metric_of(c, n, "stalled-cycles-frontend", wall, num, unit));
    c[0].counted = false; /* no task-clock: no rates */
    CHECK(!metric_of(c, n, "page-faults", wall, num, unit));
    CHECK(!metric_of(c, n, "task-clock", wall, num, unit));

    /* a hybrid CPU: instructions of cpu_atom are divided by cycles of cpu_atom */
    uint64_t core = 4ULL << 32, atom = 10ULL << 32;
    struct statfmt_counter h[] = {
        COUNTER("cpu_core/cycles/", PERF_TYPE_HARDWARE, core | PERF_COUNT_HW_CPU_CYCLES, 1000),
        COUNTER("cpu_atom/cycles/", PERF_TYPE_HARDWARE, atom | PERF_COUNT_HW_CPU_CYCLES, 4000),
        COUNTER("cpu_core/instructions/", PERF_TYPE_HARDWARE, core | PERF_COUNT_HW_INSTRUCTIONS,
                3000),
        COUNTER("cpu_atom/instructions/", PERF_TYPE_HARDWARE, atom | PERF_COUNT_HW_INSTRUCTIONS,
                2000),
    };
    CHECK(metric_of(h, 4, "cpu_core/instructions/", wall, num, unit));
    CHECK_STR(num, "3.00");
    CHECK(metric_of(h, 4, "cpu_atom/instructions/", wall, num, unit));
    CHECK_STR(num, "0.50");
}

/* perf stat -x, field order (perf 6.1): value, unit, event, [spread,] run time, running %, metric
 * value, metric unit. */
static void test_csv(void)
{
    struct statfmt_counter c[] = {
        {"task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, true, true, 204238234, 0,
         204238234, 204238234},
        {"page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, true, true, 59, 0, 204238234,
         204238234},
        {"cycles", PERF_TYPE_HARDWARE, 0, false, false, 0, 0, 0, 0},
        {"instructions", PERF_TYPE_HARDWARE, 1, true, true, 1000000, 0, 400, 100},
        {"cache-misses", PERF_TYPE_HARDWARE, 3, true, false, 0, 0, 500, 0},
    };
    struct hw_buf out = {0};
    CHECK(statfmt_csv(&out, c, 5, ",", 1, 556000000) == 0);
    CHECK(hw_buf_append(&out, "", 1) == 0);
    const char *want = "204.24,msec,task-clock,204238234,100.00,0.367,CPUs utilized\n"
                       "59,,page-faults,204238234,100.00,288.878,/sec\n"
                       "<not supported>,,cycles,0,100.00,,\n"
                       "1000000,,instructions,100,25.00,,\n" /* no cycles: no IPC */
                       "<not counted>,,cache-misses,0,0.00,,\n";
    CHECK_STR((const char *)out.data, want);
    hw_buf_free(&out);

    /* with runs: the spread after the event name; another separator */
    c[0].value = 53001915;
    c[0].stddev = 0.0065 * 53001915;
    c[0].running = c[0].enabled = 53001915;
    CHECK(statfmt_csv(&out, c, 1, ";", 3, 132504787) == 0);
    CHECK(hw_buf_append(&out, "", 1) == 0);
    CHECK_STR((const char *)out.data,
              "53.00;msec;task-clock;0.65%;53001915;100.00;0.400;CPUs utilized\n");
    hw_buf_free(&out);
}

static void test_human(void)
{
    struct statfmt_counter c[] = {
        {"task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, true, true, 103480000, 1e5,
         103480000, 103480000},
        {"cycles", PERF_TYPE_HARDWARE, 0, false, false, 0, 0, 0, 0},
        {"instructions", PERF_TYPE_HARDWARE, 1, true, true, 5e6, 0, 1000, 500},
    };
    struct statfmt_run run = {
        .target = "'./spin 0.1'", .runs = 3, .wall_ns = 270663603, .wall_stddev = 1e6};
    struct hw_buf out = {0};
    CHECK(statfmt_human(&out, c, 3, &run) == 0);
    CHECK(hw_buf_append(&out, "", 1) == 0);
    const char *s = (const char *)out.data;
    CHECK(strstr(s, "\n Performance counter stats for './spin 0.1' (3 runs):\n\n") == s);
    CHECK(strstr(s, "            103.48 msec task-clock") != NULL);
    CHECK(strstr(s, "#    0.382 CPUs utilized") != NULL);
    CHECK(strstr(s, "( +-  0.10% )") != NULL);
    CHECK(strstr(s, "   <not supported>      cycles") != NULL);
    CHECK(strstr(s, "           5000000      instructions") != NULL);
    CHECK(strstr(s, "(50.00%)") != NULL); /* multiplexed */
    CHECK(strstr(s, "0.270664 +- 0.001000 seconds time elapsed") != NULL);
    CHECK(!strstr(s, "seconds user"));
    hw_buf_free(&out);
    run.runs = 1;
    run.rusage = true;
    run.user_s = 0.1;
    run.sys_s = 0.02;
    CHECK(statfmt_human(&out, c, 1, &run) == 0);
    CHECK(hw_buf_append(&out, "", 1) == 0);
    s = (const char *)out.data;
    CHECK(strstr(s, "stats for './spin 0.1':") != NULL);
    CHECK(strstr(s, "0.270663603 seconds time elapsed") != NULL);
    CHECK(strstr(s, "0.100000000 seconds user\n") && strstr(s, "0.020000000 seconds sys\n"));
    hw_buf_free(&out);
}

int main(void)
{
    test_scaling();
    test_spread();
    test_metrics();
    test_csv();
    test_human();
    return check_done("test-stat");
}
