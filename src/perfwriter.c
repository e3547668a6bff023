/* perfwriter.c - write perf.data: a file whose header is valid from the start (crash-safe), or a pipe-mode stream; records plain or zstd-compressed; feature sections. */
#include "perfwriter.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "compress.h"

#define PD_BUF_SIZE (1u << 20)   /* records gathered before a write */
#define PD_ZCHUNK   (256u << 10) /* records gathered before they are compressed and written */
#define PD_ZMMAP_LEN                                                                               \
    (1u << 20) /* HEADER_COMPRESSED mmap_len: the most one COMPRESSED record                       \
                  decompresses to (a chunk, with room to spare) */
#define PD_ZPIECE      (PF_MAX_RECORD - sizeof(struct perf_event_header))
#define PD_SYNC_NS     1000000000ull /* records reach the file at least this often */
#define PD_STDOUT_NAME "standard output"

struct pw_writer {
    int fd;
    bool pipe;         /* a pipe-mode stream on standard output */
    char *path;        /* the output's name */
    char *old_path;    /* "<path>.old" when an older recording was moved there, else NULL */
    bool created;      /* path is ours: abort removes it */
    struct pf_env env; /* what the header and feature sections say */
    uint64_t attrs_offset;
    uint64_t data_offset;
    uint64_t data_size; /* record bytes accepted (before compression) */
    uint64_t written;   /* bytes written to the data section (after compression) */
    unsigned char *buf; /* records not written yet */
    size_t buf_len, buf_max;
    struct comp_encoder *zenc; /* -z: records go out in COMPRESSED records */
    struct hw_buf zout;
    uint64_t last_sync; /* hw_now_ns of the last write */
    bool failed;
};

/* ---- low-level I/O ---- */

/* Writes all n bytes, retrying short writes and EINTR: with write(2) at the file position when at
 * is NULL, else with pwrite(2) from offset *at. Returns 0, or -1 with errno. */
static int pw_write_all(int fd, const void *p, size_t n, const uint64_t *at)
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
static int pw_io_err(const struct pw_writer *w, struct hw_err *err, int errnum, const char *what)
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
    case EPIPE:
        hint = " (the reader of the stream has gone)";
        break;
    default:
        break;
    }
    return hw_errf(err, "cannot %s %s: %s%s", what, w->path, strerror(errnum), hint);
}

/* Appends bytes to the output. Returns 0, or -1 with err (w is failed then). */
static int pw_out(struct pw_writer *w, const void *p, size_t n, struct hw_err *err)
{
    if (pw_write_all(w->fd, p, n, NULL) < 0) {
        w->failed = true;
        return pw_io_err(w, err, errno, "write");
    }
    w->written += n;
    return 0;
}

/* comp_emit_fn: one COMPRESSED record around each piece, gathered in zout. */
static int pw_emit_piece(void *arg, const void *piece, size_t len, struct hw_err *err)
{
    struct pw_writer *w = arg;
    struct perf_event_header h = {PF_RECORD_COMPRESSED, 0, (uint16_t)(sizeof(h) + len)};
    if (hw_buf_append(&w->zout, &h, sizeof(h)) < 0 || hw_buf_append(&w->zout, piece, len) < 0)
        return hw_err_oom(err);
    return 0;
}

/* Writes the gathered records (compressed with -z). Returns 0 or -1 with err. */
static int pw_flush(struct pw_writer *w, struct hw_err *err)
{
    if (w->buf_len == 0)
        return 0;
    int rc;
    if (w->zenc) {
        w->zout.len = 0;
        rc = comp_encode(w->zenc, w->buf, w->buf_len, PD_ZPIECE, pw_emit_piece, w, err);
        if (rc < 0)
            w->failed = true;
        else
            rc = pw_out(w, w->zout.data, w->zout.len, err);
    } else {
        rc = pw_out(w, w->buf, w->buf_len, err);
    }
    w->buf_len = 0;
    w->last_sync = hw_now_ns();
    return rc;
}

/* ---- meta ---- */

void pw_meta_from_system(struct pw_meta *meta, struct pw_uname_storage *u, const char *version)
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

