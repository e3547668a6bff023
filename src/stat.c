/* stat.c - count events of a command, processes or whole CPUs (perf stat): open, run, read. */
#include "stat.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "pmu.h"
#include "procsynth.h"
#include "workload.h"

/* Everything one count owns. */
struct stat_session {
    const struct stat_opts *o;
    struct stat_result *res;
    struct pmu_set pmus;
    bool have_pmus;
    struct workload wl;
    bool have_workload;
    pid_t *targets; /* the pid of each slot (-1: every process of its CPU) */
    int *slot_cpu;  /* the CPU of each slot (-1: any) */
    size_t nslots;
    int *fds;       /* [counter][slot], -1 where not open */
    bool *in_group; /* per counter: opened in its leader's group (follows it) */
};

/* Whether errnum means the kernel cannot count this event here (perf's <not supported>). */
static bool stat_unsupported(int errnum)
{
    return errnum == ENOENT || errnum == ENODEV || errnum == EOPNOTSUPP || errnum == ENXIO ||
           errnum == EINVAL;
}

/* The slots: (pid, -1) per thread of the processes, (-1, cpu) per CPU, or the command's process.
 * Returns 0 or -1 with err. */
static int stat_slots(struct stat_session *s, struct hw_err *err)
{
    const struct stat_opts *o = s->o;
    size_t cap = 0, cpu_cap = 0;
    int *cpus = NULL;
    if (o->system_wide) {
        int n = o->cpus ? (int)o->ncpus : hw_online_cpus(&cpus, err);
        if (n < 0)
            return -1;
        const int *list = o->cpus ? o->cpus : cpus;
        for (int i = 0; i < n; i++) {
            if (hw_grow(&s->targets, &cap, s->nslots + 1, sizeof(*s->targets)) < 0 ||
                hw_grow(&s->slot_cpu, &cpu_cap, s->nslots + 1, sizeof(*s->slot_cpu)) < 0) {
                free(cpus);
                return hw_err_oom(err);
            }
            s->targets[s->nslots] = -1;
            s->slot_cpu[s->nslots++] = list[i];
        }
        free(cpus);
        return 0;
    }
    for (size_t p = 0; p < (s->have_workload ? 1 : o->npids); p++) {
        pid_t *tids = NULL;
        size_t nt = 1;
        pid_t one = s->have_workload ? s->wl.pid : o->pids[p];
        if (!s->have_workload && synth_list_threads(o->pids[p], &tids, &nt, err) < 0)
            return -1;
        for (size_t t = 0; t < nt; t++) {
            if (hw_grow(&s->targets, &cap, s->nslots + 1, sizeof(*s->targets)) < 0 ||
                hw_grow(&s->slot_cpu, &cpu_cap, s->nslots + 1, sizeof(*s->slot_cpu)) < 0) {
                free(tids);
                return hw_err_oom(err);
            }
            s->targets[s->nslots] = tids ? tids[t] : one;
            s->slot_cpu[s->nslots++] = -1;
        }
        free(tids);
    }
    return 0;
}

/* Closes every fd of counter i and marks it unsupported. */
static void stat_drop(struct stat_session *s, size_t i)
{
    for (size_t k = 0; k < s->nslots; k++) {
        int *fd = &s->fds[i * s->nslots + k];
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
    }
    s->res->v[i].supported = false;
}

/* Opens counter i on every slot (on a CPU-wide count, only the CPUs of its PMU). Returns 0 or -1
 * with err. */
static int stat_open_counter(struct stat_session *s, size_t i, size_t leader, struct hw_err *err)
{
    const struct stat_opts *o = s->o;
    struct stat_value *v = &s->res->v[i];
    bool member = i != leader && s->res->v[leader].supported;
    s->in_group[i] = member;
    const struct pmu *pmu = pmu_of_attr(&s->pmus, &v->attr);
    struct perf_event_attr attr;
    pe_build_count_attr(&attr, &v->attr, s->have_workload && !o->system_wide, !o->system_wide,
                        member);
    v->supported = true;
    for (size_t k = 0; k < s->nslots; k++) {
        int cpu = s->slot_cpu[k];
        if (cpu >= 0 && !pmu_has_cpu(pmu, cpu))
            continue;
        int group_fd = member ? s->fds[leader * s->nslots + k] : -1;
        if (member && group_fd < 0)
            continue;
        uint64_t id;
        int fd = pe_open_fd(o->sys, &attr, s->targets[k], cpu, group_fd, &id);
        if (fd >= 0) {
            s->fds[i * s->nslots + k] = fd;
            continue;
        }
        if (fd == -ESRCH && !s->have_workload && !o->system_wide)
            continue; /* a thread that exited meanwhile */
        if (stat_unsupported(-fd)) {
            stat_drop(s, i);
            return 0;
        }
        return pe_explain_error(err, -fd, v->name, &attr, s->targets[k], cpu, &s->pmus);
    }
    return 0;
}

