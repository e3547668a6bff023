#!/bin/bash
# report-views.sh - e2e: hwprof report --tree, --callers, --columns/--ratio on a {cpu-clock,page-faults} group, --sort comm, their errors, and names a program forged (newlines, escape sequences) kept out of folded lines and terminals.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"

require_perf_events
require_prog split faultmix forkexec forged
cd "$T"

# --- --tree: main's callees under it, with the top table's cumulative percentages ---
run_hwprof rec record -e cpu-clock -o s.data -- "$PROGS/split"
expect_rc rec 0
run_report top -i s.data --stdio -n 0
run_hwprof tree report -i s.data --stdio --tree -n 0
expect_no_sanitizer tree
expect_rc tree 0
# tree_lines NAME: the cum% and the indentation of every tree line whose frame is NAME
tree_lines() { awk -v n="$1" '/call tree/ { on = 1; next } on { l = $0; sub(/^ *[^ ]+ +[^ ]+ +[^ ]+  /, "", l);
    name = l; gsub(/^[ \302\240\342\224\202\224\234\224\200\224\224]+/, "", name);
    if (name == n) { v = $2; sub(/%$/, "", v); print v "\t" length(l) - length(name) } }' tree.out; }
tree_lines main >main.lines
tree_lines work_three >three.lines
[ -s three.lines ] || { show tree; fail "--tree shows no work_three"; }
IFS=$'\t' read -r main_pct main_ind <main.lines
IFS=$'\t' read -r three_pct three_ind <three.lines
assert_ge "work_three's indentation - main's" "$((three_ind - main_ind))" 1
# neither is recursive: the nodes of a function (with -n 0, all of them) add up to its cum
for f in work_three main; do
    [ "$f" = main ] && lines=main.lines || lines=three.lines
    assert_between "$f's cum% over its tree nodes - in the top table" \
        "$(abs_diff "$(awk -F '\t' '{ s += $1 } END { print s }' "$lines")" "$(row_field top.tsv "$f" 5)")" \
        0 "$(awk 'END { print 0.01 * NR }' "$lines")"
done
grep -q 'work_one' tree.out || fail "--tree shows no work_one"

# --- --callers: main calls work_three (all of it) ---
run_hwprof peek report -i s.data --stdio --callers '^work_three$'
expect_rc peek 0
grep -Eq '^ +[0-9.]+(ms|s) +100% \|   main$' peek.out || { show peek; fail "--callers: main is not work_three's only caller"; }
peek_cum=$(awk '$NF == "work_three" && $(NF - 1) == "|" { v = $(NF - 2); sub(/%$/, "", v); print v; exit }' peek.out)
[ -n "$peek_cum" ] || { show peek; fail "--callers: no row for work_three itself"; }
assert_between "--callers: work_three's cum% - the top table's" "$(abs_diff "$peek_cum" "$(row_field top.tsv work_three 5)")" 0 0.005
run_hwprof nopeek report -i s.data --stdio --callers '^no_such_function$'
expect_rc_nonzero nopeek
grep -q 'no function matching' nopeek.err || fail "--callers with no match: $(cat nopeek.err)"

# --- --columns and --ratio: the faults go to the faulting function ---
run_hwprof grp record -e '{cpu-clock,page-faults}' -o g.data -- "$PROGS/faultmix" 1
expect_rc grp 0
read -r rounds in_fault in_crunch < <(awk '/^faultmix: / { for (i = 1; i < NF; i++) v[$i] = $(i + 1);
    print v["rounds"], v["fault_pages_faults"], v["crunch_faults"] }' grp.out)
