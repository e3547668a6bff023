/* sym_debuginfo.c - find a binary's separate debug file without debuginfod: by build id, .gnu_debuglink name and CRC, or BIN.debug. */
#include "sym_private.h"

#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* CRC-32 (the polynomial of .gnu_debuglink) tables for 8 bytes at a time ("slicing by 8"). */
static uint32_t sym_crc_tab[8][256];
static pthread_once_t sym_crc_once = PTHREAD_ONCE_INIT;

static void sym_crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        sym_crc_tab[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            sym_crc_tab[t][i] =
                (sym_crc_tab[t - 1][i] >> 8) ^ sym_crc_tab[0][sym_crc_tab[t - 1][i] & 0xff];
}

uint32_t sym_crc32_update(uint32_t crc, const void *buf, size_t n)
{
    pthread_once(&sym_crc_once, sym_crc_init);
    const unsigned char *p = buf;
    crc = ~crc;
    for (; n >= 8; n -= 8, p += 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                             (uint32_t)p[3] << 24);
        crc = sym_crc_tab[7][lo & 0xff] ^ sym_crc_tab[6][(lo >> 8) & 0xff] ^
              sym_crc_tab[5][(lo >> 16) & 0xff] ^ sym_crc_tab[4][lo >> 24] ^ sym_crc_tab[3][p[4]] ^
              sym_crc_tab[2][p[5]] ^ sym_crc_tab[1][p[6]] ^ sym_crc_tab[0][p[7]];
    }
    while (n--)
        crc = sym_crc_tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

/* The .gnu_debuglink CRC-32 of the whole file, read in large blocks. Returns 0, or -1 on a read
 * error. */
static int sym_file_crc(int fd, uint32_t *out)
{
    enum { BLOCK = 1 << 20 };
    unsigned char *buf = malloc(BLOCK);
    if (!buf)
        return -1;
    uint32_t crc = 0;
    off_t at = 0;
    int rc = 0;
    for (;;) {
        ssize_t r = pread(fd, buf, BLOCK, at);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            rc = -1;
        if (r <= 0)
            break;
        crc = sym_crc32_update(crc, buf, (size_t)r);
        at += r;
    }
    free(buf);
    *out = crc;
    return rc;
}

/* Whether fd starts with the ELF magic. */
static bool sym_is_elf(int fd)
{
    unsigned char m[SELFMAG];
    return pread(fd, m, sizeof(m), 0) == (ssize_t)sizeof(m) && memcmp(m, ELFMAG, SELFMAG) == 0;
}

/* Opens path as a debug file of the module whose main file is main_st: another regular ELF file
 * (opened without blocking). With id_len > 0 its build id must be id (the CRC is then not needed);
 * else with crc != 0 its .gnu_debuglink CRC must be crc. So a large file is never read whole unless
 * the module has no build id. Returns the fd or -1. */
static int sym_try_debug(const char *path, const struct stat *main_st, GElf_Word crc,
                         const unsigned char *id, int id_len)
{
    int fd = sym_open_regular(path);
    if (fd < 0)
        return -1;
    struct stat st;
    uint32_t have;
    uint8_t have_id[HW_BUILD_ID_MAX];
    char self[64];
    snprintf(self, sizeof(self), "/proc/self/fd/%d",
             fd); /* the file opened, not what path is now */
    int have_len;
    if (fstat(fd, &st) < 0 ||
        (main_st && st.st_dev == main_st->st_dev && st.st_ino == main_st->st_ino) ||
        !sym_is_elf(fd) ||
        (id_len > 0 && ((have_len = buildid_read_file(self, have_id)) != id_len ||
                        memcmp(have_id, id, (size_t)id_len) != 0)) ||
        (id_len <= 0 && crc != 0 && (sym_file_crc(fd, &have) < 0 || have != crc))) {
        close(fd);
        return -1;
    }
    return fd;
}

