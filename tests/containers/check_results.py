#!/usr/bin/python3
"""Checks of the results.json files the container tests leave (scripts/test-containers.sh);
merged_problems is also used by tests/k8s/jobs_test.py. Each check prints what it verified
and exits 1 with one line per problem.

  check_results.py run DIR                      one run, embedded server, requests completed,
                                                the report and its charts
  check_results.py matrix DIR CELLS PROFILE...  a finished matrix of CELLS cells on --dsn
                                                servers, each cell with its profile's settings
  check_results.py merged DIR SHARDS            DIR/shard-I/results.json (I < SHARDS), one
                                                start, and DIR/merged/ equal to their sum
"""

import importlib.util
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

COUNTS = ("requests", "completed", "timeouts", "errors", "dropped")


def read(path):
    return json.loads(Path(path).read_text())


def run_problems(out):
    results = read(Path(out) / "results.json")
    problems = []
    if not results["server"]["embedded"]:
        problems.append("the run did not use the embedded server")
    for cell in results["cells"]:
        if cell["summary"]["completed"] <= 0:
            problems.append(f"cell {cell['id']}: no completed request")
    # The report with its gnuplot charts (gnuplot and fonts are in the image).
    for name in ("index.html", "charts/timeseries.svg", "charts/timeseries.png"):
        if not (Path(out) / name).is_file():
            problems.append(f"no {name}")
    return problems, f"{len(results['cells'])} cell(s) on the embedded PostgreSQL " \
                     f"{results['server']['version']}, report and charts written"


def profile_settings(profile):
    """name -> value of scenarios/profiles/<profile>.conf, read by scripts/gen-compose.py."""
    path = REPO / "scripts" / "gen-compose.py"
    spec = importlib.util.spec_from_file_location("gen_compose", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.parse_conf(REPO / "scenarios" / "profiles" / f"{profile}.conf")


def same_value(a, b):
    try:
        return float(a) == float(b)
    except ValueError:
        return a.lower() == b.lower()


def matrix_problems(out, cells, profiles):
    """A complete matrix on --dsn servers whose cells saw each profile's settings there."""
    out = Path(out)
    results = read(out / "results.json")
    problems = []
    if not results["matrix"]["complete"] or len(results["cells"]) != cells:
        problems.append(f"expected a complete matrix of {cells} cells, got "
                        f"{len(results['cells'])} (complete: {results['matrix']['complete']})")
    if results["server"]["embedded"]:
        problems.append("the matrix ran on an embedded server, not the compose servers")
    seen = set()
    for cell in results["cells"]:
        profile = cell["params"]["server.profile"]
        seen.add(profile)
        for name, value in profile_settings(profile).items():
            actual = cell["server_settings"].get(name)
            if actual is None or not same_value(actual, value):
                problems.append(f"cell {cell['id']}: {name} = {actual} on its server, profile "
                                f"{profile} says {value}")
        if cell["summary"]["completed"] <= 0:
            problems.append(f"cell {cell['id']}: no completed request")
    if seen != set(profiles):
        problems.append(f"profiles {sorted(seen)}, expected {sorted(profiles)}")
    if not (out / "index.html").is_file():
        problems.append(f"no {out / 'index.html'}")
    return problems, f"{len(results['cells'])} cells, profiles {', '.join(sorted(seen))} " \
                     f"(first on {results['dsn']})"


def merged_problems(run_dir, count):
    """Problems of DIR/shard-I/results.json (I < count) merged into DIR/merged/."""
    run_dir = Path(run_dir)
    shards = [read(run_dir / f"shard-{i}" / "results.json") for i in range(count)]
    merged = read(run_dir / "merged" / "results.json")
    problems = []
    if sorted(s["shard"]["index"] for s in shards) != list(range(count)):
        problems.append("the shards' indexes are not 0..N-1")
    starts = {s["shard"]["start_at_unix_s"] for s in shards}
    if len(starts) != 1:
        problems.append(f"the shards started at different --start-at: {sorted(starts)}")
    if merged["shards"]["count"] != count or not merged["matrix"]["complete"]:
        problems.append(f"merged: shards.count {merged['shards']['count']}, complete "
                        f"{merged['matrix']['complete']}")
    if not (run_dir / "merged" / "index.html").is_file():
        problems.append("no merged/index.html")
    ids = [c["id"] for c in merged["cells"]]
    for shard in shards:
        if [c["id"] for c in shard["cells"]] != ids:
            problems.append(f"shard {shard['shard']['index']}: cells {[c['id'] for c in shard['cells']]}"
                            f" != merged {ids}")
            return problems, ""
    totals = []
    for c, cell in enumerate(merged["cells"]):
        for key in COUNTS:
            total = sum(shard["cells"][c]["summary"][key] for shard in shards)
            if cell["summary"][key] != total:
                problems.append(f"cell {cell['id']}: merged {key} {cell['summary'][key]} != "
                                f"the shards' sum {total}")
        if cell["summary"]["completed"] <= 0:
            problems.append(f"cell {cell['id']}: no completed request")
        totals.append(f"{cell['id']}: {cell['summary']['completed']} completed = " + " + ".join(
            str(shard["cells"][c]["summary"]["completed"]) for shard in shards))
    return problems, f"{count} shards from one start; merged " + "; ".join(totals)


def main(argv):
    kind, args = argv[1], argv[2:]
    if kind == "run":
        problems, summary = run_problems(args[0])
    elif kind == "matrix":
        problems, summary = matrix_problems(args[0], int(args[1]), args[2:])
    elif kind == "merged":
        problems, summary = merged_problems(args[0], int(args[1]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for problem in problems:
        print(f"check_results {kind}: {problem}", file=sys.stderr)
    if not problems:
        print(f"check_results {kind}: ok: {summary}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
