# truth-lib.sh - helpers that compare hwprof's sampled attribution with what the workload measured of itself, within tolerances derived from the sample count.
#
# Sourced by tests/lib.sh. The workloads (tests/progs, workload.h) time their phases with
# CLOCK_THREAD_CPUTIME_ID and CLOCK_MONOTONIC and print "truth KEY VALUE" lines; load_truth reads
# them. A sampling profiler's share of a function is a binomial estimate of the share of time the
# function really had: with N samples and a true share P, its standard error is sqrt(P(1-P)/N).
# The checks allow SHARE_Z standard errors, one sample (the granularity of the timer) and a small
# SHARE_SLACK for what the workload's clocks and the samples count differently (the clock reads
# and calls around a timed function, the time before exec). Nothing here depends on the speed of
# the machine, its load, its number of CPUs or the cost of a page fault.
#
# Helpers that can fail (fail exits the shell) must not run inside $(...): call them directly.

SHARE_Z=4         # standard errors allowed: a correct profiler fails one check in ~16000
# Absolute share allowed for what the workload's clocks and the samples see differently: the
# clock reads around a timed call (system calls, where a busy machine also preempts the thread),
# the kernel's interrupt exits that a sample lands in, the time before exec.
SHARE_SLACK=0.02
# The kernel arms a clock event's next tick when it handles the last one, so each period of a
# cpu-clock sample lasts as long as the interrupt took to come: absolute sample counts run a few
# percent short of CPU time / period (shares are not affected).
COUNT_SLACK=0.1

declare -A TRUTH=()

# load_truth FILE: reads the workload's "truth KEY VALUE" lines in FILE into TRUTH (keys of an
# earlier load are kept unless FILE has them too); fails when FILE has none.
load_truth()
{
    local key value n=0
    while read -r key value; do
        TRUTH[$key]=$value
        n=$((n + 1))
    done < <(awk '$1 == "truth" && NF == 3 && $3 ~ /^-?[0-9]+$/ { print $2, $3 }' "$1")
    [ "$n" -gt 0 ] || {
        head -n 20 "$1" >&2
        fail "$1 has no 'truth KEY VALUE' lines: did the workload run to its end?"
    }
}

# need_truth KEY...: fails unless load_truth read every KEY.
need_truth()
{
    local k
    for k in "$@"; do
        [ -n "${TRUTH[$k]:-}" ] || fail "the workload printed no truth '$k' (have: ${!TRUTH[*]})"
    done
}

# truth KEY: the value of KEY (check it with need_truth first).
truth()
{
    echo "${TRUTH[$1]:-0}"
}

# calc EXPR: prints the value of an awk expression, e.g. calc "$a / $b".
calc()
{
    awk "BEGIN { printf \"%.15g\\n\", ($1) }"
}

# f4 X: X with 4 decimals, for messages.
f4()
{
    awk -v x="$1" 'BEGIN { printf "%.4f\n", x }'
}

# share_tol P N: the tolerance of a share P measured with N samples.
share_tol()
{
    awk -v p="$1" -v n="$2" -v z="$SHARE_Z" -v s="$SHARE_SLACK" 'BEGIN {
        if (p < 0) p = 0
        if (p > 1) p = 1
        if (n < 1) n = 1
        printf "%.4f\n", z * sqrt(p * (1 - p) / n) + 1 / n + s
    }'
}

# expect_samples WHAT N: fails unless N, the number of samples a share is measured with, is at
# least 20 (below that, no share says much).
expect_samples()
{
    awk -v n="$2" 'BEGIN { exit !(n + 0 >= 20) }' || fail "$1: only ${2:-no} samples to measure it with"
}

# expect_share WHAT K TOTAL P [N]: fails unless the observed share K/TOTAL is within share_tol of
# the true share P. K and TOTAL are sample counts, or sums of sample values (periods) over N
# samples; N defaults to TOTAL. Set SHARE_SLACK for a wider slack.
expect_share()
{
    share_check both "$@"
}

# expect_share_ge WHAT K TOTAL P [N]: like expect_share, but only fails when K/TOTAL is too small
# (for a true share P that is a lower bound).
expect_share_ge()
{
    share_check low "$@"
}

