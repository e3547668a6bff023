/* profile_load.c - build a profile from a recording: decode records, follow address spaces, symbolize stacks, add values per event. */
#include "profile_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "addrspace.h"
#include "buildid.h"
#include "decode.h"
#include "hashmap.h"
#include "perf_regs.h"
#include "symbolize.h"
#include "unwind.h"
#include "wall.h"

#define LOAD_MAX_STACK 1024

/* Last running total of a group member per (id, tid), to turn group reads into deltas. */
struct load_read_key {
    uint64_t id;
    uint32_t tid;
    uint64_t last;
};

struct load_comm {
    uint32_t tid;
    uint32_t comm; /* profile string id */
};

/* A location created before it was symbolized: stacks are collected first, then every binary's
 * addresses are symbolized together (see load_symbolize_pending). */
struct load_pending {
    uint32_t loc, mapping;
    struct as_dso *dso;
    uint64_t start, end, pgoff; /* the mapping as it was when the address was sampled */
    uint64_t addr;
    int32_t pid;
    bool caller;
};

/* A process's program (its first executable file mapping since its last exec) and how many
 * samples it has: the main binary of the profile is the program of the busiest process. */
struct load_proc {
    uint32_t pid;
    bool have_program;
    uint64_t start, end, pgoff;
    struct as_dso *dso;
    uint64_t samples;
};

struct load_str {
    const char *s;             /* a string of the symbolizer's */
    uint32_t id;               /* its profile string id */
};

struct load_dso_ids {
    bool known;
    uint32_t path, build_id; /* profile string ids */
};

struct loader {
    const struct pr_file *f;
    struct profile *p;
    struct load_info *info;
    struct addrspace *as;
    struct symbolizer *sym;
    struct dec_format *fmts;   /* per attr */
    int *type_of_attr;         /* sample type index per attr, -1 for none */
    struct load_read_key *reads;
    size_t nreads, cap_reads;
    struct hw_map read_map;
    struct load_comm *comms;
    size_t ncomms, cap_comms;
    struct hw_map comm_map;
    struct load_dso_ids *dso_ids; /* interned path and build id per dso index */
    size_t ndso_ids;
    struct load_str *strs;     /* symbolizer strings (interned, so equal by pointer) and their ids */
    size_t nstr, cap_str;
    struct hw_map str_map;
    struct load_pending *pending;
    size_t npending, cap_pending;
    struct load_proc *procs;
    size_t nprocs, cap_procs;
    struct hw_map proc_map;
    /* wall recordings: the clock and context-switch events, their sample types, open intervals */
    bool unwind;               /* user registers are x86-64's: repair user frames from stack copies */
    bool wall;
    int wall_clock_attr, wall_switch_attr;
    uint32_t t_wall, t_cpu, t_off;
    struct wall_tracker *tracker;
    uint64_t last_record_time;
    uint64_t addrs[LOAD_MAX_STACK];
    uint64_t user_addrs[LOAD_MAX_STACK]; /* a sample's user frames, repaired by unwind_user */
    bool callers[LOAD_MAX_STACK];
    bool kernel[LOAD_MAX_STACK];
    uint32_t locs[LOAD_MAX_STACK];
    int64_t *values;
};

void load_type_name(const char *event, char *buf, size_t size)
{
    const char *start = strstr(event, "::");
    size_t skip = start ? (size_t)(start - event) + 2 : 0;
    size_t len = skip + strcspn(event + skip, ":");
    snprintf(buf, size, "%.*s", (int)len, event);
}

static bool load_is_clock(const struct perf_event_attr *a)
{
    return a->type == PERF_TYPE_SOFTWARE &&
           (a->config == PERF_COUNT_SW_CPU_CLOCK || a->config == PERF_COUNT_SW_TASK_CLOCK);
}

static bool load_is_dummy(const struct perf_event_attr *a)
{
    return a->type == PERF_TYPE_SOFTWARE && a->config == PERF_COUNT_SW_DUMMY;
}

/* True when a sample type of p already has this name. */
static bool load_type_taken(const struct profile *p, const char *name)
{
    for (size_t i = 0; i < p->ntypes; i++)
        if (strcmp(p->strings[p->types[i].type], name) == 0)
            return true;
    return false;
}

/* The sampling period a profile states for attr: its fixed period, or for a clock event sampled
 * by frequency the nanoseconds between samples; 0 when unknown. */
static int64_t load_period(const struct perf_event_attr *a)
{
    if (!a->freq)
        return (int64_t)a->sample_period;
    return load_is_clock(a) && a->sample_freq ? (int64_t)(1000000000ull / a->sample_freq) : 0;
}

/* A wall-clock recording (hwprof record --wall, or perf record -e cpu-clock,context-switches with
 * -c 1 on the latter and --switch-events): a clock event, a context-switches event sampled at every
 * switch, and switch records. Sets l->wall and the two attr indexes. */
