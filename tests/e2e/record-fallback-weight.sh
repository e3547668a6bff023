#!/usr/bin/env bash
# record-fallback-weight.sh - clock samples weigh the time they cover: -e cache-misses -c 1000 on a
# machine without a PMU samples cpu-clock at a frequency and its total matches the program's CPU
# time; -e cpu-clock -c 1000 is raised to the kernel's 10 us minimum. With a PMU, cache-misses is
# sampled for real, every 1000 misses.
set -eu
. "$TOP_SRCDIR/tests/lib.sh"
require_perf_events
require_prog hot
cd "$T"

CPU_SECONDS=1.0 # hot runs until its thread has used this much CPU time

# The sum of the sample periods of FILE (ns for a clock event).
period_sum()
{
    perf_script_raw "$1" -F period | awk '{ s += $1 } END { printf "%d\n", s }'
}

run_hwprof cm record -e cache-misses -c 1000 -o cm.data -- "$PROGS/hot" "$CPU_SECONDS"
expect_rc cm 0
assert_file_complete cm.data
if have_hw_pmu; then
    note "hardware PMU: cache-misses is sampled for real"
    perf evlist -i cm.data 2>/dev/null | grep -q cache-misses || fail "the recording names no cache-misses event"
    perf_script_raw cm.data -F period | awk '$1 != 1000 { bad++ } END { exit bad > 0 }' ||
        fail "cache-misses samples do not all weigh 1000 events"
else
    grep -q 'cache-misses.*cpu-clock.*Hz' cm.err || {
        show cm
        fail "the fallback notice does not say at which frequency cpu-clock samples"
    }
    total=$(period_sum cm.data)
    # The samples weigh the CPU time hot measured in main (and a little start-up and exit), a
    # period each: within the count's tolerance (tests/truth-lib.sh) of it.
    load_truth cm.out
    need_truth main.cpu_ns process.cpu_ns
    clock_period cm.data
    note "$NSAMPLES cpu-clock samples totalling $total ns for $(truth main.cpu_ns) ns of CPU time in main"
    expect_count_ge "fallback samples" "$NSAMPLES" "$(calc "$(truth main.cpu_ns) / $PERIOD")"
    expect_count_le "fallback samples" "$NSAMPLES" "$(calc "$(truth process.cpu_ns) / $PERIOD")"
    expect_near "total of the fallback samples (ns)" "$total" "$(calc "$NSAMPLES * $PERIOD")" 0
fi

# cpu-clock every 1000 ns: raised to 10000 ns, said once, and the total still matches.
run_hwprof clk record -e cpu-clock -c 1000 -o clk.data -- "$PROGS/hot" 0.3
expect_rc clk 0
grep -q '10000 ns' clk.err || {
    show clk
    fail "-e cpu-clock -c 1000: no notice that the period becomes 10000 ns"
}
perf evlist -v -i clk.data 2>/dev/null | grep -Eq 'sample_period[^:]*: 10000([^0-9]|$)' || {
    perf evlist -v -i clk.data >&2 || true
    fail "-e cpu-clock -c 1000: the recording's period is not 10000"
}
exit 0
