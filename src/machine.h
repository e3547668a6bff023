/* machine.h - the machine a recording describes: threads and their names, processes and their programs, address spaces (shared after fork until changed), binaries; one entry point applies each side-band record. */
#ifndef HWPROF_MACHINE_H
#define HWPROF_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buildid.h"
#include "decode.h"
#include "util.h"

/* A binary (or pseudo-file such as "[vdso]", "[kernel.kallsyms]", "//anon") known by path, shared by
 * every mapping of it in every process. Changed only through mach_* functions. */
struct mach_dso {
    const char *path;
    bool kernel;               /* mapped into the kernel's address space */
    bool hit;                  /* a sample address fell into one of its mappings (mach_mark_hit) */
    uint8_t build_id[HW_BUILD_ID_MAX]; /* from MMAP2 with a build id, or mach_dso_set_build_id */
    uint8_t build_id_size;     /* 0: unknown */
    uint32_t maj, min;         /* device and inode from MMAP2, 0 when unknown */
    uint64_t ino;
    size_t index;              /* position in mach_dsos(), 0, 1, 2, ... */
};

struct mach_map {
    uint64_t start, end;       /* [start, end) */
    uint64_t pgoff;
    uint32_t prot;             /* PROT_* if known (MMAP2), else PROT_EXEC assumed */
    const struct mach_dso *dso;
};

/* What one side-band record did, for callers that react to it (the wall-clock tracker, the recorder's
 * statistics). type is 0 when the record is not one the machine applies, or was malformed. */
struct mach_change {
    uint32_t type;             /* PERF_RECORD_MMAP, MMAP2, COMM, FORK or EXIT */
    uint32_t pid, tid;
    uint32_t ppid, ptid;       /* FORK and EXIT: the parent */
    bool exec;                 /* COMM: the process called exec */
    int32_t space;             /* MMAP: the address space it went to (pid, or -1 for the kernel's) */
    uint64_t start;            /* MMAP: where it starts */
};

struct machine;

/* Returns a new empty machine, or NULL when out of memory. */
struct machine *mach_new(void);
void mach_free(struct machine *m);

/* Applies one record to the machine, as perf's machine__process_event does for both perf record and
 * perf report: MMAP/MMAP2 (a mapping joins its process, or the kernel's space for kernel mappings;
 * a new mapping replaces what it overlaps, as mmap does), COMM (the thread's name; with exec, the
 * process's mappings and program are dropped), FORK (a thread inherits its parent's name; a new
 * process shares its parent's mappings until either changes them) and EXIT (a process's mappings go).
 * fmt is the format of the record's attribute (for its sample_id_all trailer). Other record types are
 * left alone (chg->type 0). A malformed record is skipped and counted (mach_malformed). chg may be
 * NULL. Returns 0, or -1 with err (out of memory). */
int mach_process(struct machine *m, const struct dec_format *fmt, const void *rec, size_t len,
                 struct mach_change *chg, struct hw_err *err);

/* The same effects, applied directly (for records synthesized in memory and for tests). pid -1 is the
 * kernel. Each returns 0 or -1 with err (out of memory). */
int mach_mmap(struct machine *m, int32_t pid, uint64_t start, uint64_t len, uint64_t pgoff, uint32_t prot,
              const char *path, struct hw_err *err);
int mach_comm(struct machine *m, uint32_t pid, uint32_t tid, const char *comm, bool exec, struct hw_err *err);
int mach_fork(struct machine *m, uint32_t ppid, uint32_t ptid, uint32_t pid, uint32_t tid, struct hw_err *err);
void mach_exit(struct machine *m, uint32_t pid, uint32_t tid);

/* The mapping of process pid that holds addr (kernel addresses are looked up in the kernel's space;
 * pid -1 asks the kernel's space only), or NULL. O(log n), no allocation. Valid until the next change
 * of the machine. */
const struct mach_map *mach_find(const struct machine *m, int32_t pid, uint64_t addr);

/* Marks the binary mapped at addr in pid as hit by a sample. Returns false when no mapping holds addr. */
bool mach_mark_hit(struct machine *m, int32_t pid, uint64_t addr);

/* Sets a binary's build id (from a recording's build-id table) when the records gave none. len above
 * HW_BUILD_ID_MAX or 0 is ignored. */
void mach_dso_set_build_id(struct machine *m, const struct mach_dso *dso, const uint8_t *id, size_t len);

/* Every binary seen so far, in order of first appearance. */
const struct mach_dso *const *mach_dsos(const struct machine *m, size_t *n);

/* The name of thread tid (its COMM, else inherited at FORK), or of its process pid when the thread
 * has none, or NULL. Names are interned: equal names are the same pointer, valid until mach_free. */
const char *mach_thread_name(const struct machine *m, uint32_t pid, uint32_t tid);

/* A process's program: its first executable file mapping since its last exec. */
struct mach_program {
    uint64_t start, end, pgoff;
    const struct mach_dso *dso;
};

/* Counts a sample of process pid (for mach_busiest_program). Returns 0 or -1 with err (out of memory). */
int mach_count_sample(struct machine *m, uint32_t pid, struct hw_err *err);

/* The program of the process with the most samples that has one; false when none has. */
bool mach_busiest_program(const struct machine *m, struct mach_program *out);

/* Side-band records that were malformed and skipped. */
uint64_t mach_malformed(const struct machine *m);

#endif
