/* profile.c - a pprof-shaped profile: sample types, strings, functions, mappings, locations with inline chains, aggregated samples. */
#include "profile.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hashmap.h"

/* What only profile.c sees: array capacities and the interning tables. */
struct prof_private {
    size_t cap_strings, cap_types, cap_comments, cap_functions, cap_lines, cap_mappings, cap_locations,
        cap_samples, cap_loc_ids, cap_values, cap_timeline;
    struct hw_map string_map, function_map, mapping_map, location_map, sample_map;
    bool keep_timeline;
};

/* Makes room for k more elements in *arr (n used). 0 or -1 when out of memory. */
static int prof_grow_by(void *arr, size_t *cap, size_t n, size_t k, size_t elem)
{
    return hw_grow(arr, cap, n + k, elem);
}

/* Makes room for one more element. */
static int prof_grow(void *arr, size_t *cap, size_t n, size_t elem)
{
    return hw_grow(arr, cap, n + 1, elem);
}

struct profile *prof_new(void)
{
    struct profile *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    if (!(p->priv = calloc(1, sizeof(*p->priv)))) {
        free(p);
        return NULL;
    }
    p->period_type = PROF_NONE;
    p->main_mapping = PROF_NONE;
    if (prof_string(p, "") != 0) {
        prof_free(p);
        return NULL;
    }
    return p;
}

void prof_free(struct profile *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nstrings; i++)
        free(p->strings[i]);
    free(p->strings);
    free(p->types);
    free(p->comments);
    free(p->functions);
    free(p->lines);
    free(p->mappings);
    free(p->locations);
    free(p->samples);
    free(p->loc_ids);
    free(p->values);
    free(p->timeline);
    if (p->priv) {
        hw_map_free(&p->priv->string_map);
        hw_map_free(&p->priv->function_map);
        hw_map_free(&p->priv->mapping_map);
        hw_map_free(&p->priv->location_map);
        hw_map_free(&p->priv->sample_map);
        free(p->priv);
    }
    free(p);
}

struct prof_str_key {
    const struct profile *p;
    const char *s;
};

static bool prof_str_eq(const void *ctx, uint32_t val)
{
    const struct prof_str_key *k = ctx;
    return strcmp(k->p->strings[val], k->s) == 0;
}

int64_t prof_string(struct profile *p, const char *s)
{
    if (!s)
        s = "";
    uint64_t h = hw_hash_bytes(s, strlen(s), 0);
    struct prof_str_key k = {p, s};
    uint32_t id;
    if (hw_map_find(&p->priv->string_map, h, prof_str_eq, &k, &id))
        return id;
    if (prof_grow(&p->strings, &p->priv->cap_strings, p->nstrings, sizeof(*p->strings)) < 0)
        return -1;
    char *copy = hw_strdup(s);
    if (!copy)
        return -1;
    id = (uint32_t)p->nstrings;
    if (hw_map_insert(&p->priv->string_map, h, id) < 0) {
        free(copy);
        return -1;
    }
    p->strings[p->nstrings++] = copy;
    return id;
}

int64_t prof_add_type(struct profile *p, const char *type, const char *unit, int event)
{
    int64_t t = prof_string(p, type), u = prof_string(p, unit);
    if (t < 0 || u < 0 || prof_grow(&p->types, &p->priv->cap_types, p->ntypes, sizeof(*p->types)) < 0)
        return -1;
    p->types[p->ntypes] = (struct prof_sample_type){(uint32_t)t, (uint32_t)u, event};
    return (int64_t)p->ntypes++;
}

int prof_add_comment(struct profile *p, const char *text)
{
    int64_t s = prof_string(p, text);
    if (s < 0 || prof_grow(&p->comments, &p->priv->cap_comments, p->ncomments, sizeof(*p->comments)) < 0)
        return -1;
    p->comments[p->ncomments++] = (uint32_t)s;
    return 0;
}

struct prof_fn_key {
    const struct profile *p;
    struct prof_function f;
};

static bool prof_fn_eq(const void *ctx, uint32_t val)
{
    const struct prof_fn_key *k = ctx;
    return memcmp(&k->p->functions[val], &k->f, sizeof(k->f)) == 0;
}

int64_t prof_function_ids(struct profile *p, uint32_t name, uint32_t system_name, uint32_t filename,
                          uint32_t start_line)
{
    struct prof_fn_key k = {p, {name, system_name, filename, start_line}};
    uint64_t h = hw_hash_bytes(&k.f, sizeof(k.f), 1);
    uint32_t idx;
    if (hw_map_find(&p->priv->function_map, h, prof_fn_eq, &k, &idx))
        return idx;
    if (prof_grow(&p->functions, &p->priv->cap_functions, p->nfunctions, sizeof(*p->functions)) < 0)
        return -1;
    idx = (uint32_t)p->nfunctions;
    if (hw_map_insert(&p->priv->function_map, h, idx) < 0)
        return -1;
    p->functions[p->nfunctions++] = k.f;
    return idx;
}

