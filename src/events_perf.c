/* events_perf.c - perf's event syntax without libpfm4: generic, rNNNN, PMU/TERM/, tracepoints. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "events_private.h"
#include "tracefs.h"

#define EVENTS_PERF_HWC(cache, op, result)                                                         \
    (PERF_COUNT_HW_CACHE_##cache | (PERF_COUNT_HW_CACHE_OP_##op << 8) |                            \
     (PERF_COUNT_HW_CACHE_RESULT_##result << 16))
#define EVENTS_PERF_HW(name, cfg, fq, desc)                                                        \
    {                                                                                              \
        name, PERF_TYPE_HARDWARE, PERF_COUNT_HW_##cfg, fq, desc                                    \
    }
#define EVENTS_PERF_SW(name, cfg, fq, desc)                                                        \
    {                                                                                              \
        name, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_##cfg, fq, desc                                    \
    }
#define EVENTS_PERF_CACHE(name, c, o, r, fq, desc)                                                 \
    {                                                                                              \
        name, PERF_TYPE_HW_CACHE, EVENTS_PERF_HWC(c, o, r), fq, desc                               \
    }

static const struct events_perf_generic events_perf_generic_table[] = {
    EVENTS_PERF_HW("cycles", CPU_CYCLES, "perf::PERF_COUNT_HW_CPU_CYCLES", "CPU cycles"),
    EVENTS_PERF_HW("cpu-cycles", CPU_CYCLES, "perf::PERF_COUNT_HW_CPU_CYCLES",
                   "CPU cycles (same as cycles)"),
    EVENTS_PERF_HW("instructions", INSTRUCTIONS, "perf::PERF_COUNT_HW_INSTRUCTIONS",
                   "retired instructions"),
    EVENTS_PERF_HW("cache-references", CACHE_REFERENCES, "perf::PERF_COUNT_HW_CACHE_REFERENCES",
                   "cache accesses (usually last level cache)"),
    EVENTS_PERF_HW("cache-misses", CACHE_MISSES, "perf::PERF_COUNT_HW_CACHE_MISSES",
                   "cache misses (usually last level cache)"),
    EVENTS_PERF_HW("branch-instructions", BRANCH_INSTRUCTIONS,
                   "perf::PERF_COUNT_HW_BRANCH_INSTRUCTIONS", "retired branch instructions"),
    EVENTS_PERF_HW("branches", BRANCH_INSTRUCTIONS, "perf::PERF_COUNT_HW_BRANCH_INSTRUCTIONS",
                   "retired branch instructions (same as branch-instructions)"),
    EVENTS_PERF_HW("branch-misses", BRANCH_MISSES, "perf::PERF_COUNT_HW_BRANCH_MISSES",
                   "mispredicted branch instructions"),
    EVENTS_PERF_HW("bus-cycles", BUS_CYCLES, "perf::PERF_COUNT_HW_BUS_CYCLES", "bus cycles"),
    EVENTS_PERF_HW("stalled-cycles-frontend", STALLED_CYCLES_FRONTEND,
                   "perf::PERF_COUNT_HW_STALLED_CYCLES_FRONTEND",
                   "cycles the frontend issued no instructions"),
    EVENTS_PERF_HW("stalled-cycles-backend", STALLED_CYCLES_BACKEND,
                   "perf::PERF_COUNT_HW_STALLED_CYCLES_BACKEND",
                   "cycles the backend retired no instructions"),
    EVENTS_PERF_HW("ref-cycles", REF_CPU_CYCLES, "perf::PERF_COUNT_HW_REF_CPU_CYCLES",
                   "reference cycles (not affected by frequency scaling)"),
    EVENTS_PERF_SW("cpu-clock", CPU_CLOCK, "perf::PERF_COUNT_SW_CPU_CLOCK",
                   "CPU clock timer (software)"),
    EVENTS_PERF_SW("task-clock", TASK_CLOCK, "perf::PERF_COUNT_SW_TASK_CLOCK",
                   "clock running while the task runs (software)"),
    EVENTS_PERF_SW("page-faults", PAGE_FAULTS, "perf::PERF_COUNT_SW_PAGE_FAULTS",
                   "page faults (software)"),
    EVENTS_PERF_SW("faults", PAGE_FAULTS, "perf::PERF_COUNT_SW_PAGE_FAULTS",
                   "page faults (same as page-faults)"),
    EVENTS_PERF_SW("minor-faults", PAGE_FAULTS_MIN, "perf::PERF_COUNT_SW_PAGE_FAULTS_MIN",
                   "page faults served without I/O (software)"),
    EVENTS_PERF_SW("major-faults", PAGE_FAULTS_MAJ, "perf::PERF_COUNT_SW_PAGE_FAULTS_MAJ",
                   "page faults that needed I/O (software)"),
    EVENTS_PERF_SW("context-switches", CONTEXT_SWITCHES, "perf::PERF_COUNT_SW_CONTEXT_SWITCHES",
                   "context switches (software)"),
    EVENTS_PERF_SW("cs", CONTEXT_SWITCHES, "perf::PERF_COUNT_SW_CONTEXT_SWITCHES",
                   "context switches (same as context-switches)"),
    EVENTS_PERF_SW("cpu-migrations", CPU_MIGRATIONS, "perf::PERF_COUNT_SW_CPU_MIGRATIONS",
                   "migrations of the task to another CPU (software)"),
    EVENTS_PERF_SW("migrations", CPU_MIGRATIONS, "perf::PERF_COUNT_SW_CPU_MIGRATIONS",
                   "CPU migrations (same as cpu-migrations)"),
    EVENTS_PERF_SW("alignment-faults", ALIGNMENT_FAULTS, "perf::PERF_COUNT_SW_ALIGNMENT_FAULTS",
                   "alignment faults (software)"),
    EVENTS_PERF_SW("emulation-faults", EMULATION_FAULTS, "perf::PERF_COUNT_SW_EMULATION_FAULTS",
                   "emulated instructions (software)"),
    EVENTS_PERF_CACHE("L1-dcache-loads", L1D, READ, ACCESS,
                      "perf::PERF_COUNT_HW_CACHE_L1D:READ:ACCESS", "L1 data cache loads"),
    EVENTS_PERF_CACHE("L1-dcache-load-misses", L1D, READ, MISS,
                      "perf::PERF_COUNT_HW_CACHE_L1D:READ:MISS", "L1 data cache load misses"),
    EVENTS_PERF_CACHE("L1-dcache-stores", L1D, WRITE, ACCESS,
                      "perf::PERF_COUNT_HW_CACHE_L1D:WRITE:ACCESS", "L1 data cache stores"),
    EVENTS_PERF_CACHE("L1-icache-load-misses", L1I, READ, MISS,
                      "perf::PERF_COUNT_HW_CACHE_L1I:READ:MISS",
                      "L1 instruction cache load misses"),
    EVENTS_PERF_CACHE("LLC-loads", LL, READ, ACCESS, "perf::PERF_COUNT_HW_CACHE_LL:READ:ACCESS",
                      "last level cache loads"),
    EVENTS_PERF_CACHE("LLC-load-misses", LL, READ, MISS, "perf::PERF_COUNT_HW_CACHE_LL:READ:MISS",
                      "last level cache load misses"),
    EVENTS_PERF_CACHE("LLC-stores", LL, WRITE, ACCESS, "perf::PERF_COUNT_HW_CACHE_LL:WRITE:ACCESS",
                      "last level cache stores"),
    EVENTS_PERF_CACHE("dTLB-loads", DTLB, READ, ACCESS,
                      "perf::PERF_COUNT_HW_CACHE_DTLB:READ:ACCESS", "data TLB loads"),
    EVENTS_PERF_CACHE("dTLB-load-misses", DTLB, READ, MISS,
                      "perf::PERF_COUNT_HW_CACHE_DTLB:READ:MISS", "data TLB load misses"),
    EVENTS_PERF_CACHE("iTLB-load-misses", ITLB, READ, MISS,
                      "perf::PERF_COUNT_HW_CACHE_ITLB:READ:MISS", "instruction TLB load misses"),
    EVENTS_PERF_CACHE("branch-loads", BPU, READ, ACCESS,
                      "perf::PERF_COUNT_HW_CACHE_BPU:READ:ACCESS", "branch predictor lookups"),
    EVENTS_PERF_CACHE("branch-load-misses", BPU, READ, MISS,
                      "perf::PERF_COUNT_HW_CACHE_BPU:READ:MISS", "branch predictor misses"),
};

const struct events_perf_generic *events_perf_generic(size_t i)
{
    return i < HW_ARRAY_SIZE(events_perf_generic_table) ? &events_perf_generic_table[i] : NULL;
}

/* Finds the generic table entry whose name is the first len bytes of s (case-insensitive). */
static const struct events_perf_generic *events_perf_find_generic(const char *s, size_t len)
{
    for (size_t i = 0; i < HW_ARRAY_SIZE(events_perf_generic_table); i++) {
        const char *n = events_perf_generic_table[i].name;
        if (strlen(n) == len && strncasecmp(n, s, len) == 0)
            return &events_perf_generic_table[i];
    }
    return NULL;
}

