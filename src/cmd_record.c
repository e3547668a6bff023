/* cmd_record.c - `hwprof record`: parse options, then wire events -> perf_event -> ring buffers -> perf.data via the recorder. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bidcache.h"
#include "cli.h"
#include "commands.h"
#include "compress.h"
#include "convert.h"
#include "events.h"
#include "recorder.h"

enum {
    OPT_EVENT = 1,
    OPT_FREQ,
    OPT_COUNT,
    OPT_CALL_GRAPH,
    OPT_NO_CALLCHAIN,
    OPT_OUTPUT,
    OPT_PID,
    OPT_ALL_CPUS,
    OPT_CPU,
    OPT_DURATION,
    OPT_NO_FALLBACK,
    OPT_STRICT_FREQ,
    OPT_MMAP_PAGES,
    OPT_QUIET,
    OPT_KEEP_DATA,
    OPT_WALL,
    OPT_COMPRESS,
    OPT_NO_BUILDID_CACHE,
    OPT_HELP,
};

/* --wall: the events it samples (the second, context-switches, at every switch) and the user stack
 * bytes copied with each sample, enough for the frameless libc functions between a system call and
 * the first function with a frame pointer. */
#define RECORD_WALL_EVENTS     "cpu-clock,context-switches"
#define RECORD_WALL_USER_STACK 512

/* -g takes the next word when it names a call-graph mode (with its parameters: "dwarf,16384"); lbr
 * is recognised so that "-g lbr" is an error rather than a command named "lbr". */
static const char *const call_graph_modes[] = {"fp", "dwarf", "lbr", NULL};

/* The user stack copied with each sample of the default mode (-g fp) to repair what frame pointers
 * miss: the caller of a frameless leaf, frameless libc functions, the vDSO. Chosen by measurement
 * (bench/stack-repair.sh): enough for those frames, small enough to keep the overhead. */
#define RECORD_FP_USER_STACK 512
/* -g dwarf: perf's default stack copy, and the largest the kernel takes (a u16 size, 8-aligned). */
#define RECORD_DWARF_USER_STACK 8192
#define RECORD_MAX_USER_STACK   65528

