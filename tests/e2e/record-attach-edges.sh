#!/usr/bin/env bash
# record-attach-edges.sh - attach and --duration corner cases: a pid given twice, a thread id, an early-exiting pid, --duration with a command.
set -eu
. "$TOP_SRCDIR/tests/lib.sh"
require_perf_events
require_prog spinner wall-pool
cd "$T"

# A pid given twice is recorded once (not every sample twice): at 100 Hz for 1 s of recording, at
# most one sample per 10 ms of wall time (the spinner runs on one CPU at most).
start_bg "$PROGS/spinner" 60 >sp.out 2>sp.err
SP=$BG_PID
wait_for_line sp.out ' ready$' 10
run_hwprof twice record -e cpu-clock -F 100 -p "$SP,$SP" -d 1 -o twice.data
[ "$RC" = 0 ] || fail "-p PID,PID failed: $(cat twice.err)"
n=$(summary_samples twice cpu-clock)
[ "$n" -gt 0 ] || fail "no sample count in: $(cat twice.err)"
[ "$n" -le 130 ] || fail "-p PID,PID recorded $n samples at 100 Hz in 1 s: every thread was opened twice"

# An attached process that exits while another is still recorded costs no CPU (no busy poll): the
# first exits once hwprof has opened its events, hwprof records the other for 2 s more.
start_bg sleep 60
A=$BG_PID
start_bg /usr/bin/time -f '%U %S' -o cpu.txt "$HWPROF" record -q -e cpu-clock -p "$A,$SP" -d 2 -o early.data
TP=$BG_PID
n=100
until HW=$(pgrep -P "$TP" -x hwprof) || HW=$(pgrep -P "$TP"); do
    [ "$n" -gt 0 ] || fail "/usr/bin/time started no hwprof"
    sleep 0.1
    n=$((n - 1))
done
wait_perf_fds "$HW" 60
kill -KILL "$A"
wait_bg "$TP" 60
[ "$RC" = 0 ] || fail "-p with an exiting pid failed (exit $RC)"
cpu=$(awk '{ print $1 + $2 }' cpu.txt)
awk -v c="$cpu" 'BEGIN { exit !(c < 1.0) }' || fail "hwprof used ${cpu}s of CPU in 2 s after a pid exited (busy loop?)"
kill -TERM "$SP"
wait_bg "$SP" 10

# A thread id attaches to its process and the recording ends when the process does: wall-pool's
# pool threads idle while its main works 5 s of wall time, then they all exit.
start_bg "$PROGS/wall-pool" 5 >pool.out
TP=$BG_PID
n=100
tid=""
while [ -z "$tid" ]; do
    tid=$(ls "/proc/$TP/task" 2>/dev/null | grep -vx "$TP" | head -n 1 || true)
    [ -n "$tid" ] || [ "$n" -gt 0 ] || fail "wall-pool ($TP) started no thread within 10 s"
    sleep 0.1
    n=$((n - 1))
done
rc=0
timeout 120 "$HWPROF" record -q -e cpu-clock -p "$tid" -o tid.data || rc=$?
[ "$rc" = 0 ] || fail "-p TID exited with $rc (124: it did not stop when the process ended)"
[ -s tid.data ] || fail "-p TID wrote no file"
wait_bg "$TP" 60
grep -q '^wall-pool: main' pool.out || fail "wall-pool did not run to its end"

# --duration with a command ends the command and succeeds promptly.
start=$(date +%s)
rc=0
"$HWPROF" record -q -e cpu-clock -d 1 -o dur.data -- sleep 20 || rc=$?
took=$(($(date +%s) - start))
[ "$rc" = 0 ] || fail "record -d 1 -- sleep 20 exited with $rc"
[ "$took" -le 6 ] || fail "record -d 1 -- sleep 20 took ${took}s"
perf script -i dur.data >/dev/null 2>dur.err || fail "the -d recording is unreadable: $(cat dur.err)"
exit 0
