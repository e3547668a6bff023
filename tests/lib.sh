# lib.sh - helpers sourced by hwprof's end-to-end tests: temp dir, fail/skip, perf probes, sample counting.
#
# Environment (set by `make check`): HWPROF (the hwprof binary), PROGS (built workload programs),
# TOP_SRCDIR, TOP_BUILDDIR, DEMO. HWPROF_REQUIRE_PERF=1 turns every skip into a failure (CI sets it).
# HWPROF_KEEP_TMP=1 keeps the per-test temp dir for inspection. HWPROF_TEST_TIMEOUT bounds each
# hwprof run in seconds (default 120).
#
# Sample tables: perf_samples FILE > TABLE writes one line per sample, tab-separated:
#   comm  pid  tid  event  frames  [period]
# where frames are the sample's symbols, leaf first, joined by ';' (just the sample's own symbol
# when the file has no callchains). The count_* and period_where helpers read such tables.
#
# Sampling tests compare what they count with what the workload measured of itself: the
# helpers of tests/truth-lib.sh (sourced at the end). Event names match when
# the table's event contains the given name (so "page-faults" matches "perf::page-faults:u").
#
# Helpers that can fail (fail/skip exit the shell) must not run inside $(...): redirect to a file.

[ -n "${BASH_VERSION:-}" ] || {
    echo "FAIL: tests/lib.sh needs bash" >&2
    exit 1
}

export LC_ALL=C
# Keep the user's perf configuration out of the tests' perf report/script output.
export PERF_CONFIG_NOSYSTEM=1 PERF_CONFIG_NOGLOBAL=1 PERF_PAGER=cat

TEST_NAME=$(basename "$0" .sh)
BG_PIDS=""

# fail MSG...: prints "FAIL: MSG" and exits 1.
fail()
{
    echo "FAIL: $TEST_NAME: $*" >&2
    exit 1
}

# skip MSG...: exits 77 (skipped), or fails when HWPROF_REQUIRE_PERF=1.
skip()
{
    if [ "${HWPROF_REQUIRE_PERF:-0}" = 1 ]; then
        fail "would skip, but HWPROF_REQUIRE_PERF=1: $*"
    fi
    echo "SKIP: $TEST_NAME: $*" >&2
    exit 77
}

# note MSG...: prints an informational line.
note()
{
    echo "$TEST_NAME: $*" >&2
}

lib_cleanup()
{
    local rc=$? p
    trap - EXIT
    # Background jobs lead their own process groups (start_bg): kill each group, so a workload
    # left behind by a failed hwprof goes too.
    for p in $BG_PIDS; do
        kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null || true
    done
    if [ "${HWPROF_KEEP_TMP:-0}" = 1 ] || [ -z "${T:-}" ]; then
        [ -n "${T:-}" ] && echo "$TEST_NAME: kept temp dir $T" >&2
    else
        rm -rf "$T"
    fi
    exit "$rc"
}

T=$(mktemp -d "${TMPDIR:-/tmp}/hwprof-${TEST_NAME}.XXXXXX") || {
    echo "FAIL: $TEST_NAME: cannot create a temp dir" >&2
    exit 1
}
trap lib_cleanup EXIT
trap 'exit 1' INT TERM HUP
export PERF_BUILDID_DIR="$T/.buildid-cache"
# hwprof record and perf record keep copies of the sampled binaries in $HOME/.debug (perf's build-id
# cache), and report reads them: each test gets a cache of its own, and the user's stays untouched.
export HOME="$T"