static const struct cli_option record_options[] = {
    {OPT_EVENT, 'e', "event", CLI_REQUIRED_ARG, "EVENTS",
     "events to sample, comma-separated; {a,b} is a group (default: cycles)", NULL, NULL},
    {OPT_FREQ, 'F', "freq", CLI_REQUIRED_ARG, "HZ", "samples per second (default: 999)", NULL,
     NULL},
    {OPT_COUNT, 'c', "count", CLI_REQUIRED_ARG, "PERIOD", "sample every PERIOD events instead",
     NULL, NULL},
    {OPT_CALL_GRAPH, 'g', "call-graph", CLI_OPTIONAL_WORD, "MODE",
     "callchains: fp[,SIZE] (frame pointers, repaired from a SIZE-byte stack copy, default 512; "
     "the default) or dwarf[,SIZE] (unwound from a stack copy, default 8192)",
     call_graph_modes, NULL},
    {OPT_NO_CALLCHAIN, 0, "no-callchain", CLI_NO_ARG, NULL, "record no callchains", NULL, NULL},
    {OPT_OUTPUT, 'o', "output", CLI_REQUIRED_ARG, "FILE",
     "output file (default: hwprof.data); - streams to standard output (pipe mode); a .pb.gz, .pb "
     "or .folded name converts at the end",
     NULL, NULL},
    {OPT_COMPRESS, 'z', "compression-level", CLI_OPTIONAL_WORD, "LEVEL",
     "compress the records with zstd (perf record -z), LEVEL 1 (the default, fastest) to 22", NULL,
     NULL},
    {OPT_KEEP_DATA, 0, "keep-data", CLI_NO_ARG, NULL,
     "with a .pb.gz/.pb/.folded output, keep the perf.data recording too (as NAME.data)", NULL,
     NULL},
    {OPT_PID, 'p', "pid", CLI_REQUIRED_ARG, "PID[,PID...]",
     "attach to running processes instead of running a command", NULL, NULL},
    {OPT_ALL_CPUS, 'a', "all-cpus", CLI_NO_ARG, NULL,
     "record every process on every CPU (system-wide; with a command, while it runs)", NULL, NULL},
    {OPT_CPU, 'C', "cpu", CLI_REQUIRED_ARG, "CPUS",
     "record every process on these CPUs only, e.g. 0-3,8 (system-wide)", NULL, NULL},
    {OPT_DURATION, 'd', "duration", CLI_REQUIRED_ARG, "SECONDS", "stop after SECONDS", NULL, NULL},
    {OPT_WALL, 0, "wall", CLI_NO_ARG, NULL,
     "wall-clock profile: on-CPU and off-CPU time of every thread", NULL, NULL},
    {OPT_NO_BUILDID_CACHE, 'N', "no-buildid-cache", CLI_NO_ARG, NULL,
     "keep no copies of the sampled binaries in the build-id cache (~/.debug)", NULL, NULL},
    {OPT_NO_FALLBACK, 0, "no-fallback", CLI_NO_ARG, NULL,
     "fail instead of sampling cpu-clock when a hardware event cannot be opened", NULL, NULL},
    {OPT_STRICT_FREQ, 0, "strict-freq", CLI_NO_ARG, NULL,
     "fail instead of lowering a frequency above kernel.perf_event_max_sample_rate", NULL, NULL},
    {OPT_MMAP_PAGES, 'm', "mmap-pages", CLI_REQUIRED_ARG, "PAGES",
     "ring-buffer data pages per CPU, a power of two (default: 128)", NULL, NULL},
    {OPT_QUIET, 'q', "quiet", CLI_NO_ARG, NULL, "print no summary", NULL, NULL},
    {OPT_HELP, 'h', "help", CLI_NO_ARG, NULL, "show this help", NULL, NULL},
};

static const char *const record_usage[] = {
    "record [options] [--] COMMAND [ARGS...]",
    "record [options] -p PID[,PID...]",
    "record [options] -a|-C CPUS [[--] COMMAND [ARGS...]]",
    NULL,
};

static const struct cli_command record_command = {
    .name = "record",
    .usage = record_usage,
    .description =
        "Run COMMAND, or attach to running processes, and sample it with perf events into a\n"
        "perf.data file (readable by perf report and perf script). Follows every thread and child.",
    .options = record_options,
    .noptions = HW_ARRAY_SIZE(record_options),
};

struct record_args {
    const char *events;
    uint64_t freq, period;
    bool callchain, no_fallback, quiet, help, keep_data, wall, strict_freq;
    bool dwarf;            /* -g dwarf */
    bool no_buildid_cache; /* -N */
    uint32_t user_stack;   /* bytes of user stack copied with each sample */
    bool events_given;
    const char *output;
    pid_t *pids;
    size_t npids;
    bool system_wide; /* -a or -C */
    int *cpus;        /* -C: the CPUs (malloc'd), else NULL */
    size_t ncpus;
    double duration;
    unsigned mmap_pages;
    int compression_level;
};

static void record_args_free(struct record_args *a)
{
    free(a->pids);
    free(a->cpus);
    a->pids = NULL;
    a->cpus = NULL;
}

/* Parses -g MODE[,SIZE]: fp (default) or dwarf, and the stack copy's size in bytes (rounded up to a
 * multiple of 8; fp,0 turns the repair off). Returns 0 or -1 with err. */
