/* symbolize.c - turn (binary, address) into functions, source lines and inline chains with libdw; each unique address once. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "symbolize.h"
#include "hashmap.h"

#include "buildid.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef HAVE_CXA_DEMANGLE
/* From libstdc++ (link with -lstdc++): demangles C++ names. */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);
#endif

/* ---- storage: a bump allocator and interned strings ---- */

/* Frames and interned strings live in chunks that never move, until sym_free. */
struct sym_chunk {
    struct sym_chunk *next;
    size_t used, cap;
    alignas(16) unsigned char data[];
};

/* Open-addressing set of interned strings. */
struct sym_strtab {
    const char **strs;
    uint64_t *hashes; /* 0: empty slot */
    size_t cap, n;
};

/* ---- binaries ---- */

enum sym_kind {
    SYM_KIND_ELF,    /* a file: symbolized with libdw */
    SYM_KIND_KERNEL, /* [kernel.kallsyms] and kernel modules */
    SYM_KIND_VDSO,   /* [vdso], [vsyscall]: one frame named after the mapping */
    SYM_KIND_ANON,   /* anonymous memory ([heap], //anon, JIT code): /tmp/perf-PID.map */
};

/* A PT_LOAD: the file range [offset, offset + filesz) is mapped at vaddr. */
struct sym_segment {
    uint64_t offset, filesz, vaddr;
};

/* One address range of a CU, for modules whose CUs libdw cannot find by address (no
 * .debug_aranges, as clang emits). Addresses are module (Dwfl) addresses. */
struct sym_cu_range {
    Dwarf_Addr low, high;
    Dwarf_Addr bias;
    Dwarf_Die cu;
};

/* An ELF symbol covering [addr, addr + size) in module (Dwfl) addresses. */
struct sym_elfsym {
    uint64_t addr, size;
    const char *name; /* in libelf's string table: valid until dwfl_end */
    uint32_t shndx;
    uint32_t rank; /* higher is preferred among symbols at one address */
};

struct sym_bin {
    const char *path;        /* interned, as recorded */
    const uint8_t *build_id; /* arena copy, NULL if none was recorded */
    int build_id_len;
    bool kernel_flag;
    uint64_t hash;
    uint32_t index;
    enum sym_kind kind;
    const char *base; /* interned name used in placeholders: basename, "[anon]", "[heap]" */

    /* SYM_KIND_ELF, filled by sym_bin_load on first use */
    bool loaded;
    bool usable; /* false: placeholders only (missing, unreadable, build-id mismatch) */
    Dwfl *dwfl;
    Dwfl_Module *mod;
    GElf_Addr mod_bias; /* Dwfl address = file vaddr + mod_bias */
    struct sym_segment *segs;
    size_t nsegs;
    Dwarf *dw; /* NULL: no debug info */
    struct sym_cu_range *cus;
    size_t ncus;
    bool cus_built;
    /* sorted by address, one per address (dwfl_module_addrinfo scans all symbols per call) */
    struct sym_elfsym *syms;
    size_t nsyms;
    bool syms_built;
};

/* A kernel text symbol from /proc/kallsyms. */
struct sym_ksym {
    uint64_t addr;
    uint32_t name; /* offset in symbolizer.knames */
};

/* A JIT symbol from /tmp/perf-PID.map: [start, start + size). */
struct sym_jitsym {
    uint64_t start, size;
    const char *name;
};

struct sym_jitmap {
    int32_t pid;
    struct sym_jitsym *syms;
    size_t n;
};

/* A cached result, keyed by (binary, pid, key, caller). */
struct sym_entry {
    uint64_t hash; /* 0: empty slot */
    uint64_t key;
    uint32_t bin;
    int32_t pid;
    bool caller;
    bool symbolized;
    bool has_lines;
    uint32_t nframes;
    const struct sym_frame *frames;
};

/* A cached unwinding rule, keyed by (binary, file offset, caller); ok false: none there. */
struct sym_cfa_entry {
    uint32_t bin;
    bool caller, ok;
    uint64_t key;
    struct sym_cfa_rule rule;
};

struct symbolizer {
    struct sym_options opts;
    char *root; /* "" for "/" */
    char *debuginfo_path;
    Dwfl_Callbacks callbacks;
    hw_warn_fn warn;
    void *warn_arg;

    struct sym_chunk *chunks;
    struct sym_strtab strs;

    struct sym_bin **bins;
    size_t nbins, capbins;
    uint32_t *bin_slots; /* index + 1, 0: empty */
    size_t bin_slots_cap;
    struct sym_bin *last_bin;

    struct sym_entry *cache;
    size_t cache_cap, cache_n;

    bool ksyms_loaded;
    struct sym_ksym *ksyms;
    size_t nksyms;
    struct hw_buf knames;

    struct sym_jitmap *jits;
    size_t njits;

    /* scratch for building one result */
    struct sym_frame *tmp;
    size_t tmp_cap;

    uint64_t unique, hits;
    uint32_t crc_table[256];

    struct sym_cfa_entry *cfas;
    size_t ncfas, cap_cfas;
    struct hw_map cfa_map;
};

/* Returned when even a placeholder cannot be allocated, and for a binary without a path. */
static const struct sym_frame sym_oom_frame = {
    .function = "[out of memory]",
    .system_name = "[out of memory]",
};
static const struct sym_frame sym_unknown_frame = {
    .function = "[unknown]",
    .system_name = "[unknown]",
};

/* ---- small helpers ---- */


static void sym_warnf(struct symbolizer *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void sym_warnf(struct symbolizer *s, const char *fmt, ...)
{
    if (!s->warn)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    s->warn(s->warn_arg, msg);
}

/* Returns size bytes aligned to align (a power of two <= 16) that live until sym_free, or NULL. */
static void *sym_alloc(struct symbolizer *s, size_t size, size_t align)
{
    struct sym_chunk *c = s->chunks;
    size_t at = c ? (c->used + align - 1) & ~(align - 1) : 0;
    if (!c || at > c->cap || c->cap - at < size) {
        size_t cap = size > 65536 ? size : 65536;
        c = malloc(sizeof(*c) + cap);
        if (!c)
            return NULL;
        c->used = 0;
        c->cap = cap;
        c->next = s->chunks;
        s->chunks = c;
        at = 0;
    }
    c->used = at + size;
    return c->data + at;
}

/* Returns the interned copy of str[0..len), or NULL when out of memory. */
static const char *sym_intern_n(struct symbolizer *s, const char *str, size_t len)
{
    struct sym_strtab *t = &s->strs;
    uint64_t h = hw_hash_bytes(str, len, 0);
    if (t->cap) {
        for (size_t i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
            if (!t->hashes[i])
                break;
            if (t->hashes[i] == h && strncmp(t->strs[i], str, len) == 0 && !t->strs[i][len])
                return t->strs[i];
        }
    }
    if ((t->n + 1) * 4 > t->cap * 3) {
        size_t ncap = t->cap ? t->cap * 2 : 1024;
        const char **nstrs = calloc(ncap, sizeof(*nstrs));
        uint64_t *nh = calloc(ncap, sizeof(*nh));
        if (!nstrs || !nh) {
            free(nstrs);
            free(nh);
            return NULL;
        }
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->hashes[i])
                continue;
            size_t j = t->hashes[i] & (ncap - 1);
            while (nh[j])
                j = (j + 1) & (ncap - 1);
            nh[j] = t->hashes[i];
            nstrs[j] = t->strs[i];
        }
        free(t->strs);
        free(t->hashes);
        t->strs = nstrs;
        t->hashes = nh;
        t->cap = ncap;
    }
    char *copy = sym_alloc(s, len + 1, 1);
    if (!copy)
        return NULL;
    memcpy(copy, str, len);
    copy[len] = '\0';
    size_t i = h & (t->cap - 1);
    while (t->hashes[i])
        i = (i + 1) & (t->cap - 1);
    t->hashes[i] = h;
    t->strs[i] = copy;
    t->n++;
    return copy;
}

