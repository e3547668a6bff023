/* test-ringbuf.c - ring-buffer reader tests: synthetic kernel-written buffers, one live event. */
#include "check.h"
#include "ringbuf.h"
#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096u
#define DATA 4096u

/* A fake mapping: control page + DATA bytes, written the way the kernel writes it. */
struct fake {
    unsigned char *mem;
    struct perf_event_mmap_page *meta;
    unsigned char *data;
};

static void fake_init(struct fake *f, uint64_t start)
{
    f->mem = aligned_alloc(PAGE, PAGE + DATA);
    if (!f->mem) {
        fprintf(stderr, "test-ringbuf: out of memory\n");
        exit(2);
    }
    memset(f->mem, 0xee, PAGE + DATA);
    f->meta = (struct perf_event_mmap_page *)f->mem;
    memset(f->meta, 0, sizeof(*f->meta));
    f->meta->data_head = start;
    f->meta->data_tail = start;
    f->data = f->mem + PAGE;
}

static void fake_free(struct fake *f)
{
    free(f->mem);
}

static unsigned char pattern(uint32_t seed, size_t i)
{
    return (unsigned char)(seed * 31u + i * 7u + (i >> 8));
}

/* Writes len raw bytes at data_head without publishing them. */
static void fake_put(struct fake *f, uint64_t at, const void *p, size_t len)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < len; i++)
        f->data[(at + i) & (DATA - 1)] = b[i];
}

static void fake_publish(struct fake *f, uint64_t bytes)
{
    __atomic_store_n(&f->meta->data_head, f->meta->data_head + bytes, __ATOMIC_RELEASE);
}

/* Writes one record (header + patterned body) like the kernel: refuses (returns -1) when it
 * would overwrite unread data, i.e. beyond data_tail. */
static int fake_write(struct fake *f, uint32_t type, uint16_t size, uint32_t seed)
{
    uint64_t head = f->meta->data_head;
    uint64_t tail = __atomic_load_n(&f->meta->data_tail, __ATOMIC_ACQUIRE);
    if (head - tail + size > DATA)
        return -1;
    struct perf_event_header h = {.type = type, .misc = (uint16_t)seed, .size = size};
    fake_put(f, head, &h, sizeof(h));
    for (size_t i = sizeof(h); i < size; i++)
        f->data[(head + i) & (DATA - 1)] = pattern(seed, i);
    fake_publish(f, size);
    return 0;
}

/* True when p is the record fake_write(type, size, seed) produced. */
static bool rec_ok(const struct perf_event_header *p, uint32_t type, uint16_t size, uint32_t seed)
{
    if (!p || p->type != type || p->size != size || p->misc != (uint16_t)seed)
        return false;
    const unsigned char *b = (const unsigned char *)p;
    for (size_t i = sizeof(*p); i < size; i++)
        if (b[i] != pattern(seed, i))
            return false;
    return true;
}

static bool in_data(const struct ringbuf *rb, const void *p)
{
    const unsigned char *c = p;
    return c >= rb->data && c < rb->data + rb->size;
}

static void test_empty(void)
{
    struct fake f;
    struct ringbuf rb;
    fake_init(&f, 0);
    CHECK(ringbuf_init_mem(&rb, f.mem, PAGE, DATA) == 0);
    CHECK_EQ_U64(rb.size, DATA);
    CHECK(rb.data == f.mem + PAGE);
    CHECK(rb.fd == -1);
    CHECK_EQ_U64(ringbuf_begin(&rb), 0);
    CHECK(ringbuf_next(&rb) == NULL);
    ringbuf_end(&rb);
    CHECK_EQ_U64(f.meta->data_tail, 0);
    CHECK_EQ_U64(rb.corrupt, 0);
    ringbuf_close(&rb);
    CHECK(rb.bounce == NULL && rb.meta == NULL && rb.fd == -1);
    ringbuf_close(&rb); /* twice is harmless */
    fake_free(&f);

    /* init_mem rejects a data size that is not a power of two */
    fake_init(&f, 0);
    CHECK(ringbuf_init_mem(&rb, f.mem, PAGE, 3000) == -1);
    ringbuf_close(&rb);
    fake_free(&f);
}

