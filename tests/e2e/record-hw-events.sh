#!/bin/bash
# record-hw-events.sh - e2e: cycles and instructions sampled on a loop of known length: with a hardware PMU the instructions counted in it are its iterations times its instructions per iteration and the cycles are plausible; without one, they fall back to cpu-clock with one notice each (none with -q) and the samples land in the loop.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"

require_perf_events
require_prog hwloop
cd "$T"

# hwloop calls count_loop, a loop of a known number of instructions an iteration, until it has
# used 0.5 s of CPU time, and prints its iterations, its instructions per iteration and its CPU time.
run_hwprof rec record -e cycles:u,instructions:u -o f.data -- "$PROGS/hwloop"
expect_no_sanitizer rec
expect_rc rec 0
assert_file_complete f.data
load_truth rec.out
need_truth count_loop.cpu_ns count_loop.iterations count_loop.insns_per_iteration main.cpu_ns
share=$(calc "$(truth count_loop.cpu_ns) / $(truth main.cpu_ns)")

# -q: no summary and no notice, with a PMU or without.
run_hwprof quiet record -q -e cycles:u,instructions:u -o q.data -- "$PROGS/hwloop" 0.1
expect_rc quiet 0
[ ! -s quiet.err ] || {
    show quiet
    fail "record -q printed something on stderr"
}
assert_file_complete q.data

if have_hw_pmu && perf stat -x, -e instructions:u -o "$T/.ins" true >/dev/null 2>&1 &&
    grep -Eq '^[0-9]' "$T/.ins"; then
    note "this machine has a hardware PMU: cycles and instructions are sampled for real"
    if grep -q 'not supported' rec.err; then
        show rec
        fail "cycles:u,instructions:u: a fallback notice although the PMU counts both"
    fi
    assert_summary rec cycles
    assert_summary rec instructions
    perf_samples f.data period >s.tsv
    for ev in cycles instructions; do
        n=$(count_where s.tsv "index(\$4, \"$ev\")")
        nmain=$(count_where s.tsv "index(\$4, \"$ev\") && index(\";\" \$5 \";\", \";main;\")")
        nloop=$(count_where s.tsv "index(\$4, \"$ev\") && leaf == \"count_loop\"")
        sum=$(period_where s.tsv "index(\$4, \"$ev\")")
        loop=$(period_where s.tsv "index(\$4, \"$ev\") && leaf == \"count_loop\"")
        note "$ev: $n samples ($nmain through main, $nloop in count_loop), $sum counted, $loop in count_loop"
        # The samples land in the loop as often as it had the CPU (the periods adapt to 999 Hz).
        expect_share "$ev: count_loop's share of the samples through main" "$nloop" "$nmain" "$share"
        eval "n_$ev=\$n loop_$ev=\$loop sum_$ev=\$sum"
    done
    # Each sample counts the events since the one before: the instructions charged to count_loop
    # are its iterations times its instructions an iteration, within two average periods and the
    # periods of the samples that landed elsewhere.
    ipi=$(truth count_loop.insns_per_iteration)
    if [ "$ipi" -gt 0 ]; then
        want=$(calc "$(truth count_loop.iterations) * $ipi")
        period=$(calc "$sum_instructions / $n_instructions")
        expect_near "instructions counted in count_loop" "$loop_instructions" "$want" \
            "$(calc "$period * (2 + $SHARE_Z * sqrt($n_instructions * (1 - $share) + 1)) + $SHARE_SLACK * $want")"
    else
        note "the instructions of count_loop's loop are not known on $(uname -m): only their ratio to cycles is checked"
    fi
    # Plausible cycles: the loop's clock rate (cycles in it / its CPU time) and its instructions
    # per cycle.
    ghz=$(calc "$loop_cycles / $(truth count_loop.cpu_ns)")
    ipc=$(calc "$loop_instructions / $loop_cycles")
    note "count_loop: $ghz GHz, $ipc instructions per cycle"
    assert_between "count_loop's cycles per ns of its CPU time (GHz)" "$ghz" 0.2 10
    assert_between "count_loop's instructions per cycle" "$ipc" 0.1 8

    # The default event is cycles, sampled for real.
    run_hwprof def record -o d.data -- "$PROGS/hwloop" 0.2
    expect_rc def 0
    if grep -q 'not supported' def.err; then
        show def
        fail "the default event cycles fell back although the PMU counts it"
    fi
    assert_summary def cycles
else
    note "no hardware PMU here: cycles and instructions fall back to cpu-clock"
    # One notice for each: cycles:u samples cpu-clock instead, instructions:u would sample it too.
    n=$(grep -c 'cycles:u is not supported here.*sampling cpu-clock instead.*--no-fallback' rec.err || true)
    [ "$n" = 1 ] || {
        show rec
        fail "cycles:u: $n fallback notices naming cpu-clock and --no-fallback, expected one"
    }
    n=$(grep -c 'instructions:u is not supported here.*already sampling cpu-clock' rec.err || true)
    [ "$n" = 1 ] || {
        show rec
        fail "instructions:u: $n notices that cpu-clock is sampled already, expected one"
    }
    [ "$(grep -c 'not supported' rec.err)" = 2 ] || {
        show rec
        fail "more than the two fallback notices"
    }
    assert_summary rec cpu-clock
    perf_samples f.data >s.tsv
    [ "$(count_samples s.tsv cpu-clock)" = "$(count_samples s.tsv)" ] || fail "the events fell back, yet not all samples are cpu-clock samples"
    clock_period f.data
    nmain=$(count_chain s.tsv main)
    nloop=$(count_leaf s.tsv count_loop)
    expect_count_ge "cpu-clock samples in count_loop" "$nloop" "$(calc "$(truth count_loop.cpu_ns) / $PERIOD")"
    expect_share "count_loop's share of the samples through main" "$nloop" "$nmain" "$share"
fi
exit 0
