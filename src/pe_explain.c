/* pe_explain.c - why the kernel refused an event: perf_event_open's errnos as one-line advice. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evnames.h"
#include "pe_private.h"

/* True when process pid exists and is owned by a user other than us. */
static bool pe_explain_owned_by_other(pid_t pid)
{
    char path[32];
    struct stat st;
    if (pid <= 0)
        return false;
    snprintf(path, sizeof(path), "/proc/%d", (int)pid);
    return stat(path, &st) == 0 && st.st_uid != geteuid() && geteuid() != 0;
}

int pe_explain_errno(struct hw_err *err, int errnum, const char *event,
                     const struct perf_event_attr *attr, pid_t pid)
{
    switch (errnum) {
    case EACCES:
    case EPERM:
        if (pid == -1)
            return pe_cpu_wide_error(err);
        if (pe_explain_owned_by_other(pid))
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
static const char *pe_explain_generic_name(const struct perf_event_attr *a)
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
        return pe_explain_errno(err, errnum, event, attr, pid);
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
    const char *generic = pe_explain_generic_name(attr);
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
