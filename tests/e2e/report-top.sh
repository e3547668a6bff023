#!/bin/bash
# report-top.sh - e2e: hwprof report's top table of the split workload: header, 3:1 split, sorting, limits, filters.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"

require_perf_events
require_prog split
cd "$T"

run_hwprof rec record -e cpu-clock -o f.data -- "$PROGS/split"
expect_rc rec 0
assert_summary rec cpu-clock
# split measures the CPU time of its work_three and work_one calls and of main.
load_truth rec.out
need_truth work_three.cpu_ns work_one.cpu_ns main.cpu_ns
share3=$(calc "$(truth work_three.cpu_ns) / ($(truth work_three.cpu_ns) + $(truth work_one.cpu_ns))")
lost=$(sed -n 's/^hwprof: [^ ]*cpu-clock[^ ]*: [0-9]* samples, \([0-9]*\) lost.*/\1/p' rec.err | head -1)

# What perf sees in the same file: the reference for the header's numbers.
perf_samples f.data >s.tsv
pid=$(awk -F '\t' '$1 == "split" { print $2; exit }' s.tsv)
[ -n "$pid" ] || fail "perf script shows no sample of comm split"
perf_script_raw f.data -F period >periods.txt
nsamples=$(wc -l <periods.txt)
period_sum=$(awk '{ s += $1 } END { printf "%.0f\n", s }' periods.txt)

# --- the default output: header, column header, rows ---
run_report top -i f.data --stdio -n 0
check_table top.tsv
[ "$(head -1 top.out)" = "File: split" ] || {
    show top
    fail "the first line is '$(head -1 top.out)', expected 'File: split'"
}
event=$(report_header top.out Event)
case "$event" in
cpu-clock*) ;;
*) show top; fail "Event is '$event', expected cpu-clock (cpu/nanoseconds)" ;;
esac
recorded=$(report_header top.out Recorded)
case "$recorded" in
*record*split*) ;;
*) show top; fail "Recorded is '$recorded', expected the hwprof record command line" ;;
esac
grep -Eq '^Duration: [^,]+, Total: [^,]+, Samples: [0-9]+, Lost: [0-9]+$' top.out || {
    show top
    fail "no line 'Duration: D, Total: T, Samples: N, Lost: N'"
}
grep -Eq '^ +flat +flat% +sum% +cum +cum% *$' top.out || {
    show top
    fail "no column header 'flat  flat%  sum%  cum  cum%'"
}
samples=$(report_header top.out Samples)
[ "$samples" = "$nsamples" ] || fail "header says Samples: $samples, perf script counts $nsamples"
[ "$(report_header top.out Lost)" = "$lost" ] ||
    fail "header says Lost: $(report_header top.out Lost), hwprof record said $lost lost"
total=$(report_value "$(report_header top.out Total)")
duration=$(report_value "$(report_header top.out Duration)")
note "Samples: $samples, Total: $total ns (periods in the file: $period_sum ns), Duration: $duration ns"
# Total is printed with about 3 significant digits.
assert_between "Total / sum of the sample periods" "$(ratio "$total" "$period_sum")" 0.99 1.01
# One thread ran main's CPU time: it took at least that long (less the first and last period).
clock_period f.data
assert_between "Duration in seconds" "$(awk -v d="$duration" 'BEGIN { print d / 1e9 }')" \
    "$(calc "($(truth main.cpu_ns) - 2 * $PERIOD) / 1e9")" 600
flat_sum=$(sum_where top.tsv 1 1)
assert_between "sum of the flat column / Total" "$(ratio "$flat_sum" "$total")" 0.98 1.02
assert_ge "last sum% of the unlimited table" "$(tail -1 top.tsv | cut -f3)" 99.5

three=$(row_field top.tsv work_three 2)
one=$(row_field top.tsv work_one 2)
main_cum=$(row_field top.tsv main 5)
note "flat% work_three $three, work_one $one; cum% main $main_cum"
expect_pair "work_three's share of work_three + work_one (flat%)" "$three" "$one" \
    "$(calc "($three + $one) * $samples / 100")" "$share3"
expect_main_cum "main cum%" "$main_cum" "$samples"
[ "$(head -1 top.tsv | cut -f6)" = work_three ] || fail "the first row is not work_three"
[ "$(sed -n 2p top.tsv | cut -f6)" = work_one ] || fail "the second row is not work_one"

# --- --top is the default; the default limit is 30 rows ---
run_report deflt -i f.data --stdio
run_report topopt -i f.data --top --stdio
cmp -s deflt.out topopt.out || fail "--top prints something else than the default output"
[ "$(nrows deflt.tsv)" -le 30 ] || fail "the default output has $(nrows deflt.tsv) rows, expected at most 30"
head -n 30 top.tsv | cmp -s - deflt.tsv || fail "the default rows differ from the first 30 of -n 0"