# share_check SIDES WHAT K TOTAL P [N]: expect_share (SIDES both) and expect_share_ge (SIDES low).
share_check()
{
    local sides=$1 what=$2 k=$3 total=$4 p=$5 n=${6:-$4} tol got
    expect_samples "$what" "$n"
    tol=$(share_tol "$p" "$n")
    got=$(awk -v k="$k" -v n="$total" 'BEGIN { printf "%.4f\n", (n > 0 ? k / n : 0) }')
    note "$what: $got ($k of $total, $n samples), the workload measured $([ "$sides" = low ] && echo "at least ")$(f4 "$p") (tolerance $tol)"
    awk -v g="$got" -v p="$p" -v t="$tol" -v s="$sides" 'BEGIN { d = p - g; if (d < 0 && s == "both") d = -d; exit !(d <= t) }' ||
        fail "$what is $got ($k of $total), the workload measured $([ "$sides" = low ] && echo "at least ")$(f4 "$p") (allowed: $([ "$sides" = low ] && echo "-" || echo "+-")$tol)"
}

# count_lo EXPECTED: the smallest count a Poisson-like count of mean EXPECTED may show.
count_lo()
{
    awk -v e="$1" -v z="$SHARE_Z" -v s="$COUNT_SLACK" 'BEGIN {
        lo = e - z * sqrt(e) - 1 - s * e
        printf "%d\n", (lo > 0 ? lo : 0)
    }'
}

# expect_count_ge WHAT K EXPECTED: fails unless the count K (of samples, or of events the samples
# stand for) is at least count_lo EXPECTED, EXPECTED being what the workload's own measurement
# predicts (its CPU time / the period, the pages it faulted in).
expect_count_ge()
{
    local lo
    lo=$(count_lo "$3")
    note "$1: $2, the workload predicts $(calc "int($3)") (at least $lo)"
    [ "$2" -ge "$lo" ] || fail "$1 is $2, but the workload predicts $(calc "int($3)") (at least $lo)"
}

# expect_count_le WHAT K EXPECTED: fails unless the count K is at most EXPECTED plus its
# tolerance (a hypervisor's stolen time, which a clock event counts and CPU time does not, is in
# COUNT_SLACK).
expect_count_le()
{
    local hi
    hi=$(awk -v e="$3" -v z="$SHARE_Z" -v s="$COUNT_SLACK" 'BEGIN { printf "%d\n", e * (1 + s) + z * sqrt(e) + 2 }')
    note "$1: $2, the workload predicts at most $(calc "int($3)") (at most $hi)"
    [ "$2" -le "$hi" ] || fail "$1 is $2, but the workload predicts at most $(calc "int($3)") (at most $hi)"
}

# expect_pair WHAT A B N P: fails unless A's share of A + B (two functions' samples, values or
# percentages, N samples between them) is within share_tol of the true share P.
expect_pair()
{
    expect_share "$1" "$2" "$(calc "$2 + $3")" "$5" "$4"
}

# expect_main_cum WHAT CUMPCT N: fails unless main's cum% (of N samples of a single-threaded
# workload) is at least the share of the process's CPU time main measured ("main.cpu_ns" of
# "process.cpu_ns"), less the tolerance and 2% more for the process's exit after main's last clock
# read, which the workload cannot time.
expect_main_cum()
{
    need_truth main.cpu_ns process.cpu_ns
    SHARE_SLACK=$(calc "$SHARE_SLACK + 0.02") expect_share_ge "$1" "$2" 100 \
        "$(calc "$(truth main.cpu_ns) / $(truth process.cpu_ns)")" "$3"
}

# expect_near WHAT VALUE WANT TOL: fails unless |VALUE - WANT| <= TOL (all numbers).
expect_near()
{
    note "$1: $2, expected $3 +- $4"
    awk -v v="$2" -v w="$3" -v t="$4" 'BEGIN { d = v - w; if (d < 0) d = -d; exit !(d <= t) }' ||
        fail "$1 is $2, expected $3 +- $4"
}

# clock_period FILE [EVENT]: sets PERIOD to the sampling period of a clock event (cpu-clock by
# default) in FILE, in nanoseconds: the most common period of its samples (perf script -F period).
clock_period()
{
    perf_script_raw "$1" -F event,period >"$T/.period.txt"
    PERIOD=$(awk -v ev="${2:-cpu-clock}" '{ e = $2; sub(/:$/, "", e) } index(e, ev) { n[$1]++ }
        END { for (p in n) if (n[p] > best) { best = n[p]; b = p } print b + 0 }' "$T/.period.txt")
    [ "$PERIOD" -gt 0 ] || fail "$1 has no ${2:-cpu-clock} samples with a period"
}

# kernel_sampled: succeeds when hwprof and perf record kernel samples here (root, or
# kernel.perf_event_paranoid <= 1), so time spent in the kernel for a function (its page faults,
# its system calls) is charged below it, as the workload's CPU clocks count it.
kernel_sampled()
{
    [ "$(id -u)" = 0 ] || [ "$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo 2)" -le 1 ]
}
