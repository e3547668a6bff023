#!/bin/bash
# wall-pprof.sh - e2e: a --wall recording as pprof: sample types samples/wall/cpu/off-cpu (wall the default), a state label on every sample, protoc decodes it; perf report and perf script read the recording.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/pprof-lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/wall-lib.sh"

PROTO=${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/profile.proto
case "$PROTO" in /*) ;; *) PROTO="$PWD/$PROTO" ;; esac

require_perf_events
require_prog wall-sleep
require_pprof
command -v protoc >/dev/null 2>&1 ||
    skip "protoc is not installed: it decodes the profiles (apt-get install protobuf-compiler)"
[ -r "$PROTO" ] || fail "cannot read $PROTO (pprof's profile.proto, part of the source tree)"
cd "$T"

wall_record rec s.data wall-sleep
# wall-sleep measures the wall and CPU time of its busy_work and sleep_work calls.
load_truth rec.out
need_truth busy_work.wall_ns busy_work.cpu_ns sleep_work.wall_ns sleep_work.cpu_ns sleep_work.calls main.cpu_ns
clock_period s.data
run_hwprof conv convert -i s.data -o s.pb.gz
expect_no_sanitizer conv
expect_rc conv 0
[ -s s.pb.gz ] || fail "convert -o s.pb.gz wrote no (or an empty) s.pb.gz"

# --- -raw: exactly these sample types, wall the default ---
pprof raw -raw s.pb.gz
types=$(awk '/^Samples:$/ { getline; print; exit }' raw.out | sed 's/^ *//; s/ *$//; s/  */ /g')
note "sample types: $types"
[ "$types" = "samples/count wall/nanoseconds[dflt] cpu/nanoseconds off-cpu/nanoseconds" ] || {
    show raw
    fail "the sample types are '$types', expected 'samples/count wall/nanoseconds[dflt] cpu/nanoseconds off-cpu/nanoseconds'"
}
# Every sample: "count wall cpu off-cpu: locations", then its labels. A state label on each, with
# wall = cpu + off-cpu; on-cpu samples have no off-cpu time, blocked and preempted ones no cpu time.
awk '
    function done() {
        if (!have) return
        if (state == "") { print "a sample without a state label: " vals; bad = 1 }
        else if (state == "on-cpu" && (o != 0 || c <= 0)) { print "on-cpu sample with cpu " c ", off-cpu " o; bad = 1 }
        else if ((state == "blocked" || state == "preempted") && (c != 0 || o <= 0)) {
            print state " sample with cpu " c ", off-cpu " o; bad = 1
        } else if (state != "on-cpu" && state != "blocked" && state != "preempted") {
            print "unknown state " state; bad = 1
        }
        if (w != c + o) { print "wall " w " != cpu " c " + off-cpu " o; bad = 1 }
        n[state]++
        have = 0
    }
    /^Samples:$/ { in_s = 1; getline; next }
    in_s && /^[A-Z][a-z]+:?$/ { done(); in_s = 0 }
    !in_s { next }
    /^ *[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+:/ {
        done()
        vals = $0; have = 1; state = ""
        w = $2; c = $3; o = $4; sub(/:.*/, "", o)
        nsamp++
        next
    }
    /state:\[/ { s = $0; sub(/.*state:\[/, "", s); sub(/\].*/, "", s); state = s }
    END {
        done()
        if (!bad) printf "%d samples: %d on-cpu, %d blocked, %d preempted\n", nsamp, n["on-cpu"], n["blocked"], n["preempted"]
        exit bad || nsamp == 0
    }' raw.out >states.txt || {
    head -n 5 states.txt >&2
    fail "-raw: bad sample values or state labels (see above)"
}
note "$(cat states.txt)"
# (pprof merges the samples of one stack and the same labels.)
awk '{ exit !($3 >= 1 && $5 >= 1) }' states.txt || fail "expected on-cpu and blocked samples: $(cat states.txt)"
for l in 'thread_id:\[[0-9]+( [a-z]+)?\]' 'pid:\[[0-9]+( [a-z]+)?\]' 'comm:\[wall-sleep\]' 'cpu:\[[0-9]+( [a-z]+)?\]'; do
    grep -Eq "(^| )$l" raw.out || fail "-raw shows no sample label $l"
done

# --- -top for each sample type, the totals of hwprof report ---
pprof top -top -nodefraction=0 s.pb.gz
grep -qx 'Type: wall' top.out || {
    show top
    fail "go tool pprof -top does not show 'Type: wall' (the default)"
}
for t in wall cpu off-cpu samples; do
    pprof "top-$t" -top -nodefraction=0 -sample_index="$t" s.pb.gz
    grep -qx "Type: $t" "top-$t.out" || {
        show "top-$t"
        fail "-sample_index=$t does not show 'Type: $t'"
    }
    pprof_rows "top-$t" >"top-$t.tsv"
    run_report "rep-$t" -i s.data --stdio -n 0 --sample-index "$t"
    ptotal=$(pprof_total "top-$t")
    rtotal=$(report_value "$(report_header "rep-$t.out" Total)")
    note "$t: pprof total $ptotal, hwprof report Total $rtotal"
    assert_between "$t: pprof total / hwprof report Total" "$(ratio "$ptotal" "$rtotal")" 0.99 1.01
done
# The off-cpu time is sleep_work's (blocked) and, on a loaded machine, busy_work's (preempted).
pprof cum -top -cum -nodefraction=0 -sample_index=off-cpu s.pb.gz
pprof_rows cum >cum.tsv
sleep=$(row_field cum.tsv sleep_work 5)
busy=$(row_field cum.tsv busy_work 5)
pprof bcum -top -cum -nodefraction=0 -relative_percentages -sample_index=off-cpu -tagfocus=state=blocked s.pb.gz
pprof_rows bcum >bcum.tsv
note "pprof off-cpu: sleep_work cum $sleep%, busy_work cum $busy%; blocked only: sleep_work cum $(row_field bcum.tsv sleep_work 5)%"
# As much as the workload measured off a CPU in the two, less its main's other waits.
expect_wall "pprof off-cpu in sleep_work and busy_work" "$(calc "($sleep + $busy) * $(pprof_total cum) / 100")" \
    "$(calc "$(truth busy_work.wall_ns) - $(truth busy_work.cpu_ns) + $(truth sleep_work.wall_ns) - $(truth sleep_work.cpu_ns)")" \
    "$(truth busy_work.cpu_ns)" "$((2 * $(truth sleep_work.calls)))"
assert_ge "pprof off-cpu, state blocked: sleep_work cum%" "$(row_field bcum.tsv sleep_work 5)" 95

# --- -tags: the states of each sample type ---
pprof ctags -tags -sample_index=cpu s.pb.gz
[ "$(tag_values ctags.out state)" = on-cpu ] ||
    fail "cpu time with states [$(tag_values ctags.out state | tr '\n' ' ')], expected on-cpu only"
pprof otags -tags -sample_index=off-cpu -focus '^sleep_work$' s.pb.gz
note "off-cpu in sleep_work: $(tag_pct otags.out state blocked)% blocked"
assert_ge "blocked share of the off-cpu time in sleep_work (%)" "$(tag_pct otags.out state blocked)" 95
pprof offtags -tags -sample_index=off-cpu s.pb.gz
[ "$(tag_pct offtags.out state on-cpu)" = 0 ] || fail "off-cpu time with the state on-cpu"

# --- protoc: the uncompressed profile decodes; default_sample_type is wall ---
run_hwprof pb convert -i s.data -o s.pb
expect_rc pb 0
protoc --proto_path="$(dirname "$PROTO")" --decode=perftools.profiles.Profile "$PROTO" <s.pb >s.txt 2>protoc.err || {
    head -n 10 protoc.err >&2
    fail "protoc --decode=perftools.profiles.Profile cannot decode s.pb"
}
grep -E '^string_table: ' s.txt | sed 's/^string_table: //' >strings.txt
str()
{
    sed -n "$(($1 + 1))p" strings.txt
}
dflt=$(sed -n 's/^default_sample_type: //p' s.txt)
[ "$(str "${dflt:-0}")" = '"wall"' ] || fail "default_sample_type is ${dflt:-0} ($(str "${dflt:-0}")), expected \"wall\""
for s in samples count wall cpu off-cpu nanoseconds state on-cpu blocked sleep_work busy_work; do
    grep -qx "\"$s\"" strings.txt || fail "the string table lacks \"$s\""
done
nvals=$(awk '/^sample \{/ { n = 0; s = 1; next } s && /^  value:/ { n++ } s && /^\}/ { print n; s = 0 }' s.txt | sort -u)
[ "$nvals" = 4 ] || fail "samples with [$(tr '\n' ' ' <<<"$nvals")] values, expected 4 each"

# --- perf reads the recording: cpu-clock and context-switches samples, switch records ---
require_perf_tool
perf_script_raw s.data -F event >events.txt
ncpu=$(grep -c 'cpu-clock' events.txt || true)
ncs=$(grep -c 'context-switches\|cs:' events.txt || true)
note "perf script: $ncpu cpu-clock samples, $ncs context-switches samples"
expect_count_ge "perf script: cpu-clock samples" "$ncpu" "$(calc "$(truth main.cpu_ns) / $PERIOD")"
# At least a switch out to each sleep, and a switch record in and out for each.
assert_ge "perf script: context-switches samples" "$ncs" "$(truth sleep_work.calls)"
perf_script_raw s.data --show-switch-events -F comm,tid,event >switch.txt
nsw=$(grep -c 'PERF_RECORD_SWITCH' switch.txt || true)
note "perf script: $nsw PERF_RECORD_SWITCH records"
assert_ge "perf script: PERF_RECORD_SWITCH records" "$nsw" "$((2 * $(truth sleep_work.calls)))"
perf_report_raw s.data --sort sym >perf-report.txt
grep -q 'busy_work' perf-report.txt || fail "perf report shows no busy_work"
exit 0
