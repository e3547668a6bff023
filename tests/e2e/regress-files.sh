#!/bin/bash
# regress-files.sh - e2e: every tests/regress/*.data (inputs the fuzzers found) goes through report and convert: exit 0 or 1, one-line errors, no crash or sanitizer report.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"

regress_dir="${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/regress"
cd "$T"

# check_run NAME FILE: the run NAME (see run_hwprof) on FILE exited 0 or 1 without a sanitizer
# report, and when it failed its stderr is one line.
check_run()
{
    local name=$1 file=$2
    expect_no_sanitizer "$name"
    if [ "$RC" != 0 ] && [ "$RC" != 1 ]; then
        show "$name"
        fail "$name ($file): hwprof exited with status $RC (a signal or abort?)"
    fi
    if [ "$RC" = 1 ] && [ "$(wc -l <"$T/$name.err")" -gt 1 ]; then
        show "$name"
        fail "$name ($file): the error is more than one line"
    fi
}

n=0
for file in "$regress_dir"/*.data; do
    [ -e "$file" ] || continue
    n=$((n + 1))
    base=$(basename "$file" .data)
    run_hwprof "report-$base" report -i "$file" --stdio
    check_run "report-$base" "$file"
    note "report $base: exit $RC, $(head -n 1 "$T/report-$base.err")"
    rm -f "$T/x.pb.gz"
    run_hwprof "convert-$base" convert -i "$file" -o "$T/x.pb.gz"
    check_run "convert-$base" "$file"
    note "convert $base: exit $RC, $(head -n 1 "$T/convert-$base.err")"
done
[ "$n" -gt 0 ] || fail "no regression files in $regress_dir"
note "$n regression files, all handled"
