#!/usr/bin/python3
"""Seed references: every seed number a file tracked by git cites ("seed 001", "Seed 000's",
"seeds 003 and 004", "seed 000/001", or "seed" at the end of a comment line and the number
at the start of the next) has a "## Seed <number>" section in docs/seeds.md, the page that
says what each seed is and which of its claims poolbench checks. A citation without one
fails, naming the file and line.

Run with --root DIR to check the tree at DIR (exit 1 and one line per citation without a
section); run without arguments for the self-tests: the repository's own tree passes and
cites every seed 000-004, and temporary git repositories with planted citations of seeds
docs/seeds.md lacks (each written form, and a section removed) fail naming file and line.

Usage: tests/style/seed_references_test.py [--root REPO]
"""

import argparse
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
from check_doc_references import tracked_files  # noqa: E402  (one listing of the tree)
SEEDS_DOC = "docs/seeds.md"

# Blanks between words, also across a line break followed by a comment marker, so that
# "seed\n# 003" (a wrapped comment) is one citation.
_GAP = r"(?:[ \t]|\n[ \t]*(?:#+|//+|\*|--)?)"
_NUMBER = r"0\d\d(?!\d)"
# "seed 001", "Seeds 003 and 004", "seed 000/001", "seeds 001, 002 or 003". Not "--seed 042",
# "random_seed 012" (random-number seeds) or "SeedSequence" (no blank before the digits).
CITATION = re.compile(
    rf"(?<![-\w])seeds?{_GAP}+({_NUMBER}(?:{_GAP}*(?:,{_GAP}*(?:and|or)?|/|&|and|or){_GAP}*"
    rf"{_NUMBER})*)",
    re.IGNORECASE)
SECTION = re.compile(r"^## Seed (\d{3})\b", re.MULTILINE)


def citations(root):
    """(path, line, seed number) for every seed number cited in a tracked file of `root`."""
    found = []
    for path in tracked_files(root):
        try:
            text = (root / path).read_text(encoding="utf-8", errors="strict")
        except (UnicodeDecodeError, OSError):
            continue  # binary files
        for match in CITATION.finditer(text):
            start = match.start(1)
            for number in re.finditer(_NUMBER, match.group(1)):
                line = text.count("\n", 0, start + number.start()) + 1
                found.append((path, line, number.group(0)))
    return found


def sections(root):
    """The seed numbers docs/seeds.md has a "## Seed NNN" section for."""
    doc = root / SEEDS_DOC
    return set(SECTION.findall(doc.read_text(encoding="utf-8"))) if doc.exists() else set()


def problems(root):
    """One message per cited seed number without a section in docs/seeds.md."""
    documented = sections(root)
    return [f"{path}:{line}: cites seed {number}, but {SEEDS_DOC} has no \"## Seed {number}\" "
            "section (add one saying what the seed claims and where poolbench checks it)"
            for path, line, number in citations(root) if number not in documented]


def check(root):
    found = problems(root)
    for message in found:
        print(message, file=sys.stderr)
    if not found:
        print(f"seed references: every seed cited has a section in {SEEDS_DOC}")
    return 1 if found else 0


def seed(n):
    """A seed number as the docs write it, built here so this file cites none it plants."""
    return str(n).rjust(3, "0")


class SeedReferences(unittest.TestCase):
    def test_the_repository_cites_every_seed_and_documents_each(self):
        cited = {number for _, _, number in citations(REPO)}
        self.assertTrue({seed(n) for n in range(5)} <= cited, sorted(cited))
        self.assertEqual(problems(REPO), [])


class PlantedReferences(unittest.TestCase):
    """Temporary git repositories: docs/seeds.md as committed plus planted files."""

    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="poolbench-seeds-"))
        (self.tmp / "docs").mkdir()
        shutil.copy(REPO / SEEDS_DOC, self.tmp / SEEDS_DOC)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def run_checker(self, files):
        for name, text in files.items():
            (self.tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (self.tmp / name).write_text(text)
        try:  # tracked files as in the repository; without git, every file (tracked_files)
            subprocess.run(["git", "init", "-q", str(self.tmp)], check=True)
            subprocess.run(["git", "-C", str(self.tmp), "add", "-A"], check=True)
        except OSError:
            pass
        return subprocess.run([sys.executable, str(pathlib.Path(__file__).resolve()), "--root",
                               str(self.tmp)], capture_output=True, text=True, timeout=60)

    def test_citations_of_documented_seeds_pass(self):
        result = self.run_checker({"src/fine.cpp": f"// seed {seed(1)}'s table, seeds "
                                   f"{seed(3)} and {seed(4)}\n"})
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_planted_citations_fail_naming_file_and_line(self):
        planted = (f"// A claim of seeds {seed(3)} and {seed(5)}.\n"
                   "int x = 0;\n"
                   f"// Seed {seed(6)}'s table\n"
                   "// the budget statement of seed\n"
                   f"// {seed(7)}, wrapped\n"
                   f"# seed {seed(0)}/{seed(8)}\n"
                   f"run --order random --seed {seed(42)}; random_seed {seed(12)}\n"
                   f"SeedSequence {seed(13)}\n")
        result = self.run_checker({"src/planted.cpp": planted})
        self.assertEqual(result.returncode, 1)
        for line, number in [(1, 5), (3, 6), (5, 7), (6, 8)]:
            self.assertIn(f"src/planted.cpp:{line}: cites seed {seed(number)},", result.stderr)
        for number in (0, 3, 12, 13, 42):
            self.assertNotIn(f"cites seed {seed(number)},", result.stderr)
        self.assertEqual(len(result.stderr.splitlines()), 4, result.stderr)

    def test_a_removed_section_fails_every_citation_of_its_seed(self):
        doc = self.tmp / SEEDS_DOC
        doc.write_text(doc.read_text().replace(f"## Seed {seed(2)}", f"## The seed {seed(2)}"))
        result = self.run_checker({"README.md": "\n\nSee seed " + seed(2) + ".\n"})
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"README.md:3: cites seed {seed(2)},", result.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", help="check the tree at ROOT instead of running the tests")
    args, rest = parser.parse_known_args()
    if args.root:
        sys.exit(check(pathlib.Path(args.root)))
    unittest.main(argv=[sys.argv[0]] + rest)
