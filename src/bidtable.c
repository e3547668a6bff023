/* bidtable.c - the build-id table a recording ends with: the binaries samples hit, their build ids (from the records, the files, a container's root, the vDSO, the kernel), and copies of them in the build-id cache. */
#include "bidtable.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bidcache.h"
#include "buildid.h"

struct bidtable {
    char *cache_dir;           /* NULL: no copies */
    int *fds;                  /* per dso index: the file opened in its process's root, -1: none */
    size_t cap_fds;
    bool have_own_ns;
    struct stat own_ns;        /* this process's mount namespace */
};

struct bidtable *bidtable_new(const char *cache_dir)
{
    struct bidtable *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    if (cache_dir && !(t->cache_dir = hw_strdup(cache_dir))) {
        free(t);
        return NULL;
    }
    t->have_own_ns = stat("/proc/self/ns/mnt", &t->own_ns) == 0;
    return t;
}

void bidtable_free(struct bidtable *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->cap_fds; i++)
        if (t->fds[i] >= 0)
            close(t->fds[i]);
    free(t->fds);
    free(t->cache_dir);
    free(t);
}

/* Whether pid lives in a mount namespace other than ours (false when it cannot be told). */
static bool bidtable_foreign(const struct bidtable *t, uint32_t pid)
{
    char path[64];
    struct stat st;
    snprintf(path, sizeof(path), "/proc/%u/ns/mnt", pid);
    return t->have_own_ns && stat(path, &st) == 0 && (st.st_ino != t->own_ns.st_ino || st.st_dev != t->own_ns.st_dev);
}

void bidtable_note_mmap(struct bidtable *t, uint32_t pid, const struct mach_dso *dso)
{
    if (dso->path[0] != '/' || dso->kernel)
        return;
    size_t have = t->cap_fds;
    if (hw_grow(&t->fds, &t->cap_fds, dso->index + 1, sizeof(*t->fds)) < 0)
        return;
    for (size_t i = have; i < t->cap_fds; i++)
        t->fds[i] = -1;
    if (t->fds[dso->index] >= 0 || !bidtable_foreign(t, pid))
        return;
    char path[4096 + 64];
    if ((size_t)snprintf(path, sizeof(path), "/proc/%u/root%s", pid, dso->path) >= sizeof(path))
        return;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
        close(fd);
        fd = -1;
    }
    t->fds[dso->index] = fd;
}

/* The file a binary's build id and copy come from: the one opened in its container, else its path. */
static const char *bidtable_source(const struct bidtable *t, const struct mach_dso *d, char *buf, size_t size)
{
    if (d->index < t->cap_fds && t->fds[d->index] >= 0) {
        snprintf(buf, size, "/proc/self/fd/%d", t->fds[d->index]);
        return buf;
    }
    return d->path;
}

/* Whether the cache already holds the file of this build id. */
static bool bidtable_cached(const struct bidtable *t, const uint8_t *id, int len, enum bidcache_kind kind)
{
    char path[4096];
    return bidcache_path(t->cache_dir, id, len, kind, path, sizeof(path)) == 0 && access(path, F_OK) == 0;
}

/* Reads a whole small file of unknown size (/proc/kallsyms). Returns 0 with *buf filled, or -1. */
static int bidtable_slurp(const char *path, struct hw_buf *buf)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    for (;;) {
        if (hw_buf_reserve(buf, 1 << 16) < 0)
            break;
        ssize_t r = read(fd, buf->data + buf->len, buf->cap - buf->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            close(fd);
            return r == 0 ? 0 : -1;
        }
        buf->len += (size_t)r;
    }
    close(fd);
    return -1;
}

/* Keeps a copy of the entry's binary in the cache (a warning when that fails). */
static void bidtable_store(const struct bidtable *t, const struct pw_build_id *b, const char *src,
                           const struct hw_warn *w)
{
    enum bidcache_kind kind = b->kernel ? BIDCACHE_KALLSYMS
                              : strcmp(b->filename, "[vdso]") == 0 ? BIDCACHE_VDSO
                                                                   : BIDCACHE_ELF;
    if (!t->cache_dir || bidtable_cached(t, b->id, b->id_len, kind))
        return;
    struct hw_err err = {{0}};
    int rc;
    if (kind == BIDCACHE_VDSO) {
        rc = bidcache_store_vdso(t->cache_dir, &err);
    } else if (kind == BIDCACHE_KALLSYMS) {
        struct hw_buf buf = {0};
        if (bidtable_slurp("/proc/kallsyms", &buf) < 0)
            rc = hw_errf_errno(&err, errno, "cannot read /proc/kallsyms");
        else if (buf.len < 16 || memcmp(buf.data, "0000000000000000", 16) == 0)
            rc = 0; /* addresses hidden from us (kptr_restrict): nothing worth keeping */
        else
            rc = bidcache_store(t->cache_dir, "[kernel.kallsyms]", b->id, b->id_len, kind, buf.data, buf.len, &err);
        hw_buf_free(&buf);
    } else {
        rc = bidcache_store_file(t->cache_dir, b->filename, src, b->id, b->id_len, &err);
    }
    if (rc < 0)
        hw_warnf(w, "not kept in the build-id cache %s: %s", t->cache_dir, err.msg);
}

int bidtable_collect(struct bidtable *t, const struct machine *m, bool kernel, struct pw_build_id **out,
                     size_t *nout, const struct hw_warn *w, struct hw_err *err)
{
    size_t n;
    const struct mach_dso *const *dsos = mach_dsos(m, &n);
    struct pw_build_id *v = calloc(n ? n : 1, sizeof(*v));
    if (!v)
        return hw_err_oom(err);
    size_t k = 0;
    bool kernel_done = false;
    for (size_t i = 0; i < n; i++) {
        const struct mach_dso *d = dsos[i];
        struct pw_build_id *b = &v[k];
        char buf[64];
        const char *src = d->path;
        if (!d->hit)
            continue;
        b->pid = -1;
        if (d->kernel || strncmp(d->path, "[kernel.kallsyms]", 17) == 0) {
            if (kernel_done || strncmp(d->path, "[kernel.kallsyms]", 17) != 0)
                continue; /* one entry for the kernel; modules are named by their own files */
            kernel_done = true;
            b->kernel = true;
            b->filename = "[kernel.kallsyms]";
            b->id_len = buildid_read_kernel(b->id);
        } else if (strcmp(d->path, "[vdso]") == 0) {
            const void *img;
            size_t len;
            b->filename = "[vdso]";
            b->id_len = bidcache_own_vdso(&img, &len, b->id);
        } else if (d->path[0] == '/') {
            b->filename = d->path;
            src = bidtable_source(t, d, buf, sizeof(buf));
            if (d->build_id_size) {
                memcpy(b->id, d->build_id, d->build_id_size);
                b->id_len = d->build_id_size;
            } else {
                b->id_len = buildid_read_file(src, b->id);
            }
        } else {
            continue; /* //anon, [heap], ... */
        }
        if (b->id_len <= 0)
            continue;
        if (!b->kernel || kernel)
            bidtable_store(t, b, src, w);
        k++;
    }
    *out = v;
    *nout = k;
    return 0;
}
