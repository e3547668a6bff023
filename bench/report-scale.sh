#!/bin/bash
# report-scale.sh - time and peak RSS of hwprof report and convert vs perf report on a recording of about 1.5 M samples.
#
# Usage: bench/report-scale.sh [-F HZ] [-s SECONDS] [-t THREADS] [-n RUNS] [-i FILE] [-h]
#   -F HZ       sampling frequency of the recording (default 20000)
#   -s SECONDS  CPU seconds per workload thread (default 38: 2 x 38 s x 20000 Hz = 1.5 M samples)
#   -t THREADS  workload threads (default 2)
#   -n RUNS     runs of each command; the fastest counts (default 1)
#   -i FILE     measure an existing recording instead of making one (kept)
# Environment: HWPROF (default ./src/hwprof), PERF (default perf), CC (default cc),
# INLINE_HEAVY (a built bench/inline-heavy; default: compiled from bench/inline-heavy.c with
# -O2 -g -fno-omit-frame-pointer into a temporary directory).
set -eu

TARGET_TIME=0.5    # hwprof report time <= 0.5 x perf report's
TARGET_RSS_MB=100  # hwprof report peak RSS <= 100 MB
MIN_SAMPLES=1000000

BENCH_NAME=report-scale
USAGE_LINES=4,13
. "$(dirname "$0")/lib.sh"

hz=20000
seconds=38
threads=2
runs=1
input=
bench_opt()
{
    case $1 in
    F) hz=$2 ;;
    s) seconds=$2 ;;
    t) threads=$2 ;;
    n) runs=$2 ;;
    i) input=$2 ;;
    esac
}
bench_getopts 'F:s:t:n:i:' 0 "$@"
want_count -F "$hz" "frequency in Hz"
want_count -t "$threads" "number of threads"
want_count -n "$runs" "number of runs"
want_seconds -s "$seconds"

bench_env
command -v "$PERF" >/dev/null 2>&1 ||
    die "$PERF not found: install perf (Debian: apt-get install linux-perf) or set PERF"
[ -x /usr/bin/time ] || die "/usr/bin/time not found: install GNU time (apt-get install time)"

bench_tmpdir
export PERF_CONFIG_NOSYSTEM=1 PERF_CONFIG_NOGLOBAL=1 PERF_PAGER=cat PERF_BUILDID_DIR="$tmp/.debug"

if [ -n "$input" ]; then
    [ -r "$input" ] || die "cannot read $input"
    data=$input
else
    build_inline_heavy "$root"
    data=$tmp/scale.data
    echo "recording $INLINE_HEAVY $seconds $threads at $hz Hz with callchains (hwprof record) ..."
    "$HWPROF" record -q -e cpu-clock -F "$hz" -o "$data" -- "$INLINE_HEAVY" "$seconds" "$threads" \
        >"$tmp/rec.out" 2>"$tmp/rec.err" || die "hwprof record failed: $(head -1 "$tmp/rec.err")"
fi

mb()
{
    awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
}

row()
{
    printf '%-44s %9.2f %9s\n' "$1" "$2" "$(mb "$3")"
}

size=$(stat -c %s "$data")
echo "recording: $data ($(mb $((size / 1024))) MB)"
printf '\n%-44s %9s %9s\n' command wall_s rss_mb
measure hw "$runs" "$HWPROF" report --stdio -i "$data"
hw_wall=$WALL hw_rss=$RSS
row "hwprof report" "$WALL" "$RSS"
samples=$(sed -n 's/.*Samples: \([0-9]*\).*/\1/p' "$tmp/hw.out" | head -1)
measure cv "$runs" "$HWPROF" convert -i "$data" -o "$tmp/out.pb.gz"
cv_wall=$WALL cv_rss=$RSS
row "hwprof convert -o out.pb.gz" "$WALL" "$RSS"
measure pr "$runs" "$PERF" report --stdio --no-children -i "$data"
pr_wall=$WALL pr_rss=$RSS
row "perf report --stdio --no-children" "$WALL" "$RSS"
echo "  (${samples:-?} samples)"
if [ -z "$samples" ] || [ "$samples" -lt "$MIN_SAMPLES" ]; then
    echo "  warning: fewer than $MIN_SAMPLES samples: raise -s or -F for a meaningful comparison"
fi

echo
echo "ratio report  hwprof/perf-report $(ratio "$hw_wall" "$pr_wall")   rss $(ratio "$hw_rss" "$pr_rss")"
echo "ratio convert hwprof-convert/perf-report $(ratio "$cv_wall" "$pr_wall")   rss $(ratio "$cv_rss" "$pr_rss")"
echo
echo "target: hwprof report time <= ${TARGET_TIME}x perf report's: $(verdict "$hw_wall" "$pr_wall" "$TARGET_TIME")"
echo "target: hwprof report peak RSS <= ${TARGET_RSS_MB} MB: $(verdict "$(mb "$hw_rss")" "$TARGET_RSS_MB" 1)"
echo "target: hwprof convert peak RSS <= ${TARGET_RSS_MB} MB: $(verdict "$(mb "$cv_rss")" "$TARGET_RSS_MB" 1)"
