/* test-pprof.c - pprof.c on one profile with every field set: decoded (plain and gzip'd) and checked field by field, with sample filters, without labels, on a full disk; --write DIR leaves it for outside decoders. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "pprofdec.h"

/* ---- the test profile ---- */

enum { L_MAIN, L_INLINE, L_LIBC, L_UNKNOWN, L_UNUSED, NLOCS };

/* Three types; mappings /bin/prog (main, all has_* flags), libc, an unreferenced one; locations
 * main, hot inlined into caller_a, libc_write, [unknown] (no mapping), one no sample uses.
 * Samples (leaf first):
 *   0: hot;caller_a;main   {3, 3000000, 0}   pid 100 tid 101 "prog" cpu 0
 *   1: libc_write;main     {1, 1000000, -5}  pid 100 tid 100 "worker" cpu 1
 *   2: [unknown]           {1, 1000000, 7}   no labels
 *   3: main                {2, 2000000, 0}   pid 0 tid 0 "swapper" cpu 1
 *   4: libc_write;main     {1, 1000000, 4}   pid 100 tid 101 "prog" cpu 0 */
static struct profile *build(void)
{
    struct profile *p = prof_new();
    CHECK(p != NULL);
    CHECK(prof_add_type(p, "samples", "count", -1) == 0);
    CHECK(prof_add_type(p, "cpu", "nanoseconds", 0) == 1);
    CHECK(prof_add_type(p, "page-faults", "count", 1) == 2);
    p->default_type = 1;
    p->period_type = 1;
    p->period = 1000000;
    p->time_nanos = 1700000000123456789;
    p->duration_nanos = 2500000000;
    CHECK(prof_add_comment(p, "hwprof record -- ./prog") == 0);

    int64_t m0 = prof_mapping(p, 0x400000, 0x401000, 0, "/bin/prog", "0123abcd");
    int64_t m1 = prof_mapping(p, 0x7f0000000000, 0x7f0000200000, 0x28000, "/lib/libc.so.6", "");
    int64_t m2 = prof_mapping(p, 0x7f1000000000, 0x7f1000001000, 0, "/unused.so", "ffff");
    CHECK(m0 == 0 && m1 == 1 && m2 == 2);
    p->mappings[0].has_functions = p->mappings[0].has_filenames = true;
    p->mappings[0].has_line_numbers = p->mappings[0].has_inline_frames = true;
    p->mappings[1].has_functions = true;

    uint32_t fmain = (uint32_t)prof_function(p, "main", NULL, "/src/prog.c", 3);
    uint32_t fhot = (uint32_t)prof_function(p, "hot", NULL, "/src/prog.c", 40);
    uint32_t fcaller = (uint32_t)prof_function(p, "caller_a", NULL, "/src/prog.c", 11);
    uint32_t fwrite_ = (uint32_t)prof_function(p, "libc_write", "__libc_write", "", 0);
    uint32_t funk = (uint32_t)prof_function(p, "[unknown]", NULL, "", 0);
    uint32_t funused = (uint32_t)prof_function(p, "unused_fn", NULL, "/src/unused.c", 1);

    struct prof_line lmain[] = {{fmain, 10}}, linl[] = {{fhot, 41}, {fcaller, 12}},
                     llibc[] = {{fwrite_, 0}}, lunk[] = {{funk, 0}}, lunused[] = {{funused, 5}};
    CHECK(prof_add_location(p, 0, 0x400100, lmain, 1) == L_MAIN);
    CHECK(prof_add_location(p, 0, 0x400200, linl, 2) == L_INLINE);
    CHECK(prof_add_location(p, 1, 0x7f0000001234, llibc, 1) == L_LIBC);
    CHECK(prof_add_location(p, PROF_NONE, 0xdead, lunk, 1) == L_UNKNOWN);
    CHECK(prof_add_location(p, 0, 0x400300, lunused, 1) == L_UNUSED);

