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

#define PD_BUF_SIZE (1u << 20)

struct pd_writer {
    int fd;
    char *path;     /* final name */
    char *tmp_path; /* "<path>.tmp-XXXXXX" while writing */
    struct pf_env env; /* what the header and feature sections say; attrs copied at open */
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
    pf_env_free(&w->env);
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

/* Copies the attrs into w->env, and a group for each leader with members. */
static int pd_copy_attrs(struct pd_writer *w, const struct pd_attr *attrs, size_t nattrs,
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

/* Writes the header placeholder, the id arrays and the attrs; sets attrs_offset and data_offset. */
static int pd_write_prologue(struct pd_writer *w, struct hw_err *err)
{
    const uint64_t attr_sz = sizeof(struct perf_event_attr);
    const struct pf_env *env = &w->env;
    uint64_t off = PF_HEADER_SIZE;
    struct pf_file_header zero;
    memset(&zero, 0, sizeof(zero));
    memcpy(w->buf, &zero, sizeof(zero));
    size_t n = sizeof(zero);

    /* The id arrays, then the attrs pointing at them. Everything fits: checked by the caller. */
    uint64_t *id_offsets = calloc(env->nattrs, sizeof(*id_offsets));
    if (!id_offsets)
        return hw_err_oom(err);
    for (size_t i = 0; i < env->nattrs; i++) {
        id_offsets[i] = off;
        size_t sz = env->attrs[i].nids * sizeof(uint64_t);
        if (sz)
            memcpy(w->buf + n, env->attrs[i].ids, sz);
        n += sz;
        off += sz;
    }
    w->attrs_offset = off;
    for (size_t i = 0; i < env->nattrs; i++) {
        struct pf_section ids = {id_offsets[i], env->attrs[i].nids * sizeof(uint64_t)};
        memcpy(w->buf + n, &env->attrs[i].attr, attr_sz);
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
    uint64_t prologue = PF_HEADER_SIZE;
    for (size_t i = 0; i < nattrs; i++) {
        if (attrs[i].nids > PD_BUF_SIZE / sizeof(uint64_t))
            return hw_errf(err, "internal error: too many ids (%zu) for one event", attrs[i].nids);
        prologue += sizeof(struct perf_event_attr) + sizeof(struct pf_section) +
                    attrs[i].nids * sizeof(uint64_t);
    }
    if (prologue > PD_BUF_SIZE)
        return hw_errf(err, "too many events or ids for one perf.data file (%zu events)", nattrs);

    struct pd_writer *w = calloc(1, sizeof(*w));
    if (!w)
        return hw_err_oom(err);
    w->fd = -1;
    w->path = hw_strdup(path);
    w->buf = malloc(PD_BUF_SIZE);
    if (!w->path || !w->buf || asprintf(&w->tmp_path, "%s.tmp-XXXXXX", path) < 0) {
        w->tmp_path = NULL;
        pd_writer_free(w);
        return hw_err_oom(err);
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

/* Copies what meta says into w->env. Returns 0 or -1 with err (out of memory). */
static int pd_env_meta(struct pd_writer *w, const struct pd_meta *m, struct hw_err *err)
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
    env->first_sample_time = m->first_sample_time;
    env->last_sample_time = m->last_sample_time;
    return 0;
}

/* Copies the build ids that have an id and a file name into w->env. Returns 0 or -1 with err. */
static int pd_env_build_ids(struct pd_writer *w, const struct pd_build_id *bids, size_t nbids,
                            struct hw_err *err)
{
    struct pf_env *env = &w->env;
    for (size_t i = 0; i < nbids; i++) {
        const struct pd_build_id *b = &bids[i];
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
    struct pf_file_header h;
    int r = -1;

    if (w->failed) {
        hw_errf(err, "cannot finish %s: an earlier write failed", w->path);
        goto fail;
    }
    if (pd_flush(w, err) < 0)
        goto fail;

    memset(&h, 0, sizeof(h));
    uint64_t feat_off = w->data_offset + w->data_size;
    if ((meta && pd_env_meta(w, meta, err) < 0) || pd_env_build_ids(w, bids, nbids, err) < 0 ||
        pf_write_features(&w->env, feat_off, &feats, h.features, err) < 0)
        goto fail;
    if (pd_write_all(w->fd, feats.data, feats.len, &feat_off) < 0) {
        pd_io_err(w, err, errno, "write");
        goto fail;
    }

    h.magic = PF_MAGIC;
    h.size = PF_HEADER_SIZE;
    h.attr_size = sizeof(struct perf_event_attr) + sizeof(struct pf_section);
    h.attrs = (struct pf_section){w->attrs_offset, w->env.nattrs * h.attr_size};
    h.data = (struct pf_section){w->data_offset, w->data_size};
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
