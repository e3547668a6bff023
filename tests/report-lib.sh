# report-lib.sh - helpers for the `hwprof report` e2e tests: run report, parse its top table and header.
#
# Source after tests/lib.sh. A parsed table (report_rows) has one line per row, tab-separated:
#   flat  flat%  sum%  cum  cum%  name
# with flat and cum as plain numbers (times in nanoseconds, counts as counts), percentages without
# the '%', and name as printed ("function" or, with --lines, "function dir/file.c:line").

# run_report NAME ARGS...: runs `hwprof report ARGS`, expects exit 0, no sanitizer report and no
# other stderr than "hwprof: warning" lines; parses the table into $T/NAME.tsv.
run_report()
{
    local name=$1
    shift
    run_hwprof "$name" report "$@"
    expect_no_sanitizer "$name"
    expect_rc "$name" 0
    report_rows "$T/$name.out" >"$T/$name.tsv"
}

# expect_no_sanitizer NAME: fails if $T/NAME.err holds an AddressSanitizer or UBSan report.
expect_no_sanitizer()
{
    if grep -Eq 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error' "$T/$1.err"; then
        show "$1"
        fail "$1: hwprof triggered a sanitizer report"
    fi
}

# report_rows FILE: prints the rows of the top table in FILE (see the top of this file). Fails on
# a row it cannot parse.
report_rows()
{
    awk -v OFS='\t' '
        # value(s): "808ms" -> 808000000, "1.01s" -> 1010000000, "1012" -> 1012, "1.2k" -> 1200.
        function value(s,   num, unit) {
            num = s
            sub(/[^0-9.]+$/, "", num)
            unit = substr(s, length(num) + 1)
            if (num == "" || num !~ /^[0-9]+(\.[0-9]+)?$/)
                return "BAD"
            if (unit == "") return num + 0
            if (unit == "ns") return num * 1
            if (unit == "us" || unit == "\302\265s") return num * 1e3
            if (unit == "ms") return num * 1e6
            if (unit == "s") return num * 1e9
            if (unit == "mins" || unit == "min") return num * 60e9
            if (unit == "hrs" || unit == "h") return num * 3600e9
            if (unit == "k") return num * 1e3
            if (unit == "M") return num * 1e6
            if (unit == "G") return num * 1e9
            return "BAD"
        }
        function pct(s) {
            if (s !~ /^[0-9]+(\.[0-9]+)?%$/)
                return "BAD"
            sub(/%$/, "", s)
            return s + 0
        }
        /^[ \t]*flat[ \t]+flat%[ \t]+sum%[ \t]+cum[ \t]+cum%/ { intable = 1; next }
        !intable || /^[ \t]*$/ { next }
        {
            line = $0
            name = $0
            sub(/^[ \t]*[^ \t]+[ \t]+[^ \t]+[ \t]+[^ \t]+[ \t]+[^ \t]+[ \t]+[^ \t]+[ \t]+/, "", name)
            f = value($1); fp = pct($2); sp = pct($3); c = value($4); cp = pct($5)
            if (NF < 6 || name == "" || f == "BAD" || fp == "BAD" || sp == "BAD" || c == "BAD" ||
                cp == "BAD") {
                print "report_rows: cannot parse row: " line > "/dev/stderr"
                bad = 1
                exit 1
            }
            print f, fp, sp, c, cp, name
        }
        END { exit bad }
    ' "$1" || fail "cannot parse the top table of $1 (see above)"
}

# report_header FILE KEY: prints the value of the header field KEY ("File", "Event", "Duration",
# "Total", "Samples", "Lost", "Recorded"), from lines "Key: value" or "..., Key: value, ...".
report_header()
{
    awk -v key="$2" '
        /^[ \t]*flat[ \t]+flat%/ { exit }
        {
            n = split($0, part, /, /)
            for (i = 1; i <= n; i++)
                if (index(part[i], key ": ") == 1) {
                    print substr(part[i], length(key) + 3)
                    exit
                }
        }' "$1"
}

# report_value TEXT: converts a printed value ("1.01s", "808ms", "1012") as report_rows does.
report_value()
{
    printf '  flat  flat%%  sum%%  cum  cum%%\n%s 0%% 0%% 0 0%% x\n' "$1" >"$T/.value.txt"
    report_rows "$T/.value.txt" | cut -f1
}

# row_field TSV NAME COLUMN: prints column COLUMN (1 flat, 2 flat%, 3 sum%, 4 cum, 5 cum%) of the
# row named NAME, or 0 when there is no such row.
row_field()
{
    awk -F '\t' -v name="$2" -v col="$3" '$6 == name { v = $col; found = 1; exit }
        END { print found ? v : 0 }' "$1"
}

# has_row TSV NAME: succeeds when the table has a row named NAME.
has_row()
{
    awk -F '\t' -v name="$2" '$6 == name { found = 1; exit } END { exit !found }' "$1"
}

# nrows TSV: number of rows.
nrows()
{
    awk 'END { print NR }' "$1"
}

# sum_where TSV COLUMN AWK-CONDITION: the sum of COLUMN over the rows matching the condition,
# which can use $6 (the name).
sum_where()
{
    awk -F '\t' -v col="$2" "($3) { s += \$col }
        END { if (s == int(s)) printf \"%.0f\\n\", s; else printf \"%.6f\\n\", s }" "$1"
}

# check_table TSV [flat|cum]: fails unless the table is consistent: sorted by flat (or cum),
# percentages within 0..100, cum >= flat, and sum% the running sum of flat% (within rounding).
check_table()
{
    local key=${2:-flat} col=1
    [ "$key" = cum ] && col=4
    awk -F '\t' -v col="$col" '
        function bad(msg) { print "check_table: row " NR " (" $6 "): " msg > "/dev/stderr"; err = 1; exit 1 }
        {
            if (NR > 1 && $col > prev + 1e-9) bad("not sorted: " $col " after " prev)
            prev = $col
            if ($2 < 0 || $2 > 100.005 || $3 > 100.005 || $5 > 100.005)
                bad("a percentage outside 0..100: " $2 "% " $3 "% " $5 "%")
            if ($4 + 1e-9 < $1) bad("cum " $4 " < flat " $1)
            if ($5 + 0.011 < $2) bad("cum% " $5 " < flat% " $2)
            run += $2
            if ($3 + 0.011 < lastsum) bad("sum% " $3 " decreases from " lastsum)
            lastsum = $3
            if ($3 - run > 0.02 + 0.005 * NR || run - $3 > 0.02 + 0.005 * NR)
                bad("sum% " $3 " but the flat% so far add up to " run)
        }
        END { exit err }' "$1" || {
        head -n 20 "$1" >&2
        fail "inconsistent top table $1 (see above)"
    }
}

# ratio A B: A/B with 3 decimals (a large number when B is 0).
ratio()
{
    awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "999999"; else printf "%.3f\n", a / b }'
}

# abs_diff A B: |A - B| with 3 decimals.
abs_diff()
{
    awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; printf "%.3f\n", d }'
}

# assert_le WHAT VALUE MAX: fails unless VALUE <= MAX (decimals allowed).
assert_le()
{
    awk -v v="$2" -v m="$3" 'BEGIN { exit !(v + 0 <= m + 0) }' ||
        fail "$1 is $2, expected at most $3"
}
