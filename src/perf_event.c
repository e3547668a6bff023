/* perf_event.c - build sampling perf_event_attrs from parsed events and open them per CPU and target, with fallback and errno advice. */
#include "perf_event.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "perf_regs.h"

static int pe_sys_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd)
{
    return (int)syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, PERF_FLAG_FD_CLOEXEC);
}

void pe_build_attr(struct perf_event_attr *attr, const struct perf_event_attr *encoded,
                   const struct pe_config *cfg, enum pe_role role, bool sideband)
{
    *attr = *encoded;
    attr->size = sizeof(*attr);
    if (role == PE_ROLE_MEMBER) {
        attr->sample_period = 0;
        attr->freq = 0;
    } else if (encoded->sample_period == 0) {
        /* no period/freq modifier on the event itself: use the command line's */
        if (cfg->period) {
            attr->sample_period = cfg->period;
            attr->freq = 0;
        } else {
            attr->sample_freq = cfg->freq;
            attr->freq = 1;
        }
    }
    attr->sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
                        PERF_SAMPLE_CPU;
    /* The period varies only in frequency mode. With a fixed period, PERF_SAMPLE_PERIOD would make
     * the kernel report every single software event (period 1) instead of one per period. */
    if (attr->freq)
        attr->sample_type |= PERF_SAMPLE_PERIOD;
    if (cfg->callchain)
        attr->sample_type |= PERF_SAMPLE_CALLCHAIN;
    if (cfg->callchain && cfg->user_stack && role != PE_ROLE_MEMBER) {
        attr->sample_type |= PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
        attr->sample_regs_user = cfg->dwarf ? PERF_REGS_ALL_MASK : PERF_REGS_UNWIND_MASK;
        attr->sample_stack_user = cfg->user_stack;
        attr->exclude_callchain_user = cfg->dwarf;
    }
    if (cfg->monotonic_clock) {
        attr->use_clockid = 1;
        attr->clockid = CLOCK_MONOTONIC;
    }
    attr->read_format = PERF_FORMAT_ID;
    if (role != PE_ROLE_ALONE)
        attr->read_format |= PERF_FORMAT_GROUP;
    if (role == PE_ROLE_LEADER)
        attr->sample_type |= PERF_SAMPLE_READ;
    attr->sample_id_all = 1;
    attr->inherit = 1;
    attr->disabled = role != PE_ROLE_MEMBER;
    attr->enable_on_exec = cfg->enable_on_exec && role != PE_ROLE_MEMBER;
    attr->exclude_hv = 1;
    if (cfg->wakeup_bytes) {
        attr->watermark = 1;
        attr->wakeup_watermark = cfg->wakeup_bytes;
    } else {
        attr->watermark = 0;
        attr->wakeup_events = 1;
    }
    if (sideband) {
        attr->mmap = 1;
        attr->mmap2 = 1;
        attr->comm = 1;
        attr->comm_exec = 1;
        attr->task = 1;
        attr->context_switch = cfg->switch_records;
    }
}

int pe_paranoid(void)
{
    char buf[32];
    if (hw_read_small_file("/proc/sys/kernel/perf_event_paranoid", buf, sizeof(buf)) < 0)
        return 2;
    return atoi(buf);
}

/* True when the effective capability set holds capability bit cap (from /proc/self/status). */
static bool pe_has_capability(int cap)
{
    char buf[8192];
    if (hw_read_small_file("/proc/self/status", buf, sizeof(buf)) < 0)
        return false;
    const char *p = strstr(buf, "\nCapEff:");
    if (!p)
        return false;
    unsigned long long mask = strtoull(p + 8, NULL, 16);
    return cap < 64 && (mask >> cap) & 1;
}

bool pe_kernel_allowed(void)
{
    enum { CAP_SYS_ADMIN_BIT = 21, CAP_PERFMON_BIT = 38 };
    if (geteuid() == 0 || pe_has_capability(CAP_PERFMON_BIT) || pe_has_capability(CAP_SYS_ADMIN_BIT))
        return true;
    return pe_paranoid() <= 1;
}

int pe_probe(const struct perf_event_attr *attr)
{
    struct perf_event_attr a = *attr;
    a.size = sizeof(a);
    a.disabled = 1;
    a.exclude_kernel = 1;
    a.exclude_hv = 1;
    a.sample_period = 0;
    a.freq = 0;
    int fd = pe_sys_open(&a, 0, -1, -1);
    if (fd < 0)
        return errno;
    close(fd);
    return 0;
}

static uint64_t pe_max_sample_rate(void)
{
    char buf[32];
    uint64_t v;
    if (hw_read_small_file("/proc/sys/kernel/perf_event_max_sample_rate", buf, sizeof(buf)) < 0 ||
        hw_parse_u64(buf, &v) < 0)
        return 0;
    return v;
}

