/* buildid.c - GNU build ids from ELF notes (PT_NOTE, then SHT_NOTE) and /sys/kernel/notes. */
#include "buildid.h"
#include "util.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Note areas and header tables larger than this are treated as corrupt (hostile-file guard). */
#define BUILDID_MAX_AREA     (4u << 20)
#define BUILDID_KERNEL_NOTES "/sys/kernel/notes"

/* The parts of an ELF file header that the scanner needs, independent of the class. */
struct buildid_elf {
    int fd;
    uint64_t file_size;
    bool is64;
    uint64_t phoff, shoff;
    uint32_t phnum, shnum;
    uint32_t phentsize, shentsize;
};

/* One note area (a PT_NOTE segment or an SHT_NOTE section). */
struct buildid_area {
    uint64_t offset, size, align;
};

static uint32_t buildid_get32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* Walks notes with the given alignment (4 or 8); returns the id length or 0. */
static int buildid_scan_notes(const unsigned char *p, size_t len, size_t align,
                              uint8_t id[HW_BUILD_ID_MAX])
{
    size_t pos = 0;
    while (len - pos >= 12) {
        uint64_t namesz = buildid_get32(p + pos);
        uint64_t descsz = buildid_get32(p + pos + 4);
        uint32_t type = buildid_get32(p + pos + 8);
        uint64_t name_off = pos + 12;
        uint64_t desc_off = HW_ALIGN(name_off + namesz, align);
        uint64_t next = HW_ALIGN(desc_off + descsz, align);
        /* All values are < 2^33, so no overflow in uint64_t. */
        if (desc_off + descsz > len)
            return 0;
        if (type == NT_GNU_BUILD_ID && namesz == 4 && memcmp(p + name_off, "GNU", 4) == 0 &&
            descsz > 0) {
            size_t n = descsz < HW_BUILD_ID_MAX ? (size_t)descsz : HW_BUILD_ID_MAX;
            memcpy(id, p + desc_off, n);
            return (int)n;
        }
        if (next > len)
            return 0;
        pos = (size_t)next;
    }
    return 0;
}

int buildid_from_notes(const void *buf, size_t len, uint8_t id[HW_BUILD_ID_MAX])
{
    if (!buf)
        return 0;
    return buildid_scan_notes(buf, len, 4, id);
}

void buildid_to_hex(const uint8_t *id, int len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    int i;
    for (i = 0; i < len; i++) {
        out[2 * i] = digits[id[i] >> 4];
        out[2 * i + 1] = digits[id[i] & 15];
    }
    out[len > 0 ? 2 * len : 0] = '\0';
}

/* pread that fills the whole buffer; -1 with errno (EINVAL when the file is shorter). */
static int buildid_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0) {
            errno = EINVAL;
            return -1;
        }
        done += (size_t)n;
    }
    return 0;
}

/* True when [off, off+size) lies inside the file. */
static bool buildid_in_file(const struct buildid_elf *e, uint64_t off, uint64_t size)
{
    return off <= e->file_size && size <= e->file_size - off;
}

