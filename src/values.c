/* values.c - the sample types of a profile built from a recording and what each sample adds to them: one type per event (name, unit, period), the wall-clock trio, group-read deltas. */
#include "values.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct values_read {
    uint64_t id;
    uint32_t tid;
    uint64_t last;
};

/* A trailing ":..." part that modifies an event rather than naming it: perf's modifier letters
 * ("u", "pp", "ukH") or a libpfm4 attribute with a value ("u=1", "period=1000"). */
static bool values_is_modifier(const char *s, size_t len)
{
    if (len == 0 || memchr(s, '=', len))
        return len > 0;
    for (size_t i = 0; i < len; i++)
        if (!strchr("ukhGHpPSIDW", s[i]))
            return false;
    return true;
}

void values_type_name(const char *event, char *buf, size_t size)
{
    size_t len = strlen(event);
    const char *pmu = strstr(event, "::"); /* a libpfm4 PMU prefix is part of the name */
    size_t min = pmu ? (size_t)(pmu - event) + 2 : 0;
    for (;;) {
        const char *colon = NULL;
        for (size_t i = len; i > min; i--)
            if (event[i - 1] == ':') {
                colon = event + i - 1;
                break;
            }
        if (!colon || colon == event || colon[-1] == ':' ||
            !values_is_modifier(colon + 1, len - (size_t)(colon + 1 - event)))
            break;
        len = (size_t)(colon - event);
    }
    snprintf(buf, size, "%.*s", (int)len, event);
}

static bool values_is_clock(const struct perf_event_attr *a)
{
    return a->type == PERF_TYPE_SOFTWARE &&
           (a->config == PERF_COUNT_SW_CPU_CLOCK || a->config == PERF_COUNT_SW_TASK_CLOCK);
}

static bool values_is_dummy(const struct perf_event_attr *a)
{
    return a->type == PERF_TYPE_SOFTWARE && a->config == PERF_COUNT_SW_DUMMY;
}

/* True when a sample type of p already has this name. */
static bool values_taken(const struct profile *p, const char *name)
{
    for (size_t i = 0; i < p->ntypes; i++)
        if (strcmp(p->strings[p->types[i].type], name) == 0)
            return true;
    return false;
}

int64_t values_stated_period(const struct perf_event_attr *a)
{
    if (!a->freq)
        return (int64_t)a->sample_period;
    return values_is_clock(a) && a->sample_freq ? (int64_t)(1000000000ull / a->sample_freq) : 0;
}

uint64_t values_period(const struct perf_event_attr *a, const struct dec_format *fmt, const struct dec_sample *s)
{
    if (fmt->sample_type & PERF_SAMPLE_PERIOD)
        return s->period;
    return a->freq ? 1 : a->sample_period;
}

/* Finds the events of a wall-clock recording: sets v->wall and the two event indexes. */
static void values_find_wall(struct values *v, const struct values_event *ev, size_t n)
{
    int clock = -1, sw = -1;
    bool switches = false;
    const uint64_t need = PERF_SAMPLE_TID | PERF_SAMPLE_TIME; /* who switched, when */
    for (size_t i = 0; i < n; i++) {
        const struct perf_event_attr *a = ev[i].attr;
        switches = switches || (a->context_switch && a->sample_id_all && (a->sample_type & need) == need);
        if (values_is_clock(a) && clock < 0)
            clock = (int)i;
        if (a->type == PERF_TYPE_SOFTWARE && a->config == PERF_COUNT_SW_CONTEXT_SWITCHES && !a->freq &&
            a->sample_period == 1 && (a->sample_type & need) == need && sw < 0)
            sw = (int)i;
    }
    v->wall = switches && clock >= 0 && sw >= 0;
    v->wall_clock = clock;
    v->wall_switch = sw;
}

