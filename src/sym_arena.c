/* sym_arena.c - the symbolizer's storage: a bump allocator for frames and strings, string interning and rooted paths. */
#include "sym_private.h"

#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sym_chunk {
    struct sym_chunk *next;
    size_t used, cap;
    alignas(16) unsigned char data[];
};

void *sym_alloc(struct symbolizer *s, size_t size, size_t align)
{
    struct sym_chunk *c = s->chunks;
    size_t at = c ? (c->used + align - 1) & ~(align - 1) : 0;
    if (!c || at > c->cap || c->cap - at < size) {
        size_t cap = size > 65536 ? size : 65536;
        c = malloc(sizeof(*c) + cap);
        if (!c)
            return NULL;
        c->used = 0;
        c->cap = cap;
        c->next = s->chunks;
        s->chunks = c;
        at = 0;
    }
    c->used = at + size;
    return c->data + at;
}

void sym_arena_free(struct symbolizer *s)
{
    while (s->chunks) {
        struct sym_chunk *next = s->chunks->next;
        free(s->chunks);
        s->chunks = next;
    }
}

struct sym_str_key {
    const struct symbolizer *s;
    const char *str;
    size_t len;
};

static bool sym_str_eq(const void *ctx, uint32_t val)
{
    const struct sym_str_key *k = ctx;
    const char *have = k->s->strs[val];
    return strncmp(have, k->str, k->len) == 0 && !have[k->len];
}

const char *sym_intern_n(struct symbolizer *s, const char *str, size_t len)
{
    struct sym_str_key k = {s, str, len};
    uint64_t h = hw_hash_bytes(str, len, 0);
    uint32_t idx;
    if (hw_map_find(&s->str_map, h, sym_str_eq, &k, &idx))
        return s->strs[idx];
    if (s->nstrs >= UINT32_MAX ||
        hw_grow(&s->strs, &s->cap_strs, s->nstrs + 1, sizeof(*s->strs)) < 0)
        return NULL;
    char *copy = sym_alloc(s, len + 1, 1);
    if (!copy || hw_map_insert(&s->str_map, h, (uint32_t)s->nstrs) < 0)
        return NULL;
    memcpy(copy, str, len);
    copy[len] = '\0';
    s->strs[s->nstrs++] = copy;
    return copy;
}

const char *sym_intern(struct symbolizer *s, const char *str)
{
    return sym_intern_n(s, str, strlen(str));
}

void sym_intern_free(struct symbolizer *s)
{
    free(s->strs);
    s->strs = NULL;
    s->nstrs = s->cap_strs = 0;
    hw_map_free(&s->str_map);
}

char *sym_rooted(const struct symbolizer *s, const char *path)
{
    size_t lr = strlen(s->root), lp = strlen(path);
    char *p = malloc(lr + lp + 1);
    if (p) {
        memcpy(p, s->root, lr);
        memcpy(p + lr, path, lp + 1);
    }
    return p;
}