[ -n "${HWPROF:-}" ] || fail "HWPROF is not set: run through 'make check' or set HWPROF=path/to/hwprof"
[ -x "$HWPROF" ] || fail "HWPROF=$HWPROF is not an executable: build hwprof first"
[ -n "${PROGS:-}" ] || fail "PROGS is not set: run through 'make check' or set PROGS=dir/of/tests/progs"
[ -d "$PROGS" ] || fail "PROGS=$PROGS is not a directory: build the workloads with 'make check'"
# The tests cd into $T: make the paths absolute.
case "$HWPROF" in /*) ;; *) HWPROF="$PWD/$HWPROF" ;; esac
case "$PROGS" in /*) ;; *) PROGS="$PWD/$PROGS" ;; esac

# require_prog NAME...: fails unless $PROGS/NAME is an executable workload.
require_prog()
{
    local p
    for p in "$@"; do
        [ -x "$PROGS/$p" ] || fail "workload $PROGS/$p is missing: build it with 'make check'"
    done
}

# require_perf_tool: skips unless the perf tool (which reads hwprof's files) can run.
require_perf_tool()
{
    command -v perf >/dev/null 2>&1 || skip "perf is not installed (apt-get install linux-perf)"
    perf version >/dev/null 2>&1 || skip "perf does not run here ('perf version' fails)"
}

# require_perf_events: skips when the kernel refuses perf_event_open altogether.
require_perf_events()
{
    local paranoid
    require_perf_tool
    [ -e /proc/sys/kernel/perf_event_paranoid ] ||
        skip "kernel has no perf events (/proc/sys/kernel/perf_event_paranoid missing)"
    paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)
    if [ "$(id -u)" != 0 ] && [ "$paranoid" -ge 3 ]; then
        skip "perf_event_paranoid is $paranoid: run as root or sysctl kernel.perf_event_paranoid=2"
    fi
    if ! perf stat -x, -e cpu-clock:u -o "$T/.probe" true >/dev/null 2>"$T/.probe.err"; then
        skip "perf_event_open refused a user-only cpu-clock event: $(head -1 "$T/.probe.err")"
    fi
}

# have_hw_pmu: succeeds when the kernel can count cycles (a hardware PMU is present).
have_hw_pmu()
{
    local v
    perf stat -x, -e cycles:u -o "$T/.pmu" true >/dev/null 2>&1 || return 1
    v=$(grep -v '^#' "$T/.pmu" | grep -v '^$' | head -1 | cut -d, -f1)
    case "$v" in
    '' | *[!0-9.]*) return 1 ;;
    esac
    return 0
}

# run_hwprof NAME ARGS...: runs "$HWPROF" ARGS with stdin from /dev/null, stdout to $T/NAME.out and
# stderr to $T/NAME.err, bounded by HWPROF_TEST_TIMEOUT; sets RC to its exit status.
run_hwprof()
{
    local name=$1
    shift
    RC=0
    if command -v timeout >/dev/null 2>&1; then
        timeout -k 5 "${HWPROF_TEST_TIMEOUT:-120}" "$HWPROF" "$@" \
            </dev/null >"$T/$name.out" 2>"$T/$name.err" || RC=$?
        [ "$RC" != 124 ] || fail "hwprof $* timed out after ${HWPROF_TEST_TIMEOUT:-120} s"
    else
        "$HWPROF" "$@" </dev/null >"$T/$name.out" 2>"$T/$name.err" || RC=$?
    fi
}

# show NAME: prints $T/NAME.out and $T/NAME.err (for failure messages).
show()
{
    local f
    for f in "$T/$1.out" "$T/$1.err"; do
        if [ -s "$f" ]; then
            echo "--- $(basename "$f"):" >&2
            head -n 40 "$f" >&2
        fi
    done
}

# expect_rc NAME WANT: fails (showing hwprof's output) unless RC equals WANT.
expect_rc()
{
    if [ "$RC" != "$2" ]; then
        show "$1"
        fail "$1: hwprof exited with $RC, expected $2"
    fi
}

# expect_rc_nonzero NAME: fails unless RC is a non-zero, non-signal hwprof error status.
expect_rc_nonzero()
{
    if [ "$RC" = 0 ] || [ "$RC" -gt 125 ]; then
        show "$1"
        fail "$1: hwprof exited with $RC, expected an error status (1..125)"
    fi
}

# start_bg ARGS...: starts ARGS in the background with SIGINT/SIGQUIT at their default (as from a
# terminal, not ignored as for a plain '&' in a script); sets BG_PID. Redirect the call as needed.
start_bg()
{
    set -m
    "$@" &
    BG_PID=$!
    set +m
    BG_PIDS="$BG_PIDS $BG_PID"
}

# wait_bg PID SECONDS: waits for background PID to exit within SECONDS; sets RC to its status.
# Fails (and kills it) on timeout.
wait_bg()
{
    local pid=$1 tenths=$(($2 * 10))
    while is_running "$pid"; do
        if [ "$tenths" -le 0 ]; then
            kill -KILL "$pid" 2>/dev/null || true
            fail "process $pid did not exit within $2 s"
        fi
        sleep 0.1
        tenths=$((tenths - 1))
    done
    RC=0
    wait "$pid" || RC=$?
}

# is_running PID: succeeds while PID exists and is not a zombie.
is_running()
{
    [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# task_cpu_ns TID: the CPU time thread TID has used so far, in nanoseconds (the first field of
# /proc/TID/schedstat; for a process, its main thread's), or 0 when it is gone.
task_cpu_ns()
{
    local ns
    read -r ns _ <"/proc/$1/schedstat" 2>/dev/null || ns=0
    echo "${ns:-0}"
}

# now_ns: the wall clock in nanoseconds, for differences.
now_ns()
{
    date +%s%N
}

# wait_perf_fds PID SECONDS: waits until process PID (hwprof) holds a perf_event file descriptor,
# that is, has opened its events (looking every 20 ms); fails after SECONDS.
wait_perf_fds()
{
    local n=$(($2 * 50))
    until ls -l "/proc/$1/fd" 2>/dev/null | grep -q 'perf_event'; do
        is_running "$1" || fail "process $1 exited before it opened a perf event"
        [ "$n" -gt 0 ] || fail "process $1 opened no perf event within $2 s"
        sleep 0.02
        n=$((n - 1))
    done
}

# wait_task_cpu TID NS SECONDS: waits until thread TID has used NS more nanoseconds of CPU time
# than when called; fails after SECONDS of wall time.
wait_task_cpu()
{
    local want tenths=$(($3 * 10))
    want=$(($(task_cpu_ns "$1") + $2))
    while [ "$(task_cpu_ns "$1")" -lt "$want" ]; do
        is_running "$1" || fail "thread $1 exited before it used $2 ns more CPU time"
        [ "$tenths" -gt 0 ] || fail "thread $1 did not use $2 ns more CPU time within $3 s"
        sleep 0.1
        tenths=$((tenths - 1))
    done
}

# wait_for_line FILE PATTERN SECONDS: waits until FILE has a line matching the grep PATTERN.
wait_for_line()
{
    local tenths=$(($3 * 10))
    until [ -f "$1" ] && grep -q -- "$2" "$1"; do
        [ "$tenths" -gt 0 ] || fail "no line matching '$2' in $1 within $3 s"
        sleep 0.1
        tenths=$((tenths - 1))
    done
}

# check_perf_stderr FILE WHAT: fails if perf wrote anything (warnings, errors) to FILE.
check_perf_stderr()
{
    if [ -s "$1" ]; then
        echo "--- stderr of $2:" >&2
        head -n 20 "$1" >&2
        fail "$2 printed warnings or errors about the file (see above)"
    fi
}

# perf_script_raw FILE [ARGS...]: prints `perf script -i FILE ARGS` output; fails if perf fails or
# prints anything on stderr.
perf_script_raw()
{
    local f=$1
    shift
    perf script -i "$f" "$@" 2>"$T/.perf-script.err" >"$T/.perf-script.out" ||
        {
            head -n 20 "$T/.perf-script.err" >&2
            fail "perf script -i $f $* failed"
        }
    check_perf_stderr "$T/.perf-script.err" "perf script -i $f $*"
    cat "$T/.perf-script.out"
}

# perf_report_raw FILE [ARGS...]: prints `perf report -i FILE --stdio ARGS` output; fails if perf
# fails or prints anything on stderr.
perf_report_raw()
{
    local f=$1
    shift
    perf report -i "$f" --stdio "$@" 2>"$T/.perf-report.err" >"$T/.perf-report.out" ||
        {
            head -n 20 "$T/.perf-report.err" >&2
            fail "perf report -i $f --stdio $* failed"
        }
    check_perf_stderr "$T/.perf-report.err" "perf report -i $f --stdio $*"
    cat "$T/.perf-report.out"
}

# perf_samples FILE [period]: prints FILE's samples as a table (see the top of this file); with
# "period", each line has the sample's period as a sixth column (the events of FILE must record
# periods: not with a fixed -c period).
perf_samples()
{
    local fields=comm,pid,tid,event,ip,sym
    [ "${2:-}" != period ] || fields=comm,pid,tid,period,event,ip,sym
    perf_script_raw "$1" -F "$fields" >"$T/.samples.raw"
    awk -v OFS='\t' -v withperiod="${2:-}" '
        function flush() {
            if (have && withperiod == "period")
                print comm, pid, tid, ev, (frames == "" ? "[unknown]" : frames), period
            else if (have)
                print comm, pid, tid, ev, (frames == "" ? "[unknown]" : frames)
            have = 0
        }
        /^[ \t]*$/ { flush(); next }
        /^\t/ {
            n = split($0, a, " ")
            sym = a[2]
            for (j = 3; j <= n; j++)
                sym = sym " " a[j]
            if (sym == "")
                sym = "[unknown]"
            frames = (frames == "" ? sym : frames ";" sym)
            next
        }
        {
            flush()
            for (i = 1; i <= NF; i++)
                if ($i ~ /^[0-9]+\/[0-9]+$/)
                    break
            if (i > NF)
                next
            have = 1
            frames = ""
            comm = $1
            for (j = 2; j < i; j++)
                comm = comm " " $j
            split($i, pt, "/")
            pid = pt[1]
            tid = pt[2]
            if (withperiod == "period")
                period = $(++i)
            ev = $(i + 1)
            sub(/:$/, "", ev)
            if (i + 2 <= NF) {
                sym = (i + 3 <= NF) ? $(i + 3) : "[unknown]"
                for (j = i + 4; j <= NF; j++)
                    sym = sym " " $j
                frames = sym
            }
        }
        END { flush() }
    ' "$T/.samples.raw"
}

# count_where TABLE AWK-CONDITION: number of samples matching the condition, which can use $1 comm,
# $2 pid, $3 tid, $4 event, $5 frames and `leaf` (the first frame).
count_where()
{
    awk -F '\t' "{ leaf = \$5; sub(/;.*/, \"\", leaf) } ($2) { n++ } END { print n + 0 }" "$1"
}

