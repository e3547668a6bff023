/* faketree.h - build fake sysfs/procfs/tracefs trees under a temporary root for unit tests. */
#ifndef HWPROF_FAKETREE_H
#define HWPROF_FAKETREE_H

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A temporary directory standing for "/". */
struct faketree {
    char root[1024];
};

/* Creates the root under $TMPDIR (or /tmp). Returns 0 or -1. */
static inline int faketree_init(struct faketree *t, const char *name)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(t->root, sizeof(t->root), "%s/hwprof-%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", name);
    return mkdtemp(t->root) ? 0 : -1;
}

/* mkdir -p ROOT/REL. Returns 0 or -1. */
static inline int faketree_mkdir(const struct faketree *t, const char *rel)
{
    char path[2 * PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", t->root, rel);
    for (char *p = path + strlen(t->root) + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(path, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* Writes text (and a newline) to ROOT/REL, creating its directories. Returns 0 or -1. */
static inline int faketree_write(const struct faketree *t, const char *rel, const char *text)
{
    char dir[PATH_MAX], path[2 * PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", rel);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
        if (faketree_mkdir(t, dir) < 0)
            return -1;
    }
    snprintf(path, sizeof(path), "%s/%s", t->root, rel);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "%s\n", text);
    return fclose(f) == 0 ? 0 : -1;
}

/* Writes a PMU directory: ROOT/sys/bus/event_source/devices/NAME/type, and cpus (or, when cpumask
 * is true, cpumask) when cpus is non-NULL. */
static inline int faketree_pmu(const struct faketree *t, const char *name, unsigned type,
                               const char *cpus, int cpumask)
{
    char rel[PATH_MAX], val[32];
    snprintf(rel, sizeof(rel), "sys/bus/event_source/devices/%s/type", name);
    snprintf(val, sizeof(val), "%u", type);
    if (faketree_write(t, rel, val) < 0)
        return -1;
    if (!cpus)
        return 0;
    snprintf(rel, sizeof(rel), "sys/bus/event_source/devices/%s/%s", name,
             cpumask ? "cpumask" : "cpus");
    return faketree_write(t, rel, cpus);
}

static inline int faketree_rm_one(const char *path, const struct stat *st, int flag,
                                  struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes the whole tree. */
static inline void faketree_free(struct faketree *t)
{
    if (t->root[0])
        nftw(t->root, faketree_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    t->root[0] = '\0';
}

#endif
