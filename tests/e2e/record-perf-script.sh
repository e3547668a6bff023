#!/bin/bash
# record-perf-script.sh - e2e: perf reads hwprof's default recording: callchains, header, build ids.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

require_perf_events
require_prog hot
cd "$T"
mkdir out

# Default options: event cycles (or its cpu-clock fallback), frame-pointer callchains.
run_hwprof rec record -o out/f.data -- "$PROGS/hot"
expect_rc rec 0
assert_only_files out f.data

# --- callchains: hot_function <- run_work <- main, leaf first ---
# hot measures the CPU time of its hot_function and cold_function calls and of main.
load_truth rec.out
need_truth hot_function.cpu_ns cold_function.cpu_ns main.cpu_ns
perf_samples out/f.data >s.tsv
total=$(count_samples s.tsv)
nmain=$(count_chain s.tsv main)
chain=$(count_chain_prefix s.tsv "hot_function;run_work;main")
cold=$(count_chain_prefix s.tsv "cold_function;run_work;main")
note "$total samples, $nmain through main, hot_function<-run_work<-main: $chain, cold_function<-run_work<-main: $cold"
# (The default event is cycles, or cpu-clock without a PMU: either counts time in these loops.)
expect_share "share of the samples through main with callchain hot_function<-run_work<-main" "$chain" "$nmain" \
    "$(calc "$(truth hot_function.cpu_ns) / $(truth main.cpu_ns)")"
expect_share "share of the samples through main with callchain cold_function<-run_work<-main" "$cold" "$nmain" \
    "$(calc "$(truth cold_function.cpu_ns) / $(truth main.cpu_ns)")"
# The plain perf script output has multi-frame callchains (not just the sampled ip).
perf_script_raw out/f.data >plain.txt
awk '/^\t/ { s = $2; sub(/\+0x[0-9a-f]+$/, "", s) }
    /^\t/ && s == "hot_function" { h = NR }
    /^\t/ && s == "run_work" && h == NR - 1 { n++ }
    END { exit !(n > 0) }' plain.txt || {
    head -n 30 plain.txt >&2
    fail "plain 'perf script' output never shows run_work right below hot_function"
}

# --- perf report reads it and ranks hot_function first ---
perf_report_raw out/f.data --no-children --sort sym -g none >report.txt
top=$(grep -v '^#' report.txt | grep -v '^[[:space:]]*$' | head -1)
case "$top" in
*hot_function*) ;;
*)
    head -n 20 report.txt >&2
    fail "perf report's top entry is not hot_function: $top"
    ;;
esac

# --- header ---
perf_report_raw out/f.data --header-only >header.txt
# header_field NAME: prints the value of "# NAME : value".
header_field()
{
    sed -n "s/^# $1 *: //p" header.txt | head -1
}
[ "$(header_field hostname)" = "$(uname -n)" ] ||
    fail "header hostname is '$(header_field hostname)', expected '$(uname -n)'"
[ "$(header_field 'os release')" = "$(uname -r)" ] ||
    fail "header os release is '$(header_field 'os release')', expected '$(uname -r)'"
case "$(header_field cmdline)" in
*hwprof\ record*) ;;
*) fail "header cmdline '$(header_field cmdline)' does not contain 'hwprof record'" ;;
esac
online=$(getconf _NPROCESSORS_ONLN)
[ "$(header_field 'nrcpus online')" = "$online" ] ||
    fail "header nrcpus online is '$(header_field 'nrcpus online')', expected $online"
[ -n "$(header_field 'nrcpus avail')" ] || fail "header has no 'nrcpus avail'"

# --- build ids: the hot binary with the build id its ELF notes carry ---
want_path=$(readlink -f "$PROGS/hot")
want_id=$(readelf -n "$want_path" | sed -n 's/^ *Build ID: *\([0-9a-f]*\).*/\1/p' | head -1)
[ -n "$want_id" ] || fail "$want_path has no GNU build id note (readelf -n)"
if command -v file >/dev/null 2>&1; then
    file "$want_path" | grep -q "BuildID\[sha1\]=$want_id" ||
        fail "file(1) and readelf -n disagree about the build id of $want_path"
fi
perf buildid-list -i out/f.data >buildids.txt 2>buildids.err || {
    head -n 5 buildids.err >&2
    fail "perf buildid-list -i out/f.data failed"
}
check_perf_stderr buildids.err "perf buildid-list"
got_id=$(awk -v p="$want_path" '$2 == p { print $1; exit }' buildids.txt)
[ -n "$got_id" ] || {
    cat buildids.txt >&2
    fail "perf buildid-list does not list $want_path"
}
[ "$got_id" = "$want_id" ] || fail "build id of $want_path is $got_id in the file, $want_id in the ELF"
exit 0