static int record_parse_call_graph(struct record_args *a, const char *v, struct hw_err *err)
{
    const char *mode = v ? v : "fp";
    size_t len = strcspn(mode, ",");
    a->callchain = true;
    if (len == 2 && strncmp(mode, "fp", 2) == 0) {
        a->dwarf = false;
        a->user_stack = RECORD_FP_USER_STACK;
    } else if (len == 5 && strncmp(mode, "dwarf", 5) == 0) {
        a->dwarf = true;
        a->user_stack = RECORD_DWARF_USER_STACK;
    } else {
        return hw_errf(err, "unsupported call-graph mode '%.*s' (supported: fp, dwarf)", (int)len,
                       mode);
    }
    if (mode[len] == ',') {
        uint64_t n;
        if (hw_parse_u64(mode + len + 1, &n) < 0 || n > RECORD_MAX_USER_STACK ||
            (a->dwarf && n == 0))
            return hw_errf(err, "invalid stack size '%s' in -g %s: give bytes, at most %d%s",
                           mode + len + 1, mode, RECORD_MAX_USER_STACK,
                           a->dwarf ? " and more than 0" : "");
        a->user_stack = (uint32_t)HW_ALIGN(n, 8);
    }
    return 0;
}

static int record_parse_positive(const char *opt, const char *s, uint64_t *out, struct hw_err *err)
{
    if (hw_parse_u64(s, out) < 0 || *out == 0)
        return hw_errf(err, "invalid value '%s' for %s: give a positive whole number", s, opt);
    return 0;
}

/* Parses the options; returns the index of COMMAND in argv, or -1 with err. */
static int record_parse(struct record_args *a, int argc, char **argv, struct hw_err *err)
{
    struct cli_parser p;
    cli_init(&p, &record_command, argc, argv);
    const char *v;
    int id;
    bool have_freq = false;
    while ((id = cli_next(&p, &v, err)) > 0) {
        uint64_t n;
        switch (id) {
        case OPT_EVENT:
            a->events = v;
            a->events_given = true;
            break;
        case OPT_FREQ:
            if (record_parse_positive("--freq", v, &a->freq, err) < 0)
                return -1;
            have_freq = true;
            break;
        case OPT_COUNT:
            if (record_parse_positive("--count", v, &a->period, err) < 0)
                return -1;
            break;
        case OPT_CALL_GRAPH:
            if (record_parse_call_graph(a, v, err) < 0)
                return -1;
            break;
        case OPT_NO_CALLCHAIN:
            a->callchain = false;
            a->dwarf = false;
            a->user_stack = 0;
            break;
        case OPT_WALL:
            a->wall = true;
            break;
        case OPT_NO_BUILDID_CACHE:
            a->no_buildid_cache = true;
            break;
        case OPT_OUTPUT:
            if (!*v)
                return hw_errf(err, "--output needs a file name");
            a->output = v;
            break;
        case OPT_ALL_CPUS:
            a->system_wide = true;
            break;
        case OPT_CPU:
            if (cli_parse_cpus("--cpu", v, &a->cpus, &a->ncpus, err) < 0)
                return -1;
            a->system_wide = true;
            break;
        case OPT_PID:
            if (cli_parse_pids("--pid", v, &a->pids, &a->npids, err) < 0)
                return -1;
            break;
        case OPT_DURATION:
            if (cli_parse_seconds("--duration", v, &a->duration, err) < 0)
                return -1;
            break;
        case OPT_NO_FALLBACK:
            a->no_fallback = true;
            break;
        case OPT_STRICT_FREQ:
            a->strict_freq = true;
            break;
        case OPT_MMAP_PAGES:
            if (record_parse_positive("--mmap-pages", v, &n, err) < 0)
                return -1;
            if (n & (n - 1) || n > (1u << 20))
                return hw_errf(
                    err,
                    "invalid value '%s' for --mmap-pages: give a power of two such as 64 or 128",
                    v);
            a->mmap_pages = (unsigned)n;
            break;
        case OPT_QUIET:
            a->quiet = true;
            break;
        case OPT_COMPRESS:
            n = COMP_LEVEL_DEFAULT;
            if (v && (hw_parse_u64(v, &n) < 0 || n < 1 || n > (uint64_t)comp_level_max()))
                return hw_errf(
                    err, "invalid value '%s' for --compression-level: give a level from 1 to %d", v,
                    comp_level_max());
            a->compression_level = (int)n;
            break;
        case OPT_KEEP_DATA:
            a->keep_data = true;
            break;
        case OPT_HELP:
            a->help = true;
            return p.index;
        }
    }
    if (id < 0)
        return -1;
    if (have_freq && a->period)
        return hw_errf(err, "give either --freq or --count, not both");
    if (a->wall && a->events_given)
        return hw_errf(
            err, "--wall chooses its own events (cpu-clock and context-switches): leave out -e");
    if (a->wall && !a->callchain)
        return hw_errf(
            err,
            "--wall records where threads wait from their callchains: leave out --no-callchain");
    if (strcmp(a->output, "-") == 0 && a->keep_data)
        return hw_errf(
            err, "--keep-data keeps the recording of a converted output: leave it out with -o -");
    return p.index;
}

