/* perf_event.c - perf_event_attrs built, and opened per target and CPU as one set of fds. */
#include "perf_event.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "pe_private.h"
#include "perf_regs.h"

int pe_open_fd(const struct pe_system *sys, struct perf_event_attr *attr, pid_t pid, int cpu,
               int group_fd, uint64_t *id)
{
    if (sys && sys->open)
        return sys->open(sys->arg, attr, pid, cpu, group_fd, id);
    int fd = (int)syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (ioctl(fd, PERF_EVENT_IOC_ID, id) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

/* Writes ROOT/PATH (path absolute) into buf, root being sys's ("" for the real system). */
static const char *pe_path(const struct pe_system *sys, const char *path, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s", sys && sys->root ? sys->root : "", path);
    return buf;
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
        /* no period/freq modifier on the event itself: use the command line's; a tracepoint
         * samples every hit unless -c says otherwise (perf's default) */
        if (cfg->period || encoded->type == PERF_TYPE_TRACEPOINT) {
            attr->sample_period = cfg->period ? cfg->period : 1;
            attr->freq = 0;
        } else {
            attr->sample_freq = cfg->freq;
            attr->freq = 1;
        }
    }
    attr->sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID |
                        PERF_SAMPLE_TIME | PERF_SAMPLE_CPU;
    /* The period varies only in frequency mode. With a fixed period, PERF_SAMPLE_PERIOD would make
     * the kernel report every single software event (period 1) instead of one per period. */
    if (encoded->type == PERF_TYPE_TRACEPOINT && role != PE_ROLE_MEMBER)
        attr->sample_type |= PERF_SAMPLE_RAW; /* the tracepoint's fields, for perf script */
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
    /* the times tell after the run whether the kernel could schedule the event (pe_schedule) */
    attr->read_format =
        PERF_FORMAT_ID | PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
    if (role != PE_ROLE_ALONE)
        attr->read_format |= PERF_FORMAT_GROUP;
    if (role == PE_ROLE_LEADER)
        attr->sample_type |= PERF_SAMPLE_READ;
    attr->sample_id_all = 1;
    attr->inherit = 1;
    attr->disabled = role != PE_ROLE_MEMBER;
    attr->enable_on_exec = cfg->enable_on_exec && role != PE_ROLE_MEMBER;
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

void pe_build_count_attr(struct perf_event_attr *attr, const struct perf_event_attr *encoded,
                         bool enable_on_exec, bool inherit, bool member)
{
    *attr = *encoded;
    attr->size = sizeof(*attr);
    attr->sample_period = 0;
    attr->freq = 0;
    attr->sample_type = 0;
    attr->precise_ip = 0; /* precision is a property of samples */
    attr->read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
    attr->inherit = inherit;
    attr->disabled = !member;
    attr->enable_on_exec = enable_on_exec && !member;
    attr->watermark = 0;
    attr->wakeup_events = 0;
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

/* Whether this process is root or holds CAP_PERFMON or CAP_SYS_ADMIN. */
static bool pe_privileged(void)
{
    enum { CAP_SYS_ADMIN_BIT = 21, CAP_PERFMON_BIT = 38 };
    return geteuid() == 0 || pe_has_capability(CAP_PERFMON_BIT) ||
           pe_has_capability(CAP_SYS_ADMIN_BIT);
}

bool pe_kernel_allowed(void)
{
    return pe_privileged() || pe_paranoid() <= 1;
}

bool pe_cpu_wide_allowed(void)
{
    return pe_privileged() || pe_paranoid() <= 0;
}

int pe_cpu_wide_error(struct hw_err *err)
{
    return hw_errf(err,
                   "recording all processes of CPUs (-a, -C) needs root or CAP_PERFMON while "
                   "kernel.perf_event_paranoid is %d (above 0): run as root, or lower it with "
                   "'sysctl kernel.perf_event_paranoid=0'",
                   pe_paranoid());
}

int pe_probe(const struct perf_event_attr *encoded, const struct pmu_set *pmus,
             const struct pe_system *sys)
{
    struct pe_config cfg = {.period = PE_PROBE_PERIOD, .sys = sys};
    struct perf_event_attr a;
    pe_build_attr(&a, encoded, &cfg, PE_ROLE_ALONE, false);
    a.sample_period = a.freq ? PE_PROBE_PERIOD : a.sample_period;
    a.freq = 0;
    a.inherit = 0;
    if (!pe_kernel_allowed())
        a.exclude_kernel = 1;
    const struct pmu *p = pmu_of_attr(pmus, encoded);
    int cpu = p && p->cpus ? p->cpus[0] : -1;
    uint64_t id;
    int fd = pe_open_fd(sys, &a, 0, cpu, -1, &id);
    if (fd < 0)
        return -fd;
    close(fd);
    return 0;
}

uint64_t pe_max_sample_rate(const struct pe_system *sys)
{
    char buf[32], path[4096];
    uint64_t v;
    pe_path(sys, "/proc/sys/kernel/perf_event_max_sample_rate", path, sizeof(path));
    if (hw_read_small_file(path, buf, sizeof(buf)) < 0 || hw_parse_u64(buf, &v) < 0)
        return 0;
    return v;
}

static bool pe_in_group(const struct event_list *ev, size_t i)
{
    return ev->ev[i].group >= 0;
}

enum pe_role pe_role_of(const struct event_list *ev, size_t i)
{
    if (!ev->ev[i].leader)
        return PE_ROLE_MEMBER;
    if (i + 1 < ev->n && pe_in_group(ev, i) && !ev->ev[i + 1].leader &&
        ev->ev[i + 1].group == ev->ev[i].group)
        return PE_ROLE_LEADER;
    return PE_ROLE_ALONE;
}

/* The leader of event i (i itself for a leader or a lone event). */
static size_t pe_leader_of(const struct event_list *ev, size_t i)
{
    while (i > 0 && !ev->ev[i].leader)
        i--;
    return i;
}

const struct pmu *pe_event_pmu(const struct event_list *ev, size_t i, const struct pmu_set *pmus)
{
    const struct pmu *p = pmu_of_attr(pmus, &ev->ev[i].attr);
    if (!p && !ev->ev[i].leader)
        p = pmu_of_attr(pmus, &ev->ev[pe_leader_of(ev, i)].attr);
    return p;
}

int pe_nmi_watchdog(const struct pe_system *sys)
{
    char path[4096], buf[32];
    uint64_t v;
    pe_path(sys, "/proc/sys/kernel/nmi_watchdog", path, sizeof(path));
    if (hw_read_small_file(path, buf, sizeof(buf)) < 0 || hw_parse_u64(buf, &v) < 0)
        return -1;
    return v != 0;
}

const char *pe_limit_advice(int nmi_watchdog)
{
    return nmi_watchdog == 1
               ? "the NMI watchdog holds one counter ('sysctl kernel.nmi_watchdog=0' frees it)"
               : "the PMU has fewer free counters (other tools may hold some): split the group";
}

bool pe_schedule_verdict(char *buf, size_t size, const char *what, size_t nevents, uint64_t enabled,
                         uint64_t running, int nmi_watchdog)
{
    buf[0] = '\0';
    if (enabled == 0 || running >= enabled - enabled / 1000)
        return false; /* never enabled (nothing ran), or ran the whole time */
    if (running == 0) {
        snprintf(buf, size,
                 "%s never ran: the kernel could not give %s %zu hardware counter%s at once "
                 "(%s); it has no samples",
                 what, nevents > 1 ? "its" : "it", nevents, nevents > 1 ? "s" : "",
                 pe_limit_advice(nmi_watchdog));
        return true;
    }
    snprintf(buf, size,
             "%s counted only %.1f%% of the time: the kernel multiplexed more events than the PMU "
             "has counters, so its samples cover only that share%s",
             what, 100.0 * (double)running / (double)enabled,
             nmi_watchdog == 1 ? "; the NMI watchdog holds one counter ('sysctl "
                                 "kernel.nmi_watchdog=0' frees it)"
                               : "");
    return true;
}

void pe_schedule(const struct pe_set *set, const struct pe_system *sys, hw_warn_fn notice,
                 void *arg)
{
    int nmi = pe_nmi_watchdog(sys);
    for (size_t e = set->tracking; e < set->nevents; e++) {
        uint32_t n = pe_group_size(set, e);
        if (n == 0 || !events_is_hardware(&set->attrs[e]))
            continue; /* members go with their leader; software events always run */
        uint64_t enabled = 0, running = 0;
        for (size_t t = 0; t < set->ntargets; t++)
            for (size_t c = 0; c < set->ncpus; c++) {
                int fd = set->fds[pe_index(set, t, c, e)];
                uint64_t v[3 + 2 * PE_GROUP_MAX];
                /* both layouts (group and single) hold the two times at words 1 and 2 */
                if (fd >= 0 && read(fd, v, sizeof(v)) >= 24) {
                    enabled += v[1];
                    running += v[2];
                }
            }
        char what[512], msg[1024];
        if (n > 1) {
            size_t len = (size_t)snprintf(what, sizeof(what), "group {%s", set->names[e]);
            for (uint32_t k = 1; k < n && len < sizeof(what); k++)
                len += (size_t)snprintf(what + len, sizeof(what) - len, ",%s", set->names[e + k]);
            if (len < sizeof(what))
                snprintf(what + len, sizeof(what) - len, "}");
        } else {
            snprintf(what, sizeof(what), "%s", set->names[e]);
        }
        if (pe_schedule_verdict(msg, sizeof(msg), what, n, enabled, running, nmi) && notice)
            notice(arg, msg);
    }
}

bool pe_cpu_is_amd(const struct pe_system *sys)
{
    char path[4096];
    pe_path(sys, "/proc/cpuinfo", path, sizeof(path));
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char line[256];
    bool amd = false;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "vendor_id", 9) == 0) {
            amd = strstr(line, "AuthenticAMD") || strstr(line, "HygonGenuine");
            break;
        }
    fclose(f);
    return amd;
}

bool pe_is_clock(const struct perf_event_attr *a)
{
    return a->type == PERF_TYPE_SOFTWARE &&
           (a->config == PERF_COUNT_SW_CPU_CLOCK || a->config == PERF_COUNT_SW_TASK_CLOCK);
}

/* An (id, event) pair of the id index, sorted by id. */
struct pe_id_pair {
    uint64_t id;
    uint64_t event;
};

static int pe_cmp_id(const void *a, const void *b)
{
    const struct pe_id_pair *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* The (id, event) pairs sorted by id live after the ids array: [ids][sorted pairs]. */
static struct pe_id_pair *pe_sorted_pairs(const struct pe_set *s)
{
    return (struct pe_id_pair *)(void *)(s->ids + s->ntargets * s->ncpus * s->nevents);
}

/* The encoding of the side-band dummy event that leads a set whose first event misses CPUs. */
static void pe_tracking_attr(struct perf_event_attr *a, const struct perf_event_attr *first)
{
    memset(a, 0, sizeof(*a));
    a->size = sizeof(*a);
    a->type = PERF_TYPE_SOFTWARE;
    a->config = PERF_COUNT_SW_DUMMY;
    a->exclude_kernel = first->exclude_kernel;
    a->exclude_hv = 1;
}

/* Whether event 0 opens on every CPU to record (else a dummy must carry the side-band). */
static bool pe_first_covers(const struct event_list *ev, const struct pmu_set *pmus,
                            const int *cpus, size_t ncpus)
{
    const struct pmu *p = pe_event_pmu(ev, 0, pmus);
    for (size_t c = 0; c < ncpus; c++)
        if (!pmu_has_cpu(p, cpus[c]))
            return false;
    return true;
}

/* Fills the per-event part of set (attrs, names) for the resolved events, after the tracking dummy
 * when set->tracking. Returns 0 or -1 with err. */
static int pe_fill_events(struct pe_set *set, const struct event_list *events,
                          const struct pe_config *cfg, struct hw_err *err)
{
    size_t off = set->tracking;
    if (set->tracking) {
        struct perf_event_attr dummy;
        pe_tracking_attr(&dummy, &events->ev[0].attr);
        pe_build_attr(&set->attrs[0], &dummy, cfg, PE_ROLE_ALONE, true);
        set->names[0] = hw_strdup(dummy.exclude_kernel ? "dummy:u" : "dummy");
        if (!set->names[0])
            return hw_err_oom(err);
    }
    for (size_t e = 0; e < events->n; e++) {
        pe_build_attr(&set->attrs[e + off], &events->ev[e].attr, cfg, pe_role_of(events, e),
                      e + off == 0);
        set->names[e + off] = hw_strdup(events->ev[e].name);
        if (!set->names[e + off])
            return hw_err_oom(err);
    }
    return 0;
}

int pe_open(struct pe_set *set, struct event_list *events, const struct pe_config *cfg,
            const pid_t *targets, size_t ntargets, const int *cpus, size_t ncpus, hw_warn_fn notice,
            void *notice_arg, struct hw_err *err)
{
    memset(set, 0, sizeof(*set));
    if (ntargets == 0 || ncpus == 0 || events->n == 0)
        return hw_errf(err, "nothing to open");
    struct pe_config lowered;
    if (pe_resolve_limit_freq(cfg, events, &lowered, notice, notice_arg, err) < 0)
        return -1;
    cfg = &lowered;
    struct pmu_set pmus;
    if (pmu_scan(cfg->sys ? cfg->sys->root : NULL, &pmus, err) < 0)
        return -1;
    if (pe_resolve(events, &lowered, targets[0], cpus, ncpus, &pmus, notice, notice_arg, err) < 0) {
        pmu_set_free(&pmus);
        return -1;
    }

    set->tracking = !pe_first_covers(events, &pmus, cpus, ncpus);
    size_t ne = events->n + set->tracking, total = ntargets * ncpus * ne;
    set->nevents = ne;
    set->ntargets = ntargets;
    set->ncpus = ncpus;
    set->attrs = calloc(ne, sizeof(*set->attrs));
    set->names = calloc(ne, sizeof(*set->names));
    set->targets = calloc(ntargets, sizeof(*set->targets));
    set->cpus = calloc(ncpus, sizeof(*set->cpus));
    set->fds = malloc(total * sizeof(*set->fds));
    set->ids = calloc(total * 3, sizeof(*set->ids));    /* ids, then sorted (id, event) pairs */
    bool *on_cpu = calloc(ne * ncpus, sizeof(*on_cpu)); /* [event][cpu] */
    int rc = !set->attrs || !set->names || !set->targets || !set->cpus || !set->fds || !set->ids ||
                     !on_cpu
                 ? hw_err_oom(err)
                 : pe_fill_events(set, events, cfg, err);
    if (rc < 0) {
        free(on_cpu);
        pmu_set_free(&pmus);
        pe_close(set);
        return -1;
    }
    for (size_t i = 0; i < total; i++)
        set->fds[i] = -1;
    memcpy(set->targets, targets, ntargets * sizeof(*targets));
    memcpy(set->cpus, cpus, ncpus * sizeof(*cpus));
    for (size_t e = 0; e < ne; e++) {
        const struct pmu *p =
            e < set->tracking ? NULL : pe_event_pmu(events, e - set->tracking, &pmus);
        for (size_t c = 0; c < ncpus; c++)
            on_cpu[e * ncpus + c] = pmu_has_cpu(p, cpus[c]);
    }

    size_t leader = 0;
    for (size_t t = 0; t < ntargets; t++) {
        for (size_t c = 0; c < ncpus; c++) {
            for (size_t e = 0; e < ne; e++) {
                size_t idx = pe_index(set, t, c, e);
                bool member =
                    !set->attrs[e].disabled; /* members are the only events opened enabled */
                if (!member)
                    leader = idx;
                if (!on_cpu[e * ncpus + c])
                    continue; /* not a CPU of its PMU */
                int group_fd = member ? set->fds[leader] : -1;
                if (member && group_fd < 0)
                    continue; /* its leader's thread is gone */
                int fd = pe_open_fd(cfg->sys, &set->attrs[e], targets[t], cpus[c], group_fd,
                                    &set->ids[idx]);
                if (fd < 0) {
                    if (fd == -ESRCH && t > 0)
                        continue; /* a thread exited while we attached: nothing to sample there */
                    pe_explain_error(err, -fd, set->names[e], &set->attrs[e], targets[t], cpus[c],
                                     &pmus);
                    free(on_cpu);
                    pmu_set_free(&pmus);
                    pe_close(set);
                    return -1;
                }
                set->fds[idx] = fd;
            }
        }
    }
    free(on_cpu);
    pmu_set_free(&pmus);
    struct pe_id_pair *pairs = pe_sorted_pairs(set);
    for (size_t i = 0; i < total; i++) {
        pairs[i].id = set->fds[i] >= 0 ? set->ids[i] : UINT64_MAX;
        pairs[i].event = i % ne;
    }
    qsort(pairs, total, sizeof(*pairs), pe_cmp_id);
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
    const struct pe_id_pair *pairs = pe_sorted_pairs(set);
    size_t n = set->ntargets * set->ncpus * set->nevents;
    size_t i = hw_bsearch_le(pairs, n, sizeof(*pairs), offsetof(struct pe_id_pair, id), id);
    return i < n && pairs[i].id == id ? (int)pairs[i].event : -1;
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
