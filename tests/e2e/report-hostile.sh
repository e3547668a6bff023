#!/bin/bash
# report-hostile.sh - e2e: hwprof report on broken input (empty, random, truncated, directory, missing): one-line errors, no crash.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"

require_perf_events
require_prog split
cd "$T"

run_hwprof rec record -e cpu-clock -o good.data -- "$PROGS/split" 0.2
expect_rc rec 0
run_report good -i good.data --stdio
has_row good.tsv work_three || fail "the intact recording does not show work_three"

# u64_at FILE OFFSET: the little-endian u64 at byte OFFSET of FILE.
u64_at()
{
    od -An -t u8 -j "$2" -N 8 "$1" | tr -d ' '
}
data_offset=$(u64_at good.data 40)
data_size=$(u64_at good.data 48)
size=$(stat -c %s good.data)
note "good.data: $size bytes, data section at $data_offset, $data_size bytes"
[ "$data_size" -gt 1000 ] && [ $((data_offset + data_size)) -le "$size" ] ||
    fail "good.data's header does not describe a data section (offset $data_offset, size $data_size)"

: >empty.data
head -c 4096 /dev/urandom >random.data
head -c 100 good.data >head100.data
head -c $((data_offset + data_size / 2)) good.data >halfdata.data
printf 'PERFILE2' >magic-only.data
mkdir dir.data

# expect_error NAME FILE: `hwprof report -i FILE` fails with exactly one "hwprof: " line on stderr.
expect_error()
{
    local name=$1
    run_hwprof "$name" report -i "$2" --stdio
    expect_no_sanitizer "$name"
    expect_rc_nonzero "$name"
    if [ "$(wc -l <"$T/$name.err")" != 1 ] || ! grep -q '^hwprof: ' "$T/$name.err"; then
        show "$name"
        fail "$name: stderr is not one line starting with 'hwprof: '"
    fi
    note "$name: $(cat "$T/$name.err")"
}

expect_error empty empty.data
expect_error random random.data
expect_error head100 head100.data
expect_error halfdata halfdata.data
expect_error magic-only magic-only.data
expect_error dir dir.data
expect_error missing no-such-file.data
grep -q 'no-such-file.data' missing.err || fail "the error for a missing file does not name it"
grep -Eqi 'magic|PERFILE2|not a perf.data file' random.err ||
    fail "the error for random bytes does not say it is not a perf.data file"

# Damaged records in the data section: any outcome but a crash or a sanitizer report; an error is
# one line.
for seed in 1 2 3; do
    cp good.data "garbled$seed.data"
    # Overwrite 512 bytes in the middle of the data section with deterministic junk.
    awk -v s="$seed" 'BEGIN { srand(s); for (i = 0; i < 512; i++) printf "%c", int(rand() * 256) }' |
        dd of="garbled$seed.data" bs=1 seek=$((data_offset + data_size / 2)) conv=notrunc status=none
    run_hwprof "garbled$seed" report -i "garbled$seed.data" --stdio
    expect_no_sanitizer "garbled$seed"
    [ "$RC" -le 125 ] || {
        show "garbled$seed"
        fail "garbled$seed: hwprof died with status $RC"
    }
    if [ "$RC" != 0 ]; then
        [ "$(wc -l <"garbled$seed.err")" = 1 ] && grep -q '^hwprof: ' "garbled$seed.err" || {
            show "garbled$seed"
            fail "garbled$seed: the error is not one line starting with 'hwprof: '"
        }
    fi
    note "garbled$seed: exit $RC, $(head -1 "garbled$seed.err")"
done
exit 0