static void test_several(void)
{
    struct fake f;
    struct ringbuf rb;
    fake_init(&f, 0);
    CHECK(ringbuf_init_mem(&rb, f.mem, PAGE, DATA) == 0);
    CHECK(fake_write(&f, PERF_RECORD_SAMPLE, 16, 1) == 0);
    CHECK(fake_write(&f, PERF_RECORD_MMAP2, 120, 2) == 0);
    CHECK(fake_write(&f, PERF_RECORD_COMM, 8, 3) == 0);
    CHECK(fake_write(&f, PERF_RECORD_LOST, 24, 4) == 0);

    CHECK_EQ_U64(ringbuf_begin(&rb), 16 + 120 + 8 + 24);
    /* records written after the snapshot are not seen until the next begin */
    CHECK(fake_write(&f, PERF_RECORD_EXIT, 40, 5) == 0);

    const struct perf_event_header *p;
    uint64_t expect_off[] = {0, 16, 136, 144};
    uint32_t types[] = {PERF_RECORD_SAMPLE, PERF_RECORD_MMAP2, PERF_RECORD_COMM, PERF_RECORD_LOST};
    uint16_t sizes[] = {16, 120, 8, 24};
    for (unsigned i = 0; i < 4; i++) {
        p = ringbuf_next(&rb);
        CHECK(rec_ok(p, types[i], sizes[i], i + 1));
        /* contiguous records are not copied */
        CHECK(p == (const void *)(f.data + expect_off[i]));
        CHECK(in_data(&rb, p));
    }
    CHECK(ringbuf_next(&rb) == NULL);
    CHECK_EQ_U64(ringbuf_begin(&rb), 40);
    p = ringbuf_next(&rb);
    CHECK(rec_ok(p, PERF_RECORD_EXIT, 40, 5));
    CHECK(p == (const void *)(f.data + 168));
    CHECK(ringbuf_next(&rb) == NULL);
    ringbuf_end(&rb);
    CHECK_EQ_U64(f.meta->data_tail, 208);
    CHECK_EQ_U64(rb.corrupt, 0);
    ringbuf_close(&rb);
    fake_free(&f);
}

/* Writes and consumes filler so that the next record starts at ring offset off. */
static void advance_to(struct fake *f, struct ringbuf *rb, uint64_t off)
{
    while ((f->meta->data_head & (DATA - 1)) != off) {
        uint64_t cur = f->meta->data_head & (DATA - 1);
        uint64_t gap = (off - cur) & (DATA - 1);
        uint16_t n = gap > 2048 ? 2048 : (uint16_t)gap;
        if (n < 8)
            n = (uint16_t)(gap + 8 * 64 > 2048 ? 2048 : gap + 8 * 64);
        bool ok = fake_write(f, 99, n, 0) == 0;
        ringbuf_begin(rb);
        ok = ok && rec_ok(ringbuf_next(rb), 99, n, 0);
        ringbuf_end(rb);
        CHECK(ok);
        if (!ok)
            return; /* the reader is broken; do not loop forever */
    }
}

