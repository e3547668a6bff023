/* tracedata.c - perf's tracing data (HEADER_TRACING_DATA): tracefs formats of the tracepoints. */
#include "tracedata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tracefs.h"

#define TRACEDATA_VERSION "0.6"
#define TRACEDATA_MAX_TP  256 /* distinct tracepoints of one recording */

/* One tracepoint of the recording, found in tracefs by its id. */
struct tracedata_tp {
    uint64_t id;
    char system[128];
    char event[256];
    bool found;
};

struct tracedata_find {
    struct tracedata_tp *tps;
    size_t n, left;
};

/* tracefs_for_each callback: marks the recording's tracepoints with their names. */
static int tracedata_match(const char *system, const char *event, uint64_t id, void *arg)
{
    struct tracedata_find *f = arg;
    for (size_t i = 0; i < f->n; i++)
        if (!f->tps[i].found && f->tps[i].id == id) {
            snprintf(f->tps[i].system, sizeof(f->tps[i].system), "%s", system);
            snprintf(f->tps[i].event, sizeof(f->tps[i].event), "%s", event);
            f->tps[i].found = true;
            f->left--;
        }
    return f->left == 0; /* all found: stop */
}

/* Appends the little-endian (host order) integer v of width bytes. */
static int tracedata_put(struct hw_buf *b, uint64_t v, size_t width)
{
    if (width == 4) {
        uint32_t w = (uint32_t)v;
        return hw_buf_append(b, &w, 4);
    }
    return hw_buf_append(b, &v, 8);
}

/* Appends a size of width bytes, then the contents of file path (size 0 when it does not exist). */
static int tracedata_file(struct hw_buf *b, const char *path, size_t width, struct hw_err *err)
{
    struct hw_buf body = {0};
    int r = tracefs_read_file(path, &body, err);
    if (r < 0)
        return -1;
    if (tracedata_put(b, body.len, width) < 0 || hw_buf_append(b, body.data, body.len) < 0) {
        hw_buf_free(&body);
        return hw_err_oom(err);
    }
    hw_buf_free(&body);
    return 0;
}

/* Appends a NUL-terminated string. */
static int tracedata_string(struct hw_buf *b, const char *s)
{
    return hw_buf_append(b, s, strlen(s) + 1);
}

/* Appends the subsystems and format files of the tracepoints tps[0..n). */
static int tracedata_events(struct hw_buf *b, const char *dir, const struct tracedata_tp *tps,
                            size_t n, struct hw_err *err)
{
    uint32_t nsys = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t k = 0; k < i; k++)
            seen = seen || strcmp(tps[k].system, tps[i].system) == 0;
        nsys += !seen;
    }
    if (tracedata_put(b, nsys, 4) < 0)
        return hw_err_oom(err);
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t k = 0; k < i; k++)
            seen = seen || strcmp(tps[k].system, tps[i].system) == 0;
        if (seen)
            continue;
        uint32_t nev = 0;
        for (size_t k = i; k < n; k++)
            nev += strcmp(tps[k].system, tps[i].system) == 0;
        if (tracedata_string(b, tps[i].system) < 0 || tracedata_put(b, nev, 4) < 0)
            return hw_err_oom(err);
        for (size_t k = i; k < n; k++) {
            if (strcmp(tps[k].system, tps[i].system) != 0)
                continue;
            char path[8192];
            snprintf(path, sizeof(path), "%s/events/%s/%s/format", dir, tps[k].system,
                     tps[k].event);
            if (tracedata_file(b, path, 8, err) < 0)
                return -1;
        }
    }
    return 0;
}

/* Collects the distinct tracepoint ids of attrs into tps; returns how many (at most max). */
static size_t tracedata_ids(const struct perf_event_attr *attrs, size_t nattrs,
                            struct tracedata_tp *tps, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < nattrs && n < max; i++) {
        if (attrs[i].type != PERF_TYPE_TRACEPOINT)
            continue;
        bool dup = false;
        for (size_t k = 0; k < n; k++)
            dup = dup || tps[k].id == attrs[i].config;
        if (!dup) {
            memset(&tps[n], 0, sizeof(tps[n]));
            tps[n++].id = attrs[i].config;
        }
    }
    return n;
}

int tracedata_build(const char *root, const struct perf_event_attr *attrs, size_t nattrs,
                    struct hw_buf *out, struct hw_err *err)
{
    struct tracedata_tp *tps = calloc(TRACEDATA_MAX_TP, sizeof(*tps));
    if (!tps)
        return hw_err_oom(err);
    size_t n = tracedata_ids(attrs, nattrs, tps, TRACEDATA_MAX_TP);
    int rc = 0;
    char dir[2048];
    if (n == 0)
        goto done;
    int r = tracefs_find(root, dir, sizeof(dir), err);
    if (r != 0) {
        rc = r < 0 ? -1
                   : hw_errf(err, "tracefs is no longer mounted: cannot save the tracepoints' "
                                  "formats; " TRACEFS_MOUNT_ADVICE);
        goto done;
    }
    struct tracedata_find f = {tps, n, n};
    tracefs_for_each(dir, NULL, tracedata_match, &f);
    for (size_t i = 0; i < n; i++)
        if (!tps[i].found) {
            rc = hw_errf(err, "no tracepoint of id %llu in %s/events",
                         (unsigned long long)tps[i].id, dir);
            goto done;
        }
    static const unsigned char magic[10] = {23, 8, 68, 't', 'r', 'a', 'c', 'i', 'n', 'g'};
    long page = sysconf(_SC_PAGESIZE);
    unsigned char endian = 0, longsize = (unsigned char)sizeof(long);
    char path[sizeof(dir) + 64];
    if (hw_buf_append(out, magic, sizeof(magic)) < 0 ||
        tracedata_string(out, TRACEDATA_VERSION) < 0 || hw_buf_append(out, &endian, 1) < 0 ||
        hw_buf_append(out, &longsize, 1) < 0 ||
        tracedata_put(out, (uint64_t)(page > 0 ? page : 4096), 4) < 0) {
        rc = hw_err_oom(err);
        goto done;
    }
    static const char *const headers[] = {"header_page", "header_event"};
    for (size_t i = 0; i < 2 && rc == 0; i++) {
        snprintf(path, sizeof(path), "%s/events/%s", dir, headers[i]);
        if (tracedata_string(out, headers[i]) < 0)
            rc = hw_err_oom(err);
        else
            rc = tracedata_file(out, path, 8, err);
    }
    /* no ftrace events (function tracing is not recorded), the subsystems, an empty kallsyms */
    if (rc == 0 && tracedata_put(out, 0, 4) < 0)
        rc = hw_err_oom(err);
    if (rc == 0)
        rc = tracedata_events(out, dir, tps, n, err);
    if (rc == 0 && tracedata_put(out, 0, 4) < 0)
        rc = hw_err_oom(err);
    if (rc == 0) {
        snprintf(path, sizeof(path), "%s/printk_formats", dir);
        rc = tracedata_file(out, path, 4, err);
    }
    if (rc == 0) {
        snprintf(path, sizeof(path), "%s/saved_cmdlines", dir);
        rc = tracedata_file(out, path, 8, err);
    }
done:
    free(tps);
    return rc;
}
