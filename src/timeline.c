/* timeline.c - a profile's timeline in the Chrome trace-event format (Perfetto, chrome://tracing, speedscope): a track per thread, on-CPU stacks over time, off-CPU intervals. */
#include "timeline.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "calltree.h"
#include "escape.h"

/* The writer's state: the output, the time origin, the open slices of the current thread. */
struct tl {
    const struct profile *p;
    FILE *out;
    uint64_t t0; /* ns: the first entry's time, ts 0 */
    bool first;  /* no event written yet (for commas) */
    uint32_t pid, tid;
    struct ct_frame *open; /* the open on-CPU slices, root first */
    size_t nopen;
    uint64_t open_end;       /* ns: when the last on-CPU sample's slice ends */
    struct ct_frame *frames; /* scratch: a sample's frames */
    size_t maxd;
};

static void tl_str(FILE *out, const char *s)
{
    fputc('"', out);
    esc_fputs(out, s, ESC_JSON);
    fputc('"', out);
}

/* Starts an event object (with the comma before it) and writes ph, pid, tid and ts. */
static void tl_begin_event(struct tl *w, char ph, uint64_t t)
{
    uint64_t us = t > w->t0 ? t - w->t0 : 0;
    fprintf(w->out,
            "%s\n{\"ph\":\"%c\",\"pid\":%" PRIu32 ",\"tid\":%" PRIu32 ",\"ts\":%" PRIu64 ".%03u",
            w->first ? "" : ",", ph, w->pid, w->tid, us / 1000, (unsigned)(us % 1000));
    w->first = false;
}

/* Writes ,"name":"[PREFIX: ]NAME[ (inlined)]" (viewers match an E to its B by name). */
static void tl_name(struct tl *w, const char *prefix, const char *name, bool inlined)
{
    fputs(",\"name\":\"", w->out);
    if (prefix) {
        esc_fputs(w->out, prefix, ESC_JSON);
        fputs(": ", w->out);
    }
    esc_fputs(w->out, name, ESC_JSON);
    fputs(inlined ? " (inlined)\"" : "\"", w->out);
}

/* A slice begins (B, with its category) or ends (E): the frame's name. */
static void tl_frame(struct tl *w, char ph, uint64_t t, const struct ct_frame *f, const char *cat)
{
    tl_begin_event(w, ph, t);
    tl_name(w, NULL, w->p->strings[f->name], f->inlined);
    if (ph == 'B')
        fprintf(w->out, ",\"cat\":\"%s\"", cat);
    fputc('}', w->out);
}

/* Closes the open on-CPU slices beyond the first keep, at time t. */
static void tl_close_to(struct tl *w, size_t keep, uint64_t t)
{
    while (w->nopen > keep) {
        w->nopen--;
        tl_frame(w, 'E', t, &w->open[w->nopen], "cpu");
    }
}

/* Metadata: a process's or thread's name. */
static void tl_meta(struct tl *w, const char *what, const char *name)
{
    fprintf(w->out,
            "%s\n{\"ph\":\"M\",\"pid\":%" PRIu32 ",\"tid\":%" PRIu32
            ",\"name\":\"%s\",\"args\":{\"name\":",
            w->first ? "" : ",", w->pid, w->tid, what);
    tl_str(w->out, *name ? name : "[unknown]");
    fputs("}}", w->out);
    w->first = false;
}

/* Whether a location belongs to the system rather than the program: the kernel (and vdso), no
 * mapping, or a library in the system's library directories. */
static bool tl_system_loc(const struct profile *p, const struct prof_location *loc, bool *user)
{
    *user = false;
    if (loc->mapping == PROF_NONE || loc->mapping >= p->nmappings)
        return true;
    const char *path = p->strings[p->mappings[loc->mapping].filename];
    if (path[0] == '[' || !path[0])
        return true;
    *user = true;
    static const char *const dirs[] = {"/lib/",       "/lib64/", "/usr/lib/",
                                       "/usr/lib64/", "/lib32/", "/usr/lib32/"};
    for (size_t i = 0; i < HW_ARRAY_SIZE(dirs); i++)
        if (strncmp(path, dirs[i], strlen(dirs[i])) == 0)
            return true;
    return false;
}

/* The function that waited in an off-CPU sample: the innermost function of the program's own code,
 * else the innermost user-space function, else the leaf. Returns its name ("" if no frames). */
