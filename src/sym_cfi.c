/* sym_cfi.c - unwinding rules (CFA, return address, saved frame pointer) from a binary's .eh_frame or .debug_frame, cached per address. */
#include "sym_private.h"

#include <dwarf.h>
#include <stdlib.h>
#include <unistd.h>

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

/* The one CFA expression x86-64 linkers emit, for PLT entries: cfa = rsp + 8, plus 8 once the entry
 * has pushed its argument, i.e. from byte K of each 16-byte entry on:
 *   DW_OP_breg7 8; DW_OP_breg16 0; DW_OP_lit15; DW_OP_and; DW_OP_litK; DW_OP_ge; DW_OP_lit3;
 *   DW_OP_shl; DW_OP_plus
 * Evaluated at address a, it is an ordinary rsp-based offset. Returns true with *offset set. */
static bool sym_cfa_plt(const Dwarf_Op *ops, size_t nops, Dwarf_Addr a, int64_t *offset)
{
    static const uint8_t shape[] = {DW_OP_breg7, DW_OP_breg16, DW_OP_lit15, DW_OP_and, 0,
                                    DW_OP_ge,    DW_OP_lit3,   DW_OP_shl,   DW_OP_plus};
    if (nops != sizeof(shape))
        return false;
    for (size_t i = 0; i < nops; i++)
        if (i != 4 && ops[i].atom != shape[i])
            return false;
    if (ops[0].number != 8 || ops[1].number != 0 || ops[4].atom < DW_OP_lit0 || ops[4].atom > DW_OP_lit15)
        return false;
    unsigned k = ops[4].atom - DW_OP_lit0;
    *offset = 8 + ((a & 15) >= k ? 8 : 0);
    return true;
}

/* Reads the rule at address a (in cfi's addresses) from cfi. Returns 0 or -1. */
static int sym_cfa_from_cfi(Dwarf_CFI *cfi, Dwarf_Addr a, struct sym_cfa_rule *out)
{
    Dwarf_Frame *fr = NULL;
    if (!cfi || dwarf_cfi_addrframe(cfi, a, &fr) != 0)
        return -1;
    int rc = -1;
    bool signal = false;
    Dwarf_Op *ops;
    size_t nops;
    int ra = dwarf_frame_info(fr, NULL, NULL, &signal);
    if (ra < 0 || signal || dwarf_frame_cfa(fr, &ops, &nops) != 0 || nops < 1)
        goto out;
    /* register + offset: libdw gives DW_OP_bregx (number: register, number2: offset) */
    uint64_t reg =
        ops[0].atom == DW_OP_bregx ? ops[0].number : (uint64_t)(ops[0].atom - DW_OP_breg0);
    int64_t offset = (int64_t)(ops[0].atom == DW_OP_bregx ? ops[0].number2 : ops[0].number);
    if (nops > 1 && sym_cfa_plt(ops, nops, a, &offset))
        reg = SYM_DWARF_REG_SP;
    else if (nops != 1 ||
             (ops[0].atom != DW_OP_bregx && (ops[0].atom < DW_OP_breg0 || ops[0].atom > DW_OP_breg31)) ||
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

void sym_cfi_close(struct sym_bin *b)
{
    if (b->cfi)
        dwarf_cfi_end(b->cfi);
    if (b->cfi_elf)
        elf_end(b->cfi_elf);
    if (b->cfi_fd >= 0 && b->cfi_tried)
        close(b->cfi_fd);
    free(b->cfi_segs);
    b->cfi_elf = NULL;
    b->cfi = NULL;
    b->cfi_segs = NULL;
    b->ncfi_segs = 0;
    b->cfi_fd = -1;
    b->cfi_tried = false;
}

/* The ELF-only stage: maps b's file (or vDSO image) with libelf and reads its .eh_frame, without
 * libdwfl or debug info, on the main thread (the loading thread has its own handles). */
static void sym_cfi_open(struct sym_bin *b)
{
    b->cfi_tried = true;
    b->cfi_fd = -1;
    if (b->image) {
        b->cfi_elf = elf_memory(b->image, b->image_len);
    } else if (b->file && (b->cfi_fd = sym_open_regular(b->file)) >= 0) {
        b->cfi_elf = elf_begin(b->cfi_fd, ELF_C_READ_MMAP, NULL);
    }
    if (!b->cfi_elf || elf_kind(b->cfi_elf) != ELF_K_ELF ||
        sym_segments_read(b->cfi_elf, &b->cfi_segs, &b->ncfi_segs) == 0)
        return;
    b->cfi = dwarf_getcfi_elf(b->cfi_elf);
}

/* The rule at file offset fo of b: from its .eh_frame (ELF-only stage), else from the .debug_frame
 * of its debug info (which loads that). Returns 0 or -1. */
static int sym_cfa_lookup(struct symbolizer *s, struct sym_bin *b, uint64_t fo, bool caller,
                          struct sym_cfa_rule *out)
{
    if (!b->cfi_tried)
        sym_cfi_open(b);
    uint64_t v;
    if (b->cfi)
        return sym_segments_address(b->cfi_segs, b->ncfi_segs, fo, caller, &v)
                   ? sym_cfa_from_cfi(b->cfi, v, out)
                   : -1;
    if (!b->file && !b->image)
        return -1;
    sym_bin_ready(s, b, true);
    Dwarf_Addr a, cbias;
    Dwarf_CFI *cfi = b->usable ? dwfl_module_dwarf_cfi(b->mod, &cbias) : NULL;
    return cfi && sym_bin_address(b, fo, caller, &a) ? sym_cfa_from_cfi(cfi, a - cbias, out) : -1;
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

int sym_cfa_rule(struct symbolizer *s, const struct sym_binary *bin, uint64_t map_start,
                 uint64_t map_pgoff, uint64_t addr, bool caller_address, struct sym_cfa_rule *out)
{
    struct sym_bin *b = bin && bin->path ? sym_bin_get(s, bin) : NULL;
    if (!b || (b->kind != SYM_KIND_ELF && !sym_bin_is_vdso(b)))
        return -1;
    struct sym_cfa_ctx k = {s, b->index, addr - map_start + map_pgoff, caller_address};
    uint64_t h = hw_hash_u64(hw_hash_u64(11, k.key), ((uint64_t)k.bin << 1) | k.caller);
    uint32_t idx;
    if (hw_map_find(&s->cfa_map, h, sym_cfa_eq, &k, &idx)) {
        *out = s->cfas[idx].rule;
        return s->cfas[idx].ok ? 0 : -1;
    }
    struct sym_cfa_rule rule = {0};
    bool ok = sym_cfa_lookup(s, b, k.key, k.caller, &rule) == 0;
    if (hw_grow(&s->cfas, &s->cap_cfas, s->ncfas + 1, sizeof(*s->cfas)) == 0 &&
        hw_map_insert(&s->cfa_map, h, (uint32_t)s->ncfas) == 0)
        s->cfas[s->ncfas++] = (struct sym_cfa_entry){k.bin, k.caller, ok, k.key, rule};
    *out = rule;
    return ok ? 0 : -1;
}

void sym_cfi_free(struct symbolizer *s)
{
    free(s->cfas);
    s->cfas = NULL;
    s->ncfas = s->cap_cfas = 0;
    hw_map_free(&s->cfa_map);
}