    struct prof_labels l0 = {.pid = 100, .tid = 101, .comm = "prog", .cpu = 0},
                       l1 = {.pid = 100, .tid = 100, .comm = "worker", .cpu = 1},
                       l3 = {.pid = 0, .tid = 0, .comm = "swapper", .cpu = 1};
    uint32_t s0[] = {L_INLINE, L_MAIN}, s1[] = {L_LIBC, L_MAIN}, s2[] = {L_UNKNOWN},
             s3[] = {L_MAIN};
    int64_t v[3] = {1, 1000000, 0};
    for (int i = 0; i < 3; i++)
        CHECK(prof_add_sample(p, s0, 2, v, &l0) >= 0);
    CHECK(prof_add_sample(p, s1, 2, (int64_t[]){1, 1000000, -5}, &l1) >= 0);
    CHECK(prof_add_sample(p, s2, 1, (int64_t[]){1, 1000000, 7}, NULL) >= 0);
    CHECK(prof_add_sample(p, s3, 1, (int64_t[]){2, 2000000, 0}, &l3) >= 0);
    CHECK(prof_add_sample(p, s1, 2, (int64_t[]){1, 1000000, 4}, &l0) >= 0);
    CHECK_EQ_U64(p->nsamples, 5);
    return p;
}

static const char *const extra_comments[] = {"host: testhost", "hwprof 0.1", "lost samples: 3"};

static struct pprof_options options(void)
{
    return (struct pprof_options){.labels = true, .comments = extra_comments, .ncomments = 3};
}

