/* test-decode.c - decode.c on hand-built records: layouts, truncations, hostile counts. */
#include "check.h"
#include "decode.h"
#include "perf_regs.h"

#include <stdbool.h>
#include <stdlib.h>

/* ---- a little record writer ---- */

struct wr {
    _Alignas(8) unsigned char b[4096];
    size_t n;
};

static void wr_bytes(struct wr *w, const void *p, size_t n)
{
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static void wr_u8(struct wr *w, uint8_t v)
{
    wr_bytes(w, &v, 1);
}

static void wr_u16(struct wr *w, uint16_t v)
{
    wr_bytes(w, &v, 2);
}

static void wr_u32(struct wr *w, uint32_t v)
{
    wr_bytes(w, &v, 4);
}

static void wr_u64(struct wr *w, uint64_t v)
{
    wr_bytes(w, &v, 8);
}

static void wr_u32x2(struct wr *w, uint32_t a, uint32_t b)
{
    wr_u32(w, a);
    wr_u32(w, b);
}

/* Starts a record; header.size is filled in by wr_end. */
static void wr_hdr(struct wr *w, uint32_t type, uint16_t misc)
{
    memset(w->b, 0xee, sizeof(w->b));
    w->n = 0;
    wr_u32(w, type);
    wr_u16(w, misc);
    wr_u16(w, 0);
}

/* A string with its NUL, padded with NULs to 8 bytes, as the kernel writes it. */
static void wr_str(struct wr *w, const char *s)
{
    wr_bytes(w, s, strlen(s) + 1);
    while (w->n % 8)
        wr_u8(w, 0);
}

static size_t wr_end(struct wr *w)
{
    uint16_t size = (uint16_t)w->n;
    memcpy(w->b + 6, &size, 2);
    return w->n;
}

/* A heap copy of exactly n bytes, so ASan catches any read past n. */
static void *dup_n(const void *p, size_t n)
{
    void *q = malloc(n ? n : 1);
    if (!q) {
        perror("malloc");
        exit(2);
    }
    memcpy(q, p, n);
    return q;
}

static bool one_line(const struct hw_err *err)
{
    return err->msg[0] && !strchr(err->msg, '\n');
}

static struct dec_format fmt_of(uint64_t st, uint64_t rf, bool id_all)
{
    struct dec_format f = {.sample_type = st, .read_format = rf, .sample_id_all = id_all};
    return f;
}

/* Every strict prefix of a sample must be rejected with a one-line error and must not over-read. */
static void check_sample_truncations(const struct dec_format *f, const struct wr *w, size_t full)
{
    struct dec_sample *s = malloc(sizeof(*s));
    int bad = 0, badmsg = 0;
    for (size_t len = 0; len < full; len++) {
        void *p = dup_n(w->b, len);
        struct hw_err err = {{0}};
        if (dec_sample(f, p, len, s, &err) != -1)
            bad++;
        else if (!one_line(&err))
            badmsg++;
        free(p);
    }
    CHECK_EQ_U64(bad, 0);
    CHECK_EQ_U64(badmsg, 0);
    free(s);
}

/* dec_record_id on each prefix: -1 exactly when the id word is not within the prefix. */
static void check_sample_id_truncations(const struct dec_format *f, const struct wr *w, size_t full,
                                        size_t id_off, uint64_t id)
{
    int bad = 0;
    for (size_t len = 0; len < full; len++) {
        void *p = dup_n(w->b, len);
        uint64_t got = 0;
        int rc = dec_record_id(f, p, len, &got);
        if (len < id_off + 8 ? rc != -1 : (rc != 0 || got != id))
            bad++;
        free(p);
    }
    CHECK_EQ_U64(bad, 0);
}

/* ---- samples ---- */

/* hwprof's own format: IDENTIFIER|IP|TID|TIME|CPU|PERIOD|CALLCHAIN. */
static void test_hwprof_sample(void)
{
    struct dec_format f =
        fmt_of(PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
                   PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN,
               0, true);
    struct wr w;
    wr_hdr(&w, PERF_RECORD_SAMPLE, PERF_RECORD_MISC_USER);
    wr_u64(&w, 0x1234);          /* identifier */
    wr_u64(&w, 0x401000);        /* ip */
    wr_u32x2(&w, 4242, 4243);    /* pid, tid */
    wr_u64(&w, 123456789);       /* time */
    wr_u32x2(&w, 1, 0xdeadbeef); /* cpu, res */
    wr_u64(&w, 1000000);         /* period */
    wr_u64(&w, 4);               /* callchain nr */
    wr_u64(&w, (uint64_t)PERF_CONTEXT_USER);
    wr_u64(&w, 0x401000);
    wr_u64(&w, 0x401234);
    wr_u64(&w, 0x7f0000001000);
    size_t full = wr_end(&w);

    struct dec_sample *s = malloc(sizeof(*s));
    struct hw_err err = {{0}};
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->misc, PERF_RECORD_MISC_USER);
    CHECK_EQ_U64(s->id, 0x1234);
    CHECK_EQ_U64(s->ip, 0x401000);
    CHECK_EQ_U64(s->pid, 4242);
    CHECK_EQ_U64(s->tid, 4243);
    CHECK_EQ_U64(s->time, 123456789);
    CHECK_EQ_U64(s->cpu, 1);
    CHECK_EQ_U64(s->period, 1000000);
    CHECK_EQ_U64(s->addr, 0);
    CHECK_EQ_U64(s->nr_values, 0);
    CHECK_EQ_U64(s->nr_callchain, 4);
    CHECK(s->callchain == (const uint64_t *)(const void *)(w.b + 8 + 6 * 8 + 8));
    CHECK_EQ_U64(s->callchain[0], (uint64_t)PERF_CONTEXT_USER);
    CHECK_EQ_U64(s->callchain[3], 0x7f0000001000);

    uint64_t id = 0;
    CHECK_EQ_U64(dec_record_id(&f, w.b, full, &id), 0);
    CHECK_EQ_U64(id, 0x1234);

    check_sample_truncations(&f, &w, full);
    check_sample_id_truncations(&f, &w, full, 8, 0x1234);

    /* Bytes after the callchain (e.g. a field hwprof does not decode) are ignored. */
    wr_u64(&w, 99);
    size_t longer = wr_end(&w);
    CHECK_EQ_U64(dec_sample(&f, w.b, longer, s, &err), 0);
    CHECK_EQ_U64(s->nr_callchain, 4);

    /* A side-band record passed as a sample is refused. */
    uint32_t t = PERF_RECORD_COMM;
    memcpy(w.b, &t, 4);
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), (uint64_t)-1);
    CHECK(one_line(&err));
    free(s);
}

/* perf record -g: IP|TID|TIME|CALLCHAIN|PERIOD (PERIOD comes before CALLCHAIN in the layout). */
static void test_perf_g_sample(void)
{
    struct dec_format f = fmt_of(PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
                                     PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_PERIOD,
                                 0, false);
    struct wr w;
    wr_hdr(&w, PERF_RECORD_SAMPLE, PERF_RECORD_MISC_KERNEL);
    wr_u64(&w, 0xffffffff81000010ULL);
    wr_u32x2(&w, 7, 8);
    wr_u64(&w, 55);
    wr_u64(&w, 4000);
    wr_u64(&w, 2);
    wr_u64(&w, (uint64_t)PERF_CONTEXT_KERNEL);
    wr_u64(&w, 0xffffffff81000010ULL);
    size_t full = wr_end(&w);

    struct dec_sample *s = malloc(sizeof(*s));
    struct hw_err err = {{0}};
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->misc & PERF_RECORD_MISC_CPUMODE_MASK, PERF_RECORD_MISC_KERNEL);
    CHECK_EQ_U64(s->ip, 0xffffffff81000010ULL);
    CHECK_EQ_U64(s->pid, 7);
    CHECK_EQ_U64(s->tid, 8);
    CHECK_EQ_U64(s->time, 55);
    CHECK_EQ_U64(s->period, 4000);
    CHECK_EQ_U64(s->id, 0);
    CHECK_EQ_U64(s->nr_callchain, 2);
    CHECK_EQ_U64(s->callchain[1], 0xffffffff81000010ULL);

    uint64_t id = 77;
    CHECK_EQ_U64(dec_record_id(&f, w.b, full, &id), 1);
    CHECK_EQ_U64(id, 77);
    check_sample_truncations(&f, &w, full);

    /* An empty callchain is valid and leaves callchain NULL. */
    wr_hdr(&w, PERF_RECORD_SAMPLE, 0);
    wr_u64(&w, 1);
    wr_u32x2(&w, 1, 1);
    wr_u64(&w, 2);
    wr_u64(&w, 3);
    wr_u64(&w, 0);
    full = wr_end(&w);
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->nr_callchain, 0);
    CHECK(s->callchain == NULL);
    free(s);
}

