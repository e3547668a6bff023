/* pe_resolve.c - the user's events made openable here: fallbacks, precise levels, group checks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pe_private.h"

/* Whether event x may fall back to cpu-clock when it cannot be opened: a hardware event (generic,
 * raw or of a core PMU, or of a type sysfs does not know) on a machine without any CPU PMU. */
static bool pe_resolve_may_fall_back(const struct perf_event_attr *a, const struct pmu_set *pmus)
{
    if (pmu_ncore(pmus) > 0 || !events_is_hardware(a))
        return false;
    if (a->type == PERF_TYPE_HARDWARE || a->type == PERF_TYPE_HW_CACHE || a->type == PERF_TYPE_RAW)
        return true;
    return pmu_by_type(pmus, a->type) == NULL; /* not msr, uncore or other non-CPU PMUs */
}

static void pe_resolve_drop(struct event_list *ev, size_t i)
{
    free(ev->ev[i].name);
    free(ev->ev[i].fqname);
    memmove(&ev->ev[i], &ev->ev[i + 1], (ev->n - i - 1) * sizeof(ev->ev[0]));
    ev->n--;
}

static bool pe_resolve_same_lone_event(const struct event *a, const struct event *b)
{
    return a->leader && b->leader && a->group < 0 && b->group < 0 && a->attr.type == b->attr.type &&
           a->attr.config == b->attr.config && a->attr.exclude_user == b->attr.exclude_user &&
           a->attr.exclude_kernel == b->attr.exclude_kernel;
}

/* The first of cpus that event i may open on, or -1 when its PMU covers none of them. */
static int pe_resolve_first_cpu(const struct event_list *ev, size_t i, const struct pmu_set *pmus,
                                const int *cpus, size_t ncpus)
{
    const struct pmu *p = pe_event_pmu(ev, i, pmus);
    for (size_t c = 0; c < ncpus; c++)
        if (pmu_has_cpu(p, cpus[c]))
            return cpus[c];
    return -1;
}

/* Tries event i alone on (pid, cpu); *attr gets the attr it was opened with. Returns 0 or the
 * errno. */
static int pe_resolve_try_event(const struct event_list *ev, size_t i, const struct pe_config *cfg,
                                pid_t pid, int cpu, struct perf_event_attr *attr)
{
    uint64_t id;
    pe_build_attr(attr, &ev->ev[i].attr, cfg, pe_role_of(ev, i), i == 0);
    int fd = pe_open_fd(cfg->sys, attr, pid, cpu, -1, &id);
    if (fd < 0)
        return -fd;
    close(fd);
    return 0;
}

/* Makes every group of ev a set of independent events. */
static void pe_resolve_split_group(struct event_list *ev, int group)
{
    for (size_t k = 0; k < ev->n; k++)
        if (ev->ev[k].group == group) {
            ev->ev[k].group = -1;
            ev->ev[k].leader = true;
        }
}

static bool pe_resolve_unsupported(int e)
{
    return e == ENOENT || e == ENODEV || e == EOPNOTSUPP || e == ENXIO;
}

/* Error for an event whose PMU covers none of the CPUs to record. Returns -1. */
static int pe_resolve_err_no_cpu(const struct event_list *ev, size_t i, const struct pmu_set *pmus,
                                 struct hw_err *err)
{
    const struct pmu *p = pe_event_pmu(ev, i, pmus);
    char cpus[256];
    pmu_cpus_string(p, cpus, sizeof(cpus));
    return hw_errf(
        err,
        "event '%s' belongs to PMU %s, which counts on CPUs %s only, none of the CPUs to "
        "record: choose some of them with -C",
        ev->ev[i].name, p ? p->name : "?", cpus);
}

/* Writes "{a,b,c}" (the names of the group led by event i of ev) into buf. */
static void pe_resolve_group_label(const struct event_list *ev, size_t i, char *buf, size_t size)
{
    size_t len = (size_t)snprintf(buf, size, "{%s", ev->ev[i].name);
    for (size_t k = i + 1; k < ev->n && !ev->ev[k].leader && len < size; k++)
        len += (size_t)snprintf(buf + len, size - len, ",%s", ev->ev[k].name);
    if (len < size)
        snprintf(buf + len, size - len, "}");
}

/* Opens the group led by event i on (pid, cpu): the leader, then each member in it. Returns 0, or
 * the errno of the first member that failed with *bad its index. */
