/* events.c - event lists ("a,{b,c}") to perf_event_attrs, libpfm4 names, and `hwprof list`. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <linux/perf_event.h>
#include <dlfcn.h>
#include <perfmon/pfmlib_perf_event.h>

#include "events_private.h"

/* libpfm4, loaded on first use: most recordings name only events of hwprof's own tables (generic
 * names, raw, PMU/TERM/, tracepoints), and linking it would cost every hwprof command the
 * relocation of its tables at start-up (several milliseconds). Its state is process-global. */
#define EVENTS_PFM_SONAME "libpfm.so.4"
static struct {
    bool ready;
    __typeof__(pfm_initialize) *initialize;
    __typeof__(pfm_strerror) *strerror;
    __typeof__(pfm_get_os_event_encoding) *get_os_event_encoding;
    __typeof__(pfm_find_event) *find_event;
    __typeof__(pfm_get_event_info) *get_event_info;
    __typeof__(pfm_get_event_attr_info) *get_event_attr_info;
    __typeof__(pfm_get_event_next) *get_event_next;
    __typeof__(pfm_get_pmu_info) *get_pmu_info;
} events_pfm;

/* Sets *slot to the address of name in handle h. Returns 0, or -1 when it is missing. */
static int events_pfm_symbol(void *h, const char *name, void *slot)
{
    void *sym = dlsym(h, name);
    if (!sym)
        return -1;
    memcpy(slot, &sym, sizeof(sym));
    return 0;
}

