#!/bin/bash
# run.sh - build the libFuzzer targets (CC=clang --enable-fuzzers, in a separate tree) and run each for SECONDS over a copy of its corpus.
#
# Usage: fuzz/run.sh [SECONDS]   (default 60)
# Environment: FUZZ_BUILD=DIR keeps the source copy and build tree in DIR to reuse them (default:
#              a new temp dir);
#              FUZZ_KEEP=1 keeps the temp dirs; FUZZ_JOBS=N runs the targets N at a time (default 2).
# Prints one line per target ("fuzz-perfdata: 60 s, N runs, 0 findings") and exits 1 when any
# target found a crash, leak, sanitizer report, timeout or out-of-memory (the reproducers are kept
# and named), 2 when the build fails.
set -u
secs=${1:-60}
case $secs in '' | *[!0-9]*) echo "usage: fuzz/run.sh [SECONDS]" >&2; exit 2 ;; esac
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/hwprof-fuzz.XXXXXX)
base=${FUZZ_BUILD:-$work}
found=0
cleanup()
{
    [ "${FUZZ_KEEP:-0}" = 1 ] || [ "$found" != 0 ] || rm -rf "$work"
}
trap cleanup EXIT

# Build: the source tree is copied to BASE/src (autoreconf writes into it; tar keeps the mtimes so
# a reused FUZZ_BUILD rebuilds only what changed) and configured out of tree in BASE/build.
mkdir -p "$base/src" "$base/build"
# Only the sources: a tree configured in place (config.status, Makefile) would make the out-of-tree
# configure refuse. In a git checkout, take what git tracks or would track.
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$src" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) |
        tar -C "$base/src" -xf - || exit 2
else
    (cd "$src" && tar --exclude=.git --exclude='*.o' --exclude=autom4te.cache --exclude=config.status \
        --exclude=config.h --exclude=config.log --exclude=Makefile --exclude=stamp-h1 -cf - .) |
        tar -C "$base/src" -xf - || exit 2
fi
{
    { [ -f "$base/build/Makefile" ] ||
        { (cd "$base/src" && autoreconf -fi) &&
            (cd "$base/build" && "$base/src/configure" CC=clang --enable-fuzzers); }; } &&
        make -C "$base/build" -j"$(nproc)" fuzz/fuzz-perfdata fuzz/fuzz-events
} >"$work/build.log" 2>&1 || {
    tail -n 30 "$work/build.log" >&2
    echo "fuzz/run.sh: the build failed (log: $work/build.log)" >&2
    found=2
    exit 2
}
build=$base/build

# run_target NAME CORPUS MAXLEN: fuzzes NAME over a copy of fuzz/corpus/CORPUS (with the dictionary
# fuzz/CORPUS.dict when there is one: extreme values and file tokens); writes $work/NAME.result.
run_target()
{
    local name=$1 corpus=$2 maxlen=$3 dir="$work/$1" dict=()
    [ ! -f "$src/fuzz/$corpus.dict" ] || dict=(-dict="$src/fuzz/$corpus.dict")
    mkdir -p "$dir/corpus" "$dir/artifacts"
    cp "$src/fuzz/corpus/$corpus/"* "$dir/corpus/"
    "$build/fuzz/$name" -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
        -max_total_time="$secs" -rss_limit_mb=2048 -malloc_limit_mb=256 -max_len="$maxlen" \
        -timeout=10 "${dict[@]}" -artifact_prefix="$dir/artifacts/" "$dir/corpus" >"$dir/log" 2>&1
    local rc=$? runs findings
    runs=$(grep -Eo '^#[0-9]+' "$dir/log" | tail -n 1 | tr -d '#')
    findings=$(find "$dir/artifacts" -type f | wc -l)
    [ "$rc" = 0 ] || [ "$findings" != 0 ] || findings=1 # died without a reproducer
    echo "$name: $secs s, ${runs:-0} runs, $findings findings" >"$work/$name.result"
    find "$dir/artifacts" -type f -printf "  reproducer: %p\n" >>"$work/$name.result"
    [ "$findings" = 0 ] || echo "  log: $dir/log" >>"$work/$name.result"
}

targets="fuzz-perfdata:perfdata:65536 fuzz-events:events:4096"
jobs=${FUZZ_JOBS:-2}
n=0
for t in $targets; do
    IFS=: read -r name corpus maxlen <<<"$t"
    run_target "$name" "$corpus" "$maxlen" &
    n=$((n + 1))
    [ $((n % jobs)) != 0 ] || wait
done
wait

for t in $targets; do
    name=${t%%:*}
    if [ -f "$work/$name.result" ]; then
        cat "$work/$name.result"
        grep -q ', 0 findings$' "$work/$name.result" || found=1
    else
        echo "$name: no result"
        found=1
    fi
done
exit "$found"
