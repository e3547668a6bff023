#!/bin/bash
# record-fallback.sh - e2e: -e cycles falls back to cpu-clock without a PMU; --no-fallback fails.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

require_perf_events
require_prog hot
cd "$T"
mkdir out1 out2 out3

pmu=no
if have_hw_pmu; then
    pmu=yes
    note "this machine has a hardware PMU (cycles opens): fallback assertions are skipped"
fi

# The one fallback line, e.g. "hwprof: cycles is not supported here (no hardware PMU); sampling
# cpu-clock instead (--no-fallback to fail)".
fallback_lines()
{
    grep -c 'cycles.*cpu-clock' "$1" || true
}

# --- -e cycles ---
run_hwprof cyc record -e cycles -o out1/cycles.data -- "$PROGS/hot"
expect_rc cyc 0
assert_only_files out1 cycles.data
assert_file_complete out1/cycles.data
# hot measures the CPU time of its hot_function calls and of main.
load_truth cyc.out
need_truth hot_function.cpu_ns main.cpu_ns
perf_samples out1/cycles.data >cyc.tsv
nmain=$(count_chain cyc.tsv main)
if [ "$pmu" = no ]; then
    n=$(fallback_lines cyc.err)
    [ "$n" = 1 ] || {
        show cyc
        fail "-e cycles: $n stderr lines mention cycles and cpu-clock, expected one fallback line"
    }
    grep 'cycles.*cpu-clock' cyc.err | grep -q -- '--no-fallback' || {
        show cyc
        fail "-e cycles: the fallback line does not mention --no-fallback"
    }
    assert_summary cyc cpu-clock
    [ "$(count_samples cyc.tsv cpu-clock)" = "$NSAMPLES" ] ||
        fail "-e cycles fell back, yet not all samples are cpu-clock samples"
    clock_period out1/cycles.data
    expect_count_ge "samples through main recorded with -e cycles" "$nmain" \
        "$(calc "$(truth main.cpu_ns) / $PERIOD")"
else
    # 999 samples a second of CPU time, as the kernel adjusts the period at each tick (a loose
    # bound: the adjustment lags).
    COUNT_SLACK=0.3 expect_count_ge "samples through main recorded with -e cycles" "$nmain" \
        "$(calc "$(truth main.cpu_ns) * 999 / 1e9")"
fi
expect_share "hot_function leaf share of the samples through main with -e cycles" \
    "$(count_leaf cyc.tsv hot_function)" "$nmain" "$(calc "$(truth hot_function.cpu_ns) / $(truth main.cpu_ns)")"

# --- default event (cycles) falls back the same way ---
run_hwprof def record -o out2/default.data -- "$PROGS/hot"
expect_rc def 0
assert_only_files out2 default.data
if [ "$pmu" = no ]; then
    n=$(fallback_lines def.err)
    [ "$n" = 1 ] || {
        show def
        fail "default event: $n fallback lines on stderr, expected one"
    }
fi

# --- --no-fallback -e cycles ---
run_hwprof nofb record --no-fallback -e cycles -o out3/nofb.data -- "$PROGS/hot"
if [ "$pmu" = no ]; then
    expect_rc_nonzero nofb
    lines=$(grep -c . nofb.err || true)
    [ "$lines" = 1 ] || {
        show nofb
        fail "--no-fallback -e cycles: $lines stderr lines, expected a one-line error"
    }
    grep -q cycles nofb.err || {
        show nofb
        fail "--no-fallback -e cycles: the error does not mention cycles"
    }
    if grep -q '^hot: checksum' nofb.out; then
        fail "--no-fallback -e cycles: the workload ran although the event cannot be opened"
    fi
    assert_only_files out3
else
    expect_rc nofb 0
    assert_file_complete out3/nofb.data
fi
exit 0
