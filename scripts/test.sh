#!/usr/bin/env bash
# Runs every poolbench test: installs what is missing, checks the format, builds the ci
# preset (the default build with warnings as errors), tsan and asan presets, and runs unit,
# integration (real embedded PostgreSQL), CLI, layer, function-length and documentation
# tests in the ci preset, the pool/generator tests under ThreadSanitizer and the unit tests
# under ASan+UBSan, the quickstart matrix in its short form, and each libFuzzer target for a
# few seconds (the fuzz preset, scripts/fuzz.sh). Exits non-zero on any failure.
#   POOLBENCH_SKIP_SANITIZERS=1  skip the tsan, asan and fuzz presets (a quicker local loop)
#   POOLBENCH_FUZZ_SECONDS=N     seconds per fuzz target (default 8)
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh --test

jobs=$(nproc)
export CTEST_PARALLEL_LEVEL=$jobs
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/poolbench-ccache}

step() { printf '\n=== %s (%ds)\n' "$1" "$SECONDS"; }

# clang-format-14 over every tracked C++ file (what the check_format target runs); seconds.
# The layer, function-length and documentation checks are ctest tests of the ci preset.
step "format check"
./scripts/format.sh --check

presets=(ci)
if [[ "${POOLBENCH_SKIP_SANITIZERS:-0}" != 1 ]]; then
  presets+=(tsan asan)
fi

for preset in "${presets[@]}"; do
  step "configure + build: $preset"
  cmake --preset "$preset" >/dev/null
  # ThreadSanitizer runs only the tests labelled tsan: build just those executables.
  targets=()
  [[ "$preset" == tsan ]] && targets=(--target poolbench_tsan_tests)
  cmake --build --preset "$preset" -j "$jobs" "${targets[@]}"
  step "test: $preset"
  ctest --preset "$preset" -j "$jobs"
  if [[ "$preset" == ci ]]; then
    # The main job, in its short form, so the README's first command can never silently break.
    step "quickstart (POOLBENCH_QUICK=1)"
    POOLBENCH_QUICK=1 ./scripts/quickstart.sh --quiet
  fi
done

if [[ "${POOLBENCH_SKIP_SANITIZERS:-0}" != 1 ]]; then
  # Reproducers of past findings, then ${POOLBENCH_FUZZ_SECONDS:-8} s per target from the seeds.
  step "fuzz: build + short runs"
  ./scripts/fuzz.sh --time "${POOLBENCH_FUZZ_SECONDS:-8}"
fi

step "all tests passed"
