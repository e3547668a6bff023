#!/bin/bash
# wall-sleep.sh - e2e: record --wall of a half busy, half asleep program: the wall, cpu and off-cpu time of busy_work and sleep_work are what the program measured, wall = cpu + off-cpu.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/wall-lib.sh"

require_perf_events
require_prog wall-sleep
cd "$T"

# 40 rounds of 10 ms busy_work and 10 ms sleep_work: about 0.8 s. The workload measures the wall
# and CPU time of each phase: on a busy machine busy_work also waits for a CPU (preempted) and
# sleep_work for its wake-up.
wall_record rec s.data wall-sleep
grep -q '^wall-sleep: 40 rounds' rec.out || {
    show rec
    fail "the workload did not run to completion"
}
load_truth rec.out
need_truth busy_work.wall_ns busy_work.cpu_ns busy_work.calls sleep_work.wall_ns sleep_work.cpu_ns \
    sleep_work.calls main.wall_ns main.cpu_ns
clock_period s.data

# --- report --top: the default sample type is wall ---
run_report wall -i s.data --stdio -n 0
run_report wall2 -i s.data --stdio -n 0 --sample-index wall
cmp -s wall.out wall2.out || {
    diff wall.out wall2.out | head -n 10 >&2
    fail "report's default table is not the --sample-index wall table"
}
check_table wall.tsv
note "wall: busy_work cum $(row_field wall.tsv busy_work 5)%, sleep_work cum $(row_field wall.tsv sleep_work 5)%"
has_row wall.tsv busy_work && has_row wall.tsv sleep_work || fail "wall: no busy_work and sleep_work rows"

# --- cpu: busy_work's share of main's CPU time ---
run_report cpu -i s.data --stdio -n 0 --sample-index cpu
check_table cpu.tsv
n=$(calc "int($(row_field cpu.tsv main 5) * $(report_value "$(report_header cpu.out Total)") / 100 / $PERIOD + 0.5)")
expect_share "cpu: busy_work cum% / main cum%" "$(row_field cpu.tsv busy_work 5)" "$(row_field cpu.tsv main 5)" \
    "$(calc "$(truth busy_work.cpu_ns) / $(truth main.cpu_ns)")" "$n"
expect_share "cpu: sleep_work cum% / main cum%" "$(row_field cpu.tsv sleep_work 5)" "$(row_field cpu.tsv main 5)" \
    "$(calc "$(truth sleep_work.cpu_ns) / $(truth main.cpu_ns)")" "$n"

# --- off-cpu: sleep_work (the frame lost in frameless nanosleep, repaired), kernel frames below ---
run_report off -i s.data --stdio -n 0 --sample-index off-cpu
check_table off.tsv
note "off-cpu: sleep_work cum $(row_field off.tsv sleep_work 5)%, busy_work cum $(row_field off.tsv busy_work 5)% (preempted)"
has_row off.tsv schedule || has_row off.tsv __schedule || {
    head -n 20 off.out >&2
    fail "off-cpu: no kernel frame schedule/__schedule in the off-CPU stacks"
}

# --- the sums: wall = cpu + off-cpu, stack by stack; each phase's wall, CPU and off-CPU time is
# what the workload measured ---
wall_folded fw s.data wall
wall_folded fc s.data cpu
wall_folded fo s.data off-cpu
w=$(folded_sum fw.folded)
c=$(folded_sum fc.folded)
o=$(folded_sum fo.folded)
note "wall $(ms "$w") = cpu $(ms "$c") + off-cpu $(ms "$o"); main measured $(ms "$(truth main.wall_ns)")" \
    "($(ms "$(truth main.cpu_ns)") on a CPU)"
assert_between "wall / (cpu + off-cpu)" "$(ratio "$w" "$((c + o))")" 0.99 1.01
check_wall_is_sum fw.folded fc.folded fo.folded
calls=$(($(truth busy_work.calls) + $(truth sleep_work.calls)))
expect_wall "wall of main" "$(folded_sum_re fw.folded ';main;')" "$(truth main.wall_ns)" "$(truth main.cpu_ns)" "$calls"
expect_wall "cpu of main" "$(folded_sum_re fc.folded ';main;')" "$(truth main.cpu_ns)" "$(truth main.cpu_ns)" 0
for ph in busy_work sleep_work; do
    expect_wall "wall of main;$ph" "$(folded_sum_re fw.folded ";main;$ph;")" "$(truth "$ph.wall_ns")" \
        "$(truth "$ph.cpu_ns")" "$(truth "$ph.calls")"
    expect_wall "off-cpu of main;$ph" "$(folded_sum_re fo.folded ";main;$ph;")" \
        "$(($(truth "$ph.wall_ns") - $(truth "$ph.cpu_ns")))" "$(truth "$ph.cpu_ns")" "$(truth "$ph.calls")"
done
# The report's totals agree with the folded sums (the report rounds to 3 digits).
for t in wall cpu off; do
    case $t in wall) f="fw" ;; cpu) f="fc" ;; off) f="fo" ;; esac
    assert_between "$t: report Total / folded sum" \
        "$(ratio "$(report_value "$(report_header "$t.out" Total)")" "$(folded_sum "$f.folded")")" 0.99 1.01
done
# sleep_work in the folded stacks: called from main, above the (repaired) nanosleep frames, down
# to the kernel's nanosleep.
sw=$(folded_sum_re fo.folded ';main;sleep_work;')
sn=$(folded_sum_re fo.folded ";main;sleep_work;$(fn_re nanosleep);.*;do_nanosleep;(__)?schedule;")
note "off-cpu: main;sleep_work $(ms "$sw"), of it down to do_nanosleep;schedule $(ms "$sn")"
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
# A switch out to each sleep, and a cpu-clock tick per period of main's CPU time.
expect_count_ge "number of samples" "${n:-0}" \
    "$(calc "$(truth sleep_work.calls) + $(truth main.cpu_ns) / $PERIOD")"
exit 0
