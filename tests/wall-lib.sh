# wall-lib.sh - helpers for the `hwprof record --wall` e2e tests: record, folded sums per sample type, pprof tag shares.
#
# Source after tests/lib.sh and tests/report-lib.sh. A --wall recording has the sample types
# samples/count, wall/nanoseconds (the default), cpu/nanoseconds and off-cpu/nanoseconds; the
# helpers read them through `hwprof convert --format folded`, whose lines are
# "comm;root;...;leaf VALUE" with exact values (nanoseconds), unlike the rounded report table.

# A frame pattern (ERE) for glibc functions that a symbol table may name with leading underscores,
# a __GI_ prefix, a libc_ prefix or a version suffix: fn_re pthread_mutex_lock matches
# ___pthread_mutex_lock, fn_re read matches __GI___libc_read.
fn_re()
{
    printf '(__GI_)?_*(libc_)?%s(@[^;]*)?' "$1"
}

# wall_record NAME DATA PROG [ARGS...]: runs `hwprof record --wall -o DATA -- $PROGS/PROG ARGS`,
# expects exit 0, no sanitizer report and the summary line of the cpu-clock event.
wall_record()
{
    local name=$1 data=$2 prog=$3
    shift 3
    run_hwprof "$name" record --wall -o "$data" -- "$PROGS/$prog" "$@"
    expect_no_sanitizer "$name"
    expect_rc "$name" 0
    assert_summary "$name" cpu-clock
    [ -s "$data" ] || fail "$name: record --wall wrote no (or an empty) $data"
}

# wall_folded NAME DATA INDEX [CONVERT-ARGS...]: writes the folded stacks of DATA for the sample
# type INDEX (wall, cpu, off-cpu, samples) to $T/NAME.folded; expects exit 0. An empty file is
# fine (no sample of that type passed the filters).
wall_folded()
{
    local name=$1 data=$2 index=$3
    shift 3
    run_hwprof "$name" convert -i "$data" --format folded --sample-index "$index" -o "$T/$name.folded" "$@"
    expect_no_sanitizer "$name"
    expect_rc "$name" 0
    [ -e "$T/$name.folded" ] || fail "$name: convert --format folded wrote no $T/$name.folded"
}

# folded_sum FILE [AWK-CONDITION]: the sum of the values of the (matching) lines of a folded file;
# in the condition $0 is the stack without its value ("comm;root;...;leaf").
folded_sum()
{
    awk "{ n = \$NF; sub(/ [0-9]+\$/, \"\") } (${2:-1}) { s += n } END { printf \"%.0f\\n\", s }" "$1"
}

# folded_sum_re FILE ERE: the sum of the values of the lines whose stack matches ERE, which is
# matched against ";comm;root;...;leaf;" (so ";f;" is the whole frame f).
folded_sum_re()
{
    awk -v re="$2" '{ n = $NF; sub(/ [0-9]+$/, "") } (";" $0 ";") ~ re { s += n } END { printf "%.0f\n", s }' "$1"
}

# check_wall_is_sum WALL CPU OFF: fails unless every stack's wall value is its cpu value plus its
# off-cpu value (three folded files of the same recording and filters).
check_wall_is_sum()
{
    awk '
        FNR == 1 { f++ }
        { n = $NF; sub(/ [0-9]+$/, ""); v[$0, f] = n; st[$0] = 1 }
        END {
            for (s in st)
                if (v[s, 1] + 0 != v[s, 2] + v[s, 3]) {
                    printf "%s: wall %.0f, cpu %.0f + off-cpu %.0f\n", s, v[s, 1], v[s, 2], v[s, 3]
                    bad++
                }
            exit bad > 0
        }' "$1" "$2" "$3" >"$T/.wallsum.txt" || {
        head -n 5 "$T/.wallsum.txt" >&2
        fail "wall != cpu + off-cpu for $(wc -l <"$T/.wallsum.txt") stacks (see above)"
    }
}

# expect_wall WHAT VALUE WALL CPU CALLS: fails unless VALUE (ns of wall-clock time charged to a
# phase: a folded sum) is the WALL ns the workload measured for it (CALLS calls, CPU ns on a CPU).
# The on-CPU part is sampled, a period (PERIOD, see clock_period) a sample: Z standard errors of
# its sample count, two periods and COUNT_SLACK of it; the off-CPU part is exact, but for 0.1 ms a
# call for the clock reads around it; SHARE_SLACK of the whole for the rest.
expect_wall()
{
    local tol
    tol=$(awk -v w="$3" -v c="$4" -v k="$5" -v p="$PERIOD" -v z="$SHARE_Z" -v cs="$COUNT_SLACK" \
        -v ss="$SHARE_SLACK" 'BEGIN { printf "%.0f\n", p * (z * sqrt(c / p) + 2) + cs * c + k * 1e5 + ss * w }')
    expect_near "$1 (ns)" "$2" "$3" "$tol"
}

# secs NS: NS nanoseconds in seconds with 3 decimals.
secs()
{
    awk -v n="$1" 'BEGIN { printf "%.3f\n", n / 1e9 }'
}

# ms NS: NS nanoseconds as milliseconds with one decimal, for notes.
ms()
{
    awk -v n="$1" 'BEGIN { printf "%.1fms\n", n / 1e6 }'
}

# cum_pct_re TSV ERE: the largest cum% of the report rows (report_rows format) whose name matches
# ERE entirely (0 when none does): one function under any of its aliases.
cum_pct_re()
{
    awk -F '\t' -v re="^($2)\$" '$6 ~ re && $5 > m { m = $5 } END { print m + 0 }' "$1"
}

# have_pprof: succeeds when `go tool pprof` runs (made offline and hermetic as require_pprof does).
have_pprof()
{
    command -v go >/dev/null 2>&1 || return 1
    export GOTOOLCHAIN=local GOPROXY=off GOFLAGS='' HOME="$T" GOCACHE="$T/gocache"
    go tool pprof -h >/dev/null 2>&1
}

# tag_pct FILE KEY VALUE: the share (in %) of the tag KEY=VALUE in a `go tool pprof -tags` output
# ("KEY: Total X" then lines "AMOUNT (PCT%): VALUE"); 0 when it is not listed.
tag_pct()
{
    awk -v key="$2" -v val="$3" '
        /^ *[^ ]+: Total / { cur = $1; sub(/:$/, "", cur); next }
        cur == key && /\(.*%\): / {
            line = $0
            pct = line; sub(/^[^(]*\( */, "", pct); sub(/%\).*/, "", pct)
            name = line; sub(/^[^)]*\): /, "", name)
            if (name == val) { print pct + 0; found = 1; exit }
        }
        END { if (!found) print 0 }' "$1"
}

# tag_values FILE KEY: the values of the tag KEY listed in a `go tool pprof -tags` output with a
# non-zero amount, one a line.
tag_values()
{
    awk -v key="$2" '
        /^ *[^ ]+: Total / { cur = $1; sub(/:$/, "", cur); next }
        cur == key && /\(.*%\): / && $1 !~ /^0(\.0*)?[^0-9]*$/ { name = $0; sub(/^[^)]*\): /, "", name); print name }' "$1"
}
