/* test-perfreader.c - perf.data reader tests: writer files, hostile files, real perf files. */
#include "check.h"
#include "decode.h"
#include "perfwriter.h"
#include "perfreader.h"
#include "records.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define ST                                                                                         \
    (PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |                \
     PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN)

/* perf.data header field offsets */
enum {
    H_SIZE = 8,
    H_ATTR_SIZE = 16,
    H_ATTRS_OFF = 24,
    H_ATTRS_SIZE = 32,
    H_DATA_OFF = 40,
    H_DATA_SIZE = 48,
    H_FEATURES = 72,
};

static char tmpdir[64];

static const char *tpath(const char *name)
{
    static char buf[8][256];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, sizeof(buf[0]), "%s/%s", tmpdir, name);
    return p;
}

/* Finds the section of feature bit in a perf.data image. */
static bool feat_find(const unsigned char *b, size_t len, int bit, size_t *off, size_t *size)
{
    uint64_t table = get_u64(b, H_DATA_OFF) + get_u64(b, H_DATA_SIZE);
    size_t k = 0;
    for (int i = 0; i < bit; i++)
        k += (get_u64(b, H_FEATURES + (size_t)(i / 64) * 8) >> (i % 64)) & 1;
    if (!((get_u64(b, H_FEATURES + (size_t)(bit / 64) * 8) >> (bit % 64)) & 1) ||
        table + (k + 1) * 16 > len)
        return false;
    *off = get_u64(b, table + k * 16);
    *size = get_u64(b, table + k * 16 + 8);
    return *off + *size <= len;
}

/* ---- record encoder: sample_type ST with sample_id_all (records.h has the rest) ---- */

static void mk_sample(struct rec *r, uint64_t id, uint64_t ip, uint64_t time, uint32_t cpu)
{
    rec_begin(r, PERF_RECORD_SAMPLE, PERF_RECORD_MISC_USER);
    rec_u64(r, id);
    rec_u64(r, ip);
    rec_u32(r, 77);
    rec_u32(r, 78);
    rec_u64(r, time);
    rec_u32(r, cpu);
    rec_u32(r, 0);
    rec_u64(r, 1000);
    rec_u64(r, 3); /* callchain */
    rec_u64(r, PERF_CONTEXT_USER);
    rec_u64(r, ip);
    rec_u64(r, ip + 0x10);
    rec_end(r);
}

static struct perf_event_attr mk_attr(uint32_t type, uint64_t config)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof(a));
    a.size = sizeof(a);
    a.type = type;
    a.config = config;
    a.sample_period = 1000;
    a.sample_type = ST;
    a.sample_id_all = 1;
    return a;
}

/* Writes a perf.data file through hwprof's writer. Returns 0 or -1. */
static int write_perfdata(const char *path, const struct pw_attr *attrs, size_t nattrs,
                          const struct rec *recs, size_t nrecs, const struct pw_meta *meta,
                          uint64_t first_time, uint64_t last_time,
                          const struct pw_build_id *bids, size_t nbids)
{
    struct pw_writer *w;
    struct hw_err err;
    if (pw_writer_open(&w, path, attrs, nattrs, meta, &err) < 0) {
        fprintf(stderr, "pw_writer_open: %s\n", err.msg);
        return -1;
    }
    for (size_t i = 0; i < nrecs; i++) {
        if (pw_writer_write(w, recs[i].b, recs[i].len, &err) < 0) {
            fprintf(stderr, "pw_writer_write: %s\n", err.msg);
            pw_writer_abort(w);
            return -1;
        }
    }
    if (pw_writer_finish(w, first_time, last_time, bids, nbids, &err) < 0) {
        fprintf(stderr, "pw_writer_finish: %s\n", err.msg);
        return -1;
    }
    return 0;
}

/* Opens path expecting failure with a one-line message containing want. */
static void expect_open_fail_at(const char *path, const char *want, int line)
{
    struct pr_file *f = (struct pr_file *)1;
    struct hw_err err;
    memset(&err, 0, sizeof(err));
    int r = pr_open(&f, path, NULL, &err);
    CHECK(r == -1);
    CHECK(f == NULL);
    CHECK(strchr(err.msg, '\n') == NULL);
    bool ok = r == -1 && strstr(err.msg, want) != NULL;
    CHECK(ok);
    if (!ok)
        fprintf(stderr, "  line %d: expected an error with \"%s\", got r=%d \"%s\"\n", line, want,
                r, err.msg);
    if (r == 0)
        pr_close(f);
}
#define EXPECT_OPEN_FAIL(path, want) expect_open_fail_at(path, want, __LINE__)

/* Writes b to a scratch file and expects pr_open to fail mentioning want. */
static void expect_bytes_fail_at(const unsigned char *b, size_t len, const char *want, int line)
{
    const char *p = tpath("hostile.data");
    CHECK(write_file(p, b, len) == 0);
    expect_open_fail_at(p, want, line);
}
#define EXPECT_BYTES_FAIL(b, len, want) expect_bytes_fail_at(b, len, want, __LINE__)

/* Warnings of the reader, collected one per line. */
static char warned[8192];

static void collect_warning(void *arg, const char *msg)
{
    (void)arg;
    size_t n = strlen(warned);
    snprintf(warned + n, sizeof(warned) - n, "%s\n", msg);
}

static const struct hw_warn collect = {collect_warning, NULL};

/* Opens b and reads all its records, collecting warnings in `warned`. Returns the records read, or
 * -1 with err when opening or reading failed. */
static long read_bytes(const unsigned char *b, size_t len, struct hw_err *err)
{
    const char *p = tpath("hostile.data");
    struct pr_file *f;
    struct pr_iter *it;
    struct pr_record rec;
    long n = 0;
    int r;
    warned[0] = 0;
    CHECK(write_file(p, b, len) == 0);
    if (pr_open(&f, p, &collect, err) < 0)
        return -1;
    if (pr_iter_new(&it, f, err) < 0) {
        pr_close(f);
        return -1;
    }
    while ((r = pr_iter_next(it, &rec, err)) == 1)
        n++;
    pr_iter_free(it);
    pr_close(f);
    return r < 0 ? -1 : n;
}

