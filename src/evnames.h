/* evnames.h - the names perf gives the kernel's generic events: (type, config) -> "cycles", "cpu-clock", ... */
#ifndef HWPROF_EVNAMES_H
#define HWPROF_EVNAMES_H

#include <stdint.h>

/* The perf name of a generic hardware (PERF_TYPE_HARDWARE) or software (PERF_TYPE_SOFTWARE) event,
 * or NULL for any other type or an unknown config. config is the event's number without a PMU in its
 * extended type. Can't fail; the string is static. */
const char *evnames_generic(uint32_t type, uint64_t config);

#endif
