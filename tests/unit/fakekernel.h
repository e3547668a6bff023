/* fakekernel.h - a fake machine for pe_open in unit tests: sysfs/procfs trees and a kernel rule. */
#ifndef HWPROF_FAKEKERNEL_H
#define HWPROF_FAKEKERNEL_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "events.h"
#include "faketree.h"
#include "perf_event.h"

/* An encoding as the events module would make it: user space only. */
static inline struct perf_event_attr encoded(uint32_t type, uint64_t config)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof(a));
    a.size = sizeof(a);
    a.type = type;
    a.config = config;
    a.exclude_kernel = 1;
    return a;
}

/* The notices a pe_open call told: how many, and the last. */
struct notices {
    int n;
    char last[512];
};

static inline void collect(void *arg, const char *msg)
{
    struct notices *ns = arg;
    ns->n++;
    snprintf(ns->last, sizeof(ns->last), "%s", msg);
}

/* A fake kernel for pe_open: decides from the attr and CPU whether an event opens, as a kernel with
 * the PMUs of a fake sysfs tree would, and logs every successful open. */
struct fake_kernel {
    int (*rule)(const struct perf_event_attr *attr, int cpu, int group_fd);
    int counters;       /* hardware counters of the fake PMU (0: no limit) */
    int in_group[1024]; /* by leader fd: hardware events in its group */
    size_t nopen;
    struct {
        uint32_t type;
        uint64_t config;
        int cpu;
        bool sideband;
    } log[1024];
    uint64_t next_id;
};

static inline int fake_open(void *arg, struct perf_event_attr *attr, pid_t pid, int cpu,
                            int group_fd, uint64_t *id)
{
    struct fake_kernel *k = arg;
    (void)pid;
    int e = k->rule(attr, cpu, group_fd);
    if (e)
        return -e;
    bool hw = events_is_hardware(attr);
    if (k->counters && group_fd >= 0 && group_fd < 1024 && hw) {
        if (k->in_group[group_fd] + 1 > k->counters)
            return -EINVAL; /* the kernel's validate_group: the group cannot be scheduled */
        k->in_group[group_fd]++;
    }
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fd < 1024 && group_fd < 0)
        k->in_group[fd] = hw;
    if (k->nopen < HW_ARRAY_SIZE(k->log)) {
        k->log[k->nopen].type = attr->type;
        k->log[k->nopen].config = attr->config;
        k->log[k->nopen].cpu = cpu;
        k->log[k->nopen].sideband = attr->mmap;
        k->nopen++;
    }
    *id = ++k->next_id;
    return fd;
}

/* The PMU type an attr ends up on in the hybrid tree (the kernel's perf_init_event): the extended
 * type of a generic event, else its type; a generic event without one goes to cpu_core. */
static inline uint32_t hybrid_type(const struct perf_event_attr *a)
{
    if (a->type == PERF_TYPE_HARDWARE || a->type == PERF_TYPE_HW_CACHE) {
        uint32_t ext = (uint32_t)(a->config >> 32);
        return ext ? ext : 4;
    }
    return a->type;
}

/* cpu_core (type 4) counts on CPUs 0-7, cpu_atom (10) on 8-15, software events everywhere. */
static inline int hybrid_rule(const struct perf_event_attr *a, int cpu, int group_fd)
{
    (void)group_fd;
    uint32_t t = hybrid_type(a);
    if (t == PERF_TYPE_SOFTWARE)
        return 0;
    if (t == 4)
        return cpu >= 0 && cpu <= 7 ? 0 : ENOENT;
    if (t == 10)
        return cpu >= 8 && cpu <= 15 ? 0 : ENOENT;
    return ENOENT;
}

/* A virtual machine: software events only. */
static inline int nopmu_rule(const struct perf_event_attr *a, int cpu, int group_fd)
{
    (void)cpu;
    (void)group_fd;
    return a->type == PERF_TYPE_SOFTWARE ? 0 : ENOENT;
}

/* Appends an event with this encoding to l (a lone event, or a member/leader of group). */
static inline void add_event(struct event_list *l, const char *name, uint32_t type, uint64_t config,
                             int group, bool leader)
{
    l->ev = realloc(l->ev, (l->n + 1) * sizeof(*l->ev));
    struct event *e = &l->ev[l->n++];
    memset(e, 0, sizeof(*e));
    e->name = strdup(name);
    e->fqname = strdup(name);
    e->attr.size = sizeof(e->attr);
    e->attr.type = type;
    e->attr.config = config;
    e->attr.exclude_kernel = 1;
    e->group = group;
    e->leader = leader;
}

/* The CPUs (as a bit mask) event e of set opened on, for target 0. */
static inline uint32_t opened_cpus(const struct pe_set *set, size_t e)
{
    uint32_t m = 0;
    for (size_t c = 0; c < set->ncpus; c++)
        if (set->fds[pe_index(set, 0, c, e)] >= 0)
            m |= 1u << set->cpus[c];
    return m;
}

static inline void build_hybrid_tree(struct faketree *t)
{
    CHECK(faketree_pmu(t, "cpu_core", 4, "0-7", 0) == 0);
    CHECK(faketree_pmu(t, "cpu_atom", 10, "8-15", 0) == 0);
    CHECK(faketree_pmu(t, "software", 1, NULL, 0) == 0);
}

/* One fake machine for pe_open: a sysfs/procfs tree (the test adds its PMUs), a kernel that decides
 * with rule, the system and configuration pointing at them, and what pe_open reports. */
struct fake_machine {
    struct faketree t;
    struct fake_kernel k;
    struct pe_system sys;
    struct pe_config cfg;
    int cpus[16];
    size_t ncpus;
    pid_t pid;
    struct hw_err err;
    struct notices ns;
};

static inline void fake_machine_init(struct fake_machine *m, const char *name,
                                     int (*rule)(const struct perf_event_attr *, int, int),
                                     size_t ncpus)
{
    memset(m, 0, sizeof(*m));
    CHECK(faketree_init(&m->t, name) == 0);
    m->k.rule = rule;
    m->sys = (struct pe_system){.root = m->t.root, .open = fake_open, .arg = &m->k};
    m->cfg = (struct pe_config){.freq = 999, .callchain = true, .sys = &m->sys};
    for (size_t c = 0; c < HW_ARRAY_SIZE(m->cpus); c++)
        m->cpus[c] = (int)c;
    m->ncpus = ncpus;
    m->pid = 4242;
}

/* pe_open of ev on the fake machine's process and CPUs. */
static inline int fake_pe_open(struct fake_machine *m, struct event_list *ev, struct pe_set *set)
{
    return pe_open(set, ev, &m->cfg, &m->pid, 1, m->cpus, m->ncpus, collect, &m->ns, &m->err);
}

/* A machine with a PMU (cpu, type 4, precise up to 2) that maps no ref-cycles and cannot sample
 * raw event 0x1ff: the kernel's errnos for those. */
static inline int pmu_rule(const struct perf_event_attr *a, int cpu, int group_fd)
{
    (void)cpu;
    (void)group_fd;
    if (a->type == PERF_TYPE_SOFTWARE)
        return 0;
    if (a->type == PERF_TYPE_HARDWARE && a->config == PERF_COUNT_HW_REF_CPU_CYCLES)
        return ENOENT;
    if (a->precise_ip > 2)
        return EOPNOTSUPP;
    if (a->type == PERF_TYPE_RAW && a->config == 0x1ff && (a->sample_period || a->freq))
        return EOPNOTSUPP;
    return a->type == PERF_TYPE_HARDWARE || a->type == PERF_TYPE_RAW ? 0 : ENOENT;
}

#endif
