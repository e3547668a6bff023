#!/bin/bash
# report-buildid.sh - e2e: a binary replaced after recording (other build id) gets one warning and placeholders, not wrong names; with the recorded version in perf's build-id cache, its names.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"

require_perf_events
require_prog split hot
command -v readelf >/dev/null 2>&1 || skip "readelf is not installed (apt-get install binutils)"
cd "$T"
# perf's build-id cache (~/.debug) is searched for the recorded binary: start with an empty one
export HOME="$T"

# build_id PROG: the GNU build id of PROG in hex.
build_id()
{
    readelf -n "$1" | awk '/Build ID:/ { print $3; exit }'
}

mkdir bin
cp "$PROGS/split" bin/split
# -N: no copy in the build-id cache, so that the swap below is seen
run_hwprof rec record -N -e cpu-clock -o f.data -- "$T/bin/split"
expect_rc rec 0
[ ! -e "$T/.debug" ] || fail "record -N kept copies in the build-id cache $T/.debug"

# Before the swap: the copy symbolizes like the original.
run_report before -i f.data --stdio -n 0
has_row before.tsv work_three && has_row before.tsv work_one || {
    show before
    fail "the recording of the copy does not show work_three and work_one"
}

# Replace the binary with another program at the same path: a different build id, and other
# functions at the addresses split's samples have (hot_function, cold_function, run_work, main).
old_id=$(build_id bin/split)
cp "$PROGS/hot" bin/split
new_id=$(build_id bin/split)
[ -n "$old_id" ] && [ -n "$new_id" ] && [ "$old_id" != "$new_id" ] ||
    fail "the build ids of split ($old_id) and hot ($new_id) are missing or equal"
note "recorded build id $old_id, now $new_id"

run_report after -i f.data --stdio -n 0
check_table after.tsv
# One warning about the mismatch, naming the binary.
nwarn=$(grep -ci 'build.id' after.err || true)
[ "$nwarn" = 1 ] || {
    show after
    fail "expected one build-id warning on stderr, got $nwarn lines"
}
grep -i 'build.id' after.err | grep -q 'split' || fail "the build-id warning does not name split"
grep -i 'build.id' after.err | grep -q '^hwprof: ' || fail "the build-id warning does not start with 'hwprof: '"
# No names from the wrong binary, nor split's own names (its symbols are gone).
for f in work_three work_one main hot_function cold_function run_work; do
    ! has_row after.tsv "$f" || {
        show after
        fail "after the swap, the report still names $f: it symbolized with the wrong binary"
    }
done
# split's samples now show as placeholders "split+0x...".
ph=$(sum_where after.tsv 2 '$6 ~ /^split\+0x[0-9a-f]+$/')
note "flat% of split+0x... placeholders: $ph"
assert_ge "flat% of split+0x... placeholder rows" "$ph" 90

# The recorded version in perf's build-id cache (as perf record or perf buildid-cache leave it):
# its names again, no warning.
if command -v perf >/dev/null 2>&1; then
    cp "$PROGS/split" orig-split
    perf buildid-cache -a "$T/orig-split" >/dev/null 2>&1 || fail "perf buildid-cache -a failed"
    [ -n "$(find "$T/.debug/.build-id" -name "${old_id:2}")" ] || fail "perf did not cache build id $old_id under $T/.debug"
    run_report cached -i f.data --stdio -n 0
    has_row cached.tsv work_three && has_row cached.tsv work_one || {
        show cached
        fail "with the recorded split in the build-id cache, the report does not name work_three and work_one"
    }
    ! grep -qi 'build.id' cached.err || {
        show cached
        fail "with the recorded split in the build-id cache, the report still warns about its build id"
    }
fi

# hwprof record keeps the copy itself (as perf record does): a recording made without -N still names
# the functions after the binary was replaced.
cp "$PROGS/split" bin/split
rm -rf "$T/.debug"
run_hwprof rec2 record -e cpu-clock -o g.data -- "$T/bin/split"
expect_rc rec2 0
[ -n "$(find "$T/.debug/.build-id" -name "${old_id:2}")" ] || fail "record kept no copy of split (build id $old_id) in $T/.debug"
cp "$PROGS/hot" bin/split
run_report kept -i g.data --stdio -n 0
has_row kept.tsv work_three && has_row kept.tsv work_one || {
    show kept
    fail "with record's own copy in the build-id cache, the report does not name work_three and work_one"
}
# perf finds it too
if command -v perf >/dev/null 2>&1; then
    perf_report_raw g.data --no-children --sort sym >perf-kept.txt
    grep -q 'work_three' perf-kept.txt || fail "perf report does not find record's copy of split in the cache"
fi
exit 0
