/* machine.c - the machine a recording describes: threads and their names, processes and their programs, address spaces (shared after fork until changed), binaries; one entry point applies each side-band record. */
#include "machine.h"

#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hashmap.h"

/* Lowest kernel address: a lookup at or above it falls back to the kernel's space. */
#if defined(__x86_64__)
#define MACH_KERNEL_START 0xffff800000000000ULL
#elif defined(__aarch64__)
#define MACH_KERNEL_START 0xffff000000000000ULL
#else
#define MACH_KERNEL_START (1ULL << 63)
#endif

/* Mappings sorted by start, disjoint. Shared by a process and the children it forked until one of
 * them changes it (copy on write): refs counts the processes that use it. */
struct mach_space {
    uint32_t refs;
    size_t n, cap;
    struct mach_map *maps;
};

struct mach_proc {
    uint32_t pid;
    struct mach_space *space; /* NULL: no mappings */
    bool have_program;
    struct mach_program program;
    uint64_t samples;
};

struct mach_thread {
    uint32_t tid;
    const char *name; /* interned, NULL: none */
};

struct machine {
    struct mach_space kernel; /* never shared */
    struct mach_proc *procs;
    size_t nprocs, cap_procs;
    struct hw_map proc_map; /* pid -> index into procs */
    struct mach_thread *threads;
    size_t nthreads, cap_threads;
    struct hw_map thread_map; /* tid -> index into threads */
    struct mach_dso **dsos;   /* in order of first appearance */
    size_t ndsos, cap_dsos;
    struct hw_map dso_map; /* path -> index into dsos */
    char **names;          /* interned thread names */
    size_t nnames, cap_names;
    struct hw_map name_map;
    uint64_t malformed;
};

struct machine *mach_new(void)
{
    return calloc(1, sizeof(struct machine));
}

static void mach_space_release(struct mach_space *s)
{
    if (s && --s->refs == 0) {
        free(s->maps);
        free(s);
    }
}

void mach_free(struct machine *m)
{
    if (!m)
        return;
    free(m->kernel.maps);
    for (size_t i = 0; i < m->nprocs; i++)
        mach_space_release(m->procs[i].space);
    free(m->procs);
    hw_map_free(&m->proc_map);
    free(m->threads);
    hw_map_free(&m->thread_map);
    for (size_t i = 0; i < m->ndsos; i++) {
        free((char *)m->dsos[i]->path);
        free(m->dsos[i]);
    }
    free(m->dsos);
    hw_map_free(&m->dso_map);
    for (size_t i = 0; i < m->nnames; i++)
        free(m->names[i]);
    free(m->names);
    hw_map_free(&m->name_map);
    free(m);
}

/* ---- lookups by key ---- */

struct mach_key {
    const struct machine *m;
    uint32_t id;
    const char *s;
};

static bool mach_proc_eq(const void *ctx, uint32_t val)
{
    const struct mach_key *k = ctx;
    return k->m->procs[val].pid == k->id;
}

static bool mach_thread_eq(const void *ctx, uint32_t val)
{
    const struct mach_key *k = ctx;
    return k->m->threads[val].tid == k->id;
}

static bool mach_dso_eq(const void *ctx, uint32_t val)
{
    const struct mach_key *k = ctx;
    return strcmp(k->m->dsos[val]->path, k->s) == 0;
}

static bool mach_name_eq(const void *ctx, uint32_t val)
{
    const struct mach_key *k = ctx;
    return strcmp(k->m->names[val], k->s) == 0;
}

static uint64_t mach_pid_hash(uint32_t pid)
{
    return hw_hash_u64(21, pid);
}

static uint64_t mach_str_hash(const char *s)
{
    return hw_hash_bytes(s, strlen(s), 22);
}

static struct mach_proc *mach_proc_find(const struct machine *m, uint32_t pid)
{
    struct mach_key k = {m, pid, NULL};
    uint32_t i;
    return hw_map_find(&m->proc_map, mach_pid_hash(pid), mach_proc_eq, &k, &i) ? &m->procs[i]
                                                                               : NULL;
}

/* The process pid, created empty if unknown. NULL with err when out of memory. Creating one may
 * move the others: earlier pointers into procs become invalid. */
static struct mach_proc *mach_proc_get(struct machine *m, uint32_t pid, struct hw_err *err)
{
    struct mach_proc *p = mach_proc_find(m, pid);
    if (p)
        return p;
    if (hw_grow(&m->procs, &m->cap_procs, m->nprocs + 1, sizeof(*m->procs)) < 0 ||
        hw_map_insert(&m->proc_map, mach_pid_hash(pid), (uint32_t)m->nprocs) < 0) {
        hw_err_oom(err);
        return NULL;
    }
    m->procs[m->nprocs] = (struct mach_proc){.pid = pid};
    return &m->procs[m->nprocs++];
}

