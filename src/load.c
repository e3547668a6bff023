/* load.c - build a profile from a recording: read its records in time order and pass them through the machine, stacks, locations, values and the wall-clock tracker. */
#include "load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "decode.h"
#include "hashmap.h"
#include "locs.h"
#include "machine.h"
#include "stack.h"
#include "symbolize.h"
#include "values.h"
#include "wall.h"

/* Symbolization warnings are one per binary; a recording that names thousands of missing binaries
 * gets the first LOAD_MAX_SYM_WARNINGS of them and a count of the rest. */
#define LOAD_MAX_SYM_WARNINGS 10

struct load_sym_warn {
    struct hw_warn out;
    uint64_t n;
};

struct loader {
    struct pr_file *f;
    struct profile *p;
    struct load_info *info;
    struct hw_warn warn;
    struct load_sym_warn sym_warn;
    struct machine *m;
    struct symbolizer *sym;
    struct locs *locs;
    struct values v;
    struct dec_format *fmts;   /* per attr */
    struct stack_config *stacks; /* per attr */
    struct hw_map bid_map;     /* file name -> index into f's build_ids */
    size_t nbids_indexed;      /* build ids of the file indexed so far (a stream adds its at the end) */
    size_t dsos_seen;          /* binaries of the machine given the file's build ids so far */
    struct wall_tracker *tracker; /* wall recordings: open off-CPU intervals */
    uint64_t last_record_time;
    struct stack st;
    uint32_t loc_ids[STACK_LIMIT];
    int64_t *values;
};

/* ---- binaries: build ids from the file's table ---- */

struct load_bid_key {
    const struct pr_file *f;
    const char *name;
};

/* The name a build-id table entry is found by: its file name, "[kernel.kallsyms]" for the kernel's. */
static const char *load_bid_name(const struct pf_build_id *b)
{
    return strncmp(b->filename, "[kernel.kallsyms]", 17) == 0 ? "[kernel.kallsyms]" : b->filename;
}

static bool load_bid_eq(const void *ctx, uint32_t val)
{
    const struct load_bid_key *k = ctx;
    return strcmp(load_bid_name(&pr_env(k->f)->build_ids[val]), k->name) == 0;
}

static uint64_t load_bid_hash(const char *name)
{
    return hw_hash_bytes(name, strlen(name), 9);
}

/* Indexes the file's build-id table by name (the first entry of a name wins). */
static int load_index_build_ids(struct loader *l)
{
    const struct pr_file *f = l->f;
    for (size_t i = l->nbids_indexed; i < pr_env(f)->nbuild_ids; i++, l->nbids_indexed++) {
        const struct pf_build_id *b = &pr_env(f)->build_ids[i];
        const char *name = load_bid_name(b);
        struct load_bid_key k = {f, name};
        uint32_t old;
        if (b->id_len <= 0 || b->id_len > HW_BUILD_ID_MAX)
            continue;
        if (!hw_map_find(&l->bid_map, load_bid_hash(name), load_bid_eq, &k, &old) &&
            hw_map_insert(&l->bid_map, load_bid_hash(name), (uint32_t)i) < 0)
            return -1;
    }
    return 0;
}

/* Gives the binaries that appeared since the last call their build id from the file's table, when
 * their records gave none. */
static void load_apply_build_ids(struct loader *l)
{
    size_t n;
    const struct mach_dso *const *d = mach_dsos(l->m, &n);
    for (; l->dsos_seen < n; l->dsos_seen++) {
        const struct mach_dso *dso = d[l->dsos_seen];
        const char *name = strncmp(dso->path, "[kernel.kallsyms]", 17) == 0 ? "[kernel.kallsyms]" : dso->path;
        struct load_bid_key k = {l->f, name};
        uint32_t i;
        if (!dso->build_id_size && hw_map_find(&l->bid_map, load_bid_hash(name), load_bid_eq, &k, &i))
            mach_dso_set_build_id(l->m, dso, pr_env(l->f)->build_ids[i].id, (size_t)pr_env(l->f)->build_ids[i].id_len);
    }
}

