#!/bin/bash
# hostile-record.sh - e2e: hwprof record under stress and hostile conditions: 64 threads, 500 forks, a full disk, -F above the kernel's limit, -p of dead or foreign pids.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$TOP_SRCDIR/tests/report-lib.sh"

require_perf_events
require_prog many-threads many-forks spinner hot
cd "$T"
ulimit -c 0 2>/dev/null || true

FULL="$T/full"
SPINNERS=""

# The tmpfs of the full-disk checks is unmounted, and spinners this test started as root are
# killed, before lib_cleanup removes $T.
hostile_cleanup()
{
    local rc=$? p
    set +e
    for p in $SPINNERS; do
        kill -KILL "$p" 2>/dev/null || true
    done
    if [ -d "$FULL" ] && mountpoint -q "$FULL" 2>/dev/null; then
        umount "$FULL" 2>/dev/null || umount -l "$FULL" 2>/dev/null || true
    fi
    (exit "$rc")
    lib_cleanup
}
trap hostile_cleanup EXIT

# expect_error NAME REGEX WHAT: fails unless hwprof's stderr ($T/NAME.err) has no sanitizer report
# and exactly one line, which matches the (case-insensitive, extended) REGEX.
expect_error()
{
    expect_no_sanitizer "$1"
    local n
    n=$(grep -vc '^$' "$1.err" || true)
    if [ "$n" != 1 ]; then
        show "$1"
        fail "$1: hwprof printed $n lines on stderr, expected a one-line error"
    fi
    grep -Eiq -- "$2" "$1.err" || {
        show "$1"
        fail "$1: the error does not mention $3"
    }
}

# expect_error_line NAME REGEX WHAT: like expect_error, but other lines (notices) are allowed as
# long as exactly one line matches REGEX.
expect_error_line()
{
    expect_no_sanitizer "$1"
    local n
    n=$(grep -Eic -- "$2" "$1.err" || true)
    if [ "$n" != 1 ]; then
        show "$1"
        fail "$1: $n lines on stderr mention $3, expected one error line"
    fi
}

# spinner_pid NAME: the pid the spinner printed ("PID ready") on $T/NAME.out, or nothing.
spinner_pid()
{
    awk '/ ready$/ { print $1; exit }' "$1.out"
}

# expect_spinner_gone NAME: fails if the spinner started under hwprof run NAME is still running
# (a second after hwprof's exit).
expect_spinner_gone()
{
    local sp
    sp=$(spinner_pid "$1")
    [ -n "$sp" ] || return 0
    SPINNERS="$SPINNERS $sp"
    local tenths=10
    while is_running "$sp" && [ "$(cat "/proc/$sp/comm" 2>/dev/null)" = spinner ]; do
        if [ "$tenths" -le 0 ]; then
            show "$1"
            fail "$1: the workload (spinner, pid $sp) keeps running after hwprof exited"
        fi
        sleep 0.1
        tenths=$((tenths - 1))
    done
}

# --- 64 threads: every thread is followed, the file is complete ---
mkdir o-mt
run_hwprof mt record -e cpu-clock -o o-mt/f.data -- "$PROGS/many-threads"
expect_no_sanitizer mt
expect_rc mt 0
grep -q '^many-threads: 64 threads' mt.out || {
    show mt
    fail "mt: many-threads did not run to completion"
}
assert_only_files o-mt f.data
assert_summary mt cpu-clock
assert_file_complete o-mt/f.data
perf_samples o-mt/f.data >mt.tsv
mt_spin=$(count_leaf mt.tsv many_thread_spin)
mt_tids=$(distinct_tids mt.tsv 'leaf == "many_thread_spin"')
mt_pids=$(awk -F '\t' '{ p[$2] = 1 } END { n = 0; for (k in p) n++; print n }' mt.tsv)
note "64 threads: $NSAMPLES samples, many_thread_spin: $mt_spin from $mt_tids tids"
# Each thread spins 30 ms of CPU at 999 Hz: ~30 samples each, so nearly all 64 must show up.
assert_ge "distinct tids sampled in many_thread_spin" "$mt_tids" 56
[ "$mt_pids" = 1 ] || fail "mt: samples come from $mt_pids pids, expected the one process"
run_report mt-rep -i o-mt/f.data --stdio
has_row mt-rep.tsv many_thread_spin || {
    show mt-rep
    fail "mt: hwprof report shows no many_thread_spin row"
}

# --- 500 short-lived children: bounded time, every child followed, no fd growth in hwprof ---
mkdir o-mf
start_bg "$HWPROF" record -e cpu-clock -o o-mf/f.data -- "$PROGS/many-forks" </dev/null \
    >mf.out 2>mf.err
