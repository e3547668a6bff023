/* sym_bin.c - the symbolizer's table of binaries (one record per path, build id and kernel flag) and the loading of an ELF binary with libdw. */
#include "sym_private.h"

#include "bidcache.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The length of bin's recorded build id that the symbolizer keeps (0: none). */
static int sym_bin_id_len(const struct sym_binary *bin)
{
    return bin->build_id && bin->build_id_len > 0 ? bin->build_id_len : 0;
}

static bool sym_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool sym_bin_matches(const struct sym_bin *b, const struct sym_binary *bin)
{
    int len = sym_bin_id_len(bin);
    return b->kernel_flag == bin->kernel && b->build_id_len == len &&
           strcmp(b->path, bin->path) == 0 &&
           (len == 0 || memcmp(b->build_id, bin->build_id, len) == 0);
}

static uint64_t sym_bin_hash(const struct sym_binary *bin)
{
    int len = sym_bin_id_len(bin);
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

bool sym_bin_is_vdso(const struct sym_bin *b)
{
    return b->kind == SYM_KIND_VDSO && strcmp(b->path, "[vdso]") == 0;
}

struct sym_bin_key {
    const struct symbolizer *s;
    const struct sym_binary *bin;
};

static bool sym_bin_eq(const void *ctx, uint32_t val)
{
    const struct sym_bin_key *k = ctx;
    return sym_bin_matches(k->s->bins[val], k->bin);
}

struct sym_bin *sym_bin_get(struct symbolizer *s, const struct sym_binary *bin)
{
    if (s->last_bin && sym_bin_matches(s->last_bin, bin))
        return s->last_bin;
    uint64_t h = sym_bin_hash(bin);
    struct sym_bin_key k = {s, bin};
    uint32_t idx;
    if (hw_map_find(&s->bin_map, h, sym_bin_eq, &k, &idx))
        return s->last_bin = s->bins[idx];
    if (s->nbins >= UINT32_MAX ||
        hw_grow(&s->bins, &s->cap_bins, s->nbins + 1, sizeof(*s->bins)) < 0)
        return NULL;
    struct sym_bin *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->path = sym_intern(s, bin->path);
    int len = sym_bin_id_len(bin);
    uint8_t *id = len ? sym_alloc(s, (size_t)len, 1) : NULL;
    if (!b->path || (len && !id) || hw_map_insert(&s->bin_map, h, (uint32_t)s->nbins) < 0) {
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
    if (b->kind == SYM_KIND_ELF || sym_bin_is_vdso(b))
        sym_bin_resolve(s, b);
    return s->last_bin = b;
}

/* Gives up on symbolizing b (placeholders from now on): frees its libdw state. */
static void sym_bin_drop(struct sym_bin *b)
{
    if (b->dwfl)
        dwfl_end(b->dwfl);
    b->dwfl = NULL;
    free(b->dwfl_image);
    b->dwfl_image = NULL;
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

int sym_open_regular(const char *path)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        int e = errno;
        bool dir = e == 0 && S_ISDIR(st.st_mode);
        close(fd);
        errno = dir ? EISDIR : S_ISREG(st.st_mode) ? e : EINVAL;
        return -1;
    }
    return fd;
}

/* Reports the ELF file full (opened as a regular file, without blocking) to a new Dwfl as b's
 * module, and checks its build id against the recorded one. Returns 0, or -1 with why (a warning).
 */
static int sym_bin_try(struct symbolizer *s, struct sym_bin *b, const char *full, const void *img,
                       size_t n, char *why, size_t whylen)
{
    if (img) { /* libdw's own copy: the loading thread's, apart from the CFI stage's */
        b->dwfl_image = malloc(n);
        if (!b->dwfl_image) {
            snprintf(why, whylen, "cannot symbolize %s: %s", full, strerror(ENOMEM));
            return -1;
        }
        memcpy(b->dwfl_image, img, n);
    }
    int fd = img ? -1 : sym_open_regular(full);
    if (fd < 0 && !img) {
        snprintf(why, whylen,
                 "cannot open %s: %s: its frames are shown as %s+0xOFFSET (deleted since the "
                 "recording, or recorded on another machine?)",
                 full, errno == EINVAL ? "not a regular file" : strerror(errno), b->base);
        return -1;
    }
    b->dwfl = dwfl_begin(&s->callbacks);
    if (!b->dwfl) {
        if (fd >= 0)
            close(fd);
        snprintf(why, whylen, "cannot symbolize %s: %s", full, dwfl_errmsg(-1));
        sym_bin_drop(b);
        return -1;
    }
    dwfl_report_begin(b->dwfl);
    if (img)
        b->mod = dwfl_report_offline_memory(b->dwfl, b->base, full, b->dwfl_image, n);
    else
        b->mod = dwfl_report_offline(b->dwfl, b->base, full, fd); /* takes fd when it succeeds */
    dwfl_report_end(b->dwfl, NULL, NULL);
    if (!b->mod && fd >= 0)
        close(fd);
    GElf_Addr bias = 0;
    Elf *elf = b->mod ? dwfl_module_getelf(b->mod, &bias) : NULL;
    if (!elf) {
        snprintf(why, whylen,
                 "cannot read %s as an ELF file: %s: its frames are shown as %s+0xOFFSET", full,
                 dwfl_errmsg(-1), b->base);
        sym_bin_drop(b);
        return -1;
    }
    void **userdata;
    dwfl_module_info(b->mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL);
    *userdata = s; /* for sym_find_debuginfo */
    b->mod_bias = bias;

    if (b->build_id_len > 0) {
        const unsigned char *bits = NULL;
        GElf_Addr id_vaddr;
        int idlen = dwfl_module_build_id(b->mod, &bits, &id_vaddr);
        if (idlen != b->build_id_len || memcmp(bits, b->build_id, (size_t)idlen) != 0) {
            char have[2 * 64 + 1] = "none", want[2 * 64 + 1];
            if (idlen > 0)
                buildid_to_hex(bits, idlen > 64 ? 64 : idlen, have);
            buildid_to_hex(b->build_id, b->build_id_len > 64 ? 64 : b->build_id_len, want);
            snprintf(why, whylen,
                     "%s has build id %s but the recording expects %s: not symbolizing it "
                     "(rebuilt since recording?)",
                     full, have, want);
            sym_bin_drop(b);
            return -1;
        }
    }

    if (sym_segments_read(elf, &b->segs, &b->nsegs) == 0) {
        snprintf(why, whylen, "%s has no loadable segments: its frames are shown as %s+0xOFFSET",
                 full, b->base);
        sym_bin_drop(b);
        return -1;
    }
    return 0;
}

void sym_bin_open(struct symbolizer *s, struct sym_bin *b)
{
    if (b->opened)
        return;
    b->opened = true;
    if (!b->file && !b->image)
        return; /* sym_bin_resolve kept why */
    char why[1024];
    if (sym_bin_try(s, b, b->file ? b->file : b->path, b->image, b->image_len, why, sizeof(why)) ==
        0)
        b->usable = true;
    else
        sym_warn_keep(&b->warns, "%s", why);
}

/* Whether the ELF file open at fd has the build id of b (recorded; none recorded: any). Formats the
 * file's id (or "none") into have. A file that is not ELF passes: libdw says what is wrong. */
static bool sym_fd_build_id_ok(const struct sym_bin *b, int fd, char have[2 * HW_BUILD_ID_MAX + 1])
{
    snprintf(have, 2 * HW_BUILD_ID_MAX + 1, "none");
    if (b->build_id_len <= 0)
        return true;
    char self[64];
    uint8_t id[HW_BUILD_ID_MAX];
    snprintf(self, sizeof(self), "/proc/self/fd/%d",
             fd); /* the file opened, not what the path is now */
    int len = buildid_read_file(self, id);
    if (len < 0)
        return true;
    if (len > 0)
        buildid_to_hex(id, len, have);
    return len == b->build_id_len && memcmp(id, b->build_id, (size_t)len) == 0;
}

void sym_bin_resolve(struct symbolizer *s, struct sym_bin *b)
{
    char why[1024] = "", have[2 * HW_BUILD_ID_MAX + 1], want[2 * 64 + 1];
    buildid_to_hex(b->build_id, b->build_id_len > 64 ? 64 : b->build_id_len, want);
    if (b->kind == SYM_KIND_ELF) {
        char *full = sym_rooted(s, b->path);
        if (!full)
            return;
        /* A mapping of a file deleted since: its new version (if any) is checked by build id. */
        size_t plen = strlen(b->path), flen = strlen(full);
        if (plen > 10 && strcmp(full + flen - 10, " (deleted)") == 0)
            full[flen - 10] = '\0';
        int fd = sym_open_regular(full);
        if (fd >= 0 && sym_fd_build_id_ok(b, fd, have)) {
            close(fd);
            b->file = full;
            return;
        }
        if (fd >= 0)
            snprintf(why, sizeof(why),
                     "%s has build id %s but the recording expects %s: not symbolizing it (rebuilt "
                     "since recording?)",
                     full, have, want);
        else
            snprintf(why, sizeof(why),
                     "cannot open %s: %s: its frames are shown as %s+0xOFFSET (deleted since the "
                     "recording, or recorded on another machine?)",
                     full, errno == EINVAL ? "not a regular file" : strerror(errno), b->base);
        if (fd >= 0)
            close(fd);
        free(full);
    }
    /* perf's build-id cache keeps the file that was recorded */
    char cached[4096];
    if (b->build_id_len > 0 && s->buildid_dir &&
        bidcache_path(s->buildid_dir, b->build_id, b->build_id_len,
                      b->kind == SYM_KIND_VDSO ? BIDCACHE_VDSO : BIDCACHE_ELF, cached,
                      sizeof(cached)) == 0) {
        int fd = sym_open_regular(cached);
        bool ok = fd >= 0 && sym_fd_build_id_ok(b, fd, have);
        if (fd >= 0)
            close(fd);
        if (ok) {
            b->file = hw_strdup(cached);
            return;
        }
    }
    /* the vDSO of this kernel is this process's too */
    const void *img;
    size_t n;
    uint8_t id[HW_BUILD_ID_MAX];
    int len;
    if (sym_bin_is_vdso(b) && b->build_id_len > 0 && (len = bidcache_own_vdso(&img, &n, id)) > 0 &&
        len == b->build_id_len && memcmp(id, b->build_id, (size_t)len) == 0 &&
        (b->image = malloc(n)) != NULL) {
        memcpy(b->image, img, n);
        b->image_len = n;
        return;
    }
    if (why[0])
        sym_warn_keep(&b->warns, "%s", why);
}

void sym_bin_load(struct symbolizer *s, struct sym_bin *b)
{
    if (b->loaded)
        return;
    sym_bin_open(s, b);
    b->loaded = true;
    if (!b->usable)
        return;
    Dwarf_Addr dwbias;
    b->dw = dwfl_module_getdwarf(b->mod, &dwbias);
    bool symtab = dwfl_module_getsymtab(b->mod) > 0;
    const char *full = b->file ? b->file : b->path;
    if (!b->dw && !symtab && b->kind != SYM_KIND_VDSO)
        sym_warn_keep(&b->warns,
                      "%s has no symbols and no debug info: its frames are shown as %s+0xOFFSET "
                      "(install its debug symbols, e.g. the -dbgsym package)",
                      full, b->base);
    else if (!b->dw && !sym_is_system_library(full) && b->kind != SYM_KIND_VDSO)
        sym_warn_keep(&b->warns,
                      "no debug info for %s: function names without source lines or inlined frames "
                      "(install its debug symbols, e.g. the -dbgsym package)",
                      full);
}

size_t sym_segments_read(Elf *elf, struct sym_segment **segs, size_t *n)
{
    size_t phnum = 0;
    *segs = NULL;
    *n = 0;
    if (elf_getphdrnum(elf, &phnum) != 0 || phnum == 0 || !(*segs = calloc(phnum, sizeof(**segs))))
        return 0;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_filesz > 0)
            (*segs)[(*n)++] = (struct sym_segment){ph.p_offset, ph.p_filesz, ph.p_vaddr};
    }
    return *n;
}

