/* pprofdec.h - a minimal protobuf decoder of pprof profiles for the pprof.c tests, the structural rules every profile follows, and pprof_write into memory (plain or gzip'd). */
#ifndef HWPROF_TEST_PPROFDEC_H
#define HWPROF_TEST_PPROFDEC_H

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
static inline void *d_push(void *arr, size_t *n, size_t size)
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

static inline uint64_t rd_varint(struct rd *r, int *bad)
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
static inline bool rd_next(struct rd *r, int *bad, uint32_t *field, uint32_t *wt, uint64_t *v,
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
static inline bool rd_repeated(int *bad, uint32_t wt, uint64_t v, struct rd *sub, uint64_t *out,
                               size_t *n, size_t max)
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

static inline void d_value_type(struct rd r, int *bad, struct d_vt *t)
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

static inline void d_sample(struct d_prof *d, struct rd r)
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

static inline void d_mapping(struct d_prof *d, struct rd r)
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

static inline void d_location(struct d_prof *d, struct rd r)
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

static inline void d_function(struct d_prof *d, struct rd r)
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
static inline void d_decode(struct d_prof *d, const unsigned char *data, size_t n)
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

static inline void d_free(struct d_prof *d)
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
static inline const char *d_str(const struct d_prof *d, int64_t i)
{
    CHECK(i >= 0 && (size_t)i < d->nstrs);
    if (i < 0 || (size_t)i >= d->nstrs)
        return "<bad index>";
    return d->strs[i];
}

/* The index of string s in the table, or -1. */
static inline int64_t d_find_str(const struct d_prof *d, const char *s)
{
    for (size_t i = 0; i < d->nstrs; i++)
        if (strcmp(d->strs[i], s) == 0)
            return (int64_t)i;
    return -1;
}

static inline const struct d_loc *d_loc(const struct d_prof *d, uint64_t id)
{
    for (size_t i = 0; i < d->nlocs; i++)
        if (d->locs[i].id == id)
            return &d->locs[i];
    return NULL;
}

static inline const struct d_fn *d_fn(const struct d_prof *d, uint64_t id)
{
    for (size_t i = 0; i < d->nfns; i++)
        if (d->fns[i].id == id)
            return &d->fns[i];
    return NULL;
}

static inline const struct d_map *d_map(const struct d_prof *d, uint64_t id)
{
    for (size_t i = 0; i < d->nmaps; i++)
        if (d->maps[i].id == id)
            return &d->maps[i];
    return NULL;
}

/* Appends "sep text" to buf (of size bytes, *n used), truncating. */
static inline void d_append(char *buf, size_t size, size_t *n, const char *text)
{
    int k = snprintf(buf + *n, size - *n, "%s%s", *n ? ";" : "", text);
    if (k > 0)
        *n = *n + (size_t)k < size ? *n + (size_t)k : size - 1;
}

/* The stack of sample s as "leaf;...;root" with function names, inline frames expanded. */
static inline const char *d_stack(const struct d_prof *d, const struct d_sample *s, char *buf,
                                  size_t size)
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
static inline const struct d_label *d_label(const struct d_prof *d, const struct d_sample *s,
                                            const char *key)
{
    for (size_t i = 0; i < s->nlabels; i++)
        if (strcmp(d_str(d, s->labels[i].key), key) == 0)
            return &s->labels[i];
    return NULL;
}

/* Checks that the string table starts with "", holds no duplicates, and that every string is
 * referenced is left to the callers; here: the structural rules every output must follow. */
static inline void d_check_structure(const struct d_prof *d)
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
static inline unsigned char *write_mem(const struct profile *p, const bool *keep,
                                       const struct pprof_options *o, size_t *len,
                                       struct hw_err *err)
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
static inline unsigned char *write_gz(const struct profile *p, const bool *keep,
                                      struct pprof_options o, size_t *len, unsigned char magic[2])
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

#endif
