/* bidcache.h - perf's build-id cache (~/.debug): where the copy of a binary or of a vDSO image with a given build id is kept, and storing one there. */
#ifndef HWPROF_BIDCACHE_H
#define HWPROF_BIDCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "buildid.h"
#include "util.h"

/* perf's layout (tools/perf/util/build-id.c, as perf 6.1 writes it):
 *   DIR/PATH/HEX/elf       a copy of the binary at PATH with build id HEX
 *   DIR/[vdso]/HEX/vdso    a vDSO image
 *   DIR/[kernel.kallsyms]/HEX/kallsyms   a copy of /proc/kallsyms of the kernel with build id HEX
 *   DIR/.build-id/XX/REST  a symlink to ../../PATH/HEX (XX: the first byte of HEX, REST: the rest)
 */
enum bidcache_kind { BIDCACHE_ELF, BIDCACHE_VDSO, BIDCACHE_KALLSYMS };

/* The cache directory perf uses by default: $HOME/.debug. Returns a malloc'd string, or NULL when
 * HOME is not set or out of memory. */
char *bidcache_default_dir(void);

/* Formats DIR/.build-id/XX/REST/elf (or .../vdso, .../kallsyms): the cached file of build id
 * id[0..len). Returns 0, or -1 when len is not 1..HW_BUILD_ID_MAX or the path does not fit in size.
 */
int bidcache_path(const char *dir, const uint8_t *id, int len, enum bidcache_kind kind, char *out,
                  size_t size);

/* Stores n bytes at data as the file of path (an absolute path, "[vdso]" or "[kernel.kallsyms]")
 * with build id id under dir, and links it from .build-id. An entry already there is kept. The file
 * is written under a temporary name and renamed, so a reader never sees half of it. Returns 0, or
 * -1 with err. */
int bidcache_store(const char *dir, const char *path, const uint8_t *id, int len,
                   enum bidcache_kind kind, const void *data, size_t n, struct hw_err *err);

/* Stores a copy of the regular file src as the file of path with build id id (see bidcache_store).
 * Returns 0, or -1 with err. */
int bidcache_store_file(const char *dir, const char *path, const char *src, const uint8_t *id,
                        int len, struct hw_err *err);

/* The running process's vDSO image (all of its mapping) and its build id. Returns the build id's
 * length (> 0) with *img and *n set, or -1 when there is none or it has no build id. */
int bidcache_own_vdso(const void **img, size_t *n, uint8_t id[HW_BUILD_ID_MAX]);

/* Stores the running process's vDSO image (the same for every process of this kernel) as "[vdso]".
 * Returns 0, or -1 with err. */
int bidcache_store_vdso(const char *dir, struct hw_err *err);

#endif
