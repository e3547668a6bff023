/* inbuf.h - buffered sequential input from a regular file (pread) or a pipe (read): the next bytes made contiguous, skipped, and ranges of a file read into new buffers. */
#ifndef HWPROF_INBUF_H
#define HWPROF_INBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Bytes [pos, len) of buf are read but not consumed; offset is the input offset of buf[pos]. */
struct inbuf {
    int fd;
    bool seekable;    /* a regular file: read with pread at offset, can be positioned */
    const char *name; /* for errors: "cannot read NAME: ..." */
    unsigned char *buf;
    size_t cap;
    size_t pos, len;
    uint64_t offset;
    uint64_t left; /* bytes still to take from fd (UINT64_MAX: up to its end) */
    bool end;      /* fd has nothing more, or left is 0 */
};

/* Sets in up for fd (not owned) with a buffer of cap bytes, positioned at offset 0. Returns 0 or
 * -1 with err (out of memory). */
int inbuf_init(struct inbuf *in, int fd, bool seekable, size_t cap, const char *name,
               struct hw_err *err);

void inbuf_free(struct inbuf *in);

/* Positions a seekable input at offset, with at most limit bytes to read (UINT64_MAX: up to the
 * end); the bytes buffered are forgotten. Can't fail. */
void inbuf_seek(struct inbuf *in, uint64_t offset, uint64_t limit);

/* Makes at least need (<= cap) unconsumed bytes available, unless the input ends first; waits on
 * a pipe. Returns the bytes available at inbuf_peek (fewer than need at the end), or -1 with err.
 */
long inbuf_fill(struct inbuf *in, size_t need, struct hw_err *err);

static inline const unsigned char *inbuf_peek(const struct inbuf *in)
{
    return in->buf + in->pos;
}

/* Consumes n (<= the bytes available) bytes. Can't fail. */
void inbuf_consume(struct inbuf *in, size_t n);

/* Consumes n bytes that may be more than the buffer holds. Returns 1, 0 when the input ends
 * first, or -1 with err. */
int inbuf_skip(struct inbuf *in, uint64_t n, struct hw_err *err);

/* Reads size bytes at offset of a seekable input into a new buffer (free it), without moving the
 * input. Returns it, or NULL with err (a read error, the file shrank, out of memory). */
unsigned char *inbuf_pread(struct inbuf *in, uint64_t offset, uint64_t size, struct hw_err *err);

#endif
