/* perf_event.h - perf_event_attrs opened per target and CPU, with fallbacks and advice. */
#ifndef HWPROF_PERF_EVENT_H
#define HWPROF_PERF_EVENT_H

#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "events.h"
#include "pmu.h"
#include "util.h"

/* The system events are opened on. A zeroed struct (or a NULL pointer) is the real one; tests pass
 * a fake sysfs/procfs tree and a fake perf_event_open, so that opening logic runs without a PMU. */
struct pe_system {
    const char *root; /* prefix of the /sys and /proc paths read ("" or NULL: the real ones) */
    /* Opens one event as perf_event_open(2) does (with PERF_FLAG_FD_CLOEXEC) and reads its id
     * (PERF_EVENT_IOC_ID). Returns the fd, or -errno. NULL: the system call. */
    int (*open)(void *arg, struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd,
                uint64_t *id);
    void *arg;
};

/* How to sample. */
struct pe_config {
    uint64_t freq;         /* samples per second, used when period == 0 */
    uint64_t period;       /* fixed sample period, or 0 */
    bool callchain;        /* PERF_SAMPLE_CALLCHAIN (frame pointers) */
    bool enable_on_exec;   /* workload mode: counting starts when the child execs */
    bool no_fallback;      /* an unsupported hardware event is an error instead of cpu-clock */
    uint32_t wakeup_bytes; /* wake the reader when this much data is buffered (0: every sample) */
    /* the side-band event also records context switches (PERF_RECORD_SWITCH) */
    bool switch_records;
    bool monotonic_clock; /* timestamps from CLOCK_MONOTONIC instead of the perf clock */
    /* with callchain: copy this many bytes of user stack (a multiple of 8) and the user ip/sp/bp
     * with each sample, to unwind frameless code (0: none) */
    uint32_t user_stack;
    /* with user_stack: perf's --call-graph dwarf: the kernel walks kernel frames only, the user
     * stack is unwound from the copy and all user registers */
    bool dwarf;
    bool strict_freq;            /* a frequency above kernel.perf_event_max_sample_rate is an error
                                    instead of being lowered to it */
    const struct pe_system *sys; /* NULL: the real system */
};

enum pe_role {
    PE_ROLE_ALONE,  /* samples on its own */
    PE_ROLE_LEADER, /* samples and reads its group's members (PERF_SAMPLE_READ) */
    PE_ROLE_MEMBER, /* counts only; read at each sample of its leader */
};

/* Fills attr for one event: starts from the encoding (type, config, exclude bits, and any
 * period/freq given as modifiers), adds the sampling fields for role, and the side-band bits (mmap,
 * mmap2, comm, comm_exec, task, and context_switch if cfg asks) when sideband is true. Pure. */
void pe_build_attr(struct perf_event_attr *attr, const struct perf_event_attr *encoded,
                   const struct pe_config *cfg, enum pe_role role, bool sideband);

/* Fills attr for counting one event (hwprof stat): the encoding's type, config and exclusion bits,
 * no sampling, read() gives the value and TOTAL_TIME_ENABLED/RUNNING; disabled unless member (a
 * group member follows its leader), enabled at exec with enable_on_exec, inherited by children
 * with inherit. Pure. */
void pe_build_count_attr(struct perf_event_attr *attr, const struct perf_event_attr *encoded,
                         bool enable_on_exec, bool inherit, bool member);

/* Opens one event on sys (the real system when NULL), as perf_event_open(2) with
 * PERF_FLAG_FD_CLOEXEC, and reads its id into *id. Returns the fd, or -errno. */
int pe_open_fd(const struct pe_system *sys, struct perf_event_attr *attr, pid_t pid, int cpu,
               int group_fd, uint64_t *id);

/* True when the kernel will let this process sample kernel code: root, CAP_PERFMON/CAP_SYS_ADMIN,
 * or perf_event_paranoid <= 1. */
bool pe_kernel_allowed(void);

