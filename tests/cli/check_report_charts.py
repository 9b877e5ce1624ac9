#!/usr/bin/python3
"""Every chart of index.html shows something in a real browser (headless Chromium screenshot).

Usage: check_report_charts.py POOLBENCH_BINARY SOURCE_DIR [--keep DIR]

Builds the report of the committed fixture (tests/unit/report/fixtures/erlang_small.json),
finds where each chart (<figure id="chart-*"> with its inline <svg>) is laid out at a
1280 px wide window (a probe copy of the page, whose only addition is a hidden element
listing the charts' boxes), takes one screenshot of the whole page at that width, and
decodes the PNG (zlib, stdlib). Then, inside each chart's box:

  "ink" = pixels whose colour is chromatic: max(R,G,B) - min(R,G,B) >= 48. Axes, grid, tick
  labels and titles are greys (#333333, #555555, #e0e0e0) and the background white, so they
  are no ink; every plotted series, marker and heat-map cell is drawn in a colour.
  A chart is EMPTY when its ink covers less than 0.4% of its box (a 1200 x 500 chart: fewer
  than ~2,400 pixels). Measured on this fixture: the charts have 0.87% (throughput) to 55%
  (p99 heat map) ink; without their plotted data (see below) at most 0.16% (the pool-sizing
  chart keeps its model markers and SLO line), so the threshold sits about halfway (x2.2
  and x2.5) in ratio. The fixture is fixed, so only font and rendering differences between
  Chromium versions move these numbers. A heat map's colour box alone is ~1% ink: it
  counts as drawn, a limit of this test.

Fails when the page has no chart, a chart's box is degenerate, or any chart is empty; then,
so that the check can be seen to fail, it checks a copy of the page whose charts lost their
plotted data (each gnuplot plot group and colour box removed) and fails unless every chart
of that copy is found empty. --keep DIR keeps the screenshots. Exit 0 / 1, one line per
problem.
"""

import json
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import headless_chromium  # noqa: E402

WIDTH = 1280
CHROMA = 48
MIN_INK_SHARE = 0.004

PROBE = """<script>
(function () {
  var charts = [];
  document.querySelectorAll('figure[id^="chart-"]').forEach(function (figure) {
    var svg = figure.querySelector('svg');
    var box = (svg || figure).getBoundingClientRect();
    charts.push({name: figure.id, svg: !!svg, x: box.left + window.scrollX,
                 y: box.top + window.scrollY, w: box.width, h: box.height});
  });
  var out = document.createElement('pre');
  out.id = 'chart-probe';
  out.hidden = true;
  out.textContent = JSON.stringify({charts: charts,
                                    height: document.documentElement.scrollHeight});
  document.body.appendChild(out);
})();
</script>
</body>"""


def layout(page):
    """The charts' boxes and the page height, from the probe copy of `page`."""
    probe = page.with_name("probe-" + page.name)
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE, 1),
                     encoding="utf-8")
    dom = headless_chromium.elements(
        headless_chromium.dump_dom(probe.as_uri(), window=f"{WIDTH},1000"))
    return json.loads(dom.text["chart-probe"])


def ink_shares(page, shot):
    """{chart id: share of its box that is ink}, plus problems with the layout."""
    boxes = layout(page)
    problems = []
    if not boxes["charts"]:
        problems.append(f"{page}: no chart")
    height = int(boxes["height"]) + 1
    headless_chromium.screenshot(page.as_uri(), str(shot), window=f"{WIDTH},{height}")
    width, rows_count, bpp, rows = headless_chromium.read_png(str(shot))
    shares = {}
    for chart in boxes["charts"]:
        x0, y0 = max(0, int(chart["x"])), max(0, int(chart["y"]))
        x1, y1 = min(width, int(chart["x"] + chart["w"])), min(rows_count,
                                                               int(chart["y"] + chart["h"]))
        if not chart["svg"] or x1 - x0 < 50 or y1 - y0 < 50:
            problems.append(f"{page.name}: {chart['name']}: no drawable box ({chart})")
            continue
        ink = 0
        for y in range(y0, y1):
            row = rows[y]
            for x in range(x0 * bpp, x1 * bpp, bpp):
                r, g, b = row[x], row[x + 1], row[x + 2]
                if max(r, g, b) - min(r, g, b) >= CHROMA:
                    ink += 1
        shares[chart["name"]] = ink / ((x1 - x0) * (y1 - y0))
    return shares, problems


def without_data(html):
    """The page with every chart's plotted data removed: gnuplot's SVG puts each plot (its
    points, lines, heat-map cells and legend entry) in a <g id="gnuplot_plot_N..."> group and
    a heat map's colour box in a <g stroke='none' shape-rendering='crispEdges'> group (with
    nested groups inside both)."""
    out, pos = [], 0
    opening = re.compile(r"""<g id="gnuplot_plot_[^"]*"[^>]*>|<g stroke='none' """
                         r"""shape-rendering='crispEdges'>""")
    tags = re.compile(r"<g[\s>]|</g>")
    while True:
        start = opening.search(html, pos)
        if start is None:
            break
        out.append(html[pos:start.start()])
        depth, cursor = 1, start.end()
        while depth > 0:
            tag = tags.search(html, cursor)
            if tag is None:
                raise ValueError("unbalanced <g> in a chart")
            depth += -1 if tag.group() == "</g>" else 1
            cursor = tag.end()
        pos = cursor
    out.append(html[pos:])
    return "".join(out)


def main():
    args = sys.argv[1:]
    keep = None
    if "--keep" in args:
        keep = pathlib.Path(args[args.index("--keep") + 1])
        args = args[:args.index("--keep")]
    if len(args) != 2:
        print(__doc__)
        return 2
    binary, source = args[0], pathlib.Path(args[1])
    fixture = source / "tests/unit/report/fixtures/erlang_small.json"
    problems = []
    with tempfile.TemporaryDirectory(prefix="poolbench-charts-") as tmp:
        out = pathlib.Path(tmp) / "report"
        subprocess.run([binary, "report", str(fixture), "--out", str(out)], check=True,
                       capture_output=True, timeout=120)
        page = out / "index.html"
        shares, found = ink_shares(page, pathlib.Path(tmp) / "page.png")
        problems += found
        for name, share in shares.items():
            print(f"{name}: ink {share:.2%} of its box")
            if share < MIN_INK_SHARE:
                problems.append(f"{name} is empty: ink {share:.3%} of its box "
                                f"(< {MIN_INK_SHARE:.1%})")
        blank = out / "blank.html"
        blank.write_text(without_data(page.read_text(encoding="utf-8")), encoding="utf-8")
        blank_shares, found = ink_shares(blank, pathlib.Path(tmp) / "blank.png")
        problems += found
        for name, share in blank_shares.items():
            print(f"{name} without its data: ink {share:.2%}")
            if share >= MIN_INK_SHARE:
                problems.append(f"self-check: {name} without its data still has ink "
                                f"{share:.3%}: the check could not see an empty chart")
        if len(blank_shares) != len(shares):
            problems.append("self-check: the copy without data lays out other charts")
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            for name in ("page.png", "blank.png"):
                shutil.copy(pathlib.Path(tmp) / name, keep / name)
    for problem in problems:
        print(problem)
    print(f"{len(shares)} charts checked in a screenshot: "
          f"{'ok' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