/* Encodes a generic name with its modifiers (mods: the text after the name). Returns 0 or -1 with
 * err. */
static int events_perf_encode_generic(const struct events_perf_generic *g, const char *text,
                                      const char *mods, bool kernel_default, struct event *ev,
                                      struct hw_err *err)
{
    struct events_mods m;
    if (events_mods_parse(text, mods, &m, err) < 0)
        return -1;
    memset(&ev->attr, 0, sizeof(ev->attr));
    ev->attr.size = sizeof(ev->attr);
    ev->attr.type = g->type;
    ev->attr.config = g->config;
    events_mods_apply(&ev->attr, &m, kernel_default, false);
    events_mods_mark(ev, &m);
    ev->fqname = events_mods_fqname(g->fq, &ev->attr);
    return ev->fqname ? 0 : hw_err_oom(err);
}

/* The PMUs of the context, read the first time. Returns NULL with err. */
static const struct pmu_set *events_perf_pmus(struct events_perf_ctx *c, struct hw_err *err)
{
    if (!c->have_pmus) {
        if (pmu_scan(c->root, &c->pmus, err) < 0)
            return NULL;
        c->have_pmus = true;
    }
    return &c->pmus;
}

void events_perf_ctx_free(struct events_perf_ctx *c)
{
    if (c->have_pmus)
        pmu_set_free(&c->pmus);
    c->have_pmus = false;
}

