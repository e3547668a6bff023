#!/bin/bash
# wall-attach.sh - e2e: record --wall -p PID -d 1 of a process that works until 0.3 s after hwprof attached, then sleeps: its busy_work is charged from the start to its end, the sleep still going on at the end up to the end, so wall is the span recorded.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/wall-lib.sh"

require_perf_events
require_prog wall-sleep
cd "$T"

# One round: busy_work until SIGUSR1 and 0.3 s more, then 60 s of sleep_work (one nanosleep),
# then exit. The workload says when its busy_work ended (CLOCK_MONOTONIC, the recording's clock).
start_bg "$PROGS/wall-sleep" 0.3 60 1 usr1 >ws.out 2>ws.err
pid=$BG_PID
wait_for_line ws.out ' ready$' 10
start_bg "$HWPROF" record --wall -p "$pid" -d 1 -o a.data </dev/null >rec.out 2>rec.err
hw=$BG_PID
# Once hwprof has opened its events (it enables them a moment later), 0.3 s of busy_work remain.
wait_perf_fds "$hw" 60
kill -USR1 "$pid"
wait_bg "$hw" 60
expect_no_sanitizer rec
expect_rc rec 0
is_running "$pid" || fail "the workload $pid died while hwprof was attached"
wait_for_line ws.out '^truth busy_work.end_ns ' 10
load_truth ws.out
need_truth busy_work.end_ns

# The recording's span, in CLOCK_MONOTONIC: its first sample, and when it stopped.
perf_report_raw a.data --header-only >header.txt
first=$(sed -n 's/^# time of first sample : \([0-9.]*\)$/\1/p' header.txt)
last=$(sed -n 's/^# time of last sample : \([0-9.]*\)$/\1/p' header.txt)
[ -n "$first" ] && [ -n "$last" ] || {
    head -n 30 header.txt >&2
    fail "perf report --header-only shows no time of the first and last sample"
}
first=$(calc "$first * 1e9")
last=$(calc "$last * 1e9")
end=$(truth busy_work.end_ns)
awk -v f="$first" -v e="$end" 'BEGIN { exit !(f < e) }' ||
    fail "the first sample ($first ns) came after busy_work ended ($end ns): hwprof attached 0.3 s late?"
clock_period a.data

wall_folded w a.data wall --pid "$pid"
wall_folded c a.data cpu --pid "$pid"
wall_folded o a.data off-cpu --pid "$pid"
w=$(folded_sum w.folded)
c=$(folded_sum c.folded)
o=$(folded_sum o.folded)
busy=$(folded_sum_re w.folded ';main;busy_work;')
busycpu=$(folded_sum_re c.folded ';main;busy_work;')
sleep=$(folded_sum_re o.folded ';main;sleep_work;')
note "attached 1 s: wall $(ms "$w") = cpu $(ms "$c") + off-cpu $(ms "$o"); busy_work $(ms "$busy"), sleep_work $(ms "$sleep")"
check_wall_is_sum w.folded c.folded o.folded
# From the first sample (up to a period after the recording began) to the end of busy_work:
# busy_work, on a CPU or waiting for one.
expect_wall "wall in main;busy_work" "$busy" "$(calc "$end - $first")" "$busycpu" 1
# The sleep began when busy_work ended and lasts past the end: charged up to the end.
expect_wall "off-cpu in main;sleep_work, charged up to the end" "$sleep" "$(calc "$last - $end")" 0 1
expect_wall "wall of the attached process" "$w" "$(calc "$last - $first")" "$c" 2

kill -TERM "$pid"
wait_bg "$pid" 10
exit 0
