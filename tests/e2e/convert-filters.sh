#!/bin/bash
# convert-filters.sh - e2e: hwprof convert applies report's filters (--comm, --pid, --tid, --focus, --ignore): the pprof holds only the kept samples.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/pprof-lib.sh"

# conv NAME INPUT ARGS...: hwprof convert -i INPUT -o NAME.pb.gz ARGS, then go tool pprof's sample
# counts per function into $T/NAME.tsv (flat and cum are sample counts) and the total into NTOTAL.
conv()
{
    local name=$1 in=$2
    shift 2
    run_hwprof "$name" convert -i "$in" -o "$name.pb.gz" "$@"
    expect_no_sanitizer "$name"
    expect_rc "$name" 0
    pprof "$name-top" -top -nodefraction=0 -sample_index=samples "$name.pb.gz"
    pprof_rows "$name-top" >"$T/$name.tsv"
    NTOTAL=$(pprof_total "$name-top")
}

# flat TSV NAME: the flat sample count of function NAME (0 when absent).
flat()
{
    row_field "$1" "$2" 1
}

require_perf_events
require_prog split forkexec child
require_pprof
cd "$T"

# --- --focus / --ignore on split ---
run_hwprof rec record -e cpu-clock -o f.data -- "$PROGS/split"
expect_rc rec 0
load_truth rec.out
need_truth work_three.cpu_ns work_one.cpu_ns
clock_period f.data
conv all f.data
three=$(flat all.tsv work_three)
one=$(flat all.tsv work_one)
note "unfiltered: $NTOTAL samples, work_three $three, work_one $one"
expect_count_ge "work_three samples" "$three" "$(calc "$(truth work_three.cpu_ns) / $PERIOD")"
expect_count_ge "work_one samples" "$one" "$(calc "$(truth work_one.cpu_ns) / $PERIOD")"
all=$NTOTAL

conv ign f.data --ignore work_three
! has_row ign.tsv work_three || {
    show ign-top
    fail "--ignore work_three: go tool pprof -top still lists work_three"
}
[ "$(flat ign.tsv work_one)" = "$one" ] || fail "--ignore work_three changes work_one's samples: $(flat ign.tsv work_one), not $one"
[ "$NTOTAL" = $((all - $(row_field all.tsv work_three 4))) ] ||
    fail "--ignore work_three keeps $NTOTAL samples, expected $all - $(row_field all.tsv work_three 4) (the stacks with work_three)"

conv foc f.data --focus work_one
! has_row foc.tsv work_three || fail "--focus work_one: go tool pprof -top still lists work_three"
[ "$(flat foc.tsv work_one)" = "$one" ] || fail "--focus work_one changes work_one's samples"
[ "$NTOTAL" = "$(row_field all.tsv work_one 4)" ] ||
    fail "--focus work_one keeps $NTOTAL samples, $(row_field all.tsv work_one 4) have work_one in their stack"

conv foc2 f.data --focus '^work_(one|three)$'
[ "$(flat foc2.tsv work_three)" = "$three" ] && [ "$(flat foc2.tsv work_one)" = "$one" ] ||
    fail "--focus '^work_(one|three)\$' changes the samples of work_three or work_one"

# The folded writer filters too.
run_hwprof fign convert -i f.data --format folded -o ign.folded --sample-index samples --ignore work_three
expect_rc fign 0
! grep -q 'work_three' ign.folded || fail "--format folded --ignore work_three still has work_three"
grep -q ';work_one ' ign.folded || fail "--format folded --ignore work_three lost work_one"

# --- --comm / --pid / --tid on fork+exec: parent_spin (forkexec) and child_spin (child) ---
run_hwprof frec record -e cpu-clock -o fe.data -- "$PROGS/forkexec" "$PROGS/child"
expect_rc frec 0
load_truth frec.out
need_truth parent_spin.cpu_ns child_spin.cpu_ns
clock_period fe.data
perf_samples fe.data >s.tsv
# the busiest pid of comm forkexec: the child also runs briefly as "forkexec" before its exec
ppid=$(awk -F '\t' '$1 == "forkexec" { n[$2]++ } END { for (p in n) if (n[p] > best) { best = n[p]; b = p }; print b }' s.tsv)
cpid=$(awk -F '\t' '$1 == "child" { print $2; exit }' s.tsv)
[ -n "$ppid" ] && [ -n "$cpid" ] || fail "perf script shows no samples of comm forkexec and child"
conv fe fe.data
parent=$(flat fe.tsv parent_spin)
child=$(flat fe.tsv child_spin)
note "fork+exec: $NTOTAL samples, parent_spin $parent, child_spin $child; pids $ppid, $cpid"
expect_count_ge "parent_spin samples" "$parent" "$(calc "$(truth parent_spin.cpu_ns) / $PERIOD")"
expect_count_ge "child_spin samples" "$child" "$(calc "$(truth child_spin.cpu_ns) / $PERIOD")"

# only NAME WANT WANTN OTHER: NAME.tsv has WANT with WANTN samples and no OTHER.
only()
{
    [ "$(flat "$1.tsv" "$2")" = "$3" ] || {
        show "$1-top"
        fail "$1: $2 has $(flat "$1.tsv" "$2") samples, unfiltered $3"
    }
    ! has_row "$1.tsv" "$4" || {
        show "$1-top"
        fail "$1: still lists $4 of the other process"
    }
}
conv comm-child fe.data --comm child
only comm-child child_spin "$child" parent_spin
conv comm-parent fe.data --comm forkexec
only comm-parent parent_spin "$parent" child_spin
conv pid-child fe.data --pid "$cpid"
only pid-child child_spin "$child" parent_spin
conv pid-parent fe.data --pid "$ppid"
only pid-parent parent_spin "$parent" child_spin
conv tid-child fe.data --tid "$cpid"
only tid-child child_spin "$child" parent_spin
# The labels of the kept samples: only the child's.
pprof comm-raw -raw comm-child.pb.gz
grep -Eq "(^| )pid:\[$cpid( [a-z]+)?\]" comm-raw.out || fail "--comm child: no sample labelled pid $cpid"
! grep -Eq "(^| )pid:\[$ppid( [a-z]+)?\]" comm-raw.out || fail "--comm child: a sample labelled with the parent's pid $ppid"
# Both, by list.
conv both fe.data --comm child,forkexec
[ "$NTOTAL" = "$(pprof_total fe-top)" ] || fail "--comm child,forkexec keeps $NTOTAL of $(pprof_total fe-top) samples"

# --- a filter that keeps nothing: an empty profile or a clear error, never a crash ---
run_hwprof none convert -i fe.data -o none.pb.gz --comm nosuchcomm
expect_no_sanitizer none
[ "$RC" -le 125 ] || fail "--comm nosuchcomm: hwprof died with status $RC"
if [ "$RC" = 0 ]; then
    pprof none-top -top -sample_index=samples none.pb.gz
    ! grep -Eq '(parent|child)_spin' none-top.out || fail "--comm nosuchcomm still has samples"
else
    [ -s none.err ] || fail "--comm nosuchcomm: exit $RC without a message"
    [ ! -e none.pb.gz ] || fail "--comm nosuchcomm: exit $RC but none.pb.gz was written"
fi
exit 0
