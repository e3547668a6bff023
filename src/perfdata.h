/* perfdata.h - write perf.data (PERFILE2) files: header, attributes with ids, data records, feature sections. */
#ifndef HWPROF_PERFDATA_H
#define HWPROF_PERFDATA_H

#include <linux/perf_event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buildid.h"
#include "util.h"

/* perf.data constants (tools/perf/Documentation/perf.data-file-format.txt). */
#define PD_MAGIC 0x32454c4946524550ULL /* "PERFILE2" */
enum pd_feature {
    PD_FEAT_TRACING_DATA = 1,
    PD_FEAT_BUILD_ID = 2,
    PD_FEAT_HOSTNAME = 3,
    PD_FEAT_OSRELEASE = 4,
    PD_FEAT_VERSION = 5,
    PD_FEAT_ARCH = 6,
    PD_FEAT_NRCPUS = 7,
    PD_FEAT_CPUDESC = 8,
    PD_FEAT_CPUID = 9,
    PD_FEAT_TOTAL_MEM = 10,
    PD_FEAT_CMDLINE = 11,
    PD_FEAT_EVENT_DESC = 12,
    PD_FEAT_GROUP_DESC = 17,
    PD_FEAT_SAMPLE_TIME = 21,
    PD_FEAT_BITS = 256,
};
/* Record types perf itself defines (beyond the kernel's PERF_RECORD_*). */
#define PD_RECORD_FINISHED_ROUND 68
#define PD_RECORD_MISC_BUILD_ID_SIZE (1 << 15)

/* One attribute written to the attrs section, with the ids of all its fds. */
struct pd_attr {
    struct perf_event_attr attr;
    const uint64_t *ids;
    size_t nids;
    const char *name;       /* event name for HEADER_EVENT_DESC, e.g. "cpu-clock" */
    uint32_t group_size;    /* on a group leader: members including itself (HEADER_GROUP_DESC); else 0 */
};

/* One entry of HEADER_BUILD_ID. */
struct pd_build_id {
    int32_t pid;            /* -1 for the kernel */
    bool kernel;            /* misc = KERNEL instead of USER */
    uint8_t id[HW_BUILD_ID_MAX];
    int id_len;
    const char *filename;   /* "/usr/lib/.../libc.so.6" or "[kernel.kallsyms]" */
};

/* What the feature sections say about the machine and the run. NULL/0 fields are omitted. */
struct pd_meta {
    const char *hostname;
    const char *osrelease;
    const char *version;    /* hwprof's version */
    const char *arch;
    uint32_t nr_cpus_avail;
    uint32_t nr_cpus_online;
    int argc;               /* command line of hwprof itself */
    char *const *argv;
    uint64_t first_sample_time, last_sample_time; /* HEADER_SAMPLE_TIME if last != 0 */
    const void *tracing_data;      /* HEADER_TRACING_DATA body (tracedata_build) if size != 0 */
    size_t tracing_data_size;
};

/* Fills hostname, osrelease, arch (uname), cpu counts and version into meta; strings point into
 * storage owned by *u. */
struct pd_uname_storage {
    char buf[4][256];
};
void pd_meta_from_system(struct pd_meta *meta, struct pd_uname_storage *u, const char *version);

struct pd_writer;

/* Creates a temporary file next to path ("<path>.tmp-XXXXXX"), writes the attribute section and
 * positions at the start of the data section. The attrs are copied. Returns 0 or -1 with err (e.g.
 * "cannot create /x/y.data: Permission denied"). */
int pd_writer_open(struct pd_writer **w, const char *path, const struct pd_attr *attrs, size_t nattrs,
                   struct hw_err *err);

/* Appends one record (a perf_event_header and its body, len == header.size) to the data section.
 * Buffered; returns 0 or -1 with err (e.g. ENOSPC). After an error, only pd_writer_abort is valid. */
int pd_writer_write(struct pd_writer *w, const void *rec, size_t len, struct hw_err *err);

/* Bytes of data written so far (records only). */
uint64_t pd_writer_data_size(const struct pd_writer *w);

/* Writes the feature sections and the final header, fsyncs, closes and renames the temporary file to
 * path. Frees w in all cases. Returns 0, or -1 with err (the temporary file is removed). */
int pd_writer_finish(struct pd_writer *w, const struct pd_meta *meta, const struct pd_build_id *bids,
                     size_t nbids, struct hw_err *err);

/* Removes the temporary file and frees w. Safe with NULL. */
void pd_writer_abort(struct pd_writer *w);

#endif
