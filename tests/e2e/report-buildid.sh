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
# split measures the CPU time of its work_three and work_one calls.
load_truth rec.out
need_truth work_three.cpu_ns work_one.cpu_ns process.cpu_ns

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
# At least work_three's and work_one's samples (the start-up in ld.so and libc, the exit in the
# kernel are other binaries).
SHARE_SLACK=$(calc "$SHARE_SLACK + 0.02") expect_share_ge "flat% of split+0x... placeholder rows / 100" "$ph" 100 \
    "$(calc "($(truth work_three.cpu_ns) + $(truth work_one.cpu_ns)) / $(truth process.cpu_ns)")" \
    "$(report_header after.out Samples)"
exit 0
