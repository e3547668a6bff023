#!/usr/bin/env bash
# stat.sh - hwprof stat against perf stat: the same page faults (within 2%) for a program that faults
# a known number of pages; -x output that the same script parses for both; -r N; the command's exit
# status; output on stderr; -a and -p. With a hardware PMU, cycles and instructions are counted for
# real (IPC of a loop of known length, a group with cache-misses); without, they are <not supported>.
set -eu
. "$TOP_SRCDIR/tests/lib.sh"
require_perf_events
require_prog counted spinner
cd "$T"
PAGES=20000

# The one parser of perf stat -x CSV, used for perf's output and for hwprof's: prints
# "NF|value|unit|runtime|percent|metric|metric-unit" of EVENT's line (FILE SEP EVENT).
csv_line()
{
    awk -F"$2" -v ev="$3" -v OFS='|' '!/^#/ && NF >= 7 && $3 == ev { print NF, $1, $2, $(NF-3), $(NF-2), $(NF-1), $NF; exit }' "$1"
}
# csv_field FILE SEP EVENT N: field N of csv_line (1 NF, 2 value, 3 unit, 4 runtime, 5 %, 6 metric, 7 unit)
csv_field()
{
    csv_line "$1" "$2" "$3" | awk -F'|' -v n="$4" '{ print $n }'
}
csv_value()
{
    csv_field "$1" "$2" "$3" 2
}

# --- page faults: hwprof stat and perf stat agree ---
EV=task-clock,page-faults,context-switches
run_hwprof st stat -x, -e "$EV" -- "$PROGS/counted" "$PAGES"
expect_rc st 0
grep -q "^counted: $PAGES pages" st.out || { show st; fail "the workload did not fault its pages"; }
if grep -q ',page-faults,' st.out; then fail "the counts went to stdout, not stderr"; fi
perf stat -x, -e "$EV" -o perf.csv -- "$PROGS/counted" "$PAGES" >/dev/null 2>perf.err ||
    { cat perf.err >&2; fail "perf stat failed"; }
hw=$(csv_value st.err , page-faults)
pf=$(csv_value perf.csv , page-faults)
note "page-faults: hwprof $hw, perf $pf, faulted pages $PAGES"
assert_ge "hwprof's page faults" "$hw" "$PAGES"
assert_between "hwprof's page faults / perf's" "$(awk -v a="$hw" -v b="$pf" 'BEGIN { printf "%.4f", a / b }')" 0.98 1.02
# the same parser reads every line of both outputs the same way
for ev in task-clock page-faults context-switches; do
    h=$(csv_line st.err , "$ev")
    p=$(csv_line perf.csv , "$ev")
    [ -n "$h" ] && [ -n "$p" ] || fail "no CSV line for $ev (hwprof: '$h', perf: '$p')"
    [ "${h%%|*}" = "${p%%|*}" ] || fail "$ev: hwprof's line has ${h%%|*} fields, perf's ${p%%|*}"
    # unit, running % and metric unit as perf's (the K/M/G of a rate follows the count, which differs
    # from run to run: 48 context switches in 0.25 s are "/sec", 268 "K/sec")
    [ "$(echo "$h" | awk -F'|' '{ sub(/^[KMG]\//, "/", $7); print $3, $5, $7 }')" = \
        "$(echo "$p" | awk -F'|' '{ sub(/^[KMG]\//, "/", $7); print $3, $5, $7 }')" ] ||
        fail "$ev: hwprof '$h' and perf '$p' differ in unit, running % or metric unit"
done
tc=$(csv_value st.err , task-clock)
awk -v t="$tc" 'BEGIN { exit !(t > 0) }' || fail "task-clock is '$tc'"

# --- -r 3: the spread field, in perf's place; means close to one run's ---
run_hwprof r3 stat -x, -r 3 -e "$EV" -- "$PROGS/counted" "$PAGES"
expect_rc r3 0
[ "$(grep -c '^counted:' r3.out)" = 3 ] || fail "-r 3 did not run the command three times"
perf stat -x, -r 3 -e "$EV" -o perf3.csv -- "$PROGS/counted" "$PAGES" >/dev/null 2>perf3.err ||
    { cat perf3.err >&2; fail "perf stat -r 3 failed"; }
