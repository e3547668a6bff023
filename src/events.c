/* events.c - parses event lists into perf_event_attr with libpfm4 and lists the known events. */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <linux/perf_event.h>
#include <perfmon/pfmlib_perf_event.h>

#include "events.h"

/* A perf generic event name and what perf means by it, written as libpfm4's perf PMU encoding.
 * Generic names are always encoded through libpfm4's "perf" PMU, so a CPU PMU event of the same
 * name can never shadow perf's meaning. */
struct events_generic {
    const char *name;
    const char *pfm;  /* libpfm4 string for the event */
    const char *desc; /* one-line description for `hwprof list` */
    /* libpfm4 does not know some software events: they are encoded as the software event pfm
     * (so that libpfm4 handles the modifiers) and then get this config and fqname prefix. */
    const char *alias_fq;
    uint64_t alias_config;
};

static const struct events_generic events_generic_table[] = {
    {"cycles", "perf::PERF_COUNT_HW_CPU_CYCLES", "CPU cycles", NULL, 0},
    {"cpu-cycles", "perf::PERF_COUNT_HW_CPU_CYCLES", "CPU cycles (same as cycles)", NULL, 0},
    {"instructions", "perf::PERF_COUNT_HW_INSTRUCTIONS", "retired instructions", NULL, 0},
    {"cache-references", "perf::PERF_COUNT_HW_CACHE_REFERENCES",
     "cache accesses (usually last level cache)", NULL, 0},
    {"cache-misses", "perf::PERF_COUNT_HW_CACHE_MISSES", "cache misses (usually last level cache)",
     NULL, 0},
    {"branch-instructions", "perf::PERF_COUNT_HW_BRANCH_INSTRUCTIONS",
     "retired branch instructions", NULL, 0},
    {"branches", "perf::PERF_COUNT_HW_BRANCH_INSTRUCTIONS",
     "retired branch instructions (same as branch-instructions)", NULL, 0},
    {"branch-misses", "perf::PERF_COUNT_HW_BRANCH_MISSES", "mispredicted branch instructions", NULL,
     0},
    {"bus-cycles", "perf::PERF_COUNT_HW_BUS_CYCLES", "bus cycles", NULL, 0},
    {"stalled-cycles-frontend", "perf::PERF_COUNT_HW_STALLED_CYCLES_FRONTEND",
     "cycles the frontend issued no instructions", NULL, 0},
    {"stalled-cycles-backend", "perf::PERF_COUNT_HW_STALLED_CYCLES_BACKEND",
     "cycles the backend retired no instructions", NULL, 0},
    {"ref-cycles", "perf::PERF_COUNT_HW_REF_CPU_CYCLES",
     "reference cycles (not affected by frequency scaling)", NULL, 0},
    {"cpu-clock", "perf::PERF_COUNT_SW_CPU_CLOCK", "CPU clock timer (software)", NULL, 0},
    {"task-clock", "perf::PERF_COUNT_SW_TASK_CLOCK", "clock running while the task runs (software)",
     NULL, 0},
    {"page-faults", "perf::PERF_COUNT_SW_PAGE_FAULTS", "page faults (software)", NULL, 0},
    {"faults", "perf::PERF_COUNT_SW_PAGE_FAULTS", "page faults (same as page-faults)", NULL, 0},
    {"minor-faults", "perf::PERF_COUNT_SW_PAGE_FAULTS_MIN",
     "page faults served without I/O (software)", NULL, 0},
    {"major-faults", "perf::PERF_COUNT_SW_PAGE_FAULTS_MAJ",
     "page faults that needed I/O (software)", NULL, 0},
    {"context-switches", "perf::PERF_COUNT_SW_CONTEXT_SWITCHES", "context switches (software)",
     NULL, 0},
    {"cs", "perf::PERF_COUNT_SW_CONTEXT_SWITCHES", "context switches (same as context-switches)",
     NULL, 0},
    {"cpu-migrations", "perf::PERF_COUNT_SW_CPU_MIGRATIONS",
     "migrations of the task to another CPU (software)", NULL, 0},
    {"migrations", "perf::PERF_COUNT_SW_CPU_MIGRATIONS", "CPU migrations (same as cpu-migrations)",
     NULL, 0},
    {"alignment-faults", "perf::PERF_COUNT_SW_CPU_CLOCK", "alignment faults (software)",
     "perf::PERF_COUNT_SW_ALIGNMENT_FAULTS", PERF_COUNT_SW_ALIGNMENT_FAULTS},
    {"emulation-faults", "perf::PERF_COUNT_SW_CPU_CLOCK", "emulated instructions (software)",
     "perf::PERF_COUNT_SW_EMULATION_FAULTS", PERF_COUNT_SW_EMULATION_FAULTS},
    {"L1-dcache-loads", "perf::PERF_COUNT_HW_CACHE_L1D:READ:ACCESS", "L1 data cache loads", NULL,
     0},
    {"L1-dcache-load-misses", "perf::PERF_COUNT_HW_CACHE_L1D:READ:MISS",
     "L1 data cache load misses", NULL, 0},
    {"L1-dcache-stores", "perf::PERF_COUNT_HW_CACHE_L1D:WRITE:ACCESS", "L1 data cache stores", NULL,
     0},
    {"L1-icache-load-misses", "perf::PERF_COUNT_HW_CACHE_L1I:READ:MISS",
     "L1 instruction cache load misses", NULL, 0},
    {"LLC-loads", "perf::PERF_COUNT_HW_CACHE_LL:READ:ACCESS", "last level cache loads", NULL, 0},
    {"LLC-load-misses", "perf::PERF_COUNT_HW_CACHE_LL:READ:MISS", "last level cache load misses",
     NULL, 0},
    {"LLC-stores", "perf::PERF_COUNT_HW_CACHE_LL:WRITE:ACCESS", "last level cache stores", NULL, 0},
    {"dTLB-loads", "perf::PERF_COUNT_HW_CACHE_DTLB:READ:ACCESS", "data TLB loads", NULL, 0},
    {"dTLB-load-misses", "perf::PERF_COUNT_HW_CACHE_DTLB:READ:MISS", "data TLB load misses", NULL,
     0},
    {"iTLB-load-misses", "perf::PERF_COUNT_HW_CACHE_ITLB:READ:MISS", "instruction TLB load misses",
     NULL, 0},
    {"branch-loads", "perf::PERF_COUNT_HW_CACHE_BPU:READ:ACCESS", "branch predictor lookups", NULL,
     0},
    {"branch-load-misses", "perf::PERF_COUNT_HW_CACHE_BPU:READ:MISS", "branch predictor misses",
     NULL, 0},
};

