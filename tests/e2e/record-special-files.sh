#!/bin/bash
# record-special-files.sh - e2e: a FIFO put in place of the profiled binary while it runs hangs neither record's build-id pass nor report; both finish with the samples and name the cause.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

require_perf_events
require_prog spinner

cp "$PROGS/spinner" "$T/prog"
cd "$T"
# The spinner spins for 2 s and says "PID spun" after 0.3 s of CPU time; then its binary's path
# becomes a FIFO that nobody writes: a blocking open of it would never return.
start_bg "$HWPROF" record -e cpu-clock -o "$T/f.data" -- "$T/prog" 2 0.3 \
    </dev/null >rec.out 2>rec.err
hw=$BG_PID
wait_for_line rec.out ' spun$' 60
mv "$T/prog" "$T/prog.moved"
mkfifo "$T/prog"
wait_bg "$hw" 60
if [ "$RC" != 0 ]; then
    show rec
    fail "record exited with $RC when the binary's path had become a FIFO"
fi
assert_summary rec cpu-clock
assert_file_complete "$T/f.data"
[ -p "$T/prog" ] || fail "the FIFO at the binary's path is gone"
note "record: $NSAMPLES samples, the FIFO left alone"

# report: the mapping's path is still the FIFO (the build-id cache could not store the binary).
run_hwprof rep report -i "$T/f.data" --stdio -n 0
expect_rc rep 0
grep -q 'Samples: [1-9]' "$T/rep.out" || { show rep; fail "report shows no samples"; }
grep -Eqi 'prog.*(not a regular file|FIFO|special)' "$T/rep.err" || {
    show rep
    fail "report does not say that the binary's path is not a regular file"
}
note "report: $(grep -m1 -Eio '[^:]*prog[^;]*(not a regular file|FIFO|special)[^;]*' "$T/rep.err" | head -c 160)"