static void load_find_wall(struct loader *l)
{
    const struct pr_file *f = l->f;
    int clock = -1, sw = -1;
    bool switches = false;
    const uint64_t need = PERF_SAMPLE_TID | PERF_SAMPLE_TIME; /* who switched, when */
    for (size_t i = 0; i < f->nattrs; i++) {
        const struct perf_event_attr *a = &f->attrs[i].attr;
        switches = switches || (a->context_switch && a->sample_id_all && (a->sample_type & need) == need);
        if (load_is_clock(a) && clock < 0)
            clock = (int)i;
        if (a->type == PERF_TYPE_SOFTWARE && a->config == PERF_COUNT_SW_CONTEXT_SWITCHES && !a->freq &&
            a->sample_period == 1 && (a->sample_type & need) == need && sw < 0)
            sw = (int)i;
    }
    l->wall = switches && clock >= 0 && sw >= 0;
    l->wall_clock_attr = clock;
    l->wall_switch_attr = sw;
}

/* The sample types of a wall recording: wall = cpu (the clock event) + off-cpu (the switch event's
 * intervals), wall the default. 0 or -1 (out of memory). */
static int load_wall_types(struct loader *l)
{
    int64_t w = prof_add_type(l->p, "wall", "nanoseconds", -1);
    int64_t c = prof_add_type(l->p, "cpu", "nanoseconds", l->wall_clock_attr);
    int64_t o = prof_add_type(l->p, "off-cpu", "nanoseconds", l->wall_switch_attr);
    if (w < 0 || c < 0 || o < 0)
        return -1;
    l->t_wall = (uint32_t)w;
    l->t_cpu = (uint32_t)c;
    l->t_off = (uint32_t)o;
    l->type_of_attr[l->wall_clock_attr] = (int)c;
    l->type_of_attr[l->wall_switch_attr] = (int)o;
    l->p->default_type = l->p->period_type = (uint32_t)w;
    l->p->period = load_period(&l->f->attrs[l->wall_clock_attr].attr);
    return 0;
}

/* Sample types: samples/count, then one per event (for a wall recording, its three types first). */
static int load_types(struct loader *l, struct hw_err *err)
{
    const struct pr_file *f = l->f;
    if (prof_add_type(l->p, "samples", "count", -1) < 0)
        return hw_errf(err, "out of memory");
    for (size_t i = 0; i < f->nattrs; i++)
        l->type_of_attr[i] = -1;
    if (l->wall && load_wall_types(l) < 0)
        return hw_errf(err, "out of memory");
    bool have_cpu = l->wall;
    for (size_t i = 0; i < f->nattrs; i++) {
        const struct perf_event_attr *a = &f->attrs[i].attr;
        if (load_is_dummy(a) || l->type_of_attr[i] >= 0)
            continue;
        char name[256];
        load_type_name(f->attrs[i].name, name, sizeof(name));
        if (load_type_taken(l->p, name)) /* page-faults:u and page-faults:k: keep them apart */
            snprintf(name, sizeof(name), "%s", f->attrs[i].name);
        for (int k = 2; load_type_taken(l->p, name) && k < 1000; k++)
            snprintf(name, sizeof(name), "%s#%d", f->attrs[i].name, k);
        int64_t t;
        if (load_is_clock(a) && !have_cpu) {
            have_cpu = true;
            t = prof_add_type(l->p, "cpu", "nanoseconds", (int)i);
        } else {
            t = prof_add_type(l->p, name, load_is_clock(a) ? "nanoseconds" : "count", (int)i);
        }
        if (t < 0)
            return hw_errf(err, "out of memory");
        l->type_of_attr[i] = (int)t;
        if (l->p->period_type == PROF_NONE) {
            l->p->period_type = (uint32_t)t;
            l->p->default_type = (uint32_t)t;
            l->p->period = load_period(a);
        }
    }
    return 0;
}

struct load_read_ctx {
    const struct loader *l;
    uint64_t id;
    uint32_t tid;
};

static bool load_read_eq(const void *ctx, uint32_t val)
{
    const struct load_read_ctx *k = ctx;
    const struct load_read_key *r = &k->l->reads[val];
    return r->id == k->id && r->tid == k->tid;
}

/* The stored running total for (id, tid), created as 0 when new. NULL when out of memory. */
static struct load_read_key *load_read_slot(struct loader *l, uint64_t id, uint32_t tid)
{
    struct load_read_ctx k = {l, id, tid};
    uint64_t h = hw_hash_u64(hw_hash_u64(5, id), tid);
    uint32_t idx;
    if (hw_map_find(&l->read_map, h, load_read_eq, &k, &idx))
        return &l->reads[idx];
    if (hw_grow(&l->reads, &l->cap_reads, l->nreads + 1, sizeof(*l->reads)) < 0)
        return NULL;
    idx = (uint32_t)l->nreads;
    if (hw_map_insert(&l->read_map, h, idx) < 0)
        return NULL;
    l->reads[l->nreads++] = (struct load_read_key){id, tid, 0};
    return &l->reads[idx];
}

struct load_comm_ctx {
    const struct loader *l;
    uint32_t tid;
};

static bool load_comm_eq(const void *ctx, uint32_t val)
{
    const struct load_comm_ctx *k = ctx;
    return k->l->comms[val].tid == k->tid;
}

/* The comm string id of tid, or 0 (""). */
static uint32_t load_comm_of(const struct loader *l, uint32_t tid)
{
    struct load_comm_ctx k = {l, tid};
    uint32_t idx;
    if (hw_map_find(&l->comm_map, hw_hash_u64(6, tid), load_comm_eq, &k, &idx))
        return l->comms[idx].comm;
    return 0;
}

