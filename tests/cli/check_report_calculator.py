#!/usr/bin/python3
"""index.html's sizing calculator in headless Chromium answers as `poolbench plan` does.

Usage: check_report_calculator.py POOLBENCH_BINARY SOURCE_DIR

Builds the report of the committed fixture (tests/unit/report/fixtures/erlang_small.json),
then opens index.html#calc?... for several inputs (a budget that fits and one that does
not, an SLO with and without headroom, a low tier where the seeds' formula wins, several
checkouts per request), and for each:
- the page shows no JavaScript error (its window.onerror box stays empty) and the script ran
  (the result carries data-status="ok");
- the calculator used the chosen cell's mean hold, rounded to the microsecond, from
  results.json (cells listed in the report's order, by its labels);
- pool_size, max_overflow, the basis, the Erlang C sizes, pool_timeout and the budget equal
  `poolbench plan --json` for the same inputs (hold as --query-time in microseconds);
- bad input (a negative rate, an unknown cell) is an error message in the page naming the
  key, not a script error, and plan refuses the same rate with exit 2;
- the page's own "link to these inputs" reproduces the answer.
Exit 0 when everything holds; otherwise 1, one line per problem.
"""

import json
import pathlib
import subprocess
import sys
import tempfile
import urllib.parse

sys.dont_write_bytecode = True  # nothing written into the source tree
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import headless_chromium  # noqa: E402

# Fragment key -> `poolbench plan` flag (durations get their unit appended).
FLAGS = {"rps": ("--rps", ""), "instances": ("--instances", ""),
         "max_connections": ("--max-connections", ""),
         "superuser_reserved": ("--superuser-reserved-connections", ""),
         "reserved": ("--reserved-connections", ""), "timeout_rate": ("--timeout-rate", ""),
         "p99_ms": ("--slo-p99", "ms"), "pool_timeout_s": ("--pool-timeout", "s"),
         "request_ms": ("--request-time", "ms"), "queries": ("--queries-per-request", "")}

# (cell index, fragment values): each exercises another branch of plan. A key left out takes
# the page's default (the scenario's SLO for p99_ms and timeout_rate): "" clears it.
CASES = [
    (0, {"rps": "500", "instances": "4", "max_connections": "100", "timeout_rate": "0.001",
         "p99_ms": "250"}),
    (3, {"rps": "2000", "instances": "2", "max_connections": "50", "superuser_reserved": "3",
         "reserved": "2", "timeout_rate": "0.01", "p99_ms": ""}),
    (5, {"rps": "50", "request_ms": "200", "queries": "3", "pool_timeout_s": "0.5",
         "p99_ms": "100", "timeout_rate": "0.02"}),
    (7, {"rps": "5", "instances": "1", "timeout_rate": "0.001", "p99_ms": ""}),
    (1, {"rps": "180", "instances": "3", "max_connections": "20", "p99_ms": "40",
         "timeout_rate": "0.0001", "pool_timeout_s": "2.5"}),
]


def fragment(label, values):
    pairs = [("cell", label)] + list(values.items())
    return "#calc?" + "&".join(f"{k}={urllib.parse.quote(v, safe='')}" for k, v in pairs)


def plan_json(binary, hold_us, values):
    args = [binary, "plan", "--query-time", f"{hold_us}us", "--json"]
    for key, value in values.items():
        if value == "":
            continue
        flag, unit = FLAGS[key]
        args += [flag, value + unit]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
    return json.loads(done.stdout)


def expected(plan):
    erlang, rec, budget = plan["erlang_c"], plan["recommended"], plan["budget"]
    text = lambda v: "null" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
    return {"pool-size": text(rec["pool_size"]), "max-overflow": text(rec["max_overflow"]),
            "total": text(rec["total"]), "basis": rec["basis"],
            "pool-timeout-s": rec["pool_timeout_s"],
            "seeds-pool-size": text(plan["seeds_formula"]["pool_size"]),
            "seeds-max-overflow": text(plan["seeds_formula"]["max_overflow"]),
            "servers-for-timeouts": text(erlang["servers_for_timeouts"]),
            "servers-for-slo": text(erlang["servers_for_slo"]),
            "servers": text(erlang["servers"]), "budget-needed": text(budget["needed"]),
            "budget-available": text(budget["available"]), "budget-fits": text(budget["fits"])}