static void test_body_wraps(void)
{
    struct fake f;
    struct ringbuf rb;
    fake_init(&f, 0);
    CHECK(ringbuf_init_mem(&rb, f.mem, PAGE, DATA) == 0);
    advance_to(&f, &rb, DATA - 16);
    CHECK(fake_write(&f, PERF_RECORD_SAMPLE, 48, 7) == 0);
    CHECK(fake_write(&f, PERF_RECORD_SAMPLE, 32, 8) == 0);
    CHECK_EQ_U64(ringbuf_begin(&rb), 80);
    const struct perf_event_header *p = ringbuf_next(&rb);
    CHECK(rec_ok(p, PERF_RECORD_SAMPLE, 48, 7));
    CHECK(p == (const void *)rb.bounce);
    /* the record after it starts at offset 32 of the data area: direct again */
    p = ringbuf_next(&rb);
    CHECK(rec_ok(p, PERF_RECORD_SAMPLE, 32, 8));
    CHECK(p == (const void *)(f.data + 32));
    CHECK(ringbuf_next(&rb) == NULL);
    ringbuf_end(&rb);
    CHECK_EQ_U64(f.meta->data_tail, f.meta->data_head);
    CHECK_EQ_U64(f.meta->data_tail & (DATA - 1), 64);
    CHECK_EQ_U64(rb.corrupt, 0);

    /* a record ending exactly at the end of the data area is contiguous */
    advance_to(&f, &rb, DATA - 24);
    CHECK(fake_write(&f, PERF_RECORD_SAMPLE, 24, 9) == 0);
    ringbuf_begin(&rb);
    p = ringbuf_next(&rb);
    CHECK(rec_ok(p, PERF_RECORD_SAMPLE, 24, 9));
    CHECK(p == (const void *)(f.data + DATA - 24));
    ringbuf_end(&rb);
    ringbuf_close(&rb);
    fake_free(&f);
}

static void test_header_wraps(void)
{
    struct fake f;
    struct ringbuf rb;
    fake_init(&f, 0);
    CHECK(ringbuf_init_mem(&rb, f.mem, PAGE, DATA) == 0);
    /* odd-sized filler (the kernel never does this) puts the header across the end */
    advance_to(&f, &rb, DATA - 4);
    CHECK(fake_write(&f, PERF_RECORD_SAMPLE, 40, 11) == 0);
    CHECK(fake_write(&f, PERF_RECORD_SAMPLE, 16, 12) == 0); /* at offset 36: unaligned */
    CHECK_EQ_U64(ringbuf_begin(&rb), 56);
    const struct perf_event_header *p = ringbuf_next(&rb);
    CHECK(rec_ok(p, PERF_RECORD_SAMPLE, 40, 11));
    CHECK(p == (const void *)rb.bounce);
    p = ringbuf_next(&rb);
    CHECK(rec_ok(p, PERF_RECORD_SAMPLE, 16, 12));
    CHECK(((uintptr_t)p & 7) == 0); /* unaligned records are handed out aligned (copied) */
    CHECK(ringbuf_next(&rb) == NULL);
    ringbuf_end(&rb);
    CHECK_EQ_U64(f.meta->data_tail, f.meta->data_head);
    CHECK_EQ_U64(rb.corrupt, 0);

    /* header split at every possible point */
    for (unsigned cut = 1; cut < 8; cut++) {
        advance_to(&f, &rb, DATA - cut);
        CHECK(fake_write(&f, PERF_RECORD_COMM, 64, 20 + cut) == 0);
        CHECK_EQ_U64(ringbuf_begin(&rb), 64);
        CHECK(rec_ok(ringbuf_next(&rb), PERF_RECORD_COMM, 64, 20 + cut));
        CHECK(ringbuf_next(&rb) == NULL);
        ringbuf_end(&rb);
    }
    CHECK_EQ_U64(rb.corrupt, 0);
    ringbuf_close(&rb);
    fake_free(&f);
}