/* libpfm4's state is process-global; this only remembers that pfm_initialize succeeded. */
static bool events_initialized;

int events_init(struct hw_err *err)
{
    if (events_initialized)
        return 0;
    int ret = pfm_initialize();
    if (ret != PFM_SUCCESS)
        return hw_errf(err, "cannot initialize libpfm4: %s; check the libpfm4 installation",
                       pfm_strerror(ret));
    events_initialized = true;
    return 0;
}

/* Finds the generic table entry whose name is the first len bytes of s (case-insensitive). */
static const struct events_generic *events_find_generic(const char *s, size_t len)
{
    for (size_t i = 0; i < HW_ARRAY_SIZE(events_generic_table); i++) {
        const char *n = events_generic_table[i].name;
        if (strlen(n) == len && strncasecmp(n, s, len) == 0)
            return &events_generic_table[i];
    }
    return NULL;
}

/* Length of the event part of text (the PMU-qualified name without umasks/modifiers). */
static size_t events_base_len(const char *text)
{
    const char *q = strstr(text, "::");
    const char *start = q ? q + 2 : text;
    const char *colon = strchr(start, ':');
    return colon ? (size_t)(colon - text) : strlen(text);
}

/* Whether text has a privilege modifier: u, k, h, u=, k=, h= (any case) after the event name. */
static bool events_has_plm(const char *text)
{
    const char *p = text + events_base_len(text);
    while (*p == ':') {
        p++;
        size_t n = strcspn(p, ":");
        char c = (char)tolower((unsigned char)p[0]);
        if ((c == 'u' || c == 'k' || c == 'h') && (n == 1 || p[1] == '='))
            return true;
        p += n;
    }
    return false;
}

