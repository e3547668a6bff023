/* addrspace.c - pid -> sorted mappings (binary search), shared kernel maps, interned dsos. */
#include "addrspace.h"

#include <stdlib.h>
#include <string.h>

/* Lowest kernel address: a lookup at or above it falls back to the kernel's maps (pid -1). */
#if defined(__x86_64__)
#define AS_KERNEL_START 0xffff800000000000ULL
#elif defined(__aarch64__)
#define AS_KERNEL_START 0xffff000000000000ULL
#else
#define AS_KERNEL_START (1ULL << 63)
#endif

#define AS_MIN_SLOTS 16

/* One process: its mappings sorted by start, non-overlapping. */
struct as_proc {
    int32_t pid;
    bool used;
    size_t n, cap;
    struct as_map *maps;
};

struct addrspace {
    struct as_proc kernel; /* pid -1 */
    struct as_proc *procs; /* open addressing, linear probing, nslots a power of two */
    size_t nprocs, nslots;
    struct as_dso **dsos; /* in order of first appearance */
    size_t ndsos, dso_cap;
    size_t *dso_slots; /* open addressing: index + 1 into dsos, 0 = empty */
    size_t ndso_slots;
};

static size_t as_pid_hash(int32_t pid)
{
    uint64_t h = (uint64_t)(uint32_t)pid * 0x9e3779b97f4a7c15ULL;
    return (size_t)(h >> 29);
}

/* FNV-1a. */
static size_t as_str_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return (size_t)(h ^ (h >> 32));
}

struct addrspace *as_new(void)
{
    return calloc(1, sizeof(struct addrspace));
}

void as_free(struct addrspace *as)
{
    if (!as)
        return;
    free(as->kernel.maps);
    for (size_t i = 0; i < as->nslots; i++)
        free(as->procs[i].maps);
    free(as->procs);
    for (size_t i = 0; i < as->ndsos; i++) {
        free(as->dsos[i]->path);
        free(as->dsos[i]);
    }
    free(as->dsos);
    free(as->dso_slots);
    free(as);
}

/* Slot of pid in the process table, or SIZE_MAX. */
static size_t as_proc_slot(const struct addrspace *as, int32_t pid)
{
    if (!as->nslots)
        return SIZE_MAX;
    size_t mask = as->nslots - 1;
    for (size_t i = as_pid_hash(pid) & mask;; i = (i + 1) & mask) {
        if (!as->procs[i].used)
            return SIZE_MAX;
        if (as->procs[i].pid == pid)
            return i;
    }
}

static int as_proc_grow(struct addrspace *as)
{
    size_t nslots = as->nslots ? as->nslots * 2 : AS_MIN_SLOTS;
    struct as_proc *procs = calloc(nslots, sizeof(*procs));
    if (!procs)
        return -1;
    for (size_t i = 0; i < as->nslots; i++) {
        if (!as->procs[i].used)
            continue;
        size_t j = as_pid_hash(as->procs[i].pid) & (nslots - 1);
        while (procs[j].used)
            j = (j + 1) & (nslots - 1);
        procs[j] = as->procs[i];
    }
    free(as->procs);
    as->procs = procs;
    as->nslots = nslots;
    return 0;
}

/* The process pid (the kernel for -1), created empty if unknown. NULL with err when out of memory.
 * Creating a process may move the others: earlier pointers into the table become invalid. */
static struct as_proc *as_proc_get(struct addrspace *as, int32_t pid, struct hw_err *err)
{
    if (pid == -1)
        return &as->kernel;
    size_t slot = as_proc_slot(as, pid);
    if (slot != SIZE_MAX)
        return &as->procs[slot];
    if ((as->nprocs + 1) * 2 > as->nslots && as_proc_grow(as) < 0) {
        hw_errf(err, "out of memory tracking process %d; profile fewer processes", (int)pid);
        return NULL;
    }
    size_t mask = as->nslots - 1;
    slot = as_pid_hash(pid) & mask;
    while (as->procs[slot].used)
        slot = (slot + 1) & mask;
    as->procs[slot] = (struct as_proc){.pid = pid, .used = true};
    as->nprocs++;
    return &as->procs[slot];
}

