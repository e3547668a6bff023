#!/bin/bash
# record-crash-safe.sh - e2e: recordings are 0600 whatever the umask, an older file is kept as NAME.old, a recording killed with SIGKILL is read by hwprof (with a warning) and perf, a bad output path fails before the workload runs.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$TOP_SRCDIR/tests/report-lib.sh"

require_perf_events
require_prog spinner hot
cd "$T"

# mode FILE: its permission bits in octal.
mode() { stat -c %a "$1"; }

# --- private recordings, whatever the umask; converted outputs follow the umask ---
(umask 022 && "$HWPROF" record -q -e cpu-clock -o priv.data -- "$PROGS/hot" >hot.out 2>hot.err) ||
    { show hot; fail "record -o priv.data failed"; }
[ "$(mode priv.data)" = 600 ] || fail "priv.data has mode $(mode priv.data) under umask 022, expected 600"
(umask 000 && "$HWPROF" record -q -e cpu-clock -o open.data -- "$PROGS/hot" >hot.out 2>hot.err) ||
    { show hot; fail "record -o open.data failed"; }
[ "$(mode open.data)" = 600 ] || fail "open.data has mode $(mode open.data) under umask 000, expected 600"
(umask 022 && "$HWPROF" record -q -e cpu-clock -o conv.folded -- "$PROGS/hot" >hot.out 2>hot.err) ||
    { show hot; fail "record -o conv.folded failed"; }
[ "$(mode conv.folded)" = 644 ] || fail "conv.folded has mode $(mode conv.folded) under umask 022, expected 644"
note "modes: recordings 600 under umask 022 and 000, a converted output 644 under umask 022"

# --- an older recording is kept as NAME.old, as perf does ---
cp priv.data before.data
run_hwprof again record -q -e cpu-clock -o priv.data -- "$PROGS/hot"
expect_rc again 0
[ -f priv.data.old ] || fail "the older priv.data was not kept as priv.data.old"
cmp -s priv.data.old before.data || fail "priv.data.old is not the older recording"
cmp -s priv.data before.data && fail "priv.data was not written again"
[ "$(mode priv.data)" = 600 ] || fail "the new priv.data has mode $(mode priv.data), expected 600"

# --- SIGKILL in the middle: the file is under its name, and both readers read it ---
mkdir k
start_bg "$HWPROF" record -e cpu-clock -F 999 -o k/killed.data -- "$PROGS/spinner" 60 \
    </dev/null >kill.out 2>kill.err
hw=$BG_PID
wait_for_line kill.out ' ready$' 20
spinner=$(awk '/ ready$/ { print $1; exit }' kill.out)
sleep 3.5 # a few one-second syncs
kill -KILL "$hw"
wait_bg "$hw" 10
kill -TERM "$spinner" 2>/dev/null || true
[ "$RC" = 137 ] || fail "hwprof record was not killed by SIGKILL (status $RC)"
assert_only_files k killed.data
mv k/killed.data killed.data
[ "$(mode killed.data)" = 600 ] || fail "killed.data has mode $(mode killed.data), expected 600"
run_report killed -i killed.data --stdio -n 5
grep -q 'warning: killed.data was not finished' killed.err || {
    show killed
    fail "hwprof report of the killed recording did not warn that it was not finished"
}
[ "$(grep -c . killed.err)" = 1 ] || { show killed; fail "more than one line on stderr"; }
hw_samples=$(report_header killed.out Samples)
[ "$(head -1 killed.tsv | cut -f6)" = spinner_loop ] || { show killed; fail "the top row is not spinner_loop"; }
# perf reads the records its header covers (written about once a second): all but the last second
perf_report_raw killed.data --sort sym >killed.perf
perf_n=$(awk '/^# Samples: / { print $3; exit }' killed.perf)
case "$perf_n" in *K) perf_n=$(awk -v v="${perf_n%K}" 'BEGIN { printf "%d", v * 1000 }') ;; esac
assert_ge "perf report's samples of the killed recording" "$perf_n" 1
assert_ge "hwprof's samples ($hw_samples) against perf's of the killed recording" "$hw_samples" \
    "$((perf_n * 98 / 100))"
note "SIGKILL after 3.5 s: hwprof reads $hw_samples samples (with one warning), perf $perf_n"

# --- a bad output path fails before the workload runs (as nobody: a root-owned file in /tmp) ---
. "$TOP_SRCDIR/tests/nobody-lib.sh"
nobody_setup spinner
echo 2 >"$PARANOID" || fail "cannot set kernel.perf_event_paranoid to 2 (as root)"
rootfile=$(mktemp /tmp/hwprof-rootfile.XXXXXX)
trap 'rm -f "$rootfile" "$rootfile.old"; nobody_cleanup' EXIT
echo "root's data" >"$rootfile"
chmod 0644 "$rootfile"
start=$(date +%s.%N)
run_nobody badpath record -e cpu-clock -o "$rootfile" -- ./spinner 60
took=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
expect_rc_nonzero badpath
grep -q "$rootfile" badpath.err || { show badpath; fail "the error does not name $rootfile"; }
grep -qi 'not permitted\|permission denied' badpath.err || { show badpath; fail "the error does not name the cause"; }
grep -q ' ready$' badpath.out && fail "the workload ran although the output could not be written"
assert_le "seconds until record failed on a bad output path" "$took" 10
[ "$(cat "$rootfile")" = "root's data" ] || fail "$rootfile was changed"
[ ! -e "$rootfile.old" ] || fail "$rootfile.old was created"
note "bad path as nobody: failed after ${took}s: $(tail -1 badpath.err)"
