/* evnames.c - the names perf gives the kernel generic events: (type, config) -> "cycles", "cpu-clock". */
#include "evnames.h"

#include <linux/perf_event.h>

#include "util.h"

/* Indexed by enum perf_hw_id and enum perf_sw_ids (linux/perf_event.h). */
static const char *const evnames_hw[] = {
    "cycles",
    "instructions",
    "cache-references",
    "cache-misses",
    "branches",
    "branch-misses",
    "bus-cycles",
    "stalled-cycles-frontend",
    "stalled-cycles-backend",
    "ref-cycles",
};

static const char *const evnames_sw[] = {
    "cpu-clock",        "task-clock",   "page-faults",  "context-switches",
    "cpu-migrations",   "minor-faults", "major-faults", "alignment-faults",
    "emulation-faults", "dummy",        "bpf-output",   "cgroup-switches",
};

const char *evnames_generic(uint32_t type, uint64_t config)
{
    if (type == PERF_TYPE_HARDWARE && config < HW_ARRAY_SIZE(evnames_hw))
        return evnames_hw[config];
    if (type == PERF_TYPE_SOFTWARE && config < HW_ARRAY_SIZE(evnames_sw))
        return evnames_sw[config];
    return NULL;
}
