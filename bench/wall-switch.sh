#!/bin/bash
# wall-switch.sh - wall time of a workload with ~100,000 context switches a second: bare, under hwprof record --wall, under perf record of every switch.
#
# Usage: bench/wall-switch.sh [-a ROUND_TRIPS] [-w WORK] [-h] [RUNS]
#   RUNS            runs per mode (default 5); the median is reported
#   -a ROUND_TRIPS  round trips of bench/pingpong (default: its own, about 1.5 s)
#   -w WORK         computation steps per hop of bench/pingpong (default: its own, which gives
#                   about 100,000 switches/s on the development VM; 0 switches as fast as it can)
# Environment: HWPROF (default ./src/hwprof), PERF (default perf), CC (default cc), PINGPONG (a
# built bench/pingpong; default: compiled from bench/pingpong.c with -O2 -g
# -fno-omit-frame-pointer -pthread into a temporary directory).
set -eu

TARGET_WALL=1.0 # hwprof record --wall wall time <= perf record -e context-switches -c 1 -g's

BENCH_NAME='wall-switch'
USAGE_LINES=4,11
. "$(dirname "$0")/lib.sh"

runs=5
trips=
work=
bench_opt()
{
    case $1 in
    a) trips=$2 ;;
    w) work=$2 ;;
    esac
}
bench_getopts 'a:w:' 1 "$@"
[ ${#bench_args[@]} -eq 0 ] || runs=${bench_args[0]}
want_count RUNS "$runs" "number of runs"
[ -z "$trips" ] || want_count -a "$trips" "number of round trips"
case $work in
*[!0-9]*) die "-w wants a number of steps (0 or more), not '$work'" ;;
esac
[ -z "$work" ] || [ -n "$trips" ] || die "-w needs -a as well (pingpong takes ROUND_TRIPS before WORK)"

bench_env
"$HWPROF" record --help 2>&1 | grep -q -e '--wall' ||
    die "$HWPROF has no 'record --wall': build a newer hwprof or set HWPROF"
command -v "$PERF" >/dev/null 2>&1 ||
    die "$PERF not found: install perf (Debian: apt-get install linux-perf) or set PERF"

bench_tmpdir

if [ -z "${PINGPONG:-}" ]; then
    PINGPONG=$tmp/pingpong
    "$CC" -O2 -g -fno-omit-frame-pointer -pthread "$root/bench/pingpong.c" -o "$PINGPONG" ||
        die "could not compile $root/bench/pingpong.c with $CC (set CC or PINGPONG)"
fi
[ -x "$PINGPONG" ] || die "PINGPONG=$PINGPONG is not an executable"

workload=("$PINGPONG")
[ -z "$trips" ] || workload+=("$trips")
[ -z "$work" ] || workload+=("$work")
# perf records every switch-out with its call chain, the nearest perf 6.1 equivalent of the
# off-CPU half of --wall. --no-bpf-event: hwprof records no BPF side-band events, and without it
# perf 6.1 waits about one second for its side-band thread at exit, which would swamp the
# comparison (see record-overhead.sh).
perfcmd=("$PERF" record -e context-switches -c 1 -g --no-bpf-event -o "$tmp/perf-cs.data")
hwcmd=("$HWPROF" record --wall -o "$tmp/hwprof-wall.data")
# Keep the user's perf configuration and build-id cache out of the measurements.
export PERF_CONFIG_NOSYSTEM=1 PERF_CONFIG_NOGLOBAL=1 PERF_PAGER=cat PERF_BUILDID_DIR="$tmp/.debug"

# run_timed NAME CMD...: runs CMD once (stdout to $tmp/NAME.out, stderr to $tmp/NAME.err) and
# appends "wall cpu switches/s" to $tmp/NAME.times: seconds, user + sys of the whole process tree
# (bash's time keyword counts every waited-for descendant), and the rate pingpong printed.
# Dies when CMD fails.
run_timed()
{
    local name=$1 t rate rc=0
    shift
    local TIMEFORMAT='%3R %3U %3S'
    { time "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"; } 2>"$tmp/$name.time" || rc=$?
    if [ "$rc" -ne 0 ]; then
        cat "$tmp/$name.err" >&2
        die "$name run failed with status $rc: $*"
    fi
    rate=$(sed -n 's/^pingpong: .*: \([0-9]*\) switches\/s$/\1/p' "$tmp/$name.out")
    [ -n "$rate" ] || die "$name run: no switch rate in pingpong's output: $(head -1 "$tmp/$name.out")"
    t=$(tail -n 1 "$tmp/$name.time")
    echo "$t" | awk -v r="$rate" '{ printf "%.3f %.3f %d\n", $1, $2 + $3, r }' >>"$tmp/$name.times"
}

# note_file NAME DATA: appends the size of DATA (bytes) to $tmp/NAME.sizes.
note_file()
{
    stat -c %s "$2" >>"$tmp/$1.sizes"
}

# note_hwprof_summary: appends each "EVENT: N samples, M lost" line of hwprof's summary to
# $tmp/hwprof-wall.summary.
note_hwprof_summary()
{
    sed -n 's/^hwprof: \([^ ]*\): \([0-9]*\) samples, \([0-9]*\) lost$/\1 \2 \3/p' \
        "$tmp/hwprof-wall.err" >>"$tmp/hwprof-wall.summary"
}

# note_perf_stats: appends perf's sample count and lost count (LOST and LOST_SAMPLES records, as
# perf report --stats counts them) for the last perf recording to $tmp/perf-cs.summary.
note_perf_stats()
{
    "$PERF" report --stats -i "$tmp/perf-cs.data" >"$tmp/perf-stats.out" 2>&1 ||
        die "perf report --stats failed: $(head -1 "$tmp/perf-stats.out")"
    awk '/^Aggregated stats:/ { agg = 1 } !agg { next }
         $1 == "SAMPLE" && $2 == "events:" && !s { s = $3 }
         $1 ~ /^LOST/ && $2 == "events:" { l += $3 }
         END { printf "%d %d\n", s, l }' "$tmp/perf-stats.out" >>"$tmp/perf-cs.summary"
}

# median FILE COLUMN: the median of column COLUMN of FILE (numbers, one row per run).
median()
{
    cut -d' ' -f"$2" "$1" | sort -n |
        awk '{ v[NR] = $1 }
             END {
                 m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                 printf "%.3f", m
             }'
}

# ratio A B: A/B as "1.03x" (or "n/a" when B is 0).
ratio()
{
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else printf "n/a" }'
}