/* Says once that kernel frames are left out when the user may not sample the kernel and did not
 * choose the privilege level of every event. */
static void record_note_user_only(const struct event_list *events)
{
    for (size_t i = 0; i < events->n; i++)
        if (!events->ev[i].plm_explicit) {
            fprintf(
                stderr,
                "hwprof: recording user space only (kernel.perf_event_paranoid is %d): run as root "
                "or lower it to 1 for kernel frames\n",
                pe_paranoid());
            return;
        }
}

/* The events of --wall: cpu-clock at the sampling rate, context-switches at every switch. Wall mode
 * needs kernel sampling: a context switch happens in the kernel, and the kernel drops switch
 * samples of user-only events. Returns 0 or -1 with err. */
static int record_wall_events(bool kernel, struct event_list *events, struct hw_err *err)
{
    if (!kernel)
        return hw_errf(err,
                       "--wall needs kernel sampling to see threads leave the CPU "
                       "(kernel.perf_event_paranoid is %d): run as root or lower it with "
                       "'sysctl kernel.perf_event_paranoid=1'",
                       pe_paranoid());
    if (events_parse(RECORD_WALL_EVENTS, true, events, err) < 0)
        return -1;
    events->ev[1].attr.sample_period = 1;
    events->ev[1].attr.freq = 0;
    return 0;
}

static void record_notice(void *arg, const char *msg)
{
    (void)arg;
    fprintf(stderr, "hwprof: %s\n", msg);
}

static void record_print_size(FILE *out, const char *path)
{
    struct stat st;
    if (strcmp(path, "-") == 0)
        return; /* streamed to standard output */
    if (stat(path, &st) < 0) {
        fprintf(out, "hwprof: wrote %s\n", path);
        return;
    }
    double kib = (double)st.st_size / 1024.0;
    if (kib < 1024)
        fprintf(out, "hwprof: wrote %s (%.1f KiB)\n", path, kib);
    else
        fprintf(out, "hwprof: wrote %s (%.1f MiB)\n", path, kib / 1024.0);
}