hw=$BG_PID
ncpu=$(getconf _NPROCESSORS_ONLN)
fd_limit=$((32 + 4 * ncpu))
fd_max=0
start=$(date +%s)
while is_running "$hw"; do
    n=$(ls "/proc/$hw/fd" 2>/dev/null | wc -l)
    [ "$n" -le "$fd_max" ] || fd_max=$n
    if [ $(($(date +%s) - start)) -ge 60 ]; then
        show mf
        fail "mf: hwprof recording 500 forks did not finish within 60 s"
    fi
    sleep 0.02
done
wait_bg "$hw" 5
expect_no_sanitizer mf
expect_rc mf 0
grep -q '^many-forks: 500 of 500 children exited 0' mf.out || {
    show mf
    fail "mf: not all 500 children exited 0 under hwprof"
}
assert_only_files o-mf f.data
assert_summary mf cpu-clock
assert_file_complete o-mf/f.data
perf_samples o-mf/f.data >mf.tsv
# Only the children run fork_child_work.
child_pids=$(awk -F '\t' '{ l = $5; sub(/;.*/, "", l) }
    l == "fork_child_work" { p[$2] = 1 } END { n = 0; for (k in p) n++; print n }' mf.tsv)
note "500 forks: $NSAMPLES samples, fork_child_work in $child_pids child pids," \
    "hwprof held at most $fd_max fds (limit $fd_limit)"
assert_ge "child pids sampled in fork_child_work" "$child_pids" 20
[ "$fd_max" -le "$fd_limit" ] ||
    fail "mf: hwprof held $fd_max open fds while recording 500 children (limit $fd_limit): an fd leak?"

# --- full disk: a 256 KiB tmpfs ---
NOSPACE='No space left'
# The advice: more than the errno text ("No space left on device" mentions no remedy).
ADVICE='free (some |disk )?space|elsewhere|another (dir|disk|file|path|location)|(use|with|pass) -o'
mkdir "$FULL"
if ! mount -t tmpfs -o size=256k none "$FULL" 2>mount.err; then
    note "SKIPPED the full-disk checks: cannot mount a tmpfs ($(head -1 mount.err))"
    rmdir "$FULL"
else
    rate=$(cat /proc/sys/kernel/perf_event_max_sample_rate)
    hz=$((rate < 10000 ? rate : 10000))

    # The disk fills during the recording (~1 MB per second of the spinner's CPU time at 10 kHz):
    # hwprof stops, kills the 60 s workload and exits with an error before the workload ends.
    start_bg "$HWPROF" record -e cpu-clock -F "$hz" -o "$FULL/f.data" -- "$PROGS/spinner" 60 \
        </dev/null >full-rec.out 2>full-rec.err
    wait_bg "$BG_PID" 60
    ! grep -q 'time is up' full-rec.out || fail "full-rec: the workload ran to its end: the disk never filled"
    expect_rc_nonzero full-rec
    expect_error full-rec "$NOSPACE" "'$NOSPACE'"
    expect_error full-rec "$ADVICE" "advice (free space, write elsewhere with -o)"
    assert_only_files "$FULL"
    expect_spinner_gone full-rec

    # The same with a .pb.gz output: the recording kept for the conversion goes too.
    start_bg "$HWPROF" record -e cpu-clock -F "$hz" -o "$FULL/f.pb.gz" -- "$PROGS/spinner" 60 \
        </dev/null >full-pb.out 2>full-pb.err
    wait_bg "$BG_PID" 60
    ! grep -q 'time is up' full-pb.out || fail "full-pb: the workload ran to its end: the disk never filled"
    expect_rc_nonzero full-pb
    expect_error full-pb "$NOSPACE" "'$NOSPACE'"
    expect_error full-pb "$ADVICE" "advice (free space, write elsewhere with -o)"
    assert_only_files "$FULL"
    expect_spinner_gone full-pb

    # A disk that is full before hwprof starts.
    dd if=/dev/zero of="$FULL/filler" bs=4k 2>/dev/null || true
    start_bg "$HWPROF" record -e cpu-clock -o "$FULL/g.data" -- "$PROGS/spinner" 60 \
        </dev/null >full-pre.out 2>full-pre.err
    wait_bg "$BG_PID" 60
    expect_rc_nonzero full-pre
    expect_error full-pre "$NOSPACE" "'$NOSPACE'"
    expect_error full-pre "$ADVICE" "advice (free space, write elsewhere with -o)"
    assert_only_files "$FULL" filler
    expect_spinner_gone full-pre

    # convert into the full disk, in each output format.
    run_hwprof conv-src record -e cpu-clock -o conv.data -- "$PROGS/hot"
    expect_rc conv-src 0
    for out in p.pb.gz p.pb p.folded; do
        name="full-conv-${out##*.}"
        run_hwprof "$name" convert -i conv.data -o "$FULL/$out"
        expect_rc_nonzero "$name"
        expect_error "$name" "$NOSPACE" "'$NOSPACE'"
        expect_error "$name" "$ADVICE" "advice (free space, write elsewhere with -o)"
        assert_only_files "$FULL" filler
    done
    note "full disk: record, record -o .pb.gz, record into a full disk and convert fail cleanly"
fi

# --- a frequency above kernel.perf_event_max_sample_rate ---
rate=$(cat /proc/sys/kernel/perf_event_max_sample_rate)
big=$((rate * 10 > 1000000 ? rate * 10 : 1000000))
mkdir o-maxrate o-maxrate-low
# lowered to the limit with one warning, as perf does ...
run_hwprof maxlow record -e cpu-clock -F "$big" -o o-maxrate-low/f.data -- "$PROGS/hot" 0.1
expect_rc maxlow 0
[ "$(grep -c "$big Hz is above kernel.perf_event_max_sample_rate" maxlow.err)" = 1 ] ||
    { show maxlow; fail "maxrate: no single warning that -F $big is lowered"; }
# ... an error with --strict-freq
run_hwprof maxrate record --strict-freq -e cpu-clock -F "$big" -o o-maxrate/f.data -- "$PROGS/hot"
expect_rc_nonzero maxrate
expect_error maxrate 'perf_event_max_sample_rate' "kernel.perf_event_max_sample_rate"
expect_error maxrate "-F $rate|$rate or lower|sysctl" "what to do (a lower -F or the sysctl)"
grep -q '^hot: checksum' maxrate.out && fail "maxrate: the workload ran although -F $big cannot work"
assert_only_files o-maxrate

# --- -p of a pid that existed and has been reaped: the error names it, no file ---
sh -c 'exit 0' &
dead=$!
wait "$dead" || true
if [ -e "/proc/$dead" ]; then
    note "SKIPPED the reaped-pid check: pid $dead was reused at once"
else
    mkdir o-dead
    run_hwprof dead record -e cpu-clock -p "$dead" -d 1 -o o-dead/f.data
    expect_rc_nonzero dead
    expect_error dead "\\<$dead\\>" "the pid $dead"
    assert_only_files o-dead

    # A live pid and the dead one: the error names the dead one, the live one is left alone.
    start_bg "$PROGS/spinner" 60 >live.out 2>live.err
    live=$BG_PID
    wait_for_line live.out ' ready$' 10
    mkdir o-mixed
    run_hwprof mixed record -e cpu-clock -p "$live,$dead" -d 1 -o o-mixed/f.data
    expect_rc_nonzero mixed
    expect_error mixed "\\<$dead\\>" "the pid $dead"
    assert_only_files o-mixed
    is_running "$live" || fail "mixed: the live process $live died when -p $live,$dead failed"
    if grep -q 'stopped by signal' live.out; then
        fail "mixed: hwprof sent a signal to the live process $live it failed to attach to"
    fi
fi

# --- -p of another user's process, run as user nobody ---
NB_UID=65534
as_nobody()
{
    setpriv --reuid=$NB_UID --regid=$NB_UID --clear-groups "$@"
}
if ! command -v setpriv >/dev/null 2>&1 || [ "$(id -u)" != 0 ] ||
    ! as_nobody true 2>/dev/null; then
    note "SKIPPED the foreign-pid check: cannot run as user nobody (needs root and setpriv)"
else
    # nobody runs a copy of hwprof from a 0755 dir it owns, and writes there.
    NB="$T/nobody"
    mkdir -m 0755 "$NB"
    cp "$HWPROF" "$NB/hwprof"
    mkdir -m 0755 "$NB/out"
    chown -R "$NB_UID:$NB_UID" "$NB"
    start_bg "$PROGS/spinner" 60 >root-sp.out 2>root-sp.err
    rsp=$BG_PID
    wait_for_line root-sp.out ' ready$' 10
    RC=0
    (cd "$NB" && timeout -k 5 "${HWPROF_TEST_TIMEOUT:-120}" setpriv --reuid=$NB_UID \
        --regid=$NB_UID --clear-groups ./hwprof record -e cpu-clock -p "$rsp" -d 1 -o out/f.data \
        </dev/null >"$T/foreign.out" 2>"$T/foreign.err") || RC=$?
    expect_rc_nonzero foreign
    # A notice that kernel frames are left out may come first; the error is the one other line.
    expect_error_line foreign 'permission|not permitted|not allowed' "a permission error"
    grep -Ei 'permission|not permitted|not allowed' foreign.err >foreign.line
    grep -Eiq 'root' foreign.line || {
        show foreign
        fail "foreign: the permission error gives no advice (run as root)"
    }
    grep -Eq "\\<$rsp\\>" foreign.line || {
        show foreign
        fail "foreign: the permission error does not name pid $rsp (the process of another user)"
    }
    assert_only_files "$NB/out"
    is_running "$rsp" || fail "foreign: root's process $rsp died when nobody failed to attach to it"
fi
exit 0
