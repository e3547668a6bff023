# nobody-lib.sh - helpers for e2e tests that run hwprof as user nobody under a chosen kernel.perf_event_paranoid.
#
# Source after tests/lib.sh, from the test's temp dir.

# nobody_setup PROG...: skips unless root can switch to user nobody (setpriv); makes sure
# kernel.perf_event_paranoid gets its old value back however the test ends; copies hwprof and the
# workloads $PROGS/PROG... into $NB, a 0755 directory nobody owns and writes in. Sets NB_UID,
# PARANOID and NB.
nobody_setup()
{
    NB_UID=65534
    PARANOID=/proc/sys/kernel/perf_event_paranoid
    [ "$(id -u)" = 0 ] || skip "needs root to switch to user nobody and set kernel.perf_event_paranoid"
    command -v setpriv >/dev/null 2>&1 || skip "setpriv is not installed (apt-get install util-linux)"
    setpriv --reuid=$NB_UID --regid=$NB_UID --clear-groups true 2>/dev/null ||
        skip "setpriv cannot switch to uid $NB_UID (nobody)"
    OLD_PARANOID=$(cat "$PARANOID")
    trap nobody_cleanup EXIT
    NB="$T/nobody"
    mkdir -m 0755 "$NB"
    cp "$HWPROF" "$NB/hwprof"
    local prog
    for prog in "$@"; do
        cp "$PROGS/$prog" "$NB/$prog"
    done
    chown -R "$NB_UID:$NB_UID" "$NB"
}

# The EXIT trap of nobody_setup: restores perf_event_paranoid, then the usual cleanup.
nobody_cleanup()
{
    local rc=$?
    set +e
    echo "$OLD_PARANOID" >"$PARANOID" 2>/dev/null ||
        echo "$TEST_NAME: WARNING: cannot restore kernel.perf_event_paranoid=$OLD_PARANOID" >&2
    (exit "$rc")
    lib_cleanup
}

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
