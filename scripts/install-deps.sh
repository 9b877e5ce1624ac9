#!/usr/bin/env bash
# Installs the Debian packages poolbench needs to build, test and run, and only those that
# are missing. Idempotent and non-interactive; uses sudo when not run as root.
# Usage: scripts/install-deps.sh [--test | --build | --bench]
#   --test   adds what only the tests need
#   --build  only what compiling the `poolbench` binary needs (the Dockerfile's build stage)
#   --bench  adds what the scripts in bench/ need besides the build
set -euo pipefail

# Compiling the binary (configured with POOLBENCH_BUILD_TESTS=OFF, POOLBENCH_BUILD_BENCH=OFF).
build_packages=(
  build-essential cmake ninja-build pkg-config
  libpq-dev libboost-program-options-dev nlohmann-json3-dev libyaml-cpp-dev libfmt-dev zlib1g-dev
  libkainjow-mustache-dev
)
packages=(
  "${build_packages[@]}" ccache git
  libgtest-dev libgmock-dev libbenchmark-dev
  postgresql postgresql-contrib gnuplot-nox openssl
)
if [[ "${1:-}" == "--build" ]]; then
  packages=("${build_packages[@]}")
elif [[ "${1:-}" == "--test" ]]; then
  # clang-14 + libfuzzer-14-dev (+ libclang-rt-14-dev: the sanitizer runtimes): the fuzz preset.
  # chromium: the headless report tests (tests/cli/check_report_calculator.py, _charts.py).
  packages+=(python3-jsonschema python3-yaml clang-14 clang-format-14 libfuzzer-14-dev
    libclang-rt-14-dev chromium)
elif [[ "${1:-}" == "--bench" ]]; then
  # callgrind (bench/instructions-vs-pgbench.sh) and GNU time (bench/memory-by-clients.sh).
  packages+=(valgrind time)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null; then
    echo "install-deps: missing packages (${missing[*]}) and not root; install them as root" >&2
    exit 1
  fi
  sudo_cmd=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
echo "install-deps: installed ${#missing[@]} package(s)"
