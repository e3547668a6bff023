/* bidcache.c - perf's build-id cache (~/.debug): paths of cached binaries and vDSO images by build id, and storing them. */
#include "bidcache.h"

#include "buildid.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

char *bidcache_default_dir(void)
{
    const char *home = getenv("HOME");
    if (!home || !home[0])
        return NULL;
    size_t n = strlen(home) + sizeof("/.debug");
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/.debug", home);
    return p;
}

static const char *bidcache_name(enum bidcache_kind kind)
{
    return kind == BIDCACHE_VDSO ? "vdso" : kind == BIDCACHE_KALLSYMS ? "kallsyms" : "elf";
}

int bidcache_path(const char *dir, const uint8_t *id, int len, enum bidcache_kind kind, char *out,
                  size_t size)
{
    if (len <= 0 || len > HW_BUILD_ID_MAX)
        return -1;
    char hex[2 * HW_BUILD_ID_MAX + 1];
    buildid_to_hex(id, len, hex);
    int n = snprintf(out, size, "%s/.build-id/%.2s/%s/%s", dir, hex, hex + 2, bidcache_name(kind));
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Creates every missing directory of path (0755). Returns 0 or -1 with errno. */
static int bidcache_mkdirs(char *path)
{
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p)
            continue;
        char c = *p;
        *p = '\0';
        int rc = mkdir(path, 0755);
        *p = c;
        if (rc < 0 && errno != EEXIST)
            return -1;
        if (!c)
            return 0;
    }
}

/* Whether path is a name the cache can hold: "[vdso]", "[kernel.kallsyms]", or absolute without "."
 * or ".." parts. */
static bool bidcache_path_ok(const char *path)
{
    if (strcmp(path, "[vdso]") == 0 || strcmp(path, "[kernel.kallsyms]") == 0)
        return true;
    if (path[0] != '/')
        return false;
    for (const char *p = path; *p; p++)
        if (p[0] == '/' && p[1] == '.' &&
            (p[2] == '/' || !p[2] || (p[2] == '.' && (p[3] == '/' || !p[3]))))
            return false;
    return true;
}

/* Writes n bytes to a new file at path (through a temporary name). Returns 0 or -1 with errno. */
static int bidcache_write(const char *path, const void *data, size_t n)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= (int)sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = mkstemp(tmp);
    if (fd < 0)
        return -1;
    const unsigned char *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : EIO;
            close(fd);
            unlink(tmp);
            errno = e;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    if (fchmod(fd, 0644) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

int bidcache_store(const char *dir, const char *path, const uint8_t *id, int len,
                   enum bidcache_kind kind, const void *data, size_t n, struct hw_err *err)
{
    if (len <= 0 || len > HW_BUILD_ID_MAX)
        return hw_errf(err, "cannot cache %s: it has no build id", path);
    if (!bidcache_path_ok(path))
        return hw_errf(err, "cannot cache %s: not an absolute path", path);
    char hex[2 * HW_BUILD_ID_MAX + 1];
    buildid_to_hex(id, len, hex);
    const char *sep = path[0] == '/' ? "" : "/";
    char file[4096], link[4096], target[4096];
    int a = snprintf(file, sizeof(file), "%s%s%s/%s/%s", dir, sep, path, hex, bidcache_name(kind));
    int b = snprintf(link, sizeof(link), "%s/.build-id/%.2s/%s", dir, hex, hex + 2);
    int c = snprintf(target, sizeof(target), "../..%s%s/%s", sep, path, hex);
    if (a < 0 || b < 0 || c < 0 || (size_t)a >= sizeof(file) || (size_t)b >= sizeof(link) ||
        (size_t)c >= sizeof(target))
        return hw_errf(err, "cannot cache %s: the path is too long", path);
    struct stat st;
    if (stat(file, &st) == 0 && S_ISREG(st.st_mode))
        return 0;
    char *slash = strrchr(file, '/');
    *slash = '\0';
    if (bidcache_mkdirs(file) < 0)
        return hw_errf_errno(err, errno, "cannot create %s", file);
    *slash = '/';
    if (bidcache_write(file, data, n) < 0)
        return hw_errf_errno(err, errno, "cannot write %s", file);
    slash = strrchr(link, '/');
    *slash = '\0';
    if (bidcache_mkdirs(link) < 0)
        return hw_errf_errno(err, errno, "cannot create %s", link);
    *slash = '/';
    if (symlink(target, link) < 0 && errno != EEXIST)
        return hw_errf_errno(err, errno, "cannot link %s", link);
    return 0;
}

int bidcache_store_file(const char *dir, const char *path, const char *src, const uint8_t *id,
                        int len, struct hw_err *err)
{
    int fd = open(src, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return hw_errf_errno(err, errno, "cannot open %s", src);
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return hw_errf(err, "cannot cache %s: not a regular file", src);
    }
    size_t n = (size_t)st.st_size;
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf) {
        close(fd);
        return hw_err_oom(err);
    }
    size_t have = 0;
    while (have < n) {
        ssize_t r = read(fd, buf + have, n - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        have += (size_t)r;
    }
    close(fd);
    int rc = have == n ? bidcache_store(dir, path, id, len, BIDCACHE_ELF, buf, n, err)
                       : hw_errf(err, "cannot read %s: it changed while it was copied", src);
    free(buf);
    return rc;
}

/* The build id of an ELF image in memory, from its PT_NOTE segments. Returns its length or 0. */
static int bidcache_image_build_id(const unsigned char *img, size_t n, uint8_t id[HW_BUILD_ID_MAX])
{
    Elf64_Ehdr eh;
    if (n < sizeof(eh) || memcmp(img, ELFMAG, SELFMAG) != 0 || img[EI_CLASS] != ELFCLASS64)
        return 0;
    memcpy(&eh, img, sizeof(eh));
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > n ||
        (n - eh.e_phoff) / sizeof(Elf64_Phdr) < eh.e_phnum)
        return 0;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
        if (ph.p_type != PT_NOTE || ph.p_offset > n || n - ph.p_offset < ph.p_filesz)
            continue;
        int len = buildid_from_notes(img + ph.p_offset, ph.p_filesz, id);
        if (len > 0)
            return len;
    }
    return 0;
}

int bidcache_own_vdso(const void **img, size_t *n, uint8_t id[HW_BUILD_ID_MAX])
{
    unsigned long base = getauxval(AT_SYSINFO_EHDR);
    if (!base)
        return -1;
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f)
        return -1;
    char line[512];
    unsigned long lo = 0, hi = 0;
    bool found = false;
    while (!found && fgets(line, sizeof(line), f))
        found = strstr(line, "[vdso]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo == base &&
                hi > lo;
    fclose(f);
    if (!found)
        return -1;
    int len = bidcache_image_build_id((const unsigned char *)base, hi - lo, id);
    if (len <= 0)
        return -1;
    *img = (const void *)base;
    *n = hi - lo;
    return len;
}

int bidcache_store_vdso(const char *dir, struct hw_err *err)
{
    const void *img;
    size_t n;
    uint8_t id[HW_BUILD_ID_MAX];
    int len = bidcache_own_vdso(&img, &n, id);
    if (len <= 0)
        return hw_errf(err, "no vDSO with a build id in this process");
    return bidcache_store(dir, "[vdso]", id, len, BIDCACHE_VDSO, img, n, err);
}
