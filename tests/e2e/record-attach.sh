#!/bin/bash
# record-attach.sh - e2e: hwprof record -p attaches to running spinners (one pid, then two) for -d 1.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

require_perf_events
require_prog spinner
cd "$T"
mkdir out1 out2

# start_spinner NAME: starts a spinner for at most 60 s and waits until it is ready; sets SPID.
start_spinner()
{
    start_bg "$PROGS/spinner" 60 >"$1.out" 2>"$1.err"
    SPID=$BG_PID
    wait_for_line "$1.out" ' ready$' 10
    local printed
    printed=$(awk '/ ready$/ { print $1; exit }' "$1.out")
    [ "$printed" = "$SPID" ] || fail "spinner printed pid $printed, but the shell started $SPID"
}

now()
{
    date +%s.%N
}

# --- one pid ---
start_spinner sp1
pid1=$SPID
t0=$(now)
run_hwprof att1 record -e cpu-clock -p "$pid1" -d 1 -o out1/attach.data
t1=$(now)
expect_rc att1 0
assert_only_files out1 attach.data
assert_summary att1 cpu-clock
elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }')
assert_between "seconds hwprof ran with -d 1" "$elapsed" 0.9 10
is_running "$pid1" || fail "the spinner $pid1 died while or after hwprof was attached"

perf_samples out1/attach.data >s1.tsv
total=$(count_samples s1.tsv)
mine=$(count_where s1.tsv "\$2 == $pid1")
loop=$(count_where s1.tsv "\$2 == $pid1 && leaf == \"spinner_loop\"")
chain=$(count_chain_prefix s1.tsv "spinner_loop;main")
note "one pid: $total samples, pid $pid1: $mine, spinner_loop leaf: $loop, spinner_loop<-main: $chain"
assert_ge "samples of pid $pid1 in 1 s" "$mine" 50
# spinner_loop resolves only if hwprof synthesized the spinner's mmaps when attaching.
assert_ge "spinner_loop leaf fraction of pid $pid1" "$(fraction "$loop" "$mine")" 0.8
assert_ge "fraction of spinner_loop samples with callchain spinner_loop<-main" \
    "$(fraction "$chain" "$loop")" 0.8
[ "$(count_where s1.tsv '$1 != "spinner"')" -le $((total / 20)) ] ||
    fail "more than 5% of the samples have a comm other than 'spinner'"

kill -TERM "$pid1"
wait_bg "$pid1" 10
[ "$RC" = 0 ] || fail "spinner $pid1 exited with $RC after SIGTERM, expected 0"

# --- two pids ---
start_spinner sp2
pid2=$SPID
start_spinner sp3
pid3=$SPID
run_hwprof att2 record -e cpu-clock -p "$pid2,$pid3" -d 1 -o out2/attach2.data
expect_rc att2 0
assert_only_files out2 attach2.data
perf_samples out2/attach2.data >s2.tsv
a=$(count_where s2.tsv "\$2 == $pid2 && leaf == \"spinner_loop\"")
b=$(count_where s2.tsv "\$2 == $pid3 && leaf == \"spinner_loop\"")
other=$(count_where s2.tsv "\$2 != $pid2 && \$2 != $pid3")
note "two pids: spinner_loop samples of $pid2: $a, of $pid3: $b; samples of other pids: $other"
assert_ge "spinner_loop samples of pid $pid2" "$a" 50
assert_ge "spinner_loop samples of pid $pid3" "$b" 50
[ "$(count_where s2.tsv "\$2 == $pid1")" = 0 ] || fail "samples of pid $pid1, which was not attached"

for p in $pid2 $pid3; do
    is_running "$p" || fail "spinner $p died while or after hwprof was attached"
    kill -TERM "$p"
    wait_bg "$p" 10
    [ "$RC" = 0 ] || fail "spinner $p exited with $RC after SIGTERM, expected 0"
done
exit 0