static const char *tl_waiter(const struct profile *p, const struct prof_sample *s)
{
    const char *user = NULL, *leaf = NULL;
    for (uint32_t k = 0; k < s->nlocs; k++) {
        const struct prof_location *loc = &p->locations[p->loc_ids[s->first_loc + k]];
        if (!loc->nlines)
            continue;
        const char *name = p->strings[p->functions[p->lines[loc->first_line].function].name];
        bool is_user;
        bool sys = tl_system_loc(p, loc, &is_user);
        if (!leaf)
            leaf = name;
        if (is_user && !user)
            user = name;
        if (!sys)
            return name;
    }
    return user ? user : leaf ? leaf : "";
}

/* An off-CPU interval [t, end): the "STATE: FUNCTION" slice over the slices of its stack. */
static void tl_interval(struct tl *w, const struct prof_timed *e, uint64_t end)
{
    const struct profile *p = w->p;
    const struct prof_sample *s = &p->samples[e->sample];
    const char *state = s->state ? p->strings[s->state] : "off-cpu";
    const char *waiter = tl_waiter(p, s);
    tl_begin_event(w, 'B', e->time);
    tl_name(w, state, waiter, false);
    fputs(",\"cat\":\"off-cpu\"}", w->out);
    size_t n = ct_sample_frames(p, s, false, w->frames, w->maxd);
    for (size_t i = 0; i < n; i++)
        tl_frame(w, 'B', e->time, &w->frames[i], "off-cpu-stack");
    while (n-- > 0)
        tl_frame(w, 'E', end, &w->frames[n], "off-cpu-stack");
    tl_begin_event(w, 'E', end);
    tl_name(w, state, waiter, false);
    fputc('}', w->out);
}

/* An on-CPU sample [t, end): its frames continue the open slices they share a prefix with. */
static void tl_sample(struct tl *w, const struct prof_timed *e, uint64_t end)
{
    size_t n = ct_sample_frames(w->p, &w->p->samples[e->sample], false, w->frames, w->maxd);
    if (e->time > w->open_end)
        tl_close_to(w, 0, w->open_end); /* the thread did not run in between */
    size_t common = 0;
    while (common < n && common < w->nopen && w->open[common].name == w->frames[common].name &&
           w->open[common].inlined == w->frames[common].inlined)
        common++;
    tl_close_to(w, common, e->time);
    for (size_t i = common; i < n; i++) {
        tl_frame(w, 'B', e->time, &w->frames[i], "cpu");
        w->open[w->nopen++] = w->frames[i];
    }
    w->open_end = end;
}

/* Sorting entries by process, thread, time. */
static int tl_cmp(const void *a, const void *b, void *arg)
{
    const struct profile *p = arg;
    const struct prof_timed *x = &p->timeline[*(const uint32_t *)a],
                            *y = &p->timeline[*(const uint32_t *)b];
    const struct prof_sample *sx = &p->samples[x->sample], *sy = &p->samples[y->sample];
    if (sx->pid != sy->pid)
        return sx->pid < sy->pid ? -1 : 1;
    if (sx->tid != sy->tid)
        return sx->tid < sy->tid ? -1 : 1;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return (*(const uint32_t *)a > *(const uint32_t *)b) -
           (*(const uint32_t *)a < *(const uint32_t *)b);
}

static int tl_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* How long an on-CPU sample of a count event lasts on this thread: the median gap between its
 * samples (entries idx[0..n)). Returns 0 or -1 (out of memory). */
static int tl_median_gap(const struct profile *p, const uint32_t *idx, size_t n, uint64_t *out)
{
    *out = 0;
    if (n < 2)
        return 0;
    uint64_t *gaps = calloc(n - 1, sizeof(*gaps));
    if (!gaps)
        return -1;
    size_t k = 0;
    for (size_t i = 1; i < n; i++)
        if (p->timeline[idx[i]].duration == 0 && p->timeline[idx[i - 1]].duration == 0)
            gaps[k++] = p->timeline[idx[i]].time - p->timeline[idx[i - 1]].time;
    if (k) {
        qsort(gaps, k, sizeof(*gaps), tl_cmp_u64);
        *out = gaps[k / 2];
    }
    free(gaps);
    return 0;
}