/* True when process pid exists and is owned by a user other than us. */
static bool pe_owned_by_other(pid_t pid)
{
    char path[32];
    struct stat st;
    if (pid <= 0)
        return false;
    snprintf(path, sizeof(path), "/proc/%d", (int)pid);
    return stat(path, &st) == 0 && st.st_uid != geteuid() && geteuid() != 0;
}

int pe_open_error(struct hw_err *err, int errnum, const char *event, const struct perf_event_attr *attr,
                  pid_t pid)
{
    switch (errnum) {
    case EACCES:
    case EPERM:
        if (pe_owned_by_other(pid))
            return hw_errf(err,
                           "no permission to sample process %d: it belongs to another user; run "
                           "hwprof as root or as that user",
                           (int)pid);
        return hw_errf(err,
                       "no permission to sample '%s' (perf_event_paranoid is %d): run as root, or "
                       "lower it with 'sysctl kernel.perf_event_paranoid=1'%s",
                       event, pe_paranoid(),
                       attr->exclude_kernel ? "" : ", or sample user space only with ':u'");
    case EMFILE:
    case ENFILE:
        return hw_errf(err, "too many open files while opening '%s' (one per CPU, thread and event): "
                            "raise the limit with 'ulimit -n', or record fewer events or threads",
                       event);
    case ESRCH:
        return hw_errf(err, "no such process: %d (it may have exited)", (int)pid);
    case ENOENT:
    case ENODEV:
    case EOPNOTSUPP:
    case ENXIO:
        return hw_errf(err,
                       "event '%s' is not supported on this machine (no hardware PMU? virtual machines "
                       "often have none): use a software event such as cpu-clock%s",
                       event, events_is_hardware(attr) ? ", or drop --no-fallback" : "");
    case EBUSY:
        return hw_errf(err, "event '%s' is busy: another tool holds the PMU exclusively; stop it and retry",
                       event);
    case EINVAL: {
        uint64_t max = pe_max_sample_rate();
        if (attr->freq && max && attr->sample_freq > max)
            return hw_errf(err,
                           "frequency %llu Hz for '%s' is above kernel.perf_event_max_sample_rate "
                           "(%llu): use -F %llu or lower, or raise the limit with sysctl",
                           (unsigned long long)attr->sample_freq, event, (unsigned long long)max,
                           (unsigned long long)max);
        return hw_errf(err, "the kernel rejected event '%s' (invalid argument): check its modifiers, "
                            "period and frequency",
                       event);
    }
    default:
        return hw_errf_errno(err, errnum, "cannot open event '%s'", event);
    }
}

static bool pe_in_group(const struct hw_event_list *ev, size_t i)
{
    return ev->ev[i].group >= 0;
}

static enum pe_role pe_role_of(const struct hw_event_list *ev, size_t i)
{
    if (!ev->ev[i].leader)
        return PE_ROLE_MEMBER;
    if (i + 1 < ev->n && pe_in_group(ev, i) && !ev->ev[i + 1].leader &&
        ev->ev[i + 1].group == ev->ev[i].group)
        return PE_ROLE_LEADER;
    return PE_ROLE_ALONE;
}

static void pe_drop_event(struct hw_event_list *ev, size_t i)
{
    free(ev->ev[i].name);
    free(ev->ev[i].fqname);
    memmove(&ev->ev[i], &ev->ev[i + 1], (ev->n - i - 1) * sizeof(ev->ev[0]));
    ev->n--;
}

static bool pe_same_lone_event(const struct hw_event *a, const struct hw_event *b)
{
    return a->leader && b->leader && a->group < 0 && b->group < 0 && a->attr.type == b->attr.type &&
           a->attr.config == b->attr.config && a->attr.exclude_user == b->attr.exclude_user &&
           a->attr.exclude_kernel == b->attr.exclude_kernel;
}

