/* sym_jit.c - JIT code named from /tmp/perf-PID.map, the perf map that JIT compilers write. */
#include "sym_private.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int sym_jitsym_cmp(const void *a, const void *b)
{
    const struct sym_jitsym *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Opens a perf map only if it is a regular file (never blocking on a FIFO) owned by root or by the
 * user running hwprof, as perf requires: anyone can create files in /tmp. Warns when it is not. */
static FILE *sym_jit_open(struct symbolizer *s, const char *path)
{
    int fd = sym_open_regular(path);
    if (fd < 0) {
        if (errno != ENOENT)
            hw_warnf(&s->warn, "ignoring %s: %s: JIT frames are shown as [anon]+0xOFFSET", path,
                     errno == EINVAL ? "not a regular file" : strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || (st.st_uid != 0 && st.st_uid != geteuid())) {
        hw_warnf(
            &s->warn,
            "ignoring %s: owned by another user (uid %u), who could name your frames: JIT frames "
            "are shown as [anon]+0xOFFSET",
            path, (unsigned)st.st_uid);
        close(fd);
        return NULL;
    }
    FILE *f = fdopen(fd, "r");
    if (!f)
        close(fd);
    return f;
}

/* Returns the perf map of pid, reading ROOT/tmp/perf-PID.map on first use (an empty map when
 * there is none), or NULL when out of memory. */
static struct sym_jitmap *sym_jitmap_get(struct symbolizer *s, int32_t pid)
{
    for (size_t i = 0; i < s->njits; i++)
        if (s->jits[i].pid == pid)
            return &s->jits[i];
    if (hw_grow(&s->jits, &s->cap_jits, s->njits + 1, sizeof(*s->jits)) < 0)
        return NULL;
    struct sym_jitmap *m = &s->jits[s->njits++];
    *m = (struct sym_jitmap){.pid = pid};
    char rel[64];
    snprintf(rel, sizeof(rel), "/tmp/perf-%d.map", (int)pid);
    char *path = sym_rooted(s, rel);
    FILE *f = path ? sym_jit_open(s, path) : NULL;
    free(path);
    if (!f)
        return m;
    size_t cap = 0;
    char *line = NULL;
    size_t linecap = 0;
    ssize_t len;
    while ((len = getline(&line, &linecap, f)) > 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        char *p = line, *end;
        unsigned long long start = strtoull(p, &end, 16);
        if (end == p || *end != ' ')
            continue;
        p = end + 1;
        unsigned long long size = strtoull(p, &end, 16);
        if (end == p || *end != ' ' || !end[1])
            continue;
        if (hw_grow(&m->syms, &cap, m->n + 1, sizeof(*m->syms)) < 0)
            break;
        size_t nlen = strlen(end + 1);
        char *name = sym_alloc(s, nlen + 1, 1); /* interned when a lookup returns it */
        if (!name)
            break;
        memcpy(name, end + 1, nlen + 1);
        m->syms[m->n++] = (struct sym_jitsym){start, size, name};
    }
    free(line);
    fclose(f);
    if (m->n)
        qsort(m->syms, m->n, sizeof(*m->syms), sym_jitsym_cmp);
    return m;
}

void sym_resolve_anon(struct symbolizer *s, struct sym_bin *b, int32_t pid, uint64_t map_start,
                      uint64_t addr, bool caller, struct sym_result *out)
{
    struct sym_jitmap *m = sym_jitmap_get(s, pid);
    uint64_t a = caller && addr > 0 ? addr - 1 : addr;
    if (m && m->n) {
        /* symbols may overlap (code regenerated): take the last one starting at or below a */
        size_t at =
            hw_bsearch_le(m->syms, m->n, sizeof(*m->syms), offsetof(struct sym_jitsym, start), a);
        size_t lo = at == m->n ? 0 : at + 1; /* symbols [0, lo) start at or below a */
        for (size_t i = lo; i > 0 && lo - i < 16; i--) {
            const struct sym_jitsym *j = &m->syms[i - 1];
            if (a - j->start < j->size) {
                sym_result_one(s, j->name, true, out);
                return;
            }
        }
    }
    sym_placeholder(s, b->base, addr >= map_start ? addr - map_start : addr, out);
}

void sym_jit_free(struct symbolizer *s)
{
    for (size_t i = 0; i < s->njits; i++)
        free(s->jits[i].syms);
    free(s->jits);
    s->jits = NULL;
    s->njits = s->cap_jits = 0;
}
