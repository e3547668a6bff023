/* perfreader.c - read perf.data recordings (files and pipe-mode streams, plain or zstd-compressed): header, attributes, features, records in time order with bounded memory. */
#include "perfreader.h"

#include "compress.h"
#include "decode.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PR_ATTR_MIN    (PERF_ATTR_SIZE_VER0 + 16u) /* attr + pf_section */
#define PR_ATTR_MAX    4096u
#define PR_SECTION_MAX (64u << 20) /* feature sections larger than this are ignored */
#define PR_IN_SIZE     (1u << 20)  /* input buffer: holds several whole records */
#define PR_DEC_SIZE    (1u << 20)  /* decompressed bytes produced per step */
#define PR_QUEUE_MAX   (48u << 20) /* record bytes waiting to be sorted before the oldest half goes */
#define PR_TYPE_MAX    256u        /* the kernel's record types are below 64, perf's below 128 */
#define PR_STDIN_NAME  "standard input"
#define PR_CORRUPT     "the file is corrupt"

struct pr_id_entry {
    uint64_t id;
    size_t attr;
};

/* Sequential input: a file's data section (up to its size, or to the end of the file when the
 * recording was not finished) or a stream. Bytes [pos, len) of buf are read but not consumed. */
struct pr_in {
    int fd;
    bool seekable;   /* pread at offset; else read */
    unsigned char *buf;
    size_t pos, len;
    uint64_t offset; /* input offset of buf[pos] */
    uint64_t left;   /* bytes still to take from fd (UINT64_MAX: up to its end) */
    bool end;        /* fd has nothing more, or left is 0 */
};

/* A record waiting in the queue; its bytes are at arena + at (8-byte aligned). */
struct pr_qent {
    uint64_t key;  /* sort key: its time, or the time processed up to when it has none or is late */
    uint64_t seq;  /* input order: ties keep it */
    uint64_t time;
    uint64_t offset;
    size_t at;
    int attr;
};

/* Records waiting to be returned in time order (perf's ordered events). A FINISHED_ROUND lets
 * every record up to the latest time of the round before go; ents[0 .. ready) are sorted and may
 * be returned, the others wait. */
struct pr_queue {
    struct pr_qent *ents;
    size_t n, cap;
    size_t ready, pos;
    unsigned char *arena, *spare; /* record bytes; spare receives the waiting ones at compaction */
    size_t used, cap_arena, cap_spare;
    uint64_t seq;
    uint64_t done;      /* records up to this time were let go */
    uint64_t max_time;  /* the latest time queued */
    uint64_t round_max; /* max_time at the last FINISHED_ROUND */
    uint64_t late;      /* records that came after later ones had been let go */
};

/* What was skipped, said once at the end of the records. */
struct pr_skips {
    uint64_t malformed;
    char malformed_first[200];
    uint64_t frames; /* compressed records that could not be decompressed */
    char frames_first[200];
    uint64_t late_attrs;
    bool cut;        /* the input ended inside a record */
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
    bool stream;        /* pipe mode: attributes and features arrive as records */
    bool unfinished;    /* file mode, data size 0: records run to the end of the file */
    bool frozen;        /* the attributes are complete: records can be classified */
    struct dec_format *fmts;      /* per attr */
    struct pr_id_entry *id_index; /* every id of every attr, sorted, for pr_attr_index */
    size_t nid_index;
    /* reading */
    uint64_t data_start; /* input offset of the first record */
    struct pr_in in;
    struct pr_queue q;
    bool started, replay, eof, told;
    struct comp_decoder *zdec;
    unsigned char *zin;  /* the payload of the COMPRESSED record being decompressed */
    size_t zin_len, zin_pos;
    uint64_t zin_offset;
    bool zactive;
    unsigned char *dbuf; /* decompressed bytes; [0, dlen) the start of a record not complete yet */
    size_t dlen;
    struct pr_skips skips;
};

struct pr_iter {
    struct pr_file *f;
};

/* ---- errors ---- */

/* Whether [off, off + size) lies inside a file of file_size bytes. */
static bool pr_inside(uint64_t off, uint64_t size, uint64_t file_size)
{
    return off <= file_size && size <= file_size - off;
}

/* The error for a section [off, off + size) that does not fit in the file. Returns -1. */
static int pr_err_section(struct hw_err *err, const struct pr_file *f, const char *what,
                          uint64_t off, uint64_t size)
{
    uint64_t end;
    if (__builtin_add_overflow(off, size, &end))
        return hw_errf(
            err, "%s: %s has offset %" PRIu64 " and size %" PRIu64 ", beyond any file; " PR_CORRUPT,
            f->path, what, off, size);
    return hw_errf(err,
                   "%s: truncated: %s ends at byte %" PRIu64 " but the file has %" PRIu64 " bytes",
                   f->path, what, end, f->info.file_size);
}

/* Counts a skipped malformed record; the first one's reason is kept for the final warning. */
static void pr_skip_malformed(struct pr_file *f, uint64_t offset, const char *why)
{
    if (f->skips.malformed++ == 0)
        snprintf(f->skips.malformed_first, sizeof(f->skips.malformed_first),
                 "at byte %" PRIu64 ": %.150s", offset, why);
}

/* ---- input ---- */

/* Reads whole bytes at the file position (regular files) or from the stream. Returns the count
 * (0 at the end), or -1 with errno. */
static ssize_t pr_read_some(struct pr_in *in, void *p, size_t n, uint64_t at)
{
    for (;;) {
        ssize_t r = in->seekable ? pread(in->fd, p, n, (off_t)at) : read(in->fd, p, n);
        if (r >= 0 || errno != EINTR)
            return r;
    }
}

/* Makes at least need (<= PR_IN_SIZE) unconsumed bytes available unless the input ends first.
 * Returns the bytes available (may be < need at the end), or -1 with err. */
static long pr_in_fill(struct pr_file *f, size_t need, struct hw_err *err)
{
    struct pr_in *in = &f->in;
    if (in->len - in->pos >= need || in->end)
        return (long)(in->len - in->pos);
    if (in->pos > 0) {
        memmove(in->buf, in->buf + in->pos, in->len - in->pos);
        in->len -= in->pos;
        in->pos = 0;
    }
    while (in->len < need && !in->end) {
        size_t want = PR_IN_SIZE - in->len;
        if (want > in->left)
            want = (size_t)in->left;
        ssize_t r = pr_read_some(in, in->buf + in->len, want, in->offset + in->len);
        if (r < 0) {
            if (errno == EAGAIN) { /* a non-blocking pipe: wait for the writer */
                struct pollfd p = {.fd = in->fd, .events = POLLIN};
                poll(&p, 1, -1);
                continue;
            }
            return hw_errf_errno(err, errno, "cannot read %s", f->path);
        }
        if (r == 0) {
            in->end = true;
            break;
        }
        in->len += (size_t)r;
        if (in->left != UINT64_MAX)
            in->left -= (uint64_t)r;
        in->end = in->left == 0;
    }
    return (long)(in->len - in->pos);
}