# period_where TABLE AWK-CONDITION: the sum of the periods (column 6 of a perf_samples FILE period
# table) of the samples matching the condition, as for count_where.
period_where()
{
    awk -F '\t' "{ leaf = \$5; sub(/;.*/, \"\", leaf) } ($2) { n += \$6 } END { printf \"%.0f\\n\", n }" "$1"
}

# count_samples TABLE [EVENT]: number of samples (of EVENT).
count_samples()
{
    awk -F '\t' -v ev="${2:-}" 'ev == "" || index($4, ev) { n++ } END { print n + 0 }' "$1"
}

# count_leaf TABLE SYM [EVENT]: number of samples (of EVENT) whose leaf symbol is SYM.
count_leaf()
{
    awk -F '\t' -v sym="$2" -v ev="${3:-}" '
        { leaf = $5; sub(/;.*/, "", leaf) }
        leaf == sym && (ev == "" || index($4, ev)) { n++ }
        END { print n + 0 }' "$1"
}

# count_chain TABLE SYM [EVENT]: number of samples (of EVENT) with SYM anywhere in the callchain.
count_chain()
{
    awk -F '\t' -v sym="$2" -v ev="${3:-}" '
        index(";" $5 ";", ";" sym ";") && (ev == "" || index($4, ev)) { n++ }
        END { print n + 0 }' "$1"
}

