/* perfreader.h - read perf.data recordings from hwprof or perf (files, pipe-mode streams, zstd-compressed records): header, attributes and ids, feature sections, records in time order. */
#ifndef HWPROF_PERFREADER_H
#define HWPROF_PERFREADER_H

#include <linux/perf_event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "perffile.h"
#include "util.h"

/* An open recording: opaque; read it through pr_env and pr_info. */
struct pr_file;

/* Where the parts of a recording lie. */
struct pr_info {
    const char *path;                /* as given, "standard input" for "-" */
    uint64_t file_size;              /* 0 for a stream that is not a regular file */
    uint64_t data_offset, data_size; /* the data section (unfinished: up to the end of the file;
                                        a stream: its first record, size 0) */
    bool stream;                     /* pipe mode: attributes and features came as records */
    bool unfinished;                 /* data size 0 in the header: read to the end of the file */
};

/* Opens a recording: a file ("-": standard input, a pipe-mode stream or a redirected file). A
 * pipe-mode stream (perf record -o -, also when saved to a file) is read up to its first data
 * record, so that its attributes and features are known. Errors are one line and say why: not a
 * perf.data file, big-endian, unsupported attr size, a section past the end ("truncated: the data
 * section ends at byte N but the file has M bytes"), an empty file, a directory, no permission, a
 * file-mode recording on a pipe. Feature sections that are malformed are ignored (their fields
 * stay empty), never fatal. Warnings go to warn (may be NULL): a recording that was not finished
 * (read to the end of the file), an ids section whose size is not a multiple of 8. Allocations
 * are bounded by the input's size. Returns 0 or -1 with err. */
int pr_open(struct pr_file **out, const char *path, const struct hw_warn *warn, struct hw_err *err);
void pr_close(struct pr_file *f);

/* What the recording's header and feature sections say: the attrs (normalized to
 * sizeof(struct perf_event_attr): shorter on-disk attrs are zero-extended, longer ones truncated,
 * their extra bytes 0; each named from HEADER_EVENT_DESC, else derived: "cpu-clock", "cycles",
 * "raw 0x1234", "type 8 config 0x...", never NULL), host, command line, build ids, groups, sample
 * times. Read-only, valid until pr_close. */
const struct pf_env *pr_env(const struct pr_file *f);

/* The file's path and layout. Read-only, valid until pr_close. */
const struct pr_info *pr_info(const struct pr_file *f);

/* The attr index of id (from the ids arrays), or -1. With a single attr every id maps to it. */
int pr_attr_index(const struct pr_file *f, uint64_t id);

/* One record of the data section. Only the kernel's records (types below 64) are returned: perf's
 * own are used by the reader (FINISHED_ROUND, COMPRESSED, the header records of a stream) or
 * ignored. */
struct pr_record {
    const struct perf_event_header *h; /* 8-byte aligned; valid until the next pr_iter_next */
    uint64_t offset;                   /* input offset of the record, or of the compressed record
                                          holding it */
    uint64_t time;                     /* from the sample / sample_id_all trailer, 0 if none */
    int attr;                          /* attr index for samples and side-band with an id; -1 for
                                          none, and for an id no attribute lists (the caller
                                          counts such samples) */
};

/* Iterates over the records in time order, as perf's ordered events do: records are held until a
 * FINISHED_ROUND lets those up to the latest time of the round before go, so memory holds about
 * two rounds (input without rounds: at most 48 MiB of records, then the oldest half goes). Records
 * without a time come in input order, before the held ones. Compressed records (perf record -z)
 * are decompressed on the way. A file can be iterated again; a stream only once.
 * pr_iter_next returns 1 with *rec filled, 0 at the end, -1 with err ("record at byte N has size
 * 0", "record at byte N runs past the end of the data section": a finished file's data section
 * must hold whole records). At the end, what was skipped is said once through pr_open's warn: the
 * input ending inside a record (an unfinished file, a stream cut short: every complete record
 * before it was returned), malformed records (too short for their sample id: skipped and
 * counted), compressed records that do not decompress, records out of time order. */
struct pr_iter;
int pr_iter_new(struct pr_iter **out, struct pr_file *f, struct hw_err *err);
int pr_iter_next(struct pr_iter *it, struct pr_record *rec, struct hw_err *err);
void pr_iter_free(struct pr_iter *it);

#endif
