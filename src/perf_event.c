/* perf_event.c - perf_event_attrs opened per target and CPU, with fallbacks and advice. */
#include "perf_event.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "evnames.h"
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

static uint64_t pe_max_sample_rate(const struct pe_system *sys)
{
    char buf[32], path[4096];
    uint64_t v;
    pe_path(sys, "/proc/sys/kernel/perf_event_max_sample_rate", path, sizeof(path));
    if (hw_read_small_file(path, buf, sizeof(buf)) < 0 || hw_parse_u64(buf, &v) < 0)
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

int pe_open_error(struct hw_err *err, int errnum, const char *event,
                  const struct perf_event_attr *attr, pid_t pid)
{
    switch (errnum) {
    case EACCES:
    case EPERM:
        if (pid == -1)
            return pe_cpu_wide_error(err);
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
        return hw_errf(err,
                       "too many open files while opening '%s' (one per CPU, thread and event): "
                       "raise the limit with 'ulimit -n', or record fewer events or threads",
                       event);
    case ESRCH:
        return hw_errf(err, "no such process: %d (it may have exited)", (int)pid);
    case ENOENT:
    case ENODEV:
    case EOPNOTSUPP:
    case ENXIO:
        return hw_errf(
            err,
            "event '%s' is not supported on this machine (no hardware PMU? virtual machines "
            "often have none): use a software event such as cpu-clock%s",
            event, events_is_hardware(attr) ? ", or drop --no-fallback" : "");
    case EBUSY:
        return hw_errf(
            err, "event '%s' is busy: another tool holds the PMU exclusively; stop it and retry",
            event);
    case EINVAL: {
        uint64_t max = pe_max_sample_rate(NULL);
        if (attr->freq && max && attr->sample_freq > max)
            return hw_errf(err,
                           "frequency %llu Hz for '%s' is above kernel.perf_event_max_sample_rate "
                           "(%llu): use -F %llu or lower, or raise the limit with sysctl",
                           (unsigned long long)attr->sample_freq, event, (unsigned long long)max,
                           (unsigned long long)max);
        return hw_errf(err,
                       "the kernel rejected event '%s' (invalid argument): check its modifiers, "
                       "period and frequency",
                       event);
    }
    default:
        return hw_errf_errno(err, errnum, "cannot open event '%s'", event);
    }
}

/* The perf name of a generic hardware event config (without the PMU in the extended type). */
static const char *pe_generic_name(const struct perf_event_attr *a)
{
    const char *name = a->type == PERF_TYPE_HARDWARE
                           ? evnames_generic(a->type, a->config & PMU_HW_EVENT_MASK)
                           : NULL;
    if (name)
        return name;
    return a->type == PERF_TYPE_HW_CACHE ? "cache event" : NULL;
}

int pe_explain_error(struct hw_err *err, int errnum, const char *event,
                     const struct perf_event_attr *attr, pid_t pid, int cpu,
                     const struct pmu_set *pmus)
{
    bool unsupported =
        errnum == ENOENT || errnum == ENODEV || errnum == EOPNOTSUPP || errnum == ENXIO;
    const struct pmu *dyn = attr->type >= PERF_TYPE_MAX ? pmu_of_attr(pmus, attr) : NULL;
    if (errnum == EINVAL && dyn && !dyn->core && (attr->sample_period || attr->freq))
        return hw_errf(err,
                       "PMU %s refused to sample '%s': it counts only, or only system-wide; count "
                       "it with 'hwprof stat'%s",
                       dyn->name, event, dyn->cpus ? " -a" : "");
    if ((errnum == EACCES || errnum == EPERM) && attr->type == PERF_TYPE_TRACEPOINT)
        return hw_errf(
            err,
            "no permission to record tracepoint '%s' with its fields: that needs root or "
            "CAP_PERFMON, or 'sysctl kernel.perf_event_paranoid=-1'",
            event);
    if (!unsupported || !pmus || !events_is_hardware(attr))
        return pe_open_error(err, errnum, event, attr, pid);
    if (pmu_ncore(pmus) == 0)
        return hw_errf(
            err,
            "event '%s' is not supported on this machine: it has no hardware PMU (virtual "
            "machines often have none); use a software event such as cpu-clock, or drop "
            "--no-fallback to sample cpu-clock instead",
            event);
    const struct pmu *p = pmu_of_attr(pmus, attr);
    const char *pname = p ? p->name : "cpu";
    char cpus[256];
    if (p && cpu >= 0 && !pmu_has_cpu(p, cpu)) {
        pmu_cpus_string(p, cpus, sizeof(cpus));
        return hw_errf(err,
                       "event '%s' belongs to PMU %s, which counts on CPUs %s only, not on CPU %d: "
                       "record other CPUs with -C, or name the event of the PMU of that CPU",
                       event, pname, cpus, cpu);
    }
    if (errnum == EOPNOTSUPP && attr->precise_ip) {
        long max = p ? pmu_cap(pmus, p, "max_precise") : -1;
        char most[64] = "";
        if (max >= 0)
            snprintf(most, sizeof(most), " (PMU %s supports at most %ld)", pname, max);
        return hw_errf(err,
                       "this CPU cannot sample '%s' with precise level %u%s: use fewer 'p' "
                       "modifiers, or ':P' for the highest level it supports",
                       event, (unsigned)attr->precise_ip, most);
    }
    if (errnum == EOPNOTSUPP && (attr->sample_period || attr->freq))
        return hw_errf(err,
                       "PMU %s cannot sample '%s' (it raises no overflow interrupt for it): count "
                       "it with 'hwprof stat' instead",
                       pname, event);
    const char *generic = pe_generic_name(attr);
    if (generic && errnum == ENOENT)
        return hw_errf(
            err,
            "the CPU's PMU (%s) has no event for the generic %s '%s': the kernel maps "
            "none on this CPU model (ref-cycles on AMD, stalled-cycles on recent Intel); "
            "see 'hwprof list' for what it counts",
            pname, generic, event);
    return hw_errf(err,
                   "PMU %s does not count event '%s' (config 0x%llx) on this CPU: check its name "
                   "and unit masks with 'hwprof list'",
                   pname, event, (unsigned long long)attr->config);
}

/* Whether event x may fall back to cpu-clock when it cannot be opened: a hardware event (generic,
 * raw or of a core PMU, or of a type sysfs does not know) on a machine without any CPU PMU. */
static bool pe_may_fall_back(const struct perf_event_attr *a, const struct pmu_set *pmus)
{
    if (pmu_ncore(pmus) > 0 || !events_is_hardware(a))
        return false;
    if (a->type == PERF_TYPE_HARDWARE || a->type == PERF_TYPE_HW_CACHE || a->type == PERF_TYPE_RAW)
        return true;
    return pmu_by_type(pmus, a->type) == NULL; /* not msr, uncore or other non-CPU PMUs */
}

static bool pe_in_group(const struct event_list *ev, size_t i)
{
    return ev->ev[i].group >= 0;
}

static enum pe_role pe_role_of(const struct event_list *ev, size_t i)
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

static void pe_drop_event(struct event_list *ev, size_t i)
{
    free(ev->ev[i].name);
    free(ev->ev[i].fqname);
    memmove(&ev->ev[i], &ev->ev[i + 1], (ev->n - i - 1) * sizeof(ev->ev[0]));
    ev->n--;
}

static bool pe_same_lone_event(const struct event *a, const struct event *b)
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

/* The PMU whose CPUs event i opens on: its own, or for a member without one (a software event in a
 * group) its leader's. NULL: every CPU. */
static const struct pmu *pe_event_pmu(const struct event_list *ev, size_t i,
                                      const struct pmu_set *pmus)
{
    const struct pmu *p = pmu_of_attr(pmus, &ev->ev[i].attr);
    if (!p && !ev->ev[i].leader)
        p = pmu_of_attr(pmus, &ev->ev[pe_leader_of(ev, i)].attr);
    return p;
}

/* The first of cpus that event i may open on, or -1 when its PMU covers none of them. */
static int pe_first_cpu(const struct event_list *ev, size_t i, const struct pmu_set *pmus,
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
static int pe_try_event(const struct event_list *ev, size_t i, const struct pe_config *cfg,
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
static void pe_split_group(struct event_list *ev, int group)
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

/* Error for an event whose PMU covers none of the CPUs to record. Returns -1. */
static int pe_err_no_cpu(const struct event_list *ev, size_t i, const struct pmu_set *pmus,
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

int pe_nmi_watchdog(const struct pe_system *sys)
{
    char path[4096], buf[32];
    uint64_t v;
    pe_path(sys, "/proc/sys/kernel/nmi_watchdog", path, sizeof(path));
    if (hw_read_small_file(path, buf, sizeof(buf)) < 0 || hw_parse_u64(buf, &v) < 0)
        return -1;
    return v != 0;
}

/* The advice on the limit a group of hardware events hit, after "...": whether the NMI watchdog
 * holds a counter (nmi_watchdog 1) or the PMU simply has too few. */
static const char *pe_limit_advice(int nmi_watchdog)
{
    return nmi_watchdog == 1
               ? "the NMI watchdog holds one counter ('sysctl kernel.nmi_watchdog=0' frees it)"
               : "the PMU has fewer free counters (other tools may hold some): split the group";
}

/* Writes "{a,b,c}" (the names of the group led by event i of ev) into buf. */
static void pe_group_label(const struct event_list *ev, size_t i, char *buf, size_t size)
{
    size_t len = (size_t)snprintf(buf, size, "{%s", ev->ev[i].name);
    for (size_t k = i + 1; k < ev->n && !ev->ev[k].leader && len < size; k++)
        len += (size_t)snprintf(buf + len, size - len, ",%s", ev->ev[k].name);
    if (len < size)
        snprintf(buf + len, size - len, "}");
}

/* Opens the group led by event i on (pid, cpu): the leader, then each member in it. Returns 0, or
 * the errno of the first member that failed with *bad its index. */
static int pe_try_group(const struct event_list *ev, size_t i, const struct pe_config *cfg,
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
static int pe_check_groups(struct event_list *ev, const struct pe_config *cfg, pid_t pid,
                           const int *cpus, size_t ncpus, const struct pmu_set *pmus,
                           hw_warn_fn notice, void *narg, struct hw_err *err)
{
    for (size_t i = 0; i < ev->n; i++) {
        if (pe_role_of(ev, i) != PE_ROLE_LEADER)
            continue;
        int cpu = pe_first_cpu(ev, i, pmus, cpus, ncpus);
        size_t bad = 0;
        int e;
        while ((e = pe_try_group(ev, i, cfg, pid, cpu, &bad)) != 0) {
            char label[512];
            size_t n = 1;
            while (i + n < ev->n && !ev->ev[i + n].leader)
                n++;
            pe_group_label(ev, i, label, sizeof(label));
            if (bad == i || cfg->no_fallback)
                return hw_errf(
                    err,
                    "group %s cannot be opened (%s): the CPU cannot count its %zu events "
                    "at once; %s",
                    label, strerror(e), n, pe_limit_advice(pe_nmi_watchdog(cfg->sys)));
            pe_notify(notice, narg,
                      "group %s: the CPU cannot count its %zu events at once (%s); dropping %s",
                      label, n, pe_limit_advice(pe_nmi_watchdog(cfg->sys)), ev->ev[bad].name);
            pe_drop_event(ev, bad);
            if (pe_role_of(ev, i) != PE_ROLE_LEADER)
                break;
        }
    }
    return 0;
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

/* Whether AMD IBS can take attr as a precise event: cycles (generic, or raw 0x76) or micro-ops (raw
 * 0xc1), the only events the kernel forwards to IBS. */
static bool pe_ibs_event(const struct perf_event_attr *a)
{
    uint64_t c = a->config & PMU_HW_EVENT_MASK;
    if (a->type == PERF_TYPE_HARDWARE)
        return c == PERF_COUNT_HW_CPU_CYCLES;
    return a->type == PERF_TYPE_RAW && (a->config == 0x76 || a->config == 0xc1);
}

void pe_adjust_precise_amd(struct event *ev, const struct pmu_set *pmus, hw_warn_fn notice,
                           void *arg)
{
    struct perf_event_attr *a = &ev->attr;
    if (!a->precise_ip || !events_is_hardware(a))
        return;
    const struct pmu *ibs = pmu_by_name(pmus, "ibs_op");
    if (!ibs) {
        pe_notify(notice, arg,
                  "%s: AMD CPUs sample precisely only with IBS, which this machine does not have; "
                  "sampling it without precise",
                  ev->name);
        a->precise_ip = 0;
        return;
    }
    if (!pe_ibs_event(a)) {
        pe_notify(notice, arg,
                  "%s: AMD IBS samples only cycles and micro-ops precisely; sampling it without "
                  "precise",
                  ev->name);
        a->precise_ip = 0;
        return;
    }
    if (a->precise_ip > 2) {
        if (!ev->precise_max) /* :P asked for the highest level there is: 2 is it */
            pe_notify(notice, arg,
                      "%s: AMD IBS supports precise levels 1 and 2; sampling it at level 2",
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
    pe_notify(notice, arg,
              "%s: AMD IBS on this kernel cannot keep to %s space (no swfilt); sampling it "
              "without precise (as root, '%s' with user and kernel would sample precisely)",
              ev->name, a->exclude_kernel ? "user" : "kernel", ev->name);
    a->precise_ip = 0;
}

bool pe_is_clock(const struct perf_event_attr *a)
{
    return a->type == PERF_TYPE_SOFTWARE &&
           (a->config == PERF_COUNT_SW_CPU_CLOCK || a->config == PERF_COUNT_SW_TASK_CLOCK);
}

/* The kernel fires cpu-clock and task-clock at most every PE_CLOCK_MIN_PERIOD ns (its hrtimer
 * minimum) but reports each sample with the period asked for: a shorter period is raised to it, so
 * that every sample weighs the time it covers. */
static void pe_clock_minimum(struct event_list *ev, const struct pe_config *cfg, hw_warn_fn notice,
                             void *narg)
{
    for (size_t i = 0; i < ev->n; i++) {
        struct perf_event_attr *a = &ev->ev[i].attr;
        if (!pe_is_clock(a) || a->freq || !ev->ev[i].leader)
            continue;
        uint64_t period = a->sample_period ? a->sample_period : cfg->period;
        if (!period || period >= PE_CLOCK_MIN_PERIOD)
            continue;
        a->sample_period = PE_CLOCK_MIN_PERIOD;
        pe_notify(notice, narg,
                  "%s: the kernel fires a clock event at most every %u ns; sampling every %u ns "
                  "instead of %llu, so that each sample weighs the time it covers",
                  ev->ev[i].name, PE_CLOCK_MIN_PERIOD, PE_CLOCK_MIN_PERIOD,
                  (unsigned long long)period);
    }
}

/* Applies fallbacks until every event opens on (pid, the first CPU of its PMU). Returns 0 or -1
 * with err. */
static int pe_resolve(struct event_list *ev, struct pe_config *cfg, pid_t pid, const int *cpus,
                      size_t ncpus, const struct pmu_set *pmus, hw_warn_fn notice, void *narg,
                      struct hw_err *err)
{
    size_t i = 0;
    int attempts = 0;
    while (i < ev->n) {
        if (++attempts > 1000)
            return hw_errf(err, "internal error: event fallback does not converge");
        int cpu = pe_first_cpu(ev, i, pmus, cpus, ncpus);
        if (cpu < 0)
            return pe_err_no_cpu(ev, i, pmus, err);
        struct perf_event_attr tried;
        int e = pe_try_event(ev, i, cfg, pid, cpu, &tried);
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
            if (pe_limit_freq(cfg, ev, &again, notice, narg, err) < 0)
                return -1;
            *cfg = again;
            continue;
        }
        if (pe_unsupported_errno(e) && pe_may_fall_back(&x->attr, pmus) && !cfg->no_fallback) {
            if (role == PE_ROLE_MEMBER) {
                pe_notify(notice, narg,
                          "%s is not supported here (no hardware PMU); dropping it from its group",
                          x->name);
                pe_drop_event(ev, i);
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
                dup = dup || pe_same_lone_event(&ev->ev[k], x);
            if (dup) {
                pe_notify(notice, narg,
                          "%s is not supported here (no hardware PMU); already sampling cpu-clock",
                          old);
                pe_drop_event(ev, i);
            } else {
                pe_notify(
                    notice, narg,
                    "%s is not supported here (no hardware PMU); sampling cpu-clock instead%s "
                    "(--no-fallback to fail)",
                    old, how);
            }
            free(old);
            continue;
        }
        if (pe_unsupported_errno(e) && role == PE_ROLE_MEMBER && !cfg->no_fallback &&
            pmu_ncore(pmus) > 0) {
            /* the README's promise: a member that cannot be counted is dropped, saying why */
            struct hw_err why = {{0}};
            pe_explain_error(&why, e, x->name, &tried, pid, cpu, pmus);
            pe_notify(notice, narg, "dropping %s from its group: %s", x->name, why.msg);
            pe_drop_event(ev, i);
            continue;
        }
        if (e == EINVAL && role == PE_ROLE_LEADER) {
            /* Kernels before 6.12 cannot read groups of inherited events at each sample. */
            int group = x->group;
            pe_split_group(ev, group);
            if (pe_try_event(ev, i, cfg, pid, cpu, &tried) == 0) {
                pe_notify(
                    notice, narg,
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
    pe_clock_minimum(ev, cfg, notice, narg);
    return pe_check_groups(ev, cfg, pid, cpus, ncpus, pmus, notice, narg, err);
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

int pe_limit_freq(const struct pe_config *cfg, struct event_list *events, struct pe_config *out,
                  hw_warn_fn notice, void *arg, struct hw_err *err)
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
    pe_notify(notice, arg,
              "%llu Hz is above kernel.perf_event_max_sample_rate (%llu, which the kernel lowers "
              "when sampling takes too long): sampling at %llu Hz (--strict-freq makes this an "
              "error)",
              (unsigned long long)high, (unsigned long long)max, (unsigned long long)max);
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
    if (pe_limit_freq(cfg, events, &lowered, notice, notice_arg, err) < 0)
        return -1;
    cfg = &lowered;
    struct pmu_set pmus;
    if (pmu_scan(cfg->sys ? cfg->sys->root : NULL, &pmus, err) < 0)
        return -1;
    if (pmu_ncore(&pmus) > 0 && pe_cpu_is_amd(cfg->sys))
        for (size_t i = 0; i < events->n; i++)
            pe_adjust_precise_amd(&events->ev[i], &pmus, notice, notice_arg);
    if (events_hybrid_split(events, &pmus, err) < 0 ||
        pe_resolve(events, &lowered, targets[0], cpus, ncpus, &pmus, notice, notice_arg, err) < 0) {
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
