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
run_hwprof grp record -e '{cpu-clock,page-faults}' -o out1/group.data -- "$PROGS/faulter"
expect_rc grp 0
assert_only_files out1 group.data
assert_summary grp cpu-clock

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
assert_ge "cpu-clock samples in the group recording" "$cc_n" 100
assert_ge "page-faults entries (leader samples with new faults)" "$pf_n" 20
assert_ge "page-faults counted through the group reads" "$pf_sum" 5000
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
perf_samples out2/two.data >two.tsv
cc=$(count_samples two.tsv cpu-clock)
pf=$(count_samples two.tsv page-faults)
pf_touch=$(count_leaf two.tsv touch_pages page-faults)
cc_compute=$(count_leaf two.tsv compute_loop cpu-clock)
note "two events: cpu-clock $cc samples (compute_loop leaf $cc_compute)," \
    "page-faults $pf samples (touch_pages leaf $pf_touch)"
assert_ge "cpu-clock samples" "$cc" 100
assert_ge "page-faults samples" "$pf" 50
assert_ge "touch_pages leaf fraction of page-faults samples" "$(fraction "$pf_touch" "$pf")" 0.6
assert_ge "compute_loop leaf fraction of cpu-clock samples" "$(fraction "$cc_compute" "$cc")" 0.1
exit 0
