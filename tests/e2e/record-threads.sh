#!/bin/bash
# record-threads.sh - e2e: hwprof record follows all threads: 4 worker tids, each with the share of thread_spin it measured.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

require_perf_events
require_prog threads
cd "$T"
mkdir out

run_hwprof rec record -e cpu-clock -o out/threads.data -- "$PROGS/threads"
expect_rc rec 0
assert_only_files out threads.data
assert_summary rec cpu-clock

# threads measures each thread's CPU time in thread_spin.
load_truth rec.out
need_truth thread_spin.cpu_ns process.cpu_ns
clock_period out/threads.data
perf_samples out/threads.data >s.tsv
total=$(count_samples s.tsv)
spin=$(count_leaf s.tsv thread_spin)
spin_comm=$(count_where s.tsv 'leaf == "thread_spin" && $1 == "threads"')
tids=$(distinct_tids s.tsv 'leaf == "thread_spin"')
pids=$(awk -F '\t' '{ l = $5; sub(/;.*/, "", l) } l == "thread_spin" { p[$2] = 1 }
    END { n = 0; for (k in p) n++; print n }' s.tsv)
worker_tids=$(distinct_tids s.tsv 'leaf == "thread_spin" && $3 != $2')
chain=$(count_chain_prefix s.tsv "thread_spin;thread_worker")
note "samples: $total, thread_spin leaf: $spin (comm threads: $spin_comm), tids: $tids," \
    "pids: $pids, thread_spin<-thread_worker: $chain"

expect_count_ge "thread_spin samples" "$spin" "$(calc "$(truth thread_spin.cpu_ns) / $PERIOD")"
# All but the start-up, the thread creation and the exit, which the threads' clocks do not see.
SHARE_SLACK=$(calc "$SHARE_SLACK + 0.02") expect_share_ge "thread_spin leaf share of the samples" "$spin" "$total" \
    "$(calc "$(truth thread_spin.cpu_ns) / $(truth process.cpu_ns)")"
[ "$spin_comm" = "$spin" ] || fail "$((spin - spin_comm)) thread_spin samples have a comm other than 'threads'"
assert_ge "distinct tids sampled in thread_spin" "$tids" 4
assert_ge "distinct non-main tids sampled in thread_spin" "$worker_tids" 4
[ "$pids" = 1 ] || fail "thread_spin samples come from $pids pids, expected the one process"
assert_ge "fraction of thread_spin samples with callchain thread_spin<-thread_worker" \
    "$(fraction "$chain" "$spin")" 0.8
# Each thread has the share of the thread_spin samples that it had of their CPU time: none is
# starved of samples, none counted twice.
for key in "${!TRUTH[@]}"; do
    case "$key" in thread_spin.*.cpu_ns) ;; *) continue ;; esac
    tid=${key#thread_spin.}
    tid=${tid%.cpu_ns}
    expect_share "thread $tid's share of the thread_spin samples" \
        "$(count_where s.tsv "leaf == \"thread_spin\" && \$3 == $tid")" "$spin" \
        "$(calc "$(truth "$key") / $(truth thread_spin.cpu_ns)")"
done
exit 0
