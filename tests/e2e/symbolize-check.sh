#!/bin/bash
# symbolize-check.sh - compares hwprof's inline chains with `eu-addr2line -i -f` at every instruction of tests/progs/inline's functions (PIE, non-PIE, lld).
#
# Environment (set by `make check`): TOP_BUILDDIR (for tests/unit/test-symbolize, whose --addr2line
# mode maps each binary as the kernel would and symbolizes through sym_lookup), TOP_SRCDIR (for
# tests/progs/inline.c, rebuilt here as non-PIE and with lld), PROGS (the built tests/progs/inline).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

TSYM="${TOP_BUILDDIR:-.}/tests/unit/test-symbolize"
[ -x "$TSYM" ] || fail "$TSYM is missing: build it with 'make check'"
SRC="${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/progs/inline.c"
[ -f "$SRC" ] || fail "$SRC is missing"
require_prog inline
command -v eu-addr2line >/dev/null 2>&1 || skip "eu-addr2line is missing (apt-get install elfutils)"
command -v objdump >/dev/null 2>&1 || skip "objdump is missing (apt-get install binutils)"
cd "$T"

# eu-addr2line must not ask a debuginfod server either.
unset DEBUGINFOD_URLS

CFLAGS="-O2 -g -fno-omit-frame-pointer"
builds="$PROGS/inline"
${CC:-cc} $CFLAGS -fPIE -pie "$SRC" -o inline-pie || fail "cannot build $SRC as PIE"
builds="$builds $T/inline-pie"
${CC:-cc} $CFLAGS -fno-pie -no-pie "$SRC" -o inline-nopie || fail "cannot build $SRC as non-PIE"
builds="$builds $T/inline-nopie"
if ${CC:-cc} $CFLAGS -fuse-ld=lld "$SRC" -o inline-lld 2>lld.err; then
    builds="$builds $T/inline-lld"
else
    note "no lld build ($(head -1 lld.err)): checking PIE and non-PIE only"
fi

# eu-addr2line computes the inlined callers (-i) at the start of the address's line-table row
# (dwfl_lineinfo overwrites the address), not at the address itself: whole chains are compared
# at row starts, elsewhere the innermost frame only (name and file:line, taken at the address).
# row_starts BIN: prints the addresses where line-table rows start (hex, no 0x, no leading 0).
row_starts()
{
    objdump --dwarf=decodedline "$1" | awk '
        { for (i = 1; i <= NF; i++) if ($i ~ /^0x[0-9a-f]+$/) { a = $i; sub(/^0x0*/, "", a); print a; break } }
    ' | sort -u
}

# keep ROWS: filters normalized output: whole chains at row starts, else the innermost frame.
keep()
{
    awk '
        NR == FNR { row[$1] = 1; next }
        /^0x/ { a = $0; sub(/^0x0*/, "", a); full = (a in row); k = 0; print; next }
        { k++; if (full || k <= 2) print }
    ' "$1" -
}

# normalize: eu-addr2line -a -i -f output -> per address "0x...", then name and file:line per
# frame, innermost first; the first name line "f inlined at X in g" names f; columns dropped.
normalize()
{
    awk '
        function flush(   i, name, loc) {
            if (addr == "")
                return
            print addr
            for (i = 1; i <= n; i += 2) {
                name = L[i]
                if (i == 1)
                    sub(/ inlined at .*/, "", name)
                loc = (i + 1 <= n) ? L[i + 1] : "??:0"
                if (loc ~ /:[0-9]+:[0-9]+$/)
                    sub(/:[0-9]+$/, "", loc)
                print name
                print loc
            }
        }
        /^0x[0-9a-f]+$/ { flush(); addr = $0; n = 0; next }
        { L[++n] = $0 }
        END { flush() }
    '
}

for bin in $builds; do
    name=$(basename "$bin")
    objdump -d --no-show-raw-insn "$bin" | awk '
        /^[0-9a-f]+ <(caller_[ab]|main|inline_cpu_seconds)>:$/ { on = 1; next }
        /^$/ { on = 0 }
        on && /^ *[0-9a-f]+:/ { a = $1; sub(/:$/, "", a); print a }
    ' >"$name.addrs"
    n=$(wc -l <"$name.addrs")
    assert_ge "instructions of caller_a, caller_b and main in $name" "$n" 40
    row_starts "$bin" >"$name.rows"
    full=$(awk 'NR == FNR { row[$1] = 1; next } { a = $1; sub(/^0*/, "", a) } a in row { n++ }
        END { print n + 0 }' "$name.rows" "$name.addrs")
    assert_ge "instructions of caller_a, caller_b and main in $name that start a line-table row" \
        "$full" 10

    # shellcheck disable=SC2046
    eu-addr2line -a -i -f -e "$bin" $(cat "$name.addrs") >"$name.eu.raw" ||
        fail "eu-addr2line -a -i -f -e $bin failed"
    normalize <"$name.eu.raw" | keep "$name.rows" >"$name.eu"
    # shellcheck disable=SC2046
    "$TSYM" --addr2line "$bin" $(cat "$name.addrs") >"$name.hw" 2>"$name.hw.err" || {
        head -5 "$name.hw.err" >&2
        fail "test-symbolize --addr2line $bin failed"
    }
    keep "$name.rows" <"$name.hw" >"$name.hw.cmp"
    if ! diff -u "$name.eu" "$name.hw.cmp" >"$name.diff"; then
        head -40 "$name.diff" >&2
        fail "$name: hwprof's chains differ from eu-addr2line's (- eu-addr2line, + hwprof)"
    fi
    # Not vacuous: the 2-deep inline chain is there, under both callers.
    for caller in caller_a caller_b; do
        chains=$(awk -v c="$caller" '
            /^0x/ { if (k == 6 && f[1] == "inline_inner" && f[3] == "inline_outer" && f[5] == c) n++
                    k = 0; next }
            { f[++k] = $0 }
            END { if (k == 6 && f[1] == "inline_inner" && f[3] == "inline_outer" && f[5] == c) n++
                  print n + 0 }
        ' "$name.hw")
        assert_ge "addresses in $name with the chain inline_inner <- inline_outer <- $caller" \
            "$chains" 1
    done
    note "$name: $n addresses agree with eu-addr2line ($full with whole inline chains)"
done
exit 0
