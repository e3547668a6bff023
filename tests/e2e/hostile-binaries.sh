#!/bin/bash
# hostile-binaries.sh - e2e: report and convert when the recorded binary is deleted, stripped, has corrupt debug info, is truncated or is text: exit 0, one warning, no wrong names.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"

require_perf_events
require_prog split
command -v readelf >/dev/null 2>&1 || skip "readelf is not installed (apt-get install binutils)"
command -v strip >/dev/null 2>&1 || skip "strip is not installed (apt-get install binutils)"
command -v python3 >/dev/null 2>&1 || skip "python3 is not installed (it corrupts the debug info)"
cd "$T"
ulimit -c 0 2>/dev/null || true
# perf's build-id cache (~/.debug) would hold the deleted binary: use an empty one
export HOME="$T"

mkdir bin
cp "$PROGS/split" bin/split.orig
cp bin/split.orig bin/split
# -N: no copy in the build-id cache, or report would find the binaries there whatever is done to them
run_hwprof rec record -N -e cpu-clock -o f.data -- "$T/bin/split"
expect_rc rec 0

# The reference: the intact binary.
run_report intact -i f.data --stdio -n 0
run_report intact-lines -i f.data --stdio -n 0 --lines
has_row intact.tsv work_three && has_row intact.tsv work_one || {
    show intact
    fail "the recording of the copy does not show work_three and work_one"
}
readelf -S --wide bin/split.orig | grep -q '\.debug_info' ||
    fail "$PROGS/split has no .debug_info: build the workloads with -g"

# build_id FILE: the GNU build id of FILE in hex.
build_id()
{
    readelf -n "$1" 2>/dev/null | awk '/Build ID:/ { print $3; exit }'
}

# check_warnings NAME MAX: every stderr line starts with "hwprof: ", no line repeats, and at most
# MAX lines name the binary.
check_warnings()
{
    local n
    if grep -qv '^hwprof: ' "$T/$1.err"; then
        show "$1"
        fail "$1: stderr has lines that do not start with 'hwprof: '"
    fi
    if [ -n "$(sort "$T/$1.err" | uniq -d)" ]; then
        show "$1"
        fail "$1: a warning is printed more than once"
    fi
    n=$(grep -c 'bin/split' "$T/$1.err" || true)
    [ "$n" -le "$2" ] || {
        show "$1"
        fail "$1: $n warnings name bin/split, expected at most $2"
    }
}

# check_names NAME INTACT: every row of $T/NAME.tsv is a placeholder "split+0x..." or a row of the
# intact report INTACT.tsv with the same flat (a name moved to other addresses would show other
# values) and at most its cum (callers reached only by unwinding through split's call frame
# information are lost with it), and the sample count is the intact one's.
check_names()
{
    awk -F '\t' '
        NR == FNR { flat[$6] = $1; cum[$6] = $4; next }
        $6 ~ /^split\+0x[0-9a-f]+$/ { next }
        !($6 in flat) { print "unknown name: " $6; bad = 1; next }
        flat[$6] != $1 || $4 > cum[$6] {
            print $6 ": flat " $1 " cum " $4 ", intact: flat " flat[$6] " cum " cum[$6]; bad = 1
        }
        END { exit bad }' "$T/$2.tsv" "$T/$1.tsv" >"$T/$1.names" || {
        cat "$T/$1.names" >&2
        show "$1"
        fail "$1: names that the intact binary does not give these samples (see above)"
    }
    [ "$(report_header "$T/$1.out" Samples)" = "$(report_header "$T/intact.out" Samples)" ] ||
        fail "$1: $(report_header "$T/$1.out" Samples) samples, the intact report has $(report_header "$T/intact.out" Samples)"
}

