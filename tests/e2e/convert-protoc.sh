#!/bin/bash
# convert-protoc.sh - e2e: hwprof convert's pprof decodes with protoc against profile.proto: string table, ids, sample types; -o - and the default names.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

PROTO=${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/profile.proto

require_perf_events
require_prog split
command -v protoc >/dev/null 2>&1 ||
    skip "protoc is not installed: it decodes the profiles (apt-get install protobuf-compiler)"
command -v gzip >/dev/null 2>&1 || skip "gzip is not installed (apt-get install gzip)"
[ -r "$PROTO" ] || fail "cannot read $PROTO (pprof's profile.proto, part of the source tree)"
case "$PROTO" in /*) ;; *) PROTO="$PWD/$PROTO" ;; esac
cd "$T"

# decode FILE OUT: protoc's text form of the uncompressed profile FILE into OUT; fails on an error.
decode()
{
    protoc --proto_path="$(dirname "$PROTO")" --decode=perftools.profiles.Profile "$PROTO" \
        <"$1" >"$2" 2>"$2.err" || {
        head -n 10 "$2.err" >&2
        fail "protoc --decode=perftools.profiles.Profile cannot decode $1"
    }
}

# magic FILE: the first two bytes of FILE in hex ("1f8b" for gzip).
magic()
{
    od -An -tx1 -N2 "$1" | tr -d ' \n'
}

run_hwprof rec record -e cpu-clock -o f.data -- "$PROGS/split"
expect_rc rec 0

# --- -o x.pb: uncompressed profile.proto ---
run_hwprof pb convert -i f.data -o x.pb
expect_rc pb 0
[ -s x.pb ] || fail "hwprof convert -o x.pb wrote no (or an empty) x.pb"
[ "$(magic x.pb)" != 1f8b ] || fail "x.pb is gzip'd; .pb asks for an uncompressed profile"
decode x.pb x.txt

# The string table: index 0 is "", then the names.
grep -E '^string_table: ' x.txt | sed 's/^string_table: //' >strings.txt
[ "$(head -1 strings.txt)" = '""' ] || fail "string_table[0] is $(head -1 strings.txt), expected \"\""
for s in samples count cpu nanoseconds main work_three work_one; do
    grep -qx "\"$s\"" strings.txt || fail "the string table lacks \"$s\""
done
[ "$(sort strings.txt | uniq -d | head -1)" = "" ] ||
    fail "the string table has duplicates: $(sort strings.txt | uniq -d | head -3 | tr '\n' ' ')"
# str ID: the string of index ID.
str()
{
    sed -n "$(($1 + 1))p" strings.txt
}

# The top-level messages, flattened: one line per message, "kind key:value key:value ...", with
# nested messages as "line{function_id:N line:N}" / "value_type{...}".
awk '
    /^ *[a-z_]+ \{$/ { depth++; if (depth == 1) rec = $1; else rec = rec " " $1 "{"; next }
    /^ *\}$/ { depth--; if (depth == 0) print rec; else rec = rec " }"; next }
    depth >= 1 { sub(/^ +/, ""); sub(/: /, ":"); rec = rec " " $0; next }
    { sub(/: /, ":"); print "top " $0 }
' x.txt >msgs.txt

# The sample types: samples/count first, then cpu/nanoseconds.
awk '$1 == "sample_type" { t = u = 0; for (i = 2; i <= NF; i++) { split($i, kv, ":")
        if (kv[1] == "type") t = kv[2]; if (kv[1] == "unit") u = kv[2] } print t, u }' msgs.txt >types.txt
ntypes=$(wc -l <types.txt)
[ "$ntypes" = 2 ] || fail "$ntypes sample types, expected 2 (samples, cpu-clock)"
read -r t u <types.txt
[ "$(str "$t")/$(str "$u")" = '"samples"/"count"' ] ||
    fail "the first sample type is $(str "$t")/$(str "$u"), expected samples/count"
read -r t u < <(sed -n 2p types.txt)
[ "$(str "$t")/$(str "$u")" = '"cpu"/"nanoseconds"' ] ||
    fail "the second sample type is $(str "$t")/$(str "$u"), expected cpu/nanoseconds"
dflt=$(awk '$1 == "top" && $2 ~ /^default_sample_type:/ { sub(/.*:/, "", $2); print $2 }' msgs.txt)
[ "$(str "${dflt:-0}")" = '"cpu"' ] || fail "default_sample_type is ${dflt:-0} ($(str "${dflt:-0}")), expected \"cpu\""
ptype=$(awk '$1 == "period_type" { for (i = 2; i <= NF; i++) if ($i ~ /^type:/) { sub(/.*:/, "", $i); print $i } }' msgs.txt)
[ "$(str "${ptype:-0}")" = '"cpu"' ] || fail "period_type's type is $(str "${ptype:-0}"), expected \"cpu\""
grep -Eq '^top period:[1-9]' msgs.txt || fail "no period > 0"
grep -Eq '^top time_nanos:[1-9]' msgs.txt || fail "no time_nanos"
grep -Eq '^top duration_nanos:[1-9]' msgs.txt || fail "no duration_nanos"

# Ids are index + 1; every reference points at an existing object (0 = none for mapping_id).
for kind in mapping location function; do
    awk -v k="$kind" '$1 == k { n++; id = 0; for (i = 2; i <= NF; i++) if ($i ~ /^id:/) { id = $i; sub(/^id:/, "", id) }
            if (id != n) { print k " number " n " has id " id; bad = 1; exit } }
        END { if (n == 0) { print "no " k; bad = 1 } exit bad }' msgs.txt >ids.txt || fail "$(cat ids.txt)"
done
nmap=$(grep -c '^mapping ' msgs.txt)
nloc=$(grep -c '^location ' msgs.txt)
nfun=$(grep -c '^function ' msgs.txt)
nstr=$(wc -l <strings.txt)
note "$nmap mappings, $nloc locations, $nfun functions, $nstr strings, $(grep -c '^sample ' msgs.txt) samples"
awk -v nm="$nmap" -v nl="$nloc" -v nf="$nfun" -v ns="$nstr" -v nt="$ntypes" '
    function bad(msg) { print msg; err = 1; exit 1 }
    {
        nv = 0
        for (i = 2; i <= NF; i++) {
            split($i, kv, ":"); k = kv[1]; v = kv[2]
            if ($1 == "sample" && k == "location_id" && (v < 1 || v > nl)) bad("sample location_id " v)
            if ($1 == "sample" && k == "value") nv++
            if ($1 == "location" && k == "mapping_id" && (v < 0 || v > nm)) bad("location mapping_id " v)
            if ($1 == "location" && k == "function_id" && (v < 1 || v > nf)) bad("line function_id " v)
            if (($1 == "function" || $1 == "mapping") && k ~ /^(name|system_name|filename|build_id)$/ &&
                (v < 0 || v >= ns)) bad($1 " " k " " v " outside the string table")
            if ($1 == "sample" && (k == "key" || k == "str") && (v < 0 || v >= ns)) bad("label " k " " v)
        }
        if ($1 == "sample" && nv != nt) bad("a sample with " nv " values, not " nt)
        if ($1 == "sample") ns_++
    }
    END { if (!err && ns_ == 0) bad("no samples"); exit err }' msgs.txt >refs.txt ||
    fail "a bad reference or sample: $(cat refs.txt)"

# The function names point at the strings.
wt=$(($(grep -nx '"work_three"' strings.txt | cut -d: -f1) - 1))
grep -Eq "^function .*name:$wt( |$)" msgs.txt || fail "no function named work_three (string $wt)"

# --- -o -: pprof on stdout, gzip'd; the same profile as x.pb ---
run_hwprof stdout convert -i f.data -o -
expect_rc stdout 0
[ "$(magic stdout.out)" = 1f8b ] || fail "convert -o - does not write a gzip'd profile (magic $(magic stdout.out))"
gzip -dc stdout.out >stdout.pb || fail "convert -o -: stdout is not valid gzip"
decode stdout.pb stdout.txt
cmp -s stdout.txt x.txt || {
    diff stdout.txt x.txt | head -n 10 >&2
    fail "convert -o - and -o x.pb decode to different profiles"
}
[ ! -e ./- ] || fail "convert -o - created a file named '-'"

# --- the defaults: input hwprof.data, output hwprof.pb.gz ---
mkdir d
cp -p f.data d/hwprof.data # -p: the same mtime (time_nanos may come from it)
(cd d && "$HWPROF" convert </dev/null >../deflt.out 2>../deflt.err) || {
    show deflt
    fail "hwprof convert (no arguments) in a directory with hwprof.data failed"
}
assert_only_files d hwprof.data hwprof.pb.gz
[ "$(magic d/hwprof.pb.gz)" = 1f8b ] || fail "the default output hwprof.pb.gz is not gzip'd"
gzip -dc d/hwprof.pb.gz >d.pb || fail "hwprof.pb.gz is not valid gzip"
decode d.pb d.txt
cmp -s d.txt x.txt || fail "hwprof convert with the defaults writes another profile than -i f.data -o x.pb"

# --- --format pprof overrides the name ---
run_hwprof fmt convert -i f.data -o y.folded --format pprof
expect_rc fmt 0
if [ "$(magic y.folded)" = 1f8b ]; then
    gzip -dc y.folded >y.pb || fail "--format pprof -o y.folded: bad gzip"
else
    cp y.folded y.pb
fi
decode y.pb y.txt
grep -qx 'string_table: "work_three"' y.txt || fail "--format pprof -o y.folded is no profile of split"
exit 0