# count_chain_prefix TABLE "A;B;C" [EVENT]: number of samples (of EVENT) whose callchain starts,
# leaf first, with the frames A, B, C (consecutive).
count_chain_prefix()
{
    awk -F '\t' -v seq="$2" -v ev="${3:-}" '
        index(";" $5 ";", ";" seq ";") == 1 && (ev == "" || index($4, ev)) { n++ }
        END { print n + 0 }' "$1"
}

# distinct_tids TABLE [AWK-CONDITION]: number of distinct tids among the (matching) samples.
distinct_tids()
{
    awk -F '\t' "{ leaf = \$5; sub(/;.*/, \"\", leaf) } (${2:-1}) { t[\$3] = 1 } END { n = 0; for (k in t) n++; print n }" "$1"
}

# fraction A B: prints A/B with 3 decimals (0 when B is 0).
fraction()
{
    awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "0.000"; else printf "%.3f\n", a / b }'
}

# assert_ge WHAT VALUE MIN: fails unless VALUE >= MIN (decimals allowed).
assert_ge()
{
    awk -v v="$2" -v m="$3" 'BEGIN { exit !(v + 0 >= m + 0) }' ||
        fail "$1 is $2, expected at least $3"
}

# assert_between WHAT VALUE LO HI: fails unless LO <= VALUE <= HI (decimals allowed).
assert_between()
{
    awk -v v="$2" -v lo="$3" -v hi="$4" 'BEGIN { exit !(v + 0 >= lo + 0 && v + 0 <= hi + 0) }' ||
        fail "$1 is $2, expected between $3 and $4"
}

