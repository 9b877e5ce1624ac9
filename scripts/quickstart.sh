#!/usr/bin/env bash
# poolbench's main job, end to end on a fresh Debian 12 machine (root, or a user with sudo):
# installs what is missing, builds the default preset (reusing build/), then runs the
# quickstart matrix (read-heavy and write-heavy workloads x a small pool grid x the ssd and
# hdd profiles) against an embedded PostgreSQL it starts itself, prints a table of every
# cell, and leaves reports/quickstart/index.html, summary.md, cells.csv, results.json and
# charts/.
#   POOLBENCH_QUICK=1 scripts/quickstart.sh   short cells (CI runs this form)
#   scripts/quickstart.sh --order random      extra flags go to `poolbench matrix`
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/poolbench-ccache}
echo "quickstart: building (cmake --preset default)..."
cmake --preset default >/dev/null
cmake --build --preset default --target poolbench -j "$(nproc)" | tail -n 1

out=reports/quickstart
args=(matrix scenarios/quickstart.yaml --out "$out" --fresh)
if [[ "${POOLBENCH_QUICK:-0}" == 1 ]]; then
  # The same matrix with 1 s cells: proves the main job works, measures little.
  args+=(--set workload.duration=1s --set workload.warmup=300ms --settle 0s)
fi
echo "quickstart: poolbench ${args[*]} $*"
status=0
build/poolbench "${args[@]}" "$@" || status=$?
if [[ -f $out/index.html ]]; then
  echo
  echo "quickstart: open $out/index.html in a browser (summary.md for a pull request;"
  echo "            results.json, cells.csv and charts/ beside it)"
elif [[ -f $out/results.json ]]; then
  echo
  echo "quickstart: results in $out/results.json"
fi
exit $status
