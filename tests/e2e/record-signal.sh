#!/bin/bash
# record-signal.sh - e2e: SIGINT/SIGTERM/SIGHUP/SIGQUIT stop hwprof record cleanly: exit status, complete file with the samples of the CPU time recorded, no temp.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

require_perf_events
require_prog spinner
cd "$T"

# stop_run SIG: records a 60 s spinner, sends SIG to hwprof once the spinner has used 0.3 s of CPU
# time (it says "PID spun") and checks that hwprof forwarded it (the spinner exits 0 on it), exits
# 0 and left exactly a complete file with a sample per period of the spinner's CPU time.
stop_run()
{
    local sig=$1 num dir="out-$1"
    num=$(kill -l "$sig")
    mkdir "$dir"
    start_bg "$HWPROF" record -e cpu-clock -o "$dir/f.data" -- "$PROGS/spinner" 60 0.3 \
        </dev/null >"$sig.out" 2>"$sig.err"
    local hw=$BG_PID
    wait_for_line "$sig.out" ' spun$' 60
    kill -"$sig" "$hw"
    wait_bg "$hw" 15
    if [ "$RC" != 0 ]; then
        show "$sig"
        fail "SIG$sig: hwprof exited with $RC, expected 0 (the spinner exits 0 on SIG$sig)"
    fi
    grep -q "stopped by signal $num" "$sig.out" || {
        show "$sig"
        fail "SIG$sig: the spinner did not report being stopped by signal $num (not forwarded?)"
    }
    assert_only_files "$dir" f.data
    assert_file_complete "$dir/f.data"
    assert_summary "$sig" cpu-clock
    load_truth "$sig.out"
    need_truth spinner_loop.cpu_ns main.cpu_ns
    clock_period "$dir/f.data"
    perf_samples "$dir/f.data" >"$sig.tsv"
    expect_count_ge "SIG$sig: samples in the file" "$NSAMPLES" "$(calc "$(truth main.cpu_ns) / $PERIOD")"
    expect_count_ge "SIG$sig: spinner_loop samples" "$(count_leaf "$sig.tsv" spinner_loop)" \
        "$(calc "$(truth spinner_loop.cpu_ns) / $PERIOD")"
    note "SIG$sig: $NSAMPLES samples, exit 0"
}

stop_run INT
stop_run TERM
stop_run HUP  # the terminal or the SSH session went away
stop_run QUIT

# Attached (-p) recording stopped by SIGINT once the spinner has used 0.3 s of CPU time since
# hwprof opened its events: exit 0, complete file, the target keeps running.
mkdir out-attach
start_bg "$PROGS/spinner" 60 >sp.out 2>sp.err
sp=$BG_PID
wait_for_line sp.out ' ready$' 10
start_bg "$HWPROF" record -e cpu-clock -p "$sp" -o out-attach/f.data </dev/null >att.out 2>att.err
hw=$BG_PID
wait_perf_fds "$hw" 60
c0=$(task_cpu_ns "$sp")
wait_task_cpu "$sp" 300000000 60
is_running "$hw" || {
    show att
    fail "hwprof -p $sp exited before it was signalled"
}
kill -INT "$hw"
wait_bg "$hw" 15
c1=$(task_cpu_ns "$sp")
expect_rc att 0
assert_only_files out-attach f.data
assert_file_complete out-attach/f.data
is_running "$sp" || fail "the attached spinner $sp died when hwprof got SIGINT"
if grep -q 'stopped by signal' sp.out; then
    fail "hwprof -p forwarded its SIGINT to the attached process"
fi
# At least the spinner's CPU time from 50 ms after hwprof opened its events (it enables them once
# it has read the spinner's mappings) to the signal, at most all of it up to hwprof's exit.
clock_period out-attach/f.data
expect_count_ge "attach: samples in the file" "$NSAMPLES" "$(calc "(300000000 - 50000000) / $PERIOD")"
expect_count_le "attach: samples in the file" "$NSAMPLES" "$(calc "($c1 - $c0 + 50000000) / $PERIOD")"
kill -TERM "$sp"
wait_bg "$sp" 10
note "attach + SIGINT: $NSAMPLES samples, exit 0"
exit 0
