/* pe_private.h - internals shared by src/perf_event.c and src/pe_*.c only. */
#ifndef HWPROF_PE_PRIVATE_H
#define HWPROF_PE_PRIVATE_H

#include <stdint.h>
#include <sys/types.h>

#include "perf_event.h"

/* ---- perf_event.c ---- */

/* kernel.perf_event_max_sample_rate of sys (NULL: the real system), or 0 when unknown. */
uint64_t pe_max_sample_rate(const struct pe_system *sys);

/* How event i of ev is opened: alone, as a group's leader, or as a member. Can't fail. */
enum pe_role pe_role_of(const struct event_list *ev, size_t i);

/* The PMU whose CPUs event i opens on: its own, or for a member without one (a software event in a
 * group) its leader's. NULL: every CPU. */
const struct pmu *pe_event_pmu(const struct event_list *ev, size_t i, const struct pmu_set *pmus);

/* The advice on the limit a group of hardware events hit, after "...": whether the NMI watchdog
 * holds a counter (nmi_watchdog 1, as pe_nmi_watchdog returns it) or the PMU simply has too few.
 * A static string. */
const char *pe_limit_advice(int nmi_watchdog);

/* ---- pe_resolve.c ---- */

/* Copies cfg to out, lowering the sampling frequency of out and of every event with its own
 * (a freq modifier) to kernel.perf_event_max_sample_rate when it is above, with one notice, as perf
 * does; with cfg->strict_freq that is an error instead. Returns 0 or -1 with err. */
int pe_resolve_limit_freq(const struct pe_config *cfg, struct event_list *events,
                          struct pe_config *out, hw_warn_fn notice, void *arg, struct hw_err *err);

/* Makes ev openable on (pid, the first of cpus its PMU covers), as pe_open describes: adapts
 * precise events on AMD (pe_resolve_precise_amd), splits generic hardware events per core PMU on a
 * hybrid CPU (events_hybrid_split), then tries each event and applies fallbacks until every one
 * opens (cpu-clock for hardware events on a machine without a CPU PMU unless cfg->no_fallback, :P
 * lowered to the level that opens, a frequency lowered to the kernel's limit in cfg, unsupported
 * members dropped, groups the kernel cannot sample with inherit split), raises clock periods to
 * PE_CLOCK_MIN_PERIOD and opens each group as a whole, dropping members that do not fit in the
 * counters. Each change the user would notice is told to notice. Returns 0 or -1 with err. */
int pe_resolve(struct event_list *ev, struct pe_config *cfg, pid_t pid, const int *cpus,
               size_t ncpus, const struct pmu_set *pmus, hw_warn_fn notice, void *narg,
               struct hw_err *err);

#endif