static const char *sym_intern(struct symbolizer *s, const char *str)
{
    return sym_intern_n(s, str, strlen(str));
}

/* Returns root + path in a malloc'd string, or NULL when out of memory. */
static char *sym_rooted(const struct symbolizer *s, const char *path)
{
    size_t lr = strlen(s->root), lp = strlen(path);
    char *p = malloc(lr + lp + 1);
    if (p) {
        memcpy(p, s->root, lr);
        memcpy(p + lr, path, lp + 1);
    }
    return p;
}

static void sym_hex(const uint8_t *id, int len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < len; i++) {
        out[2 * i] = digits[id[i] >> 4];
        out[2 * i + 1] = digits[id[i] & 15];
    }
    out[2 * (len > 0 ? len : 0)] = '\0';
}

/* ---- finding separate debug info without debuginfod ---- */

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
static int sym_file_crc(const struct symbolizer *s, int fd, uint32_t *out)
{
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
            crc = s->crc_table[(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
    }
    if (lseek(fd, 0, SEEK_SET) < 0)
        return -1;
    *out = crc ^ 0xffffffffu;
    return 0;
}

/* Opens path as a debug file of the module whose main file is main_st: another regular file,
 * with the .gnu_debuglink CRC crc if that is not 0, else with the build id id (if id_len > 0).
 * Returns the fd or -1. */
static int sym_try_debug(const struct symbolizer *s, const char *path, const struct stat *main_st,
                         GElf_Word crc, const unsigned char *id, int id_len)
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
        (crc != 0 && (sym_file_crc(s, fd, &have) < 0 || have != crc)) ||
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
static int sym_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
                              Dwarf_Addr base, const char *file_name, const char *debuglink_file,
                              GElf_Word debuglink_crc, char **debuginfo_file_name)
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
        fd = sym_try_debug(s, path, have_main ? &main_st : NULL, debuglink_crc, id, id_len);
        if (fd >= 0) {
            *debuginfo_file_name = hw_strdup(path);
            return fd;
        }
    }
    errno = 0;
    return -1;
}

/* find_elf callback: never used, the modules are reported with their file (report_offline). */
static int sym_find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                        char **file_name, Elf **elfp)
{
    (void)mod, (void)userdata, (void)modname, (void)base, (void)file_name, (void)elfp;
    errno = ENOENT;
    return -1;
}

/* ---- symbolizer ---- */

struct symbolizer *sym_new(const struct sym_options *opts, hw_warn_fn warn, void *warn_arg,
                           struct hw_err *err)
{
    struct symbolizer *s = calloc(1, sizeof(*s));
    if (!s) {
        hw_errf(err, "out of memory creating the symbolizer");
        return NULL;
    }
    if (opts)
        s->opts = *opts;
    const char *root = opts && opts->root ? opts->root : "";
    size_t rl = strlen(root);
    while (rl > 0 && root[rl - 1] == '/')
        rl--;
    s->root = malloc(rl + 1);
    const char *dbg = "/usr/lib/debug";
    s->debuginfo_path = malloc(sizeof(":.debug:") + rl + strlen(dbg));
    if (!s->root || !s->debuginfo_path) {
        sym_free(s);
        hw_errf(err, "out of memory creating the symbolizer");
        return NULL;
    }
    memcpy(s->root, root, rl);
    s->root[rl] = '\0';
    sprintf(s->debuginfo_path, ":.debug:%s%s", s->root, dbg);
    s->opts.root = s->root;
    s->callbacks.find_elf = sym_find_elf;
    s->callbacks.find_debuginfo = sym_find_debuginfo;
    s->callbacks.section_address = dwfl_offline_section_address;
    s->callbacks.debuginfo_path = &s->debuginfo_path;
    s->warn = warn;
    s->warn_arg = warn_arg;
    sym_crc_init(s->crc_table);
    return s;
}

void sym_free(struct symbolizer *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nbins; i++) {
        struct sym_bin *b = s->bins[i];
        if (b->dwfl)
            dwfl_end(b->dwfl);
        free(b->segs);
        free(b->cus);
        free(b->syms);
        free(b);
    }
    free(s->bins);
    free(s->bin_slots);
    free(s->cache);
    free(s->ksyms);
    hw_buf_free(&s->knames);
    for (size_t i = 0; i < s->njits; i++)
        free(s->jits[i].syms);
    free(s->jits);
    free(s->tmp);
    free(s->strs.strs);
    free(s->strs.hashes);
    while (s->chunks) {
        struct sym_chunk *next = s->chunks->next;
        free(s->chunks);
        s->chunks = next;
    }
    free(s->cfas);
    hw_map_free(&s->cfa_map);
    free(s->root);
    free(s->debuginfo_path);
    free(s);
}

void sym_stats(const struct symbolizer *s, uint64_t *unique, uint64_t *hits)
{
    if (unique)
        *unique = s->unique;
    if (hits)
        *hits = s->hits;
}

/* ---- binaries table ---- */

static bool sym_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool sym_bin_matches(const struct sym_bin *b, const struct sym_binary *bin)
{
    int len = bin->build_id ? bin->build_id_len : 0;
    if (len < 0)
        len = 0;
    return b->kernel_flag == bin->kernel && b->build_id_len == len &&
           strcmp(b->path, bin->path) == 0 &&
           (len == 0 || memcmp(b->build_id, bin->build_id, len) == 0);
}

static uint64_t sym_bin_hash(const struct sym_binary *bin)
{
    int len = bin->build_id && bin->build_id_len > 0 ? bin->build_id_len : 0;
    uint64_t h = hw_hash_bytes(bin->path, strlen(bin->path), bin->kernel);
    return hw_hash_bytes(bin->build_id, (size_t)len, h);
}