static int load_set_comm(struct loader *l, uint32_t tid, uint32_t comm)
{
    struct load_comm_ctx k = {l, tid};
    uint32_t idx;
    uint64_t h = hw_hash_u64(6, tid);
    if (hw_map_find(&l->comm_map, h, load_comm_eq, &k, &idx)) {
        l->comms[idx].comm = comm;
        return 0;
    }
    if (hw_grow(&l->comms, &l->cap_comms, l->ncomms + 1, sizeof(*l->comms)) < 0)
        return -1;
    if (hw_map_insert(&l->comm_map, h, (uint32_t)l->ncomms) < 0)
        return -1;
    l->comms[l->ncomms++] = (struct load_comm){tid, comm};
    return 0;
}

/* Fills dso's build id from the file's HEADER_BUILD_ID table when the records gave none. */
static void load_feature_build_id(const struct pr_file *f, struct as_dso *d)
{
    if (d->build_id_size)
        return;
    bool kernel = d->kernel || strncmp(d->path, "[kernel.kallsyms]", 17) == 0;
    for (size_t i = 0; i < f->nbuild_ids; i++) {
        const struct pr_build_id *b = &f->build_ids[i];
        if (b->id_len <= 0 || b->id_len > 20)
            continue;
        bool match = kernel ? (b->kernel && strncmp(b->filename, "[kernel.kallsyms]", 17) == 0)
                            : strcmp(b->filename, d->path) == 0;
        if (match) {
            memcpy(d->build_id, b->id, (size_t)b->id_len);
            d->build_id_size = (uint8_t)b->id_len;
            return;
        }
    }
}

/* The profile string ids of d's path and build id (hex), cached per dso. NULL when out of memory. */
static const struct load_dso_ids *load_dso_ids(struct loader *l, struct as_dso *d)
{
    if (d->index >= l->ndso_ids) {
        size_t n = d->index + 64;
        struct load_dso_ids *v = realloc(l->dso_ids, n * sizeof(*v));
        if (!v)
            return NULL;
        memset(v + l->ndso_ids, 0, (n - l->ndso_ids) * sizeof(*v));
        l->dso_ids = v;
        l->ndso_ids = n;
    }
    struct load_dso_ids *ids = &l->dso_ids[d->index];
    if (!ids->known) {
        load_feature_build_id(l->f, d);
        char hex[2 * 20 + 1] = "";
        if (d->build_id_size)
            buildid_to_hex(d->build_id, d->build_id_size, hex);
        int64_t path = prof_string(l->p, d->path), bid = prof_string(l->p, hex);
        if (path < 0 || bid < 0)
            return NULL;
        *ids = (struct load_dso_ids){true, (uint32_t)path, (uint32_t)bid};
    }
    return ids;
}

/* The profile mapping of m. Returns its index or -1 (out of memory). */
static int64_t load_mapping(struct loader *l, const struct as_map *m)
{
    const struct load_dso_ids *ids = load_dso_ids(l, m->dso);
    if (!ids)
        return -1;
    return prof_mapping_ids(l->p, m->start, m->end, m->pgoff, ids->path, ids->build_id);
}

struct load_str_ctx {
    const struct loader *l;
    const char *s;
};

static bool load_str_eq(const void *ctx, uint32_t val)
{
    const struct load_str_ctx *k = ctx;
    return k->l->strs[val].s == k->s;
}

/* The profile string id of a string the symbolizer interned (looked up by pointer). -1 on OOM. */
static int64_t load_sym_string(struct loader *l, const char *s)
{
    if (!s)
        return 0;
    struct load_str_ctx k = {l, s};
    uint64_t h = hw_hash_u64(8, (uint64_t)(uintptr_t)s);
    uint32_t idx;
    if (hw_map_find(&l->str_map, h, load_str_eq, &k, &idx))
        return l->strs[idx].id;
    int64_t id = prof_string(l->p, s);
    if (id < 0)
        return -1;
    if (hw_grow(&l->strs, &l->cap_str, l->nstr + 1, sizeof(*l->strs)) < 0)
        return -1;
    if (hw_map_insert(&l->str_map, h, (uint32_t)l->nstr) < 0)
        return -1;
    l->strs[l->nstr++] = (struct load_str){s, (uint32_t)id};
    return id;
}

/* Adds the location of an address: "[unknown]" at once when no mapping holds it, else a location
 * without lines that load_symbolize_pending fills. Returns its index or -1 (out of memory). */
static int64_t load_new_location(struct loader *l, const struct as_map *m, int64_t mapping, int32_t pid,
                                 uint64_t addr, bool caller)
{
    uint64_t loc_addr = caller ? addr - 1 : addr;
    if (!m) {
        int64_t fn = prof_function(l->p, "[unknown]", "[unknown]", "", 0);
        if (fn < 0)
            return -1;
        struct prof_line unknown = {(uint32_t)fn, 0};
        return prof_add_location(l->p, PROF_NONE, loc_addr, &unknown, 1);
    }
    if (hw_grow(&l->pending, &l->cap_pending, l->npending + 1, sizeof(*l->pending)) < 0)
        return -1;
    int64_t loc = prof_add_location(l->p, (uint32_t)mapping, loc_addr, NULL, 0);
    if (loc < 0)
        return -1;
    struct sym_binary bin = {.path = m->dso->path,
                             .build_id = m->dso->build_id_size ? m->dso->build_id : NULL,
                             .build_id_len = m->dso->build_id_size,
                             .kernel = m->dso->kernel};
    sym_prefetch(l->sym, &bin); /* loads it on the second thread while the stacks are read */
    l->pending[l->npending++] = (struct load_pending){
        .loc = (uint32_t)loc, .mapping = (uint32_t)mapping, .dso = m->dso, .start = m->start,
        .end = m->end, .pgoff = m->pgoff, .addr = addr, .pid = pid, .caller = caller};
    return loc;
}