/* Many laps around the buffer with varying record sizes and batch sizes, starting at start. */
static void run_laps(uint64_t start)
{
    struct fake f;
    struct ringbuf rb;
    fake_init(&f, start);
    CHECK(ringbuf_init_mem(&rb, f.mem, PAGE, DATA) == 0);
    uint32_t wseq = 0, rseq = 0, bad = 0, bounced = 0, direct_bad = 0;
    uint64_t rng = 88172645463325252ull, written = 0;
    for (unsigned iter = 0; iter < 5000; iter++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        unsigned batch = 1 + (unsigned)(rng % 12);
        for (unsigned k = 0; k < batch; k++) {
            /* sizes 8..1024, multiples of 8 like the kernel's */
            uint16_t size = (uint16_t)(8 * (1 + (rng >> (8 + k)) % 128));
            if (fake_write(&f, PERF_RECORD_SAMPLE, size, wseq) < 0)
                break;
            wseq++;
            written += size;
        }
        uint64_t avail = ringbuf_begin(&rb);
        if (avail != f.meta->data_head - rb.tail)
            bad++;
        const struct perf_event_header *p;
        /* sometimes leave records unread for the next round */
        unsigned limit = (iter % 3 == 0) ? 2 : 1000;
        for (unsigned n = 0; n < limit && (p = ringbuf_next(&rb)); n++) {
            if (p->misc != (uint16_t)rseq || !rec_ok(p, PERF_RECORD_SAMPLE, p->size, rseq))
                bad++;
            if (p == (const void *)rb.bounce)
                bounced++;
            else if (!in_data(&rb, p))
                direct_bad++;
            rseq++;
        }
        ringbuf_end(&rb);
        if (f.meta->data_tail != rb.tail)
            bad++;
    }
    ringbuf_begin(&rb);
    while (ringbuf_next(&rb))
        rseq++;
    ringbuf_end(&rb);
    CHECK_EQ_U64(bad, 0);
    CHECK_EQ_U64(direct_bad, 0);
    CHECK_EQ_U64(rseq, wseq);
    CHECK(bounced > 0);
    CHECK(written > 100 * (uint64_t)DATA);
    CHECK_EQ_U64(f.meta->data_tail - start, written);
    CHECK_EQ_U64(f.meta->data_head, f.meta->data_tail);
    CHECK_EQ_U64(rb.corrupt, 0);
    ringbuf_close(&rb);
    fake_free(&f);
}

static void test_head_wraps(void)
{
    run_laps(0);
    /* the 64-bit positions themselves overflow during the run */
    run_laps(UINT64_MAX - 10 * DATA + 1);
}

static void test_tail_publish(void)
{
    struct fake f;
    struct ringbuf rb;
    fake_init(&f, 0);
    CHECK(ringbuf_init_mem(&rb, f.mem, PAGE, DATA) == 0);
    CHECK(fake_write(&f, PERF_RECORD_SAMPLE, 32, 1) == 0);
    CHECK(fake_write(&f, PERF_RECORD_SAMPLE, 64, 2) == 0);
    CHECK(fake_write(&f, PERF_RECORD_SAMPLE, 16, 3) == 0);
    ringbuf_begin(&rb);
    CHECK(rec_ok(ringbuf_next(&rb), PERF_RECORD_SAMPLE, 32, 1));
    CHECK_EQ_U64(f.meta->data_tail, 0); /* not yet published */
    ringbuf_end(&rb);
    CHECK_EQ_U64(f.meta->data_tail, 32);
    CHECK(rec_ok(ringbuf_next(&rb), PERF_RECORD_SAMPLE, 64, 2));
    CHECK(rec_ok(ringbuf_next(&rb), PERF_RECORD_SAMPLE, 16, 3));
    CHECK(ringbuf_next(&rb) == NULL);
    CHECK_EQ_U64(f.meta->data_tail, 32);
    ringbuf_end(&rb);
    CHECK_EQ_U64(f.meta->data_tail, 112);

    /* fill the buffer: the writer must stop until the reader publishes its tail */
    unsigned n = 0;
    while (fake_write(&f, PERF_RECORD_SAMPLE, 256, 100 + n) == 0)
        n++;
    CHECK_EQ_U64(n, DATA / 256);
    CHECK_EQ_U64(ringbuf_begin(&rb), DATA);
    for (unsigned i = 0; i < n; i++)
        CHECK(rec_ok(ringbuf_next(&rb), PERF_RECORD_SAMPLE, 256, 100 + i));
    CHECK(fake_write(&f, PERF_RECORD_SAMPLE, 256, 999) == -1); /* read but not released */
    ringbuf_end(&rb);
    CHECK_EQ_U64(f.meta->data_tail, 112 + DATA);
    CHECK(fake_write(&f, PERF_RECORD_SAMPLE, 256, 999) == 0);
    ringbuf_close(&rb);
    fake_free(&f);
}