/* find_debuginfo callback. With opts.debuginfod, libdwfl's standard search (which ends with a
 * debuginfod query when DEBUGINFOD_URLS is set). Otherwise a local search only, every candidate
 * opened as a regular file without blocking: by build id under ROOT/usr/lib/debug/.build-id, then
 * the .gnu_debuglink name in the file's directory, its .debug subdirectory and
 * ROOT/usr/lib/debug/DIR. */
int sym_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                       const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
                       char **debuginfo_file_name)
{
    const struct symbolizer *s = *userdata;
    if (s->opts.debuginfod)
        return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
                                            debuglink_crc, debuginfo_file_name);
    /* libdw asks for a .gnu_debugaltlink file (dwz) with an absolute name and no CRC: that file has
     * its own build id, not the module's. */
    const unsigned char *id = NULL;
    GElf_Addr id_vaddr;
    int id_len = 0;
    bool altlink = debuglink_file && debuglink_file[0] == '/' && debuglink_crc == 0;
    if (altlink || (id_len = dwfl_module_build_id(mod, &id, &id_vaddr)) < 0)
        id_len = 0;
    struct stat main_st;
    bool have_main = file_name && stat(file_name, &main_st) == 0;
    char path[4096];
    int fd;
    if (id_len > 0 && id_len <= HW_BUILD_ID_MAX) {
        char hex[2 * HW_BUILD_ID_MAX + 1];
        buildid_to_hex(id, id_len, hex);
        int n = snprintf(path, sizeof(path), "%s/usr/lib/debug/.build-id/%.2s/%s.debug", s->root,
                         hex, hex + 2);
        if (n > 0 && (size_t)n < sizeof(path) &&
            (fd = sym_try_debug(path, have_main ? &main_st : NULL, 0, id, id_len)) >= 0) {
            *debuginfo_file_name = hw_strdup(path);
            return fd;
        }
    }
    if (!file_name || file_name[0] != '/') {
        errno = 0;
        return -1;
    }
    /* A candidate must carry the module's build id; without one, the debuglink's CRC decides. */
    const char *slash = strrchr(file_name, '/');
    size_t dirlen = (size_t)(slash - file_name); /* without the trailing slash */
    char link[512];
    if (debuglink_file)
        snprintf(link, sizeof(link), "%s", debuglink_file);
    else
        snprintf(link, sizeof(link), "%s.debug", slash + 1);

    size_t rootlen = strlen(s->root);
    const char *dir_in_root = file_name;
    if (rootlen && strncmp(file_name, s->root, rootlen) == 0 && file_name[rootlen] == '/')
        dir_in_root = file_name + rootlen;
    int dir_in_root_len = (int)(dirlen - (size_t)(dir_in_root - file_name));
    for (int k = 0; k < 4; k++) {
        int n;
        if (link[0] == '/') {
            if (k > 0)
                break;
            n = snprintf(path, sizeof(path), "%s%s", s->root, link);
        } else if (k == 0)
            n = snprintf(path, sizeof(path), "%.*s/%s", (int)dirlen, file_name, link);
        else if (k == 1)
            n = snprintf(path, sizeof(path), "%.*s/.debug/%s", (int)dirlen, file_name, link);
        else if (k == 2)
            n = snprintf(path, sizeof(path), "%s/usr/lib/debug%.*s/%s", s->root, dir_in_root_len,
                         dir_in_root, link);
        else
            n = snprintf(path, sizeof(path), "%s/usr/lib/debug/%s", s->root, link);
        if (n < 0 || (size_t)n >= sizeof(path))
            continue;
        fd = sym_try_debug(path, have_main ? &main_st : NULL, debuglink_crc, id, id_len);
        if (fd >= 0) {
            *debuginfo_file_name = hw_strdup(path);
            return fd;
        }
    }
    errno = 0;
    return -1;
}

/* find_elf callback: never used, the modules are reported with their file (report_offline). */
int sym_find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                 char **file_name, Elf **elfp)
{
    (void)mod, (void)userdata, (void)modname, (void)base, (void)file_name, (void)elfp;
    errno = ENOENT;
    return -1;
}
