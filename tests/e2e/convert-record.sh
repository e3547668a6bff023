#!/bin/bash
# convert-record.sh - e2e: hwprof record -o out.pb.gz records and converts in one step; the perf.data is kept (as out.data) only with --keep-data.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/pprof-lib.sh"

# check_split NAME FILE RUN: fails unless go tool pprof -top FILE (output in $T/NAME-top.*) shows
# split's split of work_three and work_one under main, as split measured it in the hwprof run RUN
# (its $T/RUN.out and .err).
check_split()
{
    local n three one
    load_truth "$T/$3.out"
    need_truth work_three.cpu_ns work_one.cpu_ns
    n=$(summary_samples "$3" '')
    pprof "$1-top" -top -nodefraction=0 "$2"
    pprof_rows "$1-top" >"$T/$1.tsv"
    has_row "$T/$1.tsv" work_three && has_row "$T/$1.tsv" work_one || {
        show "$1-top"
        fail "$2: go tool pprof -top does not list work_three and work_one"
    }
    three=$(row_field "$T/$1.tsv" work_three 2)
    one=$(row_field "$T/$1.tsv" work_one 2)
    expect_pair "$2: work_three's share of work_three + work_one (flat%)" "$three" "$one" \
        "$(calc "($three + $one) * $n / 100")" \
        "$(calc "$(truth work_three.cpu_ns) / ($(truth work_three.cpu_ns) + $(truth work_one.cpu_ns))")"
    expect_main_cum "$2: main cum%" "$(row_field "$T/$1.tsv" main 5)" "$n"
}

require_perf_events
require_prog split
require_pprof
cd "$T"
mkdir one keep rel

# --- -o out.pb.gz: a profile, and no recording left behind ---
run_hwprof rec record -o one/out.pb.gz -- "$PROGS/split"
expect_no_sanitizer rec
expect_rc rec 0
grep -q '^split: ' rec.out || {
    show rec
    fail "the workload's output is missing"
}
assert_summary rec ''
assert_only_files one out.pb.gz
[ "$(od -An -tx1 -N2 one/out.pb.gz | tr -d ' ')" = 1f8b ] || fail "out.pb.gz is not gzip'd"
check_split one one/out.pb.gz rec
pprof raw -raw one/out.pb.gz
# The default event: cycles, or cpu-clock without a hardware PMU.
grep -Eq '^ *samples/count +[^ ]+/[^ ]+\[dflt\] *$' raw.out || {
    show raw
    fail "out.pb.gz: the sample types are not 'samples/count EVENT/UNIT[dflt]'"
}
grep '^Comment: ' raw.out | grep -q 'record.*split' ||
    fail "out.pb.gz: no comment with the record command line: $(grep '^Comment: ' raw.out)"

# --- --keep-data: the recording stays next to it, as out.data, and converts to the same profile ---
run_hwprof keep record --keep-data -e cpu-clock -o keep/out.pb.gz -- "$PROGS/split"
expect_rc keep 0
assert_only_files keep out.pb.gz out.data
check_split keep keep/out.pb.gz keep
run_report kept -i keep/out.data --stdio -n 0
has_row kept.tsv work_three || fail "hwprof report of the kept keep/out.data shows no work_three"
perf_samples keep/out.data >kept-samples.tsv
assert_ge "samples of the kept out.data (perf script)" "$(count_samples kept-samples.tsv)" 1
run_hwprof again convert -i keep/out.data -o again.pb.gz
expect_rc again 0
pprof cnt1 -top -nodefraction=0 -sample_index=samples keep/out.pb.gz
pprof cnt2 -top -nodefraction=0 -sample_index=samples again.pb.gz
sed -n '/^ *flat  *flat%/,$p' cnt1.out >t1.txt
sed -n '/^ *flat  *flat%/,$p' cnt2.out >t2.txt
cmp -s t1.txt t2.txt || {
    diff t1.txt t2.txt | head -n 10 >&2
    fail "record -o keep/out.pb.gz and convert -i keep/out.data give different sample counts"
}
[ "$(report_header kept.out Samples)" = "$(sed -n 's/^Showing nodes accounting for .* of \([0-9]*\) total$/\1/p' cnt1.out)" ] ||
    fail "out.pb.gz's sample count differs from hwprof report's of out.data"

# --- a relative name in the current directory, and a plain -o x.data still records perf.data ---
(cd rel && "$HWPROF" record -e cpu-clock -o p.pb.gz -- "$PROGS/split" </dev/null >../rel.out 2>../rel.err) || {
    show rel
    fail "hwprof record -o p.pb.gz in the current directory failed"
}
assert_only_files rel p.pb.gz
check_split relp rel/p.pb.gz rel
run_hwprof plain record -e cpu-clock -o rel/x.data -- "$PROGS/split"
expect_rc plain 0
assert_only_files rel p.pb.gz x.data
assert_file_complete rel/x.data
exit 0
