/* sym_private.h - the symbolizer's shared internals (state, binaries, the functions its files call on each other); included only by src/sym*.c. */
#ifndef HWPROF_SYM_PRIVATE_H
#define HWPROF_SYM_PRIVATE_H

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include "buildid.h"
#include "hashmap.h"
#include "symbolize.h"

/* ---- storage (sym_arena.c) ---- */

/* Frames and interned strings live in chunks that never move, until sym_free. */
struct sym_chunk;

/* ---- binaries (sym_bin.c) ---- */

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
    size_t ncus, cap_cus;
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
    struct hw_warn warn;

    struct sym_chunk *chunks;
    const char **strs; /* interned strings, found through str_map */
    size_t nstrs, cap_strs;
    struct hw_map str_map;

    struct sym_bin **bins;
    size_t nbins, cap_bins;
    struct hw_map bin_map;
    struct sym_bin *last_bin;

    struct sym_entry *cache;
    size_t ncache, cap_cache;
    struct hw_map cache_map;

    bool ksyms_loaded;
    struct sym_ksym *ksyms;
    size_t nksyms;
    struct hw_buf knames;

    struct sym_jitmap *jits;
    size_t njits, cap_jits;

    /* scratch for building one result */
    struct sym_frame *tmp;
    size_t tmp_cap;

    uint64_t unique, hits;

    struct sym_cfa_entry *cfas;
    size_t ncfas, cap_cfas;
    struct hw_map cfa_map;
};

/* Returned when even a placeholder cannot be allocated, and for a binary without a path. */
extern const struct sym_frame sym_oom_frame;
extern const struct sym_frame sym_unknown_frame;

/* ---- sym_arena.c: storage, interned strings ---- */

/* Returns size bytes aligned to align (a power of two <= 16) that live until sym_free, or NULL. */
void *sym_alloc(struct symbolizer *s, size_t size, size_t align);
/* Frees every chunk (at sym_free). */
void sym_arena_free(struct symbolizer *s);
/* Returns the interned copy of str[0..len) (equal strings: one pointer), or NULL when out of
 * memory. */
const char *sym_intern_n(struct symbolizer *s, const char *str, size_t len);
const char *sym_intern(struct symbolizer *s, const char *str);
/* Frees the interning table (the strings live in the arena). */
void sym_intern_free(struct symbolizer *s);
/* Returns root + path in a malloc'd string, or NULL when out of memory. */
char *sym_rooted(const struct symbolizer *s, const char *path);

/* ---- symbolize.c: results ---- */

/* Scratch frame i of the result being built (zeroed), or NULL when out of memory. */
struct sym_frame *sym_tmp_frame(struct symbolizer *s, size_t i);
/* Stores the n frames of s->tmp in the arena and fills out (the out-of-memory frame on failure). */
void sym_result_set(struct symbolizer *s, size_t n, bool symbolized, struct sym_result *out);
/* One frame named name (interned here). */
void sym_result_one(struct symbolizer *s, const char *name, bool symbolized,
                    struct sym_result *out);
/* One placeholder frame "base+0xOFF". */
void sym_placeholder(struct symbolizer *s, const char *base, uint64_t off, struct sym_result *out);
/* Fills f->function and f->system_name from an ELF or DWARF name, demangled if asked; leaves
 * f->function NULL when out of memory. */
void sym_set_names(struct symbolizer *s, struct sym_frame *f, const char *linkage,
                   const char *name);

/* ---- sym_debuginfo.c: separate debug files ---- */

/* The libdwfl find_debuginfo callback (see Dwfl_Callbacks); *userdata is the symbolizer. */
int sym_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                       const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
                       char **debuginfo_file_name);
/* The libdwfl find_elf callback: never finds anything (modules are reported with their file). */
int sym_find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                 char **file_name, Elf **elfp);

/* ---- sym_bin.c: the binaries table and loading ---- */

/* Returns the binary record for bin, creating it; NULL when out of memory. */
struct sym_bin *sym_bin_get(struct symbolizer *s, const struct sym_binary *bin);
/* Opens an ELF binary with libdw: checks its build id, reads its PT_LOADs, loads debug info.
 * Sets b->loaded, and b->usable when it can be symbolized. Warns once when not fully. */
void sym_bin_load(struct symbolizer *s, struct sym_bin *b);
/* Frees what sym_bin_load and the lookups built for b; a later use loads it again. */
void sym_bin_unload(struct sym_bin *b);
/* Frees every binary (at sym_free). */
void sym_bins_free(struct symbolizer *s);
/* The module (Dwfl) address of file offset fo of a loaded ELF binary, through the PT_LOAD that
 * holds it; caller: fo is a return address, so the call instruction ends right before it (maybe
 * at a segment's end). False when no segment holds it. */
bool sym_bin_address(const struct sym_bin *b, uint64_t fo, bool caller, Dwarf_Addr *out);

/* ---- sym_elfsym.c: ELF symbol tables ---- */

/* The ELF symbol holding module address a of a usable binary (table built on first use): the
 * nearest sized symbol containing it, else a sizeless label right below it in the same section.
 * NULL if none. */
const char *sym_symtab_find(struct sym_bin *b, Dwarf_Addr a);
void sym_symtab_free(struct sym_bin *b);

/* ---- sym_dwarf.c: DWARF functions, lines and inline chains ---- */

/* Builds the inline chain of module address a into s->tmp. Returns the number of frames (0 when
 * DWARF does not know the address). symname: the ELF symbol, used when DWARF has no name;
 * unknown: the name when neither knows it but the line table does (*named set to false). */
size_t sym_dwarf_frames(struct symbolizer *s, struct sym_bin *b, Dwarf_Addr a, const char *symname,
                        const char *unknown, bool *named);
void sym_dwarf_free(struct sym_bin *b);

/* ---- sym_kallsyms.c: kernel symbols ---- */

/* Symbolizes a kernel address from ROOT/proc/kallsyms (loaded on first use). */
void sym_resolve_kernel(struct symbolizer *s, uint64_t addr, bool caller, struct sym_result *out);
void sym_kallsyms_free(struct symbolizer *s);

/* ---- sym_jit.c: JIT perf maps ---- */

/* Anonymous memory: a JIT symbol of /tmp/perf-PID.map, or a placeholder "[anon]+0xOFFSET" with the
 * offset into the mapping (there is no file). */
void sym_resolve_anon(struct symbolizer *s, struct sym_bin *b, int32_t pid, uint64_t map_start,
                      uint64_t addr, bool caller, struct sym_result *out);
void sym_jit_free(struct symbolizer *s);

/* ---- sym_cfi.c: unwinding rules ---- */

void sym_cfi_free(struct symbolizer *s);

#endif