/* Build ids that came after the binaries they name (a stream sends its table at its end): indexed and
 * given to every binary that has none yet. 0 or -1 (out of memory). */
static int load_late_build_ids(struct loader *l)
{
    if (pr_env(l->f)->nbuild_ids == l->nbids_indexed)
        return 0;
    if (load_index_build_ids(l) < 0)
        return -1;
    l->dsos_seen = 0;
    load_apply_build_ids(l);
    return 0;
}

/* ---- stacks ---- */

struct load_unwind_ctx {
    struct loader *l;
    int32_t pid;
};

/* unwind_rule_fn over the machine and the symbolizer. */
static int load_cfa_rule(void *arg, uint64_t pc, bool caller, struct sym_cfa_rule *out)
{
    const struct load_unwind_ctx *c = arg;
    const struct mach_map *m = mach_find(c->l->m, c->pid, pc);
    if (!m)
        return -1;
    struct sym_binary bin;
    locs_binary(m->dso, &bin);
    return sym_cfa_rule(c->l->sym, &bin, m->start, m->pgoff, pc, caller, out);
}

/* The stack of sample s of attr as profile location ids in l->loc_ids. Returns the count or -1. */
static long load_locations(struct loader *l, int attr, const struct dec_sample *s, struct hw_err *err)
{
    struct load_unwind_ctx ctx = {l, (int32_t)s->pid};
    struct stack_config cfg = l->stacks[attr];
    cfg.rule_arg = &ctx;
    stack_build(&l->st, s, &cfg);
    for (size_t i = 0; i < l->st.n; i++) {
        int64_t loc = locs_of(l->locs, l->m, (int32_t)s->pid, l->st.addr[i], l->st.kernel[i], l->st.caller[i], err);
        if (loc < 0)
            return -1;
        l->loc_ids[i] = (uint32_t)loc;
    }
    return (long)l->st.n;
}

/* ---- samples ---- */

/* The labels of a sample of attr: pid, tid, the thread's name (else its process's), the cpu where
 * the attr records it, and state (NULL: none). */
static void load_labels(const struct loader *l, int attr, uint32_t pid, uint32_t tid, uint32_t cpu,
                        const char *state, struct prof_labels *out)
{
    *out = (struct prof_labels){
        .pid = pid,
        .tid = tid,
        .comm = mach_thread_name(l->m, pid, tid),
        .cpu = (l->fmts[attr].sample_type & PERF_SAMPLE_CPU) ? (int32_t)cpu : -1,
        .state = state,
    };
}

/* Adds each group member's delta since its last read in this thread to its type. */
static int load_group_values(struct loader *l, int attr, const struct dec_sample *s)
{
    if (!(l->fmts[attr].read_format & PERF_FORMAT_GROUP))
        return 0;
    for (uint32_t i = 0; i < s->nr_values; i++) {
        const struct dec_read_value *rv = &s->values[i];
        int j = rv->id ? pr_attr_index(l->f, rv->id) : -1;
        if (j < 0 || j == attr || l->v.type_of_event[j] < 0)
            continue;
        int64_t delta;
        if (values_group_delta(&l->v, rv->id, s->tid, rv->value, &delta) < 0)
            return -1;
        int t = l->v.type_of_event[j];
        l->values[t] = prof_sat_add(l->values[t], delta);
    }
    return 0;
}

