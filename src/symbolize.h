/* symbolize.h - turn (binary, address) into functions, source lines and inline chains with libdw; each unique address once. */
#ifndef HWPROF_SYMBOLIZE_H
#define HWPROF_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* One frame of a symbolized address. Strings are interned by the symbolizer and live until
 * sym_free. */
struct sym_frame {
    const char *function;    /* demangled name; "binary+0x1234" style when unknown */
    const char *system_name; /* mangled (linkage) name, == function for C */
    const char *file;        /* source file, NULL when unknown */
    uint32_t line;           /* 0 when unknown */
    uint32_t start_line;     /* first line of the function (DW_AT_decl_line), 0 when unknown */
    bool inlined;            /* this frame is inlined into the next one of the chain */
};

/* An address's frames, innermost (most deeply inlined) first, the out-of-line function last. */
struct sym_result {
    const struct sym_frame *frames;
    size_t nframes;  /* >= 1 */
    bool symbolized; /* false: a placeholder frame such as "libfoo.so+0x1234" or "[kernel]" */
    bool has_lines;  /* file:line known for the innermost frame */
};

struct sym_options {
    bool debuginfod;         /* allow debuginfod downloads (off unless the user asks) */
    bool demangle;           /* demangle C++ names (default on) */
    bool use_kallsyms;       /* symbolize kernel addresses with /proc/kallsyms (only when the
                                recording comes from this running kernel) */
    const char *root;        /* prefix for binary paths (NULL: "/") — for tests */
    const char *buildid_dir; /* perf's build-id cache, searched for binaries that are missing or
                                were rebuilt and for vDSO images (NULL: $HOME/.debug, as
                                perf; "": none) */
};

struct symbolizer;

/* Returns a new symbolizer, or NULL with err. */
struct symbolizer *sym_new(const struct sym_options *opts, hw_warn_fn warn, void *warn_arg,
                           struct hw_err *err);
void sym_free(struct symbolizer *s);

/* Describes the binary an address belongs to, as recorded. */
struct sym_binary {
    const char *path; /* "/usr/lib/libc.so.6", "[kernel.kallsyms]", "[vdso]", "//anon", ... */
    const uint8_t *build_id; /* from the recording (MMAP2 or HEADER_BUILD_ID), NULL if unknown */
    int build_id_len;
    bool kernel;
};

/* Symbolizes addr, a run-time address inside the mapping [map_start, map_end) of bin at file
 * offset map_pgoff, in process pid (for /tmp/perf-PID.map JIT symbols). caller_address: addr is a
 * return address, so look up addr - 1 (the call instruction). The load bias comes from the ELF
 * program headers (the PT_LOAD whose offset range holds the file offset), so lld/PIE/shared
 * libraries are handled. A binary whose build id differs from the recorded one is not symbolized
 * (one warning). Never fails: unknown addresses become one placeholder frame. Results are cached
 * by (binary, file address); the result stays valid until sym_free. */
void sym_lookup(struct symbolizer *s, const struct sym_binary *bin, uint64_t map_start,
                uint64_t map_end, uint64_t map_pgoff, int32_t pid, uint64_t addr,
                bool caller_address, struct sym_result *out);

/* Starts loading bin (its symbols and debug info, or the kallsyms table for a kernel binary) on a
 * second thread, so that it is ready when its addresses are looked up. Optional, cheap to repeat;
 * never fails (a binary that cannot be loaded then is loaded by its first lookup). */
void sym_prefetch(struct symbolizer *s, const struct sym_binary *bin);

/* Frees what was loaded to symbolize bin (its libdw state and symbol tables; for a kernel binary
 * the kallsyms table), once the caller is done with its addresses: memory then holds one binary's
 * debug info at a time. Every record of bin's path is released, whatever its build id. Results
 * returned so far stay valid; a later lookup loads bin again. */
void sym_release(struct symbolizer *s, const struct sym_binary *bin);

/* How to find the caller's frame at one address, from the binary's call frame information (x86-64:
 * the canonical frame address is the stack pointer at the call, the return address and the saved
 * frame pointer are stored at offsets from it). */
enum sym_cfa_base { SYM_CFA_SP, SYM_CFA_BP };
enum sym_bp_rule {
    SYM_BP_SAME,      /* the caller's frame pointer is the current one */
    SYM_BP_SAVED,     /* saved at cfa + bp_offset */
    SYM_BP_UNDEFINED, /* not recoverable */
};
struct sym_cfa_rule {
    enum sym_cfa_base base;
    int64_t cfa_offset; /* cfa = base register + cfa_offset */
    bool outermost;     /* no caller: the return address is undefined (thread entry) */
    int64_t ra_offset;  /* the return address is at cfa + ra_offset */
    enum sym_bp_rule bp;
    int64_t bp_offset;
};

/* The unwinding rule at addr (a run-time address in the mapping [map_start, ...) of bin at file
 * offset map_pgoff; caller_address: a return address, look up addr - 1), from the binary's
 * .eh_frame or .debug_frame. Returns 0 with *out, or -1 when there is none the caller can follow
 * (not an ELF file, no CFI there, a signal frame, a rule given as a DWARF expression). Cached per
 * (binary, file offset); loads the binary like sym_lookup. */
int sym_cfa_rule(struct symbolizer *s, const struct sym_binary *bin, uint64_t map_start,
                 uint64_t map_pgoff, uint64_t addr, bool caller_address, struct sym_cfa_rule *out);

/* Counters for tests and the benchmark: unique addresses symbolized, cache hits. */
void sym_stats(const struct symbolizer *s, uint64_t *unique, uint64_t *hits);

#endif
