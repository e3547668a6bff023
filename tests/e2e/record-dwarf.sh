#!/bin/bash
# record-dwarf.sh - e2e: record -g dwarf unwinds from stack copies whole stacks through code without frame pointers; perf reads the file, and hwprof reads perf's --call-graph dwarf files.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"

require_perf_events
require_perf_tool
require_prog stacks
cd "$T"

# A program built without frame pointers: the frame-pointer chain cannot reach main from its leaf.
cat >nofp.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static unsigned long sink;
__attribute__((noinline)) static unsigned long leaf(unsigned long x)
{
    for (int i = 0; i < 100000; i++)
        x = x * 6364136223846793005ul + 1442695040888963407ul;
    return x;
}
__attribute__((noinline)) static void middle(int depth)
{
    volatile char pad[64]; /* a frame of its own */
    pad[depth & 63] = (char)depth;
    if (depth)
        middle(depth - 1);
    else
        sink += leaf(sink);
    sink += (unsigned char)pad[(depth * 7) & 63]; /* work after the call: no tail call */
}
int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 1;
    struct timespec t0, t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    do {
        for (int i = 0; i < 64; i++) /* the clock read, a system call, is rare */
            middle(20);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    } while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
    printf("nofp: %lu\n", sink);
    return 0;
}
C
${CC:-cc} -O2 -g -fomit-frame-pointer -o nofp nofp.c || fail "cannot build nofp.c"

run_hwprof rec record -e cpu-clock -g dwarf -o d.data -- ./nofp 1
expect_rc rec 0
run_report top -i d.data --stdio -n 0 --cum
samples=$(report_header top.out Samples)
leaf=$(row_field top.tsv leaf 5)
main=$(row_field top.tsv main 5)
deep=$(row_field top.tsv middle 5)
note "-g dwarf: leaf cum $leaf%, middle cum $deep%, main cum $main% of $samples samples"
assert_ge "samples" "$samples" 100
assert_ge "leaf cum%" "$leaf" 90
# every sample of the workload reaches main through 21 frames of middle, but for a few in the
# startup and in the prologues
assert_ge "main cum% - leaf cum% (points)" "$(awk -v m="$main" -v l="$leaf" 'BEGIN { print m - l + 1 }')" 0
assert_ge "middle cum% as a share of leaf cum%" "$(awk -v d="$deep" -v l="$leaf" 'BEGIN { printf "%.2f\n", 100 * d / l }')" 97
# stacks deeper than the default depth are cut at --max-stack frames, the leaf side kept
run_report cut -i d.data --stdio -n 0 --cum --max-stack 5
assert_le "main cum% with --max-stack 5" "$(row_field cut.tsv main 5)" 1
# the leaf side is kept: flat values do not change
[ "$(row_field cut.tsv leaf 2)" = "$(row_field top.tsv leaf 2)" ] ||
    fail "leaf flat% is $(row_field cut.tsv leaf 2) with --max-stack 5, $(row_field top.tsv leaf 2) without"

# perf report unwinds hwprof's -g dwarf file itself
perf_report_raw d.data --no-children --sort sym >perf.txt 2>perf.err || { cat perf.err >&2; fail "perf report cannot read d.data"; }
grep -q ' leaf' perf.txt || fail "perf report of d.data does not name leaf"
# and hwprof reads perf's --call-graph dwarf recording the same way
perf record -q -e cpu-clock --call-graph dwarf -o p.data -- ./nofp 0.5 >/dev/null 2>perfrec.err ||
    { cat perfrec.err >&2; fail "perf record --call-graph dwarf failed"; }
run_report ptop -i p.data --stdio -n 0 --cum
pleaf=$(row_field ptop.tsv leaf 5)
pmain=$(row_field ptop.tsv main 5)
note "perf's dwarf file: leaf cum $pleaf%, main cum $pmain%"
assert_ge "main cum% - leaf cum% on perf's file (points)" "$(awk -v m="$pmain" -v l="$pleaf" 'BEGIN { print m - l + 1 }')" 0
# bad sizes are usage errors
run_hwprof bad record -g dwarf,70000 -- true
expect_rc bad 2
grep -q 'invalid stack size' bad.err || { show bad; fail "no 'invalid stack size' error for -g dwarf,70000"; }
exit 0
