#!/bin/bash
# report-sideband-scale.sh - e2e: hostile side-band: 8,000 forks of a process with 8,000 mappings share its address space (bounded memory), and samples whose id names no event are counted and warned about.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 is not installed (it writes the recordings)"
cd "$T"
python3 "$TOP_SRCDIR/tests/gen/perfdata.py" fork-bomb fork.data || fail "cannot write fork.data"
python3 "$TOP_SRCDIR/tests/gen/perfdata.py" unknown-ids ids.data || fail "cannot write ids.data"

# Peak memory of the report, from the kernel's accounting of the finished child (KiB). Copying every
# mapping at every fork needed 2.5 GB here; shared until changed, it needs a few MB beyond the
# sanitizers' own.
cat >maxrss.py <<'PY'
import resource, subprocess, sys
with open(sys.argv[1], "w") as out, open(sys.argv[2], "w") as err:
    rc = subprocess.run(sys.argv[3:], stdout=out, stderr=err).returncode
print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
read -r rc kib < <(python3 maxrss.py fork.out fork.err "$HWPROF" report -i fork.data --stdio -n 0)
note "report of 8,000 forks x 8,000 mappings: exit $rc, peak RSS $((kib / 1024)) MiB"
[ "$rc" = 0 ] || { show fork; fail "report of fork.data exited $rc"; }
expect_no_sanitizer fork
assert_le "peak RSS (MiB) of the report of fork.data" "$((kib / 1024))" 300
report_rows fork.out >fork.tsv
# Each child sampled one address of the parent's mappings: every one of them is found (a lost
# mapping would be [unknown]).
[ "$(nrows fork.tsv)" = 8000 ] || fail "expected 8000 rows (one per inherited mapping), got $(nrows fork.tsv)"
! has_row fork.tsv "[unknown]" || fail "a child's sample fell outside the mappings it inherited"
# 8,000 binaries that cannot be opened: the warnings are bounded, not one line each.
[ "$(wc -l <fork.err)" -le 20 ] || fail "report printed $(wc -l <fork.err) lines of warnings for fork.data"

run_report ids -i ids.data --stdio
grep -q '1216 samples carry an id that names no event' ids.err ||
    { show ids; fail "no warning about the 1216 samples whose id names no event"; }
[ "$(report_header ids.out Samples)" = 1216 ] || fail "expected Samples: 1216, got $(report_header ids.out Samples)"
exit 0