/* Symbolizes one pending address into its location's lines. Returns 0 or -1 (out of memory). */
static int load_symbolize_one(struct loader *l, const struct load_pending *e)
{
    struct sym_binary bin = {
        .path = e->dso->path,
        .build_id = e->dso->build_id_size ? e->dso->build_id : NULL,
        .build_id_len = e->dso->build_id_size,
        .kernel = e->dso->kernel,
    };
    struct sym_result r;
    sym_lookup(l->sym, &bin, e->start, e->end, e->pgoff, e->pid, e->addr, e->caller, &r);
    struct prof_line lines[64];
    size_t n = 0;
    for (size_t i = 0; i < r.nframes && n < HW_ARRAY_SIZE(lines); i++) {
        const struct sym_frame *fr = &r.frames[i];
        int64_t name = load_sym_string(l, fr->function), sys = load_sym_string(l, fr->system_name),
                file = load_sym_string(l, fr->file);
        if (name < 0 || sys < 0 || file < 0)
            return -1;
        int64_t fn = prof_function_ids(l->p, (uint32_t)name, (uint32_t)sys, (uint32_t)file, fr->start_line);
        if (fn < 0)
            return -1;
        lines[n++] = (struct prof_line){(uint32_t)fn, fr->line};
    }
    struct prof_mapping *pm = &l->p->mappings[e->mapping];
    if (r.symbolized) {
        pm->has_functions = true;
        pm->has_inline_frames = pm->has_inline_frames || r.nframes > 1;
    }
    if (r.has_lines) {
        pm->has_filenames = true;
        pm->has_line_numbers = true;
    }
    return prof_set_location_lines(l->p, e->loc, lines, n);
}

/* Kernel binaries first (they share the kallsyms table), then binary by binary, by address. */
static int load_pending_cmp(const void *a, const void *b)
{
    const struct load_pending *x = a, *y = b;
    if (x->dso->kernel != y->dso->kernel)
        return x->dso->kernel ? -1 : 1;
    if (x->dso->index != y->dso->index)
        return x->dso->index < y->dso->index ? -1 : 1;
    return (x->addr > y->addr) - (x->addr < y->addr);
}

/* Symbolizes every pending address, one binary at a time, releasing each binary's debug info
 * when its addresses are done, so memory holds one binary's DWARF at a time. 0 or -1 (OOM). */
static int load_symbolize_pending(struct loader *l)
{
    if (l->npending > 1)
        qsort(l->pending, l->npending, sizeof(*l->pending), load_pending_cmp);
    for (size_t i = 0; i < l->npending; i++) {
        const struct load_pending *e = &l->pending[i];
        if (load_symbolize_one(l, e) < 0)
            return -1;
        const struct load_pending *next = i + 1 < l->npending ? &l->pending[i + 1] : NULL;
        bool same = next && (next->dso == e->dso || (next->dso->kernel && e->dso->kernel));
        if (!same) {
            struct sym_binary bin = {.path = e->dso->path, .kernel = e->dso->kernel};
            sym_release(l->sym, &bin);
        }
    }
    return 0;
}

/* The location of one stack address (symbolized on first sight). Returns its index or -1. */
static int64_t load_location(struct loader *l, int32_t pid, uint64_t addr, bool kernel, bool caller)
{
    const struct as_map *m = as_find(l->as, kernel ? -1 : pid, addr);
    int64_t mapping = PROF_NONE;
    if (m && (mapping = load_mapping(l, m)) < 0)
        return -1;
    uint64_t loc_addr = caller ? addr - 1 : addr;
    int64_t loc = prof_find_location(l->p, (uint32_t)mapping, loc_addr);
    if (loc >= 0)
        return loc;
    return load_new_location(l, m, mapping, pid, addr, caller);
}

struct load_unwind_ctx {
    struct loader *l;
    int32_t pid;
};

/* unwind_rule_fn over the loader's address spaces and symbolizer. */
static int load_cfa_rule(void *arg, uint64_t pc, bool caller, struct sym_cfa_rule *out)
{
    const struct load_unwind_ctx *c = arg;
    const struct as_map *m = as_find(c->l->as, c->pid, pc);
    if (!m || !load_dso_ids(c->l, m->dso)) /* load_dso_ids: the build id, as symbolization uses it */
        return -1;
    struct sym_binary bin = {
        .path = m->dso->path,
        .build_id = m->dso->build_id_size ? m->dso->build_id : NULL,
        .build_id_len = m->dso->build_id_size,
        .kernel = m->dso->kernel,
    };
    return sym_cfa_rule(c->l->sym, &bin, m->start, m->pgoff, pc, caller, out);
}

/* Adds the user frames of a sample at l->addrs[n..]: the kernel's user callchain uchain[0..nu),
 * repaired by unwind_user when the sample copied the user registers and stack. Returns the new n. */
