/* perffile.h - the perf.data layout: header structs, magic, feature ids, perf's record types, and one table of feature sections that writes, reads and prints each. */
#ifndef HWPROF_PERFFILE_H
#define HWPROF_PERFFILE_H

#include <linux/perf_event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buildid.h"
#include "cursor.h"
#include "util.h"

/* tools/perf/Documentation/perf.data-file-format.txt; little-endian files only. */
#define PF_MAGIC            0x32454c4946524550ULL /* "PERFILE2" */
#define PF_HEADER_SIZE      104u                  /* struct pf_file_header */
#define PF_PIPE_HEADER_SIZE 16u                   /* struct pf_pipe_header: a pipe-mode stream */
#define PF_NAME_ALIGN       64u    /* perf_header_string lengths are padded to this */
#define PF_MAX_RECORD       65535u /* perf_event_header.size is 16 bits */
#define PF_FEAT_BITS        256

/* perf_file_section */
struct pf_section {
    uint64_t offset;
    uint64_t size;
};

/* perf_file_header: a file-mode recording starts with it. A recording that was not finished (its
 * writer was killed) has records up to the end of the file: perf leaves data.size 0 until the end,
 * hwprof updates it as it goes and marks the header with PF_WRITING_MARK until the end. */
struct pf_file_header {
    uint64_t magic;
    uint64_t size;      /* PF_HEADER_SIZE */
    uint64_t attr_size; /* one entry of the attrs section: perf_event_attr + pf_section (ids) */
    struct pf_section attrs;
    struct pf_section data;
    struct pf_section event_types; /* obsolete: perf ignores it; see PF_WRITING_MARK */
    uint64_t features[PF_FEAT_BITS / 64];
};

/* event_types.offset of a recording being written (size 0: an empty section, for perf). */
#define PF_WRITING_MARK 0x21474e4954495257ULL /* "WRITING!" */
_Static_assert(sizeof(struct pf_file_header) == PF_HEADER_SIZE, "perf_file_header is 104 bytes");

/* perf_pipe_file_header: a pipe-mode stream starts with it; attributes and features then arrive
 * as records (PF_RECORD_HEADER_ATTR, PF_RECORD_HEADER_FEATURE, ...). */
struct pf_pipe_header {
    uint64_t magic;
    uint64_t size; /* PF_PIPE_HEADER_SIZE */
};

/* Feature ids: bit numbers of pf_file_header.features, and the feat_id of HEADER_FEATURE records.
 */
enum pf_feature {
    PF_FEAT_TRACING_DATA = 1,
    PF_FEAT_BUILD_ID = 2,
    PF_FEAT_HOSTNAME = 3,
    PF_FEAT_OSRELEASE = 4,
    PF_FEAT_VERSION = 5,
    PF_FEAT_ARCH = 6,
    PF_FEAT_NRCPUS = 7,
    PF_FEAT_CPUDESC = 8,
    PF_FEAT_CPUID = 9,
    PF_FEAT_TOTAL_MEM = 10,
    PF_FEAT_CMDLINE = 11,
    PF_FEAT_EVENT_DESC = 12,
    PF_FEAT_GROUP_DESC = 17,
    PF_FEAT_SAMPLE_TIME = 21,
    PF_FEAT_COMPRESSED = 27,
};

/* Record types perf defines beyond the kernel's PERF_RECORD_* (which stay below 64). They carry no
 * sample_id trailer. */
enum pf_record_type {
    PF_RECORD_USER_START = 64,
    PF_RECORD_HEADER_ATTR = 64, /* pipe mode: perf_event_attr (attr.size bytes), then u64 ids */
    PF_RECORD_HEADER_EVENT_TYPE = 65,
    PF_RECORD_HEADER_TRACING_DATA =
        66, /* u32 size, u32 pad; then size bytes not counted in header.size */
    PF_RECORD_HEADER_BUILD_ID = 67, /* one entry of the BUILD_ID section */
    PF_RECORD_FINISHED_ROUND = 68,  /* every record before it may be sorted by time and flushed */
    PF_RECORD_ID_INDEX = 69,
    PF_RECORD_AUXTRACE_INFO = 70,
    PF_RECORD_AUXTRACE = 71,       /* u64 size, ...; then size bytes not counted in header.size */
    PF_RECORD_EVENT_UPDATE = 78,   /* u64 type, u64 id, then (type NAME) the event's name */
    PF_RECORD_HEADER_FEATURE = 80, /* u64 feat_id, then the feature section's body */
    PF_RECORD_COMPRESSED = 81,     /* a piece of one zstd stream of records (perf record -z) */
    PF_RECORD_FINISHED_INIT = 82,
};
#define PF_EVENT_UPDATE_NAME         2
#define PF_RECORD_MISC_BUILD_ID_SIZE (1 << 15) /* a build-id entry states its id length */
#define PF_BUILD_ID_ENTRY_FIXED      36u /* header(8) + pid(4) + build_id[20] + size(1) + reserved[3] \
                                          */
#define PF_COMP_ZSTD 1                   /* HEADER_COMPRESSED type */

/* One event attribute with the ids of its fds. */
struct pf_attr {
    struct perf_event_attr attr; /* attr.size is sizeof(struct perf_event_attr) */
    uint64_t *ids;
    size_t nids;
    char *name; /* HEADER_EVENT_DESC name, or NULL */
};

/* HEADER_GROUP_DESC: attrs[leader .. leader + nr_members) form a group. */
struct pf_group {
    uint32_t leader;
    uint32_t nr_members; /* leader included */
};

