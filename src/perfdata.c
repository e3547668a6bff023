/* perfdata.c - write perf.data (PERFILE2): header, attrs with ids, data records, features. */
#include "perfdata.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define PD_HEADER_SIZE    104u
#define PD_NAME_ALIGN     64u
#define PD_BUF_SIZE       (1u << 20)
#define PD_BUILD_ID_FIXED 36u /* header(8) + pid(4) + build_id[20] + size(1) + reserved[3] */

/* The on-disk perf_file_section. */
struct pd_section {
    uint64_t offset;
    uint64_t size;
};

/* The on-disk perf_file_header (104 bytes). */
struct pd_file_header {
    uint64_t magic;
    uint64_t size;
    uint64_t attr_size;
    struct pd_section attrs;
    struct pd_section data;
    struct pd_section event_types;
    uint64_t features[PD_FEAT_BITS / 64];
};
_Static_assert(sizeof(struct pd_file_header) == PD_HEADER_SIZE, "perf_file_header is 104 bytes");

struct pd_writer {
    int fd;
    char *path;     /* final name */
    char *tmp_path; /* "<path>.tmp-XXXXXX" while writing */
    struct pd_attr *attrs;
    size_t nattrs;
    uint64_t attrs_offset;
    uint64_t data_offset;
    uint64_t data_size; /* records accepted (buffered or written) */
    uint64_t flushed;   /* records already on disk */
    unsigned char *buf;
    size_t buf_len;
    bool failed;
};

/* ---- low-level I/O ---- */

/* Writes all n bytes, retrying short writes and EINTR: with write(2) at the file position when at
 * is NULL, else with pwrite(2) from offset *at. Returns 0, or -1 with errno. */
