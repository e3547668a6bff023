#!/bin/bash
# report-speed.sh - time and peak RSS of hwprof report (with and without --lines) and convert vs perf report and perf script --inline, on bench/inline-heavy or on zstd 1.5.4 built from Debian's source.
#
# Usage: bench/report-speed.sh [-q] [-w WORKLOAD] [-F HZ] [-s SECONDS] [-t THREADS] [-n RUNS] [-h]
#   -q           quick: skip `perf script --inline` (it takes minutes on 50k samples)
#   -w WORKLOAD  inline-heavy (default: bench/inline-heavy.c, -s and -t apply) or zstd (Debian's
#                zstd source built with -O2 -g -fno-omit-frame-pointer, compressing a 144 MB tar
#                of /usr/share at level 15: ~100k samples at 4000 Hz)
#   -F HZ        sampling frequency for both recordings (default 4000)
#   -s SECONDS   CPU seconds per workload thread (default 7: 2 x 7 s x 4000 Hz = 56k samples)
#   -t THREADS   workload threads (default 2)
#   -n RUNS      runs of each fast command; the fastest counts (default 3)
# Environment: HWPROF (default ./src/hwprof), PERF (default perf), CC (default cc),
# INLINE_HEAVY (a built bench/inline-heavy; default: compiled from bench/inline-heavy.c with
# -O2 -g -fno-omit-frame-pointer into a temporary directory), ZSTD (a zstd built that way; default:
# `apt-get source zstd` into the temporary directory and `make -C programs zstd`, which needs a
# deb-src line in the apt sources), ZSTD_INPUT (the file to compress; default: 144 MB of
# `tar cf - /usr/share`).
set -eu

TARGET_REPORT=1      # hwprof report and report --lines time <= 1 x perf report's
TARGET_CONVERT=1.2   # hwprof convert to pprof <= 1.2 x hwprof report's
TARGET_SCRIPT=0.01   # hwprof report time <= 1/100 of perf script --inline's
TARGET_RSS=1         # hwprof report peak RSS <= perf report's
MIN_SAMPLES=50000

BENCH_NAME=report-speed
USAGE_LINES=4,20
. "$(dirname "$0")/lib.sh"

quick=0
workload=inline-heavy
hz=4000
seconds=7
threads=2
runs=3
bench_opt()
{
    case $1 in
    q) quick=1 ;;
    w) workload=$2 ;;
    F) hz=$2 ;;
    s) seconds=$2 ;;
    t) threads=$2 ;;
    n) runs=$2 ;;
    esac
}
bench_getopts 'qw:F:s:t:n:' 0 "$@"
want_count -F "$hz" "frequency in Hz"
want_count -t "$threads" "number of threads"
want_count -n "$runs" "number of runs"
want_seconds -s "$seconds"
case $workload in inline-heavy | zstd) ;; *) die "-w wants inline-heavy or zstd, not '$workload'" ;; esac

bench_env
command -v "$PERF" >/dev/null 2>&1 ||
    die "$PERF not found: install perf (Debian: apt-get install linux-perf) or set PERF"
[ -x /usr/bin/time ] || die "/usr/bin/time not found: install GNU time (apt-get install time)"

bench_tmpdir
# Keep the user's perf configuration and build-id cache out of the measurements.
export PERF_CONFIG_NOSYSTEM=1 PERF_CONFIG_NOGLOBAL=1 PERF_PAGER=cat HOME="$tmp"

# build_zstd: sets ZSTD to zstd 1.5.4 from Debian's source, built with frame pointers and debug
# info, unless the environment names one.
build_zstd()
{
    if [ -z "${ZSTD:-}" ]; then
        echo "building zstd from Debian's source (apt-get source zstd) ..."
        (cd "$tmp" && apt-get source -qq zstd >"$tmp/src.log" 2>&1) ||
            die "apt-get source zstd failed (add a deb-src line to the apt sources, or set ZSTD): $(tail -1 "$tmp/src.log")"
        local src
        src=$(find "$tmp" -maxdepth 1 -type d -name '*zstd-*' | head -1)
        [ -n "$src" ] || die "apt-get source zstd left no source directory in $tmp"
        make -C "$src" -j2 programs/zstd CC="$CC" CFLAGS="-O2 -g -fno-omit-frame-pointer" \
            >"$tmp/zstd-build.log" 2>&1 || make -C "$src/programs" -j2 zstd CC="$CC" \
            CFLAGS="-O2 -g -fno-omit-frame-pointer" >"$tmp/zstd-build.log" 2>&1 ||
            die "building zstd failed: $(tail -1 "$tmp/zstd-build.log")"
        ZSTD=$src/programs/zstd
    fi
    [ -x "$ZSTD" ] || die "ZSTD=$ZSTD is not an executable"
    if [ -z "${ZSTD_INPUT:-}" ]; then
        ZSTD_INPUT=$tmp/input.tar
        tar cf - /usr/share 2>/dev/null | head -c 144000000 >"$ZSTD_INPUT" || true
    fi
    [ -s "$ZSTD_INPUT" ] || die "ZSTD_INPUT=$ZSTD_INPUT is empty or missing"
}

