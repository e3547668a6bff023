#!/bin/bash
# record-signal.sh - e2e: SIGINT/SIGTERM/SIGHUP/SIGQUIT stop hwprof record cleanly: exit status, complete file, no temp.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

require_perf_events
require_prog spinner
cd "$T"

# stop_run SIG: records a 30 s spinner, sends SIG to hwprof after ~0.7 s of spinning and checks that
# hwprof forwarded it (the spinner exits 0 on it), exits 0 and left exactly a complete file.
stop_run()
{
    local sig=$1 num dir="out-$1"
    num=$(kill -l "$sig")
    mkdir "$dir"
    start_bg "$HWPROF" record -e cpu-clock -o "$dir/f.data" -- "$PROGS/spinner" 30 \
        </dev/null >"$sig.out" 2>"$sig.err"
    local hw=$BG_PID
    wait_for_line "$sig.out" ' ready$' 10
    sleep 0.7
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
    assert_ge "SIG$sig: samples in the file" "$NSAMPLES" 50
    assert_summary "$sig" cpu-clock
    perf_samples "$dir/f.data" >"$sig.tsv"
    assert_ge "SIG$sig: spinner_loop samples" "$(count_leaf "$sig.tsv" spinner_loop)" 25
    note "SIG$sig: $NSAMPLES samples, exit 0"
}

stop_run INT
stop_run TERM
stop_run HUP  # the terminal or the SSH session went away
stop_run QUIT

# Attached (-p) recording stopped by SIGINT: exit 0, complete file, the target keeps running.
mkdir out-attach
start_bg "$PROGS/spinner" 60 >sp.out 2>sp.err
sp=$BG_PID
wait_for_line sp.out ' ready$' 10
start_bg "$HWPROF" record -e cpu-clock -p "$sp" -o out-attach/f.data </dev/null >att.out 2>att.err
hw=$BG_PID
sleep 1
is_running "$hw" || {
    show att
    fail "hwprof -p $sp exited before it was signalled"
}
kill -INT "$hw"
wait_bg "$hw" 15
expect_rc att 0
assert_only_files out-attach f.data
assert_file_complete out-attach/f.data
assert_ge "attach: samples in the file" "$NSAMPLES" 50
is_running "$sp" || fail "the attached spinner $sp died when hwprof got SIGINT"
if grep -q 'stopped by signal' sp.out; then
    fail "hwprof -p forwarded its SIGINT to the attached process"
fi
kill -TERM "$sp"
wait_bg "$sp" 10
note "attach + SIGINT: $NSAMPLES samples, exit 0"
exit 0
