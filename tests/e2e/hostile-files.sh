#!/bin/bash
# hostile-files.sh - e2e: report and convert on patched recordings and non-files: still-valid files read the same, broken ones fail in one line, no hang, bounded memory.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"

require_perf_events
require_prog split
command -v python3 >/dev/null 2>&1 || skip "python3 is not installed (it patches the recordings)"
command -v timeout >/dev/null 2>&1 || skip "timeout is not installed (coreutils)"
cd "$T"
ulimit -c 0 2>/dev/null || true

run_hwprof rec record -e cpu-clock -o good.data -- "$PROGS/split" 0.2
expect_rc rec 0

# patch.py MODE IN OUT: writes OUT, a patched copy of the recording IN (see the modes below).
cat >patch.py <<'EOF'
import struct, sys

mode, src, dst = sys.argv[1], sys.argv[2], sys.argv[3]
d = bytearray(open(src, "rb").read())
attr_size, = struct.unpack_from("<Q", d, 16)
attrs_off, attrs_size = struct.unpack_from("<QQ", d, 24)
data_off, data_size = struct.unpack_from("<QQ", d, 40)
flags = struct.unpack_from("<4Q", d, 72)
nfeat = sum(bin(x).count("1") for x in flags)
sample_type, = struct.unpack_from("<Q", d, attrs_off + 24)

def records():
    p, out = data_off, []
    while p < data_off + data_size:
        t, m, s = struct.unpack_from("<IHH", d, p)
        out.append((p, t, s))
        p += s
    return out

