#!/bin/bash
# convert-errors.sh - e2e: hwprof convert's errors (format, output, input, sample index, options): one line, exit != 0, no output file left behind.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"

require_perf_events
require_prog split
cd "$T"
ulimit -c 0 2>/dev/null || true

# expect_error NAME REGEX WHAT: fails unless hwprof exited with an error status (1..125), without
# a sanitizer report, with exactly one line "hwprof: ..." on stderr matching the (case-insensitive)
# extended REGEX, and nothing on stdout.
expect_error()
{
    expect_no_sanitizer "$1"
    expect_rc_nonzero "$1"
    [ "$(wc -l <"$1.err")" = 1 ] || {
        show "$1"
        fail "$1: $(wc -l <"$1.err") lines on stderr, expected one error line"
    }
    grep -q '^hwprof: ' "$1.err" || {
        show "$1"
        fail "$1: the error does not start with 'hwprof: '"
    }
    grep -Eiq -- "$2" "$1.err" || {
        show "$1"
        fail "$1: the error does not mention $3"
    }
    [ ! -s "$1.out" ] || {
        show "$1"
        fail "$1: something on stdout"
    }
}

run_hwprof rec record -e cpu-clock -o f.data -- "$PROGS/split"
expect_rc rec 0

# --- unknown --format ---
mkdir o-fmt
run_hwprof fmt convert -i f.data --format xml -o o-fmt/x.pb.gz
expect_error fmt 'xml' "the bad format name"
grep -Eq 'pprof' fmt.err && grep -Eq 'folded' fmt.err || fail "the --format error does not list pprof and folded"
assert_only_files o-fmt

# --- an output name with no known format and no --format: pprof (or a clear error) ---
mkdir o-ext
run_hwprof ext convert -i f.data -o o-ext/x.unknown
expect_no_sanitizer ext
if [ "$RC" = 0 ]; then
    assert_only_files o-ext x.unknown
else
    expect_error ext 'format|x\.unknown' "the output name or --format"
    assert_only_files o-ext
fi

# --- unwritable outputs: a missing directory, a path through a file, a directory ---
run_hwprof nodir convert -i f.data -o nosuchdir/x.pb.gz
expect_error nodir 'nosuchdir' "the output path"
[ ! -e nosuchdir ] || fail "convert created nosuchdir"
run_hwprof notdir convert -i f.data -o f.data/x.pb.gz
expect_error notdir 'f\.data/x\.pb\.gz|f\.data' "the output path"
mkdir o-dir o-dir/x.pb.gz
run_hwprof isdir convert -i f.data -o o-dir/x.pb.gz
expect_error isdir 'x\.pb\.gz' "the output path"
[ -d o-dir/x.pb.gz ] || fail "convert replaced the directory o-dir/x.pb.gz"
assert_only_files o-dir x.pb.gz
[ -z "$(ls -A o-dir/x.pb.gz)" ] || fail "convert wrote into the directory o-dir/x.pb.gz"
# A read-only directory (unless root, who may write anyway).
if [ "$(id -u)" != 0 ]; then
    mkdir o-ro
    chmod 555 o-ro
    run_hwprof ro convert -i f.data -o o-ro/x.pb.gz
    chmod 755 o-ro
    expect_error ro 'o-ro' "the output path"
    assert_only_files o-ro
fi
# A full stdout: a write error, not success.
if [ -w /dev/full ]; then
    for f in pprof folded; do
        "$HWPROF" convert -i f.data --format "$f" -o - </dev/null >/dev/full 2>"full-$f.err" && RC=0 || RC=$?
        : >"full-$f.out"
        expect_error "full-$f" 'space|write|stdout' "the failed write"
    done
fi

# --- bad inputs: missing, empty, garbage, truncated header, a directory ---
mkdir o-in
: >empty.data
head -c 4096 /dev/urandom >garbage.data
printf 'PERFILE2' >short.data
for case in "missing:nosuch.data" "empty:empty.data" "garbage:garbage.data" "short:short.data" "dir:o-in"; do
    name=${case%%:*}
    in=${case#*:}
    run_hwprof "in-$name" convert -i "$in" -o o-in/x.pb.gz
    expect_error "in-$name" "$(printf '%s' "$in" | sed 's/\./\\./g')" "the input file $in"
    assert_only_files o-in
    # The folded writer too.
    run_hwprof "inf-$name" convert -i "$in" -o o-in/x.folded
    expect_error "inf-$name" "$(printf '%s' "$in" | sed 's/\./\\./g')" "the input file $in"
    assert_only_files o-in
done
# No input at all: the default hwprof.data does not exist here.
mkdir o-def
(cd o-def && "$HWPROF" convert </dev/null >../def.out 2>../def.err) && RC=0 || RC=$?
expect_error def 'hwprof\.data' "the default input hwprof.data"
assert_only_files o-def

# --- unknown --sample-index, bad regexes, unknown options ---
mkdir o-opt
run_hwprof si convert -i f.data --format folded --sample-index nosuchevent -o o-opt/x.folded
expect_error si 'nosuchevent' "the bad sample index"
run_hwprof re convert -i f.data --focus '(' -o o-opt/x.pb.gz
expect_error re 'focus|\(' "the bad --focus regex"
run_hwprof ire convert -i f.data --ignore '[' -o o-opt/x.pb.gz
expect_error ire 'ignore|\[' "the bad --ignore regex"
run_hwprof pid convert -i f.data --pid abc -o o-opt/x.pb.gz
expect_error pid 'abc' "the bad pid"
run_hwprof opt convert -i f.data --no-such-option -o o-opt/x.pb.gz
expect_error opt 'no-such-option' "the unknown option"
run_hwprof arg convert -i f.data -o o-opt/x.pb.gz extra-arg
expect_error arg 'extra-arg' "the unexpected argument"
run_hwprof noval convert -i f.data -o
expect_error noval '(-o|output)' "the option missing its value"
assert_only_files o-opt

# --- the success path leaves exactly its output ---
mkdir o-ok
run_hwprof ok convert -i f.data -o o-ok/x.pb.gz
expect_rc ok 0
assert_only_files o-ok x.pb.gz
exit 0
