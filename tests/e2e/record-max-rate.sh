#!/usr/bin/env bash
# record-max-rate.sh - a default record with kernel.perf_event_max_sample_rate below 999 Hz works,
# warns once and samples at the lower rate; --strict-freq makes it an error. The sysctl is restored
# on every exit path.
set -eu
. "$TOP_SRCDIR/tests/lib.sh"
require_perf_events
require_prog hot

RATE_FILE=/proc/sys/kernel/perf_event_max_sample_rate
[ -w "$RATE_FILE" ] || skip "needs root to set kernel.perf_event_max_sample_rate"
ORIG_RATE=$(cat "$RATE_FILE")
restore_rate()
{
    echo "$ORIG_RATE" >"$RATE_FILE" 2>/dev/null || true
}
trap 'rc=$?; restore_rate; (exit $rc); lib_cleanup' EXIT
LIMIT=400
cd "$T"

SECONDS_CPU=1.0
echo "$LIMIT" >"$RATE_FILE" || fail "cannot set $RATE_FILE to $LIMIT"
run_hwprof rec record -o low.data -- "$PROGS/hot" "$SECONDS_CPU"
REC_RC=$RC
run_hwprof strict record --strict-freq -e cpu-clock -o strict.data -- "$PROGS/hot" 0.1
STRICT_RC=$RC
# 100,000 samples a second with a limit of 400: the kernel throttles, and the advice fits -c
run_hwprof thr record -e cpu-clock -c 10000 -o thr.data -- "$PROGS/hot" 0.2
THR_RC=$RC
restore_rate

RC=$REC_RC
expect_rc rec 0
n=$(grep -c 'Hz is above kernel.perf_event_max_sample_rate' rec.err || true)
[ "$n" = 1 ] || {
    show rec
    fail "expected exactly one warning about perf_event_max_sample_rate, got $n"
}
grep 'Hz is above kernel.perf_event_max_sample_rate' rec.err | grep -q "sampling at $LIMIT Hz" || {
    show rec
    fail "the warning does not say that it samples at $LIMIT Hz"
}
# The file says 400 Hz, and the samples per second of CPU time are at most that: hot runs until its
# thread has used SECONDS_CPU of CPU time (cpu-clock counts the same time), so at most
# LIMIT * SECONDS_CPU samples, plus the start and the end.
perf evlist -v -i low.data 2>/dev/null | grep -Eq "sample_freq \}?: $LIMIT([^0-9]|$)" || {
    perf evlist -v -i low.data >&2 || true
    fail "the recording's attribute does not say sample_freq $LIMIT"
}
assert_file_complete low.data
max=$(awk -v l="$LIMIT" -v s="$SECONDS_CPU" 'BEGIN { printf "%d", l * s * 1.05 + 10 }')
min=$(awk -v l="$LIMIT" -v s="$SECONDS_CPU" 'BEGIN { printf "%d", l * s * 0.5 }')
note "$NSAMPLES samples for $SECONDS_CPU s of CPU time at a limit of $LIMIT Hz (allowed $min..$max)"
assert_between "samples at a $LIMIT Hz limit" "$NSAMPLES" "$min" "$max"

RC=$STRICT_RC
expect_rc_nonzero strict
grep -q 'perf_event_max_sample_rate' strict.err || {
    show strict
    fail "--strict-freq: the error does not name perf_event_max_sample_rate"
}
[ ! -e strict.data ] || fail "--strict-freq left a file behind"

RC=$THR_RC
expect_rc thr 0
grep -q '^hwprof: cpu-clock: the kernel throttled its sampling [0-9]* times.*use a larger -c' thr.err || {
    show thr
    fail "-c 10000 above the limit: no per-event throttle line advising a larger -c"
}
if grep -q 'lower -F' thr.err; then
    show thr
    fail "-c 10000: the throttle advice talks about -F"
fi
# the frequency run: if it was throttled, the advice is about -F
if grep -q 'throttled' rec.err && ! grep -q 'throttled.*lower -F' rec.err; then
    show rec
    fail "the throttle line of a frequency recording does not advise lowering -F"
fi
[ "$(cat "$RATE_FILE")" = "$ORIG_RATE" ] || fail "the sysctl was not restored"
exit 0
