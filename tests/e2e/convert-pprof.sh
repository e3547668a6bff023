#!/bin/bash
# convert-pprof.sh - e2e: hwprof convert of the split workload to .pb.gz, read by go tool pprof: same flat% as hwprof report, sample types, mappings, labels, comments.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/pprof-lib.sh"

require_perf_events
require_prog split
require_pprof
command -v readelf >/dev/null 2>&1 || skip "readelf is not installed (apt-get install binutils)"
cd "$T"

run_hwprof rec record -e cpu-clock -o f.data -- "$PROGS/split"
expect_rc rec 0
# split measures the CPU time of its work_three and work_one calls and of main.
load_truth rec.out
need_truth work_three.cpu_ns work_one.cpu_ns
perf_samples f.data >s.tsv
pid=$(awk -F '\t' '$1 == "split" { print $2; exit }' s.tsv)
[ -n "$pid" ] || fail "perf script shows no sample of comm split"
lost=$(sed -n 's/^hwprof: [^ ]*cpu-clock[^ ]*: [0-9]* samples, \([0-9]*\) lost.*/\1/p' rec.err | head -1)

run_hwprof conv convert -i f.data -o p.pb.gz
expect_no_sanitizer conv
expect_rc conv 0
[ -s p.pb.gz ] || fail "hwprof convert -o p.pb.gz wrote no (or an empty) p.pb.gz"
[ "$(od -An -tx1 -N2 p.pb.gz | tr -d ' ')" = 1f8b ] || fail "p.pb.gz does not start with the gzip magic 1f 8b"
gzip -t p.pb.gz 2>gz.err || fail "p.pb.gz is not a valid gzip file: $(head -1 gz.err)"

# --- the top table: the 3:1 split, and the same numbers as hwprof report ---
run_report rep -i f.data --stdio -n 0
pprof top -top -nodefraction=0 -unit=ms p.pb.gz
pprof_rows top >top.tsv
grep -q '^Type: cpu$' top.out || {
    show top
    fail "go tool pprof -top does not show 'Type: cpu' (the default sample type)"
}
three=$(row_field top.tsv work_three 2)
one=$(row_field top.tsv work_one 2)
note "pprof flat% work_three $three, work_one $one; report $(row_field rep.tsv work_three 2), $(row_field rep.tsv work_one 2)"
has_row top.tsv work_three && has_row top.tsv work_one || {
    show top
    fail "go tool pprof -top does not list work_three and work_one"
}
n=$(summary_samples rec cpu-clock)
expect_pair "pprof: work_three's share of work_three + work_one (flat%)" "$three" "$one" \
    "$(calc "($three + $one) * $n / 100")" \
    "$(calc "$(truth work_three.cpu_ns) / ($(truth work_three.cpu_ns) + $(truth work_one.cpu_ns))")"
expect_main_cum "pprof: main cum%" "$(row_field top.tsv main 5)" "$n"

# Every named function of the report: the same flat% (both print 2 decimals) and flat value (the
# report prints 3 significant digits).
awk -F '\t' '$1 > 0 && $6 ~ /^[A-Za-z_][A-Za-z0-9_.]*$/' rep.tsv >named.tsv
[ "$(nrows named.tsv)" -ge 2 ] || fail "hwprof report shows fewer than 2 named functions"
while IFS=$'\t' read -r flat flatpct _ _ _ name; do
    has_row top.tsv "$name" || {
        show top
        fail "hwprof report lists $name (flat% $flatpct), go tool pprof -top does not"
    }
    assert_le "|flat% of $name in pprof - in hwprof report|" \
        "$(abs_diff "$(row_field top.tsv "$name" 2)" "$flatpct")" 0.1
    assert_le "|flat of $name in pprof - in hwprof report| (ns)" \
        "$(abs_diff "$(row_field top.tsv "$name" 1)" "$flat")" \
        "$(awk -v f="$flat" 'BEGIN { print f * 0.006 + 10000 }')"
done <named.tsv
ptotal=$(pprof_total top)
rtotal=$(report_value "$(report_header rep.out Total)")
assert_between "pprof total / hwprof report Total" "$(ratio "$ptotal" "$rtotal")" 0.99 1.01

# The samples: the same counts as the report's.
pprof cnt -top -nodefraction=0 -sample_index=samples p.pb.gz
grep -q '^Type: samples$' cnt.out || fail "-sample_index=samples does not show 'Type: samples'"
samples=$(report_header rep.out Samples)
[ "$(pprof_total cnt)" = "$samples" ] ||
    fail "pprof counts $(pprof_total cnt) samples, hwprof report $samples"

