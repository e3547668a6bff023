/* bidtable.h - the build-id table a recording ends with: the binaries samples hit, their build ids (from the records, the files, a container's root, the vDSO, the kernel), and copies of them in the build-id cache. */
#ifndef HWPROF_BIDTABLE_H
#define HWPROF_BIDTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "machine.h"
#include "perfwriter.h"
#include "util.h"

struct bidtable;

/* Returns a new table that keeps copies under cache_dir (perf's layout; NULL: keep none), or NULL when
 * out of memory. */
struct bidtable *bidtable_new(const char *cache_dir);
void bidtable_free(struct bidtable *t);

/* A file mapping of process pid joined the machine (the binary dso). When the process lives in another
 * mount namespace (a container), its path means a file there: the file is opened now through
 * /proc/PID/root, so that its build id and its copy can be taken at the end even after the process is
 * gone. Never fails (a file that cannot be opened is left to the path). */
void bidtable_note_mmap(struct bidtable *t, uint32_t pid, const struct mach_dso *dso);

/* The HEADER_BUILD_ID entries of every binary of m that samples hit: the kernel, [vdso] and files with
 * a build id (from the records, else read from the file), each stored in the cache when it is not there
 * yet (warnings through w, at most one per binary). *out is malloc'd; its file names point into m.
 * Returns 0, or -1 with err (out of memory). */
int bidtable_collect(struct bidtable *t, const struct machine *m, bool kernel, struct pw_build_id **out,
                     size_t *nout, const struct hw_warn *w, struct hw_err *err);

#endif
