#!/bin/bash
# stack-repair.sh - whole stacks on real code: callers in the default mode, -g dwarf on binaries without frame pointers, and its cost against perf's.
#
# Usage: bench/stack-repair.sh [-n RUNS] [-s SECONDS] [-h]
#   -n RUNS     runs of each timed command (default 3); medians are reported
#   -s SECONDS  CPU seconds each workload runs (default 2)
# Environment: HWPROF (default ./src/hwprof), PERF (default perf), CC (default cc), XZ (default xz),
# PYTHON (default /usr/bin/python3). Install libc6-dbg for libc's local symbols
# (__libc_start_call_main). Paths default relative to the source tree that holds this script.
set -eu

BENCH_NAME=stack-repair
USAGE_LINES=4,10
. "$(dirname "$0")/lib.sh"

runs=3
seconds=2
bench_opt()
{
    case $1 in
    n) runs=$2 ;;
    s) seconds=$2 ;;
    esac
}
bench_getopts 'n:s:' 0 "$@"
want_count -n "$runs" "number of runs"
want_seconds -s "$seconds"

bench_env
XZ=${XZ:-xz}
PYTHON=${PYTHON:-/usr/bin/python3}
for t in "$PERF" "$CC" "$XZ" "$PYTHON"; do
    command -v "$t" >/dev/null 2>&1 || die "$t not found (see -h)"
done
bench_tmpdir
cd "$tmp"
"$CC" -O2 -g -fno-omit-frame-pointer -I"$root/tests/progs" "$root/tests/progs/stacks.c" -o stacks ||
    die "cannot build tests/progs/stacks.c"

# median FILE: the median of the numbers in FILE, one per line.
median()
{
    sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# timed NAME CMD...: runs CMD once (output to NAME.out/.err) and appends its wall seconds to NAME.t.
timed()
{
    local name=$1 TIMEFORMAT=%3R
    shift
    { time "$@" >"$name.out" 2>"$name.err"; } 2>>"$name.t" || die "$* failed: $(tail -n 3 "$name.err")"
}

# cum FILE FUNCTION: FUNCTION's cum% in `hwprof report --cum` of FILE (0 when absent).
cum()
{
    "$HWPROF" report -i "$1" --stdio -n 0 --cum 2>/dev/null |
        awk -v f="$2" '$NF == f { sub(/%/, "", $5); print $5; found = 1; exit } END { if (!found) print 0 }'
}

# reach FILE FUNCTION: the percentage of sample value whose folded stack holds FUNCTION.
reach()
{
    "$HWPROF" convert -i "$1" -o "$1.folded" 2>/dev/null
    awk -v f="$2" '{ v = $NF; s = substr($0, 1, length($0) - length($NF) - 1); n += v
                     if (index(";" s ";", ";" f ";")) m += v }
        END { printf "%.2f\n", n ? 100 * m / n : 0 }' "$1.folded"
}

echo "== the default mode (-g fp with a stack copy): callers' cum against the workload's own measure"
"$HWPROF" record -q -e cpu-clock -o leaf.data -- ./stacks leaf "$seconds" >leaf.txt
read -r a b < <(awk '/^stacks: mid_a/ { print $3, $5 }' leaf.txt)
ca=$(cum leaf.data mid_a)
cb=$(cum leaf.data mid_b)
awk -v a="$a" -v b="$b" -v ca="$ca" -v cb="$cb" 'BEGIN {
    ta = 100 * a / (a + b); tb = 100 * b / (a + b)
    printf "frameless leaf: mid_a cum %.1f%% (truth %.1f%%), mid_b cum %.1f%% (truth %.1f%%)\n", ca, ta, cb, tb
    d = ca - ta; if (d < 0) d = -d; e = cb - tb; if (e < 0) e = -e
    printf "ratio leaf-callers max |cum - truth| %.1f pp (target <= 3)\n", (d > e ? d : e) }'
"$HWPROF" record -q -e cpu-clock -o vdso.data -- ./stacks vdso "$seconds" >/dev/null
spin=$(cum vdso.data spin)
vdso=$(cum vdso.data __vdso_clock_gettime)
echo "clock_gettime loop: spin cum $spin% (truth: ~100% of the run), __vdso_clock_gettime cum $vdso%"
echo "ratio vdso-caller |cum - 100| $(awk -v s="$spin" -v m="$(cum vdso.data main)" 'BEGIN { printf "%.1f", m - s }') pp of main's (target <= 3)"
"$HWPROF" record -q -e cpu-clock -o mem.data -- ./stacks memset "$seconds" >/dev/null
mw=$(cum mem.data memwalk)
echo "memset loop: memwalk cum $mw% (truth: ~100% of the run; main cum $(cum mem.data main)%)"
echo "ratio memset-caller |cum - main| $(awk -v s="$mw" -v m="$(cum mem.data main)" 'BEGIN { printf "%.1f", m - s }') pp (target <= 3)"

echo "== -g dwarf on binaries without frame pointers: samples that reach __libc_start_call_main"
head -c $((16 << 20)) /dev/urandom | base64 >in.txt
"$HWPROF" record -q -e cpu-clock -g dwarf -o xz.data -- "$XZ" -9 -k -c -T1 in.txt >/dev/null
echo "ratio xz -9 reach $(reach xz.data __libc_start_call_main)% (target >= 99)"
"$HWPROF" record -q -e cpu-clock -g dwarf -o py.data -- "$PYTHON" -c \
    "import time
t = time.process_time()
while time.process_time() - t < $seconds: sum(i * i for i in range(10000))" >/dev/null
echo "ratio python3 reach $(reach py.data __libc_start_call_main)% (target >= 99)"

echo "== -g dwarf cost against perf --call-graph dwarf ($runs runs, medians)"
for i in $(seq "$runs"); do
    timed bare "$XZ" -6 -k -c -T1 in.txt
    timed hrec "$HWPROF" record -q -e cpu-clock -g dwarf -o h.data -- "$XZ" -6 -k -c -T1 in.txt
    timed prec "$PERF" record -q -e cpu-clock --call-graph dwarf --no-bpf-event -o p.data -- "$XZ" -6 -k -c -T1 in.txt
    timed hrep "$HWPROF" report -i h.data --stdio
    timed prep "$PERF" report -i p.data --stdio --no-children
done
printf 'bare %.3fs  hwprof record %.3fs  perf record %.3fs  hwprof report %.3fs  perf report %.3fs\n' \
    "$(median bare.t)" "$(median hrec.t)" "$(median prec.t)" "$(median hrep.t)" "$(median prep.t)"
awk -v h="$(median hrec.t)" -v p="$(median prec.t)" -v hr="$(median hrep.t)" -v pr="$(median prep.t)" 'BEGIN {
    printf "ratio record hwprof-dwarf/perf-dwarf %.2fx (target <= 1.0)\n", h / p
    printf "ratio report hwprof-dwarf/perf-dwarf %.2fx (target <= 0.5)\n", hr / pr }'
