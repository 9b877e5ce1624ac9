#!/usr/bin/python3
"""The layer check (scripts/check_layers.py) on temporary copies of src/: it passes on the
tree as it is, and fails naming the file and line of a planted back-edge, and on a cycle
planted in the allowed list."""

import pathlib
import shutil
import subprocess
import sys
import tempfile
import unittest

REPO = pathlib.Path(__file__).resolve().parents[2]
CHECKER = REPO / "scripts" / "check_layers.py"


def run_checker(root):
    return subprocess.run([sys.executable, str(CHECKER), "--root", str(root)],
                          capture_output=True, text=True, timeout=60)


class LayerCheck(unittest.TestCase):
    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="poolbench-layers-"))
        shutil.copytree(REPO / "src", self.tmp / "src")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_the_source_tree_passes(self):
        result = run_checker(self.tmp)
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_a_planted_back_edge_fails_naming_its_file_and_line(self):
        header = self.tmp / "src" / "util" / "strings.hpp"
        lines = header.read_text().splitlines()
        header.write_text("\n".join(lines + ['#include "cli/cli.hpp"']) + "\n")
        result = run_checker(self.tmp)
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"src/util/strings.hpp:{len(lines) + 1}: util/ includes cli/",
                      result.stderr)

    def test_a_cycle_in_the_allowed_list_fails(self):
        layers = self.tmp / "src" / "layers.txt"
        layers.write_text(layers.read_text() + "util -> cli  # planted\n")
        result = run_checker(self.tmp)
        self.assertEqual(result.returncode, 1)
        self.assertIn("the allowed includes form a cycle", result.stderr)
        self.assertIn("util -> cli", result.stderr)

    def test_a_list_line_naming_no_directory_fails(self):
        layers = self.tmp / "src" / "layers.txt"
        layers.write_text(layers.read_text() + "util -> nowhere\n")
        result = run_checker(self.tmp)
        self.assertEqual(result.returncode, 1)
        self.assertIn("'nowhere' is not a directory of src/", result.stderr)


if __name__ == "__main__":
    unittest.main()
