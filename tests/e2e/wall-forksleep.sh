#!/bin/bash
# wall-forksleep.sh - e2e: record --wall follows a forked child: its 0.4 s of nanosleep in child_sleep shows as off-cpu time of the child, the parent's busy loop as cpu time, as long as each measured.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/wall-lib.sh"

require_perf_events
require_prog wall-forksleep
cd "$T"

# The child sleeps 0.4 s (4 x 100 ms); the parent burns 0.6 s, then reaps it. Both measure their
# phases and the child its life.
wall_record rec f.data wall-forksleep
read -r parent child < <(sed -n 's/^wall-forksleep: parent \([0-9]*\), child \([0-9]*\) slept 400 ms.*/\1 \2/p' rec.out)
[ -n "${child:-}" ] || {
    show rec
    fail "the workload did not run to completion"
}
load_truth rec.out
need_truth child_sleep.wall_ns child_sleep.cpu_ns child_sleep.calls child.wall_ns child.cpu_ns \
    parent_work.cpu_ns main.cpu_ns
clock_period f.data

# --- the child: off-cpu in child_sleep, called from main, as long as it slept ---
wall_folded co f.data off-cpu --pid "$child"
cs=$(folded_sum_re co.folded ';main;child_sleep;')
note "child $child: off-cpu $(ms "$(folded_sum co.folded)"), main;child_sleep $(ms "$cs")"
expect_wall "child: off-cpu in main;child_sleep" "$cs" \
    "$(($(truth child_sleep.wall_ns) - $(truth child_sleep.cpu_ns)))" "$(truth child_sleep.cpu_ns)" \
    "$(truth child_sleep.calls)"
run_report cr -i f.data --stdio -n 0 --sample-index off-cpu --pid "$child"
has_row cr.tsv child_sleep || {
    head -n 20 cr.out >&2
    fail "report --pid $child --sample-index off-cpu has no row child_sleep"
}
# (With a filter, the report's percentages are of the whole recording: compare the values.)
assert_between "child: report's child_sleep cum / the folded main;child_sleep" \
    "$(ratio "$(row_field cr.tsv child_sleep 4)" "$cs")" 0.99 1.01
# The child's wall: its sleep and the little it ran; not the parent's 0.6 s. (Its clocks start
# after the fork and stop before its exit: a call's slack for each.)
wall_folded cw f.data wall --pid "$child"
note "child: wall $(ms "$(folded_sum cw.folded)")"
expect_wall "child: wall" "$(folded_sum cw.folded)" "$(truth child.wall_ns)" "$(truth child.cpu_ns)" 2

# --- the parent: cpu in parent_work, its share of main's; no child_sleep ---
wall_folded pc f.data cpu --pid "$parent"
pw=$(folded_sum_re pc.folded ';main;parent_work;')
pm=$(folded_sum_re pc.folded ';main;')
note "parent $parent: cpu $(ms "$(folded_sum pc.folded)"), main $(ms "$pm"), main;parent_work $(ms "$pw")"
expect_share "parent: share of main;parent_work in main's cpu time" "$pw" "$pm" \
    "$(calc "$(truth parent_work.cpu_ns) / $(truth main.cpu_ns)")" "$(calc "int($pm / $PERIOD + 0.5)")"
wall_folded pwall f.data wall --pid "$parent"
[ "$(folded_sum_re pwall.folded ';child_sleep;')" = 0 ] || fail "the parent $parent has time in child_sleep"
exit 0