/* Checks the decoded form of build() written with labels and every sample kept. */
static void check_full(const struct d_prof *d)
{
    char buf[512];
    d_check_structure(d);
    CHECK_EQ_U64(d->ntypes, 3);
    CHECK_STR(d_str(d, d->types[0].type), "samples");
    CHECK_STR(d_str(d, d->types[0].unit), "count");
    CHECK_STR(d_str(d, d->types[1].type), "cpu");
    CHECK_STR(d_str(d, d->types[1].unit), "nanoseconds");
    CHECK_STR(d_str(d, d->types[2].type), "page-faults");
    CHECK_STR(d_str(d, d->types[2].unit), "count");
    CHECK_STR(d_str(d, d->default_type), "cpu");
    CHECK_STR(d_str(d, d->period_type.type), "cpu");
    CHECK_STR(d_str(d, d->period_type.unit), "nanoseconds");
    CHECK_EQ_U64(d->period, 1000000);
    CHECK_EQ_U64(d->time, 1700000000123456789ull);
    CHECK_EQ_U64(d->dur, 2500000000ull);
    CHECK(d->drop == 0 && d->keep == 0);
    CHECK_EQ_U64(d->ncomments, 4);
    if (d->ncomments == 4) {
        CHECK_STR(d_str(d, d->comments[0]), "hwprof record -- ./prog");
        CHECK_STR(d_str(d, d->comments[1]), "host: testhost");
        CHECK_STR(d_str(d, d->comments[2]), "hwprof 0.1");
        CHECK_STR(d_str(d, d->comments[3]), "lost samples: 3");
    }

    /* samples: stacks, values (packed, negative), labels */
    CHECK_EQ_U64(d->nsamples, 5);
    if (d->nsamples != 5)
        return;
    const char *stacks[] = {"hot;caller_a;main", "libc_write;main", "[unknown]", "main",
                            "libc_write;main"};
    int64_t vals[5][3] = {
        {3, 3000000, 0}, {1, 1000000, -5}, {1, 1000000, 7}, {2, 2000000, 0}, {1, 1000000, 4}};
    for (size_t i = 0; i < 5; i++) {
        const struct d_sample *s = &d->samples[i];
        CHECK_STR(d_stack(d, s, buf, sizeof(buf)), stacks[i]);
        for (size_t t = 0; t < 3 && t < s->nvals; t++)
            CHECK_EQ_U64(s->vals[t], vals[i][t]);
    }
    /* location ids are the profile's index + 1 */
    CHECK_EQ_U64(d->samples[0].nlocs, 2);
    CHECK_EQ_U64(d->samples[0].locs[0], L_INLINE + 1);
    CHECK_EQ_U64(d->samples[0].locs[1], L_MAIN + 1);
    CHECK_EQ_U64(d->samples[2].locs[0], L_UNKNOWN + 1);
    CHECK_EQ_U64(d->packed_locs, 3);   /* the two-frame stacks */
    CHECK_EQ_U64(d->unpacked_locs, 2); /* one frame: no length byte */
    CHECK_EQ_U64(d->packed_vals, 5);
    CHECK_EQ_U64(d->unpacked_vals, 0);

    const struct d_sample *s0 = &d->samples[0], *s1 = &d->samples[1], *s2 = &d->samples[2],
                          *s3 = &d->samples[3];
    CHECK_EQ_U64(s0->nlabels, 5);
    const struct d_label *l = d_label(d, s0, "thread_id");
    CHECK(l && l->num == 101 && l->str == 0 && l->unit == 0);
    l = d_label(d, s0, "pid");
    CHECK(l && l->num == 100 && l->unit == 0);
    l = d_label(d, s0, "thread_name");
    CHECK(l && strcmp(d_str(d, l->str), "prog") == 0 && l->num == 0);
    l = d_label(d, s0, "comm");
    CHECK(l && strcmp(d_str(d, l->str), "prog") == 0);
    l = d_label(d, s0, "cpu"); /* zero carries its unit, or pprof would drop it */
    CHECK(l && l->num == 0 && strcmp(d_str(d, l->unit), "cpu") == 0);
    l = d_label(d, s1, "cpu");
    CHECK(l && l->num == 1 && l->unit == 0);
    l = d_label(d, s1, "comm");
    CHECK(l && strcmp(d_str(d, l->str), "worker") == 0);
    CHECK_EQ_U64(s2->nlabels, 0); /* nothing known about the thread */
    CHECK_EQ_U64(s3->nlabels, 5);
    l = d_label(d, s3, "pid");
    CHECK(l && l->num == 0 && strcmp(d_str(d, l->unit), "pid") == 0);
    l = d_label(d, s3, "thread_id");
    CHECK(l && l->num == 0 && strcmp(d_str(d, l->unit), "thread_id") == 0);

    /* mappings: the referenced two, main first */
    CHECK_EQ_U64(d->nmaps, 2);
    const struct d_map *m = d->nmaps ? &d->maps[0] : NULL;
    CHECK(m && m->id == 1);
    if (m) {
        CHECK_EQ_U64(m->start, 0x400000);
        CHECK_EQ_U64(m->limit, 0x401000);
        CHECK_EQ_U64(m->offset, 0);
        CHECK_STR(d_str(d, m->filename), "/bin/prog");
        CHECK_STR(d_str(d, m->build_id), "0123abcd");
        CHECK(m->has_functions && m->has_filenames && m->has_lines && m->has_inline);
    }
    m = d_map(d, 2);
    CHECK(m != NULL);
    if (m) {
        CHECK_EQ_U64(m->start, 0x7f0000000000);
        CHECK_EQ_U64(m->limit, 0x7f0000200000);
        CHECK_EQ_U64(m->offset, 0x28000);
        CHECK_STR(d_str(d, m->filename), "/lib/libc.so.6");
        CHECK_EQ_U64(m->build_id, 0);
        CHECK(m->has_functions && !m->has_filenames && !m->has_lines && !m->has_inline);
    }
    CHECK(d_map(d, 3) == NULL);
    CHECK(d_find_str(d, "/unused.so") < 0 && d_find_str(d, "ffff") < 0);

    /* locations */
    CHECK_EQ_U64(d->nlocs, 4);
    CHECK(d_loc(d, L_UNUSED + 1) == NULL);
    const struct d_loc *loc = d_loc(d, L_INLINE + 1);
    CHECK(loc && loc->mapping == 1 && loc->address == 0x400200 && loc->nlines == 2 && !loc->folded);
    if (loc && loc->nlines == 2) {
        const struct d_fn *inner = d_fn(d, loc->lines[0].fn), *outer = d_fn(d, loc->lines[1].fn);
        CHECK(inner && outer);
        if (inner && outer) {
            CHECK_STR(d_str(d, inner->name), "hot");
            CHECK_STR(d_str(d, outer->name), "caller_a");
        }
        CHECK_EQ_U64(loc->lines[0].line, 41);
        CHECK_EQ_U64(loc->lines[1].line, 12);
    }
    loc = d_loc(d, L_LIBC + 1);
    CHECK(loc && loc->mapping == 2 && loc->address == 0x7f0000001234 && loc->nlines == 1 &&
          loc->lines[0].line == 0);
    loc = d_loc(d, L_UNKNOWN + 1);
    CHECK(loc && loc->mapping == 0 && loc->address == 0xdead && loc->nlines == 1);

    /* functions: ids index + 1, names, system names, files, start lines */
    CHECK_EQ_U64(d->nfns, 5);
    const struct d_fn *f = d_fn(d, 1);
    CHECK(f != NULL);
    if (f) {
        CHECK_STR(d_str(d, f->name), "main");
        CHECK_STR(d_str(d, f->system_name), "main");
        CHECK_STR(d_str(d, f->filename), "/src/prog.c");
        CHECK_EQ_U64(f->start_line, 3);
    }
    f = d_fn(d, 4);
    CHECK(f != NULL);
    if (f) {
        CHECK_STR(d_str(d, f->name), "libc_write");
        CHECK_STR(d_str(d, f->system_name), "__libc_write");
        CHECK_EQ_U64(f->filename, 0);
        CHECK_EQ_U64(f->start_line, 0);
    }
    CHECK(d_fn(d, 6) == NULL);
    CHECK(d_find_str(d, "unused_fn") < 0 && d_find_str(d, "/src/unused.c") < 0);
}

