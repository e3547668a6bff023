#!/bin/bash
# wall-attach.sh - e2e: record --wall -p PID -d 1 of a process that works 0.3 s then sleeps 5 s: the sleep still going on at the end is charged up to the end, so wall is the 1 s recorded.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/wall-lib.sh"

require_perf_events
require_prog wall-sleep
cd "$T"

# One round: 0.3 s of busy_work, then 5 s of sleep_work (one nanosleep), then exit.
start_bg "$PROGS/wall-sleep" 0.3 5 1 >ws.out 2>ws.err
pid=$BG_PID
wait_for_line ws.out ' ready$' 10
run_hwprof rec record --wall -p "$pid" -d 1 -o a.data
expect_no_sanitizer rec
expect_rc rec 0
is_running "$pid" || fail "the workload $pid died while hwprof was attached"

wall_folded w a.data wall --pid "$pid"
wall_folded c a.data cpu --pid "$pid"
wall_folded o a.data off-cpu --pid "$pid"
w=$(folded_sum w.folded)
c=$(folded_sum c.folded)
o=$(folded_sum o.folded)
busy=$(folded_sum_re w.folded ';main;busy_work;')
sleep=$(folded_sum_re o.folded ';main;sleep_work;')
note "attached 1 s: wall $(ms "$w") = cpu $(ms "$c") + off-cpu $(ms "$o"); busy_work $(ms "$busy"), sleep_work $(ms "$sleep")"
check_wall_is_sum w.folded c.folded o.folded
# Attached a moment after the start: a little less than 0.3 s of busy_work (on a CPU or waiting
# for one).
assert_between "wall in main;busy_work (s)" "$(secs "$busy")" 0.15 0.35
# The sleep began ~0.3 s after the start and lasts past the end: charged up to the end.
assert_between "off-cpu in main;sleep_work, charged up to the end (s)" "$(secs "$sleep")" 0.55 0.95
assert_between "wall of the attached process (s)" "$(secs "$w")" 0.85 1.15

kill -TERM "$pid"
wait_bg "$pid" 10
exit 0
