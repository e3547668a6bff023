/* events.c - event lists turned into perf_event_attrs (own generic table, libpfm4), and listed. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <linux/perf_event.h>
#include <perfmon/pfmlib_perf_event.h>

#include "events.h"
#include "tracefs.h"

/* A perf generic event name and its encoding. Generic events are kernel ABI (perf_event_open(2)):
 * hwprof encodes them itself, so they work whichever PMU libpfm4 has active (LIBPFM_FORCE_PMU, or
 * a libpfm4 without its "perf" PMU), and a CPU PMU event of the same name never shadows them. */
struct events_generic {
    const char *name;
    uint32_t type;
    uint64_t config;
    const char *fq;   /* libpfm4's name of it, the start of event.fqname */
    const char *desc; /* one-line description for `hwprof list` */
};

#define EVENTS_HWC(cache, op, result)                                                              \
    (PERF_COUNT_HW_CACHE_##cache | (PERF_COUNT_HW_CACHE_OP_##op << 8) |                            \
     (PERF_COUNT_HW_CACHE_RESULT_##result << 16))
#define EVENTS_HW(name, cfg, fq, desc)                                                             \
    {                                                                                              \
        name, PERF_TYPE_HARDWARE, PERF_COUNT_HW_##cfg, fq, desc                                    \
    }
#define EVENTS_SW(name, cfg, fq, desc)                                                             \
    {                                                                                              \
        name, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_##cfg, fq, desc                                    \
    }
#define EVENTS_CACHE(name, c, o, r, fq, desc)                                                      \
    {                                                                                              \
        name, PERF_TYPE_HW_CACHE, EVENTS_HWC(c, o, r), fq, desc                                    \
    }

static const struct events_generic events_generic_table[] = {
    EVENTS_HW("cycles", CPU_CYCLES, "perf::PERF_COUNT_HW_CPU_CYCLES", "CPU cycles"),
    EVENTS_HW("cpu-cycles", CPU_CYCLES, "perf::PERF_COUNT_HW_CPU_CYCLES",
              "CPU cycles (same as cycles)"),
    EVENTS_HW("instructions", INSTRUCTIONS, "perf::PERF_COUNT_HW_INSTRUCTIONS",
              "retired instructions"),
    EVENTS_HW("cache-references", CACHE_REFERENCES, "perf::PERF_COUNT_HW_CACHE_REFERENCES",
              "cache accesses (usually last level cache)"),
    EVENTS_HW("cache-misses", CACHE_MISSES, "perf::PERF_COUNT_HW_CACHE_MISSES",
              "cache misses (usually last level cache)"),
    EVENTS_HW("branch-instructions", BRANCH_INSTRUCTIONS, "perf::PERF_COUNT_HW_BRANCH_INSTRUCTIONS",
              "retired branch instructions"),
    EVENTS_HW("branches", BRANCH_INSTRUCTIONS, "perf::PERF_COUNT_HW_BRANCH_INSTRUCTIONS",
              "retired branch instructions (same as branch-instructions)"),
    EVENTS_HW("branch-misses", BRANCH_MISSES, "perf::PERF_COUNT_HW_BRANCH_MISSES",
              "mispredicted branch instructions"),
    EVENTS_HW("bus-cycles", BUS_CYCLES, "perf::PERF_COUNT_HW_BUS_CYCLES", "bus cycles"),
    EVENTS_HW("stalled-cycles-frontend", STALLED_CYCLES_FRONTEND,
              "perf::PERF_COUNT_HW_STALLED_CYCLES_FRONTEND",
              "cycles the frontend issued no instructions"),
    EVENTS_HW("stalled-cycles-backend", STALLED_CYCLES_BACKEND,
              "perf::PERF_COUNT_HW_STALLED_CYCLES_BACKEND",
              "cycles the backend retired no instructions"),
    EVENTS_HW("ref-cycles", REF_CPU_CYCLES, "perf::PERF_COUNT_HW_REF_CPU_CYCLES",
              "reference cycles (not affected by frequency scaling)"),
    EVENTS_SW("cpu-clock", CPU_CLOCK, "perf::PERF_COUNT_SW_CPU_CLOCK",
              "CPU clock timer (software)"),
    EVENTS_SW("task-clock", TASK_CLOCK, "perf::PERF_COUNT_SW_TASK_CLOCK",
              "clock running while the task runs (software)"),
    EVENTS_SW("page-faults", PAGE_FAULTS, "perf::PERF_COUNT_SW_PAGE_FAULTS",
              "page faults (software)"),
    EVENTS_SW("faults", PAGE_FAULTS, "perf::PERF_COUNT_SW_PAGE_FAULTS",
              "page faults (same as page-faults)"),
    EVENTS_SW("minor-faults", PAGE_FAULTS_MIN, "perf::PERF_COUNT_SW_PAGE_FAULTS_MIN",
              "page faults served without I/O (software)"),
    EVENTS_SW("major-faults", PAGE_FAULTS_MAJ, "perf::PERF_COUNT_SW_PAGE_FAULTS_MAJ",
              "page faults that needed I/O (software)"),
    EVENTS_SW("context-switches", CONTEXT_SWITCHES, "perf::PERF_COUNT_SW_CONTEXT_SWITCHES",
              "context switches (software)"),
    EVENTS_SW("cs", CONTEXT_SWITCHES, "perf::PERF_COUNT_SW_CONTEXT_SWITCHES",
              "context switches (same as context-switches)"),
    EVENTS_SW("cpu-migrations", CPU_MIGRATIONS, "perf::PERF_COUNT_SW_CPU_MIGRATIONS",
              "migrations of the task to another CPU (software)"),
    EVENTS_SW("migrations", CPU_MIGRATIONS, "perf::PERF_COUNT_SW_CPU_MIGRATIONS",
              "CPU migrations (same as cpu-migrations)"),
    EVENTS_SW("alignment-faults", ALIGNMENT_FAULTS, "perf::PERF_COUNT_SW_ALIGNMENT_FAULTS",
              "alignment faults (software)"),
    EVENTS_SW("emulation-faults", EMULATION_FAULTS, "perf::PERF_COUNT_SW_EMULATION_FAULTS",
              "emulated instructions (software)"),
    EVENTS_CACHE("L1-dcache-loads", L1D, READ, ACCESS, "perf::PERF_COUNT_HW_CACHE_L1D:READ:ACCESS",
                 "L1 data cache loads"),
    EVENTS_CACHE("L1-dcache-load-misses", L1D, READ, MISS,
                 "perf::PERF_COUNT_HW_CACHE_L1D:READ:MISS", "L1 data cache load misses"),
    EVENTS_CACHE("L1-dcache-stores", L1D, WRITE, ACCESS,
                 "perf::PERF_COUNT_HW_CACHE_L1D:WRITE:ACCESS", "L1 data cache stores"),
    EVENTS_CACHE("L1-icache-load-misses", L1I, READ, MISS,
                 "perf::PERF_COUNT_HW_CACHE_L1I:READ:MISS", "L1 instruction cache load misses"),
    EVENTS_CACHE("LLC-loads", LL, READ, ACCESS, "perf::PERF_COUNT_HW_CACHE_LL:READ:ACCESS",
                 "last level cache loads"),
    EVENTS_CACHE("LLC-load-misses", LL, READ, MISS, "perf::PERF_COUNT_HW_CACHE_LL:READ:MISS",
                 "last level cache load misses"),
    EVENTS_CACHE("LLC-stores", LL, WRITE, ACCESS, "perf::PERF_COUNT_HW_CACHE_LL:WRITE:ACCESS",
                 "last level cache stores"),
    EVENTS_CACHE("dTLB-loads", DTLB, READ, ACCESS, "perf::PERF_COUNT_HW_CACHE_DTLB:READ:ACCESS",
                 "data TLB loads"),
    EVENTS_CACHE("dTLB-load-misses", DTLB, READ, MISS, "perf::PERF_COUNT_HW_CACHE_DTLB:READ:MISS",
                 "data TLB load misses"),
    EVENTS_CACHE("iTLB-load-misses", ITLB, READ, MISS, "perf::PERF_COUNT_HW_CACHE_ITLB:READ:MISS",
                 "instruction TLB load misses"),
    EVENTS_CACHE("branch-loads", BPU, READ, ACCESS, "perf::PERF_COUNT_HW_CACHE_BPU:READ:ACCESS",
                 "branch predictor lookups"),
    EVENTS_CACHE("branch-load-misses", BPU, READ, MISS, "perf::PERF_COUNT_HW_CACHE_BPU:READ:MISS",
                 "branch predictor misses"),
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

/* The modifiers of one event, written perf's way (letters: u k h G H I D S p pp ppp P, in any
 * combination, e.g. ":uk", ":ppp") or libpfm4's way (":u=1", ":period=N", ":freq=N",
 * ":precise=N"). */
struct events_mods {
    bool plm_given;                /* a privilege level was named: only the named ones count */
    bool user, kernel, hv;         /* the levels named */
    bool guest_given, guest, host; /* G and H: guest only, host only */
    unsigned precise;              /* p's or precise=N */
    bool precise_max;              /* P: the highest level the PMU supports */
    bool sample_read;              /* S */
    bool exclude_idle;             /* I */
    bool pinned;                   /* D */
    bool have_period, have_freq;
    uint64_t period, freq;
};

/* The letters perf accepts as event modifiers (of those hwprof applies), and U and K, which libpfm4
 * (whose modifiers ignore case) took for u and k. */
#define EVENTS_PERF_LETTERS "ukhUKGHIDSpP"

/* Whether tok (len bytes) is a cluster of perf modifier letters. */
static bool events_is_cluster(const char *tok, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!strchr(EVENTS_PERF_LETTERS, tok[i]) || tok[i] == '\0')
            return false;
    return true;
}

/* Applies one cluster of perf letters to m. */
static void events_mods_cluster(struct events_mods *m, const char *tok, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        switch (tok[i]) {
        case 'u':
        case 'U':
            m->plm_given = m->user = true;
            break;
        case 'k':
        case 'K':
            m->plm_given = m->kernel = true;
            break;
        case 'h':
            m->plm_given = m->hv = true;
            break;
        case 'G':
            m->guest_given = m->guest = true;
            break;
        case 'H':
            m->guest_given = m->host = true;
            break;
        case 'I':
            m->exclude_idle = true;
            break;
        case 'D':
            m->pinned = true;
            break;
        case 'S':
            m->sample_read = true;
            break;
        case 'p':
            m->precise++;
            break;
        case 'P':
            m->precise_max = true;
            break;
        }
    }
}

/* Parses a decimal or 0x-hexadecimal number filling all of s. Returns 0 or -1. */
static int events_parse_number(const char *s, size_t len, uint64_t *out)
{
    char buf[32];
    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 0);
    if (errno || *end || buf[0] == '-' || buf[0] == '+')
        return -1;
    *out = v;
    return 0;
}

