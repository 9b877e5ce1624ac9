#!/usr/bin/python3
"""The function-length check (scripts/check_function_length.py) on small planted sources and
on a temporary copy of the repository: it measures functions, constructors with braced
member initializers, lambdas and templates as the compiler sees them (not namespaces,
classes or initializers), fails naming the file and line of a function over the limit, and
fails on an exception entry whose function is no longer long."""

import pathlib
import shutil
import subprocess
import sys
import tempfile
import unittest

REPO = pathlib.Path(__file__).resolve().parents[2]
CHECKER = REPO / "scripts" / "check_function_length.py"
sys.path.insert(0, str(CHECKER.parent))
import check_function_length  # noqa: E402

SAMPLE = r'''#include "x.hpp"
// A comment with a brace { and a "quote
namespace poolbench::sample {
namespace {

constexpr std::array k_names = {"a", "b}"};  // an initializer, not a function

struct Point {
  int x{0};
  int y = 1;
  int sum() const noexcept { return x + y; }
};

template <class T>
T twice(T value) {
  return value + value;
}

}  // namespace

Widget::Widget(int size) : m_size{size}, m_name("w") {
  const char* raw = R"({ not a brace })";
  m_parts.push_back('{');
}

auto make() -> int {
  auto f = [](int v) {
    return v + 1;
  };
  return f(1'000);
}

}  // namespace poolbench::sample
'''


def run_checker(root):
    return subprocess.run([sys.executable, str(CHECKER), "--root", str(root)],
                          capture_output=True, text=True, timeout=120)


class FunctionScanner(unittest.TestCase):
    def test_functions_are_found_with_their_first_and_last_lines(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / "sample.cpp"
            path.write_text(SAMPLE)
            found = check_function_length.functions(path)
        self.assertEqual(found, [("sum", 11, 11), ("twice", 14, 17),
                                 ("Widget::Widget", 21, 24), ("make", 26, 31)])


class FunctionLengthCheck(unittest.TestCase):
    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="poolbench-length-"))
        shutil.copytree(REPO / "src", self.tmp / "src")
        (self.tmp / "scripts").mkdir()
        if (REPO / check_function_length.EXCEPTIONS).exists():
            shutil.copy(REPO / check_function_length.EXCEPTIONS, self.tmp / "scripts")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_the_source_tree_passes(self):
        result = run_checker(self.tmp)
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_a_planted_long_function_fails_naming_its_file_and_line(self):
        source = self.tmp / "src" / "util" / "strings.cpp"
        lines = source.read_text().splitlines()
        body = ["  total += 1;"] * 80
        planted = ["namespace poolbench::util {", "int planted_long() {", "  int total = 0;"] + \
            body + ["  return total;", "}", "}  // namespace poolbench::util"]
        source.write_text("\n".join(lines + planted) + "\n")
        result = run_checker(self.tmp)
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"src/util/strings.cpp:{len(lines) + 2}: planted_long is 84 lines",
                      result.stderr)

    def test_an_exception_whose_function_is_short_now_fails(self):
        exceptions = self.tmp / check_function_length.EXCEPTIONS
        listed = exceptions.read_text() if exceptions.exists() else ""
        exceptions.write_text(listed + "src/util/strings.cpp to_lower\n")
        result = run_checker(self.tmp)
        self.assertEqual(result.returncode, 1)
        self.assertIn("src/util/strings.cpp to_lower is no longer over 80 lines", result.stderr)


if __name__ == "__main__":
    unittest.main()
