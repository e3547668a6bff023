/* events_private.h - internals shared by src/events*.c only (modifier syntax, perf's syntax). */
#ifndef HWPROF_EVENTS_PRIVATE_H
#define HWPROF_EVENTS_PRIVATE_H

#include <linux/perf_event.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "events.h"
#include "pmu.h"
#include "util.h"

/* Appends to a fixed buffer, truncating; keeps *len consistent with what was written. */
static inline void events_append(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static inline void events_append(char *buf, size_t size, size_t *len, const char *fmt, ...)
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

/* ---- modifier syntax (events_mods.c) ---- */

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

/* Where the modifiers of text start: the length of its event part (the PMU-qualified name without
 * unit masks or modifiers). Can't fail. */
size_t events_mods_start(const char *text);

/* Whether text has a privilege modifier: u, k, h, u=, k=, h= (any case) after the event name. */
bool events_mods_has_plm(const char *text);

/* Whether tok (len bytes) is a cluster of perf modifier letters ("ukp", "ppp"). */
bool events_mods_is_cluster(const char *tok, size_t len);

/* Parses a decimal or 0x-hexadecimal number filling all len bytes of s. Returns 0 or -1. */
int events_mods_number(const char *s, size_t len, uint64_t *out);

/* Parses the modifiers of text that follow its name: mods is the part after the name ("" or
 * ":u:period=100"). Returns 0 with m filled, or -1 with err. */
int events_mods_parse(const char *text, const char *mods, struct events_mods *m,
                      struct hw_err *err);

/* Applies m to attr. Without a privilege modifier the event counts user space, and the kernel when
 * kernel_default is set; levels_from_encoding keeps the encoding's levels instead (libpfm4 set
 * them). Can't fail. */
void events_mods_apply(struct perf_event_attr *a, const struct events_mods *m, bool kernel_default,
                       bool levels_from_encoding);

/* Copies what m says about ev itself (a privilege level named, :P, :S) into ev's flags. */
void events_mods_mark(struct event *ev, const struct events_mods *m);

/* Removes from text's modifiers the clusters of perf letters libpfm4 does not know (":ppp",
 * ":uk"; a lone u, k or h is libpfm4's too), applying them to m. Returns the rest (malloc'd; NULL
 * when out of memory); *found tells whether there was any. */
char *events_mods_strip_clusters(const char *text, struct events_mods *m, bool *found);

/* Writes libpfm4's way of naming the levels and rate of attr after fq: "FQ:u=1:k=0:h=0...".
 * Returns a malloc'd string or NULL (out of memory). */
char *events_mods_fqname(const char *fq, const struct perf_event_attr *a);

/* ---- perf's own event syntax (events_perf.c) ---- */

/* A perf generic event name and its encoding. Generic events are kernel ABI (perf_event_open(2)):
 * hwprof encodes them itself, so they work whichever PMU libpfm4 has active (LIBPFM_FORCE_PMU, or
 * a libpfm4 without its "perf" PMU), and a CPU PMU event of the same name never shadows them. */
struct events_perf_generic {
    const char *name;
    uint32_t type;
    uint64_t config;
    const char *fq;   /* libpfm4's name of it, the start of event.fqname */
    const char *desc; /* one-line description for `hwprof list` */
};

/* The i-th generic event name, or NULL past the last. Can't fail. */
const struct events_perf_generic *events_perf_generic(size_t i);

/* Where one events_parse_at call looks names up: the PMUs in sysfs and tracefs, under root; read
 * when a name first needs them. Zero it, set root and kernel_default; free with
 * events_perf_ctx_free. */
struct events_perf_ctx {
    const char *root;
    bool kernel_default;
    bool have_pmus;
    struct pmu_set pmus;
    int tracefs; /* 0: not looked for yet, 1: found, 2: not mounted, -1: unreadable */
    char tracefs_dir[4096];
    struct hw_err tracefs_err;
};

void events_perf_ctx_free(struct events_perf_ctx *c);

/* Encodes text (one event with its modifiers) when it is in perf's own syntax: a generic name
 * (cycles:u), a raw event (r1a8:p) or the PMU syntax (cpu/event=0x3c/u). Fills ev's attr, fqname
 * and flags (and name for a name= term). Returns 0, 1 when text is none of these (ev untouched),
 * or -1 with err. */
int events_perf_encode(struct events_perf_ctx *c, const char *text, struct event *ev,
                       struct hw_err *err);

/* Encodes tracepoint SYSTEM:EVENT[:MODIFIERS] from tracefs. Returns 0, 1 when text is no tracepoint
 * (the caller reports an unknown event), or -1 with err (tracefs not mounted or unreadable for what
 * looks like a tracepoint, an unknown event of a known subsystem). */
int events_perf_encode_tracepoint(struct events_perf_ctx *c, const char *text, struct event *ev,
                                  struct hw_err *err);

#endif
