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

/* Reads node d's names and first line (following abstract origins), once. */
static void sym_dnode_names(struct sym_dnode *d)
{
    if (d->names_done)
        return;
    d->names_done = true;
    Dwarf_Attribute mem;
    d->linkage = dwarf_formstring(dwarf_attr_integrate(&d->die, DW_AT_linkage_name, &mem));
    if (!d->linkage)
        d->linkage = dwarf_formstring(dwarf_attr_integrate(&d->die, DW_AT_MIPS_linkage_name, &mem));
    d->name = dwarf_diename(&d->die);
    int line;
    if (dwarf_decl_line(&d->die, &line) == 0 && line > 0)
        d->decl_line = (uint32_t)line;
}

/* Names frame f after function node d; fallback: the name when the DIE has none ("??" if NULL). */
static void sym_dnode_frame_names(struct symbolizer *s, struct sym_dnode *d, struct sym_frame *f,
                                  const char *fallback)
{
    sym_dnode_names(d);
    if (d->linkage || d->name) {
        if (!d->function) {
            sym_set_names(s, f, d->linkage, d->name);
            d->function = f->function;
            d->system_name = f->system_name;
        }
        f->function = d->function;
        f->system_name = d->system_name;
    } else {
        sym_set_names(s, f, NULL, fallback ? fallback : "??");
    }
    f->start_line = d->decl_line;
}

/* Reads inlined node d's call site (file name from the unit's file table, line), once. */
static void sym_dnode_call(struct sym_dcu *x, struct sym_dnode *d)
{
    if (d->call_done)
        return;
    d->call_done = true;
    Dwarf_Attribute mem;
    Dwarf_Word v;
    if (x->files && dwarf_formudata(dwarf_attr(&d->die, DW_AT_call_file, &mem), &v) == 0)
        d->call_file = dwarf_filesrc(x->files, v, NULL, NULL);
    if (dwarf_formudata(dwarf_attr(&d->die, DW_AT_call_line, &mem), &v) == 0)
        d->call_line = (int)v;
}

/* Reads unit x's compilation directory and file table, once. */
static void sym_dcu_files(struct sym_dcu *x)
{
    if (x->files_done)
        return;
    x->files_done = true;
    Dwarf_Attribute mem;
    x->comp_dir = dwarf_formstring(dwarf_attr(&x->cu, DW_AT_comp_dir, &mem));
    size_t nfiles;
    if (dwarf_getsrcfiles(&x->cu, &x->files, &nfiles) != 0)
        x->files = NULL;
}

struct sym_dfile_key {
    const struct sym_dcu *x;
    const char *raw;
};

static bool sym_dfile_eq(const void *ctx, uint32_t val)
{
    const struct sym_dfile_key *k = ctx;
    return k->x->dfiles[val].raw == k->raw;
}

/* Interns a source file name of unit x; a relative one is joined to the compilation directory (as
 * eu-addr2line shows it). Cached by libdw's pointer. NULL for NULL or when out of memory. */
static const char *sym_intern_file(struct symbolizer *s, struct sym_dcu *x, const char *file)
{
    if (!file)
        return NULL;
    struct sym_dfile_key k = {x, file};
    uint64_t h = hw_hash_u64(17, (uint64_t)(uintptr_t)file);
    uint32_t idx;
    if (hw_map_find(&x->dfile_map, h, sym_dfile_eq, &k, &idx))
        return x->dfiles[idx].interned;
    const char *p = NULL;
    if (file[0] != '/' && x->comp_dir && x->comp_dir[0]) {
        char buf[4096];
        if (snprintf(buf, sizeof(buf), "%s/%s", x->comp_dir, file) < (int)sizeof(buf))
            p = sym_intern(s, buf);
    } else {
        p = sym_intern(s, file);
    }
    if (p && x->ndfiles < UINT32_MAX &&
        hw_grow(&x->dfiles, &x->cap_dfiles, x->ndfiles + 1, sizeof(*x->dfiles)) == 0 &&
        hw_map_insert(&x->dfile_map, h, (uint32_t)x->ndfiles) == 0)
        x->dfiles[x->ndfiles++] = (struct sym_dfile){file, p};
    return p;
}

/* What the frames of one address are built from: the line table's file and line at it, and its
 * function scopes innermost first (nfns 0: DWARF has no function there). */
struct sym_chain {
    const char *file;
    int line;
    struct sym_dnode **fns;
    size_t nfns;
};