/* Opens b (must succeed), then expects reading its records to fail mentioning want. */
static void expect_iter_fail_at(const unsigned char *b, size_t len, const char *want, int line)
{
    struct hw_err err;
    memset(&err, 0, sizeof(err));
    long n = read_bytes(b, len, &err);
    bool ok = n == -1 && strstr(err.msg, want) != NULL && !strchr(err.msg, '\n');
    CHECK(ok);
    if (!ok)
        fprintf(stderr, "  line %d: expected a read error with \"%s\", got %ld, \"%s\"\n", line,
                want, n, err.msg);
}
#define EXPECT_ITER_FAIL(b, len, want) expect_iter_fail_at(b, len, want, __LINE__)

/* Expects b to read with nrec records and a warning mentioning want. */
static void expect_read_warn_at(const unsigned char *b, size_t len, long nrec, const char *want,
                                int line)
{
    struct hw_err err;
    memset(&err, 0, sizeof(err));
    long n = read_bytes(b, len, &err);
    bool ok = n == nrec && strstr(warned, want) != NULL;
    CHECK(ok);
    if (!ok)
        fprintf(stderr,
                "  line %d: expected %ld records and a warning with \"%s\", got %ld (%s), "
                "warnings \"%s\"\n",
                line, nrec, want, n, n < 0 ? err.msg : "", warned);
}
#define EXPECT_READ_WARN(b, len, nrec, want) expect_read_warn_at(b, len, nrec, want, __LINE__)

/* Opens and iterates path; returns records read, or -1 if open or iteration failed. */
static long read_all(const char *path, struct pr_file **keep)
{
    struct pr_file *f;
    struct pr_iter *it;
    struct pr_record rec;
    struct hw_err err;
    long n = 0;
    if (pr_open(&f, path, NULL, &err) < 0)
        return -1;
    if (pr_iter_new(&it, f, &err) < 0) {
        pr_close(f);
        return -1;
    }
    int r;
    while ((r = pr_iter_next(it, &rec, &err)) == 1)
        n++;
    pr_iter_free(it);
    if (keep)
        *keep = f;
    else
        pr_close(f);
    return r < 0 ? -1 : n;
}

/* ---- the main file: two events, two "CPUs", records out of order ---- */

enum { NREC = 11, NREC_OUT = 9 }; /* the two FINISHED_ROUNDs are not returned */

static void build_main_records(struct rec *recs)
{
    rec_comm(&recs[0], 0, 1000, 1000, "synth", 0, 0, 0); /* synthesized: id 0 */
    mk_sample(&recs[1], 11, 0x100, 100, 0);
    mk_sample(&recs[2], 21, 0x300, 300, 0);
    mk_sample(&recs[3], 11, 0x500, 500, 0);
    rec_round(&recs[4]);
    mk_sample(&recs[5], 12, 0x200, 200, 1);
    mk_sample(&recs[6], 22, 0x301, 300, 1); /* same time as recs[2]: file order */
    rec_comm(&recs[7], 0, 1001, 1001, "prog", 250, 1, 12);
    mk_sample(&recs[8], 999, 0x999, 700, 1); /* an id no attribute lists */
    mk_sample(&recs[9], 12, 0x50, 50, 1);
    rec_round(&recs[10]);
}

