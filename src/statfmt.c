/* statfmt.c - perf stat's numbers: multiplexing scaling, spread over runs, metrics, output. */
#include "statfmt.h"

#include <linux/perf_event.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The bits of a generic event's config above the event itself: its PMU on a hybrid CPU. */
#define STATFMT_EXT_MASK 0xffffffff00000000ULL
#define STATFMT_HWC(cache, op, result)                                                             \
    (PERF_COUNT_HW_CACHE_##cache | (PERF_COUNT_HW_CACHE_OP_##op << 8) |                            \
     (PERF_COUNT_HW_CACHE_RESULT_##result << 16))

void statfmt_stats_add(struct statfmt_stats *s, double v)
{
    s->n++;
    double d = v - s->mean;
    s->mean += d / (double)s->n;
    s->m2 += d * (v - s->mean);
}

double statfmt_stats_stddev(const struct statfmt_stats *s)
{
    if (s->n < 2)
        return 0;
    double variance = s->m2 / (double)(s->n - 1);
    return sqrt(variance / (double)s->n);
}

bool statfmt_scale(uint64_t value, uint64_t enabled, uint64_t running, double *out)
{
    if (running == 0) {
        *out = 0;
        return false;
    }
    *out = running < enabled ? (double)value * ((double)enabled / (double)running) : (double)value;
    return true;
}

static bool statfmt_is(const struct statfmt_counter *x, uint32_t type, uint64_t config)
{
    return x->type == type && (x->config & ~STATFMT_EXT_MASK) == config;
}

static bool statfmt_is_clock(const struct statfmt_counter *x)
{
    return statfmt_is(x, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK) ||
           statfmt_is(x, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK);
}

/* The counted counter of c that is (type, config) on the same PMU as c[i] (the extended type of a
 * hybrid CPU's generic events), or NULL. */
static const struct statfmt_counter *statfmt_find(const struct statfmt_counter *c, size_t n,
                                                  size_t i, uint32_t type, uint64_t config)
{
    uint64_t ext = c[i].type == PERF_TYPE_HARDWARE || c[i].type == PERF_TYPE_HW_CACHE
                       ? c[i].config & STATFMT_EXT_MASK
                       : 0;
    for (size_t k = 0; k < n; k++)
        if (c[k].supported && c[k].counted && c[k].type == type &&
            c[k].config == ((type == PERF_TYPE_SOFTWARE ? 0 : ext) | config))
            return &c[k];
    return NULL;
}

/* The task-clock (or cpu-clock) of the run, for rates, or NULL. */
static const struct statfmt_counter *statfmt_clock(const struct statfmt_counter *c, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (c[k].supported && c[k].counted &&
            statfmt_is(&c[k], PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK))
            return &c[k];
    for (size_t k = 0; k < n; k++)
        if (c[k].supported && c[k].counted && statfmt_is_clock(&c[k]))
            return &c[k];
    return NULL;
}

/* The miss-rate metrics: a misses event, its accesses event, the unit. */
struct statfmt_ratio {
    uint32_t type;
    uint64_t num, den;
    uint32_t den_type;
    const char *unit;
};

static const struct statfmt_ratio statfmt_ratios[] = {
    {PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES, PERF_COUNT_HW_BRANCH_INSTRUCTIONS,
     PERF_TYPE_HARDWARE, "of all branches"},
    {PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES, PERF_COUNT_HW_CACHE_REFERENCES,
     PERF_TYPE_HARDWARE, "of all cache refs"},
    {PERF_TYPE_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_FRONTEND, PERF_COUNT_HW_CPU_CYCLES,
     PERF_TYPE_HARDWARE, "frontend cycles idle"},
    {PERF_TYPE_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_BACKEND, PERF_COUNT_HW_CPU_CYCLES,
     PERF_TYPE_HARDWARE, "backend cycles idle"},
    {PERF_TYPE_HW_CACHE, STATFMT_HWC(L1D, READ, MISS), STATFMT_HWC(L1D, READ, ACCESS),
     PERF_TYPE_HW_CACHE, "of all L1-dcache accesses"},
    {PERF_TYPE_HW_CACHE, STATFMT_HWC(L1I, READ, MISS), STATFMT_HWC(L1I, READ, ACCESS),
     PERF_TYPE_HW_CACHE, "of all L1-icache accesses"},
    {PERF_TYPE_HW_CACHE, STATFMT_HWC(LL, READ, MISS), STATFMT_HWC(LL, READ, ACCESS),
     PERF_TYPE_HW_CACHE, "of all LL-cache accesses"},
    {PERF_TYPE_HW_CACHE, STATFMT_HWC(DTLB, READ, MISS), STATFMT_HWC(DTLB, READ, ACCESS),
     PERF_TYPE_HW_CACHE, "of all dTLB cache accesses"},
    {PERF_TYPE_HW_CACHE, STATFMT_HWC(ITLB, READ, MISS), STATFMT_HWC(ITLB, READ, ACCESS),
     PERF_TYPE_HW_CACHE, "of all iTLB cache accesses"},
};

bool statfmt_metric(const struct statfmt_counter *c, size_t n, size_t i, double wall_ns, char *num,
                    size_t numsize, char *unit, size_t unitsize)
{
    const struct statfmt_counter *x = &c[i];
    num[0] = unit[0] = '\0';
    if (!x->supported || !x->counted)
        return false;
    if (statfmt_is_clock(x)) {
        if (wall_ns <= 0)
            return false;
        snprintf(num, numsize, "%.3f", x->value / wall_ns);
        snprintf(unit, unitsize, "CPUs utilized");
        return true;
    }
    const struct statfmt_counter *clock = statfmt_clock(c, n);
    if (statfmt_is(x, PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES)) {
        if (!clock || clock->value <= 0)
            return false;
        snprintf(num, numsize, "%.3f", x->value / clock->value);
        snprintf(unit, unitsize, "GHz");
        return true;
    }
    if (statfmt_is(x, PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS)) {
        const struct statfmt_counter *cyc =
            statfmt_find(c, n, i, PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES);
        if (!cyc || cyc->value <= 0)
            return false;
        snprintf(num, numsize, "%.2f", x->value / cyc->value);
        snprintf(unit, unitsize, "insn per cycle");
        return true;
    }
    for (size_t r = 0; r < HW_ARRAY_SIZE(statfmt_ratios); r++) {
        const struct statfmt_ratio *q = &statfmt_ratios[r];
        if (!statfmt_is(x, q->type, q->num))
            continue;
        const struct statfmt_counter *den = statfmt_find(c, n, i, q->den_type, q->den);
        if (!den || den->value <= 0)
            return false;
        snprintf(num, numsize, "%.2f%%", 100.0 * x->value / den->value);
        snprintf(unit, unitsize, "%s", q->unit);
        return true;
    }
    if (!clock || clock->value <= 0)
        return false;
    double rate = x->value / (clock->value / 1e9);
    const char *prefix = "";
    if (rate >= 1e9) {
        rate /= 1e9;
        prefix = "G";
    } else if (rate >= 1e6) {
        rate /= 1e6;
        prefix = "M";
    } else if (rate >= 1e3) {
        rate /= 1e3;
        prefix = "K";
    }
    snprintf(num, numsize, "%.3f", rate);
    snprintf(unit, unitsize, "%s/sec", prefix);
    return true;
}

/* Appends formatted text to out. Returns 0 or -1 (out of memory). */
static int statfmt_printf(struct hw_buf *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int statfmt_printf(struct hw_buf *out, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (len < 0)
        return -1;
    if ((size_t)len >= sizeof(line))
        len = (int)sizeof(line) - 1;
    return hw_buf_append(out, line, (size_t)len);
}

/* The value field: "<not supported>", "<not counted>", msec for clocks, a count otherwise. */
static void statfmt_value(const struct statfmt_counter *x, char *buf, size_t size,
                          const char **unit)
{
    *unit = statfmt_is_clock(x) ? "msec" : "";
    if (!x->supported)
        snprintf(buf, size, "<not supported>");
    else if (!x->counted)
        snprintf(buf, size, "<not counted>");
    else if (statfmt_is_clock(x))
        snprintf(buf, size, "%.2f", x->value / 1e6);
    else
        snprintf(buf, size, "%.0f", x->value);
}

/* The share of its enabled time a counter ran, in %. */
static double statfmt_pct(const struct statfmt_counter *x)
{
    if (!x->supported || x->enabled <= 0)
        return 100.0;
    return 100.0 * x->running / x->enabled;
}

int statfmt_csv(struct hw_buf *out, const struct statfmt_counter *c, size_t n, const char *sep,
                int runs, double wall_ns)
{
    for (size_t i = 0; i < n; i++) {
        const struct statfmt_counter *x = &c[i];
        char val[64], num[64], unit[64], spread[64] = "";
        const char *vunit;
        statfmt_value(x, val, sizeof(val), &vunit);
        if (!statfmt_metric(c, n, i, wall_ns, num, sizeof(num), unit, sizeof(unit)))
            num[0] = unit[0] = '\0';
        if (runs > 1)
            snprintf(spread, sizeof(spread), "%s%.2f%%", sep,
                     x->value > 0 ? 100.0 * x->stddev / x->value : 0.0);
        if (statfmt_printf(out, "%s%s%s%s%s%s%s%.0f%s%.2f%s%s%s%s\n", val, sep, vunit, sep, x->name,
                           spread, sep, x->supported ? x->running : 0.0, sep, statfmt_pct(x), sep,
                           num, sep, unit) < 0)
            return -1;
    }
    return 0;
}

int statfmt_human(struct hw_buf *out, const struct statfmt_counter *c, size_t n,
                  const struct statfmt_run *run)
{
    char runs[32] = "";
    if (run->runs > 1)
        snprintf(runs, sizeof(runs), " (%d runs)", run->runs);
    if (statfmt_printf(out, "\n Performance counter stats for %s%s:\n\n", run->target, runs) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const struct statfmt_counter *x = &c[i];
        char val[64], num[64], unit[64], tail[160] = "";
        const char *vunit;
        statfmt_value(x, val, sizeof(val), &vunit);
        size_t tl = 0;
        if (statfmt_metric(c, n, i, run->wall_ns, num, sizeof(num), unit, sizeof(unit)))
            tl += (size_t)snprintf(tail, sizeof(tail), "  # %8s %-26s", num, unit);
        if (x->supported && x->counted && statfmt_pct(x) < 99.995 && tl < sizeof(tail))
            tl += (size_t)snprintf(tail + tl, sizeof(tail) - tl, "  (%.2f%%)", statfmt_pct(x));
        if (run->runs > 1 && x->supported && x->counted && tl < sizeof(tail))
            snprintf(tail + tl, sizeof(tail) - tl, "  ( +- %5.2f%% )",
                     x->value > 0 ? 100.0 * x->stddev / x->value : 0.0);
        if (statfmt_printf(out, "%18s %-4s %-32s%s\n", val, vunit, x->name, tail) < 0)
            return -1;
    }
    int rc;
    if (run->runs > 1)
        rc = statfmt_printf(out, "\n %17.6f +- %.6f seconds time elapsed  ( +- %5.2f%% )\n\n",
                            run->wall_ns / 1e9, run->wall_stddev / 1e9,
                            run->wall_ns > 0 ? 100.0 * run->wall_stddev / run->wall_ns : 0.0);
    else
        rc = statfmt_printf(out, "\n %17.9f seconds time elapsed\n\n", run->wall_ns / 1e9);
    if (rc == 0 && run->rusage)
        rc = statfmt_printf(out, " %17.9f seconds user\n %17.9f seconds sys\n\n", run->user_s,
                            run->sys_s);
    return rc;
}
