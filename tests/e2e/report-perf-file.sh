#!/bin/bash
# report-perf-file.sh - e2e: hwprof report reads perf record's files: callchains, groups, two events, --sample-index.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"

require_perf_events
require_prog split faulter
cd "$T"

# perf_rec NAME ARGS...: runs `perf record -q ARGS`, output to NAME.data.
perf_rec()
{
    local name=$1
    shift
    perf record -q -o "$name.data" "$@" >"$name-rec.out" 2>"$name-rec.err" ||
        fail "perf record $* failed: $(head -1 "$name-rec.err")"
    [ -s "$name.data" ] || fail "perf record $* wrote no $name.data"
}

# integers NAME: fails unless the flat and cum columns of $T/NAME.out are plain counts.
integers()
{
    awk 'f && NF >= 6 && ($1 !~ /^[0-9]+$/ || $4 !~ /^[0-9]+$/) { bad = 1 }
        /^ +flat +flat%/ { f = 1 } END { exit bad }' "$1.out" || {
        show "$1"
        fail "$1: page-faults values are not plain counts"
    }
}

# --- perf record -g -e cpu-clock of split ---
perf_rec split -g -e cpu-clock -- "$PROGS/split"
load_truth split-rec.out
need_truth work_three.cpu_ns work_one.cpu_ns main.cpu_ns process.cpu_ns
run_report split -i split.data --stdio -n 0
check_table split.tsv
[ "$(report_header split.out File)" = split ] || fail "File is '$(report_header split.out File)', expected split"
case "$(report_header split.out Event)" in
cpu-clock*) ;;
*) show split; fail "Event is '$(report_header split.out Event)', expected cpu-clock" ;;
esac
case "$(report_header split.out Recorded)" in
*perf*record*split*) ;;
*) show split; fail "Recorded is '$(report_header split.out Recorded)', expected perf's command line" ;;
esac
three=$(row_field split.tsv work_three 2)
one=$(row_field split.tsv work_one 2)
n=$(report_header split.out Samples)
note "perf-written split: flat% work_three $three, work_one $one, cum% main $(row_field split.tsv main 5), $n samples"
[ "$(head -1 split.tsv | cut -f6)" = work_three ] || fail "the first row is not work_three"
expect_pair "work_three's share of work_three + work_one (flat%)" "$three" "$one" \
    "$(calc "($three + $one) * $n / 100")" \
    "$(calc "$(truth work_three.cpu_ns) / ($(truth work_three.cpu_ns) + $(truth work_one.cpu_ns))")"
expect_main_cum "main cum%" "$(row_field split.tsv main 5)" "$n"

