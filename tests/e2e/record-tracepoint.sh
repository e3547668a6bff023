#!/usr/bin/env bash
# record-tracepoint.sh - tracepoints as sampling events: -e syscalls:sys_enter_clock_nanosleep -c 1
# records one sample per call, perf script prints their fields, the sample type keeps the whole
# name; -e sched:sched_switch records; without tracefs the error says how to mount it. tracefs is
# mounted in a private mount namespace, so the rest of the machine is left as it is.
set -eu
. "$TOP_SRCDIR/tests/lib.sh"
require_perf_events
require_prog nanosleeps
cd "$T"
CALLS=25
TP=syscalls:sys_enter_clock_nanosleep

if [ "$(id -u)" != 0 ]; then
    # tracefs is root's, and a tracepoint's fields need root or CAP_PERFMON: the error says so
    run_hwprof np record -e "$TP" -c 1 -o np.data -- "$PROGS/nanosleeps" "$CALLS"
    expect_rc_nonzero np
    grep -Eq 'tracefs|root|CAP_PERFMON|perf_event_paranoid' np.err || {
        show np
        fail "an unprivileged tracepoint recording does not name the cause"
    }
    exit 0
fi
command -v unshare >/dev/null 2>&1 || fail "unshare (util-linux) is needed to mount tracefs privately"
REAL_HWPROF=$HWPROF
# hwprof in a mount namespace of its own, with tracefs mounted (or unmounted: NOTRACEFS=1)
cat >"$T/hwprof-ns" <<'SH'
#!/bin/sh
exec unshare -m sh -c '
    if [ -n "$NOTRACEFS" ]; then
        for m in $(awk "\$3 == \"tracefs\" { print \$2 }" /proc/mounts); do umount -l "$m"; done
    elif ! grep -q " /sys/kernel/tracing tracefs " /proc/mounts; then
        mount -t tracefs nodev /sys/kernel/tracing || exit 99
    fi
    exec "$@"' sh "$REAL_HWPROF" "$@"
SH
chmod +x "$T/hwprof-ns"
export REAL_HWPROF
HWPROF="$T/hwprof-ns"

run_hwprof tp record -e "$TP" -c 1 -o tp.data -- "$PROGS/nanosleeps" "$CALLS"
[ "$RC" != 99 ] || fail "cannot mount tracefs in a private mount namespace"
expect_rc tp 0
grep -q "^nanosleeps: $CALLS calls, 0 failed" tp.out || {
    show tp
    fail "the workload did not make its $CALLS calls"
}
grep -q "^hwprof: $TP: $CALLS samples, 0 lost" tp.err || {
    show tp
    fail "expected exactly $CALLS samples of $TP, one per call"
}
# perf script prints each sample with the tracepoint's fields (from the file's tracing data)
perf_script_raw tp.data >tp.script
n=$(grep -c "$TP:.*which_clock: 0x0*1," tp.script || true) # CLOCK_MONOTONIC is 1
[ "$n" = "$CALLS" ] || {
    head -5 tp.script >&2
    fail "perf script printed $n samples with the tracepoint's fields, expected $CALLS"
}
# report: every sample in sleep_once, the event's whole name
HWPROF=$REAL_HWPROF run_hwprof rep report -i tp.data --stdio -n 0
expect_rc rep 0
grep -q "sleep_once" rep.out || {
    show rep
    fail "hwprof report does not charge the tracepoint samples to sleep_once"
}
grep -q "$TP/count" rep.out || {
    show rep
    fail "hwprof report lost the tracepoint's name in the sample type (expected $TP/count)"
}

# a scheduler tracepoint: a switch at each sleep at least
run_hwprof sw record -e sched:sched_switch -o sw.data -- "$PROGS/nanosleeps" "$CALLS"
expect_rc sw 0
perf_script_raw sw.data >sw.script
n=$(grep -c 'sched:sched_switch:.*prev_comm=nanosleeps' sw.script || true)
assert_ge "sched_switch samples leaving nanosleeps" "$n" "$CALLS"

# perf's own tracepoint recording: hwprof report and convert keep the whole name as sample type
unshare -m sh -c 'grep -q " /sys/kernel/tracing tracefs " /proc/mounts ||
    mount -t tracefs nodev /sys/kernel/tracing; exec "$@"' sh \
    perf record -q -e "$TP" -o perf.data -- "$PROGS/nanosleeps" "$CALLS" >perfrec.out 2>perfrec.err ||
    { cat perfrec.err >&2; fail "perf record -e $TP failed"; }
HWPROF=$REAL_HWPROF run_hwprof prep report -i perf.data --stdio -n 5
expect_rc prep 0
grep -q "$TP/count" prep.out || {
    show prep
    fail "hwprof report of perf's tracepoint recording lost the name (expected $TP/count)"
}
HWPROF=$REAL_HWPROF run_hwprof conv convert -i perf.data -o perf.folded --sample-index "$TP"
expect_rc conv 0
awk '{ s += $NF } END { exit s != '"$CALLS"' }' perf.folded || {
    head -5 perf.folded >&2
    fail "convert --sample-index $TP: the folded stacks do not add up to $CALLS calls"
}

# without tracefs
NOTRACEFS=1 run_hwprof none record -e "$TP" -o none.data -- "$PROGS/nanosleeps" 1
expect_rc_nonzero none
grep -q "mount -t tracefs" none.err || {
    show none
    fail "without tracefs the error does not say how to mount it"
}
[ ! -e none.data ] || fail "a failed recording left none.data behind"
exit 0