static void record_print_summary(const struct recorder_result *res, const char *output)
{
    const char *leader = NULL;
    for (size_t e = 0; e < res->nevents; e++) {
        const struct recorder_event_stats *s = &res->events[e];
        if (s->tracking)
            continue;
        if (s->member) {
            fprintf(stderr, "hwprof: %s: read at each %s sample\n", s->name,
                    leader ? leader : "leader");
            continue;
        }
        leader = s->name;
        fprintf(stderr, "hwprof: %s: %llu samples, %llu lost\n", s->name,
                (unsigned long long)s->samples, (unsigned long long)s->lost);
        if (s->throttled)
            fprintf(stderr,
                    "hwprof: %s: the kernel throttled its sampling %llu times (more samples per "
                    "second than kernel.perf_event_max_sample_rate allows; %s)\n",
                    s->name, (unsigned long long)s->throttled,
                    s->fixed_period ? "use a larger -c" : "lower -F");
        if (s->lost_samples)
            fprintf(stderr, "hwprof: %s: the PMU dropped %llu samples (PERF_RECORD_LOST_SAMPLES)\n",
                    s->name, (unsigned long long)s->lost_samples);
    }
    if (res->lost_unattributed)
        fprintf(stderr, "hwprof: %llu more samples lost\n",
                (unsigned long long)res->lost_unattributed);
    uint64_t throttled = 0;
    for (size_t e = 0; e < res->nevents; e++)
        throttled += res->events[e].tracking ? 0 : res->events[e].throttled;
    if (res->throttled > throttled) /* of no event the summary names */
        fprintf(stderr, "hwprof: the kernel throttled sampling %llu more times\n",
                (unsigned long long)(res->throttled - throttled));
    if (res->corrupt)
        fprintf(stderr, "hwprof: %llu unreadable records in the ring buffers were skipped\n",
                (unsigned long long)res->corrupt);
    if (output)
        record_print_size(stderr, output);
}

/* Where to record when the output is a converted format: NAME.data (kept with --keep-data) or a
 * temporary name next to the output. Returns a malloc'd path or NULL (out of memory). */
static char *record_data_path(const char *output, bool keep)
{
    size_t base = convert_name_base(output);
    char *path = NULL;
    int rc = keep ? asprintf(&path, "%.*s.data", (int)base, output)
                  : asprintf(&path, "%s.recording-%d.data", output, (int)getpid());
    return rc < 0 ? NULL : path;
}

static void record_convert_warn(void *arg, const char *msg)
{
    (void)arg;
    fprintf(stderr, "hwprof: warning: %s\n", msg);
}

/* Converts the finished recording into the requested output. Returns 0 or -1 with err. */
static int record_convert(const char *data, const char *output, struct hw_err *err)
{
    struct convert_options o = {.input = data,
                                .output = output,
                                .format = CONVERT_AUTO,
                                .labels = true,
                                .version = "hwprof " PACKAGE_VERSION,
                                .warn = record_convert_warn};
    return convert_file(&o, err);
}

