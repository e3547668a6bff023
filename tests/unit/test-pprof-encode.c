/* test-pprof-encode.c - pprof.c's encoding of edge cases: varint boundaries, long strings and deep stacks, a profile large enough to flush often, mapping ids. */
#include <stdbool.h>
#include <stdlib.h>

#include "pprofdec.h"

/* One sample type: values unpacked; varint boundaries and negative values round-trip. */
static void test_varints(void)
{
    static const int64_t vals[] = {0,         1,         127, 128, 16383, 16384, (int64_t)1 << 35,
                                   INT64_MAX, INT64_MIN, -1,  -128};
    size_t nv = HW_ARRAY_SIZE(vals);
    struct profile *p = prof_new();
    CHECK(prof_add_type(p, "samples", "count", -1) == 0);
    int64_t fn = prof_function(p, "f", NULL, "f.c", 0);
    struct prof_line ln = {(uint32_t)fn, 0};
    uint32_t loc = (uint32_t)prof_add_location(p, PROF_NONE, UINT64_MAX, &ln, 1);
    for (size_t i = 0; i < nv; i++) {
        struct prof_labels l = {
            .pid = 1, .tid = (uint32_t)(i + 1) * 1000, .comm = "t", .cpu = (int32_t)i};
        CHECK(prof_add_sample(p, &loc, 1, &vals[i], &l) >= 0);
    }
    struct pprof_options o = {.labels = true};
    struct hw_err err = {""};
    size_t n = 0;
    unsigned char *data = write_mem(p, NULL, &o, &n, &err);
    struct d_prof d;
    d_decode(&d, data, n);
    d_check_structure(&d);
    CHECK_EQ_U64(d.nsamples, nv);
    CHECK_EQ_U64(d.unpacked_vals, nv);
    CHECK_EQ_U64(d.packed_vals, 0);
    for (size_t i = 0; i < nv && i < d.nsamples; i++) {
        CHECK_EQ_U64(d.samples[i].vals[0], vals[i]);
        const struct d_label *l = d_label(&d, &d.samples[i], "thread_id");
        CHECK(l && l->num == (int64_t)(i + 1) * 1000);
    }
    CHECK(d.nlocs == 1 && d.locs[0].address == UINT64_MAX && d.locs[0].mapping == 0);
    /* INT64_MIN and -1 take the full ten bytes */
    CHECK(n > 2 * 10);
    CHECK(d.time == 0 && d.dur == 0 && d.period == 0 && d.ncomments == 0);
    d_free(&d);
    free(data);
    prof_free(p);
}

/* Long strings and deep stacks: lengths that need two and three varint bytes. */
static void test_long_fields(void)
{
    struct profile *p = prof_new();
    CHECK(prof_add_type(p, "samples", "count", -1) == 0);
    char *big = malloc(20001), *mid = malloc(201);
    memset(big, 'b', 20000);
    big[20000] = '\0';
    memset(mid, 'm', 200);
    mid[200] = '\0';
    uint32_t locs[150];
    for (size_t i = 0; i < 150; i++) {
        char name[32];
        snprintf(name, sizeof(name), "frame%zu", i);
        int64_t fn = prof_function(p,
                                   i == 0   ? big
                                   : i == 1 ? mid
                                            : name,
                                   NULL, "deep.c", (uint32_t)i);
        struct prof_line ln = {(uint32_t)fn, (uint32_t)i + 1};
        locs[i] = (uint32_t)prof_add_location(p, PROF_NONE, 0x1000 + i * 0x100000, &ln, 1);
    }
    int64_t v = 1;
    CHECK(prof_add_sample(p, locs, 150, &v, NULL) >= 0);
    struct hw_err err = {""};
    size_t n = 0;
    unsigned char *data = write_mem(p, NULL, NULL, &n, &err);
    struct d_prof d;
    d_decode(&d, data, n);
    d_check_structure(&d);
    CHECK_EQ_U64(d.nsamples, 1);
    CHECK_EQ_U64(d.nlocs, 150);
    if (d.nsamples == 1) {
        CHECK_EQ_U64(d.samples[0].nlocs, 150);
        for (size_t i = 0; i < 150 && i < d.samples[0].nlocs; i++)
            CHECK_EQ_U64(d.samples[0].locs[i], locs[i] + 1);
    }
    const struct d_fn *f0 = d_fn(&d, 1), *f1 = d_fn(&d, 2), *f149 = d_fn(&d, 150);
    CHECK(f0 && f1 && f149);
    if (f0 && f1 && f149) {
        CHECK_STR(d_str(&d, f0->name), big);
        CHECK_STR(d_str(&d, f1->name), mid);
        CHECK_STR(d_str(&d, f149->name), "frame149");
        CHECK_EQ_U64(f149->start_line, 149);
    }
    const struct d_loc *l = d_loc(&d, 150);
    CHECK(l && l->address == 0x1000 + 149 * 0x100000 && l->lines[0].line == 150);
    d_free(&d);
    free(data);
    free(big);
    free(mid);
    prof_free(p);
}

