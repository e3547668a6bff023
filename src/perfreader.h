/* perfreader.h - read perf.data files (file mode) from hwprof or perf: header, attributes and ids, feature sections, data records. */
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
    const char *path;
    uint64_t file_size;
    uint64_t data_offset, data_size; /* the data section */
};

/* Opens and validates a perf.data file. Errors are one line and say why: not a perf.data file,
 * big-endian, pipe mode, unsupported attr size, a section past the end ("truncated: the data
 * section ends at byte N but the file has M bytes"), an empty file, a directory, no permission.
 * Feature sections that are malformed are ignored (their fields stay empty), never fatal.
 * Every allocation is bounded by the file size. Returns 0 or -1 with err. */
int pr_open(struct pr_file **out, const char *path, struct hw_err *err);
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

/* One record of the data section, copied to an 8-byte aligned buffer when needed. */
struct pr_record {
    const struct perf_event_header *h; /* valid until the next pr_next */
    uint64_t offset;                   /* file offset of the record */
    uint64_t time;                     /* from the sample / sample_id_all trailer, 0 if none */
    int attr;                          /* attr index for samples and side-band with an id, else -1 */
};

/* Iterates over the data records in time order: records are sorted by timestamp (stable, so
 * records without time keep their file order and come first), as perf's ordered events do.
 * Returns 0 or -1 with err ("record at byte N has size 0", "record at byte N runs past the end of
 * the data section"). */
struct pr_iter;
int pr_iter_new(struct pr_iter **out, const struct pr_file *f, struct hw_err *err);
/* 1 with *rec filled, 0 at the end, -1 with err. */
int pr_iter_next(struct pr_iter *it, struct pr_record *rec, struct hw_err *err);
void pr_iter_free(struct pr_iter *it);

#endif