static void test_full(void)
{
    struct profile *p = build();
    struct pprof_options o = options();
    struct hw_err err = {""};
    size_t n = 0;
    unsigned char *data = write_mem(p, NULL, &o, &n, &err);
    CHECK(data != NULL);
    if (data) {
        struct d_prof d;
        d_decode(&d, data, n);
        check_full(&d);
        /* the table holds exactly the strings the profile references */
        CHECK(d_find_str(&d, "worker") > 0 && d_find_str(&d, "swapper") > 0);
        d_free(&d);

        /* the gzip'd output decompresses to the same bytes */
        size_t gn = 0;
        unsigned char magic[2] = {0, 0};
        unsigned char *gz = write_gz(p, NULL, o, &gn, magic);
        CHECK(magic[0] == 0x1f && magic[1] == 0x8b);
        CHECK_EQ_U64(gn, n);
        CHECK(gn == n && memcmp(gz, data, n) == 0);
        free(gz);
    }
    free(data);
    prof_free(p);
}

static void test_keep_and_no_labels(void)
{
    struct profile *p = build();
    struct pprof_options o = options();
    struct hw_err err = {""};
    char buf[256];
    bool keep[5] = {false, true, false, false, false};
    size_t n = 0;
    unsigned char *data = write_mem(p, keep, &o, &n, &err);
    CHECK(data != NULL);
    struct d_prof d;
    d_decode(&d, data, n);
    d_check_structure(&d);
    CHECK_EQ_U64(d.nsamples, 1);
    if (d.nsamples == 1) {
        CHECK_STR(d_stack(&d, &d.samples[0], buf, sizeof(buf)), "libc_write;main");
        CHECK_EQ_U64(d.samples[0].vals[2], (uint64_t)-5);
    }
    CHECK_EQ_U64(d.nlocs, 2);
    CHECK(d_loc(&d, L_LIBC + 1) && d_loc(&d, L_MAIN + 1));
    CHECK_EQ_U64(d.nfns, 2);
    CHECK_EQ_U64(d.nmaps, 2);
    CHECK(d_find_str(&d, "hot") < 0 && d_find_str(&d, "prog") < 0 && d_find_str(&d, "swapper") < 0);
    CHECK(d_find_str(&d, "worker") > 0);
    CHECK_EQ_U64(d.ncomments, 4);
    d_free(&d);
    free(data);

    /* no labels: no label keys or comms in the strings */
    o.labels = false;
    data = write_mem(p, NULL, &o, &n, &err);
    CHECK(data != NULL);
    d_decode(&d, data, n);
    d_check_structure(&d);
    CHECK_EQ_U64(d.nsamples, 5);
    for (size_t i = 0; i < d.nsamples; i++)
        CHECK_EQ_U64(d.samples[i].nlabels, 0);
    CHECK(d_find_str(&d, "worker") < 0 && d_find_str(&d, "thread_id") < 0 &&
          d_find_str(&d, "cpu") > 0);
    d_free(&d);
    free(data);

    /* nothing kept: still a valid profile with its types */
    memset(keep, 0, sizeof(keep));
    o.labels = true;
    data = write_mem(p, keep, &o, &n, &err);
    CHECK(data != NULL);
    d_decode(&d, data, n);
    d_check_structure(&d);
    CHECK(d.nsamples == 0 && d.nlocs == 0 && d.nfns == 0 && d.nmaps == 0 && d.ntypes == 3);
    CHECK_STR(d_str(&d, d.default_type), "cpu");
    d_free(&d);
    free(data);

    /* options NULL: labels on, no extra comments, plain */
    data = write_mem(p, NULL, NULL, &n, &err);
    CHECK(data != NULL);
    d_decode(&d, data, n);
    d_check_structure(&d);
    CHECK(d.nsamples == 5 && d.samples[0].nlabels == 5 && d.ncomments == 1);
    d_free(&d);
    free(data);
    prof_free(p);
}

