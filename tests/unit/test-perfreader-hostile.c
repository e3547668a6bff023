/* test-perfreader-hostile.c - the perf.data reader on hostile input: broken headers, records and features, every truncation, random corruption, files that are not perf.data. */
#include "prtest.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- a small valid file, the base of the hostile variants ---- */

enum { SMALL_NREC = 4, SMALL_NREC_OUT = 3 }; /* the FINISHED_ROUND is not returned */

static unsigned char *make_small(size_t *len)
{
    const char *path = tpath("small.data");
    uint64_t ids[] = {7};
    struct pw_attr attr = {rec_attr(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK), ids, 1,
                           "cpu-clock:u", 0};
    char *argv[] = {"hwprof", "record"};
    struct pw_meta meta = {.hostname = "h", .osrelease = "r", .argc = 2, .argv = argv};
    struct pw_build_id bid = {.pid = -1, .kernel = true, .id_len = 4, .filename = "[k]"};
    struct rec recs[SMALL_NREC];
    rec_comm(&recs[0], 0, 5, 5, "c", 2, 0, 7);
    rec_sample(&recs[1], 7, 0x10, 3, 0);
    rec_sample(&recs[2], 7, 0x20, 1, 1);
    rec_round(&recs[3]);
    if (write_perfdata(path, &attr, 1, recs, SMALL_NREC, &meta, 1, 3, &bid, 1) < 0)
        return NULL;
    return load_file(path, len);
}

static void test_small_roundtrip(const unsigned char *b, size_t len)
{
    struct pr_file *f = NULL;
    const char *p = tpath("small-copy.data");
    CHECK(write_file(p, b, len) == 0);
    CHECK_EQ_U64(read_all(p, &f), SMALL_NREC_OUT);
    if (!f)
        return;
    CHECK_STR(pr_env(f)->attrs[0].name, "cpu-clock:u");
    CHECK_STR(pr_env(f)->hostname, "h");
    CHECK_STR(pr_env(f)->cmdline, "hwprof record");
    CHECK_EQ_U64(pr_env(f)->nbuild_ids, 1);
    CHECK_EQ_U64(pr_info(f)->file_size, len);
    /* a single attribute: every id maps to it */
    CHECK_EQ_U64(pr_attr_index(f, 7), 0);
    CHECK_EQ_U64(pr_attr_index(f, 12345), 0);
    pr_close(f);
}

