/* perfreader.c - read perf.data (PERFILE2) files: header, attrs, ids, features, records by time. */
#include "perfreader.h"

#include "decode.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PR_ATTR_MIN        (PERF_ATTR_SIZE_VER0 + 16u) /* attr + pf_section */
#define PR_ATTR_MAX        4096u
#define PR_MAX_RECORD      65536u /* header.size is 16 bits */
#define PR_CORRUPT         "the file is corrupt"

struct pr_id_entry {
    uint64_t id;
    size_t attr;
};

struct pr_file {
    struct pr_info info;
    struct pf_env env;
    char *path;
    int fd;
    const unsigned char *map;     /* the whole file, mmapped read-only */
    struct pr_id_entry *id_index; /* every id of every attr, sorted, for pr_attr_index */
    size_t nid_index;
};

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

/* ---- file, header ---- */

static int pr_map(struct pr_file *f, struct hw_err *err)
{
    struct stat st;
    f->fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (f->fd < 0) {
        int e = errno;
        return hw_errf(err, "cannot open %s: %s%s", f->path, strerror(e),
                       e == EACCES ? " (check the file's permissions)" : "");
    }
    if (fstat(f->fd, &st) < 0)
        return hw_errf_errno(err, errno, "cannot stat %s", f->path);
    if (S_ISDIR(st.st_mode))
        return hw_errf(err, "%s is a directory, not a perf.data file; give the file's path",
                       f->path);
    if (!S_ISREG(st.st_mode))
        return hw_errf(err,
                       "%s is not a regular file; perf.data must be read from a file (record "
                       "with -o FILE, not to a pipe)",
                       f->path);
    if (st.st_size == 0)
        return hw_errf(err, "%s is empty, not a perf.data file (did the recording fail?)", f->path);
    if ((uint64_t)st.st_size > SIZE_MAX)
        return hw_errf(err, "%s is too large (%" PRIu64 " bytes) to map into memory", f->path,
                       (uint64_t)st.st_size);
    f->info.file_size = (uint64_t)st.st_size;
    void *m = mmap(NULL, (size_t)f->info.file_size, PROT_READ, MAP_PRIVATE, f->fd, 0);
    if (m == MAP_FAILED)
        return hw_errf_errno(err, errno, "cannot map %s into memory", f->path);
    f->map = m;
    return 0;
}

static int pr_check_header(struct pr_file *f, struct pf_file_header *h, struct hw_err *err)
{
    static const char v1_magic[8] = {'P', 'E', 'R', 'F', 'F', 'I', 'L', 'E'};
    uint64_t magic;

    if (f->info.file_size < 8)
        return hw_errf(err, "%s is too short (%" PRIu64 " bytes) to be a perf.data file", f->path,
                       f->info.file_size);
    memcpy(&magic, f->map, 8);
    if (magic == __builtin_bswap64(PF_MAGIC))
        return hw_errf(err, "%s: big-endian perf.data files are not supported", f->path);
    if (memcmp(f->map, v1_magic, 8) == 0)
        return hw_errf(err,
                       "%s: perf.data version 1 is not supported; re-record it with a newer perf",
                       f->path);
    if (magic != PF_MAGIC) {
        if (memcmp(f->map, "PERFILE", 7) == 0)
            return hw_errf(err,
                           "%s: unsupported perf.data version '%c' (only PERFILE2 is supported)",
                           f->path, f->map[7] >= 0x20 && f->map[7] < 0x7f ? f->map[7] : '?');
        return hw_errf(err, "%s is not a perf.data file (it does not start with PERFILE2)",
                       f->path);
    }
    if (f->info.file_size < PF_PIPE_HEADER_SIZE)
        return hw_errf(
            err, "%s: truncated: the header needs %u bytes but the file has %" PRIu64 " bytes",
            f->path, PF_HEADER_SIZE, f->info.file_size);
    uint64_t hsize;
    memcpy(&hsize, f->map + 8, 8);
    if (hsize == PF_PIPE_HEADER_SIZE)
        return hw_errf(err, "%s: pipe-mode perf.data is not supported; record to a file (-o FILE)",
                       f->path);
    if (hsize < PF_HEADER_SIZE)
        return hw_errf(err, "%s: perf.data header size %" PRIu64 " is smaller than %u; " PR_CORRUPT,
                       f->path, hsize, PF_HEADER_SIZE);
    if (f->info.file_size < PF_HEADER_SIZE)
        return hw_errf(
            err, "%s: truncated: the header needs %u bytes but the file has %" PRIu64 " bytes",
            f->path, PF_HEADER_SIZE, f->info.file_size);
    memcpy(h, f->map, sizeof(*h));
    if (h->attr_size < PR_ATTR_MIN || h->attr_size > PR_ATTR_MAX)
        return hw_errf(err,
                       "%s: unsupported attribute size %" PRIu64 " (expected %u to %u bytes); "
                       "the file is corrupt or from an incompatible perf",
                       f->path, h->attr_size, PR_ATTR_MIN, PR_ATTR_MAX);
    return 0;
}

