/* test-pprof.c - unit tests for pprof.c: decode its output (plain and gzip'd) with a small protobuf decoder and check every field. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "pprof.h"
#include "profile.h"

/* ---- a minimal protobuf decoder ---- */

struct rd {
    const unsigned char *p, *end;
};

struct d_vt {
    int64_t type, unit;
};
struct d_label {
    int64_t key, str, num, unit;
};
struct d_sample {
    uint64_t *locs;
    size_t nlocs;
    int64_t vals[16];
    size_t nvals;
    struct d_label labels[8];
    size_t nlabels;
};
struct d_line {
    uint64_t fn;
    int64_t line;
};
struct d_loc {
    uint64_t id, mapping, address;
    struct d_line lines[8];
    size_t nlines;
    bool folded;
};
struct d_fn {
    uint64_t id;
    int64_t name, system_name, filename, start_line;
};
struct d_map {
    uint64_t id, start, limit, offset;
    int64_t filename, build_id;
    bool has_functions, has_filenames, has_lines, has_inline;
};
struct d_prof {
    struct d_vt types[8];
    size_t ntypes;
    struct d_sample *samples;
    size_t nsamples;
    struct d_map *maps;
    size_t nmaps;
    struct d_loc *locs;
    size_t nlocs;
    struct d_fn *fns;
    size_t nfns;
    char **strs;
    size_t nstrs;
    int64_t time, dur, period, default_type, drop, keep;
    struct d_vt period_type;
    int64_t comments[16];
    size_t ncomments;
    int bad;                             /* malformed or unexpected fields */
    unsigned packed_locs, unpacked_locs; /* samples whose location_id was packed / not */
    unsigned packed_vals, unpacked_vals;
};

/* Appends a zeroed element to a growable array (capacity: the next power of two). */
static void *d_push(void *arr, size_t *n, size_t size)
{
    char **a = arr;
    if ((*n & (*n - 1)) == 0) {
        char *p = realloc(*a, (*n ? *n * 2 : 1) * size);
        if (!p)
            abort();
        *a = p;
    }
    char *e = *a + (*n)++ * size;
    memset(e, 0, size);
    return e;
}

static uint64_t rd_varint(struct rd *r, int *bad)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) {
            (*bad)++;
            return 0;
        }
        unsigned char b = *r->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    (*bad)++;
    return v;
}

/* Reads the next field of r. Returns false at the end. Varint fields fill *v, length-delimited
 * ones *sub; other wire types count as bad. */
static bool rd_next(struct rd *r, int *bad, uint32_t *field, uint32_t *wt, uint64_t *v,
                    struct rd *sub)
{
    if (r->p >= r->end)
        return false;
    uint64_t key = rd_varint(r, bad);
    *field = (uint32_t)(key >> 3);
    *wt = (uint32_t)(key & 7);
    if (*wt == 0) {
        *v = rd_varint(r, bad);
    } else if (*wt == 2) {
        uint64_t len = rd_varint(r, bad);
        if (len > (uint64_t)(r->end - r->p)) {
            (*bad)++;
            r->p = r->end;
            return false;
        }
        sub->p = r->p;
        sub->end = r->p + len;
        r->p += len;
    } else {
        (*bad)++;
        r->p = r->end;
        return false;
    }
    return true;
}

/* A repeated varint field, packed (wt 2) or not (wt 0). Appends to out (at most max). Returns
 * true when it was packed. */
static bool rd_repeated(int *bad, uint32_t wt, uint64_t v, struct rd *sub, uint64_t *out, size_t *n,
                        size_t max)
{
    if (wt == 0) {
        if (*n < max)
            out[(*n)++] = v;
        else
            (*bad)++;
        return false;
    }
    while (sub->p < sub->end) {
        uint64_t x = rd_varint(sub, bad);
        if (*n < max)
            out[(*n)++] = x;
        else
            (*bad)++;
    }
    return true;
}

static void d_value_type(struct rd r, int *bad, struct d_vt *t)
{
    uint32_t f, wt;
    uint64_t v;
    struct rd sub;
    while (rd_next(&r, bad, &f, &wt, &v, &sub)) {
        if (f == 1 && wt == 0)
            t->type = (int64_t)v;
        else if (f == 2 && wt == 0)
            t->unit = (int64_t)v;
        else
            (*bad)++;
    }
}