static void test_hostile_header(const unsigned char *good, size_t len)
{
    unsigned char *b = malloc(len);
    if (!b)
        return;
#define RESET() memcpy(b, good, len)

    RESET();
    EXPECT_BYTES_FAIL(b, 0, "is empty");
    RESET();
    EXPECT_BYTES_FAIL(b, 3, "too short");
    RESET();
    memcpy(b, "NOTPERF!", 8);
    EXPECT_BYTES_FAIL(b, len, "not a perf.data file");
    RESET();
    memcpy(b, "PERFILE1", 8);
    EXPECT_BYTES_FAIL(b, len, "unsupported perf.data version");
    RESET();
    memcpy(b, "PERFFILE", 8);
    EXPECT_BYTES_FAIL(b, len, "version 1");
    RESET();
    put_u64(b, 0, __builtin_bswap64(PF_MAGIC));
    EXPECT_BYTES_FAIL(b, len, "big-endian");
    RESET();
    put_u64(b, H_SIZE, 16); /* a pipe-mode header before file-mode bytes: not records */
    EXPECT_BYTES_FAIL(b, len, "has size 0");
    EXPECT_BYTES_FAIL(b, 16, "no event attributes before its first record");
    RESET();
    EXPECT_BYTES_FAIL(b, 12, "truncated");
    EXPECT_BYTES_FAIL(b, 60, "truncated");
    put_u64(b, H_SIZE, 0);
    EXPECT_BYTES_FAIL(b, len, "header size 0");
    RESET();
    put_u64(b, H_ATTR_SIZE, 0);
    EXPECT_BYTES_FAIL(b, len, "attribute size 0");
    put_u64(b, H_ATTR_SIZE, 1);
    EXPECT_BYTES_FAIL(b, len, "attribute size 1");
    put_u64(b, H_ATTR_SIZE, 1ULL << 40);
    EXPECT_BYTES_FAIL(b, len, "unsupported attribute size");
    RESET();
    put_u64(b, H_ATTR_SIZE, get_u64(good, H_ATTR_SIZE) + 8); /* attrs.size no longer a multiple */
    EXPECT_BYTES_FAIL(b, len, "not a multiple of the attribute size");
    RESET();
    put_u64(b, H_ATTRS_SIZE, 0);
    EXPECT_BYTES_FAIL(b, len, "no event attributes");
    RESET();
    put_u64(b, H_ATTRS_OFF, len - 8);
    EXPECT_BYTES_FAIL(b, len, "truncated: the attrs section ends at byte");
    put_u64(b, H_ATTRS_OFF, UINT64_MAX - 4);
    EXPECT_BYTES_FAIL(b, len, "attrs section has offset");
    RESET();

    /* the ids section of attribute 0 */
    size_t ids_sec = (size_t)get_u64(good, H_ATTRS_OFF) + sizeof(struct perf_event_attr);
    put_u64(b, ids_sec, len);
    EXPECT_BYTES_FAIL(b, len, "truncated: the ids section of event attribute 0 ends at byte");
    RESET();
    put_u64(b, ids_sec + 8, 17); /* one id and a stray byte: the id is kept, with a warning */
    EXPECT_READ_WARN(b, len, SMALL_NREC_OUT, "the ids of event attribute 0 take 17 bytes");
    put_u64(b, ids_sec + 8, 1ULL << 60); /* nids absurd */
    EXPECT_BYTES_FAIL(b, len, "ids section of event attribute 0");
    RESET();

    /* the data section */
    put_u64(b, H_DATA_SIZE, get_u64(good, H_DATA_SIZE) + len);
    char want[128];
    snprintf(want, sizeof(want),
             "truncated: the data section ends at byte %zu but the file has %zu",
             (size_t)(get_u64(good, H_DATA_OFF) + get_u64(good, H_DATA_SIZE) + len), len);
    EXPECT_BYTES_FAIL(b, len, want);
    RESET();
    put_u64(b, H_DATA_OFF, UINT64_MAX);
    EXPECT_BYTES_FAIL(b, len, "data section has offset");
    RESET();

    /* perf record -z: the feature bit alone proves nothing (a file with the bit set but no
     * compressed records reads as it is) */
    put_u64(b, H_FEATURES, get_u64(good, H_FEATURES) | 1ULL << 27);
    struct pr_file *zf = NULL;
    struct hw_err zerr;
    char zpath[] = "/tmp/test-perfreader-hostile-z-XXXXXX";
    int zfd = mkstemp(zpath);
    CHECK(zfd >= 0 && write(zfd, b, len) == (ssize_t)len);
    if (zfd >= 0)
        close(zfd);
    CHECK(pr_open(&zf, zpath, NULL, &zerr) == 0);
    pr_close(zf);
    unlink(zpath);
    free(b);
#undef RESET
}

static void test_hostile_records(const unsigned char *good, size_t len)
{
    unsigned char *b = malloc(len);
    if (!b)
        return;
    size_t data = (size_t)get_u64(good, H_DATA_OFF);
    size_t dsize = (size_t)get_u64(good, H_DATA_SIZE);
    size_t first_size = get_u32(good, data + 4) >> 16;

    /* a record turned into a COMPRESSED record that does not decompress: skipped, one warning */
    memcpy(b, good, len);
    put_u32(b, data, 81); /* PERF_RECORD_COMPRESSED */
    EXPECT_READ_WARN(b, len, SMALL_NREC_OUT - 1, "1 compressed record could not be decompressed");
    memcpy(b, good, len);
    put_u16(b, data + 6, 0);
    EXPECT_ITER_FAIL(b, len, "has size 0");
    put_u16(b, data + 6, 4);
    EXPECT_ITER_FAIL(b, len, "smaller than its 8-byte header");
    memcpy(b, good, len);
    put_u16(b, data + first_size + 6, 0xffff);
    char want[128];
    snprintf(want, sizeof(want), "record at byte %zu (type 9, 65535 bytes) runs past the end",
             data + first_size);
    EXPECT_ITER_FAIL(b, len, want);
    /* the data section ends in the middle of a record header */
    memcpy(b, good, len);
    put_u64(b, H_DATA_SIZE, dsize - 4);
    EXPECT_ITER_FAIL(b, len, "runs past the end of the data section");
    /* a sample too short for its time field: skipped with a counted warning, the rest is read */
    memcpy(b, good, len);
    put_u16(b, data + first_size + 6, 32);  /* header, identifier, ip, pid/tid: no time */
    put_u32(b, data + first_size + 32, 70); /* make the remainder a record of perf's own */
    put_u16(b, data + first_size + 32 + 6,
            (uint16_t)((get_u32(good, data + first_size + 4) >> 16) - 32));
    EXPECT_READ_WARN(b, len, SMALL_NREC_OUT - 1, "skipped 1 malformed record (the first at byte");
    CHECK(strstr(warned, "too short for its time") != NULL);
    /* a side-band record too short for its sample_id trailer (a 16-byte BPF_EVENT): the same */
    memcpy(b, good, len);
    put_u16(b, data + 6, 16);
    put_u32(b, data, 18); /* PERF_RECORD_BPF_EVENT */
    put_u32(b, data + 16, 70);
    put_u16(b, data + 16 + 6, (uint16_t)(first_size - 16));
    EXPECT_READ_WARN(b, len, SMALL_NREC_OUT - 1, "skipped 1 malformed record");
    CHECK(strstr(warned, "BPF_EVENT") != NULL || strstr(warned, "trailer") != NULL);
    free(b);
}