/* Fills res->v from the events and opens them all. Returns 0 or -1 with err. */
static int stat_open(struct stat_session *s, struct hw_err *err)
{
    const struct event_list *ev = s->o->events;
    struct stat_result *res = s->res;
    res->v = calloc(ev->n ? ev->n : 1, sizeof(*res->v));
    s->fds = malloc((ev->n ? ev->n : 1) * (s->nslots ? s->nslots : 1) * sizeof(*s->fds));
    s->in_group = calloc(ev->n ? ev->n : 1, sizeof(*s->in_group));
    if (!res->v || !s->fds || !s->in_group)
        return hw_err_oom(err);
    for (size_t i = 0; i < ev->n * s->nslots; i++)
        s->fds[i] = -1;
    res->n = ev->n;
    for (size_t i = 0; i < ev->n; i++) {
        res->v[i].name = hw_strdup(ev->ev[i].name);
        if (!res->v[i].name)
            return hw_err_oom(err);
        res->v[i].attr = ev->ev[i].attr;
        res->v[i].group = ev->ev[i].group;
        res->v[i].leader = ev->ev[i].leader;
    }
    size_t leader = 0;
    for (size_t i = 0; i < ev->n; i++) {
        if (ev->ev[i].leader)
            leader = i;
        if (stat_open_counter(s, i, leader, err) < 0)
            return -1;
    }
    return 0;
}

/* Enables or disables every counter that leads (leaders, and members whose leader failed). */
static int stat_enable(struct stat_session *s, bool on, struct hw_err *err)
{
    for (size_t i = 0; i < s->res->n; i++)
        for (size_t k = 0; k < s->nslots; k++) {
            int fd = s->fds[i * s->nslots + k];
            if (fd < 0 || s->in_group[i])
                continue; /* members follow their leader */
            if (ioctl(fd, on ? PERF_EVENT_IOC_ENABLE : PERF_EVENT_IOC_DISABLE, 0) < 0 &&
                errno != ESRCH)
                return hw_errf_errno(err, errno, "cannot %s counter '%s'",
                                     on ? "enable" : "disable", s->res->v[i].name);
        }
    return 0;
}

/* Reads every counter: value, enabled and running times, summed over its fds. */
static void stat_read(struct stat_session *s)
{
    for (size_t i = 0; i < s->res->n; i++) {
        struct stat_value *v = &s->res->v[i];
        for (size_t k = 0; k < s->nslots; k++) {
            int fd = s->fds[i * s->nslots + k];
            uint64_t r[3];
            if (fd >= 0 && read(fd, r, sizeof(r)) == (ssize_t)sizeof(r)) {
                v->value += r[0];
                v->enabled += r[1];
                v->running += r[2];
            }
        }
    }
}

/* Whether every attached process has exited. */
static bool stat_pids_gone(const struct stat_opts *o)
{
    for (size_t i = 0; i < o->npids; i++)
        if (kill(o->pids[i], 0) == 0 || errno != ESRCH)
            return false;
    return o->npids > 0;
}

/* Waits until the command exits, the processes exit, the duration passes or a signal arrives
 * (passed on to the command, which is killed if it lingers). */
