#!/usr/bin/env bash
# record-syntax.sh - perf's event syntax in record: modifier letters in any combination, raw
# events, PMU/TERM=VALUE/ events, and errors that name the real cause. With a hardware PMU the
# hardware events are sampled for real; without one they fall back (or fail with the reason).
set -eu
. "$TOP_SRCDIR/tests/lib.sh"
require_perf_events
require_prog hot
cd "$T"

# attr FILE FIELD: the value of FIELD in perf evlist -v of FILE's first event
attr()
{
    perf evlist -v -i "$1" 2>/dev/null | head -1 | tr ',' '\n' | sed -n "s/^ *$2: //p" | head -1
}

PMU=no
have_hw_pmu && PMU=yes
note "hardware PMU: $PMU"

# :ppp on a software event records (perf takes precise on any event), with precise_ip 3
run_hwprof ppp record -e cpu-clock:ppp -o ppp.data -- "$PROGS/hot" 0.2
expect_rc ppp 0
assert_file_complete ppp.data
[ "$(attr ppp.data precise_ip)" = 3 ] || fail "-e cpu-clock:ppp: precise_ip is '$(attr ppp.data precise_ip)', expected 3"

# :uk counts both levels, :u user space only
run_hwprof uk record -e cpu-clock:uk,page-faults:u -o uk.data -- "$PROGS/hot" 0.1
if [ "$(id -u)" = 0 ] || [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -le 1 ]; then
    expect_rc uk 0
    [ -z "$(attr uk.data exclude_kernel)" ] || fail "-e cpu-clock:uk excludes the kernel"
fi

# cycles:ppp: precise sampling on a PMU (:P where the PMU supports less), the fallback without one
run_hwprof cyc record -e cycles:P -o cyc.data -- "$PROGS/hot" 0.2
expect_rc cyc 0
assert_file_complete cyc.data
if [ "$PMU" = yes ]; then
    [ "$(attr cyc.data type)" != 1 ] || fail "-e cycles:P fell back to a software event on a PMU"
    [ -n "$(attr cyc.data precise_ip)" ] || note "cycles:P: this PMU has no precise sampling"
else
    grep -q 'cycles:P is not supported here (no hardware PMU); sampling cpu-clock' cyc.err || {
        show cyc
        fail "-e cycles:P without a PMU: no fallback notice"
    }
fi

# a group with cache-misses: sampled for real on a PMU; without one the leader falls back and the
# members, which cannot be counted, are dropped with a notice each
run_hwprof grp record -e '{cycles,instructions,cache-misses}' -o grp.data -- "$PROGS/hot" 0.2
expect_rc grp 0
assert_file_complete grp.data
if [ "$PMU" = yes ]; then
    n=$(perf evlist -i grp.data 2>/dev/null | grep -cE '^(cycles|instructions|cache-misses)' || true)
    [ "$n" = 3 ] || fail "the group recording holds $n of its 3 events"
    perf report -i grp.data --stdio --group --no-children --sort sym 2>/dev/null | grep -q hot_function ||
        fail "perf report --group does not show the group's samples in hot_function"
else
    for m in instructions cache-misses; do
        grep -q "$m is not supported here (no hardware PMU); dropping it from its group" grp.err || {
            show grp
            fail "group without a PMU: no notice that $m is dropped"
        }
    done
fi

# a raw event (retired instructions on Intel and AMD: 0xc0)
run_hwprof raw record -e r0c0:u -o raw.data -- "$PROGS/hot" 0.2
expect_rc raw 0
if [ "$PMU" = yes ]; then
    [ "$(attr raw.data type)" = 4 ] && [ "$(attr raw.data config)" = 0xc0 ] ||
        fail "-e r0c0: the recording's event is type $(attr raw.data type) config $(attr raw.data config)"
else
    grep -q 'r0c0:u is not supported here' raw.err || {
        show raw
        fail "-e r0c0 without a PMU: no fallback notice"
    }
fi

# PMU/TERM/: the CPU PMU's own syntax where sysfs has one, an error naming the PMUs otherwise
if [ -d /sys/bus/event_source/devices/cpu ]; then
    run_hwprof pmu record -e cpu/event=0xc0,umask=0x0/u -o pmu.data -- "$PROGS/hot" 0.2
    expect_rc pmu 0
    [ "$(attr pmu.data config)" = 0xc0 ] || fail "cpu/event=0xc0/: config is $(attr pmu.data config)"
else
    run_hwprof pmu record -e cpu/event=0xc0,umask=0x0/u -o pmu.data -- "$PROGS/hot" 0.2
    expect_rc_nonzero pmu
    grep -q "unknown PMU 'cpu'.*software" pmu.err || {
        show pmu
        fail "cpu/event=.../ without a cpu PMU: the error does not name the PMUs there are"
    }
fi

# a counting-only PMU (msr) cannot sample: the error says to count it with hwprof stat
if [ -d /sys/bus/event_source/devices/msr ]; then
    run_hwprof msr record -e msr/tsc/ -o msr.data -- "$PROGS/hot" 0.1
    expect_rc_nonzero msr
    grep -q "hwprof stat" msr.err || {
        show msr
        fail "msr/tsc/ cannot sample: the error does not point at hwprof stat"
    }
fi

# a libpfm4 name of another CPU: the error names that, not tracepoints
run_hwprof inst record -e INST_RETIRED:ANY_P -o inst.data -- "$PROGS/hot" 0.1
if [ "$RC" != 0 ]; then
    if grep -Eqi 'tracepoint|tracefs' inst.err; then
        show inst
        fail "-e INST_RETIRED:ANY_P talks about tracepoints"
    fi
    grep -q "unknown event 'INST_RETIRED:ANY_P': INST_RETIRED is an event of" inst.err || {
        show inst
        fail "-e INST_RETIRED:ANY_P: the error does not say which PMU models have it"
    }
fi

# --no-fallback on a machine without a PMU names that cause
if [ "$PMU" = no ]; then
    run_hwprof nofb record --no-fallback -e cycles:ppp -o nofb.data -- "$PROGS/hot" 0.1
    expect_rc_nonzero nofb
    grep -q "no hardware PMU" nofb.err || {
        show nofb
        fail "--no-fallback -e cycles:ppp: the error does not say there is no hardware PMU"
    }
fi
exit 0