static void test_hostile_features(const unsigned char *good, size_t len)
{
    unsigned char *b = malloc(len);
    const char *p = tpath("feat.data");
    struct pr_file *f;
    size_t off, size;
    if (!b)
        return;

    /* a feature table past the end of the file: features are ignored, the data still reads */
    memcpy(b, good, len);
    put_u64(b, H_FEATURES + 16, ~0ULL);
    put_u64(b, H_FEATURES + 24, ~0ULL);
    CHECK(write_file(p, b, len) == 0);
    f = NULL;
    CHECK_EQ_U64(read_all(p, &f), SMALL_NREC_OUT);
    if (f) {
        CHECK(pr_env(f)->hostname == NULL);
        CHECK(pr_env(f)->cmdline == NULL);
        CHECK_STR(pr_env(f)->attrs[0].name, "cpu-clock"); /* derived: EVENT_DESC unreadable */
        pr_close(f);
    }

    /* a feature section past the end of the file */
    memcpy(b, good, len);
    size_t table = (size_t)(get_u64(good, H_DATA_OFF) + get_u64(good, H_DATA_SIZE));
    put_u64(b, table, len); /* the first section is BUILD_ID */
    CHECK(write_file(p, b, len) == 0);
    f = NULL;
    CHECK_EQ_U64(read_all(p, &f), SMALL_NREC_OUT);
    if (f) {
        CHECK_EQ_U64(pr_env(f)->nbuild_ids, 0);
        CHECK_STR(pr_env(f)->hostname, "h");
        pr_close(f);
    }

    /* the hostname string says it is longer than its section */
    memcpy(b, good, len);
    CHECK(feat_find(good, len, PF_FEAT_HOSTNAME, &off, &size));
    put_u32(b, off, 0x7fffffff);
    CHECK(write_file(p, b, len) == 0);
    f = NULL;
    CHECK_EQ_U64(read_all(p, &f), SMALL_NREC_OUT);
    if (f) {
        CHECK(pr_env(f)->hostname == NULL);
        CHECK_STR(pr_env(f)->osrelease, "r"); /* the others are still read */
        CHECK_STR(pr_env(f)->cmdline, "hwprof record");
        pr_close(f);
    }
    /* ... and one without its NUL */
    memcpy(b, good, len);
    memset(b + off + 4, 'x', size - 4);
    CHECK(write_file(p, b, len) == 0);
    f = NULL;
    CHECK_EQ_U64(read_all(p, &f), SMALL_NREC_OUT);
    if (f) {
        CHECK(pr_env(f)->hostname == NULL);
        pr_close(f);
    }

    /* EVENT_DESC with an absurd count */
    memcpy(b, good, len);
    CHECK(feat_find(good, len, PF_FEAT_EVENT_DESC, &off, &size));
    put_u32(b, off, 0xffffffff);
    CHECK(write_file(p, b, len) == 0);
    f = NULL;
    CHECK_EQ_U64(read_all(p, &f), SMALL_NREC_OUT);
    if (f) {
        CHECK_STR(pr_env(f)->attrs[0].name, "cpu-clock");
        pr_close(f);
    }

    /* CMDLINE with an absurd count, BUILD_ID with a zero-size entry */
    memcpy(b, good, len);
    CHECK(feat_find(good, len, PF_FEAT_CMDLINE, &off, &size));
    put_u32(b, off, 0xfffffff0);
    CHECK(feat_find(good, len, PF_FEAT_BUILD_ID, &off, &size));
    put_u16(b, off + 6, 0);
    CHECK(write_file(p, b, len) == 0);
    f = NULL;
    CHECK_EQ_U64(read_all(p, &f), SMALL_NREC_OUT);
    if (f) {
        CHECK(pr_env(f)->cmdline == NULL);
        CHECK_EQ_U64(pr_env(f)->nbuild_ids, 0);
        CHECK_STR(pr_env(f)->hostname, "h");
        pr_close(f);
    }
    /* a build id longer than 20 bytes */
    memcpy(b, good, len);
    b[off + 32] = 21;
    CHECK(write_file(p, b, len) == 0);
    f = NULL;
    CHECK_EQ_U64(read_all(p, &f), SMALL_NREC_OUT);
    if (f) {
        CHECK_EQ_U64(pr_env(f)->nbuild_ids, 0);
        pr_close(f);
    }
    free(b);
}

