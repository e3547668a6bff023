/* test-profile.c - unit tests for profile.c (interning, aggregation), filter.c and top.c (flat/cum, recursion, inline, lines). */
#include <stdlib.h>

#include "check.h"
#include "filter.h"
#include "profile.h"
#include "top.h"

/* A location with an inline chain given as (function, line) pairs, innermost first. */
static uint32_t loc(struct profile *p, uint64_t addr, const char *const *fns, const uint32_t *lines, size_t n)
{
    struct prof_line ln[8];
    for (size_t i = 0; i < n; i++) {
        int64_t f = prof_function(p, fns[i], fns[i], "src/prog.c", 1);
        CHECK(f >= 0);
        ln[i] = (struct prof_line){(uint32_t)f, lines[i]};
    }
    int64_t l = prof_add_location(p, 0, addr, ln, n);
    CHECK(l >= 0);
    return (uint32_t)l;
}

#define LOC1(p, addr, fn, line) loc(p, addr, (const char *const[]){fn}, (const uint32_t[]){line}, 1)

static const struct top_row *row(const struct top_table *t, const char *name, uint32_t line)
{
    for (size_t i = 0; i < t->nrows; i++)
        if (strcmp(t->rows[i].name, name) == 0 && t->rows[i].line == line)
            return &t->rows[i];
    return NULL;
}

static void test_interning(void)
{
    struct profile *p = prof_new();
    CHECK(p && p->nstrings == 1 && strcmp(p->strings[0], "") == 0);
    int64_t a = prof_string(p, "main"), b = prof_string(p, "main"), c = prof_string(p, "other");
    CHECK(a == b && a != c && a > 0);
    int64_t f1 = prof_function(p, "f", "f", "a.c", 3), f2 = prof_function(p, "f", "f", "a.c", 3);
    int64_t f3 = prof_function(p, "f", "f", "b.c", 3);
    CHECK(f1 == f2 && f1 != f3);
    int64_t m1 = prof_mapping(p, 0x1000, 0x2000, 0, "/bin/x", "abcd");
    int64_t m2 = prof_mapping(p, 0x1000, 0x2000, 0, "/bin/x", "abcd");
    CHECK(m1 == 0 && m2 == 0 && p->nmappings == 1);
    CHECK_STR(p->strings[p->mappings[0].build_id], "abcd");
    CHECK(prof_find_location(p, 0, 0x1234) == -1);
    uint32_t l = LOC1(p, 0x1234, "f", 7);
    CHECK_EQ_U64(prof_find_location(p, 0, 0x1234), l);
    /* many strings survive rehashing */
    char buf[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(buf, sizeof(buf), "s%d", i);
        CHECK(prof_string(p, buf) > 0);
    }
    snprintf(buf, sizeof(buf), "s%d", 1234);
    CHECK_STR(p->strings[prof_string(p, buf)], "s1234");
    prof_free(p);
}

/* main -> a -> b (leaf), 3 samples; main -> a (leaf), 1 sample; main -> rec -> rec -> rec (leaf) 2. */
static struct profile *build(void)
{
    struct profile *p = prof_new();
    CHECK(prof_add_type(p, "samples", "count", -1) == 0);
    CHECK(prof_add_type(p, "cpu", "nanoseconds", 0) == 1);
    uint32_t lmain = LOC1(p, 0x10, "main", 5), la = LOC1(p, 0x20, "a", 10), lb = LOC1(p, 0x30, "b", 20);
    uint32_t lr1 = LOC1(p, 0x40, "rec", 30), lr2 = LOC1(p, 0x41, "rec", 31);
    struct prof_labels l1 = {.pid = 100, .tid = 100, .comm = "prog", .cpu = 0},
                       l2 = {.pid = 100, .tid = 101, .comm = "worker", .cpu = 1};
    int64_t v[2] = {1, 1000000};
    uint32_t s1[] = {lb, la, lmain};
    for (int i = 0; i < 3; i++)
        CHECK(prof_add_sample(p, s1, 3, v, &l1) == 0);
    uint32_t s2[] = {la, lmain};
    CHECK(prof_add_sample(p, s2, 2, v, &l2) == 1);
    uint32_t s3[] = {lr2, lr1, lr1, lmain};
    CHECK(prof_add_sample(p, s3, 4, v, &l1) == 2);
    CHECK(prof_add_sample(p, s3, 4, v, &l1) == 2);
    return p;
}

