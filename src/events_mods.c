/* events_mods.c - event modifiers (:u, :ppp, :S, :u=1, :period=N) parsed and applied to attrs. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "events_private.h"

size_t events_mods_start(const char *text)
{
    const char *q = strstr(text, "::");
    const char *start = q ? q + 2 : text;
    const char *colon = strchr(start, ':');
    return colon ? (size_t)(colon - text) : strlen(text);
}

bool events_mods_has_plm(const char *text)
{
    const char *p = text + events_mods_start(text);
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

/* The letters perf accepts as event modifiers (of those hwprof applies), and U and K, which libpfm4
 * (whose modifiers ignore case) took for u and k. */
#define EVENTS_MODS_LETTERS "ukhUKGHIDSpP"

bool events_mods_is_cluster(const char *tok, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!strchr(EVENTS_MODS_LETTERS, tok[i]) || tok[i] == '\0')
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

int events_mods_number(const char *s, size_t len, uint64_t *out)
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
static int events_mods_err(const char *text, const char *tok, size_t len, struct hw_err *err)
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

int events_mods_parse(const char *text, const char *mods, struct events_mods *m, struct hw_err *err)
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
            if (!events_mods_is_cluster(p, len))
                return events_mods_err(text, p, len, err);
            events_mods_cluster(m, p, len);
        } else {
            size_t klen = (size_t)(eq - p);
            uint64_t v;
            if (events_mods_number(eq + 1, len - klen - 1, &v) < 0)
                return klen == 3 && strncmp(p, "cpu", 3) == 0
                           ? events_mods_err(text, p, len, err)
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
                return events_mods_err(text, p, len, err);
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

void events_mods_apply(struct perf_event_attr *a, const struct events_mods *m, bool kernel_default,
                       bool levels_from_encoding)
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

void events_mods_mark(struct event *ev, const struct events_mods *m)
{
    ev->plm_explicit = m->plm_given;
    ev->precise_max = m->precise_max;
    ev->sample_read = m->sample_read;
}

char *events_mods_strip_clusters(const char *text, struct events_mods *m, bool *found)
{
    memset(m, 0, sizeof(*m));
    *found = false;
    size_t blen = events_mods_start(text);
    char *out = malloc(strlen(text) + 1);
    if (!out)
        return NULL;
    memcpy(out, text, blen);
    size_t n = blen;
    const char *p = text + blen;
    while (*p == ':') {
        size_t len = strcspn(p + 1, ":");
        bool single_plm = len == 1 && strchr("ukh", p[1]);
        if (events_mods_is_cluster(p + 1, len) && !single_plm) {
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

char *events_mods_fqname(const char *fq, const struct perf_event_attr *a)
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