static void sym_bin_classify(struct symbolizer *s, struct sym_bin *b)
{
    const char *p = b->path;
    if (b->kernel_flag || sym_has_prefix(p, "[kernel")) {
        b->kind = SYM_KIND_KERNEL;
        b->base = sym_intern(s, "[kernel]");
    } else if (strcmp(p, "[vdso]") == 0 || strcmp(p, "[vsyscall]") == 0 ||
               strcmp(p, "[vvar]") == 0) {
        b->kind = SYM_KIND_VDSO;
        b->base = p;
    } else if (sym_has_prefix(p, "//anon") || sym_has_prefix(p, "/anon_hugepage") ||
               sym_has_prefix(p, "/dev/zero") || sym_has_prefix(p, "/memfd:") ||
               sym_has_prefix(p, "/SYSV") || p[0] != '/') {
        b->kind = SYM_KIND_ANON;
        b->base = p[0] == '[' ? p : sym_intern(s, "[anon]");
    } else {
        b->kind = SYM_KIND_ELF;
        const char *slash = strrchr(p, '/');
        const char *base = slash[1] ? slash + 1 : p;
        size_t len = strlen(base);
        if (len > 10 && strcmp(base + len - 10, " (deleted)") == 0)
            len -= 10;
        b->base = sym_intern_n(s, base, len);
    }
    if (!b->base)
        b->base = p;
}

/* Returns the binary record for bin, creating it; NULL when out of memory. */
static struct sym_bin *sym_bin_get(struct symbolizer *s, const struct sym_binary *bin)
{
    if (s->last_bin && sym_bin_matches(s->last_bin, bin))
        return s->last_bin;
    uint64_t h = sym_bin_hash(bin);
    if (s->bin_slots_cap) {
        for (size_t i = h & (s->bin_slots_cap - 1);; i = (i + 1) & (s->bin_slots_cap - 1)) {
            uint32_t v = s->bin_slots[i];
            if (!v)
                break;
            struct sym_bin *b = s->bins[v - 1];
            if (b->hash == h && sym_bin_matches(b, bin)) {
                s->last_bin = b;
                return b;
            }
        }
    }
    if (s->nbins == s->capbins) {
        size_t ncap = s->capbins ? s->capbins * 2 : 16;
        struct sym_bin **nb = realloc(s->bins, ncap * sizeof(*nb));
        if (!nb)
            return NULL;
        s->bins = nb;
        s->capbins = ncap;
    }
    if ((s->nbins + 1) * 2 > s->bin_slots_cap) {
        size_t ncap = s->bin_slots_cap ? s->bin_slots_cap * 2 : 64;
        uint32_t *ns = calloc(ncap, sizeof(*ns));
        if (!ns)
            return NULL;
        for (size_t i = 0; i < s->nbins; i++) {
            size_t j = s->bins[i]->hash & (ncap - 1);
            while (ns[j])
                j = (j + 1) & (ncap - 1);
            ns[j] = (uint32_t)i + 1;
        }
        free(s->bin_slots);
        s->bin_slots = ns;
        s->bin_slots_cap = ncap;
    }
    struct sym_bin *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->path = sym_intern(s, bin->path);
    int len = bin->build_id && bin->build_id_len > 0 ? bin->build_id_len : 0;
    uint8_t *id = len ? sym_alloc(s, (size_t)len, 1) : NULL;
    if (!b->path || (len && !id)) {
        free(b);
        return NULL;
    }
    if (len)
        memcpy(id, bin->build_id, (size_t)len);
    b->build_id = id;
    b->build_id_len = len;
    b->kernel_flag = bin->kernel;
    b->hash = h;
    b->index = (uint32_t)s->nbins;
    sym_bin_classify(s, b);
    s->bins[s->nbins++] = b;
    size_t j = h & (s->bin_slots_cap - 1);
    while (s->bin_slots[j])
        j = (j + 1) & (s->bin_slots_cap - 1);
    s->bin_slots[j] = b->index + 1;
    s->last_bin = b;
    return b;
}

/* Gives up on symbolizing b (placeholders from now on): frees its libdw state. */
static void sym_bin_drop(struct sym_bin *b)
{
    if (b->dwfl)
        dwfl_end(b->dwfl);
    b->dwfl = NULL;
    b->mod = NULL;
    free(b->segs);
    b->segs = NULL;
    b->nsegs = 0;
}

/* True for shared libraries of the system (under /lib or /usr/lib): their missing debug info is
 * the normal case and not worth a warning on every report; their symbol tables still name them. */
static bool sym_is_system_library(const char *path)
{
    return strncmp(path, "/lib/", 5) == 0 || strncmp(path, "/usr/lib/", 9) == 0 ||
           strncmp(path, "/lib64/", 7) == 0 || strncmp(path, "/usr/lib64/", 11) == 0;
}

/* Opens an ELF binary with libdw: checks its build id, reads its PT_LOADs, loads debug info.
 * Warns once when it cannot be symbolized fully. */
static void sym_bin_load(struct symbolizer *s, struct sym_bin *b)
{
    b->loaded = true;
    size_t plen = strlen(b->path);
    char *full = sym_rooted(s, b->path);
    if (!full)
        return;
    /* A mapping of a file deleted since: its new version (if any) is checked by build id. */
    size_t flen = strlen(full);
    if (plen > 10 && strcmp(full + flen - 10, " (deleted)") == 0)
        full[flen - 10] = '\0';

    int fd = open(full, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        sym_warnf(s,
                  "cannot open %s: %s: its frames are shown as %s+0xOFFSET (deleted since the "
                  "recording, or recorded on another machine?)",
                  full, strerror(errno), b->base);
        free(full);
        return;
    }
    close(fd);

    b->dwfl = dwfl_begin(&s->callbacks);
    if (!b->dwfl) {
        sym_warnf(s, "cannot symbolize %s: %s", full, dwfl_errmsg(-1));
        sym_bin_drop(b);
        free(full);
        return;
    }
    dwfl_report_begin(b->dwfl);
    b->mod = dwfl_report_offline(b->dwfl, b->base, full, -1);
    dwfl_report_end(b->dwfl, NULL, NULL);
    if (!b->mod) {
        sym_warnf(s, "cannot read %s as an ELF file: %s: its frames are shown as %s+0xOFFSET", full,
                  dwfl_errmsg(-1), b->base);
        sym_bin_drop(b);
        free(full);
        return;
    }
    void **userdata;
    dwfl_module_info(b->mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL);
    *userdata = s; /* for sym_find_debuginfo */

    GElf_Addr bias = 0;
    Elf *elf = dwfl_module_getelf(b->mod, &bias);
    if (!elf) {
        sym_warnf(s, "cannot read %s as an ELF file: %s: its frames are shown as %s+0xOFFSET", full,
                  dwfl_errmsg(-1), b->base);
        sym_bin_drop(b);
        free(full);
        return;
    }
    b->mod_bias = bias;

    if (b->build_id_len > 0) {
        const unsigned char *bits = NULL;
        GElf_Addr id_vaddr;
        int n = dwfl_module_build_id(b->mod, &bits, &id_vaddr);
        if (n != b->build_id_len || memcmp(bits, b->build_id, (size_t)n) != 0) {
            char have[2 * 64 + 1] = "none", want[2 * 64 + 1];
            if (n > 0)
                sym_hex(bits, n > 64 ? 64 : n, have);
            sym_hex(b->build_id, b->build_id_len > 64 ? 64 : b->build_id_len, want);
            sym_warnf(s,
                      "%s has build id %s but the recording expects %s: not symbolizing it "
                      "(rebuilt since recording?)",
                      full, have, want);
            sym_bin_drop(b);
            free(full);
            return;
        }
    }

    size_t phnum = 0;
    if (elf_getphdrnum(elf, &phnum) == 0 && phnum > 0) {
        b->segs = calloc(phnum, sizeof(*b->segs));
        for (size_t i = 0; b->segs && i < phnum; i++) {
            GElf_Phdr ph;
            if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_filesz > 0)
                b->segs[b->nsegs++] = (struct sym_segment){ph.p_offset, ph.p_filesz, ph.p_vaddr};
        }
    }
    if (b->nsegs == 0) {
        sym_warnf(s, "%s has no loadable segments: its frames are shown as %s+0xOFFSET", full,
                  b->base);
        sym_bin_drop(b);
        free(full);
        return;
    }

    Dwarf_Addr dwbias;
    b->dw = dwfl_module_getdwarf(b->mod, &dwbias);
    bool symtab = dwfl_module_getsymtab(b->mod) > 0;
    if (!b->dw && !symtab)
        sym_warnf(s,
                  "%s has no symbols and no debug info: its frames are shown as %s+0xOFFSET "
                  "(install its debug symbols, e.g. the -dbgsym package)",
                  full, b->base);
    else if (!b->dw && !sym_is_system_library(full))
        sym_warnf(s,
                  "no debug info for %s: function names without source lines or inlined frames "
                  "(install its debug symbols, e.g. the -dbgsym package)",
                  full);
    b->usable = true;
    free(full);
}