static struct mach_thread *mach_thread_find(const struct machine *m, uint32_t tid)
{
    struct mach_key k = {m, tid, NULL};
    uint32_t i;
    return hw_map_find(&m->thread_map, mach_pid_hash(tid), mach_thread_eq, &k, &i) ? &m->threads[i]
                                                                                   : NULL;
}

static struct mach_thread *mach_thread_get(struct machine *m, uint32_t tid, struct hw_err *err)
{
    struct mach_thread *t = mach_thread_find(m, tid);
    if (t)
        return t;
    if (hw_grow(&m->threads, &m->cap_threads, m->nthreads + 1, sizeof(*m->threads)) < 0 ||
        hw_map_insert(&m->thread_map, mach_pid_hash(tid), (uint32_t)m->nthreads) < 0) {
        hw_err_oom(err);
        return NULL;
    }
    m->threads[m->nthreads] = (struct mach_thread){.tid = tid};
    return &m->threads[m->nthreads++];
}

/* The interned copy of name, or NULL with err when out of memory. */
static const char *mach_intern(struct machine *m, const char *name, struct hw_err *err)
{
    struct mach_key k = {m, 0, name};
    uint64_t h = mach_str_hash(name);
    uint32_t i;
    if (hw_map_find(&m->name_map, h, mach_name_eq, &k, &i))
        return m->names[i];
    char *copy = hw_strdup(name);
    if (!copy || hw_grow(&m->names, &m->cap_names, m->nnames + 1, sizeof(*m->names)) < 0 ||
        hw_map_insert(&m->name_map, h, (uint32_t)m->nnames) < 0) {
        free(copy);
        hw_err_oom(err);
        return NULL;
    }
    m->names[m->nnames++] = copy;
    return copy;
}

/* The dso for path, created if new. NULL with err when out of memory. */
static struct mach_dso *mach_dso_get(struct machine *m, const char *path, struct hw_err *err)
{
    struct mach_key k = {m, 0, path};
    uint64_t h = mach_str_hash(path);
    uint32_t i;
    if (hw_map_find(&m->dso_map, h, mach_dso_eq, &k, &i))
        return m->dsos[i];
    struct mach_dso *d = calloc(1, sizeof(*d));
    char *copy = hw_strdup(path);
    if (!d || !copy || hw_grow(&m->dsos, &m->cap_dsos, m->ndsos + 1, sizeof(*m->dsos)) < 0 ||
        hw_map_insert(&m->dso_map, h, (uint32_t)m->ndsos) < 0) {
        free(d);
        free(copy);
        hw_err_oom_while(err, "recording binary %s; profile fewer processes", path);
        return NULL;
    }
    d->path = copy;
    d->index = m->ndsos;
    m->dsos[m->ndsos++] = d;
    return d;
}

/* ---- address spaces ---- */

/* A space of p that p alone uses, so it may be changed: created empty, or copied from the one it
 * shares. NULL with err when out of memory. */
static struct mach_space *mach_space_own(struct mach_proc *p, struct hw_err *err)
{
    struct mach_space *s = p->space;
    if (s && s->refs == 1)
        return s;
    struct mach_space *c = calloc(1, sizeof(*c));
    if (!c) {
        hw_err_oom(err);
        return NULL;
    }
    c->refs = 1;
    if (s && s->n) {
        c->maps = malloc(s->n * sizeof(*c->maps));
        if (!c->maps) {
            free(c);
            hw_err_oom_while(err, "copying the mappings of process %u", p->pid);
            return NULL;
        }
        memcpy(c->maps, s->maps, s->n * sizeof(*c->maps));
        c->n = c->cap = s->n;
    }
    mach_space_release(s);
    p->space = c;
    return c;
}

/* Inserts map into s, cutting away whatever part of existing maps it overlaps. Returns the index of
 * the new map, or -1 when out of memory. */
