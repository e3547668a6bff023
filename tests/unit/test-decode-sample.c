/* test-decode-sample.c - decode.c on hand-built samples: field layouts, read formats, truncations, hostile counts, random bytes. */
#include "dectest.h"

#include <stdbool.h>
#include <stdlib.h>

/* dec_record_id on each prefix: -1 exactly when the id word is not within the prefix. */
static void check_sample_id_truncations(const struct dec_format *f, const struct rec *w,
                                        size_t full, size_t id_off, uint64_t id)
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

/* hwprof's own format: IDENTIFIER|IP|TID|TIME|CPU|PERIOD|CALLCHAIN. */
static void test_hwprof_sample(void)
{
    struct dec_format f =
        fmt_of(PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
                   PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN,
               0, true);
    struct rec w;
    rec_begin(&w, PERF_RECORD_SAMPLE, PERF_RECORD_MISC_USER);
    rec_u64(&w, 0x1234);          /* identifier */
    rec_u64(&w, 0x401000);        /* ip */
    rec_u32x2(&w, 4242, 4243);    /* pid, tid */
    rec_u64(&w, 123456789);       /* time */
    rec_u32x2(&w, 1, 0xdeadbeef); /* cpu, res */
    rec_u64(&w, 1000000);         /* period */
    rec_u64(&w, 4);               /* callchain nr */
    rec_u64(&w, (uint64_t)PERF_CONTEXT_USER);
    rec_u64(&w, 0x401000);
    rec_u64(&w, 0x401234);
    rec_u64(&w, 0x7f0000001000);
    size_t full = rec_end(&w);

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
    rec_u64(&w, 99);
    size_t longer = rec_end(&w);
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
    struct rec w;
    rec_begin(&w, PERF_RECORD_SAMPLE, PERF_RECORD_MISC_KERNEL);
    rec_u64(&w, 0xffffffff81000010ULL);
    rec_u32x2(&w, 7, 8);
    rec_u64(&w, 55);
    rec_u64(&w, 4000);
    rec_u64(&w, 2);
    rec_u64(&w, (uint64_t)PERF_CONTEXT_KERNEL);
    rec_u64(&w, 0xffffffff81000010ULL);
    size_t full = rec_end(&w);

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
    rec_begin(&w, PERF_RECORD_SAMPLE, 0);
    rec_u64(&w, 1);
    rec_u32x2(&w, 1, 1);
    rec_u64(&w, 2);
    rec_u64(&w, 3);
    rec_u64(&w, 0);
    full = rec_end(&w);
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
    struct rec w;
    rec_begin(&w, PERF_RECORD_SAMPLE, PERF_RECORD_MISC_USER);
    rec_u64(&w, 0x1111);
    rec_u32x2(&w, 10, 11);
    rec_u64(&w, 999);
    rec_u64(&w, 0xabcdef); /* id */
    rec_u32x2(&w, 3, 0);
    rec_u64(&w, 1);
    size_t full = rec_end(&w);

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
    rec_begin(&w, PERF_RECORD_SAMPLE, 0);
    rec_u64(&w, 1);
    rec_u64(&w, 0xadd);
    rec_u64(&w, 5);
    rec_u64(&w, 6);
    full = rec_end(&w);
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
    struct rec w;
    uint64_t st = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_READ | PERF_SAMPLE_CALLCHAIN;

    /* GROUP|ID */
    struct dec_format f = fmt_of(st, PERF_FORMAT_GROUP | PERF_FORMAT_ID, false);
    rec_begin(&w, PERF_RECORD_SAMPLE, 0);
    rec_u64(&w, 0x10);
    rec_u32x2(&w, 1, 2);
    rec_u64(&w, 3); /* nr */
    for (int i = 0; i < 3; i++) {
        rec_u64(&w, 100 + i);
        rec_u64(&w, 200 + i);
    }
    rec_u64(&w, 1);
    rec_u64(&w, 0x10);
    size_t full = rec_end(&w);
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
    rec_begin(&w, PERF_RECORD_SAMPLE, 0);
    rec_u64(&w, 0x10);
    rec_u32x2(&w, 1, 2);
    rec_u64(&w, 2);    /* nr */
    rec_u64(&w, 5000); /* enabled */
    rec_u64(&w, 2500); /* running */
    rec_u64(&w, 7);
    rec_u64(&w, 70);
    rec_u64(&w, 8);
    rec_u64(&w, 80);
    rec_u64(&w, 0); /* callchain nr */
    full = rec_end(&w);
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
    rec_begin(&w, PERF_RECORD_SAMPLE, 0);
    rec_u64(&w, 0x10);
    rec_u32x2(&w, 1, 2);
    rec_u64(&w, 1);
    rec_u64(&w, 9);
    rec_u64(&w, 4); /* lost */
    rec_u64(&w, 0);
    full = rec_end(&w);
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
    rec_begin(&w, PERF_RECORD_SAMPLE, 0);
    rec_u64(&w, 0x10);
    rec_u32x2(&w, 1, 2);
    rec_u64(&w, 31);
    rec_u64(&w, 32);
    rec_u64(&w, 33);
    rec_u64(&w, 34);
    rec_u64(&w, 35);
    rec_u64(&w, 1);
    rec_u64(&w, 0x20);
    full = rec_end(&w);
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
    rec_begin(&w, PERF_RECORD_SAMPLE, 0);
    rec_u64(&w, 0x10);
    rec_u32x2(&w, 1, 2);
    rec_u64(&w, 41);
    rec_u64(&w, 0);
    full = rec_end(&w);
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), 0);
    CHECK_EQ_U64(s->nr_values, 1);
    CHECK_EQ_U64(s->values[0].value, 41);
    CHECK_EQ_U64(s->values[0].id, 0);
    check_sample_truncations(&f, &w, full);

    /* Group of DEC_MAX_READ is fine, one more is an error even when the bytes are there. */
    f = fmt_of(PERF_SAMPLE_READ, PERF_FORMAT_GROUP, false);
    for (uint64_t nr = DEC_MAX_READ; nr <= DEC_MAX_READ + 1; nr++) {
        rec_begin(&w, PERF_RECORD_SAMPLE, 0);
        rec_u64(&w, nr);
        for (uint64_t i = 0; i < nr; i++)
            rec_u64(&w, i * 3);
        full = rec_end(&w);
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
        rec_begin(&w, PERF_RECORD_SAMPLE, 0);
        rec_u64(&w, huge[i]);
        rec_u64(&w, 1);
        rec_u64(&w, 2);
        full = rec_end(&w);
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
        struct rec w;
        rec_begin(&w, PERF_RECORD_SAMPLE, 0);
        rec_u64(&w, 0x1);
        rec_u64(&w, nrs[i]);
        rec_u64(&w, 0xa);
        rec_u64(&w, 0xb); /* room for exactly 2 entries */
        size_t full = rec_end(&w);
        void *p = dup_n(w.b, full);
        struct hw_err err = {{0}};
        CHECK_EQ_U64(dec_sample(&f, p, full, s, &err), (uint64_t)-1);
        CHECK(one_line(&err));
        CHECK(strstr(err.msg, "callchain") != NULL);
        free(p);
    }
    /* The brief's example message. */
    struct rec w;
    rec_begin(&w, PERF_RECORD_SAMPLE, 0);
    rec_u64(&w, 0x1);
    rec_u64(&w, 1000);
    for (int i = 0; i < 5; i++)
        rec_u64(&w, i);
    size_t full = rec_end(&w);
    struct hw_err err = {{0}};
    CHECK_EQ_U64(dec_sample(&f, w.b, full, s, &err), (uint64_t)-1);
    CHECK(strstr(err.msg, "nr=1000, 40 bytes left") != NULL);
    free(s);
}

/* A callchain cannot be pointed at in place at an odd address: a clean error, not UB. */
static void test_misaligned(void)
{
    struct dec_format f = fmt_of(PERF_SAMPLE_IP | PERF_SAMPLE_CALLCHAIN, 0, false);
    struct rec w;
    rec_begin(&w, PERF_RECORD_SAMPLE, 0);
    rec_u64(&w, 0x1);
    rec_u64(&w, 2);
    rec_u64(&w, 0xa);
    rec_u64(&w, 0xb);
    size_t full = rec_end(&w);
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
    test_fuzz();
    return check_done("test-decode-sample");
}
