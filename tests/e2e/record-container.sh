#!/bin/bash
# record-container.sh - e2e: a program in another mount namespace (a container) is read through /proc/PID/root while it runs and kept in the build-id cache, so report names its functions.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"

require_perf_events
require_prog hot
command -v unshare >/dev/null 2>&1 || skip "unshare is not installed (util-linux)"
[ "$(id -u)" = 0 ] || skip "a mount namespace needs root"
cd "$T"
mkdir ns
# In a new mount namespace, a tmpfs over $T/ns holds the program: its path names nothing out here.
cat >inns.sh <<SH
mount -t tmpfs none "$T/ns" && cp "$PROGS/hot" "$T/ns/nsspin" && exec "$T/ns/nsspin"
SH
run_hwprof rec record -e cpu-clock -o c.data -- unshare --mount --propagation private sh inns.sh
expect_rc rec 0
[ ! -e "$T/ns/nsspin" ] || fail "the container's program is visible outside its namespace: the test proves nothing"
run_report top -i c.data --stdio -n 0
hot=$(row_field top.tsv hot_function 2)
note "hot_function flat $hot%; stderr: $(tr '\n' ' ' <top.err)"
assert_ge "hot_function flat% (named from the copy record kept of the container's binary)" "$hot" 50
# -N keeps no copy: the binary cannot be found, its frames are placeholders
rm -rf "$T/.debug"
run_hwprof recn record -N -e cpu-clock -o n.data -- unshare --mount --propagation private sh inns.sh
expect_rc recn 0
run_report topn -i n.data --stdio -n 0
! has_row topn.tsv hot_function || fail "with -N the report still names hot_function: where from?"
exit 0