[ -n "${in_crunch:-}" ] || fail "the workload printed no fault counts: $(cat grp.out)"
run_hwprof cols report -i g.data --stdio --cum -n 0 --columns cpu-clock,page-faults --ratio page-faults/cpu-clock
expect_no_sanitizer cols
expect_rc cols 0
grep -Eq '^ +cpu +cum% +page-faults +cum% +page-faults/s$' cols.out || { show cols; fail "no cpu, page-faults and ratio columns"; }
# col NAME FIELD: field (1 cpu, 2 cpu%, 3 faults, 4 faults%, 5 ratio) of NAME's row
col() { awk -v n="$1" -v k="$2" '$NF == n && NF == 6 { print $k; exit }' cols.out; }
nsamples=$(report_header cols.out Samples)
faults_total=$(awk '$NF == "main" && NF == 6 { print $3; exit }' cols.out)
# A group member's count is charged to the sample that reads it: at each of the 2 * rounds phase
# changes, up to one sample period's faults can land on the other side.
slack=$(awk -v r="$rounds" -v f="$faults_total" -v n="$nsamples" 'BEGIN { printf "%.0f", 2 * (r + 1) * f / n + 1 }')
note "fault_pages: $(col fault_pages 3) faults (program: $in_fault), crunch: $(col crunch 3) (program: $in_crunch), slack $slack"
assert_between "fault_pages' page-faults" "$(col fault_pages 3)" "$((in_fault - slack))" "$((in_fault + slack))"
assert_le "crunch's page-faults" "$(col crunch 3)" "$((in_crunch + slack))"
assert_ge "crunch's cpu time (a column of its own)" "$(report_value "$(col crunch 1)")" 1
ratio_f=$(col fault_pages 5)
ratio_c=$(col crunch 5)
note "page-faults/s: fault_pages $ratio_f, crunch $ratio_c"
[ "$ratio_c" != - ] || fail "crunch has no ratio"
assert_ge "fault_pages' faults per second / crunch's" "$(ratio "$ratio_f" "$(awk -v c="$ratio_c" 'BEGIN { print c + 1 }')")" 10
run_hwprof all report -i g.data --stdio --columns all -n 3
expect_rc all 0
grep -Eq '^ +cpu +flat% +page-faults +flat%$' all.out || { show all; fail "--columns all: no column per event"; }

# --- --sort comm: the top commands ---
run_hwprof fe record -e cpu-clock -o fe.data -- "$PROGS/forkexec"
expect_rc fe 0
run_report comm -i fe.data --stdio --sort comm
has_row comm.tsv forkexec || { show comm; fail "--sort comm: no row forkexec"; }
has_row comm.tsv child || { show comm; fail "--sort comm: no row child"; }
assert_between "--sort comm: the rows' flat% add up to" "$(sum_where comm.tsv 2 1)" 99.98 100.02

# --- bad options: one line naming the cause ---
for bad in "--columns nosuch" "--ratio page-faults" "--ratio nosuch/cpu-clock" "--tree --columns all" \
    "--tree --callers x" "--sort bogus" "--callers ("; do
    # shellcheck disable=SC2086
    run_hwprof bad report -i g.data --stdio $bad
    expect_no_sanitizer bad
    expect_rc_nonzero bad
    [ "$(wc -l <bad.err)" = 1 ] || fail "report $bad: not a one-line error: $(cat bad.err)"
done

# --- forged names: the program names itself "a;b c\nfake;x 9\e" ---
run_hwprof fg record -e cpu-clock -o e.folded -- "$PROGS/forged"
expect_rc fg 0
awk '!/^[^;]+(;[^;]+)* [1-9][0-9]*$/ { print; bad = 1 } END { exit bad }' e.folded >forged.txt ||
    fail "a folded line the program forged: $(head -1 forged.txt)"
! grep -q '^fake' e.folded || fail "the program's name started a folded line of its own"
! grep -q $'\x1b' e.folded || fail "a raw escape character in the folded stacks"
grep -q '^a:b c\\x0afake:x 9\\x1b;' e.folded || fail "the forged name is not escaped as expected: $(head -1 e.folded)"
run_hwprof fgr record -e cpu-clock -o e.data -- "$PROGS/forged"
expect_rc fgr 0
for view in "--sort comm" "--sort comm,sym --lines" "--tree" "--callers forge_work"; do
    # shellcheck disable=SC2086
    run_hwprof view report -i e.data --stdio $view
    expect_rc view 0
    ! grep -q $'\x1b' view.out view.err || fail "report $view printed a raw escape character"
    ! grep -q '^fake' view.out || fail "report $view printed the forged name's second line"
done
