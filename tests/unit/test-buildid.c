/* test-buildid.c - unit tests for buildid.c: synthetic and hostile ELF files, self, kernel. */
#include "buildid.h"
#include "check.h"
#include "records.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const uint8_t known_id[20] = {0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
                                     0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x42};

/* A byte image under construction. */
struct img {
    unsigned char b[4096];
    size_t len;
};

static void img_put(struct img *m, size_t off, const void *p, size_t n)
{
    memcpy(m->b + off, p, n);
    if (off + n > m->len)
        m->len = off + n;
}

static void img_put32(struct img *m, size_t off, uint32_t v)
{
    img_put(m, off, &v, 4);
}

/* Appends a note at off with the given alignment; returns the offset after it. */
static size_t put_note(struct img *m, size_t off, size_t align, uint32_t type, const char *name,
                       uint32_t namesz, const void *desc, uint32_t descsz)
{
    img_put32(m, off, namesz);
    img_put32(m, off + 4, descsz);
    img_put32(m, off + 8, type);
    img_put(m, off + 12, name, namesz);
    size_t d = (off + 12 + namesz + align - 1) / align * align;
    img_put(m, d, desc, descsz);
    size_t end = (d + descsz + align - 1) / align * align;
    if (end > m->len)
        m->len = end;
    return end;
}

/* The ELF64 header; phnum program headers at 64, section headers at shoff. */
static void put_ehdr64(struct img *m, uint16_t phnum, uint64_t shoff, uint16_t shnum)
{
    Elf64_Ehdr h;
    memset(&h, 0, sizeof(h));
    memcpy(h.e_ident, ELFMAG, SELFMAG);
    h.e_ident[EI_CLASS] = ELFCLASS64;
    h.e_ident[EI_DATA] = ELFDATA2LSB;
    h.e_ident[EI_VERSION] = EV_CURRENT;
    h.e_type = ET_EXEC;
    h.e_machine = EM_X86_64;
    h.e_version = EV_CURRENT;
    h.e_phoff = phnum ? sizeof(Elf64_Ehdr) : 0;
    h.e_shoff = shoff;
    h.e_ehsize = sizeof(Elf64_Ehdr);
    h.e_phentsize = sizeof(Elf64_Phdr);
    h.e_phnum = phnum;
    h.e_shentsize = sizeof(Elf64_Shdr);
    h.e_shnum = shnum;
    img_put(m, 0, &h, sizeof(h));
}

static void put_phdr64(struct img *m, size_t idx, uint32_t type, uint64_t off, uint64_t size,
                       uint64_t align)
{
    Elf64_Phdr p;
    memset(&p, 0, sizeof(p));
    p.p_type = type;
    p.p_offset = off;
    p.p_filesz = p.p_memsz = size;
    p.p_align = align;
    img_put(m, sizeof(Elf64_Ehdr) + idx * sizeof(p), &p, sizeof(p));
}

/* Writes m to path and reads its build id. */
static int read_img(const char *path, const struct img *m, size_t len, uint8_t id[20])
{
    CHECK(write_file(path, m->b, len) == 0);
    errno = 0;
    return buildid_read_file(path, id);
}

/* ELF64 with one PT_NOTE holding an ABI tag then the build id. */
static void build_elf64_note(struct img *m)
{
    memset(m, 0, sizeof(*m));
    put_ehdr64(m, 2, 0, 0);
    size_t notes = sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr);
    uint32_t abi[4] = {0, 3, 2, 0};
    size_t mid = put_note(m, notes, 4, NT_GNU_ABI_TAG, "GNU", 4, abi, sizeof(abi));
    size_t end = put_note(m, mid, 4, NT_GNU_BUILD_ID, "GNU", 4, known_id, 20);
    put_phdr64(m, 0, PT_LOAD, 0, end, 4096);
    put_phdr64(m, 1, PT_NOTE, notes, end - notes, 4);
}

