/* locs.c - the profile locations of stack addresses: a mapping per binary mapping, placeholders at first sight, then every binary's addresses symbolized together. */
#include "locs.h"

#include <stdlib.h>
#include <string.h>

#include "buildid.h"
#include "hashmap.h"

/* A location created before it was symbolized. */
struct locs_pending {
    uint32_t loc, mapping;
    const struct mach_dso *dso;
    uint64_t start, end, pgoff; /* the mapping as it was when the address was sampled */
    uint64_t addr;
    int32_t pid;
    bool caller;
};

/* A binary's path and build id as profile strings. */
struct locs_dso {
    bool known;
    uint8_t build_id_size;     /* of the build id interned (a stream names build ids at its end) */
    uint32_t path, build_id;
};

/* A symbolizer string (interned there, so equal by pointer) and its profile string id. */
struct locs_str {
    const char *s;
    uint32_t id;
};

struct locs {
    struct profile *p;
    struct symbolizer *sym;
    struct locs_dso *dsos;     /* by mach_dso index */
    size_t cap_dsos;
    struct locs_str *strs;
    size_t nstrs, cap_strs;
    struct hw_map str_map;
    struct locs_pending *pending;
    size_t npending, cap_pending;
};

struct locs *locs_new(struct profile *p, struct symbolizer *sym)
{
    struct locs *lc = calloc(1, sizeof(*lc));
    if (lc) {
        lc->p = p;
        lc->sym = sym;
    }
    return lc;
}

void locs_free(struct locs *lc)
{
    if (!lc)
        return;
    free(lc->dsos);
    free(lc->strs);
    hw_map_free(&lc->str_map);
    free(lc->pending);
    free(lc);
}

void locs_binary(const struct mach_dso *dso, struct sym_binary *out)
{
    *out = (struct sym_binary){
        .path = dso->path,
        .build_id = dso->build_id_size ? dso->build_id : NULL,
        .build_id_len = dso->build_id_size,
        .kernel = dso->kernel,
    };
}

/* The profile strings of d's path and build id (hex), cached per binary. NULL when out of memory. */
static const struct locs_dso *locs_dso(struct locs *lc, const struct mach_dso *d)
{
    size_t have = lc->cap_dsos;
    if (hw_grow(&lc->dsos, &lc->cap_dsos, d->index + 1, sizeof(*lc->dsos)) < 0)
        return NULL;
    memset(lc->dsos + have, 0, (lc->cap_dsos - have) * sizeof(*lc->dsos));
    struct locs_dso *ids = &lc->dsos[d->index];
    if (!ids->known || ids->build_id_size != d->build_id_size) {
        char hex[2 * HW_BUILD_ID_MAX + 1] = "";
        if (d->build_id_size)
            buildid_to_hex(d->build_id, d->build_id_size, hex);
        int64_t path = prof_string(lc->p, d->path), bid = prof_string(lc->p, hex);
        if (path < 0 || bid < 0)
            return NULL;
        *ids = (struct locs_dso){true, d->build_id_size, (uint32_t)path, (uint32_t)bid};
    }
    return ids;
}

int64_t locs_mapping(struct locs *lc, const struct mach_map *map, struct hw_err *err)
{
    const struct locs_dso *ids = locs_dso(lc, map->dso);
    int64_t m = ids ? prof_mapping_ids(lc->p, map->start, map->end, map->pgoff, ids->path, ids->build_id) : -1;
    return m < 0 ? hw_err_oom(err) : m;
}

struct locs_str_key {
    const struct locs *lc;
    const char *s;
};

static bool locs_str_eq(const void *ctx, uint32_t val)
{
    const struct locs_str_key *k = ctx;
    return k->lc->strs[val].s == k->s;
}

/* The profile string id of a string the symbolizer interned (looked up by pointer). -1 on OOM. */
static int64_t locs_string(struct locs *lc, const char *s)
{
    if (!s)
        return 0;
    struct locs_str_key k = {lc, s};
    uint64_t h = hw_hash_u64(8, (uint64_t)(uintptr_t)s);
    uint32_t idx;
    if (hw_map_find(&lc->str_map, h, locs_str_eq, &k, &idx))
        return lc->strs[idx].id;
    int64_t id = prof_string(lc->p, s);
    if (id < 0 || hw_grow(&lc->strs, &lc->cap_strs, lc->nstrs + 1, sizeof(*lc->strs)) < 0 ||
        hw_map_insert(&lc->str_map, h, (uint32_t)lc->nstrs) < 0)
        return -1;
    lc->strs[lc->nstrs++] = (struct locs_str){s, (uint32_t)id};
    return id;
}

/* Adds the location of an address: "[unknown]" at once when no mapping holds it, else a location
 * without lines that locs_symbolize fills. Returns its index or -1 (out of memory). */
