#!/bin/bash
# unprivileged.sh - e2e: hwprof record as user nobody with perf_event_paranoid 2: user-space samples only, one notice, :k refused with advice.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$TOP_SRCDIR/tests/nobody-lib.sh"
. "$TOP_SRCDIR/tests/report-lib.sh"

require_perf_events
require_prog hot
cd "$T"
ulimit -c 0 2>/dev/null || true

nobody_setup hot
echo 2 >"$PARANOID" || fail "cannot set kernel.perf_event_paranoid to 2 (as root)"

# --- cpu-clock as nobody: works, user space only, one notice ---
run_nobody user record -e cpu-clock -o f.data -- ./hot
expect_no_sanitizer user
expect_rc user 0
grep -q '^hot: checksum' user.out || {
    show user
    fail "user: the workload did not run to completion"
}
assert_summary user cpu-clock
n=$(grep -i 'user' user.err | grep -ci 'paranoid' || true)
if [ "$n" != 1 ]; then
    show user
    fail "user: $n notices on stderr that kernel frames are left out (a line with 'user' and" \
        "'paranoid'), expected exactly one"
fi
# perf refuses a file that belongs to neither the caller nor root: read a copy.
cp "$NB/f.data" user.data
assert_file_complete user.data
perf_samples user.data >user.tsv
hot=$(count_where user.tsv '$1 == "hot"')
# User-space samples only: the CPU time hot measured in its two (user-space) loops.
load_truth user.out
need_truth hot_function.cpu_ns cold_function.cpu_ns
clock_period user.data
expect_count_ge "samples of the hot workload" "$hot" \
    "$(calc "($(truth hot_function.cpu_ns) + $(truth cold_function.cpu_ns)) / $PERIOD")"
perf_script_raw user.data -F ip,sym,dso >user.script
kaddr=$(grep -Eoi '\<ffff[89a-f][0-9a-f]{11}\>' user.script | head -1 || true)
[ -z "$kaddr" ] || fail "user: kernel address $kaddr in the recording made at perf_event_paranoid 2"
if grep -q 'kernel.kallsyms\|\[kernel\.' user.script; then
    grep -m 3 'kernel.kallsyms\|\[kernel\.' user.script >&2
    fail "user: kernel frames in the recording made at perf_event_paranoid 2 (see above)"
fi
note "as nobody at paranoid 2: $NSAMPLES samples, no kernel addresses, one notice"

# --- cpu-clock:k as nobody: refused with the paranoid advice, no file, the workload not run ---
run_nobody kern record -e cpu-clock:k -o k.data -- ./hot
expect_no_sanitizer kern
expect_rc_nonzero kern
grep -q 'perf_event_paranoid' kern.err || {
    show kern
    fail "kern: the error does not mention perf_event_paranoid"
}
grep -q '^hot: checksum' kern.out && fail "kern: the workload ran although :k cannot be sampled"
[ ! -e "$NB/k.data" ] || fail "kern: hwprof left $NB/k.data behind"
if ls -A "$NB" | grep -qv '^\(hwprof\|hot\|f\.data\)$'; then
    fail "kern: $NB holds [$(ls -A "$NB" | tr '\n' ' ')]: a leftover temp file?"
fi
nerr=$(grep -vc '^$' kern.err || true)
[ "$nerr" = 1 ] || {
    show kern
    fail "kern: hwprof printed $nerr lines on stderr, expected a one-line error"
}
note "cpu-clock:k as nobody: refused, exit $RC"
exit 0