/* Adds the sample's values to the profile under its stack and labels, and to the timeline. */
static int load_add_sample(struct loader *l, int attr, const struct dec_sample *s, size_t nlocs, struct hw_err *err)
{
    const struct values *v = &l->v;
    memset(l->values, 0, l->p->ntypes * sizeof(*l->values));
    l->values[0] = 1;
    uint64_t period = values_period(&pr_env(l->f)->attrs[attr].attr, &l->fmts[attr], s);
    int64_t weight = period > INT64_MAX ? INT64_MAX : (int64_t)period;
    uint32_t t = (uint32_t)v->type_of_event[attr];
    l->values[t] = weight;
    bool on_cpu = v->wall && attr == v->wall_clock;
    if (on_cpu)
        l->values[v->t_wall] = weight;
    if ((l->fmts[attr].sample_type & PERF_SAMPLE_READ) && load_group_values(l, attr, s) < 0)
        return hw_err_oom(err);
    struct prof_labels labels;
    load_labels(l, attr, s->pid, s->tid, s->cpu, on_cpu ? "on-cpu" : NULL, &labels);
    int64_t idx = prof_add_sample(l->p, l->loc_ids, nlocs, l->values, &labels);
    struct prof_timed tm = {.time = s->time, .sample = (uint32_t)idx, .type = t, .value = weight};
    if (idx < 0 || prof_add_timed(l->p, &tm) < 0)
        return hw_err_oom(err);
    return 0;
}

static int load_sample(struct loader *l, const struct pr_record *rec, struct hw_err *err)
{
    if (rec->attr < 0) {
        l->info->unknown_ids++; /* its id names no event of the file */
        return 0;
    }
    if (l->v.type_of_event[rec->attr] < 0)
        return 0; /* a dummy event's */
    struct dec_sample s;
    struct hw_err why;
    if (dec_sample(&l->fmts[rec->attr], rec->h, rec->h->size, &s, &why) < 0)
        return hw_errf(err, "%s: sample at byte %llu: %s", pr_info(l->f)->path, (unsigned long long)rec->offset, why.msg);
    struct load_info *info = l->info;
    info->sample_records++;
    if (mach_count_sample(l->m, s.pid, err) < 0)
        return -1;
    if (s.time && (!info->first_time || s.time < info->first_time))
        info->first_time = s.time;
    if (s.time > info->last_time)
        info->last_time = s.time;
    long n = load_locations(l, rec->attr, &s, err);
    if (n < 0)
        return -1;
    if (l->v.wall && rec->attr == l->v.wall_switch) {
        /* charged when the thread runs again (load_switch); the idle tasks (tid 0 on every CPU)
         * are not threads of the workload */
        if (s.tid != 0 && wall_switch_out(l->tracker, s.pid, s.tid, s.cpu, s.time, l->loc_ids, (size_t)n) < 0)
            return hw_err_oom(err);
        return 0;
    }
    if (l->v.wall)
        wall_forget(l->tracker, s.tid); /* running, so not off the CPU (its switch-in was lost) */
    return load_add_sample(l, rec->attr, &s, (size_t)n, err);
}

/* ---- wall-clock recordings ---- */

/* Adds an off-CPU interval as a sample: its switch-out stack, weighted by its length. wall_close_all
 * callback too. Returns 0 or -1 (out of memory). */
static int load_add_interval(void *arg, const struct wall_interval *iv)
{
    struct loader *l = arg;
    const struct values *v = &l->v;
    memset(l->values, 0, l->p->ntypes * sizeof(*l->values));
    l->values[0] = 1;
    uint64_t len = iv->end - iv->start;
    l->values[v->t_off] = l->values[v->t_wall] = len > INT64_MAX ? INT64_MAX : (int64_t)len;
    struct prof_labels labels;
    load_labels(l, v->wall_switch, iv->pid, iv->tid, iv->cpu, iv->preempted ? "preempted" : "blocked", &labels);
    int64_t idx = prof_add_sample(l->p, iv->locs, iv->nlocs, l->values, &labels);
    struct prof_timed tm = {.time = iv->start, .duration = len, .sample = (uint32_t)idx, .type = v->t_off,
                            .value = l->values[v->t_off]};
    return idx < 0 || prof_add_timed(l->p, &tm) < 0 ? -1 : 0;
}

/* SWITCH records of a wall recording: a switch-out says whether the thread was preempted, a
 * switch-in ends its off-CPU interval. */