/* ---- ELF symbols ---- */

static int sym_elfsym_cmp(const void *a, const void *b)
{
    const struct sym_elfsym *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x->rank > y->rank ? -1 : x->rank < y->rank;
}

/* Reads the module's symbols (symtab, or dynsym) into a sorted table, once per binary. */
static void sym_symtab_build(struct sym_bin *b)
{
    b->syms_built = true;
    int n = dwfl_module_getsymtab(b->mod);
    if (n <= 1)
        return;
    b->syms = malloc((size_t)n * sizeof(*b->syms));
    if (!b->syms)
        return;
    for (int i = 1; i < n; i++) {
        GElf_Sym sym;
        GElf_Addr addr;
        GElf_Word shndx;
        const char *name = dwfl_module_getsym_info(b->mod, i, &sym, &addr, &shndx, NULL, NULL);
        int type = name ? GELF_ST_TYPE(sym.st_info) : STT_SECTION;
        if (!name || !name[0] || shndx == SHN_UNDEF || type == STT_SECTION || type == STT_FILE ||
            type == STT_TLS)
            continue;
        int bind = GELF_ST_BIND(sym.st_info);
        uint32_t rank = (sym.st_size ? 8 : 0) +
                        (type == STT_FUNC || type == STT_GNU_IFUNC ? 4 : 0) +
                        (bind == STB_GLOBAL ? 2
                         : bind == STB_WEAK ? 1
                                            : 0);
        b->syms[b->nsyms++] = (struct sym_elfsym){addr, sym.st_size, name, shndx, rank};
    }
    qsort(b->syms, b->nsyms, sizeof(*b->syms), sym_elfsym_cmp);
    /* keep the preferred symbol of each address */
    size_t k = 0;
    for (size_t i = 0; i < b->nsyms; i++)
        if (k == 0 || b->syms[k - 1].addr != b->syms[i].addr)
            b->syms[k++] = b->syms[i];
    b->nsyms = k;
}

/* The ELF symbol holding module address a: the nearest sized symbol containing it, else a
 * sizeless label right below it in the same section. NULL if none. */
static const char *sym_symtab_find(struct sym_bin *b, Dwarf_Addr a)
{
    if (!b->syms_built)
        sym_symtab_build(b);
    size_t lo = 0, hi = b->nsyms;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->syms[mid].addr <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* sized symbols may nest (rarely): look back a little */
    for (size_t i = lo, k = 0; i > 0 && k < 16; i--, k++) {
        const struct sym_elfsym *e = &b->syms[i - 1];
        if (e->size && a - e->addr < e->size)
            return e->name;
    }
    if (lo == 0 || b->syms[lo - 1].size)
        return NULL;
    const struct sym_elfsym *e = &b->syms[lo - 1];
    Dwarf_Addr rel = a, secbias;
    Elf_Scn *scn = dwfl_module_address_section(b->mod, &rel, &secbias);
    return scn && elf_ndxscn(scn) == e->shndx ? e->name : NULL;
}

/* ---- DWARF ---- */

static int sym_cu_range_cmp(const void *a, const void *b)
{
    const struct sym_cu_range *x = a, *y = b;
    return x->low < y->low ? -1 : x->low > y->low;
}

/* Builds the table of all CU ranges (once per binary). */
static void sym_cu_build(struct sym_bin *b)
{
    b->cus_built = true;
    size_t cap = 0;
    Dwarf_Die *cu = NULL;
    Dwarf_Addr bias;
    while ((cu = dwfl_module_nextcu(b->mod, cu, &bias)) != NULL) {
        Dwarf_Addr base, start, end;
        ptrdiff_t off = 0;
        while ((off = dwarf_ranges(cu, off, &base, &start, &end)) > 0) {
            if (end <= start)
                continue;
            if (b->ncus == cap) {
                size_t ncap = cap ? cap * 2 : 64;
                struct sym_cu_range *n = realloc(b->cus, ncap * sizeof(*n));
                if (!n)
                    return;
                b->cus = n;
                cap = ncap;
            }
            b->cus[b->ncus++] = (struct sym_cu_range){start + bias, end + bias, bias, *cu};
        }
    }
    if (b->ncus)
        qsort(b->cus, b->ncus, sizeof(*b->cus), sym_cu_range_cmp);
}

/* Finds the CU holding module address a by walking all CUs' ranges (for CUs that
 * dwfl_module_addrdie misses). Returns it in *mem, or NULL. */
static Dwarf_Die *sym_cu_fallback(struct sym_bin *b, Dwarf_Addr a, Dwarf_Die *mem, Dwarf_Addr *bias)
{
    if (!b->cus_built)
        sym_cu_build(b);
    /* the last range starting at or below a; ranges may nest (rarely), so look back a bit */
    size_t lo = 0, hi = b->ncus;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->cus[mid].low <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo, k = 0; i > 0 && k < 8; i--, k++) {
        const struct sym_cu_range *r = &b->cus[i - 1];
        if (a >= r->low && a < r->high) {
            *mem = r->cu;
            *bias = r->bias;
            return mem;
        }
    }
    return NULL;
}

static bool sym_is_function_tag(int tag)
{
    return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
           tag == DW_TAG_entry_point;
}

/* Fills f->function and f->system_name from an ELF or DWARF name, demangled if asked; leaves
 * f->function NULL when out of memory. */