static size_t load_user_frames(struct loader *l, int attr, const struct dec_sample *s, const uint64_t *uchain,
                               size_t nu, size_t n)
{
    uint64_t mask = l->fmts[attr].regs_user_mask;
    struct unwind_input in = {.stack = s->user_stack, .stack_size = s->user_stack_size, .chain = uchain,
                              .nchain = nu};
    const uint64_t *frames = uchain;
    size_t nframes = nu;
    if (l->unwind && s->user_abi == PERF_SAMPLE_REGS_ABI_64 && s->user_stack_size &&
        perf_regs_get(mask, s->user_regs, s->nr_user_regs, PERF_REGS_IP, &in.ip) == 0 &&
        perf_regs_get(mask, s->user_regs, s->nr_user_regs, PERF_REGS_SP, &in.sp) == 0 &&
        perf_regs_get(mask, s->user_regs, s->nr_user_regs, PERF_REGS_BP, &in.bp) == 0) {
        struct load_unwind_ctx ctx = {l, (int32_t)s->pid};
        nframes = unwind_user(&in, load_cfa_rule, &ctx, l->user_addrs, LOAD_MAX_STACK - n);
        frames = l->user_addrs;
    }
    for (size_t i = 0; i < nframes && n < LOAD_MAX_STACK; i++, n++) {
        l->addrs[n] = frames[i];
        l->kernel[n] = false;
        l->callers[n] = i > 0; /* the first is where user code was interrupted (exact) */
    }
    return n;
}

/* Collects the addresses of a sample, leaf first, with their privilege level; the user part goes
 * through load_user_frames. */
static size_t load_stack(struct loader *l, int attr, const struct dec_sample *s)
{
    bool kernel = (s->misc & PERF_RECORD_MISC_CPUMODE_MASK) == PERF_RECORD_MISC_KERNEL;
    bool user_state = s->user_abi && s->user_stack_size;
    size_t n = 0;
    if (!s->nr_callchain && user_state && !kernel)
        return load_user_frames(l, attr, s, &s->ip, 1, 0);
    if (!s->nr_callchain) {
        l->addrs[0] = s->ip;
        l->kernel[0] = kernel;
        l->callers[0] = false;
        return 1;
    }
    /* The first address after a context marker is where that context was interrupted (exact);
     * every other entry is a return address, looked up at address - 1. */
    bool exact = true, user_done = false;
    for (uint64_t i = 0; i < s->nr_callchain && n < LOAD_MAX_STACK; i++) {
        uint64_t a = s->callchain[i];
        if (a == PERF_CONTEXT_USER && user_state) {
            uint64_t end = i + 1;
            while (end < s->nr_callchain && s->callchain[end] < PERF_CONTEXT_MAX)
                end++;
            n = load_user_frames(l, attr, s, s->callchain + i + 1, (size_t)(end - i - 1), n);
            user_done = true;
            i = end - 1;
            continue;
        }
        if (a >= PERF_CONTEXT_MAX) {
            if (a == PERF_CONTEXT_KERNEL)
                kernel = true;
            else if (a == PERF_CONTEXT_USER)
                kernel = false;
            exact = true;
            continue;
        }
        l->addrs[n] = a;
        l->kernel[n] = kernel;
        l->callers[n] = !exact;
        exact = false;
        n++;
    }
    if (user_state && !user_done) /* perf's --call-graph dwarf: a kernel-only callchain */
        n = load_user_frames(l, attr, s, NULL, 0, n);
    return n;
}

/* Adds the values of a group read: each member's delta since its last read in this thread. */
static int load_group_values(struct loader *l, int attr, const struct dec_sample *s)
{
    if (!(l->fmts[attr].read_format & PERF_FORMAT_GROUP))
        return 0;
    for (uint32_t i = 0; i < s->nr_values; i++) {
        const struct dec_read_value *v = &s->values[i];
        int j = v->id ? pr_attr_index(l->f, v->id) : -1;
        if (j < 0 || j == attr || l->type_of_attr[j] < 0)
            continue;
        struct load_read_key *slot = load_read_slot(l, v->id, s->tid);
        if (!slot)
            return -1;
        int64_t delta = v->value >= slot->last ? (int64_t)(v->value - slot->last) : 0;
        slot->last = v->value;
        l->values[l->type_of_attr[j]] += delta;
    }
    return 0;
}

struct load_proc_ctx {
    const struct loader *l;
    uint32_t pid;
};

static bool load_proc_eq(const void *ctx, uint32_t val)
{
    const struct load_proc_ctx *k = ctx;
    return k->l->procs[val].pid == k->pid;
}

/* The process record of pid, created when new. NULL when out of memory. */
static struct load_proc *load_proc_of(struct loader *l, uint32_t pid)
{
    struct load_proc_ctx k = {l, pid};
    uint64_t h = hw_hash_u64(10, pid);
    uint32_t idx;
    if (hw_map_find(&l->proc_map, h, load_proc_eq, &k, &idx))
        return &l->procs[idx];
    if (hw_grow(&l->procs, &l->cap_procs, l->nprocs + 1, sizeof(*l->procs)) < 0 ||
        hw_map_insert(&l->proc_map, h, (uint32_t)l->nprocs) < 0)
        return NULL;
    l->procs[l->nprocs] = (struct load_proc){.pid = pid};
    return &l->procs[l->nprocs++];
}