static long mach_space_insert(struct mach_space *s, const struct mach_map *map)
{
    uint64_t st = map->start, e = map->end;
    /* i: the first map ending after st (ends are sorted: maps are sorted and disjoint) */
    size_t i = hw_bsearch_le(s->maps, s->n, sizeof(*s->maps), offsetof(struct mach_map, start), st);
    i = i == s->n ? 0 : (s->maps[i].end <= st ? i + 1 : i);
    size_t k = i;
    while (k < s->n && s->maps[k].start < e)
        k++;
    /* maps [i, k) overlap map; at most the first keeps a left part and the last a right part */
    struct mach_map repl[3];
    size_t r = 0, at;
    if (i < k && s->maps[i].start < st) {
        repl[r] = s->maps[i];
        repl[r++].end = st;
    }
    at = i + r;
    repl[r++] = *map;
    if (i < k && s->maps[k - 1].end > e) {
        repl[r] = s->maps[k - 1];
        repl[r].pgoff += e - repl[r].start;
        repl[r++].start = e;
    }
    size_t n = s->n - (k - i) + r;
    if (hw_grow(&s->maps, &s->cap, n, sizeof(*s->maps)) < 0)
        return -1;
    memmove(&s->maps[i + r], &s->maps[k], (s->n - k) * sizeof(*s->maps));
    memcpy(&s->maps[i], repl, r * sizeof(*repl));
    s->n = n;
    return (long)at;
}

static const struct mach_map *mach_space_find(const struct mach_space *s, uint64_t addr)
{
    if (!s)
        return NULL;
    size_t i =
        hw_bsearch_le(s->maps, s->n, sizeof(*s->maps), offsetof(struct mach_map, start), addr);
    return i < s->n && addr < s->maps[i].end ? &s->maps[i] : NULL;
}

int mach_mmap(struct machine *m, int32_t pid, uint64_t start, uint64_t len, uint64_t pgoff,
              uint32_t prot, const char *path, struct hw_err *err)
{
    if (len == 0)
        return 0;
    struct mach_dso *d = mach_dso_get(m, path, err);
    if (!d)
        return -1;
    struct mach_map map = {
        .start = start,
        .end = len > UINT64_MAX - start ? UINT64_MAX : start + len,
        .pgoff = pgoff,
        .prot = prot,
        .dso = d,
    };
    if (pid == -1) {
        d->kernel = true;
        if (mach_space_insert(&m->kernel, &map) < 0)
            return hw_err_oom_while(err, "adding a kernel mapping of %s", path);
        return 0;
    }
    struct mach_proc *p = mach_proc_get(m, (uint32_t)pid, err);
    struct mach_space *s = p ? mach_space_own(p, err) : NULL;
    if (!s)
        return -1;
    long at = mach_space_insert(s, &map);
    if (at < 0)
        return hw_err_oom_while(err, "adding a mapping of %s to process %d", path, (int)pid);
    if (!p->have_program && path[0] == '/' && (prot & PROT_EXEC)) {
        const struct mach_map *mm = &s->maps[at];
        p->have_program = true;
        p->program = (struct mach_program){mm->start, mm->end, mm->pgoff, mm->dso};
    }
    return 0;
}

int mach_comm(struct machine *m, uint32_t pid, uint32_t tid, const char *comm, bool exec,
              struct hw_err *err)
{
    const char *name = mach_intern(m, comm, err);
    struct mach_thread *t = name ? mach_thread_get(m, tid, err) : NULL;
    if (!t)
        return -1;
    t->name = name;
    if (exec && pid == tid) {
        struct mach_proc *p = mach_proc_find(m, pid);
        if (p) {
            mach_space_release(p->space);
            p->space = NULL;
            p->have_program = false;
        }
    }
    return 0;
}

int mach_fork(struct machine *m, uint32_t ppid, uint32_t ptid, uint32_t pid, uint32_t tid,
              struct hw_err *err)
{
    const struct mach_thread *parent = mach_thread_find(m, ptid);
    const char *name = parent ? parent->name : NULL;
    if (name) {
        struct mach_thread *t = mach_thread_get(m, tid, err);
        if (!t)
            return -1;
        if (!t->name)
            t->name = name;
    }
    if (pid == ppid)
        return 0; /* a new thread of the same process */
    if (!mach_proc_find(m, ppid) && !mach_proc_get(m, ppid, err))
        return -1;
    struct mach_proc *c = mach_proc_get(m, pid, err); /* may move the parent */
    if (!c)
        return -1;
    const struct mach_proc *p = mach_proc_find(m, ppid);
    mach_space_release(c->space);
    c->space = p->space;
    if (c->space)
        c->space->refs++;
    c->have_program = p->have_program;
    c->program = p->program;
    return 0;
}

void mach_exit(struct machine *m, uint32_t pid, uint32_t tid)
{
    struct mach_proc *p = pid == tid ? mach_proc_find(m, pid) : NULL;
    if (p) {
        mach_space_release(p->space);
        p->space = NULL;
    }
}

