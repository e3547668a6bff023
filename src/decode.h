/* decode.h - decode raw perf records (samples and side-band) from bytes, given each attribute's sample format. Pure: no I/O. */
#ifndef HWPROF_DECODE_H
#define HWPROF_DECODE_H

#include <linux/perf_event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* The part of an attribute that determines record layout. */
struct dec_format {
    uint64_t sample_type;
    uint64_t read_format;
    bool sample_id_all;
    uint64_t regs_user_mask;  /* sample_regs_user: which registers PERF_SAMPLE_REGS_USER holds */
    bool branch_hw_index;     /* PERF_SAMPLE_BRANCH_HW_INDEX: a branch stack starts with hw_idx */
};

void dec_format_from_attr(struct dec_format *f, const struct perf_event_attr *attr);

/* In every decoder, rec points at the perf_event_header and len is the record's size (normally
 * header.size; header.size itself is not consulted). rec may have any alignment; fields are read
 * with memcpy. Nothing is read outside [rec, rec + len). Errors are one line in err. */

/* Bytes of the sample_id_all trailer at the end of each non-sample record (0 without
 * sample_id_all). Pass len - dec_trailer_size(fmt) to dec_mmap/dec_comm to require their string to
 * end before the trailer. */
size_t dec_trailer_size(const struct dec_format *fmt);

/* Fields of a sample_id_all trailer (or of a sample) that are present per sample_type. */
struct dec_sample_id {
    uint32_t pid, tid;
    uint64_t time;
    uint64_t id;
    uint64_t stream_id;
    uint32_t cpu;
};

#define DEC_MAX_READ 64 /* group members decoded per sample; more is an error */
#define DEC_MAX_REGS 64 /* registers of PERF_SAMPLE_REGS_USER (one per bit of the mask) */

struct dec_read_value {
    uint64_t value;
    uint64_t id;   /* 0 if PERF_FORMAT_ID is not set */
    uint64_t lost; /* 0 if PERF_FORMAT_LOST is not set */
};

struct dec_sample {
    uint16_t misc;            /* header.misc: cpumode in PERF_RECORD_MISC_CPUMODE_MASK */
    uint64_t ip;
    uint32_t pid, tid;
    uint64_t time;
    uint64_t addr;
    uint64_t id;              /* from IDENTIFIER or ID */
    uint64_t stream_id;
    uint32_t cpu;
    uint64_t period;
    /* PERF_SAMPLE_READ */
    uint64_t time_enabled, time_running;
    uint32_t nr_values;       /* 1 without PERF_FORMAT_GROUP */
    struct dec_read_value values[DEC_MAX_READ];
    /* PERF_SAMPLE_CALLCHAIN: points into the record (8-byte aligned), includes context markers */
    uint64_t nr_callchain;
    const uint64_t *callchain;
    /* PERF_SAMPLE_REGS_USER: the user registers at the sample (or at kernel entry), in ascending bit
     * order of regs_user_mask (the architecture's perf_regs numbering); user_abi 0: none (a kernel
     * thread), nr_user_regs 0 */
    uint64_t user_abi;
    uint32_t nr_user_regs;
    uint64_t user_regs[DEC_MAX_REGS];
    /* PERF_SAMPLE_STACK_USER: user_stack_size bytes copied from the user stack pointer upwards
     * (the valid part, dyn_size); points into the record */
    uint64_t user_stack_size;
    const unsigned char *user_stack;
};

/* The id of any record: the IDENTIFIER word (first word of a sample's body, last of a side-band
 * record's body), or without IDENTIFIER the PERF_SAMPLE_ID field (of the sample, or of the
 * side-band record's sample_id_all trailer). Returns 0 with *id set, 1 if the format carries no id
 * for this record (no ID/IDENTIFIER, no sample_id_all, or perf's own types >= 64), -1 if the record
 * is too short. */
int dec_record_id(const struct dec_format *fmt, const void *rec, size_t len, uint64_t *id);

/* Decodes a PERF_RECORD_SAMPLE. rec points at the perf_event_header, len = header.size.
 * RAW and BRANCH_STACK are skipped, REGS_USER and STACK_USER decoded, later fields ignored. nr_values is 0 without
 * PERF_SAMPLE_READ. out->callchain points into rec, so a sample with a non-empty callchain needs
 * rec 8-byte aligned (else -1 with err). Returns 0, or -1 with err if the record is shorter than
 * its format says, counts are absurd (read group > DEC_MAX_READ) or the record is not a sample. */
int dec_sample(const struct dec_format *fmt, const void *rec, size_t len, struct dec_sample *out,
               struct hw_err *err);

/* Decodes the sample_id_all trailer of a non-sample record (zeroed if the format has none, or for
 * perf's own record types >= 64, which carry none). Returns 0 or -1 with err. */
int dec_trailer(const struct dec_format *fmt, const void *rec, size_t len, struct dec_sample_id *out,
                struct hw_err *err);

/* Side-band records. Each checks header.type (MMAP or MMAP2, COMM, FORK or EXIT, SWITCH or
 * SWITCH_CPU_WIDE, LOST, THROTTLE or UNTHROTTLE) and returns 0, or -1 with err if the type is wrong
 * or the record is too short.
 * Strings point into the record and are guaranteed NUL-terminated within [rec, rec + len). */
struct dec_mmap {
    uint32_t pid, tid;
    uint64_t start, len, pgoff;
    bool has_mmap2;           /* MMAP2: the fields below are valid */
    bool has_build_id;        /* MMAP2 with PERF_RECORD_MISC_MMAP_BUILD_ID */
    uint32_t maj, min;
    uint64_t ino, ino_generation;
    uint8_t build_id[20];
    uint8_t build_id_size;
    uint32_t prot, flags;
    const char *filename;
    bool kernel;              /* misc cpumode is kernel */
};
int dec_mmap(const void *rec, size_t len, struct dec_mmap *out, struct hw_err *err); /* MMAP or MMAP2 */

struct dec_comm {
    uint32_t pid, tid;
    const char *comm;
    bool exec;                /* PERF_RECORD_MISC_COMM_EXEC */
};
int dec_comm(const void *rec, size_t len, struct dec_comm *out, struct hw_err *err);

struct dec_task {             /* FORK and EXIT */
    uint32_t pid, ppid, tid, ptid;
    uint64_t time;
};
int dec_task(const void *rec, size_t len, struct dec_task *out, struct hw_err *err);

struct dec_switch {           /* SWITCH and SWITCH_CPU_WIDE; the trailer names the task */
    bool out;                 /* PERF_RECORD_MISC_SWITCH_OUT: the task leaves the CPU (else enters) */
    bool preempt;             /* ..._SWITCH_OUT_PREEMPT: it was preempted, still runnable */
    bool cpu_wide;            /* SWITCH_CPU_WIDE: next_prev_pid/tid name the other task */
    uint32_t next_prev_pid, next_prev_tid;
};
int dec_switch(const void *rec, size_t len, struct dec_switch *out, struct hw_err *err);

struct dec_lost {             /* LOST */
    uint64_t id, lost;
};
int dec_lost(const void *rec, size_t len, struct dec_lost *out, struct hw_err *err);

struct dec_throttle {         /* THROTTLE and UNTHROTTLE */
    uint64_t time, id, stream_id;
};
int dec_throttle(const void *rec, size_t len, struct dec_throttle *out, struct hw_err *err);

#endif