static void sym_set_names(struct symbolizer *s, struct sym_frame *f, const char *linkage,
                          const char *name)
{
    const char *sys = linkage ? linkage : name;
    f->system_name = sym_intern(s, sys);
    f->function = f->system_name;
#ifdef HAVE_CXA_DEMANGLE
    if (f->system_name && s->opts.demangle && sys[0] == '_' && sys[1] == 'Z') {
        int status = -1;
        char *d = __cxa_demangle(sys, NULL, NULL, &status);
        const char *p = d && status == 0 ? sym_intern(s, d) : NULL;
        if (p)
            f->function = p;
        free(d);
    }
#endif
}

/* Names a function DIE (following abstract origins). */
static void sym_die_names(struct symbolizer *s, Dwarf_Die *die, struct sym_frame *f,
                          const char *fallback)
{
    Dwarf_Attribute mem;
    const char *linkage = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &mem));
    if (!linkage)
        linkage = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &mem));
    const char *name = dwarf_diename(die);
    if (!linkage && !name)
        name = fallback ? fallback : "??";
    sym_set_names(s, f, linkage, name);
    int line;
    if (dwarf_decl_line(die, &line) == 0 && line > 0)
        f->start_line = (uint32_t)line;
}

/* Interns a source file name; a relative one is joined to the CU's compilation directory (as
 * eu-addr2line shows it). */
static const char *sym_intern_file(struct symbolizer *s, Dwarf_Die *cu, const char *file)
{
    if (!file)
        return NULL;
    if (file[0] != '/') {
        Dwarf_Attribute mem;
        const char *dir = dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &mem));
        char buf[4096];
        if (dir && dir[0] && snprintf(buf, sizeof(buf), "%s/%s", dir, file) < (int)sizeof(buf))
            return sym_intern(s, buf);
    }
    return sym_intern(s, file);
}

static struct sym_frame *sym_tmp_frame(struct symbolizer *s, size_t i)
{
    if (i >= s->tmp_cap) {
        size_t ncap = s->tmp_cap ? s->tmp_cap * 2 : 16;
        struct sym_frame *n = realloc(s->tmp, ncap * sizeof(*n));
        if (!n)
            return NULL;
        s->tmp = n;
        s->tmp_cap = ncap;
    }
    memset(&s->tmp[i], 0, sizeof(s->tmp[i]));
    return &s->tmp[i];
}

/* Builds the inline chain of module address a into s->tmp. Returns the number of frames (0 when
 * DWARF does not know the address). symname: the ELF symbol, used when DWARF has no name;
 * unknown: the name when neither knows it but the line table does (*named set to false). */
static size_t sym_dwarf_frames(struct symbolizer *s, struct sym_bin *b, Dwarf_Addr a,
                               const char *symname, const char *unknown, bool *named)
{
    Dwarf_Addr cubias = 0;
    Dwarf_Die cu_mem;
    Dwarf_Die *cu = dwfl_module_addrdie(b->mod, a, &cubias);
    if (!cu)
        cu = sym_cu_fallback(b, a, &cu_mem, &cubias);
    if (!cu)
        return 0;
    Dwarf_Addr pc = a - cubias;

    /* the innermost frame's line from the line table */
    const char *file = NULL;
    int line = 0;
    Dwarf_Line *dl = dwarf_getsrc_die(cu, pc);
    if (dl) {
        file = dwarf_linesrc(dl, NULL, NULL);
        if (dwarf_lineno(dl, &line) != 0)
            line = 0;
    }

    /* dwarf_getscopes gives the concrete scopes only up to the innermost inlined subroutine
     * (then its abstract origin's): the concrete chain is the parents of the innermost scope. */
    size_t n = 0;
    Dwarf_Die *scopes = NULL;
    int nscopes = dwarf_getscopes(cu, pc, &scopes);
    Dwarf_Die *chain = NULL;
    int nchain = nscopes > 0 ? dwarf_getscopes_die(&scopes[0], &chain) : -1;
    free(scopes);
    bool any = false;
    for (int i = 0; i < nchain && !any; i++)
        any = sym_is_function_tag(dwarf_tag(&chain[i]));
    if (!any) {
        /* line info without a function DIE (assembly, padding): one frame named by the ELF
         * symbol, or unknown */
        free(chain);
        if (!symname && !file)
            return 0;
        struct sym_frame *f = sym_tmp_frame(s, 0);
        if (!f)
            return 0;
        *named = symname != NULL;
        sym_set_names(s, f, NULL, symname ? symname : unknown);
        f->file = sym_intern_file(s, cu, file);
        f->line = file ? (uint32_t)line : 0;
        return f->function ? 1 : 0;
    }

    Dwarf_Files *files = NULL;
    size_t nfiles = 0;
    if (dwarf_getsrcfiles(cu, &files, &nfiles) != 0)
        files = NULL;
    for (int i = 0; i < nchain; i++) {
        int tag = dwarf_tag(&chain[i]);
        if (!sym_is_function_tag(tag))
            continue;
        struct sym_frame *f = sym_tmp_frame(s, n);
        if (!f)
            break;
        n++;
        bool outer = tag != DW_TAG_inlined_subroutine;
        sym_die_names(s, &chain[i], f, outer ? symname : NULL);
        if (!f->function) {
            n--;
            break;
        }
        f->file = sym_intern_file(s, cu, file);
        f->line = f->file ? (uint32_t)line : 0;
        if (outer)
            break;
        f->inlined = true;
        /* the next (outer) frame is at this inlined call's site */
        Dwarf_Attribute mem;
        Dwarf_Word v;
        file = NULL;
        line = 0;
        if (files && dwarf_formudata(dwarf_attr(&chain[i], DW_AT_call_file, &mem), &v) == 0)
            file = dwarf_filesrc(files, v, NULL, NULL);
        if (dwarf_formudata(dwarf_attr(&chain[i], DW_AT_call_line, &mem), &v) == 0)
            line = (int)v;
    }
    free(chain);
    /* the chain must end with an out-of-line function */
    if (n > 0 && s->tmp[n - 1].inlined) {
        struct sym_frame *f = sym_tmp_frame(s, n);
        if (f) {
            sym_set_names(s, f, NULL, symname ? symname : "??");
            f->file = sym_intern_file(s, cu, file);
            f->line = f->file ? (uint32_t)line : 0;
            if (f->function)
                n++;
        }
    }
    return n;
}

/* ---- results ---- */

/* Stores the n frames of s->tmp in the arena and fills out. */
static void sym_result_set(struct symbolizer *s, size_t n, bool symbolized, struct sym_result *out)
{
    struct sym_frame *frames = sym_alloc(s, n * sizeof(*frames), alignof(struct sym_frame));
    if (!frames) {
        out->frames = &sym_oom_frame;
        out->nframes = 1;
        out->symbolized = false;
        out->has_lines = false;
        return;
    }
    memcpy(frames, s->tmp, n * sizeof(*frames));
    out->frames = frames;
    out->nframes = n;
    out->symbolized = symbolized;
    out->has_lines = frames[0].file != NULL && frames[0].line != 0;
}