static int pd_write_all(int fd, const void *p, size_t n, const uint64_t *at)
{
    const char *c = p;
    uint64_t off = at ? *at : 0;
    while (n > 0) {
        ssize_t r = at ? pwrite(fd, c, n, (off_t)off) : write(fd, c, n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0) {
            errno = EIO;
            return -1;
        }
        c += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

/* Formats an I/O error on w's file with advice for the common causes. Returns -1. */
static int pd_io_err(const struct pd_writer *w, struct hw_err *err, int errnum, const char *what)
{
    const char *hint = "";
    switch (errnum) {
    case ENOSPC:
        hint = " (free some space, or write elsewhere with -o, or record less)";
        break;
    case EDQUOT:
        hint = " (disk quota exceeded: free some space or write elsewhere with -o)";
        break;
    case EFBIG:
        hint = " (file size limit reached: check 'ulimit -f' or record less)";
        break;
    default:
        break;
    }
    return hw_errf(err, "cannot %s %s: %s%s", what, w->path, strerror(errnum), hint);
}

static int pd_flush(struct pd_writer *w, struct hw_err *err)
{
    if (w->buf_len == 0)
        return 0;
    if (pd_write_all(w->fd, w->buf, w->buf_len, NULL) < 0) {
        w->failed = true;
        return pd_io_err(w, err, errno, "write");
    }
    w->flushed += w->buf_len;
    w->buf_len = 0;
    return 0;
}

/* ---- meta ---- */

void pd_meta_from_system(struct pd_meta *meta, struct pd_uname_storage *u, const char *version)
{
    struct utsname un;
    memset(meta, 0, sizeof(*meta));
    memset(u, 0, sizeof(*u));
    if (uname(&un) == 0) {
        snprintf(u->buf[0], sizeof(u->buf[0]), "%s", un.nodename);
        snprintf(u->buf[1], sizeof(u->buf[1]), "%s", un.release);
        snprintf(u->buf[2], sizeof(u->buf[2]), "%s", un.machine);
        meta->hostname = u->buf[0];
        meta->osrelease = u->buf[1];
        meta->arch = u->buf[2];
    }
    if (version) {
        snprintf(u->buf[3], sizeof(u->buf[3]), "%s", version);
        meta->version = u->buf[3];
    }
    meta->nr_cpus_avail = hw_ncpus_configured();
    meta->nr_cpus_online = hw_ncpus_online();
}

/* ---- open ---- */

static void pd_writer_free(struct pd_writer *w)
{
    if (!w)
        return;
    for (size_t i = 0; w->attrs && i < w->nattrs; i++) {
        free((void *)w->attrs[i].ids);
        free((void *)w->attrs[i].name);
    }
    free(w->attrs);
    free(w->buf);
    free(w->tmp_path);
    free(w->path);
    free(w);
}

/* Closes and removes the temporary file, then frees w. */
static void pd_writer_discard(struct pd_writer *w)
{
    if (!w)
        return;
    if (w->fd >= 0)
        close(w->fd);
    if (w->tmp_path)
        unlink(w->tmp_path);
    pd_writer_free(w);
}

/* The process umask, read without changing it (umask(2) can only set). Returns -1 if unknown. */
static int pd_current_umask(void)
{
    char buf[4096];
    if (hw_read_small_file("/proc/self/status", buf, sizeof(buf)) < 0)
        return -1;
    const char *p = strstr(buf, "\nUmask:");
    if (!p)
        return -1;
    char *end;
    long m = strtol(p + 7, &end, 8);
    if (end == p + 7 || m < 0 || m > 0777)
        return -1;
    return (int)m;
}

static int pd_copy_attrs(struct pd_writer *w, const struct pd_attr *attrs, size_t nattrs,
                         struct hw_err *err)
{
    w->attrs = calloc(nattrs, sizeof(*w->attrs));
    if (!w->attrs)
        return hw_errf(err, "out of memory copying %zu event attributes", nattrs);
    w->nattrs = nattrs;
    for (size_t i = 0; i < nattrs; i++) {
        struct pd_attr *a = &w->attrs[i];
        a->attr = attrs[i].attr;
        a->attr.size = sizeof(struct perf_event_attr);
        a->nids = attrs[i].nids;
        a->group_size = attrs[i].group_size;
        if (a->nids) {
            if (!attrs[i].ids)
                return hw_errf(err, "internal error: attribute %zu has %zu ids but no array", i,
                               a->nids);
            uint64_t *ids = malloc(a->nids * sizeof(*ids));
            if (!ids)
                return hw_errf(err, "out of memory copying event ids");
            memcpy(ids, attrs[i].ids, a->nids * sizeof(*ids));
            a->ids = ids;
        }
        if (attrs[i].name) {
            a->name = hw_strdup(attrs[i].name);
            if (!a->name)
                return hw_errf(err, "out of memory copying event names");
        }
    }
    return 0;
}

/* Writes the header placeholder, the id arrays and the attrs; sets attrs_offset and data_offset. */
static int pd_write_prologue(struct pd_writer *w, struct hw_err *err)
{
    const uint64_t attr_sz = sizeof(struct perf_event_attr);
    uint64_t off = PD_HEADER_SIZE;
    struct pd_file_header zero;
    memset(&zero, 0, sizeof(zero));
    memcpy(w->buf, &zero, sizeof(zero));
    size_t n = sizeof(zero);

    /* The id arrays, then the attrs pointing at them. Everything fits: checked by the caller. */
    uint64_t *id_offsets = calloc(w->nattrs, sizeof(*id_offsets));
    if (!id_offsets)
        return hw_errf(err, "out of memory");
    for (size_t i = 0; i < w->nattrs; i++) {
        id_offsets[i] = off;
        size_t sz = w->attrs[i].nids * sizeof(uint64_t);
        if (sz)
            memcpy(w->buf + n, w->attrs[i].ids, sz);
        n += sz;
        off += sz;
    }
    w->attrs_offset = off;
    for (size_t i = 0; i < w->nattrs; i++) {
        struct pd_section ids = {id_offsets[i], w->attrs[i].nids * sizeof(uint64_t)};
        memcpy(w->buf + n, &w->attrs[i].attr, attr_sz);
        memcpy(w->buf + n + attr_sz, &ids, sizeof(ids));
        n += attr_sz + sizeof(ids);
        off += attr_sz + sizeof(ids);
    }
    free(id_offsets);
    w->data_offset = off;
    if (pd_write_all(w->fd, w->buf, n, NULL) < 0)
        return pd_io_err(w, err, errno, "write");
    return 0;
}

int pd_writer_open(struct pd_writer **wp, const char *path, const struct pd_attr *attrs,
                   size_t nattrs, struct hw_err *err)
{
    *wp = NULL;
    if (!path || !*path)
        return hw_errf(err, "no output file name given");
    if (nattrs == 0 || !attrs)
        return hw_errf(err, "internal error: a perf.data file needs at least one event attribute");
    /* The finished file is renamed over path: never replace a directory, device or pipe. */
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return hw_errf(err, "cannot write %s: it is %s; give a regular file name with -o", path,
                       S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
    /* The prologue is written from the 1 MiB buffer: bound its size. */
    uint64_t prologue = PD_HEADER_SIZE;
    for (size_t i = 0; i < nattrs; i++) {
        if (attrs[i].nids > PD_BUF_SIZE / sizeof(uint64_t))
            return hw_errf(err, "internal error: too many ids (%zu) for one event", attrs[i].nids);
        prologue += sizeof(struct perf_event_attr) + sizeof(struct pd_section) +
                    attrs[i].nids * sizeof(uint64_t);
    }
    if (prologue > PD_BUF_SIZE)
        return hw_errf(err, "too many events or ids for one perf.data file (%zu events)", nattrs);

    struct pd_writer *w = calloc(1, sizeof(*w));
    if (!w)
        return hw_errf(err, "out of memory");
    w->fd = -1;
    w->path = hw_strdup(path);
    w->buf = malloc(PD_BUF_SIZE);
    if (!w->path || !w->buf || asprintf(&w->tmp_path, "%s.tmp-XXXXXX", path) < 0) {
        w->tmp_path = NULL;
        pd_writer_free(w);
        return hw_errf(err, "out of memory");
    }
    if (pd_copy_attrs(w, attrs, nattrs, err) < 0) {
        pd_writer_free(w);
        return -1;
    }
    w->fd = mkostemp(w->tmp_path, O_CLOEXEC);
    if (w->fd < 0) {
        int e = errno;
        const char *hint = e == ENOENT   ? " (does the directory exist?)"
                           : e == EACCES ? " (choose a writable directory with -o)"
                                         : "";
        hw_errf(err, "cannot create %s: %s%s", path, strerror(e), hint);
        free(w->tmp_path);
        w->tmp_path = NULL; /* nothing was created */
        pd_writer_free(w);
        return -1;
    }
    /* mkstemp creates 0600; give the file the mode a plain creat(0644) would have. */
    int mask = pd_current_umask();
    if (mask >= 0 && fchmod(w->fd, 0644 & ~(mode_t)mask) < 0) {
        int e = errno;
        pd_writer_discard(w);
        return hw_errf(err, "cannot set the mode of %s: %s", path, strerror(e));
    }
    if (pd_write_prologue(w, err) < 0) {
        pd_writer_discard(w);
        return -1;
    }
    *wp = w;
    return 0;
}

/* ---- data ---- */

int pd_writer_write(struct pd_writer *w, const void *rec, size_t len, struct hw_err *err)
{
    struct perf_event_header h;
    if (w->failed)
        return hw_errf(err, "cannot write %s: an earlier write failed", w->path);
    if (len < sizeof(h))
        return hw_errf(err, "internal error: record of %zu bytes is shorter than its header", len);
    memcpy(&h, rec, sizeof(h));
    if (h.size != len)
        return hw_errf(err, "internal error: record type %u says %u bytes but has %zu", h.type,
                       h.size, len);
    if (len > PD_BUF_SIZE - w->buf_len && pd_flush(w, err) < 0)
        return -1;
    memcpy(w->buf + w->buf_len, rec, len); /* len <= 65535 < PD_BUF_SIZE */
    w->buf_len += len;
    w->data_size += len;
    return 0;
}

uint64_t pd_writer_data_size(const struct pd_writer *w)
{
    return w->data_size;
}

/* ---- features ---- */

/* Appends a perf_header_string: u32 len (NUL included, padded to 64), the bytes, zero padding. */
static int pd_put_string(struct hw_buf *b, const char *s)
{
    static const char zeros[PD_NAME_ALIGN];
    size_t olen = strlen(s) + 1;
    size_t len = HW_ALIGN(olen, PD_NAME_ALIGN);
    if (len > UINT32_MAX)
        return -1;
    uint32_t len32 = (uint32_t)len;
    if (hw_buf_append(b, &len32, sizeof(len32)) < 0 || hw_buf_append(b, s, olen) < 0 ||
        hw_buf_append(b, zeros, len - olen) < 0)
        return -1;
    return 0;
}

static int pd_put_u32(struct hw_buf *b, uint32_t v)
{
    return hw_buf_append(b, &v, sizeof(v));
}

static int pd_feat_build_id(struct hw_buf *b, const struct pd_build_id *bids, size_t nbids,
                            struct hw_err *err)
{
    static const char zeros[PD_NAME_ALIGN];
    for (size_t i = 0; i < nbids; i++) {
        const struct pd_build_id *bid = &bids[i];
        if (bid->id_len <= 0 || !bid->filename)
            continue; /* nothing to say about a file without a build id */
        size_t olen = strlen(bid->filename) + 1;
        size_t flen = HW_ALIGN(olen, PD_NAME_ALIGN);
        if (PD_BUILD_ID_FIXED + flen > UINT16_MAX)
            return hw_errf(err, "file name too long for a build-id entry: %.64s...", bid->filename);
        unsigned char fixed[PD_BUILD_ID_FIXED];
        struct perf_event_header h = {
            .type = 0,
            .misc = (uint16_t)((bid->kernel ? PERF_RECORD_MISC_KERNEL : PERF_RECORD_MISC_USER) |
                               PD_RECORD_MISC_BUILD_ID_SIZE),
            .size = (uint16_t)(PD_BUILD_ID_FIXED + flen),
        };
        int n = bid->id_len > HW_BUILD_ID_MAX ? HW_BUILD_ID_MAX : bid->id_len;
        memset(fixed, 0, sizeof(fixed));
        memcpy(fixed, &h, sizeof(h));
        memcpy(fixed + 8, &bid->pid, 4);
        memcpy(fixed + 12, bid->id, (size_t)n);
        fixed[32] = (unsigned char)n;
        if (hw_buf_append(b, fixed, sizeof(fixed)) < 0 ||
            hw_buf_append(b, bid->filename, olen) < 0 || hw_buf_append(b, zeros, flen - olen) < 0)
            return hw_errf(err, "out of memory");
    }
    return 0;
}

static int pd_feat_event_desc(const struct pd_writer *w, struct hw_buf *b)
{
    if (pd_put_u32(b, (uint32_t)w->nattrs) < 0 ||
        pd_put_u32(b, (uint32_t)sizeof(struct perf_event_attr)) < 0)
        return -1;
    for (size_t i = 0; i < w->nattrs; i++) {
        const struct pd_attr *a = &w->attrs[i];
        if (hw_buf_append(b, &a->attr, sizeof(a->attr)) < 0 ||
            pd_put_u32(b, (uint32_t)a->nids) < 0 || pd_put_string(b, a->name) < 0 ||
            hw_buf_append(b, a->ids, a->nids * sizeof(uint64_t)) < 0)
            return -1;
    }
    return 0;
}

/* HEADER_GROUP_DESC: u32 nr_groups, then per group a name, the leader's attr index and the member
 * count (leader included). Empty when no group has more than one member. */
static int pd_feat_group_desc(const struct pd_writer *w, struct hw_buf *b)
{
    uint32_t n = 0;
    for (size_t i = 0; i < w->nattrs; i++)
        n += w->attrs[i].group_size > 1;
    if (n == 0)
        return 0;
    if (pd_put_u32(b, n) < 0)
        return -1;
    for (size_t i = 0; i < w->nattrs; i++) {
        if (w->attrs[i].group_size <= 1)
            continue;
        if (pd_put_string(b, "{anon_group}") < 0 || pd_put_u32(b, (uint32_t)i) < 0 ||
            pd_put_u32(b, w->attrs[i].group_size) < 0)
            return -1;
    }
    return 0;
}

/* Builds the body of feature bit into b (empty = feature absent). Returns 0 or -1 with err. */
static int pd_feat_body(const struct pd_writer *w, int bit, const struct pd_meta *m,
                        const struct pd_build_id *bids, size_t nbids, struct hw_buf *b,
                        struct hw_err *err)
{
    int r = 0;
    switch (bit) {
    case PD_FEAT_TRACING_DATA: /* built by the tracedata module */
        r = m->tracing_data_size ? hw_buf_append(b, m->tracing_data, m->tracing_data_size) : 0;
        break;
    case PD_FEAT_BUILD_ID:
        return pd_feat_build_id(b, bids, nbids, err);
    case PD_FEAT_HOSTNAME:
        r = m->hostname ? pd_put_string(b, m->hostname) : 0;
        break;
    case PD_FEAT_OSRELEASE:
        r = m->osrelease ? pd_put_string(b, m->osrelease) : 0;
        break;
    case PD_FEAT_VERSION:
        r = m->version ? pd_put_string(b, m->version) : 0;
        break;
    case PD_FEAT_ARCH:
        r = m->arch ? pd_put_string(b, m->arch) : 0;
        break;
    case PD_FEAT_NRCPUS:
        if (m->nr_cpus_avail || m->nr_cpus_online) { /* perf reads avail first */
            r = pd_put_u32(b, m->nr_cpus_avail);
            if (r == 0)
                r = pd_put_u32(b, m->nr_cpus_online);
        }
        break;
    case PD_FEAT_CMDLINE:
        if (m->argc > 0 && m->argv) {
            r = pd_put_u32(b, (uint32_t)m->argc);
            for (int i = 0; r == 0 && i < m->argc; i++)
                r = pd_put_string(b, m->argv[i] ? m->argv[i] : "");
        }
        break;
    case PD_FEAT_EVENT_DESC: {
        bool named = true;
        for (size_t i = 0; i < w->nattrs; i++)
            named = named && w->attrs[i].name;
        r = named ? pd_feat_event_desc(w, b) : 0; /* perf derives names itself otherwise */
        break;
    }
    case PD_FEAT_GROUP_DESC:
        r = pd_feat_group_desc(w, b);
        break;
    case PD_FEAT_SAMPLE_TIME:
        if (m->last_sample_time != 0) {
            r = hw_buf_append(b, &m->first_sample_time, 8);
            if (r == 0)
                r = hw_buf_append(b, &m->last_sample_time, 8);
        }
        break;
    default:
        break;
    }
    return r < 0 ? hw_errf(err, "out of memory building the perf.data header") : 0;
}

static const int pd_feature_order[] = {
    PD_FEAT_TRACING_DATA, PD_FEAT_BUILD_ID, PD_FEAT_HOSTNAME, PD_FEAT_OSRELEASE,  PD_FEAT_VERSION,     PD_FEAT_ARCH,
    PD_FEAT_NRCPUS,   PD_FEAT_CMDLINE,  PD_FEAT_EVENT_DESC, PD_FEAT_GROUP_DESC,  PD_FEAT_SAMPLE_TIME,
};

/* Builds the feature table and bodies (to be placed at feat_off) into out; sets the bitmap. */
static int pd_build_features(const struct pd_writer *w, const struct pd_meta *meta,
                             const struct pd_build_id *bids, size_t nbids, uint64_t feat_off,
                             struct hw_buf *out, uint64_t features[PD_FEAT_BITS / 64],
                             struct hw_err *err)
{
    enum { NF = HW_ARRAY_SIZE(pd_feature_order) };
    struct hw_buf bodies[NF];
    struct pd_meta none;
    size_t nset = 0;
    int r = 0;

    memset(&none, 0, sizeof(none));
    if (!meta)
        meta = &none;
    memset(bodies, 0, sizeof(bodies));
    for (size_t i = 0; i < NF && r == 0; i++) {
        r = pd_feat_body(w, pd_feature_order[i], meta, bids, nbids, &bodies[i], err);
        if (bodies[i].len)
            nset++;
    }
    if (r == 0) {
        uint64_t off = feat_off + nset * sizeof(struct pd_section);
        for (size_t i = 0; i < NF && r == 0; i++) {
            if (!bodies[i].len)
                continue;
            struct pd_section s = {off, bodies[i].len};
            int bit = pd_feature_order[i];
            features[bit / 64] |= 1ULL << (bit % 64);
            r = hw_buf_append(out, &s, sizeof(s));
            off += bodies[i].len;
        }
        for (size_t i = 0; i < NF && r == 0; i++)
            r = hw_buf_append(out, bodies[i].data, bodies[i].len);
        if (r < 0)
            hw_errf(err, "out of memory building the perf.data header");
    }
    for (size_t i = 0; i < NF; i++)
        hw_buf_free(&bodies[i]);
    return r;
}

/* fsyncs the directory holding path so the rename is durable; errors are ignored (best effort). */
static void pd_sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    if (!dir)
        return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

int pd_writer_finish(struct pd_writer *w, const struct pd_meta *meta,
                     const struct pd_build_id *bids, size_t nbids, struct hw_err *err)
{
    struct hw_buf feats = {0};
    struct pd_file_header h;
    int r = -1;

    if (w->failed) {
        hw_errf(err, "cannot finish %s: an earlier write failed", w->path);
        goto fail;
    }
    if (pd_flush(w, err) < 0)
        goto fail;

    memset(&h, 0, sizeof(h));
    uint64_t feat_off = w->data_offset + w->data_size;
    if (pd_build_features(w, meta, bids, nbids, feat_off, &feats, h.features, err) < 0)
        goto fail;
    if (pd_write_all(w->fd, feats.data, feats.len, &feat_off) < 0) {
        pd_io_err(w, err, errno, "write");
        goto fail;
    }

    h.magic = PD_MAGIC;
    h.size = PD_HEADER_SIZE;
    h.attr_size = sizeof(struct perf_event_attr) + sizeof(struct pd_section);
    h.attrs = (struct pd_section){w->attrs_offset, w->nattrs * h.attr_size};
    h.data = (struct pd_section){w->data_offset, w->data_size};
    if (pd_write_all(w->fd, &h, sizeof(h), &(uint64_t){0}) < 0) {
        pd_io_err(w, err, errno, "write");
        goto fail;
    }
    if (fsync(w->fd) < 0) {
        pd_io_err(w, err, errno, "write");
        goto fail;
    }
    int fd = w->fd;
    w->fd = -1;
    if (close(fd) < 0) {
        pd_io_err(w, err, errno, "write");
        goto fail;
    }
    if (rename(w->tmp_path, w->path) < 0) {
        int e = errno;
        hw_errf(err, "cannot rename %s to %s: %s", w->tmp_path, w->path, strerror(e));
        goto fail;
    }
    free(w->tmp_path);
    w->tmp_path = NULL; /* it is the final file now */
    pd_sync_dir(w->path);
    r = 0;
fail:
    hw_buf_free(&feats);
    pd_writer_discard(w);
    return r;
}

void pd_writer_abort(struct pd_writer *w)
{
    pd_writer_discard(w);
}
