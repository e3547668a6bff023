/* top.c - the `pprof -top` table of a profile: flat, flat%, sum%, cum, cum% per function (or line, command, thread), with more events as columns and a ratio. */
#include "top.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "hashmap.h"

/* A row's identity: which fields count depends on the options' keys. */
struct top_id {
    uint32_t comm, pid, tid;   /* labels (0 when not a key) */
    uint32_t name, file, line; /* string ids and line of the function (0 when not a key) */
};

struct top_slot {
    struct top_id id;
    size_t stamp; /* last sample (index + 1) that added cum to the row */
};

/* Builds rows keyed by top_id. */
struct top_builder {
    const struct profile *p;
    const struct top_options *o;
    struct top_table *t;
    unsigned keys;
    size_t cap_rows, cap_slots, cap_vals;
    struct top_slot *slots; /* per row: its key and cum bookkeeping */
    struct hw_map map;
    const int64_t *v; /* the current sample's value of each of t->types */
};

struct top_lookup {
    const struct top_builder *b;
    const struct top_id *id;
};

static bool top_key_eq(const void *ctx, uint32_t val)
{
    const struct top_lookup *k = ctx;
    return memcmp(&k->b->slots[val].id, k->id, sizeof(*k->id)) == 0;
}

/* The row of id (created at 0 on first sight). Returns its index or -1 (out of memory). */
static int64_t top_row_of(struct top_builder *b, const struct top_id *id, uint32_t fn_file)
{
    struct top_table *t = b->t;
    struct top_lookup k = {b, id};
    uint64_t h = hw_hash_bytes(id, sizeof(*id), 7);
    uint32_t idx;
    if (hw_map_find(&b->map, h, top_key_eq, &k, &idx))
        return idx;
    size_t nv = (t->nrows + 1) * 2 * t->ntypes;
    if (hw_grow(&t->rows, &b->cap_rows, t->nrows + 1, sizeof(*t->rows)) < 0 ||
        hw_grow(&b->slots, &b->cap_slots, t->nrows + 1, sizeof(*b->slots)) < 0 ||
        hw_grow(&t->vals, &b->cap_vals, nv, sizeof(*t->vals)) < 0)
        return -1;
    idx = (uint32_t)t->nrows;
    if (hw_map_insert(&b->map, h, idx) < 0)
        return -1;
    const struct profile *p = b->p;
    t->rows[idx] = (struct top_row){
        .name = b->keys & TOP_KEY_SYM ? p->strings[id->name] : NULL,
        .file = p->strings[fn_file],
        .line = id->line,
        .comm = b->keys & TOP_KEY_COMM ? p->strings[id->comm] : NULL,
        .pid = id->pid,
        .tid = id->tid,
        .vals_at = (size_t)idx * 2 * t->ntypes,
    };
    memset(t->vals + t->rows[idx].vals_at, 0, 2 * t->ntypes * sizeof(*t->vals));
    memset(&b->slots[idx], 0, sizeof(b->slots[idx]));
    b->slots[idx].id = *id;
    t->nrows++;
    return idx;
}

/* Adds the current sample's values to row r: flat (when leaf) and cum (once per sample si). */
static void top_charge(struct top_builder *b, size_t r, size_t si, bool leaf)
{
    struct top_table *t = b->t;
    int64_t *v = t->vals + t->rows[r].vals_at;
    bool cum = b->slots[r].stamp != si + 1;
    b->slots[r].stamp = si + 1;
    for (size_t k = 0; k < t->ntypes; k++) {
        if (leaf)
            v[2 * k] = prof_sat_add(v[2 * k], b->v[k]);
        if (cum)
            v[2 * k + 1] = prof_sat_add(v[2 * k + 1], b->v[k]);
    }
}

