#!/usr/bin/env bash
# list.sh - `hwprof list`: generic and PMU events, the AVAILABLE column, and PATTERN filtering.
set -eu
. "$TOP_SRCDIR/tests/lib.sh"
require_perf_events

"$HWPROF" list >"$T/all"
row() { awk -v n="$1" '$1 == n { print $2; exit }' "$T/all"; }
[ "$(row cpu-clock)" = yes ] || fail "cpu-clock is not listed as available: $(grep -m1 cpu-clock "$T/all")"
[ "$(row page-faults)" = yes ] || fail "page-faults is not listed as available"
[ -n "$(row cycles)" ] || fail "cycles is not listed"
[ -n "$(row L1-dcache-load-misses)" ] || fail "L1-dcache-load-misses is not listed"
grep -q '^perf events:' "$T/all" || grep -q 'perf::' "$T/all" || fail "libpfm4's perf PMU events are not listed"

# The column agrees with what the kernel does: cycles is available exactly when perf stat can count it.
if ! have_hw_pmu; then
    [ "$(row cycles)" = no ] || fail "cycles listed as available on a machine without a PMU"
    grep -q "no hardware PMU" "$T/all" || fail "no note about the missing hardware PMU"
else
    [ "$(row cycles)" = yes ] || fail "cycles listed as unavailable although perf can count it"
fi

"$HWPROF" list CLOCK >"$T/some"
grep -q '^  cpu-clock ' "$T/some" || fail "pattern CLOCK (case-insensitive) misses cpu-clock"
grep -q '^  task-clock ' "$T/some" || fail "pattern CLOCK misses task-clock"
if grep -q '^  page-faults ' "$T/some"; then fail "pattern CLOCK lists page-faults"; fi

# A forced PMU model: libpfm4's perf PMU is inactive then, yet the generic names are listed (hwprof
# encodes them itself) together with the model's events.
LIBPFM_FORCE_PMU=skl "$HWPROF" list >"$T/skl" 2>"$T/skl.err" || fail "LIBPFM_FORCE_PMU=skl hwprof list failed: $(head -3 "$T/skl.err")"
grep -q '^  cycles ' "$T/skl" || fail "LIBPFM_FORCE_PMU=skl: cycles is not listed"
grep -q '^skl events:' "$T/skl" || fail "LIBPFM_FORCE_PMU=skl: no section of Skylake events"
n=$(grep -c '^  skl::' "$T/skl" || true)
assert_ge "Skylake events listed" "$n" 50
grep -q '^  skl::INST_RETIRED ' "$T/skl" || fail "LIBPFM_FORCE_PMU=skl: skl::INST_RETIRED is not listed"

rc=0
"$HWPROF" list no-such-event-xyz >/dev/null 2>"$T/err" || rc=$?
[ "$rc" -ne 0 ] || fail "a pattern matching nothing succeeded"
grep -q "no event matches" "$T/err" || fail "message for an empty match: $(cat "$T/err")"
exit 0
