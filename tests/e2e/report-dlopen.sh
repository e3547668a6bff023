#!/bin/bash
# report-dlopen.sh - e2e: hwprof report symbolizes a dlopen()ed library: dl_hot with its source file.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"

require_perf_events
require_prog dlopener
[ -f "$PROGS/libdl-target.so" ] || fail "$PROGS/libdl-target.so is missing: build it with 'make check'"
cd "$T"

run_hwprof rec record -e cpu-clock -o f.data -- "$PROGS/dlopener" "$PROGS/libdl-target.so"
expect_rc rec 0
grep -q '^dlopener: checksum' rec.out || {
    show rec
    fail "dlopener did not run to completion"
}

# dlopener measures the CPU time of its call of dl_hot, and main's.
load_truth rec.out
need_truth dlopener_run.cpu_ns main.cpu_ns
run_report fn -i f.data --stdio -n 0
check_table fn.tsv
hot=$(row_field fn.tsv dl_hot 2)
note "dl_hot flat% $hot, dlopener_run cum% $(row_field fn.tsv dlopener_run 5), main cum% $(row_field fn.tsv main 5)"
# (dl_hot's clock reads, rare, are its callees.)
expect_share "dl_hot flat% / main cum%" "$hot" "$(row_field fn.tsv main 5)" \
    "$(calc "$(truth dlopener_run.cpu_ns) / $(truth main.cpu_ns)")" \
    "$(calc "int($(row_field fn.tsv main 5) * $(report_header fn.out Samples) / 100)")"
[ "$(head -1 fn.tsv | cut -f6)" = dl_hot ] || fail "the first row is not dl_hot"
# The callchain crosses from the library back into dlopener.
assert_ge "dlopener_run cum% - dl_hot flat%" \
    "$(awk -v c="$(row_field fn.tsv dlopener_run 5)" -v h="$hot" 'BEGIN { print c - h + 0.011 }')" 0
assert_ge "main cum%" "$(row_field fn.tsv main 5)" "$hot"
ph=$(sum_where fn.tsv 2 'index($6, "libdl-target.so+0x") == 1')
assert_le "flat% of unsymbolized libdl-target.so addresses" "$ph" 1

run_report lines -i f.data --stdio -n 0 --lines
check_table lines.tsv
awk -F '\t' '$6 ~ /^dl_hot ([^ ]*\/)?libdl-target\.c:[0-9]+$/' lines.tsv >dl-lines.tsv
[ -s dl-lines.tsv ] || {
    show lines
    fail "--lines has no row 'dl_hot .../libdl-target.c:LINE'"
}
assert_le "|flat% of dl_hot's --lines rows - dl_hot's flat%|" "$(abs_diff "$(sum_where dl-lines.tsv 2 1)" "$hot")" 0.1
exit 0