static void d_sample(struct d_prof *d, struct rd r)
{
    struct d_sample *s = d_push(&d->samples, &d->nsamples, sizeof(*s));
    uint64_t locs[1024], vals[16];
    size_t nvals = 0;
    uint32_t f, wt;
    uint64_t v;
    struct rd sub;
    while (rd_next(&r, &d->bad, &f, &wt, &v, &sub)) {
        if (f == 1 && (wt == 0 || wt == 2)) {
            if (rd_repeated(&d->bad, wt, v, &sub, locs, &s->nlocs, 1024))
                d->packed_locs++;
            else
                d->unpacked_locs++;
        } else if (f == 2 && (wt == 0 || wt == 2)) {
            if (rd_repeated(&d->bad, wt, v, &sub, vals, &nvals, 16))
                d->packed_vals++;
            else
                d->unpacked_vals++;
        } else if (f == 3 && wt == 2 && s->nlabels < 8) {
            struct d_label *l = &s->labels[s->nlabels++];
            uint32_t lf, lwt;
            uint64_t lv;
            struct rd lsub;
            while (rd_next(&sub, &d->bad, &lf, &lwt, &lv, &lsub)) {
                if (lwt != 0 || lf < 1 || lf > 4)
                    d->bad++;
                else if (lf == 1)
                    l->key = (int64_t)lv;
                else if (lf == 2)
                    l->str = (int64_t)lv;
                else if (lf == 3)
                    l->num = (int64_t)lv;
                else
                    l->unit = (int64_t)lv;
            }
        } else {
            d->bad++;
        }
    }
    s->locs = malloc((s->nlocs + 1) * sizeof(*s->locs));
    if (!s->locs)
        abort();
    memcpy(s->locs, locs, s->nlocs * sizeof(*locs));
    s->nvals = nvals;
    for (size_t i = 0; i < nvals; i++)
        s->vals[i] = (int64_t)vals[i];
}

static void d_mapping(struct d_prof *d, struct rd r)
{
    struct d_map *m = d_push(&d->maps, &d->nmaps, sizeof(*m));
    uint32_t f, wt;
    uint64_t v;
    struct rd sub;
    while (rd_next(&r, &d->bad, &f, &wt, &v, &sub)) {
        if (wt != 0) {
            d->bad++;
            continue;
        }
        switch (f) {
        case 1:
            m->id = v;
            break;
        case 2:
            m->start = v;
            break;
        case 3:
            m->limit = v;
            break;
        case 4:
            m->offset = v;
            break;
        case 5:
            m->filename = (int64_t)v;
            break;
        case 6:
            m->build_id = (int64_t)v;
            break;
        case 7:
            m->has_functions = v;
            break;
        case 8:
            m->has_filenames = v;
            break;
        case 9:
            m->has_lines = v;
            break;
        case 10:
            m->has_inline = v;
            break;
        default:
            d->bad++;
        }
    }
}

static void d_location(struct d_prof *d, struct rd r)
{
    struct d_loc *l = d_push(&d->locs, &d->nlocs, sizeof(*l));
    uint32_t f, wt;
    uint64_t v;
    struct rd sub;
    while (rd_next(&r, &d->bad, &f, &wt, &v, &sub)) {
        if (f == 1 && wt == 0) {
            l->id = v;
        } else if (f == 2 && wt == 0) {
            l->mapping = v;
        } else if (f == 3 && wt == 0) {
            l->address = v;
        } else if (f == 5 && wt == 0) {
            l->folded = v;
        } else if (f == 4 && wt == 2 && l->nlines < 8) {
            struct d_line *ln = &l->lines[l->nlines++];
            uint32_t lf, lwt;
            uint64_t lv;
            struct rd lsub;
            while (rd_next(&sub, &d->bad, &lf, &lwt, &lv, &lsub)) {
                if (lf == 1 && lwt == 0)
                    ln->fn = lv;
                else if (lf == 2 && lwt == 0)
                    ln->line = (int64_t)lv;
                else
                    d->bad++;
            }
        } else {
            d->bad++;
        }
    }
}

static void d_function(struct d_prof *d, struct rd r)
{
    struct d_fn *fn = d_push(&d->fns, &d->nfns, sizeof(*fn));
    uint32_t f, wt;
    uint64_t v;
    struct rd sub;
    while (rd_next(&r, &d->bad, &f, &wt, &v, &sub)) {
        if (wt != 0) {
            d->bad++;
            continue;
        }
        switch (f) {
        case 1:
            fn->id = v;
            break;
        case 2:
            fn->name = (int64_t)v;
            break;
        case 3:
            fn->system_name = (int64_t)v;
            break;
        case 4:
            fn->filename = (int64_t)v;
            break;
        case 5:
            fn->start_line = (int64_t)v;
            break;
        default:
            d->bad++;
        }
    }
}

