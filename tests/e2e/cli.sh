#!/usr/bin/env bash
# cli.sh - the command-line front end: dispatch, --help/--version, help COMMAND, unknown commands and options.
set -eu
. "$TOP_SRCDIR/tests/lib.sh"

"$HWPROF" --version >"$T/out"
grep -Eq '^hwprof [0-9]+\.[0-9]+\.[0-9]+$' "$T/out" || fail "--version printed: $(cat "$T/out")"

"$HWPROF" --help >"$T/out"
for c in record list help; do
    grep -Eq "^  $c " "$T/out" || fail "--help does not list the command $c"
done

"$HWPROF" help record >"$T/help1"
"$HWPROF" record --help >"$T/help2"
cmp -s "$T/help1" "$T/help2" || fail "'hwprof help record' differs from 'hwprof record --help'"
grep -q -- '--event' "$T/help1" || fail "record --help does not mention --event"

rc=0
"$HWPROF" recrod 2>"$T/err" || rc=$?
[ "$rc" -ne 0 ] || fail "an unknown command succeeded"
grep -q "Did you mean 'record'" "$T/err" || fail "no suggestion for 'recrod': $(cat "$T/err")"
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "the unknown-command error is not one line"

rc=0
"$HWPROF" record --evnt cycles -- true 2>"$T/err" || rc=$?
[ "$rc" -ne 0 ] || fail "an unknown option succeeded"
grep -q -- "did you mean '--event'" "$T/err" || fail "no suggestion for --evnt: $(cat "$T/err")"

rc=0
"$HWPROF" record -F abc -- true 2>"$T/err" || rc=$?
[ "$rc" -ne 0 ] || fail "-F abc succeeded"
grep -q "invalid value 'abc' for --freq" "$T/err" || fail "bad -F message: $(cat "$T/err")"

rc=0
"$HWPROF" record 2>"$T/err" || rc=$?
[ "$rc" -ne 0 ] || fail "record without a command succeeded"
grep -q "no command given" "$T/err" || fail "no-command message: $(cat "$T/err")"

rc=0
"$HWPROF" record -g lbr -- true 2>"$T/err" || rc=$?
[ "$rc" -ne 0 ] || fail "-g lbr was accepted"
grep -q "unsupported call-graph mode 'lbr'" "$T/err" || fail "-g lbr message: $(cat "$T/err")"

rc=0
"$HWPROF" record -m 3 -- true 2>"$T/err" || rc=$?
[ "$rc" -ne 0 ] || fail "--mmap-pages 3 (not a power of two) was accepted"
grep -q "power of two" "$T/err" || fail "--mmap-pages message: $(cat "$T/err")"

rc=0
"$HWPROF" 2>/dev/null || rc=$?
[ "$rc" -ne 0 ] || fail "hwprof without a command succeeded"

# A full stdout is an error, not silence.
if [ -w /dev/full ]; then
    rc=0
    "$HWPROF" --help >/dev/full 2>"$T/err" || rc=$?
    [ "$rc" -ne 0 ] || fail "writing --help to /dev/full succeeded"
    grep -q "write failure on standard output" "$T/err" || fail "/dev/full message: $(cat "$T/err")"
fi
exit 0
