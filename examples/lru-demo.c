/* lru-demo.c - a teaching example for hwprof: an LRU cache whose eviction is accidentally O(n). */

/*
 * Why is this slow?
 *
 * This program puts a stream of pseudo-random keys through a fixed-size LRU cache and prints the
 * hit rate and a checksum. Lookups are fast: a hash table finds a key in O(1). But when the cache
 * is full, every insertion must evict the least recently used entry, and lru_evict_oldest() finds
 * it by scanning ALL entries for the smallest "last used" stamp. With 2048 entries and a key space
 * four times larger than the cache, about three puts in four evict, so the program spends nearly
 * all of its time in that scan.
 *
 * Profile it and the scan is the top symbol:
 *
 *     hwprof record -o lru-demo.data -- ./examples/lru-demo
 *     perf report -i lru-demo.data --stdio --no-children --sort sym
 *
 * The fix (left to the reader): keep the entries on a doubly linked list in recency order (move to
 * the front on every hit, evict from the tail), which makes eviction O(1).
 *
 * Usage: lru-demo [OPERATIONS]   (default 750000, about one second at -O2)
 * Build: gcc -O2 -g -fno-omit-frame-pointer lru-demo.c -o lru-demo (frame pointers give hwprof
 * and perf the call chains).
 */

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LRU_CAPACITY     2048               /* entries the cache holds */
#define LRU_BUCKETS      4096               /* hash buckets, a power of two */
#define DEMO_KEY_SPACE   (4 * LRU_CAPACITY) /* distinct keys: most puts miss and evict */
#define DEMO_DEFAULT_OPS 750000UL           /* about one second at -O2 */
#define LRU_NONE         (-1)               /* end of a hash chain / empty bucket */

/* One cached key/value pair. Slots are allocated from a fixed array; `next` chains a bucket. */
struct lru_entry {
    uint64_t key;
    uint64_t value;
    uint64_t last_used; /* value of the cache's clock at the last get or put */
    int32_t next;       /* next slot in the same hash bucket, or LRU_NONE */
};

struct lru_cache {
    struct lru_entry slots[LRU_CAPACITY];
    int32_t buckets[LRU_BUCKETS]; /* first slot of each chain, or LRU_NONE */
    uint32_t count;               /* slots in use */
    uint64_t clock;               /* ticks once per get/put: a recency stamp */
    uint64_t evictions;
};

/* A 64-bit mixer (splitmix64 finalizer): spreads keys over the buckets. */
static uint64_t lru_hash(uint64_t key)
{
    key ^= key >> 30;
    key *= 0xbf58476d1ce4e5b9ULL;
    key ^= key >> 27;
    key *= 0x94d049bb133111ebULL;
    key ^= key >> 31;
    return key;
}

static uint32_t lru_bucket_of(uint64_t key)
{
    return (uint32_t)(lru_hash(key) & (LRU_BUCKETS - 1));
}

/* Empties the cache. */
static void lru_init(struct lru_cache *c)
{
    memset(c, 0, sizeof(*c));
    for (uint32_t i = 0; i < LRU_BUCKETS; i++)
        c->buckets[i] = LRU_NONE;
}

/* Returns the slot holding key, or LRU_NONE. The fast part: O(1) on average. */
static int32_t lru_find(const struct lru_cache *c, uint64_t key)
{
    for (int32_t i = c->buckets[lru_bucket_of(key)]; i != LRU_NONE; i = c->slots[i].next) {
        if (c->slots[i].key == key)
            return i;
    }
    return LRU_NONE;
}

/* Removes slot from its hash chain. Kept out of line so that lru_evict_oldest is not a leaf: gcc
 * then gives it a frame and a frame-pointer unwinder sees lru_put above it. */
static __attribute__((noinline)) void lru_unlink(struct lru_cache *c, int32_t slot)
{
    int32_t *link = &c->buckets[lru_bucket_of(c->slots[slot].key)];
    while (*link != slot)
        link = &c->slots[*link].next;
    *link = c->slots[slot].next;
}

/*
 * Returns the least recently used slot after unlinking it, ready for reuse.
 *
 * THIS IS THE PROBLEM: it visits every one of the LRU_CAPACITY entries to find the smallest stamp,
 * on every eviction. noinline keeps it a separate symbol so the profile names it.
 */
static __attribute__((noinline)) int32_t lru_evict_oldest(struct lru_cache *c)
{
    int32_t oldest = 0;
    uint64_t oldest_stamp = c->slots[0].last_used;
    for (int32_t i = 1; i < LRU_CAPACITY; i++) {
        if (c->slots[i].last_used < oldest_stamp) {
            oldest_stamp = c->slots[i].last_used;
            oldest = i;
        }
    }
    lru_unlink(c, oldest);
    c->evictions++;
    return oldest;
}

/* Looks key up. Returns 1 and stores the value in *value on a hit, 0 on a miss. */
static __attribute__((noinline)) int lru_get(struct lru_cache *c, uint64_t key, uint64_t *value)
{
    int32_t slot = lru_find(c, key);
    if (slot == LRU_NONE)
        return 0;
    c->slots[slot].last_used = ++c->clock;
    *value = c->slots[slot].value;
    return 1;
}

/* Inserts or updates key, evicting the least recently used entry when the cache is full. */
static __attribute__((noinline)) void lru_put(struct lru_cache *c, uint64_t key, uint64_t value)
{
    int32_t slot = lru_find(c, key);
    if (slot == LRU_NONE) {
        if (c->count < LRU_CAPACITY)
            slot = (int32_t)c->count++;
        else
            slot = lru_evict_oldest(c);
        uint32_t b = lru_bucket_of(key);
        c->slots[slot].key = key;
        c->slots[slot].next = c->buckets[b];
        c->buckets[b] = slot;
    }
    c->slots[slot].value = value;
    c->slots[slot].last_used = ++c->clock;
}

/* A deterministic PRNG (xorshift64*): the same key stream on every run. */
static uint64_t demo_next_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dULL;
}

/* The "expensive" computation the cache is meant to save. */
static uint64_t demo_compute(uint64_t key)
{
    return lru_hash(key ^ 0x5deece66dULL);
}

int main(int argc, char **argv)
{
    unsigned long ops = DEMO_DEFAULT_OPS;
    if (argc > 1) {
        char *end;
        ops = strtoul(argv[1], &end, 10);
        if (argv[1][0] == '\0' || *end != '\0' || ops == 0) {
            fprintf(stderr, "usage: lru-demo [OPERATIONS]  (a positive integer, default %lu)\n",
                    DEMO_DEFAULT_OPS);
            return 2;
        }
    }

    struct lru_cache *cache = malloc(sizeof(*cache));
    if (cache == NULL) {
        fprintf(stderr, "lru-demo: out of memory\n");
        return 1;
    }
    lru_init(cache);

    uint64_t rng = 0x9e3779b97f4a7c15ULL, checksum = 0, hits = 0;
    for (unsigned long i = 0; i < ops; i++) {
        uint64_t key = demo_next_random(&rng) % DEMO_KEY_SPACE;
        uint64_t value;
        if (lru_get(cache, key, &value)) {
            hits++;
        } else {
            value = demo_compute(key);
            lru_put(cache, key, value);
        }
        checksum = checksum * 31 + value;
    }

    printf("lru-demo: %lu operations, hit rate %.1f%%, %" PRIu64 " evictions, checksum %016" PRIx64
           "\n",
           ops, 100.0 * (double)hits / (double)ops, cache->evictions, checksum);
    free(cache);
    return 0;
}