/* Decodes a whole Profile message. */
static void d_decode(struct d_prof *d, const unsigned char *data, size_t n)
{
    memset(d, 0, sizeof(*d));
    struct rd r = {data, data + n};
    uint32_t f, wt;
    uint64_t v;
    struct rd sub;
    while (rd_next(&r, &d->bad, &f, &wt, &v, &sub)) {
        if (wt == 2 && f == 1 && d->ntypes < 8) {
            d_value_type(sub, &d->bad, &d->types[d->ntypes++]);
        } else if (wt == 2 && f == 2) {
            d_sample(d, sub);
        } else if (wt == 2 && f == 3) {
            d_mapping(d, sub);
        } else if (wt == 2 && f == 4) {
            d_location(d, sub);
        } else if (wt == 2 && f == 5) {
            d_function(d, sub);
        } else if (wt == 2 && f == 6) {
            char **s = d_push(&d->strs, &d->nstrs, sizeof(*s));
            *s = strndup((const char *)sub.p, (size_t)(sub.end - sub.p));
        } else if (wt == 2 && f == 11) {
            d_value_type(sub, &d->bad, &d->period_type);
        } else if (f == 13 && (wt == 0 || wt == 2)) {
            uint64_t c[16];
            size_t nc = 0;
            rd_repeated(&d->bad, wt, v, &sub, c, &nc, 16);
            for (size_t i = 0; i < nc && d->ncomments < 16; i++)
                d->comments[d->ncomments++] = (int64_t)c[i];
        } else if (wt == 0 && f >= 7 && f <= 14 && f != 11 && f != 13) {
            int64_t *dst[] = {&d->drop, &d->keep,   &d->time, &d->dur,
                              NULL,     &d->period, NULL,     &d->default_type};
            *dst[f - 7] = (int64_t)v;
        } else {
            d->bad++;
        }
    }
}

static void d_free(struct d_prof *d)
{
    for (size_t i = 0; i < d->nsamples; i++)
        free(d->samples[i].locs);
    free(d->samples);
    free(d->maps);
    free(d->locs);
    free(d->fns);
    for (size_t i = 0; i < d->nstrs; i++)
        free(d->strs[i]);
    free(d->strs);
}

/* The string at index i, or "<bad index>" (counted as a failure). */
static const char *d_str(const struct d_prof *d, int64_t i)
{
    CHECK(i >= 0 && (size_t)i < d->nstrs);
    if (i < 0 || (size_t)i >= d->nstrs)
        return "<bad index>";
    return d->strs[i];
}

/* The index of string s in the table, or -1. */
static int64_t d_find_str(const struct d_prof *d, const char *s)
{
    for (size_t i = 0; i < d->nstrs; i++)
        if (strcmp(d->strs[i], s) == 0)
            return (int64_t)i;
    return -1;
}

static const struct d_loc *d_loc(const struct d_prof *d, uint64_t id)
{
    for (size_t i = 0; i < d->nlocs; i++)
        if (d->locs[i].id == id)
            return &d->locs[i];
    return NULL;
}

static const struct d_fn *d_fn(const struct d_prof *d, uint64_t id)
{
    for (size_t i = 0; i < d->nfns; i++)
        if (d->fns[i].id == id)
            return &d->fns[i];
    return NULL;
}

static const struct d_map *d_map(const struct d_prof *d, uint64_t id)
{
    for (size_t i = 0; i < d->nmaps; i++)
        if (d->maps[i].id == id)
            return &d->maps[i];
    return NULL;
}

/* Appends "sep text" to buf (of size bytes, *n used), truncating. */
static void d_append(char *buf, size_t size, size_t *n, const char *text)
{
    int k = snprintf(buf + *n, size - *n, "%s%s", *n ? ";" : "", text);
    if (k > 0)
        *n = *n + (size_t)k < size ? *n + (size_t)k : size - 1;
}

/* The stack of sample s as "leaf;...;root" with function names, inline frames expanded. */
static const char *d_stack(const struct d_prof *d, const struct d_sample *s, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->nlocs; i++) {
        const struct d_loc *l = d_loc(d, s->locs[i]);
        if (!l) {
            d_append(buf, size, &n, "<no location>");
            continue;
        }
        for (size_t j = 0; j < l->nlines; j++) {
            const struct d_fn *f = d_fn(d, l->lines[j].fn);
            d_append(buf, size, &n, f ? d_str(d, f->name) : "<no function>");
        }
    }
    return buf;
}