int mach_process(struct machine *m, const struct dec_format *fmt, const void *rec, size_t len,
                 struct mach_change *chg, struct hw_err *err)
{
    struct mach_change none;
    if (!chg)
        chg = &none;
    memset(chg, 0, sizeof(*chg));
    const struct perf_event_header *h = rec;
    if (len < sizeof(*h))
        return 0;
    size_t body = len - (len > dec_trailer_size(fmt) ? dec_trailer_size(fmt) : 0);
    switch (h->type) {
    case PERF_RECORD_MMAP:
    case PERF_RECORD_MMAP2: {
        struct dec_mmap mm;
        /* the file name must end before the trailer; old writers put none after it */
        if (dec_mmap(rec, body, &mm, NULL) < 0 && dec_mmap(rec, len, &mm, NULL) < 0)
            break;
        int32_t pid = mm.kernel ? -1 : (int32_t)mm.pid;
        if (mach_mmap(m, pid, mm.start, mm.len, mm.pgoff, mm.has_mmap2 ? mm.prot : PROT_EXEC,
                      mm.filename, err) < 0)
            return -1;
        const struct mach_map *map = mach_find(m, pid, mm.start);
        if (map && mm.has_mmap2) {
            struct mach_dso *d = m->dsos[map->dso->index];
            if (mm.has_build_id)
                mach_dso_set_build_id(m, d, mm.build_id, mm.build_id_size);
            if (!d->ino)
                d->maj = mm.maj, d->min = mm.min, d->ino = mm.ino;
        }
        *chg = (struct mach_change){
            .type = h->type, .pid = mm.pid, .tid = mm.tid, .space = pid, .start = mm.start};
        return 0;
    }
    case PERF_RECORD_COMM: {
        struct dec_comm c;
        if (dec_comm(rec, body, &c, NULL) < 0 && dec_comm(rec, len, &c, NULL) < 0)
            break;
        if (mach_comm(m, c.pid, c.tid, c.comm, c.exec, err) < 0)
            return -1;
        *chg = (struct mach_change){.type = h->type, .pid = c.pid, .tid = c.tid, .exec = c.exec};
        return 0;
    }
    case PERF_RECORD_FORK:
    case PERF_RECORD_EXIT: {
        struct dec_task t;
        if (dec_task(rec, len, &t, NULL) < 0)
            break;
        if (h->type == PERF_RECORD_FORK && mach_fork(m, t.ppid, t.ptid, t.pid, t.tid, err) < 0)
            return -1;
        if (h->type == PERF_RECORD_EXIT)
            mach_exit(m, t.pid, t.tid);
        *chg = (struct mach_change){
            .type = h->type, .pid = t.pid, .tid = t.tid, .ppid = t.ppid, .ptid = t.ptid};
        return 0;
    }
    default:
        return 0;
    }
    m->malformed++;
    return 0;
}

const struct mach_map *mach_find(const struct machine *m, int32_t pid, uint64_t addr)
{
    if (pid != -1) {
        const struct mach_proc *p = mach_proc_find(m, (uint32_t)pid);
        const struct mach_map *map = p ? mach_space_find(p->space, addr) : NULL;
        if (map || addr < MACH_KERNEL_START)
            return map;
    }
    return mach_space_find(&m->kernel, addr);
}

bool mach_mark_hit(struct machine *m, int32_t pid, uint64_t addr)
{
    const struct mach_map *map = mach_find(m, pid, addr);
    if (!map)
        return false;
    m->dsos[map->dso->index]->hit = true;
    return true;
}

void mach_dso_set_build_id(struct machine *m, const struct mach_dso *dso, const uint8_t *id,
                           size_t len)
{
    if (!len || len > HW_BUILD_ID_MAX || dso->index >= m->ndsos || m->dsos[dso->index] != dso)
        return;
    struct mach_dso *d = m->dsos[dso->index];
    memcpy(d->build_id, id, len);
    d->build_id_size = (uint8_t)len;
}

const struct mach_dso *const *mach_dsos(const struct machine *m, size_t *n)
{
    *n = m->ndsos;
    return (const struct mach_dso *const *)m->dsos;
}

const char *mach_thread_name(const struct machine *m, uint32_t pid, uint32_t tid)
{
    const struct mach_thread *t = mach_thread_find(m, tid);
    if (t && t->name)
        return t->name;
    t = mach_thread_find(m, pid);
    return t ? t->name : NULL;
}

int mach_count_sample(struct machine *m, uint32_t pid, struct hw_err *err)
{
    struct mach_proc *p = mach_proc_get(m, pid, err);
    if (!p)
        return -1;
    p->samples++;
    return 0;
}

bool mach_busiest_program(const struct machine *m, struct mach_program *out)
{
    const struct mach_proc *best = NULL;
    for (size_t i = 0; i < m->nprocs; i++)
        if (m->procs[i].have_program && (!best || m->procs[i].samples > best->samples))
            best = &m->procs[i];
    if (best)
        *out = best->program;
    return best != NULL;
}

uint64_t mach_malformed(const struct machine *m)
{
    return m->malformed;
}
