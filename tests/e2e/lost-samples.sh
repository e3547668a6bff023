#!/bin/bash
# lost-samples.sh - e2e: a 1-page ring buffer loses samples; record's summary, the file, hwprof report and the pprof comment agree on the count.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$TOP_SRCDIR/tests/report-lib.sh"

require_perf_events
require_prog threads many-threads
cd "$T"

rate=$(cat /proc/sys/kernel/perf_event_max_sample_rate)
hz=$((rate < 20000 ? rate : 20000))

# summary_lost NAME EVENT: the M of hwprof's summary line "hwprof: EVENT: N samples, M lost".
summary_lost()
{
    sed -n "s/^hwprof: [^ ]*$2[^ ]*: [0-9][0-9]* samples, \\([0-9][0-9]*\\) lost.*/\\1/p" "$1.err" |
        awk '{ n += $1 } END { print n + 0 }'
}

# Try ever heavier settings until the 4 KiB ring buffer overflows (a fast reader or a throttling
# kernel may keep up with the lighter ones).
LOST=0
try=0
for setting in "-F $hz -e cpu-clock -- $PROGS/threads" \
    "-F $hz -e cpu-clock -- $PROGS/many-threads 0.05" \
    "-c 10000 -e task-clock -- $PROGS/threads" \
    "-c 2000 -e task-clock -- $PROGS/many-threads 0.05"; do
    try=$((try + 1))
    ev=$(echo "$setting" | sed 's/.*-e \([^ ]*\).*/\1/')
    mkdir "o$try"
    # shellcheck disable=SC2086 # the setting is a list of words
    run_hwprof "rec$try" record --mmap-pages 1 -o "o$try/f.data" $setting
    expect_no_sanitizer "rec$try"
    expect_rc "rec$try" 0
    assert_only_files "o$try" f.data
    assert_summary "rec$try" "$ev"
    LOST=$(summary_lost "rec$try" "$ev")
    note "record --mmap-pages 1 $setting: $LOST lost"
    if [ "$LOST" -gt 0 ]; then
        break
    fi
done
[ "$LOST" -gt 0 ] || skip "no setting overflowed a 1-page ring buffer (the reader kept up)"
F="o$try/f.data"

# perf script reads the file; its only complaint is the warning about the lost chunks.
perf script -i "$F" -F comm,pid,tid,event,ip,sym >script.out 2>script.err ||
    fail "perf script -i $F failed: $(head -3 script.err)"
if grep -Ev '^(Warning:|Processed [0-9]+ events and lost [0-9]+ chunks!|Check IO/CPU overload!|)$' \
    script.err >script.other; then
    head -n 20 script.other >&2
    fail "perf script -i $F printed warnings or errors other than the lost chunks (see above)"
fi
grep -Eq 'Processed [0-9]+ events and lost [0-9]+ chunks' script.err ||
    fail "perf script -i $F does not see the lost samples (no 'lost N chunks' warning)"
assert_ge "samples in $F (perf script)" "$(grep -c 'cpu-clock\|task-clock' script.out || true)" 100

# The file holds the losses as PERF_RECORD_LOST (perf's own reader sums them).
perf report -D -i "$F" 2>/dev/null >dump.txt || fail "perf report -D -i $F failed"
perf_lost=$(sed -n 's/.*PERF_RECORD_LOST: .*lost:\([0-9][0-9]*\).*/\1/p' dump.txt |
    awk '{ n += $1 } END { print n + 0 }')
[ "$perf_lost" = "$LOST" ] ||
    fail "the summary says $LOST lost, the file's PERF_RECORD_LOST records (perf report -D) $perf_lost"

# hwprof report's header: "Lost: N".
run_report rep -i "$F" --stdio
rep_lost=$(report_header "$T/rep.out" Lost)
[ -n "$rep_lost" ] || {
    show rep
    fail "hwprof report's header has no 'Lost: N' although $LOST samples were lost"
}
[ "$rep_lost" = "$LOST" ] || {
    show rep
    fail "hwprof report's header says Lost: $rep_lost, the record summary $LOST"
}

# hwprof convert: the comment "lost samples: N".
run_hwprof conv convert -i "$F" -o p.pb.gz
expect_no_sanitizer conv
expect_rc conv 0
want="lost samples: $LOST"
if command -v go >/dev/null 2>&1 &&
    GOTOOLCHAIN=local GOPROXY=off HOME="$T" GOCACHE="$T/gocache" go tool pprof -h >/dev/null 2>&1; then
    GOTOOLCHAIN=local GOPROXY=off GOFLAGS='' HOME="$T" GOCACHE="$T/gocache" \
        go tool pprof -comments p.pb.gz </dev/null >comments.txt 2>comments.err ||
        {
            cat comments.err >&2
            fail "go tool pprof -comments p.pb.gz failed"
        }
    grep -qx "$want" comments.txt || {
        cat comments.txt >&2
        fail "the pprof profile has no comment '$want' (go tool pprof -comments above)"
    }
    how="go tool pprof -comments"
elif command -v protoc >/dev/null 2>&1; then
    gzip -dc p.pb.gz >p.pb || fail "p.pb.gz is not gzip data"
    protoc --proto_path="$TOP_SRCDIR/tests" --decode=perftools.profiles.Profile \
        "$TOP_SRCDIR/tests/profile.proto" <p.pb >p.txt 2>p.err || {
        cat p.err >&2
        fail "protoc cannot decode p.pb.gz"
    }
    # The comment is a string-table index: find the string's index among string_table entries.
    idx=$(awk -v w="string_table: \"$want\"" '/^string_table: / { if ($0 == w) { print n; exit } n++ }' p.txt)
    [ -n "$idx" ] || fail "the pprof profile's string table has no '$want'"
    grep -qx "comment: $idx" p.txt || fail "the pprof profile's comments do not include '$want'"
    how="protoc"
else
    note "SKIPPED the pprof comment check: neither go nor protoc is installed"
    how=""
fi
note "lost: summary $LOST = perf report -D $perf_lost = report header $rep_lost${how:+ = pprof comment ($how)}"
exit 0
