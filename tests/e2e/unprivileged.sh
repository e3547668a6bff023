#!/bin/bash
# unprivileged.sh - e2e: hwprof record as user nobody with perf_event_paranoid 2: user-space samples only, one notice, :k refused with advice.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$TOP_SRCDIR/tests/report-lib.sh"

require_perf_events
require_prog hot
cd "$T"
ulimit -c 0 2>/dev/null || true

NB_UID=65534
PARANOID=/proc/sys/kernel/perf_event_paranoid
[ "$(id -u)" = 0 ] || skip "needs root to switch to user nobody and set kernel.perf_event_paranoid"
command -v setpriv >/dev/null 2>&1 || skip "setpriv is not installed (apt-get install util-linux)"
setpriv --reuid=$NB_UID --regid=$NB_UID --clear-groups true 2>/dev/null ||
    skip "setpriv cannot switch to uid $NB_UID (nobody)"

# The old perf_event_paranoid comes back however the test ends.
OLD_PARANOID=$(cat "$PARANOID")
unpriv_cleanup()
{
    local rc=$?
    set +e
    echo "$OLD_PARANOID" >"$PARANOID" 2>/dev/null ||
        echo "$TEST_NAME: WARNING: cannot restore kernel.perf_event_paranoid=$OLD_PARANOID" >&2
    (exit "$rc")
    lib_cleanup
}
trap unpriv_cleanup EXIT
echo 2 >"$PARANOID" || fail "cannot set kernel.perf_event_paranoid to 2 (as root)"

# nobody runs copies of hwprof and the workload from a 0755 dir it owns, and writes there.
NB="$T/nobody"
mkdir -m 0755 "$NB"
cp "$HWPROF" "$NB/hwprof"
cp "$PROGS/hot" "$NB/hot"
chown -R "$NB_UID:$NB_UID" "$NB"

# run_nobody NAME ARGS...: runs hwprof ARGS as nobody in $NB, like run_hwprof; sets RC.
run_nobody()
{
    local name=$1
    shift
    RC=0
    (cd "$NB" && timeout -k 5 "${HWPROF_TEST_TIMEOUT:-120}" setpriv --reuid=$NB_UID \
        --regid=$NB_UID --clear-groups ./hwprof "$@" </dev/null >"$T/$name.out" 2>"$T/$name.err") ||
        RC=$?
    [ "$RC" != 124 ] || fail "hwprof $* (as nobody) timed out after ${HWPROF_TEST_TIMEOUT:-120} s"
}

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
assert_ge "samples of the hot workload" "$hot" 50
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
