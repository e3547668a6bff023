/* symbolize.c - turn (binary, address) into functions, source lines and inline chains: the symbolizer's entry points, its result cache and the per-kind dispatch. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include "sym_private.h"

#include "bidcache.h"

#include <gelf.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_CXA_DEMANGLE
/* From libstdc++ (link with -lstdc++): demangles C++ names. */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);
#endif

const struct sym_frame sym_oom_frame = {
    .function = "[out of memory]",
    .system_name = "[out of memory]",
};
const struct sym_frame sym_unknown_frame = {
    .function = "[unknown]",
    .system_name = "[unknown]",
};

struct symbolizer *sym_new(const struct sym_options *opts, hw_warn_fn warn, void *warn_arg,
                           struct hw_err *err)
{
    struct symbolizer *s = calloc(1, sizeof(*s));
    if (!s) {
        hw_err_oom(err);
        return NULL;
    }
    sym_worker_init(s);
    elf_version(EV_CURRENT); /* before the first libelf call, of either thread */
    if (opts)
        s->opts = *opts;
    const char *root = opts && opts->root ? opts->root : "";
    size_t rl = strlen(root);
    while (rl > 0 && root[rl - 1] == '/')
        rl--;
    s->root = malloc(rl + 1);
    const char *dbg = "/usr/lib/debug";
    s->debuginfo_path = malloc(sizeof(":.debug:") + rl + strlen(dbg));
    const char *bd = opts ? opts->buildid_dir : NULL;
    s->buildid_dir = bd ? (bd[0] ? hw_strdup(bd) : NULL) : bidcache_default_dir();
    if (!s->root || !s->debuginfo_path || (bd && bd[0] && !s->buildid_dir)) {
        sym_free(s);
        hw_err_oom(err);
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
    s->warn = (struct hw_warn){warn, warn_arg};
    return s;
}

void sym_free(struct symbolizer *s)
{
    if (!s)
        return;
    sym_worker_stop(s);
    sym_bins_free(s);
    free(s->cache);
    hw_map_free(&s->cache_map);
    sym_kallsyms_free(s);
    sym_jit_free(s);
    free(s->tmp);
    free(s->chain);
    sym_intern_free(s);
    sym_arena_free(s);
    sym_cfi_free(s);
    free(s->root);
    free(s->debuginfo_path);
    free(s->buildid_dir);
    free(s);
}

void sym_stats(const struct symbolizer *s, uint64_t *unique, uint64_t *hits)
{
    if (unique)
        *unique = s->unique;
    if (hits)
        *hits = s->hits;
}

/* ---- results ---- */

void sym_set_names(struct symbolizer *s, struct sym_frame *f, const char *linkage, const char *name)
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

struct sym_frame *sym_tmp_frame(struct symbolizer *s, size_t i)
{
    if (hw_grow(&s->tmp, &s->tmp_cap, i + 1, sizeof(*s->tmp)) < 0)
        return NULL;
    memset(&s->tmp[i], 0, sizeof(s->tmp[i]));
    return &s->tmp[i];
}

void sym_result_set(struct symbolizer *s, size_t n, bool symbolized, struct sym_result *out)
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

void sym_result_one(struct symbolizer *s, const char *name, bool symbolized, struct sym_result *out)
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

void sym_placeholder(struct symbolizer *s, const char *base, uint64_t off, struct sym_result *out)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s+0x%llx", base, (unsigned long long)off);
    sym_result_one(s, buf, false, out);
}

/* Symbolizes file offset fo of an ELF binary. Placeholders show the file offset (not the
 * vaddr), which is known even when the file is not. */
static void sym_resolve_elf(struct symbolizer *s, struct sym_bin *b, uint64_t fo, bool caller,
                            struct sym_result *out)
{
    sym_bin_ready(s, b, true);
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

struct sym_cache_key {
    const struct symbolizer *s;
    uint64_t key;
    uint32_t bin;
    int32_t pid;
    bool caller;
};

static bool sym_cache_eq(const void *ctx, uint32_t val)
{
    const struct sym_cache_key *k = ctx;
    const struct sym_entry *e = &k->s->cache[val];
    return e->key == k->key && e->bin == k->bin && e->pid == k->pid && e->caller == k->caller;
}

void sym_release(struct symbolizer *s, const struct sym_binary *bin)
{
    if (!bin || !bin->path)
        return;
    /* every record of the path, whatever build id it was recorded with */
    for (size_t i = 0; i < s->nbins; i++) {
        struct sym_bin *b = s->bins[i];
        if (b->kernel_flag != bin->kernel || strcmp(b->path, bin->path) != 0)
            continue;
        if (b->kind == SYM_KIND_KERNEL) {
            sym_kallsyms_claim(s, false);
            sym_kallsyms_free(s);
            sym_bin_unclaim(s, &s->kjob);
        } else {
            sym_bin_take(s, b);
            sym_bin_unload(b);
            sym_bin_unclaim(s, &b->job);
        }
    }
}

/* Whether b is symbolized from an ELF file: an ELF binary, or the vDSO when its image is found. */
static bool sym_bin_elf(struct symbolizer *s, struct sym_bin *b)
{
    if (b->kind == SYM_KIND_ELF)
        return true;
    if (!sym_bin_is_vdso(b))
        return false;
    sym_bin_ready(s, b, true);
    return b->usable;
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
    enum sym_kind kind = sym_bin_elf(s, b) ? SYM_KIND_ELF : b->kind;
    switch (kind) {
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
    struct sym_cache_key k = {s, key, b->index, kpid, caller};
    uint64_t h = hw_hash_u64(hw_hash_u64(hw_hash_u64(0, key), b->index),
                             ((uint64_t)(uint32_t)kpid << 1) | caller);
    uint32_t idx;
    if (hw_map_find(&s->cache_map, h, sym_cache_eq, &k, &idx)) {
        const struct sym_entry *e = &s->cache[idx];
        s->hits++;
        out->frames = e->frames;
        out->nframes = e->nframes;
        out->symbolized = e->symbolized;
        out->has_lines = e->has_lines;
        return;
    }

    s->unique++;
    switch (kind) {
    case SYM_KIND_ELF:
        sym_resolve_elf(s, b, key, caller, out);
        break;
    case SYM_KIND_KERNEL:
        sym_kallsyms_note_kernel(s, b);
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
    if (s->ncache >= UINT32_MAX ||
        hw_grow(&s->cache, &s->cap_cache, s->ncache + 1, sizeof(*s->cache)) < 0 ||
        hw_map_insert(&s->cache_map, h, (uint32_t)s->ncache) < 0)
        return;
    s->cache[s->ncache++] = (struct sym_entry){
        .key = key,
        .bin = b->index,
        .pid = kpid,
        .caller = caller,
        .symbolized = out->symbolized,
        .has_lines = out->has_lines,
        .nframes = (uint32_t)out->nframes,
        .frames = out->frames,
    };
}
