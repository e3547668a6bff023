#!/bin/bash
# convert-folded.sh - e2e: hwprof convert --format folded: one sorted line per unique stack "comm;root;...;leaf N", totals as hwprof report's, "_[i]" on inlined frames, --sample-index.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"

require_perf_events
require_prog split inline faulter
cd "$T"

# check_folded FILE COMM: fails unless every line of FILE is "COMM;frame;...;frame N" with N > 0,
# the stacks are unique and the lines sorted.
check_folded()
{
    [ -s "$1" ] || fail "$1 is empty"
    awk -v c="$2" '!/^[^;]+(;[^;]+)* [1-9][0-9]*$/ { print "not \"comm;frames N\": " $0; bad = 1; exit }
        index($0, c ";") != 1 { print "not of comm " c ": " $0; bad = 1; exit }
        END { exit bad }' "$1" >"$1.bad" || fail "$1: $(cat "$1.bad")"
    sed 's/ [0-9]*$//' "$1" >"$1.stacks"
    [ -z "$(sort "$1.stacks" | uniq -d | head -1)" ] ||
        fail "$1 has stacks on more than one line: $(sort "$1.stacks" | uniq -d | head -1)"
    sort -c "$1" 2>/dev/null || fail "$1: the lines are not sorted (LC_ALL=C sort)"
}

# sum FILE [AWK-CONDITION]: the sum of N over the (matching) lines; $0 is the stack without N.
sum()
{
    awk "{ n = \$NF; sub(/ [0-9]+\$/, \"\") } (${2:-1}) { s += n } END { printf \"%.0f\\n\", s }" "$1"
}

run_hwprof rec record -e cpu-clock -o f.data -- "$PROGS/split"
expect_rc rec 0
# split measures the CPU time of its work_three and work_one calls.
load_truth rec.out
need_truth work_three.cpu_ns work_one.cpu_ns
run_report rep -i f.data --stdio -n 0

# --- --format folded, default sample index: the first event (cpu-clock, in nanoseconds) ---
run_hwprof fold convert -i f.data --format folded -o f.folded
expect_no_sanitizer fold
expect_rc fold 0
check_folded f.folded split
note "$(wc -l <f.folded) stacks; e.g. $(head -1 f.folded)"
total=$(report_value "$(report_header rep.out Total)")
assert_between "sum of the folded values / hwprof report's Total (ns)" "$(ratio "$(sum f.folded)" "$total")" 0.99 1.01
three=$(sum f.folded '$0 ~ /;main;work_three$/')
one=$(sum f.folded '$0 ~ /;main;work_one$/')
note "main;work_three $three ns, main;work_one $one ns"
clock_period f.data
expect_pair "main;work_three's share of main;work_three + main;work_one (ns)" "$three" "$one" \
    "$(calc "($three + $one) / $PERIOD")" \
    "$(calc "$(truth work_three.cpu_ns) / ($(truth work_three.cpu_ns) + $(truth work_one.cpu_ns))")"
assert_between "work_three's share of the folded total" "$(ratio "$three" "$(sum f.folded)")" \
    "$(awk -v p="$(row_field rep.tsv work_three 2)" 'BEGIN { print p / 100 - 0.002 }')" \
    "$(awk -v p="$(row_field rep.tsv work_three 2)" 'BEGIN { print p / 100 + 0.002 }')"

# The same by name (.folded and .txt), and on stdout.
for o in f2.folded f.txt; do
    run_hwprof "name-$o" convert -i f.data -o "$o"
    expect_rc "name-$o" 0
    cmp -s "$o" f.folded || fail "convert -o $o differs from --format folded"
done
run_hwprof stdout convert -i f.data --format folded -o -
expect_rc stdout 0
cmp -s stdout.out f.folded || fail "convert --format folded -o - differs from -o f.folded"
# --format overrides the name.
run_hwprof over convert -i f.data --format folded -o over.pb.gz
expect_rc over 0
cmp -s over.pb.gz f.folded || fail "--format folded -o over.pb.gz does not write folded stacks"

# --- --sample-index samples: the counts add up to the report's Samples ---
run_hwprof cnt convert -i f.data -o cnt.folded --sample-index samples
expect_rc cnt 0
check_folded cnt.folded split
samples=$(report_header rep.out Samples)
[ "$(sum cnt.folded)" = "$samples" ] || fail "the sample counts add up to $(sum cnt.folded), hwprof report has Samples: $samples"
sed 's/ [0-9]*$//' cnt.folded | cmp -s - f.folded.stacks ||
    fail "--sample-index samples has other stacks than the cpu-clock default"

# --- inline: inlined frames carry "_[i]", their caller does not ---
run_hwprof irec record -e cpu-clock -o i.data -- "$PROGS/inline"
expect_rc irec 0
run_hwprof ifold convert -i i.data -o i.folded
expect_rc ifold 0
check_folded i.folded inline
for c in caller_a caller_b; do
    n=$(sum i.folded "\$0 ~ /;$c;inline_outer_\\[i\\];inline_inner_\\[i\\]\$/")
    note "$c;inline_outer_[i];inline_inner_[i]: $n ns"
    assert_ge "the value of stacks ending $c;inline_outer_[i];inline_inner_[i]" "$n" 1
done
! grep -Eq '(^|;)(caller_a|caller_b|main)_\[i\]' i.folded || fail "a caller (not inlined) carries _[i]"
! grep -Eq '(^|;)(inline_inner|inline_outer)(;| )' i.folded || fail "an inlined frame lacks _[i]"
run_report irep -i i.data --stdio -n 0
assert_between "inline: sum of the folded values / report Total" \
    "$(ratio "$(sum i.folded)" "$(report_value "$(report_header irep.out Total)")")" 0.99 1.01

# --- --sample-index page-faults of a two-event recording ---
run_hwprof frec record -e cpu-clock,page-faults -o pf.data -- "$PROGS/faulter"
expect_rc frec 0
# faulter prints how many pages it faulted in, and main's faults.
load_truth frec.out
need_truth touch_pages.faults main.faults
run_hwprof pfold convert -i pf.data -o pf.folded --sample-index page-faults
expect_rc pfold 0
check_folded pf.folded faulter
run_report prep -i pf.data --stdio -n 0 --sample-index page-faults
pftotal=$(report_value "$(report_header prep.out Total)")
touch=$(sum pf.folded '$0 ~ /;main;touch_pages$/')
infmain=$(sum pf.folded '$0 ~ /;main(;|$)/')
note "page-faults: folded sum $(sum pf.folded), report Total $pftotal, main;touch_pages leaf $touch, under main $infmain"
assert_between "page-faults: sum of the folded values / report Total" "$(ratio "$(sum pf.folded)" "$pftotal")" 0.99 1.01
expect_share "main;touch_pages' share of the page faults under main" "$touch" "$infmain" \
    "$(calc "$(truth touch_pages.faults) / $(truth main.faults)")" "$(summary_samples frec page-faults)"
# The default is the first event, cpu-clock: other values.
run_hwprof pdef convert -i pf.data -o pdef.folded
expect_rc pdef 0
run_report pcc -i pf.data --stdio -n 0
assert_between "cpu-clock (default): sum of the folded values / report Total" \
    "$(ratio "$(sum pdef.folded)" "$(report_value "$(report_header pcc.out Total)")")" 0.99 1.01
exit 0