static int pe_resolve_try_group(const struct event_list *ev, size_t i, const struct pe_config *cfg,
                                pid_t pid, int cpu, size_t *bad)
{
    struct perf_event_attr attr;
    uint64_t id;
    int fds[PE_GROUP_MAX];
    size_t nfds = 0;
    pe_build_attr(&attr, &ev->ev[i].attr, cfg, pe_role_of(ev, i), i == 0);
    int leader = pe_open_fd(cfg->sys, &attr, pid, cpu, -1, &id);
    if (leader < 0) {
        *bad = i;
        return -leader;
    }
    int e = 0;
    for (size_t k = i + 1; k < ev->n && !ev->ev[k].leader && nfds < PE_GROUP_MAX; k++) {
        pe_build_attr(&attr, &ev->ev[k].attr, cfg, PE_ROLE_MEMBER, false);
        int fd = pe_open_fd(cfg->sys, &attr, pid, cpu, leader, &id);
        if (fd < 0) {
            e = -fd;
            *bad = k;
            break;
        }
        fds[nfds++] = fd;
    }
    for (size_t k = 0; k < nfds; k++)
        close(fds[k]);
    close(leader);
    return e;
}

/* Opens every group as a whole: a member that opens alone but not in its group needs a counter the
 * PMU does not have free; it is dropped with a notice naming that limit (an error with
 * --no-fallback). Returns 0 or -1 with err. */
static int pe_resolve_check_groups(struct event_list *ev, const struct pe_config *cfg, pid_t pid,
                                   const int *cpus, size_t ncpus, const struct pmu_set *pmus,
                                   hw_warn_fn notice, void *narg, struct hw_err *err)
{
    for (size_t i = 0; i < ev->n; i++) {
        if (pe_role_of(ev, i) != PE_ROLE_LEADER)
            continue;
        int cpu = pe_resolve_first_cpu(ev, i, pmus, cpus, ncpus);
        size_t bad = 0;
        int e;
        while ((e = pe_resolve_try_group(ev, i, cfg, pid, cpu, &bad)) != 0) {
            char label[512];
            size_t n = 1;
            while (i + n < ev->n && !ev->ev[i + n].leader)
                n++;
            pe_resolve_group_label(ev, i, label, sizeof(label));
            if (bad == i || cfg->no_fallback)
                return hw_errf(
                    err,
                    "group %s cannot be opened (%s): the CPU cannot count its %zu events "
                    "at once; %s",
                    label, strerror(e), n, pe_limit_advice(pe_nmi_watchdog(cfg->sys)));
            hw_warnf(&(struct hw_warn){notice, narg},
                     "group %s: the CPU cannot count its %zu events at once (%s); dropping %s",
                     label, n, pe_limit_advice(pe_nmi_watchdog(cfg->sys)), ev->ev[bad].name);
            pe_resolve_drop(ev, bad);
            if (pe_role_of(ev, i) != PE_ROLE_LEADER)
                break;
        }
    }
    return 0;
}

/* Whether AMD IBS can take attr as a precise event: cycles (generic, or raw 0x76) or micro-ops (raw
 * 0xc1), the only events the kernel forwards to IBS. */
static bool pe_resolve_ibs_event(const struct perf_event_attr *a)
{
    uint64_t c = a->config & PMU_HW_EVENT_MASK;
    if (a->type == PERF_TYPE_HARDWARE)
        return c == PERF_COUNT_HW_CPU_CYCLES;
    return a->type == PERF_TYPE_RAW && (a->config == 0x76 || a->config == 0xc1);
}

void pe_resolve_precise_amd(struct event *ev, const struct pmu_set *pmus, hw_warn_fn notice,
                            void *arg)
{
    const struct hw_warn warn = {notice, arg};
    struct perf_event_attr *a = &ev->attr;
    if (!a->precise_ip || !events_is_hardware(a))
        return;
    const struct pmu *ibs = pmu_by_name(pmus, "ibs_op");
    if (!ibs) {
        hw_warnf(&warn,
                 "%s: AMD CPUs sample precisely only with IBS, which this machine does not have; "
                 "sampling it without precise",
                 ev->name);
        a->precise_ip = 0;
        return;
    }
    if (!pe_resolve_ibs_event(a)) {
        hw_warnf(&warn,
                 "%s: AMD IBS samples only cycles and micro-ops precisely; sampling it without "
                 "precise",
                 ev->name);
        a->precise_ip = 0;
        return;
    }
    if (a->precise_ip > 2) {
        if (!ev->precise_max) /* :P asked for the highest level there is: 2 is it */
            hw_warnf(&warn, "%s: AMD IBS supports precise levels 1 and 2; sampling it at level 2",
                     ev->name);
        a->precise_ip = 2;
    }
    /* IBS refuses to exclude guest or host time and the idle task (EINVAL); x86 has no hypervisor
     * level to exclude */
    a->exclude_guest = a->exclude_host = a->exclude_idle = 0;
    a->exclude_hv = 0;
    if (!a->exclude_user && !a->exclude_kernel)
        return;
    struct pmu_format swfilt;
    if (pmu_format(pmus, ibs, "swfilt", &swfilt, NULL) == 0) {
        /* the kernel filters IBS samples by privilege level in software */
        uint64_t w = swfilt.word == 0 ? a->config : swfilt.word == 1 ? a->config1 : a->config2;
        pmu_format_apply(&swfilt, 1, &w);
        if (swfilt.word == 0)
            a->config = w;
        else if (swfilt.word == 1)
            a->config1 = w;
        else
            a->config2 = w;
        return;
    }
    hw_warnf(&warn,
             "%s: AMD IBS on this kernel cannot keep to %s space (no swfilt); sampling it "
             "without precise (as root, '%s' with user and kernel would sample precisely)",
             ev->name, a->exclude_kernel ? "user" : "kernel", ev->name);
    a->precise_ip = 0;
}

