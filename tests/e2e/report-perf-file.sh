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
note "perf-written split: flat% work_three $three, work_one $one, cum% main $(row_field split.tsv main 5)"
[ "$(head -1 split.tsv | cut -f6)" = work_three ] || fail "the first row is not work_three"
assert_between "work_three flat% / work_one flat%" "$(ratio "$three" "$one")" 2.1 3.9
assert_ge "main cum%" "$(row_field split.tsv main 5)" 95

# --- two events and a sample-read group of faulter ---
perf_rec two -g -e cpu-clock,page-faults -- "$PROGS/faulter"
perf_rec group -g -e '{cpu-clock,page-faults}:S' -- "$PROGS/faulter"
for f in two group; do
    # The default is the first event.
    run_report "$f-cc" -i "$f.data" --stdio -n 0
    check_table "$f-cc.tsv"
    case "$(report_header "$f-cc.out" Event)" in
    cpu-clock*) ;;
    *) show "$f-cc"; fail "$f: the default Event is '$(report_header "$f-cc.out" Event)', expected cpu-clock" ;;
    esac
    note "$f, cpu-clock: flat% compute_loop $(row_field "$f-cc.tsv" compute_loop 2)," \
        "cum% touch_pages $(row_field "$f-cc.tsv" touch_pages 5), main $(row_field "$f-cc.tsv" main 5)"
    [ "$(head -1 "$f-cc.tsv" | cut -f6)" = compute_loop ] || fail "$f: the first cpu-clock row is not compute_loop"
    assert_ge "$f: compute_loop flat% of cpu-clock" "$(row_field "$f-cc.tsv" compute_loop 2)" 15
    assert_ge "$f: touch_pages cum% of cpu-clock" "$(row_field "$f-cc.tsv" touch_pages 5)" 15
    assert_ge "$f: main cum% of cpu-clock" "$(row_field "$f-cc.tsv" main 5)" 90
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
    note "$f, page-faults: total $pf_total, flat% touch_pages $(row_field "$f-pf.tsv" touch_pages 2)," \
        "cum% touch_pages $(row_field "$f-pf.tsv" touch_pages 5)"
    # faulter faults 512 pages of 4 KiB per round, hundreds of rounds.
    assert_ge "$f: page faults counted" "$pf_total" 5000
done
# Sampled on its own, every page-faults sample is at the faulting instruction in touch_pages.
assert_ge "two: touch_pages flat% of page-faults" "$(row_field two-pf.tsv touch_pages 2)" 90
[ "$(head -1 two-pf.tsv | cut -f6)" = touch_pages ] || fail "two: the first page-faults row is not touch_pages"
# Read at cpu-clock samples, the faults go to wherever cpu-clock fired, mostly in the kernel's fault
# handling below touch_pages.
assert_ge "group: touch_pages cum% of page-faults" "$(row_field group-pf.tsv touch_pages 5)" 50

# An event the file does not have is an error.
run_hwprof nosuch report -i two.data --stdio --sample-index cycles
expect_no_sanitizer nosuch
expect_rc_nonzero nosuch
grep -q '^hwprof: ' nosuch.err || {
    show nosuch
    fail "--sample-index cycles on a file without cycles: no 'hwprof: ' error"
}
exit 0