/* Copies what meta says into w->env. Returns 0 or -1 with err (out of memory). */
static int pw_env_meta(struct pw_writer *w, const struct pw_meta *m, struct hw_err *err)
{
    struct pf_env *env = &w->env;
    const char *src[] = {m->hostname, m->osrelease, m->version, m->arch};
    char **dst[] = {&env->hostname, &env->osrelease, &env->version, &env->arch};
    for (size_t i = 0; i < HW_ARRAY_SIZE(src); i++)
        if (src[i] && !(*dst[i] = hw_strdup(src[i])))
            return hw_err_oom(err);
    env->nr_cpus_avail = m->nr_cpus_avail;
    env->nr_cpus_online = m->nr_cpus_online;
    if (m->argc > 0 && m->argv) {
        if (!(env->argv = calloc((size_t)m->argc, sizeof(*env->argv))))
            return hw_err_oom(err);
        env->argc = (uint32_t)m->argc;
        for (int i = 0; i < m->argc; i++)
            if (!(env->argv[i] = hw_strdup(m->argv[i] ? m->argv[i] : "")))
                return hw_err_oom(err);
    }
    if (m->tracing_data_size) {
        if (!(env->tracing_data = malloc(m->tracing_data_size)))
            return hw_err_oom(err);
        memcpy(env->tracing_data, m->tracing_data, m->tracing_data_size);
        env->tracing_data_size = m->tracing_data_size;
    }
    if (m->compression_level > 0)
        env->compression = (struct pf_compression){.version = 1,
                                                   .type = PF_COMP_ZSTD,
                                                   .level = (uint32_t)m->compression_level,
                                                   .mmap_len = PD_ZMMAP_LEN};
    return 0;
}

/* Copies the build ids that have an id and a file name into w->env. Returns 0 or -1 with err. */
static int pw_env_build_ids(struct pw_writer *w, const struct pw_build_id *bids, size_t nbids,
                            struct hw_err *err)
{
    struct pf_env *env = &w->env;
    for (size_t i = 0; i < nbids; i++) {
        const struct pw_build_id *b = &bids[i];
        if (b->id_len <= 0 || !b->filename)
            continue; /* nothing to say about a file without a build id */
        size_t flen = HW_ALIGN(strlen(b->filename) + 1, PF_NAME_ALIGN);
        if (PF_BUILD_ID_ENTRY_FIXED + flen > PF_MAX_RECORD)
            return hw_errf(err, "file name too long for a build-id entry: %.64s...", b->filename);
        if (hw_grow(&env->build_ids, &env->cap_build_ids, env->nbuild_ids + 1,
                    sizeof(*env->build_ids)) < 0)
            return hw_err_oom(err);
        struct pf_build_id *e = &env->build_ids[env->nbuild_ids];
        *e = (struct pf_build_id){.pid = b->pid, .kernel = b->kernel};
        e->id_len = b->id_len > HW_BUILD_ID_MAX ? HW_BUILD_ID_MAX : b->id_len;
        memcpy(e->id, b->id, (size_t)e->id_len);
        if (!(e->filename = hw_strdup(b->filename)))
            return hw_err_oom(err);
        env->nbuild_ids++;
    }
    return 0;
}

/* Copies the attrs into w->env, and a group for each leader with members. */
static int pw_copy_attrs(struct pw_writer *w, const struct pw_attr *attrs, size_t nattrs,
                         struct hw_err *err)
{
    struct pf_env *env = &w->env;
    env->attrs = calloc(nattrs, sizeof(*env->attrs));
    env->groups = calloc(nattrs, sizeof(*env->groups));
    if (!env->attrs || !env->groups)
        return hw_err_oom(err);
    env->nattrs = nattrs;
    for (size_t i = 0; i < nattrs; i++) {
        struct pf_attr *a = &env->attrs[i];
        a->attr = attrs[i].attr;
        a->attr.size = sizeof(struct perf_event_attr);
        a->nids = attrs[i].nids;
        if (a->nids) {
            if (!attrs[i].ids)
                return hw_errf(err, "internal error: attribute %zu has %zu ids but no array", i,
                               a->nids);
            a->ids = malloc(a->nids * sizeof(*a->ids));
            if (!a->ids)
                return hw_err_oom(err);
            memcpy(a->ids, attrs[i].ids, a->nids * sizeof(*a->ids));
        }
        if (attrs[i].name && !(a->name = hw_strdup(attrs[i].name)))
            return hw_err_oom(err);
        if (attrs[i].group_size > 1)
            env->groups[env->ngroups++] = (struct pf_group){(uint32_t)i, attrs[i].group_size};
    }
    return 0;
}