# assert_file_complete FILE: fails unless FILE exists, perf script reads it cleanly and it holds
# at least one sample; sets NSAMPLES.
assert_file_complete()
{
    [ -s "$1" ] || fail "output file $1 is missing or empty"
    perf_samples "$1" >"$T/.complete.tsv"
    NSAMPLES=$(count_samples "$T/.complete.tsv")
    assert_ge "number of samples in $1" "$NSAMPLES" 1
}

# assert_only_files DIR NAME...: fails unless DIR holds exactly the files NAME... (no temp files).
assert_only_files()
{
    local dir=$1 want have
    shift
    want=$(printf '%s\n' "$@" | sort)
    have=$(cd "$dir" && ls -A | sort)
    if [ "$want" != "$have" ]; then
        fail "$dir holds [$(echo $have)], expected [$(echo $want)] (a leftover temp file?)"
    fi
}

# summary_samples NAME EVENT: the N of hwprof's summary line "hwprof: ...EVENT...: N samples, M
# lost" in $T/NAME.err (0 when there is none).
summary_samples()
{
    sed -n "s/^hwprof: [^ ]*$2[^ ]*: \([0-9][0-9]*\) samples, [0-9][0-9]* lost.*/\1/p" "$T/$1.err" |
        awk '{ n += $1 } END { print n + 0 }'
}

# assert_summary NAME EVENT: fails unless hwprof's stderr ($T/NAME.err) has a summary line
# "hwprof: ...EVENT...: N samples, M lost".
assert_summary()
{
    grep -Eq "^hwprof: [^ ]*$2[^ ]*: [0-9]+ samples, [0-9]+ lost" "$T/$1.err" || {
        show "$1"
        fail "$1: no summary line 'hwprof: $2: N samples, M lost' on stderr"
    }
}

# The comparisons with the workloads' own measurements.
# shellcheck source=tests/truth-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/truth-lib.sh"
