/* tracefs.h - find tracefs and its tracepoints: ids, format files, subsystems. */
#ifndef HWPROF_TRACEFS_H
#define HWPROF_TRACEFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* What to tell a user whose tracefs is not mounted. */
#define TRACEFS_MOUNT_ADVICE "mount it with 'mount -t tracefs nodev /sys/kernel/tracing' (as root)"

/* Finds where tracefs is mounted: ROOT/sys/kernel/tracing or ROOT/sys/kernel/debug/tracing when
 * they hold an events directory, else the first tracefs line of ROOT/proc/mounts (root NULL or "":
 * the real system). Writes the directory into buf. Returns 0, 1 when tracefs is not mounted, or -1
 * with err when it is mounted but cannot be read (not root). */
int tracefs_find(const char *root, char *buf, size_t size, struct hw_err *err);

/* Reads the id of tracepoint SYSTEM:EVENT under the tracefs directory dir. Returns 0, 1 when there
 * is no such tracepoint, or -1 with err (unreadable id). */
int tracefs_event_id(const char *dir, const char *system, const char *event, uint64_t *id,
                     struct hw_err *err);

/* Whether dir has the subsystem system (e.g. "sched"). */
bool tracefs_has_system(const char *dir, const char *system);

/* Calls fn for every tracepoint of subsystem system (or of every subsystem when system is NULL),
 * with its names and id; stops when fn returns non-zero and returns that value. Returns 0 when
 * done, or -1 when dir cannot be read. */
int tracefs_for_each(const char *dir, const char *system,
                     int (*fn)(const char *system, const char *event, uint64_t id, void *arg),
                     void *arg);

/* Appends the whole of file PATH (tracefs files report size 0: read to the end) to out. Returns 0,
 * 1 when it does not exist, or -1 with err. */
int tracefs_read_file(const char *path, struct hw_buf *out, struct hw_err *err);

#endif