int events_init(struct hw_err *err)
{
    if (events_pfm.ready)
        return 0;
    void *h = dlopen(EVENTS_PFM_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        return hw_errf(err, "cannot load libpfm4 (%s); install the Debian package libpfm4",
                       dlerror());
    if (events_pfm_symbol(h, "pfm_initialize", &events_pfm.initialize) < 0 ||
        events_pfm_symbol(h, "pfm_strerror", &events_pfm.strerror) < 0 ||
        events_pfm_symbol(h, "pfm_get_os_event_encoding", &events_pfm.get_os_event_encoding) < 0 ||
        events_pfm_symbol(h, "pfm_find_event", &events_pfm.find_event) < 0 ||
        events_pfm_symbol(h, "pfm_get_event_info", &events_pfm.get_event_info) < 0 ||
        events_pfm_symbol(h, "pfm_get_event_attr_info", &events_pfm.get_event_attr_info) < 0 ||
        events_pfm_symbol(h, "pfm_get_event_next", &events_pfm.get_event_next) < 0 ||
        events_pfm_symbol(h, "pfm_get_pmu_info", &events_pfm.get_pmu_info) < 0) {
        dlclose(h);
        return hw_errf(err, "%s lacks the functions hwprof needs; install libpfm4 4.13 or later",
                       EVENTS_PFM_SONAME);
    }
    int ret = events_pfm.initialize();
    if (ret != PFM_SUCCESS)
        return hw_errf(err, "cannot initialize libpfm4: %s; check the libpfm4 installation",
                       events_pfm.strerror(ret));
    events_pfm.ready = true; /* the handle stays open: libpfm4's tables are used until exit */
    return 0;
}

/* Encodes text with libpfm4. Returns PFM_SUCCESS with attr and *fq (malloc'd) set, or a libpfm4
 * error code (PFM_ERR_NOMEM also for our own allocation failures). *cpu gets libpfm4's cpu=. */
static int events_encode(const char *text, int plm, struct perf_event_attr *attr, char **fq,
                         int *cpu)
{
    memset(attr, 0, sizeof(*attr));
    attr->size = sizeof(*attr);
    char *fstr = NULL;
    pfm_perf_encode_arg_t arg;
    memset(&arg, 0, sizeof(arg));
    arg.size = sizeof(arg);
    arg.attr = attr;
    arg.fstr = &fstr;
    arg.cpu = -1;
    int ret = events_pfm.get_os_event_encoding(text, plm, PFM_OS_PERF_EVENT_EXT, &arg);
    if (ret != PFM_SUCCESS) {
        free(fstr);
        return ret;
    }
    attr->size = sizeof(*attr);
    *cpu = arg.cpu;
    if (!fstr) {
        fstr = hw_strdup(text);
        if (!fstr)
            return PFM_ERR_NOMEM;
    }
    *fq = fstr;
    return PFM_SUCCESS;
}

/* Fills buf with the attributes (unit masks when umask is true, else modifiers) libpfm4 accepts
 * for the event of text, e.g. " :u :k :period=". Leaves buf empty if the event is unknown. */
static void events_attr_names(const char *text, bool umask, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    char *str = hw_strdup(text);
    if (!str)
        return;
    /* pfm_find_event wants the bare event name, without unit masks or modifiers */
    str[events_mods_start(str)] = '\0';
    int idx = events_pfm.find_event(str);
    free(str);
    if (idx < 0)
        return;
    pfm_event_info_t info;
    memset(&info, 0, sizeof(info));
    info.size = sizeof(info);
    if (events_pfm.get_event_info(idx, PFM_OS_PERF_EVENT_EXT, &info) != PFM_SUCCESS)
        return;
    int shown = 0;
    for (int i = 0; i < info.nattrs; i++) {
        pfm_event_attr_info_t ai;
        memset(&ai, 0, sizeof(ai));
        ai.size = sizeof(ai);
        if (events_pfm.get_event_attr_info(idx, i, PFM_OS_PERF_EVENT_EXT, &ai) != PFM_SUCCESS)
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
        if (events_pfm.get_pmu_info(pmu, &pi) != PFM_SUCCESS || !pi.is_present ||
            strcmp(pi.name, "perf_raw") == 0)
            continue;
        for (int idx = pi.first_event; idx != -1; idx = events_pfm.get_event_next(idx)) {
            pfm_event_info_t ei;
            memset(&ei, 0, sizeof(ei));
            ei.size = sizeof(ei);
            if (events_pfm.get_event_info(idx, PFM_OS_PERF_EVENT_EXT, &ei) != PFM_SUCCESS)
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
    const struct events_perf_generic *g;
    for (size_t i = 0; (g = events_perf_generic(i)); i++) {
        const char *n = g->name;
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

/* State of events_other_models: the event looked for, and the PMU models that know it. */
struct events_models_ctx {
    const char *event;
    size_t n;
    char names[256];
    size_t len;
};

/* Appends the description of PMU pi to the list when it knows the event c->event. */
static void events_models_check(const pfm_pmu_info_t *pi, struct events_models_ctx *c)
{
    for (int i = pi->first_event; i != -1; i = events_pfm.get_event_next(i)) {
        pfm_event_info_t ei;
        memset(&ei, 0, sizeof(ei));
        ei.size = sizeof(ei);
        if (events_pfm.get_event_info(i, PFM_OS_NONE, &ei) != PFM_SUCCESS)
            return;
        if (strcasecmp(ei.name, c->event) != 0)
            continue;
        if (c->n++ < 3)
            events_append(c->names, sizeof(c->names), &c->len, "%s%s", c->n > 1 ? ", " : "",
                          pi->desc ? pi->desc : pi->name);
        return;
    }
}

/* Writes into hint (size bytes) why libpfm4 does not know event: the PMU models that have it, which
 * this CPU is not (libpfm4 knows only the events of the PMUs it finds), and what it found. */
static void events_other_models(const char *event, char *hint, size_t size)
{
    struct events_models_ctx c = {.event = event};
    char present[192] = "";
    size_t plen = 0;
    pfm_pmu_t pmu;
    pfm_for_all_pmus(pmu)
    {
        pfm_pmu_info_t pi;
        memset(&pi, 0, sizeof(pi));
        pi.size = sizeof(pi);
        if (events_pfm.get_pmu_info(pmu, &pi) != PFM_SUCCESS)
            continue;
        if (pi.is_present) {
            if (strcmp(pi.name, "perf") != 0 && strcmp(pi.name, "perf_raw") != 0)
                events_append(present, sizeof(present), &plen, "%s%s", plen ? ", " : "", pi.name);
            continue;
        }
        events_models_check(&pi, &c);
    }
    hint[0] = '\0';
    if (c.n == 0)
        return;
    snprintf(hint, size,
             ": %s is an event of %zu PMU model%s (%s%s) that this CPU is not (libpfm4 found %s)",
             event, c.n, c.n > 1 ? "s" : "", c.names, c.n > 3 ? ", ..." : "",
             plen ? present : "no PMU model it knows here");
}

/* Sets err to the "unknown event" message for text: the PMU models that know it, or up to three
 * suggestions. */
static int events_err_unknown(const char *text, struct hw_err *err)
{
    size_t blen = events_mods_start(text);
    char *base = strndup(text, blen);
    struct hw_buf strs = {0}, ptrs = {0};
    const char **cands = NULL;
    size_t ncands = 0;
    const char *best[3];
    size_t nbest = 0;
    char hint[512];
    size_t len = 0;
    hint[0] = '\0';
    if (base && !strstr(base, "::"))
        events_other_models(base, hint, sizeof(hint));
    if (!hint[0] && base &&
        events_candidates(strstr(base, "::") != NULL, &cands, &ncands, &strs, &ptrs) == 0) {
        size_t limit = strlen(base) / 3;
        if (limit < 1)
            limit = 1;
        nbest = hw_closest(base, cands, ncands, limit, best, HW_ARRAY_SIZE(best));
    }
    for (size_t i = 0; i < nbest; i++)
        events_append(hint, sizeof(hint), &len, "%s%s", i ? ", " : " (did you mean ", best[i]);
    if (nbest)
        events_append(hint, sizeof(hint), &len, "?)");
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
        return hw_errf(err, "invalid modifier in '%s' (%s)%s%s", text, events_pfm.strerror(ret),
                       names[0] ? "; it accepts" : "", names);
    case PFM_ERR_UMASK:
        events_attr_names(text, true, names, sizeof(names));
        return hw_errf(err, "event '%s' needs a valid unit mask (%s)%s%s", text,
                       events_pfm.strerror(ret), names[0] ? "; choose one of" : "", names);
    case PFM_ERR_NOMEM:
        return hw_err_oom_while(err, "encoding event '%s'", text);
    default:
        return hw_errf(err, "cannot encode event '%s': %s; run 'hwprof list' to see events", text,
                       events_pfm.strerror(ret));
    }
}

void events_free(struct event_list *list)
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

/* One event of the spec after the syntax pass: where its name is and which group it is in. */
struct events_span {
    size_t start, len;
    int group;
    bool leader;
};

/* Encodes a libpfm4 name (PMU::EVENT:UMASK:MOD..., or an event of an active PMU without the PMU
 * part) with perf's letter modifiers applied on top; a name libpfm4 does not know may be a
 * tracepoint. Returns 0 or -1 with err. */
static int events_encode_pfm(struct events_perf_ctx *c, const char *text, struct event *ev,
                             struct hw_err *err)
{
    if (events_init(err) < 0)
        return -1;
    int plm = c->kernel_default ? (PFM_PLM0 | PFM_PLM3) : PFM_PLM3;
    int cpu = -1;
    struct events_mods m;
    memset(&m, 0, sizeof(m));
    bool clusters = false;
    int ret = events_encode(text, plm, &ev->attr, &ev->fqname, &cpu);
    if (ret == PFM_ERR_ATTR) {
        char *rest = events_mods_strip_clusters(text, &m, &clusters);
        if (!rest)
            return hw_err_oom(err);
        if (clusters)
            ret = events_encode(rest, plm, &ev->attr, &ev->fqname, &cpu);
        free(rest);
        if (clusters && m.precise > 3)
            return hw_errf(err, "'%s' asks for precise level %u: the highest is 3 (ppp)", text,
                           m.precise);
    }
    if (ret == PFM_ERR_NOTFOUND) {
        int r = events_perf_encode_tracepoint(c, text, ev, err);
        if (r <= 0)
            return r;
    }
    if (ret != PFM_SUCCESS)
        return events_err_encode(text, ret, err);
    if (cpu >= 0) {
        free(ev->fqname);
        ev->fqname = NULL;
        return hw_errf(
            err, "the cpu= modifier in '%s' is not supported; choose CPUs with hwprof's options",
            text);
    }
    if (clusters)
        events_mods_apply(&ev->attr, &m, c->kernel_default, true);
    ev->plm_explicit = events_mods_has_plm(text) || m.plm_given;
    ev->precise_max = m.precise_max;
    ev->sample_read = m.sample_read;
    return 0;
}

/* Encodes the event named by span and appends it to list. Returns 0 or -1 with err. */
static int events_add(struct events_perf_ctx *c, const char *spec, const struct events_span *sp,
                      struct hw_buf *list, struct hw_err *err)
{
    struct event ev;
    memset(&ev, 0, sizeof(ev));
    ev.name = strndup(spec + sp->start, sp->len);
    if (!ev.name)
        return hw_err_oom(err);
    int rc = events_perf_encode(c, ev.name, &ev, err);
    if (rc == 1)
        rc = events_encode_pfm(c, ev.name, &ev, err);
    if (rc < 0) {
        free(ev.name);
        free(ev.fqname);
        return -1;
    }
    ev.group = sp->group;
    ev.leader = sp->leader;
    if (hw_buf_append(list, &ev, sizeof(ev)) < 0) {
        free(ev.name);
        free(ev.fqname);
        return hw_err_oom(err);
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
        bool in_pmu = false; /* commas inside PMU/TERM,TERM/ belong to the event */
        while (*p && (in_pmu || !strchr(",{}", *p)))
            in_pmu ^= *p++ == '/';
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
            return hw_err_oom_while(err, "parsing events");
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

int events_parse_at(const char *spec, bool kernel_default, const char *root, struct event_list *out,
                    struct hw_err *err)
{
    out->ev = NULL;
    out->n = 0;
    if (!spec || !*events_skip_space(spec))
        return hw_errf(err, "empty event list; name at least one event, e.g. -e cpu-clock");

    struct hw_buf spans = {0}, evs = {0};
    struct events_perf_ctx c = {.root = root, .kernel_default = kernel_default};
    int rc = events_split(spec, &spans, err);
    const struct events_span *sp = (const struct events_span *)(void *)spans.data;
    size_t nsp = spans.len / sizeof(*sp);
    for (size_t i = 0; rc == 0 && i < nsp; i++)
        rc = events_add(&c, spec, &sp[i], &evs, err);
    hw_buf_free(&spans);
    events_perf_ctx_free(&c);
    out->ev = (struct event *)(void *)evs.data;
    out->n = evs.len / sizeof(struct event);
    if (rc < 0)
        events_free(out);
    return rc;
}

int events_parse(const char *spec, bool kernel_default, struct event_list *out, struct hw_err *err)
{
    return events_parse_at(spec, kernel_default, NULL, out, err);
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

int events_fallback_cpu_clock(struct event *ev, char **old_name, struct hw_err *err)
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
        return hw_err_oom_while(err, "switching '%s' to cpu-clock", ev->name);
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
            if (events_pfm.get_event_attr_info(idx, i, PFM_OS_PERF_EVENT_EXT, &ai) != PFM_SUCCESS ||
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
    int (*cb)(const struct event_info *info, void *arg);
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
    struct event_info info;
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

int events_list(const char *pattern, int (*cb)(const struct event_info *info, void *arg), void *arg,
                struct hw_err *err)
{
    if (events_init(err) < 0)
        return -1;

    const struct events_perf_generic *g;
    for (size_t i = 0; (g = events_perf_generic(i)); i++) {
        if (!events_match(g->name, pattern))
            continue;
        struct event_info info;
        memset(&info, 0, sizeof(info));
        info.name = g->name;
        info.pmu = "generic";
        info.desc = g->desc;
        info.generic = true;
        info.attr.size = sizeof(info.attr);
        info.attr.type = g->type;
        info.attr.config = g->config;
        info.attr.exclude_kernel = 1; /* user space only: what anyone may open */
        info.attr.exclude_hv = 1;
        int rc = cb(&info, arg);
        if (rc)
            return rc;
    }

    struct events_list_ctx c = {pattern, cb, arg};
    return events_for_each_pmu_event(events_list_pmu_event, &c);
}