/* ---- file mode: the header, the attrs, the output file ---- */

/* The file header; features NULL: the header of a recording being written, marked so (see
 * PF_WRITING_MARK), without feature bits. */
static struct pf_file_header pw_header(const struct pw_writer *w, uint64_t data_size,
                                       const uint64_t features[PF_FEAT_BITS / 64])
{
    struct pf_file_header h;
    memset(&h, 0, sizeof(h));
    h.magic = PF_MAGIC;
    h.size = PF_HEADER_SIZE;
    h.attr_size = sizeof(struct perf_event_attr) + sizeof(struct pf_section);
    h.attrs = (struct pf_section){w->attrs_offset, w->env.nattrs * h.attr_size};
    h.data = (struct pf_section){w->data_offset, data_size};
    if (features)
        memcpy(h.features, features, sizeof(h.features));
    else
        h.event_types.offset = PF_WRITING_MARK;
    return h;
}

/* Writes the header, the id arrays and the attrs; sets attrs_offset and data_offset. */
static int pw_write_prologue(struct pw_writer *w, struct hw_err *err)
{
    const uint64_t attr_sz = sizeof(struct perf_event_attr);
    const struct pf_env *env = &w->env;
    struct hw_buf b = {0};
    uint64_t off = PF_HEADER_SIZE;
    int rc = hw_buf_reserve(&b, PF_HEADER_SIZE);

    /* The id arrays, then the attrs pointing at them. */
    b.len = PF_HEADER_SIZE;
    for (size_t i = 0; rc == 0 && i < env->nattrs; i++)
        rc = hw_buf_append(&b, env->attrs[i].ids, env->attrs[i].nids * sizeof(uint64_t));
    w->attrs_offset = off = b.len;
    uint64_t ids_at = PF_HEADER_SIZE;
    for (size_t i = 0; rc == 0 && i < env->nattrs; i++) {
        struct pf_section ids = {ids_at, env->attrs[i].nids * sizeof(uint64_t)};
        ids_at += ids.size;
        rc = hw_buf_append(&b, &env->attrs[i].attr, attr_sz);
        if (rc == 0)
            rc = hw_buf_append(&b, &ids, sizeof(ids));
        off += attr_sz + sizeof(ids);
    }
    if (rc < 0) {
        hw_buf_free(&b);
        return hw_err_oom(err);
    }
    w->data_offset = off;
    struct pf_file_header h = pw_header(w, 0, NULL);
    memcpy(b.data, &h, sizeof(h));
    rc = pw_write_all(w->fd, b.data, b.len, NULL) < 0 ? pw_io_err(w, err, errno, "write") : 0;
    hw_buf_free(&b);
    return rc;
}

/* Creates path for writing, mode 0600 whatever the umask (a recording holds command lines and
 * stack copies); an older non-empty file there is kept as path.old, as perf does. Never replaces
 * a directory, device or pipe. Returns 0 or -1 with err. */
static int pw_create(struct pw_writer *w, struct hw_err *err)
{
    const char *path = w->path;
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!S_ISREG(st.st_mode))
            return hw_errf(err, "cannot write %s: it is %s; give a regular file name with -o", path,
                           S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
        if (st.st_size > 0) {
            if (asprintf(&w->old_path, "%s.old", path) < 0) {
                w->old_path = NULL;
                return hw_err_oom(err);
            }
            if (rename(path, w->old_path) < 0) {
                int e = errno;
                free(w->old_path);
                w->old_path = NULL;
                return hw_errf(err, "cannot keep the existing %s as %s.old: %s%s", path, path,
                               strerror(e),
                               e == EPERM || e == EACCES
                                   ? " (it belongs to someone else: choose another name with -o)"
                                   : "");
            }
        }
    }
    w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (w->fd < 0) {
        int e = errno;
        const char *hint = e == ENOENT   ? " (does the directory exist?)"
                           : e == EACCES ? " (choose a writable directory with -o)"
                                         : "";
        return hw_errf(err, "cannot create %s: %s%s", path, strerror(e), hint);
    }
    w->created = true;
    if (fchmod(w->fd, 0600) < 0)
        return hw_errf_errno(err, errno, "cannot set the mode of %s", path);
    return 0;
}