/* Builds the string handed to libpfm4 for text: a generic name is replaced by its perf PMU
 * encoding (modifiers kept). Returns a malloc'd string or NULL when out of memory; *gen is set to
 * the generic entry or NULL. */
static char *events_resolve(const char *text, const struct events_generic **gen)
{
    size_t blen = events_base_len(text);
    *gen = strstr(text, "::") ? NULL : events_find_generic(text, blen);
    if (!*gen)
        return hw_strdup(text);
    char *s = NULL;
    if (asprintf(&s, "%s%s", (*gen)->pfm, text + blen) < 0)
        return NULL;
    return s;
}

/* Encodes text with libpfm4. Returns PFM_SUCCESS with attr and *fq (malloc'd) set, or a libpfm4
 * error code (PFM_ERR_NOMEM also for our own allocation failures). *cpu gets libpfm4's cpu=. */
static int events_encode(const char *text, int plm, struct perf_event_attr *attr, char **fq,
                         int *cpu)
{
    const struct events_generic *gen;
    char *str = events_resolve(text, &gen);
    if (!str)
        return PFM_ERR_NOMEM;

    memset(attr, 0, sizeof(*attr));
    attr->size = sizeof(*attr);
    char *fstr = NULL;
    pfm_perf_encode_arg_t arg;
    memset(&arg, 0, sizeof(arg));
    arg.size = sizeof(arg);
    arg.attr = attr;
    arg.fstr = &fstr;
    arg.cpu = -1;
    int ret = pfm_get_os_event_encoding(str, plm, PFM_OS_PERF_EVENT_EXT, &arg);
    free(str);
    if (ret != PFM_SUCCESS) {
        free(fstr);
        return ret;
    }
    attr->size = sizeof(*attr);
    *cpu = arg.cpu;

    if (gen && gen->alias_fq && fstr) {
        /* fstr starts with gen->pfm (the software stand-in); swap in the real event. */
        attr->config = gen->alias_config;
        size_t plen = strlen(gen->pfm);
        const char *rest = strncmp(fstr, gen->pfm, plen) == 0 ? fstr + plen : "";
        char *s = NULL;
        int n = asprintf(&s, "%s%s", gen->alias_fq, rest);
        free(fstr);
        if (n < 0)
            return PFM_ERR_NOMEM;
        fstr = s;
    }
    if (!fstr) {
        fstr = hw_strdup(text);
        if (!fstr)
            return PFM_ERR_NOMEM;
    }
    *fq = fstr;
    return PFM_SUCCESS;
}