/* Adds one sample: flat to its leaf row, cum once to each distinct row. Returns 0 or -1. */
static int top_add_sample(struct top_builder *b, size_t si)
{
    const struct profile *p = b->p;
    const struct prof_sample *s = &p->samples[si];
    struct top_id id = {0};
    if (b->keys & TOP_KEY_COMM)
        id.comm = s->comm;
    if (b->keys & TOP_KEY_PID)
        id.pid = s->pid;
    if (b->keys & TOP_KEY_TID)
        id.tid = s->tid;
    if (!(b->keys & TOP_KEY_SYM)) {
        int64_t r = top_row_of(b, &id, 0);
        if (r < 0)
            return -1;
        top_charge(b, (size_t)r, si, true);
        return 0;
    }
    bool leaf = true;
    for (uint32_t k = 0; k < s->nlocs; k++) {
        const struct prof_location *loc = &p->locations[p->loc_ids[s->first_loc + k]];
        uint32_t first = b->o->no_inline && loc->nlines ? loc->nlines - 1 : 0;
        for (uint32_t j = first; j < loc->nlines; j++) {
            const struct prof_line *ln = &p->lines[loc->first_line + j];
            const struct prof_function *fn = &p->functions[ln->function];
            id.name = fn->name;
            id.file = b->o->lines ? fn->filename : 0;
            id.line = b->o->lines ? ln->line : 0;
            int64_t r = top_row_of(b, &id, id.file);
            if (r < 0)
                return -1;
            top_charge(b, (size_t)r, si, leaf);
            leaf = false;
        }
    }
    return 0;
}