/* ---- pipe mode ---- */

/* Appends a record of type with the body (header.size must fit in 16 bits). */
static int pw_put_record(struct hw_buf *b, uint32_t type, const void *p1, size_t n1, const void *p2,
                         size_t n2)
{
    struct perf_event_header h = {type, 0, (uint16_t)(sizeof(h) + n1 + n2)};
    if (sizeof(h) + n1 + n2 > PF_MAX_RECORD)
        return -1;
    return hw_buf_append(b, &h, sizeof(h)) < 0 || hw_buf_append(b, p1, n1) < 0 ||
                   hw_buf_append(b, p2, n2) < 0
               ? -1
               : 0;
}

/* HEADER_FEATURE records of the features env has now (the ones in ids[]). Returns 0 or -1. */
static int pw_put_features(const struct pf_env *env, const int *ids, size_t n, struct hw_buf *b)
{
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct hw_buf body = {0};
        uint64_t id = (uint64_t)ids[i];
        rc = pf_write_feature(env, ids[i], &body);
        if (rc == 0 && body.len)
            rc = pw_put_record(b, PF_RECORD_HEADER_FEATURE, &id, sizeof(id), body.data, body.len);
        hw_buf_free(&body);
    }
    return rc;
}

/* HEADER_TRACING_DATA as a stream carries it: u32 size (padded to 8), u32 pad; then the bytes
 * and the padding, which the record's header.size does not count. Returns 0 or -1. */
static int pw_put_tracing_record(const struct pf_env *env, struct hw_buf *b)
{
    static const unsigned char zeros[8];
    uint64_t padded = HW_ALIGN(env->tracing_data_size, 8);
    if (padded > UINT32_MAX)
        return -1;
    uint32_t size[2] = {(uint32_t)padded, 0};
    return pw_put_record(b, PF_RECORD_HEADER_TRACING_DATA, size, sizeof(size), NULL, 0) < 0 ||
                   hw_buf_append(b, env->tracing_data, env->tracing_data_size) < 0 ||
                   hw_buf_append(b, zeros, (size_t)(padded - env->tracing_data_size)) < 0
               ? -1
               : 0;
}

/* The start of a pipe-mode stream: its header, one HEADER_ATTR per attr (with its ids), then
 * the features known now, as records (perf record -o - does the same). */
static int pw_write_stream_start(struct pw_writer *w, struct hw_err *err)
{
    static const int feats[] = {PF_FEAT_HOSTNAME,   PF_FEAT_OSRELEASE,  PF_FEAT_VERSION,
                                PF_FEAT_ARCH,       PF_FEAT_NRCPUS,     PF_FEAT_CMDLINE,
                                PF_FEAT_EVENT_DESC, PF_FEAT_GROUP_DESC, PF_FEAT_COMPRESSED};
    struct pf_pipe_header ph = {PF_MAGIC, PF_PIPE_HEADER_SIZE};
    struct hw_buf b = {0};
    int rc = hw_buf_append(&b, &ph, sizeof(ph));
    for (size_t i = 0; rc == 0 && i < w->env.nattrs; i++) {
        const struct pf_attr *a = &w->env.attrs[i];
        if (sizeof(struct perf_event_header) + sizeof(a->attr) + a->nids * 8 > PF_MAX_RECORD) {
            hw_buf_free(&b);
            return hw_errf(err,
                           "event %s has %zu ids, more than a pipe-mode stream can carry; record "
                           "to a file",
                           a->name ? a->name : "?", a->nids);
        }
        rc = pw_put_record(&b, PF_RECORD_HEADER_ATTR, &a->attr, sizeof(a->attr), a->ids,
                           a->nids * 8);
    }
    if (rc == 0)
        rc = pw_put_features(&w->env, feats, HW_ARRAY_SIZE(feats), &b);
    if (rc == 0 && w->env.tracing_data_size)
        rc = pw_put_tracing_record(&w->env, &b);
    rc = rc < 0 ? hw_err_oom(err) : pw_out(w, b.data, b.len, err);
    w->written = 0; /* the data is what follows */
    hw_buf_free(&b);
    return rc;
}

