# browser-lib.sh - helpers for tests that load hwprof's HTML pages in headless chromium: DOM dumps, screenshots, network logs, PNG checks.
#
# Source after tests/lib.sh. Chromium runs as root here, so it needs --no-sandbox; every run gets
# a fresh profile directory, no GPU, no background networking, and a host resolver that resolves
# nothing (a page that tried to reach the network would fail, and the network log would show it).

# require_chromium: fails (the README's test command installs it) unless chromium runs.
require_chromium()
{
    command -v chromium >/dev/null 2>&1 ||
        fail "chromium is not installed (apt-get install chromium): the HTML flame graph is tested in it"
}

# chromium_run NAME URL ARGS...: runs headless chromium on URL with ARGS (--dump-dom, --screenshot=...),
# stdout to $T/NAME.out, stderr to $T/NAME.err, within 120 s; fails if chromium fails.
chromium_run()
{
    local name=$1 url=$2 rc=0
    shift 2
    timeout -k 5 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$(mktemp -d "$T/chromium.XXXXXX")" --host-resolver-rules='MAP * ~NOTFOUND' \
        --window-size=1280,800 "$@" "$url" >"$T/$name.out" 2>"$T/$name.err" </dev/null || rc=$?
    [ "$rc" = 0 ] || {
        tail -5 "$T/$name.err" >&2
        fail "chromium exited with $rc on $url"
    }
}

# page_requests NETLOG: prints the URLs that the page (not the browser itself: its requests have
# no origin) asked for, one a line, from a chromium --log-net-log file.
page_requests()
{
    python3 - "$1" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
types = log["constants"]["logEventTypes"]
want = {types[k] for k in ("URL_REQUEST_START_JOB",) if k in types}
for e in log["events"]:
    p = e.get("params") or {}
    if e.get("type") in want and "url" in p and p.get("initiator") != "not an origin":
        print(p["url"])
PY
}

# png_stats FILE: prints "WIDTH HEIGHT COLORS INK WARM" for an 8-bit RGB(A) PNG: its size, the
# number of distinct colours, the fraction of pixels unlike the background (the top-left pixel),
# and the fraction of warm (flame-coloured: red/orange/yellow) pixels. Decoded with zlib alone.
png_stats()
{
    python3 - "$1" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), "unsupported PNG type %d/%d" % (depth, ctype)
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride = w * bpp
rows, prev = [], bytearray(stride)
for y in range(h):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line)
    prev = line
bg = tuple(rows[0][0:3])
colors, ink, warm = set(), 0, 0
for line in rows:
    for x in range(0, stride, bpp):
        px = (line[x], line[x + 1], line[x + 2])
        colors.add(px)
        if max(abs(px[0] - bg[0]), abs(px[1] - bg[1]), abs(px[2] - bg[2])) > 24:
            ink += 1
        if px[0] > 200 and 80 < px[1] < 225 and px[2] < 140 and px[0] - px[2] > 90:
            warm += 1
print(w, h, len(colors), "%.4f" % (ink / (w * h)), "%.4f" % (warm / (w * h)))
PY
}
