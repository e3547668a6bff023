/* sym_dwarf.c - functions, source lines and inline chains of an address from a binary's DWARF (libdw). */
#include "sym_private.h"

#include <dwarf.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

static int sym_cu_range_cmp(const void *a, const void *b)
{
    const struct sym_cu_range *x = a, *y = b;
    return x->low < y->low ? -1 : x->low > y->low;
}

/* Builds the table of all CU ranges (once per binary). */
static void sym_cu_build(struct sym_bin *b)
{
    b->cus_built = true;
    Dwarf_Die *cu = NULL;
    Dwarf_Addr bias;
    while ((cu = dwfl_module_nextcu(b->mod, cu, &bias)) != NULL) {
        Dwarf_Addr base, start, end;
        ptrdiff_t off = 0;
        while ((off = dwarf_ranges(cu, off, &base, &start, &end)) > 0) {
            if (end <= start)
                continue;
            if (hw_grow(&b->cus, &b->cap_cus, b->ncus + 1, sizeof(*b->cus)) < 0)
                return;
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
    size_t at =
        hw_bsearch_le(b->cus, b->ncus, sizeof(*b->cus), offsetof(struct sym_cu_range, low), a);
    size_t lo = at == b->ncus ? 0 : at + 1; /* ranges [0, lo) start at or below a */
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

size_t sym_dwarf_frames(struct symbolizer *s, struct sym_bin *b, Dwarf_Addr a, const char *symname,
                        const char *unknown, bool *named)
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

void sym_dwarf_free(struct sym_bin *b)
{
    free(b->cus);
    b->cus = NULL;
    b->ncus = b->cap_cus = 0;
    b->cus_built = false;
}