/* perf record with several events: IP|TID|TIME|ID|CPU|PERIOD, id found at a computed offset. */
static void test_perf_multi_sample(void)
{
    struct dec_format f = fmt_of(PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
                                     PERF_SAMPLE_ID | PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD,
                                 0, true);
    struct wr w;
    wr_hdr(&w, PERF_RECORD_SAMPLE, PERF_RECORD_MISC_USER);
    wr_u64(&w, 0x1111);
    wr_u32x2(&w, 10, 11);
    wr_u64(&w, 999);
    wr_u64(&w, 0xabcdef); /* id */
    wr_u32x2(&w, 3, 0);
    wr_u64(&w, 1);
    size_t full = wr_end(&w);

    struct dec_sample *s = malloc(sizeof(*s));
    struct hw_err err = {{0}};
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->id, 0xabcdef);
    CHECK_EQ_U64(s->cpu, 3);
    CHECK_EQ_U64(s->period, 1);
    uint64_t id = 0;
    CHECK_EQ_U64(dec_record_id(&f, w.b, full, &id), 0);
    CHECK_EQ_U64(id, 0xabcdef);
    check_sample_truncations(&f, &w, full);
    check_sample_id_truncations(&f, &w, full, 32, 0xabcdef);

    /* Without a callchain nothing needs alignment: decoding works at an odd address. */
    unsigned char *odd = malloc(full + 1);
    memcpy(odd + 1, w.b, full);
    CHECK_EQ_U64(dec_sample(&f, odd + 1, full, s, &err), 0);
    CHECK_EQ_U64(s->id, 0xabcdef);
    CHECK_EQ_U64(s->time, 999);
    CHECK_EQ_U64(dec_record_id(&f, odd + 1, full, &id), 0);
    CHECK_EQ_U64(id, 0xabcdef);
    free(odd);

    /* ADDR and STREAM_ID move the fields after them. */
    f = fmt_of(PERF_SAMPLE_IP | PERF_SAMPLE_ADDR | PERF_SAMPLE_ID | PERF_SAMPLE_STREAM_ID, 0,
               false);
    wr_hdr(&w, PERF_RECORD_SAMPLE, 0);
    wr_u64(&w, 1);
    wr_u64(&w, 0xadd);
    wr_u64(&w, 5);
    wr_u64(&w, 6);
    full = wr_end(&w);
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->addr, 0xadd);
    CHECK_EQ_U64(s->id, 5);
    CHECK_EQ_U64(s->stream_id, 6);
    CHECK_EQ_U64(dec_record_id(&f, w.b, full, &id), 0);
    CHECK_EQ_U64(id, 5);
    free(s);
}

/* PERF_SAMPLE_READ in group and non-group form, followed by a callchain. */
static void test_read_formats(void)
{
    struct dec_sample *s = malloc(sizeof(*s));
    struct hw_err err = {{0}};
    struct wr w;
    uint64_t st = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_READ | PERF_SAMPLE_CALLCHAIN;

    /* GROUP|ID */
    struct dec_format f = fmt_of(st, PERF_FORMAT_GROUP | PERF_FORMAT_ID, false);
    wr_hdr(&w, PERF_RECORD_SAMPLE, 0);
    wr_u64(&w, 0x10);
    wr_u32x2(&w, 1, 2);
    wr_u64(&w, 3); /* nr */
    for (int i = 0; i < 3; i++) {
        wr_u64(&w, 100 + i);
        wr_u64(&w, 200 + i);
    }
    wr_u64(&w, 1);
    wr_u64(&w, 0x10);
    size_t full = wr_end(&w);
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->nr_values, 3);
    CHECK_EQ_U64(s->values[0].value, 100);
    CHECK_EQ_U64(s->values[2].value, 102);
    CHECK_EQ_U64(s->values[2].id, 202);
    CHECK_EQ_U64(s->values[1].lost, 0);
    CHECK_EQ_U64(s->time_enabled, 0);
    CHECK_EQ_U64(s->nr_callchain, 1);
    CHECK_EQ_U64(s->callchain[0], 0x10);
    check_sample_truncations(&f, &w, full);

    /* GROUP|ID|TOTAL_TIME_ENABLED|TOTAL_TIME_RUNNING */
    f = fmt_of(st,
               PERF_FORMAT_GROUP | PERF_FORMAT_ID | PERF_FORMAT_TOTAL_TIME_ENABLED |
                   PERF_FORMAT_TOTAL_TIME_RUNNING,
               false);
    wr_hdr(&w, PERF_RECORD_SAMPLE, 0);
    wr_u64(&w, 0x10);
    wr_u32x2(&w, 1, 2);
    wr_u64(&w, 2);    /* nr */
    wr_u64(&w, 5000); /* enabled */
    wr_u64(&w, 2500); /* running */
    wr_u64(&w, 7);
    wr_u64(&w, 70);
    wr_u64(&w, 8);
    wr_u64(&w, 80);
    wr_u64(&w, 0); /* callchain nr */
    full = wr_end(&w);
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->time_enabled, 5000);
    CHECK_EQ_U64(s->time_running, 2500);
    CHECK_EQ_U64(s->nr_values, 2);
    CHECK_EQ_U64(s->values[0].value, 7);
    CHECK_EQ_U64(s->values[0].id, 70);
    CHECK_EQ_U64(s->values[1].value, 8);
    CHECK_EQ_U64(s->values[1].id, 80);
    CHECK_EQ_U64(s->nr_callchain, 0);
    check_sample_truncations(&f, &w, full);

    /* GROUP|LOST without ID */
    f = fmt_of(st, PERF_FORMAT_GROUP | PERF_FORMAT_LOST, false);
    wr_hdr(&w, PERF_RECORD_SAMPLE, 0);
    wr_u64(&w, 0x10);
    wr_u32x2(&w, 1, 2);
    wr_u64(&w, 1);
    wr_u64(&w, 9);
    wr_u64(&w, 4); /* lost */
    wr_u64(&w, 0);
    full = wr_end(&w);
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->nr_values, 1);
    CHECK_EQ_U64(s->values[0].value, 9);
    CHECK_EQ_U64(s->values[0].id, 0);
    CHECK_EQ_U64(s->values[0].lost, 4);
    check_sample_truncations(&f, &w, full);

    /* Non-group: value, enabled, running, id, lost */
    f = fmt_of(st,
               PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING | PERF_FORMAT_ID |
                   PERF_FORMAT_LOST,
               false);
    wr_hdr(&w, PERF_RECORD_SAMPLE, 0);
    wr_u64(&w, 0x10);
    wr_u32x2(&w, 1, 2);
    wr_u64(&w, 31);
    wr_u64(&w, 32);
    wr_u64(&w, 33);
    wr_u64(&w, 34);
    wr_u64(&w, 35);
    wr_u64(&w, 1);
    wr_u64(&w, 0x20);
    full = wr_end(&w);
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->nr_values, 1);
    CHECK_EQ_U64(s->values[0].value, 31);
    CHECK_EQ_U64(s->time_enabled, 32);
    CHECK_EQ_U64(s->time_running, 33);
    CHECK_EQ_U64(s->values[0].id, 34);
    CHECK_EQ_U64(s->values[0].lost, 35);
    CHECK_EQ_U64(s->callchain[0], 0x20);
    check_sample_truncations(&f, &w, full);

    /* Non-group, plain value only */
    f = fmt_of(st, 0, false);
    wr_hdr(&w, PERF_RECORD_SAMPLE, 0);
    wr_u64(&w, 0x10);
    wr_u32x2(&w, 1, 2);
    wr_u64(&w, 41);
    wr_u64(&w, 0);
    full = wr_end(&w);
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->nr_values, 1);
    CHECK_EQ_U64(s->values[0].value, 41);
    CHECK_EQ_U64(s->values[0].id, 0);
    check_sample_truncations(&f, &w, full);

    /* Group of DEC_MAX_READ is fine, one more is an error even when the bytes are there. */
    f = fmt_of(PERF_SAMPLE_READ, PERF_FORMAT_GROUP, false);
    for (uint64_t nr = DEC_MAX_READ; nr <= DEC_MAX_READ + 1; nr++) {
        wr_hdr(&w, PERF_RECORD_SAMPLE, 0);
        wr_u64(&w, nr);
        for (uint64_t i = 0; i < nr; i++)
            wr_u64(&w, i * 3);
        full = wr_end(&w);
        memset(&err, 0, sizeof(err));
        int rc = dec_sample(&f, w.b, full, s, &err);
        if (nr == DEC_MAX_READ) {
            CHECK_EQ_U64(rc, 0);
            CHECK_EQ_U64(s->nr_values, DEC_MAX_READ);
            CHECK_EQ_U64(s->values[DEC_MAX_READ - 1].value, (DEC_MAX_READ - 1) * 3);
        } else {
            CHECK_EQ_U64(rc, (uint64_t)-1);
            CHECK(one_line(&err));
            CHECK(strstr(err.msg, "65") != NULL);
        }
    }

    /* Absurd group counts (would overflow nr * entry size) are rejected without reading. */
    uint64_t huge[] = {UINT64_MAX, 1ULL << 61, 1ULL << 60, 3};
    f = fmt_of(PERF_SAMPLE_READ, PERF_FORMAT_GROUP | PERF_FORMAT_ID, false);
    for (size_t i = 0; i < HW_ARRAY_SIZE(huge); i++) {
        wr_hdr(&w, PERF_RECORD_SAMPLE, 0);
        wr_u64(&w, huge[i]);
        wr_u64(&w, 1);
        wr_u64(&w, 2);
        full = wr_end(&w);
        void *p = dup_n(w.b, full);
        memset(&err, 0, sizeof(err));
        CHECK_EQ_U64(dec_sample(&f, p, full, s, &err), (uint64_t)-1);
        CHECK(one_line(&err));
        free(p);
    }
    free(s);
}

