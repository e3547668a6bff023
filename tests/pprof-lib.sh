# pprof-lib.sh - helpers for the `hwprof convert` e2e tests that read the profiles with go tool pprof.
#
# Source after tests/lib.sh and tests/report-lib.sh (pprof_rows and pprof_total use report_rows and
# report_value). Call require_pprof before the other helpers: it skips the test without go and
# makes go tool pprof offline and hermetic.

# require_pprof: skips unless `go tool pprof` runs; makes it offline and hermetic (no toolchain
# download, no module proxy, caches and $HOME in the temp dir).
require_pprof()
{
    command -v go >/dev/null 2>&1 ||
        skip "go is not installed: 'go tool pprof' reads the profiles (apt-get install golang-go)"
    export GOTOOLCHAIN=local GOPROXY=off GOFLAGS='' HOME="$T" GOCACHE="$T/gocache"
    go tool pprof -h >/dev/null 2>&1 ||
        skip "'go tool pprof' does not run here (apt-get install golang-go)"
}

# pprof NAME ARGS...: runs `go tool pprof ARGS`, stdout to $T/NAME.out, stderr to $T/NAME.err;
# fails (showing both) on a non-zero exit status.
pprof()
{
    local name=$1
    shift
    go tool pprof "$@" </dev/null >"$T/$name.out" 2>"$T/$name.err" || {
        show "$name"
        fail "go tool pprof $* failed"
    }
}

# pprof_rows NAME: the -top table of $T/NAME.out in report_rows' format, " (inline)" dropped.
pprof_rows()
{
    report_rows "$T/$1.out" | sed 's/ (inline)$//'
}

# pprof_total NAME: the total of a -top output ("... of TOTAL total"), as report_value converts it.
pprof_total()
{
    report_value "$(sed -n 's/^Showing nodes accounting for .* of \(.*\) total$/\1/p' "$T/$1.out" | head -1)"
}
