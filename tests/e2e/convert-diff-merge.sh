#!/bin/bash
# convert-diff-merge.sh - e2e: two converted recordings of split have the same sample types, so go tool pprof can diff (-diff_base) and merge (-proto a b) them.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/pprof-lib.sh"

# sample_types NAME: the sample types of a -raw output, "[dflt]" dropped.
sample_types()
{
    awk '/^Samples:$/ { getline; print; exit }' "$T/$1.out" | sed 's/\[dflt\]//; s/^ *//; s/ *$//'
}

require_perf_events
require_prog split
require_pprof
cd "$T"

# b runs twice as long as a: the diff is far from 0. split measures the CPU time of its
# work_three and work_one calls: the merged profile has the sums of both runs.
t3=0
t1=0
for r in a b; do
    secs=0.5
    [ "$r" = a ] || secs=1
    run_hwprof "rec-$r" record -e cpu-clock -o "$r.data" -- "$PROGS/split" "$secs"
    expect_rc "rec-$r" 0
    load_truth "rec-$r.out"
    need_truth work_three.cpu_ns work_one.cpu_ns
    t3=$((t3 + $(truth work_three.cpu_ns)))
    t1=$((t1 + $(truth work_one.cpu_ns)))
    run_hwprof "conv-$r" convert -i "$r.data" -o "$r.pb.gz"
    expect_no_sanitizer "conv-$r"
    expect_rc "conv-$r" 0
    pprof "raw-$r" -raw "$r.pb.gz"
    pprof "top-$r" -top -nodefraction=0 "$r.pb.gz"
    pprof "cnt-$r" -top -nodefraction=0 -sample_index=samples "$r.pb.gz"
done

# --- the same sample types, period type and default ---
[ -n "$(sample_types raw-a)" ] || fail "a.pb.gz: -raw shows no sample types"
[ "$(sample_types raw-a)" = "$(sample_types raw-b)" ] ||
    fail "the sample types differ: a: $(sample_types raw-a); b: $(sample_types raw-b)"
[ "$(grep '^PeriodType:' raw-a.out)" = "$(grep '^PeriodType:' raw-b.out)" ] ||
    fail "the period types differ: $(grep '^PeriodType:' raw-a.out) / $(grep '^PeriodType:' raw-b.out)"

# --- diff: b against the base a ---
pprof diff -top -nodefraction=0 -diff_base a.pb.gz b.pb.gz
grep -q 'work_three' diff.out || {
    show diff
    fail "go tool pprof -top -diff_base a.pb.gz b.pb.gz does not mention work_three"
}
# A profile against itself: no difference at all.
pprof self -top -diff_base a.pb.gz a.pb.gz
grep -Eq '^Showing nodes accounting for 0, 0% of ' self.out || {
    show self
    fail "-diff_base a.pb.gz a.pb.gz shows a difference"
}

# --- merge: -proto a b writes one profile with the sum of both ---
go tool pprof -proto a.pb.gz b.pb.gz >m.pb.gz 2>merge.err || {
    head -n 20 merge.err >&2
    fail "go tool pprof -proto a.pb.gz b.pb.gz (merge) failed"
}
pprof raw-m -raw m.pb.gz
[ "$(sample_types raw-m)" = "$(sample_types raw-a)" ] ||
    fail "the merged sample types ($(sample_types raw-m)) differ from the inputs' ($(sample_types raw-a))"
pprof top-m -top -nodefraction=0 m.pb.gz
pprof cnt-m -top -nodefraction=0 -sample_index=samples m.pb.gz
for k in top cnt; do
    ta=$(pprof_total "$k-a")
    tb=$(pprof_total "$k-b")
    tm=$(pprof_total "$k-m")
    note "$k: totals a $ta, b $tb, merged $tm"
    assert_ge "$k: total of a" "$ta" 1
    assert_between "$k: merged total / (a + b)" "$(ratio "$tm" "$(awk -v a="$ta" -v b="$tb" 'BEGIN { print a + b }')")" \
        0.995 1.005
done
[ "$(pprof_total cnt-m)" = "$(($(pprof_total cnt-a) + $(pprof_total cnt-b)))" ] ||
    fail "the merged profile has $(pprof_total cnt-m) samples, a and b $(pprof_total cnt-a) + $(pprof_total cnt-b)"
pprof_rows top-m >top-m.tsv
expect_pair "merged: work_three's share of work_three + work_one (flat%)" "$(row_field top-m.tsv work_three 2)" \
    "$(row_field top-m.tsv work_one 2)" \
    "$(calc "($(row_field top-m.tsv work_three 2) + $(row_field top-m.tsv work_one 2)) * $(pprof_total cnt-m) / 100")" \
    "$(calc "$t3 / ($t3 + $t1)")"
exit 0