/* Callchain counts larger than the record, including ones whose byte size overflows. */
static void test_callchain_hostile(void)
{
    struct dec_format f = fmt_of(PERF_SAMPLE_IP | PERF_SAMPLE_CALLCHAIN, 0, false);
    struct dec_sample *s = malloc(sizeof(*s));
    uint64_t nrs[] = {UINT64_MAX, 1ULL << 61, (1ULL << 61) + 1, 1ULL << 32, 3, 4};
    for (size_t i = 0; i < HW_ARRAY_SIZE(nrs); i++) {
        struct wr w;
        wr_hdr(&w, PERF_RECORD_SAMPLE, 0);
        wr_u64(&w, 0x1);
        wr_u64(&w, nrs[i]);
        wr_u64(&w, 0xa);
        wr_u64(&w, 0xb); /* room for exactly 2 entries */
        size_t full = wr_end(&w);
        void *p = dup_n(w.b, full);
        struct hw_err err = {{0}};
        CHECK_EQ_U64(dec_sample(&f, p, full, s, &err), (uint64_t)-1);
        CHECK(one_line(&err));
        CHECK(strstr(err.msg, "callchain") != NULL);
        free(p);
    }
    /* The brief's example message. */
    struct wr w;
    wr_hdr(&w, PERF_RECORD_SAMPLE, 0);
    wr_u64(&w, 0x1);
    wr_u64(&w, 1000);
    for (int i = 0; i < 5; i++)
        wr_u64(&w, i);
    size_t full = wr_end(&w);
    struct hw_err err = {{0}};
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), (uint64_t)-1);
    CHECK(strstr(err.msg, "nr=1000, 40 bytes left") != NULL);
    free(s);
}

/* A callchain cannot be pointed at in place at an odd address: a clean error, not UB. */
static void test_misaligned(void)
{
    struct dec_format f = fmt_of(PERF_SAMPLE_IP | PERF_SAMPLE_CALLCHAIN, 0, false);
    struct wr w;
    wr_hdr(&w, PERF_RECORD_SAMPLE, 0);
    wr_u64(&w, 0x1);
    wr_u64(&w, 2);
    wr_u64(&w, 0xa);
    wr_u64(&w, 0xb);
    size_t full = wr_end(&w);
    struct dec_sample *s = malloc(sizeof(*s));
    unsigned char *buf = malloc(full + 8);
    for (size_t shift = 1; shift < 8; shift++) {
        memcpy(buf + shift, w.b, full);
        struct hw_err err = {{0}};
        CHECK_EQ_U64(dec_sample(&f, buf + shift, full, s, &err), (uint64_t)-1);
        CHECK(strstr(err.msg, "aligned") != NULL);
        CHECK(one_line(&err));
    }
    memcpy(buf, w.b, full);
    struct hw_err err = {{0}};
    CHECK_EQ_U64(dec_sample(&f, buf, full, s, &err), 0);
    CHECK_EQ_U64(s->callchain[1], 0xb);
    free(buf);
    free(s);
}

/* ---- side-band records and trailers ---- */

static const uint64_t HWPROF_ST = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID |
                                  PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD |
                                  PERF_SAMPLE_CALLCHAIN;
static const uint64_t PERF_MULTI_ST = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
                                      PERF_SAMPLE_ID | PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD;

/* Appends the trailer for format f: pid/tid 1/2, time 3, id/identifier 0x77, stream_id 5, cpu 6. */
static void wr_trailer(struct wr *w, const struct dec_format *f)
{
    uint64_t st = f->sample_type;
    if (!f->sample_id_all)
        return;
    if (st & PERF_SAMPLE_TID)
        wr_u32x2(w, 1, 2);
    if (st & PERF_SAMPLE_TIME)
        wr_u64(w, 3);
    if (st & PERF_SAMPLE_ID)
        wr_u64(w, 0x77);
    if (st & PERF_SAMPLE_STREAM_ID)
        wr_u64(w, 5);
    if (st & PERF_SAMPLE_CPU)
        wr_u32x2(w, 6, 0);
    if (st & PERF_SAMPLE_IDENTIFIER)
        wr_u64(w, 0x77);
}

static void check_trailer(const struct dec_format *f, const struct wr *w, size_t full)
{
    struct dec_sample_id t;
    struct hw_err err = {{0}};
    CHECK_EQ_U64(dec_trailer(f, w->b, full, &t, &err), 0);
    uint64_t st = f->sample_type;
    CHECK_EQ_U64(t.pid, st & PERF_SAMPLE_TID ? 1 : 0);
    CHECK_EQ_U64(t.tid, st & PERF_SAMPLE_TID ? 2 : 0);
    CHECK_EQ_U64(t.time, st & PERF_SAMPLE_TIME ? 3 : 0);
    CHECK_EQ_U64(t.cpu, st & PERF_SAMPLE_CPU ? 6 : 0);
    CHECK_EQ_U64(t.stream_id, st & PERF_SAMPLE_STREAM_ID ? 5 : 0);
    CHECK_EQ_U64(t.id, st & (PERF_SAMPLE_ID | PERF_SAMPLE_IDENTIFIER) ? 0x77 : 0);
    uint64_t id = 0;
    CHECK_EQ_U64(dec_record_id(f, w->b, full, &id), 0);
    CHECK_EQ_U64(id, 0x77);

    /* On every prefix, dec_trailer fails exactly when the trailer cannot fit, never over-reads. */
    size_t tsize = dec_trailer_size(f);
    int bad = 0;
    for (size_t len = 0; len < full; len++) {
        void *p = dup_n(w->b, len);
        memset(&err, 0, sizeof(err));
        int rc = dec_trailer(f, p, len, &t, &err);
        if (len < 8 + tsize ? (rc != -1 || !one_line(&err)) : rc != 0)
            bad++;
        rc = dec_record_id(f, p, len, &id);
        if (len < 8 + tsize ? rc != -1 : rc != 0)
            bad++;
        free(p);
    }
    CHECK_EQ_U64(bad, 0);
}

/* The formats side-band records are tested with: hwprof's (IDENTIFIER) and perf's (ID only). */
static const struct {
    uint64_t st;
    size_t tsize;
} trailer_formats[] = {
    {HWPROF_ST, 32},     /* TID, TIME, CPU, IDENTIFIER */
    {PERF_MULTI_ST, 32}, /* TID, TIME, ID, CPU */
    {PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_ID | PERF_SAMPLE_STREAM_ID |
         PERF_SAMPLE_CPU | PERF_SAMPLE_IDENTIFIER,
     48},
};