if [ "$workload" = zstd ]; then
    build_zstd
    set -- "$ZSTD" -q -15 -f "$ZSTD_INPUT" -o "$tmp/out.zst"
else
    build_inline_heavy "$root"
    set -- "$INLINE_HEAVY" "$seconds" "$threads"
fi

echo "recording $* at $hz Hz, once with each tool ..."
"$HWPROF" record -q -e cpu-clock -F "$hz" -o "$tmp/hwprof.data" -- "$@" \
    >"$tmp/rec.out" 2>"$tmp/rec.err" || die "hwprof record failed: $(head -1 "$tmp/rec.err")"
"$PERF" record -q -e cpu-clock -F "$hz" -g --no-bpf-event -o "$tmp/perf.data" -- "$@" \
    >"$tmp/rec.out" 2>"$tmp/rec.err" || die "perf record failed: $(head -1 "$tmp/rec.err")"

# row FILE COMMAND WALL RSS_KIB: one line of the table.
row()
{
    printf '%-12s %-40s %9.2f %9.1f\n' "$1" "$2" "$3" "$(awk -v k="$4" 'BEGIN { print k / 1024 }')"
}

declare -A wall rss
printf '\n%-12s %-40s %9s %9s\n' file command wall_s rss_mb
for f in hwprof perf; do
    data=$tmp/$f.data
    measure "hw-$f" "$runs" "$HWPROF" report --stdio -i "$data"
    wall[$f:hw]=$WALL rss[$f:hw]=$RSS
    samples=$(sed -n 's/.*Samples: \([0-9]*\).*/\1/p' "$tmp/hw-$f.out" | head -1)
    row "$f.data" "hwprof report" "$WALL" "$RSS"
    measure "hl-$f" "$runs" "$HWPROF" report --lines --stdio -i "$data"
    wall[$f:hl]=$WALL rss[$f:hl]=$RSS
    row "$f.data" "hwprof report --lines" "$WALL" "$RSS"
    measure "hc-$f" "$runs" "$HWPROF" convert -i "$data" -o "$tmp/$f.pb.gz"
    wall[$f:hc]=$WALL rss[$f:hc]=$RSS
    row "$f.data" "hwprof convert -o x.pb.gz" "$WALL" "$RSS"
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
    echo "ratio report  hwprof/perf-report $(ratio "${wall[$f:hw]}" "${wall[$f:pr]}")   ($f.data, $workload)"
    echo "ratio report-lines  hwprof/perf-report $(ratio "${wall[$f:hl]}" "${wall[$f:pr]}")   ($f.data, $workload)"
    echo "ratio convert  convert/report $(ratio "${wall[$f:hc]}" "${wall[$f:hw]}")   ($f.data, $workload)"
    [ "$quick" = 1 ] ||
        echo "ratio report  hwprof/perf-script-inline $(ratio "${wall[$f:hw]}" "${wall[$f:ps]}")   ($f.data, $workload)"
    echo "ratio rss  hwprof/perf-report $(ratio "${rss[$f:hw]}" "${rss[$f:pr]}")   ($f.data, $workload)"
    echo "ratio rss-lines  hwprof/perf-report $(ratio "${rss[$f:hl]}" "${rss[$f:pr]}")   ($f.data, $workload)"
done

# The targets, on both recordings.
echo
for f in hwprof perf; do
    echo "target: hwprof report no slower than perf report ($f.data):" \
        "$(verdict "${wall[$f:hw]}" "${wall[$f:pr]}" "$TARGET_REPORT")"
    echo "target: hwprof report --lines no slower than perf report ($f.data):" \
        "$(verdict "${wall[$f:hl]}" "${wall[$f:pr]}" "$TARGET_REPORT")"
    echo "target: hwprof convert <= $TARGET_CONVERT x hwprof report ($f.data):" \
        "$(verdict "${wall[$f:hc]}" "${wall[$f:hw]}" "$TARGET_CONVERT")"
    echo "target: hwprof report peak RSS <= perf report's ($f.data):" \
        "$(verdict "${rss[$f:hl]}" "${rss[$f:pr]}" "$TARGET_RSS")"
done
if [ "$quick" = 0 ]; then
    echo "target: hwprof report >= 100x faster than perf script --inline:" \
        "$(verdict "${wall[hwprof:hw]}" "${wall[hwprof:ps]}" "$TARGET_SCRIPT")"
else
    echo "target: hwprof report >= 100x faster than perf script --inline: not measured (-q skips perf script)"
fi