/* One frame named name (interned here). */
static void sym_result_one(struct symbolizer *s, const char *name, bool symbolized,
                           struct sym_result *out)
{
    struct sym_frame *f = sym_tmp_frame(s, 0);
    const char *p = sym_intern(s, name);
    if (!f || !p) {
        out->frames = &sym_oom_frame;
        out->nframes = 1;
        out->symbolized = false;
        out->has_lines = false;
        return;
    }
    f->function = f->system_name = p;
    sym_result_set(s, 1, symbolized, out);
}

static void sym_placeholder(struct symbolizer *s, const char *base, uint64_t off,
                            struct sym_result *out)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s+0x%llx", base, (unsigned long long)off);
    sym_result_one(s, buf, false, out);
}

/* The module (Dwfl) address of file offset fo of a loaded ELF binary, through the PT_LOAD that
 * holds it; caller: fo is a return address, so the call instruction ends right before it (maybe
 * at a segment's end). False when no segment holds it. */
static bool sym_bin_address(const struct sym_bin *b, uint64_t fo, bool caller, Dwarf_Addr *out)
{
    uint64_t lookup = caller && fo > 0 ? fo - 1 : fo;
    for (size_t i = 0; i < b->nsegs; i++) {
        const struct sym_segment *seg = &b->segs[i];
        if (lookup >= seg->offset && lookup - seg->offset < seg->filesz) {
            *out = lookup - seg->offset + seg->vaddr + b->mod_bias;
            return true;
        }
    }
    return false;
}

/* Symbolizes file offset fo of an ELF binary. Placeholders show the file offset (not the
 * vaddr), which is known even when the file is not. */
static void sym_resolve_elf(struct symbolizer *s, struct sym_bin *b, uint64_t fo, bool caller,
                            struct sym_result *out)
{
    if (!b->loaded)
        sym_bin_load(s, b);
    if (!b->usable) {
        sym_placeholder(s, b->base, fo, out);
        return;
    }
    Dwarf_Addr a;
    if (!sym_bin_address(b, fo, caller, &a)) {
        sym_placeholder(s, b->base, fo, out);
        return;
    }

    const char *symname = sym_symtab_find(b, a);
    char unknown[512];
    snprintf(unknown, sizeof(unknown), "%s+0x%llx", b->base, (unsigned long long)fo);
    bool named = true;
    size_t n = b->dw ? sym_dwarf_frames(s, b, a, symname, unknown, &named) : 0;
    if (n > 0) {
        sym_result_set(s, n, named, out);
        return;
    }
    if (!symname) {
        sym_placeholder(s, b->base, fo, out);
        return;
    }
    struct sym_frame *f = sym_tmp_frame(s, 0);
    if (!f) {
        sym_placeholder(s, b->base, fo, out);
        return;
    }
    sym_set_names(s, f, NULL, symname);
    if (!f->function) {
        sym_placeholder(s, b->base, fo, out);
        return;
    }
    sym_result_set(s, 1, true, out);
}

/* ---- kernel ---- */

static int sym_ksym_cmp(const void *a, const void *b)
{
    const struct sym_ksym *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Parses one /proc/kallsyms line "ADDR TYPE NAME[\t[MODULE]]" (no newline); keeps text symbols. */
static void sym_kallsyms_line(struct symbolizer *s, const char *p, const char *end, size_t *cap,
                              bool *nonzero, bool *oom)
{
    uint64_t addr = 0;
    const char *q = p;
    for (; q < end; q++) {
        unsigned c = (unsigned char)*q, d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            d = (c | 0x20) - 'a' + 10;
        else
            break;
        addr = addr << 4 | d;
    }
    if (q == p || end - q < 4 || q[0] != ' ' || q[2] != ' ')
        return;
    char type = q[1];
    if (type != 't' && type != 'T' && type != 'w' && type != 'W')
        return;
    const char *name = q + 3, *ne = name;
    while (ne < end && *ne != ' ' && *ne != '\t')
        ne++;
    if (ne == name)
        return;
    if (s->nksyms == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16384;
        struct sym_ksym *n = realloc(s->ksyms, ncap * sizeof(*n));
        if (!n) {
            *oom = true;
            return;
        }
        s->ksyms = n;
        *cap = ncap;
    }
    /* names go to one pool (interned when a lookup returns them) */
    size_t off = s->knames.len, len = (size_t)(ne - name);
    if (off > UINT32_MAX - len - 1 || hw_buf_reserve(&s->knames, len + 1) < 0) {
        *oom = true;
        return;
    }
    memcpy(s->knames.data + off, name, len);
    s->knames.data[off + len] = '\0';
    s->knames.len += len + 1;
    s->ksyms[s->nksyms++] = (struct sym_ksym){addr, (uint32_t)off};
    *nonzero |= addr != 0;
}

/* Loads the text symbols of ROOT/proc/kallsyms (once). */
static void sym_kallsyms_load(struct symbolizer *s)
{
    s->ksyms_loaded = true;
    char *path = sym_rooted(s, "/proc/kallsyms");
    if (!path)
        return;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        sym_warnf(s, "cannot read %s: %s: kernel frames are shown as [kernel]", path,
                  strerror(errno));
        free(path);
        return;
    }
    size_t cap = 0;
    bool nonzero = false, oom = false;
    static const size_t chunk = 256 * 1024;
    char *buf = malloc(chunk);
    size_t have = 0; /* bytes of an incomplete line kept at the start of buf */
    while (buf && !oom) {
        ssize_t r = read(fd, buf + have, chunk - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (have) /* a last line without a newline */
                sym_kallsyms_line(s, buf, buf + have, &cap, &nonzero, &oom);
            break;
        }
        size_t len = have + (size_t)r;
        char *p = buf, *end = buf + len, *nl;
        while (!oom && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
            sym_kallsyms_line(s, p, nl, &cap, &nonzero, &oom);
            p = nl + 1;
        }
        have = (size_t)(end - p);
        if (have == chunk) /* a line longer than the buffer: drop it */
            have = 0;
        memmove(buf, p, have);
    }
    free(buf);
    close(fd);
    if (!nonzero) {
        if (s->nksyms)
            sym_warnf(s,
                      "%s shows no addresses: kernel frames are shown as [kernel] (run as root "
                      "or set the sysctl kernel.kptr_restrict=0)",
                      path);
        else
            sym_warnf(s, "%s holds no text symbols: kernel frames are shown as [kernel]", path);
        s->nksyms = 0;
    }
    free(path);
    /* give back the growth slack: these tables live as long as the symbolizer */
    if (s->nksyms && s->nksyms < cap) {
        struct sym_ksym *k = realloc(s->ksyms, s->nksyms * sizeof(*k));
        if (k)
            s->ksyms = k;
    }
    if (s->knames.len && s->knames.len < s->knames.cap) {
        unsigned char *n = realloc(s->knames.data, s->knames.len);
        if (n) {
            s->knames.data = n;
            s->knames.cap = s->knames.len;
        }
    }
    /* the core kernel's symbols come sorted; modules' may not */
    for (size_t i = 1; i < s->nksyms; i++) {
        if (s->ksyms[i].addr < s->ksyms[i - 1].addr) {
            qsort(s->ksyms, s->nksyms, sizeof(*s->ksyms), sym_ksym_cmp);
            break;
        }
    }
}