/* Removes the process in slot, shifting later members of its probe run back (no tombstones). */
static void as_proc_remove(struct addrspace *as, size_t slot)
{
    size_t mask = as->nslots - 1;
    size_t hole = slot;

    free(as->procs[slot].maps);
    for (size_t j = (slot + 1) & mask; as->procs[j].used; j = (j + 1) & mask) {
        size_t home = as_pid_hash(as->procs[j].pid) & mask;
        /* Entry j may fill the hole unless its home lies cyclically in (hole, j]. */
        bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!stays) {
            as->procs[hole] = as->procs[j];
            hole = j;
        }
    }
    as->procs[hole] = (struct as_proc){0};
    as->nprocs--;
}

struct as_dso *as_dso_find(const struct addrspace *as, const char *path)
{
    if (!as->ndso_slots)
        return NULL;
    size_t mask = as->ndso_slots - 1;
    for (size_t i = as_str_hash(path) & mask; as->dso_slots[i]; i = (i + 1) & mask) {
        struct as_dso *d = as->dsos[as->dso_slots[i] - 1];
        if (strcmp(d->path, path) == 0)
            return d;
    }
    return NULL;
}

static int as_dso_slots_grow(struct addrspace *as)
{
    size_t n = as->ndso_slots ? as->ndso_slots * 2 : AS_MIN_SLOTS;
    size_t *slots = calloc(n, sizeof(*slots));
    if (!slots)
        return -1;
    for (size_t i = 0; i < as->ndsos; i++) {
        size_t j = as_str_hash(as->dsos[i]->path) & (n - 1);
        while (slots[j])
            j = (j + 1) & (n - 1);
        slots[j] = i + 1;
    }
    free(as->dso_slots);
    as->dso_slots = slots;
    as->ndso_slots = n;
    return 0;
}

/* The dso for path, created if new. NULL with err when out of memory. */
static struct as_dso *as_dso_intern(struct addrspace *as, const char *path, struct hw_err *err)
{
    struct as_dso *d = as_dso_find(as, path);
    if (d)
        return d;

    if ((as->ndsos + 1) * 2 > as->ndso_slots && as_dso_slots_grow(as) < 0)
        goto oom;
    if (as->ndsos == as->dso_cap) {
        size_t cap = as->dso_cap ? as->dso_cap * 2 : 64;
        struct as_dso **dsos = realloc(as->dsos, cap * sizeof(*dsos));
        if (!dsos)
            goto oom;
        as->dsos = dsos;
        as->dso_cap = cap;
    }
    d = calloc(1, sizeof(*d));
    if (!d)
        goto oom;
    d->path = hw_strdup(path);
    if (!d->path) {
        free(d);
        goto oom;
    }
    d->index = as->ndsos;
    as->dsos[as->ndsos++] = d;

    size_t mask = as->ndso_slots - 1;
    size_t i = as_str_hash(path) & mask;
    while (as->dso_slots[i])
        i = (i + 1) & mask;
    as->dso_slots[i] = d->index + 1;
    return d;

oom:
    hw_errf(err, "out of memory recording binary %s; profile fewer processes", path);
    return NULL;
}