int pe_resolve_limit_freq(const struct pe_config *cfg, struct event_list *events,
                          struct pe_config *out, hw_warn_fn notice, void *arg, struct hw_err *err)
{
    *out = *cfg;
    uint64_t max = pe_max_sample_rate(cfg->sys), high = 0;
    if (!max)
        return 0;
    if (cfg->period == 0 && cfg->freq > max)
        high = cfg->freq;
    for (size_t i = 0; i < events->n; i++) {
        const struct perf_event_attr *a = &events->ev[i].attr;
        if (a->freq && a->sample_freq > max && a->sample_freq > high)
            high = a->sample_freq;
    }
    if (!high)
        return 0;
    if (cfg->strict_freq)
        return hw_errf(
            err,
            "frequency %llu Hz is above kernel.perf_event_max_sample_rate (%llu): use -F "
            "%llu or lower, or raise the limit with 'sysctl "
            "kernel.perf_event_max_sample_rate=N'",
            (unsigned long long)high, (unsigned long long)max, (unsigned long long)max);
    if (cfg->period == 0 && out->freq > max)
        out->freq = max;
    for (size_t i = 0; i < events->n; i++) {
        struct perf_event_attr *a = &events->ev[i].attr;
        if (a->freq && a->sample_freq > max)
            a->sample_freq = max;
    }
    hw_warnf(&(struct hw_warn){notice, arg},
             "%llu Hz is above kernel.perf_event_max_sample_rate (%llu, which the kernel lowers "
             "when sampling takes too long): sampling at %llu Hz (--strict-freq makes this an "
             "error)",
             (unsigned long long)high, (unsigned long long)max, (unsigned long long)max);
    return 0;
}

/* The kernel fires cpu-clock and task-clock at most every PE_CLOCK_MIN_PERIOD ns (its hrtimer
 * minimum) but reports each sample with the period asked for: a shorter period is raised to it, so
 * that every sample weighs the time it covers. */
static void pe_resolve_clock_minimum(struct event_list *ev, const struct pe_config *cfg,
                                     hw_warn_fn notice, void *narg)
{
    for (size_t i = 0; i < ev->n; i++) {
        struct perf_event_attr *a = &ev->ev[i].attr;
        if (!pe_is_clock(a) || a->freq || !ev->ev[i].leader)
            continue;
        uint64_t period = a->sample_period ? a->sample_period : cfg->period;
        if (!period || period >= PE_CLOCK_MIN_PERIOD)
            continue;
        a->sample_period = PE_CLOCK_MIN_PERIOD;
        hw_warnf(&(struct hw_warn){notice, narg},
                 "%s: the kernel fires a clock event at most every %u ns; sampling every %u ns "
                 "instead of %llu, so that each sample weighs the time it covers",
                 ev->ev[i].name, PE_CLOCK_MIN_PERIOD, PE_CLOCK_MIN_PERIOD,
                 (unsigned long long)period);
    }
}

