/* records.h - byte-level builders for the unit tests: perf.data records (header, fields, the sample_id_all trailer, samples, COMM/MMAP2/EXIT/FINISHED_ROUND), attributes, fields of byte images, files. */
#ifndef HWPROF_TEST_RECORDS_H
#define HWPROF_TEST_RECORDS_H

#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "perffile.h"

/* ---- fields of a byte image, at a byte offset (little-endian hosts, as perf.data files) ---- */

static inline uint64_t get_u64(const unsigned char *b, size_t off)
{
    uint64_t v;
    memcpy(&v, b + off, 8);
    return v;
}

static inline uint32_t get_u32(const unsigned char *b, size_t off)
{
    uint32_t v;
    memcpy(&v, b + off, 4);
    return v;
}

static inline void put_u64(unsigned char *b, size_t off, uint64_t v)
{
    memcpy(b + off, &v, 8);
}

static inline void put_u32(unsigned char *b, size_t off, uint32_t v)
{
    memcpy(b + off, &v, 4);
}

static inline void put_u16(unsigned char *b, size_t off, uint16_t v)
{
    memcpy(b + off, &v, 2);
}

/* ---- one record: rec_begin, its fields, rec_end ---- */

struct rec {
    _Alignas(8) unsigned char b[4096];
    size_t len;
};

static inline void rec_put(struct rec *r, const void *p, size_t n)
{
    memcpy(r->b + r->len, p, n);
    r->len += n;
}

static inline void rec_u8(struct rec *r, uint8_t v)
{
    rec_put(r, &v, 1);
}

static inline void rec_u16(struct rec *r, uint16_t v)
{
    rec_put(r, &v, 2);
}

static inline void rec_u32(struct rec *r, uint32_t v)
{
    rec_put(r, &v, 4);
}

/* Two u32 fields, as perf pairs them (pid/tid, cpu/res). */
static inline void rec_u32x2(struct rec *r, uint32_t a, uint32_t b)
{
    rec_u32(r, a);
    rec_u32(r, b);
}

static inline void rec_u64(struct rec *r, uint64_t v)
{
    rec_put(r, &v, 8);
}

/* A NUL-terminated string padded with zeros to a multiple of 8 (of the record). */
static inline void rec_str(struct rec *r, const char *s)
{
    rec_put(r, s, strlen(s) + 1);
    while (r->len % 8)
        r->b[r->len++] = 0;
}

/* Starts r afresh with a perf_event_header of TYPE and MISC (its size set by rec_end). The bytes
 * past the record are 0xee, so a decoder that reads past it sees junk, not zeros. */
static inline void rec_begin(struct rec *r, uint32_t type, uint16_t misc)
{
    struct perf_event_header h = {type, misc, 0};
    memset(r->b, 0xee, sizeof(r->b));
    r->len = 0;
    rec_put(r, &h, sizeof(h));
}

/* Sets the header's size to the record's length. Returns that length. */
static inline size_t rec_end(struct rec *r)
{
    put_u16(r->b, 6, (uint16_t)r->len);
    return r->len;
}

/* The sample_id_all trailer of a sample type with TID, TIME, CPU and IDENTIFIER (in that order,
 * as the kernel writes them): pid, tid, time, cpu, reserved, identifier. */
static inline void rec_trailer(struct rec *r, uint32_t pid, uint32_t tid, uint64_t time,
                               uint32_t cpu, uint64_t id)
{
    rec_u32(r, pid);
    rec_u32(r, tid);
    rec_u64(r, time);
    rec_u32(r, cpu);
    rec_u32(r, 0);
    rec_u64(r, id);
}

/* ---- hwprof's sample layout, and side-band records with rec_trailer's trailer ---- */

/* The sample_type hwprof records with (rec_trailer's trailer is its sample_id_all trailer). */
#define REC_ST                                                                                     \
    (PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |                \
     PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN)