static void test_mmap2(void)
{
    const char *path = "/usr/lib/x86_64-linux-gnu/libc.so.6";
    for (size_t fi = 0; fi < HW_ARRAY_SIZE(trailer_formats); fi++) {
        struct dec_format f = fmt_of(trailer_formats[fi].st, 0, true);
        CHECK_EQ_U64(dec_trailer_size(&f), trailer_formats[fi].tsize);
        struct wr w;
        wr_hdr(&w, PERF_RECORD_MMAP2, PERF_RECORD_MISC_USER);
        wr_u32x2(&w, 100, 101);
        wr_u64(&w, 0x7f0000000000);
        wr_u64(&w, 0x1d6000);
        wr_u64(&w, 0x26000);
        wr_u32x2(&w, 8, 1); /* maj, min */
        wr_u64(&w, 123456); /* ino */
        wr_u64(&w, 9);      /* ino_generation */
        wr_u32x2(&w, 5, 2); /* prot, flags */
        size_t fname_off = w.n;
        wr_str(&w, path);
        size_t body = w.n;
        wr_trailer(&w, &f);
        size_t full = wr_end(&w);
        size_t tsize = dec_trailer_size(&f);
        CHECK_EQ_U64(full - body, tsize);

        struct dec_mmap m;
        struct hw_err err = {{0}};
        CHECK_EQ_U64(dec_mmap(w.b, full - tsize, &m, &err), 0);
        CHECK_EQ_U64(m.pid, 100);
        CHECK_EQ_U64(m.tid, 101);
        CHECK_EQ_U64(m.start, 0x7f0000000000);
        CHECK_EQ_U64(m.len, 0x1d6000);
        CHECK_EQ_U64(m.pgoff, 0x26000);
        CHECK(m.has_mmap2);
        CHECK(!m.has_build_id);
        CHECK_EQ_U64(m.maj, 8);
        CHECK_EQ_U64(m.min, 1);
        CHECK_EQ_U64(m.ino, 123456);
        CHECK_EQ_U64(m.ino_generation, 9);
        CHECK_EQ_U64(m.prot, 5);
        CHECK_EQ_U64(m.flags, 2);
        CHECK_STR(m.filename, path);
        CHECK(!m.kernel);
        check_trailer(&f, &w, full);

        /* Prefixes: the record stays valid exactly while the filename's NUL is inside. */
        int bad = 0;
        for (size_t len = 0; len < full; len++) {
            void *p = dup_n(w.b, len);
            size_t blen = len > tsize ? len - tsize : 0;
            memset(&err, 0, sizeof(err));
            int rc = dec_mmap(p, blen, &m, &err);
            if (blen >= fname_off + strlen(path) + 1) {
                if (rc != 0 || strcmp(m.filename, path) != 0 || m.ino != 123456 || m.prot != 5)
                    bad++;
            } else if (rc != -1 || !one_line(&err)) {
                bad++;
            }
            free(p);
        }
        CHECK_EQ_U64(bad, 0);
    }
}

static void test_mmap2_build_id(void)
{
    struct dec_format f = fmt_of(HWPROF_ST, 0, true);
    uint8_t bid[20];
    for (int i = 0; i < 20; i++)
        bid[i] = (uint8_t)(0xa0 + i);
    struct wr w;
    wr_hdr(&w, PERF_RECORD_MMAP2, PERF_RECORD_MISC_USER | PERF_RECORD_MISC_MMAP_BUILD_ID);
    wr_u32x2(&w, 5, 5);
    wr_u64(&w, 0x400000);
    wr_u64(&w, 0x1000);
    wr_u64(&w, 0);
    wr_u8(&w, 20);
    wr_u8(&w, 0);
    wr_u16(&w, 0);
    wr_bytes(&w, bid, 20);
    wr_u32x2(&w, 5, 2);
    wr_str(&w, "/bin/true");
    wr_trailer(&w, &f);
    size_t full = wr_end(&w);
    size_t tsize = dec_trailer_size(&f);

    struct dec_mmap m;
    struct hw_err err = {{0}};
    CHECK_EQ_U64(dec_mmap(w.b, full - tsize, &m, &err), 0);
    CHECK(m.has_mmap2);
    CHECK(m.has_build_id);
    CHECK_EQ_U64(m.build_id_size, 20);
    CHECK(memcmp(m.build_id, bid, 20) == 0);
    CHECK_EQ_U64(m.ino, 0);
    CHECK_EQ_U64(m.prot, 5);
    CHECK_STR(m.filename, "/bin/true");
    check_trailer(&f, &w, full);

    int bad = 0;
    for (size_t len = 0; len < full - tsize; len++) {
        void *p = dup_n(w.b, len);
        int rc = dec_mmap(p, len, &m, &err);
        if (len >= 72 + strlen("/bin/true") + 1 ? rc != 0 || memcmp(m.build_id, bid, 20) != 0
                                                : rc != -1)
            bad++;
        free(p);
    }
    CHECK_EQ_U64(bad, 0);

    /* A shorter build id (e.g. md5-style 16 bytes) is fine; more than 20 is corrupt. */
    w.b[40] = 16;
    CHECK_EQ_U64(dec_mmap(w.b, full - tsize, &m, &err), 0);
    CHECK_EQ_U64(m.build_id_size, 16);
    w.b[40] = 21;
    memset(&err, 0, sizeof(err));
    CHECK_EQ_U64(dec_mmap(w.b, full - tsize, &m, &err), (uint64_t)-1);
    CHECK(one_line(&err));
}

static void test_mmap_plain_and_kernel(void)
{
    struct wr w;
    wr_hdr(&w, PERF_RECORD_MMAP, PERF_RECORD_MISC_KERNEL);
    wr_u32x2(&w, (uint32_t)-1, 0);
    wr_u64(&w, 0xffffffff81000000ULL);
    wr_u64(&w, 0x1000000);
    wr_u64(&w, 0xffffffff81000000ULL);
    wr_str(&w, "[kernel.kallsyms]_text");
    size_t full = wr_end(&w);

    struct dec_mmap m;
    struct hw_err err = {{0}};
    CHECK_EQ_U64(dec_mmap(w.b, full, &m, &err), 0);
    CHECK(!m.has_mmap2);
    CHECK(m.kernel);
    CHECK_EQ_U64(m.pid, (uint32_t)-1);
    CHECK_EQ_U64(m.start, 0xffffffff81000000ULL);
    CHECK_EQ_U64(m.prot, 0);
    CHECK_STR(m.filename, "[kernel.kallsyms]_text");

    /* Misaligned buffers are fine for side-band records. */
    unsigned char *odd = malloc(full + 3);
    memcpy(odd + 3, w.b, full);
    CHECK_EQ_U64(dec_mmap(odd + 3, full, &m, &err), 0);
    CHECK_EQ_U64(m.len, 0x1000000);
    CHECK_STR(m.filename, "[kernel.kallsyms]_text");
    free(odd);

    int bad = 0;
    for (size_t len = 0; len < full; len++) {
        void *p = dup_n(w.b, len);
        int rc = dec_mmap(p, len, &m, &err);
        if (len >= 40 + strlen("[kernel.kallsyms]_text") + 1 ? rc != 0 : rc != -1)
            bad++;
        free(p);
    }
    CHECK_EQ_U64(bad, 0);

    /* No NUL before the trailer: accepted only if the caller lets the string run into it. */
    struct dec_format f = fmt_of(PERF_MULTI_ST, 0, true);
    wr_hdr(&w, PERF_RECORD_MMAP, PERF_RECORD_MISC_USER);
    wr_u32x2(&w, 1, 1);
    wr_u64(&w, 0x1000);
    wr_u64(&w, 0x1000);
    wr_u64(&w, 0);
    wr_bytes(&w, "ABCDEFGH", 8);
    wr_trailer(&w, &f);
    full = wr_end(&w);
    memset(&err, 0, sizeof(err));
    CHECK_EQ_U64(dec_mmap(w.b, full - dec_trailer_size(&f), &m, &err), (uint64_t)-1);
    CHECK(strstr(err.msg, "NUL") != NULL);
    CHECK(one_line(&err));
    CHECK_EQ_U64(dec_mmap(w.b, full, &m, &err), 0); /* the trailer's pid has zero bytes */
    CHECK(strlen(m.filename) < full - 40);

    /* Wrong types are refused. */
    wr_hdr(&w, PERF_RECORD_COMM, 0);
    wr_u32x2(&w, 1, 1);
    wr_str(&w, "x");
    full = wr_end(&w);
    memset(&err, 0, sizeof(err));
    CHECK_EQ_U64(dec_mmap(w.b, full, &m, &err), (uint64_t)-1);
    CHECK(strstr(err.msg, "COMM") != NULL);
}

