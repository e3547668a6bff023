/* report_top.c - the `pprof -top` table of a profile: flat, flat%, sum%, cum, cum% per function (or per line). */
#include "report_top.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"

struct top_slot {
    uint32_t name, file;           /* string ids of the row's key (with the row's line) */
    size_t stamp;                  /* last sample (index + 1) that added cum to the row */
};

/* Builds rows keyed by (function name, and with lines: file and line). */
struct top_builder {
    const struct profile *p;
    const struct top_options *o;
    struct top_row *rows;
    size_t nrows, cap_rows;
    struct top_slot *slots;        /* per row: its key and cum bookkeeping */
    size_t cap_slots;
    struct hw_map map;
};

struct top_key {
    const struct top_builder *b;
    uint32_t name, file, line;
};

static bool top_key_eq(const void *ctx, uint32_t val)
{
    const struct top_key *k = ctx;
    const struct top_slot *sl = &k->b->slots[val];
    return sl->name == k->name && sl->file == k->file && k->b->rows[val].line == k->line;
}

/* The row of a frame (created at 0 on first sight). Returns its index or -1. */
static int64_t top_row_of(struct top_builder *b, const struct prof_line *ln)
{
    const struct prof_function *fn = &b->p->functions[ln->function];
    struct top_key k = {b, fn->name, b->o->lines ? fn->filename : 0, b->o->lines ? ln->line : 0};
    uint64_t h = hw_hash_u64(hw_hash_u64(hw_hash_u64(7, k.name), k.file), k.line);
    uint32_t idx;
    if (hw_map_find(&b->map, h, top_key_eq, &k, &idx))
        return idx;
    if (hw_grow(&b->rows, &b->cap_rows, b->nrows + 1, sizeof(*b->rows)) < 0 ||
        hw_grow(&b->slots, &b->cap_slots, b->nrows + 1, sizeof(*b->slots)) < 0)
        return -1;
    idx = (uint32_t)b->nrows;
    if (hw_map_insert(&b->map, h, idx) < 0)
        return -1;
    b->rows[idx] = (struct top_row){b->p->strings[k.name], b->p->strings[fn->filename], k.line, 0, 0};
    b->slots[idx] = (struct top_slot){k.name, k.file, 0};
    b->nrows++;
    return idx;
}

/* Adds one sample's value: flat to its leaf row, cum once to each distinct row. */
static int top_add_sample(struct top_builder *b, size_t si, int64_t v)
{
    const struct profile *p = b->p;
    const struct prof_sample *s = &p->samples[si];
    bool leaf = true;
    for (uint32_t k = 0; k < s->nlocs; k++) {
        const struct prof_location *loc = &p->locations[p->loc_ids[s->first_loc + k]];
        uint32_t first = b->o->no_inline && loc->nlines ? loc->nlines - 1 : 0;
        for (uint32_t j = first; j < loc->nlines; j++) {
            int64_t r = top_row_of(b, &p->lines[loc->first_line + j]);
            if (r < 0)
                return -1;
            if (leaf)
                b->rows[r].flat = prof_sat_add(b->rows[r].flat, v);
            leaf = false;
            if (b->slots[r].stamp != si + 1) {
                b->slots[r].stamp = si + 1;
                b->rows[r].cum = prof_sat_add(b->rows[r].cum, v);
            }
        }
    }
    return 0;
}

