/* sym_elfsym.c - a binary's ELF symbol table (symtab or dynsym) as one sorted array, and the symbol holding an address. */
#include "sym_private.h"

#include <gelf.h>
#include <stddef.h>
#include <stdlib.h>

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

void sym_symtab_prepare(struct sym_bin *b)
{
    if (!b->syms_built)
        sym_symtab_build(b);
}

const char *sym_symtab_find(struct sym_bin *b, Dwarf_Addr a)
{
    sym_symtab_prepare(b);
    size_t at =
        hw_bsearch_le(b->syms, b->nsyms, sizeof(*b->syms), offsetof(struct sym_elfsym, addr), a);
    size_t lo = at == b->nsyms ? 0 : at + 1; /* symbols [0, lo) start at or below a */
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

void sym_symtab_free(struct sym_bin *b)
{
    free(b->syms);
    b->syms = NULL;
    b->nsyms = 0;
    b->syms_built = false;
}