int pe_resolve(struct event_list *ev, struct pe_config *cfg, pid_t pid, const int *cpus,
               size_t ncpus, const struct pmu_set *pmus, hw_warn_fn notice, void *narg,
               struct hw_err *err)
{
    const struct hw_warn w = {notice, narg};
    if (pmu_ncore(pmus) > 0 && pe_cpu_is_amd(cfg->sys))
        for (size_t k = 0; k < ev->n; k++)
            pe_resolve_precise_amd(&ev->ev[k], pmus, notice, narg);
    if (events_hybrid_split(ev, pmus, err) < 0)
        return -1;
    size_t i = 0;
    int attempts = 0;
    while (i < ev->n) {
        if (++attempts > 1000)
            return hw_errf(err, "internal error: event fallback does not converge");
        int cpu = pe_resolve_first_cpu(ev, i, pmus, cpus, ncpus);
        if (cpu < 0)
            return pe_resolve_err_no_cpu(ev, i, pmus, err);
        struct perf_event_attr tried;
        int e = pe_resolve_try_event(ev, i, cfg, pid, cpu, &tried);
        if (e == 0) {
            i++;
            continue;
        }
        struct event *x = &ev->ev[i];
        enum pe_role role = pe_role_of(ev, i);
        if ((e == EOPNOTSUPP || e == EINVAL) && x->precise_max && x->attr.precise_ip > 0) {
            x->attr.precise_ip--; /* :P: the highest level that opens, silently, as perf */
            continue;
        }
        uint64_t max = e == EINVAL && tried.freq ? pe_max_sample_rate(cfg->sys) : 0;
        if (max && tried.sample_freq > max && !cfg->strict_freq) {
            /* a frequency above the limit (the kernel may have lowered it meanwhile, or a
             * fallback samples at -F while -c was given): lowered, with a notice */
            struct pe_config again;
            if (pe_resolve_limit_freq(cfg, ev, &again, notice, narg, err) < 0)
                return -1;
            *cfg = again;
            continue;
        }
        if (pe_resolve_unsupported(e) && pe_resolve_may_fall_back(&x->attr, pmus) &&
            !cfg->no_fallback) {
            if (role == PE_ROLE_MEMBER) {
                hw_warnf(&w,
                         "%s is not supported here (no hardware PMU); dropping it from its group",
                         x->name);
                pe_resolve_drop(ev, i);
                continue;
            }
            /* A count period (of cache misses, ...) means nothing as a time: the clock samples at
             * the frequency instead, so that each sample weighs the time it stands for. */
            uint64_t count =
                !x->attr.freq ? (x->attr.sample_period ? x->attr.sample_period : cfg->period) : 0;
            char *old = NULL;
            if (events_fallback_cpu_clock(x, &old, err) < 0)
                return -1;
            char how[160] = "";
            if (count) {
                x->attr.freq = 1;
                x->attr.sample_freq = cfg->freq ? cfg->freq : PE_FALLBACK_FREQ;
                snprintf(how, sizeof(how),
                         " at %llu Hz (a period of %llu events has no meaning in time)",
                         (unsigned long long)x->attr.sample_freq, (unsigned long long)count);
            }
            bool dup = false;
            for (size_t k = 0; k < i; k++)
                dup = dup || pe_resolve_same_lone_event(&ev->ev[k], x);
            if (dup) {
                hw_warnf(&w,
                         "%s is not supported here (no hardware PMU); already sampling cpu-clock",
                         old);
                pe_resolve_drop(ev, i);
            } else {
                hw_warnf(&w,
                         "%s is not supported here (no hardware PMU); sampling cpu-clock instead%s "
                         "(--no-fallback to fail)",
                         old, how);
            }
            free(old);
            continue;
        }
        if (pe_resolve_unsupported(e) && role == PE_ROLE_MEMBER && !cfg->no_fallback &&
            pmu_ncore(pmus) > 0) {
            /* the README's promise: a member that cannot be counted is dropped, saying why */
            struct hw_err why = {{0}};
            pe_explain_error(&why, e, x->name, &tried, pid, cpu, pmus);
            hw_warnf(&w, "dropping %s from its group: %s", x->name, why.msg);
            pe_resolve_drop(ev, i);
            continue;
        }
        if (e == EINVAL && role == PE_ROLE_LEADER) {
            /* Kernels before 6.12 cannot read groups of inherited events at each sample. */
            int group = x->group;
            pe_resolve_split_group(ev, group);
            if (pe_resolve_try_event(ev, i, cfg, pid, cpu, &tried) == 0) {
                hw_warnf(
                    &w,
                    "this kernel cannot read event groups in inherited events (needs Linux 6.12); "
                    "sampling the members of group %s independently",
                    x->name);
                continue;
            }
        }
        return pe_explain_error(err, e, x->name, &tried, pid, cpu, pmus);
    }
    if (ev->n == 0)
        return hw_errf(err, "no event left to record");
    pe_resolve_clock_minimum(ev, cfg, notice, narg);
    return pe_resolve_check_groups(ev, cfg, pid, cpus, ncpus, pmus, notice, narg, err);
}