static void test_main_file(void)
{
    const char *path = tpath("main.data");
    uint64_t ids0[] = {11, 12}, ids1[] = {21, 22};
    struct pw_attr attrs[2] = {
        {mk_attr(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK), ids0, 2, "cpu-clock:ppp", 2},
        {mk_attr(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS), ids1, 2, "page-faults", 0},
    };
    attrs[1].attr.sample_period = 7;
    char *argv[] = {"hwprof", "record", "-o", "x.data", "--", "./prog", "arg"};
    struct pw_meta meta = {
        .hostname = "testhost",
        .osrelease = "6.0-test",
        .version = "hwprof-test",
        .arch = "x86_64",
        .nr_cpus_avail = 4,
        .nr_cpus_online = 2,
        .argc = 7,
        .argv = argv,
    };
    struct pw_build_id bids[2] = {
        {.pid = -1, .kernel = true, .id_len = 20, .filename = "[kernel.kallsyms]"},
        {.pid = 42, .kernel = false, .id_len = 8, .filename = "/usr/bin/prog"},
    };
    for (int i = 0; i < 20; i++) {
        bids[0].id[i] = (uint8_t)(0xa0 + i);
        bids[1].id[i] = (uint8_t)(i + 1);
    }
    struct rec recs[NREC];
    build_main_records(recs);
    CHECK(write_perfdata(path, attrs, 2, recs, NREC, &meta, 50, 500, bids, 2) == 0);

    struct pr_file *f;
    struct hw_err err;
    int r = pr_open(&f, path, NULL, &err);
    CHECK(r == 0);
    if (r < 0) {
        fprintf(stderr, "pr_open: %s\n", err.msg);
        return;
    }
    CHECK_STR(pr_info(f)->path, path);
    CHECK_EQ_U64(pr_env(f)->nattrs, 2);
    CHECK_EQ_U64(pr_env(f)->attrs[0].attr.type, PERF_TYPE_SOFTWARE);
    CHECK_EQ_U64(pr_env(f)->attrs[0].attr.config, PERF_COUNT_SW_CPU_CLOCK);
    CHECK_EQ_U64(pr_env(f)->attrs[1].attr.config, PERF_COUNT_SW_PAGE_FAULTS);
    CHECK_EQ_U64(pr_env(f)->attrs[1].attr.sample_period, 7);
    CHECK_EQ_U64(pr_env(f)->attrs[0].attr.sample_type, ST);
    CHECK_EQ_U64(pr_env(f)->attrs[0].attr.size, sizeof(struct perf_event_attr));
    CHECK_EQ_U64(pr_env(f)->attrs[0].nids, 2);
    CHECK_EQ_U64(pr_env(f)->attrs[0].ids[1], 12);
    CHECK_EQ_U64(pr_env(f)->attrs[1].nids, 2);
    CHECK_EQ_U64(pr_env(f)->attrs[1].ids[0], 21);
    CHECK_STR(pr_env(f)->attrs[0].name, "cpu-clock:ppp"); /* modifiers kept as written */
    CHECK_STR(pr_env(f)->attrs[1].name, "page-faults");
    CHECK_EQ_U64(pr_attr_index(f, 11), 0);
    CHECK_EQ_U64(pr_attr_index(f, 12), 0);
    CHECK_EQ_U64(pr_attr_index(f, 21), 1);
    CHECK_EQ_U64(pr_attr_index(f, 22), 1);
    CHECK(pr_attr_index(f, 999) == -1);
    CHECK(pr_attr_index(f, 0) == -1);
    CHECK(pr_attr_index(NULL, 11) == -1);

    /* features */
    const int bits[] = {PF_FEAT_BUILD_ID,   PF_FEAT_HOSTNAME,   PF_FEAT_OSRELEASE,
                        PF_FEAT_VERSION,    PF_FEAT_ARCH,       PF_FEAT_NRCPUS,
                        PF_FEAT_CMDLINE,    PF_FEAT_EVENT_DESC, PF_FEAT_GROUP_DESC,
                        PF_FEAT_SAMPLE_TIME};
    for (size_t i = 0; i < HW_ARRAY_SIZE(bits); i++)
        CHECK((pr_env(f)->features[bits[i] / 64] >> (bits[i] % 64)) & 1);
    CHECK(!((pr_env(f)->features[0] >> PF_FEAT_TRACING_DATA) & 1));
    CHECK_STR(pr_env(f)->hostname, "testhost");
    CHECK_STR(pr_env(f)->osrelease, "6.0-test");
    CHECK_STR(pr_env(f)->version, "hwprof-test");
    CHECK_STR(pr_env(f)->arch, "x86_64");
    CHECK_STR(pr_env(f)->cmdline, "hwprof record -o x.data -- ./prog arg");
    CHECK_EQ_U64(pr_env(f)->nr_cpus_avail, 4);
    CHECK_EQ_U64(pr_env(f)->nr_cpus_online, 2);
    CHECK_EQ_U64(pr_env(f)->first_sample_time, 50);
    CHECK_EQ_U64(pr_env(f)->last_sample_time, 500);
    CHECK_EQ_U64(pr_env(f)->nbuild_ids, 2);
    if (pr_env(f)->nbuild_ids == 2) {
        CHECK(pr_env(f)->build_ids[0].pid == -1);
        CHECK(pr_env(f)->build_ids[0].kernel);
        CHECK_EQ_U64(pr_env(f)->build_ids[0].id_len, 20);
        CHECK(memcmp(pr_env(f)->build_ids[0].id, bids[0].id, 20) == 0);
        CHECK_STR(pr_env(f)->build_ids[0].filename, "[kernel.kallsyms]");
        CHECK(pr_env(f)->build_ids[1].pid == 42);
        CHECK(!pr_env(f)->build_ids[1].kernel);
        CHECK_EQ_U64(pr_env(f)->build_ids[1].id_len, 8);
        CHECK(memcmp(pr_env(f)->build_ids[1].id, bids[1].id, 8) == 0);
        CHECK_STR(pr_env(f)->build_ids[1].filename, "/usr/bin/prog");
    }
    CHECK_EQ_U64(pr_env(f)->ngroups, 1);
    if (pr_env(f)->ngroups == 1) {
        CHECK_EQ_U64(pr_env(f)->groups[0].leader, 0);
        CHECK_EQ_U64(pr_env(f)->groups[0].nr_members, 2);
    }
    /* the feature table prints what it read, one entry after the other */
    char *text = NULL;
    size_t text_len = 0;
    FILE *mem = open_memstream(&text, &text_len);
    if (mem) {
        pf_print_features(pr_env(f), mem);
        fclose(mem);
        CHECK(strstr(text, "# hostname : testhost\n") != NULL);
        CHECK(strstr(text, "# cmdline : hwprof record -o x.data -- ./prog arg\n") != NULL);
        CHECK(strstr(text, "# nrcpus online : 2\n# nrcpus avail : 4\n") != NULL);
        CHECK(strstr(text, "# event : name = page-faults, type = 1, config = 0x2, ids = 2\n"));
        CHECK(strstr(text, "# build id : ") != NULL && strstr(text, " /usr/bin/prog\n") != NULL);
        CHECK(strstr(text, "# group : leader = 0, members = 2\n") != NULL);
        CHECK(strstr(text, "# hostname") < strstr(text, "# cmdline")); /* feature id order */
        CHECK(strstr(text, "# compressed") == NULL); /* absent features print nothing */
        free(text);
    }

    /* records: stable time order, as the rounds allow; time-0 records and unknown ids where they
     * were read, before the records held; FINISHED_ROUND is used, not returned */
    uint64_t offs[NREC];
    uint64_t off = pr_info(f)->data_offset;
    for (int i = 0; i < NREC; i++) {
        offs[i] = off;
        off += recs[i].len;
    }
    CHECK_EQ_U64(off, pr_info(f)->data_offset + pr_info(f)->data_size);
    const int order[NREC_OUT] = {0, 8, 9, 1, 5, 7, 2, 6, 3};
    const uint64_t times[NREC_OUT] = {0, 0, 50, 100, 200, 250, 300, 300, 500};
    const int attr_of[NREC] = {0, 0, 1, 0, -1, 0, 1, 0, -1, 0, -1}; /* by file index */
    struct pr_iter *it;
    r = pr_iter_new(&it, f, &err);
    CHECK(r == 0);
    if (r == 0) {
        struct pr_record rec;
        int n = 0;
        while ((r = pr_iter_next(it, &rec, &err)) == 1) {
            if (n < NREC_OUT) {
                int want = order[n];
                CHECK_EQ_U64(rec.offset, offs[want]);
                CHECK_EQ_U64(rec.time, times[n]);
                CHECK_EQ_U64((int64_t)rec.attr, (int64_t)attr_of[want]);
                CHECK_EQ_U64(rec.h->size, recs[want].len);
                CHECK(memcmp(rec.h, recs[want].b, recs[want].len) == 0);
                CHECK((uintptr_t)rec.h % 8 == 0);
                if (rec.h->type == PERF_RECORD_SAMPLE && rec.attr >= 0) {
                    struct dec_format fmt;
                    struct dec_sample s;
                    dec_format_from_attr(&fmt, &pr_env(f)->attrs[rec.attr].attr);
                    CHECK(dec_sample(&fmt, rec.h, rec.h->size, &s, &err) == 0);
                    CHECK_EQ_U64(s.time, rec.time);
                    CHECK_EQ_U64(s.nr_callchain, 3);
                    CHECK_EQ_U64(s.callchain[2], s.ip + 0x10);
                }
            }
            n++;
        }
        CHECK(r == 0);
        CHECK_EQ_U64(n, NREC_OUT);
        CHECK(pr_iter_next(it, &rec, &err) == 0); /* stays at the end */
        pr_iter_free(it);
    }
    pr_close(f);
}

