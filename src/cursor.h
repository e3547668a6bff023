/* cursor.h - a bounded read position over a byte range: every read is checked, nothing is read outside it. */
#ifndef HWPROF_CURSOR_H
#define HWPROF_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Reads go from base + off up to base + end; off <= end always holds. Fields may have any
 * alignment (they are copied out with memcpy). A failed read leaves the cursor where it was. */
struct cur {
    const unsigned char *base;
    size_t off;
    size_t end;
};

/* A cursor over [p, p + len). Can't fail. */
static inline struct cur cur_make(const void *p, size_t len)
{
    return (struct cur){(const unsigned char *)p, 0, len};
}

/* Bytes left to read. */
static inline size_t cur_left(const struct cur *c)
{
    return c->end - c->off;
}

/* The current read position (valid for cur_left(c) bytes). */
static inline const unsigned char *cur_ptr(const struct cur *c)
{
    return c->base + c->off;
}

/* Copies n bytes to dst and advances. False (nothing read) when fewer are left. */
static inline bool cur_get(struct cur *c, void *dst, size_t n)
{
    if (cur_left(c) < n)
        return false;
    memcpy(dst, c->base + c->off, n);
    c->off += n;
    return true;
}

/* Advances by n bytes. False (not moved) when fewer are left. */
static inline bool cur_skip(struct cur *c, size_t n)
{
    if (cur_left(c) < n)
        return false;
    c->off += n;
    return true;
}

static inline bool cur_u32(struct cur *c, uint32_t *v)
{
    return cur_get(c, v, 4);
}

static inline bool cur_u64(struct cur *c, uint64_t *v)
{
    return cur_get(c, v, 8);
}

/* Two u32 packed in one u64 slot (pid/tid, cpu/res, prot/flags, ...). */
static inline bool cur_u32x2(struct cur *c, uint32_t *a, uint32_t *b)
{
    if (cur_left(c) < 8)
        return false;
    memcpy(a, c->base + c->off, 4);
    memcpy(b, c->base + c->off + 4, 4);
    c->off += 8;
    return true;
}

/* Points *s at the NUL-terminated string at the current position without advancing. False when no
 * NUL lies before the end. */
static inline bool cur_cstr(const struct cur *c, const char **s)
{
    if (cur_left(c) == 0 || !memchr(c->base + c->off, 0, cur_left(c)))
        return false;
    *s = (const char *)c->base + c->off;
    return true;
}

/* A perf_header_string: u32 len, then len bytes holding a NUL-terminated string (padded). Points *s
 * into the bytes and advances past them. False (not moved) when malformed. */
static inline bool cur_header_str(struct cur *c, const char **s)
{
    struct cur t = *c;
    uint32_t len;
    if (!cur_u32(&t, &len) || len == 0 || cur_left(&t) < len || !memchr(cur_ptr(&t), 0, len))
        return false;
    *s = (const char *)cur_ptr(&t);
    t.off += len;
    *c = t;
    return true;
}

#endif