/* The error for an unknown modifier tok of event text. Returns -1. */
static int events_err_modifier(const char *text, const char *tok, size_t len, struct hw_err *err)
{
    if (len >= 4 && strncmp(tok, "cpu=", 4) == 0)
        return hw_errf(
            err, "the cpu= modifier in '%s' is not supported; choose CPUs with hwprof's options",
            text);
    return hw_errf(err,
                   "invalid modifier in '%s': '%.*s' is none of u, k, h (privilege levels), G, H "
                   "(guest, host), p, pp, ppp, P (precise), S, I, D, period=N, freq=N, precise=N",
                   text, (int)len, tok);
}

/* Parses the modifiers of text that follow its name: mods is the part after the name ("" or
 * ":u:period=100"). Returns 0 or -1 with err. */
static int events_parse_mods(const char *text, const char *mods, struct events_mods *m,
                             struct hw_err *err)
{
    memset(m, 0, sizeof(*m));
    const char *p = mods;
    while (*p) {
        if (*p != ':')
            return hw_errf(err, "invalid event '%s': expected ':' before its modifiers", text);
        p++;
        size_t len = strcspn(p, ":");
        const char *eq = memchr(p, '=', len);
        if (!eq) {
            if (!events_is_cluster(p, len))
                return events_err_modifier(text, p, len, err);
            events_mods_cluster(m, p, len);
        } else {
            size_t klen = (size_t)(eq - p);
            uint64_t v;
            if (events_parse_number(eq + 1, len - klen - 1, &v) < 0)
                return klen == 3 && strncmp(p, "cpu", 3) == 0
                           ? events_err_modifier(text, p, len, err)
                           : hw_errf(err, "invalid value in modifier '%.*s' of '%s': give a number",
                                     (int)len, p, text);
            if (klen == 1 && strchr("ukh", p[0])) {
                if (v > 1)
                    return hw_errf(err, "invalid modifier '%.*s' in '%s': use %c=0 or %c=1",
                                   (int)len, p, text, p[0], p[0]);
                m->plm_given = true;
                if (p[0] == 'u')
                    m->user = v;
                else if (p[0] == 'k')
                    m->kernel = v;
                else
                    m->hv = v;
            } else if (klen == 6 && strncmp(p, "period", 6) == 0 && v > 0) {
                m->have_period = true;
                m->period = v;
            } else if (klen == 4 && strncmp(p, "freq", 4) == 0 && v > 0) {
                m->have_freq = true;
                m->freq = v;
            } else if (klen == 7 && strncmp(p, "precise", 7) == 0) {
                m->precise = (unsigned)(v > 4 ? 4 : v);
            } else {
                return events_err_modifier(text, p, len, err);
            }
        }
        p += len;
    }
    if (m->have_period && m->have_freq)
        return hw_errf(err, "'%s' has both a period and a frequency: give one", text);
    if (m->precise > 3)
        return hw_errf(err, "'%s' asks for precise level %u: the highest is 3 (ppp)", text,
                       m->precise);
    if (m->plm_given && !m->user && !m->kernel && !m->hv)
        return hw_errf(err, "the modifiers of '%s' exclude every privilege level", text);
    return 0;
}