/* ---- attributes and ids ---- */

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
    f->env.attrs = calloc(n, sizeof(*f->env.attrs));
    if (!f->env.attrs)
        return hw_err_oom(err);
    f->env.nattrs = n;

    for (size_t i = 0; i < n; i++) {
        struct pf_attr *a = &f->env.attrs[i];
        const unsigned char *p = f->map + h->attrs.offset + i * asz;
        size_t keep = body < sizeof(a->attr) ? (size_t)body : sizeof(a->attr);
        memcpy(&a->attr, p, keep);
        for (uint64_t k = keep; k < body; k++) {
            if (p[k] != 0)
                return hw_errf(err,
                               "%s: event attribute %zu sets fields unknown to hwprof (byte "
                               "%" PRIu64 " of %" PRIu64 "); it needs a newer hwprof",
                               f->path, i, k, body);
        }
        a->attr.size = sizeof(a->attr);

        struct pf_section ids;
        memcpy(&ids, p + body, sizeof(ids));
        if (ids.size % 8 != 0)
            return hw_errf(err,
                           "%s: the ids section of event attribute %zu has %" PRIu64
                           " bytes, not a multiple of 8; " PR_CORRUPT,
                           f->path, i, ids.size);
        char what[64];
        snprintf(what, sizeof(what), "the ids section of event attribute %zu", i);
        if (!pr_inside(ids.offset, ids.size, f->info.file_size))
            return pr_err_section(err, f, what, ids.offset, ids.size);
        a->nids = (size_t)(ids.size / 8);
        if (a->nids) {
            a->ids = malloc(a->nids * sizeof(*a->ids));
            if (!a->ids)
                return hw_err_oom(err);
            memcpy(a->ids, f->map + ids.offset, a->nids * sizeof(*a->ids));
        }
    }
    return 0;
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
        total += f->env.attrs[i].nids; /* bounded by file_size / 8 */
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

/* ---- feature sections (malformed ones are ignored) ---- */

