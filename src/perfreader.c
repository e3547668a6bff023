/* perfreader.c - open perf.data recordings (files and pipe-mode streams): header, attributes and ids, feature sections. */
#include "perfreader_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
void pr_skip_malformed(struct pr_file *f, uint64_t offset, const char *why)
{
    if (f->skips.malformed++ == 0)
        snprintf(f->skips.malformed_first, sizeof(f->skips.malformed_first),
                 "at byte %" PRIu64 ": %.150s", offset, why);
}

/* ---- input ---- */

/* Positions the input at the first record (again). */
void pr_in_rewind(struct pr_file *f)
{
    inbuf_seek(&f->in, f->data_start, f->stream || f->unfinished ? UINT64_MAX : f->info.data_size);
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
    if (inbuf_init(&f->in, f->fd, S_ISREG(st.st_mode), PR_IN_SIZE, f->path, err) < 0)
        return -1;
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
    long avail = inbuf_fill(&f->in, n, err);
    if (avail < 0)
        return -1;
    size_t k = (size_t)avail < n ? (size_t)avail : n;
    memcpy(buf, inbuf_peek(&f->in), k);
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
    unsigned char *raw = inbuf_pread(&f->in, h->attrs.offset, h->attrs.size, err);
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
            unsigned char *idp = inbuf_pread(&f->in, ids.offset, ids.size, err);
            rc = idp ? pr_set_ids(f, i, a, idp, ids.size, err) : -1;
            free(idp);
        }
    }
    free(raw);
    return rc;
}

/* A HEADER_ATTR record of a stream: the attr (attr.size bytes), then its ids. */
int pr_stream_attr(struct pr_file *f, const unsigned char *rec, size_t len, uint64_t offset,
                   struct hw_err *err)
{
    uint32_t asz;
    if (len < 8 + 8 || (memcpy(&asz, rec + 8 + 4, 4), asz < PERF_ATTR_SIZE_VER0) ||
        asz > PR_ATTR_MAX || asz > len - 8)
        return hw_errf(
            err, "%s: the event attribute record at byte %" PRIu64 " has a bad size; " PR_CORRUPT,
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

/* Builds the sorted id -> attr index; an id listed for two attributes is an error. */
static int pr_index_ids(struct pr_file *f, struct hw_err *err)
{
    f->id_index = pf_index_ids(&f->env, &f->nid_index); /* n bounded by the input size / 8 */
    if (!f->id_index)
        return hw_err_oom(err);
    for (size_t i = 1; i < f->nid_index; i++) {
        const struct pf_id *a = &f->id_index[i - 1], *b = &f->id_index[i];
        if (a->id == b->id && a->attr != b->attr)
            return hw_errf(err,
                           "%s: event id %" PRIu64
                           " is listed for event attributes %zu and %zu; " PR_CORRUPT,
                           f->path, a->id, a->attr, b->attr);
    }
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

static int pr_name_attrs(struct pr_file *f, struct hw_err *err)
{
    for (size_t i = 0; i < f->env.nattrs; i++) {
        if (f->env.attrs[i].name)
            continue;
        f->env.attrs[i].name = pf_event_name(&f->env.attrs[i].attr);
        if (!f->env.attrs[i].name)
            return hw_err_oom(err);
    }
    return 0;
}

/* Makes the attributes final: ids indexed, their layout checked, every attr named, formats. */
int pr_freeze(struct pr_file *f, struct hw_err *err)
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
    struct pf_section *secs = (struct pf_section *)(void *)inbuf_pread(
        &f->in, table, nset * sizeof(struct pf_section), err);
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
        unsigned char *body = inbuf_pread(&f->in, s.offset, s.size, err);
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
        (struct pf_section *)(void *)inbuf_pread(&f->in, table, nset * 16, &ignored);
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

int pr_open(struct pr_file **out, const char *path, const struct hw_warn *warn, struct hw_err *err)
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
    if (!f->path) {
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
    inbuf_free(&f->in);
    ord_free(&f->q);
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
    return pf_find_id(f->id_index, f->nid_index, id);
}
