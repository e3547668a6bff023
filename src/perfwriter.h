/* perfwriter.h - write perf.data: files (crash-safe: a valid header from the start) or pipe-mode streams, records plain or zstd-compressed, feature sections. */
#ifndef HWPROF_PERFWRITER_H
#define HWPROF_PERFWRITER_H

#include <linux/perf_event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buildid.h"
#include "perffile.h"
#include "util.h"

/* One attribute written to the attrs section, with the ids of all its fds. */
struct pw_attr {
    struct perf_event_attr attr;
    const uint64_t *ids;
    size_t nids;
    const char *name; /* event name for HEADER_EVENT_DESC, e.g. "cpu-clock" */
    /* on a group leader: the members, itself included (HEADER_GROUP_DESC); else 0 */
    uint32_t group_size;
};

/* One entry of HEADER_BUILD_ID. */
struct pw_build_id {
    int32_t pid; /* -1 for the kernel */
    bool kernel; /* misc = KERNEL instead of USER */
    uint8_t id[HW_BUILD_ID_MAX];
    int id_len;
    const char *filename; /* "/usr/lib/.../libc.so.6" or "[kernel.kallsyms]" */
};

/* What the feature sections say about the machine and the run. NULL/0 fields are omitted. */
struct pw_meta {
    const char *hostname;
    const char *osrelease;
    const char *version; /* hwprof's version */
    const char *arch;
    uint32_t nr_cpus_avail;
    uint32_t nr_cpus_online;
    int argc; /* command line of hwprof itself */
    char *const *argv;
    int compression_level; /* 0: records as they are; 1..22: zstd-compressed (perf record -z) */
    const void *tracing_data; /* HEADER_TRACING_DATA body (tracedata_build) if size != 0 */
    size_t tracing_data_size;
};

/* Fills hostname, osrelease, arch (uname), cpu counts and version into meta; strings point into
 * storage owned by *u. */
struct pw_uname_storage {
    char buf[4][256];
};
void pw_meta_from_system(struct pw_meta *meta, struct pw_uname_storage *u, const char *version);

struct pw_writer;

/* Creates the output and writes its start: path "-" is a pipe-mode stream on standard output
 * (HEADER_ATTR and HEADER_FEATURE records first, as perf record -o - writes them; refused on a
 * terminal); any other path a file, created 0600 whatever the umask (a recording holds command
 * lines and stack copies), an older non-empty file there kept as PATH.old as perf does, with a
 * valid header from the start (data size 0 until pw_writer_finish: a recording killed on the way
 * is read to its end by hwprof and perf). Never replaces a directory, device or pipe. The attrs
 * and meta are copied. Returns 0 or -1 with err (e.g. "cannot create /x/y.data: Permission
 * denied", "cannot keep the existing NAME as NAME.old: Operation not permitted"); nothing is left
 * behind then. */
int pw_writer_open(struct pw_writer **w, const char *path, const struct pw_attr *attrs,
                   size_t nattrs, const struct pw_meta *meta, struct hw_err *err);

/* Appends one record (a perf_event_header and its body, len == header.size). Buffered; written
 * when the buffer fills, and at a FINISHED_ROUND when a second has passed since the last write (so
 * a killed recording keeps its records); compressed on the way with a compression level. Returns 0
 * or -1 with err (e.g. ENOSPC). After an error, only pw_writer_abort is valid. */
int pw_writer_write(struct pw_writer *w, const void *rec, size_t len, struct hw_err *err);

/* Bytes of records given so far (before compression). */
uint64_t pw_writer_data_size(const struct pw_writer *w);

/* Writes what is buffered and the end: a file gets its feature sections (HEADER_SAMPLE_TIME from
 * the times when last_sample_time != 0, HEADER_BUILD_ID from bids) and its final header, is
 * fsynced and closed; a stream gets HEADER_BUILD_ID and HEADER_FEATURE records. Frees w in all
 * cases. Returns 0, or -1 with err (the file is removed, an older one moved back). */
int pw_writer_finish(struct pw_writer *w, uint64_t first_sample_time, uint64_t last_sample_time,
                     const struct pw_build_id *bids, size_t nbids, struct hw_err *err);

/* Removes an unfinished file (moving an older one back) and frees w. Safe with NULL. */
void pw_writer_abort(struct pw_writer *w);

#endif