static int values_wall_types(struct values *v, struct profile *p, const struct values_event *ev)
{
    int64_t w = prof_add_type(p, "wall", "nanoseconds", -1);
    int64_t c = prof_add_type(p, "cpu", "nanoseconds", v->wall_clock);
    int64_t o = prof_add_type(p, "off-cpu", "nanoseconds", v->wall_switch);
    if (w < 0 || c < 0 || o < 0)
        return -1;
    v->t_wall = (uint32_t)w;
    v->t_cpu = (uint32_t)c;
    v->t_off = (uint32_t)o;
    v->type_of_event[v->wall_clock] = (int)c;
    v->type_of_event[v->wall_switch] = (int)o;
    p->default_type = p->period_type = (uint32_t)w;
    p->period = values_stated_period(ev[v->wall_clock].attr);
    return 0;
}

int values_init(struct values *v, struct profile *p, const struct values_event *ev, size_t n, struct hw_err *err)
{
    memset(v, 0, sizeof(*v));
    v->nevents = n;
    v->type_of_event = malloc((n ? n : 1) * sizeof(*v->type_of_event));
    if (!v->type_of_event || prof_add_type(p, "samples", "count", -1) < 0)
        return hw_err_oom(err);
    for (size_t i = 0; i < n; i++)
        v->type_of_event[i] = -1;
    values_find_wall(v, ev, n);
    if (v->wall && values_wall_types(v, p, ev) < 0)
        return hw_err_oom(err);
    bool have_cpu = v->wall;
    for (size_t i = 0; i < n; i++) {
        const struct perf_event_attr *a = ev[i].attr;
        if (values_is_dummy(a) || v->type_of_event[i] >= 0)
            continue;
        char name[256];
        values_type_name(ev[i].name, name, sizeof(name));
        if (values_taken(p, name)) /* page-faults:u and page-faults:k: keep them apart */
            snprintf(name, sizeof(name), "%s", ev[i].name);
        for (int k = 2; values_taken(p, name) && k < 1000; k++)
            snprintf(name, sizeof(name), "%s#%d", ev[i].name, k);
        int64_t t;
        if (values_is_clock(a) && !have_cpu) {
            have_cpu = true;
            t = prof_add_type(p, "cpu", "nanoseconds", (int)i);
        } else {
            t = prof_add_type(p, name, values_is_clock(a) ? "nanoseconds" : "count", (int)i);
        }
        if (t < 0)
            return hw_err_oom(err);
        v->type_of_event[i] = (int)t;
        if (p->period_type == PROF_NONE) {
            p->period_type = p->default_type = (uint32_t)t;
            p->period = values_stated_period(a);
        }
    }
    return 0;
}

void values_free(struct values *v)
{
    free(v->type_of_event);
    free(v->reads);
    hw_map_free(&v->read_map);
    memset(v, 0, sizeof(*v));
}

struct values_read_key {
    const struct values *v;
    uint64_t id;
    uint32_t tid;
};

static bool values_read_eq(const void *ctx, uint32_t val)
{
    const struct values_read_key *k = ctx;
    return k->v->reads[val].id == k->id && k->v->reads[val].tid == k->tid;
}

int values_group_delta(struct values *v, uint64_t id, uint32_t tid, uint64_t total, int64_t *delta)
{
    struct values_read_key k = {v, id, tid};
    uint64_t h = hw_hash_u64(hw_hash_u64(5, id), tid);
    uint32_t idx;
    if (!hw_map_find(&v->read_map, h, values_read_eq, &k, &idx)) {
        if (hw_grow(&v->reads, &v->cap_reads, v->nreads + 1, sizeof(*v->reads)) < 0 ||
            hw_map_insert(&v->read_map, h, (uint32_t)v->nreads) < 0)
            return -1;
        idx = (uint32_t)v->nreads++;
        v->reads[idx] = (struct values_read){id, tid, 0};
    }
    struct values_read *r = &v->reads[idx];
    uint64_t d = total >= r->last ? total - r->last : 0;
    *delta = d > INT64_MAX ? INT64_MAX : (int64_t)d;
    r->last = total;
    return 0;
}