/* Chooses the main binary: the program of the process with the most samples. 0 or -1 (OOM). */
static int load_pick_main(struct loader *l)
{
    const struct load_proc *best = NULL;
    for (size_t i = 0; i < l->nprocs; i++)
        if (l->procs[i].have_program && (!best || l->procs[i].samples > best->samples))
            best = &l->procs[i];
    if (!best)
        return 0;
    const struct load_dso_ids *ids = load_dso_ids(l, best->dso);
    if (!ids)
        return -1;
    int64_t m = prof_mapping_ids(l->p, best->start, best->end, best->pgoff, ids->path, ids->build_id);
    if (m < 0 || !(l->info->main_binary = hw_strdup(best->dso->path)))
        return -1;
    l->p->main_mapping = (uint32_t)m;
    return 0;
}

/* The labels of a sample of attr: pid, tid, the thread's comm (else its process's), the cpu where
 * the attr records it, and state (NULL: none). */
static void load_labels(const struct loader *l, int attr, uint32_t pid, uint32_t tid, uint32_t cpu,
                        const char *state, struct prof_labels *out)
{
    uint32_t comm = load_comm_of(l, tid);
    if (!comm)
        comm = load_comm_of(l, pid);
    *out = (struct prof_labels){
        .pid = pid,
        .tid = tid,
        .comm = l->p->strings[comm],
        .cpu = (l->fmts[attr].sample_type & PERF_SAMPLE_CPU) ? (int32_t)cpu : -1,
        .state = state,
    };
}

static int load_sample(struct loader *l, const struct pr_record *rec, struct hw_err *err)
{
    if (rec->attr < 0 || l->type_of_attr[rec->attr] < 0)
        return 0;
    struct dec_sample s;
    struct hw_err why;
    if (dec_sample(&l->fmts[rec->attr], rec->h, rec->h->size, &s, &why) < 0)
        return hw_errf(err, "%s: sample at byte %llu: %s", l->f->path, (unsigned long long)rec->offset, why.msg);
    struct load_info *info = l->info;
    info->sample_records++;
    struct load_proc *proc = load_proc_of(l, s.pid);
    if (!proc)
        return hw_errf(err, "out of memory");
    proc->samples++;
    if (s.time && (!info->first_time || s.time < info->first_time))
        info->first_time = s.time;
    if (s.time > info->last_time)
        info->last_time = s.time;

    size_t n = load_stack(l, rec->attr, &s);
    for (size_t i = 0; i < n; i++) {
        int64_t loc = load_location(l, (int32_t)s.pid, l->addrs[i], l->kernel[i], l->callers[i]);
        if (loc < 0)
            return hw_errf(err, "out of memory");
        l->locs[i] = (uint32_t)loc;
    }
    if (l->wall && rec->attr == l->wall_switch_attr) {
        /* charged when the thread runs again (load_switch); the idle tasks (tid 0 on every CPU)
         * are not threads of the workload */
        if (s.tid != 0 && wall_switch_out(l->tracker, s.pid, s.tid, s.cpu, s.time, l->locs, n) < 0)
            return hw_errf(err, "out of memory");
        return 0;
    }
    if (l->wall)
        wall_forget(l->tracker, s.tid); /* running, so not off the CPU (its switch-in was lost) */

    memset(l->values, 0, l->p->ntypes * sizeof(*l->values));
    l->values[0] = 1;
    const struct perf_event_attr *a = &l->f->attrs[rec->attr].attr;
    uint64_t period = (l->fmts[rec->attr].sample_type & PERF_SAMPLE_PERIOD) ? s.period
                      : a->freq                                               ? 1
                                                                              : a->sample_period;
    l->values[l->type_of_attr[rec->attr]] += (int64_t)period;
    if (l->wall && rec->attr == l->wall_clock_attr)
        l->values[l->t_wall] += (int64_t)period;
    if ((l->fmts[rec->attr].sample_type & PERF_SAMPLE_READ) && load_group_values(l, rec->attr, &s) < 0)
        return hw_errf(err, "out of memory");

    struct prof_labels labels;
    load_labels(l, rec->attr, s.pid, s.tid, s.cpu, l->wall && rec->attr == l->wall_clock_attr ? "on-cpu" : NULL,
                &labels);
    int64_t idx = prof_add_sample(l->p, l->locs, n, l->values, &labels);
    uint32_t t = (uint32_t)l->type_of_attr[rec->attr];
    struct prof_timed tm = {.time = s.time, .sample = (uint32_t)idx, .type = t, .value = l->values[t]};
    if (idx < 0 || prof_add_timed(l->p, &tm) < 0)
        return hw_err_oom(err);
    return 0;
}

/* Adds an off-CPU interval as a sample: its switch-out stack, weighted by its length. wall_close_all
 * callback too. Returns 0 or -1 (out of memory). */
static int load_add_interval(void *arg, const struct wall_interval *iv)
{
    struct loader *l = arg;
    memset(l->values, 0, l->p->ntypes * sizeof(*l->values));
    l->values[0] = 1;
    uint64_t len = iv->end - iv->start;
    l->values[l->t_off] = l->values[l->t_wall] = len > INT64_MAX ? INT64_MAX : (int64_t)len;
    struct prof_labels labels;
    load_labels(l, l->wall_switch_attr, iv->pid, iv->tid, iv->cpu, iv->preempted ? "preempted" : "blocked",
                &labels);
    int64_t idx = prof_add_sample(l->p, iv->locs, iv->nlocs, l->values, &labels);
    struct prof_timed tm = {.time = iv->start, .duration = len, .sample = (uint32_t)idx, .type = l->t_off,
                            .value = l->values[l->t_off]};
    return idx < 0 || prof_add_timed(l->p, &tm) < 0 ? -1 : 0;
}