/* Whether the first len bytes of s are a raw event, "r" and hexadecimal digits (perf's rNNNN). */
static bool events_perf_is_raw(const char *s, size_t len)
{
    if (len < 2 || len > 17 || s[0] != 'r')
        return false;
    for (size_t i = 1; i < len; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* Encodes perf's raw event rNNNN (the CPU PMU's own encoding, PERF_TYPE_RAW) with its modifiers.
 * Returns 0 or -1 with err. */
static int events_perf_encode_raw(const char *text, size_t blen, bool kernel_default,
                                  struct event *ev, struct hw_err *err)
{
    struct events_mods m;
    if (events_mods_parse(text, text + blen, &m, err) < 0)
        return -1;
    memset(&ev->attr, 0, sizeof(ev->attr));
    ev->attr.size = sizeof(ev->attr);
    ev->attr.type = PERF_TYPE_RAW;
    ev->attr.config = strtoull(text + 1, NULL, 16);
    events_mods_apply(&ev->attr, &m, kernel_default, false);
    events_mods_mark(ev, &m);
    char fq[64];
    snprintf(fq, sizeof(fq), "raw 0x%llx", (unsigned long long)ev->attr.config);
    ev->fqname = events_mods_fqname(fq, &ev->attr);
    return ev->fqname ? 0 : hw_err_oom(err);
}

/* The config word w (0 config, 1 config1, 2 config2) of a. */
static uint64_t *events_perf_word(struct perf_event_attr *a, int w)
{
    return w == 0   ? (uint64_t *)&a->config
           : w == 1 ? (uint64_t *)&a->config1
                    : (uint64_t *)&a->config2;
}

/* State of one PMU event while its terms are applied. */
struct events_perf_pmu_event {
    const char *text; /* the whole event, for messages */
    const struct pmu_set *pmus;
    const struct pmu *pmu;
    struct perf_event_attr *attr;
    struct events_mods mods; /* period= and freq= terms land here */
    char name[256];          /* a name= term */
};

static int events_perf_apply_terms(struct events_perf_pmu_event *e, const char *terms, size_t len,
                                   int depth, struct hw_err *err);

/* Applies one term (key[=value]) of a PMU event: a builtin (config, config1, config2, period, freq,
 * name), a format term of the PMU (its sysfs format/), an event alias (its sysfs events/), or a
 * generic event name on a core PMU (cpu/cycles/). Returns 0 or -1 with err. */
static int events_perf_apply_term(struct events_perf_pmu_event *e, const char *t, size_t len,
                                  int depth, struct hw_err *err)
{
    const char *eq = memchr(t, '=', len);
    size_t klen = eq ? (size_t)(eq - t) : len;
    char key[128];
    if (klen == 0 || klen >= sizeof(key))
        return hw_errf(err, "empty or too long term in '%s'", e->text);
    memcpy(key, t, klen);
    key[klen] = '\0';
    uint64_t v = 1;
    if (eq && strcmp(key, "name") == 0) {
        snprintf(e->name, sizeof(e->name), "%.*s", (int)(len - klen - 1), eq + 1);
        return 0;
    }
    if (eq && events_mods_number(eq + 1, len - klen - 1, &v) < 0)
        return hw_errf(err, "invalid value in term '%.*s' of '%s': give a number (0x... for hex)",
                       (int)len, t, e->text);
    static const char *const words[] = {"config", "config1", "config2"};
    for (int w = 0; w < 3; w++)
        if (strcmp(key, words[w]) == 0) {
            *events_perf_word(e->attr, w) = v;
            return 0;
        }
    if (strcmp(key, "period") == 0 || strcmp(key, "freq") == 0) {
        bool period = key[0] == 'p';
        if (!eq || v == 0)
            return hw_errf(err, "term '%s' of '%s' needs a positive value", key, e->text);
        e->mods.have_period = period;
        e->mods.have_freq = !period;
        e->mods.period = e->mods.freq = v;
        return 0;
    }
    struct pmu_format f;
    int r = pmu_format(e->pmus, e->pmu, key, &f, err);
    if (r < 0)
        return -1;
    if (r == 0) {
        if (pmu_format_apply(&f, v, events_perf_word(e->attr, f.word)) < 0)
            return hw_errf(err, "value 0x%llx of term '%s' in '%s' does not fit its %d bits",
                           (unsigned long long)v, key, e->text, f.nbits);
        return 0;
    }
    char alias[512];
    r = eq || depth > 0 ? 1 : pmu_alias(e->pmus, e->pmu, key, alias, sizeof(alias), err);
    if (r < 0)
        return -1;
    if (r == 0)
        return events_perf_apply_terms(e, alias, strlen(alias), depth + 1, err);
    const struct events_perf_generic *g = eq ? NULL : events_perf_find_generic(key, klen);
    if (g && e->pmu->core && (g->type == PERF_TYPE_HARDWARE || g->type == PERF_TYPE_HW_CACHE)) {
        e->attr->type = g->type;
        e->attr->config = g->config;
        if (pmu_ncore(e->pmus) > 1) /* name the core PMU on a hybrid CPU */
            e->attr->config |= (uint64_t)e->pmu->type << PERF_PMU_TYPE_SHIFT;
        return 0;
    }
    char names[512];
    pmu_format_names(e->pmus, e->pmu, names, sizeof(names));
    return hw_errf(err,
                   "unknown term '%s' for PMU %s in '%s'; its terms are %s%sconfig, config1, "
                   "config2, period, freq, name, or an event of its sysfs events directory",
                   key, e->pmu->name, e->text, names, names[0] ? ", " : "");
}

/* Applies the comma-separated terms (len bytes) of a PMU event or of an alias. */
static int events_perf_apply_terms(struct events_perf_pmu_event *e, const char *terms, size_t len,
                                   int depth, struct hw_err *err)
{
    const char *p = terms, *end = terms + len;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        size_t tlen = comma ? (size_t)(comma - p) : (size_t)(end - p);
        while (tlen && isspace((unsigned char)*p)) {
            p++;
            tlen--;
        }
        if (tlen && events_perf_apply_term(e, p, tlen, depth, err) < 0)
            return -1;
        p += tlen + (comma ? 1 : 0);
        if (!comma)
            break;
    }
    return 0;
}