/* The offset of the ids of EVENT_DESC entry i (at section offset off). */
static size_t event_desc_ids(const unsigned char *b, size_t off, int i)
{
    uint32_t asz = get_u32(b, off + 4);
    size_t p = off + 8;
    for (int k = 0;; k++) {
        uint32_t nids = get_u32(b, p + asz);
        p += asz + 4;
        p += 4 + get_u32(b, p);
        if (k == i)
            return p;
        p += (size_t)nids * 8;
    }
}

/* EVENT_DESC entries are matched to attrs by their ids, else by position. */
static void test_event_desc_matching(void)
{
    size_t len, off, size;
    unsigned char *b = load_file(tpath("main.data"), &len);
    const char *p = tpath("desc.data");
    struct pr_file *f;
    if (!b || !feat_find(b, len, PF_FEAT_EVENT_DESC, &off, &size)) {
        CHECK(!"main.data has EVENT_DESC");
        free(b);
        return;
    }
    size_t ids0 = event_desc_ids(b, off, 0), ids1 = event_desc_ids(b, off, 1);
    CHECK_EQ_U64(get_u64(b, ids0), 11);
    CHECK_EQ_U64(get_u64(b, ids1 + 8), 22);

    /* swapped ids: the names follow the ids, not the order */
    put_u64(b, ids0, 21);
    put_u64(b, ids0 + 8, 22);
    put_u64(b, ids1, 11);
    put_u64(b, ids1 + 8, 12);
    CHECK(write_file(p, b, len) == 0);
    f = NULL;
    CHECK_EQ_U64(read_all(p, &f), NREC_OUT);
    if (f) {
        CHECK_STR(pr_env(f)->attrs[0].name, "page-faults");
        CHECK_STR(pr_env(f)->attrs[1].name, "cpu-clock:ppp");
        pr_close(f);
    }
    /* unknown ids: by position, since the counts agree */
    for (int k = 0; k < 2; k++) {
        put_u64(b, ids0 + 8 * (size_t)k, 5000 + (uint64_t)k);
        put_u64(b, ids1 + 8 * (size_t)k, 6000 + (uint64_t)k);
    }
    CHECK(write_file(p, b, len) == 0);
    f = NULL;
    CHECK_EQ_U64(read_all(p, &f), NREC_OUT);
    if (f) {
        CHECK_STR(pr_env(f)->attrs[0].name, "cpu-clock:ppp");
        CHECK_STR(pr_env(f)->attrs[1].name, "page-faults");
        pr_close(f);
    }
    /* one entry fewer than attrs: unknown ids cannot be placed, names are derived */
    put_u32(b, off, 1);
    CHECK(write_file(p, b, len) == 0);
    f = NULL;
    CHECK_EQ_U64(read_all(p, &f), NREC_OUT);
    if (f) {
        CHECK_STR(pr_env(f)->attrs[0].name, "cpu-clock");
        CHECK_STR(pr_env(f)->attrs[1].name, "page-faults");
        pr_close(f);
    }
    free(b);
}

/* ---- names derived from type/config when there is no EVENT_DESC ---- */

static void test_derived_names(void)
{
    const char *path = tpath("names.data");
    uint64_t ids[6][1] = {{1}, {2}, {3}, {4}, {5}, {6}};
    struct pw_attr attrs[6] = {
        {mk_attr(PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES), ids[0], 1, NULL, 0},
        {mk_attr(PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES), ids[1], 1, NULL, 0},
        {mk_attr(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS), ids[2], 1, NULL, 0},
        {mk_attr(PERF_TYPE_RAW, 0x1234), ids[3], 1, NULL, 0},
        {mk_attr(8, 0x5), ids[4], 1, NULL, 0},
        {mk_attr(PERF_TYPE_HARDWARE, 99), ids[5], 1, NULL, 0},
    };
    CHECK(write_perfdata(path, attrs, 6, NULL, 0, NULL, 0, 0, NULL, 0) == 0);
    struct pr_file *f;
    struct hw_err err;
    if (pr_open(&f, path, NULL, &err) < 0) {
        CHECK(!"open names.data");
        fprintf(stderr, "%s\n", err.msg);
        return;
    }
    CHECK(!((pr_env(f)->features[0] >> PF_FEAT_EVENT_DESC) & 1));
    CHECK_STR(pr_env(f)->attrs[0].name, "cycles");
    CHECK_STR(pr_env(f)->attrs[1].name, "ref-cycles");
    CHECK_STR(pr_env(f)->attrs[2].name, "page-faults");
    CHECK_STR(pr_env(f)->attrs[3].name, "raw 0x1234");
    CHECK_STR(pr_env(f)->attrs[4].name, "type 8 config 0x5");
    CHECK_STR(pr_env(f)->attrs[5].name, "type 0 config 0x63");
    CHECK(pr_env(f)->hostname == NULL);
    CHECK(pr_env(f)->cmdline == NULL);
    CHECK_EQ_U64(pr_env(f)->nbuild_ids, 0);
    CHECK_EQ_U64(pr_env(f)->ngroups, 0);
    for (int i = 0; i < 6; i++)
        CHECK_EQ_U64(pr_attr_index(f, (uint64_t)i + 1), i);
    CHECK_EQ_U64(pr_info(f)->data_size, 8); /* no records: the writer puts one FINISHED_ROUND */
    CHECK(!pr_info(f)->unfinished);
    struct pr_iter *it;
    struct pr_record rec;
    CHECK(pr_iter_new(&it, f, &err) == 0);
    CHECK(pr_iter_next(it, &rec, &err) == 0);
    pr_iter_free(it);
    pr_close(f);
}

/* ---- a small valid file, the base of the hostile variants ---- */

enum { SMALL_NREC = 4, SMALL_NREC_OUT = 3 }; /* the FINISHED_ROUND is not returned */

