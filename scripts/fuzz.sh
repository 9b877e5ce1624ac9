#!/usr/bin/env bash
# Builds the fuzz preset (clang++-14, libFuzzer, ASan+UBSan; build-fuzz/) and runs every fuzz
# target: first the committed reproducers in fuzz/regressions/<target>/ (each once), then
# SECONDS of fuzzing from the seed corpus made of the shipped files (fuzz/make_seeds.py) plus
# what earlier runs found (build-fuzz/corpus/<target>/). Any crash, leak, sanitizer report,
# timeout or out-of-memory fails the script; the input is saved in build-fuzz/artifacts/.
# Usage: scripts/fuzz.sh [--time SECONDS] [--no-build] [TARGET...]   (default 8 s, all targets)
# scripts/test.sh runs it with the default; fuzz/README.md has longer runs.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=8
build=1
targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --time) seconds=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [[ ${#targets[@]} -eq 0 ]]; then
  targets=(scenario script dsn app_config profile hdr capture_log)
fi

export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/poolbench-ccache}
if [[ $build == 1 ]]; then
  start=$SECONDS
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j "$(nproc)"
  echo "fuzz: build took $((SECONDS - start)) s"
fi

# Leaks fail the run like crashes; UBSan stops at the first report (the core is built with
# -fno-sanitize-recover=all). fuzz/lsan.supp would list third-party leaks (none so far).
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
if [[ -s fuzz/lsan.supp ]]; then
  export LSAN_OPTIONS="suppressions=$PWD/fuzz/lsan.supp:${LSAN_OPTIONS:-}"
fi

rm -rf build-fuzz/seeds
/usr/bin/python3 fuzz/make_seeds.py . build-fuzz/seeds >/dev/null
mkdir -p build-fuzz/artifacts
for target in "${targets[@]}"; do
  binary=build-fuzz/fuzz/fuzz_$target
  log=build-fuzz/fuzz_$target.log
  options=(-timeout=10 -rss_limit_mb=2048 -artifact_prefix="build-fuzz/artifacts/$target-")
  regressions=(fuzz/regressions/"$target"/*)
  if [[ -e "${regressions[0]}" ]]; then
    if ! "$binary" "${options[@]}" "${regressions[@]}" >"$log" 2>&1; then
      tail -n 40 "$log" >&2
      echo "fuzz: $target: a committed reproducer fails again (fuzz/regressions/$target)" >&2
      exit 1
    fi
  fi
  mkdir -p "build-fuzz/corpus/$target"
  if ! "$binary" "${options[@]}" -max_total_time="$seconds" -print_final_stats=1 \
      "build-fuzz/corpus/$target" "build-fuzz/seeds/$target" >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "fuzz: $target: FAILED; the input is in build-fuzz/artifacts/ (full log: $log)" >&2
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  echo "fuzz: $target: ${runs:-?} inputs in ${seconds} s, no crash, leak or sanitizer report"
done
