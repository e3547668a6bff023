#!/usr/bin/env bash
# record-attach-edges.sh - attach and --duration corner cases: a pid given twice, a thread id, an early-exiting pid, --duration with a command.
set -eu
. "$TOP_SRCDIR/tests/lib.sh"
require_perf_events
require_prog spinner threads

# A pid given twice is recorded once (not every sample twice).
"$PROGS/spinner" 4 >"$T/sp.out" &
SP=$!
sleep 0.3
"$HWPROF" record -e cpu-clock -F 100 -p "$SP,$SP" -d 1 -o "$T/twice.data" 2>"$T/twice.err" ||
    fail "-p PID,PID failed: $(cat "$T/twice.err")"
n=$(sed -n 's/^hwprof: cpu-clock: \([0-9]*\) samples.*/\1/p' "$T/twice.err")
[ -n "$n" ] || fail "no sample count in: $(cat "$T/twice.err")"
[ "$n" -le 130 ] || fail "-p PID,PID recorded $n samples at 100 Hz in 1 s: every thread was opened twice"

# An attached process that exits while another is still recorded costs no CPU (no busy poll).
sleep 0.5 &
A=$!
/usr/bin/time -f '%U %S' -o "$T/cpu" "$HWPROF" record -q -e cpu-clock -p "$A,$SP" -d 2 -o "$T/early.data" ||
    fail "-p with an exiting pid failed"
cpu=$(awk '{ print $1 + $2 }' "$T/cpu")
awk -v c="$cpu" 'BEGIN { exit !(c < 1.0) }' || fail "hwprof used ${cpu}s of CPU in 2 s after a pid exited (busy loop?)"
kill "$SP" 2>/dev/null || true
wait "$SP" 2>/dev/null || true

# A thread id attaches to its process and the recording ends when the process does.
"$PROGS/threads" 1 >/dev/null &
TP=$!
sleep 0.2
tid=$(ls "/proc/$TP/task" | grep -vx "$TP" | head -n 1 || true)
if [ -n "$tid" ]; then
    rc=0
    timeout 30 "$HWPROF" record -q -e cpu-clock -p "$tid" -o "$T/tid.data" || rc=$?
    [ "$rc" = 0 ] || fail "-p TID exited with $rc (124: it did not stop when the process ended)"
    [ -s "$T/tid.data" ] || fail "-p TID wrote no file"
fi
wait "$TP" 2>/dev/null || true

# --duration with a command ends the command and succeeds promptly.
start=$(date +%s)
rc=0
"$HWPROF" record -q -e cpu-clock -d 1 -o "$T/dur.data" -- sleep 20 || rc=$?
took=$(($(date +%s) - start))
[ "$rc" = 0 ] || fail "record -d 1 -- sleep 20 exited with $rc"
[ "$took" -le 6 ] || fail "record -d 1 -- sleep 20 took ${took}s"
perf script -i "$T/dur.data" >/dev/null 2>"$T/dur.err" || fail "the -d recording is unreadable: $(cat "$T/dur.err")"
exit 0