static unsigned char *make_small(size_t *len)
{
    const char *path = tpath("small.data");
    uint64_t ids[] = {7};
    struct pw_attr attr = {mk_attr(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK), ids, 1,
                           "cpu-clock:u", 0};
    char *argv[] = {"hwprof", "record"};
    struct pw_meta meta = {.hostname = "h",
                           .osrelease = "r",
                           .argc = 2,
                           .argv = argv};
    struct pw_build_id bid = {.pid = -1, .kernel = true, .id_len = 4, .filename = "[k]"};
    struct rec recs[SMALL_NREC];
    rec_comm(&recs[0], 0, 5, 5, "c", 2, 0, 7);
    mk_sample(&recs[1], 7, 0x10, 3, 0);
    mk_sample(&recs[2], 7, 0x20, 1, 1);
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
    char zpath[] = "/tmp/test-perfreader-z-XXXXXX";
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

/* ---- hand-made files: attribute sizes, unaligned records, AUXTRACE ---- */

/* header, ids, one attr of attr_bytes (+ ids section), pad bytes, data, one feature section.
 * Returns the length. */
static size_t build_raw(unsigned char *out, const struct perf_event_attr *attr, size_t attr_bytes,
                        uint64_t id, size_t pad, const void *data, size_t dlen)
{
    size_t ids_off = 104, attrs_off = ids_off + 8, data_off = attrs_off + attr_bytes + 16 + pad;
    memset(out, 0, data_off + dlen);
    put_u64(out, 0, PF_MAGIC);
    put_u64(out, H_SIZE, 104);
    put_u64(out, H_ATTR_SIZE, attr_bytes + 16);
    put_u64(out, H_ATTRS_OFF, attrs_off);
    put_u64(out, H_ATTRS_SIZE, attr_bytes + 16);
    put_u64(out, H_DATA_OFF, data_off);
    put_u64(out, H_DATA_SIZE, dlen);
    put_u64(out, ids_off, id);
    memcpy(out + attrs_off, attr, attr_bytes < sizeof(*attr) ? attr_bytes : sizeof(*attr));
    put_u64(out, attrs_off + attr_bytes, ids_off);
    put_u64(out, attrs_off + attr_bytes + 8, 8);
    memcpy(out + data_off, data, dlen);
    /* one feature section (NRCPUS: 1, 1), as every finished recording has */
    size_t table = data_off + dlen;
    put_u64(out, H_FEATURES, 1ULL << PF_FEAT_NRCPUS);
    put_u64(out, table, table + 16);
    put_u64(out, table + 8, 8);
    put_u32(out, table + 16, 1);
    put_u32(out, table + 20, 1);
    return table + 24;
}

static void test_raw_files(void)
{
    static unsigned char b[8192];
    struct perf_event_attr a = mk_attr(PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS);
    struct rec recs[2];
    unsigned char data[1024];
    size_t dlen = 0;
    const char *p = tpath("raw.data");
    struct pr_file *f;
    struct hw_err err;

    mk_sample(&recs[0], 9, 0x4000, 20, 0);
    mk_sample(&recs[1], 9, 0x3000, 10, 1);
    for (int i = 0; i < 2; i++) {
        memcpy(data + dlen, recs[i].b, recs[i].len);
        dlen += recs[i].len;
    }

    /* a VER0 (64-byte) attribute is zero-extended; a longer one with zero tail is accepted */
    a.sample_regs_user = 0xdead; /* beyond VER0: must not survive */
    size_t len = build_raw(b, &a, PERF_ATTR_SIZE_VER0, 9, 0, data, dlen);
    CHECK(write_file(p, b, len) == 0);
    CHECK(pr_open(&f, p, NULL, &err) == 0);
    if (f) {
        CHECK_EQ_U64(pr_env(f)->attrs[0].attr.config, PERF_COUNT_HW_INSTRUCTIONS);
        CHECK_EQ_U64(pr_env(f)->attrs[0].attr.sample_type, ST);
        CHECK(pr_env(f)->attrs[0].attr.sample_id_all);
        CHECK_EQ_U64(pr_env(f)->attrs[0].attr.sample_regs_user, 0);
        CHECK_STR(pr_env(f)->attrs[0].name, "instructions");
        CHECK(pr_env(f)->hostname == NULL);
        pr_close(f);
    }
    CHECK_EQ_U64(read_all(p, NULL), 2);
    len = build_raw(b, &a, sizeof(a) + 64, 9, 0, data, dlen);
    CHECK(write_file(p, b, len) == 0);
    CHECK_EQ_U64(read_all(p, NULL), 2);
    b[get_u64(b, H_ATTRS_OFF) + sizeof(a) + 3] = 1;
    EXPECT_BYTES_FAIL(b, len, "fields unknown to hwprof");

    /* records at unaligned file offsets come back 8-byte aligned and intact, in time order */
    len = build_raw(b, &a, sizeof(a), 9, 4, data, dlen);
    CHECK(get_u64(b, H_DATA_OFF) % 8 == 4);
    CHECK(write_file(p, b, len) == 0);
    CHECK(pr_open(&f, p, NULL, &err) == 0);
    if (f) {
        struct pr_iter *it;
        struct pr_record rec;
        CHECK(pr_iter_new(&it, f, &err) == 0);
        if (it) {
            for (int i = 1; i >= 0; i--) {
                CHECK(pr_iter_next(it, &rec, &err) == 1);
                CHECK((uintptr_t)rec.h % 8 == 0);
                CHECK_EQ_U64(rec.offset, pr_info(f)->data_offset + (i ? recs[0].len : 0));
                CHECK(memcmp(rec.h, recs[i].b, recs[i].len) == 0);
                struct dec_format fmt;
                struct dec_sample s;
                dec_format_from_attr(&fmt, &pr_env(f)->attrs[0].attr);
                CHECK(dec_sample(&fmt, rec.h, rec.h->size, &s, &err) == 0);
                CHECK_EQ_U64(s.callchain[1], i ? 0x3000 : 0x4000);
                CHECK_EQ_U64(rec.time, i ? 10 : 20);
            }
            CHECK(pr_iter_next(it, &rec, &err) == 0);
            pr_iter_free(it);
        }
        pr_close(f);
    }

    /* AUXTRACE: its payload follows the record and is skipped */
    struct rec aux;
    rec_begin(&aux, 71, 0);
    rec_u64(&aux, 24); /* payload size */
    for (int i = 0; i < 4; i++)
        rec_u64(&aux, 0);
    rec_end(&aux);
    dlen = 0;
    memcpy(data, aux.b, aux.len);
    dlen += aux.len;
    memset(data + dlen, 0, 24); /* payload: zero bytes would be a size-0 record if not skipped */
    dlen += 24;
    memcpy(data + dlen, recs[0].b, recs[0].len);
    dlen += recs[0].len;
    len = build_raw(b, &a, sizeof(a), 9, 0, data, dlen);
    CHECK(write_file(p, b, len) == 0);
    CHECK_EQ_U64(read_all(p, NULL), 1); /* the AUXTRACE record itself is perf's: not returned */
    put_u64(b, get_u64(b, H_DATA_OFF) + 8, 1ULL << 40);
    EXPECT_ITER_FAIL(b, len, "payload");
}

/* ---- several attributes that cannot be told apart ---- */

static void test_attr_layouts(void)
{
    const char *p = tpath("layout.data");
    uint64_t ids0[] = {1}, ids1[] = {2};
    struct pw_attr attrs[2] = {
        {mk_attr(PERF_TYPE_SOFTWARE, 0), ids0, 1, "a", 0},
        {mk_attr(PERF_TYPE_SOFTWARE, 2), ids1, 1, "b", 0},
    };
    attrs[1].attr.sample_type &= ~(uint64_t)PERF_SAMPLE_IDENTIFIER;
    attrs[1].attr.sample_type |= PERF_SAMPLE_ID;
    CHECK(write_perfdata(p, attrs, 2, NULL, 0, NULL, 0, 0, NULL, 0) == 0);
    EXPECT_OPEN_FAIL(p, "attributes disagree on the sample id layout");

    attrs[1].attr = mk_attr(PERF_TYPE_SOFTWARE, 2);
    attrs[1].attr.sample_id_all = 0;
    CHECK(write_perfdata(p, attrs, 2, NULL, 0, NULL, 0, 0, NULL, 0) == 0);
    EXPECT_OPEN_FAIL(p, "attributes disagree on the sample id layout");

    /* ID (not IDENTIFIER) everywhere: fine when the fields before it agree */
    for (int i = 0; i < 2; i++) {
        attrs[i].attr = mk_attr(PERF_TYPE_SOFTWARE, (uint64_t)i);
        attrs[i].attr.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TIME | PERF_SAMPLE_ID;
    }
    attrs[1].attr.sample_type |= PERF_SAMPLE_PERIOD; /* after the id: harmless */
    CHECK(write_perfdata(p, attrs, 2, NULL, 0, NULL, 0, 0, NULL, 0) == 0);
    CHECK_EQ_U64(read_all(p, NULL), 0);
    attrs[1].attr.sample_type |= PERF_SAMPLE_TID; /* before the id: ambiguous */
    CHECK(write_perfdata(p, attrs, 2, NULL, 0, NULL, 0, 0, NULL, 0) == 0);
    EXPECT_OPEN_FAIL(p, "attributes disagree");

    for (int i = 0; i < 2; i++)
        attrs[i].attr.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TIME;
    CHECK(write_perfdata(p, attrs, 2, NULL, 0, NULL, 0, 0, NULL, 0) == 0);
    EXPECT_OPEN_FAIL(p, "carry no event id");

    attrs[0].attr = mk_attr(PERF_TYPE_SOFTWARE, 0);
    attrs[1].attr = mk_attr(PERF_TYPE_SOFTWARE, 2);
    attrs[1].ids = ids0;
    CHECK(write_perfdata(p, attrs, 2, NULL, 0, NULL, 0, 0, NULL, 0) == 0);
    EXPECT_OPEN_FAIL(p, "event id 1 is listed for event attributes 0 and 1");
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
        printf("test-perfreader: running as root, the unreadable-file check is skipped\n");
    else
        EXPECT_OPEN_FAIL(p, "Permission denied");
}

/* ---- real files from perf and from hwprof ---- */

/* Counts the samples that `perf report -D` shows, or -1. */
static long perf_count_samples(const char *path)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "perf report -D -i '%s' 2>/dev/null | grep -c 'PERF_RECORD_SAMPLE('",
             path);
    FILE *fp = popen(cmd, "r");
    long n = -1;
    if (!fp)
        return -1;
    if (fscanf(fp, "%ld", &n) != 1)
        n = -1;
    pclose(fp);
    return n;
}

