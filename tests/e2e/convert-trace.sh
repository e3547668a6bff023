#!/bin/bash
# convert-trace.sh - e2e: hwprof convert -o x.trace.json: Chrome trace-event JSON with a named track per thread, on-CPU stacks in time order, and the half-spinning, half-sleeping thread's sleeps as off-CPU slices that add up to what the program measured, on that thread only.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/wall-lib.sh"

require_perf_events
require_prog phases flame
cd "$T"

# trace_summary FILE: checks the trace's structure (every B closed by an E of the same name on
# the same thread, properly nested, time never going back on a thread) and prints, one line
# each, tab-separated:
#   meta PID TID process_name|thread_name NAME
#   slice PID TID CAT NAME TOTAL_US COUNT       (the slices of each name, summed)
#   span PID TID FIRST_US LAST_US               (each thread's first and last timestamp)
trace_summary()
{
    python3 - "$1" <<'PY'
import collections, json, sys
doc = json.load(open(sys.argv[1]))
events = doc["traceEvents"]
assert isinstance(events, list) and events, "no traceEvents"
open_, last, tot, cnt, span = {}, {}, collections.Counter(), collections.Counter(), {}
for e in events:
    ph, k = e["ph"], (e["pid"], e["tid"])
    if ph == "M":
        print("meta\t%d\t%d\t%s\t%s" % (k[0], k[1], e["name"], e["args"]["name"]))
        continue
    assert ph in ("B", "E"), "unexpected phase %r" % ph
    ts = float(e["ts"])
    assert ts >= last.get(k, 0), "time goes back on thread %s at %s" % (k, ts)
    last[k] = ts
    lo, hi = span.get(k, (ts, ts))
    span[k] = (min(lo, ts), max(hi, ts))
    st = open_.setdefault(k, [])
    if ph == "B":
        st.append(e)
    else:
        assert st, "E without B on %s at %s" % (k, ts)
        b = st.pop()
        assert b["name"] == e["name"], "E %r closes B %r" % (e["name"], b["name"])
        tot[(k, b["cat"], b["name"])] += ts - float(b["ts"])
        cnt[(k, b["cat"], b["name"])] += 1
for k, st in open_.items():
    assert not st, "unclosed slices on %s: %s" % (k, st[-1]["name"])
for (k, cat, name), v in sorted(tot.items()):
    print("slice\t%d\t%d\t%s\t%s\t%.3f\t%d" % (k[0], k[1], cat, name, v, cnt[(k, cat, name)]))
for k, (lo, hi) in sorted(span.items()):
    print("span\t%d\t%d\t%.3f\t%.3f" % (k[0], k[1], lo, hi))
PY
}

# slice_sum TSV TID CAT NAME-ERE: the total microseconds of the matching slices of thread TID.
slice_sum()
{
    awk -F '\t' -v tid="$2" -v cat="$3" -v re="$4" '$1 == "slice" && $3 == tid && $4 == cat && $5 ~ re { s += $6 }
        END { printf "%.3f\n", s }' "$1"
}

# --- a --wall recording: the worker spins and naps 40 x 10 ms; main waits in pthread_join ---
wall_record rec p.data phases 0.010 0.010 40
read -r pid tid spin nap wall < <(awk '/^phases: / { for (i = 1; i < NF; i++) v[$i] = $(i + 1);
    print v["pid"], v["tid"], v["spin_ns"], v["nap_ns"], v["wall_ns"] }' rec.out)
[ -n "${wall:-}" ] || fail "the workload printed no timings: $(cat rec.out)"
run_hwprof tr convert -i p.data -o p.trace.json
expect_no_sanitizer tr
expect_rc tr 0
trace_summary p.trace.json >p.tsv 2>p.err || fail "p.trace.json is not a well-formed trace: $(tail -1 p.err)"

# a track per thread, named and grouped by process
grep -q "^meta	$pid	$pid	process_name	phases$" p.tsv || fail "no process_name 'phases' for pid $pid"
grep -q "^meta	$pid	$tid	thread_name	worker$" p.tsv || fail "no thread_name 'worker' for tid $tid"
grep -q "^meta	$pid	$pid	thread_name	phases$" p.tsv || fail "no thread_name 'phases' for the main thread"

