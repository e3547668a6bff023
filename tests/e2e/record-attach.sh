#!/bin/bash
# record-attach.sh - e2e: hwprof record -p attaches to running spinners (one pid, then two) for -d 1: their CPU time while recorded, a sample per period.
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

# attach_record NAME DIR/FILE PID[,PID...]: runs hwprof record -e cpu-clock -p PIDS -d 1 -o
# DIR/FILE (RC, $T/NAME.out/.err, ELAPSED in seconds) and measures each pid's CPU time (schedstat)
# from when hwprof opened its events to its exit: LO[pid] is the CPU time the pid surely had
# while recorded (that, less the part of the span outside the 1 s recording, less 20 ms for the
# polling: one CPU second per second at most), HI[pid] the most it can have had.
declare -A LO HI
attach_record()
{
    local name=$1 out=$2 pids=$3 p t0 w0 w1 hw
    declare -A c0
    t0=$(now_ns)
    start_bg "$HWPROF" record -e cpu-clock -p "$pids" -d 1 -o "$out" </dev/null >"$name.out" 2>"$name.err"
    hw=$BG_PID
    wait_perf_fds "$hw" 60
    w0=$(now_ns)
    for p in ${pids//,/ }; do
        c0[$p]=$(task_cpu_ns "$p")
    done
    wait_bg "$hw" 120
    w1=$(now_ns)
    ELAPSED=$(calc "($w1 - $t0) / 1e9")
    for p in ${pids//,/ }; do
        HI[$p]=$(($(task_cpu_ns "$p") - c0[$p]))
        LO[$p]=$(calc "(${HI[$p]} - ($w1 - $w0 - 0.98e9)) > 0 ? ${HI[$p]} - ($w1 - $w0 - 0.98e9) : 0")
    done
}

# --- one pid ---
start_spinner sp1
pid1=$SPID
attach_record att1 out1/attach.data "$pid1"
expect_rc att1 0
assert_only_files out1 attach.data
assert_summary att1 cpu-clock
assert_between "seconds hwprof ran with -d 1" "$ELAPSED" 0.9 60
is_running "$pid1" || fail "the spinner $pid1 died while or after hwprof was attached"

clock_period out1/attach.data
perf_samples out1/attach.data >s1.tsv
total=$(count_samples s1.tsv)
mine=$(count_where s1.tsv "\$2 == $pid1")
loop=$(count_where s1.tsv "\$2 == $pid1 && leaf == \"spinner_loop\"")
chain=$(count_chain_prefix s1.tsv "spinner_loop;main")
note "one pid: $total samples, pid $pid1: $mine, spinner_loop leaf: $loop, spinner_loop<-main: $chain;" \
    "the spinner used $(calc "${LO[$pid1]} / 1e6") ms to $(calc "${HI[$pid1]} / 1e6") ms of CPU time while recorded"
# The samples are the spinner's CPU time while recorded, a period each.
expect_count_ge "samples of pid $pid1" "$mine" "$(calc "${LO[$pid1]} / $PERIOD")"
expect_count_le "samples of pid $pid1" "$mine" "$(calc "${HI[$pid1]} / $PERIOD")"
# spinner_loop resolves only if hwprof synthesized the spinner's mmaps when attaching.
kill -TERM "$pid1"
wait_bg "$pid1" 10
[ "$RC" = 0 ] || fail "spinner $pid1 exited with $RC after SIGTERM, expected 0"
load_truth sp1.out
need_truth spinner_loop.cpu_ns main.cpu_ns
expect_share "spinner_loop leaf share of pid $pid1's samples" "$loop" "$mine" \
    "$(calc "$(truth spinner_loop.cpu_ns) / $(truth main.cpu_ns)")"
assert_ge "fraction of spinner_loop samples with callchain spinner_loop<-main" \
    "$(fraction "$chain" "$loop")" 0.8
[ "$(count_where s1.tsv '$1 != "spinner"')" -le $((total / 20)) ] ||
    fail "more than 5% of the samples have a comm other than 'spinner'"

# --- two pids ---
start_spinner sp2
pid2=$SPID
start_spinner sp3
pid3=$SPID
attach_record att2 out2/attach2.data "$pid2,$pid3"
expect_rc att2 0
assert_only_files out2 attach2.data
perf_samples out2/attach2.data >s2.tsv
other=$(count_where s2.tsv "\$2 != $pid2 && \$2 != $pid3")
for p in $pid2 $pid3; do
    n=$(count_where s2.tsv "\$2 == $p && leaf == \"spinner_loop\"")
    note "two pids: spinner_loop samples of $p: $n; it used $(calc "${LO[$p]} / 1e6") ms to $(calc "${HI[$p]} / 1e6") ms of CPU time while recorded"
    expect_count_ge "spinner_loop samples of pid $p" "$n" \
        "$(calc "${LO[$p]} * $(truth spinner_loop.cpu_ns) / $(truth main.cpu_ns) / $PERIOD")"
done
note "two pids: samples of other pids: $other"
[ "$(count_where s2.tsv "\$2 == $pid1")" = 0 ] || fail "samples of pid $pid1, which was not attached"

for p in $pid2 $pid3; do
    is_running "$p" || fail "spinner $p died while or after hwprof was attached"
    kill -TERM "$p"
    wait_bg "$p" 10
    [ "$RC" = 0 ] || fail "spinner $p exited with $RC after SIGTERM, expected 0"
done
exit 0
