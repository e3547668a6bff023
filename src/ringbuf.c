/* ringbuf.c - reads perf_event mmap ring buffers record by record, copying wrapped records. */
#include "ringbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* A record's size is a u16, so any record fits. */
#define RINGBUF_BOUNCE_SIZE 65536u

static bool ringbuf_is_pow2(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

/* Copies len bytes starting at ring position pos (any value; taken modulo size) to dst,
 * continuing at the start of the data area when the end is reached. len <= size. */
static void ringbuf_copy_out(const struct ringbuf *rb, uint64_t pos, void *dst, size_t len)
{
    uint64_t off = pos & (rb->size - 1);
    uint64_t first = rb->size - off;
    unsigned char *out = dst;

    if (first >= len) {
        memcpy(out, rb->data + off, len);
    } else {
        memcpy(out, rb->data + off, first);
        memcpy(out + first, rb->data, len - first);
    }
}

/* Fills err with the reason mmap failed, with advice for the limits it can hit. Returns -1. */
static int ringbuf_mmap_error(struct hw_err *err, int errnum, unsigned data_pages, size_t len)
{
    if (errnum == EPERM || errnum == ENOMEM) {
        char limit[64];
        if (hw_read_small_file("/proc/sys/kernel/perf_event_mlock_kb", limit, sizeof(limit)) < 0)
            snprintf(limit, sizeof(limit), "unknown");
        return hw_errf(err,
                       "cannot map a %zu KiB perf ring buffer (%u data pages): %s; this is "
                       "probably the locked-memory limit: lower --mmap-pages or raise "
                       "/proc/sys/kernel/perf_event_mlock_kb (now %s KiB) or RLIMIT_MEMLOCK",
                       len / 1024, data_pages, strerror(errnum), limit);
    }
    return hw_errf_errno(err, errnum, "cannot map the perf ring buffer (%u data pages, %zu bytes)",
                         data_pages, len);
}

/* Maps 1 + data_pages pages of fd read-write. Returns 0, or -1 with err. */
int ringbuf_mmap(struct ringbuf *rb, int fd, unsigned data_pages, struct hw_err *err)
{
    memset(rb, 0, sizeof(*rb));
    rb->fd = -1;

    if (!ringbuf_is_pow2(data_pages))
        return hw_errf(err, "%u ring buffer data pages is not a power of two; use 1, 2, 4, 8, ...",
                       data_pages);
    long ps = sysconf(_SC_PAGESIZE);
    if (ps <= 0)
        return hw_errf_errno(err, errno, "cannot determine the page size");
    size_t page_size = (size_t)ps;
    if ((size_t)data_pages > SIZE_MAX / page_size - 1)
        return hw_errf(err, "ring buffer of %u pages is too large; lower --mmap-pages", data_pages);
    size_t len = (1 + (size_t)data_pages) * page_size;

    void *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        return ringbuf_mmap_error(err, errno, data_pages, len);

    struct perf_event_mmap_page *meta = map;
    uint64_t off = meta->data_offset ? meta->data_offset : page_size;
    uint64_t size = meta->data_size ? meta->data_size : (uint64_t)data_pages * page_size;
    if (!ringbuf_is_pow2(size) || off > len || size > len - off) {
        munmap(map, len);
        return hw_errf(err,
                       "the kernel reported an unusable ring buffer layout (data_offset %llu, "
                       "data_size %llu, mapped %zu bytes); this is a kernel/hwprof mismatch, "
                       "please report it",
                       (unsigned long long)off, (unsigned long long)size, len);
    }

    unsigned char *bounce = malloc(RINGBUF_BOUNCE_SIZE);
    if (!bounce) {
        munmap(map, len);
        return hw_err_oom_while(err, "allocating the ring buffer's %u-byte bounce buffer",
                                RINGBUF_BOUNCE_SIZE);
    }

    rb->fd = fd;
    rb->meta = meta;
    rb->map_len = len;
    rb->data = (unsigned char *)map + off;
    rb->size = size;
    rb->tail = __atomic_load_n(&meta->data_tail, __ATOMIC_RELAXED);
    rb->head = rb->tail;
    rb->bounce = bounce;
    return 0;
}

/* Uses caller memory laid out like a mapping. Returns 0, or -1 when data_size is not a power of
 * two or the bounce buffer cannot be allocated. Reading starts at meta->data_tail. */
int ringbuf_init_mem(struct ringbuf *rb, void *mem, size_t page_size, size_t data_size)
{
    memset(rb, 0, sizeof(*rb));
    rb->fd = -1;
    if (!mem || !ringbuf_is_pow2(data_size))
        return -1;
    unsigned char *bounce = malloc(RINGBUF_BOUNCE_SIZE);
    if (!bounce)
        return -1;
    rb->meta = mem;
    rb->data = (unsigned char *)mem + page_size;
    rb->size = data_size;
    rb->tail = __atomic_load_n(&rb->meta->data_tail, __ATOMIC_RELAXED);
    rb->head = rb->tail;
    rb->bounce = bounce;
    return 0;
}

/* Unmaps a mapping (the fd is not closed), frees the bounce buffer and leaves rb zeroed with
 * fd -1, so closing twice is harmless. */
void ringbuf_close(struct ringbuf *rb)
{
    if (rb->map_len)
        munmap(rb->meta, rb->map_len);
    free(rb->bounce);
    memset(rb, 0, sizeof(*rb));
    rb->fd = -1;
}

/* Snapshots data_head (acquire: record bytes written before it are visible). Returns the number
 * of unread bytes. */
uint64_t ringbuf_begin(struct ringbuf *rb)
{
    rb->head = __atomic_load_n(&rb->meta->data_head, __ATOMIC_ACQUIRE);
    return rb->head - rb->tail;
}

/* Returns the next record of the snapshot or NULL. A contiguous, 8-byte aligned record is
 * returned in place; anything else is copied to the bounce buffer. */
const struct perf_event_header *ringbuf_next(struct ringbuf *rb)
{
    uint64_t avail = rb->head - rb->tail;
    if (avail == 0)
        return NULL;

    struct perf_event_header hdr;
    if (avail < sizeof(hdr) || avail > rb->size)
        goto corrupt;
    ringbuf_copy_out(rb, rb->tail, &hdr, sizeof(hdr));
    if (hdr.size < sizeof(hdr) || hdr.size > avail)
        goto corrupt;

    uint64_t off = rb->tail & (rb->size - 1);
    const void *rec;
    if (off + hdr.size <= rb->size && off % 8 == 0) {
        rec = rb->data + off;
    } else {
        ringbuf_copy_out(rb, rb->tail, rb->bounce, hdr.size);
        rec = rb->bounce;
    }
    rb->tail += hdr.size;
    return rec;

corrupt:
    rb->corrupt++;
    rb->tail = rb->head;
    return NULL;
}

/* Publishes the read position to data_tail (release: our reads of the data happen before the
 * kernel may overwrite it). */
void ringbuf_end(struct ringbuf *rb)
{
    __atomic_store_n(&rb->meta->data_tail, rb->tail, __ATOMIC_RELEASE);
}