static int top_cmp_flat(const void *a, const void *b)
{
    const struct top_row *x = a, *y = b;
    if (x->flat != y->flat)
        return x->flat > y->flat ? -1 : 1;
    if (x->cum != y->cum)
        return x->cum > y->cum ? -1 : 1;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

static int top_cmp_cum(const void *a, const void *b)
{
    const struct top_row *x = a, *y = b;
    if (x->cum != y->cum)
        return x->cum > y->cum ? -1 : 1;
    return top_cmp_flat(a, b);
}

int top_compute(const struct profile *p, const bool *keep, const struct top_options *o,
                struct top_table *out, struct hw_err *err)
{
    memset(out, 0, sizeof(*out));
    if (o->type >= p->ntypes)
        return hw_errf(err, "internal error: no sample type %zu", o->type);
    struct top_builder b = {.p = p, .o = o};
    int rc = 0;
    for (size_t i = 0; i < p->nsamples && rc == 0; i++) {
        int64_t v = p->values[p->samples[i].values_at + o->type];
        out->total = prof_sat_add(out->total, v);
        if (v == 0 || (keep && !keep[i]))
            continue;
        out->shown = prof_sat_add(out->shown, v);
        rc = top_add_sample(&b, i, v);
    }
    free(b.slots);
    hw_map_free(&b.map);
    if (rc < 0) {
        free(b.rows);
        return hw_errf(err, "out of memory");
    }
    size_t n = 0;
    for (size_t i = 0; i < b.nrows; i++)
        if (b.rows[i].flat || b.rows[i].cum)
            b.rows[n++] = b.rows[i];
    if (n > 1)
        qsort(b.rows, n, sizeof(*b.rows), o->sort_cum ? top_cmp_cum : top_cmp_flat);
    out->rows = b.rows;
    out->nrows = n;
    return 0;
}

void top_free(struct top_table *t)
{
    free(t->rows);
    memset(t, 0, sizeof(*t));
}

/* Prints v / div with up to two decimals, trailing zeros dropped, then suffix. */
static void top_scaled(char *buf, size_t size, int64_t v, double div, const char *suffix)
{
    char num[64];
    snprintf(num, sizeof(num), "%.2f", (double)v / div);
    char *dot = strchr(num, '.');
    if (dot) {
        char *end = num + strlen(num) - 1;
        while (end > dot && *end == '0')
            *end-- = '\0';
        if (end == dot)
            *end = '\0';
    }
    snprintf(buf, size, "%s%s", num, suffix);
}

void top_format_value(char *buf, size_t size, int64_t v, const char *unit)
{
    if (v == 0) {
        snprintf(buf, size, "0");
        return;
    }
    if (strcmp(unit, "nanoseconds") != 0) {
        snprintf(buf, size, "%" PRId64, v);
        return;
    }
    int64_t a = v < 0 ? -v : v;
    if (a >= 1000000000)
        top_scaled(buf, size, v, 1e9, "s");
    else if (a >= 1000000)
        top_scaled(buf, size, v, 1e6, "ms");
    else if (a >= 1000)
        top_scaled(buf, size, v, 1e3, "us");
    else
        snprintf(buf, size, "%" PRId64 "ns", v);
}

static void top_percent(char *buf, size_t size, int64_t v, int64_t total)
{
    double pct = total ? 100.0 * (double)v / (double)total : 0;
    if (pct >= 99.995 && v == total)
        snprintf(buf, size, "100%%");
    else if (v == 0)
        snprintf(buf, size, "0%%");
    else
        snprintf(buf, size, "%.2f%%", pct);
}

/* The last two components of a path ("src/foo.c"). */
static const char *top_short_path(const char *path)
{
    const char *last = strrchr(path, '/');
    if (!last)
        return path;
    const char *p = last;
    while (p > path && p[-1] != '/')
        p--;
    return p > path ? p : path;
}

void top_print(FILE *out, const struct top_table *t, const struct top_options *o, const char *unit)
{
    fprintf(out, "%10s %6s %6s %10s %6s\n", "flat", "flat%", "sum%", "cum", "cum%");
    int64_t sum = 0;
    size_t n = o->limit && o->limit < t->nrows ? o->limit : t->nrows;
    for (size_t i = 0; i < n; i++) {
        const struct top_row *r = &t->rows[i];
        char flat[32], flatp[16], sump[16], cum[32], cump[16];
        sum = prof_sat_add(sum, r->flat);
        top_format_value(flat, sizeof(flat), r->flat, unit);
        top_format_value(cum, sizeof(cum), r->cum, unit);
        top_percent(flatp, sizeof(flatp), r->flat, t->total);
        top_percent(sump, sizeof(sump), sum, t->total);
        top_percent(cump, sizeof(cump), r->cum, t->total);
        char line[4096];
        int len = snprintf(line, sizeof(line), "%10s %6s %6s %10s %6s  %s", flat, flatp, sump, cum, cump,
                           r->name);
        if (o->lines && len >= 0 && (size_t)len < sizeof(line)) {
            if (r->file && *r->file)
                snprintf(line + len, sizeof(line) - (size_t)len, " %s:%u", top_short_path(r->file), r->line);
            else if (r->line)
                snprintf(line + len, sizeof(line) - (size_t)len, " :%u", r->line);
        }
        if (o->width > 1 && strlen(line) > o->width)
            line[o->width] = '\0';
        fprintf(out, "%s\n", line);
    }
}
