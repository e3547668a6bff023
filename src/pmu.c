/* pmu.c - the PMUs in sysfs: types, the CPUs each covers, formats, aliases, caps. */
#include "pmu.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PMU_DEVICES "/sys/bus/event_source/devices"

/* Writes ROOT/sys/bus/event_source/devices/PMU/REL into buf. Returns 0, or -1 when it is too long.
 */
static int pmu_path(const struct pmu_set *s, const char *pmu, const char *rel, char *buf,
                    size_t size)
{
    int n = snprintf(buf, size, "%s" PMU_DEVICES "/%s%s%s", s->root, pmu, rel ? "/" : "",
                     rel ? rel : "");
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

static void pmu_free_one(struct pmu *p)
{
    free(p->name);
    free(p->cpus);
}

void pmu_set_free(struct pmu_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        pmu_free_one(&s->v[i]);
    free(s->v);
    free(s->root);
    memset(s, 0, sizeof(*s));
}

static int pmu_cmp_type(const void *a, const void *b)
{
    const struct pmu *x = a, *y = b;
    return x->type < y->type ? -1 : x->type > y->type;
}

/* Reads the PMU directory name into p. Returns 0, 1 to skip it (no type file), -1 with err. */
static int pmu_read_one(const struct pmu_set *s, const char *name, struct pmu *p,
                        struct hw_err *err)
{
    char path[4096], buf[8192];
    uint64_t type;
    memset(p, 0, sizeof(*p));
    if (pmu_path(s, name, "type", path, sizeof(path)) < 0 ||
        hw_read_small_file(path, buf, sizeof(buf)) < 0)
        return 1;
    if (hw_parse_u64(buf, &type) < 0 || type > UINT32_MAX)
        return hw_errf(err, "cannot parse the type of PMU %s ('%s' in %s)", name, buf, path);
    p->type = (uint32_t)type;
    p->name = hw_strdup(name);
    if (!p->name)
        return hw_err_oom(err);
    bool have_cpus = pmu_path(s, name, "cpus", path, sizeof(path)) == 0 &&
                     hw_read_small_file(path, buf, sizeof(buf)) >= 0;
    p->core = have_cpus || strcmp(name, "cpu") == 0 || strcmp(name, "cpum_cf") == 0;
    if (!have_cpus && (pmu_path(s, name, "cpumask", path, sizeof(path)) < 0 ||
                       hw_read_small_file(path, buf, sizeof(buf)) < 0))
        return 0; /* every CPU */
    int n = hw_parse_cpulist(buf, &p->cpus, err);
    if (n < 0) {
        pmu_free_one(p);
        return -1;
    }
    p->ncpus = (size_t)n;
    if (n == 0) { /* an empty list names no CPU: treat as unrestricted rather than as nowhere */
        free(p->cpus);
        p->cpus = NULL;
    }
    return 0;
}

int pmu_scan(const char *root, struct pmu_set *out, struct hw_err *err)
{
    memset(out, 0, sizeof(*out));
    out->root = hw_strdup(root ? root : "");
    if (!out->root)
        return hw_err_oom(err);
    char dirpath[4096];
    snprintf(dirpath, sizeof(dirpath), "%s" PMU_DEVICES, out->root);
    DIR *d = opendir(dirpath);
    if (!d)
        return 0;
    size_t cap = 0;
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (hw_grow(&out->v, &cap, out->n + 1, sizeof(*out->v)) < 0) {
            rc = hw_err_oom(err);
            break;
        }
        int r = pmu_read_one(out, de->d_name, &out->v[out->n], err);
        if (r < 0)
            rc = -1;
        else if (r == 0)
            out->n++;
    }
    closedir(d);
    if (rc < 0) {
        pmu_set_free(out);
        return -1;
    }
    if (out->n)
        qsort(out->v, out->n, sizeof(*out->v), pmu_cmp_type);
    return 0;
}

