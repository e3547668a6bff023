/* sym_debuginfo.c - find a binary's separate debug file without debuginfod: by build id, .gnu_debuglink name and CRC, or BIN.debug. */
#include "sym_private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void sym_crc_init(uint32_t table[256])
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
}

/* The .gnu_debuglink CRC-32 of the whole file. Returns 0, or -1 on a read error. */
static int sym_file_crc(int fd, uint32_t *out)
{
    uint32_t table[256];
    sym_crc_init(table);
    unsigned char buf[65536];
    uint32_t crc = 0xffffffffu;
    for (;;) {
        ssize_t r = read(fd, buf, sizeof(buf));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            break;
        for (ssize_t i = 0; i < r; i++)
            crc = table[(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
    }
    if (lseek(fd, 0, SEEK_SET) < 0)
        return -1;
    *out = crc ^ 0xffffffffu;
    return 0;
}
/* Opens path as a debug file of the module whose main file is main_st: another regular file,
 * with the .gnu_debuglink CRC crc if that is not 0, else with the build id id (if id_len > 0).
 * Returns the fd or -1. */
static int sym_try_debug(const char *path, const struct stat *main_st, GElf_Word crc,
                         const unsigned char *id, int id_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    uint32_t have;
    uint8_t have_id[HW_BUILD_ID_MAX];
    int have_len;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
        (main_st && st.st_dev == main_st->st_dev && st.st_ino == main_st->st_ino) ||
        (crc != 0 && (sym_file_crc(fd, &have) < 0 || have != crc)) ||
        (crc == 0 && id_len > 0 &&
         ((have_len = buildid_read_file(path, have_id)) != id_len ||
          memcmp(have_id, id, (size_t)id_len) != 0))) {
        close(fd);
        return -1;
    }
    return fd;
}

/* find_debuginfo callback. With opts.debuginfod, libdwfl's standard search (which ends with a
 * debuginfod query when DEBUGINFOD_URLS is set). Otherwise a local search only: by build id under
 * ROOT/usr/lib/debug/.build-id, then the .gnu_debuglink name in the file's directory, its .debug
 * subdirectory and ROOT/usr/lib/debug/DIR. */
int sym_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                       const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
                       char **debuginfo_file_name)
{
    const struct symbolizer *s = *userdata;
    if (s->opts.debuginfod)
        return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
                                            debuglink_crc, debuginfo_file_name);
    int fd = dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name, debuglink_file,
                                          debuglink_crc, debuginfo_file_name);
    if (fd >= 0 || !file_name || file_name[0] != '/')
        return fd;

    struct stat main_st;
    bool have_main = stat(file_name, &main_st) == 0;
    /* Without a debuglink, FILE.debug must carry the module's build id. With one, its CRC
     * decides; libdw asks for a .gnu_debugaltlink file (dwz) with an absolute name and no CRC:
     * that file has its own build id, not the module's. */
    const unsigned char *id = NULL;
    GElf_Addr id_vaddr;
    int id_len = 0;
    if (!debuglink_file && (id_len = dwfl_module_build_id(mod, &id, &id_vaddr)) < 0)
        id_len = 0;
    const char *slash = strrchr(file_name, '/');
    size_t dirlen = (size_t)(slash - file_name); /* without the trailing slash */
    char link[512];
    if (debuglink_file)
        snprintf(link, sizeof(link), "%s", debuglink_file);
    else
        snprintf(link, sizeof(link), "%s.debug", slash + 1);

    char path[4096];
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
