/* util.h - error messages returned to callers, growable buffers and small string helpers shared by all modules. */
#ifndef HWPROF_UTIL_H
#define HWPROF_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An error message filled in by library code and printed by the subcommand. */
struct hw_err {
    char msg[1024];
};

/* Formats a message into err (if err is non-NULL). Always returns -1 so callers can `return
 * hw_errf(...)`. */
int hw_errf(struct hw_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sets err to "out of memory" and returns -1: the one out-of-memory policy of library code is to
 * fail the call with this message (library code never exits). */
int hw_err_oom(struct hw_err *err);

/* hw_err_oom with what was being done: "out of memory while <fmt...>". Returns -1. */
int hw_err_oom_while(struct hw_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Like hw_errf, and appends ": strerror(errnum)". Returns -1. */
int hw_errf_errno(struct hw_err *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The one callback type for remarks to the user that do not fail the call (warnings, notices of a
 * fallback): msg is one line without a newline. Library code never prints; the subcommand decides.
 */
typedef void (*hw_warn_fn)(void *arg, const char *msg);

/* A warning sink: fn (may be NULL: warnings are dropped) and its argument. */
struct hw_warn {
    hw_warn_fn fn;
    void *arg;
};

/* Formats a warning and passes it to w->fn (nothing when w or w->fn is NULL). */
void hw_warnf(const struct hw_warn *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A growable byte buffer. Zero-initialize before use; free with hw_buf_free. */
struct hw_buf {
    unsigned char *data;
    size_t len;
    size_t cap;
};

/* Appends n bytes. Returns 0, or -1 when out of memory (buffer unchanged). */
int hw_buf_append(struct hw_buf *b, const void *p, size_t n);
/* Ensures room for n more bytes. Returns 0 or -1 when out of memory. */
int hw_buf_reserve(struct hw_buf *b, size_t n);
void hw_buf_free(struct hw_buf *b);

/* Makes room for `need` elements of size elem in the array *arrp (capacity *cap, in elements),
 * doubling from 64. Returns 0, or -1 when out of memory (the array is unchanged). */
int hw_grow(void *arrp, size_t *cap, size_t need, size_t elem);

/* Levenshtein distance between a and b (case-insensitive). */
size_t hw_edit_distance(const char *a, const char *b);

/* Fills out[] with up to max candidates closest to name (distance <= limit), best first.
 * Returns how many were stored. */
size_t hw_closest(const char *name, const char *const *cands, size_t ncands, size_t limit,
                  const char **out, size_t max);

/* Returns a malloc'd copy of s, or NULL when out of memory. */
char *hw_strdup(const char *s);

/* Reads a small text file (e.g. under /proc) into buf, NUL-terminated, trailing newline removed.
 * Returns the length, or -1 with errno set. */
long hw_read_small_file(const char *path, char *buf, size_t size);

/* Parses an unsigned decimal integer that must fill all of s. Returns 0 or -1. */
int hw_parse_u64(const char *s, uint64_t *out);

/* Number of CPUs configured (possible) and online. */
unsigned hw_ncpus_online(void);
unsigned hw_ncpus_configured(void);

/* Lists the online CPU numbers (from /sys/devices/system/cpu/online). Returns count, or -1.
 * *cpus is malloc'd. */
int hw_online_cpus(int **cpus, struct hw_err *err);

/* Parses a kernel CPU list ("0-3,8,10-11", as in sysfs cpus/cpumask/online files) into a sorted,
 * malloc'd array. Returns the count (0 for an empty list), or -1 with err (malformed, out of
 * memory). */
int hw_parse_cpulist(const char *s, int **cpus, struct hw_err *err);

/* Monotonic clock in nanoseconds. */
uint64_t hw_now_ns(void);

/* The one binary search: the index of the last element of the sorted array base[0..n) (elements of
 * size bytes) whose uint64_t key at byte offset key_off is <= key, or n when every key is greater
 * (or n is 0). Use offsetof(struct, field) for key_off. No allocation, O(log n). */
static inline size_t hw_bsearch_le(const void *base, size_t n, size_t size, size_t key_off,
                                   uint64_t key)
{
    const unsigned char *b = base;
    size_t lo = 0, hi = n; /* the answer + 1 lies in [lo, hi] */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t k;
        __builtin_memcpy(&k, b + mid * size + key_off, sizeof(k));
        if (k <= key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? lo - 1 : n;
}

/* The first index i of the sorted array base[0..n) with cmp(key, &base[i]) <= 0 (n if none): the
 * general form of hw_bsearch_le for keys that are not one uint64_t. cmp returns <0, 0, >0. */
static inline size_t hw_lower_bound(const void *base, size_t n, size_t size, const void *key,
                                    int (*cmp)(const void *key, const void *elem))
{
    const unsigned char *b = base;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp(key, b + mid * size) > 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

#define HW_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define HW_ALIGN(x, a)   (((x) + (a)-1) & ~((uint64_t)(a)-1))

#endif
