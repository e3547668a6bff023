#!/bin/bash
# report-pie.sh - e2e: hwprof report symbolizes split built as PIE, non-PIE and with lld: work_three/work_one 3:1.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"

require_perf_events
require_prog split split-nopie
command -v readelf >/dev/null 2>&1 || skip "readelf is not installed (apt-get install binutils)"
cd "$T"

variants="split split-nopie"
if [ -x "$PROGS/split-lld" ]; then
    variants="$variants split-lld"
elif command -v ld.lld >/dev/null 2>&1; then
    fail "ld.lld is installed but $PROGS/split-lld is not built: build it with 'make check'"
else
    note "not testing split-lld: the lld linker is not installed (apt-get install lld)"
fi

# elf_type PROG: "DYN" or "EXEC".
elf_type()
{
    readelf -h "$PROGS/$1" | awk '$1 == "Type:" { print $2 }'
}
[ "$(elf_type split)" = DYN ] || fail "$PROGS/split is not a PIE (ELF type $(elf_type split)): the test needs one"
[ "$(elf_type split-nopie)" = EXEC ] || fail "$PROGS/split-nopie is not a non-PIE executable (ELF type $(elf_type split-nopie))"
case " $variants " in
*" split-lld "*)
    readelf -p .comment "$PROGS/split-lld" 2>/dev/null | grep -q 'Linker:.* LLD ' ||
        fail "$PROGS/split-lld has no 'Linker: ... LLD' in .comment: was it linked with lld?"
    ;;
esac

for v in $variants; do
    run_hwprof "rec-$v" record -e cpu-clock -o "$v.data" -- "$PROGS/$v"
    expect_rc "rec-$v" 0
    # split measures the CPU time of its work_three and work_one calls and of main.
    load_truth "rec-$v.out"
    need_truth work_three.cpu_ns work_one.cpu_ns main.cpu_ns process.cpu_ns
    t3=$(truth work_three.cpu_ns)
    t1=$(truth work_one.cpu_ns)
    run_report "$v" -i "$v.data" --stdio -n 0
    check_table "$v.tsv"
    three=$(row_field "$v.tsv" work_three 2)
    one=$(row_field "$v.tsv" work_one 2)
    main=$(row_field "$v.tsv" main 5)
    note "$v: flat% work_three $three, work_one $one; cum% main $main"
    [ "$(report_header "$v.out" File)" = "$v" ] || fail "$v: File is '$(report_header "$v.out" File)', expected $v"
    n=$(report_header "$v.out" Samples)
    expect_pair "$v: work_three's share of work_three + work_one (flat%)" "$three" "$one" \
        "$(calc "($three + $one) * $n / 100")" "$(calc "$t3 / ($t3 + $t1)")"
    # All but the clock reads between the calls, the start-up and the exit.
    SHARE_SLACK=$(calc "$SHARE_SLACK + 0.02") expect_share_ge "$v: work_three + work_one flat% / 100" \
        "$(calc "$three + $one")" 100 "$(calc "($t3 + $t1) / $(truth process.cpu_ns)")" "$n"
    expect_main_cum "$v: main cum%" "$main" "$n"
    # No placeholder frames of the binary itself: every address in split is known.
    if awk -F '\t' -v p="$v+0x" 'index($6, p) == 1 { found = 1 } END { exit !found }' "$v.tsv"; then
        show "$v"
        fail "$v: some addresses of $v are not symbolized"
    fi
done
exit 0
