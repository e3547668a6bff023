/* perfreader_int.h - the reader's private state, shared by perfreader.c (opening: header, attributes, features) and perfrecords.c (reading the records). */
#ifndef HWPROF_PERFREADER_INT_H
#define HWPROF_PERFREADER_INT_H

#include "compress.h"
#include "decode.h"
#include "inbuf.h"
#include "ordered.h"
#include "perfreader.h"

#define PR_ATTR_MIN    (PERF_ATTR_SIZE_VER0 + 16u) /* attr + pf_section */
#define PR_ATTR_MAX    4096u
#define PR_SECTION_MAX (64u << 20) /* feature sections larger than this are ignored */
#define PR_IN_SIZE     (1u << 20)  /* input buffer: holds several whole records */
#define PR_DEC_SIZE    (1u << 20)  /* decompressed bytes produced per step */
#define PR_QUEUE_MAX   (48u << 20) /* held record bytes before the oldest half goes */
#define PR_TYPE_MAX    256u        /* the kernel's record types are below 64, perf's below 128 */
#define PR_STDIN_NAME  "standard input"
#define PR_CORRUPT     "the file is corrupt"

/* What was skipped, said once at the end of the records. */
struct pr_skips {
    uint64_t malformed;
    char malformed_first[200];
    uint64_t frames; /* compressed records that could not be decompressed */
    char frames_first[200];
    uint64_t late_attrs;
    bool cut; /* the input ended inside a record */
    uint64_t cut_at;
};

struct pr_file {
    struct pr_info info;
    struct pf_env env;
    size_t cap_attrs;
    char *path;
    int fd;
    bool own_fd;
    struct hw_warn warn;
    bool stream;                  /* pipe mode: attributes and features arrive as records */
    bool unfinished;              /* file mode, data size 0: records run to the end of the file */
    bool frozen;                  /* the attributes are complete: records can be classified */
    struct dec_format *fmts;      /* per attr */
    struct pf_id *id_index;       /* every id of every attr, sorted, for pr_attr_index */
    size_t nid_index;
    /* reading */
    uint64_t data_start; /* input offset of the first record */
    struct inbuf in;
    struct ord_queue q;
    bool started, replay, eof, told;
    struct comp_decoder *zdec;
    unsigned char *zin; /* the payload of the COMPRESSED record being decompressed */
    size_t zin_len, zin_pos;
    uint64_t zin_offset;
    bool zactive;
    unsigned char *dbuf; /* decompressed bytes; [0, dlen) the start of a record not complete yet */
    size_t dlen;
    struct pr_skips skips;
};

/* perfreader.c */

/* Counts a skipped malformed record; the first one's reason is kept for the final warning. */
void pr_skip_malformed(struct pr_file *f, uint64_t offset, const char *why);

/* Positions the input at the first record (again). */
void pr_in_rewind(struct pr_file *f);

/* Adds the attr of a stream's HEADER_ATTR record (header included). Returns 0 or -1 with err. */
int pr_stream_attr(struct pr_file *f, const unsigned char *rec, size_t len, uint64_t offset,
                   struct hw_err *err);

/* Makes the attributes final: ids indexed, their layout checked, every attr named, formats.
 * Returns 0 or -1 with err. */
int pr_freeze(struct pr_file *f, struct hw_err *err);

/* perfrecords.c */

/* A stream's header: the records up to the first data record (left in the input), which carry
 * the attributes and features; then pr_freeze. Returns 0 or -1 with err. */
int pr_read_stream_header(struct pr_file *f, struct hw_err *err);

#endif
