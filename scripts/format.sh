#!/usr/bin/env bash
# Formats every tracked C++ file with clang-format (14); --check only reports.
set -euo pipefail
cd "$(dirname "$0")/.."
clang_format=$(command -v clang-format-14 || command -v clang-format)
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.hpp.in')
if [[ "${1:-}" == "--check" ]]; then
  "$clang_format" --dry-run --Werror "${files[@]}"
else
  "$clang_format" -i "${files[@]}"
fi
