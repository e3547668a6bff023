/* tree.c - the call tree of `hwprof report --tree` and the callers/callees view of `--callers REGEX` (like pprof -peek), for terminals. */
#include "tree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "calltree.h"
#include "escape.h"
#include "hashmap.h"
#include "top.h"

/* Percent of v in total, as top prints it ("79.84%", "100%", "0%"). */
static void tree_percent(char *buf, size_t size, int64_t v, int64_t total)
{
    double pct = total ? 100.0 * (double)v / (double)total : 0;
    if (v == total && total)
        snprintf(buf, size, "100%%");
    else if (v == 0)
        snprintf(buf, size, "0%%");
    else
        snprintf(buf, size, "%.2f%%", pct);
}

/* Prints the line in b (cut to width), then empties b. */
static void tree_emit(FILE *out, struct hw_buf *b, size_t width)
{
    size_t n = b->len;
    if (width > 1 && n > width) { /* cut at a character boundary */
        n = width;
        while (n > 0 && (b->data[n] & 0xc0) == 0x80)
            n--;
    }
    fprintf(out, "%.*s\n", (int)n, (const char *)b->data);
    b->len = 0;
}

/* The children of every node by decreasing cum: kids[at[n] .. at[n + 1]). */
struct tree_order {
    uint32_t *kids;
    size_t *at;
};

static int tree_cmp_cum(const void *a, const void *b, void *arg)
{
    const struct ct_tree *t = arg;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    int64_t cx = ct_cum(t, x, 0), cy = ct_cum(t, y, 0);
    if (cx != cy)
        return cx > cy ? -1 : 1;
    return (x > y) - (x < y);
}

static int tree_order_build(const struct ct_tree *t, struct tree_order *o)
{
    o->kids = calloc(t->nnodes ? t->nnodes : 1, sizeof(*o->kids));
    o->at = calloc(t->nnodes + 1, sizeof(*o->at));
    if (!o->kids || !o->at)
        return -1;
    size_t k = 0;
    for (size_t n = 0; n < t->nnodes; n++) {
        o->at[n] = k;
        for (uint32_t c = t->nodes[n].first_child; c != PROF_NONE; c = t->nodes[c].next_sibling)
            o->kids[k++] = c;
        if (k - o->at[n] > 1)
            qsort_r(o->kids + o->at[n], k - o->at[n], sizeof(*o->kids), tree_cmp_cum, (void *)t);
    }
    o->at[t->nnodes] = k;
    return 0;
}

/* One level of the walk: a node's children, and the next one to visit. */
struct tree_level {
    size_t next, end;
};

/* Appends node's line: cum, cum%, self, the tree lines of its ancestors (last[d]: the ancestor
 * at depth d is its parent's last shown child), its connector and its name. */
static int tree_line(struct hw_buf *b, const struct profile *p, const struct ct_tree *t,
                     uint32_t node, const bool *last, size_t depth, const struct tree_options *o)
{
    const char *unit = p->strings[p->types[o->type].unit];
    char cum[32], cump[16], self[32], head[96];
    top_format_value(cum, sizeof(cum), ct_cum(t, node, 0), unit);
    tree_percent(cump, sizeof(cump), ct_cum(t, node, 0), o->total);
    top_format_value(self, sizeof(self), ct_self(t, node, 0), unit);
    int n = snprintf(head, sizeof(head), "%10s %7s %10s  ", cum, cump, self);
    if (hw_buf_append(b, head, (size_t)n) < 0)
        return -1;
    for (size_t d = 2; d < depth; d++) /* depth 1: the top level, without tree lines */
        if (hw_buf_append(b, last[d] ? "   " : "\u2502  ", last[d] ? 3 : 5) < 0)
            return -1;
    if (depth > 1 && hw_buf_append(b, last[depth] ? "\u2514\u2500 " : "\u251c\u2500 ", 7) < 0)
        return -1;
    if (esc_append(b, p->strings[t->nodes[node].name], ESC_TEXT) < 0)
        return -1;
    return t->nodes[node].inlined ? hw_buf_append(b, " (inlined)", 10) : 0;
}

/* Whether node is shown (its cum reaches the threshold). */
static bool tree_shown(const struct ct_tree *t, uint32_t node, int64_t min)
{
    int64_t v = ct_cum(t, node, 0);
    return v != 0 && v >= min;
}