static void test_comm(void)
{
    for (size_t fi = 0; fi < HW_ARRAY_SIZE(trailer_formats); fi++) {
        struct dec_format f = fmt_of(trailer_formats[fi].st, 0, true);
        size_t tsize = dec_trailer_size(&f);
        struct wr w;
        wr_hdr(&w, PERF_RECORD_COMM, PERF_RECORD_MISC_COMM_EXEC);
        wr_u32x2(&w, 300, 301);
        wr_str(&w, "lru-demo");
        wr_trailer(&w, &f);
        size_t full = wr_end(&w);

        struct dec_comm c;
        struct hw_err err = {{0}};
        CHECK_EQ_U64(dec_comm(w.b, full - tsize, &c, &err), 0);
        CHECK_EQ_U64(c.pid, 300);
        CHECK_EQ_U64(c.tid, 301);
        CHECK(c.exec);
        CHECK_STR(c.comm, "lru-demo");
        check_trailer(&f, &w, full);

        int bad = 0;
        for (size_t len = 0; len < full; len++) {
            void *p = dup_n(w.b, len);
            size_t blen = len > tsize ? len - tsize : 0;
            memset(&err, 0, sizeof(err));
            int rc = dec_comm(p, blen, &c, &err);
            if (blen >= 16 + strlen("lru-demo") + 1) {
                if (rc != 0 || strcmp(c.comm, "lru-demo") != 0)
                    bad++;
            } else if (rc != -1 || !one_line(&err)) {
                bad++;
            }
            free(p);
        }
        CHECK_EQ_U64(bad, 0);

        w.b[4] = 0; /* misc without COMM_EXEC */
        w.b[5] = 0;
        CHECK_EQ_U64(dec_comm(w.b, full - tsize, &c, &err), 0);
        CHECK(!c.exec);
    }
}

static void test_fork_exit(void)
{
    uint32_t types[] = {PERF_RECORD_FORK, PERF_RECORD_EXIT};
    for (size_t ti = 0; ti < 2; ti++) {
        for (size_t fi = 0; fi <= HW_ARRAY_SIZE(trailer_formats); fi++) {
            /* the last round: no sample_id_all, so no trailer and no id */
            bool id_all = fi < HW_ARRAY_SIZE(trailer_formats);
            struct dec_format f = fmt_of(id_all ? trailer_formats[fi].st : HWPROF_ST, 0, id_all);
            size_t tsize = dec_trailer_size(&f);
            struct wr w;
            wr_hdr(&w, types[ti], 0);
            wr_u32x2(&w, 20, 10);
            wr_u32x2(&w, 21, 11);
            wr_u64(&w, 5555);
            wr_trailer(&w, &f);
            size_t full = wr_end(&w);

            struct dec_task t;
            struct hw_err err = {{0}};
            CHECK_EQ_U64(dec_task(w.b, full, &t, &err), 0);
            CHECK_EQ_U64(t.pid, 20);
            CHECK_EQ_U64(t.ppid, 10);
            CHECK_EQ_U64(t.tid, 21);
            CHECK_EQ_U64(t.ptid, 11);
            CHECK_EQ_U64(t.time, 5555);
            if (id_all) {
                check_trailer(&f, &w, full);
            } else {
                struct dec_sample_id sid;
                uint64_t id = 42;
                CHECK_EQ_U64(tsize, 0);
                CHECK_EQ_U64(dec_trailer(&f, w.b, full, &sid, &err), 0);
                CHECK_EQ_U64(sid.pid, 0);
                CHECK_EQ_U64(sid.time, 0);
                CHECK_EQ_U64(dec_record_id(&f, w.b, full, &id), 1);
            }

            int bad = 0;
            for (size_t len = 0; len < full; len++) {
                void *p = dup_n(w.b, len);
                memset(&err, 0, sizeof(err));
                int rc = dec_task(p, len, &t, &err);
                if (len >= 32 ? rc != 0 || t.time != 5555 : rc != -1 || !one_line(&err))
                    bad++;
                free(p);
            }
            CHECK_EQ_U64(bad, 0);
        }
    }
}

static void test_lost_throttle(void)
{
    struct wr w;
    wr_hdr(&w, PERF_RECORD_LOST, 0);
    wr_u64(&w, 0x77);
    wr_u64(&w, 12);
    size_t full = wr_end(&w);
    struct dec_lost l;
    struct hw_err err = {{0}};
    CHECK_EQ_U64(dec_lost(w.b, full, &l, &err), 0);
    CHECK_EQ_U64(l.id, 0x77);
    CHECK_EQ_U64(l.lost, 12);
    int bad = 0;
    for (size_t len = 0; len < full; len++) {
        void *p = dup_n(w.b, len);
        if (dec_lost(p, len, &l, &err) != -1)
            bad++;
        free(p);
    }
    CHECK_EQ_U64(bad, 0);

    uint32_t types[] = {PERF_RECORD_THROTTLE, PERF_RECORD_UNTHROTTLE};
    for (size_t ti = 0; ti < 2; ti++) {
        wr_hdr(&w, types[ti], 0);
        wr_u64(&w, 1000);
        wr_u64(&w, 0x78);
        wr_u64(&w, 0x79);
        full = wr_end(&w);
        struct dec_throttle t;
        CHECK_EQ_U64(dec_throttle(w.b, full, &t, &err), 0);
        CHECK_EQ_U64(t.time, 1000);
        CHECK_EQ_U64(t.id, 0x78);
        CHECK_EQ_U64(t.stream_id, 0x79);
        bad = 0;
        for (size_t len = 0; len < full; len++) {
            void *p = dup_n(w.b, len);
            if (dec_throttle(p, len, &t, &err) != -1)
                bad++;
            free(p);
        }
        CHECK_EQ_U64(bad, 0);
        memset(&err, 0, sizeof(err));
        CHECK_EQ_U64(dec_lost(w.b, full, &l, &err), (uint64_t)-1);
        CHECK(one_line(&err));
    }
}

/* Samples and perf's own record types have no trailer; dec_trailer refuses samples. */
static void test_trailer_edge_cases(void)
{
    struct dec_format f = fmt_of(HWPROF_ST, 0, true);
    struct wr w;
    wr_hdr(&w, 68 /* PERF_RECORD_FINISHED_ROUND */, 0);
    size_t full = wr_end(&w);
    struct dec_sample_id t;
    struct hw_err err = {{0}};
    uint64_t id;
    CHECK_EQ_U64(dec_trailer(&f, w.b, full, &t, &err), 0);
    CHECK_EQ_U64(dec_record_id(&f, w.b, full, &id), 1);

    wr_hdr(&w, PERF_RECORD_SAMPLE, 0);
    wr_u64(&w, 1);
    full = wr_end(&w);
    memset(&err, 0, sizeof(err));
    CHECK_EQ_U64(dec_trailer(&f, w.b, full, &t, &err), (uint64_t)-1);
    CHECK(one_line(&err));

    /* sample_id_all without any id bit: no id for side-band records. */
    f = fmt_of(PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME, 0, true);
    wr_hdr(&w, PERF_RECORD_EXIT, 0);
    wr_u32x2(&w, 1, 1);
    wr_u32x2(&w, 1, 1);
    wr_u64(&w, 1);
    wr_trailer(&w, &f);
    full = wr_end(&w);
    CHECK_EQ_U64(dec_record_id(&f, w.b, full, &id), 1);
    CHECK_EQ_U64(dec_trailer(&f, w.b, full, &t, &err), 0);
    CHECK_EQ_U64(t.tid, 2);
    CHECK_EQ_U64(t.time, 3);
}