/* True when the kernel will let this process open events of every process on a CPU (pid -1):
 * root, CAP_PERFMON/CAP_SYS_ADMIN, or perf_event_paranoid <= 0, as perf checks for -a. */
bool pe_cpu_wide_allowed(void);

/* Sets err to the message for a system-wide recording the user may not make. Returns -1. */
int pe_cpu_wide_error(struct hw_err *err);

/* Reads kernel.perf_event_paranoid (returns 2 if unreadable). */
int pe_paranoid(void);

/* The shortest period of cpu-clock and task-clock, in ns: the kernel's hrtimer minimum (its
 * perf_swevent_start_hrtimer never arms the timer for less, whatever the period asked for). */
#define PE_CLOCK_MIN_PERIOD 10000

/* The frequency a hardware event sampled with a count period falls back to as cpu-clock when the
 * configuration has none. */
#define PE_FALLBACK_FREQ 999

/* Whether attr is cpu-clock or task-clock (the events the kernel drives with an hrtimer). */
bool pe_is_clock(const struct perf_event_attr *attr);

/* The sampling period pe_probe opens events with. */
#define PE_PROBE_PERIOD 1000003

/* Opens the encoded event as record would sample it (with a fixed period and the sampling fields;
 * user space only unless this process may sample the kernel), on this process and the first CPU of
 * its PMU (see pmus), and closes it again. Returns 0 if the kernel accepts it, else the errno: an
 * event that can count but not sample (no overflow interrupt) is refused. Used by `hwprof list`. */
int pe_probe(const struct perf_event_attr *encoded, const struct pmu_set *pmus,
             const struct pe_system *sys);

/* (pe_explain.c) Turns the errno of an event the kernel refused into a one-line error naming the
 * cause, from what the system's PMUs (pmus, may be NULL) tell: no hardware PMU at all, a CPU
 * outside the event's PMU (cpu: where it was opened, -1 for any), a precise level above the PMU's,
 * a PMU that cannot sample the event, a generic event the CPU model does not map. Other errnos as
 * pe_explain_errno. Returns -1.
 */
int pe_explain_error(struct hw_err *err, int errnum, const char *event,
                     const struct perf_event_attr *attr, pid_t pid, int cpu,
                     const struct pmu_set *pmus);

/* (pe_explain.c) Turns a perf_event_open errno into a one-line error with advice: permissions
 * (naming perf_event_paranoid), open files, a missing process or PMU, a busy PMU, a frequency above
 * kernel.perf_event_max_sample_rate. Returns -1. */
int pe_explain_errno(struct hw_err *err, int errnum, const char *event,
                     const struct perf_event_attr *attr, pid_t pid);

/* The events actually opened, for every target thread and CPU. An event opens only on the CPUs of
 * its PMU (on a hybrid CPU, a cpu_atom event only on the E-cores): its other fds stay -1. When the
 * first event does not cover every CPU, a software "dummy" event leads the set on every CPU to
 * carry the side-band records (mmap, comm, task) that per-CPU events only see on their own CPU. */
struct pe_set {
    size_t nevents;
    struct perf_event_attr *attrs; /* per event, as opened */
    char **names;                  /* per event, e.g. "cpu-clock" */
    bool tracking;                 /* event 0 is the side-band dummy, not one the user asked for */
    size_t ntargets;
    pid_t *targets; /* thread ids (one for a workload) */
    size_t ncpus;
    int *cpus;
    int *fds;      /* [target][cpu][event] */
    uint64_t *ids; /* [target][cpu][event], from PERF_EVENT_IOC_ID */
};

/* Index into fds/ids. */
static inline size_t pe_index(const struct pe_set *s, size_t target, size_t cpu, size_t event)
{
    return (target * s->ncpus + cpu) * s->nevents + event;
}