/* Reads and checks the ELF header. Returns 0, or -1 with errno. */
static int buildid_read_ehdr(struct buildid_elf *e)
{
    unsigned char raw[sizeof(Elf64_Ehdr)];
    if (e->file_size < EI_NIDENT) {
        errno = EINVAL;
        return -1;
    }
    size_t want = e->file_size < sizeof(raw) ? (size_t)e->file_size : sizeof(raw);
    if (buildid_pread_full(e->fd, raw, want, 0) < 0)
        return -1;
    if (memcmp(raw, ELFMAG, SELFMAG) != 0) {
        errno = EINVAL;
        return -1;
    }
    if (raw[EI_DATA] != ELFDATA2LSB) {
        errno = ENOTSUP; /* big-endian ELF: never mapped on the hosts we support */
        return -1;
    }
    if (raw[EI_CLASS] == ELFCLASS64) {
        Elf64_Ehdr h;
        if (want < sizeof(h)) {
            errno = EINVAL;
            return -1;
        }
        memcpy(&h, raw, sizeof(h));
        e->is64 = true;
        e->phoff = h.e_phoff;
        e->shoff = h.e_shoff;
        e->phnum = h.e_phnum;
        e->shnum = h.e_shnum;
        e->phentsize = h.e_phentsize;
        e->shentsize = h.e_shentsize;
    } else if (raw[EI_CLASS] == ELFCLASS32) {
        Elf32_Ehdr h;
        if (want < sizeof(h)) {
            errno = EINVAL;
            return -1;
        }
        memcpy(&h, raw, sizeof(h));
        e->is64 = false;
        e->phoff = h.e_phoff;
        e->shoff = h.e_shoff;
        e->phnum = h.e_phnum;
        e->shnum = h.e_shnum;
        e->phentsize = h.e_phentsize;
        e->shentsize = h.e_shentsize;
    } else {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

/* Reads a header table (program or section headers) into a malloc'd buffer; NULL with errno. */
static unsigned char *buildid_read_table(const struct buildid_elf *e, uint64_t off, uint32_t num,
                                         uint32_t entsize, size_t minsize)
{
    uint64_t size = (uint64_t)num * entsize;
    if (entsize < minsize || size > BUILDID_MAX_AREA || !buildid_in_file(e, off, size)) {
        errno = EINVAL;
        return NULL;
    }
    unsigned char *t = malloc(size ? (size_t)size : 1);
    if (!t)
        return NULL;
    if (buildid_pread_full(e->fd, t, (size_t)size, off) < 0) {
        free(t);
        return NULL;
    }
    return t;
}

/* Reads one note area and scans it. Returns the id length, 0 if none, -1 with errno when the area
 * lies outside the file or is implausibly large. */
static int buildid_scan_area(const struct buildid_elf *e, const struct buildid_area *a,
                             uint8_t id[HW_BUILD_ID_MAX])
{
    if (a->size == 0)
        return 0;
    if (a->size > BUILDID_MAX_AREA || !buildid_in_file(e, a->offset, a->size)) {
        errno = EINVAL;
        return -1;
    }
    unsigned char *buf = malloc((size_t)a->size);
    if (!buf)
        return -1;
    int r = buildid_pread_full(e->fd, buf, (size_t)a->size, a->offset);
    if (r == 0)
        r = buildid_scan_notes(buf, (size_t)a->size, a->align == 8 ? 8 : 4, id);
    free(buf);
    return r;
}

/* Where a header-table entry keeps the fields of a note area; wide is the byte width (4 or 8) of
 * the offset, size and alignment fields. The type field is 32 bits in every layout. */
struct buildid_layout {
    uint32_t note_type;
    size_t entsize, wide, type, offset, size, align;
};

#define BUILDID_LAYOUT(T, note, f_type, f_off, f_size, f_align)                                    \
    {                                                                                              \
        note, sizeof(T), sizeof(((T *)0)->f_off), offsetof(T, f_type), offsetof(T, f_off),         \
            offsetof(T, f_size), offsetof(T, f_align)                                              \
    }

static const struct buildid_layout buildid_phdr64 =
    BUILDID_LAYOUT(Elf64_Phdr, PT_NOTE, p_type, p_offset, p_filesz, p_align);
static const struct buildid_layout buildid_phdr32 =
    BUILDID_LAYOUT(Elf32_Phdr, PT_NOTE, p_type, p_offset, p_filesz, p_align);
static const struct buildid_layout buildid_shdr64 =
    BUILDID_LAYOUT(Elf64_Shdr, SHT_NOTE, sh_type, sh_offset, sh_size, sh_addralign);
static const struct buildid_layout buildid_shdr32 =
    BUILDID_LAYOUT(Elf32_Shdr, SHT_NOTE, sh_type, sh_offset, sh_size, sh_addralign);

/* Reads a 4- or 8-byte field of an entry (native byte order). */
static uint64_t buildid_field(const struct buildid_layout *l, const unsigned char *p, size_t off)
{
    if (l->wide == 8) {
        uint64_t v;
        memcpy(&v, p + off, sizeof(v));
        return v;
    }
    return buildid_get32(p + off);
}

/* Reads the header table of num entries at off and scans the note areas its entries describe
 * until an id is found. Returns id length, 0, or -1 (errno) for a corrupt table; *bad is set
 * when a note area was unreadable. */
static int buildid_scan_table(const struct buildid_elf *e, const struct buildid_layout *l,
                              uint64_t off, uint32_t num, uint32_t entsize,
                              uint8_t id[HW_BUILD_ID_MAX], bool *bad)
{
    unsigned char *t = buildid_read_table(e, off, num, entsize, l->entsize);
    if (!t)
        return -1;
    int found = 0;
    for (uint32_t i = 0; i < num && found == 0; i++) {
        const unsigned char *p = t + (size_t)i * entsize;
        if (buildid_get32(p + l->type) != l->note_type)
            continue;
        struct buildid_area a = {buildid_field(l, p, l->offset), buildid_field(l, p, l->size),
                                 buildid_field(l, p, l->align)};
        int r = buildid_scan_area(e, &a, id);
        if (r < 0)
            *bad = true;
        else
            found = r;
    }
    free(t);
    return found;
}

/* Scans the PT_NOTE segments; same returns as buildid_scan_table. */
static int buildid_scan_segments(const struct buildid_elf *e, uint8_t id[HW_BUILD_ID_MAX],
                                 bool *bad)
{
    if (e->phnum == 0 || e->phoff == 0)
        return 0;
    const struct buildid_layout *l = e->is64 ? &buildid_phdr64 : &buildid_phdr32;
    return buildid_scan_table(e, l, e->phoff, e->phnum, e->phentsize, id, bad);
}

/* Scans the SHT_NOTE sections; same returns as buildid_scan_table. */
static int buildid_scan_sections(const struct buildid_elf *e, uint8_t id[HW_BUILD_ID_MAX],
                                 bool *bad)
{
    if (e->shoff == 0)
        return 0;
    const struct buildid_layout *l = e->is64 ? &buildid_shdr64 : &buildid_shdr32;
    uint32_t shnum = e->shnum;
    if (shnum == 0) {
        /* More than SHN_LORESERVE sections: the count is in section 0's sh_size. */
        unsigned char *t0 = buildid_read_table(e, e->shoff, 1, e->shentsize, l->entsize);
        if (!t0)
            return -1;
        uint64_t n = buildid_field(l, t0, l->size);
        shnum = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
        free(t0);
        if (shnum == 0)
            return 0;
    }
    return buildid_scan_table(e, l, e->shoff, shnum, e->shentsize, id, bad);
}

/* Closes fd without disturbing errno. */
static void buildid_close_keep_errno(int fd)
{
    int saved = errno;
    close(fd);
    errno = saved;
}

int buildid_read_fd(int fd, uint8_t id[HW_BUILD_ID_MAX])
{
    struct buildid_elf e = {.fd = fd};
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -1;
    if (!S_ISREG(st.st_mode)) {
        errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        return -1;
    }
    e.file_size = (uint64_t)st.st_size;
    if (buildid_read_ehdr(&e) < 0)
        return -1;
    bool bad = false;
    int seg = buildid_scan_segments(&e, id, &bad);
    if (seg > 0)
        return seg;
    int sec = buildid_scan_sections(&e, id, &bad);
    if (sec > 0)
        return sec;
    if (seg < 0 || sec < 0 || bad) {
        errno = EINVAL; /* truncated or corrupt: header tables or notes outside the file */
        return -1;
    }
    return 0;
}

int buildid_read_file(const char *path, uint8_t id[HW_BUILD_ID_MAX])
{
    /* O_NONBLOCK: a FIFO in a binary's place must not stop us (buildid_read_fd refuses it) */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int r = buildid_read_fd(fd, id);
    buildid_close_keep_errno(fd);
    return r;
}

int buildid_read_kernel(uint8_t id[HW_BUILD_ID_MAX])
{
    int fd = open(BUILDID_KERNEL_NOTES, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct hw_buf buf = {0};
    int r = -1;
    for (;;) {
        if (buf.len >= BUILDID_MAX_AREA) {
            errno = EFBIG;
            goto out;
        }
        if (hw_buf_reserve(&buf, 4096) < 0) {
            errno = ENOMEM;
            goto out;
        }
        ssize_t n = read(fd, buf.data + buf.len, buf.cap - buf.len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            goto out;
        }
        if (n == 0)
            break;
        buf.len += (size_t)n;
    }
    r = buildid_from_notes(buf.data, buf.len, id);
out:;
    int saved = errno;
    hw_buf_free(&buf);
    close(fd);
    errno = saved;
    return r;
}