for ev in task-clock page-faults; do
    h=$(csv_line r3.err , "$ev")
    p=$(csv_line perf3.csv , "$ev")
    [ "${h%%|*}" = "${p%%|*}" ] || fail "-r 3 $ev: hwprof's line has ${h%%|*} fields, perf's ${p%%|*}"
    awk -F, -v ev="$ev" '$3 == ev { exit !($4 ~ /^[0-9.]+%$/) }' r3.err || fail "-r 3 $ev: no spread field after the event"
done
r3=$(csv_value r3.err , page-faults)
assert_between "page faults, mean of 3 runs / one run" "$(awk -v a="$r3" -v b="$hw" 'BEGIN { printf "%.4f", a / b }')" 0.98 1.02
run_hwprof r3h stat -r 3 -e task-clock -- "$PROGS/counted" 100
grep -q "(3 runs):" r3h.err && grep -q "( +- " r3h.err && grep -q "seconds time elapsed" r3h.err ||
    { show r3h; fail "-r 3: the text output lacks the runs or the spread"; }

# --- the command's exit status, a missing command ---
run_hwprof ex stat -e task-clock -- sh -c 'exit 7'
expect_rc ex 7
run_hwprof nf stat -e task-clock -- ./no-such-command
expect_rc nf 127
grep -q "command not found" nf.err || { show nf; fail "a missing command is not named"; }

# --- the default events; hardware counters for real on a PMU, <not supported> without ---
run_hwprof def stat -- "$PROGS/counted" 100 10000000
expect_rc def 0
grep -Eq '^ +[0-9.]+ msec task-clock +# +[0-9.]+ CPUs utilized' def.err || { show def; fail "no task-clock line with CPUs utilized"; }
grep -q 'seconds user' def.err || { show def; fail "no user time"; }
if have_hw_pmu; then
    ITER=200000000 # 2 instructions and 1 branch each
    run_hwprof ipc stat -x, -e '{cycles,instructions,branches}' -- "$PROGS/counted" 0 "$ITER"
    expect_rc ipc 0
    cyc=$(csv_value ipc.err , cycles)
    ins=$(csv_value ipc.err , instructions)
    br=$(csv_value ipc.err , branches)
    note "loop of $ITER: cycles $cyc, instructions $ins, branches $br"
    assert_between "instructions / (2 x iterations)" "$(awk -v i="$ins" -v n="$ITER" 'BEGIN { print i / (2 * n) }')" 1.0 1.05
    assert_between "branches / iterations" "$(awk -v b="$br" -v n="$ITER" 'BEGIN { print b / n }')" 1.0 1.05
    ipc=$(csv_field ipc.err , instructions 6)
    want=$(awk -v i="$ins" -v c="$cyc" 'BEGIN { printf "%.2f", i / c }')
    [ "$ipc" = "$want" ] || fail "IPC printed $ipc, instructions / cycles is $want"
    run_hwprof grp stat -x, -e '{cycles,instructions,cache-misses}' -- "$PROGS/counted" 5000 1000000
    expect_rc grp 0
    for ev in cycles instructions cache-misses; do
        v=$(csv_value grp.err , "$ev")
        case "$v" in '' | '<'*) fail "group member $ev not counted: '$v'" ;; esac
    done
else
    for ev in cycles instructions branches branch-misses; do
        grep -Eq "^ +<not supported> +$ev *\$" def.err || { show def; fail "$ev is not <not supported> without a PMU"; }
    done
fi

# --- -a: every CPU; -p: a running process ---
if [ "$(id -u)" = 0 ]; then
    run_hwprof sw stat -x, -a --duration 0.5 -e cpu-clock
    expect_rc sw 0
    ncpu=$(nproc)
    cpus=$(csv_field sw.err , cpu-clock 6)
    assert_between "CPUs utilized with -a" "$cpus" "$(awk -v n="$ncpu" 'BEGIN { print n * 0.9 }')" "$(awk -v n="$ncpu" 'BEGIN { print n * 1.1 }')"
fi
start_bg "$PROGS/spinner" 20 >spin.out 2>&1
wait_for_line spin.out ready 10
run_hwprof pid stat -e task-clock,page-faults -p "$BG_PID" --duration 0.5
kill -TERM "$BG_PID" 2>/dev/null || true
expect_rc pid 0
grep -q "process id '$BG_PID'" pid.err || { show pid; fail "-p: the header does not name the process"; }
grep -Eq '^ +[0-9.]+ msec task-clock' pid.err || { show pid; fail "-p: no task-clock count"; }
exit 0
