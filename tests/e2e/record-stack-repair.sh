#!/bin/bash
# record-stack-repair.sh - e2e: the default mode (-g fp) repairs what frame pointers miss: the callers of a frameless leaf get their share, and a caller of libc's memset is kept.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"

require_perf_events
require_prog stacks
cd "$T"

# tolerance P N: 4 standard errors of a share P measured from N samples, plus 3 points for what the
# repair may still miss (a sample in a prologue or epilogue), in percent.
tolerance()
{
    awk -v p="$1" -v n="$2" 'BEGIN { if (n < 1) n = 1; printf "%.2f\n", 100 * (4 * sqrt(p * (1 - p) / n) + 0.03) }'
}

# A frameless leaf (crunch) called by mid_a and mid_b, which measure the CPU time they spend in it.
run_hwprof leaf record -e cpu-clock -o leaf.data -- "$PROGS/stacks" leaf 1
expect_rc leaf 0
read -r a b < <(awk '/^stacks: mid_a/ { print $3, $5 }' leaf.out)
[ -n "${b:-}" ] || { show leaf; fail "the workload did not print its phase times"; }
run_report top -i leaf.data --stdio -n 0 --cum
samples=$(report_header top.out Samples)
share=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.4f\n", a / (a + b) }')
ca=$(row_field top.tsv mid_a 5)
cb=$(row_field top.tsv mid_b 5)
crunch=$(row_field top.tsv crunch 5)
got=$(awk -v a="$ca" -v b="$cb" 'BEGIN { if (a + b == 0) print 0; else printf "%.4f\n", a / (a + b) }')
tol=$(tolerance "$share" "$samples")
note "mid_a ran $a s, mid_b $b s (mid_a's share $share); report: mid_a cum $ca%, mid_b cum $cb%, crunch cum $crunch% of $samples samples"
# The callers are found for (nearly) every sample in crunch.
assert_ge "mid_a cum% + mid_b cum% as a share of crunch's cum%" \
    "$(awk -v a="$ca" -v b="$cb" -v c="$crunch" 'BEGIN { printf "%.2f\n", 100 * (a + b) / (c ? c : 1) }')" \
    "$(awk -v t="$tol" 'BEGIN { printf "%.2f\n", 100 - t }')"
assert_le "|mid_a's share of the callers - the measured share| (points)" \
    "$(abs_diff "$(awk -v g="$got" 'BEGIN { print 100 * g }')" "$(awk -v s="$share" 'BEGIN { print 100 * s }')")" "$tol"

# memwalk calls memset (libc has no frame pointers): memwalk keeps memset's samples as its own.
run_hwprof mem record -e cpu-clock -o mem.data -- "$PROGS/stacks" memset 1
expect_rc mem 0
run_report memtop -i mem.data --stdio -n 0 --cum
samples=$(report_header memtop.out Samples)
memset=$(sum_where memtop.tsv 5 '$6 ~ /memset/')
memwalk=$(row_field memtop.tsv memwalk 5)
note "memwalk cum $memwalk%, memset cum $memset% of $samples samples"
assert_ge "memwalk cum% - memset cum% (points)" \
    "$(awk -v w="$memwalk" -v m="$memset" 'BEGIN { printf "%.2f\n", w - m }')" \
    "-$(tolerance 0.5 "$samples")"
assert_ge "memset cum% (the workload spends its time there)" "$memset" 50

# perf reads the default mode's recordings.
perf_samples leaf.data >s.tsv
[ "$(count_samples s.tsv)" -gt 0 ] || fail "perf script found no samples in leaf.data"
# -g fp,0 turns the repair off (no stack copy): the caller of the frameless leaf is lost again.
run_hwprof norepair record -e cpu-clock -g fp,0 -o norepair.data -- "$PROGS/stacks" leaf 0.3
expect_rc norepair 0
run_report nr -i norepair.data --stdio -n 0 --cum
assert_le "mid_a cum% without repair" "$(row_field nr.tsv mid_a 5)" 10
exit 0