static int load_switch(struct loader *l, const struct pr_record *rec, struct hw_err *err)
{
    const struct dec_format *fmt = rec->attr >= 0 ? &l->fmts[rec->attr] : &l->fmts[0];
    struct dec_switch sw;
    struct dec_sample_id id;
    if (!l->v.wall || dec_switch(rec->h, rec->h->size, &sw, NULL) < 0 ||
        dec_trailer(fmt, rec->h, rec->h->size, &id, NULL) < 0 || id.tid == 0)
        return 0;
    if (sw.out) {
        wall_mark_preempted(l->tracker, id.tid, sw.preempt);
        return 0;
    }
    struct wall_interval iv;
    if (wall_switch_in(l->tracker, id.tid, id.time, &iv) && load_add_interval(l, &iv) < 0)
        return hw_err_oom(err);
    return 0;
}

/* Charges the threads still off the CPU when the recording stopped, up to its end: the later of
 * the last record and the file's last sample time (hwprof's wall recordings store the stop time
 * there). 0 or -1 (out of memory). */
static int load_close_wall(struct loader *l)
{
    uint64_t end = l->last_record_time;
    const struct perf_event_attr *a = &pr_env(l->f)->attrs[l->v.wall_clock].attr;
    if (a->use_clockid && a->clockid == CLOCK_MONOTONIC && pr_env(l->f)->last_sample_time > end)
        end = pr_env(l->f)->last_sample_time;
    if (end > l->info->last_time)
        l->info->last_time = end;
    return wall_close_all(l->tracker, end, load_add_interval, l);
}

/* ---- side-band records ---- */

static int load_sideband(struct loader *l, const struct pr_record *rec, struct hw_err *err)
{
    const struct perf_event_header *h = rec->h;
    const struct dec_format *fmt = rec->attr >= 0 ? &l->fmts[rec->attr] : &l->fmts[0];
    struct mach_change chg;
    if (mach_process(l->m, fmt, h, h->size, &chg, err) < 0)
        return -1;
    switch (chg.type ? chg.type : h->type) {
    case PERF_RECORD_MMAP:
    case PERF_RECORD_MMAP2:
        load_apply_build_ids(l);
        return 0;
    case PERF_RECORD_FORK:
        if (l->v.wall)
            wall_reuse(l->tracker, chg.tid); /* a thread id can come back */
        return 0;
    case PERF_RECORD_EXIT:
        if (l->v.wall)
            wall_exit(l->tracker, chg.tid); /* an exited thread is not waiting */
        return 0;
    case PERF_RECORD_SWITCH:
    case PERF_RECORD_SWITCH_CPU_WIDE:
        return load_switch(l, rec, err);
    case PERF_RECORD_LOST: {
        struct dec_lost lost;
        if (dec_lost(h, h->size, &lost, NULL) == 0)
            l->info->lost += lost.lost;
        return 0;
    }
    case PERF_RECORD_LOST_SAMPLES: {
        uint64_t n;
        if (h->size >= sizeof(*h) + 8) {
            memcpy(&n, (const char *)h + sizeof(*h), 8);
            l->info->lost += n;
        }
        return 0;
    }
    default:
        return 0; /* unknown and uninteresting records are skipped by their size */
    }
}

/* ---- setup and the read loop ---- */

/* hw_warn_fn for the symbolizer: passes the first LOAD_MAX_SYM_WARNINGS on, counts the rest. */
static void load_sym_warning(void *arg, const char *msg)
{
    struct load_sym_warn *w = arg;
    if (w->n++ < LOAD_MAX_SYM_WARNINGS)
        hw_warnf(&w->out, "%s", msg);
}

/* The recording comes from the running kernel: same host name and release. */
static bool load_same_kernel(const struct pr_file *f)
{
    struct utsname u;
    if (uname(&u) < 0 || !pr_env(f)->osrelease)
        return false;
    return strcmp(u.release, pr_env(f)->osrelease) == 0 && (!pr_env(f)->hostname || strcmp(u.nodename, pr_env(f)->hostname) == 0);
}

