/* sym_private.h - the symbolizer's shared internals (state, binaries, the functions its files call on each other); included only by src/sym*.c. */
#ifndef HWPROF_SYM_PRIVATE_H
#define HWPROF_SYM_PRIVATE_H

#include <elfutils/libdw.h>
#include <pthread.h>
#include <elfutils/libdwfl.h>

#include "buildid.h"
#include "hashmap.h"
#include "symbolize.h"

/* ---- storage (sym_arena.c) ---- */

/* Frames and interned strings live in chunks that never move, until sym_free. */
struct sym_chunk;

/* ---- binaries (sym_bin.c) ---- */

/* Who may use a binary's libdw state (or the kallsyms table): see sym_worker.c. */
enum sym_job {
    SYM_JOB_NONE,    /* nobody yet */
    SYM_JOB_QUEUED,  /* waiting for the loading thread */
    SYM_JOB_RUNNING, /* the loading thread works on it */
    SYM_JOB_DONE,    /* loaded by the thread; the main thread may take it */
    SYM_JOB_OWNED,   /* the main thread's */
};

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

/* A DIE with address ranges where dwarf_getscopes looks for an address: below the unit's root,
 * every ancestor with ranges too. Nodes are numbered in the order dwarf_getscopes visits them. */
struct sym_dnode {
    Dwarf_Die die;
    int32_t parent;       /* the node dwarf_getscopes descends from (-1: the unit's root) */
    int32_t chain_parent; /* the parent dwarf_getscopes_die reports (-1: a unit's root) */
    int tag;
    /* resolved on first use */
    bool names_done, call_done;
    int8_t origin_ok;           /* inlined subroutines: -1 not checked, 0/1 */
    const char *linkage, *name; /* libdw's strings (valid until dwfl_end), NULL if none */
    uint32_t decl_line;
    const char *function, *system_name; /* interned from linkage/name (NULL: not yet) */
    const char *call_file;              /* the inlined call's site: libdw's string, NULL if none */
    int call_line;
};

/* An elementary address range of a CU with one innermost scope (node -1: none). */
struct sym_dseg {
    uint64_t start;
    int32_t node;
};

/* A source file name of libdw's and its interned form (relative names joined to comp_dir). */
struct sym_dfile {
    const char *raw, *interned;
};

/* The index of one unit (a CU, or a partial unit only searched for abstract origins). */
struct sym_dcu {
    Dwarf_Die cu;
    bool indexed; /* nodes and segs built */
    bool slow;    /* the unit holds what the index does not model: ask libdw per address */
    struct sym_dnode *nodes;
    size_t nnodes, cap_nodes;
    struct sym_dseg *segs;
    size_t nsegs;
    uintptr_t *reach; /* sorted addresses of the function DIEs dwarf_getscopes can reach */
    size_t nreach, cap_reach;
    bool reach_built;
    const char *comp_dir;
    bool files_done;
    Dwarf_Files *files;
    struct sym_dfile *dfiles;
    size_t ndfiles, cap_dfiles;
    struct hw_map dfile_map;
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

    /* SYM_KIND_ELF (and SYM_KIND_VDSO with a saved image): sym_bin_open reads the ELF file (enough
     * for unwinding), sym_bin_load its symbols and debug info */
    bool opened, loaded;
    bool usable; /* false: placeholders only (missing, unreadable, build-id mismatch) */
    /* the file to read (chosen by sym_bin_resolve when the record is made, kept until sym_free):
     * the recorded path (under the root), the build-id cache's copy, or a vDSO image in memory */
    char *file;
    void *image;
    size_t image_len;
    void *dwfl_image; /* libdw's copy of image, while loaded */
    /* the ELF-only stage for unwinding (sym_cfi.c): main thread only */
    bool cfi_tried;
    int cfi_fd;
    Elf *cfi_elf;
    Dwarf_CFI *cfi; /* .eh_frame, NULL: none */
    struct sym_segment *cfi_segs;
    size_t ncfi_segs;
    struct hw_buf warns; /* warnings of loading, NUL-separated, passed on by the main thread */
    uint8_t job;         /* enum sym_job: background loading state, under symbolizer.mu */
    Dwfl *dwfl;
    Dwfl_Module *mod;
    GElf_Addr mod_bias; /* Dwfl address = file vaddr + mod_bias */
    struct sym_segment *segs;
    size_t nsegs;
    Dwarf *dw; /* NULL: no debug info */
    struct sym_cu_range *cus;
    size_t ncus, cap_cus;
    bool cus_built;
    struct sym_dcu **dcus; /* unit indexes, found by the unit DIE's address through dcu_map */
    size_t ndcus, cap_dcus;
    struct hw_map dcu_map;
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
    char *root;        /* "" for "/" */
    char *buildid_dir; /* perf's build-id cache, NULL: none */
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
    struct sym_dnode **chain;
    size_t chain_cap;

    uint64_t unique, hits;