/* A full disk surfaces as an error naming the cause. */
static void test_write_error(void)
{
    FILE *f = fopen("/dev/full", "w");
    if (!f) {
        printf("test-pprof: /dev/full is missing, write-error test skipped\n");
        return;
    }
    struct profile *p = build();
    struct hw_err err = {""};
    struct pprof_options o = options();
    CHECK(pprof_write(p, NULL, &o, f, &err) == -1);
    CHECK(strstr(err.msg, "cannot write the pprof profile") != NULL);
    CHECK(strstr(err.msg, strerror(ENOSPC)) != NULL);
    fclose(f);
    f = fopen("/dev/full", "w");
    o.gzip = true;
    err.msg[0] = '\0';
    CHECK(pprof_write(p, NULL, &o, f, &err) == -1);
    CHECK(strstr(err.msg, strerror(ENOSPC)) != NULL);
    fclose(f);
    prof_free(p);
}

/* --write DIR: leaves DIR/test.pb and DIR/test.pb.gz (build()) for tests/e2e/pprof-check.sh. */
static int write_files(const char *dir)
{
    struct profile *p = build();
    struct pprof_options o = options();
    struct hw_err err = {""};
    char path[4096];
    int rc = 0;
    for (int gz = 0; gz < 2; gz++) {
        snprintf(path, sizeof(path), "%s/test.pb%s", dir, gz ? ".gz" : "");
        FILE *f = fopen(path, "w");
        o.gzip = gz;
        if (!f || pprof_write(p, NULL, &o, f, &err) < 0 || fclose(f) != 0) {
            fprintf(stderr, "test-pprof: cannot write %s: %s\n", path,
                    err.msg[0] ? err.msg : strerror(errno));
            rc = 1;
        }
    }
    prof_free(p);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write") == 0)
        return write_files(argv[2]);
    test_full();
    test_keep_and_no_labels();
    test_write_error();
    return check_done("test-pprof");
}
