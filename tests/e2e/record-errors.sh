#!/bin/bash
# record-errors.sh - e2e: hwprof record's error paths and exit statuses (events, commands, pids, options).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"

require_perf_events
require_prog hot
cd "$T"
ulimit -c 0 2>/dev/null || true

# expect_msg NAME REGEX WHAT: fails unless hwprof's stderr matches the (case-insensitive) REGEX.
expect_msg()
{
    grep -Eiq -- "$2" "$1.err" || {
        show "$1"
        fail "$1: stderr does not mention $3"
    }
}

# expect_not_run NAME: fails if the hot workload ran (its checksum line is on stdout).
expect_not_run()
{
    if grep -q '^hot: checksum' "$1.out"; then
        fail "$1: the workload ran although hwprof should have failed first"
    fi
}

# --- unknown event, with a suggestion ---
mkdir o-ev
run_hwprof ev record -e cyclez -o o-ev/f.data -- "$PROGS/hot"
expect_rc_nonzero ev
expect_msg ev 'unknown event' "'unknown event'"
expect_msg ev 'cyclez' "the bad event name"
expect_msg ev '\<cycles\>' "the suggestion 'cycles'"
expect_not_run ev
assert_only_files o-ev

# --- missing commands: 127, "command not found", no file, no temp file ---
mkdir o-nf1 o-nf2
run_hwprof nf1 record -e cpu-clock -o o-nf1/f.data -- /nonexistent/prog
expect_rc nf1 127
expect_msg nf1 'command not found' "'command not found'"
assert_only_files o-nf1
run_hwprof nf2 record -e cpu-clock -o o-nf2/f.data -- no-such-cmd-xyz
expect_rc nf2 127
expect_msg nf2 'command not found' "'command not found'"
expect_msg nf2 'no-such-cmd-xyz' "the missing command's name"
assert_only_files o-nf2

# --- a pid that does not exist ---
mkdir o-pid
run_hwprof pid record -e cpu-clock -p 999999999 -d 1 -o o-pid/f.data
expect_rc_nonzero pid
expect_msg pid '999999999' "the pid"
assert_only_files o-pid

# --- bad frequencies ---
for f in 0 abc; do
    mkdir "o-freq-$f"
    run_hwprof "freq-$f" record -e cpu-clock -F "$f" -o "o-freq-$f/f.data" -- "$PROGS/hot"
    expect_rc_nonzero "freq-$f"
    [ -s "freq-$f.err" ] || fail "freq-$f: -F $f failed without a message"
    expect_not_run "freq-$f"
    assert_only_files "o-freq-$f"
done

# --- unwritable output directory: error before the workload runs ---
run_hwprof unw record -e cpu-clock -o /nonexistent/dir/f -- touch "$T/workload-ran"
expect_rc_nonzero unw
expect_msg unw '/nonexistent/dir' "the output path"
[ ! -e "$T/workload-ran" ] || fail "unw: the workload ran although the output cannot be written"

# --- the workload's exit status passes through; the file is still complete ---
# Both shells spin ~0.1 s first so that the file holds samples.
spin='i=0; while [ $i -lt 30000 ]; do i=$((i + 1)); done'
mkdir o-ex3 o-segv
run_hwprof ex3 record -e cpu-clock -o o-ex3/f.data -- sh -c "$spin; exit 3"
expect_rc ex3 3
assert_only_files o-ex3 f.data
assert_file_complete o-ex3/f.data
run_hwprof segv record -e cpu-clock -o o-segv/f.data -- sh -c "$spin; kill -SEGV \$\$"
expect_rc segv 139
assert_only_files o-segv f.data
assert_file_complete o-segv/f.data
note "exit 3 -> $(count_samples "$T/.complete.tsv") samples; SIGSEGV -> 139 with $NSAMPLES samples"
exit 0