bool sym_segments_address(const struct sym_segment *segs, size_t n, uint64_t fo, bool caller,
                          uint64_t *vaddr)
{
    uint64_t lookup = caller && fo > 0 ? fo - 1 : fo;
    for (size_t i = 0; i < n; i++) {
        if (lookup >= segs[i].offset && lookup - segs[i].offset < segs[i].filesz) {
            *vaddr = lookup - segs[i].offset + segs[i].vaddr;
            return true;
        }
    }
    return false;
}

bool sym_bin_address(const struct sym_bin *b, uint64_t fo, bool caller, Dwarf_Addr *out)
{
    uint64_t v;
    if (!sym_segments_address(b->segs, b->nsegs, fo, caller, &v))
        return false;
    *out = v + b->mod_bias;
    return true;
}

void sym_bin_unload(struct sym_bin *b)
{
    if (!b->opened)
        return;
    sym_bin_drop(b);
    sym_dwarf_free(b);
    sym_symtab_free(b);
    b->dw = NULL;
    b->opened = b->loaded = b->usable = false;
    sym_cfi_close(b);
}

void sym_bins_free(struct symbolizer *s)
{
    for (size_t i = 0; i < s->nbins; i++) {
        sym_bin_unload(s->bins[i]);
        sym_cfi_close(s->bins[i]);
        free(s->bins[i]->file);
        free(s->bins[i]->image);
        hw_buf_free(&s->bins[i]->warns);
        free(s->bins[i]);
    }
    free(s->bins);
    s->bins = NULL;
    s->nbins = s->cap_bins = 0;
    hw_map_free(&s->bin_map);
    s->last_bin = NULL;
}
