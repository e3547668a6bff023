#!/bin/bash
# report-speed.sh - time and peak RSS of hwprof report vs perf report and perf script --inline on a ~50k-sample recording.
#
# Usage: bench/report-speed.sh [-q] [-F HZ] [-s SECONDS] [-t THREADS] [-n RUNS] [-h]
#   -q          quick: skip `perf script --inline` (it takes minutes on 50k samples)
#   -F HZ       sampling frequency for both recordings (default 4000)
#   -s SECONDS  CPU seconds per workload thread (default 7: 2 x 7 s x 4000 Hz = 56k samples)
#   -t THREADS  workload threads (default 2)
#   -n RUNS     runs of each fast command; the fastest counts (default 3)
# Environment: HWPROF (default ./src/hwprof), PERF (default perf), CC (default cc),
# INLINE_HEAVY (a built bench/inline-heavy; default: compiled from bench/inline-heavy.c with
# -O2 -g -fno-omit-frame-pointer into a temporary directory).
set -eu

TARGET_REPORT=1      # hwprof report time <= 1 x perf report's
TARGET_SCRIPT=0.01   # hwprof report time <= 1/100 of perf script --inline's
TARGET_RSS=1         # hwprof report peak RSS <= perf report's
MIN_SAMPLES=50000

BENCH_NAME=report-speed
USAGE_LINES=4,13
. "$(dirname "$0")/lib.sh"

quick=0
hz=4000
seconds=7
threads=2
runs=3
while getopts ':qF:s:t:n:h' opt; do
    case $opt in
    q) quick=1 ;;
    F) hz=$OPTARG ;;
    s) seconds=$OPTARG ;;
    t) threads=$OPTARG ;;
    n) runs=$OPTARG ;;
    h)
        usage
        exit 0
        ;;
    :) die "option -$OPTARG needs a value (see -h)" ;;
    *) die "unknown option -$OPTARG (see -h)" ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || die "unexpected argument '$1' (see -h)"
want_count -F "$hz" "frequency in Hz"
want_count -t "$threads" "number of threads"
want_count -n "$runs" "number of runs"
want_seconds -s "$seconds"

root=$(cd "$(dirname "$0")/.." && pwd)
HWPROF=${HWPROF:-$root/src/hwprof}
PERF=${PERF:-perf}
CC=${CC:-cc}
[ -x "$HWPROF" ] || die "$HWPROF not found: build hwprof first (./configure && make) or set HWPROF"
command -v "$PERF" >/dev/null 2>&1 ||
    die "$PERF not found: install perf (Debian: apt-get install linux-perf) or set PERF"
[ -x /usr/bin/time ] || die "/usr/bin/time not found: install GNU time (apt-get install time)"

bench_tmpdir
# Keep the user's perf configuration and build-id cache out of the measurements.
export PERF_CONFIG_NOSYSTEM=1 PERF_CONFIG_NOGLOBAL=1 PERF_PAGER=cat PERF_BUILDID_DIR="$tmp/.debug"

build_inline_heavy "$root"

echo "recording $INLINE_HEAVY $seconds $threads at $hz Hz, once with each tool ..."
"$HWPROF" record -q -e cpu-clock -F "$hz" -o "$tmp/hwprof.data" -- "$INLINE_HEAVY" "$seconds" "$threads" \
    >"$tmp/rec.out" 2>"$tmp/rec.err" || die "hwprof record failed: $(head -1 "$tmp/rec.err")"
"$PERF" record -q -e cpu-clock -F "$hz" -g --no-bpf-event -o "$tmp/perf.data" -- \
    "$INLINE_HEAVY" "$seconds" "$threads" >"$tmp/rec.out" 2>"$tmp/rec.err" ||
    die "perf record failed: $(head -1 "$tmp/rec.err")"

# row FILE COMMAND WALL RSS_KIB: one line of the table.
row()
{
    printf '%-12s %-40s %9.2f %9.1f\n' "$1" "$2" "$3" "$(awk -v k="$4" 'BEGIN { print k / 1024 }')"
}

declare -A wall rss
printf '\n%-12s %-40s %9s %9s\n' file command wall_s rss_mb
for f in hwprof perf; do
    data=$tmp/$f.data
    measure "hw-$f" "$runs" "$HWPROF" report --top --lines --stdio -i "$data"
    wall[$f:hw]=$WALL rss[$f:hw]=$RSS
    samples=$(sed -n 's/.*Samples: \([0-9]*\).*/\1/p' "$tmp/hw-$f.out" | head -1)
    row "$f.data" "hwprof report --top --lines" "$WALL" "$RSS"
    measure "pr-$f" "$runs" "$PERF" report --stdio --no-children -i "$data"
    wall[$f:pr]=$WALL rss[$f:pr]=$RSS
    row "$f.data" "perf report --no-children" "$WALL" "$RSS"
    if [ "$quick" = 0 ]; then
        measure "ps-$f" 1 "$PERF" script --inline -F ip,sym,srcline -i "$data"
        wall[$f:ps]=$WALL rss[$f:ps]=$RSS
        row "$f.data" "perf script --inline -F ip,sym,srcline" "$WALL" "$RSS"
    fi
    echo "  ($f.data: ${samples:-?} samples)"
    if [ -z "$samples" ] || [ "$samples" -lt "$MIN_SAMPLES" ]; then
        echo "  warning: fewer than $MIN_SAMPLES samples: raise -s or -F for a meaningful comparison"
    fi
done

echo
for f in hwprof perf; do
    echo "ratio report  hwprof/perf-report $(ratio "${wall[$f:hw]}" "${wall[$f:pr]}")   ($f.data)"
    [ "$quick" = 1 ] ||
        echo "ratio report  hwprof/perf-script-inline $(ratio "${wall[$f:hw]}" "${wall[$f:ps]}")   ($f.data)"
    echo "ratio rss  hwprof/perf-report $(ratio "${rss[$f:hw]}" "${rss[$f:pr]}")   ($f.data)"
done

# The targets, on hwprof's own recording.
echo
echo "target: hwprof report no slower than perf report:" \
    "$(verdict "${wall[hwprof:hw]}" "${wall[hwprof:pr]}" "$TARGET_REPORT")"
if [ "$quick" = 0 ]; then
    echo "target: hwprof report >= 100x faster than perf script --inline:" \
        "$(verdict "${wall[hwprof:hw]}" "${wall[hwprof:ps]}" "$TARGET_SCRIPT")"
else
    echo "target: hwprof report >= 100x faster than perf script --inline: not measured (-q skips perf script)"
fi
echo "target: hwprof report peak RSS <= perf report's:" \
    "$(verdict "${rss[hwprof:hw]}" "${rss[hwprof:pr]}" "$TARGET_RSS")"
