/* procsynth.h - synthesize perf records (kernel map, COMM, MMAP2) from /proc for what existed before recording began. */
#ifndef HWPROF_PROCSYNTH_H
#define HWPROF_PROCSYNTH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

/* Receives each synthesized record (header included). Returns 0 or -1 with err. */
typedef int (*synth_emit_fn)(void *arg, const void *rec, size_t len, struct hw_err *err);

/* How synthesized records are framed: the sample_id_all trailer of the side-band attribute. */
struct synth_ctx {
    uint64_t sample_type;   /* of the attribute that carries side-band records */
    uint64_t id;            /* an id of that attribute (for ID/IDENTIFIER in the trailer) */
    synth_emit_fn emit;
    void *arg;
};

/* Emits the kernel text MMAP ("[kernel.kallsyms]_text", pid -1) from /proc/kallsyms. Emits nothing
 * (and returns 0) when the kernel hides its addresses (kptr_restrict). Returns 0 or -1 with err. */
int synth_kernel_mmap(const struct synth_ctx *ctx, struct hw_err *err);

/* Lists the thread ids of process pid (from /proc/PID/task). *tids is malloc'd.
 * Returns 0, or -1 with err ("no such process: PID"). */
int synth_list_threads(pid_t pid, pid_t **tids, size_t *ntids, struct hw_err *err);

/* Emits a COMM record for every thread of pid and an MMAP2 record for each executable mapping in
 * /proc/PID/maps. A process that exits meanwhile is skipped silently. Returns 0 or -1 with err. */
int synth_process(const struct synth_ctx *ctx, pid_t pid, struct hw_err *err);

/* Appends the sample_id_all trailer for sample_type to buf at *len (pid, tid, time, id, cpu).
 * buf must have room for 48 bytes. Exposed for tests. */
void synth_trailer(unsigned char *buf, size_t *len, uint64_t sample_type, uint32_t pid, uint32_t tid,
                   uint64_t time, uint64_t id, uint32_t cpu);

#endif