static void test_format_from_attr(void)
{
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.sample_type = HWPROF_ST;
    attr.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_ID;
    attr.sample_id_all = 1;
    struct dec_format f;
    dec_format_from_attr(&f, &attr);
    CHECK_EQ_U64(f.sample_type, HWPROF_ST);
    CHECK_EQ_U64(f.read_format, PERF_FORMAT_GROUP | PERF_FORMAT_ID);
    CHECK(f.sample_id_all);
    attr.sample_id_all = 0;
    dec_format_from_attr(&f, &attr);
    CHECK(!f.sample_id_all);
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* ---- wall-clock recordings: user registers and stack, skipped fields, switch records ---- */

/* hwprof record --wall: hwprof's format plus REGS_USER (bp, sp, ip) and STACK_USER. */
static const uint64_t WALL_ST = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID |
                                PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD |
                                PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_REGS_USER |
                                PERF_SAMPLE_STACK_USER;

static struct dec_format fmt_user(uint64_t st, uint64_t regs_mask, bool hw_index)
{
    struct dec_format f = fmt_of(st, 0, true);
    f.regs_user_mask = regs_mask;
    f.branch_hw_index = hw_index;
    return f;
}

/* The head of a WALL_ST sample up to and including a 2-entry callchain. */
static void wr_wall_head(struct wr *w)
{
    wr_hdr(w, PERF_RECORD_SAMPLE, PERF_RECORD_MISC_KERNEL);
    wr_u64(w, 0x55);                    /* identifier */
    wr_u64(w, 0xffffffff81000010ULL);   /* ip */
    wr_u32x2(w, 30, 31);
    wr_u64(w, 4000);                    /* time */
    wr_u32x2(w, 1, 0);
    wr_u64(w, 1);                       /* period */
    wr_u64(w, 2);                       /* callchain */
    wr_u64(w, (uint64_t)PERF_CONTEXT_KERNEL);
    wr_u64(w, 0xffffffff81000010ULL);
}

/* REGS_USER in mask bit order and STACK_USER (size, bytes, dyn_size): the stack points into the
 * record, its size is the dynamic size; every strict prefix is an error. */
static void test_user_regs_stack(void)
{
    struct dec_format f = fmt_user(WALL_ST, PERF_REGS_UNWIND_MASK, false);
    struct wr w;
    wr_wall_head(&w);
    wr_u64(&w, PERF_SAMPLE_REGS_ABI_64);
    wr_u64(&w, 0x7ffd0040); /* bit 6: bp */
    wr_u64(&w, 0x7ffd0000); /* bit 7: sp */
    wr_u64(&w, 0x401000);   /* bit 8: ip */
    wr_u64(&w, 64);         /* stack size */
    size_t stack_off = w.n;
    for (uint64_t i = 0; i < 8; i++)
        wr_u64(&w, 0x1000 + i);
    wr_u64(&w, 40); /* dyn_size: only 40 bytes were valid */
    size_t full = wr_end(&w);

    struct dec_sample *s = malloc(sizeof(*s));
    struct hw_err err = {{0}};
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->nr_callchain, 2);
    CHECK_EQ_U64(s->period, 1);
    CHECK_EQ_U64(s->user_abi, PERF_SAMPLE_REGS_ABI_64);
    CHECK_EQ_U64(s->nr_user_regs, 3);
    CHECK_EQ_U64(s->user_regs[0], 0x7ffd0040);
    CHECK_EQ_U64(s->user_regs[2], 0x401000);
    uint64_t bp = 0, sp = 0, ip = 0;
    CHECK_EQ_U64(perf_regs_get(f.regs_user_mask, s->user_regs, s->nr_user_regs, PERF_REGS_BP, &bp), 0);
    CHECK_EQ_U64(perf_regs_get(f.regs_user_mask, s->user_regs, s->nr_user_regs, PERF_REGS_SP, &sp), 0);
    CHECK_EQ_U64(perf_regs_get(f.regs_user_mask, s->user_regs, s->nr_user_regs, PERF_REGS_IP, &ip), 0);
    CHECK_EQ_U64(bp, 0x7ffd0040);
    CHECK_EQ_U64(sp, 0x7ffd0000);
    CHECK_EQ_U64(ip, 0x401000);
    CHECK(s->user_stack == w.b + stack_off);
    CHECK_EQ_U64(s->user_stack_size, 40);
    uint64_t word;
    memcpy(&word, s->user_stack + 32, 8);
    CHECK_EQ_U64(word, 0x1004);
    check_sample_truncations(&f, &w, full);

    /* dyn_size larger than the copy (corrupt): clamped to the bytes that are there. */
    memcpy(w.b + full - 8, &(uint64_t){1000}, 8);
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->user_stack_size, 64);

    /* A kernel thread: ABI 0 and no registers, stack size 0 and no data nor dyn_size. */
    wr_wall_head(&w);
    wr_u64(&w, PERF_SAMPLE_REGS_ABI_NONE);
    wr_u64(&w, 0);
    full = wr_end(&w);
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->user_abi, 0);
    CHECK_EQ_U64(s->nr_user_regs, 0);
    CHECK(s->user_stack == NULL);
    CHECK_EQ_U64(s->user_stack_size, 0);
    check_sample_truncations(&f, &w, full);

    /* Another mask: registers come in ascending bit order whatever their meaning. */
    uint64_t mask = (1ULL << 0) | (1ULL << PERF_REGS_SP) | (1ULL << 20) | (1ULL << 63);
    f = fmt_user(PERF_SAMPLE_IP | PERF_SAMPLE_REGS_USER, mask, false);
    wr_hdr(&w, PERF_RECORD_SAMPLE, PERF_RECORD_MISC_USER);
    wr_u64(&w, 0x401000);
    wr_u64(&w, PERF_SAMPLE_REGS_ABI_64);
    for (uint64_t i = 0; i < 4; i++)
        wr_u64(&w, 100 + i);
    full = wr_end(&w);
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->nr_user_regs, 4);
    CHECK(perf_regs_get(mask, s->user_regs, s->nr_user_regs, PERF_REGS_SP, &sp) == 0 && sp == 101);
    CHECK(perf_regs_get(mask, s->user_regs, s->nr_user_regs, 63, &sp) == 0 && sp == 103);
    CHECK(perf_regs_get(mask, s->user_regs, s->nr_user_regs, PERF_REGS_BP, &sp) == -1);
    check_sample_truncations(&f, &w, full);

    /* The decoded user state does not leak into the next sample without it. */
    struct dec_format plain = fmt_of(PERF_SAMPLE_IP, 0, false);
    wr_hdr(&w, PERF_RECORD_SAMPLE, 0);
    wr_u64(&w, 1);
    full = wr_end(&w);
    CHECK_EQ_U64(dec_sample(&plain, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->user_abi, 0);
    CHECK_EQ_U64(s->nr_user_regs, 0);
    CHECK(s->user_stack == NULL);
    CHECK_EQ_U64(s->user_stack_size, 0);
    free(s);
}

/* RAW and BRANCH_STACK (with and without hw_idx) come between CALLCHAIN and REGS_USER: they are
 * skipped by their sizes, so the registers and stack after them decode right. */
static void test_raw_branch_skip(void)
{
    uint64_t st = PERF_SAMPLE_IP | PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_RAW | PERF_SAMPLE_BRANCH_STACK |
                  PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
    struct dec_sample *s = malloc(sizeof(*s));
    for (int hw_index = 0; hw_index <= 1; hw_index++) {
        struct dec_format f = fmt_user(st, PERF_REGS_UNWIND_MASK, hw_index);
        struct wr w;
        wr_hdr(&w, PERF_RECORD_SAMPLE, PERF_RECORD_MISC_USER);
        wr_u64(&w, 0x401000);
        wr_u64(&w, 1); /* callchain */
        wr_u64(&w, 0x401000);
        wr_u32(&w, 12); /* raw: size, then 12 bytes (size + 4 is a multiple of 8) */
        for (int i = 0; i < 12; i++)
            wr_u8(&w, 0xc0);
        wr_u64(&w, 2); /* branch stack nr */
        if (hw_index)
            wr_u64(&w, 1);
        for (int i = 0; i < 6; i++) /* 2 x {from, to, flags} */
            wr_u64(&w, 0xb0000 + (uint64_t)i);
        wr_u64(&w, PERF_SAMPLE_REGS_ABI_64);
        wr_u64(&w, 0xb9);
        wr_u64(&w, 0x5b);
        wr_u64(&w, 0x19);
        wr_u64(&w, 16); /* stack */
        size_t stack_off = w.n;
        wr_u64(&w, 0xaaaa);
        wr_u64(&w, 0xbbbb);
        wr_u64(&w, 16);
        size_t full = wr_end(&w);

        struct hw_err err = {{0}};
        CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
        CHECK_EQ_U64(s->nr_callchain, 1);
        CHECK_EQ_U64(s->nr_user_regs, 3);
        CHECK_EQ_U64(s->user_regs[0], 0xb9);
        CHECK_EQ_U64(s->user_regs[1], 0x5b);
        CHECK_EQ_U64(s->user_regs[2], 0x19);
        CHECK(s->user_stack == w.b + stack_off);
        CHECK_EQ_U64(s->user_stack_size, 16);
        check_sample_truncations(&f, &w, full);

        /* The same bytes read with the other hw_idx setting land elsewhere: the flag matters. */
        struct dec_format other = fmt_user(st, PERF_REGS_UNWIND_MASK, !hw_index);
        int rc = dec_sample(&other, w.b, full, s, &err);
        CHECK(rc == -1 || s->user_regs[0] != 0xb9);
    }

    /* RAW alone, with an empty payload and size 4 (the kernel's smallest). */
    struct dec_format f = fmt_user(PERF_SAMPLE_IP | PERF_SAMPLE_RAW | PERF_SAMPLE_REGS_USER, 1ULL << PERF_REGS_IP,
                                   false);
    struct wr w;
    wr_hdr(&w, PERF_RECORD_SAMPLE, 0);
    wr_u64(&w, 1);
    wr_u32(&w, 4);
    wr_u32(&w, 0xdddd);
    wr_u64(&w, PERF_SAMPLE_REGS_ABI_64);
    wr_u64(&w, 0x777);
    size_t full = wr_end(&w);
    struct hw_err err = {{0}};
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->nr_user_regs, 1);
    CHECK_EQ_U64(s->user_regs[0], 0x777);
    check_sample_truncations(&f, &w, full);

    /* Fields after STACK_USER (WEIGHT here) are ignored, not an error. */
    f = fmt_user(PERF_SAMPLE_IP | PERF_SAMPLE_STACK_USER | PERF_SAMPLE_WEIGHT, 0, false);
    wr_hdr(&w, PERF_RECORD_SAMPLE, 0);
    wr_u64(&w, 1);
    wr_u64(&w, 8);
    wr_u64(&w, 0x1234);
    wr_u64(&w, 8);
    wr_u64(&w, 99); /* weight */
    full = wr_end(&w);
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->user_stack_size, 8);
    free(s);
}