int64_t prof_function(struct profile *p, const char *name, const char *system_name, const char *filename,
                      uint32_t start_line)
{
    int64_t n = prof_string(p, name), s = prof_string(p, system_name ? system_name : name),
            f = prof_string(p, filename);
    if (n < 0 || s < 0 || f < 0)
        return -1;
    return prof_function_ids(p, (uint32_t)n, (uint32_t)s, (uint32_t)f, start_line);
}

struct prof_map_key {
    const struct profile *p;
    uint64_t start, limit, offset;
    uint32_t filename;
};

static bool prof_map_eq(const void *ctx, uint32_t val)
{
    const struct prof_map_key *k = ctx;
    const struct prof_mapping *m = &k->p->mappings[val];
    return m->start == k->start && m->limit == k->limit && m->offset == k->offset &&
           m->filename == k->filename;
}

int64_t prof_mapping_ids(struct profile *p, uint64_t start, uint64_t limit, uint64_t offset, uint32_t filename,
                         uint32_t build_id)
{
    struct prof_map_key k = {p, start, limit, offset, filename};
    uint64_t h = hw_hash_u64(hw_hash_u64(hw_hash_u64(hw_hash_u64(2, start), limit), offset), filename);
    uint32_t idx;
    if (hw_map_find(&p->priv->mapping_map, h, prof_map_eq, &k, &idx))
        return idx;
    if (prof_grow(&p->mappings, &p->priv->cap_mappings, p->nmappings, sizeof(*p->mappings)) < 0)
        return -1;
    idx = (uint32_t)p->nmappings;
    if (hw_map_insert(&p->priv->mapping_map, h, idx) < 0)
        return -1;
    p->mappings[p->nmappings++] = (struct prof_mapping){
        .start = start, .limit = limit, .offset = offset, .filename = filename, .build_id = build_id};
    return idx;
}

int64_t prof_mapping(struct profile *p, uint64_t start, uint64_t limit, uint64_t offset, const char *filename,
                     const char *build_id_hex)
{
    int64_t f = prof_string(p, filename), b = prof_string(p, build_id_hex);
    if (f < 0 || b < 0)
        return -1;
    return prof_mapping_ids(p, start, limit, offset, (uint32_t)f, (uint32_t)b);
}

struct prof_loc_key {
    const struct profile *p;
    uint32_t mapping;
    uint64_t address;
};

static bool prof_loc_eq(const void *ctx, uint32_t val)
{
    const struct prof_loc_key *k = ctx;
    const struct prof_location *l = &k->p->locations[val];
    return l->mapping == k->mapping && l->address == k->address;
}

static uint64_t prof_loc_hash(uint32_t mapping, uint64_t address)
{
    return hw_hash_u64(hw_hash_u64(3, mapping), address);
}

int64_t prof_find_location(const struct profile *p, uint32_t mapping, uint64_t address)
{
    struct prof_loc_key k = {p, mapping, address};
    uint32_t idx;
    if (hw_map_find(&p->priv->location_map, prof_loc_hash(mapping, address), prof_loc_eq, &k, &idx))
        return idx;
    return -1;
}

int64_t prof_add_location(struct profile *p, uint32_t mapping, uint64_t address, const struct prof_line *lines,
                          size_t nlines)
{
    if (prof_grow(&p->locations, &p->priv->cap_locations, p->nlocations, sizeof(*p->locations)) < 0 ||
        prof_grow_by(&p->lines, &p->priv->cap_lines, p->nlines, nlines, sizeof(*p->lines)) < 0)
        return -1;
    uint32_t idx = (uint32_t)p->nlocations;
    if (hw_map_insert(&p->priv->location_map, prof_loc_hash(mapping, address), idx) < 0)
        return -1;
    if (nlines)
        memcpy(p->lines + p->nlines, lines, nlines * sizeof(*lines));
    p->locations[p->nlocations++] = (struct prof_location){mapping, address, (uint32_t)p->nlines, (uint32_t)nlines};
    p->nlines += nlines;
    return idx;
}

int prof_set_location_lines(struct profile *p, uint32_t loc, const struct prof_line *lines, size_t nlines)
{
    if (prof_grow_by(&p->lines, &p->priv->cap_lines, p->nlines, nlines, sizeof(*p->lines)) < 0)
        return -1;
    if (nlines)
        memcpy(p->lines + p->nlines, lines, nlines * sizeof(*lines));
    p->locations[loc].first_line = (uint32_t)p->nlines;
    p->locations[loc].nlines = (uint32_t)nlines;
    p->nlines += nlines;
    return 0;
}