/* SWITCH records of a wall recording: a switch-out says whether the thread was preempted, a
 * switch-in ends its off-CPU interval. */
static int load_switch(struct loader *l, const struct pr_record *rec, struct hw_err *err)
{
    const struct dec_format *fmt = rec->attr >= 0 ? &l->fmts[rec->attr] : &l->fmts[0];
    struct dec_switch sw;
    struct dec_sample_id id;
    if (!l->wall || dec_switch(rec->h, rec->h->size, &sw, NULL) < 0 ||
        dec_trailer(fmt, rec->h, rec->h->size, &id, NULL) < 0 || id.tid == 0)
        return 0;
    if (sw.out) {
        wall_mark_preempted(l->tracker, id.tid, sw.preempt);
        return 0;
    }
    struct wall_interval iv;
    if (wall_switch_in(l->tracker, id.tid, id.time, &iv) && load_add_interval(l, &iv) < 0)
        return hw_errf(err, "out of memory");
    return 0;
}

/* MMAP/MMAP2: the mapping joins its process's address space; the first program mapped is the
 * profile's main binary (its mapping comes first). */
static int load_mmap(struct loader *l, const struct pr_record *rec, struct hw_err *err)
{
    const struct dec_format *fmt = rec->attr >= 0 ? &l->fmts[rec->attr] : &l->fmts[0];
    size_t len = rec->h->size - dec_trailer_size(fmt);
    struct dec_mmap m;
    if (dec_mmap(rec->h, len, &m, NULL) < 0 && dec_mmap(rec->h, rec->h->size, &m, NULL) < 0)
        return 0; /* malformed: skipped like an unknown record */
    int32_t pid = m.kernel ? -1 : (int32_t)m.pid;
    uint32_t prot = m.has_mmap2 ? m.prot : 4 /* PROT_EXEC */;
    if (as_mmap(l->as, pid, m.start, m.len, m.pgoff, prot, m.filename, err) < 0)
        return -1;
    const struct as_map *am = as_find(l->as, pid, m.start);
    if (am && m.has_build_id && m.build_id_size <= 20) {
        memcpy(am->dso->build_id, m.build_id, m.build_id_size);
        am->dso->build_id_size = m.build_id_size;
    }
    if (!m.kernel && m.filename[0] == '/' && (prot & 4) && am) {
        struct load_proc *proc = load_proc_of(l, m.pid);
        if (!proc)
            return hw_errf(err, "out of memory");
        if (!proc->have_program)
            *proc = (struct load_proc){.pid = m.pid, .have_program = true, .start = am->start, .end = am->end,
                                       .pgoff = am->pgoff, .dso = am->dso, .samples = proc->samples};
    }
    return 0;
}