int cmd_record(int argc, char **argv)
{
    struct record_args a = {.events = "cycles",
                            .freq = 999,
                            .callchain = true,
                            .output = "hwprof.data",
                            .mmap_pages = 128,
                            .user_stack = RECORD_FP_USER_STACK};
    struct hw_err err = {{0}};
    int cmd_at = record_parse(&a, argc, argv, &err);
    if (cmd_at < 0) {
        fprintf(stderr, "hwprof: %s\n", err.msg);
        record_args_free(&a);
        return HW_EXIT_USAGE;
    }
    if (a.help) {
        cli_print_help(stdout, "hwprof", &record_command);
        record_args_free(&a);
        return 0;
    }
    bool have_cmd = cmd_at < argc;
    if (a.system_wide && a.npids > 0) {
        fprintf(stderr, "hwprof: give either -a/-C (every process) or --pid, not both\n");
        record_args_free(&a);
        return HW_EXIT_USAGE;
    }
    if (a.system_wide && !pe_cpu_wide_allowed()) {
        pe_cpu_wide_error(&err);
        fprintf(stderr, "hwprof: %s\n", err.msg);
        record_args_free(&a);
        return HW_EXIT_ERROR;
    }
    if (!a.system_wide && have_cmd == (a.npids > 0)) {
        fprintf(stderr, "hwprof: %s\n",
                have_cmd ? "give either a command or --pid, not both"
                         : "no command given: 'hwprof record [options] -- COMMAND', "
                           "'hwprof record -p PID' or 'hwprof record -a'");
        record_args_free(&a);
        return HW_EXIT_USAGE;
    }

    struct event_list events = {0};
    bool kernel = pe_kernel_allowed();
    if ((a.wall ? record_wall_events(kernel, &events, &err)
                : events_parse(a.events, kernel, &events, &err)) < 0) {
        fprintf(stderr, "hwprof: %s\n", err.msg);
        record_args_free(&a);
        return HW_EXIT_ERROR;
    }
    if (!kernel && !a.quiet)
        record_note_user_only(&events);
    /* the file's CMDLINE feature: "hwprof record ..." */
    char **cmdline = calloc((size_t)argc + 2, sizeof(*cmdline));
    if (!cmdline) {
        cli_print_oom(stderr);
        events_free(&events);
        record_args_free(&a);
        return HW_EXIT_ERROR;
    }
    cmdline[0] = "hwprof";
    memcpy(cmdline + 1, argv, (size_t)argc * sizeof(*argv));
    /* A pprof or folded output: record to a perf.data first, convert at the end. */
    bool converting = convert_format_of(a.output) != CONVERT_AUTO;
    char *data_path = converting ? record_data_path(a.output, a.keep_data) : hw_strdup(a.output);
    if (!data_path) {
        cli_print_oom(stderr);
        free(cmdline);
        events_free(&events);
        record_args_free(&a);
        return HW_EXIT_ERROR;
    }
    /* copies of the sampled binaries in perf's build-id cache, as perf record keeps them (-N: none)
     */
    char *cache_dir = a.no_buildid_cache ? NULL : bidcache_default_dir();
    struct recorder_opts opts = {
        .output = data_path,
        .compression_level = a.compression_level,
        .events = &events,
        .pe = {.freq = a.freq,
               .period = a.period,
               .callchain = a.callchain,
               .enable_on_exec = a.npids == 0 && !a.system_wide,
               .no_fallback = a.no_fallback,
               .strict_freq = a.strict_freq,
               .wakeup_bytes = a.mmap_pages * 4096u / 4,
               .switch_records = a.wall,
               .monotonic_clock = a.wall,
               .dwarf = a.dwarf,
               .user_stack = a.wall && !a.dwarf && a.user_stack < RECORD_WALL_USER_STACK
                                 ? RECORD_WALL_USER_STACK
                                 : a.user_stack},
        .mmap_pages = a.mmap_pages,
        .pids = a.pids,
        .npids = a.npids,
        .argv = argv + cmd_at,
        .system_wide = a.system_wide,
        .cpus = a.cpus,
        .ncpus = a.ncpus,
        .duration = a.duration,
        .cmdline_argc = argc + 1,
        .cmdline_argv = cmdline,
        .version = "hwprof " PACKAGE_VERSION,
        .cache_dir = cache_dir,
        .notice = a.quiet ? NULL : record_notice, /* -q: no notices either */
    };
    struct recorder_result res;
    int rc = recorder_run(&opts, &res, &err);
    int code;
    if (rc < 0) {
        fprintf(stderr, "hwprof: %s\n", err.msg);
        code = res.command_not_found ? 127 : HW_EXIT_ERROR;
    } else {
        if (!a.quiet)
            record_print_summary(&res, converting && !a.keep_data ? NULL : data_path);
        /* a command ended by --duration ran as asked: its SIGTERM is not a failure */
        code = res.workload_ran && !res.duration_expired ? res.workload_exit : 0;
        if (converting) {
            if (record_convert(data_path, a.output, &err) < 0) {
                fprintf(stderr, "hwprof: %s\n", err.msg);
                fprintf(stderr, "hwprof: the recording is kept in %s\n", data_path);
                code = HW_EXIT_ERROR;
            } else {
                if (!a.quiet)
                    record_print_size(stderr, a.output);
                if (!a.keep_data)
                    unlink(data_path);
            }
        }
    }
    free(data_path);
    recorder_result_free(&res);
    free(cache_dir);
    free(cmdline);
    events_free(&events);
    record_args_free(&a);
    return code;
}