static void pr_in_consume(struct pr_in *in, size_t n)
{
    in->pos += n;
    in->offset += n;
}

/* Skips n bytes of input (the payload after an AUXTRACE or TRACING_DATA record). Returns true,
 * or false when the input ends first. */
static bool pr_in_skip(struct pr_file *f, uint64_t n, struct hw_err *err, int *rc)
{
    *rc = 0;
    while (n > 0) {
        long avail = pr_in_fill(f, 1, err);
        if (avail < 0) {
            *rc = -1;
            return false;
        }
        if (avail == 0)
            return false;
        size_t k = (uint64_t)avail < n ? (size_t)avail : (size_t)n;
        pr_in_consume(&f->in, k);
        n -= k;
    }
    return true;
}

/* Positions the input at the first record (again). */
static void pr_in_rewind(struct pr_file *f)
{
    struct pr_in *in = &f->in;
    in->pos = in->len = 0;
    in->offset = f->data_start;
    in->left = f->stream || f->unfinished ? UINT64_MAX : f->info.data_size;
    in->end = in->left == 0;
}

/* ---- open, header ---- */

/* Opens path ("-": standard input). Regular files are read with pread; standard input may also be
 * a pipe. Sets info.file_size (0 for a stream). Returns 0 or -1 with err. */
static int pr_open_input(struct pr_file *f, const char *path, struct hw_err *err)
{
    struct stat st;
    bool std_in = strcmp(path, "-") == 0;
    if (std_in) {
        f->fd = STDIN_FILENO;
        if (isatty(f->fd))
            return hw_errf(err, "standard input is a terminal: pipe a recording into it "
                                "('hwprof record -o - ... | hwprof report -i -'), or give a file");
    } else {
        f->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (f->fd < 0) {
            int e = errno;
            return hw_errf(err, "cannot open %s: %s%s", f->path, strerror(e),
                           e == EACCES ? " (check the file's permissions)" : "");
        }
        f->own_fd = true;
    }
    if (fstat(f->fd, &st) < 0)
        return hw_errf_errno(err, errno, "cannot stat %s", f->path);
    if (S_ISDIR(st.st_mode))
        return hw_errf(err, "%s is a directory, not a perf.data file; give the file's path",
                       f->path);
    f->in.fd = f->fd;
    f->in.seekable = S_ISREG(st.st_mode);
    if (!f->in.seekable && !std_in)
        return hw_errf(err,
                       "%s is not a regular file; read a recording from a file, or a pipe-mode "
                       "stream from standard input (-i -)",
                       f->path);
    if (f->in.seekable && st.st_size == 0)
        return hw_errf(err, "%s is empty, not a perf.data file (did the recording fail?)", f->path);
    f->info.file_size = f->in.seekable ? (uint64_t)st.st_size : 0;
    return 0;
}

/* Reads the first n bytes (the header) into buf. Returns the count read (< n at the end of the
 * input), or -1 with err. */
static long pr_read_head(struct pr_file *f, void *buf, size_t n, struct hw_err *err)
{
    f->in.offset = 0;
    f->in.left = UINT64_MAX;
    long avail = pr_in_fill(f, n, err);
    if (avail < 0)
        return -1;
    size_t k = (size_t)avail < n ? (size_t)avail : n;
    memcpy(buf, f->in.buf + f->in.pos, k);
    return (long)k;
}

/* Checks the magic and the header size; a pipe-mode header (16 bytes) makes f a stream, else the
 * whole file header is read into *h. Returns 0 or -1 with err. */
static int pr_check_header(struct pr_file *f, struct pf_file_header *h, struct hw_err *err)
{
    static const char v1_magic[8] = {'P', 'E', 'R', 'F', 'F', 'I', 'L', 'E'};
    unsigned char head[PF_HEADER_SIZE];
    long n = pr_read_head(f, head, sizeof(head), err);
    uint64_t magic, hsize;

    if (n < 0)
        return -1;
    if (n == 0 && !f->in.seekable)
        return hw_errf(err, "%s is empty, not a perf.data stream (did the recording fail?)",
                       f->path);
    if (n < 8)
        return hw_errf(err, "%s is too short (%ld bytes) to be a perf.data file", f->path, n);
    memcpy(&magic, head, 8);
    if (magic == __builtin_bswap64(PF_MAGIC))
        return hw_errf(err, "%s: big-endian perf.data files are not supported", f->path);
    if (memcmp(head, v1_magic, 8) == 0)
        return hw_errf(err,
                       "%s: perf.data version 1 is not supported; re-record it with a newer perf",
                       f->path);
    if (magic != PF_MAGIC) {
        if (memcmp(head, "PERFILE", 7) == 0)
            return hw_errf(err,
                           "%s: unsupported perf.data version '%c' (only PERFILE2 is supported)",
                           f->path, head[7] >= 0x20 && head[7] < 0x7f ? head[7] : '?');
        return hw_errf(err, "%s is not a perf.data file (it does not start with PERFILE2)",
                       f->path);
    }
    if (n < (long)PF_PIPE_HEADER_SIZE)
        return hw_errf(err, "%s: truncated: the header needs %u bytes but the file has %ld bytes",
                       f->path, PF_HEADER_SIZE, n);
    memcpy(&hsize, head + 8, 8);
    if (hsize == PF_PIPE_HEADER_SIZE) {
        f->stream = true;
        f->data_start = PF_PIPE_HEADER_SIZE;
        f->info.data_offset = PF_PIPE_HEADER_SIZE;
        return 0;
    }
    if (hsize < PF_HEADER_SIZE)
        return hw_errf(err, "%s: perf.data header size %" PRIu64 " is smaller than %u; " PR_CORRUPT,
                       f->path, hsize, PF_HEADER_SIZE);
    if (!f->in.seekable)
        return hw_errf(err,
                       "%s holds a perf.data file, which cannot be read from a pipe: give its name "
                       "with -i FILE, or record in pipe mode (-o -)",
                       f->path);
    if (n < (long)PF_HEADER_SIZE)
        return hw_errf(err, "%s: truncated: the header needs %u bytes but the file has %ld bytes",
                       f->path, PF_HEADER_SIZE, n);
    memcpy(h, head, sizeof(*h));
    if (h->attr_size < PR_ATTR_MIN || h->attr_size > PR_ATTR_MAX)
        return hw_errf(err,
                       "%s: unsupported attribute size %" PRIu64 " (expected %u to %u bytes); "
                       "the file is corrupt or from an incompatible perf",
                       f->path, h->attr_size, PR_ATTR_MIN, PR_ATTR_MAX);
    return 0;
}

