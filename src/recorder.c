/* recorder.c - run a recording: open events for a workload or attached pids, drain ring buffers into a perf.data file. */
#include "recorder.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bidtable.h"
#include "buildid.h"
#include "decode.h"
#include "machine.h"
#include "perfwriter.h"
#include "procsynth.h"
#include "ringbuf.h"
#include "tracedata.h"
#include "workload.h"

#define RECORDER_PENDING_MAX 65536 /* sample addresses whose mapping was not known yet */

struct pending_hit {
    int32_t pid;
    uint64_t addr;
};

/* Everything one recording owns. */
struct recording {
    const struct recorder_opts *opts;
    struct recorder_result *res;
    struct pe_set set;
    struct ringbuf *rbs;
    size_t nrbs;
    struct pw_writer *writer;
    struct machine *m;
    struct bidtable *bids;      /* the build ids of the binaries samples hit, and their copies */
    struct dec_format *formats; /* per event */
    struct workload wl;
    bool have_workload;
    int sigfd;
    sigset_t old_mask;
    bool mask_set;
    struct sigaction old_stop[4], old_xfsz, old_pipe; /* old_stop: per recorder_stop_signals */
    pid_t *pids; /* attach mode: the processes (thread ids mapped to their
                    process, duplicates dropped) */
    size_t npids;
    int *pidfds; /* one per pid, -1 when pidfd_open failed (kill(0) then) */
    size_t npidfds;
    uint64_t first_time, last_time;
    uint64_t stop_time; /* CLOCK_MONOTONIC when the recording stopped */
    struct pending_hit *pending;
    size_t npending;
};

static void recorder_raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void recorder_ignore_signal(int sig)
{
    (void)sig;
}

/* The signals that end a recording cleanly: ^C, kill, a hangup (the SSH session went), ^\. */
static const int recorder_stop_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

/* Routes the stop signals to a signalfd (even when the shell started us with them ignored). */
static int recorder_catch_signals(struct recording *r, struct hw_err *err)
{
    struct sigaction sa;
    sigset_t set;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = recorder_ignore_signal;
    sigemptyset(&set);
    for (size_t i = 0; i < HW_ARRAY_SIZE(recorder_stop_signals); i++) {
        sigaction(recorder_stop_signals[i], &sa, &r->old_stop[i]);
        sigaddset(&set, recorder_stop_signals[i]);
    }
    /* a file size limit (ulimit -f) must fail the write with EFBIG, not kill us mid-file; a reader
     * of -o - that goes must fail the write with EPIPE */
    sa.sa_handler = SIG_IGN;
    sigaction(SIGXFSZ, &sa, &r->old_xfsz);
    sigaction(SIGPIPE, &sa, &r->old_pipe);
    if (sigprocmask(SIG_BLOCK, &set, &r->old_mask) < 0)
        return hw_errf_errno(err, errno, "cannot block signals");
    r->mask_set = true;
    r->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (r->sigfd < 0)
        return hw_errf_errno(err, errno, "cannot create a signalfd");
    return 0;
}

static void recorder_restore_signals(struct recording *r)
{
    if (r->sigfd >= 0)
        close(r->sigfd);
    r->sigfd = -1;
    if (r->mask_set) {
        sigprocmask(SIG_SETMASK, &r->old_mask, NULL);
        for (size_t i = 0; i < HW_ARRAY_SIZE(recorder_stop_signals); i++)
            sigaction(recorder_stop_signals[i], &r->old_stop[i], NULL);
        sigaction(SIGXFSZ, &r->old_xfsz, NULL);
        sigaction(SIGPIPE, &r->old_pipe, NULL);
        r->mask_set = false;
    }
}