/* One HEADER_BUILD_ID entry. */
struct pf_build_id {
    int32_t pid; /* -1 for the kernel and for hwprof's entries */
    bool kernel; /* misc cpumode is kernel */
    uint8_t id[HW_BUILD_ID_MAX];
    int id_len;
    char *filename;
};

/* HEADER_COMPRESSED */
struct pf_compression {
    uint32_t version; /* 1 */
    uint32_t type;    /* PF_COMP_ZSTD, or 0: not compressed */
    uint32_t level;
    uint32_t ratio;    /* uncompressed / compressed bytes, rounded */
    uint32_t mmap_len; /* the most bytes one COMPRESSED record decompresses to */
};

/* What a recording's header and feature sections say (perf's perf_env). Everything is owned by the
 * env (free with pf_env_free); absent parts are NULL or 0. */
struct pf_env {
    uint64_t features[PF_FEAT_BITS / 64]; /* the sections read (reader) */
    struct pf_attr *attrs;
    size_t nattrs;
    char *hostname, *osrelease, *version, *arch;
    uint32_t nr_cpus_avail, nr_cpus_online;
    char **argv; /* HEADER_CMDLINE */
    uint32_t argc;
    char *cmdline; /* argv joined by spaces (set by pf_read_feature) */
    struct pf_build_id *build_ids;
    size_t nbuild_ids, cap_build_ids; /* cap: for hw_grow */
    struct pf_group *groups;
    size_t ngroups;
    uint64_t first_sample_time, last_sample_time; /* HEADER_SAMPLE_TIME: written when last != 0 */
    struct pf_compression compression;            /* HEADER_COMPRESSED: written when type != 0 */
    unsigned char *tracing_data; /* HEADER_TRACING_DATA: the tracepoints' formats, as perf keeps */
    size_t tracing_data_size;    /* them (for perf script); written when size != 0 */
};

/* The entry of one feature section in the table. */
struct pf_feature_ops {
    int id;
    const char *name; /* as perf names it ("hostname", "cmdline", ...) */
    size_t str_field; /* string features: offsetof(struct pf_env, field), else 0 */
    /* Appends the section body for env to b, nothing when env has nothing to say. 0, or -1 when
     * out of memory. */
    int (*write)(const struct pf_feature_ops *op, const struct pf_env *env, struct hw_buf *b);
    /* Reads a section body into env. 0, or -1 when malformed or out of memory (env unchanged). */
    int (*read)(const struct pf_feature_ops *op, struct pf_env *env, struct cur c);
    /* Prints what env holds for this feature as "# name : value" lines. */
    void (*print)(const struct pf_feature_ops *op, const struct pf_env *env, FILE *out);
};

/* The table entry of feature id, or NULL when hwprof neither writes nor reads it. */
const struct pf_feature_ops *pf_feature(int id);

/* Whether env has feature id's bit set. */
bool pf_has_feature(const struct pf_env *env, int id);

/* Builds the feature table (one pf_section per written feature, in id order) followed by the
 * section bodies of every feature env has, for a file where the table starts at byte table_off;
 * sets their bits in features[]. Returns 0, or -1 with err (out of memory). */
int pf_write_features(const struct pf_env *env, uint64_t table_off, struct hw_buf *out,
                      uint64_t features[PF_FEAT_BITS / 64], struct hw_err *err);

/* Appends the body of feature id for env to b (nothing when env has nothing to say or the
 * feature is unknown): the payload of a HEADER_FEATURE record. 0, or -1 (out of memory). */
int pf_write_feature(const struct pf_env *env, int id, struct hw_buf *b);

/* Reads one feature section (a file's, or the body of a HEADER_FEATURE record) into env and sets
 * its bit. A malformed section or an unknown id is ignored: returns false, env unchanged. Needs
 * env->attrs for EVENT_DESC (it names the attrs it matches by id) and GROUP_DESC. */
bool pf_read_feature(struct pf_env *env, int id, const void *p, size_t len);

/* Prints every feature env has, one table entry after the other. */
void pf_print_features(const struct pf_env *env, FILE *out);

/* Appends one build-id entry (perf's build_id_event) with header type `type`: 0 in the BUILD_ID
 * section, PF_RECORD_HEADER_BUILD_ID as a record. Entries without an id or file name are skipped.
 * 0, or -1 (out of memory, or a file name too long for one record). */
int pf_put_build_id(struct hw_buf *b, uint32_t type, const struct pf_build_id *bid);

/* Adds the build-id entry of a HEADER_BUILD_ID record (header included, len = header.size) to env.
 * 0, or -1 when malformed or out of memory (env unchanged). */
int pf_read_build_id_record(struct pf_env *env, const void *rec, size_t len);

/* One id of an attr, for finding the attr of an id. */
struct pf_id {
    uint64_t id;
    size_t attr; /* index into env->attrs */
};

/* The (id, attr) pairs of every attr's ids, sorted by id, then attr; *n is their count. Returns a
 * malloc'd array (one element at least), or NULL when out of memory. */
struct pf_id *pf_index_ids(const struct pf_env *env, size_t *n);

/* The attr listing id in an index of pf_index_ids, or -1. No allocation, O(log n). */
int pf_find_id(const struct pf_id *index, size_t n, uint64_t id);

/* The name of an event without HEADER_EVENT_DESC, as perf derives it: "cycles", "cpu-clock",
 * "raw 0x1234", "type 8 config 0x5". Returns a malloc'd string, or NULL when out of memory. */
char *pf_event_name(const struct perf_event_attr *a);

/* Frees everything env owns and zeroes it. Safe on a zeroed env. */
void pf_env_free(struct pf_env *env);

#endif