static void test_aggregation_and_top(void)
{
    struct profile *p = build();
    CHECK_EQ_U64(p->nsamples, 3); /* identical stacks+labels merged */
    CHECK_EQ_U64(p->values[p->samples[0].values_at + 0], 3);
    CHECK_EQ_U64(p->values[p->samples[0].values_at + 1], 3000000);

    struct top_options o = {.type = 1};
    struct top_table t;
    struct hw_err err;
    CHECK(top_compute(p, NULL, &o, &t, &err) == 0);
    CHECK_EQ_U64(t.total, 6000000);
    const struct top_row *b = row(&t, "b", 0), *a = row(&t, "a", 0), *m = row(&t, "main", 0),
                         *r = row(&t, "rec", 0);
    CHECK(b && a && m && r);
    if (b && a && m && r) {
        CHECK_EQ_U64(b->flat, 3000000);
        CHECK_EQ_U64(b->cum, 3000000);
        CHECK_EQ_U64(a->flat, 1000000);
        CHECK_EQ_U64(a->cum, 4000000);
        CHECK_EQ_U64(m->flat, 0);
        CHECK_EQ_U64(m->cum, 6000000);
        CHECK_EQ_U64(r->flat, 2000000);
        CHECK_EQ_U64(r->cum, 2000000); /* recursion counted once per sample */
    }
    CHECK_STR(t.rows[0].name, "b"); /* sorted by flat */
    top_free(&t);

    o.sort_cum = true;
    CHECK(top_compute(p, NULL, &o, &t, &err) == 0);
    CHECK_STR(t.rows[0].name, "main");
    top_free(&t);

    /* --lines splits rec into its two lines */
    o.sort_cum = false;
    o.lines = true;
    CHECK(top_compute(p, NULL, &o, &t, &err) == 0);
    CHECK(row(&t, "rec", 31) && row(&t, "rec", 31)->flat == 2000000);
    CHECK(row(&t, "rec", 30) && row(&t, "rec", 30)->cum == 2000000 && row(&t, "rec", 30)->flat == 0);
    top_free(&t);
    prof_free(p);
}

static void test_inline_rows(void)
{
    struct profile *p = prof_new();
    prof_add_type(p, "samples", "count", -1);
    /* one location: hot inlined into caller_a (call site line 12), which main calls */
    uint32_t l = loc(p, 0x50, (const char *const[]){"hot", "caller_a"}, (const uint32_t[]){40, 12}, 2);
    uint32_t lm = LOC1(p, 0x60, "main", 3);
    uint32_t s[] = {l, lm};
    int64_t v[1] = {1};
    CHECK(prof_add_sample(p, s, 2, v, NULL) == 0);
    struct top_options o = {.type = 0};
    struct top_table t;
    struct hw_err err;
    CHECK(top_compute(p, NULL, &o, &t, &err) == 0);
    CHECK(row(&t, "hot", 0) && row(&t, "hot", 0)->flat == 1);
    CHECK(row(&t, "caller_a", 0) && row(&t, "caller_a", 0)->flat == 0 && row(&t, "caller_a", 0)->cum == 1);
    top_free(&t);
    o.no_inline = true;
    CHECK(top_compute(p, NULL, &o, &t, &err) == 0);
    CHECK(row(&t, "hot", 0) == NULL);
    CHECK(row(&t, "caller_a", 0) && row(&t, "caller_a", 0)->flat == 1);
    top_free(&t);
    prof_free(p);
}

static void test_filters(void)
{
    struct profile *p = build();
    struct filter f = {0};
    struct hw_err err;
    bool keep[8];
    CHECK(filter_is_empty(&f));
    CHECK(filter_set_comms(&f, "worker", &err) == 0);
    CHECK(filter_apply(&f, p, keep, &err) == 0);
    CHECK(!keep[0] && keep[1] && !keep[2]);
    filter_free(&f);

    CHECK(filter_set_ids(&f.tids, &f.ntids, "100", "--tid", &err) == 0);
    CHECK(filter_apply(&f, p, keep, &err) == 0);
    CHECK(keep[0] && !keep[1] && keep[2]);
    filter_free(&f);
    CHECK(filter_set_ids(&f.pids, &f.npids, "1,x", "--pid", &err) < 0);
    CHECK(strstr(err.msg, "'x'") != NULL);
    filter_free(&f);

    CHECK(filter_set_regex(&f.focus, "^re", "--focus", &err) == 0);
    CHECK(filter_apply(&f, p, keep, &err) == 0);
    CHECK(!keep[0] && !keep[1] && keep[2]);
    struct top_options o = {.type = 1};
    struct top_table t;
    CHECK(top_compute(p, keep, &o, &t, &err) == 0);
    CHECK_EQ_U64(t.total, 6000000); /* percentages stay relative to the unfiltered total */
    CHECK_EQ_U64(t.shown, 2000000);
    CHECK(row(&t, "b", 0) == NULL);
    top_free(&t);
    filter_free(&f);

    CHECK(filter_set_regex(&f.ignore, "^b$", "--ignore", &err) == 0);
    CHECK(filter_apply(&f, p, keep, &err) == 0);
    CHECK(!keep[0] && keep[1] && keep[2]);
    CHECK(filter_set_regex(&f.focus, "(", "--focus", &err) < 0);
    CHECK(strstr(err.msg, "--focus") != NULL);
    filter_free(&f);
    prof_free(p);
}

