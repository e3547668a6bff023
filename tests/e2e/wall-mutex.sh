#!/bin/bash
# wall-mutex.sh - e2e: record --wall of 4 threads contending on one mutex: the off-cpu time is in pthread_mutex_lock, called from contend_loop (frames repaired), as long as the threads waited there, and blocked.
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
# The contenders measure their waits in pthread_mutex_lock (wall time only), their work holding the
# mutex and their whole contend_loop call (sums over the 4).
load_truth rec.out
need_truth pthread_mutex_lock.wall_ns pthread_mutex_lock.calls hold_work.wall_ns \
    hold_work.cpu_ns hold_work.calls contend_loop.wall_ns contend_loop.cpu_ns contend_loop.calls
clock_period m.data

# --- off-cpu: pthread_mutex_lock and contend_loop hold most of it ---
run_report off -i m.data --stdio -n 0 --sample-index off-cpu
check_table off.tsv
lock=$(cum_pct_re off.tsv "$LOCK")
loop=$(row_field off.tsv contend_loop 5)
note "off-cpu: pthread_mutex_lock cum $lock%, contend_loop cum $loop%"
has_row off.tsv contend_loop && [ "$lock" != 0 ] || fail "off-cpu: no contend_loop and pthread_mutex_lock rows"

# --- folded: contend_loop;pthread_mutex_lock (caller;callee) carries the contenders' waits ---
wall_folded fo m.data off-cpu
wall_folded fw m.data wall
wall_folded fc m.data cpu
o=$(folded_sum fo.folded)
cl=$(folded_sum_re fo.folded ";contend_loop;$LOCK;")
note "off-cpu: total $(ms "$o"), contend_loop;pthread_mutex_lock $(ms "$cl")"
# (The lock's little CPU time, sampled, from the recording for the tolerance.)
expect_wall "wall in contend_loop;pthread_mutex_lock" "$(folded_sum_re fw.folded ";contend_loop;$LOCK;")" \
    "$(truth pthread_mutex_lock.wall_ns)" "$(folded_sum_re fc.folded ";contend_loop;$LOCK;")" \
    "$(truth pthread_mutex_lock.calls)"
expect_wall "off-cpu in contend_loop" "$(folded_sum_re fo.folded ';contend_loop;')" \
    "$(($(truth contend_loop.wall_ns) - $(truth contend_loop.cpu_ns)))" "$(truth contend_loop.cpu_ns)" \
    "$(($(truth pthread_mutex_lock.calls) + $(truth hold_work.calls)))"
# From contend_loop on, the waits run through the kernel's futex wait down to schedule.
fx=$(folded_sum_re fo.folded ";contend_loop;$LOCK;.*;futex_wait;.*;(__)?schedule;")
assert_ge "off-cpu: share of contend_loop;pthread_mutex_lock;...;futex_wait;...;schedule" \
    "$(ratio "$fx" "$cl")" 0.8

# --- cpu: the work done holding the mutex, its share of the contenders' CPU time ---
c=$(folded_sum_re fc.folded ';contend_loop;')
note "cpu: in contend_loop $(ms "$c"), in hold_work $(ms "$(folded_sum_re fc.folded ';hold_work;')")"
expect_share "cpu: hold_work's share of contend_loop's" "$(folded_sum_re fc.folded ';contend_loop;hold_work;')" "$c" \
    "$(calc "$(truth hold_work.cpu_ns) / $(truth contend_loop.cpu_ns)")" "$(calc "int($c / $PERIOD + 0.5)")"
expect_wall "wall in contend_loop;hold_work" "$(folded_sum_re fw.folded ';contend_loop;hold_work;')" \
    "$(truth hold_work.wall_ns)" "$(truth hold_work.cpu_ns)" "$(truth hold_work.calls)"

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
