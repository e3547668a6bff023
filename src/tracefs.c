/* tracefs.c - find tracefs and its tracepoints: ids, format files, subsystems. */
#include "tracefs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether dir/events is a directory we may list (an unreadable one sets *denied). */
static bool tracefs_has_events(const char *dir, bool *denied)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof(path), "%s/events", dir);
    if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
        if (errno == EACCES)
            *denied = true;
        return false;
    }
    if (access(path, R_OK | X_OK) < 0) {
        *denied = true;
        return false;
    }
    return true;
}

int tracefs_find(const char *root, char *buf, size_t size, struct hw_err *err)
{
    static const char *const known[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
    const char *r = root ? root : "";
    bool denied = false;
    for (size_t i = 0; i < HW_ARRAY_SIZE(known); i++) {
        snprintf(buf, size, "%s%s", r, known[i]);
        if (tracefs_has_events(buf, &denied))
            return 0;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/proc/mounts", r);
    FILE *f = fopen(path, "r");
    if (f) {
        char line[4096], dev[256], mnt[2048], type[64];
        while (fgets(line, sizeof(line), f)) {
            if (sscanf(line, "%255s %2047s %63s", dev, mnt, type) != 3 || strcmp(type, "tracefs"))
                continue;
            snprintf(buf, size, "%s%s", r, mnt);
            if (tracefs_has_events(buf, &denied)) {
                fclose(f);
                return 0;
            }
        }
        fclose(f);
    }
    buf[0] = '\0';
    if (denied)
        return hw_errf(err,
                       "cannot read tracefs (%s/sys/kernel/tracing): permission denied; "
                       "tracepoints need root",
                       r);
    return 1;
}

/* A tracepoint or subsystem name: letters, digits, '_', '-', '.' (no path). */
static bool tracefs_plain(const char *name)
{
    if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return false;
    for (const char *p = name; *p; p++)
        if (*p == '/')
            return false;
    return true;
}

int tracefs_event_id(const char *dir, const char *system, const char *event, uint64_t *id,
                     struct hw_err *err)
{
    char path[4096], buf[64];
    if (!tracefs_plain(system) || !tracefs_plain(event))
        return 1;
    snprintf(path, sizeof(path), "%s/events/%s/%s/id", dir, system, event);
    if (hw_read_small_file(path, buf, sizeof(buf)) < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 1;
        return hw_errf_errno(err, errno, "cannot read %s", path);
    }
    if (hw_parse_u64(buf, id) < 0)
        return hw_errf(err, "cannot parse the tracepoint id in %s ('%s')", path, buf);
    return 0;
}

bool tracefs_has_system(const char *dir, const char *system)
{
    char path[4096];
    struct stat st;
    if (!tracefs_plain(system))
        return false;
    snprintf(path, sizeof(path), "%s/events/%s", dir, system);
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Calls fn for every event of one subsystem. */
static int tracefs_for_system(const char *dir, const char *system,
                              int (*fn)(const char *system, const char *event, uint64_t id,
                                        void *arg),
                              void *arg)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/events/%s", dir, system);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        uint64_t id;
        if (de->d_name[0] == '.' || tracefs_event_id(dir, system, de->d_name, &id, NULL) != 0)
            continue;
        rc = fn(system, de->d_name, id, arg);
    }
    closedir(d);
    return rc;
}

int tracefs_for_each(const char *dir, const char *system,
                     int (*fn)(const char *system, const char *event, uint64_t id, void *arg),
                     void *arg)
{
    if (system)
        return tracefs_for_system(dir, system, fn, arg);
    char path[4096];
    snprintf(path, sizeof(path), "%s/events", dir);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d)))
        if (de->d_name[0] != '.' && tracefs_has_system(dir, de->d_name))
            rc = tracefs_for_system(dir, de->d_name, fn, arg);
    closedir(d);
    return rc;
}

int tracefs_read_file(const char *path, struct hw_buf *out, struct hw_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 1 : hw_errf_errno(err, errno, "cannot open %s", path);
    for (;;) {
        if (hw_buf_reserve(out, 65536) < 0) {
            close(fd);
            return hw_err_oom(err);
        }
        ssize_t n = read(fd, out->data + out->len, 65536);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return hw_errf_errno(err, e, "cannot read %s", path);
        }
        if (n == 0)
            break;
        out->len += (size_t)n;
    }
    close(fd);
    return 0;
}
