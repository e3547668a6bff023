/* perf_event.h - build sampling perf_event_attrs from parsed events and open them per CPU and target, with fallback and errno advice. */
#ifndef HWPROF_PERF_EVENT_H
#define HWPROF_PERF_EVENT_H

#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "events.h"
#include "util.h"

/* How to sample. */
struct pe_config {
    uint64_t freq;         /* samples per second, used when period == 0 */
    uint64_t period;       /* fixed sample period, or 0 */
    bool callchain;        /* PERF_SAMPLE_CALLCHAIN (frame pointers) */
    bool enable_on_exec;   /* workload mode: counting starts when the child execs */
    bool no_fallback;      /* an unsupported hardware event is an error instead of cpu-clock */
    uint32_t wakeup_bytes; /* wake the reader when this much data is buffered (0: every sample) */
    bool switch_records;   /* the side-band event also records context switches (PERF_RECORD_SWITCH) */
    bool monotonic_clock;  /* timestamps from CLOCK_MONOTONIC instead of the perf clock */
    uint32_t user_stack;   /* with callchain: copy this many bytes of user stack (a multiple of 8) and
                              the user ip/sp/bp with each sample, to unwind frameless code (0: none) */
    bool dwarf;            /* with user_stack: perf's --call-graph dwarf: the kernel walks kernel frames
                              only, the user stack is unwound from the copy and all user registers */
};

enum pe_role {
    PE_ROLE_ALONE,         /* samples on its own */
    PE_ROLE_LEADER,        /* samples and reads its group's members (PERF_SAMPLE_READ) */
    PE_ROLE_MEMBER,        /* counts only; read at each sample of its leader */
};

/* Fills attr for one event: starts from the encoding (type, config, exclude bits, and any
 * period/freq given as libpfm modifiers), adds the sampling fields for role, and the side-band bits
 * (mmap, mmap2, comm, comm_exec, task, and context_switch if cfg asks) when sideband is true. Pure. */
void pe_build_attr(struct perf_event_attr *attr, const struct perf_event_attr *encoded,
                   const struct pe_config *cfg, enum pe_role role, bool sideband);

/* True when the kernel will let this process sample kernel code: root, CAP_PERFMON/CAP_SYS_ADMIN,
 * or perf_event_paranoid <= 1. */
bool pe_kernel_allowed(void);

/* Reads kernel.perf_event_paranoid (returns 2 if unreadable). */
int pe_paranoid(void);

/* Opens attr as a counting probe on this process (user only) and closes it again. Returns 0 if the
 * kernel accepts it, else the errno. Used by `hwprof list`. */
int pe_probe(const struct perf_event_attr *attr);

/* Turns a perf_event_open errno into a one-line error with advice. */
int pe_open_error(struct hw_err *err, int errnum, const char *event, const struct perf_event_attr *attr,
                  pid_t pid);


/* The events actually opened, for every target thread and CPU. */
struct pe_set {
    size_t nevents;
    struct perf_event_attr *attrs; /* per event, as opened */
    char **names;          /* per event, e.g. "cpu-clock" */
    size_t ntargets;
    pid_t *targets;        /* thread ids (one for a workload) */
    size_t ncpus;
    int *cpus;
    int *fds;              /* [target][cpu][event] */
    uint64_t *ids;         /* [target][cpu][event], from PERF_EVENT_IOC_ID */
};

/* Index into fds/ids. */
static inline size_t pe_index(const struct pe_set *s, size_t target, size_t cpu, size_t event)
{
    return (target * s->ncpus + cpu) * s->nevents + event;
}

/* Resolves fallbacks (hardware events the kernel cannot open become cpu-clock, unless
 * cfg->no_fallback; unsupported group members are dropped; groups the kernel cannot sample with
 * inherit are split), then opens every event on every (target, cpu) with inherit, disabled, and
 * group members attached to their leader. The events list is modified by fallbacks.
 * Returns 0 or -1 with err (nothing left open). */
int pe_open(struct pe_set *set, struct hw_event_list *events, const struct pe_config *cfg,
            const pid_t *targets, size_t ntargets, const int *cpus, size_t ncpus, hw_warn_fn notice,
            void *notice_arg, struct hw_err *err);

/* Points every fd of a CPU except its first at that CPU's first fd (PERF_EVENT_IOC_SET_OUTPUT), so
 * each CPU has one ring buffer, owned by the fd returned by pe_buffer_fd. Returns 0 or -1 with err. */
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