static void test_elf64(const char *dir)
{
    char path[512];
    struct img m;
    uint8_t id[20];
    snprintf(path, sizeof(path), "%s/elf64", dir);

    build_elf64_note(&m);
    memset(id, 0, sizeof(id));
    CHECK_EQ_U64(read_img(path, &m, m.len, id), 20);
    CHECK(memcmp(id, known_id, 20) == 0);

    /* Truncated inside the program header table -> -1 EINVAL, not a crash. */
    CHECK_EQ_U64(read_img(path, &m, 100, id), (uint64_t)-1);
    CHECK_EQ_U64(errno, EINVAL);
    /* Truncated inside the note segment. */
    CHECK_EQ_U64(read_img(path, &m, m.len - 8, id), (uint64_t)-1);
    CHECK_EQ_U64(errno, EINVAL);
    /* Truncated inside the ELF header. */
    CHECK_EQ_U64(read_img(path, &m, 40, id), (uint64_t)-1);
    CHECK_EQ_U64(errno, EINVAL);

    /* A note segment claiming 1 TiB is refused without allocating it. */
    put_phdr64(&m, 1, PT_NOTE, 176, 1ULL << 40, 4);
    CHECK_EQ_U64(read_img(path, &m, m.len, id), (uint64_t)-1);
    CHECK_EQ_U64(errno, EINVAL);

    /* A huge program header count pointing past the end. */
    build_elf64_note(&m);
    Elf64_Ehdr h;
    memcpy(&h, m.b, sizeof(h));
    h.e_phnum = 0xffff;
    img_put(&m, 0, &h, sizeof(h));
    CHECK_EQ_U64(read_img(path, &m, m.len, id), (uint64_t)-1);
    CHECK_EQ_U64(errno, EINVAL);
}

static void test_elf64_hostile_note(const char *dir)
{
    char path[512];
    struct img m;
    uint8_t id[20];
    snprintf(path, sizeof(path), "%s/hostile", dir);
    memset(&m, 0, sizeof(m));
    put_ehdr64(&m, 1, 0, 0);
    size_t notes = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr);
    /* namesz 0xffffffff: the scanner must stop, not read past the buffer. */
    img_put32(&m, notes, 0xffffffffu);
    img_put32(&m, notes + 4, 20);
    img_put32(&m, notes + 8, NT_GNU_BUILD_ID);
    img_put(&m, notes + 12, "GNU", 4);
    img_put(&m, notes + 16, known_id, 20);
    put_phdr64(&m, 0, PT_NOTE, notes, 36, 4);
    CHECK_EQ_U64(read_img(path, &m, m.len, id), 0);

    /* descsz 0xfffffff0 */
    img_put32(&m, notes, 4);
    img_put32(&m, notes + 4, 0xfffffff0u);
    CHECK_EQ_U64(read_img(path, &m, m.len, id), 0);

    /* Wrong owner. */
    img_put32(&m, notes + 4, 20);
    img_put(&m, notes + 12, "GNX", 4);
    CHECK_EQ_U64(read_img(path, &m, m.len, id), 0);
}

/* A PT_NOTE with 8-byte alignment: the first note's name (6 bytes) pads to 8, not 4. */
static void test_elf64_align8(const char *dir)
{
    char path[512];
    struct img m;
    uint8_t id[20];
    snprintf(path, sizeof(path), "%s/align8", dir);
    memset(&m, 0, sizeof(m));
    put_ehdr64(&m, 1, 0, 0);
    size_t notes = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr); /* 120: 8-aligned */
    uint32_t v = 7;
    size_t mid = put_note(&m, notes, 8, 1, "Linux", 6, &v, 4);
    CHECK_EQ_U64(mid - notes, 32);
    size_t end = put_note(&m, mid, 8, NT_GNU_BUILD_ID, "GNU", 4, known_id, 20);
    put_phdr64(&m, 0, PT_NOTE, notes, end - notes, 8);
    memset(id, 0, sizeof(id));
    CHECK_EQ_U64(read_img(path, &m, m.len, id), 20);
    CHECK(memcmp(id, known_id, 20) == 0);
    /* The same bytes read with 4-byte rules do not give the id. */
    CHECK_EQ_U64(buildid_from_notes(m.b + notes, end - notes, id), 0);
}