struct prof_sample_key {
    const struct profile *p;
    const uint32_t *locs;
    size_t n;
    uint32_t pid, tid, comm;
    int32_t cpu;
    uint32_t state;
};

static bool prof_sample_eq(const void *ctx, uint32_t val)
{
    const struct prof_sample_key *k = ctx;
    const struct prof_sample *s = &k->p->samples[val];
    return s->nlocs == k->n && s->pid == k->pid && s->tid == k->tid && s->comm == k->comm &&
           s->cpu == k->cpu && s->state == k->state &&
           (k->n == 0 || /* loc_ids may be NULL while every sample has no stack */
            memcmp(k->p->loc_ids + s->first_loc, k->locs, k->n * sizeof(*k->locs)) == 0);
}

int64_t prof_add_sample(struct profile *p, const uint32_t *locs, size_t n, const int64_t *values,
                    const struct prof_labels *labels)
{
    struct prof_labels none = {0, 0, NULL, -1, NULL};
    if (!labels)
        labels = &none;
    int64_t comm = prof_string(p, labels->comm), state = prof_string(p, labels->state);
    if (comm < 0 || state < 0)
        return -1;
    struct prof_sample_key k = {p,           locs,        n, labels->pid, labels->tid, (uint32_t)comm,
                                labels->cpu, (uint32_t)state};
    uint64_t h = hw_hash_bytes(locs, n * sizeof(*locs), 4);
    h = hw_hash_u64(hw_hash_u64(hw_hash_u64(h, labels->pid), labels->tid),
                    ((uint64_t)(uint32_t)labels->cpu << 32) | (uint64_t)comm);
    h = hw_hash_u64(h, (uint64_t)state);
    uint32_t idx;
    if (hw_map_find(&p->priv->sample_map, h, prof_sample_eq, &k, &idx)) {
        int64_t *v = p->values + p->samples[idx].values_at;
        for (size_t i = 0; i < p->ntypes; i++)
            v[i] = prof_sat_add(v[i], values[i]);
        return idx;
    }
    if (prof_grow(&p->samples, &p->priv->cap_samples, p->nsamples, sizeof(*p->samples)) < 0 ||
        prof_grow_by(&p->loc_ids, &p->priv->cap_loc_ids, p->nloc_ids, n, sizeof(*p->loc_ids)) < 0 ||
        prof_grow_by(&p->values, &p->priv->cap_values, p->nvalues, p->ntypes, sizeof(*p->values)) < 0)
        return -1;
    idx = (uint32_t)p->nsamples;
    if (hw_map_insert(&p->priv->sample_map, h, idx) < 0)
        return -1;
    if (n) /* a sample without a stack: loc_ids may still be NULL */
        memcpy(p->loc_ids + p->nloc_ids, locs, n * sizeof(*locs));
    memcpy(p->values + p->nvalues, values, p->ntypes * sizeof(*values));
    p->samples[p->nsamples++] = (struct prof_sample){
        .first_loc = (uint32_t)p->nloc_ids, .nlocs = (uint32_t)n, .values_at = (uint32_t)p->nvalues,
        .pid = labels->pid, .tid = labels->tid, .comm = (uint32_t)comm, .cpu = labels->cpu,
        .state = (uint32_t)state};
    p->nloc_ids += n;
    p->nvalues += p->ntypes;
    return idx;
}

void prof_keep_timeline(struct profile *p)
{
    p->priv->keep_timeline = true;
}

int prof_add_timed(struct profile *p, const struct prof_timed *t)
{
    if (!p->priv->keep_timeline)
        return 0;
    if (hw_grow(&p->timeline, &p->priv->cap_timeline, p->ntimeline + 1, sizeof(*p->timeline)) < 0)
        return -1;
    p->timeline[p->ntimeline++] = *t;
    return 0;
}

/* True when name equals event, or event's part before ':' (perf adds modifiers: "cpu-clock:ppp"). */
static bool prof_event_name_matches(const char *name, const char *event)
{
    if (!event)
        return false;
    if (strcasecmp(name, event) == 0)
        return true;
    size_t base = strcspn(event, ":");
    size_t nbase = strcspn(name, ":");
    return base == nbase && strncasecmp(name, event, base) == 0 && name[nbase] == '\0';
}

int prof_find_type(const struct profile *p, const char *name, char *const *event_names, size_t nevents)
{
    for (size_t i = 0; i < p->ntypes; i++)
        if (strcasecmp(p->strings[p->types[i].type], name) == 0)
            return (int)i;
    for (size_t i = 0; i < p->ntypes; i++) {
        int ev = p->types[i].event;
        if (ev >= 0 && (size_t)ev < nevents && prof_event_name_matches(name, event_names[ev]))
            return (int)i;
    }
    return -1;
}