/* The feature table follows the data section: one perf_file_section per set bit, in bit order. */
static void pr_read_features(struct pr_file *f, const uint64_t features[PF_FEAT_BITS / 64])
{
    uint64_t nset = 0;
    for (size_t i = 0; i < PF_FEAT_BITS / 64; i++)
        nset += (uint64_t)__builtin_popcountll(features[i]);
    uint64_t table = f->info.data_offset + f->info.data_size; /* inside the file: checked */
    if (nset == 0 || !pr_inside(table, nset * sizeof(struct pf_section), f->info.file_size))
        return;
    uint64_t k = 0;
    for (int bit = 0; bit < PF_FEAT_BITS; bit++) {
        if (!(features[bit / 64] >> (bit % 64) & 1))
            continue;
        struct pf_section s;
        memcpy(&s, f->map + table + k * sizeof(s), sizeof(s));
        k++;
        if (pr_inside(s.offset, s.size, f->info.file_size))
            pf_read_feature(&f->env, bit, f->map + s.offset, (size_t)s.size);
    }
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

/* ---- open, close ---- */

int pr_open(struct pr_file **out, const char *path, struct hw_err *err)
{
    struct pf_file_header h;
    *out = NULL;
    if (!path || !*path)
        return hw_errf(err, "no perf.data file name given");
    struct pr_file *f = calloc(1, sizeof(*f));
    if (!f)
        return hw_err_oom(err);
    f->fd = -1;
    f->path = hw_strdup(path);
    if (!f->path) {
        free(f);
        return hw_err_oom(err);
    }
    f->info.path = f->path;
    if (pr_map(f, err) < 0 || pr_check_header(f, &h, err) < 0)
        goto fail;
    if (pr_read_attrs(f, &h, err) < 0 || pr_index_ids(f, err) < 0 || pr_check_id_layout(f, err) < 0)
        goto fail;
    if (!pr_inside(h.data.offset, h.data.size, f->info.file_size)) {
        pr_err_section(err, f, "the data section", h.data.offset, h.data.size);
        goto fail;
    }
    f->info.data_offset = h.data.offset;
    f->info.data_size = h.data.size;
    pr_read_features(f, h.features);
    if (pr_name_attrs(f, err) < 0)
        goto fail;
    *out = f;
    return 0;
fail:
    pr_close(f);
    return -1;
}

void pr_close(struct pr_file *f)
{
    if (!f)
        return;
    pf_env_free(&f->env);
    free(f->id_index);
    if (f->map)
        munmap((void *)f->map, (size_t)f->info.file_size);
    if (f->fd >= 0)
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

/* ---- records ---- */

struct pr_ent {
    uint64_t time;
    uint64_t offset; /* file offset */
    int attr;
};

struct pr_iter {
    const struct pr_file *f;
    struct pr_ent *ents;
    size_t n;
    size_t pos;
    uint64_t *abuf;      /* PR_MAX_RECORD bytes, for records at unaligned offsets */
    uint64_t *suffix_min; /* [i]: the lowest file offset among ents[i..n) */
    uint64_t released;   /* pages of the mapping below this offset were given back */
    uint64_t page;
};

/* Gives the mapping's pages below file offset upto back to the kernel (they are re-read from the
 * file if touched again), so a large recording is never resident in memory all at once. */
static void pr_release_below(struct pr_iter *it, uint64_t upto)
{
    upto &= ~(it->page - 1);
    if (upto <= it->released)
        return;
    madvise((void *)(uintptr_t)(it->f->map + it->released), (size_t)(upto - it->released), MADV_DONTNEED);
    it->released = upto;
}

#define PR_RELEASE_EVERY (1u << 20) /* bytes walked between releases in the sequential passes */

/* Checks the record header at data offset off (relative to the section) and returns the offset
 * of the next record in *next. Returns 0 or -1 with err. */
static int pr_step(const struct pr_file *f, uint64_t off, uint64_t *next, struct hw_err *err)
{
    struct perf_event_header h;
    uint64_t left = f->info.data_size - off;
    uint64_t at = f->info.data_offset + off;
    if (left < sizeof(h))
        return hw_errf(err,
                       "%s: record at byte %" PRIu64
                       " runs past the end of the data section (%" PRIu64
                       " bytes left); " PR_CORRUPT,
                       f->path, at, left);
    memcpy(&h, f->map + at, sizeof(h));
    if (h.size == 0)
        return hw_errf(err, "%s: record at byte %" PRIu64 " has size 0; " PR_CORRUPT, f->path, at);
    if (h.size < sizeof(h))
        return hw_errf(err,
                       "%s: record at byte %" PRIu64
                       " has size %u, smaller than its 8-byte header; " PR_CORRUPT,
                       f->path, at, h.size);
    if (h.size > left)
        return hw_errf(err,
                       "%s: record at byte %" PRIu64 " (type %" PRIu32 ", %u bytes) runs past the "
                       "end of the data section (%" PRIu64 " bytes left); " PR_CORRUPT,
                       f->path, at, h.type, h.size, left);
    if (h.type == PF_RECORD_COMPRESSED) /* the feature bit alone proves nothing; the records do */
        return hw_errf(err,
                       "%s was recorded compressed (perf record -z), which hwprof cannot read; "
                       "re-record without -z",
                       f->path);
    uint64_t end = off + h.size;
    if (h.type == PF_RECORD_AUXTRACE && h.size >= 16) { /* u64 size of the trailing payload */
        uint64_t payload;
        memcpy(&payload, f->map + at + 8, 8);
        if (payload > f->info.data_size - end)
            return hw_errf(err,
                           "%s: AUXTRACE record at byte %" PRIu64 " has a payload of %" PRIu64
                           " bytes that runs past the end of the data section; " PR_CORRUPT,
                           f->path, at, payload);
        end += payload;
    }
    *next = end;
    return 0;
}

/* The time and attr of the record at file offset at. Returns 0 or -1 with err. */
static int pr_classify(const struct pr_file *f, uint64_t at, struct pr_ent *e, struct hw_err *err)
{
    const unsigned char *rec = f->map + at;
    struct perf_event_header h;
    struct dec_format fmt;
    struct hw_err derr;
    int idx = 0;

    memcpy(&h, rec, sizeof(h));
    e->offset = at;
    e->time = 0;
    e->attr = -1;
    if (h.type >= PF_RECORD_USER_START)
        return 0;
    dec_format_from_attr(&fmt, &f->env.attrs[0].attr);
    if (h.type != PERF_RECORD_SAMPLE && !fmt.sample_id_all)
        return 0;
    if (f->env.nattrs > 1) {
        uint64_t id;
        int r = dec_record_id(&fmt, rec, h.size, &id);
        if (r < 0)
            return hw_errf(err,
                           "%s: record at byte %" PRIu64 " (type %" PRIu32 ", %u bytes) is too "
                           "short for its event id; " PR_CORRUPT,
                           f->path, at, h.type, h.size);
        idx = r == 0 ? pr_attr_index(f, id) : -1;
        if (idx < 0 && r == 0 && id == 0)
            idx = 0; /* perf synthesizes side-band records (from /proc) with id 0 */
        if (idx < 0)
            return 0; /* an id no attribute lists: leave it unattributed */
        dec_format_from_attr(&fmt, &f->env.attrs[idx].attr);
    }
    e->attr = idx;
    if (h.type == PERF_RECORD_SAMPLE) {
        struct dec_sample s;
        if (!(fmt.sample_type & PERF_SAMPLE_TIME))
            return 0;
        /* Only the fields up to the time: no alignment or callchain checks needed here. */
        fmt.sample_type &=
            PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME;
        fmt.read_format = 0;
        if (dec_sample(&fmt, rec, h.size, &s, &derr) < 0)
            return hw_errf(err, "%s: record at byte %" PRIu64 ": %s", f->path, at, derr.msg);
        e->time = s.time;
    } else {
        struct dec_sample_id sid;
        if (dec_trailer(&fmt, rec, h.size, &sid, &derr) < 0)
            return hw_errf(err, "%s: record at byte %" PRIu64 ": %s", f->path, at, derr.msg);
        e->time = sid.time;
    }
    return 0;
}

static int pr_ent_cmp(const void *pa, const void *pb)
{
    const struct pr_ent *a = pa, *b = pb;
    if (a->time != b->time)
        return a->time < b->time ? -1 : 1;
    return a->offset < b->offset ? -1 : a->offset > b->offset;
}

int pr_iter_new(struct pr_iter **out, const struct pr_file *f, struct hw_err *err)
{
    *out = NULL;
    struct pr_iter *it = calloc(1, sizeof(*it));
    if (!it)
        return hw_err_oom(err);
    it->f = f;
    it->page = (uint64_t)sysconf(_SC_PAGESIZE);
    it->abuf = malloc(PR_MAX_RECORD);
    if (!it->abuf) {
        free(it);
        return hw_err_oom(err);
    }

    /* Pass 1: validate the record headers and count them. */
    size_t n = 0;
    for (uint64_t off = 0, next; off < f->info.data_size; off = next, n++) {
        if (pr_step(f, off, &next, err) < 0)
            goto fail;
        if ((off ^ next) & ~(uint64_t)(PR_RELEASE_EVERY - 1))
            pr_release_below(it, f->info.data_offset + off);
    }
    it->released = 0;
    /* Pass 2: time and attr of each record (n <= data_size / 8). */
    if (n) {
        it->ents = malloc(n * sizeof(*it->ents));
        if (!it->ents) {
            hw_err_oom(err);
            goto fail;
        }
    }
    bool sorted = true;
    size_t i = 0;
    for (uint64_t off = 0, next; off < f->info.data_size; off = next, i++) {
        pr_step(f, off, &next, NULL); /* cannot fail: checked in pass 1 */
        if (pr_classify(f, f->info.data_offset + off, &it->ents[i], err) < 0)
            goto fail;
        if (i > 0 && it->ents[i].time < it->ents[i - 1].time)
            sorted = false;
        if ((off ^ next) & ~(uint64_t)(PR_RELEASE_EVERY - 1))
            pr_release_below(it, f->info.data_offset + off);
    }
    it->released = 0;
    it->n = n;
    if (!sorted)
        qsort(it->ents, n, sizeof(*it->ents), pr_ent_cmp);
    if (n) {
        it->suffix_min = malloc(n * sizeof(*it->suffix_min));
        if (!it->suffix_min) {
            hw_err_oom(err);
            goto fail;
        }
        it->suffix_min[n - 1] = it->ents[n - 1].offset;
        for (size_t k = n - 1; k-- > 0;)
            it->suffix_min[k] = it->ents[k].offset < it->suffix_min[k + 1] ? it->ents[k].offset
                                                                            : it->suffix_min[k + 1];
    }
    *out = it;
    return 0;
fail:
    pr_iter_free(it);
    return -1;
}

int pr_iter_next(struct pr_iter *it, struct pr_record *rec, struct hw_err *err)
{
    (void)err; /* every record was validated by pr_iter_new */
    if (it->pos >= it->n)
        return 0;
    if ((it->pos & 1023) == 0 && it->pos)
        pr_release_below(it, it->suffix_min[it->pos]); /* no record left to read lies below */
    const struct pr_ent *e = &it->ents[it->pos++];
    const unsigned char *p = it->f->map + e->offset;
    if (e->offset % 8 == 0) {
        rec->h = (const struct perf_event_header *)(const void *)p;
    } else {
        struct perf_event_header h;
        memcpy(&h, p, sizeof(h));
        memcpy(it->abuf, p, h.size);
        rec->h = (const struct perf_event_header *)(const void *)it->abuf;
    }
    rec->offset = e->offset;
    rec->time = e->time;
    rec->attr = e->attr;
    return 1;
}

void pr_iter_free(struct pr_iter *it)
{
    if (!it)
        return;
    free(it->ents);
    free(it->abuf);
    free(it->suffix_min);
    free(it);
}