/* Sizes and counts larger than the record (some overflowing when multiplied) are errors with one
 * line, never reads past len. */
static void test_user_hostile(void)
{
    struct dec_sample *s = malloc(sizeof(*s));
    const uint64_t huge[] = {UINT64_MAX, 1ULL << 63, (1ULL << 61) + 1, 1ULL << 32, 3};

    /* RAW size past the end */
    const uint32_t raw_sizes[] = {UINT32_MAX, 1U << 31, 20};
    for (size_t i = 0; i < HW_ARRAY_SIZE(raw_sizes); i++) {
        struct dec_format f = fmt_user(PERF_SAMPLE_IP | PERF_SAMPLE_RAW, 0, false);
        struct wr w;
        wr_hdr(&w, PERF_RECORD_SAMPLE, 0);
        wr_u64(&w, 1);
        wr_u32(&w, raw_sizes[i]);
        wr_u32(&w, 0);
        wr_u64(&w, 0); /* 12 bytes after the size */
        size_t full = wr_end(&w);
        void *p = dup_n(w.b, full);
        struct hw_err err = {{0}};
        CHECK_EQ_U64(dec_sample(&f, p, full, s, &err), (uint64_t)-1);
        CHECK(one_line(&err));
        free(p);
    }
    /* branch stack entries past the end (24 bytes each) */
    for (size_t i = 0; i < HW_ARRAY_SIZE(huge); i++) {
        for (int hw_index = 0; hw_index <= 1; hw_index++) {
            struct dec_format f = fmt_user(PERF_SAMPLE_IP | PERF_SAMPLE_BRANCH_STACK, 0, hw_index);
            struct wr w;
            wr_hdr(&w, PERF_RECORD_SAMPLE, 0);
            wr_u64(&w, 1);
            wr_u64(&w, huge[i]);
            for (int k = 0; k < 6; k++) /* 48 bytes: 2 entries, or hw_idx + 1 entry and change */
                wr_u64(&w, 0);
            size_t full = wr_end(&w);
            void *p = dup_n(w.b, full);
            struct hw_err err = {{0}};
            CHECK_EQ_U64(dec_sample(&f, p, full, s, &err), (uint64_t)-1);
            CHECK(one_line(&err));
            free(p);
        }
    }
    /* user stack size past the end */
    for (size_t i = 0; i < HW_ARRAY_SIZE(huge); i++) {
        struct dec_format f = fmt_user(PERF_SAMPLE_IP | PERF_SAMPLE_STACK_USER, 0, false);
        struct wr w;
        wr_hdr(&w, PERF_RECORD_SAMPLE, 0);
        wr_u64(&w, 1);
        wr_u64(&w, huge[i] == 3 ? 24 : huge[i]); /* 3: the bytes are there but not dyn_size */
        wr_u64(&w, 0);
        wr_u64(&w, 0);
        wr_u64(&w, 0);
        size_t full = wr_end(&w);
        void *p = dup_n(w.b, full);
        struct hw_err err = {{0}};
        CHECK_EQ_U64(dec_sample(&f, p, full, s, &err), (uint64_t)-1);
        CHECK(one_line(&err));
        free(p);
    }
    /* a full 64-register mask: 64 registers decode when present, fewer bytes are an error */
    struct dec_format f = fmt_user(PERF_SAMPLE_REGS_USER, UINT64_MAX, false);
    struct wr w;
    wr_hdr(&w, PERF_RECORD_SAMPLE, 0);
    wr_u64(&w, PERF_SAMPLE_REGS_ABI_64);
    for (uint64_t i = 0; i < 64; i++)
        wr_u64(&w, i * 11);
    size_t full = wr_end(&w);
    struct hw_err err = {{0}};
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->nr_user_regs, DEC_MAX_REGS);
    CHECK_EQ_U64(s->user_regs[63], 63 * 11);
    check_sample_truncations(&f, &w, full);
    free(s);
}

static void test_switch(void)
{
    for (size_t fi = 0; fi <= HW_ARRAY_SIZE(trailer_formats); fi++) {
        bool id_all = fi < HW_ARRAY_SIZE(trailer_formats);
        struct dec_format f = fmt_of(id_all ? trailer_formats[fi].st : HWPROF_ST, 0, id_all);
        const struct {
            uint16_t misc;
            bool out, preempt;
        } cases[] = {
            {0, false, false},
            {PERF_RECORD_MISC_SWITCH_OUT, true, false},
            {PERF_RECORD_MISC_SWITCH_OUT | PERF_RECORD_MISC_SWITCH_OUT_PREEMPT, true, true},
            {PERF_RECORD_MISC_SWITCH_OUT_PREEMPT, false, false}, /* preempt means nothing on a switch-in */
            {PERF_RECORD_MISC_SWITCH_OUT | PERF_RECORD_MISC_USER, true, false},
        };
        for (size_t ci = 0; ci < HW_ARRAY_SIZE(cases); ci++) {
            /* SWITCH: no body, the trailer names the task */
            struct wr w;
            wr_hdr(&w, PERF_RECORD_SWITCH, cases[ci].misc);
            wr_trailer(&w, &f);
            size_t full = wr_end(&w);
            struct dec_switch sw;
            struct hw_err err = {{0}};
            CHECK_EQ_U64(dec_switch(w.b, full, &sw, &err), 0);
            CHECK(sw.out == cases[ci].out);
            CHECK(sw.preempt == cases[ci].preempt);
            CHECK(!sw.cpu_wide);
            CHECK_EQ_U64(sw.next_prev_pid, 0);
            if (id_all)
                check_trailer(&f, &w, full);
            int bad = 0;
            for (size_t len = 0; len < full; len++) {
                void *p = dup_n(w.b, len);
                memset(&err, 0, sizeof(err));
                int rc = dec_switch(p, len, &sw, &err);
                if (len >= 8 ? rc != 0 || sw.out != cases[ci].out : rc != -1 || !one_line(&err))
                    bad++;
                free(p);
            }
            CHECK_EQ_U64(bad, 0);

            /* SWITCH_CPU_WIDE: next_prev_pid/tid, then the trailer */
            wr_hdr(&w, PERF_RECORD_SWITCH_CPU_WIDE, cases[ci].misc);
            wr_u32x2(&w, 700, 701);
            wr_trailer(&w, &f);
            full = wr_end(&w);
            CHECK_EQ_U64(dec_switch(w.b, full, &sw, &err), 0);
            CHECK(sw.out == cases[ci].out);
            CHECK(sw.preempt == cases[ci].preempt);
            CHECK(sw.cpu_wide);
            CHECK_EQ_U64(sw.next_prev_pid, 700);
            CHECK_EQ_U64(sw.next_prev_tid, 701);
            if (id_all)
                check_trailer(&f, &w, full);
            bad = 0;
            for (size_t len = 0; len < full; len++) {
                void *p = dup_n(w.b, len);
                memset(&err, 0, sizeof(err));
                int rc = dec_switch(p, len, &sw, &err);
                if (len >= 16 ? rc != 0 || sw.next_prev_tid != 701 : rc != -1 || !one_line(&err))
                    bad++;
                free(p);
            }
            CHECK_EQ_U64(bad, 0);
        }
    }
    /* Other types are refused, and a switch record is not a sample. */
    struct wr w;
    wr_hdr(&w, PERF_RECORD_EXIT, 0);
    wr_u32x2(&w, 1, 1);
    wr_u32x2(&w, 1, 1);
    wr_u64(&w, 1);
    size_t full = wr_end(&w);
    struct dec_switch sw;
    struct hw_err err = {{0}};
    CHECK_EQ_U64(dec_switch(w.b, full, &sw, &err), (uint64_t)-1);
    CHECK(one_line(&err));
    CHECK(strstr(err.msg, "EXIT") != NULL);
    wr_hdr(&w, PERF_RECORD_SWITCH, PERF_RECORD_MISC_SWITCH_OUT);
    full = wr_end(&w);
    struct dec_sample *s = malloc(sizeof(*s));
    struct dec_format f = fmt_of(HWPROF_ST, 0, false);
    memset(&err, 0, sizeof(err));
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), (uint64_t)-1);
    CHECK(one_line(&err));
    memset(&err, 0, sizeof(err));
    CHECK_EQ_U64(dec_task(w.b, full, &(struct dec_task){0}, &err), (uint64_t)-1);
    CHECK(strstr(err.msg, "SWITCH") != NULL);
    free(s);
}