# --- --cum sorts by cumulative value ---
run_report cum -i f.data --stdio --cum -n 0
check_table cum.tsv cum
[ "$(nrows cum.tsv)" = "$(nrows top.tsv)" ] || fail "--cum shows $(nrows cum.tsv) rows, the default $(nrows top.tsv)"
# main comes right after its callers (_start and libc's start functions, which the unwinder reaches
# through libc's call frame information) and before every function it calls
mainpos=$(awk -F '\t' '$6 == "main" { print NR; exit }' cum.tsv)
above=$(awk -F '\t' '$6 == "main" { exit } $6 !~ /^(_start|__libc_start_main.*|__libc_start_call_main)$/ { print $6 }' cum.tsv)
[ -n "$mainpos" ] && [ -z "$above" ] ||
    fail "main is row ${mainpos:-none} of the --cum table, below $(echo $above) (only its callers may come first)"

# --- --limit / -n ---
run_report lim -i f.data --stdio --limit 2
[ "$(nrows lim.tsv)" = 2 ] || fail "--limit 2 printed $(nrows lim.tsv) rows"
head -n 2 top.tsv | cmp -s - lim.tsv || fail "--limit 2 rows differ from the first two of the full table"
run_report lim1 -i f.data --stdio -n 1
[ "$(nrows lim1.tsv)" = 1 ] || fail "-n 1 printed $(nrows lim1.tsv) rows"

# --- --sample-index samples: integer sample counts that add up to Samples ---
run_report cnt -i f.data --stdio --sample-index samples -n 0
check_table cnt.tsv
awk 'f && NF >= 6 && ($1 !~ /^[0-9]+$/ || $4 !~ /^[0-9]+$/) { bad = 1 }
    /^ +flat +flat%/ { f = 1 } END { exit bad }' cnt.out || {
    show cnt
    fail "--sample-index samples shows non-integer values"
}
assert_between "--sample-index samples: sum of the flat counts" "$(sum_where cnt.tsv 1 1)" \
    "$samples" "$samples"
c3=$(row_field cnt.tsv work_three 1)
c1=$(row_field cnt.tsv work_one 1)
expect_pair "work_three's share of the work_three + work_one samples" "$c3" "$c1" "$((c3 + c1))" "$share3"

# --- --comm / --pid / --tid ---
rows_of() # TSV: the work_three and work_one rows
{
    awk -F '\t' '$6 == "work_three" || $6 == "work_one"' "$1"
}
rows_of top.tsv >want.txt
for f in "--comm split" "--comm nosuchcomm,split" "--pid $pid" "--tid $pid" "--pid 1,$pid"; do
    # shellcheck disable=SC2086 # split "--opt value"
    run_report filt -i f.data --stdio -n 0 $f
    rows_of filt.tsv | cmp -s - want.txt || {
        show filt
        fail "$f changes the work_three/work_one rows"
    }
done
for f in "--comm nosuchcomm" "--pid 1" "--tid 1" "--focus nosuchfunction"; do
    # shellcheck disable=SC2086
    run_hwprof none report -i f.data --stdio $f
    expect_no_sanitizer none
    [ "$RC" -le 125 ] || fail "$f: hwprof died with status $RC"
    report_rows none.out >none.tsv
    [ "$(nrows none.tsv)" = 0 ] || {
        show none
        fail "$f (no such samples) still prints rows"
    }
    [ -s none.out ] || [ -s none.err ] || fail "$f: no rows and no message saying why"
done

# --- --focus: only stacks with work_one; percentages stay relative to the unfiltered total ---
run_report focus -i f.data --stdio -n 0 --focus 'work_one'
check_table focus.tsv
[ "$(row_field focus.tsv work_three 1)" = 0 ] || fail "--focus work_one still charges work_three"
assert_le "|work_one flat% with --focus work_one - without|" \
    "$(abs_diff "$(row_field focus.tsv work_one 2)" "$one")" 0.011
assert_between "main cum% with --focus work_one" "$(row_field focus.tsv main 5)" \
    "$(awk -v a="$one" 'BEGIN { print a - 1 }')" "$(awk -v a="$one" 'BEGIN { print a + 1 }')"
# A POSIX extended regex that matches both.
run_report focus2 -i f.data --stdio -n 0 --focus '^work_(one|three)$'
rows_of focus2.tsv | cmp -s - want.txt || fail "--focus '^work_(one|three)\$' changes their rows"

# --- --ignore: drop stacks with work_three ---
run_report ign -i f.data --stdio -n 0 --ignore 'work_three'
check_table ign.tsv
[ "$(row_field ign.tsv work_three 1)" = 0 ] || fail "--ignore work_three still shows work_three"
assert_le "|work_one flat% with --ignore work_three - without|" \
    "$(abs_diff "$(row_field ign.tsv work_one 2)" "$one")" 0.011
assert_le "main cum% with --ignore work_three" "$(row_field ign.tsv main 5)" \
    "$(awk -v m="$main_cum" -v w="$(row_field top.tsv work_three 5)" 'BEGIN { print m - w + 0.5 }')"
exit 0
