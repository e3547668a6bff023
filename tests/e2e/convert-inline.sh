#!/bin/bash
# convert-inline.sh - e2e: hwprof convert writes inline chains as one pprof location (inlined function and caller), with file:line, as go tool pprof shows them.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/pprof-lib.sh"

# inline.c: caller_a() and caller_b() each inline inline_outer(), which inlines inline_inner()
# (the loop: most samples).
require_perf_events
require_prog inline
require_pprof
cd "$T"

run_hwprof rec record -e cpu-clock -o f.data -- "$PROGS/inline"
expect_rc rec 0
run_hwprof conv convert -i f.data -o p.pb.gz
expect_no_sanitizer conv
expect_rc conv 0

# --- -raw: a location's lines are its inline chain, innermost first, in one location ---
pprof raw -raw p.pb.gz
# One line per location: "ID ADDRESS fn@file:line;fn@file:line;..." (innermost first).
awk '/^Locations$/ { l = 1; next } /^Mappings$/ { l = 0 }
    l && $1 ~ /^[0-9]+:$/ { if (id != "") print id, addr, chain; id = $1; addr = $2; chain = ""
        fn = $4; where = $5; chain = fn "@" where; next }
    l && NF >= 2 { chain = chain ";" $1 "@" $2 }
    END { if (id != "") print id, addr, chain }' raw.out >locs.txt
[ -s locs.txt ] || {
    show raw
    fail "-raw lists no locations"
}
for caller in caller_a caller_b; do
    grep -E " inline_inner@[^;]*/inline\.c:[0-9]+;inline_outer@[^;]*/inline\.c:[0-9]+;$caller@[^;]*/inline\.c:[0-9]+$" \
        locs.txt >chain-$caller.txt || {
        head -n 40 locs.txt >&2
        fail "-raw has no location with the inline chain inline_inner, inline_outer, $caller (with inline.c:LINE)"
    }
    note "$caller: $(wc -l <chain-$caller.txt) locations with the chain, e.g. $(head -1 chain-$caller.txt)"
done
# Every location's line numbers are known (the workload is built with -g).
awk '{ n = split($3, fr, ";"); for (i = 1; i <= n; i++) if (fr[i] ~ /^(inline_inner|inline_outer|caller_a|caller_b)@/ && fr[i] ~ /:0$/) bad = 1 }
    END { exit bad }' locs.txt || fail "an inline or caller frame has line 0"
awk '/^Mappings$/ { m = 1; next } m' raw.out >maps.txt
grep -F " $PROGS/inline " maps.txt | grep -qF '[IN]' || {
    cat maps.txt >&2
    fail "the mapping of $PROGS/inline lacks has_inline_frames [IN]"
}

# --- -traces: the inlined frames marked (inline), followed by their caller ---
pprof tr -traces p.pb.gz
for caller in caller_a caller_b; do
    # A stack's first line is "VALUE  leaf", the others "  caller".
    awk -v c="$caller" '{ line = $0; if ($1 ~ /^[0-9.]/) sub(/^ *[^ ]+ +/, "", line); sub(/^ +/, "", line) }
        p2 == "inline_inner (inline)" && p1 == "inline_outer (inline)" && line == c { ok = 1 }
        { p2 = p1; p1 = line } END { exit !ok }' tr.out || {
        show tr
        fail "-traces has no stack 'inline_inner (inline)', 'inline_outer (inline)', '$caller'"
    }
done

# --- -top: the same flat% as hwprof report for the inline functions and the callers ---
run_report rep -i f.data --stdio -n 0
pprof top -top -nodefraction=0 p.pb.gz
pprof_rows top >top.tsv
[ "$(head -1 top.tsv | cut -f6)" = inline_inner ] || fail "the first row of pprof -top is not inline_inner"
grep -q 'inline_inner (inline)$' top.out || fail "pprof -top does not mark inline_inner (inline)"
for f in inline_inner inline_outer caller_a caller_b; do
    note "$f: pprof flat% $(row_field top.tsv "$f" 2) cum% $(row_field top.tsv "$f" 5);" \
        "report flat% $(row_field rep.tsv "$f" 2) cum% $(row_field rep.tsv "$f" 5)"
    has_row top.tsv "$f" || fail "pprof -top has no row $f"
    for col in 2 5; do
        assert_le "|column $col of $f in pprof - in hwprof report|" \
            "$(abs_diff "$(row_field top.tsv "$f" $col)" "$(row_field rep.tsv "$f" $col)")" 0.1
    done
done

# --- -lines -top: "function /path/file.c:line"; the report's hottest line is pprof's too ---
pprof lines -lines -top -nodefraction=0 p.pb.gz
pprof_rows lines >lines.tsv
awk -F '\t' '$6 ~ /^(inline_inner|inline_outer|caller_a|caller_b) / && $6 !~ /\/inline\.c:[0-9]+$/ { print; bad = 1 }
    END { exit bad }' lines.tsv >badlines.txt || {
    cat badlines.txt >&2
    fail "-lines -top rows without .../inline.c:LINE"
}
run_report replines -i f.data --stdio -n 0 --lines
# Rows as "function basename:line" TAB flat%.
key()
{
    awk -F '\t' '{ n = split($6, w, " "); k = split(w[n], d, "/"); print w[1] " " d[k] "\t" $2 }' "$1"
}
key replines.tsv | grep -E '^[^ ]+ [^ ]+:[0-9]+'$'\t' | head -n 3 >rk.txt
key lines.tsv >pk.txt
[ -s rk.txt ] || fail "hwprof report --lines shows no 'function file:line' row"
while IFS=$'\t' read -r name pct; do
    have=$(awk -F '\t' -v n="$name" '$1 == n { print $2; found = 1; exit } END { if (!found) print "none" }' pk.txt)
    [ "$have" != none ] || {
        show lines
        fail "hwprof report --lines has the row '$name' ($pct%), go tool pprof -lines -top does not"
    }
    assert_le "|flat% of '$name' in pprof -lines - in report --lines|" "$(abs_diff "$have" "$pct")" 0.1
done <rk.txt
exit 0