def middle(rtype):
    recs = [r for r in records() if rtype is None or r[1] == rtype]
    return recs[len(recs) // 2]

def set_data_size(n):
    struct.pack_into("<Q", d, 48, n)

def shift_features(start, delta):
    # Feature sections at or past start move by delta (the table sits at the data section's end).
    table = data_off + data_size
    for k in range(nfeat):
        o, s = struct.unpack_from("<QQ", d, table + 16 * k)
        if o >= start:
            struct.pack_into("<QQ", d, table + 16 * k, o + delta, s)

def insert_record(rec):
    global d, data_size
    at = middle(None)[0]
    shift_features(at, len(rec))
    d = d[:at] + rec + d[at:]
    data_size += len(rec)
    set_data_size(data_size)

def callchain_offset():
    if sample_type & 0x10:
        sys.exit("patch.py: samples carry PERF_SAMPLE_READ, not handled")
    off = 8
    for bit in (0x10000, 0x1, 0x2, 0x4, 0x8, 0x40, 0x200, 0x80, 0x100):
        if sample_type & bit:
            off += 8
    return off

if mode == "bswap-magic":          # a big-endian claim: the magic's bytes reversed
    d[0:8] = bytes(reversed(d[0:8]))
elif mode == "features-raw":       # all feature bits but 27 set, the section table left as it is
    struct.pack_into("<4Q", d, 72, 2**64 - 1 - (1 << 27), 2**64 - 1, 2**64 - 1, 2**64 - 1)
elif mode in ("features-ones", "features-unknown"):
    # All 256 bits set (features-unknown: all but 27, HEADER_COMPRESSED), with a consistent
    # section table: the sections of the recording's own features, an empty one for each
    # other feature number perf knows (< 32), 64 bytes of junk for each unknown one.
    if mode == "features-unknown":
        ones = [2**64 - 1 - (1 << 27), 2**64 - 1, 2**64 - 1, 2**64 - 1]
    else:
        ones = [2**64 - 1] * 4
    table = data_off + data_size
    old = [struct.unpack_from("<QQ", d, table + 16 * k) for k in range(nfeat)]
    rest = d[table + 16 * nfeat:]
    delta = 16 * sum(bin(x).count("1") for x in ones) - 16 * nfeat
    junk_off = len(d) + delta
    junk = bytes(range(256)) * 2
    new, k = [], 0
    for bit in range(256):
        if flags[bit // 64] >> (bit % 64) & 1:
            o, s = old[k]
            k += 1
            new.append((o + delta if o >= table else o, s))
        elif bit < 32:
            new.append((junk_off, 0))      # a known feature number: an empty section
        else:
            new.append((junk_off + bit, 64))   # unknown to everyone: 64 bytes of junk
    new = [e for bit, e in enumerate(new) if ones[bit // 64] >> (bit % 64) & 1]
    d = d[:table] + b"".join(struct.pack("<QQ", o, s) for o, s in new) + rest + junk
    struct.pack_into("<4Q", d, 72, *ones)
elif mode == "size0":              # a record of size 0 in the middle of the data section
    p = middle(None)[0]
    struct.pack_into("<H", d, p + 6, 0)
elif mode == "size-huge":          # a record whose size exceeds the rest of the file
    # the first record closer than 64 KiB to the end of the file, so that size 0xFFFF runs past it
    late = [r for r in records()[:-1] if len(d) - r[0] < 0xFFFF]
    if not late:
        sys.exit("patch.py: no record lies within 64 KiB of the end for size-huge")
    p = late[0][0]
    struct.pack_into("<H", d, p + 6, 0xFFFF)
elif mode in ("nr-huge", "nr-plus1"):   # a sample whose callchain nr exceeds its record
    if not sample_type & 0x20:
        sys.exit("patch.py: the samples have no callchain")
    p, t, s = middle(9)
    at = p + callchain_offset()
    nr, = struct.unpack_from("<Q", d, at)
    fit = (s - (at + 8 - p)) // 8
    if fit < nr:
        sys.exit("patch.py: the callchain does not fit its record to begin with")
    struct.pack_into("<Q", d, at, 2**40 if mode == "nr-huge" else fit + 1)
elif mode == "unknown-user":       # record type 200 (user range) with a valid size and a payload
    insert_record(struct.pack("<IHH", 200, 0, 24) + b"\xa5" * 16)
elif mode == "unknown-kernel":     # record type 40 (kernel range, unknown): a copy of an mmap2
                                   # record's sample_id trailer as its body
    p, t, s = middle(10)
    n = sum(8 for bit in (0x2, 0x4, 0x40, 0x200, 0x80, 0x10000) if sample_type & bit)
    insert_record(struct.pack("<IHH", 40, 0, 8 + n) + bytes(d[p + s - n:p + s]))
elif mode == "attrs-huge":         # an attrs section of 2**50 attributes
    struct.pack_into("<Q", d, 32, attr_size * 2**50)
elif mode == "attrs-wrap":         # an attrs section whose end wraps around 2**64
    struct.pack_into("<QQ", d, 24, 2**64 - 64, attr_size * 4)
elif mode == "attrs-many":         # as many attributes as fit in the file, all zeros but the first
    n = (len(d) - attrs_off) // attr_size
    struct.pack_into("<Q", d, 32, n * attr_size)
elif mode == "ids-huge":           # the first attribute lists 2**56 ids
    struct.pack_into("<Q", d, attrs_off + attr_size - 8, 8 * 2**56)
elif mode == "ids-wrap":           # the ids section's end wraps around 2**64
    struct.pack_into("<QQ", d, attrs_off + attr_size - 16, 2**64 - 16, 64)
else:
    sys.exit("patch.py: unknown mode " + mode)
open(dst, "wb").write(d)
EOF
patch()
{
    python3 patch.py "$1" good.data "$2" || fail "patch.py $1 failed"
}

# Memory bounds: ulimit -v where the binary runs under it (not under AddressSanitizer, which
# reserves terabytes of address space), and the peak RSS from /usr/bin/time in any case.
ULIMIT_OK=0
if { (ulimit -v 262144 && exec "$HWPROF" report --help) >/dev/null; } 2>/dev/null; then
    ULIMIT_OK=1
fi
HAVE_TIME=0
[ -x /usr/bin/time ] && HAVE_TIME=1
[ "$ULIMIT_OK" = 1 ] || [ "$HAVE_TIME" = 1 ] ||
    skip "neither ulimit -v nor /usr/bin/time can bound hwprof's memory here (apt-get install time)"
note "memory bounds: ulimit -v $([ "$ULIMIT_OK" = 1 ] && echo yes || echo no)," \
    "/usr/bin/time $([ "$HAVE_TIME" = 1 ] && echo yes || echo no)"

# hrun NAME VMEM_KB ARGS...: runs hwprof ARGS (stdin /dev/null, stdout/stderr to NAME.out and
# NAME.err) under timeout 60 (a hang; a busy machine may slow a report of these small files to
# seconds), ulimit -v VMEM_KB when possible, and /usr/bin/time; sets RC. Fails on a hang and on a
# peak RSS of 200 MB or more.
hrun()
{
    local name=$1 kb=$2 rss
    shift 2
    local cmd=(timeout -k 5 60 "${HWPROF_AS[@]}" "$HWPROF" "$@")
    [ "$HAVE_TIME" = 0 ] || cmd=(/usr/bin/time -f %M -o "$T/$name.rss" "${cmd[@]}")
    RC=0
    (
        [ "$ULIMIT_OK" = 0 ] || ulimit -v "$kb"
        exec "${cmd[@]}"
    ) </dev/null >"$T/$name.out" 2>"$T/$name.err" || RC=$?
    [ "$RC" != 124 ] && [ "$RC" != 137 ] || {
        show "$name"
        fail "$name: hwprof $* did not finish within 60 s"
    }
    expect_no_sanitizer "$name"
    if [ "$HAVE_TIME" = 1 ]; then
        rss=$(tail -1 "$T/$name.rss")
        case "$rss" in '' | *[!0-9]*) fail "$name: /usr/bin/time reported no peak RSS: '$rss'" ;; esac
        assert_le "$name: peak RSS in KiB" "$rss" 204800
    fi
}
HWPROF_AS=()

# expect_ok NAME: hwprof exited 0 and printed nothing on stderr but "hwprof: " lines.
expect_ok()
{
    expect_rc "$1" 0
    if grep -qv '^hwprof: ' "$T/$1.err"; then
        show "$1"
        fail "$1: stderr has lines that do not start with 'hwprof: '"
    fi
}

# expect_fail NAME REGEX WHAT: hwprof exited 1 with exactly one stderr line, starting with
# "hwprof: " and matching the (case-insensitive, extended) REGEX, which names the cause (WHAT).
expect_fail()
{
    expect_rc "$1" 1
    if [ "$(wc -l <"$T/$1.err")" != 1 ] || ! grep -q '^hwprof: ' "$T/$1.err"; then
        show "$1"
        fail "$1: stderr is not exactly one line starting with 'hwprof: '"
    fi
    grep -Eiq -- "$2" "$T/$1.err" || {
        show "$1"
        fail "$1: the error does not name $3"
    }
    if grep -qi 'out of memory' "$T/$1.err"; then
        show "$1"
        fail "$1: hwprof ran out of memory instead of rejecting the file"
    fi
}

# case_ok NAME FILE [VMEM_KB]: report and convert read FILE: exit 0, the same samples as the
# intact recording (work_three about 3/4 of the total), a complete pprof file.
case_ok()
{
    local name=$1 file=$2 kb=${3:-1048576}
    hrun "$name-report" "$kb" report -i "$file" --stdio -n 0
    expect_ok "$name-report"
    report_rows "$T/$name-report.out" >"$name-report.tsv"
    check_table "$name-report.tsv"
    [ "$(report_header "$name-report.out" Samples)" = "$(report_header good-report.out Samples)" ] || {
        show "$name-report"
        fail "$name-report: $(report_header "$name-report.out" Samples) samples, the intact file has $(report_header good-report.out Samples)"
    }
    assert_between "$name: work_three's flat%" "$(row_field "$name-report.tsv" work_three 2)" 60 90
    mkdir "out-$name"
    hrun "$name-convert" "$kb" convert -i "$file" -o "$T/out-$name/o.pb.gz"
    expect_ok "$name-convert"
    assert_only_files "out-$name" o.pb.gz
    gzip -t "out-$name/o.pb.gz" || fail "$name-convert: out-$name/o.pb.gz is not a valid gzip file"
    note "$name: read, $(report_header "$name-report.out" Samples) samples" \
        "$(grep -c . "$name-report.err" || true) stderr line(s)"
}

# case_fail NAME FILE REGEX WHAT [VMEM_KB]: report and convert reject FILE (expect_fail); convert
# leaves no output file behind.
case_fail()
{
    local name=$1 file=$2 re=$3 what=$4 kb=${5:-1048576}
    hrun "$name-report" "$kb" report -i "$file" --stdio
    expect_fail "$name-report" "$re" "$what"
    mkdir -p "out-$name"
    chmod 777 "out-$name"
    hrun "$name-convert" "$kb" convert -i "$file" -o "$T/out-$name/o.pb.gz"
    expect_fail "$name-convert" "$re" "$what"
    assert_only_files "out-$name"
    note "$name: $(cat "$name-report.err")"
}

# case_any NAME FILE REGEX WHAT: either outcome is acceptable (the file is damaged inside a record,
# which hwprof may reject or skip), but each must be clean: case_ok's or case_fail's checks.
case_any()
{
    local name=$1 file=$2 re=$3 what=$4
    hrun "$name-probe" 1048576 report -i "$file" --stdio
    if [ "$RC" = 0 ]; then
        expect_ok "$name-probe"
        hrun "$name-convert" 1048576 convert -i "$file" -o "$T/$name.pb.gz"
        expect_ok "$name-convert"
        gzip -t "$name.pb.gz" || fail "$name-convert: $name.pb.gz is not a valid gzip file"
        note "$name: read (exit 0)"
    else
        case_fail "$name" "$file" "$re" "$what"
    fi
}

# --- the intact recording, the reference ---
hrun good-report 1048576 report -i good.data --stdio -n 0
expect_ok good-report
report_rows good-report.out >good-report.tsv
has_row good-report.tsv work_three || fail "the intact recording does not show work_three"
hrun good-folded 1048576 convert -i good.data -o "$T/good.folded"
expect_ok good-folded

# --- still valid: they must read, with the same numbers ---
patch features-unknown features-unknown.data
case_ok features-unknown features-unknown.data
patch features-raw features-raw.data
case_ok features-raw features-raw.data

for m in unknown-user unknown-kernel; do
    patch "$m" "$m.data"
    case_ok "$m" "$m.data"
    cmp -s good-report.out "$m-report.out" || {
        diff good-report.out "$m-report.out" >&2 || true
        fail "$m: the report differs from the intact recording's (an unknown record must be skipped)"
    }
    hrun "$m-folded" 1048576 convert -i "$m.data" -o "$T/$m.folded"
    expect_ok "$m-folded"
    cmp -s good.folded "$m.folded" ||
        fail "$m: the folded stacks differ from the intact recording's (an unknown record must be skipped)"
done

# --- broken: one line naming the cause, exit 1, no output file ---
patch bswap-magic bswap.data
case_fail bswap bswap.data 'big.endian' "the byte order"
patch size0 size0.data
case_fail size0 size0.data 'size 0' "the record of size 0"
patch size-huge size-huge.data
case_fail size-huge size-huge.data 'record at byte [0-9]+.*(past|beyond|end)' "the oversized record"
for m in nr-huge nr-plus1; do
    patch "$m" "$m.data"
    case_any "$m" "$m.data" 'callchain|record at byte' "the bad callchain"
done

# Headers that claim huge sections: memory must stay bounded (256 MiB of address space).
for m in attrs-huge attrs-wrap ids-huge ids-wrap; do
    patch "$m" "$m.data"
    case_fail "$m" "$m.data" 'attr|ids' "the oversized section" 262144
done
# The same claims in small files: 100 bytes (the header is 104, so it cannot get past it) and the
# header plus the attrs section, with nothing behind.
head -c 100 attrs-huge.data >attrs-huge-100.data
case_fail attrs-huge-100 attrs-huge-100.data 'truncated|too short|header' "the truncated header" 262144
attrs_end=$(python3 -c 'import struct, sys; d = open(sys.argv[1], "rb").read(40); o, s = struct.unpack_from("<QQ", d, 24); print(o + s)' good.data)
head -c "$attrs_end" ids-huge.data >ids-huge-small.data
case_fail ids-huge-small ids-huge-small.data 'ids' "the oversized ids section" 262144
patch attrs-many attrs-many.data
case_any attrs-many attrs-many.data 'attr|ids|id|corrupt' "the bogus attributes"

# --- not perf.data files at all ---
mkdir dir.data
case_fail dir dir.data 'directory' "the directory"
mkfifo fifo.data
case_fail fifo fifo.data 'fifo\.data.*(regular|pipe|fifo)' "the FIFO"
case_fail devzero /dev/zero '/dev/zero.*(regular|device)' "the device"

# Unreadable: root reads anything, so run hwprof as nobody.
if command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1 && [ "$(id -u)" = 0 ] &&
    setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$HWPROF" 2>/dev/null; then
    chmod 711 "$T"
    cp good.data unreadable.data
    chmod 000 unreadable.data
    HWPROF_AS=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    case_fail unreadable unreadable.data 'unreadable\.data.*permission' "the permission problem"
    HWPROF_AS=()
else
    note "unreadable: skipped (needs root, setpriv and a nobody user who can run $HWPROF)"
fi

# Last, so that the cases above run whatever this one does: all 256 feature bits, including 27
# (HEADER_COMPRESSED), whose section is empty and no record of the file is compressed (type 81).
# The file reads as it is, so hwprof must read it.
patch features-ones features-ones.data
case_ok features-ones features-ones.data
exit 0
