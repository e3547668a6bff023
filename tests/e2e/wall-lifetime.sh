#!/bin/bash
# wall-lifetime.sh - e2e: record --wall charges each thread its lifetime: the wall sum of threads living ~300, ~600 and ~900 ms matches the lifetime each measured; nothing after its exit.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/wall-lib.sh"

require_perf_events
require_prog wall-lifetime
cd "$T"

# Each thread prints "TID LIFETIME_NS" (CLOCK_MONOTONIC from its start to its end).
wall_record rec l.data wall-lifetime
grep -E '^[0-9]+ [0-9]+$' rec.out >lives.txt || true
[ "$(wc -l <lives.txt)" = 3 ] || {
    show rec
    fail "the workload printed $(wc -l <lives.txt) lines 'TID LIFETIME_NS', expected 3"
}

longest=0
while read -r tid life; do
    wall_folded "w$tid" l.data wall --tid "$tid"
    w=$(folded_sum "w$tid.folded")
    note "thread $tid: wall $(ms "$w"), lifetime $(ms "$life")"
    # Within 15%, and 20 ms for the thread's start and exit outside its own clock readings.
    assert_le "thread $tid: |wall - lifetime| (ns)" "$(abs_diff "$w" "$life")" \
        "$(awk -v l="$life" 'BEGIN { printf "%.0f\n", l * 0.15 + 20e6 }')"
    # The thread alternates 10 ms busy (on a CPU or, on a busy machine, waiting for one) and 10 ms
    # asleep: both halves are there.
    wall_folded "o$tid" l.data off-cpu --tid "$tid"
    b=$(folded_sum_re "w$tid.folded" ';life_thread;life_busy;')
    o=$(folded_sum_re "o$tid.folded" ';life_thread;life_sleep;')
    note "thread $tid: wall in life_busy $(ms "$b"), off-cpu in life_sleep $(ms "$o")"
    assert_between "thread $tid: wall in life_busy / lifetime" "$(ratio "$b" "$life")" 0.3 0.7
    assert_between "thread $tid: off-cpu in life_sleep / lifetime" "$(ratio "$o" "$life")" 0.3 0.7
    [ "$life" -gt "$longest" ] && longest=$life
done <lives.txt

# Three different lifetimes: the wall sums differ as much (a thread is not charged past its exit).
sort -n -k2 lives.txt >sorted.txt
read -r t1 _ < <(sed -n 1p sorted.txt)
read -r t3 _ < <(sed -n 3p sorted.txt)
r=$(ratio "$(folded_sum "w$t3.folded")" "$(folded_sum "w$t1.folded")")
note "wall of the longest-lived thread / the shortest-lived: $r"
assert_between "wall of the ~900 ms thread / the ~300 ms thread" "$r" 2.3 3.7

# The main thread waits in pthread_join for the longest-lived one.
wall_folded all l.data wall
total=$(folded_sum all.folded)
sum=$(awk '{ s += $2 } END { printf "%.0f\n", s }' lives.txt)
note "total wall $(ms "$total"), the threads' lifetimes add up to $(ms "$sum"), the longest $(ms "$longest")"
# All 4 threads: the 3 lifetimes plus main's, which lasts at least the longest.
assert_ge "total wall - the 3 lifetimes (main's wall) / the longest lifetime" \
    "$(ratio "$((total - sum))" "$longest")" 0.85
assert_le "total wall - the 3 lifetimes (main's wall) / the longest lifetime" \
    "$(ratio "$((total - sum))" "$longest")" 1.3
exit 0