static void test_corrupt(void)
{
    struct fake f;
    struct ringbuf rb;
    struct perf_event_header h;

    /* size 0 after a good record */
    fake_init(&f, 0);
    CHECK(ringbuf_init_mem(&rb, f.mem, PAGE, DATA) == 0);
    CHECK(fake_write(&f, PERF_RECORD_SAMPLE, 24, 1) == 0);
    h = (struct perf_event_header){.type = PERF_RECORD_SAMPLE, .size = 0};
    fake_put(&f, f.meta->data_head, &h, sizeof(h));
    fake_publish(&f, 64);
    CHECK(fake_write(&f, PERF_RECORD_SAMPLE, 24, 2) == 0);
    CHECK_EQ_U64(ringbuf_begin(&rb), 24 + 64 + 24);
    CHECK(rec_ok(ringbuf_next(&rb), PERF_RECORD_SAMPLE, 24, 1));
    CHECK(ringbuf_next(&rb) == NULL);
    CHECK_EQ_U64(rb.corrupt, 1);
    CHECK_EQ_U64(rb.tail, rb.head);
    CHECK(ringbuf_next(&rb) == NULL);
    CHECK_EQ_U64(rb.corrupt, 1);
    ringbuf_end(&rb);
    CHECK_EQ_U64(f.meta->data_tail, 112); /* the rest of the snapshot is skipped */
    /* reading resumes with the next snapshot */
    CHECK(fake_write(&f, PERF_RECORD_SAMPLE, 32, 3) == 0);
    CHECK_EQ_U64(ringbuf_begin(&rb), 32);
    CHECK(rec_ok(ringbuf_next(&rb), PERF_RECORD_SAMPLE, 32, 3));
    ringbuf_close(&rb);
    fake_free(&f);

    /* size below the header size */
    fake_init(&f, 0);
    CHECK(ringbuf_init_mem(&rb, f.mem, PAGE, DATA) == 0);
    h = (struct perf_event_header){.type = PERF_RECORD_SAMPLE, .size = 4};
    fake_put(&f, 0, &h, sizeof(h));
    fake_publish(&f, 16);
    ringbuf_begin(&rb);
    CHECK(ringbuf_next(&rb) == NULL);
    CHECK_EQ_U64(rb.corrupt, 1);
    ringbuf_close(&rb);
    fake_free(&f);

    /* size larger than what the kernel published */
    fake_init(&f, 0);
    CHECK(ringbuf_init_mem(&rb, f.mem, PAGE, DATA) == 0);
    h = (struct perf_event_header){.type = PERF_RECORD_SAMPLE, .size = 100};
    fake_put(&f, 0, &h, sizeof(h));
    fake_publish(&f, 16);
    CHECK_EQ_U64(ringbuf_begin(&rb), 16);
    CHECK(ringbuf_next(&rb) == NULL);
    CHECK_EQ_U64(rb.corrupt, 1);
    CHECK_EQ_U64(rb.tail, 16);
    ringbuf_close(&rb);
    fake_free(&f);

    /* data_head more than the buffer size ahead of us: the data cannot be trusted */
    fake_init(&f, 0);
    CHECK(ringbuf_init_mem(&rb, f.mem, PAGE, DATA) == 0);
    CHECK(fake_write(&f, PERF_RECORD_SAMPLE, 24, 1) == 0);
    fake_publish(&f, 2 * DATA);
    CHECK_EQ_U64(ringbuf_begin(&rb), 2 * DATA + 24);
    CHECK(ringbuf_next(&rb) == NULL);
    CHECK_EQ_U64(rb.corrupt, 1);
    CHECK_EQ_U64(rb.tail, 2 * DATA + 24);
    ringbuf_close(&rb);
    fake_free(&f);

    /* fewer unread bytes than a header */
    fake_init(&f, 0);
    CHECK(ringbuf_init_mem(&rb, f.mem, PAGE, DATA) == 0);
    fake_publish(&f, 4);
    ringbuf_begin(&rb);
    CHECK(ringbuf_next(&rb) == NULL);
    CHECK_EQ_U64(rb.corrupt, 1);
    ringbuf_close(&rb);
    fake_free(&f);
}

