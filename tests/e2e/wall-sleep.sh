#!/bin/bash
# wall-sleep.sh - e2e: record --wall of a half busy, half asleep program: busy_work ~50% and sleep_work ~50% of wall, busy_work the cpu profile, sleep_work the off-cpu one, wall = cpu + off-cpu = run time.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/wall-lib.sh"

require_perf_events
require_prog wall-sleep
cd "$T"

# 40 rounds of 10 ms busy_work and 10 ms sleep_work: about 0.8 s.
wall_record rec s.data wall-sleep
grep -q '^wall-sleep: 40 rounds' rec.out || {
    show rec
    fail "the workload did not run to completion"
}
elapsed=$(sed -n 's/.* elapsed_ns \([0-9]*\),.*/\1/p' rec.out)
[ -n "$elapsed" ] || fail "the workload printed no elapsed_ns"

# --- report --top: the default sample type is wall ---
run_report wall -i s.data --stdio -n 0
run_report wall2 -i s.data --stdio -n 0 --sample-index wall
cmp -s wall.out wall2.out || {
    diff wall.out wall2.out | head -n 10 >&2
    fail "report's default table is not the --sample-index wall table"
}
check_table wall.tsv
busy=$(row_field wall.tsv busy_work 5)
sleep=$(row_field wall.tsv sleep_work 5)
note "wall: busy_work cum $busy%, sleep_work cum $sleep%"
assert_between "wall: busy_work cum%" "$busy" 35 65
assert_between "wall: sleep_work cum%" "$sleep" 35 65

# --- cpu: only busy_work ---
run_report cpu -i s.data --stdio -n 0 --sample-index cpu
check_table cpu.tsv
busy=$(row_field cpu.tsv busy_work 5)
sleep=$(row_field cpu.tsv sleep_work 5)
note "cpu: busy_work cum $busy%, sleep_work cum $sleep%"
assert_ge "cpu: busy_work cum%" "$busy" 90
assert_le "cpu: sleep_work cum%" "$sleep" 5

# --- off-cpu: sleep_work (the frame lost in frameless nanosleep, repaired), kernel frames below ---
# On a loaded machine busy_work also has off-cpu time: preempted, waiting for a CPU. So
# sleep_work's share is checked against the off-cpu time outside busy_work, and its own time
# against the 40 sleeps of 10 ms (plus the wait for a CPU after each).
run_report off -i s.data --stdio -n 0 --sample-index off-cpu
check_table off.tsv
sleep=$(row_field off.tsv sleep_work 5)
busy=$(row_field off.tsv busy_work 5)
note "off-cpu: sleep_work cum $sleep%, busy_work cum $busy% (preempted)"
assert_ge "off-cpu: sleep_work cum% / (100 - busy_work cum%)" "$(ratio "$sleep" "$(awk -v b="$busy" 'BEGIN { print 100 - b }')")" 0.95
has_row off.tsv schedule || has_row off.tsv __schedule || {
    head -n 20 off.out >&2
    fail "off-cpu: no kernel frame schedule/__schedule in the off-CPU stacks"
}

# --- the sums: wall = cpu + off-cpu, stack by stack; wall = the program's run time ---
wall_folded fw s.data wall
wall_folded fc s.data cpu
wall_folded fo s.data off-cpu
w=$(folded_sum fw.folded)
c=$(folded_sum fc.folded)
o=$(folded_sum fo.folded)
note "wall $(ms "$w") = cpu $(ms "$c") + off-cpu $(ms "$o"); the workload ran $(ms "$elapsed")"
assert_between "wall / (cpu + off-cpu)" "$(ratio "$w" "$((c + o))")" 0.99 1.01
check_wall_is_sum fw.folded fc.folded fo.folded
assert_between "total wall / the workload's run time" "$(ratio "$w" "$elapsed")" 0.8 1.2
# One thread, busy half the time: at most half the run time on a CPU (less when preempted).
assert_between "total cpu / the workload's run time" "$(ratio "$c" "$elapsed")" 0.2 0.6
# The report's totals agree with the folded sums (the report rounds to 3 digits).
for t in wall cpu off; do
    case $t in wall) f="fw" ;; cpu) f="fc" ;; off) f="fo" ;; esac
    assert_between "$t: report Total / folded sum" \
        "$(ratio "$(report_value "$(report_header "$t.out" Total)")" "$(folded_sum "$f.folded")")" 0.99 1.01
done
# sleep_work in the folded stacks: called from main, above the (repaired) nanosleep frames, down
# to the kernel's nanosleep; 40 sleeps of 10 ms.
sw=$(folded_sum_re fo.folded ';main;sleep_work;')
sn=$(folded_sum_re fo.folded ";main;sleep_work;$(fn_re nanosleep);.*;do_nanosleep;(__)?schedule;")
note "off-cpu: main;sleep_work $(ms "$sw"), of it down to do_nanosleep;schedule $(ms "$sn")"
assert_between "off-cpu in main;sleep_work (s)" "$(secs "$sw")" 0.38 0.8
assert_ge "share of main;sleep_work;nanosleep;...;do_nanosleep;schedule in main;sleep_work" "$(ratio "$sn" "$sw")" 0.95

# --- the state label: sleep_work's off-cpu time is blocked, busy_work's preempted ---
if have_pprof; then
    run_hwprof pb convert -i s.data -o s.pb.gz
    expect_rc pb 0
    for st in blocked preempted; do
        go tool pprof -top -cum -nodefraction=0 -relative_percentages -sample_index=off-cpu -tagfocus="state=$st" s.pb.gz \
            >"$st.out" 2>"$st.err" || {
            show "$st"
            fail "go tool pprof -top -sample_index=off-cpu -tagfocus=state=$st failed"
        }
        report_rows "$st.out" >"$st.tsv"
    done
    note "pprof: off-cpu blocked: sleep_work cum $(row_field blocked.tsv sleep_work 5)%;" \
        "preempted: busy_work cum $(row_field preempted.tsv busy_work 5)%"
    assert_ge "off-cpu, state blocked: sleep_work cum%" "$(row_field blocked.tsv sleep_work 5)" 95
    assert_le "off-cpu, state preempted: sleep_work cum%" "$(row_field preempted.tsv sleep_work 5)" 5
else
    note "go tool pprof does not run here: the state label is not checked"
fi

# --- samples: every context switch and every cpu-clock tick is one sample ---
run_report cnt -i s.data --stdio -n 0 --sample-index samples
n=$(report_header cnt.out Samples)
note "samples: $n"
# 40 switches out to sleep, and up to 0.4 s of cpu-clock ticks at ~1 kHz.
assert_ge "number of samples" "${n:-0}" 100
exit 0