const struct pmu *pmu_by_type(const struct pmu_set *s, uint32_t type)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].type == type)
            return &s->v[i];
    return NULL;
}

const struct pmu *pmu_by_name(const struct pmu_set *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].name, name) == 0)
            return &s->v[i];
    return NULL;
}

size_t pmu_ncore(const struct pmu_set *s)
{
    size_t n = 0;
    for (size_t i = 0; s && i < s->n; i++)
        n += s->v[i].core;
    return n;
}

const struct pmu *pmu_core(const struct pmu_set *s, size_t i)
{
    for (size_t k = 0; k < s->n; k++)
        if (s->v[k].core && i-- == 0)
            return &s->v[k];
    return NULL;
}

const struct pmu *pmu_of_attr(const struct pmu_set *s, const struct perf_event_attr *attr)
{
    if (!s)
        return NULL;
    switch (attr->type) {
    case PERF_TYPE_HARDWARE:
    case PERF_TYPE_HW_CACHE: {
        uint32_t ext = (uint32_t)(attr->config >> PERF_PMU_TYPE_SHIFT);
        if (ext)
            return pmu_by_type(s, ext);
        return pmu_ncore(s) == 1 ? pmu_core(s, 0) : NULL;
    }
    case PERF_TYPE_SOFTWARE:
    case PERF_TYPE_TRACEPOINT:
    case PERF_TYPE_BREAKPOINT:
        return NULL;
    default:
        return pmu_by_type(s, attr->type);
    }
}

bool pmu_has_cpu(const struct pmu *p, int cpu)
{
    if (!p || !p->cpus)
        return true;
    for (size_t i = 0; i < p->ncpus; i++)
        if (p->cpus[i] == cpu)
            return true;
    return false;
}

void pmu_cpus_string(const struct pmu *p, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    if (!p || !p->cpus) {
        snprintf(buf, size, "all CPUs");
        return;
    }
    for (size_t i = 0; i < p->ncpus && len + 1 < size;) {
        size_t j = i;
        while (j + 1 < p->ncpus && p->cpus[j + 1] == p->cpus[j] + 1)
            j++;
        int n = j > i ? snprintf(buf + len, size - len, "%s%d-%d", len ? "," : "", p->cpus[i],
                                 p->cpus[j])
                      : snprintf(buf + len, size - len, "%s%d", len ? "," : "", p->cpus[i]);
        if (n < 0)
            break;
        len += (size_t)n;
        i = j + 1;
    }
    if (len >= size)
        buf[size - 1] = '\0';
}

int pmu_parse_format(const char *text, struct pmu_format *out, struct hw_err *err)
{
    static const char *const words[] = {"config", "config1", "config2", "config3"};
    memset(out, 0, sizeof(*out));
    const char *colon = strchr(text, ':');
    size_t wlen = colon ? (size_t)(colon - text) : 0;
    out->word = -1;
    for (int i = 0; i < 4; i++)
        if (wlen == strlen(words[i]) && strncmp(text, words[i], wlen) == 0)
            out->word = i;
    if (out->word < 0)
        return hw_errf(err, "cannot parse the PMU format '%s' (expected config[1-3]:BITS)", text);
    const char *p = colon + 1;
    while (*p && *p != '\n') {
        char *end;
        unsigned long lo = strtoul(p, &end, 10), hi;
        if (end == p || lo > 63)
            goto bad;
        hi = lo;
        p = end;
        if (*p == '-') {
            hi = strtoul(p + 1, &end, 10);
            if (end == p + 1 || hi < lo || hi > 63)
                goto bad;
            p = end;
        }
        for (unsigned long b = lo; b <= hi; b++) {
            if (out->mask & (1ULL << b))
                goto bad;
            out->mask |= 1ULL << b;
            out->nbits++;
        }
        if (*p == ',')
            p++;
        else if (*p && *p != '\n')
            goto bad;
    }
    if (out->nbits == 0)
        goto bad;
    return 0;
bad:
    return hw_errf(err, "cannot parse the PMU format '%s' (expected config[1-3]:BITS)", text);
}

