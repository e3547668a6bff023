/* folded.c - Brendan Gregg's folded stacks ("comm;root;...;leaf value") of a profile, for flamegraph.pl and speedscope. */
#include "folded.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "hashmap.h"

struct folded_stack {
    size_t at, len;  /* the stack's text in the builder's buffer */
    int64_t value;
};

struct folded {
    struct hw_buf text;      /* every unique stack's text, back to back */
    struct folded_stack *stacks;
    size_t n, cap;
    struct hw_map map;
    struct hw_buf line;      /* the stack being built */
};

/* Appends a frame name escaped (ESC_FOLDED: ';' cannot split the frame, a newline or a control
 * character cannot start a line of its own or reach a terminal). */
static int folded_put_name(struct hw_buf *b, const char *name, bool inlined)
{
    if (esc_append(b, name, ESC_FOLDED) < 0)
        return -1;
    return inlined ? hw_buf_append(b, "_[i]", 4) : 0;
}

/* Builds "comm;root;...;leaf" of sample s into f->line. */
static int folded_build(struct folded *f, const struct profile *p, const struct prof_sample *s)
{
    f->line.len = 0;
    const char *comm = p->strings[s->comm];
    if (folded_put_name(&f->line, *comm ? comm : "unknown", false) < 0)
        return -1;
    for (uint32_t k = s->nlocs; k-- > 0;) { /* root (last location) first */
        const struct prof_location *loc = &p->locations[p->loc_ids[s->first_loc + k]];
        for (uint32_t j = loc->nlines; j-- > 0;) { /* the out-of-line function first */
            const struct prof_line *ln = &p->lines[loc->first_line + j];
            const char *name = p->strings[p->functions[ln->function].name];
            if (hw_buf_append(&f->line, ";", 1) < 0 || folded_put_name(&f->line, name, j + 1 < loc->nlines) < 0)
                return -1;
        }
    }
    return 0;
}

struct folded_key {
    const struct folded *f;
};

static bool folded_eq(const void *ctx, uint32_t val)
{
    const struct folded *f = ((const struct folded_key *)ctx)->f;
    const struct folded_stack *st = &f->stacks[val];
    return st->len == f->line.len && memcmp(f->text.data + st->at, f->line.data, st->len) == 0;
}

/* Adds value to the stack in f->line. Returns 0 or -1 (out of memory). */
static int folded_add(struct folded *f, int64_t value)
{
    struct folded_key k = {f};
    uint64_t h = hw_hash_bytes(f->line.data, f->line.len, 9);
    uint32_t idx;
    if (hw_map_find(&f->map, h, folded_eq, &k, &idx)) {
        f->stacks[idx].value = prof_sat_add(f->stacks[idx].value, value);
        return 0;
    }
    if (hw_grow(&f->stacks, &f->cap, f->n + 1, sizeof(*f->stacks)) < 0)
        return -1;
    size_t at = f->text.len;
    if (hw_buf_append(&f->text, f->line.data, f->line.len) < 0 || hw_map_insert(&f->map, h, (uint32_t)f->n) < 0)
        return -1;
    f->stacks[f->n++] = (struct folded_stack){at, f->line.len, value};
    return 0;
}

/* Sorting needs the text: qsort_r passes it along. */
static int folded_cmp(const void *a, const void *b, void *arg)
{
    const struct folded_stack *x = a, *y = b;
    const unsigned char *text = arg;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(text + x->at, text + y->at, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

int folded_write(const struct profile *p, const bool *keep, size_t type, FILE *out, struct hw_err *err)
{
    if (type >= p->ntypes)
        return hw_errf(err, "internal error: no sample type %zu", type);
    struct folded f;
    memset(&f, 0, sizeof(f));
    int rc = 0;
    for (size_t i = 0; i < p->nsamples && rc == 0; i++) {
        int64_t v = p->values[p->samples[i].values_at + type];
        if (v == 0 || (keep && !keep[i]))
            continue;
        if (folded_build(&f, p, &p->samples[i]) < 0 || folded_add(&f, v) < 0)
            rc = hw_err_oom(err);
    }
    if (rc == 0) {
        if (f.n > 1)
            qsort_r(f.stacks, f.n, sizeof(*f.stacks), folded_cmp, f.text.data);
        for (size_t i = 0; i < f.n; i++)
            fprintf(out, "%.*s %" PRId64 "\n", (int)f.stacks[i].len, (const char *)f.text.data + f.stacks[i].at,
                    f.stacks[i].value);
        if (ferror(out))
            rc = hw_errf_errno(err, errno ? errno : EIO, "cannot write the folded stacks");
    }
    hw_buf_free(&f.text);
    hw_buf_free(&f.line);
    free(f.stacks);
    hw_map_free(&f.map);
    return rc;
}
