#!/bin/bash
# wall-errors.sh - e2e: record --wall refuses -e and --no-callchain (usage, exit 2) and, as user nobody at perf_event_paranoid 2, fails naming perf_event_paranoid (exit 1) without a file; at 1 it records.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$TOP_SRCDIR/tests/nobody-lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/wall-lib.sh"

require_perf_events
require_prog wall-sleep
cd "$T"
ulimit -c 0 2>/dev/null || true

# expect_one_line NAME: fails unless hwprof wrote exactly one non-empty line on stderr.
expect_one_line()
{
    local n
    n=$(grep -vc '^$' "$T/$1.err" || true)
    [ "$n" = 1 ] || {
        show "$1"
        fail "$1: hwprof printed $n lines on stderr, expected a one-line message"
    }
}

# --- usage errors: exit 2, one line, no file, the command not run ---
mkdir u
n=0
for args in "--wall -e cycles" "-e cycles --wall" "--wall -e cpu-clock" "--wall --no-callchain" \
    "--no-callchain --wall"; do
    n=$((n + 1))
    cd u
    # shellcheck disable=SC2086 # split the options
    run_hwprof "use$n" record $args -o x.data -- touch ran
    cd "$T"
    expect_no_sanitizer "use$n"
    expect_rc "use$n" 2
    expect_one_line "use$n"
    note "record $args: exit 2, '$(head -1 "use$n.err")'"
    grep -q -- 'wall' "use$n.err" || fail "record $args: the message does not mention --wall: $(cat "use$n.err")"
    assert_only_files u
done

# --- as user nobody ---
nobody_setup wall-sleep

# --- paranoid 2: no kernel stacks for nobody, so no --wall: exit 1, one line, nothing left ---
echo 2 >"$PARANOID" || fail "cannot set kernel.perf_event_paranoid to 2 (as root)"
run_nobody p2 record --wall -o w.data -- ./wall-sleep
expect_no_sanitizer p2
expect_rc p2 1
expect_one_line p2
grep -q 'perf_event_paranoid' p2.err || {
    show p2
    fail "p2: the error does not mention perf_event_paranoid"
}
note "--wall as nobody at paranoid 2: exit 1, '$(head -1 p2.err)'"
grep -q 'ready$' p2.out && fail "p2: the workload ran although --wall cannot record"
[ ! -e "$NB/w.data" ] || fail "p2: hwprof left $NB/w.data behind"
assert_only_files "$NB" hwprof wall-sleep

# --- paranoid 1: nobody may sample its own kernel stacks: --wall records ---
echo 1 >"$PARANOID" || fail "cannot set kernel.perf_event_paranoid to 1 (as root)"
run_nobody p1 record --wall -o w1.data -- ./wall-sleep
expect_no_sanitizer p1
expect_rc p1 0
grep -q '^wall-sleep: 40 rounds' p1.out || {
    show p1
    fail "p1: the workload did not run to completion"
}
cp "$NB/w1.data" w1.data
# The 40 sleeps of 10 ms, with their kernel frames, as long as the workload measured them.
load_truth p1.out
need_truth sleep_work.wall_ns sleep_work.cpu_ns sleep_work.calls
clock_period w1.data
wall_folded p1off w1.data off-cpu
sn=$(folded_sum_re p1off.folded ";main;sleep_work;$(fn_re nanosleep);.*;do_nanosleep;(__)?schedule;")
note "--wall as nobody at paranoid 1: off-cpu in main;sleep_work;nanosleep;...;do_nanosleep;schedule $(ms "$sn")"
expect_wall "paranoid 1, as nobody: off-cpu in main;sleep_work;...;do_nanosleep;schedule" "$sn" \
    "$(($(truth sleep_work.wall_ns) - $(truth sleep_work.cpu_ns)))" "$(truth sleep_work.cpu_ns)" \
    "$(truth sleep_work.calls)"
exit 0