/* Encodes perf's PMU syntax, PMU/TERM[=VALUE],.../MODIFIERS (cpu/event=0x3c,umask=0/u,
 * cpu/cycles/, msr/tsc/), from the PMU's sysfs type, format and event aliases. Returns 0 or -1
 * with err. */
static int events_perf_encode_pmu(struct events_perf_ctx *c, const char *text, struct event *ev,
                                  struct hw_err *err)
{
    const char *open = strchr(text, '/');
    const char *close = strchr(open + 1, '/');
    if (!close)
        return hw_errf(err, "'%s' lacks its closing '/': write PMU/TERM=VALUE,.../", text);
    char pname[128];
    snprintf(pname, sizeof(pname), "%.*s", (int)(open - text), text);
    const struct pmu_set *pmus = events_perf_pmus(c, err);
    if (!pmus)
        return -1;
    const struct pmu *pmu = pmu_by_name(pmus, pname);
    if (!pmu) {
        char names[512] = "";
        size_t len = 0;
        for (size_t i = 0; i < pmus->n; i++)
            events_append(names, sizeof(names), &len, "%s%s", i ? ", " : "", pmus->v[i].name);
        return hw_errf(err, "unknown PMU '%s' in '%s'; the PMUs here are %s", pname, text,
                       len ? names : "none (no /sys/bus/event_source/devices)");
    }
    memset(&ev->attr, 0, sizeof(ev->attr));
    ev->attr.size = sizeof(ev->attr);
    ev->attr.type = pmu->type;
    struct events_perf_pmu_event e = {.text = text, .pmus = pmus, .pmu = pmu, .attr = &ev->attr};
    if (events_perf_apply_terms(&e, open + 1, (size_t)(close - open - 1), 0, err) < 0)
        return -1;
    /* modifiers after the closing slash: "u", ":u", "ppp" */
    char mods[128];
    snprintf(mods, sizeof(mods), "%s%s", close[1] && close[1] != ':' ? ":" : "", close + 1);
    struct events_mods m;
    if (events_mods_parse(text, mods, &m, err) < 0)
        return -1;
    if (e.mods.have_period || e.mods.have_freq) {
        m.have_period = e.mods.have_period;
        m.have_freq = e.mods.have_freq;
        m.period = m.freq = e.mods.period;
    }
    events_mods_apply(&ev->attr, &m, c->kernel_default, false);
    if (!m.plm_given)
        ev->attr.exclude_hv = 0; /* as perf: PMUs such as msr refuse any exclusion they lack */
    events_mods_mark(ev, &m);
    if (e.name[0]) {
        char *n = hw_strdup(e.name);
        if (!n)
            return hw_err_oom(err);
        free(ev->name);
        ev->name = n;
    }
    char fq[160];
    snprintf(fq, sizeof(fq), "%s/config=0x%llx,config1=0x%llx,config2=0x%llx/", pmu->name,
             (unsigned long long)ev->attr.config, (unsigned long long)ev->attr.config1,
             (unsigned long long)ev->attr.config2);
    ev->fqname = events_mods_fqname(fq, &ev->attr);
    return ev->fqname ? 0 : hw_err_oom(err);
}