/* Appends to a fixed buffer, truncating; keeps *len consistent with what was written. */
static void events_append(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void events_append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
    if (*len + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, size - *len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    *len += (size_t)n;
    if (*len >= size)
        *len = size - 1;
}

/* Fills buf with the attributes (unit masks when umask is true, else modifiers) libpfm4 accepts
 * for the event of text, e.g. " :u :k :period=". Leaves buf empty if the event is unknown. */
static void events_attr_names(const char *text, bool umask, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    const struct events_generic *gen;
    char *str = events_resolve(text, &gen);
    if (!str)
        return;
    /* pfm_find_event wants the bare event name, without unit masks or modifiers */
    str[events_base_len(str)] = '\0';
    int idx = pfm_find_event(str);
    free(str);
    if (idx < 0)
        return;
    pfm_event_info_t info;
    memset(&info, 0, sizeof(info));
    info.size = sizeof(info);
    if (pfm_get_event_info(idx, PFM_OS_PERF_EVENT_EXT, &info) != PFM_SUCCESS)
        return;
    int shown = 0;
    for (int i = 0; i < info.nattrs; i++) {
        pfm_event_attr_info_t ai;
        memset(&ai, 0, sizeof(ai));
        ai.size = sizeof(ai);
        if (pfm_get_event_attr_info(idx, i, PFM_OS_PERF_EVENT_EXT, &ai) != PFM_SUCCESS)
            continue;
        if (umask != (ai.type == PFM_ATTR_UMASK))
            continue;
        if (ai.type != PFM_ATTR_UMASK && ai.type != PFM_ATTR_MOD_BOOL &&
            ai.type != PFM_ATTR_MOD_INTEGER)
            continue;
        if (strcmp(ai.name, "cpu") == 0) /* rejected by events_add */
            continue;
        if (++shown > 12) {
            events_append(buf, size, &len, " ...");
            break;
        }
        events_append(buf, size, &len, " :%s%s", ai.name,
                      ai.type == PFM_ATTR_MOD_INTEGER ? "=N" : "");
    }
}

/* Calls fn for every event of every present libpfm4 PMU except perf_raw. Returns 0, or the first
 * nonzero value fn returned. */
static int events_for_each_pmu_event(int (*fn)(const pfm_pmu_info_t *pi, int idx,
                                               const pfm_event_info_t *ei, void *arg),
                                     void *arg)
{
    pfm_pmu_t pmu;
    pfm_for_all_pmus(pmu)
    {
        pfm_pmu_info_t pi;
        memset(&pi, 0, sizeof(pi));
        pi.size = sizeof(pi);
        if (pfm_get_pmu_info(pmu, &pi) != PFM_SUCCESS || !pi.is_present ||
            strcmp(pi.name, "perf_raw") == 0)
            continue;
        for (int idx = pi.first_event; idx != -1; idx = pfm_get_event_next(idx)) {
            pfm_event_info_t ei;
            memset(&ei, 0, sizeof(ei));
            ei.size = sizeof(ei);
            if (pfm_get_event_info(idx, PFM_OS_PERF_EVENT_EXT, &ei) != PFM_SUCCESS)
                continue;
            int rc = fn(&pi, idx, &ei, arg);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* State of events_candidates while it walks the PMU events. */
struct events_cand_ctx {
    bool qualified;
    struct hw_buf *strs, *ptrs;
    struct hw_buf offs; /* offsets into strs of the qualified names */
};

/* events_for_each_pmu_event callback of events_candidates: records one name; -1 when out of
 * memory. */
static int events_candidate_add(const pfm_pmu_info_t *pi, int idx, const pfm_event_info_t *ei,
                                void *arg)
{
    struct events_cand_ctx *c = arg;
    (void)idx;
    if (!c->qualified)
        return hw_buf_append(c->ptrs, &ei->name, sizeof(ei->name)) < 0 ? -1 : 0;
    size_t off = c->strs->len;
    if (hw_buf_append(&c->offs, &off, sizeof(off)) < 0 ||
        hw_buf_append(c->strs, pi->name, strlen(pi->name)) < 0 ||
        hw_buf_append(c->strs, "::", 2) < 0 ||
        hw_buf_append(c->strs, ei->name, strlen(ei->name) + 1) < 0)
        return -1;
    return 0;
}

/* Collects candidate names for suggestions: generic names plus the events of present PMUs
 * ("pmu::event" when qualified is true). Strings are either static or stored in *strs. */
static int events_candidates(bool qualified, const char ***out, size_t *nout, struct hw_buf *strs,
                             struct hw_buf *ptrs)
{
    for (size_t i = 0; i < HW_ARRAY_SIZE(events_generic_table); i++) {
        const char *n = events_generic_table[i].name;
        if (hw_buf_append(ptrs, &n, sizeof(n)) < 0)
            return -1;
    }
    /* offsets into strs are recorded first and turned into pointers at the end (strs moves) */
    struct events_cand_ctx c = {.qualified = qualified, .strs = strs, .ptrs = ptrs};
    if (events_for_each_pmu_event(events_candidate_add, &c) != 0)
        goto oom;
    for (size_t i = 0; i < c.offs.len / sizeof(size_t); i++) {
        size_t off;
        memcpy(&off, c.offs.data + i * sizeof(size_t), sizeof(off));
        const char *s = (const char *)strs->data + off;
        if (hw_buf_append(ptrs, &s, sizeof(s)) < 0)
            goto oom;
    }
    hw_buf_free(&c.offs);
    *out = (const char **)(void *)ptrs->data;
    *nout = ptrs->len / sizeof(const char *);
    return 0;
oom:
    hw_buf_free(&c.offs);
    return -1;
}

/* Sets err to the "unknown event" message for text, with up to three suggestions. */
static int events_err_unknown(const char *text, struct hw_err *err)
{
    size_t blen = events_base_len(text);
    char *base = strndup(text, blen);
    struct hw_buf strs = {0}, ptrs = {0};
    const char **cands = NULL;
    size_t ncands = 0;
    const char *best[3];
    size_t nbest = 0;
    if (base && events_candidates(strstr(base, "::") != NULL, &cands, &ncands, &strs, &ptrs) == 0) {
        size_t limit = strlen(base) / 3;
        if (limit < 1)
            limit = 1;
        nbest = hw_closest(base, cands, ncands, limit, best, HW_ARRAY_SIZE(best));
    }
    char hint[512];
    size_t len = 0;
    hint[0] = '\0';
    for (size_t i = 0; i < nbest; i++)
        events_append(hint, sizeof(hint), &len, "%s%s", i ? ", " : " (did you mean ", best[i]);
    if (nbest)
        events_append(hint, sizeof(hint), &len, "?)");
    else if (strchr(text, ':') && !strstr(text, "::"))
        events_append(hint, sizeof(hint), &len,
                      " (tracepoints like 'sched:sched_switch' are not supported)");
    hw_errf(err, "unknown event '%s'%s; run 'hwprof list' to see events", text, hint);
    hw_buf_free(&strs);
    hw_buf_free(&ptrs);
    free(base);
    return -1;
}

/* Turns a libpfm4 encoding error for text into a one-line message. Returns -1. */
static int events_err_encode(const char *text, int ret, struct hw_err *err)
{
    char names[384];
    switch (ret) {
    case PFM_ERR_NOTFOUND:
        return events_err_unknown(text, err);
    case PFM_ERR_ATTR:
    case PFM_ERR_ATTR_VAL:
    case PFM_ERR_ATTR_SET:
    case PFM_ERR_FEATCOMB:
        events_attr_names(text, false, names, sizeof(names));
        return hw_errf(err, "invalid modifier in '%s' (%s)%s%s", text, pfm_strerror(ret),
                       names[0] ? "; it accepts" : "", names);
    case PFM_ERR_UMASK:
        events_attr_names(text, true, names, sizeof(names));
        return hw_errf(err, "event '%s' needs a valid unit mask (%s)%s%s", text, pfm_strerror(ret),
                       names[0] ? "; choose one of" : "", names);
    case PFM_ERR_NOMEM:
        return hw_errf(err, "out of memory while encoding event '%s'", text);
    default:
        return hw_errf(err, "cannot encode event '%s': %s; run 'hwprof list' to see events", text,
                       pfm_strerror(ret));
    }
}

void events_free(struct hw_event_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->n; i++) {
        free(list->ev[i].name);
        free(list->ev[i].fqname);
    }
    free(list->ev);
    list->ev = NULL;
    list->n = 0;
}

/* Whether attr is a generic hardware event that names no PMU yet. */
static bool events_unbound_generic(const struct perf_event_attr *attr)
{
    return (attr->type == PERF_TYPE_HARDWARE || attr->type == PERF_TYPE_HW_CACHE) &&
           (attr->config >> PERF_PMU_TYPE_SHIFT) == 0;
}

/* Appends a copy of ev to out with the given group; when pmu is set and ev is an unbound generic
 * event, binds it to that PMU and names it "PMU/NAME/". Returns 0 or -1 (out of memory). */
static int events_append_copy(struct hw_buf *out, const struct hw_event *ev, int group,
                              const struct pmu *pmu)
{
    struct hw_event c = *ev;
    c.group = group;
    c.name = NULL;
    c.fqname = NULL;
    if (pmu && events_unbound_generic(&ev->attr)) {
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
static const struct pmu *events_group_core(const struct hw_event_list *l, size_t i, size_t j,
                                           const struct pmu_set *pmus)
{
    for (size_t k = i; k < j; k++) {
        const struct perf_event_attr *a = &l->ev[k].attr;
        if (events_unbound_generic(a))
            continue;
        const struct pmu *p = pmu_of_attr(pmus, a);
        if (p && p->core)
            return p;
    }
    return NULL;
}

int events_split_hybrid(struct hw_event_list *list, const struct pmu_set *pmus, struct hw_err *err)
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
            generic = generic || events_unbound_generic(&list->ev[k].attr);
        const struct pmu *bound = generic ? events_group_core(list, i, j, pmus) : NULL;
        size_t copies = generic && !bound ? ncore : 1;
        for (size_t c = 0; c < copies && rc == 0; c++) {
            const struct pmu *pmu = !generic ? NULL : bound ? bound : pmu_core(pmus, c);
            int group = list->ev[i].group;
            if (c > 0 && group >= 0)
                group = next_group++;
            for (size_t k = i; k < j && rc == 0; k++)
                rc = events_append_copy(&out, &list->ev[k], group, pmu);
        }
        i = j;
    }
    if (rc < 0) {
        struct hw_event_list partial = {(struct hw_event *)(void *)out.data,
                                        out.len / sizeof(struct hw_event)};
        events_free(&partial);
        return hw_err_oom(err);
    }
    events_free(list);
    list->ev = (struct hw_event *)(void *)out.data;
    list->n = out.len / sizeof(struct hw_event);
    return 0;
}

/* One event of the spec after the syntax pass: where its name is and which group it is in. */
struct events_span {
    size_t start, len;
    int group;
    bool leader;
};

/* Encodes the event named by span and appends it to list. Returns 0 or -1 with err. */
static int events_add(const char *spec, const struct events_span *sp, bool kernel_default,
                      struct hw_buf *list, struct hw_err *err)
{
    struct hw_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.name = strndup(spec + sp->start, sp->len);
    if (!ev.name)
        return hw_errf(err, "out of memory while parsing events");
    int plm = kernel_default ? (PFM_PLM0 | PFM_PLM3) : PFM_PLM3;
    int cpu = -1;
    int ret = events_encode(ev.name, plm, &ev.attr, &ev.fqname, &cpu);
    if (ret != PFM_SUCCESS) {
        events_err_encode(ev.name, ret, err);
        free(ev.name);
        return -1;
    }
    if (cpu >= 0) {
        hw_errf(err,
                "the cpu= modifier in '%s' is not supported; choose CPUs with hwprof's options",
                ev.name);
        free(ev.name);
        free(ev.fqname);
        return -1;
    }
    ev.group = sp->group;
    ev.leader = sp->leader;
    ev.plm_explicit = events_has_plm(ev.name);
    if (hw_buf_append(list, &ev, sizeof(ev)) < 0) {
        free(ev.name);
        free(ev.fqname);
        return hw_errf(err, "out of memory while parsing events");
    }
    return 0;
}

static const char *events_skip_space(const char *p)
{
    while (isspace((unsigned char)*p))
        p++;
    return p;
}

/* Syntax pass: splits spec into trimmed event names and groups, appending events_span to spans.
 * Returns 0 or -1 with err. */
static int events_split(const char *spec, struct hw_buf *spans, struct hw_err *err)
{
    bool in_group = false;
    int ngroups = 0, gid = -1, nmembers = 0;
    const char *p = spec;
    for (;;) {
        p = events_skip_space(p);
        if (*p == '{') {
            if (in_group)
                return hw_errf(err, "nested braces in '%s'; groups cannot contain groups", spec);
            in_group = true;
            gid = ngroups++;
            nmembers = 0;
            p = events_skip_space(p + 1);
            if (*p == '}')
                return hw_errf(err, "empty group '{}' in '%s'; put at least one event in a group",
                               spec);
        }
        const char *start = p;
        p += strcspn(p, ",{}");
        const char *end = p;
        while (end > start && isspace((unsigned char)end[-1]))
            end--;
        if (*p == '{') {
            if (in_group)
                return hw_errf(err, "nested braces in '%s'; groups cannot contain groups", spec);
            return hw_errf(err, "unexpected '{' in '%s'; a group starts after a comma", spec);
        }
        if (*p == '}' && !in_group)
            return hw_errf(err, "unbalanced braces in '%s': '}' without '{'", spec);
        if (end == start)
            return hw_errf(err, "empty event name in '%s'; separate events with single commas",
                           spec);
        struct events_span sp = {
            .start = (size_t)(start - spec),
            .len = (size_t)(end - start),
            .group = in_group ? gid : -1,
            .leader = !in_group || nmembers == 0,
        };
        if (hw_buf_append(spans, &sp, sizeof(sp)) < 0)
            return hw_errf(err, "out of memory while parsing events");
        nmembers++;
        if (*p == '}') {
            in_group = false;
            p = events_skip_space(p + 1);
            if (*p == '}')
                return hw_errf(err, "unbalanced braces in '%s': '}' without '{'", spec);
            if (*p && *p != ',')
                return hw_errf(err, "expected ',' after '}' in '%s'", spec);
        }
        if (!*p)
            break;
        p++; /* the ',' */
    }
    if (in_group)
        return hw_errf(err, "unbalanced braces in '%s': missing '}'", spec);
    return 0;
}

int events_parse(const char *spec, bool kernel_default, struct hw_event_list *out,
                 struct hw_err *err)
{
    out->ev = NULL;
    out->n = 0;
    if (!spec || !*events_skip_space(spec))
        return hw_errf(err, "empty event list; name at least one event, e.g. -e cpu-clock");

    struct hw_buf spans = {0}, evs = {0};
    int rc = events_split(spec, &spans, err);
    if (rc == 0)
        rc = events_init(err);
    const struct events_span *sp = (const struct events_span *)(void *)spans.data;
    size_t nsp = spans.len / sizeof(*sp);
    for (size_t i = 0; rc == 0 && i < nsp; i++)
        rc = events_add(spec, &sp[i], kernel_default, &evs, err);
    hw_buf_free(&spans);
    out->ev = (struct hw_event *)(void *)evs.data;
    out->n = evs.len / sizeof(struct hw_event);
    if (rc < 0)
        events_free(out);
    return rc;
}

bool events_is_hardware(const struct perf_event_attr *attr)
{
    switch (attr->type) {
    case PERF_TYPE_HARDWARE:
    case PERF_TYPE_HW_CACHE:
    case PERF_TYPE_RAW:
        return true;
    case PERF_TYPE_SOFTWARE:
    case PERF_TYPE_TRACEPOINT:
    case PERF_TYPE_BREAKPOINT:
        return false;
    default:
        return attr->type >= PERF_TYPE_MAX;
    }
}

int events_fallback_cpu_clock(struct hw_event *ev, char **old_name, struct hw_err *err)
{
    const struct perf_event_attr *o = &ev->attr;
    char *name = hw_strdup("cpu-clock");
    char *fq = NULL;
    char rate[64] = "";
    if (o->sample_period)
        snprintf(rate, sizeof(rate), ":%s=%llu", o->freq ? "freq" : "period",
                 (unsigned long long)o->sample_period);
    if (!name || asprintf(&fq, "perf::PERF_COUNT_SW_CPU_CLOCK:u=%d:k=%d%s", !o->exclude_user,
                          !o->exclude_kernel, rate) < 0) {
        free(name);
        return hw_errf(err, "out of memory while switching '%s' to cpu-clock", ev->name);
    }

    struct perf_event_attr a;
    memset(&a, 0, sizeof(a));
    a.size = sizeof(a);
    a.type = PERF_TYPE_SOFTWARE;
    a.config = PERF_COUNT_SW_CPU_CLOCK;
    a.exclude_user = o->exclude_user;
    a.exclude_kernel = o->exclude_kernel;
    a.exclude_hv = o->exclude_hv;
    a.exclude_idle = o->exclude_idle;
    a.exclude_host = o->exclude_host;
    a.exclude_guest = o->exclude_guest;
    a.exclude_callchain_user = o->exclude_callchain_user;
    a.exclude_callchain_kernel = o->exclude_callchain_kernel;
    a.freq = o->freq;
    a.sample_period = o->sample_period; /* union with sample_freq */
    ev->attr = a;

    *old_name = ev->name;
    ev->name = name;
    free(ev->fqname);
    ev->fqname = fq;
    return 0;
}

/* Copies the first line of s into buf (truncated to size). */
static const char *events_first_line(const char *s, char *buf, size_t size)
{
    if (!s)
        return "";
    size_t n = strcspn(s, "\n");
    if (n >= size)
        n = size - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

/* Whether name contains pattern, ignoring case (NULL or "" matches everything). */
static bool events_match(const char *name, const char *pattern)
{
    return !pattern || !*pattern || strcasestr(name, pattern) != NULL;
}

/* Encodes a PMU event for listing. Events that need a unit mask are encoded with their first one
 * so `hwprof list` can still probe whether the PMU counts them. Returns 0 or -1. */
static int events_list_encode(const char *qname, int idx, int nattrs, struct perf_event_attr *attr)
{
    char *fq = NULL;
    int cpu;
    int ret = events_encode(qname, PFM_PLM3, attr, &fq, &cpu);
    if (ret == PFM_ERR_UMASK) {
        for (int i = 0; i < nattrs; i++) {
            pfm_event_attr_info_t ai;
            memset(&ai, 0, sizeof(ai));
            ai.size = sizeof(ai);
            if (pfm_get_event_attr_info(idx, i, PFM_OS_PERF_EVENT_EXT, &ai) != PFM_SUCCESS ||
                ai.type != PFM_ATTR_UMASK)
                continue;
            char *s = NULL;
            if (asprintf(&s, "%s:%s", qname, ai.name) < 0)
                return -1;
            ret = events_encode(s, PFM_PLM3, attr, &fq, &cpu);
            free(s);
            break;
        }
    }
    free(fq);
    return ret == PFM_SUCCESS ? 0 : -1;
}

/* State of events_list while it walks the PMU events. */
struct events_list_ctx {
    const char *pattern;
    int (*cb)(const struct hw_event_info *info, void *arg);
    void *arg;
};

/* events_for_each_pmu_event callback of events_list: reports one PMU event matching the pattern;
 * returns what the user callback returned. */
static int events_list_pmu_event(const pfm_pmu_info_t *pi, int idx, const pfm_event_info_t *ei,
                                 void *arg)
{
    const struct events_list_ctx *c = arg;
    char qname[512];
    snprintf(qname, sizeof(qname), "%s::%s", pi->name, ei->name);
    if (!events_match(qname, c->pattern))
        return 0;
    struct hw_event_info info;
    memset(&info, 0, sizeof(info));
    char desc[256];
    info.name = qname;
    info.pmu = pi->name;
    info.desc = events_first_line(ei->desc, desc, sizeof(desc));
    info.generic = false;
    if (events_list_encode(qname, idx, ei->nattrs, &info.attr) < 0)
        return 0; /* cannot be encoded at all: nothing a user could type */
    return c->cb(&info, c->arg);
}

int events_list(const char *pattern, int (*cb)(const struct hw_event_info *info, void *arg),
                void *arg, struct hw_err *err)
{
    if (events_init(err) < 0)
        return -1;

    for (size_t i = 0; i < HW_ARRAY_SIZE(events_generic_table); i++) {
        const struct events_generic *g = &events_generic_table[i];
        if (!events_match(g->name, pattern))
            continue;
        struct hw_event_info info;
        memset(&info, 0, sizeof(info));
        info.name = g->name;
        info.pmu = "generic";
        info.desc = g->desc;
        info.generic = true;
        char *fq = NULL;
        int cpu;
        int ret = events_encode(g->name, PFM_PLM3, &info.attr, &fq, &cpu);
        free(fq);
        if (ret != PFM_SUCCESS)
            return hw_errf(err, "libpfm4 cannot encode generic event '%s' (%s); check libpfm4",
                           g->name, pfm_strerror(ret));
        int rc = cb(&info, arg);
        if (rc)
            return rc;
    }

    struct events_list_ctx c = {pattern, cb, arg};
    return events_for_each_pmu_event(events_list_pmu_event, &c);
}