/* Applies m to attr. Without a privilege modifier the event counts user space, and the kernel when
 * kernel_default is set; levels_from_encoding keeps the encoding's levels instead (libpfm4 set
 * them). */
static void events_apply_mods(struct perf_event_attr *a, const struct events_mods *m,
                              bool kernel_default, bool levels_from_encoding)
{
    if (m->plm_given) {
        a->exclude_user = !m->user;
        a->exclude_kernel = !m->kernel;
        a->exclude_hv = !m->hv;
    } else if (!levels_from_encoding) {
        a->exclude_user = 0;
        a->exclude_kernel = !kernel_default;
        a->exclude_hv = 1;
    }
    if (m->guest_given) {
        a->exclude_guest = !m->guest;
        a->exclude_host = !m->host;
    } else if (m->precise && !levels_from_encoding) {
        a->exclude_guest = 1; /* perf: precise sampling of the host only */
    }
    if (m->precise_max)
        a->precise_ip = 3;
    else if (m->precise)
        a->precise_ip = m->precise;
    if (m->exclude_idle)
        a->exclude_idle = 1;
    if (m->pinned)
        a->pinned = 1;
    if (m->have_period) {
        a->sample_period = m->period;
        a->freq = 0;
    } else if (m->have_freq) {
        a->sample_freq = m->freq;
        a->freq = 1;
    }
}