/* Every prefix of a valid file must open-or-fail and iterate-or-fail cleanly. */
static void test_truncation(const unsigned char *good, size_t len)
{
    const char *p = tpath("trunc.data");
    size_t data_end = (size_t)(get_u64(good, H_DATA_OFF) + get_u64(good, H_DATA_SIZE));
    int opened = 0, early_ok = 0;
    for (size_t n = 0; n <= len; n++) {
        struct pr_file *f = NULL;
        struct hw_err err;
        CHECK(write_file(p, good, n) == 0);
        int r = pr_open(&f, p, NULL, &err);
        if (r < 0) {
            if (n >= data_end || !*err.msg || strchr(err.msg, '\n'))
                early_ok = -1;
            continue;
        }
        if (n < data_end)
            early_ok = -1;
        opened++;
        struct pr_iter *it;
        if (pr_iter_new(&it, f, &err) == 0) {
            struct pr_record rec;
            long k = 0;
            while (pr_iter_next(it, &rec, &err) == 1)
                k++;
            CHECK_EQ_U64(k, SMALL_NREC_OUT);
            pr_iter_free(it);
        }
        /* SAMPLE_TIME is the last section: cut by any truncation */
        CHECK_EQ_U64(pr_env(f)->first_sample_time, n == len ? 1 : 0);
        pr_close(f);
    }
    CHECK(early_ok == 0); /* fails before the data ends, opens after */
    CHECK_EQ_U64(opened, len - data_end + 1);
}

/* Random byte corruption: must never crash, hang or leak. */
static void test_corruption(const unsigned char *good, size_t len)
{
    unsigned char *b = malloc(len);
    const char *p = tpath("fuzz.data");
    unsigned seed = 12345;
    int ok = 0;
    if (!b)
        return;
    for (int round = 0; round < 3000; round++) {
        memcpy(b, good, len);
        int nflip = 1 + round % 4;
        for (int k = 0; k < nflip; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % len;
            seed = seed * 1103515245u + 12345u;
            b[at] = (unsigned char)(round % 3 == 0 ? 0xff : seed >> 16);
        }
        CHECK(write_file(p, b, len) == 0);
        ok += read_all(p, NULL) >= 0;
    }
    CHECK(ok > 0); /* some corruptions (e.g. in padding) leave the file readable */
    free(b);
}

static void test_not_files(void)
{
    EXPECT_OPEN_FAIL(tmpdir, "is a directory");
    EXPECT_OPEN_FAIL(tpath("does-not-exist.data"), "No such file or directory");
    EXPECT_OPEN_FAIL("/dev/null", "not a regular file");
    const char *fifo = tpath("fifo");
    if (mkfifo(fifo, 0600) == 0)
        EXPECT_OPEN_FAIL(fifo, "not a regular file"); /* and does not block */
    struct pr_file *f = (struct pr_file *)1;
    struct hw_err err;
    CHECK(pr_open(&f, "", NULL, &err) == -1 && f == NULL);

    const char *p = tpath("noperm.data");
    size_t len;
    unsigned char *b = make_small(&len);
    if (!b)
        return;
    CHECK(write_file(p, b, len) == 0);
    free(b);
    CHECK(chmod(p, 0) == 0);
    if (geteuid() == 0)
        printf("test-perfreader-hostile: running as root, the unreadable-file check is skipped\n");
    else
        EXPECT_OPEN_FAIL(p, "Permission denied");
}

int main(void)
{
    if (tmpdir_make("test-perfreader-hostile") < 0)
        return 1;
    size_t len = 0;
    unsigned char *small = make_small(&len);
    CHECK(small != NULL);
    if (small) {
        test_small_roundtrip(small, len);
        test_hostile_header(small, len);
        test_hostile_records(small, len);
        test_hostile_features(small, len);
        test_truncation(small, len);
        test_corruption(small, len);
        free(small);
    }
    test_not_files();
    tmpdir_remove("test-perfreader-hostile");
    return check_done("test-perfreader-hostile");
}