int tree_print(FILE *out, const struct profile *p, const bool *keep, const struct tree_options *o,
               struct hw_err *err)
{
    struct ct_options co = {.types = &o->type, .ntypes = 1, .no_inline = o->no_inline};
    struct ct_tree t;
    if (ct_build(p, keep, &co, &t, err) < 0)
        return -1;
    struct tree_order ord = {0};
    struct tree_level *stack = calloc(t.nnodes + 1, sizeof(*stack));
    bool *last = calloc(t.nnodes + 1, sizeof(*last));
    struct hw_buf line = {0};
    int rc = stack && last && tree_order_build(&t, &ord) == 0 ? 0 : -1;
    int64_t min = (int64_t)(o->min_fraction * (double)(o->total < 0 ? 0 : o->total));
    size_t hidden = 0;
    fprintf(out, "%10s %7s %10s  %s\n", "cum", "cum%", "self",
            "call tree (callers above their callees)");
    size_t depth = 0;
    if (rc == 0)
        stack[0] = (struct tree_level){ord.at[0], ord.at[1]};
    while (rc == 0) {
        struct tree_level *lv = &stack[depth];
        while (lv->next < lv->end && !tree_shown(&t, ord.kids[lv->next], min)) {
            hidden++;
            lv->next++;
        }
        if (lv->next == lv->end) {
            if (depth == 0)
                break;
            depth--;
            continue;
        }
        uint32_t node = ord.kids[lv->next++];
        size_t rest = lv->next; /* is it the last shown child? */
        while (rest < lv->end && !tree_shown(&t, ord.kids[rest], min))
            rest++;
        last[depth + 1] = rest == lv->end;
        if (tree_line(&line, p, &t, node, last, depth + 1, o) < 0) {
            rc = -1;
            break;
        }
        tree_emit(out, &line, o->width);
        depth++;
        stack[depth] = (struct tree_level){ord.at[node], ord.at[node + 1]};
    }
    if (rc == 0 && hidden)
        fprintf(out, "(%zu call paths below %.2g%% of the total not shown)\n", hidden,
                o->min_fraction * 100);
    if (rc == 0 && ferror(out))
        rc = hw_errf_errno(err, errno ? errno : EIO, "cannot write the call tree");
    else if (rc < 0)
        hw_err_oom(err);
    hw_buf_free(&line);
    free(stack);
    free(last);
    free(ord.kids);
    free(ord.at);
    ct_free(&t);
    return rc;
}

/* ---- peek: callers and callees of matching functions ---- */

/* A function's entry (who 0) or an edge (who: the caller's or callee's name; dir 1 caller, 2
 * callee). */
struct peek_ent {
    uint32_t fn, who, dir;
    int64_t flat, cum;
    int64_t fn_cum; /* the cum of fn's own entry (for sorting) */
    size_t stamp;   /* last sample (index + 1) that added to cum */
};

struct peek {
    struct peek_ent *ents;
    size_t n, cap;
    struct hw_map map;
};

struct peek_key {
    const struct peek *pk;
    uint32_t fn, who, dir;
};

static bool peek_eq(const void *ctx, uint32_t val)
{
    const struct peek_key *k = ctx;
    const struct peek_ent *e = &k->pk->ents[val];
    return e->fn == k->fn && e->who == k->who && e->dir == k->dir;
}

/* Adds v once per sample si to the entry (fn, who, dir), and to its flat when flat. 0 or -1. */
static int peek_add(struct peek *pk, uint32_t fn, uint32_t who, uint32_t dir, int64_t v, size_t si,
                    bool flat)
{
    struct peek_key k = {pk, fn, who, dir};
    uint64_t h = hw_hash_u64(hw_hash_u64(hw_hash_u64(13, fn), who), dir);
    uint32_t idx;
    if (!hw_map_find(&pk->map, h, peek_eq, &k, &idx)) {
        if (hw_grow(&pk->ents, &pk->cap, pk->n + 1, sizeof(*pk->ents)) < 0)
            return -1;
        idx = (uint32_t)pk->n;
        if (hw_map_insert(&pk->map, h, idx) < 0)
            return -1;
        pk->ents[pk->n++] = (struct peek_ent){fn, who, dir, 0, 0, 0, 0};
    }
    struct peek_ent *e = &pk->ents[idx];
    if (flat)
        e->flat = prof_sat_add(e->flat, v);
    if (e->stamp != si + 1) {
        e->stamp = si + 1;
        e->cum = prof_sat_add(e->cum, v);
    }
    return 0;
}

/* Functions by decreasing cum, each followed by its callers, then its callees, each by decreasing
 * cum. */
static int peek_cmp(const void *a, const void *b)
{
    const struct peek_ent *x = a, *y = b;
    if (x->fn != y->fn) {
        if (x->fn_cum != y->fn_cum)
            return x->fn_cum > y->fn_cum ? -1 : 1;
        return (x->fn > y->fn) - (x->fn < y->fn);
    }
    static const int rank[3] = {1, 0, 2}; /* callers, the function, callees */
    if (x->dir != y->dir)
        return rank[x->dir] - rank[y->dir];
    if (x->cum != y->cum)
        return x->cum > y->cum ? -1 : 1;
    return (x->who > y->who) - (x->who < y->who);
}

