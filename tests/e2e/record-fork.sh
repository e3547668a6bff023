#!/bin/bash
# record-fork.sh - e2e: hwprof record follows fork+exec: parent_spin in forkexec, child_spin in child.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

require_perf_events
require_prog forkexec child
cd "$T"
mkdir out

run_hwprof rec record -e cpu-clock -o out/fork.data -- "$PROGS/forkexec" "$PROGS/child"
expect_rc rec 0
assert_only_files out fork.data
grep -q '^child: checksum' rec.out || {
    show rec
    fail "the exec'd child did not run to completion"
}

perf_samples out/fork.data >s.tsv
parent=$(count_where s.tsv 'leaf == "parent_spin" && $1 == "forkexec"')
child=$(count_where s.tsv 'leaf == "child_spin" && $1 == "child"')
ppids=$(awk -F '\t' '{ l = $5; sub(/;.*/, "", l) } l == "parent_spin" { print $2 }' s.tsv | sort -u)
cpids=$(awk -F '\t' '{ l = $5; sub(/;.*/, "", l) } l == "child_spin" { print $2 }' s.tsv | sort -u)
note "parent_spin samples (comm forkexec): $parent, pids: $(echo $ppids);" \
    "child_spin samples (comm child): $child, pids: $(echo $cpids)"

# Each process measures the CPU time its spin function took.
load_truth rec.out
need_truth parent_spin.cpu_ns child_spin.cpu_ns
clock_period out/fork.data
expect_count_ge "parent_spin samples with comm forkexec" "$parent" "$(calc "$(truth parent_spin.cpu_ns) / $PERIOD")"
expect_count_ge "child_spin samples with comm child" "$child" "$(calc "$(truth child_spin.cpu_ns) / $PERIOD")"
[ "$(echo "$ppids" | wc -l)" = 1 ] || fail "parent_spin samples come from pids $(echo $ppids), expected one"
[ "$(echo "$cpids" | wc -l)" = 1 ] || fail "child_spin samples come from pids $(echo $cpids), expected one"
[ "$ppids" != "$cpids" ] || fail "parent_spin and child_spin samples share pid $ppids"
mis=$(count_where s.tsv '(leaf == "child_spin" && $1 != "child") || (leaf == "parent_spin" && $1 != "forkexec")')
[ "$mis" = 0 ] || fail "$mis samples have the wrong comm for their function"
chain=$(count_chain_prefix s.tsv "child_spin;main")
assert_ge "fraction of child_spin samples with callchain child_spin<-main" "$(fraction "$chain" "$child")" 0.8

# child_spin must come from the child binary (its mmap after exec), not from forkexec.
perf_script_raw out/fork.data -F comm,pid,ip,sym,dso >dso.txt
want=$(readlink -f "$PROGS/child")
awk '$0 ~ / child_spin \(/ { d = $NF; gsub(/[()]/, "", d); print d }' dso.txt | sort | uniq -c >dsos.txt
[ -s dsos.txt ] || fail "no child_spin frame in 'perf script -F comm,pid,ip,sym,dso' output"
if awk -v w="$want" '$2 != w { bad = 1 } END { exit !bad }' dsos.txt; then
    cat dsos.txt >&2
    fail "child_spin attributed to a dso other than $want (see counts above)"
fi
exit 0
