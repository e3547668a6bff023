/* addrspace.h - per-process address spaces built from MMAP/MMAP2/FORK/COMM-exec/EXIT: pid -> sorted mappings. */
#ifndef HWPROF_ADDRSPACE_H
#define HWPROF_ADDRSPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* A binary (or pseudo-file such as "[vdso]", "[kernel.kallsyms]", "//anon") known by path. Shared by
 * every mapping of it in every process. */
struct as_dso {
    char *path;
    bool kernel;
    bool hit;                  /* a sample address fell into one of its mappings */
    uint8_t build_id[20];      /* from MMAP2 with build id, if the kernel gave one */
    uint8_t build_id_size;
    uint32_t maj, min;
    uint64_t ino;
    size_t index;              /* position in as_dsos() */
};

struct as_map {
    uint64_t start, end;       /* [start, end) */
    uint64_t pgoff;
    uint32_t prot;             /* PROT_* if known (MMAP2), else PROT_EXEC assumed */
    struct as_dso *dso;
};

struct addrspace;

/* Returns a new empty set of address spaces, or NULL when out of memory. */
struct addrspace *as_new(void);
void as_free(struct addrspace *as);

/* Adds a mapping to process pid (pid -1: the kernel, shared by all processes). A new mapping replaces
 * whatever it overlaps, as mmap does (partly overlapped maps are trimmed or split, pgoff adjusted).
 * len 0 is ignored; an end past 2^64 is clamped. The dso for path is created if new (kernel set if
 * pid is -1); its build id and inode fields are left for the caller to fill (see as_dso_find).
 * Returns 0 or -1 with err (out of memory). */
int as_mmap(struct addrspace *as, int32_t pid, uint64_t start, uint64_t len, uint64_t pgoff,
            uint32_t prot, const char *path, struct hw_err *err);

/* Process ppid forked pid: pid starts with a copy of ppid's mappings. Threads (pid == ppid) are
 * ignored. Returns 0 or -1 with err. */
int as_fork(struct addrspace *as, int32_t ppid, int32_t pid, struct hw_err *err);

/* pid exec'd: its old mappings are dropped. Ignored for pid -1 and unknown pids. */
void as_exec(struct addrspace *as, int32_t pid);

/* pid exited: its mappings are dropped (the dsos stay). Ignored for pid -1 and unknown pids. */
void as_exit(struct addrspace *as, int32_t pid);

/* The mapping of pid that contains addr (kernel addresses are looked up in pid -1), or NULL.
 * O(log n), no allocation. The map is const but its dso is not: callers may set dso->hit. The
 * pointer stays valid until the next as_mmap/as_fork/as_exec/as_exit. */
const struct as_map *as_find(const struct addrspace *as, int32_t pid, uint64_t addr);

/* Every dso seen so far, in order of first appearance. */
struct as_dso *const *as_dsos(const struct addrspace *as, size_t *n);

/* The dso interned for path, or NULL if no mapping of path was added yet. */
struct as_dso *as_dso_find(const struct addrspace *as, const char *path);

#endif