/* Sets every entry's fn_cum from its function's entry (before sorting: the map holds indices). */
static void peek_fn_cums(struct peek *pk)
{
    for (size_t i = 0; i < pk->n; i++) {
        struct peek_key k = {pk, pk->ents[i].fn, 0, 0};
        uint32_t idx;
        if (hw_map_find(&pk->map, hw_hash_u64(hw_hash_u64(hw_hash_u64(13, k.fn), 0), 0), peek_eq,
                        &k, &idx))
            pk->ents[i].fn_cum = pk->ents[idx].cum;
    }
}

/* Collects the entries of the samples with keep[i]. 0 or -1 (out of memory). */
static int peek_collect(struct peek *pk, const struct profile *p, const bool *keep,
                        const regex_t *re, const struct tree_options *o)
{
    size_t maxd = ct_max_depth(p, o->no_inline) + 1;
    struct ct_frame *fr = calloc(maxd, sizeof(*fr));
    unsigned char *match =
        calloc(p->nstrings ? p->nstrings : 1, 1); /* per name: 0 unknown, 1 no, 2 yes */
    int rc = fr && match ? 0 : -1;
    for (size_t i = 0; i < p->nsamples && rc == 0; i++) {
        const struct prof_sample *s = &p->samples[i];
        int64_t v = p->values[s->values_at + o->type];
        if (v == 0 || (keep && !keep[i]))
            continue;
        size_t n = ct_sample_frames(p, s, o->no_inline, fr, maxd);
        for (size_t f = 0; f < n && rc == 0; f++) {
            uint32_t name = fr[f].name;
            if (!match[name])
                match[name] = regexec(re, p->strings[name], 0, NULL, 0) == 0 ? 2 : 1;
            if (match[name] != 2)
                continue;
            rc = peek_add(pk, name, 0, 0, v, i, f + 1 == n);
            if (rc == 0 && f > 0)
                rc = peek_add(pk, name, fr[f - 1].name, 1, v, i, false);
            if (rc == 0 && f + 1 < n)
                rc = peek_add(pk, name, fr[f + 1].name, 2, v, i, false);
        }
    }
    free(fr);
    free(match);
    return rc;
}

int tree_print_peek(FILE *out, const struct profile *p, const bool *keep, const regex_t *re,
                    const struct tree_options *o, struct hw_err *err)
{
    struct peek pk = {0};
    if (peek_collect(&pk, p, keep, re, o) < 0) {
        free(pk.ents);
        hw_map_free(&pk.map);
        return hw_err_oom(err);
    }
    peek_fn_cums(&pk);
    if (pk.n > 1)
        qsort(pk.ents, pk.n, sizeof(*pk.ents),
              peek_cmp); /* the map's indices are stale from here */
    const char *unit = p->strings[p->types[o->type].unit];
    const char *rule =
        "---------------------------------------------------------+--------------------";
    struct hw_buf line = {0};
    int shown = 0, rc = 0;
    for (size_t i = 0; i < pk.n && rc == 0; i++) {
        const struct peek_ent *e = &pk.ents[i];
        char a[32], ap[16], b[32], bp[16], txt[160];
        if (i == 0 || e->fn != pk.ents[i - 1].fn) {
            if (shown == 0)
                fprintf(out, "%s\n%10s %7s %10s %7s %10s %7s | %s\n%s\n", rule, "flat", "flat%",
                        "cum", "cum%", "calls", "calls%", "callers, function, callees", rule);
            shown++;
        }
        int n;
        if (e->dir == 0) {
            top_format_value(a, sizeof(a), e->flat, unit);
            tree_percent(ap, sizeof(ap), e->flat, o->total);
            top_format_value(b, sizeof(b), e->cum, unit);
            tree_percent(bp, sizeof(bp), e->cum, o->total);
            n = snprintf(txt, sizeof(txt), "%10s %7s %10s %7s %10s %7s | ", a, ap, b, bp, "", "");
        } else {
            top_format_value(a, sizeof(a), e->cum, unit);
            tree_percent(ap, sizeof(ap), e->cum, e->fn_cum);
            n = snprintf(txt, sizeof(txt), "%10s %7s %10s %7s %10s %7s |   ", "", "", "", "", a,
                         ap);
        }
        if (hw_buf_append(&line, txt, (size_t)n) < 0 ||
            esc_append(&line, p->strings[e->dir ? e->who : e->fn], ESC_TEXT) < 0) {
            rc = hw_err_oom(err);
            break;
        }
        tree_emit(out, &line, o->width);
        if (i + 1 == pk.n || pk.ents[i + 1].fn != e->fn)
            fprintf(out, "%s\n", rule);
    }
    if (rc == 0 && ferror(out))
        rc = hw_errf_errno(err, errno ? errno : EIO, "cannot write the callers");
    hw_buf_free(&line);
    free(pk.ents);
    hw_map_free(&pk.map);
    return rc < 0 ? -1 : shown;
}
