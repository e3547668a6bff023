#!/usr/bin/env bash
# record-system-wide.sh - record -a / -C: every process on the CPUs (pid -1 per CPU), programs that
# were running before hwprof started included, with the right split of their functions; -C keeps
# to its CPUs; a command bounds the recording; perf's privilege rule (paranoid > 0 needs root or
# CAP_PERFMON) with the cause named.
set -eu
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/nobody-lib.sh"
require_perf_events
require_prog split spinner hot
[ "$(id -u)" = 0 ] || {
    # an unprivileged user at the default paranoid level may not record every process
    run_hwprof np record -a -d 0.2 -o np.data
    expect_rc_nonzero np
    grep -q "CAP_PERFMON" np.err || {
        show np
        fail "-a without privileges: the error does not name the rule"
    }
    exit 0
}
cd "$T"

# two programs started before the recording, running through it
start_bg "$PROGS/split" 30 >split.out 2>&1
SPLIT=$BG_PID
start_bg "$PROGS/spinner" 30 >spinner.out 2>&1
SPIN=$BG_PID
wait_for_line spinner.out ready 10
run_hwprof sw record -a -d 1 -o sw.data
kill -TERM "$SPLIT" "$SPIN" 2>/dev/null || true
expect_rc sw 0
assert_file_complete sw.data
perf_samples sw.data >sw.tsv
nsplit=$(count_where sw.tsv "\$2 == $SPLIT")
nspin=$(count_where sw.tsv "\$2 == $SPIN")
note "system-wide: $NSAMPLES samples, split (pid $SPLIT) $nsplit, spinner (pid $SPIN) $nspin"
assert_ge "samples of split, running before hwprof started" "$nsplit" 20
assert_ge "samples of spinner, running before hwprof started" "$nspin" 20
# split does 3 units of work in work_three for each in work_one: 3/4 of its leaves, within four
# standard deviations of the sample count (and a little for the loop in main)
three=$(count_where sw.tsv "\$2 == $SPLIT && leaf == \"work_three\"")
one=$(count_where sw.tsv "\$2 == $SPLIT && leaf == \"work_one\"")
frac=$(fraction "$three" "$((three + one))")
tol=$(awk -v n="$((three + one))" 'BEGIN { printf "%.3f", 4 * sqrt(0.75 * 0.25 / n) + 0.03 }')
note "split: work_three $three, work_one $one: $frac (expected 0.75 +- $tol)"
assert_between "work_three share of split's samples" "$frac" "$(awk -v t="$tol" 'BEGIN { print 0.75 - t }')" \
    "$(awk -v t="$tol" 'BEGIN { print 0.75 + t }')"
# the functions are named in hwprof's report too
run_hwprof rep report -i sw.data --stdio -n 0
expect_rc rep 0
grep -q 'work_three' rep.out || fail "hwprof report of the system-wide recording does not name work_three"

# -C 0: CPU 0 only
run_hwprof c0 record -C 0 -d 0.5 -o c0.data
expect_rc c0 0
perf_script_raw c0.data -F cpu >c0.cpus
others=$(grep -vc '^ *\[000\]' c0.cpus || true)
[ "$others" = 0 ] || fail "-C 0: $others samples on other CPUs"
assert_ge "samples on CPU 0" "$(grep -c . c0.cpus)" 1

# with a command: system-wide while it runs, its exit status passed on
run_hwprof cmd record -a -o cmd.data -- "$PROGS/hot" 0.3
expect_rc cmd 0
perf_samples cmd.data >cmd.tsv
assert_ge "samples of the command in a system-wide recording" "$(count_where cmd.tsv '$1 == "hot"')" 10

# errors
run_hwprof both record -a -p "$$" -d 0.1
expect_rc_nonzero both
grep -q "not both" both.err || fail "-a with -p: no usage error"
run_hwprof off record -C 99999 -d 0.1 -o off.data
expect_rc_nonzero off
grep -q "CPU 99999 of --cpu 99999 is not online" off.err || { show off; fail "-C 99999: the error does not say the CPU is not online"; }
run_hwprof bad record -C 0-x -d 0.1 -o bad.data
expect_rc_nonzero bad
grep -q "invalid CPU list" bad.err || { show bad; fail "-C 0-x: no invalid CPU list error"; }

# perf's privilege rule for every process of a CPU: paranoid above 0 needs root or CAP_PERFMON.
# Checked as user nobody at the machine's current level (other tests run meanwhile: the sysctl is
# left alone).
nobody_setup hot
level=$(cat "$PARANOID")
run_nobody nb record -a -d 0.2 -o nb.data
if [ "$level" -gt 0 ]; then
    expect_rc_nonzero nb
    grep -q "CAP_PERFMON.*perf_event_paranoid is $level" nb.err || { show nb; fail "-a as nobody at paranoid $level: the error does not name the rule"; }
    [ ! -e "$NB/nb.data" ] || fail "a refused -a left a file behind"
else
    expect_rc nb 0
fi
exit 0
