#!/bin/bash
# convert-sample-index.sh - e2e: a pprof of two events (group and two sampling events) has every sample type; go tool pprof -sample_index selects each, with hwprof report's totals.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/pprof-lib.sh"

require_perf_events
require_prog faulter
require_pprof
cd "$T"

run_hwprof grp record -e '{cpu-clock,page-faults}' -o group.data -- "$PROGS/faulter"
expect_rc grp 0
run_hwprof two record -e cpu-clock,page-faults -o two.data -- "$PROGS/faulter"
expect_rc two 0

for f in group two; do
    run_hwprof "$f-conv" convert -i "$f.data" -o "$f.pb.gz"
    expect_no_sanitizer "$f-conv"
    expect_rc "$f-conv" 0

    # The sample types, from -raw's header line "samples/count cpu/nanoseconds[dflt] ...".
    pprof "$f-raw" -raw "$f.pb.gz"
    types=$(awk '/^Samples:$/ { getline; print; exit }' "$f-raw.out" | sed 's/\[dflt\]//')
    note "$f: sample types: $types"
    # shellcheck disable=SC2086 # split the list
    set -- $types
    [ $# = 3 ] || fail "$f: $# sample types ($types), expected 3: samples, cpu-clock's, page-faults'"
    [ "$1" = samples/count ] || fail "$f: the first sample type is $1, expected samples/count"
    [ "$2" = cpu/nanoseconds ] || fail "$f: the second sample type is $2, expected cpu/nanoseconds"
    case "$3" in
    page-faults*/count) ;;
    *) fail "$f: the third sample type is $3, expected page-faults/count" ;;
    esac
    grep -q '^ *samples/count cpu/nanoseconds\[dflt\]' "$f-raw.out" ||
        fail "$f: cpu/nanoseconds is not the default sample type"

    # Every type, by name and by index: pprof shows it, with hwprof report's total for it.
    i=0
    for t in $types; do
        name=${t%%/*}
        for sel in "$name" "$i"; do
            pprof "$f-top-$sel" -top -nodefraction=0 -sample_index="$sel" "$f.pb.gz"
            grep -qx "Type: $name" "$f-top-$sel.out" || {
                show "$f-top-$sel"
                fail "$f: -sample_index=$sel does not show 'Type: $name'"
            }
            pprof_rows "$f-top-$sel" >"$f-top-$sel.tsv"
            [ "$(nrows "$f-top-$sel.tsv")" -ge 1 ] || fail "$f: -sample_index=$sel shows no rows"
        done
        cmp -s "$f-top-$name.out" "$f-top-$i.out" ||
            fail "$f: -sample_index=$name and -sample_index=$i show different tables"
        run_report "$f-rep-$name" -i "$f.data" --stdio -n 0 --sample-index "$name"
        ptotal=$(pprof_total "$f-top-$name")
        rtotal=$(report_value "$(report_header "$f-rep-$name.out" Total)")
        note "$f: $name: pprof total $ptotal, hwprof report Total $rtotal"
        assert_ge "$f: pprof total of $name" "$ptotal" 1
        assert_between "$f: pprof total of $name / hwprof report's" "$(ratio "$ptotal" "$rtotal")" 0.99 1.01
        # The report's ten first named functions: the same flat% and cum%.
        awk -F '\t' '$6 ~ /^[A-Za-z_][A-Za-z0-9_.]*$/' "$f-rep-$name.tsv" | head -n 10 >"$f-named-$name.tsv"
        while IFS=$'\t' read -r _ flatpct _ _ cumpct fn; do
            has_row "$f-top-$name.tsv" "$fn" || fail "$f: $name: hwprof report lists $fn, go tool pprof does not"
            assert_le "$f: $name: |flat% of $fn in pprof - in report|" \
                "$(abs_diff "$(row_field "$f-top-$name.tsv" "$fn" 2)" "$flatpct")" 0.1
            assert_le "$f: $name: |cum% of $fn in pprof - in report|" \
                "$(abs_diff "$(row_field "$f-top-$name.tsv" "$fn" 5)" "$cumpct")" 0.1
        done <"$f-named-$name.tsv"
        i=$((i + 1))
    done

    # The page faults are touch_pages': faulter prints how many pages it faulted in, and main's faults
    # and CPU time.
    load_truth "$([ "$f" = two ] && echo two || echo grp).out"
    need_truth touch_pages.faults touch_pages.calls touch_pages.cpu_ns main.faults
    pftype=${3%%/*}
    lead=$(head -1 "$f-top-$pftype.tsv" | cut -f6)
    note "$f: page-faults: first row $lead, touch_pages flat% $(row_field "$f-top-$pftype.tsv" touch_pages 2)" \
        "cum% $(row_field "$f-top-$pftype.tsv" touch_pages 5)"
    if [ "$f" = two ]; then
        # Sampled on its own, every page-faults sample is at the faulting store in touch_pages.
        [ "$lead" = touch_pages ] || {
            show "$f-top-$pftype"
            fail "$f: -sample_index=$pftype: the first row is $lead, expected touch_pages"
        }
        expect_share "$f: touch_pages flat% / main cum% of page-faults" "$(row_field "$f-top-$pftype.tsv" touch_pages 2)" \
            "$(row_field "$f-top-$pftype.tsv" main 5)" "$(calc "$(truth touch_pages.faults) / $(truth main.faults)")" \
            "$(summary_samples two page-faults)"
    elif kernel_sampled; then
        # Read at the cpu-clock samples, the faults go to wherever cpu-clock fired: mostly in the
        # kernel's fault handling below touch_pages; only the sample after a touch_pages call
        # carries the faults of its last period to compute_loop.
        clock_period group.data
        expect_share_ge "$f: touch_pages cum% / main cum% of page-faults" "$(row_field "$f-top-$pftype.tsv" touch_pages 5)" \
            "$(row_field "$f-top-$pftype.tsv" main 5)" \
            "$(calc "1 - $(truth touch_pages.calls) * $PERIOD / $(truth touch_pages.cpu_ns)")" \
            "$(calc "int($(truth touch_pages.cpu_ns) / $PERIOD)")"
    fi
    # The samples count is the report's Samples.
    [ "$(pprof_total "$f-top-samples")" = "$(report_header "$f-rep-samples.out" Samples)" ] ||
        fail "$f: pprof counts $(pprof_total "$f-top-samples") samples, hwprof report $(report_header "$f-rep-samples.out" Samples)"
done
exit 0