/* Finds label key in s. Returns it or NULL. */
static const struct d_label *d_label(const struct d_prof *d, const struct d_sample *s,
                                     const char *key)
{
    for (size_t i = 0; i < s->nlabels; i++)
        if (strcmp(d_str(d, s->labels[i].key), key) == 0)
            return &s->labels[i];
    return NULL;
}

/* Checks that the string table starts with "", holds no duplicates, and that every string is
 * referenced is left to the callers; here: the structural rules every output must follow. */
static void d_check_structure(const struct d_prof *d)
{
    CHECK_EQ_U64(d->bad, 0);
    CHECK(d->nstrs >= 1);
    if (d->nstrs)
        CHECK_STR(d->strs[0], "");
    for (size_t i = 1; i < d->nstrs; i++)
        for (size_t j = i + 1; j < d->nstrs; j++)
            CHECK(strcmp(d->strs[i], d->strs[j]) != 0);
    /* every id referenced exists, and all ids are nonzero and unique */
    for (size_t i = 0; i < d->nsamples; i++) {
        CHECK_EQ_U64(d->samples[i].nvals, d->ntypes);
        for (size_t j = 0; j < d->samples[i].nlocs; j++)
            CHECK(d_loc(d, d->samples[i].locs[j]) != NULL);
    }
    for (size_t i = 0; i < d->nlocs; i++) {
        CHECK(d->locs[i].id != 0 && d_loc(d, d->locs[i].id) == &d->locs[i]);
        CHECK(d->locs[i].mapping == 0 || d_map(d, d->locs[i].mapping) != NULL);
        for (size_t j = 0; j < d->locs[i].nlines; j++)
            CHECK(d_fn(d, d->locs[i].lines[j].fn) != NULL);
    }
    for (size_t i = 0; i < d->nfns; i++) {
        CHECK(d->fns[i].id != 0 && d_fn(d, d->fns[i].id) == &d->fns[i]);
        CHECK((size_t)d->fns[i].name < d->nstrs && (size_t)d->fns[i].system_name < d->nstrs &&
              (size_t)d->fns[i].filename < d->nstrs);
    }
    for (size_t i = 0; i < d->nmaps; i++) {
        CHECK(d->maps[i].id != 0 && d_map(d, d->maps[i].id) == &d->maps[i]);
        CHECK((size_t)d->maps[i].filename < d->nstrs && (size_t)d->maps[i].build_id < d->nstrs);
    }
}

/* ---- writing into memory ---- */

/* Writes p with pprof_write into a malloc'd buffer (*len bytes). Returns it, or NULL with err. */
static unsigned char *write_mem(const struct profile *p, const bool *keep,
                                const struct pprof_options *o, size_t *len, struct hw_err *err)
{
    char *data = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&data, &size);
    CHECK(f != NULL);
    if (!f)
        return NULL;
    int rc = pprof_write(p, keep, o, f, err);
    CHECK(fclose(f) == 0);
    if (rc < 0) {
        free(data);
        return NULL;
    }
    *len = size;
    return (unsigned char *)data;
}

/* Writes p gzip'd into a temp file, reads it back with gzread. Returns the decompressed bytes. */
static unsigned char *write_gz(const struct profile *p, const bool *keep, struct pprof_options o,
                               size_t *len, unsigned char magic[2])
{
    char path[] = "/tmp/test-pprof-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    CHECK(f != NULL);
    struct hw_err err = {""};
    o.gzip = true;
    CHECK(pprof_write(p, keep, &o, f, &err) == 0);
    CHECK(fclose(f) == 0);
    FILE *raw = fopen(path, "rb");
    CHECK(raw && fread(magic, 1, 2, raw) == 2);
    if (raw)
        fclose(raw);
    gzFile gz = gzopen(path, "rb");
    CHECK(gz != NULL);
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    for (;;) {
        if (n == cap)
            buf = realloc(buf, cap *= 2);
        int got = gzread(gz, buf + n, (unsigned)(cap - n));
        CHECK(got >= 0);
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    CHECK(gzclose(gz) == Z_OK);
    unlink(path);
    *len = n;
    return buf;
}

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

    struct prof_labels l0 = {100, 101, "prog", 0}, l1 = {100, 100, "worker", 1},
                       l3 = {0, 0, "swapper", 1};
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
        struct prof_labels l = {1, (uint32_t)(i + 1) * 1000, "t", (int32_t)i};
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
        struct prof_labels l = {(uint32_t)i, (uint32_t)i, "w", (int32_t)(i % 2)};
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
    test_varints();
    test_long_fields();
    test_large();
    test_write_error();
    test_mapping_ids();
    return check_done("test-pprof");
}