static int64_t locs_add(struct locs *lc, const struct mach_map *m, int64_t mapping, int32_t pid, uint64_t addr,
                        bool caller)
{
    uint64_t loc_addr = caller ? addr - 1 : addr;
    if (!m) {
        int64_t fn = prof_function(lc->p, "[unknown]", "[unknown]", "", 0);
        if (fn < 0)
            return -1;
        struct prof_line unknown = {(uint32_t)fn, 0};
        return prof_add_location(lc->p, PROF_NONE, loc_addr, &unknown, 1);
    }
    if (hw_grow(&lc->pending, &lc->cap_pending, lc->npending + 1, sizeof(*lc->pending)) < 0)
        return -1;
    int64_t loc = prof_add_location(lc->p, (uint32_t)mapping, loc_addr, NULL, 0);
    if (loc < 0)
        return -1;
    lc->pending[lc->npending++] = (struct locs_pending){
        .loc = (uint32_t)loc, .mapping = (uint32_t)mapping, .dso = m->dso, .start = m->start, .end = m->end,
        .pgoff = m->pgoff, .addr = addr, .pid = pid, .caller = caller};
    struct sym_binary bin;
    locs_binary(m->dso, &bin);
    sym_prefetch(lc->sym, &bin); /* loaded on the symbolizer's second thread while stacks are read */
    return loc;
}

int64_t locs_of(struct locs *lc, const struct machine *m, int32_t pid, uint64_t addr, bool kernel, bool caller,
                struct hw_err *err)
{
    const struct mach_map *map = mach_find(m, kernel ? -1 : pid, addr);
    int64_t mapping = PROF_NONE;
    if (map && (mapping = locs_mapping(lc, map, err)) < 0)
        return -1;
    int64_t loc = prof_find_location(lc->p, (uint32_t)mapping, caller ? addr - 1 : addr);
    if (loc < 0 && (loc = locs_add(lc, map, mapping, pid, addr, caller)) < 0)
        return hw_err_oom(err);
    return loc;
}

/* Symbolizes one pending address into its location's lines. Returns 0 or -1 (out of memory). */
static int locs_symbolize_one(struct locs *lc, const struct locs_pending *e)
{
    struct sym_binary bin;
    locs_binary(e->dso, &bin);
    struct sym_result r;
    sym_lookup(lc->sym, &bin, e->start, e->end, e->pgoff, e->pid, e->addr, e->caller, &r);
    struct prof_line lines[64];
    size_t n = 0;
    for (size_t i = 0; i < r.nframes && n < HW_ARRAY_SIZE(lines); i++) {
        const struct sym_frame *fr = &r.frames[i];
        int64_t name = locs_string(lc, fr->function), sys = locs_string(lc, fr->system_name),
                file = locs_string(lc, fr->file);
        if (name < 0 || sys < 0 || file < 0)
            return -1;
        int64_t fn = prof_function_ids(lc->p, (uint32_t)name, (uint32_t)sys, (uint32_t)file, fr->start_line);
        if (fn < 0)
            return -1;
        lines[n++] = (struct prof_line){(uint32_t)fn, fr->line};
    }
    struct prof_mapping *pm = &lc->p->mappings[e->mapping];
    const struct locs_dso *ids = locs_dso(lc, e->dso); /* its build id may have come since */
    if (!ids)
        return -1;
    pm->build_id = ids->build_id;
    if (r.symbolized) {
        pm->has_functions = true;
        pm->has_inline_frames = pm->has_inline_frames || r.nframes > 1;
    }
    if (r.has_lines) {
        pm->has_filenames = true;
        pm->has_line_numbers = true;
    }
    return prof_set_location_lines(lc->p, e->loc, lines, n);
}

/* Kernel binaries first (they share the kallsyms table), then binary by binary, by address. */
static int locs_pending_cmp(const void *a, const void *b)
{
    const struct locs_pending *x = a, *y = b;
    if (x->dso->kernel != y->dso->kernel)
        return x->dso->kernel ? -1 : 1;
    if (x->dso->index != y->dso->index)
        return x->dso->index < y->dso->index ? -1 : 1;
    return (x->addr > y->addr) - (x->addr < y->addr);
}

int locs_symbolize(struct locs *lc, struct hw_err *err)
{
    if (lc->npending > 1)
        qsort(lc->pending, lc->npending, sizeof(*lc->pending), locs_pending_cmp);
    for (size_t i = 0; i < lc->npending; i++) {
        const struct locs_pending *e = &lc->pending[i];
        if (locs_symbolize_one(lc, e) < 0)
            return hw_err_oom(err);
        const struct locs_pending *next = i + 1 < lc->npending ? &lc->pending[i + 1] : NULL;
        if (!next || (next->dso != e->dso && !(next->dso->kernel && e->dso->kernel))) {
            struct sym_binary bin = {.path = e->dso->path, .kernel = e->dso->kernel};
            sym_release(lc->sym, &bin);
        }
    }
    lc->npending = 0;
    return 0;
}
