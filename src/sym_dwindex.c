/* sym_dwindex.c - index a DWARF unit once: the scopes dwarf_getscopes would find at every address, as sorted address segments, so lookups are binary searches. */
#include "sym_private.h"

#include <dwarf.h>
#include <stddef.h>
#include <stdlib.h>

#define SYM_WALK_MAX_DEPTH 1024

/* An address range of a node, while the unit is indexed. */
struct sym_drange {
    uint64_t lo, hi;
    int32_t node;
};

/* An imported unit being walked (a chain up to the unit's root, to stop cycles). */
struct sym_import {
    void *addr;
    const struct sym_import *up;
};

struct sym_walk {
    struct sym_dcu *x;
    bool index;  /* build nodes and ranges; else only the reachable function DIEs */
    bool failed; /* libdw failed or the DWARF is odd: use the per-address path */
    bool oom;
    struct sym_drange *ranges;
    size_t nranges, cap_ranges;
};

static bool sym_function_tag(int tag)
{
    return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
           tag == DW_TAG_entry_point;
}

/* The tags whose children libdw's scope walk visits (may_have_scopes in libdw_visit_scopes.c). */
static bool sym_scope_tag(int tag)
{
    switch (tag) {
    case DW_TAG_compile_unit:
    case DW_TAG_module:
    case DW_TAG_lexical_block:
    case DW_TAG_with_stmt:
    case DW_TAG_catch_block:
    case DW_TAG_try_block:
    case DW_TAG_entry_point:
    case DW_TAG_inlined_subroutine:
    case DW_TAG_subprogram:
    case DW_TAG_namespace:
    case DW_TAG_class_type:
    case DW_TAG_structure_type:
        return true;
    default:
        return false;
    }
}

/* Adds die's non-empty address ranges as node n's, the way dwarf_haspc reads them. Returns how many
 * were added; -1 on an error (sets w->failed: libdw decides, per address) or out of memory. */