class Page:
    def __init__(self, index, url_fragment):
        self.url = index.as_uri() + url_fragment
        self.dom = headless_chromium.elements(headless_chromium.dump_dom(self.url))
        self.result = self.dom.attrs.get("calc-result", {})

    def problems(self):
        out = []
        if "js-errors" not in self.dom.attrs:
            out.append(f"{self.url}: no #js-errors box")
        elif self.dom.text["js-errors"].strip():
            out.append(f"{self.url}: JavaScript error: {self.dom.text['js-errors'].strip()}")
        return out

    def data(self, key):
        return self.result.get("data-" + key)


def check_case(binary, index, labels, holds, cell, values):
    label = labels[cell]
    page = Page(index, fragment(label, values))
    problems = page.problems()
    if page.data("status") != "ok":
        return problems + [f"{page.url}: status {page.data('status')!r}: {page.data('message')}"]
    if page.data("cell") != label or page.data("hold-us") != str(holds[cell]):
        problems.append(f"{page.url}: used cell {page.data('cell')!r} hold "
                        f"{page.data('hold-us')} us, expected {label!r} {holds[cell]} us")
    want = expected(plan_json(binary, holds[cell], values))
    for key, value in want.items():
        got = page.data(key)
        same = float(got) == value if key == "pool-timeout-s" and got else got == value
        if not same:
            problems.append(f"{page.url}: {key} is {got!r}, poolbench plan says {value!r}")
    print(f"{label}, {values}: {want['pool-size']} + {want['max-overflow']} ({want['basis']}), "
          f"Erlang C {want['servers-for-timeouts']}/{want['servers-for-slo']}, budget "
          f"{want['budget-needed']} of {want['budget-available']}: same in the page")
    answer = f"pool_size {want['pool-size']} + max_overflow {want['max-overflow']}"
    if answer not in page.dom.text.get("calc-result", ""):
        problems.append(f"{page.url}: the page does not show '{answer}'")
    return problems


def check_bad_inputs(binary, index, labels, holds):
    problems = []
    page = Page(index, fragment(labels[0], {"rps": "-1"}))
    problems += page.problems()
    if page.data("status") != "error" or not (page.data("message") or "").startswith("rps:"):
        problems.append(f"{page.url}: expected an rps error, got {page.data('status')!r} "
                        f"{page.data('message')!r}")
    done = subprocess.run([binary, "plan", "--rps", "-1", "--query-time", f"{holds[0]}us"],
                          capture_output=True, text=True, timeout=60)
    if done.returncode != 2:
        problems.append(f"poolbench plan --rps -1 exited {done.returncode}, expected 2")
    page = Page(index, fragment("no such cell", {"rps": "100"}))
    problems += page.problems()
    if page.data("status") != "error" or "no such cell" not in (page.data("message") or ""):
        problems.append(f"{page.url}: expected an unknown-cell error, got "
                        f"{page.data('status')!r} {page.data('message')!r}")
    return problems


def check_link(index, labels):
    first = Page(index, fragment(labels[2], CASES[0][1]))
    link = first.dom.attrs.get("calc-link", {}).get("href", "")
    if not link.startswith("#calc?"):
        return [f"{first.url}: the link is {link!r}"]
    again = Page(index, link)
    keys = ("cell", "pool-size", "max-overflow", "servers", "budget-fits")
    if [first.data(k) for k in keys] != [again.data(k) for k in keys]:
        return [f"{again.url}: the shared link answers differently from {first.url}"]
    return []


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    binary, source = sys.argv[1], pathlib.Path(sys.argv[2])
    fixture = source / "tests/unit/report/fixtures/erlang_small.json"
    with tempfile.TemporaryDirectory(prefix="poolbench-calc-") as tmp:
        out = pathlib.Path(tmp) / "report"
        subprocess.run([binary, "report", str(fixture), "--out", str(out)], check=True,
                       capture_output=True, timeout=120)
        index = out / "index.html"
        cells = json.loads(fixture.read_text())["cells"]
        holds = [round(c["summary"]["hold_ms"]["mean"] * 1000) for c in cells]
        start = Page(index, "")
        problems = start.problems()
        labels = [o.split(" (mean hold")[0] for o in start.dom.options]
        if len(labels) != len(cells) or start.data("status") != "ok":
            problems.append(f"{start.url}: {len(labels)} cells listed for {len(cells)}, status "
                            f"{start.data('status')!r}")
            labels = labels + ["?"] * len(cells)
        for cell, values in CASES:
            problems += check_case(binary, index, labels, holds, cell, values)
        problems += check_bad_inputs(binary, index, labels, holds)
        problems += check_link(index, labels)
    for problem in problems:
        print(problem)
    print(f"{len(CASES)} calculator cases against poolbench plan: "
          f"{'ok' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
