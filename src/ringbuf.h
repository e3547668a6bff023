/* ringbuf.h - read perf_event mmap ring buffers: begin, next record, end (wrapped records copied to a bounce buffer). */
#ifndef HWPROF_RINGBUF_H
#define HWPROF_RINGBUF_H

#include <linux/perf_event.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct ringbuf {
    int fd;                          /* the perf event fd it is mapped from, or -1 (test memory) */
    struct perf_event_mmap_page *meta; /* the control page */
    size_t map_len;                  /* bytes mmapped (0 for test memory) */
    unsigned char *data;             /* start of the data area */
    uint64_t size;                   /* data area size, a power of two */
    uint64_t head;                   /* data_head snapshot taken by ringbuf_begin */
    uint64_t tail;                   /* our read position */
    unsigned char *bounce;           /* holds a record that wraps around the end (64 KiB) */
    uint64_t corrupt;                /* number of times a malformed header stopped reading */
};

/* mmaps 1 + data_pages pages (data_pages a power of two) of fd read-write, so the kernel respects
 * data_tail and reports LOST instead of overwriting. Returns 0 or -1 with err (EPERM/ENOMEM advice:
 * perf_event_mlock_kb). */
int ringbuf_mmap(struct ringbuf *rb, int fd, unsigned data_pages, struct hw_err *err);

/* Uses caller memory laid out like a mapping (a control page of page_size bytes followed by
 * data_size bytes, data_size a power of two); for tests. Returns 0 or -1 (out of memory). */
int ringbuf_init_mem(struct ringbuf *rb, void *mem, size_t page_size, size_t data_size);

/* Unmaps (or forgets test memory) and frees the bounce buffer. */
void ringbuf_close(struct ringbuf *rb);

/* Takes a snapshot of data_head (acquire). Returns the number of unread bytes. */
uint64_t ringbuf_begin(struct ringbuf *rb);

/* Returns the next record of the snapshot, or NULL when none is left. The pointer stays valid
 * until the next call to ringbuf_next or ringbuf_end. A header with size < 8 or larger than the
 * unread bytes counts as corruption: reading stops, the rest of the snapshot is skipped. */
const struct perf_event_header *ringbuf_next(struct ringbuf *rb);

/* Publishes the read position to data_tail (release), letting the kernel reuse the space. */
void ringbuf_end(struct ringbuf *rb);

#endif
