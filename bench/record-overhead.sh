#!/bin/bash
# record-overhead.sh - wall and CPU time of a ~1 s workload: bare, under perf record, under hwprof record with and without -z; the size of the -z recordings.
#
# Usage: bench/record-overhead.sh [-n RUNS] [-a OPS] [-e EVENT] [-b] [-h]
#   -n RUNS   runs per mode (default 5); the median is reported
#   -a OPS    operations argument passed to the demo (default: the demo's own, about 1 s)
#   -e EVENT  event passed to both perf record and hwprof record (default: each tool's default)
#   -b        let perf record BPF side-band events (its default; costs perf 6.1 ~1 s of wall time)
# Environment: HWPROF (default ./src/hwprof), DEMO (default ./examples/lru-demo, else the demo is
# compiled from examples/lru-demo.c into a temporary directory), PERF (default perf).
# Paths default relative to the source tree that holds this script.
set -eu

TARGET_WALL=1.05 # hwprof wall time must stay within 5% of the bare run (with and without -z)
TARGET_ZSIZE=0.25 # hwprof record -z files are at most a quarter of the plain ones

BENCH_NAME=record-overhead
USAGE_LINES=4,11
. "$(dirname "$0")/lib.sh"

runs=5
ops=
event=
perf_bpf=0
bench_opt()
{
    case $1 in
    b) perf_bpf=1 ;;
    n) runs=$2 ;;
    a) ops=$2 ;;
    e) event=$2 ;;
    esac
}
bench_getopts 'n:a:e:b' 0 "$@"
want_count -n "$runs" "number of runs"
case $ops in
*[!0-9]* | 0) die "-a wants a positive number of operations, not '$ops'" ;;
esac

bench_env
command -v "$PERF" >/dev/null 2>&1 ||
    die "$PERF not found: install perf (Debian: apt-get install linux-perf) or set PERF"

bench_tmpdir

if [ -z "${DEMO:-}" ]; then
    if [ -x "$root/examples/lru-demo" ]; then
        DEMO=$root/examples/lru-demo
    else
        command -v gcc >/dev/null 2>&1 || die "no built demo and no gcc to build it: run make first"
        gcc -O2 -g -fno-omit-frame-pointer "$root/examples/lru-demo.c" -o "$tmp/lru-demo" ||
            die "could not compile $root/examples/lru-demo.c"
        DEMO=$tmp/lru-demo
    fi
fi
[ -x "$DEMO" ] || die "$DEMO is not an executable: build it (make examples/lru-demo) or set DEMO"

workload=("$DEMO")
[ -z "$ops" ] || workload+=("$ops")
evopt=()
[ -z "$event" ] || evopt=(-e "$event")
# hwprof records no BPF side-band events; without this perf 6.1 also waits ~1 s for its side-band
# thread at exit, which would dominate the wall-time comparison.
perfopt=(--no-bpf-event)
[ "$perf_bpf" -eq 0 ] || perfopt=()

# run_timed NAME CMD... : runs CMD once, appends "wall cpu" (seconds) to $tmp/NAME.times.
# bash's time keyword reports user+sys of all waited-for descendants, i.e. the whole process tree.
run_timed() {
    local name=$1 t rc=0
    shift
    local TIMEFORMAT='%3R %3U %3S'
    { time "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"; } 2>"$tmp/$name.time" || rc=$?
    if [ "$rc" -ne 0 ]; then
        cat "$tmp/$name.err" >&2
        die "$name run failed with status $rc: $*"
    fi
    t=$(tail -n 1 "$tmp/$name.time")
    echo "$t" | awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' >>"$tmp/$name.times"
}

# median NAME COLUMN : the median of column COLUMN (1 wall, 2 cpu) of $tmp/NAME.times.
median() {
    cut -d' ' -f"$2" "$tmp/$1.times" | sort -n |
        awk '{ v[NR] = $1 }
             END {
                 m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                 printf "%.3f", m
             }'
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else printf "n/a" }'
}

record_perf() {
    "$PERF" record -q -F 999 -g "${perfopt[@]}" "${evopt[@]}" -o "$tmp/perf.data" -- \
        "${workload[@]}"
}

