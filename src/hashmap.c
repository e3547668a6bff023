/* hashmap.c - an open-addressing map from a 64-bit hash to a 32-bit value; callers compare keys themselves. */
#include "hashmap.h"

#include <stdlib.h>

static uint64_t hw_mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x ? x : 1;
}

uint64_t hw_hash_bytes(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *c = p;
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (size_t i = 0; i < n; i++) {
        h ^= c[i];
        h *= 0x100000001b3ULL;
    }
    return hw_mix(h);
}

uint64_t hw_hash_u64(uint64_t h, uint64_t v)
{
    return hw_mix(h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2)));
}

bool hw_map_find(const struct hw_map *m, uint64_t hash, hw_map_eq_fn eq, const void *ctx, uint32_t *out)
{
    if (m->cap == 0)
        return false;
    hash = hash ? hash : 1;
    size_t mask = m->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        if (m->hashes[i] == 0)
            return false;
        if (m->hashes[i] == hash && eq(ctx, m->vals[i])) {
            *out = m->vals[i];
            return true;
        }
    }
}

static void hw_map_put(uint64_t *hashes, uint32_t *vals, size_t cap, uint64_t hash, uint32_t val)
{
    size_t mask = cap - 1;
    size_t i = hash & mask;
    while (hashes[i])
        i = (i + 1) & mask;
    hashes[i] = hash;
    vals[i] = val;
}

int hw_map_insert(struct hw_map *m, uint64_t hash, uint32_t val)
{
    hash = hash ? hash : 1;
    if ((m->n + 1) * 4 > m->cap * 3) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        uint64_t *h = calloc(cap, sizeof(*h));
        uint32_t *v = calloc(cap, sizeof(*v));
        if (!h || !v) {
            free(h);
            free(v);
            return -1;
        }
        for (size_t i = 0; i < m->cap; i++)
            if (m->hashes[i])
                hw_map_put(h, v, cap, m->hashes[i], m->vals[i]);
        free(m->hashes);
        free(m->vals);
        m->hashes = h;
        m->vals = v;
        m->cap = cap;
    }
    hw_map_put(m->hashes, m->vals, m->cap, hash, val);
    m->n++;
    return 0;
}

void hw_map_free(struct hw_map *m)
{
    free(m->hashes);
    free(m->vals);
    m->hashes = NULL;
    m->vals = NULL;
    m->cap = m->n = 0;
}
