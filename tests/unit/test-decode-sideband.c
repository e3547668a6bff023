/* test-decode-sideband.c - decode.c on hand-built side-band records (MMAP/MMAP2, COMM, FORK/EXIT, LOST, THROTTLE) and their sample_id trailers. */
#include "dectest.h"

#include <stdbool.h>
#include <stdlib.h>

static void test_mmap2(void)
{
    const char *path = "/usr/lib/x86_64-linux-gnu/libc.so.6";
    for (size_t fi = 0; fi < HW_ARRAY_SIZE(trailer_formats); fi++) {
        struct dec_format f = fmt_of(trailer_formats[fi].st, 0, true);
        CHECK_EQ_U64(dec_trailer_size(&f), trailer_formats[fi].tsize);
        struct rec w;
        rec_begin(&w, PERF_RECORD_MMAP2, PERF_RECORD_MISC_USER);
        rec_u32x2(&w, 100, 101);
        rec_u64(&w, 0x7f0000000000);
        rec_u64(&w, 0x1d6000);
        rec_u64(&w, 0x26000);
        rec_u32x2(&w, 8, 1); /* maj, min */
        rec_u64(&w, 123456); /* ino */
        rec_u64(&w, 9);      /* ino_generation */
        rec_u32x2(&w, 5, 2); /* prot, flags */
        size_t fname_off = w.len;
        rec_str(&w, path);
        size_t body = w.len;
        rec_trailer_of(&w, &f);
        size_t full = rec_end(&w);
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
    struct dec_format f = fmt_of(REC_ST, 0, true);
    uint8_t bid[20];
    for (int i = 0; i < 20; i++)
        bid[i] = (uint8_t)(0xa0 + i);
    struct rec w;
    rec_begin(&w, PERF_RECORD_MMAP2, PERF_RECORD_MISC_USER | PERF_RECORD_MISC_MMAP_BUILD_ID);
    rec_u32x2(&w, 5, 5);
    rec_u64(&w, 0x400000);
    rec_u64(&w, 0x1000);
    rec_u64(&w, 0);
    rec_u8(&w, 20);
    rec_u8(&w, 0);
    rec_u16(&w, 0);
    rec_put(&w, bid, 20);
    rec_u32x2(&w, 5, 2);
    rec_str(&w, "/bin/true");
    rec_trailer_of(&w, &f);
    size_t full = rec_end(&w);
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
    struct rec w;
    rec_begin(&w, PERF_RECORD_MMAP, PERF_RECORD_MISC_KERNEL);
    rec_u32x2(&w, (uint32_t)-1, 0);
    rec_u64(&w, 0xffffffff81000000ULL);
    rec_u64(&w, 0x1000000);
    rec_u64(&w, 0xffffffff81000000ULL);
    rec_str(&w, "[kernel.kallsyms]_text");
    size_t full = rec_end(&w);

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
    rec_begin(&w, PERF_RECORD_MMAP, PERF_RECORD_MISC_USER);
    rec_u32x2(&w, 1, 1);
    rec_u64(&w, 0x1000);
    rec_u64(&w, 0x1000);
    rec_u64(&w, 0);
    rec_put(&w, "ABCDEFGH", 8);
    rec_trailer_of(&w, &f);
    full = rec_end(&w);
    memset(&err, 0, sizeof(err));
    CHECK_EQ_U64(dec_mmap(w.b, full - dec_trailer_size(&f), &m, &err), (uint64_t)-1);
    CHECK(strstr(err.msg, "NUL") != NULL);
    CHECK(one_line(&err));
    CHECK_EQ_U64(dec_mmap(w.b, full, &m, &err), 0); /* the trailer's pid has zero bytes */
    CHECK(strlen(m.filename) < full - 40);

    /* Wrong types are refused. */
    rec_begin(&w, PERF_RECORD_COMM, 0);
    rec_u32x2(&w, 1, 1);
    rec_str(&w, "x");
    full = rec_end(&w);
    memset(&err, 0, sizeof(err));
    CHECK_EQ_U64(dec_mmap(w.b, full, &m, &err), (uint64_t)-1);
    CHECK(strstr(err.msg, "COMM") != NULL);
}

static void test_comm(void)
{
    for (size_t fi = 0; fi < HW_ARRAY_SIZE(trailer_formats); fi++) {
        struct dec_format f = fmt_of(trailer_formats[fi].st, 0, true);
        size_t tsize = dec_trailer_size(&f);
        struct rec w;
        rec_begin(&w, PERF_RECORD_COMM, PERF_RECORD_MISC_COMM_EXEC);
        rec_u32x2(&w, 300, 301);
        rec_str(&w, "lru-demo");
        rec_trailer_of(&w, &f);
        size_t full = rec_end(&w);

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
            struct dec_format f = fmt_of(id_all ? trailer_formats[fi].st : REC_ST, 0, id_all);
            size_t tsize = dec_trailer_size(&f);
            struct rec w;
            rec_begin(&w, types[ti], 0);
            rec_u32x2(&w, 20, 10);
            rec_u32x2(&w, 21, 11);
            rec_u64(&w, 5555);
            rec_trailer_of(&w, &f);
            size_t full = rec_end(&w);

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
    struct rec w;
    rec_begin(&w, PERF_RECORD_LOST, 0);
    rec_u64(&w, 0x77);
    rec_u64(&w, 12);
    size_t full = rec_end(&w);
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
        rec_begin(&w, types[ti], 0);
        rec_u64(&w, 1000);
        rec_u64(&w, 0x78);
        rec_u64(&w, 0x79);
        full = rec_end(&w);
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
    struct dec_format f = fmt_of(REC_ST, 0, true);
    struct rec w;
    rec_begin(&w, 68 /* PERF_RECORD_FINISHED_ROUND */, 0);
    size_t full = rec_end(&w);
    struct dec_sample_id t;
    struct hw_err err = {{0}};
    uint64_t id;
    CHECK_EQ_U64(dec_trailer(&f, w.b, full, &t, &err), 0);
    CHECK_EQ_U64(dec_record_id(&f, w.b, full, &id), 1);

    rec_begin(&w, PERF_RECORD_SAMPLE, 0);
    rec_u64(&w, 1);
    full = rec_end(&w);
    memset(&err, 0, sizeof(err));
    CHECK_EQ_U64(dec_trailer(&f, w.b, full, &t, &err), (uint64_t)-1);
    CHECK(one_line(&err));

    /* sample_id_all without any id bit: no id for side-band records. */
    f = fmt_of(PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME, 0, true);
    rec_begin(&w, PERF_RECORD_EXIT, 0);
    rec_u32x2(&w, 1, 1);
    rec_u32x2(&w, 1, 1);
    rec_u64(&w, 1);
    rec_trailer_of(&w, &f);
    full = rec_end(&w);
    CHECK_EQ_U64(dec_record_id(&f, w.b, full, &id), 1);
    CHECK_EQ_U64(dec_trailer(&f, w.b, full, &t, &err), 0);
    CHECK_EQ_U64(t.tid, 2);
    CHECK_EQ_U64(t.time, 3);
}

static void test_format_from_attr(void)
{
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.sample_type = REC_ST;
    attr.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_ID;
    attr.sample_id_all = 1;
    struct dec_format f;
    dec_format_from_attr(&f, &attr);
    CHECK_EQ_U64(f.sample_type, REC_ST);
    CHECK_EQ_U64(f.read_format, PERF_FORMAT_GROUP | PERF_FORMAT_ID);
    CHECK(f.sample_id_all);
    attr.sample_id_all = 0;
    dec_format_from_attr(&f, &attr);
    CHECK(!f.sample_id_all);
}

int main(void)
{
    test_mmap2();
    test_mmap2_build_id();
    test_mmap_plain_and_kernel();
    test_comm();
    test_fork_exit();
    test_lost_throttle();
    test_trailer_edge_cases();
    test_format_from_attr();
    return check_done("test-decode-sideband");
}