static int sym_walk_ranges(struct sym_walk *w, Dwarf_Die *die, int32_t n)
{
    Dwarf_Addr base, lo, hi;
    ptrdiff_t off = 0;
    int added = 0;
    while ((off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0) {
        if (lo >= hi)
            continue;
        if (hw_grow(&w->ranges, &w->cap_ranges, w->nranges + 1, sizeof(*w->ranges)) < 0) {
            w->oom = true;
            return -1;
        }
        w->ranges[w->nranges++] = (struct sym_drange){lo, hi, n};
        added++;
    }
    if (off < 0) {
        w->failed = true;
        return -1;
    }
    return added;
}

static void sym_walk_children(struct sym_walk *w, Dwarf_Die *first, int32_t parent,
                              int32_t chain_parent, bool ranged, const struct sym_import *imports,
                              int depth);

/* Visits one DIE of the walk: a node when it has ranges below ranged ancestors; then its children,
 * as libdw's scope walk does. */
static void sym_walk_die(struct sym_walk *w, Dwarf_Die *die, int32_t parent, int32_t chain_parent,
                         bool ranged, const struct sym_import *imports, int depth)
{
    struct sym_dcu *x = w->x;
    int tag = dwarf_tag(die);
    if (sym_function_tag(tag)) {
        if (hw_grow(&x->reach, &x->cap_reach, x->nreach + 1, sizeof(*x->reach)) < 0) {
            w->oom = true;
            return;
        }
        x->reach[x->nreach++] = (uintptr_t)die->addr;
    }
    int32_t self = -1;
    if (ranged && w->index) {
        if (x->nnodes >= INT32_MAX ||
            hw_grow(&x->nodes, &x->cap_nodes, x->nnodes + 1, sizeof(*x->nodes)) < 0) {
            w->oom = true;
            return;
        }
        int r = sym_walk_ranges(w, die, (int32_t)x->nnodes);
        if (r < 0)
            return;
        if (r > 0) {
            self = (int32_t)x->nnodes++;
            x->nodes[self] = (struct sym_dnode){.die = *die,
                                                .parent = parent,
                                                .chain_parent = chain_parent,
                                                .tag = tag,
                                                .origin_ok = -1};
        }
    }
    if (!sym_scope_tag(tag) || !dwarf_haschildren(die))
        return;
    Dwarf_Die child;
    int r = dwarf_child(die, &child);
    if (r < 0)
        w->failed = true;
    else if (r == 0)
        sym_walk_children(w, &child, self, self, self >= 0, imports, depth + 1);
}

/* Visits first and its siblings; the children of an imported unit are visited in its place (their
 * dwarf_getscopes_die chain ends at that unit's root). */
static void sym_walk_children(struct sym_walk *w, Dwarf_Die *first, int32_t parent,
                              int32_t chain_parent, bool ranged, const struct sym_import *imports,
                              int depth)
{
    if (depth > SYM_WALK_MAX_DEPTH) {
        w->failed = true;
        return;
    }
    Dwarf_Die die = *first;
    int r;
    do {
        while (dwarf_tag(&die) == DW_TAG_imported_unit) {
            Dwarf_Die orig = die, unit, child;
            Dwarf_Attribute mem;
            if (dwarf_formref_die(dwarf_attr(&orig, DW_AT_import, &mem), &unit) != NULL &&
                dwarf_tag(&unit) != DW_TAG_compile_unit && dwarf_child(&unit, &child) == 0) {
                for (const struct sym_import *i = imports; i; i = i->up) {
                    if (i->addr == orig.addr) {
                        w->failed = true;
                        return;
                    }
                }
                struct sym_import here = {orig.addr, imports};
                sym_walk_children(w, &child, parent, -1, ranged, &here, depth + 1);
                if (w->failed || w->oom)
                    return;
            }
            if ((r = dwarf_siblingof(&orig, &die)) != 0) {
                w->failed |= r < 0;
                return;
            }
        }
        sym_walk_die(w, &die, parent, chain_parent, ranged, imports, depth);
        if (w->failed || w->oom)
            return;
    } while ((r = dwarf_siblingof(&die, &die)) == 0);
    w->failed |= r < 0;
}

static int sym_drange_cmp(const void *a, const void *b)
{
    const struct sym_drange *x = a, *y = b;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return (x->node > y->node) - (x->node < y->node);
}

static int sym_u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int sym_uptr_cmp(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return (x > y) - (x < y);
}

/* The scope dwarf_getscopes picks among the active nodes (those holding the address): from the
 * root, the first node (in walk order) below the current one, as deep as it goes. -1: none. */
static int32_t sym_innermost(const struct sym_dcu *x, const int32_t *active, size_t n)
{
    int32_t cur = -1;
    for (;;) {
        int32_t best = -1;
        for (size_t i = 0; i < n; i++) {
            int32_t a = active[i];
            if (x->nodes[a].parent == cur && (best < 0 || a < best))
                best = a;
        }
        if (best < 0)
            return cur;
        cur = best;
    }
}

/* Turns the ranges of the walk into x->segs: at each boundary of any range, the innermost scope
 * until the next boundary. Returns 0 or -1 (out of memory). */
static int sym_build_segments(struct sym_dcu *x, struct sym_drange *r, size_t nr)
{
    if (nr == 0)
        return 0;
    qsort(r, nr, sizeof(*r), sym_drange_cmp);
    uint64_t *bounds = malloc(2 * nr * sizeof(*bounds));
    struct sym_drange *active = malloc(nr * sizeof(*active));
    int32_t *nodes = malloc(nr * sizeof(*nodes));
    size_t cap = 0;
    int rc = -1;
    if (!bounds || !active || !nodes)
        goto out;
    for (size_t i = 0; i < nr; i++) {
        bounds[2 * i] = r[i].lo;
        bounds[2 * i + 1] = r[i].hi;
    }
    qsort(bounds, 2 * nr, sizeof(*bounds), sym_u64_cmp);
    size_t nactive = 0, next = 0;
    for (size_t i = 0; i < 2 * nr; i++) {
        uint64_t at = bounds[i];
        if (i > 0 && at == bounds[i - 1])
            continue;
        size_t k = 0;
        for (size_t j = 0; j < nactive; j++)
            if (active[j].hi > at)
                active[k++] = active[j];
        nactive = k;
        for (; next < nr && r[next].lo <= at; next++)
            if (r[next].hi > at)
                active[nactive++] = r[next];
        for (size_t j = 0; j < nactive; j++)
            nodes[j] = active[j].node;
        int32_t inner = sym_innermost(x, nodes, nactive);
        if (x->nsegs && x->segs[x->nsegs - 1].node == inner)
            continue;
        if (hw_grow(&x->segs, &cap, x->nsegs + 1, sizeof(*x->segs)) < 0)
            goto out;
        x->segs[x->nsegs++] = (struct sym_dseg){at, inner};
    }
    rc = 0;
out:
    free(bounds);
    free(active);
    free(nodes);
    return rc;
}

/* Walks unit x (index: building its nodes and segments too). Returns 0, or -1 when out of memory.
 */
static int sym_dcu_walk(struct sym_dcu *x, bool index)
{
    struct sym_walk w = {.x = x, .index = index};
    x->nreach = 0;
    Dwarf_Die first;
    if (dwarf_child(&x->cu, &first) == 0)
        sym_walk_children(&w, &first, -1, -1, true, NULL, 0);
    int rc = 0;
    if (w.oom)
        rc = -1;
    else if (index && !w.failed)
        rc = sym_build_segments(x, w.ranges, w.nranges);
    free(w.ranges);
    if (rc < 0)
        return -1;
    if (x->nreach > 1)
        qsort(x->reach, x->nreach, sizeof(*x->reach), sym_uptr_cmp);
    x->reach_built = true;
    x->slow = w.failed;
    if (index)
        x->indexed = true;
    return 0;
}

struct sym_dcu_key {
    const struct sym_bin *b;
    void *addr;
};

static bool sym_dcu_eq(const void *ctx, uint32_t val)
{
    const struct sym_dcu_key *k = ctx;
    return k->b->dcus[val]->cu.addr == k->addr;
}

static void sym_dcu_free(struct sym_dcu *x)
{
    free(x->nodes);
    free(x->segs);
    free(x->reach);
    free(x->dfiles);
    hw_map_free(&x->dfile_map);
    free(x);
}

struct sym_dcu *sym_dcu_get(struct sym_bin *b, const Dwarf_Die *cu, bool index)
{
    struct sym_dcu_key k = {b, cu->addr};
    uint64_t h = hw_hash_u64(13, (uint64_t)(uintptr_t)cu->addr);
    uint32_t idx;
    struct sym_dcu *x;
    if (hw_map_find(&b->dcu_map, h, sym_dcu_eq, &k, &idx)) {
        x = b->dcus[idx];
    } else {
        if (b->ndcus >= UINT32_MAX ||
            hw_grow(&b->dcus, &b->cap_dcus, b->ndcus + 1, sizeof(*b->dcus)) < 0)
            return NULL;
        x = calloc(1, sizeof(*x));
        if (!x)
            return NULL;
        if (hw_map_insert(&b->dcu_map, h, (uint32_t)b->ndcus) < 0) {
            free(x);
            return NULL;
        }
        x->cu = *cu;
        b->dcus[b->ndcus++] = x;
    }
    if (index ? !x->indexed : !x->reach_built) {
        if (sym_dcu_walk(x, index) < 0)
            return NULL;
    }
    return x;
}

int32_t sym_dcu_find(const struct sym_dcu *x, Dwarf_Addr pc)
{
    size_t i =
        hw_bsearch_le(x->segs, x->nsegs, sizeof(*x->segs), offsetof(struct sym_dseg, start), pc);
    return i == x->nsegs ? -1 : x->segs[i].node;
}

static int sym_reach_cmp(const void *key, const void *elem)
{
    uintptr_t k = *(const uintptr_t *)key, e = *(const uintptr_t *)elem;
    return (k > e) - (k < e);
}

int sym_dcu_origin_ok(struct sym_bin *b, struct sym_dcu *x, int32_t n)
{
    struct sym_dnode *d = &x->nodes[n];
    if (d->origin_ok >= 0)
        return d->origin_ok;
    Dwarf_Attribute mem;
    Dwarf_Die origin, unit;
    if (dwarf_formref_die(dwarf_attr(&d->die, DW_AT_abstract_origin, &mem), &origin) == NULL)
        return d->origin_ok = 0;
    if (!sym_function_tag(dwarf_tag(&origin)) || dwarf_diecu(&origin, &unit, NULL, NULL) == NULL)
        return -1;
    struct sym_dcu *y = unit.addr == x->cu.addr ? x : sym_dcu_get(b, &unit, false);
    if (!y || y->slow)
        return -1;
    uintptr_t key = (uintptr_t)origin.addr;
    size_t i = hw_lower_bound(y->reach, y->nreach, sizeof(*y->reach), &key, sym_reach_cmp);
    return d->origin_ok = i < y->nreach && y->reach[i] == key;
}

void sym_dcus_free(struct sym_bin *b)
{
    for (size_t i = 0; i < b->ndcus; i++)
        sym_dcu_free(b->dcus[i]);
    free(b->dcus);
    b->dcus = NULL;
    b->ndcus = b->cap_dcus = 0;
    hw_map_free(&b->dcu_map);
}