# --- two events and a sample-read group of faulter ---
# faulter splits its CPU time 3:2 between compute_loop and touch_pages (page faults) and prints
# what each took and how many pages it faulted in.
perf_rec two -g -e cpu-clock,page-faults -- "$PROGS/faulter"
perf_rec group -g -e '{cpu-clock,page-faults}:S' -- "$PROGS/faulter"
for f in two group; do
    load_truth "$f-rec.out"
    need_truth compute_loop.cpu_ns touch_pages.cpu_ns touch_pages.calls touch_pages.faults main.cpu_ns \
        main.faults process.cpu_ns
    clock_period "$f.data"
    perf_samples "$f.data" >"$f.tsv"
    ncc=$(count_samples "$f.tsv" cpu-clock)
    # The default is the first event.
    run_report "$f-cc" -i "$f.data" --stdio -n 0
    check_table "$f-cc.tsv"
    case "$(report_header "$f-cc.out" Event)" in
    cpu-clock*) ;;
    *) show "$f-cc"; fail "$f: the default Event is '$(report_header "$f-cc.out" Event)', expected cpu-clock" ;;
    esac
    compute=$(row_field "$f-cc.tsv" compute_loop 2)
    touch=$(row_field "$f-cc.tsv" touch_pages 5)
    main=$(row_field "$f-cc.tsv" main 5)
    note "$f, cpu-clock ($ncc samples): flat% compute_loop $compute, cum% touch_pages $touch, main $main"
    # compute_loop has 60% of main's CPU time: no other function comes near.
    [ "$(head -1 "$f-cc.tsv" | cut -f6)" = compute_loop ] || fail "$f: the first cpu-clock row is not compute_loop"
    nmain=$(calc "int($main * $ncc / 100 + 0.5)")
    expect_share "$f: compute_loop flat% / main cum%" "$compute" "$main" \
        "$(calc "$(truth compute_loop.cpu_ns) / $(truth main.cpu_ns)")" "$nmain"
    if kernel_sampled; then
        # touch_pages' page faults are handled in the kernel, below it.
        expect_share "$f: touch_pages cum% / main cum%" "$touch" "$main" \
            "$(calc "$(truth touch_pages.cpu_ns) / $(truth main.cpu_ns)")" "$nmain"
    fi
    expect_main_cum "$f: main cum% of cpu-clock" "$main" "$ncc"
    # An explicit --sample-index cpu-clock is the same.
    run_report "$f-cc2" -i "$f.data" --stdio -n 0 --sample-index cpu-clock
    cmp -s "$f-cc.tsv" "$f-cc2.tsv" || fail "$f: --sample-index cpu-clock differs from the default"

    run_report "$f-pf" -i "$f.data" --stdio -n 0 --sample-index page-faults
    check_table "$f-pf.tsv"
    integers "$f-pf"
    case "$(report_header "$f-pf.out" Event)" in
    page-faults*) ;;
    *) show "$f-pf"; fail "$f: --sample-index page-faults shows Event '$(report_header "$f-pf.out" Event)'" ;;
    esac
    pf_total=$(sum_where "$f-pf.tsv" 1 1)
    pf_main=$(row_field "$f-pf.tsv" main 4)
    note "$f, page-faults: total $pf_total, under main $pf_main, flat% touch_pages $(row_field "$f-pf.tsv" touch_pages 2)," \
        "cum% touch_pages $(row_field "$f-pf.tsv" touch_pages 5); faulter faulted in $(truth touch_pages.faults) pages"
    if [ "$f" = two ]; then
        # Sampled on its own, the page-faults count covers every fault up to its last sample.
        expect_count_ge "$f: page faults counted" "$pf_total" "$(truth touch_pages.faults)"
        # Every page-faults sample is at the faulting instruction in touch_pages: its share of
        # main's faults is the share of the pages it faulted in.
        [ "$(head -1 two-pf.tsv | cut -f6)" = touch_pages ] || fail "two: the first page-faults row is not touch_pages"
        expect_share "two: touch_pages flat% / main cum% of page-faults" "$(row_field two-pf.tsv touch_pages 2)" \
            "$(row_field two-pf.tsv main 5)" "$(calc "$(truth touch_pages.faults) / $(truth main.faults)")" \
            "$(count_where two.tsv 'index($4, "page-faults") && index(";" $5 ";", ";main;")')"
    else
        # Read at the cpu-clock samples: every fault up to the last one, but those of the last
        # period of CPU time (at most a period's share of touch_pages' faults).
        expect_count_ge "$f: page faults counted" "$pf_total" \
            "$(calc "$(truth touch_pages.faults) * (1 - 2 * $PERIOD / $(truth touch_pages.cpu_ns))")"
        # The faults go to wherever cpu-clock fired, mostly in the kernel's fault handling below
        # touch_pages; only the samples after a touch_pages call carry the faults of its last
        # period elsewhere.
        if kernel_sampled; then
            expect_share_ge "group: touch_pages cum / main cum of page-faults" "$(row_field group-pf.tsv touch_pages 4)" \
                "$pf_main" "$(calc "1 - $(truth touch_pages.calls) * $PERIOD / $(truth touch_pages.cpu_ns)")" \
                "$(calc "int($(truth touch_pages.cpu_ns) / $PERIOD)")"
        fi
    fi
done

# An event the file does not have is an error.
run_hwprof nosuch report -i two.data --stdio --sample-index cycles
expect_no_sanitizer nosuch
expect_rc_nonzero nosuch
grep -q '^hwprof: ' nosuch.err || {
    show nosuch
    fail "--sample-index cycles on a file without cycles: no 'hwprof: ' error"
}
exit 0