# check_variant NAME MAXWARN: report (plain and --lines) and convert with the current bin/split:
# exit 0, no sanitizer report, at most MAXWARN warnings naming it, names right or placeholders.
# Sets PH to the flat% of placeholder rows.
check_variant()
{
    local name=$1 max=$2
    run_report "$name" -i f.data --stdio -n 0
    check_table "$name.tsv"
    check_warnings "$name" "$max"
    check_names "$name" intact
    run_report "$name-lines" -i f.data --stdio -n 0 --lines
    check_warnings "$name-lines" "$max"
    # With --lines a row is "function file:line": the functions must be right or placeholders.
    awk -F '\t' 'NR == FNR { sub(/ [^ ]*:[0-9]+$/, "", $6); ok[$6] = 1; next }
        { sub(/ [^ ]*:[0-9]+$/, "", $6) }
        !($6 ~ /^split\+0x[0-9a-f]+$/ || $6 in ok) { print "unknown name: " $6; bad = 1 }
        END { exit bad }' intact-lines.tsv "$name-lines.tsv" >"$name-lines.names" || {
        cat "$name-lines.names" >&2
        fail "$name-lines: names that the intact binary does not have (see above)"
    }
    mkdir "out-$name"
    run_hwprof "$name-convert" convert -i f.data -o "$T/out-$name/o.pb.gz"
    expect_no_sanitizer "$name-convert"
    expect_rc "$name-convert" 0
    check_warnings "$name-convert" "$max"
    assert_only_files "out-$name" o.pb.gz
    gzip -t "out-$name/o.pb.gz" || fail "$name-convert: the pprof file is not valid gzip"
    PH=$(sum_where "$name.tsv" 2 '$6 ~ /^split\+0x[0-9a-f]+$/')
    note "$name: placeholders $PH%, work_three $(row_field "$name.tsv" work_three 2)%," \
        "stderr: $(tr '\n' ' ' <"$name.err")"
}

# (a) The binary deleted: one warning naming it, its frames as split+0x...
rm bin/split
check_variant deleted 1
[ "$(grep -c 'bin/split' deleted.err || true)" = 1 ] || {
    show deleted
    fail "deleted: no warning names the deleted binary"
}
assert_ge "deleted: flat% of split+0x... rows" "$PH" 90

# (b) A stripped copy (same build id): names from the dynamic symbol table or placeholders, never
# another function's name for work_three's samples (check_names).
strip --strip-all -o bin/split bin/split.orig
[ "$(build_id bin/split)" = "$(build_id bin/split.orig)" ] || fail "strip changed the build id"
check_variant stripped 1

# (c) Corrupt debug info, build id intact: right names (from .symtab) or placeholders.
# corrupt HOW: bin/split = bin/split.orig with .debug_info and .debug_line damaged: "junk" fills
# the middle half of each with random bytes, "ones" fills both whole with 0xff, "header" scrambles
# the first 16 bytes of each (unit lengths, versions, offsets).
corrupt()
{
    readelf -S --wide bin/split.orig >sections.txt
    python3 - "$1" <<'EOF' || fail "corrupting the debug info failed"
import random, re, sys
how = sys.argv[1]
secs = {}
for line in open("sections.txt"):
    m = re.search(r"\]\s+(\S+)\s+\S+\s+[0-9a-f]+\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
    if m:
        secs[m.group(1)] = (int(m.group(2), 16), int(m.group(3), 16))
d = bytearray(open("bin/split.orig", "rb").read())
rng = random.Random(7)
for name in (".debug_info", ".debug_line"):
    off, size = secs[name]
    if size < 64:
        sys.exit("%s is only %d bytes" % (name, size))
    if how == "junk":
        span = range(off + size // 4, off + size // 4 + size // 2)
    elif how == "ones":
        span = range(off, off + size)
    else:
        span = range(off, off + 16)
    for i in span:
        d[i] = 0xFF if how == "ones" else rng.randrange(256)
open("bin/split", "wb").write(d)
EOF
    cmp -s bin/split bin/split.orig && fail "corrupt $1 did not change the binary"
    [ "$(build_id bin/split)" = "$(build_id bin/split.orig)" ] ||
        fail "corrupt $1 changed the build id"
}
for how in junk ones header; do
    corrupt "$how"
    check_variant "debug-$how" 1
done

# (d) The binary truncated to half its size.
head -c $(($(stat -c %s bin/split.orig) / 2)) bin/split.orig >bin/split
check_variant half 1

# (e) The binary replaced by a text file.
printf 'this is not an ELF file\n' >bin/split
check_variant text 1
assert_ge "text: flat% of split+0x... rows" "$PH" 90
exit 0