static void pe_notify(hw_warn_fn notice, void *arg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void pe_notify(hw_warn_fn notice, void *arg, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (notice)
        notice(arg, msg);
}

/* Tries event i alone on the first target and CPU. Returns 0 or the errno. */
static int pe_try_event(const struct hw_event_list *ev, size_t i, const struct pe_config *cfg, pid_t pid,
                        int cpu)
{
    struct perf_event_attr attr;
    pe_build_attr(&attr, &ev->ev[i].attr, cfg, pe_role_of(ev, i), i == 0);
    int fd = pe_sys_open(&attr, pid, cpu, -1);
    if (fd < 0)
        return errno;
    close(fd);
    return 0;
}

/* Makes every group of ev a set of independent events. */
static void pe_split_group(struct hw_event_list *ev, int group)
{
    for (size_t k = 0; k < ev->n; k++)
        if (ev->ev[k].group == group) {
            ev->ev[k].group = -1;
            ev->ev[k].leader = true;
        }
}

static bool pe_unsupported_errno(int e)
{
    return e == ENOENT || e == ENODEV || e == EOPNOTSUPP || e == ENXIO;
}

/* Applies fallbacks until every event opens on (pid, cpu). Returns 0 or -1 with err. */
static int pe_resolve(struct hw_event_list *ev, const struct pe_config *cfg, pid_t pid, int cpu,
                      hw_warn_fn notice, void *narg, struct hw_err *err)
{
    size_t i = 0;
    int attempts = 0;
    while (i < ev->n) {
        if (++attempts > 1000)
            return hw_errf(err, "internal error: event fallback does not converge");
        int e = pe_try_event(ev, i, cfg, pid, cpu);
        if (e == 0) {
            i++;
            continue;
        }
        struct hw_event *x = &ev->ev[i];
        enum pe_role role = pe_role_of(ev, i);
        if (pe_unsupported_errno(e) && events_is_hardware(&x->attr) && !cfg->no_fallback) {
            if (role == PE_ROLE_MEMBER) {
                pe_notify(notice, narg, "%s is not supported here (no hardware PMU?); dropping it from its group",
                          x->name);
                pe_drop_event(ev, i);
                continue;
            }
            char *old = NULL;
            if (events_fallback_cpu_clock(x, &old, err) < 0)
                return -1;
            bool dup = false;
            for (size_t k = 0; k < i; k++)
                dup = dup || pe_same_lone_event(&ev->ev[k], x);
            if (dup) {
                pe_notify(notice, narg, "%s is not supported here (no hardware PMU?); already sampling cpu-clock",
                          old);
                pe_drop_event(ev, i);
            } else {
                pe_notify(notice, narg,
                          "%s is not supported here (no hardware PMU?); sampling cpu-clock instead "
                          "(--no-fallback to fail)",
                          old);
            }
            free(old);
            continue;
        }
        if (e == EINVAL && role == PE_ROLE_LEADER) {
            /* Kernels before 6.12 cannot read groups of inherited events at each sample. */
            int group = x->group;
            pe_split_group(ev, group);
            if (pe_try_event(ev, i, cfg, pid, cpu) == 0) {
                pe_notify(notice, narg,
                          "this kernel cannot read event groups in inherited events (needs Linux 6.12); "
                          "sampling the members of group %s independently",
                          x->name);
                continue;
            }
        }
        return pe_open_error(err, e, x->name, &x->attr, pid);
    }
    if (ev->n == 0)
        return hw_errf(err, "no event left to record");
    return 0;
}

static int pe_cmp_id(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* The (id, event) pairs sorted by id live after the ids array: [ids][sorted pairs]. */
static uint64_t *pe_sorted_pairs(const struct pe_set *s)
{
    return s->ids + s->ntargets * s->ncpus * s->nevents;
}

int pe_open(struct pe_set *set, struct hw_event_list *events, const struct pe_config *cfg,
            const pid_t *targets, size_t ntargets, const int *cpus, size_t ncpus, hw_warn_fn notice,
            void *notice_arg, struct hw_err *err)
{
    memset(set, 0, sizeof(*set));
    if (ntargets == 0 || ncpus == 0 || events->n == 0)
        return hw_errf(err, "nothing to open");
    if (cfg->period == 0) {
        uint64_t max = pe_max_sample_rate();
        if (max && cfg->freq > max)
            return hw_errf(err,
                           "frequency %llu Hz is above kernel.perf_event_max_sample_rate (%llu): use -F "
                           "%llu or lower, or raise the limit with 'sysctl kernel.perf_event_max_sample_rate=N'",
                           (unsigned long long)cfg->freq, (unsigned long long)max,
                           (unsigned long long)max);
    }
    if (pe_resolve(events, cfg, targets[0], cpus[0], notice, notice_arg, err) < 0)
        return -1;

    size_t ne = events->n, total = ntargets * ncpus * ne;
    set->nevents = ne;
    set->ntargets = ntargets;
    set->ncpus = ncpus;
    set->attrs = calloc(ne, sizeof(*set->attrs));
    set->names = calloc(ne, sizeof(*set->names));
    set->targets = calloc(ntargets, sizeof(*set->targets));
    set->cpus = calloc(ncpus, sizeof(*set->cpus));
    set->fds = malloc(total * sizeof(*set->fds));
    set->ids = calloc(total * 3, sizeof(*set->ids)); /* ids, then sorted (id, event) pairs */
    if (!set->attrs || !set->names || !set->targets || !set->cpus || !set->fds || !set->ids) {
        pe_close(set);
        return hw_errf(err, "out of memory");
    }
    for (size_t i = 0; i < total; i++)
        set->fds[i] = -1;
    memcpy(set->targets, targets, ntargets * sizeof(*targets));
    memcpy(set->cpus, cpus, ncpus * sizeof(*cpus));
    for (size_t e = 0; e < ne; e++) {
        pe_build_attr(&set->attrs[e], &events->ev[e].attr, cfg, pe_role_of(events, e), e == 0);
        set->names[e] = hw_strdup(events->ev[e].name);
        if (!set->names[e]) {
            pe_close(set);
            return hw_errf(err, "out of memory");
        }
    }

    size_t leader = 0;
    for (size_t t = 0; t < ntargets; t++) {
        for (size_t c = 0; c < ncpus; c++) {
            for (size_t e = 0; e < ne; e++) {
                size_t idx = pe_index(set, t, c, e);
                bool member = pe_role_of(events, e) == PE_ROLE_MEMBER;
                if (!member)
                    leader = idx;
                int group_fd = member ? set->fds[leader] : -1;
                if (member && group_fd < 0)
                    continue; /* its leader's thread is gone */
                int fd = pe_sys_open(&set->attrs[e], targets[t], cpus[c], group_fd);
                if (fd < 0) {
                    int en = errno;
                    if (en == ESRCH && t > 0)
                        continue; /* a thread exited while we attached: nothing to sample there */
                    pe_open_error(err, en, set->names[e], &set->attrs[e], targets[t]);
                    pe_close(set);
                    return -1;
                }
                set->fds[idx] = fd;
                if (ioctl(fd, PERF_EVENT_IOC_ID, &set->ids[idx]) < 0) {
                    hw_errf_errno(err, errno, "cannot read the id of event '%s'", set->names[e]);
                    pe_close(set);
                    return -1;
                }
            }
        }
    }
    uint64_t *pairs = pe_sorted_pairs(set);
    for (size_t i = 0; i < total; i++) {
        pairs[2 * i] = set->fds[i] >= 0 ? set->ids[i] : UINT64_MAX;
        pairs[2 * i + 1] = i % ne;
    }
    qsort(pairs, total, 2 * sizeof(uint64_t), pe_cmp_id);
    return 0;
}

int pe_buffer_fd(const struct pe_set *set, size_t cpu)
{
    for (size_t t = 0; t < set->ntargets; t++)
        for (size_t e = 0; e < set->nevents; e++) {
            int fd = set->fds[pe_index(set, t, cpu, e)];
            if (fd >= 0)
                return fd;
        }
    return -1;
}

int pe_redirect_outputs(struct pe_set *set, struct hw_err *err)
{
    for (size_t c = 0; c < set->ncpus; c++) {
        int owner = pe_buffer_fd(set, c);
        for (size_t t = 0; t < set->ntargets; t++)
            for (size_t e = 0; e < set->nevents; e++) {
                int fd = set->fds[pe_index(set, t, c, e)];
                if (fd < 0 || fd == owner)
                    continue;
                if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, owner) < 0)
                    return hw_errf_errno(err, errno, "cannot share the ring buffer of CPU %d",
                                         set->cpus[c]);
            }
    }
    return 0;
}