/* A REC_ST sample of event ID at IP: pid/tid 77/78, period 1000, callchain user, IP, IP + 0x10. */
static inline void rec_sample(struct rec *r, uint64_t id, uint64_t ip, uint64_t time, uint32_t cpu)
{
    rec_begin(r, PERF_RECORD_SAMPLE, PERF_RECORD_MISC_USER);
    rec_u64(r, id);
    rec_u64(r, ip);
    rec_u32x2(r, 77, 78);
    rec_u64(r, time);
    rec_u32x2(r, cpu, 0);
    rec_u64(r, 1000);
    rec_u64(r, 3); /* callchain */
    rec_u64(r, PERF_CONTEXT_USER);
    rec_u64(r, ip);
    rec_u64(r, ip + 0x10);
    rec_end(r);
}

/* An attribute of TYPE and CONFIG sampling REC_ST every 1000 events, with sample_id_all. */
static inline struct perf_event_attr rec_attr(uint32_t type, uint64_t config)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof(a));
    a.size = sizeof(a);
    a.type = type;
    a.config = config;
    a.sample_period = 1000;
    a.sample_type = REC_ST;
    a.sample_id_all = 1;
    return a;
}

static inline void rec_comm(struct rec *r, uint16_t misc, uint32_t pid, uint32_t tid,
                            const char *comm, uint64_t time, uint32_t cpu, uint64_t id)
{
    rec_begin(r, PERF_RECORD_COMM, misc);
    rec_u32(r, pid);
    rec_u32(r, tid);
    rec_str(r, comm);
    rec_trailer(r, pid, tid, time, cpu, id);
    rec_end(r);
}

/* An executable MAP_PRIVATE MMAP2 of FILE at ADDR; device and inode from ST (all 0 when NULL). */
static inline void rec_mmap2(struct rec *r, uint32_t pid, uint64_t addr, uint64_t len,
                             uint64_t pgoff, const struct stat *st, const char *file, uint64_t time,
                             uint64_t id)
{
    rec_begin(r, PERF_RECORD_MMAP2, PERF_RECORD_MISC_USER);
    rec_u32(r, pid);
    rec_u32(r, pid);
    rec_u64(r, addr);
    rec_u64(r, len);
    rec_u64(r, pgoff);
    rec_u32(r, st ? major(st->st_dev) : 0);
    rec_u32(r, st ? minor(st->st_dev) : 0);
    rec_u64(r, st ? st->st_ino : 0);
    rec_u64(r, 0); /* ino_generation */
    rec_u32(r, PROT_READ | PROT_EXEC);
    rec_u32(r, MAP_PRIVATE);
    rec_str(r, file);
    rec_trailer(r, pid, pid, time, 0, id);
    rec_end(r);
}

/* EXIT of thread TID of process PID (parent PPID, whose thread PTID). */
static inline void rec_exit(struct rec *r, uint32_t pid, uint32_t ppid, uint32_t tid, uint32_t ptid,
                            uint64_t time, uint64_t id)
{
    rec_begin(r, PERF_RECORD_EXIT, 0);
    rec_u32(r, pid);
    rec_u32(r, ppid);
    rec_u32(r, tid);
    rec_u32(r, ptid);
    rec_u64(r, time);
    rec_trailer(r, pid, tid, time, 0, id);
    rec_end(r);
}

static inline void rec_round(struct rec *r)
{
    rec_begin(r, PF_RECORD_FINISHED_ROUND, 0);
    rec_end(r);
}

/* ---- files ---- */

/* Writes N bytes at P to PATH (created or truncated). Returns 0 or -1. */
static inline int write_file(const char *path, const void *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    ssize_t w = n ? write(fd, p, n) : 0;
    close(fd);
    return w == (ssize_t)n ? 0 : -1;
}

/* The contents of PATH in a malloc'd buffer (one byte more, for a NUL), its size in *len; NULL
 * when it cannot be read. */
static inline unsigned char *load_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    unsigned char *p = malloc((size_t)st.st_size + 1);
    if (p && read(fd, p, (size_t)st.st_size) != st.st_size) {
        free(p);
        p = NULL;
    }
    close(fd);
    *len = (size_t)st.st_size;
    return p;
}

#endif
