/* calltree.h - the call tree of a profile (root to leaf, frames merged by name) and the frames of one sample, for the tree report, peek and flame graphs. */
#ifndef HWPROF_CALLTREE_H
#define HWPROF_CALLTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "util.h"

/* One frame of a stack: a function (by its name's string id) and whether it was inlined into the
 * frame below it (its caller). */
struct ct_frame {
    uint32_t name; /* string id of the function's name */
    bool inlined;
};

/* The frames of sample s, root first (the out-of-line function of a location before the frames
 * inlined into it), into out[0..max). With no_inline, only the out-of-line function of each
 * location. Returns how many (at most max; a deeper stack is cut at the leaf end). Can't fail. */
size_t ct_sample_frames(const struct profile *p, const struct prof_sample *s, bool no_inline,
                        struct ct_frame *out, size_t max);

/* The most frames ct_sample_frames returns for any sample of p (0 for none). Can't fail. */
size_t ct_max_depth(const struct profile *p, bool no_inline);

struct ct_node {
    uint32_t parent; /* index of the parent node; the root (node 0) has PROF_NONE */
    uint32_t name;   /* string id; the root has 0 */
    bool inlined;
    bool comm;                          /* a command-name node (with_comm), not a function */
    uint32_t first_child, next_sibling; /* PROF_NONE when none; children in order of first sight */
    uint32_t last_child;                /* PROF_NONE when none (for appending) */
};

struct ct_tree {
    struct ct_node *nodes; /* nodes[0] is the root; a parent comes before its children */
    size_t nnodes;
    size_t ntypes; /* values per node */
    int64_t *vals; /* per node 2 * ntypes values: cum then self (see ct_cum, ct_self) */
};

/* The value of the k-th tree type through node (the node and its callees). */
static inline int64_t ct_cum(const struct ct_tree *t, size_t node, size_t k)
{
    return t->vals[node * 2 * t->ntypes + k];
}

/* The value of the k-th tree type of the samples whose leaf is node. */
static inline int64_t ct_self(const struct ct_tree *t, size_t node, size_t k)
{
    return t->vals[(node * 2 + 1) * t->ntypes + k];
}

struct ct_options {
    const size_t *types; /* sample types whose values the nodes hold */
    size_t ntypes;
    bool no_inline; /* charge inlined frames to the function they were inlined into */
    bool with_comm; /* a first level of command names under the root, as folded stacks have */
};

/* Builds the tree of the samples with keep[i] (NULL: all) that have a non-zero value of one of
 * the types. Values saturate. Returns 0 (free with ct_free), or -1 with err (out of memory). */
int ct_build(const struct profile *p, const bool *keep, const struct ct_options *o,
             struct ct_tree *out, struct hw_err *err);
void ct_free(struct ct_tree *t);

#endif