static void sym_resolve_kernel(struct symbolizer *s, uint64_t addr, bool caller,
                               struct sym_result *out)
{
    if (!s->opts.use_kallsyms) {
        sym_result_one(s, "[kernel]", false, out);
        return;
    }
    if (!s->ksyms_loaded)
        sym_kallsyms_load(s);
    uint64_t a = caller && addr > 0 ? addr - 1 : addr;
    size_t lo = 0, hi = s->nksyms;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->ksyms[mid].addr <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0) {
        sym_result_one(s, "[kernel]", false, out);
        return;
    }
    sym_result_one(s, (const char *)s->knames.data + s->ksyms[lo - 1].name, true, out);
}

/* ---- JIT code: /tmp/perf-PID.map ---- */

static int sym_jitsym_cmp(const void *a, const void *b)
{
    const struct sym_jitsym *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Returns the perf map of pid, reading ROOT/tmp/perf-PID.map on first use (an empty map when
 * there is none), or NULL when out of memory. */
static struct sym_jitmap *sym_jitmap_get(struct symbolizer *s, int32_t pid)
{
    for (size_t i = 0; i < s->njits; i++)
        if (s->jits[i].pid == pid)
            return &s->jits[i];
    struct sym_jitmap *nj = realloc(s->jits, (s->njits + 1) * sizeof(*nj));
    if (!nj)
        return NULL;
    s->jits = nj;
    struct sym_jitmap *m = &s->jits[s->njits++];
    *m = (struct sym_jitmap){.pid = pid};
    char rel[64];
    snprintf(rel, sizeof(rel), "/tmp/perf-%d.map", (int)pid);
    char *path = sym_rooted(s, rel);
    FILE *f = path ? fopen(path, "re") : NULL;
    free(path);
    if (!f)
        return m;
    size_t cap = 0;
    char *line = NULL;
    size_t linecap = 0;
    ssize_t len;
    while ((len = getline(&line, &linecap, f)) > 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        char *p = line, *end;
        unsigned long long start = strtoull(p, &end, 16);
        if (end == p || *end != ' ')
            continue;
        p = end + 1;
        unsigned long long size = strtoull(p, &end, 16);
        if (end == p || *end != ' ' || !end[1])
            continue;
        if (m->n == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            struct sym_jitsym *n = realloc(m->syms, ncap * sizeof(*n));
            if (!n)
                break;
            m->syms = n;
            cap = ncap;
        }
        size_t nlen = strlen(end + 1);
        char *name = sym_alloc(s, nlen + 1, 1); /* interned when a lookup returns it */
        if (!name)
            break;
        memcpy(name, end + 1, nlen + 1);
        m->syms[m->n++] = (struct sym_jitsym){start, size, name};
    }
    free(line);
    fclose(f);
    if (m->n)
        qsort(m->syms, m->n, sizeof(*m->syms), sym_jitsym_cmp);
    return m;
}

/* Anonymous memory: a JIT symbol, or a placeholder "[anon]+0xOFFSET" with the offset into the
 * mapping (there is no file). */
static void sym_resolve_anon(struct symbolizer *s, struct sym_bin *b, int32_t pid,
                             uint64_t map_start, uint64_t addr, bool caller, struct sym_result *out)
{
    struct sym_jitmap *m = sym_jitmap_get(s, pid);
    uint64_t a = caller && addr > 0 ? addr - 1 : addr;
    if (m && m->n) {
        /* symbols may overlap (code regenerated): take the last one starting at or below a */
        size_t lo = 0, hi = m->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (m->syms[mid].start <= a)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t i = lo; i > 0 && lo - i < 16; i--) {
            const struct sym_jitsym *j = &m->syms[i - 1];
            if (a - j->start < j->size) {
                sym_result_one(s, j->name, true, out);
                return;
            }
        }
    }
    sym_placeholder(s, b->base, addr >= map_start ? addr - map_start : addr, out);
}

/* ---- lookups ---- */

static bool sym_cache_grow(struct symbolizer *s)
{
    size_t ncap = s->cache_cap ? s->cache_cap * 2 : 4096;
    struct sym_entry *n = calloc(ncap, sizeof(*n));
    if (!n)
        return false;
    for (size_t i = 0; i < s->cache_cap; i++) {
        if (!s->cache[i].hash)
            continue;
        size_t j = s->cache[i].hash & (ncap - 1);
        while (n[j].hash)
            j = (j + 1) & (ncap - 1);
        n[j] = s->cache[i];
    }
    free(s->cache);
    s->cache = n;
    s->cache_cap = ncap;
    return true;
}

void sym_release(struct symbolizer *s, const struct sym_binary *bin)
{
    struct sym_bin *b = bin && bin->path ? sym_bin_get(s, bin) : NULL;
    if (!b)
        return;
    if (b->kind == SYM_KIND_KERNEL) {
        free(s->ksyms);
        s->ksyms = NULL;
        s->nksyms = 0;
        hw_buf_free(&s->knames);
        s->ksyms_loaded = false;
        return;
    }
    if (b->kind != SYM_KIND_ELF || !b->loaded)
        return;
    sym_bin_drop(b);
    free(b->cus);
    b->cus = NULL;
    b->ncus = 0;
    b->cus_built = false;
    free(b->syms);
    b->syms = NULL;
    b->nsyms = 0;
    b->syms_built = false;
    b->dw = NULL;
    b->loaded = false;
    b->usable = false;
}

