#!/bin/bash
# convert-html.sh - e2e: hwprof convert -o x.html: a self-contained flame graph page that headless chromium renders with the 75/25 program's two functions at their measured shares; search, the inverted view, hover, zoom and the event switch, a non-trivial screenshot, and no network access.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -eu
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/report-lib.sh"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/browser-lib.sh"

require_perf_events
require_prog flame
require_chromium
cd "$T"

# The program times both functions with its thread's CPU clock and prints what they took.
run_hwprof rec record -e cpu-clock -o f.data -- "$PROGS/flame" 1
expect_rc rec 0
read -r big small total < <(awk '/^flame: / { for (i = 1; i < NF; i++) v[$i] = $(i + 1);
    print v["big_ns"], v["small_ns"], v["total_ns"] }' rec.out)
[ -n "${total:-}" ] || fail "the workload printed no timings: $(cat rec.out)"
run_report rep -i f.data --stdio -n 5
n=$(report_header rep.out Samples)
assert_ge "samples" "$n" 200

run_hwprof html convert -i f.data -o f.html
expect_no_sanitizer html
expect_rc html 0
[ -s f.html ] || fail "f.html is missing or empty"

# --- self-contained: nothing the page could load (the browser's network log is checked below) ---
grep -q "Content-Security-Policy\" content=\"default-src 'none'" f.html ||
    fail "f.html has no Content-Security-Policy forbidding every load"
if grep -Eion '(https?|ftp|wss?):|//[a-z0-9.-]+\.[a-z]{2,}/|\b(src|href|srcset|action)=|url\(|@import|fetch\(|XMLHttpRequest|WebSocket|EventSource|sendBeacon|import\(' f.html >refs.txt; then
    fail "f.html refers to something outside itself: $(head -3 refs.txt)"
fi

# --- rendered in chromium: both functions, with their measured shares ---
# The shares of the whole CPU time the program measured; a sampled share has a standard error of
# sqrt(p(1-p)/n): allow 5 of them (in percentage points).
expect_big=$(awk -v a="$big" -v t="$total" 'BEGIN { printf "%.3f", 100 * a / t }')
expect_small=$(awk -v a="$small" -v t="$total" 'BEGIN { printf "%.3f", 100 * a / t }')
tol() { awk -v p="$1" -v n="$n" 'BEGIN { p /= 100; printf "%.3f", 500 * sqrt(p * (1 - p) / n) + 100 / n }'; }

chromium_run dom "file://$T/f.html#search=%5Ework_" --dump-dom --log-net-log="$T/net.json"
# frame NAME FIELD: the FIELD (data-pct, aria-label) of the widest frame named NAME.
frame()
{
    grep -o "<div class=\"f[^\"]*\" [^>]*data-name=\"$1\"[^>]*>" dom.out |
        sed -n "s/.*$2=\"\\([^\"]*\\)\".*/\\1/p" | sort -g -r | head -1
}
for f in work_big work_small; do
    grep -q "data-name=\"$f\"" dom.out || fail "the rendered page shows no frame named $f"
done
pb=$(frame work_big data-pct)
ps=$(frame work_small data-pct)
note "work_big ${pb}% (program: ${expect_big}%), work_small ${ps}% (program: ${expect_small}%), $n samples"
assert_between "work_big's share in the flame graph (%)" "$pb" \
    "$(awk -v e="$expect_big" -v t="$(tol "$expect_big")" 'BEGIN { print e - t }')" \
    "$(awk -v e="$expect_big" -v t="$(tol "$expect_big")" 'BEGIN { print e + t }')"
assert_between "work_small's share in the flame graph (%)" "$ps" \
    "$(awk -v e="$expect_small" -v t="$(tol "$expect_small")" 'BEGIN { print e - t }')" \
    "$(awk -v e="$expect_small" -v t="$(tol "$expect_small")" 'BEGIN { print e + t }')"
# the label says the same in the event's unit (time), and the frame is drawn in proportion
grep -Eq "aria-label=\"work_big: [0-9.]+ (ms|s), $pb%\"" dom.out || fail "work_big's label does not read 'work_big: TIME, $pb%'"
wb=$(grep -o '<div class="f[^"]*" [^>]*data-name="work_big"[^>]*>' dom.out | sed -n 's/.*width: \([0-9.]*\)px.*/\1/p' | sort -g -r | head -1)
ws=$(grep -o '<div class="f[^"]*" [^>]*data-name="work_small"[^>]*>' dom.out | sed -n 's/.*width: \([0-9.]*\)px.*/\1/p' | sort -g -r | head -1)
assert_between "work_big's width / work_small's width vs their shares" \
    "$(awk -v a="$wb" -v b="$ws" -v x="$pb" -v y="$ps" 'BEGIN { print (a / b) / (x / y) }')" 0.97 1.03
# the search (from the address: ^work_) highlights both and sums their share
grep -o '<div class="f match"[^>]*data-name="work_[a-z]*"' dom.out | grep -q work_small ||
    fail "the search for ^work_ highlights no work_small frame"