/* Returns the pending signal number, or 0. */
static int recorder_read_signal(struct recording *r)
{
    struct signalfd_siginfo si;
    if (r->sigfd >= 0 && read(r->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
        return (int)si.ssi_signo;
    return 0;
}

static void recorder_mark_hit(struct recording *r, int32_t pid, uint64_t addr)
{
    if (mach_mark_hit(r->m, pid, addr))
        return;
    if (r->npending < RECORDER_PENDING_MAX) {
        /* the FORK or MMAP may sit in another CPU's buffer, not drained yet */
        r->pending[r->npending].pid = pid;
        r->pending[r->npending].addr = addr;
        r->npending++;
    }
}

static void recorder_note_sample(struct recording *r, int ev, const void *rec, size_t len)
{
    struct dec_sample s;
    if (dec_sample(&r->formats[ev], rec, len, &s, NULL) < 0) {
        r->res->corrupt++;
        return;
    }
    r->res->events[ev].samples++;
    if (!r->first_time || s.time < r->first_time)
        r->first_time = s.time;
    if (s.time > r->last_time)
        r->last_time = s.time;
    recorder_mark_hit(r, (int32_t)s.pid, s.ip);
    for (uint64_t i = 0; i < s.nr_callchain; i++) {
        uint64_t a = s.callchain[i];
        if (a >= PERF_CONTEXT_MAX || a == s.ip)
            continue;
        recorder_mark_hit(r, (int32_t)s.pid, a);
    }
}

/* Feeds one record into the statistics and the address spaces (for the build-id table). */
static int recorder_note_record(struct recording *r, const struct perf_event_header *h,
                                struct hw_err *err)
{
    uint64_t id;
    int ev = 0;
    if (dec_record_id(&r->formats[0], h, h->size, &id) == 0) {
        ev = pe_event_of_id(&r->set, id);
        if (ev < 0)
            ev = 0;
    }
    switch (h->type) {
    case PERF_RECORD_SAMPLE:
        recorder_note_sample(r, ev, h, h->size);
        break;
    case PERF_RECORD_MMAP:
    case PERF_RECORD_MMAP2: {
        struct mach_change chg;
        if (mach_process(r->m, &r->formats[ev], h, h->size, &chg, err) < 0)
            return -1;
        const struct mach_map *map = chg.type ? mach_find(r->m, chg.space, chg.start) : NULL;
        if (map && chg.space >= 0)
            bidtable_note_mmap(r->bids, chg.pid, map->dso);
        break;
    }
    case PERF_RECORD_COMM:
    case PERF_RECORD_FORK:
    case PERF_RECORD_EXIT:
        return mach_process(r->m, &r->formats[ev], h, h->size, NULL, err);
    case PERF_RECORD_LOST: {
        struct dec_lost l;
        if (dec_lost(h, h->size, &l, NULL) == 0) {
            int lev = pe_event_of_id(&r->set, l.id);
            if (lev >= 0)
                r->res->events[lev].lost += l.lost;
            else
                r->res->lost_unattributed += l.lost;
        }
        break;
    }
    case PERF_RECORD_THROTTLE:
        r->res->throttled++;
        r->res->events[ev].throttled++;
        break;
    case PERF_RECORD_LOST_SAMPLES: {
        uint64_t lost;
        if (h->size >= sizeof(*h) + sizeof(lost)) {
            memcpy(&lost, (const char *)h + sizeof(*h), sizeof(lost));
            r->res->events[ev].lost_samples += lost;
        }
        break;
    }
    default:
        break;
    }
    return 0;
}

/* Copies every record buffered in every ring buffer to the file. Returns records written or -1. */
static long recorder_drain(struct recording *r, struct hw_err *err)
{
    long n = 0;
    for (size_t i = 0; i < r->nrbs; i++) {
        struct ringbuf *rb = &r->rbs[i];
        if (ringbuf_begin(rb) == 0)
            continue;
        const struct perf_event_header *h;
        while ((h = ringbuf_next(rb))) {
            if (pw_writer_write(r->writer, h, h->size, err) < 0)
                return -1;
            if (recorder_note_record(r, h, err) < 0)
                return -1;
            n++;
        }
        ringbuf_end(rb);
    }
    if (n > 0) {
        struct perf_event_header fr = {
            .type = PF_RECORD_FINISHED_ROUND, .misc = 0, .size = sizeof(fr)};
        if (pw_writer_write(r->writer, &fr, sizeof(fr), err) < 0)
            return -1;
    }
    return n;
}

static int recorder_emit_synth(void *arg, const void *rec, size_t len, struct hw_err *err)
{
    struct recording *r = arg;
    if (pw_writer_write(r->writer, rec, len, err) < 0)
        return -1;
    return recorder_note_record(r, rec, err);
}

static bool recorder_samples_kernel(const struct pe_set *set)
{
    for (size_t e = 0; e < set->nevents; e++)
        if (!set->attrs[e].exclude_kernel)
            return true;
    return false;
}

/* Writes the records describing what existed before the recording began. */
static int recorder_synthesize(struct recording *r, struct hw_err *err)
{
    struct synth_ctx ctx = {
        .sample_type = r->set.attrs[0].sample_type,
        .id = r->set.ids[pe_index(&r->set, 0, 0, 0)],
        .emit = recorder_emit_synth,
        .arg = r,
    };
    if (recorder_samples_kernel(&r->set) && synth_kernel_mmap(&ctx, err) < 0)
        return -1;
    for (size_t i = 0; i < r->npids; i++)
        if (synth_process(&ctx, r->pids[i], err) < 0)
            return -1;
    return 0;
}

static int recorder_alloc_result(struct recording *r, struct hw_err *err)
{
    struct recorder_result *res = r->res;
    res->nevents = r->set.nevents;
    res->events = calloc(res->nevents, sizeof(*res->events));
    res->names = calloc(res->nevents, sizeof(*res->names));
    r->formats = calloc(res->nevents, sizeof(*r->formats));
    if (!res->events || !res->names || !r->formats)
        return hw_err_oom(err);
    for (size_t e = 0; e < res->nevents; e++) {
        res->names[e] = hw_strdup(r->set.names[e]);
        if (!res->names[e])
            return hw_err_oom(err);
        res->events[e].name = res->names[e];
        res->events[e].member = !r->set.attrs[e].disabled;
        res->events[e].tracking = r->set.tracking && e == 0;
        res->events[e].fixed_period = !r->set.attrs[e].freq;
        dec_format_from_attr(&r->formats[e], &r->set.attrs[e]);
    }
    return 0;
}

static int recorder_map_buffers(struct recording *r, struct hw_err *err)
{
    r->rbs = calloc(r->set.ncpus, sizeof(*r->rbs));
    if (!r->rbs)
        return hw_err_oom(err);
    for (size_t c = 0; c < r->set.ncpus; c++) {
        int fd = pe_buffer_fd(&r->set, c);
        if (fd < 0)
            continue;
        if (ringbuf_mmap(&r->rbs[r->nrbs], fd, r->opts->mmap_pages, err) < 0)
            return -1;
        r->nrbs++;
    }
    return pe_redirect_outputs(&r->set, err);
}

/* The targets to open events on: the workload's pid, or every thread of every attached pid. */
static int recorder_targets(struct recording *r, pid_t **targets, size_t *n, struct hw_err *err)
{
    if (r->have_workload || r->opts->system_wide) {
        *targets = malloc(sizeof(pid_t));
        if (!*targets)
            return hw_err_oom(err);
        (*targets)[0] = r->opts->system_wide ? -1 : r->wl.pid;
        *n = 1;
        return 0;
    }
    pid_t *all = NULL;
    size_t nall = 0, cap = 0;
    for (size_t i = 0; i < r->npids; i++) {
        pid_t *tids;
        size_t nt;
        if (synth_list_threads(r->pids[i], &tids, &nt, err) < 0) {
            free(all);
            return -1;
        }
        if (hw_grow(&all, &cap, nall + nt, sizeof(*all)) < 0) {
            free(tids);
            free(all);
            return hw_err_oom(err);
        }
        memcpy(all + nall, tids, nt * sizeof(*tids));
        nall += nt;
        free(tids);
    }
    *targets = all;
    *n = nall;
    return 0;
}

/* The process (thread group) of a thread id, or tid itself when /proc does not say. */
static pid_t recorder_tgid(pid_t tid)
{
    char path[48], buf[4096];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
    if (hw_read_small_file(path, buf, sizeof(buf)) < 0)
        return tid;
    const char *t = strstr(buf, "\nTgid:");
    long v = t ? strtol(t + 7, NULL, 10) : 0;
    return v > 0 ? (pid_t)v : tid;
}

/* Fills r->pids with every process of /proc, for a system-wide recording (their mappings and names
 * are written first, as for attached processes). Returns 0 or -1 with err. */
static int recorder_all_processes(struct recording *r, struct hw_err *err)
{
    DIR *d = opendir("/proc");
    if (!d)
        return hw_errf_errno(err, errno, "cannot list /proc");
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        uint64_t pid;
        if (hw_parse_u64(de->d_name, &pid) < 0 || pid == 0 || pid > INT32_MAX)
            continue;
        if (hw_grow(&r->pids, &cap, r->npids + 1, sizeof(*r->pids)) < 0) {
            closedir(d);
            return hw_err_oom(err);
        }
        r->pids[r->npids++] = (pid_t)pid;
    }
    closedir(d);
    return 0;
}

/* Fills r->pids from the --pid list: thread ids become their process, duplicates go. */
static int recorder_normalize_pids(struct recording *r, struct hw_err *err)
{
    r->pids = calloc(r->opts->npids ? r->opts->npids : 1, sizeof(*r->pids));
    if (!r->pids)
        return hw_err_oom(err);
    for (size_t i = 0; i < r->opts->npids; i++) {
        pid_t p = recorder_tgid(r->opts->pids[i]);
        bool dup = false;
        for (size_t k = 0; k < r->npids; k++)
            dup = dup || r->pids[k] == p;
        if (!dup)
            r->pids[r->npids++] = p;
    }
    return 0;
}

static int recorder_open_pidfds(struct recording *r, struct hw_err *err)
{
    if (recorder_normalize_pids(r, err) < 0)
        return -1;
    r->pidfds = calloc(r->npids ? r->npids : 1, sizeof(int));
    if (!r->pidfds)
        return hw_err_oom(err);
    for (size_t i = 0; i < r->npids; i++) {
#ifdef SYS_pidfd_open
        r->pidfds[i] = (int)syscall(SYS_pidfd_open, r->pids[i], 0);
#else
        r->pidfds[i] = -1;
#endif
    }
    r->npidfds = r->npids;
    return 0;
}

/* Whether attached process i has exited: its pidfd became readable, or (without a pidfd) kill(0)
 * no longer finds it. */
static bool recorder_pid_gone(const struct recording *r, const struct pollfd *pfd, size_t i)
{
    if (r->pidfds[i] >= 0)
        return pfd->revents & POLLIN;
    return kill(r->pids[i], 0) < 0 && errno == ESRCH;
}

/* Polls until the recording should stop. Returns 0 or -1 with err. */
static int recorder_loop(struct recording *r, struct hw_err *err)
{
    size_t nfds = r->nrbs + 2 + r->npidfds;
    struct pollfd *pfd = calloc(nfds, sizeof(*pfd));
    if (!pfd)
        return hw_err_oom(err);
    for (size_t i = 0; i < r->nrbs; i++)
        pfd[i] = (struct pollfd){.fd = r->rbs[i].fd, .events = POLLIN};
    size_t sig_at = r->nrbs, wl_at = r->nrbs + 1, pid_at = r->nrbs + 2;
    pfd[sig_at] = (struct pollfd){.fd = r->sigfd, .events = POLLIN};
    pfd[wl_at] = (struct pollfd){.fd = r->have_workload ? r->wl.pidfd : -1, .events = POLLIN};
    for (size_t i = 0; i < r->npidfds; i++)
        pfd[pid_at + i] = (struct pollfd){.fd = r->pidfds[i], .events = POLLIN};

    uint64_t start = hw_now_ns();
    uint64_t deadline = r->opts->duration > 0 ? start + (uint64_t)(r->opts->duration * 1e9) : 0;
    uint64_t escalate_at = 0;
    int escalation = 0;
    size_t alive = r->npidfds;
    bool *gone = calloc(r->npidfds ? r->npidfds : 1, sizeof(*gone));
    if (!gone) {
        free(pfd);
        return hw_err_oom(err);
    }
    int rc = 0;
    for (;;) {
        int timeout = 500;
        uint64_t now = hw_now_ns();
        if (deadline && now >= deadline && r->have_workload) {
            /* --duration with a command: end the command as perf does, keep recording until it
             * has gone, insisting if it ignores SIGTERM */
            r->res->duration_expired = true;
            workload_signal(&r->wl, SIGTERM);
            escalation = 1;
            escalate_at = now + 2000000000ull;
            deadline = 0;
        }
        if (deadline) {
            if (now >= deadline) {
                r->res->duration_expired = true;
                break;
            }
            uint64_t left_ms = (deadline - now) / 1000000 + 1;
            if (left_ms < (uint64_t)timeout)
                timeout = (int)left_ms;
        }
        if (timeout > 100 && ((r->have_workload && r->wl.pidfd < 0) || alive < r->npidfds))
            timeout = 100; /* no pidfd for some process: poll it */
        if (escalate_at && timeout > 100)
            timeout = 100;
        int pr = poll(pfd, nfds, timeout);
        if (pr < 0 && errno != EINTR) {
            rc = hw_errf_errno(err, errno, "poll failed");
            break;
        }
        for (size_t i = 0; i < r->nrbs; i++)
            if (pfd[i].revents & (POLLHUP | POLLERR))
                pfd[i].fd = -1; /* its task is gone: keep draining it, stop polling it (poll
                                   reports POLLHUP whatever the events asked for) */
        if (recorder_drain(r, err) < 0) {
            rc = -1;
            break;
        }
        int sig = recorder_read_signal(r);
        if (sig) {
            r->res->stop_signal = sig;
            if (!r->have_workload)
                break;
            /* pass the signal on; if the workload ignores it, insist after a while */
            workload_signal(&r->wl, sig);
            if (!escalate_at) /* further signals do not postpone the escalation */
                escalate_at = hw_now_ns() + 2000000000ull;
        }
        if (escalate_at && hw_now_ns() >= escalate_at) {
            workload_signal(&r->wl, escalation == 0 ? SIGTERM : SIGKILL);
            escalation++;
            escalate_at = hw_now_ns() + 3000000000ull;
        }
        if (r->have_workload && workload_poll_exited(&r->wl))
            break;
        for (size_t i = 0; i < r->npidfds; i++)
            if (!gone[i] && recorder_pid_gone(r, &pfd[pid_at + i], i)) {
                gone[i] = true;
                pfd[pid_at + i].fd = -1;
                alive--;
            }
        if (r->npidfds && alive == 0)
            break;
    }
    free(gone);
    free(pfd);
    return rc;
}

static int recorder_finish(struct recording *r, struct hw_err *err)
{
    struct pw_build_id *bids = NULL;
    size_t nbids = 0;
    /* Recording is over: a new stop signal now ends hwprof as it would have before recording (the
     * file it leaves is read as an unfinished recording), rather than waiting unread on the
     * signalfd while the build-id pass and the final header are written. Signals that came with
     * the end (a terminal's Ctrl-C reaches the workload and hwprof) are consumed first. */
    while (recorder_read_signal(r) != 0)
        ;
    recorder_restore_signals(r);
    for (size_t i = 0; i < r->npending; i++)
        mach_mark_hit(r->m, r->pending[i].pid, r->pending[i].addr);
    struct hw_warn w = {r->opts->notice, r->opts->notice_arg};
    if (bidtable_collect(r->bids, r->m, recorder_samples_kernel(&r->set), &bids, &nbids, &w, err) <
        0)
        return -1;
    /* With CLOCK_MONOTONIC timestamps, the end of the recording is known in the samples' clock:
     * the loader charges threads still waiting then up to it. */
    uint64_t last = r->last_time;
    if (r->opts->pe.monotonic_clock && r->stop_time > last)
        last = r->stop_time;
    uint64_t size = pw_writer_data_size(r->writer);
    int rc = pw_writer_finish(r->writer, r->first_time, last, bids, nbids, err);
    r->writer = NULL;
    free(bids);
    r->res->file_size = size; /* refined by the caller with stat */
    return rc;
}

static void recorder_teardown(struct recording *r)
{
    if (r->writer)
        pw_writer_abort(r->writer);
    r->writer = NULL;
    for (size_t i = 0; i < r->nrbs; i++)
        ringbuf_close(&r->rbs[i]);
    free(r->rbs);
    pe_close(&r->set);
    if (r->have_workload)
        workload_cleanup(&r->wl);
    for (size_t i = 0; i < r->npidfds; i++)
        if (r->pidfds[i] >= 0)
            close(r->pidfds[i]);
    free(r->pidfds);
    free(r->pids);
    recorder_restore_signals(r);
    mach_free(r->m);
    bidtable_free(r->bids);
    free(r->formats);
    free(r->pending);
}

static int recorder_setup(struct recording *r, struct hw_err *err)
{
    const struct recorder_opts *o = r->opts;
    r->m = mach_new();
    r->bids = bidtable_new(o->cache_dir);
    r->pending = malloc(RECORDER_PENDING_MAX * sizeof(*r->pending));
    if (!r->m || !r->bids || !r->pending)
        return hw_err_oom(err);
    recorder_raise_fd_limit();
    if (r->have_workload) {
        if (workload_check_command(o->argv[0], err) < 0) {
            r->res->command_not_found = true;
            return -1;
        }
        if (workload_prepare(&r->wl, o->argv, strcmp(o->output, "-") == 0, err) < 0)
            return -1;
    }
    if (o->system_wide ? recorder_all_processes(r, err) < 0
                       : !r->have_workload && recorder_open_pidfds(r, err) < 0)
        return -1;
    if (recorder_catch_signals(r, err) < 0)
        return -1;
    int *cpus;
    int ncpus = o->cpus ? (int)o->ncpus : hw_online_cpus(&cpus, err);
    if (ncpus < 0)
        return -1;
    if (o->cpus) {
        cpus = malloc(o->ncpus * sizeof(*cpus));
        if (!cpus)
            return hw_err_oom(err);
        memcpy(cpus, o->cpus, o->ncpus * sizeof(*cpus));
    }
    pid_t *targets;
    size_t ntargets = 0;
    if (recorder_targets(r, &targets, &ntargets, err) < 0) {
        free(cpus);
        return -1;
    }
    int rc = pe_open(&r->set, o->events, &o->pe, targets, ntargets, cpus, (size_t)ncpus, o->notice,
                     o->notice_arg, err);
    free(targets);
    free(cpus);
    if (rc < 0 || recorder_alloc_result(r, err) < 0 || recorder_map_buffers(r, err) < 0)
        return -1;

    struct pw_attr *attrs = calloc(r->set.nevents, sizeof(*attrs));
    uint64_t *ids = calloc(r->set.ntargets * r->set.ncpus * r->set.nevents, sizeof(*ids));
    if (!attrs || !ids) {
        free(attrs);
        free(ids);
        return hw_err_oom(err);
    }
    size_t per = r->set.ntargets * r->set.ncpus;
    for (size_t e = 0; e < r->set.nevents; e++) {
        size_t k = 0;
        for (size_t t = 0; t < r->set.ntargets; t++)
            for (size_t c = 0; c < r->set.ncpus; c++)
                if (r->set.fds[pe_index(&r->set, t, c, e)] >= 0)
                    ids[e * per + k++] = r->set.ids[pe_index(&r->set, t, c, e)];
        attrs[e] = (struct pw_attr){.attr = r->set.attrs[e],
                                    .ids = ids + e * per,
                                    .nids = k,
                                    .name = r->set.names[e],
                                    .group_size = pe_group_size(&r->set, e)};
    }
    struct pw_meta meta;
    struct pw_uname_storage us;
    pw_meta_from_system(&meta, &us, o->version);
    meta.argc = o->cmdline_argc;
    meta.argv = o->cmdline_argv;
    meta.compression_level = o->compression_level;
    struct hw_buf tracing = {0}; /* the tracepoints' formats, for perf script */
    rc = tracedata_build(o->pe.sys ? o->pe.sys->root : NULL, r->set.attrs, r->set.nevents, &tracing,
                         err);
    meta.tracing_data = tracing.data;
    meta.tracing_data_size = tracing.len;
    if (rc == 0)
        rc = pw_writer_open(&r->writer, o->output, attrs, r->set.nevents, &meta, err);
    hw_buf_free(&tracing);
    free(attrs);
    free(ids);
    return rc;
}

int recorder_run(const struct recorder_opts *opts, struct recorder_result *res, struct hw_err *err)
{
    memset(res, 0, sizeof(*res));
    struct recording r;
    memset(&r, 0, sizeof(r));
    r.opts = opts;
    r.res = res;
    r.sigfd = -1;
    r.have_workload = opts->npids == 0 && opts->argv && opts->argv[0];
    r.wl.pid = -1;
    r.wl.go_fd = r.wl.err_fd = r.wl.pidfd = -1;

    int rc = recorder_setup(&r, err);
    if (rc == 0)
        rc = recorder_synthesize(&r, err);
    if (rc == 0 && opts->system_wide) /* every process, from now on */
        rc = pe_enable(&r.set, true, err);
    if (rc == 0 && r.have_workload) {
        int exec_errno;
        rc = workload_start(&r.wl, &exec_errno, err);
        if (rc < 0) {
            res->command_not_found = true;
            if (exec_errno == ENOENT)
                hw_errf(err, "command not found: %s", opts->argv[0]);
            else
                hw_errf_errno(err, exec_errno, "cannot execute %s", opts->argv[0]);
        }
    } else if (rc == 0 && !opts->system_wide) {
        rc = pe_enable(&r.set, true, err);
    }
    if (rc == 0) {
        rc = recorder_loop(&r, err);
        r.stop_time = hw_now_ns();
        if (rc == 0 && (!r.have_workload || opts->system_wide))
            rc = pe_enable(&r.set, false, err);
        if (rc == 0 && recorder_drain(&r, err) < 0)
            rc = -1;
        if (rc == 0) /* groups that never ran or were multiplexed */
            pe_schedule(&r.set, opts->pe.sys, opts->notice, opts->notice_arg);
    }
    if (r.have_workload && rc == 0) {
        workload_wait(&r.wl);
        res->workload_ran = true;
        res->workload_exit = workload_exit_code(&r.wl);
    }
    for (size_t i = 0; i < r.nrbs; i++)
        res->corrupt += r.rbs[i].corrupt;
    if (rc == 0)
        rc = recorder_finish(&r, err);
    recorder_teardown(&r);
    return rc;
}

void recorder_result_free(struct recorder_result *res)
{
    if (res->names)
        for (size_t e = 0; e < res->nevents; e++)
            free(res->names[e]);
    free(res->names);
    free(res->events);
    memset(res, 0, sizeof(*res));
}
