#!/bin/bash
# record-hot.sh - e2e: hwprof record of the hot workload: sample count, the hot/cold split hot measured, callchains.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

require_perf_events
require_prog hot
cd "$T"
mkdir out

run_hwprof rec record -e cpu-clock -o out/hot.data -- "$PROGS/hot"
expect_rc rec 0
[ -s out/hot.data ] || fail "hwprof exited 0 but wrote no out/hot.data"
assert_only_files out hot.data
grep -q '^hot: checksum' rec.out || {
    show rec
    fail "the workload's stdout did not come through hwprof"
}
assert_summary rec cpu-clock
grep -Eq '^hwprof: wrote .*hot\.data \([0-9.]+ ?[A-Za-z]+\)' rec.err || {
    show rec
    fail "no 'hwprof: wrote out/hot.data (SIZE)' line on stderr"
}

# hot measures the CPU time of its hot_function and cold_function calls and of main.
load_truth rec.out
need_truth hot_function.cpu_ns cold_function.cpu_ns main.cpu_ns
clock_period out/hot.data
perf_samples out/hot.data >s.tsv
total=$(count_where s.tsv '$1 == "hot"')
nmain=$(count_where s.tsv '$1 == "hot" && index(";" $5 ";", ";main;")')
hot=$(count_where s.tsv '$1 == "hot" && leaf == "hot_function"')
cold=$(count_where s.tsv '$1 == "hot" && leaf == "cold_function"')
chain=$(count_chain_prefix s.tsv "hot_function;run_work;main")
note "samples of comm hot: $total, hot_function leaf: $hot, cold_function leaf: $cold," \
    "hot_function<-run_work<-main: $chain"

expect_count_ge "samples of comm hot under main" "$nmain" "$(calc "$(truth main.cpu_ns) / $PERIOD")"
expect_share "hot_function leaf share of the samples under main" "$hot" "$nmain" \
    "$(calc "$(truth hot_function.cpu_ns) / $(truth main.cpu_ns)")"
expect_share "cold_function leaf share of the samples under main" "$cold" "$nmain" \
    "$(calc "$(truth cold_function.cpu_ns) / $(truth main.cpu_ns)")"
# A sample in hot_function's two-instruction prologue may miss run_work: allow a few.
assert_ge "fraction of hot_function samples with callchain hot_function<-run_work<-main" \
    "$(fraction "$chain" "$hot")" 0.9
cold_chain=$(count_chain_prefix s.tsv "cold_function;run_work;main")
assert_ge "fraction of cold_function samples with callchain cold_function<-run_work<-main" \
    "$(fraction "$cold_chain" "$cold")" 0.8
# Every sample of the workload belongs to one process.
pids=$(awk -F '\t' '$1 == "hot" { p[$2] = 1 } END { n = 0; for (k in p) n++; print n }' s.tsv)
[ "$pids" = 1 ] || fail "samples of comm hot come from $pids pids, expected 1"
exit 0