matched=$(sed -n 's/.*id="matchinfo" data-pct="\([0-9.]*\)".*/\1/p' dom.out | head -1)
assert_between "the share matched by ^work_ (%)" "$matched" \
    "$(awk -v a="$pb" -v b="$ps" 'BEGIN { print a + b - 0.02 }')" "$(awk -v a="$pb" -v b="$ps" 'BEGIN { print a + b + 0.5 }')"

# --- nothing requested from the network (and the check itself catches a page that does) ---
page_requests net.json >requests.txt
[ ! -s requests.txt ] || fail "the page made requests: $(head -3 requests.txt)"
printf '<html><body><img src="http://hwprof-probe.invalid/x.png"></body></html>\n' >probe.html
chromium_run probe "file://$T/probe.html" --dump-dom --log-net-log="$T/probe-net.json"
page_requests probe-net.json | grep -q hwprof-probe.invalid ||
    fail "the network-log check does not see a page's request (so it proves nothing)"

# --- the inverted view: the leaf functions at the top, their flat share ---
chromium_run inv "file://$T/f.html#view=inverted" --dump-dom
pi=$(grep -o '<div class="f[^"]*" [^>]*data-name="work_big"[^>]*top: 20px[^>]*>' inv.out | sed -n 's/.*data-pct="\([0-9.]*\)".*/\1/p' | head -1)
[ -n "$pi" ] || fail "the inverted view has no work_big frame right under the root"
assert_between "work_big's share as a leaf (inverted view) vs report's flat%" \
    "$(abs_diff "$pi" "$(row_field rep.tsv work_big 2)")" 0 0.02

# --- interaction: hover, click to zoom, another event (the page in a frame of a harness page) ---
cat >harness.html <<'HTML'
<html><body><pre id="out">pending</pre><iframe id="fg" src="f.html" width="1200" height="700"></iframe>
<script>
document.getElementById('fg').addEventListener('load', function () {
  var out = document.getElementById('out'), lines = [];
  try {
    var w = this.contentWindow, doc = w.document, $ = function (s) { return doc.querySelector(s); };
    // the widest frame of that name (a stray sample may put a thin copy elsewhere in the graph)
    var widest = function (s) {
      var best = null;
      doc.querySelectorAll(s).forEach(function (e) {
        if (!best || parseFloat(e.getAttribute('data-pct')) > parseFloat(best.getAttribute('data-pct'))) best = e;
      });
      return best;
    };
    var f = widest('.f[data-name="work_big"]'), r = f.getBoundingClientRect();
    var at = {bubbles: true, clientX: r.left + 5, clientY: r.top + 5};
    f.dispatchEvent(new w.MouseEvent('mousemove', at));
    lines.push('tip=' + $('#tip').style.display + ' ' + $('#tip').textContent);
    f.dispatchEvent(new w.MouseEvent('click', at));
    lines.push('zoomed=' + widest('.f[data-name="work_big"]:not(.anc)').style.width + ' ' + $('#graph').clientWidth);
    lines.push('status=' + $('#status').textContent);
    var sel = $('#type');
    sel.value = '0';
    sel.dispatchEvent(new w.Event('change'));
    lines.push('samples=' + widest('.f[data-name="work_big"]').getAttribute('aria-label'));
  } catch (e) { lines.push('error=' + e); }
  out.textContent = lines.join('\n');
});
</script></body></html>
HTML
chromium_run act "file://$T/harness.html" --allow-file-access-from-files --virtual-time-budget=5000 --dump-dom
sed -n '/<pre id="out">/,/<\/pre>/p' act.out | sed 's/.*<pre id="out">//; s/<\/pre>.*//' >act.txt
! grep -q '^error=' act.txt || fail "the page failed under interaction: $(grep '^error=' act.txt)"
grep -Eq "^tip=block work_big.*total: [0-9.]+ (ms|s) \($pb% of all\)" act.txt ||
    fail "hovering over work_big shows no tooltip with its time and share: $(cat act.txt)"
read -r zw gw < <(sed -n 's/^zoomed=\([0-9.]*\)px \([0-9]*\)$/\1 \2/p' act.txt)
[ -n "${gw:-}" ] || fail "clicking work_big did not zoom: $(cat act.txt)"
assert_ge "work_big's width after zooming on it / the graph's width" "$(ratio "$zw" "$gw")" 0.98
grep -q '^status=Total: .* zoomed on work_big' act.txt || fail "the status line does not say what is zoomed"
grep -Eq '^samples=work_big: [0-9,]+ samples, ' act.txt ||
    fail "switching to the samples event does not label work_big in samples: $(cat act.txt)"

# --- a screenshot: a real picture, flame-coloured ---
chromium_run shot "file://$T/f.html" --screenshot="$T/f.png"
[ -s f.png ] || fail "chromium wrote no screenshot"
read -r w h colors ink warm < <(png_stats f.png)
note "screenshot ${w}x${h}: $colors colours, ${ink} ink, ${warm} warm"
[ "$w" = 1280 ] && [ "$h" = 800 ] || fail "the screenshot is ${w}x${h}, not 1280x800"
assert_ge "distinct colours in the screenshot" "$colors" 40
assert_ge "fraction of the screenshot drawn on" "$ink" 0.05
assert_ge "fraction of flame-coloured pixels" "$warm" 0.02