/* Builds the frames of an address into s->tmp from its chain (see sym_dwarf_frames). */
static size_t sym_chain_frames(struct symbolizer *s, struct sym_dcu *x, const struct sym_chain *c,
                               const char *symname, const char *unknown, bool *named)
{
    const char *file = c->file;
    int line = c->line;
    if (c->nfns == 0) {
        /* line info without a function DIE (assembly, padding): one frame named by the ELF
         * symbol, or unknown */
        if (!symname && !file)
            return 0;
        struct sym_frame *f = sym_tmp_frame(s, 0);
        if (!f)
            return 0;
        *named = symname != NULL;
        sym_set_names(s, f, NULL, symname ? symname : unknown);
        f->file = sym_intern_file(s, x, file);
        f->line = file ? (uint32_t)line : 0;
        return f->function ? 1 : 0;
    }
    size_t n = 0;
    for (size_t i = 0; i < c->nfns; i++) {
        struct sym_dnode *d = c->fns[i];
        struct sym_frame *f = sym_tmp_frame(s, n);
        if (!f)
            break;
        n++;
        bool outer = d->tag != DW_TAG_inlined_subroutine;
        sym_dnode_frame_names(s, d, f, outer ? symname : NULL);
        if (!f->function) {
            n--;
            break;
        }
        f->file = sym_intern_file(s, x, file);
        f->line = f->file ? (uint32_t)line : 0;
        if (outer)
            break;
        f->inlined = true;
        /* the next (outer) frame is at this inlined call's site */
        sym_dnode_call(x, d);
        file = d->call_file;
        line = d->call_line;
    }
    /* the chain must end with an out-of-line function */
    if (n > 0 && s->tmp[n - 1].inlined) {
        struct sym_frame *f = sym_tmp_frame(s, n);
        if (f) {
            sym_set_names(s, f, NULL, symname ? symname : "??");
            f->file = sym_intern_file(s, x, file);
            f->line = f->file ? (uint32_t)line : 0;
            if (f->function)
                n++;
        }
    }
    return n;
}

/* The function scopes of pc from libdw per address (dwarf_getscopes, then the concrete parents of
 * the innermost scope through dwarf_getscopes_die), for units the index does not model. Fills
 * c->fns from nodes[] (caller's, at least one per scope). Returns 0 or -1 (out of memory). */
static int sym_chain_libdw(struct sym_dcu *x, Dwarf_Addr pc, struct sym_chain *c,
                           struct sym_dnode **store)
{
    Dwarf_Die *scopes = NULL;
    int nscopes = dwarf_getscopes(&x->cu, pc, &scopes);
    Dwarf_Die *chain = NULL;
    int nchain = nscopes > 0 ? dwarf_getscopes_die(&scopes[0], &chain) : -1;
    free(scopes);
    size_t nf = 0;
    for (int i = 0; i < nchain; i++)
        nf += sym_is_function_tag(dwarf_tag(&chain[i]));
    struct sym_dnode *nodes = nf ? calloc(nf, sizeof(*nodes)) : NULL;
    c->fns = nf ? calloc(nf, sizeof(*c->fns)) : NULL;
    if (nf && (!nodes || !c->fns)) {
        free(nodes);
        free(c->fns);
        free(chain);
        return -1;
    }
    c->nfns = 0;
    for (int i = 0; i < nchain; i++) {
        int tag = dwarf_tag(&chain[i]);
        if (!sym_is_function_tag(tag))
            continue;
        nodes[c->nfns] = (struct sym_dnode){.die = chain[i], .tag = tag};
        c->fns[c->nfns] = &nodes[c->nfns];
        c->nfns++;
    }
    free(chain);
    *store = nodes;
    return 0;
}

/* The function scopes of pc from the index of unit x. Returns 0, 1 when the index cannot tell
 * (ask libdw), -1 when out of memory. */
static int sym_chain_index(struct symbolizer *s, struct sym_bin *b, struct sym_dcu *x,
                           Dwarf_Addr pc, struct sym_chain *c)
{
    c->fns = NULL;
    c->nfns = 0;
    int32_t inner = sym_dcu_find(x, pc);
    if (inner < 0)
        return 0;
    /* dwarf_getscopes looks for the abstract origin of the deepest inlined scope on the way down,
     * and finds no scopes when it cannot */
    for (int32_t n = inner; n >= 0; n = x->nodes[n].parent) {
        if (x->nodes[n].tag != DW_TAG_inlined_subroutine)
            continue;
        int ok = sym_dcu_origin_ok(b, x, n);
        if (ok <= 0)
            return ok < 0 ? 1 : 0;
        break;
    }
    size_t nf = 0;
    for (int32_t n = inner; n >= 0; n = x->nodes[n].chain_parent)
        nf += sym_is_function_tag(x->nodes[n].tag);
    if (nf == 0)
        return 0;
    if (hw_grow(&s->chain, &s->chain_cap, nf, sizeof(*s->chain)) < 0)
        return -1;
    for (int32_t n = inner; n >= 0; n = x->nodes[n].chain_parent)
        if (sym_is_function_tag(x->nodes[n].tag))
            s->chain[c->nfns++] = &x->nodes[n];
    c->fns = s->chain;
    return 0;
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
    struct sym_dcu *x = sym_dcu_get(b, cu, true);
    if (!x)
        return 0;
    sym_dcu_files(x);

    /* the innermost frame's line from the line table */
    struct sym_chain c = {0};
    Dwarf_Line *dl = dwarf_getsrc_die(cu, pc);
    if (dl) {
        c.file = dwarf_linesrc(dl, NULL, NULL);
        if (dwarf_lineno(dl, &c.line) != 0)
            c.line = 0;
    }
    int r = x->slow ? 1 : sym_chain_index(s, b, x, pc, &c);
    struct sym_dnode *own = NULL;
    if (r > 0)
        r = sym_chain_libdw(x, pc, &c, &own);
    size_t n = r < 0 ? 0 : sym_chain_frames(s, x, &c, symname, unknown, named);
    if (own) {
        free(own);
        free(c.fns);
    }
    return n;
}

void sym_dwarf_free(struct sym_bin *b)
{
    free(b->cus);
    b->cus = NULL;
    b->ncus = b->cap_cus = 0;
    b->cus_built = false;
    sym_dcus_free(b);
}