/* Reads size bytes at offset of the file into a new buffer. Returns it, or NULL with err. */
static unsigned char *pr_pread_alloc(struct pr_file *f, uint64_t offset, uint64_t size,
                                     struct hw_err *err)
{
    unsigned char *p = malloc(size ? (size_t)size : 1);
    if (!p) {
        hw_err_oom(err);
        return NULL;
    }
    for (uint64_t got = 0; got < size;) {
        ssize_t r = pr_read_some(&f->in, p + got, (size_t)(size - got), offset + got);
        if (r <= 0) {
            if (r == 0)
                hw_errf(err, "%s: the file shrank while it was read", f->path);
            else
                hw_errf_errno(err, errno, "cannot read %s", f->path);
            free(p);
            return NULL;
        }
        got += (uint64_t)r;
    }
    return p;
}

/* ---- attributes and ids ---- */

/* Copies an on-disk attr of `body` bytes into a: zero-extended, or truncated when the extra bytes
 * are 0. Returns 0, or -1 with err when they are not. */
static int pr_copy_attr(const struct pr_file *f, size_t i, const unsigned char *p, uint64_t body,
                        struct pf_attr *a, struct hw_err *err)
{
    size_t keep = body < sizeof(a->attr) ? (size_t)body : sizeof(a->attr);
    memset(&a->attr, 0, sizeof(a->attr));
    memcpy(&a->attr, p, keep);
    for (uint64_t k = keep; k < body; k++)
        if (p[k] != 0)
            return hw_errf(err,
                           "%s: event attribute %zu sets fields unknown to hwprof (byte %" PRIu64
                           " of %" PRIu64 "); it needs a newer hwprof",
                           f->path, i, k, body);
    a->attr.size = sizeof(a->attr);
    return 0;
}

/* Sets a's ids from n bytes (a multiple of 8; else the rest is ignored with a warning). */
static int pr_set_ids(struct pr_file *f, size_t i, struct pf_attr *a, const unsigned char *p,
                      uint64_t n, struct hw_err *err)
{
    if (n % 8 != 0)
        hw_warnf(&f->warn,
                 "%s: the ids of event attribute %zu take %" PRIu64
                 " bytes, not a multiple of 8; the last %" PRIu64 " bytes are ignored",
                 f->path, i, n, n % 8);
    a->nids = (size_t)(n / 8);
    if (a->nids == 0)
        return 0;
    a->ids = malloc(a->nids * sizeof(*a->ids));
    if (!a->ids)
        return hw_err_oom(err);
    memcpy(a->ids, p, a->nids * sizeof(*a->ids));
    return 0;
}

static int pr_read_attrs(struct pr_file *f, const struct pf_file_header *h, struct hw_err *err)
{
    const uint64_t asz = h->attr_size;
    const uint64_t body = asz - sizeof(struct pf_section);

    if (!pr_inside(h->attrs.offset, h->attrs.size, f->info.file_size))
        return pr_err_section(err, f, "the attrs section", h->attrs.offset, h->attrs.size);
    if (h->attrs.size == 0)
        return hw_errf(err, "%s has no event attributes; " PR_CORRUPT, f->path);
    if (h->attrs.size % asz != 0)
        return hw_errf(err,
                       "%s: the attrs section (%" PRIu64
                       " bytes) is not a multiple of the attribute size %" PRIu64 "; " PR_CORRUPT,
                       f->path, h->attrs.size, asz);
    size_t n = (size_t)(h->attrs.size / asz); /* <= file_size / 80 */
    unsigned char *raw = pr_pread_alloc(f, h->attrs.offset, h->attrs.size, err);
    if (!raw)
        return -1;
    f->env.attrs = calloc(n, sizeof(*f->env.attrs));
    int rc = f->env.attrs ? 0 : hw_err_oom(err);
    if (rc == 0)
        f->env.nattrs = n;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct pf_attr *a = &f->env.attrs[i];
        const unsigned char *p = raw + i * asz;
        struct pf_section ids;
        memcpy(&ids, p + body, sizeof(ids));
        char what[64];
        snprintf(what, sizeof(what), "the ids section of event attribute %zu", i);
        if (pr_copy_attr(f, i, p, body, a, err) < 0)
            rc = -1;
        else if (!pr_inside(ids.offset, ids.size, f->info.file_size))
            rc = pr_err_section(err, f, what, ids.offset, ids.size);
        else {
            unsigned char *idp = pr_pread_alloc(f, ids.offset, ids.size, err);
            rc = idp ? pr_set_ids(f, i, a, idp, ids.size, err) : -1;
            free(idp);
        }
    }
    free(raw);
    return rc;
}

/* A HEADER_ATTR record of a stream: the attr (attr.size bytes), then its ids. */
static int pr_stream_attr(struct pr_file *f, const unsigned char *rec, size_t len,
                          uint64_t offset, struct hw_err *err)
{
    uint32_t asz;
    if (len < 8 + 8 || (memcpy(&asz, rec + 8 + 4, 4), asz < PERF_ATTR_SIZE_VER0) ||
        asz > PR_ATTR_MAX || asz > len - 8)
        return hw_errf(err,
                       "%s: the event attribute record at byte %" PRIu64
                       " has a bad size; " PR_CORRUPT,
                       f->path, offset);
    size_t i = f->env.nattrs;
    if (hw_grow(&f->env.attrs, &f->cap_attrs, i + 1, sizeof(*f->env.attrs)) < 0)
        return hw_err_oom(err);
    struct pf_attr *a = &f->env.attrs[i];
    memset(a, 0, sizeof(*a));
    f->env.nattrs++;
    if (pr_copy_attr(f, i, rec + 8, asz, a, err) < 0)
        return -1;
    return pr_set_ids(f, i, a, rec + 8 + asz, len - 8 - asz, err);
}

static int pr_id_cmp(const void *pa, const void *pb)
{
    const struct pr_id_entry *a = pa, *b = pb;
    if (a->id != b->id)
        return a->id < b->id ? -1 : 1;
    return a->attr < b->attr ? -1 : a->attr > b->attr;
}

