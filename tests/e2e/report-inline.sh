#!/bin/bash
# report-inline.sh - e2e: hwprof report shows inlined functions as their own rows, with call-site lines, and --no-inline folds them.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"

# inline.c: caller_a() and caller_b() each inline inline_outer(), which inlines inline_inner()
# (the loop: most samples).
require_perf_events
require_prog inline
command -v eu-addr2line >/dev/null 2>&1 || skip "eu-addr2line is not installed (apt-get install elfutils)"
command -v nm >/dev/null 2>&1 || skip "nm is not installed (apt-get install binutils)"
cd "$T"

run_hwprof rec record -e cpu-clock -o f.data -- "$PROGS/inline"
expect_rc rec 0
# inline measures the CPU time of caller_a and caller_b (nearly all of it in their inlined
# inline_outer and inline_inner), and main's.
load_truth rec.out
need_truth caller_a.cpu_ns caller_b.cpu_ns main.cpu_ns
callers=$(calc "($(truth caller_a.cpu_ns) + $(truth caller_b.cpu_ns)) / $(truth main.cpu_ns)")

# --- functions: the inlined ones are rows of their own ---
run_report fn -i f.data --stdio -n 0
check_table fn.tsv
for f in inline_inner inline_outer caller_a caller_b; do
    note "$f: flat% $(row_field fn.tsv "$f" 2), cum% $(row_field fn.tsv "$f" 5)"
done
# Shares of main's samples (main cum%, n of them).
main=$(row_field fn.tsv main 5)
n=$(calc "int($main * $(report_header fn.out Samples) / 100 + 0.5)")
# The inner loop is all the callers do but for a rare clock read (charged to them and the kernel).
expect_share "inline_inner flat% / main cum%" "$(row_field fn.tsv inline_inner 2)" "$main" "$callers" "$n"
[ "$(head -1 fn.tsv | cut -f6)" = inline_inner ] || fail "the first row is not inline_inner"
has_row fn.tsv inline_outer || fail "no row for inline_outer (inlined into caller_a and caller_b)"
expect_share "inline_outer cum% / main cum%" "$(row_field fn.tsv inline_outer 5)" "$main" "$callers" "$n"
assert_le "inline_inner cum% - inline_outer cum% (inner is always inside outer)" \
    "$(awk -v i="$(row_field fn.tsv inline_inner 5)" -v o="$(row_field fn.tsv inline_outer 5)" 'BEGIN { print i - o }')" 0.011
for f in caller_a caller_b; do
    expect_share "$f cum% / main cum%" "$(row_field fn.tsv "$f" 5)" "$main" \
        "$(calc "$(truth "$f.cpu_ns") / $(truth main.cpu_ns)")" "$n"
    # Nearly all of the caller's time is in the inlined code: charged to the inline rows, not to it.
    expect_share "($f cum% - flat%) / main cum%" \
        "$(awk -v c="$(row_field fn.tsv "$f" 5)" -v f="$(row_field fn.tsv "$f" 2)" 'BEGIN { print c - f }')" "$main" \
        "$(calc "$(truth "$f.cpu_ns") / $(truth main.cpu_ns)")" "$n"
done