record_hwprof() {
    "$HWPROF" record -q -F 999 "${evopt[@]}" -o "$tmp/hwprof.data" -- "${workload[@]}"
    stat -c %s "$tmp/hwprof.data" >>"$tmp/hwprof.sizes"
}

record_hwprof_z() {
    "$HWPROF" record -q -z -F 999 "${evopt[@]}" -o "$tmp/hwprof-z.data" -- "${workload[@]}"
    stat -c %s "$tmp/hwprof-z.data" >>"$tmp/hwprof-z.sizes"
}

echo "workload: ${workload[*]}"
echo "hwprof:   $HWPROF"
echo "perf:     $(command -v "$PERF") record -F 999 -g ${perfopt[*]}"
echo "runs:     $runs per mode (interleaved, after one warm-up run), median reported"

# Warm-up: page cache, CPU frequency, and a first check that every mode works.
run_timed warmup "${workload[@]}"
run_timed warmup record_perf
run_timed warmup record_hwprof
run_timed warmup record_hwprof_z

for ((i = 1; i <= runs; i++)); do
    run_timed bare "${workload[@]}"
    run_timed perf record_perf
    run_timed hwprof record_hwprof
    run_timed hwprof-z record_hwprof_z
    printf '.' >&2
done
echo >&2

bw=$(median bare 1) bc=$(median bare 2)
pw=$(median perf 1) pc=$(median perf 2)
hw=$(median hwprof 1) hc=$(median hwprof 2)
zw=$(median hwprof-z 1) zc=$(median hwprof-z 2)
# bytes per recording, summed over the runs (the warm-up's included) of each mode
hs=$(awk '{ s += $1 } END { print s }' "$tmp/hwprof.sizes")
zs=$(awk '{ s += $1 } END { print s }' "$tmp/hwprof-z.sizes")

echo
printf '%-8s %10s %10s\n' mode wall_s cpu_s
printf '%-8s %10s %10s\n' bare "$bw" "$bc"
printf '%-8s %10s %10s\n' perf "$pw" "$pc"
printf '%-8s %10s %10s\n' hwprof "$hw" "$hc"
printf '%-8s %10s %10s\n' hwprof-z "$zw" "$zc"
echo
printf 'ratio wall  hwprof/bare %s   perf/bare %s   hwprof/perf %s\n' \
    "$(ratio "$hw" "$bw")" "$(ratio "$pw" "$bw")" "$(ratio "$hw" "$pw")"
printf 'ratio cpu   hwprof/bare %s   perf/bare %s   hwprof/perf %s\n' \
    "$(ratio "$hc" "$bc")" "$(ratio "$pc" "$bc")" "$(ratio "$hc" "$pc")"
printf 'ratio wall  hwprof-z/bare %s   hwprof-z/hwprof %s\n' "$(ratio "$zw" "$bw")" "$(ratio "$zw" "$hw")"
printf 'ratio size  hwprof-z/hwprof %s   (%s bytes per recording with -z, %s without)\n' \
    "$(ratio "$zs" "$hs")" "$((zs / (runs + 1)))" "$((hs / (runs + 1)))"
# verdict VALUE LIMIT WHAT: "target: WHAT: met" when VALUE <= LIMIT.
verdict() {
    if awk -v v="$1" -v l="$2" 'BEGIN { exit !(v <= l) }'; then
        echo "target: $3: met"
    else
        echo "target: $3: MISSED"
    fi
}
verdict "$hw" "$(awk -v b="$bw" -v t="$TARGET_WALL" 'BEGIN { print b * t }')" "hwprof wall <= ${TARGET_WALL}x bare"
verdict "$zw" "$(awk -v b="$bw" -v t="$TARGET_WALL" 'BEGIN { print b * t }')" "hwprof -z wall <= ${TARGET_WALL}x bare"
verdict "$zs" "$(awk -v s="$hs" -v t="$TARGET_ZSIZE" 'BEGIN { print s * t }')" "hwprof -z size <= ${TARGET_ZSIZE}x without"
