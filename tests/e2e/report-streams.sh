#!/bin/bash
# report-streams.sh - e2e: compressed recordings (perf record -z, hwprof record -z) and pipe-mode streams (-o -, -i -) read like plain files; a killed perf recording, a stream cut short, a corrupt compressed record and odd ids sections end in one warning, not a refusal.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "$TOP_SRCDIR/tests/report-lib.sh"

require_perf_events
require_prog split
cd "$T"

# u64 FILE OFFSET, u32 FILE OFFSET, u16 FILE OFFSET: little-endian fields of a file.
u64() { od -An -t u8 -j "$2" -N 8 "$1" | tr -d ' '; }
u32() { od -An -t u4 -j "$2" -N 4 "$1" | tr -d ' '; }
u16() { od -An -t u2 -j "$2" -N 2 "$1" | tr -d ' '; }
# put_u64 FILE OFFSET VALUE: overwrites a field in place.
put_u64()
{
    printf "$(printf '%016x' "$3" | sed -E 's/(..)(..)(..)(..)(..)(..)(..)(..)/\\x\8\\x\7\\x\6\\x\5\\x\4\\x\3\\x\2\\x\1/')" |
        dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# first_record FILE TYPE: the offset of the first record of TYPE in the data section of FILE.
first_record()
{
    local f=$1 type=$2 off end
    off=$(u64 "$f" 40)
    end=$((off + $(u64 "$f" 48)))
    while [ "$off" -lt "$end" ]; do
        [ "$(u32 "$f" "$off")" = "$type" ] && { echo "$off"; return 0; }
        off=$((off + $(u16 "$f" $((off + 6)))))
    done
    fail "no record of type $type in $f"
}

# same_report NAME A B: the top tables and headers of `hwprof report` of the recordings A and B
# (read as files, or "-NAME" for standard input from the file NAME) agree, but for "Recorded".
report_of()
{
    local name=$1 src=$2
    shift 2
    if [ "${src#-}" != "$src" ]; then
        RC=0
        timeout -k 5 120 "$HWPROF" report -i - --stdio -n 0 "$@" <"${src#-}" >"$name.out" 2>"$name.err" || RC=$?
    else
        run_hwprof "$name" report -i "$src" --stdio -n 0 "$@"
    fi
    expect_no_sanitizer "$name"
    expect_rc "$name" 0
    grep -v '^Recorded: ' "$name.out" >"$name.cmp"
}
same_report()
{
    report_of "$1-a" "$2"
    report_of "$1-b" "$3"
    diff "$1-a.cmp" "$1-b.cmp" >"$1.diff" || {
        head -20 "$1.diff" >&2
        fail "$1: hwprof report of $2 and of $3 differ (see above)"
    }
    [ ! -s "$1-a.err" ] || { show "$1-a"; fail "$1: warnings reading $2"; }
    [ ! -s "$1-b.err" ] || { show "$1-b"; fail "$1: warnings reading $3"; }
}

# check_split NAME OUTPUT: the table of NAME.out shows split's split of work_three and work_one, as
# split measured it (its truth lines are in the file OUTPUT).
check_split()
{
    report_rows "$1.out" >"$1.tsv"
    local three one
    three=$(row_field "$1.tsv" work_three 2)
    one=$(row_field "$1.tsv" work_one 2)
    load_truth "$2"
    need_truth work_three.cpu_ns work_one.cpu_ns
    expect_pair "$1: work_three's share of work_three + work_one (flat%)" "$three" "$one" \
        "$(calc "($three + $one) * $(report_header "$1.out" Samples) / 100")" \
        "$(calc "$(truth work_three.cpu_ns) / ($(truth work_three.cpu_ns) + $(truth work_one.cpu_ns))")"
}

# perf_count FILE: the number of samples perf script prints of FILE ("-": standard input).
perf_count()
{
    perf script -i "$1" -F tid --hide-call-graph 2>/dev/null | grep -c . || true
}

# same_counts NAME FILE: hwprof and perf count the same samples in FILE, in total and in
# work_three and work_one (perf decompresses compressed records its own way).
same_counts()
{
    report_of "$1-n" "$2" --sample-index samples
    report_rows "$1-n.out" >"$1-n.tsv"
    perf report -i "$2" -n --no-children --sort sym --stdio -g none 2>/dev/null >"$1.perf" ||
        fail "perf report -i $2 failed"
    local fn hw pf
    for fn in work_three work_one; do
        hw=$(row_field "$1-n.tsv" "$fn" 1)
        pf=$(awk -v fn="$fn" '$NF == fn && $(NF - 1) == "[.]" { print $2; exit }' "$1.perf")
        [ "$hw" = "$pf" ] || fail "$1: hwprof counts $hw samples in $fn of $2, perf ${pf:-none}"
    done
    hw=$(report_header "$1-n.out" Samples)
    pf=$(perf_count "$2")
    [ "$hw" = "$pf" ] || fail "$1: hwprof counts $hw samples in $2, perf $pf"
}

# --- perf record -z: hwprof counts the samples perf counts ---
perf record -q -z -g -e cpu-clock -o pz.data -- "$PROGS/split" >pz-split.out 2>pz.err ||
    fail "perf record -z failed: $(head -1 pz.err)"
[ "$(first_record pz.data 81)" -gt 0 ] # PERF_RECORD_COMPRESSED records are there
same_counts pz pz.data
report_of pz pz.data
check_split pz pz-split.out

# --- perf record -o -: the stream on standard input, and saved to a file ---
perf record -q -g -e cpu-clock -o - -- "$PROGS/split" >pp.stream 2>pp.err ||
    fail "perf record -o - failed: $(head -1 pp.err)"
perf inject -i - -o pp-file.data <pp.stream 2>/dev/null || fail "perf inject could not read the stream"
same_report pp -pp.stream pp-file.data
same_report ppf pp.stream pp-file.data
# (With -o -, perf gives the workload's standard output to its standard error.)
check_split pp-a pp.err
perf record -q -z -g -e cpu-clock -o - -- "$PROGS/split" 2>ppz-rec.err | "$HWPROF" report -i - --stdio -n 0 \
    >ppz.out 2>ppz.err || { show ppz; fail "perf record -z -o - | hwprof report -i - failed"; }
check_split ppz ppz-rec.err

# --- hwprof record -z: smaller, read by perf and by hwprof alike ---
run_hwprof hz record -z -g -e cpu-clock -o hz.data -- "$PROGS/split"
expect_rc hz 0
[ "$(first_record hz.data 81)" -gt 0 ]
same_counts hz hz.data
report_of hz-r hz.data
check_split hz-r hz.out
hz_n=$(awk '/^hwprof: cpu-clock: / { print $3 }' hz.err)
[ "$(perf_count hz.data)" = "$hz_n" ] || fail "perf report counts $(perf_count hz.data) samples in hz.data, hwprof record wrote $hz_n"
run_hwprof hp record -g -e cpu-clock -o hp.data -- "$PROGS/split"
expect_rc hp 0
hp_n=$(awk '/^hwprof: cpu-clock: / { print $3 }' hp.err)
small=$(stat -c %s hz.data) plain=$(stat -c %s hp.data)
# bytes per sample: at most a third with -z (the headers and feature sections count too)
assert_le "bytes per sample with -z x 3, against without" "$((small * 3 * hp_n / hz_n))" "$plain"
note "hwprof record -z: $small bytes for $hz_n samples, $plain bytes for $hp_n without -z"

# --- hwprof record -o -: to hwprof report -i -, to perf report -i -, saved to a file ---
"$HWPROF" record -q -g -e cpu-clock -o - -- "$PROGS/split" >hs.stream 2>hs.err || { cat hs.err >&2; fail "hwprof record -o - failed"; }
[ "$(u64 hs.stream 8)" = 16 ] || fail "hwprof record -o - did not write a pipe-mode header"
report_of hs-pipe -hs.stream
check_split hs-pipe hs.err
perf inject -i - -o hs-file.data <hs.stream 2>hs-inject.err || { cat hs-inject.err >&2; fail "perf inject could not read hwprof's stream"; }
same_report hs -hs.stream hs-file.data
hs_n=$(report_header hs-pipe.out Samples)
[ "$(perf_count - <hs.stream)" = "$hs_n" ] ||
    fail "perf script -i - does not count the $hs_n samples of hwprof's stream"
# live: hwprof record -o - | perf report -i - names the program's functions
"$HWPROF" record -q -g -e cpu-clock -o - -- "$PROGS/split" 2>/dev/null |
    perf report -i - --stdio --no-children --sort sym >hs-perf.out 2>hs-perf.err ||
    { cat hs-perf.err >&2; fail "hwprof record -o - | perf report -i - failed"; }
grep -q 'work_three' hs-perf.out || { head -30 hs-perf.out >&2; fail "perf report -i - of hwprof's live stream lacks work_three"; }
"$HWPROF" record -q -z -g -e cpu-clock -o - -- "$PROGS/split" 2>/dev/null | "$HWPROF" convert -i - -o hs.folded 2>hsc.err ||
    { cat hsc.err >&2; fail "hwprof record -z -o - | hwprof convert -i - failed"; }
grep -q 'work_three' hs.folded || fail "the folded stacks of a streamed recording lack work_three"
# a stream sends its build-id table at its end: the program's pprof mapping still gets its build id
"$HWPROF" convert -i - -o hs.pb <hs.stream 2>hspb.err || { cat hspb.err >&2; fail "hwprof convert -i - -o hs.pb failed"; }
split_id=$(readelf -n "$PROGS/split" | awk '/Build ID:/ { print $3; exit }')
protoc --decode=perftools.profiles.Profile -I "$TOP_SRCDIR/tests" profile.proto <hs.pb >hs.txt 2>/dev/null ||
    fail "protoc cannot decode hs.pb"
[ -z "$split_id" ] || grep -q "\"$split_id\"" hs.txt ||
    fail "the pprof profile of a streamed recording lacks split's build id $split_id (its table comes at the end)"

# --- a stream cut short: the samples so far and one warning ---
len=$(stat -c %s hs.stream)
head -c $((len * 2 / 3)) hs.stream >cut.stream
report_of cut -cut.stream
grep -q 'standard input ends inside a record\|standard input ends inside a compressed record' cut.err || { show cut; fail "no warning that the stream was cut short"; }
[ "$(grep -c . cut.err)" = 1 ] || { show cut; fail "more than one line on stderr for a stream cut short"; }
cut_n=$(report_header cut.out Samples)
assert_ge "samples of the cut stream" "$cut_n" 1
assert_le "samples of the cut stream" "$cut_n" "$((hs_n - 1))"

# --- a corrupt compressed record: one warning, the other records are read ---
cp hz.data bad.data
at=$(first_record bad.data 81)
size=$(u16 bad.data $((at + 6)))
printf '\xde\xad\xbe\xef\xde\xad\xbe\xef' | dd of=bad.data bs=1 seek=$((at + 8 + 4)) conv=notrunc status=none
report_of bad bad.data
grep -q 'compressed record.*could not be decompressed' bad.err || { show bad; fail "no warning about the corrupt compressed record at byte $at ($size bytes)"; }
[ "$(grep -c . bad.err)" = 1 ] || { show bad; fail "more than one line on stderr for a corrupt compressed record"; }

# --- a perf recording whose perf was killed (data size 0, no features): read to its end ---
perf record -q -g -e cpu-clock -o full.data -- "$PROGS/split" >/dev/null 2>full.err || fail "perf record failed"
report_of full full.data
head -c $(($(u64 full.data 40) + $(u64 full.data 48))) full.data >killed.data
put_u64 killed.data 48 0
report_of killed killed.data
grep -q 'killed.data was not finished' killed.err || { show killed; fail "no warning that killed.data was not finished"; }
[ "$(report_header killed.out Samples)" = "$(report_header full.out Samples)" ] ||
    fail "killed.data: $(report_header killed.out Samples) samples, the finished file has $(report_header full.out Samples)"

# --- an ids section of 17 bytes: one id and a stray byte, a warning, every sample read ---
cp full.data ids.data
ids_size_at=$(($(u64 ids.data 24) + $(u64 ids.data 16) - 8))
put_u64 ids.data "$ids_size_at" $(($(u64 ids.data "$ids_size_at") + 1))
report_of ids ids.data
grep -q 'not a multiple of 8' ids.err || { show ids; fail "no warning about the ids section"; }
[ "$(report_header ids.out Samples)" = "$(report_header full.out Samples)" ] ||
    fail "ids.data: $(report_header ids.out Samples) samples, the intact file has $(report_header full.out Samples)"
note "killed perf file, cut stream ($cut_n of $hs_n samples), corrupt frame, 17-byte ids: read with one warning each"