# mib BYTES: BYTES in MiB, one decimal.
mib()
{
    awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'
}

echo "workload: ${workload[*]}"
echo "hwprof:   ${hwcmd[*]} -- ..."
echo "perf:     ${perfcmd[*]} -- ..."
echo "runs:     $runs per mode (interleaved, after one warm-up run), median reported"

# Warm-up: page cache, CPU frequency, and a first check that every mode works (permissions too).
run_timed warmup "${workload[@]}"
run_timed warmup "${hwcmd[@]}" -- "${workload[@]}"
run_timed warmup "${perfcmd[@]}" -- "${workload[@]}"

for ((i = 1; i <= runs; i++)); do
    run_timed bare "${workload[@]}"
    run_timed hwprof-wall "${hwcmd[@]}" -- "${workload[@]}"
    note_file hwprof-wall "$tmp/hwprof-wall.data"
    note_hwprof_summary
    run_timed perf-cs "${perfcmd[@]}" -- "${workload[@]}"
    note_file perf-cs "$tmp/perf-cs.data"
    note_perf_stats
    printf '.' >&2
done
echo >&2

declare -A wall cpu rate size
for m in bare hwprof-wall perf-cs; do
    wall[$m]=$(median "$tmp/$m.times" 1)
    cpu[$m]=$(median "$tmp/$m.times" 2)
    rate[$m]=$(median "$tmp/$m.times" 3)
done
for m in hwprof-wall perf-cs; do
    size[$m]=$(median "$tmp/$m.sizes" 1)
done

echo
printf "switches/s bare %.0f (pingpong's own count, median of the bare runs)\n" "${rate[bare]}"
echo
printf '%-12s %10s %10s %12s %10s\n' mode wall_s cpu_s switches/s file_mib
printf '%-12s %10s %10s %12.0f %10s\n' bare "${wall[bare]}" "${cpu[bare]}" "${rate[bare]}" -
for m in hwprof-wall perf-cs; do
    printf '%-12s %10s %10s %12.0f %10s\n' "$m" "${wall[$m]}" "${cpu[$m]}" "${rate[$m]}" \
        "$(mib "${size[$m]}")"
done
echo
echo "ratio wall hwprof-wall/bare $(ratio "${wall[hwprof-wall]}" "${wall[bare]}")"
echo "ratio wall perf-cs/bare $(ratio "${wall[perf-cs]}" "${wall[bare]}")"
echo "ratio wall hwprof-wall/perf-cs $(ratio "${wall[hwprof-wall]}" "${wall[perf-cs]}")"
echo "ratio cpu hwprof-wall/perf-cs $(ratio "${cpu[hwprof-wall]}" "${cpu[perf-cs]}")"
echo "ratio size hwprof-wall/perf-cs $(ratio "${size[hwprof-wall]}" "${size[perf-cs]}")"

# Samples and losses, summed over the measured runs.
echo
awk -v runs="$runs" '{ n[$1] += $2; l[$1] += $3; if ($3 > 0) bad[$1]++ }
     END {
         for (e in n)
             printf "hwprof-wall %s: %d samples per run, %d lost in all (%d of %d runs lost some)\n",
                 e, n[e] / runs, l[e], bad[e], runs
     }' "$tmp/hwprof-wall.summary" | sort
awk -v runs="$runs" '{ n += $1; l += $2; if ($2 > 0) bad++ }
     END {
         printf "perf-cs context-switches: %d samples per run, %d lost records in all (%d of %d runs lost some)\n",
             n / runs, l, bad, runs
     }' "$tmp/perf-cs.summary"
if awk '$3 > 0 { found = 1 } END { exit !found }' "$tmp/hwprof-wall.summary"; then
    echo "warning: hwprof lost samples: the wall profile misses some time (try a larger -m in hwprof record)"
fi

echo
if awk -v h="${wall[hwprof-wall]}" -v p="${wall[perf-cs]}" -v t="$TARGET_WALL" \
    'BEGIN { exit !(h <= p * t) }'; then
    echo "target: hwprof-wall wall <= perf-cs wall: met"
else
    echo "target: hwprof-wall wall <= perf-cs wall: MISSED"
fi