int pe_enable(struct pe_set *set, bool on, struct hw_err *err)
{
    size_t total = set->ntargets * set->ncpus * set->nevents;
    for (size_t i = 0; i < total; i++) {
        if (set->fds[i] < 0 || !set->attrs[i % set->nevents].disabled)
            continue; /* members follow their leader */
        if (ioctl(set->fds[i], on ? PERF_EVENT_IOC_ENABLE : PERF_EVENT_IOC_DISABLE, 0) < 0)
            return hw_errf_errno(err, errno, "cannot %s event '%s'", on ? "enable" : "disable",
                                 set->names[i % set->nevents]);
    }
    return 0;
}

uint32_t pe_group_size(const struct pe_set *set, size_t event)
{
    if (!set->attrs[event].disabled)
        return 0; /* members are the only events opened enabled */
    uint32_t n = 1;
    while (event + n < set->nevents && !set->attrs[event + n].disabled)
        n++;
    return n;
}

int pe_event_of_id(const struct pe_set *set, uint64_t id)
{
    const uint64_t *pairs = pe_sorted_pairs(set);
    size_t lo = 0, hi = set->ntargets * set->ncpus * set->nevents;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (pairs[2 * mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < set->ntargets * set->ncpus * set->nevents && pairs[2 * lo] == id)
        return (int)pairs[2 * lo + 1];
    return -1;
}

void pe_close(struct pe_set *set)
{
    if (set->fds) {
        size_t total = set->ntargets * set->ncpus * set->nevents;
        for (size_t i = 0; i < total; i++)
            if (set->fds[i] >= 0)
                close(set->fds[i]);
    }
    if (set->names)
        for (size_t e = 0; e < set->nevents; e++)
            free(set->names[e]);
    free(set->names);
    free(set->attrs);
    free(set->targets);
    free(set->cpus);
    free(set->fds);
    free(set->ids);
    memset(set, 0, sizeof(*set));
}
