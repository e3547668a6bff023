/* inline-heavy.c - benchmark workload: a word-count pipeline (generate, tokenize, hash, count, sort) built from many static inline helpers. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Usage: inline-heavy [SECONDS [THREADS]]: each of THREADS threads (default 2) runs the pipeline
 * until it has used SECONDS of CPU time (default 7), then prints a checksum. */

/* The pipeline's stages stay out of line (each a frame of its own); their helpers are inlined. */
#if defined(__clang__)
#define STAGE __attribute__((noinline))
#else
#define STAGE __attribute__((noinline, noclone))
#endif

#define TEXT_BYTES (64 * 1024)
#define TABLE_BITS 12
#define TABLE_SIZE (1u << TABLE_BITS)
#define WORD_MAX 32

struct rng {
    uint64_t s;
};

struct entry {
    char word[WORD_MAX];
    uint32_t len;
    uint32_t count;
    uint64_t hash;
};

struct table {
    struct entry slots[TABLE_SIZE];
    uint32_t used;
};

struct worker {
    pthread_t thread;
    unsigned seed;
    double seconds;
    uint64_t checksum;
    unsigned long rounds;
    char text[TEXT_BYTES];
    struct table table;
    struct entry sorted[TABLE_SIZE];
    struct entry scratch[TABLE_SIZE];
};

static const char *const syllables[] = {
    "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "bra", "cle", "dri", "fla", "gno",
    "pri", "sto", "tra", "wen", "xi", "yu", "qua", "ph", "ch", "sh", "th", "ng", "ea", "ou",
};
#define NSYLLABLES (sizeof(syllables) / sizeof(syllables[0]))

/* ---- random numbers ---- */

static inline uint64_t rng_next(struct rng *r)
{
    uint64_t x = r->s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    r->s = x;
    return x * 0x2545f4914f6cdd1dULL;
}

static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Skewed word lengths, so that some words repeat often (a Zipf-like count distribution). */
static inline uint32_t rng_word_syllables(struct rng *r)
{
    uint32_t a = rng_below(r, 4), b = rng_below(r, 4);
    return 1 + (a < b ? a : b);
}

/* ---- text generation ---- */

static inline size_t text_put(char *buf, size_t at, size_t cap, const char *s)
{
    while (*s && at < cap)
        buf[at++] = *s++;
    return at;
}

static inline char text_separator(struct rng *r)
{
    static const char seps[] = " , .\n;:!?";
    uint32_t k = rng_below(r, 16);
    return k < sizeof(seps) - 1 ? seps[k] : ' ';
}

static inline size_t text_word(struct rng *r, char *buf, size_t at, size_t cap)
{
    uint32_t n = rng_word_syllables(r);
    for (uint32_t i = 0; i < n; i++) {
        const char *syl = syllables[rng_below(r, (uint32_t)NSYLLABLES)];
        size_t start = at;
        at = text_put(buf, at, cap, syl);
        if (i == 0 && rng_below(r, 8) == 0 && start < at)
            buf[start] = (char)(buf[start] - 'a' + 'A');
    }
    return at;
}

STAGE static void text_generate(struct rng *r, char *buf, size_t cap)
{
    size_t at = 0;
    while (at + WORD_MAX + 2 < cap) {
        at = text_word(r, buf, at, cap);
        buf[at++] = text_separator(r);
    }
    buf[at] = '\0';
}

/* ---- tokenizing ---- */