/* Reads a real file: time order, every sample attributed, the sample count perf sees. */
static void check_real_file(const char *path, const char *what, const char *name0,
                            const char *version_prefix)
{
    struct pr_file *f;
    struct pr_iter *it;
    struct pr_record rec;
    struct hw_err err;
    if (pr_open(&f, path, NULL, &err) < 0) {
        CHECK(!"open a real file");
        fprintf(stderr, "%s: %s\n", what, err.msg);
        return;
    }
    struct utsname u;
    CHECK(uname(&u) == 0);
    CHECK_STR(pr_env(f)->hostname, u.nodename);
    CHECK_STR(pr_env(f)->osrelease, u.release);
    CHECK(pr_env(f)->version && strncmp(pr_env(f)->version, version_prefix, strlen(version_prefix)) == 0);
    CHECK(pr_env(f)->cmdline && strstr(pr_env(f)->cmdline, "record"));
    CHECK(pr_env(f)->nr_cpus_online > 0);
    CHECK(pr_env(f)->nattrs >= 1);
    CHECK(strncmp(pr_env(f)->attrs[0].name, name0, strlen(name0)) == 0);
    long samples = 0, records = 0, unattributed = 0, disorder = 0, bad = 0;
    uint64_t last = 0;
    CHECK(pr_iter_new(&it, f, &err) == 0);
    if (it) {
        int r;
        while ((r = pr_iter_next(it, &rec, &err)) == 1) {
            records++;
            if (rec.time < last)
                disorder++;
            last = rec.time;
            if (rec.h->type != PERF_RECORD_SAMPLE)
                continue;
            samples++;
            if (rec.attr < 0) {
                unattributed++;
                continue;
            }
            struct dec_format fmt;
            struct dec_sample s;
            dec_format_from_attr(&fmt, &pr_env(f)->attrs[rec.attr].attr);
            if (dec_sample(&fmt, rec.h, rec.h->size, &s, &err) < 0 || s.time != rec.time ||
                (pr_env(f)->first_sample_time && s.time < pr_env(f)->first_sample_time))
                bad++;
        }
        CHECK(r == 0);
        pr_iter_free(it);
    }
    long perf_samples = perf_count_samples(path);
    printf("test-perfreader: %s: %ld records, %ld samples (perf sees %ld), %zu events, "
           "first \"%s\"\n",
           what, records, samples, perf_samples, pr_env(f)->nattrs, pr_env(f)->attrs[0].name);
    CHECK(samples > 0);
    CHECK_EQ_U64(disorder, 0);
    CHECK_EQ_U64(unattributed, 0);
    CHECK_EQ_U64(bad, 0);
    if (perf_samples >= 0)
        CHECK_EQ_U64(samples, perf_samples);
    pr_close(f);
}

