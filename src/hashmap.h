/* hashmap.h - an open-addressing map from a 64-bit hash to a 32-bit value; callers compare keys themselves. */
#ifndef HWPROF_HASHMAP_H
#define HWPROF_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Zero-initialize before use; free with hw_map_free. Values are typically indices into the
 * caller's own array of keys, so the caller's eq() compares its key with the stored one. */
struct hw_map {
    uint64_t *hashes; /* 0 = empty slot */
    uint32_t *vals;
    size_t cap;       /* a power of two, or 0 */
    size_t n;
};

typedef bool (*hw_map_eq_fn)(const void *ctx, uint32_t val);

/* Looks for an entry with this hash for which eq(ctx, val) holds. Returns true with *out set. */
bool hw_map_find(const struct hw_map *m, uint64_t hash, hw_map_eq_fn eq, const void *ctx, uint32_t *out);

/* Adds an entry (no duplicate check). Returns 0, or -1 when out of memory. */
int hw_map_insert(struct hw_map *m, uint64_t hash, uint32_t val);

void hw_map_free(struct hw_map *m);

/* 64-bit hash of n bytes (FNV-1a, then a final mix), never 0. */
uint64_t hw_hash_bytes(const void *p, size_t n, uint64_t seed);

/* Mixes a 64-bit value into a hash, never 0. */
uint64_t hw_hash_u64(uint64_t h, uint64_t v);

#endif
