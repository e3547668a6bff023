/* sym_cfi.c - unwinding rules (CFA, return address, saved frame pointer) from a binary's .eh_frame or .debug_frame, cached per address. */
#include "sym_private.h"

#include <dwarf.h>
#include <stdlib.h>

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
    uint64_t reg =
        ops[0].atom == DW_OP_bregx ? ops[0].number : (uint64_t)(ops[0].atom - DW_OP_breg0);
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
    sym_bin_ready(s, b, false);
    Dwarf_Addr a;
    struct sym_cfa_rule rule = {0};
    bool ok =
        b->usable && sym_bin_address(b, k.key, k.caller, &a) && sym_cfa_from_cfi(b, a, &rule) == 0;
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