# --- --lines: "function dir/file:line"; compare the hottest addresses with eu-addr2line -i ---
run_report lines -i f.data --stdio -n 0 --lines
check_table lines.tsv
awk -F '\t' '$6 ~ /^(inline_inner|inline_outer|caller_a|caller_b) / { n = split($6, w, " "); f = w[n]
        sub(/:[0-9]+$/, "", f); if (f ~ /\/.*\//) { print "too long a path: " $6; bad = 1 } }
    END { exit bad }' lines.tsv >paths.txt || {
    cat paths.txt >&2
    fail "--lines shows file paths longer than their last two components"
}
# The (function, basename:line) of each --lines row.
awk -F '\t' '{ n = split($6, w, " "); f = w[n]; k = split(f, d, "/"); print w[1], d[k] }' lines.tsv >have-frames.txt
# The two most frequent sampled addresses in each caller, as file addresses of the inline binary:
# eu-addr2line -i's frames there must all be rows of --lines.
perf_script_raw f.data -F ip,sym,symoff -G >ips.txt
for caller in caller_a caller_b; do
    base=$(nm "$PROGS/inline" | awk -v f="$caller" '$3 == f { print $1; exit }')
    [ -n "$base" ] || fail "nm finds no $caller in $PROGS/inline"
    awk -v f="$caller" 'index($2, f "+0x") == 1 { n[$2]++ } END { for (s in n) print n[s], s }' ips.txt |
        sort -rn | head -n 2 | awk '{ print $2 }' >symoffs.txt
    [ -s symoffs.txt ] || fail "perf script shows no sample in $caller"
    while read -r symoff; do
        addr=$(printf '0x%x' $((0x$base + ${symoff#"$caller"+})))
        eu-addr2line -i -f -e "$PROGS/inline" "$addr" >a2l.txt ||
            fail "eu-addr2line -i -f -e $PROGS/inline $addr failed"
        # eu-addr2line prints "name[ inlined at ...]" then "path:line[:col]" per frame, innermost first.
        awk 'NR % 2 == 1 { name = $1 }
            NR % 2 == 0 { split($0, p, ":"); n = split(p[1], d, "/"); print name, d[n] ":" p[2] }' \
            a2l.txt >want-frames.txt
        note "$symoff ($addr): eu-addr2line frames: $(tr '\n' ';' <want-frames.txt)"
        awk '{ print $1 }' want-frames.txt | tr '\n' ' ' | grep -q "^inline_inner inline_outer $caller \$" || {
            cat a2l.txt >&2
            fail "eu-addr2line's frames at $addr are not inline_inner, inline_outer, $caller"
        }
        while read -r fn where; do
            grep -qxF "$fn $where" have-frames.txt || {
                show lines
                fail "--lines has no row '$fn .../$where' (eu-addr2line's frame at $addr, $symoff)"
            }
        done <want-frames.txt
    done <symoffs.txt
done
# The sum of a function's --lines rows is its row without --lines.
for f in inline_inner caller_a; do
    assert_le "|sum of $f's --lines flat% - its flat%|" \
        "$(abs_diff "$(sum_where lines.tsv 2 "\$6 ~ /^$f /")" "$(row_field fn.tsv "$f" 2)")" 0.1
done

# --- --no-inline: the inlined code is charged to caller_a and caller_b ---
run_report noinl -i f.data --stdio -n 0 --no-inline
check_table noinl.tsv
for f in inline_inner inline_outer; do
    ! has_row noinl.tsv "$f" || {
        show noinl
        fail "--no-inline still shows $f"
    }
done
# inline_cpu_seconds() (static) is usually inlined into the callers too.
before=$(sum_where fn.tsv 2 '$6 ~ /^(inline_inner|inline_outer|inline_cpu_seconds|caller_a|caller_b)$/')
after=$(sum_where noinl.tsv 2 '$6 ~ /^(inline_cpu_seconds|caller_a|caller_b)$/')
note "flat% of the inline functions and callers: $before; of caller_a + caller_b with --no-inline: $after"
assert_le "|flat% of caller_a + caller_b with --no-inline - inline functions and callers without|" \
    "$(abs_diff "$before" "$after")" 0.05
for f in caller_a caller_b; do
    expect_share "$f flat% with --no-inline / main cum%" "$(row_field noinl.tsv "$f" 2)" "$(row_field noinl.tsv main 5)" \
        "$(calc "$(truth "$f.cpu_ns") / $(truth main.cpu_ns)")" "$n"
    assert_le "|$f cum% with and without --no-inline|" \
        "$(abs_diff "$(row_field noinl.tsv "$f" 5)" "$(row_field fn.tsv "$f" 5)")" 0.011
done
exit 0