void sym_lookup(struct symbolizer *s, const struct sym_binary *bin, uint64_t map_start,
                uint64_t map_end, uint64_t map_pgoff, int32_t pid, uint64_t addr,
                bool caller_address, struct sym_result *out)
{
    (void)map_end;
    struct sym_bin *b = bin && bin->path ? sym_bin_get(s, bin) : NULL;
    if (!b) {
        out->frames = bin && bin->path ? &sym_oom_frame : &sym_unknown_frame;
        out->nframes = 1;
        out->symbolized = false;
        out->has_lines = false;
        return;
    }

    /* The key identifies the result: file offset for files (independent of where the file was
     * mapped), the address for the kernel and for anonymous memory (per process). */
    uint64_t key = 0;
    int32_t kpid = 0;
    bool caller = caller_address;
    switch (b->kind) {
    case SYM_KIND_ELF:
        key = addr - map_start + map_pgoff;
        break;
    case SYM_KIND_KERNEL:
        key = s->opts.use_kallsyms ? addr : 0;
        caller = s->opts.use_kallsyms && caller;
        break;
    case SYM_KIND_VDSO:
        caller = false;
        break;
    case SYM_KIND_ANON:
        key = addr;
        kpid = pid;
        break;
    }
    uint64_t h = hw_hash_u64(0, key ^ hw_hash_u64(0, ((uint64_t)b->index << 33) ^
                                       ((uint64_t)(uint32_t)kpid << 1) ^ (uint64_t)caller));
    h = h ? h : 1;
    if (s->cache_cap) {
        for (size_t i = h & (s->cache_cap - 1);; i = (i + 1) & (s->cache_cap - 1)) {
            const struct sym_entry *e = &s->cache[i];
            if (!e->hash)
                break;
            if (e->hash == h && e->key == key && e->bin == b->index && e->pid == kpid &&
                e->caller == caller) {
                s->hits++;
                out->frames = e->frames;
                out->nframes = e->nframes;
                out->symbolized = e->symbolized;
                out->has_lines = e->has_lines;
                return;
            }
        }
    }

    s->unique++;
    switch (b->kind) {
    case SYM_KIND_ELF:
        sym_resolve_elf(s, b, key, caller, out);
        break;
    case SYM_KIND_KERNEL:
        sym_resolve_kernel(s, addr, caller, out);
        break;
    case SYM_KIND_VDSO:
        sym_result_one(s, b->base, false, out);
        break;
    case SYM_KIND_ANON:
        sym_resolve_anon(s, b, pid, map_start, addr, caller, out);
        break;
    }
    if (out->frames == &sym_oom_frame)
        return;
    if ((s->cache_n + 1) * 4 > s->cache_cap * 3 && !sym_cache_grow(s))
        return;
    size_t i = h & (s->cache_cap - 1);
    while (s->cache[i].hash)
        i = (i + 1) & (s->cache_cap - 1);
    s->cache[i] = (struct sym_entry){
        .hash = h,
        .key = key,
        .bin = b->index,
        .pid = kpid,
        .caller = caller,
        .symbolized = out->symbolized,
        .has_lines = out->has_lines,
        .nframes = (uint32_t)out->nframes,
        .frames = out->frames,
    };
    s->cache_n++;
}

/* ---- unwinding rules ---- */

enum { SYM_DWARF_REG_BP = 6, SYM_DWARF_REG_SP = 7 }; /* x86-64 DWARF register numbers */

/* Where the caller's value of register regno is, per frame fr: saved at cfa + *offset (returns 1),
 * unchanged (2), undefined (3), or a rule this unwinder does not follow (-1). */
static int sym_frame_register(Dwarf_Frame *fr, int regno, int64_t *offset)
{
    Dwarf_Op mem[3], *ops;
    size_t nops;
    if (dwarf_frame_register(fr, regno, mem, &ops, &nops) != 0)
        return -1;
    if (nops == 0)
        return ops ? 3 : 2; /* ops == mem: undefined; NULL: same value */
    if (ops[0].atom != DW_OP_call_frame_cfa)
        return -1;
    *offset = 0;
    if (nops == 1)
        return 1;
    if (nops == 2 && ops[1].atom == DW_OP_plus_uconst) {
        *offset = (int64_t)ops[1].number; /* negative offsets arrive wrapped */
        return 1;
    }
    if (nops == 2 && ops[1].atom == DW_OP_consts) {
        *offset = (int64_t)ops[1].number;
        return 1;
    }
    return -1;
}

/* Reads the rule at module address a from the binary's CFI. Returns 0 or -1. */
static int sym_cfa_from_cfi(struct sym_bin *b, Dwarf_Addr a, struct sym_cfa_rule *out)
{
    Dwarf_Addr cbias;
    Dwarf_CFI *cfi = dwfl_module_eh_cfi(b->mod, &cbias);
    if (!cfi)
        cfi = dwfl_module_dwarf_cfi(b->mod, &cbias);
    Dwarf_Frame *fr = NULL;
    if (!cfi || dwarf_cfi_addrframe(cfi, a - cbias, &fr) != 0)
        return -1;
    int rc = -1;
    bool signal = false;
    Dwarf_Op *ops;
    size_t nops;
    int ra = dwarf_frame_info(fr, NULL, NULL, &signal);
    if (ra < 0 || signal || dwarf_frame_cfa(fr, &ops, &nops) != 0 || nops != 1)
        goto out;
    /* register + offset: libdw gives DW_OP_bregx (number: register, number2: offset) */
    uint64_t reg = ops[0].atom == DW_OP_bregx ? ops[0].number : (uint64_t)(ops[0].atom - DW_OP_breg0);
    int64_t offset = (int64_t)(ops[0].atom == DW_OP_bregx ? ops[0].number2 : ops[0].number);
    if ((ops[0].atom != DW_OP_bregx && (ops[0].atom < DW_OP_breg0 || ops[0].atom > DW_OP_breg31)) ||
        (reg != SYM_DWARF_REG_SP && reg != SYM_DWARF_REG_BP))
        goto out;
    out->base = reg == SYM_DWARF_REG_SP ? SYM_CFA_SP : SYM_CFA_BP;
    out->cfa_offset = offset;
    int r = sym_frame_register(fr, ra, &out->ra_offset);
    if (r != 1 && r != 3)
        goto out;
    out->outermost = r == 3;
    r = sym_frame_register(fr, SYM_DWARF_REG_BP, &out->bp_offset);
    if (r < 0)
        goto out;
    out->bp = r == 1 ? SYM_BP_SAVED : r == 2 ? SYM_BP_SAME : SYM_BP_UNDEFINED;
    rc = 0;
out:
    free(fr);
    return rc;
}

struct sym_cfa_ctx {
    const struct symbolizer *s;
    uint32_t bin;
    uint64_t key;
    bool caller;
};

static bool sym_cfa_eq(const void *ctx, uint32_t val)
{
    const struct sym_cfa_ctx *k = ctx;
    const struct sym_cfa_entry *e = &k->s->cfas[val];
    return e->bin == k->bin && e->key == k->key && e->caller == k->caller;
}

int sym_cfa_rule(struct symbolizer *s, const struct sym_binary *bin, uint64_t map_start, uint64_t map_pgoff,
                 uint64_t addr, bool caller_address, struct sym_cfa_rule *out)
{
    struct sym_bin *b = bin && bin->path ? sym_bin_get(s, bin) : NULL;
    if (!b || b->kind != SYM_KIND_ELF)
        return -1;
    struct sym_cfa_ctx k = {s, b->index, addr - map_start + map_pgoff, caller_address};
    uint64_t h = hw_hash_u64(hw_hash_u64(11, k.key), ((uint64_t)k.bin << 1) | k.caller);
    uint32_t idx;
    if (hw_map_find(&s->cfa_map, h, sym_cfa_eq, &k, &idx)) {
        *out = s->cfas[idx].rule;
        return s->cfas[idx].ok ? 0 : -1;
    }
    if (!b->loaded)
        sym_bin_load(s, b);
    Dwarf_Addr a;
    struct sym_cfa_rule rule = {0};
    bool ok = b->usable && sym_bin_address(b, k.key, k.caller, &a) && sym_cfa_from_cfi(b, a, &rule) == 0;
    if (hw_grow(&s->cfas, &s->cap_cfas, s->ncfas + 1, sizeof(*s->cfas)) == 0 &&
        hw_map_insert(&s->cfa_map, h, (uint32_t)s->ncfas) == 0)
        s->cfas[s->ncfas++] = (struct sym_cfa_entry){k.bin, k.caller, ok, k.key, rule};
    *out = rule;
    return ok ? 0 : -1;
}