/* Writes libpfm4's way of naming the levels and rate of attr after fq: "FQ:u=1:k=0:h=0...". Returns
 * a malloc'd string or NULL. */
static char *events_fqname(const char *fq, const struct perf_event_attr *a)
{
    char rate[64] = "", precise[32] = "";
    if (a->sample_period)
        snprintf(rate, sizeof(rate), ":%s=%llu", a->freq ? "freq" : "period",
                 (unsigned long long)a->sample_period);
    if (a->precise_ip)
        snprintf(precise, sizeof(precise), ":precise=%u", (unsigned)a->precise_ip);
    char *s = NULL;
    if (asprintf(&s, "%s:u=%d:k=%d:h=%d%s%s", fq, !a->exclude_user, !a->exclude_kernel,
                 !a->exclude_hv, precise, rate) < 0)
        return NULL;
    return s;
}

/* Encodes a generic name with its modifiers (mods: the text after the name). Returns 0 or -1 with
 * err. */
static int events_encode_generic(const struct events_generic *g, const char *text, const char *mods,
                                 bool kernel_default, struct event *ev, struct hw_err *err)
{
    struct events_mods m;
    if (events_parse_mods(text, mods, &m, err) < 0)
        return -1;
    memset(&ev->attr, 0, sizeof(ev->attr));
    ev->attr.size = sizeof(ev->attr);
    ev->attr.type = g->type;
    ev->attr.config = g->config;
    events_apply_mods(&ev->attr, &m, kernel_default, false);
    ev->plm_explicit = m.plm_given;
    ev->precise_max = m.precise_max;
    ev->sample_read = m.sample_read;
    ev->fqname = events_fqname(g->fq, &ev->attr);
    return ev->fqname ? 0 : hw_err_oom(err);
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
    int ret = pfm_get_os_event_encoding(text, plm, PFM_OS_PERF_EVENT_EXT, &arg);
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
    char *str = hw_strdup(text);
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
    for (int i = pi->first_event; i != -1; i = pfm_get_event_next(i)) {
        pfm_event_info_t ei;
        memset(&ei, 0, sizeof(ei));
        ei.size = sizeof(ei);
        if (pfm_get_event_info(i, PFM_OS_NONE, &ei) != PFM_SUCCESS)
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
        if (pfm_get_pmu_info(pmu, &pi) != PFM_SUCCESS)
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
    size_t blen = events_base_len(text);
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

/* Whether attr is a generic hardware event that names no PMU yet. */
static bool events_unbound_generic(const struct perf_event_attr *attr)
{
    return (attr->type == PERF_TYPE_HARDWARE || attr->type == PERF_TYPE_HW_CACHE) &&
           (attr->config >> PERF_PMU_TYPE_SHIFT) == 0;
}

/* Appends a copy of ev to out with the given group; when pmu is set and ev is an unbound generic
 * event, binds it to that PMU and names it "PMU/NAME/". Returns 0 or -1 (out of memory). */
static int events_append_copy(struct hw_buf *out, const struct event *ev, int group,
                              const struct pmu *pmu)
{
    struct event c = *ev;
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
static const struct pmu *events_group_core(const struct event_list *l, size_t i, size_t j,
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

int events_split_hybrid(struct event_list *list, const struct pmu_set *pmus, struct hw_err *err)
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

/* One event of the spec after the syntax pass: where its name is and which group it is in. */
struct events_span {
    size_t start, len;
    int group;
    bool leader;
};

/* Where events_parse looks names up: the PMUs in sysfs and tracefs, under root; read when a name
 * first needs them. */
struct events_ctx {
    const char *root;
    bool kernel_default;
    bool have_pmus;
    struct pmu_set pmus;
    int tracefs; /* 0: not looked for yet, 1: found, 2: not mounted, -1: unreadable */
    char tracefs_dir[4096];
    struct hw_err tracefs_err;
};

/* The PMUs of the context, read the first time. Returns NULL with err. */
static const struct pmu_set *events_pmus(struct events_ctx *c, struct hw_err *err)
{
    if (!c->have_pmus) {
        if (pmu_scan(c->root, &c->pmus, err) < 0)
            return NULL;
        c->have_pmus = true;
    }
    return &c->pmus;
}

/* Removes from text's modifiers the clusters of perf letters libpfm4 does not know (":ppp",
 * ":uk"; a lone u, k or h is libpfm4's too), applying them to m. Returns the rest (malloc'd; NULL
 * when out of memory); *found tells whether there was any. */
static char *events_strip_clusters(const char *text, struct events_mods *m, bool *found)
{
    memset(m, 0, sizeof(*m));
    *found = false;
    size_t blen = events_base_len(text);
    char *out = malloc(strlen(text) + 1);
    if (!out)
        return NULL;
    memcpy(out, text, blen);
    size_t n = blen;
    const char *p = text + blen;
    while (*p == ':') {
        size_t len = strcspn(p + 1, ":");
        bool single_plm = len == 1 && strchr("ukh", p[1]);
        if (events_is_cluster(p + 1, len) && !single_plm) {
            events_mods_cluster(m, p + 1, len);
            *found = true;
        } else {
            memcpy(out + n, p, len + 1);
            n += len + 1;
        }
        p += len + 1;
    }
    out[n] = '\0';
    return out;
}

/* Whether the first len bytes of s are a raw event, "r" and hexadecimal digits (perf's rNNNN). */
static bool events_is_raw(const char *s, size_t len)
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
static int events_encode_raw(const char *text, size_t blen, bool kernel_default, struct event *ev,
                             struct hw_err *err)
{
    struct events_mods m;
    if (events_parse_mods(text, text + blen, &m, err) < 0)
        return -1;
    memset(&ev->attr, 0, sizeof(ev->attr));
    ev->attr.size = sizeof(ev->attr);
    ev->attr.type = PERF_TYPE_RAW;
    ev->attr.config = strtoull(text + 1, NULL, 16);
    events_apply_mods(&ev->attr, &m, kernel_default, false);
    ev->plm_explicit = m.plm_given;
    ev->precise_max = m.precise_max;
    ev->sample_read = m.sample_read;
    char fq[64];
    snprintf(fq, sizeof(fq), "raw 0x%llx", (unsigned long long)ev->attr.config);
    ev->fqname = events_fqname(fq, &ev->attr);
    return ev->fqname ? 0 : hw_err_oom(err);
}

/* The config word w (0 config, 1 config1, 2 config2) of a. */
static uint64_t *events_word(struct perf_event_attr *a, int w)
{
    return w == 0   ? (uint64_t *)&a->config
           : w == 1 ? (uint64_t *)&a->config1
                    : (uint64_t *)&a->config2;
}

/* State of one PMU event while its terms are applied. */
struct events_pmu_event {
    const char *text; /* the whole event, for messages */
    const struct pmu_set *pmus;
    const struct pmu *pmu;
    struct perf_event_attr *attr;
    struct events_mods mods; /* period= and freq= terms land here */
    char name[256];          /* a name= term */
};

static int events_apply_terms(struct events_pmu_event *e, const char *terms, size_t len, int depth,
                              struct hw_err *err);

/* Applies one term (key[=value]) of a PMU event: a builtin (config, config1, config2, period, freq,
 * name), a format term of the PMU (its sysfs format/), an event alias (its sysfs events/), or a
 * generic event name on a core PMU (cpu/cycles/). Returns 0 or -1 with err. */
static int events_apply_term(struct events_pmu_event *e, const char *t, size_t len, int depth,
                             struct hw_err *err)
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
    if (eq && events_parse_number(eq + 1, len - klen - 1, &v) < 0)
        return hw_errf(err, "invalid value in term '%.*s' of '%s': give a number (0x... for hex)",
                       (int)len, t, e->text);
    static const char *const words[] = {"config", "config1", "config2"};
    for (int w = 0; w < 3; w++)
        if (strcmp(key, words[w]) == 0) {
            *events_word(e->attr, w) = v;
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
        if (pmu_format_apply(&f, v, events_word(e->attr, f.word)) < 0)
            return hw_errf(err, "value 0x%llx of term '%s' in '%s' does not fit its %d bits",
                           (unsigned long long)v, key, e->text, f.nbits);
        return 0;
    }
    char alias[512];
    r = eq || depth > 0 ? 1 : pmu_alias(e->pmus, e->pmu, key, alias, sizeof(alias), err);
    if (r < 0)
        return -1;
    if (r == 0)
        return events_apply_terms(e, alias, strlen(alias), depth + 1, err);
    const struct events_generic *g = eq ? NULL : events_find_generic(key, klen);
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
static int events_apply_terms(struct events_pmu_event *e, const char *terms, size_t len, int depth,
                              struct hw_err *err)
{
    const char *p = terms, *end = terms + len;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        size_t tlen = comma ? (size_t)(comma - p) : (size_t)(end - p);
        while (tlen && isspace((unsigned char)*p)) {
            p++;
            tlen--;
        }
        if (tlen && events_apply_term(e, p, tlen, depth, err) < 0)
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
static int events_encode_pmu(struct events_ctx *c, const char *text, struct event *ev,
                             struct hw_err *err)
{
    const char *open = strchr(text, '/');
    const char *close = strchr(open + 1, '/');
    if (!close)
        return hw_errf(err, "'%s' lacks its closing '/': write PMU/TERM=VALUE,.../", text);
    char pname[128];
    snprintf(pname, sizeof(pname), "%.*s", (int)(open - text), text);
    const struct pmu_set *pmus = events_pmus(c, err);
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
    struct events_pmu_event e = {.text = text, .pmus = pmus, .pmu = pmu, .attr = &ev->attr};
    if (events_apply_terms(&e, open + 1, (size_t)(close - open - 1), 0, err) < 0)
        return -1;
    /* modifiers after the closing slash: "u", ":u", "ppp" */
    char mods[128];
    snprintf(mods, sizeof(mods), "%s%s", close[1] && close[1] != ':' ? ":" : "", close + 1);
    struct events_mods m;
    if (events_parse_mods(text, mods, &m, err) < 0)
        return -1;
    if (e.mods.have_period || e.mods.have_freq) {
        m.have_period = e.mods.have_period;
        m.have_freq = e.mods.have_freq;
        m.period = m.freq = e.mods.period;
    }
    events_apply_mods(&ev->attr, &m, c->kernel_default, false);
    if (!m.plm_given)
        ev->attr.exclude_hv = 0; /* as perf: PMUs such as msr refuse any exclusion they lack */
    ev->plm_explicit = m.plm_given;
    ev->precise_max = m.precise_max;
    ev->sample_read = m.sample_read;
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
    ev->fqname = events_fqname(fq, &ev->attr);
    return ev->fqname ? 0 : hw_err_oom(err);
}

/* Whether s (len bytes) can name a tracepoint subsystem or event: lower-case letters, digits and
 * '_' (libpfm4's events are upper case). */
static bool events_tracepoint_word(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '_')
            return false;
    return true;
}

/* State of the tracepoint suggestions. */
struct events_tp_ctx {
    const char *want;
    const char *names[512];
    char *owned[512];
    size_t n;
};

static int events_tp_collect(const char *system, const char *event, uint64_t id, void *arg)
{
    struct events_tp_ctx *c = arg;
    (void)system;
    (void)id;
    if (c->n < HW_ARRAY_SIZE(c->names) && (c->owned[c->n] = hw_strdup(event)))
        c->names[c->n] = c->owned[c->n], c->n++;
    return 0;
}

/* Encodes tracepoint SYSTEM:EVENT[:MODIFIERS] from tracefs. Returns 0, 1 when text is no tracepoint
 * (the caller reports an unknown event), or -1 with err (tracefs not mounted or unreadable for what
 * looks like a tracepoint, an unknown event of a known subsystem). */
static int events_encode_tracepoint(struct events_ctx *c, const char *text, struct event *ev,
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
    if (events_is_cluster(event, elen) || strchr(event, '='))
        return 1; /* NAME:MODIFIER, not SYSTEM:EVENT */
    bool looks = events_tracepoint_word(system, slen);
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
        struct events_tp_ctx tc = {.want = event};
        tracefs_for_each(c->tracefs_dir, system, events_tp_collect, &tc);
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
    if (events_parse_mods(text, colon + 1 + elen, &m, err) < 0)
        return -1;
    memset(&ev->attr, 0, sizeof(ev->attr));
    ev->attr.size = sizeof(ev->attr);
    ev->attr.type = PERF_TYPE_TRACEPOINT;
    ev->attr.config = id;
    /* a kernel tracepoint fires in the kernel: excluding it would record nothing */
    events_apply_mods(&ev->attr, &m, true, false);
    ev->plm_explicit = true;
    ev->sample_read = m.sample_read;
    char fq[400];
    snprintf(fq, sizeof(fq), "tracepoint %s:%s", system, event);
    ev->fqname = events_fqname(fq, &ev->attr);
    return ev->fqname ? 0 : hw_err_oom(err);
}

/* Encodes a libpfm4 name (PMU::EVENT:UMASK:MOD..., or an event of an active PMU without the PMU
 * part) with perf's letter modifiers applied on top; a name libpfm4 does not know may be a
 * tracepoint. Returns 0 or -1 with err. */
static int events_encode_pfm(struct events_ctx *c, const char *text, struct event *ev,
                             struct hw_err *err)
{
    int plm = c->kernel_default ? (PFM_PLM0 | PFM_PLM3) : PFM_PLM3;
    int cpu = -1;
    struct events_mods m;
    memset(&m, 0, sizeof(m));
    bool clusters = false;
    int ret = events_encode(text, plm, &ev->attr, &ev->fqname, &cpu);
    if (ret == PFM_ERR_ATTR) {
        char *rest = events_strip_clusters(text, &m, &clusters);
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
        int r = events_encode_tracepoint(c, text, ev, err);
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
        events_apply_mods(&ev->attr, &m, c->kernel_default, true);
    ev->plm_explicit = events_has_plm(text) || m.plm_given;
    ev->precise_max = m.precise_max;
    ev->sample_read = m.sample_read;
    return 0;
}

/* Encodes the event named by span and appends it to list. Returns 0 or -1 with err. */
static int events_add(struct events_ctx *c, const char *spec, const struct events_span *sp,
                      struct hw_buf *list, struct hw_err *err)
{
    struct event ev;
    memset(&ev, 0, sizeof(ev));
    ev.name = strndup(spec + sp->start, sp->len);
    if (!ev.name)
        return hw_err_oom(err);
    size_t blen = events_base_len(ev.name);
    bool qualified = strstr(ev.name, "::") != NULL;
    const struct events_generic *g = qualified ? NULL : events_find_generic(ev.name, blen);
    int rc;
    if (strchr(ev.name, '/'))
        rc = events_encode_pmu(c, ev.name, &ev, err);
    else if (g)
        rc = events_encode_generic(g, ev.name, ev.name + blen, c->kernel_default, &ev, err);
    else if (!qualified && events_is_raw(ev.name, blen))
        rc = events_encode_raw(ev.name, blen, c->kernel_default, &ev, err);
    else
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

int events_parse_at(const char *spec, bool kernel_default, const char *root, struct event_list *out,
                    struct hw_err *err)
{
    out->ev = NULL;
    out->n = 0;
    if (!spec || !*events_skip_space(spec))
        return hw_errf(err, "empty event list; name at least one event, e.g. -e cpu-clock");

    struct hw_buf spans = {0}, evs = {0};
    struct events_ctx c = {.root = root, .kernel_default = kernel_default};
    int rc = events_split(spec, &spans, err);
    if (rc == 0)
        rc = events_init(err);
    const struct events_span *sp = (const struct events_span *)(void *)spans.data;
    size_t nsp = spans.len / sizeof(*sp);
    for (size_t i = 0; rc == 0 && i < nsp; i++)
        rc = events_add(&c, spec, &sp[i], &evs, err);
    hw_buf_free(&spans);
    if (c.have_pmus)
        pmu_set_free(&c.pmus);
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

    for (size_t i = 0; i < HW_ARRAY_SIZE(events_generic_table); i++) {
        const struct events_generic *g = &events_generic_table[i];
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