static int load_sideband(struct loader *l, const struct pr_record *rec, struct hw_err *err)
{
    const struct perf_event_header *h = rec->h;
    switch (h->type) {
    case PERF_RECORD_MMAP:
    case PERF_RECORD_MMAP2:
        return load_mmap(l, rec, err);
    case PERF_RECORD_COMM: {
        struct dec_comm c;
        if (dec_comm(h, h->size, &c, NULL) < 0)
            return 0;
        int64_t id = prof_string(l->p, c.comm);
        if (id < 0 || load_set_comm(l, c.tid, (uint32_t)id) < 0)
            return hw_errf(err, "out of memory");
        if (c.exec && c.pid == c.tid) {
            as_exec(l->as, (int32_t)c.pid);
            struct load_proc *proc = load_proc_of(l, c.pid);
            if (!proc)
                return hw_errf(err, "out of memory");
            proc->have_program = false;
        }
        return 0;
    }
    case PERF_RECORD_FORK: {
        struct dec_task t;
        if (dec_task(h, h->size, &t, NULL) < 0)
            return 0;
        uint32_t parent = load_comm_of(l, t.ptid);
        if (parent && !load_comm_of(l, t.tid) && load_set_comm(l, t.tid, parent) < 0)
            return hw_errf(err, "out of memory");
        if (t.pid != t.ppid && as_fork(l->as, (int32_t)t.ppid, (int32_t)t.pid, err) < 0)
            return -1;
        if (l->wall)
            wall_reuse(l->tracker, t.tid); /* a thread id can come back */
        return 0;
    }
    case PERF_RECORD_EXIT: {
        struct dec_task t;
        if (dec_task(h, h->size, &t, NULL) < 0)
            return 0;
        if (t.pid == t.tid)
            as_exit(l->as, (int32_t)t.pid);
        if (l->wall)
            wall_exit(l->tracker, t.tid); /* an exited thread is not waiting */
        return 0;
    }
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

/* The recording comes from the running kernel: same host name and release. */
static bool load_same_kernel(const struct pr_file *f)
{
    struct utsname u;
    if (uname(&u) < 0 || !f->osrelease)
        return false;
    return strcmp(u.release, f->osrelease) == 0 && (!f->hostname || strcmp(u.nodename, f->hostname) == 0);
}

static void load_free(struct loader *l)
{
    as_free(l->as);
    sym_free(l->sym);
    free(l->fmts);
    free(l->type_of_attr);
    free(l->reads);
    hw_map_free(&l->read_map);
    free(l->comms);
    hw_map_free(&l->comm_map);
    free(l->dso_ids);
    free(l->strs);
    hw_map_free(&l->str_map);
    free(l->pending);
    free(l->procs);
    hw_map_free(&l->proc_map);
    free(l->values);
    wall_free(l->tracker);
}

static int load_setup(struct loader *l, const struct load_options *opts, struct hw_err *err)
{
    const struct pr_file *f = l->f;
    struct sym_options so = {.debuginfod = opts->debuginfod, .demangle = true,
                             .use_kallsyms = load_same_kernel(f), .root = opts->root};
    l->as = as_new();
    l->p = prof_new();
    if (l->p && opts->timeline)
        prof_keep_timeline(l->p);
    l->fmts = calloc(f->nattrs, sizeof(*l->fmts));
    l->type_of_attr = calloc(f->nattrs, sizeof(*l->type_of_attr));
    if (!l->as || !l->p || !l->fmts || !l->type_of_attr)
        return hw_errf(err, "out of memory");
    l->sym = sym_new(&so, opts->warn, opts->warn_arg, err);
    if (!l->sym)
        return -1;
    for (size_t i = 0; i < f->nattrs; i++)
        dec_format_from_attr(&l->fmts[i], &f->attrs[i].attr);
    l->unwind = !f->arch || strcmp(f->arch, "x86_64") == 0;
    load_find_wall(l);
    if (l->wall && !(l->tracker = wall_new()))
        return hw_errf(err, "out of memory");
    if (load_types(l, err) < 0)
        return -1;
    l->values = calloc(l->p->ntypes, sizeof(*l->values));
    if (!l->values)
        return hw_errf(err, "out of memory");
    return 0;
}

/* Charges the threads still off the CPU when the recording stopped, up to its end: the later of
 * the last record and the file's last sample time (hwprof's wall recordings store the stop time
 * there). 0 or -1 (out of memory). */
static int load_close_wall(struct loader *l)
{
    uint64_t end = l->last_record_time;
    const struct perf_event_attr *a = &l->f->attrs[l->wall_clock_attr].attr;
    if (a->use_clockid && a->clockid == CLOCK_MONOTONIC && l->f->last_sample_time > end)
        end = l->f->last_sample_time;
    if (end > l->info->last_time)
        l->info->last_time = end;
    return wall_close_all(l->tracker, end, load_add_interval, l);
}

int profile_load(const struct pr_file *f, const struct load_options *opts, struct profile **out,
                 struct load_info *info, struct hw_err *err)
{
    struct loader l;
    memset(&l, 0, sizeof(l));
    memset(info, 0, sizeof(*info));
    *out = NULL;
    l.f = f;
    l.info = info;
    int rc = load_setup(&l, opts, err);
    struct pr_iter *it = NULL;
    if (rc == 0)
        rc = pr_iter_new(&it, f, err);
    struct pr_record rec;
    int more;
    while (rc == 0 && (more = pr_iter_next(it, &rec, err)) != 0) {
        if (more < 0) {
            rc = -1;
            break;
        }
        if (rec.time > l.last_record_time)
            l.last_record_time = rec.time;
        rc = rec.h->type == PERF_RECORD_SAMPLE ? load_sample(&l, &rec, err) : load_sideband(&l, &rec, err);
    }
    pr_iter_free(it);
    if (rc == 0 && l.wall && load_close_wall(&l) < 0)
        rc = hw_errf(err, "out of memory");
    if (rc == 0 && (load_symbolize_pending(&l) < 0 || load_pick_main(&l) < 0))
        rc = hw_errf(err, "out of memory");
    if (rc == 0) {
        if (f->last_sample_time && (!info->first_time || !info->last_time)) {
            info->first_time = f->first_sample_time;
            info->last_time = f->last_sample_time;
        }
        l.p->duration_nanos = (int64_t)(info->last_time - info->first_time);
        uint64_t hits;
        sym_stats(l.sym, &info->unique_addresses, &hits);
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

int load_pick_type(const struct profile *p, const struct pr_file *f, const char *name, struct hw_err *err)
{
    if (!name)
        return (int)p->default_type;
    char **names = calloc(f->nattrs ? f->nattrs : 1, sizeof(*names));
    if (!names)
        return hw_errf(err, "out of memory");
    for (size_t i = 0; i < f->nattrs; i++)
        names[i] = f->attrs[i].name;
    int t = prof_find_type(p, name, names, f->nattrs);
    free(names);
    if (t >= 0)
        return t;
    char list[512] = "samples";
    size_t len = strlen(list);
    for (size_t i = 1; i < p->ntypes && len < sizeof(list) - 2; i++) {
        int ev = p->types[i].event;
        const char *n = ev >= 0 ? f->attrs[ev].name : p->strings[p->types[i].type];
        len += (size_t)snprintf(list + len, sizeof(list) - len, ", %s", n);
    }
    return hw_errf(err, "no event '%s' in this recording (it has: %s)", name, list);
}