/* Many samples: the writer flushes its buffer several times; plain and gzip'd agree. */
static void test_large(void)
{
    struct profile *p = prof_new();
    CHECK(prof_add_type(p, "samples", "count", -1) == 0);
    CHECK(prof_add_type(p, "cpu", "nanoseconds", 0) == 1);
    uint32_t locs[64];
    for (size_t i = 0; i < 64; i++) {
        char name[32];
        snprintf(name, sizeof(name), "fn%zu", i);
        int64_t fn = prof_function(p, name, NULL, "big.c", 0);
        struct prof_line ln = {(uint32_t)fn, (uint32_t)i};
        locs[i] = (uint32_t)prof_add_location(p, PROF_NONE, 0x1000 + i, &ln, 1);
    }
    const size_t nsamples = 40000;
    uint64_t sum = 0;
    for (size_t i = 0; i < nsamples; i++) {
        struct prof_labels l = {
            .pid = (uint32_t)i, .tid = (uint32_t)i, .comm = "w", .cpu = (int32_t)(i % 2)};
        int64_t v[2] = {1, (int64_t)i * 1000};
        sum += (uint64_t)v[1];
        CHECK(prof_add_sample(p, locs + i % 32, 32, v, &l) >= 0);
    }
    struct pprof_options o = {.labels = true};
    struct hw_err err = {""};
    size_t n = 0;
    unsigned char *data = write_mem(p, NULL, &o, &n, &err);
    CHECK(n > 4 * 256 * 1024);
    struct d_prof d;
    d_decode(&d, data, n);
    CHECK_EQ_U64(d.bad, 0);
    CHECK_EQ_U64(d.nsamples, nsamples);
    uint64_t got = 0;
    size_t with_cpu = 0;
    for (size_t i = 0; i < d.nsamples; i++) {
        got += (uint64_t)d.samples[i].vals[1];
        with_cpu += d_label(&d, &d.samples[i], "cpu") != NULL;
    }
    CHECK_EQ_U64(got, sum);
    CHECK_EQ_U64(with_cpu, nsamples);
    CHECK_EQ_U64(d.nlocs, 63);
    d_free(&d);

    size_t gn = 0;
    unsigned char magic[2];
    unsigned char *gz = write_gz(p, NULL, o, &gn, magic);
    CHECK(gn == n && memcmp(gz, data, n) == 0);
    free(gz);
    free(data);
    prof_free(p);
}

/* Checks that the mappings of d are /bin/prog, then the files NAMES[0..n) in this order, with ids
 * 1, 2, ... (their positions), and that every location of an address in a mapping's range refers
 * to that mapping by its id. */
static void check_mapping_ids(const struct d_prof *d, const char *const *names, size_t n)
{
    d_check_structure(d);
    CHECK_EQ_U64(d->nmaps, n + 1);
    for (size_t i = 0; i < d->nmaps && i <= n; i++) {
        CHECK_EQ_U64(d->maps[i].id, i + 1);
        CHECK_STR(d_str(d, d->maps[i].filename), i == 0 ? "/bin/prog" : names[i - 1]);
    }
    for (size_t i = 0; i < d->nlocs; i++) {
        const struct d_loc *l = &d->locs[i];
        const struct d_map *m = d_map(d, l->mapping);
        CHECK(m != NULL && l->address >= m->start && l->address < m->limit);
    }
}

/* The main binary's mapping is not the profile's first, and an unreferenced one sits among the
 * others: the output lists the main binary first, and the ids are the output positions (1, 2, 3,
 * with no gap), which the locations use. */
static void test_mapping_ids(void)
{
    struct profile *p = prof_new();
    CHECK(p != NULL);
    CHECK(prof_add_type(p, "samples", "count", -1) == 0);
    p->default_type = 0;
    CHECK(prof_mapping(p, 0x7f0000000000, 0x7f0000200000, 0, "/lib/libc.so.6", "") == 0);
    CHECK(prof_mapping(p, 0x7f1000000000, 0x7f1000001000, 0, "/unused.so", "") == 1);
    CHECK(prof_mapping(p, 0x400000, 0x401000, 0, "/bin/prog", "0123abcd") == 2);
    CHECK(prof_mapping(p, 0x7f2000000000, 0x7f2000030000, 0, "/lib/ld.so", "") == 3);
    p->main_mapping = 2;
    uint32_t fn = (uint32_t)prof_function(p, "f", NULL, "", 0);
    struct prof_line line[] = {{fn, 0}};
    int64_t llibc = prof_add_location(p, 0, 0x7f0000001000, line, 1);
    int64_t lprog = prof_add_location(p, 2, 0x400100, line, 1);
    int64_t lld = prof_add_location(p, 3, 0x7f2000000100, line, 1);
    CHECK(llibc >= 0 && lprog >= 0 && lld >= 0);
    uint32_t s0[] = {(uint32_t)llibc, (uint32_t)lprog}, s1[] = {(uint32_t)lld, (uint32_t)lprog};
    int64_t v[] = {1};
    CHECK(prof_add_sample(p, s0, 2, v, NULL) >= 0);
    CHECK(prof_add_sample(p, s1, 2, v, NULL) >= 0);

    struct pprof_options o = {.labels = true};
    struct hw_err err = {""};
    size_t n = 0;
    struct d_prof d;
    unsigned char *data = write_mem(p, NULL, &o, &n, &err);
    CHECK(data != NULL);
    d_decode(&d, data, n);
    check_mapping_ids(&d, (const char *const[]){"/lib/libc.so.6", "/lib/ld.so"}, 2);
    d_free(&d);
    free(data);

    /* Only the sample through ld.so kept: libc's mapping goes, ld.so's becomes id 2. */
    bool keep[] = {false, true};
    data = write_mem(p, keep, &o, &n, &err);
    CHECK(data != NULL);
    d_decode(&d, data, n);
    check_mapping_ids(&d, (const char *const[]){"/lib/ld.so"}, 1);
    d_free(&d);
    free(data);
    prof_free(p);
}

int main(void)
{
    test_varints();
    test_long_fields();
    test_large();
    test_mapping_ids();
    return check_done("test-pprof-encode");
}