/* The end of a pipe-mode stream: the build ids and sample times, as records. */
static int pw_write_stream_end(struct pw_writer *w, struct hw_err *err)
{
    static const int feats[] = {PF_FEAT_SAMPLE_TIME, PF_FEAT_COMPRESSED};
    struct hw_buf b = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < w->env.nbuild_ids; i++)
        rc = pf_put_build_id(&b, PF_RECORD_HEADER_BUILD_ID, &w->env.build_ids[i]);
    if (rc == 0)
        rc = pw_put_features(&w->env, feats, w->zenc ? 2 : 1, &b);
    rc = rc < 0 ? hw_err_oom(err) : pw_out(w, b.data, b.len, err);
    hw_buf_free(&b);
    return rc;
}

/* ---- open ---- */

static void pw_writer_free(struct pw_writer *w)
{
    if (!w)
        return;
    pf_env_free(&w->env);
    comp_encoder_free(w->zenc);
    hw_buf_free(&w->zout);
    free(w->buf);
    free(w->old_path);
    free(w->path);
    free(w);
}

/* Closes the output; a file that is not finished is removed and an older one moved back. */
static void pw_writer_discard(struct pw_writer *w)
{
    if (!w)
        return;
    if (w->fd >= 0 && !w->pipe)
        close(w->fd);
    if (w->created) {
        unlink(w->path);
        if (w->old_path)
            rename(w->old_path, w->path);
    }
    pw_writer_free(w);
}

int pw_writer_open(struct pw_writer **wp, const char *path, const struct pw_attr *attrs,
                   size_t nattrs, const struct pw_meta *meta, struct hw_err *err)
{
    *wp = NULL;
    if (!path || !*path)
        return hw_errf(err, "no output file name given");
    if (nattrs == 0 || !attrs)
        return hw_errf(err, "internal error: a perf.data file needs at least one event attribute");
    bool pipe = strcmp(path, "-") == 0;
    if (pipe && isatty(STDOUT_FILENO))
        return hw_errf(err, "standard output is a terminal: pipe the recording into 'hwprof report "
                            "-i -' or 'perf report -i -', or give a file name with -o");
    struct pw_writer *w = calloc(1, sizeof(*w));
    if (!w)
        return hw_err_oom(err);
    w->fd = -1;
    w->pipe = pipe;
    w->path = hw_strdup(pipe ? PD_STDOUT_NAME : path);
    w->buf = malloc(PD_BUF_SIZE);
    w->buf_max = meta && meta->compression_level > 0 ? PD_ZCHUNK : PD_BUF_SIZE;
    w->last_sync = hw_now_ns();
    int rc = !w->path || !w->buf ? hw_err_oom(err) : 0;
    if (rc == 0)
        rc = pw_copy_attrs(w, attrs, nattrs, err);
    if (rc == 0 && meta)
        rc = pw_env_meta(w, meta, err);
    if (rc == 0 && meta && meta->compression_level > 0)
        rc = comp_encoder_new(&w->zenc, meta->compression_level, err);
    if (rc == 0 && pipe)
        w->fd = STDOUT_FILENO;
    else if (rc == 0)
        rc = pw_create(w, err);
    if (rc == 0)
        rc = pipe ? pw_write_stream_start(w, err) : pw_write_prologue(w, err);
    if (rc < 0) {
        pw_writer_discard(w);
        return -1;
    }
    *wp = w;
    return 0;
}

/* ---- data ---- */

/* Writes the gathered records, then a header whose data size covers them, and starts their
 * writeback: perf reads a file up to the data size its header states (it refuses data size 0),
 * hwprof up to its end while the header is marked as being written. Returns 0 or -1 with err. */
