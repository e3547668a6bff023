/* calltree.c - the call tree of a profile (root to leaf, frames merged by name) and the frames of one sample, for the tree report, peek and flame graphs. */
#include "calltree.h"

#include <stdlib.h>
#include <string.h>

#include "hashmap.h"

size_t ct_sample_frames(const struct profile *p, const struct prof_sample *s, bool no_inline,
                        struct ct_frame *out, size_t max)
{
    size_t n = 0;
    for (uint32_t k = s->nlocs; k-- > 0 && n < max;) { /* the root is the last location */
        const struct prof_location *loc = &p->locations[p->loc_ids[s->first_loc + k]];
        uint32_t last = no_inline && loc->nlines ? 1 : loc->nlines;
        for (uint32_t j = loc->nlines;
             j-- > loc->nlines - last && n < max;) { /* out-of-line first */
            const struct prof_line *ln = &p->lines[loc->first_line + j];
            out[n++] = (struct ct_frame){p->functions[ln->function].name, j + 1 < loc->nlines};
        }
    }
    return n;
}

size_t ct_max_depth(const struct profile *p, bool no_inline)
{
    size_t best = 0;
    for (size_t i = 0; i < p->nsamples; i++) {
        const struct prof_sample *s = &p->samples[i];
        size_t d = 0;
        for (uint32_t k = 0; k < s->nlocs; k++) {
            const struct prof_location *loc = &p->locations[p->loc_ids[s->first_loc + k]];
            d += no_inline && loc->nlines ? 1 : loc->nlines;
        }
        if (d > best)
            best = d;
    }
    return best;
}

struct ct_builder {
    struct ct_tree *t;
    size_t cap_nodes, cap_vals;
    struct hw_map map;
};

struct ct_key {
    const struct ct_tree *t;
    uint32_t parent, name;
    bool inlined, comm;
};

static bool ct_key_eq(const void *ctx, uint32_t val)
{
    const struct ct_key *k = ctx;
    const struct ct_node *n = &k->t->nodes[val];
    return n->parent == k->parent && n->name == k->name && n->inlined == k->inlined &&
           n->comm == k->comm;
}

/* Appends a node for k with zero values, as the last child of its parent. Returns its index or
 * -1 (out of memory). */
static int64_t ct_new_node(struct ct_builder *b, const struct ct_key *k)
{
    struct ct_tree *t = b->t;
    if (hw_grow(&t->nodes, &b->cap_nodes, t->nnodes + 1, sizeof(*t->nodes)) < 0 ||
        hw_grow(&t->vals, &b->cap_vals, (t->nnodes + 1) * 2 * t->ntypes, sizeof(*t->vals)) < 0)
        return -1;
    uint32_t idx = (uint32_t)t->nnodes++;
    t->nodes[idx] =
        (struct ct_node){k->parent, k->name, k->inlined, k->comm, PROF_NONE, PROF_NONE, PROF_NONE};
    memset(t->vals + (size_t)idx * 2 * t->ntypes, 0, 2 * t->ntypes * sizeof(*t->vals));
    if (k->parent != PROF_NONE) {
        struct ct_node *par = &t->nodes[k->parent];
        if (par->last_child == PROF_NONE)
            par->first_child = idx;
        else
            t->nodes[par->last_child].next_sibling = idx;
        par->last_child = idx;
    }
    return idx;
}

/* The child of parent for the frame, created when new. Returns its index or -1 (out of memory). */
static int64_t ct_child(struct ct_builder *b, uint32_t parent, uint32_t name, bool inlined,
                        bool comm)
{
    struct ct_key k = {b->t, parent, name, inlined, comm};
    uint64_t h = hw_hash_u64(hw_hash_u64(hw_hash_u64(11, parent), name),
                             (uint64_t)inlined | (uint64_t)comm << 1);
    uint32_t idx;
    if (hw_map_find(&b->map, h, ct_key_eq, &k, &idx))
        return idx;
    int64_t n = ct_new_node(b, &k);
    return n < 0 || hw_map_insert(&b->map, h, (uint32_t)n) < 0 ? -1 : n;
}

/* Adds vals (one per tree type) to node's cum (self false) or self values, saturating. */
static void ct_add(struct ct_tree *t, size_t node, bool self, const int64_t *vals)
{
    int64_t *v = t->vals + (node * 2 + self) * t->ntypes;
    for (size_t k = 0; k < t->ntypes; k++)
        v[k] = prof_sat_add(v[k], vals[k]);
}

int ct_build(const struct profile *p, const bool *keep, const struct ct_options *o,
             struct ct_tree *out, struct hw_err *err)
{
    memset(out, 0, sizeof(*out));
    if (o->ntypes == 0)
        return hw_errf(err, "internal error: a call tree of no sample type");
    for (size_t k = 0; k < o->ntypes; k++)
        if (o->types[k] >= p->ntypes)
            return hw_errf(err, "internal error: no sample type %zu", o->types[k]);
    out->ntypes = o->ntypes;
    struct ct_builder b = {.t = out};
    size_t maxd = ct_max_depth(p, o->no_inline) + 1;
    struct ct_frame *frames = calloc(maxd, sizeof(*frames));
    int64_t *vals = calloc(out->ntypes, sizeof(*vals));
    struct ct_key root = {out, PROF_NONE, 0, false, false};
    int rc = frames && vals && ct_new_node(&b, &root) == 0 ? 0 : -1;
    for (size_t i = 0; i < p->nsamples && rc == 0; i++) {
        const struct prof_sample *s = &p->samples[i];
        if (keep && !keep[i])
            continue;
        bool any = false;
        for (size_t k = 0; k < o->ntypes; k++) {
            vals[k] = p->values[s->values_at + o->types[k]];
            any = any || vals[k] != 0;
        }
        if (!any)
            continue;
        size_t n = ct_sample_frames(p, s, o->no_inline, frames, maxd);
        int64_t node = 0;
        ct_add(out, 0, false, vals);
        if (o->with_comm && (node = ct_child(&b, 0, s->comm, false, true)) >= 0)
            ct_add(out, (size_t)node, false, vals);
        for (size_t f = 0; f < n && node >= 0; f++)
            if ((node = ct_child(&b, (uint32_t)node, frames[f].name, frames[f].inlined, false)) >=
                0)
                ct_add(out, (size_t)node, false, vals);
        if (node < 0)
            rc = -1;
        else
            ct_add(out, (size_t)node, true, vals);
    }
    free(frames);
    free(vals);
    hw_map_free(&b.map);
    if (rc < 0) {
        ct_free(out);
        return hw_err_oom(err);
    }
    return 0;
}

void ct_free(struct ct_tree *t)
{
    free(t->nodes);
    free(t->vals);
    memset(t, 0, sizeof(*t));
}