static void load_free(struct loader *l)
{
    locs_free(l->locs);
    mach_free(l->m);
    sym_free(l->sym);
    values_free(&l->v);
    free(l->fmts);
    free(l->stacks);
    hw_map_free(&l->bid_map);
    free(l->values);
    wall_free(l->tracker);
}

static int load_setup(struct loader *l, const struct load_options *opts, struct hw_err *err)
{
    const struct pr_file *f = l->f;
    struct sym_options so = {.debuginfod = opts->debuginfod, .demangle = true,
                             .use_kallsyms = load_same_kernel(f), .root = opts->root};
    l->warn = (struct hw_warn){opts->warn, opts->warn_arg};
    l->m = mach_new();
    l->p = prof_new();
    l->fmts = calloc(pr_env(f)->nattrs ? pr_env(f)->nattrs : 1, sizeof(*l->fmts));
    l->stacks = calloc(pr_env(f)->nattrs ? pr_env(f)->nattrs : 1, sizeof(*l->stacks));
    struct values_event *ev = calloc(pr_env(f)->nattrs ? pr_env(f)->nattrs : 1, sizeof(*ev));
    if (!l->m || !l->p || !l->fmts || !l->stacks || !ev || load_index_build_ids(l) < 0) {
        free(ev);
        return hw_err_oom(err);
    }
    if (opts->timeline)
        prof_keep_timeline(l->p);
    bool unwind = !pr_env(f)->arch || strcmp(pr_env(f)->arch, "x86_64") == 0; /* the registers unwind.c knows */
    for (size_t i = 0; i < pr_env(f)->nattrs; i++) {
        dec_format_from_attr(&l->fmts[i], &pr_env(f)->attrs[i].attr);
        l->stacks[i] = (struct stack_config){.regs_user_mask = l->fmts[i].regs_user_mask, .unwind = unwind,
                                             .max = opts->max_stack, .rule = load_cfa_rule};
        ev[i] = (struct values_event){&pr_env(f)->attrs[i].attr, pr_env(f)->attrs[i].name};
    }
    int rc = values_init(&l->v, l->p, ev, pr_env(f)->nattrs, err);
    free(ev);
    if (rc < 0)
        return -1;
    l->sym_warn.out = l->warn;
    l->sym = sym_new(&so, load_sym_warning, &l->sym_warn, err);
    if (!l->sym)
        return -1;
    l->locs = locs_new(l->p, l->sym);
    l->values = calloc(l->p->ntypes, sizeof(*l->values));
    if (!l->locs || !l->values || (l->v.wall && !(l->tracker = wall_new())))
        return hw_err_oom(err);
    return 0;
}

/* The main binary: the program of the process with the most samples, written first in pprof. */
static int load_pick_main(struct loader *l, struct hw_err *err)
{
    struct mach_program pg;
    if (!mach_busiest_program(l->m, &pg))
        return 0;
    struct mach_map map = {.start = pg.start, .end = pg.end, .pgoff = pg.pgoff, .dso = pg.dso};
    int64_t m = locs_mapping(l->locs, &map, err);
    if (m < 0)
        return -1;
    if (!(l->info->main_binary = hw_strdup(pg.dso->path)))
        return hw_err_oom(err);
    l->p->main_mapping = (uint32_t)m;
    return 0;
}

/* One-line warnings about what the reading had to leave out. */
static void load_warn_skipped(struct loader *l)
{
    if (l->info->unknown_ids)
        hw_warnf(&l->warn, "%s: %llu samples carry an id that names no event of the file; they are left out",
                 pr_info(l->f)->path, (unsigned long long)l->info->unknown_ids);
    if (l->sym_warn.n > LOAD_MAX_SYM_WARNINGS)
        hw_warnf(&l->warn, "%llu more warnings about binaries like the ones above",
                 (unsigned long long)(l->sym_warn.n - LOAD_MAX_SYM_WARNINGS));
    uint64_t bad = mach_malformed(l->m);
    if (bad)
        hw_warnf(&l->warn, "%s: %llu malformed side-band records (mmap, comm, fork, exit) were skipped", pr_info(l->f)->path,
                 (unsigned long long)bad);
}