/* The comparison of two strings that may be NULL (NULL first). */
static int top_strcmp(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

static int top_cmp_flat(const void *a, const void *b)
{
    const struct top_row *x = a, *y = b;
    if (x->flat != y->flat)
        return x->flat > y->flat ? -1 : 1;
    if (x->cum != y->cum)
        return x->cum > y->cum ? -1 : 1;
    int c = top_strcmp(x->comm, y->comm);
    if (!c && x->pid != y->pid)
        c = x->pid < y->pid ? -1 : 1;
    if (!c && x->tid != y->tid)
        c = x->tid < y->tid ? -1 : 1;
    if (!c)
        c = top_strcmp(x->name, y->name);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

static int top_cmp_cum(const void *a, const void *b)
{
    const struct top_row *x = a, *y = b;
    if (x->cum != y->cum)
        return x->cum > y->cum ? -1 : 1;
    return top_cmp_flat(a, b);
}

/* Adds type to t->types unless there. Returns 0 or -1 (out of memory). */
static int top_use_type(struct top_table *t, size_t *cap, size_t type)
{
    if (top_type_slot(t, type) >= 0)
        return 0;
    if (hw_grow(&t->types, cap, t->ntypes + 1, sizeof(*t->types)) < 0)
        return -1;
    t->types[t->ntypes++] = type;
    return 0;
}

/* The sample types of the table: o->type first, then the columns and the ratio's. 0 or -1. */
static int top_pick_types(const struct profile *p, const struct top_options *o, struct top_table *t,
                          struct hw_err *err)
{
    size_t cap = 0;
    size_t n = 1 + o->ncolumns + (o->ratio ? 2 : 0);
    for (size_t i = 0; i < n; i++) {
        size_t type = i == 0             ? o->type
                      : i <= o->ncolumns ? o->columns[i - 1]
                      : i == n - 2       ? o->ratio_num
                                         : o->ratio_den;
        if (type >= p->ntypes)
            return hw_errf(err, "internal error: no sample type %zu", type);
        if (top_use_type(t, &cap, type) < 0)
            return hw_err_oom(err);
    }
    if (!(t->totals = calloc(t->ntypes, sizeof(*t->totals))))
        return hw_err_oom(err);
    return 0;
}

int top_compute(const struct profile *p, const bool *keep, const struct top_options *o,
                struct top_table *out, struct hw_err *err)
{
    memset(out, 0, sizeof(*out));
    if (top_pick_types(p, o, out, err) < 0) {
        top_free(out);
        return -1;
    }
    int64_t *v = calloc(out->ntypes, sizeof(*v));
    struct top_builder b = {
        .p = p, .o = o, .t = out, .keys = o->keys ? o->keys : TOP_KEY_SYM, .v = v};
    int rc = v ? 0 : -1;
    for (size_t i = 0; i < p->nsamples && rc == 0; i++) {
        bool any = false;
        for (size_t k = 0; k < out->ntypes; k++) {
            v[k] = p->values[p->samples[i].values_at + out->types[k]];
            out->totals[k] = prof_sat_add(out->totals[k], v[k]);
            any = any || v[k] != 0;
        }
        if (!any || (keep && !keep[i]))
            continue;
        out->shown = prof_sat_add(out->shown, v[0]);
        rc = top_add_sample(&b, i);
    }
    out->total = out->totals[0];
    free(v);
    free(b.slots);
    hw_map_free(&b.map);
    if (rc < 0) {
        top_free(out);
        return hw_err_oom(err);
    }
    size_t n = 0;
    for (size_t i = 0; i < out->nrows; i++) {
        struct top_row *r = &out->rows[i];
        r->flat = out->vals[r->vals_at];
        r->cum = out->vals[r->vals_at + 1];
        bool any = false;
        for (size_t k = 0; k < 2 * out->ntypes; k++)
            any = any || out->vals[r->vals_at + k] != 0;
        if (any)
            out->rows[n++] = *r;
    }
    out->nrows = n;
    if (n > 1)
        qsort(out->rows, n, sizeof(*out->rows), o->sort_cum ? top_cmp_cum : top_cmp_flat);
    return 0;
}

void top_free(struct top_table *t)
{
    free(t->rows);
    free(t->types);
    free(t->totals);
    free(t->vals);
    memset(t, 0, sizeof(*t));
}

int top_type_slot(const struct top_table *t, size_t type)
{
    for (size_t k = 0; k < t->ntypes; k++)
        if (t->types[k] == type)
            return (int)k;
    return -1;
}

/* |x| (without libm). */
static double top_abs(double x)
{
    return x < 0 ? -x : x;
}

/* Prints x with up to two decimals, trailing zeros dropped, then suffix. */
static void top_scaled(char *buf, size_t size, double x, const char *suffix)
{
    char num[64];
    snprintf(num, sizeof(num), "%.2f", x);
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

/* Formats a time of ns nanoseconds (a double: ratios are not whole). */
static void top_format_time(char *buf, size_t size, double ns)
{
    double a = top_abs(ns);
    if (a >= 1e9)
        top_scaled(buf, size, ns / 1e9, "s");
    else if (a >= 1e6)
        top_scaled(buf, size, ns / 1e6, "ms");
    else if (a >= 1e3)
        top_scaled(buf, size, ns / 1e3, "us");
    else if (ns == (double)(int64_t)ns)
        snprintf(buf, size, "%" PRId64 "ns", (int64_t)ns);
    else
        top_scaled(buf, size, ns, "ns");
}

void top_format_value(char *buf, size_t size, int64_t v, const char *unit)
{
    if (v == 0)
        snprintf(buf, size, "0");
    else if (strcmp(unit, "nanoseconds") != 0)
        snprintf(buf, size, "%" PRId64, v);
    else
        top_format_time(buf, size, (double)v); /* a double: no negation of INT64_MIN */
}

/* Whether the unit is a time. */
static bool top_is_time(const char *unit)
{
    return strcmp(unit, "nanoseconds") == 0;
}

void top_ratio_label(char *buf, size_t size, const char *num_name, const char *num_unit,
                     const char *den_name, const char *den_unit)
{
    if (!top_is_time(num_unit) && top_is_time(den_unit))
        snprintf(buf, size, "%s/s", num_name);
    else
        snprintf(buf, size, "%s/%s", num_name, den_name);
}

void top_format_ratio(char *buf, size_t size, int64_t num, int64_t den, const char *num_unit,
                      const char *den_unit)
{
    if (den == 0) {
        snprintf(buf, size, "-");
        return;
    }
    double r = (double)num / (double)den;
    if (!top_is_time(num_unit) && top_is_time(den_unit))
        r *= 1e9; /* counts per second */
    if (top_is_time(num_unit) && !top_is_time(den_unit))
        top_format_time(buf, size, r); /* time per count */
    else if (r == 0)
        snprintf(buf, size, "0");
    else if (top_abs(r) >= 100)
        snprintf(buf, size, "%.0f", r);
    else if (top_abs(r) >= 0.01)
        snprintf(buf, size, "%.2f", r);
    else
        snprintf(buf, size, "%.2e", r);
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

/* Appends formatted text to the line being built (cut at its end). */
struct top_line {
    char text[4096];
    size_t len;
};

static void top_put(struct top_line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void top_put(struct top_line *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->text + l->len, sizeof(l->text) - l->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->len = l->len + (size_t)n >= sizeof(l->text) ? sizeof(l->text) - 1 : l->len + (size_t)n;
}

/* Appends the row's name: its keys, escaped, separated by spaces. */
static void top_put_name(struct top_line *l, const struct top_row *r, const struct top_options *o)
{
    char esc[1024];
    const char *sep = "";
    if (r->comm) {
        top_put(l, "%s", *r->comm ? esc_text(esc, sizeof(esc), r->comm) : "[unknown]");
        sep = " ";
    }
    if (o->keys & TOP_KEY_PID) {
        top_put(l, "%spid=%" PRIu32, sep, r->pid);
        sep = " ";
    }
    if (o->keys & TOP_KEY_TID) {
        top_put(l, "%stid=%" PRIu32, sep, r->tid);
        sep = " ";
    }
    if (!r->name)
        return;
    top_put(l, "%s%s", sep, esc_text(esc, sizeof(esc), r->name));
    if (o->lines && r->file && *r->file)
        top_put(l, " %s:%" PRIu32, esc_text(esc, sizeof(esc), top_short_path(r->file)), r->line);
    else if (o->lines && r->line)
        top_put(l, " :%" PRIu32, r->line);
}

/* The name and unit of sample type `type`. */
static void top_type_names(const struct profile *p, size_t type, const char **name,
                           const char **unit)
{
    *name = p->strings[p->types[type].type];
    *unit = p->strings[p->types[type].unit];
}

/* Appends the ratio column: its header (r NULL) or row r's num/den (flat, or cum with sort_cum). */
static void top_put_ratio(struct top_line *l, const struct top_table *t, const struct top_row *r,
                          const struct top_options *o, const struct profile *p)
{
    const char *nn, *nu, *dn, *du;
    char cell[256], label[256];
    top_type_names(p, o->ratio_num, &nn, &nu);
    top_type_names(p, o->ratio_den, &dn, &du);
    top_ratio_label(label, sizeof(label), nn, nu, dn, du);
    if (!r) {
        snprintf(cell, sizeof(cell), "%s", label);
    } else {
        int kn = top_type_slot(t, o->ratio_num), kd = top_type_slot(t, o->ratio_den);
        size_t c = o->sort_cum ? 1 : 0;
        int64_t num = kn < 0 ? 0 : t->vals[r->vals_at + 2 * (size_t)kn + c];
        int64_t den = kd < 0 ? 0 : t->vals[r->vals_at + 2 * (size_t)kd + c];
        top_format_ratio(cell, sizeof(cell), num, den, nu, du);
    }
    int w = strlen(label) > 10 ? (int)strlen(label) : 10;
    top_put(l, " %*s", w, cell);
}

/* Ends the line: cut to the terminal's width, printed. */
static void top_emit(FILE *out, struct top_line *l, const struct top_options *o)
{
    if (o->width > 1 && l->len > o->width)
        l->text[o->width] = '\0';
    fprintf(out, "%s\n", l->text);
    l->len = 0;
    l->text[0] = '\0';
}

/* The classic pprof -top table: flat flat% sum% cum cum% [ratio] name. */
static void top_print_classic(FILE *out, const struct top_table *t, const struct top_options *o,
                              const struct profile *p, size_t n)
{
    struct top_line l = {.len = 0};
    const char *unit = p->strings[p->types[o->type].unit];
    top_put(&l, "%10s %6s %6s %10s %6s", "flat", "flat%", "sum%", "cum", "cum%");
    if (o->ratio)
        top_put_ratio(&l, t, NULL, o, p);
    top_emit(out, &l, o);
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        const struct top_row *r = &t->rows[i];
        char flat[32], flatp[16], sump[16], cum[32], cump[16];
        sum = prof_sat_add(sum, r->flat);
        top_format_value(flat, sizeof(flat), r->flat, unit);
        top_format_value(cum, sizeof(cum), r->cum, unit);
        top_percent(flatp, sizeof(flatp), r->flat, t->total);
        top_percent(sump, sizeof(sump), sum, t->total);
        top_percent(cump, sizeof(cump), r->cum, t->total);
        top_put(&l, "%10s %6s %6s %10s %6s", flat, flatp, sump, cum, cump);
        if (o->ratio)
            top_put_ratio(&l, t, r, o, p);
        top_put(&l, "  ");
        top_put_name(&l, r, o);
        top_emit(out, &l, o);
    }
}

/* The table with a column per event: for each of o->type and the columns, its value (flat, or
 * cum with sort_cum) and percentage of its total; then the ratio; then the name. */
static void top_print_columns(FILE *out, const struct top_table *t, const struct top_options *o,
                              const struct profile *p, size_t n)
{
    struct top_line l = {.len = 0};
    size_t ncols = 1 + o->ncolumns, c = o->sort_cum ? 1 : 0;
    for (size_t i = 0; i < ncols; i++) {
        const char *name, *unit;
        top_type_names(p, i == 0 ? o->type : o->columns[i - 1], &name, &unit);
        top_put(&l, "%s%*s %7s", i ? " " : "", strlen(name) > 10 ? (int)strlen(name) : 10, name,
                o->sort_cum ? "cum%" : "flat%");
    }
    if (o->ratio)
        top_put_ratio(&l, t, NULL, o, p);
    top_emit(out, &l, o);
    for (size_t r = 0; r < n; r++) {
        const struct top_row *row = &t->rows[r];
        for (size_t i = 0; i < ncols; i++) {
            size_t type = i == 0 ? o->type : o->columns[i - 1];
            int k = top_type_slot(t, type);
            const char *name, *unit;
            top_type_names(p, type, &name, &unit);
            int64_t v = k < 0 ? 0 : t->vals[row->vals_at + 2 * (size_t)k + c];
            char val[32], pct[16];
            top_format_value(val, sizeof(val), v, unit);
            top_percent(pct, sizeof(pct), v, k < 0 ? 0 : t->totals[k]);
            top_put(&l, "%s%*s %7s", i ? " " : "", strlen(name) > 10 ? (int)strlen(name) : 10, val,
                    pct);
        }
        if (o->ratio)
            top_put_ratio(&l, t, row, o, p);
        top_put(&l, "  ");
        top_put_name(&l, row, o);
        top_emit(out, &l, o);
    }
}

void top_print(FILE *out, const struct top_table *t, const struct top_options *o,
               const struct profile *p)
{
    size_t n = o->limit && o->limit < t->nrows ? o->limit : t->nrows;
    if (o->ncolumns)
        top_print_columns(out, t, o, p, n);
    else
        top_print_classic(out, t, o, p, n);
}
