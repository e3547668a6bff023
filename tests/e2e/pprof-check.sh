#!/bin/bash
# pprof-check.sh - reads test-pprof's profile (plain and gzip'd) with outside decoders: protoc with tests/profile.proto, and go tool pprof -top/-raw/-tags/-comments.
#
# Environment (set by `make check`): TOP_BUILDDIR (for tests/unit/test-pprof, whose --write DIR
# mode leaves DIR/test.pb and DIR/test.pb.gz), TOP_SRCDIR (for tests/profile.proto). The profile
# is test-pprof's build(): samples hot;caller_a;main x3, libc_write;main x2, [unknown], main x2
# (cpu 1 ms each), page-faults 0, -5, 7, 0, 4. go tool pprof runs offline with its caches in the
# temp dir. Skips when neither protoc nor go is installed.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

TPP="${TOP_BUILDDIR:-.}/tests/unit/test-pprof"
[ -x "$TPP" ] || fail "$TPP is missing: build it with 'make check'"
PROTO_DIR="${TOP_SRCDIR:-$(dirname "$0")/../..}/tests"
PROTO_DIR=$(cd "$PROTO_DIR" && pwd)
[ -f "$PROTO_DIR/profile.proto" ] || fail "$PROTO_DIR/profile.proto is missing"
cd "$T"
"$TPP" --write "$T" || fail "test-pprof --write $T failed"
[ -s test.pb ] && [ -s test.pb.gz ] || fail "test-pprof --write left no test.pb/test.pb.gz"

checked=""

# ---- protoc: the plain output is a valid perftools.profiles.Profile ----
if command -v protoc >/dev/null 2>&1; then
    protoc --decode=perftools.profiles.Profile -I"$PROTO_DIR" "$PROTO_DIR/profile.proto" \
        <test.pb >decoded.txt 2>protoc.err || fail "protoc cannot decode test.pb: $(head -1 protoc.err)"
    for s in "" hot caller_a main libc_write __libc_write "[unknown]" /src/prog.c /bin/prog 0123abcd \
        /lib/libc.so.6 samples count cpu nanoseconds page-faults thread_id pid thread_name comm prog \
        worker swapper "hwprof record -- ./prog" "lost samples: 3"; do
        grep -qxF "string_table: \"$s\"" decoded.txt || fail "protoc: no string \"$s\" in the table"
    done
    [ "$(grep -c '^string_table: ""$' decoded.txt)" = 1 ] || fail "protoc: \"\" is in the table more than once"
    head -1 decoded.txt | grep -qx 'sample_type {' || fail "protoc: the profile does not start with sample_type"
    [ "$(grep -c '^sample {' decoded.txt)" = 5 ] || fail "protoc: expected 5 samples"
    [ "$(grep -c '^location {' decoded.txt)" = 4 ] || fail "protoc: expected 4 locations"
    [ "$(grep -c '^function {' decoded.txt)" = 5 ] || fail "protoc: expected 5 functions"
    [ "$(grep -c '^mapping {' decoded.txt)" = 2 ] || fail "protoc: expected 2 mappings"
    [ "$(grep -c '^comment: ' decoded.txt)" = 4 ] || fail "protoc: expected 4 comments"
    grep -qx '  value: -5' decoded.txt || fail "protoc: the negative value -5 is missing"
    grep -qx 'time_nanos: 1700000000123456789' decoded.txt || fail "protoc: wrong time_nanos"
    grep -qx 'duration_nanos: 2500000000' decoded.txt || fail "protoc: wrong duration_nanos"
    grep -qx 'period: 1000000' decoded.txt || fail "protoc: wrong period"
    grep -qx '  has_inline_frames: true' decoded.txt || fail "protoc: no mapping has_inline_frames"
    checked="$checked protoc"
else
    note "protoc is missing (apt-get install protobuf-compiler): protoc check skipped"
fi