/* No program headers, one SHT_NOTE section: the fallback finds it. Long ids are truncated. */
static void test_elf64_sections(const char *dir)
{
    char path[512];
    struct img m;
    uint8_t id[20];
    uint8_t long_id[32];
    snprintf(path, sizeof(path), "%s/sections", dir);
    for (size_t i = 0; i < sizeof(long_id); i++)
        long_id[i] = (uint8_t)(0x80 + i);

    memset(&m, 0, sizeof(m));
    size_t notes = 64;
    size_t end = put_note(&m, notes, 4, NT_GNU_BUILD_ID, "GNU", 4, long_id, sizeof(long_id));
    size_t shoff = (end + 7) & ~(size_t)7;
    put_ehdr64(&m, 0, shoff, 2);
    Elf64_Shdr sh[2];
    memset(sh, 0, sizeof(sh));
    sh[1].sh_type = SHT_NOTE;
    sh[1].sh_offset = notes;
    sh[1].sh_size = end - notes;
    sh[1].sh_addralign = 4;
    img_put(&m, shoff, sh, sizeof(sh));
    memset(id, 0, sizeof(id));
    CHECK_EQ_U64(read_img(path, &m, m.len, id), 20);
    CHECK(memcmp(id, long_id, 20) == 0);

    /* Section table cut off -> -1 EINVAL. */
    CHECK_EQ_U64(read_img(path, &m, shoff + 70, id), (uint64_t)-1);
    CHECK_EQ_U64(errno, EINVAL);

    /* SHT_PROGBITS instead of SHT_NOTE: an ELF without notes -> 0. */
    sh[1].sh_type = SHT_PROGBITS;
    img_put(&m, shoff, sh, sizeof(sh));
    CHECK_EQ_U64(read_img(path, &m, m.len, id), 0);
}

static void test_elf32(const char *dir)
{
    char path[512];
    struct img m;
    uint8_t id[20];
    snprintf(path, sizeof(path), "%s/elf32", dir);
    memset(&m, 0, sizeof(m));
    Elf32_Ehdr h;
    memset(&h, 0, sizeof(h));
    memcpy(h.e_ident, ELFMAG, SELFMAG);
    h.e_ident[EI_CLASS] = ELFCLASS32;
    h.e_ident[EI_DATA] = ELFDATA2LSB;
    h.e_ident[EI_VERSION] = EV_CURRENT;
    h.e_type = ET_DYN;
    h.e_machine = EM_386;
    h.e_version = EV_CURRENT;
    h.e_phoff = sizeof(h);
    h.e_ehsize = sizeof(h);
    h.e_phentsize = sizeof(Elf32_Phdr);
    h.e_phnum = 1;
    img_put(&m, 0, &h, sizeof(h));
    size_t notes = sizeof(h) + sizeof(Elf32_Phdr);
    size_t end = put_note(&m, notes, 4, NT_GNU_BUILD_ID, "GNU", 4, known_id, 16);
    Elf32_Phdr p;
    memset(&p, 0, sizeof(p));
    p.p_type = PT_NOTE;
    p.p_offset = notes;
    p.p_filesz = end - notes;
    p.p_align = 4;
    img_put(&m, sizeof(h), &p, sizeof(p));
    memset(id, 0, sizeof(id));
    CHECK_EQ_U64(read_img(path, &m, m.len, id), 16);
    CHECK(memcmp(id, known_id, 16) == 0);
}

static void test_not_elf(const char *dir)
{
    char path[512];
    uint8_t id[20];
    snprintf(path, sizeof(path), "%s/text", dir);
    const char text[] = "#!/bin/sh\necho this is not an ELF file\n";
    CHECK(write_file(path, text, sizeof(text) - 1) == 0);
    errno = 0;
    CHECK_EQ_U64(buildid_read_file(path, id), (uint64_t)-1);
    CHECK_EQ_U64(errno, EINVAL);

    CHECK(write_file(path, "", 0) == 0);
    errno = 0;
    CHECK_EQ_U64(buildid_read_file(path, id), (uint64_t)-1);
    CHECK_EQ_U64(errno, EINVAL);

    /* An ELF header only: no program headers, no sections -> 0. */
    struct img m;
    memset(&m, 0, sizeof(m));
    put_ehdr64(&m, 0, 0, 0);
    CHECK_EQ_U64(read_img(path, &m, m.len, id), 0);

    /* Big-endian ELF is refused. */
    m.b[EI_DATA] = ELFDATA2MSB;
    CHECK_EQ_U64(read_img(path, &m, m.len, id), (uint64_t)-1);
    CHECK_EQ_U64(errno, ENOTSUP);

    errno = 0;
    CHECK_EQ_U64(buildid_read_file("/nonexistent/hwprof-none", id), (uint64_t)-1);
    CHECK_EQ_U64(errno, ENOENT);
    errno = 0;
    CHECK_EQ_U64(buildid_read_file(dir, id), (uint64_t)-1);
    CHECK_EQ_U64(errno, EISDIR);
}