static int load_records(struct loader *l, const struct load_options *opts, struct hw_err *err)
{
    struct pr_iter *it = NULL;
    if (pr_iter_new(&it, l->f, err) < 0)
        return -1;
    struct pr_record rec;
    int rc = 0, more;
    uint64_t n = 0;
    while (rc == 0 && (more = pr_iter_next(it, &rec, err)) != 0) {
        if (more < 0) {
            rc = -1;
            break;
        }
        if (rec.time > l->last_record_time)
            l->last_record_time = rec.time;
        if (opts->progress && (++n & 0xffff) == 0)
            opts->progress(opts->progress_arg, rec.offset - pr_info(l->f)->data_offset, pr_info(l->f)->data_size);
        rc = rec.h->type == PERF_RECORD_SAMPLE ? load_sample(l, &rec, err) : load_sideband(l, &rec, err);
    }
    pr_iter_free(it);
    return rc;
}

int load_profile(struct pr_file *f, const struct load_options *opts, struct profile **out,
                 struct load_info *info, struct hw_err *err)
{
    struct loader l;
    memset(&l, 0, sizeof(l));
    memset(info, 0, sizeof(*info));
    *out = NULL;
    l.f = f;
    l.info = info;
    int rc = load_setup(&l, opts, err);
    if (rc == 0)
        rc = load_records(&l, opts, err);
    if (rc == 0 && ((l.v.wall && load_close_wall(&l) < 0) || load_late_build_ids(&l) < 0))
        rc = hw_err_oom(err);
    if (rc == 0 && (locs_symbolize(l.locs, err) < 0 || load_pick_main(&l, err) < 0))
        rc = -1;
    if (rc == 0) {
        if (pr_env(f)->last_sample_time && (!info->first_time || !info->last_time)) {
            info->first_time = pr_env(f)->first_sample_time;
            info->last_time = pr_env(f)->last_sample_time;
        }
        l.p->duration_nanos = (int64_t)(info->last_time - info->first_time);
        uint64_t hits;
        sym_stats(l.sym, &info->unique_addresses, &hits);
        load_warn_skipped(&l);
        *out = l.p;
        l.p = NULL;
    } else {
        load_info_free(info);
    }
    prof_free(l.p);
    load_free(&l);
    return rc;
}

void load_info_free(struct load_info *info)
{
    free(info->main_binary);
    memset(info, 0, sizeof(*info));
}

int load_parse_max_stack(const char *value, size_t *out, struct hw_err *err)
{
    uint64_t n;
    if (hw_parse_u64(value, &n) < 0 || n == 0 || n > STACK_LIMIT)
        return hw_errf(err, "invalid value '%s' for --max-stack: give a number of frames from 1 to %d", value,
                       STACK_LIMIT);
    *out = (size_t)n;
    return 0;
}

int load_pick_type(const struct profile *p, const struct pr_file *f, const char *name, struct hw_err *err)
{
    if (!name)
        return (int)p->default_type;
    char **names = calloc(pr_env(f)->nattrs ? pr_env(f)->nattrs : 1, sizeof(*names));
    if (!names)
        return hw_err_oom(err);
    for (size_t i = 0; i < pr_env(f)->nattrs; i++)
        names[i] = pr_env(f)->attrs[i].name;
    int t = prof_find_type(p, name, names, pr_env(f)->nattrs);
    free(names);
    if (t >= 0)
        return t;
    char list[512] = "samples";
    size_t len = strlen(list);
    for (size_t i = 1; i < p->ntypes && len < sizeof(list) - 2; i++) {
        int ev = p->types[i].event;
        const char *n = ev >= 0 ? pr_env(f)->attrs[ev].name : p->strings[p->types[i].type];
        len += (size_t)snprintf(list + len, sizeof(list) - len, ", %s", n);
    }
    return hw_errf(err, "no event '%s' in this recording (it has: %s)", name, list);
}