#define BUSY_LOOP "sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done'"

static void test_real_files(void)
{
    char cmd[1024];
    const char *hwprof = getenv("HWPROF");
    bool have_perf = system("perf --version >/dev/null 2>&1") == 0;

    if (!have_perf) {
        printf("test-perfreader: perf not found, the real perf file check is skipped\n");
    } else {
        const char *p = tpath("perf.data");
        snprintf(cmd, sizeof(cmd),
                 "perf record -q -g -e cpu-clock,page-faults -o '%s' -- " BUSY_LOOP
                 " >/dev/null 2>&1",
                 p);
        if (system(cmd) != 0) {
            printf("test-perfreader: perf record failed (perf_event_paranoid?), the real perf "
                   "file check is skipped\n");
        } else {
            check_real_file(p, "perf record -g -e cpu-clock,page-faults", "cpu-clock", "");
            struct pr_file *f;
            struct hw_err err;
            if (pr_open(&f, p, NULL, &err) == 0) {
                CHECK_EQ_U64(pr_env(f)->nattrs, 2);
                CHECK(strncmp(pr_env(f)->attrs[1].name, "page-faults", 11) == 0); /* ":u" if not root */
                CHECK(pr_env(f)->nbuild_ids > 0);
                pr_close(f);
            }
        }
    }

    if (!hwprof || !*hwprof) {
        printf("test-perfreader: HWPROF not set, the real hwprof file check is skipped\n");
        return;
    }
    const char *p = tpath("hwprof.data");
    snprintf(cmd, sizeof(cmd),
             "'%s' record -q -e cpu-clock,page-faults -o '%s' -- " BUSY_LOOP " >/dev/null 2>&1",
             hwprof, p);
    if (system(cmd) != 0) {
        CHECK(!"hwprof record");
        fprintf(stderr, "failed: %s\n", cmd);
        return;
    }
    check_real_file(p, "hwprof record -e cpu-clock,page-faults", "cpu-clock", "hwprof");
}


/* ---- rounds, streams, compression, a killed writer ---- */

/* Reads every record of f (iterator created here): the sample ips in order into ips (up to max),
 * the count returned; -1 on an error. */
static long read_ips(struct pr_file *f, uint64_t *ips, size_t max)
{
    struct pr_iter *it;
    struct pr_record rec;
    struct hw_err err;
    long n = 0;
    int r;
    if (pr_iter_new(&it, f, &err) < 0)
        return -1;
    while ((r = pr_iter_next(it, &rec, &err)) == 1) {
        if (rec.h->type != PERF_RECORD_SAMPLE)
            continue;
        uint64_t ip;
        memcpy(&ip, (const unsigned char *)rec.h + 16, 8);
        if ((size_t)n < max)
            ips[n] = ip;
        n++;
    }
    pr_iter_free(it);
    return r < 0 ? -1 : n;
}

/* Two "CPUs" drained in turns, as the recorder does: each round holds CPU 0's records, then CPU
 * 1's, both covering the same time span; round k's records start before round k-1's latest. */
enum { ROUNDS = 400, PER_CPU = 25 };

static int write_rounds(const char *path, const struct pw_meta *meta, bool late)
{
    uint64_t ids[] = {7};
    struct pw_attr attr = {mk_attr(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK), ids, 1, "cpu-clock", 0};
    struct pw_writer *w;
    struct hw_err err;
    struct rec r;
    int rc = 0;
    if (pw_writer_open(&w, path, &attr, 1, meta, &err) < 0) {
        fprintf(stderr, "pw_writer_open: %s\n", err.msg);
        return -1;
    }
    for (int k = 0; k < ROUNDS && rc == 0; k++) {
        for (int cpu = 0; cpu < 2 && rc == 0; cpu++)
            for (int i = 0; i < PER_CPU && rc == 0; i++) {
                /* times 10 apart per CPU, CPU 1 shifted by 5; the span overlaps the round before */
                uint64_t t = 1000 + (uint64_t)k * 10 * PER_CPU + (uint64_t)i * 10 + (uint64_t)cpu * 5;
                if (k > 0)
                    t -= 10 * PER_CPU / 2;
                mk_sample(&r, 7, t, t, (uint32_t)cpu); /* ip = time: the order is visible */
                rc = pw_writer_write(w, r.b, r.len, &err);
            }
        rec_round(&r);
        if (rc == 0)
            rc = pw_writer_write(w, r.b, r.len, &err);
    }
    if (late && rc == 0) { /* a record older than everything let go already */
        mk_sample(&r, 7, 1, 1, 0);
        rc = pw_writer_write(w, r.b, r.len, &err);
    }
    if (rc == 0)
        rc = pw_writer_finish(w, 1000, 1000 + ROUNDS * 10 * PER_CPU, NULL, 0, &err);
    else
        pw_writer_abort(w);
    if (rc < 0)
        fprintf(stderr, "write_rounds: %s\n", err.msg);
    return rc;
}

static bool sorted_ips(const uint64_t *ips, long n)
{
    for (long i = 1; i < n; i++)
        if (ips[i] < ips[i - 1])
            return false;
    return n > 0;
}

static void test_rounds(void)
{
    static uint64_t ips[ROUNDS * 2 * PER_CPU + 1];
    const char *p = tpath("rounds.data");
    struct pr_file *f;
    struct hw_err err;
    const long n = ROUNDS * 2 * PER_CPU;

    CHECK(write_rounds(p, NULL, false) == 0);
    warned[0] = 0;
    CHECK(pr_open(&f, p, &collect, &err) == 0);
    if (f) {
        CHECK_EQ_U64(read_ips(f, ips, HW_ARRAY_SIZE(ips)), n);
        CHECK(sorted_ips(ips, n)); /* each round's records wait for the next round */
        CHECK_STR(warned, "");
        /* a file can be read again, with the same result */
        memset(ips, 0, sizeof(ips));
        CHECK_EQ_U64(read_ips(f, ips, HW_ARRAY_SIZE(ips)), n);
        CHECK(sorted_ips(ips, n));
        pr_close(f);
    }
    /* a record older than what was let go: taken in late, and said so */
    CHECK(write_rounds(p, NULL, true) == 0);
    warned[0] = 0;
    CHECK(pr_open(&f, p, &collect, &err) == 0);
    if (f) {
        CHECK_EQ_U64(read_ips(f, ips, HW_ARRAY_SIZE(ips)), n + 1);
        /* it comes next after what was let go (before the records still held), not at the
         * start: the others stay in order */
        long at = -1;
        for (long i = 0; i <= n; i++)
            if (ips[i] == 1)
                at = i;
        CHECK(at > n / 2);
        if (at > 0) {
            memmove(ips + at, ips + at + 1, (size_t)(n - at) * sizeof(ips[0]));
            CHECK(sorted_ips(ips, n));
        }
        CHECK(strstr(warned, "1 records came after later ones") != NULL);
        pr_close(f);
    }
}