int pmu_format_apply(const struct pmu_format *f, uint64_t value, uint64_t *word)
{
    if (f->nbits < 64 && value >> f->nbits)
        return -1;
    uint64_t v = value;
    for (int b = 0; b < 64; b++) {
        if (!(f->mask & (1ULL << b)))
            continue;
        if (v & 1)
            *word |= 1ULL << b;
        else
            *word &= ~(1ULL << b);
        v >>= 1;
    }
    return 0;
}

/* A term or alias name must be a plain file name. */
static bool pmu_plain_name(const char *name)
{
    if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return false;
    return true;
}

int pmu_format(const struct pmu_set *s, const struct pmu *p, const char *term,
               struct pmu_format *out, struct hw_err *err)
{
    char rel[512], path[4096], buf[256];
    if (!pmu_plain_name(term) ||
        snprintf(rel, sizeof(rel), "format/%s", term) >= (int)sizeof(rel) ||
        pmu_path(s, p->name, rel, path, sizeof(path)) < 0 ||
        hw_read_small_file(path, buf, sizeof(buf)) < 0)
        return 1;
    if (pmu_parse_format(buf, out, err) < 0)
        return hw_errf(err, "cannot parse %s ('%s'): expected config[1-3]:BITS", path, buf);
    return 0;
}

int pmu_alias(const struct pmu_set *s, const struct pmu *p, const char *name, char *buf,
              size_t size, struct hw_err *err)
{
    char rel[512], path[4096];
    if (!pmu_plain_name(name) || strchr(name, '.') ||
        snprintf(rel, sizeof(rel), "events/%s", name) >= (int)sizeof(rel) ||
        pmu_path(s, p->name, rel, path, sizeof(path)) < 0)
        return 1;
    long n = hw_read_small_file(path, buf, size);
    if (n < 0)
        return errno == ENOENT || errno == ENOTDIR
                   ? 1
                   : hw_errf_errno(err, errno, "cannot read %s", path);
    if ((size_t)n + 1 >= size)
        return hw_errf(err, "the event alias %s is too long", path);
    /* aliases may end in spaces or newlines */
    while (n > 0 && isspace((unsigned char)buf[n - 1]))
        buf[--n] = '\0';
    return 0;
}

static int pmu_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void pmu_format_names(const struct pmu_set *s, const struct pmu *p, char *buf, size_t size)
{
    char path[4096];
    buf[0] = '\0';
    if (pmu_path(s, p->name, "format", path, sizeof(path)) < 0)
        return;
    DIR *d = opendir(path);
    if (!d)
        return;
    char *names[64];
    size_t n = 0;
    struct dirent *de;
    while (n < HW_ARRAY_SIZE(names) && (de = readdir(d)))
        if (de->d_name[0] != '.' && (names[n] = hw_strdup(de->d_name)))
            n++;
    closedir(d);
    qsort(names, n, sizeof(names[0]), pmu_cmp_str);
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(buf + len, len < size ? size - len : 0, "%s%s", i ? "," : "", names[i]);
        if (w > 0 && len + (size_t)w < size)
            len += (size_t)w;
        free(names[i]);
    }
}

long pmu_cap(const struct pmu_set *s, const struct pmu *p, const char *name)
{
    char rel[256], path[4096], buf[64];
    uint64_t v;
    if (snprintf(rel, sizeof(rel), "caps/%s", name) >= (int)sizeof(rel) ||
        pmu_path(s, p->name, rel, path, sizeof(path)) < 0 ||
        hw_read_small_file(path, buf, sizeof(buf)) < 0 || hw_parse_u64(buf, &v) < 0 || v > 1u << 30)
        return -1;
    return (long)v;
}
