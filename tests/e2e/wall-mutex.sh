#!/bin/bash
# wall-mutex.sh - e2e: record --wall of 4 threads contending on one mutex: the off-cpu time is in pthread_mutex_lock, called from contend_loop (frames repaired), and blocked.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/wall-lib.sh"

require_perf_events
require_prog wall-mutex
cd "$T"

LOCK=$(fn_re pthread_mutex_lock)

wall_record rec m.data wall-mutex
grep -q '^wall-mutex: 4 contenders' rec.out || {
    show rec
    fail "the workload did not run to completion"
}

# --- off-cpu: pthread_mutex_lock holds most of it ---
run_report off -i m.data --stdio -n 0 --sample-index off-cpu
check_table off.tsv
lock=$(cum_pct_re off.tsv "$LOCK")
loop=$(row_field off.tsv contend_loop 5)
note "off-cpu: pthread_mutex_lock cum $lock%, contend_loop cum $loop%"
assert_ge "off-cpu: pthread_mutex_lock cum%" "$lock" 60
assert_ge "off-cpu: contend_loop cum%" "$loop" 60

# --- folded: contend_loop;pthread_mutex_lock (caller;callee) carries most of the off-cpu value ---
wall_folded fo m.data off-cpu
o=$(folded_sum fo.folded)
cl=$(folded_sum_re fo.folded ";contend_loop;$LOCK;")
note "off-cpu: total $(ms "$o"), contend_loop;pthread_mutex_lock $(ms "$cl")"
assert_ge "off-cpu: share of contend_loop;pthread_mutex_lock" "$(ratio "$cl" "$o")" 0.6
# From contend_loop on, the waits run through the kernel's futex wait down to schedule.
fx=$(folded_sum_re fo.folded ";contend_loop;$LOCK;.*;futex_wait;.*;(__)?schedule;")
assert_ge "off-cpu: share of contend_loop;pthread_mutex_lock;...;futex_wait;...;schedule" \
    "$(ratio "$fx" "$cl")" 0.8
# 3 of 4 threads wait while one works: several times more off-CPU than on-CPU time.
wall_folded fc m.data cpu
c=$(folded_sum fc.folded)
note "cpu: total $(ms "$c")"
assert_ge "off-cpu in pthread_mutex_lock / cpu" "$(ratio "$cl" "$c")" 1.5

# --- cpu: the work done holding the mutex ---
run_report cpu -i m.data --stdio -n 0 --sample-index cpu
hold=$(row_field cpu.tsv hold_work 5)
note "cpu: hold_work cum $hold%"
assert_ge "cpu: hold_work cum%" "$hold" 70

# --- the 4 contenders each wait in the lock, blocked (the thread_id and state labels) ---
if have_pprof; then
    run_hwprof pb convert -i m.data -o m.pb.gz
    expect_rc pb 0
    go tool pprof -tags -sample_index=off-cpu -focus "^${LOCK}\$" m.pb.gz >tags.out 2>tags.err || {
        show tags
        fail "go tool pprof -tags -sample_index=off-cpu -focus pthread_mutex_lock failed"
    }
    ntids=$(tag_values tags.out thread_id | sort -u | wc -l)
    blocked=$(tag_pct tags.out state blocked)
    note "pprof: off-cpu in pthread_mutex_lock from $ntids threads, $blocked% blocked"
    assert_ge "threads with off-cpu time in pthread_mutex_lock" "$ntids" 4
    assert_ge "blocked share of the off-cpu time in pthread_mutex_lock (%)" "$blocked" 90
else
    note "go tool pprof does not run here: the thread_id and state labels are not checked"
fi
exit 0
