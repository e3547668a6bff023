# lib.sh - helpers shared by the benchmark scripts: usage text, errors, argument checks, the temp dir, the inline-heavy workload.
#
# Source it first thing, after setting BENCH_NAME (the prefix of error messages) and USAGE_LINES
# (the sed range of the script's header comment that holds its usage, e.g. 4,11).

# usage: prints the usage text from the header comment of the running script.
usage()
{
    sed -n "${USAGE_LINES}s/^# \{0,1\}//p" "$0"
}

# die MSG...: prints "BENCH_NAME: MSG" on stderr and exits 1.
die()
{
    echo "$BENCH_NAME: $*" >&2
    exit 1
}

# want_count OPTION VALUE WHAT: dies unless VALUE is a positive whole number.
want_count()
{
    case $2 in '' | *[!0-9]* | 0) die "$1 wants a positive $3, not '$2'" ;; esac
}

# want_seconds OPTION VALUE: dies unless VALUE is a (decimal) number of seconds.
want_seconds()
{
    case $2 in '' | *[!0-9.]* | *.*.*) die "$1 wants a number of seconds, not '$2'" ;; esac
}

# bench_getopts OPTSTRING MAXARGS ARGS...: parses ARGS with getopts (OPTSTRING without -h, which
# prints the usage), calling `bench_opt LETTER VALUE` (defined by the script) for each option; dies
# on an unknown option, a missing value or more than MAXARGS arguments, which are left in bench_args.
bench_getopts()
{
    local optstring=$1 maxargs=$2 opt OPTIND=1
    shift 2
    while getopts ":${optstring}h" opt; do
        case $opt in
        h)
            usage
            exit 0
            ;;
        :) die "option -$OPTARG needs a value (see -h)" ;;
        \?) die "unknown option -$OPTARG (see -h)" ;;
        *) bench_opt "$opt" "${OPTARG:-}" ;;
        esac
    done
    shift $((OPTIND - 1))
    [ $# -le "$maxargs" ] || die "unexpected argument '${*:maxargs+1:1}' (see -h)"
    bench_args=("$@")
}

# bench_env: sets root (the source tree), HWPROF, PERF and CC from the environment or their
# defaults, and dies unless HWPROF is built.
bench_env()
{
    root=$(cd "$(dirname "$0")/.." && pwd)
    HWPROF=${HWPROF:-$root/src/hwprof}
    PERF=${PERF:-perf}
    CC=${CC:-cc}
    [ -x "$HWPROF" ] || die "$HWPROF not found: build hwprof first (./configure && make) or set HWPROF"
}

# bench_tmpdir: sets tmp to a new temporary directory removed at exit, and a C locale.
bench_tmpdir()
{
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/hwprof-bench.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    export LC_ALL=C
}

# build_inline_heavy ROOT: sets INLINE_HEAVY to bench/inline-heavy, compiled into $tmp unless the
# environment names a built one.
build_inline_heavy()
{
    if [ -z "${INLINE_HEAVY:-}" ]; then
        INLINE_HEAVY=$tmp/inline-heavy
        "$CC" -O2 -g -fno-omit-frame-pointer -pthread "$1/bench/inline-heavy.c" -o "$INLINE_HEAVY" ||
            die "could not compile $1/bench/inline-heavy.c with $CC (set CC or INLINE_HEAVY)"
    fi
    [ -x "$INLINE_HEAVY" ] || die "INLINE_HEAVY=$INLINE_HEAVY is not an executable"
}

# measure NAME RUNS CMD...: runs CMD (stdout to $tmp/NAME.out) RUNS times; sets WALL (seconds, the
# fastest run, to the millisecond: time(1)'s %e has only 10 ms) and RSS (KiB, the peak of that
# run, from GNU time). Dies when CMD fails.
measure()
{
    local name=$1 n=$2 i w m t0 t1
    shift 2
    WALL=
    RSS=
    for ((i = 0; i < n; i++)); do
        t0=$EPOCHREALTIME
        /usr/bin/time -f '%M' -o "$tmp/$name.time" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" ||
            die "$* failed: $(grep -v '^Command exited' "$tmp/$name.err" | head -1)"
        t1=$EPOCHREALTIME
        w=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }')
        read -r m <"$tmp/$name.time"
        if [ -z "$WALL" ] || awk -v a="$w" -v b="$WALL" 'BEGIN { exit !(a < b) }'; then
            WALL=$w
            RSS=$m
        fi
    done
}

# ratio A B: A/B as "0.40x" (or "-" when B is 0).
ratio()
{
    awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else { r = a / b;
        printf (r < 0.1 ? "%.4fx\n" : "%.2fx\n"), r } }'
}

# verdict A B FACTOR: "met" when A <= B * FACTOR, else "NOT met".
verdict()
{
    awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { print (a + 0 <= b * f ? "met" : "NOT met") }'
}
