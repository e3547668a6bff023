#!/bin/bash
# perfdata-perf-script.sh - checks that perf script/report read what the perf.data writer produces, and the ENOSPC path.
set -eu

: "${TOP_BUILDDIR:?set by make check}"
TP="$TOP_BUILDDIR/tests/unit/test-perfwriter"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

command -v perf >/dev/null 2>&1 || { echo "SKIP: perf is not installed"; exit 77; }
command -v gcc >/dev/null 2>&1 || { echo "SKIP: gcc is not installed"; exit 77; }
command -v nm >/dev/null 2>&1 || { echo "SKIP: nm is not installed"; exit 77; }
[ -x "$TP" ] || fail "$TP not built"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hwprof-perfdata.XXXXXX")
MNT=""
cleanup() {
    if [ -n "$MNT" ] && mountpoint -q "$MNT"; then
        umount "$MNT" || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# ---- a binary with a known function ----
cat >"$WORK/kf.c" <<'EOF'
#include <stdio.h>
__attribute__((noinline)) int known_function(int x)
{
    int s = 0;
    for (int i = 0; i < x; i++)
        s += i * x;
    return s;
}
int main(int argc, char **argv)
{
    (void)argv;
    printf("%d\n", known_function(argc));
    return 0;
}
EOF
gcc -O0 -g -fno-omit-frame-pointer -fPIE -pie "$WORK/kf.c" -o "$WORK/kf"
ADDR=$(nm "$WORK/kf" | awk '$3 == "known_function" { print "0x" $1 }')
[ -n "$ADDR" ] || fail "nm found no known_function in $WORK/kf"

"$TP" --write "$WORK/f.data" "$WORK/kf" "$ADDR" || fail "test-perfwriter --write failed"
[ -s "$WORK/f.data" ] || fail "no f.data written"
if ls "$WORK" | grep -q '\.tmp-'; then
    fail "temporary file left behind: $(ls "$WORK")"
fi

# ---- perf script ----
perf script -i "$WORK/f.data" >"$WORK/script.out" 2>"$WORK/script.err" ||
    fail "perf script failed: $(cat "$WORK/script.err")"
if grep -Eiq 'warn|error|fail|bogus|unexpected|corrupt|ignor' "$WORK/script.err"; then
    fail "perf script complained: $(cat "$WORK/script.err")"
fi
nsamples=$(grep -c 'cpu-clock:' "$WORK/script.out" || true)
[ "$nsamples" = 100 ] || fail "perf script printed $nsamples samples, want 100"
ncomm=$(grep -c '^ *hwprof-test  *4242 ' "$WORK/script.out" || true)
[ "$ncomm" = 100 ] || fail "comm hwprof-test/4242 on $ncomm sample lines, want 100"
nsym=$(grep -c 'known_function' "$WORK/script.out" || true)
[ "$nsym" -ge 100 ] || fail "known_function resolved only $nsym times"

# ---- perf report: header and profile ----
perf report -i "$WORK/f.data" --stdio --header-only >"$WORK/header.out" 2>&1 ||
    fail "perf report --header-only failed: $(cat "$WORK/header.out")"
grep -q "^# hostname : $(uname -n)\$" "$WORK/header.out" || fail "hostname missing: $(cat "$WORK/header.out")"
grep -q "^# cmdline : .*--write .*f.data" "$WORK/header.out" || fail "cmdline missing"
grep -q "^# event : name = cpu-clock," "$WORK/header.out" || fail "event description missing"
grep -q "^# time of last sample" "$WORK/header.out" || fail "sample time missing"

perf buildid-list -i "$WORK/f.data" >"$WORK/bid.out" 2>&1 || fail "perf buildid-list failed"
want_id=$(readelf -n "$WORK/kf" 2>/dev/null | awk '/Build ID:/ { print $3; exit }')
if [ -n "$want_id" ]; then
    grep -q "^$want_id $WORK/kf\$" "$WORK/bid.out" || fail "build id not listed: $(cat "$WORK/bid.out")"
fi

perf report -i "$WORK/f.data" --stdio --no-children --sort sym >"$WORK/report.out" 2>"$WORK/report.err" ||
    fail "perf report failed: $(cat "$WORK/report.err")"
pct=$(awk '/known_function/ && $1 ~ /%$/ { sub("%", "", $1); print $1; exit }' "$WORK/report.out")
[ -n "$pct" ] || fail "known_function not in perf report: $(cat "$WORK/report.out")"
awk -v p="$pct" 'BEGIN { exit !(p >= 99.0) }' || fail "known_function at $pct%, want ~100%"

# ---- ENOSPC on a tiny tmpfs ----
MNT="$WORK/full"
mkdir "$MNT"
if ! mount -t tmpfs -o size=64k none "$MNT" 2>/dev/null; then
    MNT=""
    echo "perfdata-perf-script: cannot mount a tmpfs here, ENOSPC part skipped"
    echo "PASS"
    exit 0
fi
# 8 MiB fails inside pw_writer_write; 200 KB stays buffered and fails in pw_writer_finish.
for bytes in 8388608 200000; do
    if "$TP" --fill "$MNT/out.data" "$bytes" 2>"$WORK/fill.err"; then
        fail "writing $bytes bytes to a 64 KiB tmpfs succeeded"
    fi
    grep -q "No space left" "$WORK/fill.err" || fail "no ENOSPC message: $(cat "$WORK/fill.err")"
    grep -q "$MNT/out.data" "$WORK/fill.err" || fail "message does not name the file: $(cat "$WORK/fill.err")"
    [ "$(wc -l <"$WORK/fill.err")" = 1 ] || fail "message is not one line: $(cat "$WORK/fill.err")"
    [ -z "$(ls -A "$MNT")" ] || fail "files left on the full disk: $(ls -A "$MNT")"
done
umount "$MNT"
MNT=""
echo "PASS"
exit 0
