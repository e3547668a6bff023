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

# Each thread prints "TID LIFETIME_NS" (CLOCK_MONOTONIC from its start to its end) and the wall
# and CPU time of its busy and sleeping phases and of its whole run.
wall_record rec l.data wall-lifetime
grep -E '^[0-9]+ [0-9]+$' rec.out >lives.txt || true
[ "$(wc -l <lives.txt)" = 3 ] || {
    show rec
    fail "the workload printed $(wc -l <lives.txt) lines 'TID LIFETIME_NS', expected 3"
}
load_truth rec.out
clock_period l.data
# the smallest difference between two threads' lifetimes (ns)
MINGAP=$(sort -n -k2 lives.txt | awk 'NR > 1 { d = $2 - prev; if (!m || d < m) m = d } { prev = $2 } END { printf "%d", m }')
[ "$MINGAP" -gt 0 ] || fail "the threads' lifetimes do not differ: $(tr '\n' ' ' <lives.txt)"

while read -r tid life; do
    need_truth "life_thread.$tid.wall_ns" "life_thread.$tid.cpu_ns" "life_busy.$tid.wall_ns" \
        "life_busy.$tid.cpu_ns" "life_busy.$tid.calls" "life_sleep.$tid.wall_ns" "life_sleep.$tid.cpu_ns" \
        "life_sleep.$tid.calls"
    wall_folded "w$tid" l.data wall --tid "$tid"
    wall_folded "o$tid" l.data off-cpu --tid "$tid"
    w=$(folded_sum "w$tid.folded")
    lt=$(folded_sum_re "w$tid.folded" ';life_thread;')
    note "thread $tid: wall $(ms "$w"), in life_thread $(ms "$lt"), lifetime $(ms "$life")"
    calls=$(($(truth "life_busy.$tid.calls") + $(truth "life_sleep.$tid.calls")))
    # The thread is charged its run in life_thread, as long as it measured it.
    expect_wall "thread $tid: wall in life_thread" "$lt" "$(truth "life_thread.$tid.wall_ns")" \
        "$(truth "life_thread.$tid.cpu_ns")" "$calls"
    # Its start and its exit, outside life_thread, are short, though on a busy machine each may
    # wait a few milliseconds for a CPU: it is not charged past its exit. The threads' lifetimes
    # differ by at least MINGAP (they print them), so a thread charged past its exit would gain at
    # least that much while another thread or main lives on: half of it is the bound.
    assert_le "thread $tid: wall outside life_thread (ns)" "$((w - lt))" \
        "$((2 * PERIOD + 200000 + MINGAP / 2))"
    # The thread alternates 10 ms busy (on a CPU or, on a busy machine, waiting for one) and 10 ms
    # asleep: both as long as it measured.
    b=$(folded_sum_re "w$tid.folded" ';life_thread;life_busy;')
    o=$(folded_sum_re "o$tid.folded" ';life_thread;life_sleep;')
    note "thread $tid: wall in life_busy $(ms "$b"), off-cpu in life_sleep $(ms "$o")"
    expect_wall "thread $tid: wall in life_busy" "$b" "$(truth "life_busy.$tid.wall_ns")" \
        "$(truth "life_busy.$tid.cpu_ns")" "$(truth "life_busy.$tid.calls")"
    expect_wall "thread $tid: off-cpu in life_sleep" "$o" \
        "$(($(truth "life_sleep.$tid.wall_ns") - $(truth "life_sleep.$tid.cpu_ns")))" \
        "$(truth "life_sleep.$tid.cpu_ns")" "$(truth "life_sleep.$tid.calls")"
done <lives.txt

# The main thread waits in pthread_join for the longest-lived one: its wall in main is what main
# measured, at least the longest lifetime.
main=$(sed -n 's/^wall-lifetime: main \([0-9]*\)$/\1/p' rec.out)
[ -n "$main" ] || fail "the workload printed no 'wall-lifetime: main PID'"
need_truth main.wall_ns main.cpu_ns
wall_folded m l.data wall --tid "$main"
mw=$(folded_sum_re m.folded ';main;')
sort -n -k2 lives.txt >sorted.txt
read -r _ longest < <(sed -n 3p sorted.txt)
note "main: wall in main $(ms "$mw"), main measured $(ms "$(truth main.wall_ns)"), the longest lifetime $(ms "$longest")"
# (main.cpu_ns counts the threads too: a looser tolerance.)
expect_wall "main thread: wall in main" "$mw" "$(truth main.wall_ns)" "$(truth main.cpu_ns)" 4
assert_ge "main thread: wall in main - the longest lifetime (ns)" "$((mw - longest))" 0
exit 0