static void stat_wait(struct stat_session *s)
{
    const struct stat_opts *o = s->o;
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGCHLD); /* wakes the wait the moment the command exits */
    sigprocmask(SIG_BLOCK, &set, &old);
    uint64_t start = hw_now_ns();
    uint64_t deadline = o->duration > 0 ? start + (uint64_t)(o->duration * 1e9) : 0;
    uint64_t kill_at = 0;
    for (;;) {
        if (s->have_workload ? workload_poll_exited(&s->wl) : stat_pids_gone(o))
            break;
        uint64_t now = hw_now_ns();
        if (kill_at && now >= kill_at) {
            workload_signal(&s->wl, SIGKILL);
            kill_at = 0;
        }
        if (deadline && now >= deadline) {
            deadline = 0;
            if (!s->have_workload)
                break;
            workload_signal(&s->wl, SIGTERM);
            kill_at = now + 2000000000ull;
        }
        struct timespec ts = {0, 100000000};
        int sig = sigtimedwait(&set, NULL, &ts);
        if (sig == SIGINT || sig == SIGTERM) {
            s->res->stop_signal = sig;
            if (!s->have_workload)
                break;
            workload_signal(&s->wl, sig);
            if (!kill_at)
                kill_at = hw_now_ns() + 3000000000ull;
        }
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
}

static double stat_tv(const struct timeval *tv)
{
    return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

/* Closes every fd and the session's resources. */
static void stat_teardown(struct stat_session *s)
{
    if (s->fds)
        for (size_t i = 0; i < s->res->n * s->nslots; i++)
            if (s->fds[i] >= 0)
                close(s->fds[i]);
    free(s->fds);
    free(s->in_group);
    free(s->targets);
    free(s->slot_cpu);
    if (s->have_workload)
        workload_cleanup(&s->wl);
    if (s->have_pmus)
        pmu_set_free(&s->pmus);
}

int stat_run(const struct stat_opts *o, struct stat_result *res, struct hw_err *err)
{
    memset(res, 0, sizeof(*res));
    struct stat_session s;
    memset(&s, 0, sizeof(s));
    s.o = o;
    s.res = res;
    s.have_workload = o->argv && o->argv[0];
    s.wl.pid = -1;
    s.wl.go_fd = s.wl.err_fd = s.wl.pidfd = -1;
    struct rusage before, after;
    getrusage(RUSAGE_CHILDREN, &before);
    int rc = pmu_scan(o->sys ? o->sys->root : NULL, &s.pmus, err);
    s.have_pmus = rc == 0;
    if (rc == 0)
        rc = events_hybrid_split(o->events, &s.pmus, err);
    if (rc == 0 && s.have_workload) {
        if (workload_check_command(o->argv[0], err) < 0) {
            res->command_not_found = true;
            rc = -1;
        } else {
            rc = workload_prepare(&s.wl, o->argv, false, err);
        }
    }
    if (rc == 0)
        rc = stat_slots(&s, err);
    if (rc == 0)
        rc = stat_open(&s, err);
    if (rc == 0 && !(s.have_workload && !o->system_wide))
        rc = stat_enable(&s, true, err); /* a command's counters start at its exec */
    uint64_t start = hw_now_ns();
    if (rc == 0 && s.have_workload) {
        int exec_errno;
        rc = workload_start(&s.wl, &exec_errno, err);
        if (rc < 0) {
            res->command_not_found = true;
            if (exec_errno == ENOENT)
                hw_errf(err, "command not found: %s", o->argv[0]);
            else
                hw_errf_errno(err, exec_errno, "cannot execute %s", o->argv[0]);
        }
        start = hw_now_ns();
    }
    if (rc == 0) {
        stat_wait(&s);
        res->wall_ns = hw_now_ns() - start;
        if (!(s.have_workload && !o->system_wide))
            rc = stat_enable(&s, false, err);
    }
    if (rc == 0 && s.have_workload) {
        workload_wait(&s.wl);
        res->workload_ran = true;
        res->exit_code = workload_exit_code(&s.wl);
        getrusage(RUSAGE_CHILDREN, &after);
        res->user_s = stat_tv(&after.ru_utime) - stat_tv(&before.ru_utime);
        res->sys_s = stat_tv(&after.ru_stime) - stat_tv(&before.ru_stime);
    }
    if (rc == 0)
        stat_read(&s);
    stat_teardown(&s);
    return rc;
}

void stat_result_free(struct stat_result *res)
{
    for (size_t i = 0; res->v && i < res->n; i++)
        free(res->v[i].name);
    free(res->v);
    memset(res, 0, sizeof(*res));
}
