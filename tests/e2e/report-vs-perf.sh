#!/bin/bash
# report-vs-perf.sh - e2e: hwprof report's flat% per function agrees with perf report, on hwprof- and perf-written files.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"

TOLERANCE=1.5 # percentage points
MIN_PCT=2     # compare every function above this flat% in either tool

require_perf_events
require_prog split
cd "$T"

run_hwprof rec record -e cpu-clock -o hw.data -- "$PROGS/split"
expect_rc rec 0
perf record -q -e cpu-clock -g -o perf.data -- "$PROGS/split" >perf-rec.out 2>perf-rec.err ||
    fail "perf record -e cpu-clock -g failed: $(head -1 perf-rec.err)"

# compare FILE: checks hwprof's and perf's flat% of every function above MIN_PCT.
compare()
{
    local f=$1 base
    base=$(basename "$f" .data)
    # perf's "--no-children --sort sym" rows: "  75.04%  [.] work_three"; one symbol may appear
    # once per binary, so add up by name.
    perf_report_raw "$f" --no-children --sort sym -g none >"$base-perf.txt"
    awk '/^#/ || NF < 3 { next }
        $1 ~ /%$/ && $2 ~ /^\[.\]$/ {
            p = $1; sub(/%$/, "", p)
            name = $0; sub(/^[ \t]*[^ \t]+[ \t]+\[.\][ \t]+/, "", name); sub(/[ \t]+$/, "", name)
            pct[name] += p
        }
        END { for (n in pct) printf "%s\t%.2f\n", n, pct[n] }' "$base-perf.txt" | sort >"$base-perf.pct"
    [ -s "$base-perf.pct" ] || {
        head -n 20 "$base-perf.txt" >&2
        fail "$f: cannot find rows in perf report's output (see above)"
    }
    run_report "$base-hw" -i "$f" --stdio --no-inline -n 0
    check_table "$base-hw.tsv"
    awk -F '\t' '{ pct[$6] += $2 } END { for (n in pct) printf "%s\t%.2f\n", n, pct[n] }' \
        "$base-hw.tsv" | sort >"$base-hw.pct"
    # name, hwprof flat%, perf flat% (0 where a tool has no row) for functions above MIN_PCT.
    join -t "$(printf '\t')" -a 1 -a 2 -e 0 -o 0,1.2,2.2 "$base-hw.pct" "$base-perf.pct" |
        awk -F '\t' -v min="$MIN_PCT" '$2 > min || $3 > min' >"$base-cmp.txt"
    note "$f: function, hwprof flat%, perf flat%: $(tr '\t\n' ' ;' <"$base-cmp.txt")"
    grep -q '^work_three	' "$base-cmp.txt" && grep -q '^work_one	' "$base-cmp.txt" ||
        fail "$f: work_three and work_one are not both above $MIN_PCT% (see above)"
    awk -F '\t' -v tol="$TOLERANCE" '
        { d = $2 - $3; if (d < 0) d = -d }
        d > tol { printf "%s: hwprof %s%%, perf %s%%\n", $1, $2, $3; bad = 1 }
        END { exit bad }' "$base-cmp.txt" >"$base-bad.txt" || {
        cat "$base-bad.txt" >&2
        fail "$f: hwprof report and perf report disagree by more than $TOLERANCE points (above)"
    }
}

compare hw.data
compare perf.data
exit 0
