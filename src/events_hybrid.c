/* events_hybrid.c - generic hardware events split per core PMU on a hybrid CPU, as perf does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"

/* Whether attr is a generic hardware event that names no PMU yet. */
static bool events_hybrid_unbound(const struct perf_event_attr *attr)
{
    return (attr->type == PERF_TYPE_HARDWARE || attr->type == PERF_TYPE_HW_CACHE) &&
           (attr->config >> PERF_PMU_TYPE_SHIFT) == 0;
}

/* Appends a copy of ev to out with the given group; when pmu is set and ev is an unbound generic
 * event, binds it to that PMU and names it "PMU/NAME/". Returns 0 or -1 (out of memory). */
static int events_hybrid_copy(struct hw_buf *out, const struct event *ev, int group,
                              const struct pmu *pmu)
{
    struct event c = *ev;
    c.group = group;
    c.name = NULL;
    c.fqname = NULL;
    if (pmu && events_hybrid_unbound(&ev->attr)) {
        c.attr.config |= (uint64_t)pmu->type << PERF_PMU_TYPE_SHIFT;
        const char *colon = strchr(ev->name, ':');
        size_t blen = colon ? (size_t)(colon - ev->name) : strlen(ev->name);
        if (asprintf(&c.name, "%s/%.*s/%s", pmu->name, (int)blen, ev->name,
                     colon ? colon + 1 : "") < 0)
            c.name = NULL;
    } else {
        c.name = hw_strdup(ev->name);
    }
    c.fqname = hw_strdup(ev->fqname ? ev->fqname : "");
    if (!c.name || !c.fqname || hw_buf_append(out, &c, sizeof(c)) < 0) {
        free(c.name);
        free(c.fqname);
        return -1;
    }
    return 0;
}

/* The core PMU that an event of the group [i, j) names explicitly (a raw or PMU event, or a generic
 * event already bound), or NULL. */
static const struct pmu *events_hybrid_group_core(const struct event_list *l, size_t i, size_t j,
                                                  const struct pmu_set *pmus)
{
    for (size_t k = i; k < j; k++) {
        const struct perf_event_attr *a = &l->ev[k].attr;
        if (events_hybrid_unbound(a))
            continue;
        const struct pmu *p = pmu_of_attr(pmus, a);
        if (p && p->core)
            return p;
    }
    return NULL;
}

int events_hybrid_split(struct event_list *list, const struct pmu_set *pmus, struct hw_err *err)
{
    size_t ncore = pmu_ncore(pmus);
    if (ncore < 2)
        return 0;
    struct hw_buf out = {0};
    int next_group = 0;
    for (size_t k = 0; k < list->n; k++)
        if (list->ev[k].group >= next_group)
            next_group = list->ev[k].group + 1;
    int rc = 0;
    for (size_t i = 0; i < list->n && rc == 0;) {
        size_t j = i + 1; /* [i, j): a group, or a lone event */
        while (list->ev[i].group >= 0 && j < list->n && !list->ev[j].leader &&
               list->ev[j].group == list->ev[i].group)
            j++;
        bool generic = false;
        for (size_t k = i; k < j; k++)
            generic = generic || events_hybrid_unbound(&list->ev[k].attr);
        const struct pmu *bound = generic ? events_hybrid_group_core(list, i, j, pmus) : NULL;
        size_t copies = generic && !bound ? ncore : 1;
        for (size_t c = 0; c < copies && rc == 0; c++) {
            const struct pmu *pmu = !generic ? NULL : bound ? bound : pmu_core(pmus, c);
            int group = list->ev[i].group;
            if (c > 0 && group >= 0)
                group = next_group++;
            for (size_t k = i; k < j && rc == 0; k++)
                rc = events_hybrid_copy(&out, &list->ev[k], group, pmu);
        }
        i = j;
    }
    if (rc < 0) {
        struct event_list partial = {(struct event *)(void *)out.data,
                                     out.len / sizeof(struct event)};
        events_free(&partial);
        return hw_err_oom(err);
    }
    events_free(list);
    list->ev = (struct event *)(void *)out.data;
    list->n = out.len / sizeof(struct event);
    return 0;
}
