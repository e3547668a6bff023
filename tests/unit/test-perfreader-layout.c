/* test-perfreader-layout.c - the perf.data reader on files of known layout: attributes and ids, header features, event names, record order, hand-made attribute sizes and records. */
#include "decode.h"
#include "prtest.h"

#include <stdlib.h>
#include <string.h>

/* ---- the main file: two events, two "CPUs", records out of order ---- */

enum { NREC = 11, NREC_OUT = 9 }; /* the two FINISHED_ROUNDs are not returned */

static void build_main_records(struct rec *recs)
{
    rec_comm(&recs[0], 0, 1000, 1000, "synth", 0, 0, 0); /* synthesized: id 0 */
    rec_sample(&recs[1], 11, 0x100, 100, 0);
    rec_sample(&recs[2], 21, 0x300, 300, 0);
    rec_sample(&recs[3], 11, 0x500, 500, 0);
    rec_round(&recs[4]);
    rec_sample(&recs[5], 12, 0x200, 200, 1);
    rec_sample(&recs[6], 22, 0x301, 300, 1); /* same time as recs[2]: file order */
    rec_comm(&recs[7], 0, 1001, 1001, "prog", 250, 1, 12);
    rec_sample(&recs[8], 999, 0x999, 700, 1); /* an id no attribute lists */
    rec_sample(&recs[9], 12, 0x50, 50, 1);
    rec_round(&recs[10]);
}

static void test_main_file(void)
{
    const char *path = tpath("main.data");
    uint64_t ids0[] = {11, 12}, ids1[] = {21, 22};
    struct pw_attr attrs[2] = {
        {rec_attr(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK), ids0, 2, "cpu-clock:ppp", 2},
        {rec_attr(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS), ids1, 2, "page-faults", 0},
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
    CHECK_EQ_U64(pr_env(f)->attrs[0].attr.sample_type, REC_ST);
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
        {rec_attr(PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES), ids[0], 1, NULL, 0},
        {rec_attr(PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES), ids[1], 1, NULL, 0},
        {rec_attr(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS), ids[2], 1, NULL, 0},
        {rec_attr(PERF_TYPE_RAW, 0x1234), ids[3], 1, NULL, 0},
        {rec_attr(8, 0x5), ids[4], 1, NULL, 0},
        {rec_attr(PERF_TYPE_HARDWARE, 99), ids[5], 1, NULL, 0},
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
    struct perf_event_attr a = rec_attr(PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS);
    struct rec recs[2];
    unsigned char data[1024];
    size_t dlen = 0;
    const char *p = tpath("raw.data");
    struct pr_file *f;
    struct hw_err err;

    rec_sample(&recs[0], 9, 0x4000, 20, 0);
    rec_sample(&recs[1], 9, 0x3000, 10, 1);
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
        CHECK_EQ_U64(pr_env(f)->attrs[0].attr.sample_type, REC_ST);
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
        {rec_attr(PERF_TYPE_SOFTWARE, 0), ids0, 1, "a", 0},
        {rec_attr(PERF_TYPE_SOFTWARE, 2), ids1, 1, "b", 0},
    };
    attrs[1].attr.sample_type &= ~(uint64_t)PERF_SAMPLE_IDENTIFIER;
    attrs[1].attr.sample_type |= PERF_SAMPLE_ID;
    CHECK(write_perfdata(p, attrs, 2, NULL, 0, NULL, 0, 0, NULL, 0) == 0);
    EXPECT_OPEN_FAIL(p, "attributes disagree on the sample id layout");

    attrs[1].attr = rec_attr(PERF_TYPE_SOFTWARE, 2);
    attrs[1].attr.sample_id_all = 0;
    CHECK(write_perfdata(p, attrs, 2, NULL, 0, NULL, 0, 0, NULL, 0) == 0);
    EXPECT_OPEN_FAIL(p, "attributes disagree on the sample id layout");

    /* ID (not IDENTIFIER) everywhere: fine when the fields before it agree */
    for (int i = 0; i < 2; i++) {
        attrs[i].attr = rec_attr(PERF_TYPE_SOFTWARE, (uint64_t)i);
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

    attrs[0].attr = rec_attr(PERF_TYPE_SOFTWARE, 0);
    attrs[1].attr = rec_attr(PERF_TYPE_SOFTWARE, 2);
    attrs[1].ids = ids0;
    CHECK(write_perfdata(p, attrs, 2, NULL, 0, NULL, 0, 0, NULL, 0) == 0);
    EXPECT_OPEN_FAIL(p, "event id 1 is listed for event attributes 0 and 1");
}

int main(void)
{
    if (tmpdir_make("test-perfreader-layout") < 0)
        return 1;
    test_main_file();
    test_event_desc_matching();
    test_derived_names();
    test_raw_files();
    test_attr_layouts();
    tmpdir_remove("test-perfreader-layout");
    return check_done("test-perfreader-layout");
}