/* Builds the sorted id -> attr index; an id listed for two attributes is an error. */
static int pr_index_ids(struct pr_file *f, struct hw_err *err)
{
    size_t total = 0;
    for (size_t i = 0; i < f->env.nattrs; i++)
        total += f->env.attrs[i].nids; /* bounded by the input size / 8 */
    if (total == 0)
        return 0;
    f->id_index = malloc(total * sizeof(*f->id_index));
    if (!f->id_index)
        return hw_err_oom(err);
    size_t k = 0;
    for (size_t i = 0; i < f->env.nattrs; i++)
        for (size_t j = 0; j < f->env.attrs[i].nids; j++)
            f->id_index[k++] = (struct pr_id_entry){f->env.attrs[i].ids[j], i};
    qsort(f->id_index, total, sizeof(*f->id_index), pr_id_cmp);
    for (size_t i = 1; i < total; i++) {
        const struct pr_id_entry *a = &f->id_index[i - 1], *b = &f->id_index[i];
        if (a->id == b->id && a->attr != b->attr)
            return hw_errf(err,
                           "%s: event id %" PRIu64
                           " is listed for event attributes %zu and %zu; " PR_CORRUPT,
                           f->path, a->id, a->attr, b->attr);
    }
    f->nid_index = total;
    return 0;
}

/* With several attributes, records are attributed by their id, so every attribute must put the
 * id at the same place: the same sample_id_all, and either IDENTIFIER everywhere or ID with the
 * same preceding (and, in the trailer, following) fields. */
static int pr_check_id_layout(const struct pr_file *f, struct hw_err *err)
{
    const uint64_t sample_pos =
        PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_ADDR | PERF_SAMPLE_ID;
    const uint64_t trailer_pos = PERF_SAMPLE_STREAM_ID | PERF_SAMPLE_CPU;

    if (f->env.nattrs <= 1)
        return 0;
    const struct perf_event_attr *a0 = &f->env.attrs[0].attr;
    bool ident = (a0->sample_type & PERF_SAMPLE_IDENTIFIER) != 0;
    if (!ident && !(a0->sample_type & PERF_SAMPLE_ID))
        return hw_errf(err,
                       "%s has %zu events but its records carry no event id (PERF_SAMPLE_ID or "
                       "IDENTIFIER), so they cannot be attributed to events",
                       f->path, f->env.nattrs);
    uint64_t mask = sample_pos | (a0->sample_id_all ? trailer_pos : 0);
    for (size_t i = 1; i < f->env.nattrs; i++) {
        const struct perf_event_attr *a = &f->env.attrs[i].attr;
        bool same = a->sample_id_all == a0->sample_id_all &&
                    ((a->sample_type & PERF_SAMPLE_IDENTIFIER) != 0) == ident &&
                    (ident || (a->sample_type & mask) == (a0->sample_type & mask));
        if (!same)
            return hw_errf(err,
                           "%s: attributes disagree on the sample id layout (events 0 and %zu), "
                           "so records cannot be attributed to events",
                           f->path, i);
    }
    return 0;
}

/* ---- names ---- */

static const char *const pr_hw_names[] = {
    "cycles",
    "instructions",
    "cache-references",
    "cache-misses",
    "branches",
    "branch-misses",
    "bus-cycles",
    "stalled-cycles-frontend",
    "stalled-cycles-backend",
    "ref-cycles",
};

static const char *const pr_sw_names[] = {
    "cpu-clock",        "task-clock",   "page-faults",  "context-switches",
    "cpu-migrations",   "minor-faults", "major-faults", "alignment-faults",
    "emulation-faults", "dummy",        "bpf-output",   "cgroup-switches",
};

static char *pr_derive_name(const struct perf_event_attr *a)
{
    char buf[96];
    if (a->type == PERF_TYPE_HARDWARE && a->config < HW_ARRAY_SIZE(pr_hw_names))
        return hw_strdup(pr_hw_names[a->config]);
    if (a->type == PERF_TYPE_SOFTWARE && a->config < HW_ARRAY_SIZE(pr_sw_names))
        return hw_strdup(pr_sw_names[a->config]);
    if (a->type == PERF_TYPE_RAW)
        snprintf(buf, sizeof(buf), "raw 0x%" PRIx64, (uint64_t)a->config);
    else
        snprintf(buf, sizeof(buf), "type %" PRIu32 " config 0x%" PRIx64, a->type,
                 (uint64_t)a->config);
    return hw_strdup(buf);
}

static int pr_name_attrs(struct pr_file *f, struct hw_err *err)
{
    for (size_t i = 0; i < f->env.nattrs; i++) {
        if (f->env.attrs[i].name)
            continue;
        f->env.attrs[i].name = pr_derive_name(&f->env.attrs[i].attr);
        if (!f->env.attrs[i].name)
            return hw_err_oom(err);
    }
    return 0;
}


/* Makes the attributes final: ids indexed, their layout checked, every attr named, formats. */
static int pr_freeze(struct pr_file *f, struct hw_err *err)
{
    if (f->env.nattrs == 0)
        return hw_errf(err, "%s has no event attributes before its first record; " PR_CORRUPT,
                       f->path);
    if (pr_index_ids(f, err) < 0 || pr_check_id_layout(f, err) < 0 || pr_name_attrs(f, err) < 0)
        return -1;
    f->fmts = calloc(f->env.nattrs, sizeof(*f->fmts));
    if (!f->fmts)
        return hw_err_oom(err);
    for (size_t i = 0; i < f->env.nattrs; i++)
        dec_format_from_attr(&f->fmts[i], &f->env.attrs[i].attr);
    f->frozen = true;
    return 0;
}

/* ---- records: classification ---- */

/* The time and attr of a kernel record. Returns 0, or -1 with *why when it is malformed (too short
 * for its id, its sample fields or its sample_id trailer). */
static int pr_classify(const struct pr_file *f, const unsigned char *rec, size_t len,
                       uint64_t *time, int *attr, struct hw_err *why)
{
    struct perf_event_header h;
    struct dec_format fmt = f->fmts[0];
    int idx = 0;

    memcpy(&h, rec, sizeof(h));
    *time = 0;
    *attr = -1;
    if (h.type != PERF_RECORD_SAMPLE && !fmt.sample_id_all)
        return 0;
    if (f->env.nattrs > 1) {
        uint64_t id;
        int r = dec_record_id(&fmt, rec, len, &id);
        if (r < 0)
            return hw_errf(why, "a record of type %" PRIu32 " (%zu bytes) is too short for its event id",
                           h.type, len);
        idx = r == 0 ? pr_attr_index(f, id) : -1;
        if (idx < 0 && r == 0 && id == 0)
            idx = 0; /* perf synthesizes side-band records (from /proc) with id 0 */
        if (idx < 0)
            return 0; /* an id no attribute lists: returned unattributed, the caller counts it */
        fmt = f->fmts[idx];
    }
    *attr = idx;
    if (h.type == PERF_RECORD_SAMPLE) {
        struct dec_sample s;
        if (!(fmt.sample_type & PERF_SAMPLE_TIME))
            return 0;
        /* Only the fields up to the time: no alignment or callchain checks needed here. */
        fmt.sample_type &=
            PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME;
        fmt.read_format = 0;
        if (dec_sample(&fmt, rec, len, &s, why) < 0)
            return -1;
        *time = s.time;
    } else {
        struct dec_sample_id sid;
        if (dec_trailer(&fmt, rec, len, &sid, why) < 0)
            return -1;
        *time = sid.time;
    }
    return 0;
}

