/* sym_bin.c - the symbolizer's table of binaries (one record per path, build id and kernel flag) and the loading of an ELF binary with libdw. */
#include "sym_private.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
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
    return s->last_bin = b;
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

void sym_bin_load(struct symbolizer *s, struct sym_bin *b)
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
        hw_warnf(&s->warn,
                 "cannot open %s: %s: its frames are shown as %s+0xOFFSET (deleted since the "
                 "recording, or recorded on another machine?)",
                 full, strerror(errno), b->base);
        free(full);
        return;
    }
    close(fd);

    b->dwfl = dwfl_begin(&s->callbacks);
    if (!b->dwfl) {
        hw_warnf(&s->warn, "cannot symbolize %s: %s", full, dwfl_errmsg(-1));
        sym_bin_drop(b);
        free(full);
        return;
    }
    dwfl_report_begin(b->dwfl);
    b->mod = dwfl_report_offline(b->dwfl, b->base, full, -1);
    dwfl_report_end(b->dwfl, NULL, NULL);
    if (!b->mod) {
        hw_warnf(&s->warn, "cannot read %s as an ELF file: %s: its frames are shown as %s+0xOFFSET",
                 full, dwfl_errmsg(-1), b->base);
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
        hw_warnf(&s->warn, "cannot read %s as an ELF file: %s: its frames are shown as %s+0xOFFSET",
                 full, dwfl_errmsg(-1), b->base);
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
                buildid_to_hex(bits, n > 64 ? 64 : n, have);
            buildid_to_hex(b->build_id, b->build_id_len > 64 ? 64 : b->build_id_len, want);
            hw_warnf(&s->warn,
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
        hw_warnf(&s->warn, "%s has no loadable segments: its frames are shown as %s+0xOFFSET", full,
                 b->base);
        sym_bin_drop(b);
        free(full);
        return;
    }

    Dwarf_Addr dwbias;
    b->dw = dwfl_module_getdwarf(b->mod, &dwbias);
    bool symtab = dwfl_module_getsymtab(b->mod) > 0;
    if (!b->dw && !symtab)
        hw_warnf(&s->warn,
                 "%s has no symbols and no debug info: its frames are shown as %s+0xOFFSET "
                 "(install its debug symbols, e.g. the -dbgsym package)",
                 full, b->base);
    else if (!b->dw && !sym_is_system_library(full))
        hw_warnf(&s->warn,
                 "no debug info for %s: function names without source lines or inlined frames "
                 "(install its debug symbols, e.g. the -dbgsym package)",
                 full);
    b->usable = true;
    free(full);
}

bool sym_bin_address(const struct sym_bin *b, uint64_t fo, bool caller, Dwarf_Addr *out)
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

void sym_bin_unload(struct sym_bin *b)
{
    if (b->kind != SYM_KIND_ELF || !b->loaded)
        return;
    sym_bin_drop(b);
    sym_dwarf_free(b);
    sym_symtab_free(b);
    b->dw = NULL;
    b->loaded = false;
    b->usable = false;
}

void sym_bins_free(struct symbolizer *s)
{
    for (size_t i = 0; i < s->nbins; i++) {
        sym_bin_unload(s->bins[i]);
        sym_bin_drop(s->bins[i]);
        free(s->bins[i]);
    }
    free(s->bins);
    s->bins = NULL;
    s->nbins = s->cap_bins = 0;
    hw_map_free(&s->bin_map);
    s->last_bin = NULL;
}