# the naps are off-CPU slices named by their state and the function that waited, on the worker
blocked=$(slice_sum p.tsv "$tid" off-cpu '^blocked: nap$')
offcpu=$(slice_sum p.tsv "$tid" off-cpu '.')
note "worker: blocked in nap ${blocked} us (program: $((${nap%.*} / 1000)) us), off-CPU ${offcpu} us of ${wall%.*} ns"
# Each of the 40 intervals runs from the switch-out to the switch-in, the program's own clock
# reads bracket them with microseconds to spare: allow 5% and 0.5 ms per nap.
assert_between "the worker's 'blocked: nap' time / the program's nap time" \
    "$(ratio "$blocked" "$(awk -v n="$nap" 'BEGIN { print n / 1000 }')")" \
    "$(awk -v n="$nap" 'BEGIN { print 0.95 - 40 * 500 / (n / 1000) }')" \
    "$(awk -v n="$nap" 'BEGIN { print 1.05 + 40 * 500 / (n / 1000) }')"
# about half of its wall time: the blocked share is the program's nap share (the rest of the
# off-CPU time is 'preempted': runnable while the machine is busy)
assert_between "the worker's blocked share of its wall time, less the program's nap share" \
    "$(awk -v b="$blocked" -v n="$nap" -v w="$wall" 'BEGIN { printf "%.3f", b * 1000 / w - n / w }')" -0.05 0.05
assert_between "the worker's off-CPU time / its blocked time" "$(ratio "$offcpu" "$blocked")" 1 \
    "$(awk -v b="$blocked" -v w="$wall" 'BEGIN { print w / 1000 / b }')"
awk -F '\t' -v tid="$tid" '$1 == "slice" && $3 == tid && $4 == "off-cpu" && $5 !~ /^(blocked|preempted): / { bad = $5 }
    END { if (bad != "") { print bad; exit 1 } }' p.tsv >bad.txt || fail "an off-CPU slice not named by its state: $(cat bad.txt)"
# on the right thread: main never napped (it waited in pthread_join, 'blocked: main')
[ "$(slice_sum p.tsv "$pid" off-cpu 'nap')" = 0.000 ] || fail "nap slices on the main thread $pid"
assert_ge "main's blocked time (us) / the worker's wall time" \
    "$(ratio "$(slice_sum p.tsv "$pid" off-cpu '^blocked: main$')" "$(awk -v w="$wall" 'BEGIN { print w / 1000 }')")" 0.9
# the spins are on-CPU stacks on the worker: a slice per sample, its period long unless the
# thread left the CPU sooner, so together at most the CPU time report gives spin, and most of it
run_report cpu -i p.data --stdio -n 0 --sample-index cpu --tid "$tid"
spin_cpu=$(awk -v c="$(row_field cpu.tsv spin 4)" 'BEGIN { print c / 1000 }')
assert_between "the worker's on-CPU slices in spin / report's cpu time of spin" \
    "$(ratio "$(slice_sum p.tsv "$tid" cpu '^spin$')" "$spin_cpu")" 0.5 1.001
[ "$(slice_sum p.tsv "$pid" cpu '^spin$')" = 0.000 ] || fail "spin slices on the main thread"

# --- a cpu-clock recording: on-CPU slices only, their total the CPU time of the samples ---
run_hwprof rec2 record -e cpu-clock -o f.data -- "$PROGS/flame" 0.5
expect_rc rec2 0
run_report rep -i f.data --stdio -n 0
run_hwprof tr2 convert -i f.data -o f.trace.json
expect_rc tr2 0
trace_summary f.trace.json >f.tsv 2>f.err || fail "f.trace.json is not a well-formed trace: $(tail -1 f.err)"
! grep -q '	off-cpu	' f.tsv || fail "a cpu-clock recording has off-CPU slices"
fpid=$(awk -F '\t' '$1 == "meta" && $4 == "process_name" { print $2; exit }' f.tsv)
big=$(slice_sum f.tsv "$fpid" cpu '^work_big$')
assert_between "work_big's slices (us) / report's work_big cum (us)" \
    "$(ratio "$big" "$(awk -v c="$(row_field rep.tsv work_big 4)" 'BEGIN { print c / 1000 }')")" 0.95 1.001

# --- --format trace writes the same to any name ---
run_hwprof fmt convert -i p.data --format trace -o x.out
expect_rc fmt 0
cmp -s x.out p.trace.json || fail "--format trace differs from the .trace.json output"