/* ---- records: the time-ordered queue ---- */

static int pr_qent_cmp(const void *pa, const void *pb)
{
    const struct pr_qent *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Copies a kernel record into the queue. Returns 0 or -1 with err (out of memory). */
static int pr_queue_record(struct pr_file *f, const unsigned char *rec, size_t len,
                           uint64_t offset, struct hw_err *err)
{
    struct pr_queue *q = &f->q;
    struct hw_err why;
    uint64_t time;
    int attr;
    if (pr_classify(f, rec, len, &time, &attr, &why) < 0) {
        pr_skip_malformed(f, offset, why.msg);
        return 0;
    }
    size_t at = (size_t)HW_ALIGN(q->used, 8);
    if (hw_grow(&q->arena, &q->cap_arena, at + len, 1) < 0 ||
        hw_grow(&q->ents, &q->cap, q->n + 1, sizeof(*q->ents)) < 0)
        return hw_err_oom(err);
    memcpy(q->arena + at, rec, len);
    q->used = at + len;
    uint64_t key = time;
    if (time < q->done) {
        key = q->done; /* no time, or later than its turn: next in line */
        q->late += time != 0;
    }
    q->ents[q->n++] = (struct pr_qent){key, q->seq++, time, offset, at, attr};
    if (time > q->max_time)
        q->max_time = time;
    return 0;
}

/* Sorts the queue and lets every record up to time limit go (ready). */
static void pr_release(struct pr_queue *q, uint64_t limit)
{
    if (q->n)
        qsort(q->ents, q->n, sizeof(*q->ents), pr_qent_cmp);
    size_t last = hw_bsearch_le(q->ents, q->n, sizeof(*q->ents), offsetof(struct pr_qent, key),
                                limit);
    q->ready = last == q->n ? 0 : last + 1;
    q->pos = 0;
    if (limit > q->done && limit != UINT64_MAX)
        q->done = limit;
}

/* Lets the older half of the queue go: the bound on memory for input without rounds (or with
 * rounds larger than PR_QUEUE_MAX); a record older than what went is then taken in late. */
static void pr_release_half(struct pr_queue *q)
{
    qsort(q->ents, q->n, sizeof(*q->ents), pr_qent_cmp); /* n > 0: the queue is full */
    pr_release(q, q->ents[q->n / 2].key);
}

/* FINISHED_ROUND: every record up to the latest time of the round before may go, as perf does
 * (a buffer drained in this round may still hold records older than this round's latest). */
static void pr_round(struct pr_queue *q)
{
    uint64_t limit = q->round_max;
    q->round_max = q->max_time;
    pr_release(q, limit);
}

/* Drops the records returned and moves the waiting ones to the start of the other arena. Returns
 * 0 or -1 with err (out of memory). */
static int pr_compact(struct pr_queue *q, struct hw_err *err)
{
    size_t need = 0;
    for (size_t i = q->ready; i < q->n; i++)
        need = (size_t)HW_ALIGN(need, 8) + ((const struct perf_event_header *)(const void *)(q->arena + q->ents[i].at))->size;
    if (hw_grow(&q->spare, &q->cap_spare, need ? need : 1, 1) < 0)
        return hw_err_oom(err);
    size_t used = 0;
    for (size_t i = q->ready; i < q->n; i++) {
        struct pr_qent *e = &q->ents[i];
        uint16_t size = ((const struct perf_event_header *)(const void *)(q->arena + e->at))->size;
        used = (size_t)HW_ALIGN(used, 8);
        memcpy(q->spare + used, q->arena + e->at, size);
        e->at = used;
        used += size;
    }
    memmove(q->ents, q->ents + q->ready, (q->n - q->ready) * sizeof(*q->ents));
    q->n -= q->ready;
    q->ready = q->pos = 0;
    unsigned char *t = q->arena;
    size_t tc = q->cap_arena;
    q->arena = q->spare;
    q->cap_arena = q->cap_spare;
    q->spare = t;
    q->cap_spare = tc;
    q->used = used;
    return 0;
}

/* ---- records: dispatch ---- */

/* EVENT_UPDATE of type NAME names the attr with that id, unless it has a name. */
static int pr_event_update(struct pr_file *f, const unsigned char *rec, size_t len)
{
    struct cur c = cur_make(rec, len);
    uint64_t type, id;
    const char *name;
    if (!cur_skip(&c, 8) || !cur_u64(&c, &type) || !cur_u64(&c, &id) || type != PF_EVENT_UPDATE_NAME ||
        !cur_cstr(&c, &name))
        return 0;
    for (size_t i = 0; i < f->env.nattrs; i++) {
        struct pf_attr *a = &f->env.attrs[i];
        for (size_t k = 0; k < a->nids && !a->name; k++)
            if (a->ids[k] == id && !(a->name = hw_strdup(name)))
                return -1;
    }
    return 0;
}

/* Starts decompressing a COMPRESSED record: its payload is kept until it is used up. */
static int pr_start_compressed(struct pr_file *f, const unsigned char *rec, size_t len,
                               uint64_t offset, struct hw_err *err)
{
    if (!f->zdec && comp_decoder_new(&f->zdec, err) < 0)
        return -1;
    if (!f->zin && !(f->zin = malloc(PF_MAX_RECORD)))
        return hw_err_oom(err);
    if (!f->dbuf && !(f->dbuf = malloc(PR_DEC_SIZE)))
        return hw_err_oom(err);
    f->zin_len = len - 8;
    memcpy(f->zin, rec + 8, f->zin_len);
    f->zin_pos = 0;
    f->zin_offset = offset;
    f->zactive = true;
    return 0;
}

/* Handles one record: kernel records join the queue, perf's own are used or ignored. inner: it
 * came out of a COMPRESSED record. Returns 0, or -1 with err. */
static int pr_dispatch(struct pr_file *f, const unsigned char *rec, size_t len, uint64_t offset,
                       bool inner, struct hw_err *err)
{
    struct perf_event_header h;
    memcpy(&h, rec, sizeof(h));
    if (h.type < PF_RECORD_USER_START)
        return pr_queue_record(f, rec, len, offset, err);
    bool first = !f->replay; /* header records were taken in on the first read */
    switch (h.type) {
    case PF_RECORD_FINISHED_ROUND:
        pr_round(&f->q);
        return 0;
    case PF_RECORD_COMPRESSED:
        if (inner) {
            pr_skip_malformed(f, offset, "a COMPRESSED record inside a compressed record");
            return 0;
        }
        return pr_start_compressed(f, rec, len, offset, err);
    case PF_RECORD_HEADER_ATTR:
        f->skips.late_attrs += first && f->stream;
        return 0;
    case PF_RECORD_HEADER_FEATURE: {
        uint64_t id;
        if (first && len >= 16) {
            memcpy(&id, rec + 8, 8);
            if (id < PF_FEAT_BITS)
                pf_read_feature(&f->env, (int)id, rec + 16, len - 16);
        }
        return 0;
    }
    case PF_RECORD_HEADER_BUILD_ID:
        if (first && pf_read_build_id_record(&f->env, rec, len) < 0)
            pr_skip_malformed(f, offset, "a malformed build-id record");
        return 0;
    case PF_RECORD_EVENT_UPDATE:
        return first && pr_event_update(f, rec, len) < 0 ? hw_err_oom(err) : 0;
    default:
        return 0; /* perf's other records say nothing hwprof needs */
    }
}

/* A compressed record that cannot be decompressed: counted; the stream starts over. */
static void pr_bad_frame(struct pr_file *f, const char *why)
{
    if (f->skips.frames++ == 0)
        snprintf(f->skips.frames_first, sizeof(f->skips.frames_first),
                 "at byte %" PRIu64 ": %.150s", f->zin_offset, why);
    comp_decoder_reset(f->zdec);
    f->dlen = 0;
    f->zactive = false;
}

/* One step of decompression: up to PR_DEC_SIZE bytes, and the whole records among them
 * dispatched. Returns 0 or -1 with err. */
static int pr_decompress_step(struct pr_file *f, struct hw_err *err)
{
    struct hw_err why;
    long got = comp_decode(f->zdec, f->zin, f->zin_len, &f->zin_pos, f->dbuf + f->dlen,
                           PR_DEC_SIZE - f->dlen, &why);
    if (got < 0) {
        pr_bad_frame(f, why.msg);
        return 0;
    }
    if (got == 0 && f->zin_pos == f->zin_len)
        f->zactive = false; /* all in; a record may continue in the next COMPRESSED record */
    f->dlen += (size_t)got;
    size_t off = 0;
    while (f->dlen - off >= sizeof(struct perf_event_header)) {
        struct perf_event_header h;
        memcpy(&h, f->dbuf + off, sizeof(h));
        if (h.size < sizeof(h) || h.type == PF_RECORD_AUXTRACE ||
            h.type == PF_RECORD_HEADER_TRACING_DATA) {
            pr_bad_frame(f, "its records are garbled");
            return 0;
        }
        if (h.size > f->dlen - off)
            break;
        if (pr_dispatch(f, f->dbuf + off, h.size, f->zin_offset, true, err) < 0)
            return -1;
        off += h.size;
    }
    memmove(f->dbuf, f->dbuf + off, f->dlen - off);
    f->dlen -= off;
    return 0;
}

/* The input ended inside a record at input offset at. */
static void pr_cut(struct pr_file *f, uint64_t at)
{
    if (!f->skips.cut) {
        f->skips.cut = true;
        f->skips.cut_at = at;
    }
}

/* Reads the next record of the input (not consuming it when peek). Returns 1 with *rec, *len set
 * (valid until the next input call), 0 at the end of the input, -1 with err. */
static int pr_next_raw(struct pr_file *f, const unsigned char **rec, size_t *len, struct hw_err *err)
{
    struct perf_event_header h;
    uint64_t at = f->in.offset;
    long avail = pr_in_fill(f, sizeof(h), err);
    if (avail <= 0)
        return (int)avail;
    bool bounded = !f->stream && !f->unfinished; /* a finished file's data section */
    if ((size_t)avail < sizeof(h)) {
        if (bounded)
            return hw_errf(err,
                           "%s: record at byte %" PRIu64
                           " runs past the end of the data section (%ld bytes left); " PR_CORRUPT,
                           f->path, at, avail);
        pr_cut(f, at);
        return 0;
    }
    memcpy(&h, f->in.buf + f->in.pos, sizeof(h));
    if (h.size == 0)
        return hw_errf(err, "%s: record at byte %" PRIu64 " has size 0; " PR_CORRUPT, f->path, at);
    if (h.size < sizeof(h))
        return hw_errf(err,
                       "%s: record at byte %" PRIu64
                       " has size %u, smaller than its 8-byte header; " PR_CORRUPT,
                       f->path, at, h.size);
    if (h.type >= PR_TYPE_MAX)
        return hw_errf(err, "%s: record at byte %" PRIu64 " has type %" PRIu32 ", which no perf "
                            "writes; " PR_CORRUPT, f->path, at, h.type);
    avail = pr_in_fill(f, h.size, err);
    if (avail < 0)
        return -1;
    if ((size_t)avail < h.size) {
        if (bounded)
            return hw_errf(err,
                           "%s: record at byte %" PRIu64 " (type %" PRIu32 ", %u bytes) runs past "
                           "the end of the data section (%ld bytes left); " PR_CORRUPT,
                           f->path, at, h.type, h.size, avail);
        pr_cut(f, at);
        return 0;
    }
    *rec = f->in.buf + f->in.pos;
    *len = h.size;
    return 1;
}

/* The bytes that follow an AUXTRACE or TRACING_DATA record and that its size does not count. */
static uint64_t pr_payload(const unsigned char *rec, size_t len)
{
    struct perf_event_header h;
    memcpy(&h, rec, sizeof(h));
    if (h.type == PF_RECORD_AUXTRACE && len >= 16) {
        uint64_t n;
        memcpy(&n, rec + 8, 8);
        return n;
    }
    if (h.type == PF_RECORD_HEADER_TRACING_DATA && len >= 12) {
        uint32_t n;
        memcpy(&n, rec + 8, 4);
        return n;
    }
    return 0;
}

/* Consumes the record returned by pr_next_raw and its payload. Returns 0, or -1 with err. */
static int pr_consume(struct pr_file *f, size_t len, uint64_t payload, struct hw_err *err)
{
    uint64_t at = f->in.offset;
    int rc;
    pr_in_consume(&f->in, len);
    if (payload && !pr_in_skip(f, payload, err, &rc)) {
        if (rc < 0)
            return -1;
        if (!f->stream && !f->unfinished)
            return hw_errf(err,
                           "%s: the record at byte %" PRIu64 " has a payload of %" PRIu64
                           " bytes that runs past the end of the data section; " PR_CORRUPT,
                           f->path, at, payload);
        pr_cut(f, at);
    }
    return 0;
}

/* One step of reading: a piece of decompression, or the next record of the input. Returns 1, or
 * 0 at the end of the input, -1 with err. */
static int pr_step(struct pr_file *f, struct hw_err *err)
{
    if (f->zactive)
        return pr_decompress_step(f, err) < 0 ? -1 : 1;
    const unsigned char *rec;
    size_t len;
    int r = pr_next_raw(f, &rec, &len, err);
    if (r <= 0)
        return r;
    uint64_t at = f->in.offset, payload = pr_payload(rec, len);
    /* the record stays in the input buffer until consumed: dispatch copies what it keeps */
    if (pr_dispatch(f, rec, len, at, false, err) < 0)
        return -1;
    return pr_consume(f, len, payload, err) < 0 ? -1 : 1;
}

/* Whether a stream record of this type is part of its header (before the first data record). */
static bool pr_is_header_record(uint32_t type)
{
    switch (type) {
    case PF_RECORD_HEADER_ATTR:
    case PF_RECORD_HEADER_EVENT_TYPE:
    case PF_RECORD_HEADER_TRACING_DATA:
    case PF_RECORD_HEADER_BUILD_ID:
    case PF_RECORD_ID_INDEX:
    case PF_RECORD_AUXTRACE_INFO:
    case PF_RECORD_EVENT_UPDATE:
    case PF_RECORD_HEADER_FEATURE:
    case 73: /* THREAD_MAP */
    case 74: /* CPU_MAP */
    case 75: /* STAT_CONFIG */
    case 79: /* TIME_CONV */
        return true;
    default:
        return false;
    }
}

/* A stream's header: the records up to the first data record (left in the input), which carry the
 * attributes and features. Returns 0 or -1 with err. */
static int pr_read_stream_header(struct pr_file *f, struct hw_err *err)
{
    if (f->in.seekable)
        pr_in_rewind(f);
    else
        pr_in_consume(&f->in, PF_PIPE_HEADER_SIZE); /* read already: keep the rest */
    for (;;) {
        const unsigned char *rec;
        size_t len;
        struct perf_event_header h;
        int r = pr_next_raw(f, &rec, &len, err);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        memcpy(&h, rec, sizeof(h));
        if (!pr_is_header_record(h.type))
            break;
        uint64_t at = f->in.offset;
        if (h.type == PF_RECORD_HEADER_ATTR) {
            if (pr_stream_attr(f, rec, len, at, err) < 0)
                return -1;
        } else if (pr_dispatch(f, rec, len, at, false, err) < 0) {
            return -1;
        }
        if (pr_consume(f, len, pr_payload(rec, len), err) < 0)
            return -1;
    }
    f->data_start = f->in.offset;
    return pr_freeze(f, err);
}

/* The warnings about what the records held, once at their end. */
static void pr_tell(struct pr_file *f)
{
    const struct pr_skips *s = &f->skips;
    if (f->told)
        return;
    f->told = true;
    if (s->cut)
        hw_warnf(&f->warn,
                 "%s ends inside a record at byte %" PRIu64
                 " (the recording was cut short); the records before it were read",
                 f->path, s->cut_at);
    else if (f->dlen > 0)
        hw_warnf(&f->warn,
                 "%s ends inside a compressed record (the recording was cut short); the records "
                 "before it were read",
                 f->path);
    if (s->malformed)
        hw_warnf(&f->warn, "%s: skipped %" PRIu64 " malformed record%s (the first %s)", f->path,
                 s->malformed, s->malformed == 1 ? "" : "s", s->malformed_first);
    if (s->frames)
        hw_warnf(&f->warn,
                 "%s: %" PRIu64 " compressed record%s could not be decompressed (the first %s); "
                 "the records in %s were skipped",
                 f->path, s->frames, s->frames == 1 ? "" : "s", s->frames_first,
                 s->frames == 1 ? "it" : "them");
    if (f->q.late)
        hw_warnf(&f->warn,
                 "%s: %" PRIu64 " records came after later ones had been read; they were taken "
                 "in late",
                 f->path, f->q.late);
    if (s->late_attrs)
        hw_warnf(&f->warn,
                 "%s: %" PRIu64 " event attributes came after the first record and were ignored",
                 f->path, s->late_attrs);
}

/* ---- feature sections (malformed ones are ignored) ---- */

/* The feature table follows the data section: one pf_section per set bit, in bit order. */
static int pr_read_features(struct pr_file *f, const uint64_t features[PF_FEAT_BITS / 64],
                            struct hw_err *err)
{
    uint64_t nset = 0;
    for (size_t i = 0; i < PF_FEAT_BITS / 64; i++)
        nset += (uint64_t)__builtin_popcountll(features[i]);
    uint64_t table = f->info.data_offset + f->info.data_size; /* inside the file: checked */
    if (nset == 0 || !pr_inside(table, nset * sizeof(struct pf_section), f->info.file_size))
        return 0;
    struct pf_section *secs = (struct pf_section *)(void *)pr_pread_alloc(
        f, table, nset * sizeof(struct pf_section), err);
    if (!secs)
        return -1;
    uint64_t k = 0;
    int rc = 0;
    for (int bit = 0; bit < PF_FEAT_BITS && rc == 0; bit++) {
        if (!(features[bit / 64] >> (bit % 64) & 1))
            continue;
        struct pf_section s = secs[k++];
        if (!pf_feature(bit) || !pr_inside(s.offset, s.size, f->info.file_size) ||
            s.size > PR_SECTION_MAX)
            continue;
        unsigned char *body = pr_pread_alloc(f, s.offset, s.size, err);
        if (!body)
            rc = -1;
        else
            pf_read_feature(&f->env, bit, body, (size_t)s.size);
        free(body);
    }
    free(secs);
    return rc;
}

/* Whether the feature table at the end of the data section and every section it lists lie in the
 * file, after the table: tells an empty recording (features follow its header) from an unfinished
 * one (records follow; perf sets the feature bits before it writes them). */
static bool pr_feature_table_fits(struct pr_file *f, const uint64_t features[PF_FEAT_BITS / 64])
{
    uint64_t nset = 0;
    for (size_t i = 0; i < PF_FEAT_BITS / 64; i++)
        nset += (uint64_t)__builtin_popcountll(features[i]);
    uint64_t table = f->info.data_offset + f->info.data_size, end = table + nset * 16;
    if (nset == 0 || !pr_inside(table, nset * 16, f->info.file_size))
        return false;
    struct hw_err ignored;
    struct pf_section *secs =
        (struct pf_section *)(void *)pr_pread_alloc(f, table, nset * 16, &ignored);
    bool fits = secs != NULL;
    for (uint64_t k = 0; fits && k < nset; k++)
        fits = secs[k].offset >= end && pr_inside(secs[k].offset, secs[k].size, f->info.file_size);
    free(secs);
    return fits;
}

/* A file-mode recording: header, attrs and ids, the data section, features. */
static int pr_open_file(struct pr_file *f, const struct pf_file_header *h, struct hw_err *err)
{
    if (pr_read_attrs(f, h, err) < 0)
        return -1;
    if (!pr_inside(h->data.offset, h->data.size, f->info.file_size))
        return pr_err_section(err, f, "the data section", h->data.offset, h->data.size);
    f->info.data_offset = f->data_start = h->data.offset;
    f->info.data_size = h->data.size;
    bool writing = h->event_types.offset == PF_WRITING_MARK && h->event_types.size == 0;
    if ((h->data.size == 0 && f->info.file_size > h->data.offset &&
         !pr_feature_table_fits(f, h->features)) ||
        (writing && f->info.file_size > h->data.offset)) {
        /* the header is written again when the recording ends, with the feature sections after
         * the data: its writer was killed (perf leaves data size 0, hwprof a size that may lag) */
        f->unfinished = true;
        f->info.data_size = f->info.file_size - h->data.offset; /* what will be read */
        hw_warnf(&f->warn,
                 "%s was not finished (was the recording killed?); reading its records up to "
                 "the end of the file",
                 f->path);
    } else if (pr_read_features(f, h->features, err) < 0) {
        return -1;
    }
    return pr_freeze(f, err);
}

int pr_open(struct pr_file **out, const char *path, const struct hw_warn *warn,
            struct hw_err *err)
{
    struct pf_file_header h;
    *out = NULL;
    if (!path || !*path)
        return hw_errf(err, "no perf.data file name given");
    struct pr_file *f = calloc(1, sizeof(*f));
    if (!f)
        return hw_err_oom(err);
    f->fd = -1;
    if (warn)
        f->warn = *warn;
    f->path = hw_strdup(strcmp(path, "-") == 0 ? PR_STDIN_NAME : path);
    f->in.buf = malloc(PR_IN_SIZE);
    if (!f->path || !f->in.buf) {
        pr_close(f);
        return hw_err_oom(err);
    }
    f->info.path = f->path;
    if (pr_open_input(f, path, err) < 0 || pr_check_header(f, &h, err) < 0 ||
        (f->stream ? pr_read_stream_header(f, err) : pr_open_file(f, &h, err)) < 0) {
        pr_close(f);
        return -1;
    }
    f->info.stream = f->stream;
    f->info.unfinished = f->unfinished;
    *out = f;
    return 0;
}

void pr_close(struct pr_file *f)
{
    if (!f)
        return;
    pf_env_free(&f->env);
    free(f->fmts);
    free(f->id_index);
    free(f->in.buf);
    free(f->q.ents);
    free(f->q.arena);
    free(f->q.spare);
    comp_decoder_free(f->zdec);
    free(f->zin);
    free(f->dbuf);
    if (f->own_fd)
        close(f->fd);
    free(f->path);
    free(f);
}

const struct pf_env *pr_env(const struct pr_file *f)
{
    return &f->env;
}

const struct pr_info *pr_info(const struct pr_file *f)
{
    return &f->info;
}

int pr_attr_index(const struct pr_file *f, uint64_t id)
{
    if (!f || f->env.nattrs == 0)
        return -1;
    if (f->env.nattrs == 1)
        return 0;
    size_t i = hw_bsearch_le(f->id_index, f->nid_index, sizeof(*f->id_index),
                             offsetof(struct pr_id_entry, id), id);
    return i < f->nid_index && f->id_index[i].id == id ? (int)f->id_index[i].attr : -1;
}

/* ---- iteration ---- */

/* Back to the first record, for a second pass over a file. */
static void pr_restart(struct pr_file *f)
{
    struct pr_queue *q = &f->q;
    q->n = q->ready = q->pos = q->used = 0;
    q->seq = q->done = q->max_time = q->round_max = q->late = 0;
    if (f->zdec)
        comp_decoder_reset(f->zdec);
    f->zactive = false;
    f->dlen = 0;
    memset(&f->skips, 0, sizeof(f->skips));
    f->eof = f->told = false;
    f->replay = true;
    pr_in_rewind(f);
}

int pr_iter_new(struct pr_iter **out, struct pr_file *f, struct hw_err *err)
{
    *out = NULL;
    if (f->started && !f->in.seekable)
        return hw_errf(err, "%s: a stream can be read only once", f->path);
    if (f->started)
        pr_restart(f);
    else if (!f->stream)
        pr_in_rewind(f); /* a stream's header left the input at its first record */
    f->started = true;
    struct pr_iter *it = calloc(1, sizeof(*it));
    if (!it)
        return hw_err_oom(err);
    it->f = f;
    *out = it;
    return 0;
}

int pr_iter_next(struct pr_iter *it, struct pr_record *rec, struct hw_err *err)
{
    struct pr_file *f = it->f;
    struct pr_queue *q = &f->q;
    for (;;) {
        if (q->pos < q->ready) {
            const struct pr_qent *e = &q->ents[q->pos++];
            rec->h = (const struct perf_event_header *)(const void *)(q->arena + e->at);
            rec->offset = e->offset;
            rec->time = e->time;
            rec->attr = e->attr;
            return 1;
        }
        if (q->ready && pr_compact(q, err) < 0)
            return -1;
        if (f->eof) {
            if (q->n) {
                pr_release(q, UINT64_MAX);
                continue;
            }
            pr_tell(f);
            return 0;
        }
        int r = pr_step(f, err);
        if (r < 0)
            return -1;
        if (r == 0 && !f->zactive)
            f->eof = true;
        if (q->used > PR_QUEUE_MAX && q->ready == 0) /* no rounds, or huge ones */
            pr_release_half(q);
    }
}

void pr_iter_free(struct pr_iter *it)
{
    free(it);
}
