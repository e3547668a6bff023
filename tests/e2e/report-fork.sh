#!/bin/bash
# report-fork.sh - e2e: hwprof report of fork+exec: parent_spin and child_spin symbolized; --comm and --pid select a process.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"

require_perf_events
require_prog forkexec child
cd "$T"

run_hwprof rec record -e cpu-clock -o f.data -- "$PROGS/forkexec" "$PROGS/child"
expect_rc rec 0
grep -q '^child: checksum' rec.out || {
    show rec
    fail "the exec'd child did not run to completion"
}
perf_samples f.data >s.tsv
# the busiest pid of comm forkexec: the child also runs briefly as "forkexec" before its exec
ppid=$(awk -F '\t' '$1 == "forkexec" { n[$2]++ } END { for (p in n) if (n[p] > best) { best = n[p]; b = p }; print b }' s.tsv)
cpid=$(awk -F '\t' '$1 == "child" { print $2; exit }' s.tsv)
[ -n "$ppid" ] && [ -n "$cpid" ] || fail "perf script shows no samples of comm forkexec and child"
note "parent pid $ppid, child pid $cpid"

run_report all -i f.data --stdio -n 0
check_table all.tsv
parent=$(row_field all.tsv parent_spin 2)
child=$(row_field all.tsv child_spin 2)
note "flat% parent_spin $parent, child_spin $child"
# Both spin 0.5 s of CPU time and measure it: each has its share of the two.
load_truth rec.out
need_truth parent_spin.cpu_ns child_spin.cpu_ns
n=$(report_header all.out Samples)
expect_pair "parent_spin's share of parent_spin + child_spin (flat%)" "$parent" "$child" \
    "$(calc "($parent + $child) * $n / 100")" \
    "$(calc "$(truth parent_spin.cpu_ns) / ($(truth parent_spin.cpu_ns) + $(truth child_spin.cpu_ns))")"

# only NAME WANT OTHER PCT: $T/NAME.tsv shows WANT (with flat% PCT, as unfiltered) but not OTHER.
only()
{
    local name=$1 want=$2 other=$3 wantpct=$4
    has_row "$name.tsv" "$want" || {
        show "$name"
        fail "$name: no $want row"
    }
    ! has_row "$name.tsv" "$other" || {
        show "$name"
        fail "$name: shows $other of the other process"
    }
    assert_le "$name: |$want flat% - unfiltered|" "$(abs_diff "$(row_field "$name.tsv" "$want" 2)" "$wantpct")" 0.011
}

run_report comm-child -i f.data --stdio -n 0 --comm child
only comm-child child_spin parent_spin "$child"
# The child's functions only: none of the parent's binary.
awk -F '\t' '$6 == "parent_spin" || $6 ~ /^forkexec\+0x/' comm-child.tsv | grep -q . &&
    fail "--comm child shows frames of forkexec"
run_report comm-parent -i f.data --stdio -n 0 --comm forkexec
only comm-parent parent_spin child_spin "$parent"
run_report pid-child -i f.data --stdio -n 0 --pid "$cpid"
only pid-child child_spin parent_spin "$child"
run_report pid-parent -i f.data --stdio -n 0 --pid "$ppid"
only pid-parent parent_spin child_spin "$parent"
run_report tid-child -i f.data --stdio -n 0 --tid "$cpid"
only tid-child child_spin parent_spin "$child"

# Both processes again, by list.
run_report pids -i f.data --stdio -n 0 --pid "$ppid,$cpid"
has_row pids.tsv parent_spin && has_row pids.tsv child_spin || fail "--pid $ppid,$cpid does not show both spin functions"
run_report comms -i f.data --stdio -n 0 --comm child,forkexec
has_row comms.tsv parent_spin && has_row comms.tsv child_spin || fail "--comm child,forkexec does not show both spin functions"
exit 0