/* Whether s (len bytes) can name a tracepoint subsystem or event: lower-case letters, digits and
 * '_' (libpfm4's events are upper case). */
static bool events_perf_tracepoint_word(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '_')
            return false;
    return true;
}

/* State of the tracepoint suggestions. */
struct events_perf_tp_ctx {
    const char *want;
    const char *names[512];
    char *owned[512];
    size_t n;
};

static int events_perf_tp_collect(const char *system, const char *event, uint64_t id, void *arg)
{
    struct events_perf_tp_ctx *c = arg;
    (void)system;
    (void)id;
    if (c->n < HW_ARRAY_SIZE(c->names) && (c->owned[c->n] = hw_strdup(event)))
        c->names[c->n] = c->owned[c->n], c->n++;
    return 0;
}

int events_perf_encode_tracepoint(struct events_perf_ctx *c, const char *text, struct event *ev,
                                  struct hw_err *err)
{
    const char *colon = strchr(text, ':');
    if (!colon || strstr(text, "::"))
        return 1;
    size_t slen = (size_t)(colon - text), elen = strcspn(colon + 1, ":");
    char system[128], event[256];
    if (slen == 0 || elen == 0 || slen >= sizeof(system) || elen >= sizeof(event))
        return 1;
    snprintf(system, sizeof(system), "%.*s", (int)slen, text);
    snprintf(event, sizeof(event), "%.*s", (int)elen, colon + 1);
    if (events_mods_is_cluster(event, elen) || strchr(event, '='))
        return 1; /* NAME:MODIFIER, not SYSTEM:EVENT */
    bool looks = events_perf_tracepoint_word(system, slen);
    if (c->tracefs == 0) {
        int r = tracefs_find(c->root, c->tracefs_dir, sizeof(c->tracefs_dir), &c->tracefs_err);
        c->tracefs = r == 0 ? 1 : r == 1 ? 2 : -1;
    }
    if (c->tracefs == 2)
        return looks ? hw_errf(err, "tracepoint '%s:%s' needs tracefs, which is not mounted: %s",
                               system, event, TRACEFS_MOUNT_ADVICE)
                     : 1;
    if (c->tracefs < 0)
        return looks ? hw_errf(err, "tracepoint '%s:%s': %s", system, event, c->tracefs_err.msg)
                     : 1;
    uint64_t id;
    int r = tracefs_event_id(c->tracefs_dir, system, event, &id, err);
    if (r < 0)
        return -1;
    if (r == 1) {
        if (!tracefs_has_system(c->tracefs_dir, system))
            return 1;
        struct events_perf_tp_ctx tc = {.want = event};
        tracefs_for_each(c->tracefs_dir, system, events_perf_tp_collect, &tc);
        const char *best[3];
        size_t nbest = hw_closest(event, tc.names, tc.n, strlen(event) / 3 + 1, best, 3);
        char hint[512] = "";
        size_t len = 0;
        for (size_t i = 0; i < nbest; i++)
            events_append(hint, sizeof(hint), &len, "%s%s:%s", i ? ", " : " (did you mean ", system,
                          best[i]);
        if (nbest)
            events_append(hint, sizeof(hint), &len, "?)");
        hw_errf(err, "unknown tracepoint '%s:%s'%s; %s/available_events lists them", system, event,
                hint, c->tracefs_dir);
        for (size_t i = 0; i < tc.n; i++)
            free(tc.owned[i]);
        return -1;
    }
    struct events_mods m;
    if (events_mods_parse(text, colon + 1 + elen, &m, err) < 0)
        return -1;
    memset(&ev->attr, 0, sizeof(ev->attr));
    ev->attr.size = sizeof(ev->attr);
    ev->attr.type = PERF_TYPE_TRACEPOINT;
    ev->attr.config = id;
    /* a kernel tracepoint fires in the kernel: excluding it would record nothing */
    events_mods_apply(&ev->attr, &m, true, false);
    ev->plm_explicit = true;
    ev->sample_read = m.sample_read;
    char fq[400];
    snprintf(fq, sizeof(fq), "tracepoint %s:%s", system, event);
    ev->fqname = events_mods_fqname(fq, &ev->attr);
    return ev->fqname ? 0 : hw_err_oom(err);
}

int events_perf_encode(struct events_perf_ctx *c, const char *text, struct event *ev,
                       struct hw_err *err)
{
    if (strchr(text, '/'))
        return events_perf_encode_pmu(c, text, ev, err);
    if (strstr(text, "::"))
        return 1; /* PMU::EVENT: libpfm4's */
    size_t blen = events_mods_start(text);
    const struct events_perf_generic *g = events_perf_find_generic(text, blen);
    if (g)
        return events_perf_encode_generic(g, text, text + blen, c->kernel_default, ev, err);
    if (events_perf_is_raw(text, blen))
        return events_perf_encode_raw(text, blen, c->kernel_default, ev, err);
    return 1;
}
