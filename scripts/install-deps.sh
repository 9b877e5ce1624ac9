#!/usr/bin/env bash
# Installs the Debian packages poolbench needs to build, test and run, and only those that
# are missing. Idempotent and non-interactive; uses sudo when not run as root.
# Usage: scripts/install-deps.sh [--test]   (--test adds what only the tests need)
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libpq-dev libboost-program-options-dev nlohmann-json3-dev libyaml-cpp-dev libfmt-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  postgresql postgresql-contrib gnuplot-nox openssl libkainjow-mustache-dev
)
if [[ "${1:-}" == "--test" ]]; then
  # clang-14 + libfuzzer-14-dev (+ libclang-rt-14-dev: the sanitizer runtimes): the fuzz preset.
  packages+=(python3-jsonschema python3-yaml clang-14 clang-format-14 libfuzzer-14-dev
    libclang-rt-14-dev)
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
