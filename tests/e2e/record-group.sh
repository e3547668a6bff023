#!/bin/bash
# record-group.sh - e2e: event groups ({cpu-clock,page-faults}, leader samples) and two sampling events.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

require_perf_events
require_prog faulter
cd "$T"
mkdir out1 out2

# --- a group: cpu-clock samples and reads page-faults at each sample ---
# faulter splits its CPU time 3:2 between compute_loop and touch_pages (which faults in a page
# every few microseconds) and prints what each took, and how many pages it faulted in.
run_hwprof grp record -e '{cpu-clock,page-faults}' -o out1/group.data -- "$PROGS/faulter"
expect_rc grp 0
assert_only_files out1 group.data
assert_summary grp cpu-clock
load_truth grp.out
need_truth touch_pages.cpu_ns touch_pages.faults main.faults
clock_period out1/group.data

# perf delivers a sample-read group sample as one entry per member whose count changed, with the
# change as the period: page-faults entries show the faults counted between cpu-clock samples.
perf_script_raw out1/group.data -F event,period >ep.txt
awk '{ ev = $2; sub(/:$/, "", ev); n[ev]++; s[ev] += $1 }
    END { for (e in n) printf "%s %d %d\n", e, n[e], s[e] }' ep.txt >ep-sum.txt
note "group: per event entries and period sums: $(tr '\n' ';' <ep-sum.txt)"
cc_n=$(awk '$1 ~ /cpu-clock/ { n += $2 } END { print n + 0 }' ep-sum.txt)
pf_n=$(awk '$1 ~ /page-faults/ { n += $2 } END { print n + 0 }' ep-sum.txt)
pf_sum=$(awk '$1 ~ /page-faults/ { s += $3 } END { print s + 0 }' ep-sum.txt)
other=$(awk '$1 !~ /cpu-clock|page-faults/ { n += $2 } END { print n + 0 }' ep-sum.txt)
# Every period of CPU time in touch_pages faults: that many cpu-clock samples at least carry
# new faults.
expect_count_ge "page-faults entries (leader samples with new faults)" "$pf_n" \
    "$(calc "$(truth touch_pages.cpu_ns) / $PERIOD")"
# The reads count every fault of the process up to the last cpu-clock sample: all of main's but
# those of its last period of CPU time (at most a period's share of touch_pages' faults).
touch_faults=$(truth touch_pages.faults)
pf_lo=$(calc "$touch_faults * (1 - 2 * $PERIOD / $(truth touch_pages.cpu_ns)) - 1")
pf_hi=$(calc "$(truth main.faults) * 1.01 + 200")
note "page-faults counted through the group reads: $pf_sum; touch_pages faulted $touch_faults pages," \
    "main $(truth main.faults) faults (allowed: $pf_lo to $pf_hi)"
assert_between "page-faults counted through the group reads" "$pf_sum" "$pf_lo" "$pf_hi"
[ "$other" = 0 ] || fail "$other entries of events other than cpu-clock and page-faults"
# The member only rides on leader samples: never more page-faults entries than cpu-clock samples.
[ "$pf_n" -le "$cc_n" ] || fail "$pf_n page-faults entries but only $cc_n cpu-clock samples: is the member sampling on its own?"

perf_report_raw out1/group.data --group --no-children --sort sym >grp-report.txt
grep -q 'cpu-clock' grp-report.txt && grep -q 'page-faults' grp-report.txt || {
    head -n 20 grp-report.txt >&2
    fail "perf report --group does not list both cpu-clock and page-faults"
}
# The file must describe the group (HEADER_GROUP_DESC), or perf shows two unrelated events.
perf evlist -i out1/group.data -g >evlist.txt 2>evlist.err || fail "perf evlist -i out1/group.data -g failed: $(head -1 evlist.err)"
check_perf_stderr evlist.err "perf evlist -g"
grep -Eq '^\{[^}]*cpu-clock[^}]*,[^}]*page-faults[^}]*\}' evlist.txt || {
    cat evlist.txt >&2
    fail "perf evlist -g does not show the group {cpu-clock,page-faults}"
}

# --- two independent sampling events ---
run_hwprof two record -e cpu-clock,page-faults -o out2/two.data -- "$PROGS/faulter"
expect_rc two 0
assert_only_files out2 two.data
assert_summary two cpu-clock
assert_summary two page-faults
load_truth two.out
need_truth compute_loop.cpu_ns touch_pages.cpu_ns touch_pages.faults main.cpu_ns main.faults
clock_period out2/two.data
perf_samples out2/two.data period >two.tsv
cc=$(count_samples two.tsv cpu-clock)
cc_main=$(count_where two.tsv 'index($4, "cpu-clock") && index(";" $5 ";", ";main;")')
cc_compute=$(count_leaf two.tsv compute_loop cpu-clock)
cc_touch=$(count_chain two.tsv touch_pages cpu-clock)
pf=$(count_samples two.tsv page-faults)
pf_faults=$(period_where two.tsv 'index($4, "page-faults")')
pf_main=$(period_where two.tsv 'index($4, "page-faults") && index(";" $5 ";", ";main;")')
pf_touch=$(period_where two.tsv 'index($4, "page-faults") && leaf == "touch_pages"')
note "two events: cpu-clock $cc samples ($cc_main under main, compute_loop leaf $cc_compute, touch_pages" \
    "in $cc_touch), page-faults $pf samples of $pf_faults faults ($pf_main under main, touch_pages leaf $pf_touch)"
expect_count_ge "cpu-clock samples under main" "$cc_main" "$(calc "$(truth main.cpu_ns) / $PERIOD")"
expect_count_ge "faults counted by the page-faults samples" "$pf_faults" "$(truth touch_pages.faults)"
# Each page-faults sample is taken at a faulting instruction, and stands for the faults since the
# one before (its period): touch_pages' share of main's faults is the share of its pages.
pf_n_main=$(count_where two.tsv 'index($4, "page-faults") && index(";" $5 ";", ";main;")')
expect_share "touch_pages leaf share of the faults under main" "$pf_touch" "$pf_main" \
    "$(calc "$(truth touch_pages.faults) / $(truth main.faults)")" "$pf_n_main"
# cpu-clock samples each stand for one period of CPU time: compute_loop's share of main's is the
# share of the CPU time main spent in it. Page faults are handled in the kernel, charged to
# touch_pages below it where kernel samples are recorded.
expect_share "compute_loop leaf share of the cpu-clock samples under main" "$cc_compute" "$cc_main" \
    "$(calc "$(truth compute_loop.cpu_ns) / $(truth main.cpu_ns)")"
if kernel_sampled; then
    expect_share "touch_pages share of the cpu-clock samples under main" "$cc_touch" "$cc_main" \
        "$(calc "$(truth touch_pages.cpu_ns) / $(truth main.cpu_ns)")"
fi
exit 0