/* Inserts m into p, cutting away whatever part of existing maps it overlaps. Returns 0 or -1. */
static int as_proc_insert(struct as_proc *p, const struct as_map *m)
{
    uint64_t s = m->start, e = m->end;

    /* i: first map ending after s (ends are sorted because maps are sorted and disjoint). */
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->maps[mid].end <= s)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t i = lo, k = lo;
    while (k < p->n && p->maps[k].start < e)
        k++;
    /* maps [i, k) overlap m; at most the first keeps a left part and the last a right part. */
    struct as_map repl[3];
    size_t r = 0;
    if (i < k && p->maps[i].start < s) {
        repl[r] = p->maps[i];
        repl[r++].end = s;
    }
    repl[r++] = *m;
    if (i < k && p->maps[k - 1].end > e) {
        repl[r] = p->maps[k - 1];
        repl[r].pgoff += e - repl[r].start;
        repl[r++].start = e;
    }

    size_t removed = k - i;
    size_t n = p->n - removed + r;
    if (n > p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        while (cap < n)
            cap *= 2;
        struct as_map *maps = realloc(p->maps, cap * sizeof(*maps));
        if (!maps)
            return -1;
        p->maps = maps;
        p->cap = cap;
    }
    memmove(&p->maps[i + r], &p->maps[k], (p->n - k) * sizeof(*p->maps));
    memcpy(&p->maps[i], repl, r * sizeof(*repl));
    p->n = n;
    return 0;
}

int as_mmap(struct addrspace *as, int32_t pid, uint64_t start, uint64_t len, uint64_t pgoff,
            uint32_t prot, const char *path, struct hw_err *err)
{
    if (len == 0)
        return 0;
    struct as_dso *d = as_dso_intern(as, path, err);
    if (!d)
        return -1;
    if (pid == -1)
        d->kernel = true;
    struct as_proc *p = as_proc_get(as, pid, err);
    if (!p)
        return -1;
    struct as_map m = {
        .start = start,
        .end = len > UINT64_MAX - start ? UINT64_MAX : start + len,
        .pgoff = pgoff,
        .prot = prot,
        .dso = d,
    };
    if (as_proc_insert(p, &m) < 0)
        return hw_errf(err, "out of memory adding a mapping of %s to process %d", path, (int)pid);
    return 0;
}

int as_fork(struct addrspace *as, int32_t ppid, int32_t pid, struct hw_err *err)
{
    if (pid == ppid || pid == -1)
        return 0;
    struct as_map *copy = NULL;
    size_t n = 0;
    size_t slot = ppid == -1 ? SIZE_MAX : as_proc_slot(as, ppid);
    if (slot != SIZE_MAX && as->procs[slot].n) {
        n = as->procs[slot].n;
        copy = malloc(n * sizeof(*copy));
        if (!copy)
            return hw_errf(err, "out of memory copying the mappings of process %d to %d", (int)ppid,
                           (int)pid);
        memcpy(copy, as->procs[slot].maps, n * sizeof(*copy));
    }
    /* Only now: creating the child may move the parent's slot. */
    struct as_proc *c = as_proc_get(as, pid, err);
    if (!c) {
        free(copy);
        return -1;
    }
    free(c->maps);
    c->maps = copy;
    c->n = c->cap = n;
    return 0;
}

void as_exec(struct addrspace *as, int32_t pid)
{
    if (pid == -1)
        return;
    size_t slot = as_proc_slot(as, pid);
    if (slot != SIZE_MAX)
        as->procs[slot].n = 0;
}

void as_exit(struct addrspace *as, int32_t pid)
{
    if (pid == -1)
        return;
    size_t slot = as_proc_slot(as, pid);
    if (slot != SIZE_MAX)
        as_proc_remove(as, slot);
}

/* The map of p containing addr, or NULL: binary search for the last map starting at or below addr.
 */
static const struct as_map *as_proc_find(const struct as_proc *p, uint64_t addr)
{
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->maps[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || addr >= p->maps[lo - 1].end)
        return NULL;
    return &p->maps[lo - 1];
}

const struct as_map *as_find(const struct addrspace *as, int32_t pid, uint64_t addr)
{
    if (pid != -1) {
        size_t slot = as_proc_slot(as, pid);
        if (slot != SIZE_MAX) {
            const struct as_map *m = as_proc_find(&as->procs[slot], addr);
            if (m)
                return m;
        }
        if (addr < AS_KERNEL_START)
            return NULL;
    }
    return as_proc_find(&as->kernel, addr);
}

struct as_dso *const *as_dsos(const struct addrspace *as, size_t *n)
{
    *n = as->ndsos;
    return as->dsos;
}
