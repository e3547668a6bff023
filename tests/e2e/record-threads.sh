#!/bin/bash
# record-threads.sh - e2e: hwprof record follows all threads: 4 worker tids, thread_spin dominant.
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

assert_ge "number of samples" "$total" 100
assert_ge "thread_spin leaf fraction" "$(fraction "$spin" "$total")" 0.7
[ "$spin_comm" = "$spin" ] || fail "$((spin - spin_comm)) thread_spin samples have a comm other than 'threads'"
assert_ge "distinct tids sampled in thread_spin" "$tids" 4
assert_ge "distinct non-main tids sampled in thread_spin" "$worker_tids" 4
[ "$pids" = 1 ] || fail "thread_spin samples come from $pids pids, expected the one process"
assert_ge "fraction of thread_spin samples with callchain thread_spin<-thread_worker" \
    "$(fraction "$chain" "$spin")" 0.8
# Each of the 4 threads spins equally long on 2+ CPUs: none should be starved of samples.
min=$(awk -F '\t' '{ l = $5; sub(/;.*/, "", l) } l == "thread_spin" { c[$3]++ }
    END { m = -1; for (k in c) if (m < 0 || c[k] < m) m = c[k]; print m }' s.tsv)
assert_ge "fewest samples of one thread relative to an even share" \
    "$(fraction "$((min * 4))" "$spin")" 0.25
exit 0