static void test_from_notes(void)
{
    struct img m;
    uint8_t id[20];
    memset(&m, 0, sizeof(m));
    size_t end = put_note(&m, 0, 4, NT_GNU_BUILD_ID, "GNU", 4, known_id, 20);
    CHECK_EQ_U64(buildid_from_notes(m.b, end, id), 20);
    CHECK(memcmp(id, known_id, 20) == 0);
    /* Every shorter buffer cuts the note: never found, never over-read (ASan checks). */
    for (size_t n = 0; n < end; n++) {
        unsigned char *copy = malloc(n ? n : 1);
        memcpy(copy, m.b, n);
        CHECK_EQ_U64(buildid_from_notes(copy, n, id), 0);
        free(copy);
    }
    CHECK_EQ_U64(buildid_from_notes(NULL, 0, id), 0);
    /* NT_GNU_BUILD_ID with an empty descriptor is not an id. */
    memset(&m, 0, sizeof(m));
    end = put_note(&m, 0, 4, NT_GNU_BUILD_ID, "GNU", 4, known_id, 0);
    CHECK_EQ_U64(buildid_from_notes(m.b, end, id), 0);
}

static void test_hex(void)
{
    char out[41];
    buildid_to_hex(known_id, 20, out);
    CHECK_STR(out, "deadbeef0102030405060708090a0b0c0d0e0f42");
    buildid_to_hex(known_id, 2, out);
    CHECK_STR(out, "dead");
    buildid_to_hex(known_id, 0, out);
    CHECK_STR(out, "");
}

struct self_notes {
    uint8_t id[20];
    int len;
};

/* The main program is the first object dl_iterate_phdr reports; scan its mapped PT_NOTEs. */
static int self_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct self_notes *s = data;
    for (int i = 0; i < info->dlpi_phnum && s->len == 0; i++) {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        if (p->p_type == PT_NOTE)
            s->len = buildid_from_notes((const void *)(info->dlpi_addr + p->p_vaddr), p->p_filesz,
                                        s->id);
    }
    return 1;
}

static void test_self(void)
{
    uint8_t id[20];
    struct self_notes s = {.len = 0};
    memset(id, 0, sizeof(id));
    int n = buildid_read_file("/proc/self/exe", id);
    CHECK_EQ_U64(n, 20);
    dl_iterate_phdr(self_cb, &s);
    CHECK_EQ_U64(s.len, 20);
    CHECK(memcmp(id, s.id, 20) == 0);
}

static void test_kernel(void)
{
    unsigned char buf[65536];
    int fd = open("/sys/kernel/notes", O_RDONLY);
    if (fd < 0) {
        printf("test-buildid: /sys/kernel/notes not readable, kernel part skipped\n");
        return;
    }
    size_t len = 0;
    ssize_t r;
    while ((r = read(fd, buf + len, sizeof(buf) - len)) > 0)
        len += (size_t)r;
    close(fd);
    uint8_t a[20], b[20];
    int na = buildid_read_kernel(a);
    int nb = buildid_from_notes(buf, len, b);
    CHECK(na >= 0);
    CHECK_EQ_U64(na, nb);
    if (na > 0 && na == nb)
        CHECK(memcmp(a, b, (size_t)na) == 0);
}

int main(void)
{
    char dir[] = "/tmp/test-buildid-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_elf64(dir);
    test_elf64_hostile_note(dir);
    test_elf64_align8(dir);
    test_elf64_sections(dir);
    test_elf32(dir);
    test_not_elf(dir);
    test_from_notes();
    test_hex();
    test_self();
    test_kernel();

    const char *names[] = {"elf64", "hostile", "align8", "sections", "elf32", "text"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    return check_done("test-buildid");
}
