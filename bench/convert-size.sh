#!/bin/bash
# convert-size.sh - time of hwprof convert to .pb.gz (and, for information, to .html and .trace.json) vs hwprof report, and the profile's size vs go tool pprof's re-encoding of it.
#
# Usage: bench/convert-size.sh [-F HZ] [-s SECONDS] [-t THREADS] [-n RUNS] [-h]
#   -F HZ       sampling frequency (default 4000)
#   -s SECONDS  CPU seconds per workload thread (default 7: 2 x 7 s x 4000 Hz = 56k samples)
#   -t THREADS  workload threads (default 2)
#   -n RUNS     runs of each command; the fastest counts (default 3)
# Environment: HWPROF (default ./src/hwprof), CC (default cc), INLINE_HEAVY (a built
# bench/inline-heavy; default: compiled from bench/inline-heavy.c with -O2 -g
# -fno-omit-frame-pointer into a temporary directory). Needs `go tool pprof` (golang-go).
set -eu

TARGET_TIME=1.2   # hwprof convert -o x.pb.gz time <= 1.2 x hwprof report --top --lines's
TARGET_SIZE=1.0   # x.pb.gz <= go tool pprof -proto's re-encoding of it
MIN_SAMPLES=50000

BENCH_NAME=convert-size
USAGE_LINES=4,11
. "$(dirname "$0")/lib.sh"

hz=4000
seconds=7
threads=2
runs=3
bench_opt()
{
    case $1 in
    F) hz=$2 ;;
    s) seconds=$2 ;;
    t) threads=$2 ;;
    n) runs=$2 ;;
    esac
}
bench_getopts 'F:s:t:n:' 0 "$@"
want_count -F "$hz" "frequency in Hz"
want_count -t "$threads" "number of threads"
want_count -n "$runs" "number of runs"
want_seconds -s "$seconds"

bench_env
[ -x /usr/bin/time ] || die "/usr/bin/time not found: install GNU time (apt-get install time)"
[ -n "${EPOCHREALTIME:-}" ] || die "this bash has no \$EPOCHREALTIME: run the script with bash 5 or later"
command -v go >/dev/null 2>&1 || die "go not found: go tool pprof re-encodes the profile (apt-get install golang-go)"

bench_tmpdir
# go tool pprof offline, with its caches in the temporary directory.
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS='' HOME="$tmp" GOCACHE="$tmp/gocache"
go tool pprof -h >/dev/null 2>&1 || die "'go tool pprof' does not run (apt-get install golang-go)"

build_inline_heavy "$root"

echo "recording $INLINE_HEAVY $seconds $threads at $hz Hz ..."
"$HWPROF" record -q -e cpu-clock -F "$hz" -o "$tmp/hwprof.data" -- "$INLINE_HEAVY" "$seconds" "$threads" \
    >"$tmp/rec.out" 2>"$tmp/rec.err" || die "hwprof record failed: $(head -1 "$tmp/rec.err")"

# row COMMAND WALL RSS_KIB: one line of the time table.
row()
{
    printf '%-40s %9.3f %9.1f\n' "$1" "$2" "$(awk -v k="$3" 'BEGIN { print k / 1024 }')"
}

printf '\n%-40s %9s %9s\n' command wall_s rss_mb
measure report "$runs" "$HWPROF" report --top --lines --stdio -i "$tmp/hwprof.data"
report_wall=$WALL
row "hwprof report --top --lines --stdio" "$WALL" "$RSS"
samples=$(sed -n 's/.*Samples: \([0-9]*\).*/\1/p' "$tmp/report.out" | head -1)
measure convert "$runs" "$HWPROF" convert -i "$tmp/hwprof.data" -o "$tmp/x.pb.gz"
convert_wall=$WALL
row "hwprof convert -o x.pb.gz" "$WALL" "$RSS"
measure html "$runs" "$HWPROF" convert -i "$tmp/hwprof.data" -o "$tmp/x.html"
html_wall=$WALL
row "hwprof convert -o x.html" "$WALL" "$RSS"
measure trace "$runs" "$HWPROF" convert -i "$tmp/hwprof.data" -o "$tmp/x.trace.json"
trace_wall=$WALL
row "hwprof convert -o x.trace.json" "$WALL" "$RSS"
echo "  (${samples:-?} samples; x.html $(stat -c %s "$tmp/x.html") bytes, x.trace.json $(stat -c %s "$tmp/x.trace.json") bytes)"
if [ -z "$samples" ] || [ "$samples" -lt "$MIN_SAMPLES" ]; then
    echo "  warning: fewer than $MIN_SAMPLES samples: raise -s or -F for a meaningful comparison"
fi

# The size against pprof's own encoding of the same profile (gzip'd as well).
go tool pprof -proto "$tmp/x.pb.gz" >"$tmp/y.pb.gz" 2>"$tmp/proto.err" ||
    die "go tool pprof -proto x.pb.gz failed: $(head -1 "$tmp/proto.err")"
size_hw=$(stat -c %s "$tmp/x.pb.gz")
size_pp=$(stat -c %s "$tmp/y.pb.gz")
raw_hw=$(gzip -dc "$tmp/x.pb.gz" | wc -c)
raw_pp=$(gzip -dc "$tmp/y.pb.gz" | wc -c)
printf '\n%-40s %12s %12s\n' file gzip_bytes raw_bytes
printf '%-40s %12d %12d\n' "x.pb.gz (hwprof convert)" "$size_hw" "$raw_hw"
printf '%-40s %12d %12d\n' "y.pb.gz (go tool pprof -proto x.pb.gz)" "$size_pp" "$raw_pp"

echo
echo "ratio convert/report $(ratio "$convert_wall" "$report_wall") (target <= ${TARGET_TIME}x)"
echo "ratio size hwprof/pprof-reencoded $(ratio "$size_hw" "$size_pp") (target <= ${TARGET_SIZE}x)"
echo "ratio raw size hwprof/pprof-reencoded $(ratio "$raw_hw" "$raw_pp") (uncompressed, for information)"
echo "ratio html/report $(ratio "$html_wall" "$report_wall") (for information)"
echo "ratio trace/report $(ratio "$trace_wall" "$report_wall") (for information)"
echo
echo "target: hwprof convert within ${TARGET_TIME}x of hwprof report's time:" \
    "$(verdict "$convert_wall" "$report_wall" "$TARGET_TIME")"
echo "target: x.pb.gz no larger than pprof's re-encoding:" \
    "$(verdict "$size_hw" "$size_pp" "$TARGET_SIZE")"
