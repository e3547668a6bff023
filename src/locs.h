/* locs.h - the profile locations of stack addresses: a mapping per binary mapping, placeholders at first sight, then every binary's addresses symbolized together. */
#ifndef HWPROF_LOCS_H
#define HWPROF_LOCS_H

#include <stdbool.h>
#include <stdint.h>

#include "machine.h"
#include "profile.h"
#include "symbolize.h"
#include "util.h"

struct locs;

/* Returns a new location table that adds to p and symbolizes with sym (both stay the caller's), or
 * NULL when out of memory. */
struct locs *locs_new(struct profile *p, struct symbolizer *sym);
void locs_free(struct locs *lc);

/* The profile location of addr (a kernel address when kernel; caller: a return address, located at
 * addr - 1) in process pid of machine m: found, or added: "[unknown]" at once when no mapping holds it,
 * else without lines until locs_symbolize. Returns its index or -1 with err (out of memory). */
int64_t locs_of(struct locs *lc, const struct machine *m, int32_t pid, uint64_t addr, bool kernel, bool caller,
                struct hw_err *err);

/* The profile mapping of map (interned with its binary's path and build id). Returns its index or -1
 * with err (out of memory). */
int64_t locs_mapping(struct locs *lc, const struct mach_map *map, struct hw_err *err);

/* Symbolizes every location added since the last call: kernel binaries first, then binary by binary,
 * each binary's debug information released when its addresses are done (memory holds one binary's
 * DWARF at a time). Returns 0 or -1 with err (out of memory). */
int locs_symbolize(struct locs *lc, struct hw_err *err);

/* The symbolizer's description of a binary of the machine. */
void locs_binary(const struct mach_dso *dso, struct sym_binary *out);

#endif
