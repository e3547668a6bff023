#!/usr/bin/env bash
# record-max-rate.sh - a default record with kernel.perf_event_max_sample_rate below 999 Hz works,
# warns once and samples at the lower rate; --strict-freq makes it an error. The limit of 400 is
# shown to hwprof in a mount namespace of its own (a file bound over the sysctl's), so that the
# other tests running meanwhile keep the machine's; the kernel's own refusal of a frequency above
# the real limit is checked too, without changing it.
set -eu
. "$TOP_SRCDIR/tests/lib.sh"
require_perf_events
require_prog hot
cd "$T"
LIMIT=400
RATE_FILE=/proc/sys/kernel/perf_event_max_sample_rate
REAL=$(cat "$RATE_FILE")
REAL_HWPROF=$HWPROF
export REAL_HWPROF LIMIT

# hwprof in a mount namespace where the sysctl reads $LIMIT
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1; then
    echo "$LIMIT" >"$T/rate"
    export RATE_COPY="$T/rate"
    cat >"$T/hwprof-ns" <<'SH'
#!/bin/sh
exec unshare -m sh -c 'mount --bind "$RATE_COPY" /proc/sys/kernel/perf_event_max_sample_rate || exit 99
    exec "$@"' sh "$REAL_HWPROF" "$@"
SH
    chmod +x "$T/hwprof-ns"
    HWPROF="$T/hwprof-ns"
else
    # without root: the machine's own limit, above which -F asks
    LIMIT=$REAL
fi
FREQ=$((LIMIT < 999 ? 999 : LIMIT * 2))
SECONDS_CPU=1.0

run_hwprof rec record -F "$FREQ" -o low.data -- "$PROGS/hot" "$SECONDS_CPU"
[ "$RC" != 99 ] || fail "cannot bind a file over $RATE_FILE in a private mount namespace"
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
# The file says LIMIT Hz, and the samples per second of CPU time are at most that: hot runs until
# its thread has used SECONDS_CPU of CPU time (cpu-clock counts the same time), so at most
# LIMIT * SECONDS_CPU samples, plus the start and the end.
perf evlist -v -i low.data 2>/dev/null | grep -Eq "sample_freq \}?: $LIMIT([^0-9]|$)" || {
    perf evlist -v -i low.data >&2 || true
    fail "the recording's attribute does not say sample_freq $LIMIT"
}
assert_file_complete low.data
max=$(awk -v l="$LIMIT" -v s="$SECONDS_CPU" 'BEGIN { printf "%d", l * s * 1.05 + 10 }')
min=$(awk -v l="$LIMIT" -v s="$SECONDS_CPU" 'BEGIN { printf "%d", (l > 2000 ? 2000 : l) * s * 0.3 }')
note "$NSAMPLES samples for $SECONDS_CPU s of CPU time at a limit of $LIMIT Hz (allowed $min..$max)"
assert_between "samples at a $LIMIT Hz limit" "$NSAMPLES" "$min" "$max"

run_hwprof strict record --strict-freq -e cpu-clock -F "$FREQ" -o strict.data -- "$PROGS/hot" 0.1
expect_rc_nonzero strict
grep -q 'perf_event_max_sample_rate' strict.err || {
    show strict
    fail "--strict-freq: the error does not name perf_event_max_sample_rate"
}
[ ! -e strict.data ] || fail "--strict-freq left a file behind"

# The kernel itself refuses a frequency above the machine's real limit: lowered the same way.
HWPROF=$REAL_HWPROF run_hwprof real record -e cpu-clock -F $((REAL * 2)) -o real.data -- "$PROGS/hot" 0.1
expect_rc real 0
grep -q "sampling at $REAL Hz" real.err || { show real; fail "-F above the real limit: not lowered to $REAL Hz"; }

# 100,000 samples a second where the limit is lower: the kernel throttles, the advice fits -c
if [ "$REAL" -lt 100000 ] || [ "$HWPROF" != "$REAL_HWPROF" ]; then
    run_hwprof thr record -e cpu-clock -c 10000 -o thr.data -- "$PROGS/hot" 0.2
    expect_rc thr 0
    if grep -q 'throttled' thr.err; then
        grep -q '^hwprof: cpu-clock: the kernel throttled its sampling [0-9]* times.*use a larger -c' thr.err || {
            show thr
            fail "-c 10000: the throttle line does not advise a larger -c"
        }
        if grep -q 'lower -F' thr.err; then
            show thr
            fail "-c 10000: the throttle advice talks about -F"
        fi
    fi
fi
# a frequency recording that was throttled advises lowering -F
if grep -q 'throttled' rec.err && ! grep -q 'throttled.*lower -F' rec.err; then
    show rec
    fail "the throttle line of a frequency recording does not advise lowering -F"
fi
[ "$(cat "$RATE_FILE")" = "$REAL" ] || fail "the machine's sysctl changed"
exit 0
