#!/bin/bash
# demo.sh - end-to-end: hwprof records the LRU demo; perf report must show lru_evict_oldest on top.
set -eu

: "${TOP_SRCDIR:?TOP_SRCDIR must name the source tree (run this test through make check)}"
# shellcheck source=tests/lib.sh source-path=SCRIPTDIR/../..
. "$TOP_SRCDIR/tests/lib.sh"

[ -n "${DEMO:-}" ] || fail "DEMO is not set: run through 'make check' or set DEMO=path/to/lru-demo"
[ -x "$DEMO" ] || fail "DEMO=$DEMO is not an executable: build it with 'make examples/lru-demo'"
require_perf_events

data="$T/demo.data"
run_hwprof record record -o "$data" -- "$DEMO"
expect_rc record 0
grep -q 'checksum' "$T/record.out" || {
    show record
    fail "the demo did not print its checksum line under hwprof"
}
[ -s "$data" ] || fail "hwprof record did not write $data"

perf_report_raw "$data" --no-children --sort sym >"$T/report.txt"

# The first row like "    97.42%  [.] lru_evict_oldest" is the top symbol (rows are sorted by
# overhead; callchain lines under a row start with '|' or '-', comments with '#').
awk '/^ *[0-9.]+%/ { pct = $1; sub(/%$/, "", pct); print pct, $NF; exit }' "$T/report.txt" \
    >"$T/top.txt"
read -r pct sym <"$T/top.txt" || {
    head -n 40 "$T/report.txt" >&2
    fail "perf report shows no samples for $data"
}
if [ "$sym" != lru_evict_oldest ]; then
    head -n 40 "$T/report.txt" >&2
    fail "top symbol is '$sym' ($pct%), expected lru_evict_oldest"
fi
awk -v p="$pct" 'BEGIN { exit !(p > 40) }' ||
    fail "lru_evict_oldest has only $pct% of the samples, expected > 40%"

note "lru_evict_oldest is the top symbol with $pct%"
exit 0