/* Limits the sampling frequency to kernel.perf_event_max_sample_rate (lowered with a notice, as
 * perf does; an error with cfg->strict_freq), splits generic hardware events per core PMU on a
 * hybrid CPU (events_hybrid_split), adapts precise events on AMD (pe_resolve_precise_amd), resolves
 * fallbacks (hardware events the kernel cannot open become cpu-clock on a machine without a CPU
 * PMU, unless cfg->no_fallback; unsupported group members and members that do not fit in the
 * counters are dropped; groups the kernel cannot sample with inherit are split), then opens every
 * event on every (target, cpu) of its PMU with inherit, disabled, and group members attached to
 * their leader. Each event is tried on the first of cpus its PMU covers. The events list is
 * modified by all this. Returns 0 or -1 with err (nothing left open). */
int pe_open(struct pe_set *set, struct event_list *events, const struct pe_config *cfg,
            const pid_t *targets, size_t ntargets, const int *cpus, size_t ncpus, hw_warn_fn notice,
            void *notice_arg, struct hw_err *err);

/* Whether sys's CPU (from /proc/cpuinfo) is an AMD (or Hygon) one. */
bool pe_cpu_is_amd(const struct pe_system *sys);

/* (pe_resolve.c) On an AMD CPU, makes a precise event (precise_ip > 0) one the kernel can give to
 * IBS, which does the precise sampling there, as perf does: without an ibs_op PMU, or for an event
 * other than cycles or micro-ops, precise is dropped; a level above 2 becomes 2; the guest, host,
 * idle and hypervisor exclusions IBS refuses are cleared; user-only or kernel-only sampling uses
 * IBS's software filter (format swfilt) where the kernel has it, and otherwise drops precise. Each
 * change that the user would notice is told to notice. */
void pe_resolve_precise_amd(struct event *ev, const struct pmu_set *pmus, hw_warn_fn notice,
                            void *arg);

/* kernel.nmi_watchdog of sys (NULL: the real system): 1 when the watchdog holds a hardware counter,
 * 0 when off, -1 when unknown. */
int pe_nmi_watchdog(const struct pe_system *sys);

/* The most events of one group hwprof opens (the sample's read group must stay decodable). */
#define PE_GROUP_MAX 64

/* Whether an event (or group: what names it, nevents its size) the kernel enabled for `enabled` ns
 * but ran for only `running` ns deserves a warning, written to buf: it never ran (no counter was
 * free: the NMI watchdog or too few counters, from nmi_watchdog as pe_nmi_watchdog returns it), or
 * it was multiplexed (how much of the time it counted). False and buf empty when it ran the whole
 * time or was never enabled. Pure. */
bool pe_schedule_verdict(char *buf, size_t size, const char *what, size_t nevents, uint64_t enabled,
                         uint64_t running, int nmi_watchdog);

/* After a run: reads the enabled and running times of every hardware leader (summed over its fds)
 * and passes pe_schedule_verdict's warnings to notice. */
void pe_schedule(const struct pe_set *set, const struct pe_system *sys, hw_warn_fn notice,
                 void *arg);

/* Points every fd of a CPU except its first at that CPU's first fd (PERF_EVENT_IOC_SET_OUTPUT), so
 * each CPU has one ring buffer, owned by the fd returned by pe_buffer_fd. Returns 0 or -1 with err.
 */
int pe_redirect_outputs(struct pe_set *set, struct hw_err *err);
int pe_buffer_fd(const struct pe_set *set, size_t cpu);

/* Enables or disables every leader (PERF_EVENT_IOC_ENABLE/DISABLE). Returns 0 or -1 with err. */
int pe_enable(struct pe_set *set, bool on, struct hw_err *err);

/* For a group leader, the number of events in its group (itself included); 1 for a lone event,
 * 0 for a member. */
uint32_t pe_group_size(const struct pe_set *set, size_t event);

/* The event index whose fds carry id, or -1. */
int pe_event_of_id(const struct pe_set *set, uint64_t id);

/* Closes every fd and frees the set. */
void pe_close(struct pe_set *set);

#endif
