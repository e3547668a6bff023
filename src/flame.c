/* flame.c - a profile as one self-contained HTML page: an interactive flame graph (icicle and inverted views, zoom, search, every sample type). */
#include "flame.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "calltree.h"
#include "escape.h"

/* The page (flame_template.html, turned into a C string at build time). */
extern const char flame_template[];

#define FLAME_MARKER "<!--HWPROF-DATA-->"

static void flame_str(FILE *out, const char *s)
{
    fputc('"', out);
    esc_fputs(out, s ? s : "", ESC_JSON);
    fputc('"', out);
}

/* The sample types: name, unit and the recording's event name. */
static void flame_types(FILE *out, const struct profile *p, const struct flame_options *o)
{
    fputs("\"types\":[", out);
    for (size_t t = 0; t < p->ntypes; t++) {
        const struct prof_sample_type *st = &p->types[t];
        fputs(t ? ",{\"name\":" : "{\"name\":", out);
        flame_str(out, p->strings[st->type]);
        fputs(",\"unit\":", out);
        flame_str(out, p->strings[st->unit]);
        fputs(",\"event\":", out);
        bool named = st->event >= 0 && o->event_names && (size_t)st->event < o->nevents &&
                     o->event_names[st->event];
        flame_str(out, named ? o->event_names[st->event] : "");
        fputc('}', out);
    }
    fputs("],", out);
}

/* The tree: parent, name (index into names), flags (1 inlined, 2 command), self values per type;
 * names holds the string ids the nodes use, renumbered. Returns 0 or -1 (out of memory). */
static int flame_tree(FILE *out, const struct profile *p, const struct ct_tree *t)
{
    uint32_t *remap =
        calloc(p->nstrings ? p->nstrings : 1, sizeof(*remap)); /* string id -> names index + 1 */
    if (!remap)
        return -1;
    uint32_t nnames = 1;
    fputs("\"names\":[\"\"", out);
    for (size_t n = 1; n < t->nnodes; n++) {
        uint32_t s = t->nodes[n].name;
        if (!remap[s]) {
            remap[s] = ++nnames;
            fputc(',', out);
            const char *name = p->strings[s];
            flame_str(out, *name ? name : (t->nodes[n].comm ? "[unknown]" : name));
        }
    }
    fputs("],\"parent\":[-1", out);
    for (size_t n = 1; n < t->nnodes; n++)
        fprintf(out, ",%" PRIu32, t->nodes[n].parent);
    fputs("],\"name\":[0", out);
    for (size_t n = 1; n < t->nnodes; n++)
        fprintf(out, ",%" PRIu32, remap[t->nodes[n].name] - 1);
    fputs("],\"flags\":[0", out);
    for (size_t n = 1; n < t->nnodes; n++)
        fprintf(out, ",%d", (t->nodes[n].inlined ? 1 : 0) | (t->nodes[n].comm ? 2 : 0));
    fputs("],\"self\":[", out);
    for (size_t k = 0; k < t->ntypes; k++) {
        fputs(k ? ",[" : "[", out);
        for (size_t n = 0; n < t->nnodes; n++)
            fprintf(out, n ? ",%" PRId64 : "%" PRId64, ct_self(t, n, k));
        fputc(']', out);
    }
    fputs("]", out);
    free(remap);
    return 0;
}

int flame_write_html(const struct profile *p, const bool *keep, const struct flame_options *o,
                     FILE *out, struct hw_err *err)
{
    if (o->type >= p->ntypes)
        return hw_errf(err, "internal error: no sample type %zu", o->type);
    size_t *types = calloc(p->ntypes, sizeof(*types));
    if (!types)
        return hw_err_oom(err);
    for (size_t k = 0; k < p->ntypes; k++)
        types[k] = k;
    struct ct_options co = {.types = types, .ntypes = p->ntypes, .with_comm = true};
    struct ct_tree t;
    int rc = ct_build(p, keep, &co, &t, err);
    free(types);
    if (rc < 0)
        return -1;
    const char *mark = strstr(flame_template, FLAME_MARKER);
    if (!mark) {
        ct_free(&t);
        return hw_errf(err, "internal error: the flame graph page has no data marker");
    }
    fwrite(flame_template, 1, (size_t)(mark - flame_template), out);
    fputs("<script type=\"application/json\" id=\"hwprof-data\">{\"title\":", out);
    flame_str(out, o->title);
    fputs(",\"subtitle\":", out);
    flame_str(out, o->subtitle);
    fprintf(out, ",\"type\":%zu,", o->type);
    flame_types(out, p, o);
    rc = flame_tree(out, p, &t);
    fputs("}</script>", out);
    fputs(mark + strlen(FLAME_MARKER), out);
    ct_free(&t);
    if (rc < 0)
        return hw_err_oom(err);
    if (ferror(out))
        return hw_errf_errno(err, errno ? errno : EIO, "cannot write the flame graph");
    return 0;
}