static inline int char_is_alpha(unsigned char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static inline unsigned char char_lower(unsigned char c)
{
    return (unsigned char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
}

static inline const char *token_skip(const char *p)
{
    while (*p && !char_is_alpha((unsigned char)*p))
        p++;
    return p;
}

/* Copies the word at p (lower-cased, at most WORD_MAX - 1 bytes) to out; returns its end. */
static inline const char *token_next(const char *p, char *out, uint32_t *len)
{
    uint32_t n = 0;
    while (char_is_alpha((unsigned char)*p)) {
        if (n < WORD_MAX - 1)
            out[n++] = (char)char_lower((unsigned char)*p);
        p++;
    }
    out[n] = '\0';
    *len = n;
    return p;
}

/* ---- hashing ---- */

static inline uint64_t hash_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t hash_mix(uint64_t h, uint64_t v)
{
    h ^= v * 0x9e3779b97f4a7c15ULL;
    return hash_rotl(h, 27) * 0xbf58476d1ce4e5b9ULL;
}

static inline uint64_t hash_final(uint64_t h)
{
    h ^= h >> 31;
    h *= 0x94d049bb133111ebULL;
    return h ^ (h >> 29);
}

static inline uint64_t hash_load(const char *s, uint32_t n)
{
    uint64_t v = 0;
    memcpy(&v, s, n < 8 ? n : 8);
    return v;
}

static inline uint64_t hash_bytes(const char *s, uint32_t len)
{
    uint64_t h = 0x243f6a8885a308d3ULL ^ len;
    uint32_t i = 0;
    for (; i + 8 <= len; i += 8)
        h = hash_mix(h, hash_load(s + i, 8));
    if (i < len)
        h = hash_mix(h, hash_load(s + i, len - i));
    return hash_final(h);
}

/* ---- counting ---- */

static inline int key_equal(const struct entry *e, const char *w, uint32_t len, uint64_t h)
{
    return e->hash == h && e->len == len && memcmp(e->word, w, len) == 0;
}

static inline uint32_t table_slot(uint64_t h, uint32_t probe)
{
    return (uint32_t)((h >> (64 - TABLE_BITS)) + probe * (probe + 1) / 2) & (TABLE_SIZE - 1);
}

/* Counts one occurrence of w; returns 0, or -1 when the table is full. */
static inline int table_count(struct table *t, const char *w, uint32_t len)
{
    uint64_t h = hash_bytes(w, len);
    for (uint32_t probe = 0; probe < TABLE_SIZE; probe++) {
        struct entry *e = &t->slots[table_slot(h, probe)];
        if (e->len == 0) {
            if (t->used + 1 >= TABLE_SIZE * 3 / 4)
                return -1;
            memcpy(e->word, w, len + 1);
            e->len = len;
            e->hash = h;
            e->count = 1;
            t->used++;
            return 0;
        }
        if (key_equal(e, w, len, h)) {
            e->count++;
            return 0;
        }
    }
    return -1;
}

STAGE static void table_clear(struct table *t)
{
    memset(t->slots, 0, sizeof(t->slots));
    t->used = 0;
}

STAGE static void text_count(struct table *t, const char *text)
{
    char word[WORD_MAX];
    uint32_t len;
    const char *p = token_skip(text);
    while (*p) {
        p = token_next(p, word, &len);
        if (len > 0 && table_count(t, word, len) < 0) {
            table_clear(t);
            table_count(t, word, len);
        }
        p = token_skip(p);
    }
}

/* ---- sorting: by count (descending), then by word ---- */

static inline int entry_before(const struct entry *a, const struct entry *b)
{
    if (a->count != b->count)
        return a->count > b->count;
    uint32_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->word, b->word, n);
    return c != 0 ? c < 0 : a->len < b->len;
}

static inline void entry_copy(struct entry *dst, const struct entry *src)
{
    memcpy(dst, src, sizeof(*dst));
}

static inline void merge_runs(struct entry *dst, const struct entry *a, size_t na,
                              const struct entry *b, size_t nb)
{
    size_t i = 0, j = 0, k = 0;
    while (i < na && j < nb)
        entry_copy(&dst[k++], entry_before(&b[j], &a[i]) ? &b[j++] : &a[i++]);
    while (i < na)
        entry_copy(&dst[k++], &a[i++]);
    while (j < nb)
        entry_copy(&dst[k++], &b[j++]);
}

/* Bottom-up merge sort of v[0..n) using tmp; the result ends in v. */
STAGE static void entries_sort(struct entry *v, struct entry *tmp, size_t n)
{
    struct entry *src = v, *dst = tmp;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            merge_runs(dst + lo, src + lo, mid - lo, src + mid, hi - mid);
        }
        struct entry *t = src;
        src = dst;
        dst = t;
    }
    if (src != v)
        memcpy(v, src, n * sizeof(*v));
}

STAGE static size_t table_collect(const struct table *t, struct entry *out)
{
    size_t n = 0;
    for (uint32_t i = 0; i < TABLE_SIZE; i++)
        if (t->slots[i].len != 0)
            entry_copy(&out[n++], &t->slots[i]);
    return n;
}

/* ---- the pipeline ---- */

static inline uint64_t checksum_fold(uint64_t acc, const struct entry *e)
{
    return hash_mix(acc, e->hash ^ ((uint64_t)e->count << 40));
}

STAGE static uint64_t pipeline_round(struct worker *w, struct rng *r)
{
    uint64_t acc = 0;
    text_generate(r, w->text, sizeof(w->text));
    table_clear(&w->table);
    text_count(&w->table, w->text);
    size_t n = table_collect(&w->table, w->sorted);
    entries_sort(w->sorted, w->scratch, n);
    for (size_t i = 0; i < n && i < 64; i++)
        acc = checksum_fold(acc, &w->sorted[i]);
    return acc;
}

static double thread_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct rng r = {0x9e3779b97f4a7c15ULL ^ ((uint64_t)w->seed * 0x100000001b3ULL)};
    double end = thread_cpu_seconds() + w->seconds;
    do {
        w->checksum ^= pipeline_round(w, &r);
        w->rounds++;
    } while (thread_cpu_seconds() < end);
    return NULL;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 7.0;
    int nthreads = argc > 2 ? atoi(argv[2]) : 2;
    if (seconds <= 0 || nthreads < 1 || nthreads > 64) {
        fprintf(stderr, "usage: inline-heavy [SECONDS [THREADS]] (SECONDS > 0, 1..64 threads)\n");
        return 2;
    }
    struct worker *ws = calloc((size_t)nthreads, sizeof(*ws));
    if (!ws) {
        fprintf(stderr, "inline-heavy: out of memory\n");
        return 1;
    }
    for (int i = 0; i < nthreads; i++) {
        ws[i].seed = (unsigned)i + 1;
        ws[i].seconds = seconds;
        if (pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]) != 0) {
            fprintf(stderr, "inline-heavy: cannot create thread %d\n", i);
            return 1;
        }
    }
    uint64_t sum = 0;
    unsigned long rounds = 0;
    for (int i = 0; i < nthreads; i++) {
        pthread_join(ws[i].thread, NULL);
        sum ^= ws[i].checksum;
        rounds += ws[i].rounds;
    }
    printf("inline-heavy: %d threads, %lu rounds, checksum %016llx\n", nthreads, rounds,
           (unsigned long long)sum);
    free(ws);
    return 0;
}