/* The user-register mask and the branch hw_idx flag come from the attr. */
static void test_format_from_attr_user(void)
{
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.sample_type = WALL_ST;
    attr.sample_regs_user = PERF_REGS_UNWIND_MASK;
    attr.sample_stack_user = 512;
    struct dec_format f;
    memset(&f, 0xff, sizeof(f));
    dec_format_from_attr(&f, &attr);
    CHECK_EQ_U64(f.sample_type, WALL_ST);
    CHECK_EQ_U64(f.regs_user_mask, PERF_REGS_UNWIND_MASK);
    CHECK(!f.branch_hw_index);
    attr.branch_sample_type = PERF_SAMPLE_BRANCH_ANY | PERF_SAMPLE_BRANCH_HW_INDEX;
    dec_format_from_attr(&f, &attr);
    CHECK(f.branch_hw_index);
    attr.branch_sample_type = PERF_SAMPLE_BRANCH_ANY;
    dec_format_from_attr(&f, &attr);
    CHECK(!f.branch_hw_index);
}

/* Random bytes under random formats that include the fields after CALLCHAIN, random register masks
 * and hw_idx: 0 or -1, never an over-read, and what a sample points at lies within the record. */
static void test_fuzz_user(void)
{
    uint64_t rng = 0x2545f4914f6cdd1dULL;
    const uint64_t tail = PERF_SAMPLE_RAW | PERF_SAMPLE_BRANCH_STACK | PERF_SAMPLE_REGS_USER |
                          PERF_SAMPLE_STACK_USER;
    struct dec_sample *s = malloc(sizeof(*s));
    int bad = 0, ok = 0;
    for (int iter = 0; iter < 20000; iter++) {
        uint64_t st = (xorshift(&rng) & (PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_CALLCHAIN)) |
                      (xorshift(&rng) & tail);
        uint64_t mask = xorshift(&rng);
        if (iter % 2)
            mask &= 0x1ff; /* few registers, so some records are long enough */
        struct dec_format f = fmt_user(st, mask, xorshift(&rng) & 1);
        size_t len = xorshift(&rng) % 300;
        unsigned char *p = malloc(len ? len : 1);
        for (size_t i = 0; i < len; i++) {
            uint64_t r = xorshift(&rng);
            p[i] = (r & 3) ? (uint8_t)(r >> 8) % 4 : (uint8_t)(r >> 8);
        }
        if (len >= 8) {
            uint32_t t = (xorshift(&rng) & 7) ? PERF_RECORD_SAMPLE : PERF_RECORD_SWITCH;
            memcpy(p, &t, 4);
        }
        struct hw_err err;
        int rc = dec_sample(&f, p, len, s, &err);
        if (rc == 0) {
            ok++;
            if (s->nr_user_regs > DEC_MAX_REGS)
                bad++;
            if (s->user_stack &&
                (s->user_stack < p || s->user_stack + s->user_stack_size > p + len))
                bad++;
            if (!s->user_stack && s->user_stack_size)
                bad++;
        }
        struct dec_switch sw;
        if (dec_switch(p, len, &sw, &err) > 0)
            bad++;
        free(p);
    }
    CHECK_EQ_U64(bad, 0);
    CHECK(ok > 100); /* the random records do decode sometimes */
    free(s);
}

/* Random bytes under random formats: every decoder must return 0 or -1 without over-reading, and
 * strings returned must lie within the record. */
static void test_fuzz(void)
{
    uint64_t rng = 0x9e3779b97f4a7c15ULL;
    uint32_t types[] = {PERF_RECORD_SAMPLE, PERF_RECORD_MMAP,     PERF_RECORD_MMAP2,
                        PERF_RECORD_COMM,   PERF_RECORD_FORK,     PERF_RECORD_EXIT,
                        PERF_RECORD_LOST,   PERF_RECORD_THROTTLE, 70};
    struct dec_sample *s = malloc(sizeof(*s));
    int bad = 0;
    for (int iter = 0; iter < 20000; iter++) {
        struct dec_format f = fmt_of(xorshift(&rng) & (PERF_SAMPLE_MAX - 1), xorshift(&rng) & 0x1f,
                                     xorshift(&rng) & 1);
        size_t len = xorshift(&rng) % 200;
        unsigned char *p = malloc(len ? len : 1);
        for (size_t i = 0; i < len; i++) {
            uint64_t r = xorshift(&rng);
            /* mostly small numbers, so counts are often plausible */
            p[i] = (r & 3) ? (uint8_t)(r >> 8) % 4 : (uint8_t)(r >> 8);
        }
        if (len >= 8) {
            uint32_t t = types[xorshift(&rng) % HW_ARRAY_SIZE(types)];
            memcpy(p, &t, 4);
        }
        struct hw_err err;
        struct dec_sample_id sid;
        struct dec_mmap m;
        struct dec_comm c;
        struct dec_task t;
        struct dec_lost l;
        struct dec_throttle th;
        uint64_t id;
        int rc;
        rc = dec_sample(&f, p, len, s, &err);
        if (rc == 0 && s->nr_callchain &&
            (const unsigned char *)(s->callchain + s->nr_callchain) > p + len)
            bad++;
        if (rc == 0 && s->nr_values > DEC_MAX_READ)
            bad++;
        if (dec_trailer(&f, p, len, &sid, &err) < -1)
            bad++;
        if (dec_record_id(&f, p, len, &id) < -1)
            bad++;
        if (dec_mmap(p, len, &m, &err) == 0 &&
            (const unsigned char *)m.filename + strlen(m.filename) >= p + len)
            bad++;
        if (dec_comm(p, len, &c, &err) == 0 &&
            (const unsigned char *)c.comm + strlen(c.comm) >= p + len)
            bad++;
        if (dec_task(p, len, &t, &err) > 0 || dec_lost(p, len, &l, &err) > 0 ||
            dec_throttle(p, len, &th, &err) > 0)
            bad++;
        free(p);
    }
    CHECK_EQ_U64(bad, 0);
    free(s);
}

int main(void)
{
    test_hwprof_sample();
    test_perf_g_sample();
    test_perf_multi_sample();
    test_read_formats();
    test_callchain_hostile();
    test_misaligned();
    test_mmap2();
    test_mmap2_build_id();
    test_mmap_plain_and_kernel();
    test_comm();
    test_fork_exit();
    test_lost_throttle();
    test_trailer_edge_cases();
    test_format_from_attr();
    test_fuzz();
    test_user_regs_stack();
    test_raw_branch_skip();
    test_user_hostile();
    test_switch();
    test_format_from_attr_user();
    test_fuzz_user();
    return check_done("test-decode");
}
