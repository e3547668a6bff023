#!/bin/bash
# wall-pool.sh - e2e: record --wall of 6 pool threads idle on a condition variable while main works: the off-cpu time is pool_idle -> pthread_cond_wait, for each of the 6 threads.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/wall-lib.sh"

require_perf_events
require_prog wall-pool
cd "$T"

WAIT=$(fn_re pthread_cond_wait)

# main_work runs 0.5 s while the 6 pool threads idle; then 12 tiny jobs and the shutdown.
wall_record rec p.data wall-pool
grep -q '^wall-pool: main [0-9]*, 6 threads' rec.out || {
    show rec
    fail "the workload did not run to completion"
}
main=$(sed -n 's/^wall-pool: main \([0-9]*\),.*/\1/p' rec.out)
tids=$(sed -n 's/^pool thread \([0-9]*\)$/\1/p' rec.out)
[ "$(echo "$tids" | sort -u | wc -w)" = 6 ] || fail "the workload printed [$(tr '\n' ' ' <<<"$tids")] as its 6 pool threads"
# Each pool thread measures its pool_idle calls, main its main_work call.
load_truth rec.out
need_truth main_work.cpu_ns main.cpu_ns process.cpu_ns
clock_period p.data

# --- off-cpu: pool_idle -> pthread_cond_wait ---
run_report off -i p.data --stdio -n 0 --sample-index off-cpu
check_table off.tsv
idle=$(row_field off.tsv pool_idle 5)
wait=$(cum_pct_re off.tsv "$WAIT")
note "off-cpu: pool_idle cum $idle%, pthread_cond_wait cum $wait%"
assert_ge "off-cpu: pool_idle cum%" "$idle" 60
assert_ge "off-cpu: pthread_cond_wait cum%" "$wait" 60
wall_folded fo p.data off-cpu
o=$(folded_sum fo.folded)
pw=$(folded_sum_re fo.folded ";pool_thread;pool_idle;$WAIT;")
note "off-cpu: total $(ms "$o"), pool_thread;pool_idle;pthread_cond_wait $(ms "$pw")"
assert_ge "off-cpu: share of pool_thread;pool_idle;pthread_cond_wait" "$(ratio "$pw" "$o")" 0.6

# --- cpu: main_work, its share of the process's CPU time ---
run_report cpu -i p.data --stdio -n 0 --sample-index cpu
note "cpu: main_work cum $(row_field cpu.tsv main_work 5)%"
n=$(calc "int($(report_value "$(report_header cpu.out Total)") / $PERIOD + 0.5)")
SHARE_SLACK=$(calc "$SHARE_SLACK + 0.02") expect_share_ge "cpu: main_work cum% / 100" \
    "$(row_field cpu.tsv main_work 5)" 100 "$(calc "$(truth main_work.cpu_ns) / $(truth process.cpu_ns)")" "$n"

# --- each pool thread idles through main's 0.5 s of work, as long as it measured ---
for t in $tids; do
    need_truth "pool_idle.$t.wall_ns" "pool_idle.$t.cpu_ns" "pool_idle.$t.calls"
    wall_folded "t$t" p.data off-cpu --tid "$t"
    v=$(folded_sum_re "t$t.folded" ";pool_idle;$WAIT;")
    note "pool thread $t: off-cpu in pool_idle;pthread_cond_wait $(ms "$v")"
    expect_wall "pool thread $t: off-cpu in pool_idle;pthread_cond_wait" "$v" \
        "$(($(truth "pool_idle.$t.wall_ns") - $(truth "pool_idle.$t.cpu_ns")))" "$(truth "pool_idle.$t.cpu_ns")" \
        "$(truth "pool_idle.$t.calls")"
done
# The main thread has no pool_idle time.
wall_folded tmain p.data off-cpu --tid "$main"
[ "$(folded_sum_re tmain.folded ';pool_idle;')" = 0 ] || fail "the main thread $main has off-cpu time in pool_idle"

# --- the thread_id labels: 6 distinct pool threads in pool_idle ---
if have_pprof; then
    run_hwprof pb convert -i p.data -o p.pb.gz
    expect_rc pb 0
    go tool pprof -tags -sample_index=off-cpu -focus '^pool_idle$' p.pb.gz >tags.out 2>tags.err || {
        show tags
        fail "go tool pprof -tags -sample_index=off-cpu -focus pool_idle failed"
    }
    tag_values tags.out thread_id | sed 's/ .*//' | sort -u >ptids.txt
    echo "$tids" | sort -u >wtids.txt
    note "pprof: thread_id labels in pool_idle: $(tr '\n' ' ' <ptids.txt)"
    cmp -s ptids.txt wtids.txt || fail "pprof's thread_id labels in pool_idle are [$(tr '\n' ' ' <ptids.txt)]," \
        "the pool threads are [$(tr '\n' ' ' <wtids.txt)]"
    blocked=$(tag_pct tags.out state blocked)
    note "pprof: off-cpu in pool_idle $blocked% blocked"
    assert_ge "blocked share of the off-cpu time in pool_idle (%)" "$blocked" 90
else
    note "go tool pprof does not run here: the thread_id labels are not checked"
fi
exit 0
