/* recorder.h - run a recording: open events for a workload or attached pids, drain ring buffers into a perf.data file. */
#ifndef HWPROF_RECORDER_H
#define HWPROF_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "events.h"
#include "perf_event.h"
#include "util.h"

struct recorder_opts {
    const char *output;            /* file name, "-": a pipe-mode stream on standard output */
    int compression_level;         /* 0, or 1..22: zstd-compressed records (record -z) */
    struct event_list *events;     /* parsed events; fallbacks modify it */
    struct pe_config pe;
    unsigned mmap_pages;           /* data pages per CPU ring buffer, power of two */
    const pid_t *pids;             /* attach to these processes ... */
    size_t npids;
    char *const *argv;             /* ... or run this command (when npids == 0; NULL or empty: none) */
    bool system_wide;              /* every process on cpus (pid -1), as perf record -a / -C; with a
                                      command, while it runs */
    const int *cpus;               /* the CPUs to record (NULL: every online CPU) */
    size_t ncpus;
    double duration;               /* stop after this many seconds (0: no limit) */
    int cmdline_argc;              /* hwprof's own command line, for the file's CMDLINE feature */
    char *const *cmdline_argv;
    const char *version;
    const char *cache_dir;         /* build-id cache for copies of the binaries samples hit (NULL: none) */
    hw_warn_fn notice;           /* fallback notices and other remarks for the user */
    void *notice_arg;
};

struct recorder_event_stats {
    const char *name;              /* points into the result */
    bool member;                   /* group member: read at each sample of its leader */
    bool tracking;                 /* the side-band dummy the perf_event module added (pe_set) */
    bool fixed_period;             /* sampled every N events (-c), not at a frequency */
    uint64_t samples;
    uint64_t lost;                 /* samples lost (LOST records attributed to this event) */
    uint64_t throttled;            /* THROTTLE records: times the kernel stopped its sampling */
    uint64_t lost_samples;         /* samples the PMU dropped (PERF_RECORD_LOST_SAMPLES, PEBS) */
};

struct recorder_result {
    size_t nevents;
    struct recorder_event_stats *events;
    char **names;
    uint64_t lost_unattributed;    /* LOST records whose id matched no event */
    uint64_t throttled;            /* THROTTLE records, all events (per event in events[]) */
    uint64_t corrupt;              /* ring-buffer headers that could not be read */
    uint64_t file_size;
    bool command_not_found;        /* the command could not be found or executed */
    bool workload_ran;
    int workload_exit;             /* the workload's exit code (128+signal if killed) */
    int stop_signal;               /* SIGINT/SIGTERM/SIGHUP/SIGQUIT that stopped it, or 0 */
    bool duration_expired;         /* --duration ended the recording (and the command) */
};

/* Records until the workload exits (or all attached processes exit), --duration elapses, or
 * SIGINT/SIGTERM/SIGHUP/SIGQUIT arrives. The output is created before the workload starts, and
 * holds every record written so far if hwprof is killed (see pw_writer_open).
 * Returns 0 with res filled, or -1 with err (no file is left behind; res->command_not_found tells a
 * missing command apart). Free res with recorder_result_free in both cases. */
int recorder_run(const struct recorder_opts *opts, struct recorder_result *res, struct hw_err *err);

void recorder_result_free(struct recorder_result *res);

#endif