    /* background loading (sym_worker.c): a queue of binaries (NULL: kallsyms) under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t worker;
    bool worker_started, worker_running, worker_stop;
    struct sym_bin **queue;
    size_t qhead, nqueue, cap_queue;
    uint8_t kjob; /* enum sym_job of the kallsyms table */
    uint8_t
        kernel_id[HW_BUILD_ID_MAX]; /* the recorded kernel's build id (for the cache's kallsyms) */
    int kernel_id_len;
    struct hw_buf kwarns; /* warnings of loading kallsyms, NUL-separated */

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

/* The CRC-32 of .gnu_debuglink over n more bytes (crc: 0 to start). Can't fail. */
uint32_t sym_crc32_update(uint32_t crc, const void *buf, size_t n);

/* ---- sym_bin.c: the binaries table and loading ---- */

/* Returns the binary record for bin, creating it; NULL when out of memory. */
struct sym_bin *sym_bin_get(struct symbolizer *s, const struct sym_binary *bin);
/* Chooses the file of a new ELF or vDSO record b (main thread): the file at its path when its build
 * id is the recorded one, else the build-id cache's copy, else (the vDSO) this process's image;
 * else keeps the warning why it is not symbolized. */
void sym_bin_resolve(struct symbolizer *s, struct sym_bin *b);
/* Reads the PT_LOAD segments of elf into a malloc'd *segs. Returns how many (0: none, *segs NULL or
 * to free). */
size_t sym_segments_read(Elf *elf, struct sym_segment **segs, size_t *n);
/* The vaddr of file offset fo through segs (caller: fo is a return address, look at fo - 1). */
bool sym_segments_address(const struct sym_segment *segs, size_t n, uint64_t fo, bool caller,
                          uint64_t *vaddr);
/* Opens an ELF binary with libdw (the file sym_bin_resolve chose), checks its build id, reads its
 * PT_LOADs. Sets b->opened, and b->usable when it can be
 * symbolized; warnings go to b->warns. Safe on the loading thread (touches only b). */
void sym_bin_open(struct symbolizer *s, struct sym_bin *b);
/* sym_bin_open, then loads b's debug info and symbol table (b->loaded). Same thread rules. */
void sym_bin_load(struct symbolizer *s, struct sym_bin *b);
/* Opens path read-only if it is a regular file, without blocking on a FIFO or device. Returns the
 * fd, or -1 with errno (EINVAL: not a regular file). */
int sym_open_regular(const char *path);
/* Frees what sym_bin_load and the lookups built for b; a later use loads it again. */
void sym_bin_unload(struct sym_bin *b);
/* Frees every binary (at sym_free). */
void sym_bins_free(struct symbolizer *s);
/* The module (Dwfl) address of file offset fo of a loaded ELF binary, through the PT_LOAD that
 * holds it; caller: fo is a return address, so the call instruction ends right before it (maybe
 * at a segment's end). False when no segment holds it. */
bool sym_bin_address(const struct sym_bin *b, uint64_t fo, bool caller, Dwarf_Addr *out);

/* True for the "[vdso]" mapping (its image may be in the build-id cache or be this process's). */
bool sym_bin_is_vdso(const struct sym_bin *b);

/* ---- sym_worker.c: loading on a second thread ---- */

void sym_worker_init(struct symbolizer *s);
/* Keeps a warning of loading (either thread: the loader owns the buffer w) for sym_warn_pass. */
void sym_warn_keep(struct hw_buf *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Passes the warnings kept in w to the caller's callback and empties w (main thread, owning w). */
void sym_warn_pass(struct symbolizer *s, struct hw_buf *w);
/* Stops and joins the thread (at sym_free, before anything is freed). */
void sym_worker_stop(struct symbolizer *s);
/* Makes b the main thread's (waits while the thread loads it), opens it (debug: loads it) and
 * passes on its warnings. Call before using b's libdw state on the main thread. */
void sym_bin_ready(struct symbolizer *s, struct sym_bin *b, bool debug);
/* Makes b the main thread's without loading it. */
void sym_bin_take(struct symbolizer *s, struct sym_bin *b);
/* The same for the kallsyms table (load: loads it too). */
void sym_kallsyms_claim(struct symbolizer *s, bool load);
/* Gives a job back (after unloading it): it may be queued again. */
void sym_bin_unclaim(struct symbolizer *s, uint8_t *job);

/* ---- sym_elfsym.c: ELF symbol tables ---- */

/* Builds b's symbol table now (sym_symtab_find builds it on first use otherwise). */
void sym_symtab_prepare(struct sym_bin *b);

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

/* ---- sym_dwindex.c: per-unit index of the scopes dwarf_getscopes would find ---- */

/* Returns the index of unit cu of b (built on first use: one walk over its DIEs), or NULL when out
 * of memory. index false: only its reachable function DIEs (for abstract origins). */
struct sym_dcu *sym_dcu_get(struct sym_bin *b, const Dwarf_Die *cu, bool index);
/* The innermost scope node holding pc (a CU-relative address) in an indexed unit, or -1. */
int32_t sym_dcu_find(const struct sym_dcu *x, Dwarf_Addr pc);
/* Whether the abstract origin of inlined node n is where dwarf_getscopes looks for it (else libdw
 * finds no scopes at addresses inside it): 1 or 0, -1 when the index cannot tell (ask libdw). */
int sym_dcu_origin_ok(struct sym_bin *b, struct sym_dcu *x, int32_t n);
/* Frees every unit index of b. */
void sym_dcus_free(struct sym_bin *b);

/* ---- sym_kallsyms.c: kernel symbols ---- */

/* Notes the build id of the recorded kernel b (before kallsyms is loaded; main thread). */
void sym_kallsyms_note_kernel(struct symbolizer *s, const struct sym_bin *b);
/* Loads the text symbols of ROOT/proc/kallsyms, or of the build-id cache's copy for the recorded
 * kernel (a regular file: faster to read), once; warnings go to s->kwarns. Safe on the
 * loading thread (touches only the kallsyms table). */
void sym_kallsyms_load(struct symbolizer *s);
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
/* Frees b's ELF-only stage (main thread). */
void sym_cfi_close(struct sym_bin *b);

#endif
