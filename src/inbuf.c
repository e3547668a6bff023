/* inbuf.c - buffered sequential input from a regular file or a pipe. */
#include "inbuf.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int inbuf_init(struct inbuf *in, int fd, bool seekable, size_t cap, const char *name,
               struct hw_err *err)
{
    memset(in, 0, sizeof(*in));
    in->fd = fd;
    in->seekable = seekable;
    in->name = name;
    in->cap = cap;
    in->left = UINT64_MAX;
    in->buf = malloc(cap);
    return in->buf ? 0 : hw_err_oom(err);
}

void inbuf_free(struct inbuf *in)
{
    free(in->buf);
    in->buf = NULL;
}

void inbuf_seek(struct inbuf *in, uint64_t offset, uint64_t limit)
{
    in->pos = in->len = 0;
    in->offset = offset;
    in->left = limit;
    in->end = limit == 0;
}

/* Reads at offset at (regular files) or from the stream. Returns the count (0 at the end), or -1
 * with errno (never EINTR; EAGAIN waits for a non-blocking pipe's writer). */
static ssize_t inbuf_read(const struct inbuf *in, void *p, size_t n, uint64_t at)
{
    for (;;) {
        ssize_t r = in->seekable ? pread(in->fd, p, n, (off_t)at) : read(in->fd, p, n);
        if (r >= 0 || (errno != EINTR && errno != EAGAIN))
            return r;
        if (errno == EAGAIN) {
            struct pollfd pfd = {.fd = in->fd, .events = POLLIN};
            poll(&pfd, 1, -1);
        }
    }
}

long inbuf_fill(struct inbuf *in, size_t need, struct hw_err *err)
{
    if (in->len - in->pos >= need || in->end)
        return (long)(in->len - in->pos);
    if (in->pos > 0) {
        memmove(in->buf, in->buf + in->pos, in->len - in->pos);
        in->len -= in->pos;
        in->pos = 0;
    }
    while (in->len < need && !in->end) {
        size_t want = in->cap - in->len;
        if (want > in->left)
            want = (size_t)in->left;
        ssize_t r = inbuf_read(in, in->buf + in->len, want, in->offset + in->len);
        if (r < 0)
            return hw_errf_errno(err, errno, "cannot read %s", in->name);
        if (r == 0) {
            in->end = true;
            break;
        }
        in->len += (size_t)r;
        if (in->left != UINT64_MAX)
            in->left -= (uint64_t)r;
        in->end = in->left == 0;
    }
    return (long)(in->len - in->pos);
}

void inbuf_consume(struct inbuf *in, size_t n)
{
    in->pos += n;
    in->offset += n;
}

int inbuf_skip(struct inbuf *in, uint64_t n, struct hw_err *err)
{
    while (n > 0) {
        long avail = inbuf_fill(in, 1, err);
        if (avail <= 0)
            return (int)avail;
        size_t k = (uint64_t)avail < n ? (size_t)avail : (size_t)n;
        inbuf_consume(in, k);
        n -= k;
    }
    return 1;
}

unsigned char *inbuf_pread(struct inbuf *in, uint64_t offset, uint64_t size, struct hw_err *err)
{
    unsigned char *p = malloc(size ? (size_t)size : 1);
    if (!p) {
        hw_err_oom(err);
        return NULL;
    }
    for (uint64_t got = 0; got < size;) {
        ssize_t r = inbuf_read(in, p + got, (size_t)(size - got), offset + got);
        if (r <= 0) {
            if (r == 0)
                hw_errf(err, "%s: the file shrank while it was read", in->name);
            else
                hw_errf_errno(err, errno, "cannot read %s", in->name);
            free(p);
            return NULL;
        }
        got += (uint64_t)r;
    }
    return p;
}
