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
assert_ge "samples recorded with -e cycles" "$NSAMPLES" 100
perf_samples out1/cycles.data >cyc.tsv
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
fi
assert_ge "hot_function leaf fraction with -e cycles" \
    "$(fraction "$(count_leaf cyc.tsv hot_function)" "$NSAMPLES")" 0.5

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