# --- -raw: sample types, period, mappings with the build id, labels, comments, times ---
pprof raw -raw p.pb.gz
grep -Eq '^ *samples/count +cpu/nanoseconds\[dflt\] *$' raw.out || {
    show raw
    fail "-raw: the sample types are not 'samples/count cpu/nanoseconds[dflt]'"
}
grep -q '^PeriodType: cpu nanoseconds$' raw.out || fail "-raw: no 'PeriodType: cpu nanoseconds'"
period=$(sed -n 's/^Period: //p' raw.out)
assert_ge "Period" "${period:-0}" 1
grep -q '^Time: ' raw.out || fail "-raw: no Time (time_nanos is not set)"
grep -q '^Duration: ' raw.out || fail "-raw: no Duration (duration_nanos is not set)"
# Mappings: "ID: start/limit/offset file buildid [FN][FL][LN][IN]", the main binary first.
bid=$(readelf -n "$PROGS/split" | awk '/Build ID:/ { print $3; exit }')
[ -n "$bid" ] || fail "$PROGS/split has no GNU build id note"
awk '/^Mappings$/ { m = 1; next } m' raw.out >maps.txt
first=$(head -1 maps.txt)
note "first mapping: $first"
case "$first" in
"1: "*" $PROGS/split $bid "*) ;;
*) show raw; fail "the first mapping is not 1: ... $PROGS/split $bid (the main binary, with its build id)" ;;
esac
case "$first" in
*"[FN]"*"[FL]"*"[LN]"*) ;;
*) fail "the split mapping lacks has_functions/has_filenames/has_line_numbers: $first" ;;
esac
awk '$1 ~ /^[0-9]+:$/ { if ($1 != NR ":") bad = 1 } END { exit bad }' maps.txt ||
    fail "the mapping ids are not 1, 2, 3, ...: $(cut -d' ' -f1 maps.txt | tr '\n' ' ')"
# Labels: thread_id and pid (numbers, perhaps with a unit), thread_name and comm (strings), cpu.
for l in "pid:\[$pid( [a-z]+)?\]" "thread_id:\[$pid( [a-z]+)?\]" 'thread_name:\[split\]' 'comm:\[split\]' \
    'cpu:\[[0-9]+( [a-z]+)?\]'; do
    grep -Eq "(^| )$l" raw.out || {
        show raw
        fail "-raw shows no sample label $l"
    }
done
# Comments: the command line, the host, the hwprof version, the lost samples.
grep '^Comment: ' raw.out >comments.txt || fail "-raw shows no comments"
grep -q 'record.*split' comments.txt || fail "no comment with the record command line: $(cat comments.txt)"
host=$(uname -n)
grep -qF "$host" comments.txt || fail "no comment with the host name $host: $(cat comments.txt)"
version=$("$HWPROF" --version)
grep -qF "$version" comments.txt || fail "no comment with the version '$version': $(cat comments.txt)"
grep -i 'lost' comments.txt | grep -Eq "(^|[^0-9])${lost:-0}([^0-9]|\$)" ||
    fail "no comment with the lost samples (${lost:-0}): $(cat comments.txt)"

# --- --no-labels: the same profile without per-sample labels ---
run_hwprof nolab convert -i f.data -o nolab.pb.gz --no-labels
expect_rc nolab 0
pprof rawnl -raw nolab.pb.gz
! grep -Eq '(^| )(pid|thread_id|thread_name|comm|cpu):\[' rawnl.out || fail "--no-labels still writes labels"
pprof topnl -top -nodefraction=0 -sample_index=samples nolab.pb.gz
[ "$(pprof_total topnl)" = "$samples" ] || fail "--no-labels: pprof counts $(pprof_total topnl) samples, not $samples"

# --- -traces: the stacks, leaf first, run through main ---
pprof tr -traces p.pb.gz
for f in work_three work_one; do
    # A stack's first line is "VALUE  leaf", the others "  caller".
    awk -v f="$f" '{ n = ($1 ~ /^[0-9.]/) ? $2 : $1 } prev == f && n == "main" { ok = 1 } { prev = n }
        END { exit !ok }' tr.out || {
        show tr
        fail "-traces has no stack with $f called from main"
    }
done
exit 0