/* Writes one thread's entries idx[0..n) (sorted by time). Returns 0 or -1 (out of memory). */
static int tl_thread(struct tl *w, const uint32_t *idx, size_t n, size_t cpu_type)
{
    const struct profile *p = w->p;
    bool time_unit = strcmp(p->strings[p->types[cpu_type].unit], "nanoseconds") == 0;
    uint64_t cap = 0;
    if (!time_unit && tl_median_gap(p, idx, n, &cap) < 0)
        return -1;
    w->nopen = 0;
    w->open_end = 0;
    for (size_t i = 0; i < n; i++) {
        const struct prof_timed *e = &p->timeline[idx[i]];
        uint64_t next = i + 1 < n ? p->timeline[idx[i + 1]].time : UINT64_MAX;
        uint64_t len = e->duration ? e->duration
                       : time_unit ? (e->value > 0 ? (uint64_t)e->value : 0)
                                   : cap;
        uint64_t end = len > UINT64_MAX - e->time ? UINT64_MAX : e->time + len;
        if (end > next)
            end = next;
        if (end <= e->time)
            continue; /* no time of its own */
        if (e->duration) {
            tl_close_to(w, 0, w->open_end < e->time ? w->open_end : e->time);
            tl_interval(w, e, end);
        } else {
            tl_sample(w, e, end);
        }
    }
    tl_close_to(w, 0, w->open_end);
    return 0;
}

/* The sample type whose on-CPU entries are drawn: type if it has some, else the first that has. */
static size_t tl_cpu_type(const struct profile *p, size_t type)
{
    size_t first = type;
    bool any = false;
    for (size_t i = 0; i < p->ntimeline; i++) {
        if (p->timeline[i].duration)
            continue;
        if (p->timeline[i].type == type)
            return type;
        if (!any) {
            first = p->timeline[i].type;
            any = true;
        }
    }
    return first;
}

int timeline_write_json(const struct profile *p, const bool *keep, const struct timeline_options *o,
                        FILE *out, struct hw_err *err)
{
    size_t cpu_type = tl_cpu_type(p, o->type);
    uint32_t *idx = calloc(p->ntimeline ? p->ntimeline : 1, sizeof(*idx));
    if (!idx)
        return hw_err_oom(err);
    size_t n = 0;
    bool timed = false;
    for (size_t i = 0; i < p->ntimeline; i++) {
        const struct prof_timed *e = &p->timeline[i];
        if ((keep && !keep[e->sample]) || (!e->duration && e->type != cpu_type))
            continue;
        idx[n++] = (uint32_t)i;
        timed = timed || e->time != 0;
    }
    if (n && !timed) {
        free(idx);
        return hw_errf(err,
                       "the recording has no timestamps, so it has no timeline (record it with "
                       "hwprof record, or perf record -T)");
    }
    struct tl w = {
        .p = p, .out = out, .first = true, .t0 = UINT64_MAX, .maxd = ct_max_depth(p, false) + 1};
    w.open = calloc(w.maxd, sizeof(*w.open));
    w.frames = calloc(w.maxd, sizeof(*w.frames));
    int rc = w.open && w.frames ? 0 : -1;
    for (size_t i = 0; i < n; i++)
        if (p->timeline[idx[i]].time < w.t0)
            w.t0 = p->timeline[idx[i]].time;
    if (rc == 0 && n > 1)
        qsort_r(idx, n, sizeof(*idx), tl_cmp, (void *)p);
    fputs("{\"displayTimeUnit\":\"ms\",\"otherData\":{\"producer\":\"hwprof\",\"title\":", out);
    tl_str(out, o->title ? o->title : "");
    fprintf(out, ",\"clock_origin_ns\":\"%" PRIu64 "\"},\"traceEvents\":[", n ? w.t0 : 0);
    for (size_t i = 0; i < n && rc == 0;) {
        const struct prof_sample *s = &p->samples[p->timeline[idx[i]].sample];
        size_t j = i;
        while (j < n && p->samples[p->timeline[idx[j]].sample].tid == s->tid &&
               p->samples[p->timeline[idx[j]].sample].pid == s->pid)
            j++;
        bool new_pid = i == 0 || p->samples[p->timeline[idx[i - 1]].sample].pid != s->pid;
        w.pid = s->pid;
        w.tid = s->tid;
        if (new_pid)
            tl_meta(&w, "process_name", p->strings[s->comm]);
        /* the thread's name: its command name at its last entry */
        tl_meta(&w, "thread_name", p->strings[p->samples[p->timeline[idx[j - 1]].sample].comm]);
        rc = tl_thread(&w, idx + i, j - i, cpu_type);
        i = j;
    }
    fputs("\n]}\n", out);
    free(idx);
    free(w.open);
    free(w.frames);
    if (rc < 0)
        return hw_err_oom(err);
    if (ferror(out))
        return hw_errf_errno(err, errno ? errno : EIO, "cannot write the timeline");
    return 0;
}