/* Runs the writer with path "-" (its standard output on file out). */
static int write_stream(const char *out, const struct pw_meta *meta)
{
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (saved < 0 || fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
        return -1;
    close(fd);
    int rc = write_rounds("-", meta, false);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    return rc;
}

static void test_stream_and_compression(void)
{
    static uint64_t ips[ROUNDS * 2 * PER_CPU + 1], want[ROUNDS * 2 * PER_CPU + 1];
    const long n = ROUNDS * 2 * PER_CPU;
    char *argv[] = {"hwprof", "record", "-o", "-"};
    struct pw_meta meta = {.hostname = "streamhost", .arch = "x86_64", .argc = 4, .argv = argv};
    struct pr_file *f;
    struct hw_err err;

    CHECK(write_rounds(tpath("plain.data"), &meta, false) == 0);
    CHECK(pr_open(&f, tpath("plain.data"), NULL, &err) == 0);
    if (f) {
        CHECK_EQ_U64(read_ips(f, want, HW_ARRAY_SIZE(want)), n);
        pr_close(f);
    }
    const char *names[] = {"stream.data", "stream-z.data", "file-z.data"};
    for (int k = 0; k < 3; k++) {
        const char *p = tpath(names[k]);
        meta.compression_level = k == 0 ? 0 : 3;
        CHECK((k < 2 ? write_stream(p, &meta) : write_rounds(p, &meta, false)) == 0);
        warned[0] = 0;
        int r = pr_open(&f, p, &collect, &err);
        CHECK(r == 0);
        if (r < 0) {
            fprintf(stderr, "%s: %s\n", names[k], err.msg);
            continue;
        }
        CHECK_EQ_U64(pr_info(f)->stream, k < 2);
        CHECK_EQ_U64(pr_env(f)->nattrs, 1);
        CHECK_STR(pr_env(f)->attrs[0].name, "cpu-clock"); /* EVENT_DESC came as a record */
        CHECK_STR(pr_env(f)->hostname, "streamhost");
        CHECK_STR(pr_env(f)->cmdline, "hwprof record -o -");
        CHECK_EQ_U64(pr_env(f)->compression.type, k == 0 ? 0 : PF_COMP_ZSTD);
        memset(ips, 0, sizeof(ips));
        CHECK_EQ_U64(read_ips(f, ips, HW_ARRAY_SIZE(ips)), n);
        CHECK(memcmp(ips, want, sizeof(want[0]) * (size_t)n) == 0);
        CHECK_EQ_U64(pr_env(f)->last_sample_time, 1000 + ROUNDS * 10 * PER_CPU); /* at the end */
        CHECK_STR(warned, "");
        /* a stream saved to a file reads again, its header records taken in once */
        CHECK_EQ_U64(read_ips(f, ips, HW_ARRAY_SIZE(ips)), n);
        pr_close(f);
    }
    /* compressed, the file is much smaller */
    size_t plain_len = 0, z_len = 0;
    unsigned char *a = load_file(tpath("plain.data"), &plain_len);
    unsigned char *b = load_file(tpath("file-z.data"), &z_len);
    CHECK(a && b && z_len * 4 < plain_len);
    free(a);
    free(b);
    /* a stream cut short: the records before the cut, and one warning */
    size_t len = 0;
    unsigned char *s = load_file(tpath("stream-z.data"), &len);
    if (s) {
        CHECK(write_file(tpath("cut.data"), s, len * 2 / 3) == 0);
        warned[0] = 0;
        CHECK(pr_open(&f, tpath("cut.data"), &collect, &err) == 0);
        if (f) {
            long got = read_ips(f, ips, HW_ARRAY_SIZE(ips));
            CHECK(got > 0 && got < n);
            CHECK(strstr(warned, "ends inside") != NULL);
            pr_close(f);
        }
        free(s);
    }
}

/* A writer that dies without finishing (the process is killed): its records are read with a
 * warning. The child writes 3 MiB of samples, so the buffer was written at least twice. */
static void test_killed_writer(void)
{
    const char *p = tpath("killed.data");
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        uint64_t ids[] = {7};
        struct pw_attr attr = {mk_attr(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK), ids, 1,
                               "cpu-clock", 0};
        struct pw_writer *w;
        struct hw_err err;
        struct rec r;
        if (pw_writer_open(&w, p, &attr, 1, NULL, &err) < 0)
            _exit(1);
        for (uint64_t t = 1; t <= 30000; t++) {
            mk_sample(&r, 7, t, t, 0);
            if (pw_writer_write(w, r.b, r.len, &err) < 0)
                _exit(1);
        }
        _exit(0); /* no pw_writer_finish */
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
          WEXITSTATUS(status) == 0);
    struct pr_file *f;
    struct hw_err err;
    static uint64_t ips[30000];
    warned[0] = 0;
    CHECK(pr_open(&f, p, &collect, &err) == 0);
    if (!f)
        return;
    CHECK(pr_info(f)->unfinished);
    long n = read_ips(f, ips, HW_ARRAY_SIZE(ips));
    CHECK(n >= 20000 && n < 30000); /* two full buffers of ~10k samples each, the rest lost */
    CHECK(sorted_ips(ips, n) && ips[0] == 1);
    CHECK(strstr(warned, "was not finished") != NULL);
    pr_close(f);
}

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test-perfreader-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }

    test_main_file();
    test_event_desc_matching();
    test_derived_names();
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
    test_raw_files();
    test_attr_layouts();
    test_not_files();
    test_rounds();
    test_stream_and_compression();
    test_killed_writer();
    test_real_files();

    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "test-perfreader: could not remove %s\n", tmpdir);
    return check_done("test-perfreader");
}