static void test_mmap_errors(void)
{
    struct ringbuf rb;
    struct hw_err err = {""};
    CHECK(ringbuf_mmap(&rb, -1, 3, &err) == -1);
    CHECK(strstr(err.msg, "power of two") != NULL);
    CHECK(rb.fd == -1 && rb.bounce == NULL);
    err.msg[0] = 0;
    CHECK(ringbuf_mmap(&rb, -1, 0, &err) == -1);
    CHECK(strstr(err.msg, "power of two") != NULL);
    err.msg[0] = 0;
    CHECK(ringbuf_mmap(&rb, -1, 2, &err) == -1);
    CHECK(strstr(err.msg, "Bad file descriptor") != NULL);
    CHECK(strchr(err.msg, '\n') == NULL);
    ringbuf_close(&rb);
}

static void spin_ms(unsigned ms)
{
    uint64_t end = hw_now_ns() + (uint64_t)ms * 1000000u;
    volatile uint64_t x = 0;
    while (hw_now_ns() < end)
        for (unsigned i = 0; i < 10000; i++)
            x += i;
}

static unsigned drain(struct ringbuf *rb, unsigned *samples, unsigned *others)
{
    unsigned mine = 0;
    const struct perf_event_header *p;
    ringbuf_begin(rb);
    while ((p = ringbuf_next(rb))) {
        if (p->type != PERF_RECORD_SAMPLE) {
            (*others)++;
            continue;
        }
        (*samples)++;
        uint32_t pid, tid;
        if (p->size >= sizeof(*p) + 16) {
            memcpy(&pid, (const char *)(p + 1) + 8, 4);
            memcpy(&tid, (const char *)(p + 1) + 12, 4);
            if (pid == (uint32_t)getpid() && tid == (uint32_t)gettid())
                mine++;
        }
    }
    ringbuf_end(rb);
    return mine;
}

static void test_live(void)
{
    const char *req = getenv("HWPROF_REQUIRE_PERF");
    bool require = req && strcmp(req, "1") == 0;
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.size = sizeof(attr);
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_CPU_CLOCK;
    attr.sample_period = 100000;
    attr.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID;
    attr.disabled = 1;
    attr.exclude_kernel = 1;
    int fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
    if (fd < 0) {
        int e = errno;
        if ((e == EACCES || e == EPERM || e == ENOSYS) && !require) {
            printf("test-ringbuf: note: perf_event_open refused (%s); live test skipped\n",
                   strerror(e));
            return;
        }
        fprintf(stderr, "test-ringbuf: perf_event_open(cpu-clock) failed: %s\n", strerror(e));
        CHECK(fd >= 0);
        return;
    }

    struct ringbuf rb;
    struct hw_err err = {""};
    long ps = sysconf(_SC_PAGESIZE);
    if (ringbuf_mmap(&rb, fd, 8, &err) < 0) {
        fprintf(stderr, "test-ringbuf: %s\n", err.msg);
        CHECK(0);
        close(fd);
        return;
    }
    CHECK_EQ_U64(rb.size, 8 * (uint64_t)ps);
    CHECK(rb.data == (unsigned char *)rb.meta + ps);
    CHECK_EQ_U64(rb.map_len, 9 * (uint64_t)ps);
    CHECK(rb.fd == fd);

    unsigned samples = 0, others = 0, mine = 0;
    CHECK(ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) == 0);
    for (int i = 0; i < 10; i++) {
        spin_ms(5);
        mine += drain(&rb, &samples, &others);
    }
    CHECK(ioctl(fd, PERF_EVENT_IOC_DISABLE, 0) == 0);
    mine += drain(&rb, &samples, &others);
    CHECK(mine >= 1);
    CHECK_EQ_U64(mine, samples);
    CHECK_EQ_U64(rb.corrupt, 0);
    CHECK_EQ_U64(rb.meta->data_tail, rb.meta->data_head);
    printf("test-ringbuf: live: %u samples, %u other records\n", samples, others);
    ringbuf_close(&rb);
    close(fd);
}

int main(void)
{
    test_empty();
    test_several();
    test_body_wraps();
    test_header_wraps();
    test_head_wraps();
    test_tail_publish();
    test_corrupt();
    test_mmap_errors();
    test_live();
    return check_done("test-ringbuf");
}
