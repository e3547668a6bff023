#!/bin/bash
# wall-pipe.sh - e2e: record --wall of a reader blocked in read(2) on a pipe a forked child feeds slowly: the reader's off-cpu is in pipe_reader's read, blocked; the feeder's sleeps show too.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/wall-lib.sh"

require_perf_events
require_prog wall-pipe
cd "$T"

# The feeder writes 30 bytes, one every 20 ms: the reader waits about 0.6 s.
wall_record rec p.data wall-pipe
read -r reader feeder elapsed < <(sed -n \
    's/^wall-pipe: reader \([0-9]*\) read 30 bytes from feeder \([0-9]*\), elapsed_ns \([0-9]*\)$/\1 \2 \3/p' rec.out)
[ -n "${elapsed:-}" ] || {
    show rec
    fail "the workload did not run to completion"
}
# Reader and feeder measure their pipe_reader and pipe_feeder calls.
load_truth rec.out
need_truth pipe_reader.wall_ns pipe_reader.cpu_ns pipe_feeder.wall_ns pipe_feeder.cpu_ns
clock_period p.data

# --- the reader (its main thread): off-CPU in pipe_reader -> read -> the kernel's pipe read ---
wall_folded ro p.data off-cpu --tid "$reader"
o=$(folded_sum ro.folded)
rd=$(folded_sum_re ro.folded ";pipe_reader;$(fn_re read)(;[^;]*)*;(__)?schedule;")
note "reader $reader: off-cpu $(ms "$o"), pipe_reader;read;...;schedule $(ms "$rd"); the workload ran $(ms "$elapsed")"
assert_ge "reader: share of pipe_reader;read;...;schedule in its off-cpu time" "$(ratio "$rd" "$o")" 0.6
pr=$(folded_sum_re ro.folded ";main;pipe_reader;$(fn_re read);.*pipe_read;")
assert_ge "reader: share of main;pipe_reader;read;...;*pipe_read (the kernel's pipe read)" \
    "$(ratio "$pr" "$rd")" 0.8
expect_wall "reader: off-cpu in pipe_reader;read;...;schedule" "$rd" \
    "$(($(truth pipe_reader.wall_ns) - $(truth pipe_reader.cpu_ns)))" "$(truth pipe_reader.cpu_ns)" 1
run_report rr -i p.data --stdio -n 0 --sample-index off-cpu --tid "$reader"
# (With a filter, the report's percentages are of the whole recording: compare the values.)
note "reader: report's pipe_reader cum $(ms "$(row_field rr.tsv pipe_reader 4)")"
assert_ge "reader: report's pipe_reader cum / the reader's off-cpu time" "$(ratio "$(row_field rr.tsv pipe_reader 4)" "$o")" 0.6

# --- the feeder: a child process of the same comm, asleep between its writes ---
wall_folded fo p.data off-cpu --pid "$feeder"
fs=$(folded_sum_re fo.folded ";pipe_feeder;")
note "feeder $feeder: off-cpu $(ms "$(folded_sum fo.folded)"), in pipe_feeder $(ms "$fs")"
assert_ge "feeder: share of pipe_feeder in its off-cpu time" "$(ratio "$fs" "$(folded_sum fo.folded)")" 0.6
# 30 sleeps of 20 ms, and the waits for a CPU after them.
expect_wall "feeder: off-cpu in pipe_feeder" "$fs" \
    "$(($(truth pipe_feeder.wall_ns) - $(truth pipe_feeder.cpu_ns)))" "$(truth pipe_feeder.cpu_ns)" 1
grep -q '^wall-pipe;' fo.folded || fail "feeder: its stacks do not have the comm wall-pipe"

# --- the state label: the reader's waits are blocked (voluntary) ---
if have_pprof; then
    run_hwprof pb convert -i p.data -o p.pb.gz --tid "$reader"
    expect_rc pb 0
    go tool pprof -tags -sample_index=off-cpu -focus '^pipe_reader$' p.pb.gz >tags.out 2>tags.err || {
        show tags
        fail "go tool pprof -tags -sample_index=off-cpu -focus pipe_reader failed"
    }
    blocked=$(tag_pct tags.out state blocked)
    note "pprof: reader's off-cpu in pipe_reader: $blocked% blocked"
    assert_ge "blocked share of the reader's off-cpu time in pipe_reader (%)" "$blocked" 90
else
    note "go tool pprof does not run here: the state label is not checked"
fi
exit 0