static int pw_sync(struct pw_writer *w, struct hw_err *err)
{
    if (pw_flush(w, err) < 0)
        return -1;
    if (w->pipe)
        return 0;
    struct pf_file_header h = pw_header(w, w->written, NULL);
    if (pw_write_all(w->fd, &h, sizeof(h), &(uint64_t){0}) < 0) {
        w->failed = true;
        return pw_io_err(w, err, errno, "write");
    }
    (void)sync_file_range(w->fd, 0, 0, SYNC_FILE_RANGE_WRITE); /* best effort */
    return 0;
}

int pw_writer_write(struct pw_writer *w, const void *rec, size_t len, struct hw_err *err)
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
    if (len > w->buf_max - w->buf_len && pw_flush(w, err) < 0)
        return -1;
    memcpy(w->buf + w->buf_len, rec, len); /* len <= 65535 < buf_max */
    w->buf_len += len;
    w->data_size += len;
    /* a round is a point where the records so far make sense: let them reach the file now and
     * then, so a recording killed by SIGKILL, the OOM killer or a power loss keeps them */
    if (h.type == PF_RECORD_FINISHED_ROUND && hw_now_ns() - w->last_sync >= PD_SYNC_NS)
        return pw_sync(w, err);
    return 0;
}

uint64_t pw_writer_data_size(const struct pw_writer *w)
{
    return w->data_size;
}

/* ---- finish ---- */

/* fsyncs the directory holding path so a new file is durable; errors are ignored (best effort). */
static void pw_sync_dir(const char *path)
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

/* The feature sections after the data, then the final header (data size and feature bits). */
static int pw_finish_file(struct pw_writer *w, struct hw_err *err)
{
    struct hw_buf feats = {0};
    uint64_t features[PF_FEAT_BITS / 64] = {0};
    uint64_t feat_off = w->data_offset + w->written;
    int rc = pf_write_features(&w->env, feat_off, &feats, features, err);
    if (rc == 0 && pw_write_all(w->fd, feats.data, feats.len, &feat_off) < 0)
        rc = pw_io_err(w, err, errno, "write");
    hw_buf_free(&feats);
    struct pf_file_header h = pw_header(w, w->written, features);
    if (rc == 0 && pw_write_all(w->fd, &h, sizeof(h), &(uint64_t){0}) < 0)
        rc = pw_io_err(w, err, errno, "write");
    if (rc == 0 && fsync(w->fd) < 0)
        rc = pw_io_err(w, err, errno, "write");
    int fd = w->fd;
    w->fd = -1;
    if (close(fd) < 0 && rc == 0)
        rc = pw_io_err(w, err, errno, "write");
    if (rc == 0)
        pw_sync_dir(w->path);
    return rc;
}

int pw_writer_finish(struct pw_writer *w, uint64_t first_sample_time, uint64_t last_sample_time,
                     const struct pw_build_id *bids, size_t nbids, struct hw_err *err)
{
    int rc = 0;
    if (w->failed)
        rc = hw_errf(err, "cannot finish %s: an earlier write failed", w->path);
    if (rc == 0 && w->data_size == 0) {
        /* a finished file has data: an empty data section means an unfinished one */
        struct perf_event_header round = {PF_RECORD_FINISHED_ROUND, 0, sizeof(round)};
        rc = pw_writer_write(w, &round, sizeof(round), err);
    }
    if (rc == 0)
        rc = pw_flush(w, err);
    w->env.first_sample_time = first_sample_time;
    w->env.last_sample_time = last_sample_time;
    if (w->zenc && w->written)
        w->env.compression.ratio = (uint32_t)((w->data_size + w->written / 2) / w->written);
    if (rc == 0)
        rc = pw_env_build_ids(w, bids, nbids, err);
    if (rc == 0)
        rc = w->pipe ? pw_write_stream_end(w, err) : pw_finish_file(w, err);
    if (rc == 0)
        w->created = false; /* finished: it stays */
    pw_writer_discard(w);
    return rc;
}

void pw_writer_abort(struct pw_writer *w)
{
    pw_writer_discard(w);
}