static void test_format(void)
{
    char b[32];
    top_format_value(b, sizeof(b), 0, "nanoseconds");
    CHECK_STR(b, "0");
    top_format_value(b, sizeof(b), 1500000000, "nanoseconds");
    CHECK_STR(b, "1.5s");
    top_format_value(b, sizeof(b), 808000000, "nanoseconds");
    CHECK_STR(b, "808ms");
    top_format_value(b, sizeof(b), 12340, "nanoseconds");
    CHECK_STR(b, "12.34us");
    top_format_value(b, sizeof(b), 999, "nanoseconds");
    CHECK_STR(b, "999ns");
    top_format_value(b, sizeof(b), 123456789, "count");
    CHECK_STR(b, "123456789");

    struct profile *p = build();
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    struct top_options o = {.type = 1, .limit = 2};
    struct top_table t;
    struct hw_err err;
    CHECK(top_compute(p, NULL, &o, &t, &err) == 0);
    top_print(f, &t, &o, p);
    fclose(f);
    CHECK(strstr(out, "      flat  flat%   sum%        cum   cum%\n") == out);
    CHECK(strstr(out, "       3ms 50.00% 50.00%        3ms 50.00%  b\n") != NULL);
    CHECK(strstr(out, "       2ms 33.33% 83.33%        2ms 33.33%  rec\n") != NULL);
    CHECK(strstr(out, "main") == NULL); /* limit 2 */
    free(out);
    top_free(&t);
    prof_free(p);
}

/* A location added without lines (symbolized later) gets its inline chain afterwards. */
static void test_late_lines(void)
{
    struct profile *p = prof_new();
    int64_t l = prof_add_location(p, 0, 0x99, NULL, 0);
    CHECK(l == 0 && p->locations[0].nlines == 0);
    int64_t f = prof_function(p, "late", "late", "x.c", 1), g = prof_function(p, "outer", "outer", "x.c", 9);
    struct prof_line ln[2] = {{(uint32_t)f, 4}, {(uint32_t)g, 12}};
    CHECK(prof_set_location_lines(p, 0, ln, 2) == 0);
    CHECK_EQ_U64(p->locations[0].nlines, 2);
    CHECK_EQ_U64(p->lines[p->locations[0].first_line + 1].line, 12);
    CHECK_EQ_U64(prof_find_location(p, 0, 0x99), 0);
    prof_free(p);
}

/* Values from files saturate instead of overflowing; a sample may have no stack at all. */
static void test_hostile_values(void)
{
    CHECK(prof_sat_add(INT64_MAX, 1) == INT64_MAX);
    CHECK(prof_sat_add(INT64_MIN, -1) == INT64_MIN);
    CHECK(prof_sat_add(5, -7) == -2);
    struct profile *p = prof_new();
    prof_add_type(p, "samples", "count", -1);
    int64_t big[1] = {INT64_MAX};
    CHECK(prof_add_sample(p, NULL, 0, big, NULL) == 0);
    CHECK(prof_add_sample(p, NULL, 0, big, NULL) == 0);
    CHECK_EQ_U64(p->nsamples, 1);
    CHECK(p->values[p->samples[0].values_at] == INT64_MAX);
    struct top_options o = {.type = 0};
    struct top_table t;
    struct hw_err err;
    CHECK(top_compute(p, NULL, &o, &t, &err) == 0);
    CHECK(t.total == INT64_MAX && t.nrows == 0);
    top_free(&t);
    prof_free(p);
}

static void test_find_type(void)
{
    struct profile *p = prof_new();
    prof_add_type(p, "samples", "count", -1);
    prof_add_type(p, "cpu", "nanoseconds", 0);
    prof_add_type(p, "page-faults", "count", 1);
    char *names[] = {"cpu-clock:ppp", "page-faults"};
    CHECK(prof_find_type(p, "samples", names, 2) == 0);
    CHECK(prof_find_type(p, "cpu", names, 2) == 1);
    CHECK(prof_find_type(p, "cpu-clock", names, 2) == 1);
    CHECK(prof_find_type(p, "CPU-CLOCK:ppp", names, 2) == 1);
    CHECK(prof_find_type(p, "page-faults", names, 2) == 2);
    CHECK(prof_find_type(p, "cycles", names, 2) == -1);
    prof_free(p);
}

/* The timeline keeps every entry in order, and only when asked to. */
static void test_timeline(void)
{
    struct profile *p = prof_new();
    prof_add_type(p, "samples", "count", -1);
    struct prof_timed t = {.time = 5, .sample = 0, .type = 0, .value = 1};
    CHECK(prof_add_timed(p, &t) == 0 && p->ntimeline == 0); /* not kept by default */
    prof_keep_timeline(p);
    for (uint64_t i = 0; i < 100; i++) {
        t.time = 10 + i;
        t.duration = i;
        CHECK(prof_add_timed(p, &t) == 0);
    }
    CHECK_EQ_U64(p->ntimeline, 100);
    CHECK_EQ_U64(p->timeline[99].time, 109);
    CHECK_EQ_U64(p->timeline[42].duration, 42);
    prof_free(p);
}

int main(void)
{
    test_timeline();
    test_interning();
    test_aggregation_and_top();
    test_inline_rows();
    test_filters();
    test_format();
    test_find_type();
    test_late_lines();
    test_hostile_values();
    return check_done("test-profile");
}
