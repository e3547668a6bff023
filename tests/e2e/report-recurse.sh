#!/bin/bash
# report-recurse.sh - e2e: hwprof report counts a recursive function once per sample in cum.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"

require_perf_events
require_prog recurse
cd "$T"

run_hwprof rec record -e cpu-clock -o f.data -- "$PROGS/recurse"
expect_rc rec 0
# recurse measures the CPU time of its calls from main and of the calls 4 frames deep.
load_truth rec.out
need_truth recurse.cpu_ns deep.cpu_ns main.cpu_ns
# The callchains really are recursive: the samples 4 recurse frames deep have the share of main's
# time recurse measured there.
perf_samples f.data >s.tsv
deep=$(count_where s.tsv '$5 ~ /^recurse;recurse;recurse;recurse;/')
nmain=$(count_chain s.tsv main)
note "samples: $(count_samples s.tsv), through main: $nmain, with recurse 4+ deep: $deep"
expect_share "share of the samples through main with recurse 4+ frames deep" "$deep" "$nmain" \
    "$(calc "$(truth deep.cpu_ns) / $(truth main.cpu_ns)")"

for idx in cpu-clock samples; do
    run_report "top-$idx" -i f.data --stdio -n 0 --sample-index "$idx"
    check_table "top-$idx.tsv"
    flat=$(row_field "top-$idx.tsv" recurse 2)
    cum=$(row_field "top-$idx.tsv" recurse 5)
    main=$(row_field "top-$idx.tsv" main 5)
    note "--sample-index $idx: recurse flat% $flat, cum% $cum; main cum% $main"
    assert_le "recurse cum% (--sample-index $idx)" "$cum" 100
    assert_le "|recurse cum% - main cum%| (--sample-index $idx)" "$(abs_diff "$cum" "$main")" 1
    expect_share "recurse flat% / main cum% (--sample-index $idx)" "$flat" "$main" \
        "$(calc "$(truth recurse.cpu_ns) / $(truth main.cpu_ns)")" "$nmain"
    # In absolute numbers too: recurse's cum is at most the total.
    total=$(sum_where "top-$idx.tsv" 1 1)
    assert_le "recurse cum / sum of flat (--sample-index $idx)" \
        "$(ratio "$(row_field "top-$idx.tsv" recurse 4)" "$total")" 1.0001
done
run_report cum -i f.data --stdio -n 0 --cum
check_table cum.tsv cum
exit 0
