#!/usr/bin/env bash
# report-interrupted.sh - the user address where the kernel interrupted a thread is exact, not a return address: a page fault on a function's first instruction is charged to that function.
set -eu
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/report-lib.sh"
require_perf_events
[ "$(id -u)" = 0 ] || [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -le 1 ] ||
    skip "kernel frames need root or perf_event_paranoid <= 1"

# toucher() has no frame and faults on its first instruction; before_fn() sits right before it,
# so looking the interrupted address up at address - 1 would name before_fn or a placeholder.
cat >"$T/pf.c" <<'C'
#include <stddef.h>
#include <sys/mman.h>
__attribute__((noinline)) int before_fn(int x) { return x * 3 + 1; }
__attribute__((noinline, optimize("omit-frame-pointer"))) void toucher(char *p) { *p = 1; }
int main(void)
{
    for (int r = 0; r < 6; r++) {
        size_t n = 256u << 20;
        char *m = mmap(0, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        for (size_t i = 0; i < n; i += 4096)
            toucher(m + i);
        munmap(m, n);
    }
    return before_fn(0) == 7;
}
C
cc -O2 -g -fno-omit-frame-pointer -o "$T/pf" "$T/pf.c" || skip "no C compiler"
run_hwprof rec record -e cpu-clock -o "$T/pf.data" -- "$T/pf"
expect_rc rec 0
run_report top -i "$T/pf.data" --stdio --no-inline --cum -n 0
toucher=$(awk -F '\t' '$6 == "toucher" { print $5 }' "$T/top.tsv")
[ -n "$toucher" ] || { show top; fail "no toucher row: the faulting instruction was charged elsewhere"; }
assert_ge "toucher cum%" "$toucher" 40
if awk -F '\t' '$6 ~ /^pf\+0x/ && $5 >= 10 { found = 1 } END { exit !found }' "$T/top.tsv"; then
    show top
    fail "a placeholder pf+0x... row holds the page faults that belong to toucher"
fi
note "toucher cum ${toucher}%"