# ---- go tool pprof: the gzip'd output reads as the profile it should be ----
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS='' HOME="$T" GOCACHE="$T/gocache"
if command -v go >/dev/null 2>&1 && go tool pprof -h >/dev/null 2>&1; then
    pp()
    {
        go tool pprof "$@" 2>pprof.err || fail "go tool pprof $* failed: $(head -1 pprof.err)"
    }
    # row FILE NAME: prints "flat cum" of NAME's -top row (name without " (inline)").
    row()
    {
        awk -v want="$2" '
            $2 ~ /%$/ && $5 ~ /%$/ {
                name = $6
                for (i = 7; i <= NF; i++) name = name " " $i
                sub(/ \(inline\)$/, "", name)
                if (name == want) { print $1, $4; found = 1 }
            }
            END { if (!found) print "missing" }
        ' "$1"
    }
    expect_row()
    {
        local got
        got=$(row "$1" "$2")
        [ "$got" = "$3" ] || fail "go tool pprof $1: $2 is '$got', expected '$3' (flat cum)"
    }
    pp -top test.pb.gz >top.txt
    grep -q '^Type: cpu$' top.txt || fail "go tool pprof -top: the default type is not cpu"
    grep -q 'Total samples = 8ms' top.txt || fail "go tool pprof -top: the total is not 8ms"
    expect_row top.txt hot "3ms 3ms"
    expect_row top.txt libc_write "2ms 2ms"
    expect_row top.txt main "2ms 7ms"
    expect_row top.txt "[unknown]" "1ms 1ms"
    expect_row top.txt caller_a "0 3ms"
    grep -q 'hot (inline)' top.txt || fail "go tool pprof -top: hot is not shown as inlined"

    pp -top -sample_index=page-faults test.pb.gz >pf.txt
    expect_row pf.txt "[unknown]" "7 7"
    expect_row pf.txt libc_write "-1 -1"

    pp -top -sample_index=samples test.pb.gz >n.txt
    expect_row n.txt hot "3 3"
    expect_row n.txt main "2 7"

    # -raw: the inline chain (hot, then its caller caller_a), mappings with their flags, labels
    pp -raw test.pb.gz >raw.txt
    grep -A1 -E '^ +[0-9]+: 0x400200 M=1 hot /src/prog.c:41 ' raw.txt | tail -1 |
        grep -qE '^ +caller_a /src/prog.c:12 ' || fail "go tool pprof -raw: no inline chain hot <- caller_a"
    grep -qF '0x400000/0x401000/0x0 /bin/prog 0123abcd [FN][FL][LN][IN]' raw.txt ||
        fail "go tool pprof -raw: the main mapping is wrong"
    grep -qF '/lib/libc.so.6' raw.txt || fail "go tool pprof -raw: no libc mapping"
    grep -qF 'thread_id:[101]' raw.txt || fail "go tool pprof -raw: no thread_id label"
    grep -qF 'comm:[worker]' raw.txt || fail "go tool pprof -raw: no comm label"
    grep -qF 'cpu:[0 cpu]' raw.txt || fail "go tool pprof -raw: the cpu 0 label was dropped"
    grep -qE '^PeriodType: cpu nanoseconds$' raw.txt || fail "go tool pprof -raw: wrong period type"

    pp -tags test.pb.gz >tags.txt
    grep -qE '^ *cpu: Total 7\.0ms$' tags.txt || fail "go tool pprof -tags: the cpu label does not cover 7ms"

    pp -comments test.pb.gz >comments.txt
    [ "$(cat comments.txt)" = "hwprof record -- ./prog
host: testhost
hwprof 0.1
lost samples: 3" ] || fail "go tool pprof -comments: unexpected comments: $(tr '\n' '|' <comments.txt)"
    checked="$checked go-tool-pprof"
else
    note "go is missing (apt-get install golang-go): go tool pprof check skipped"
fi

[ -n "$checked" ] || skip "neither protoc nor go tool pprof is installed"
echo "pprof-check: ok ($checked )"
