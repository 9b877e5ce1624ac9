#!/usr/bin/python3
"""Fails when a file of the repository cites a document outside it (the design and reference
notes the project started from: DESIGN.md, REFERENCES.md, STYLE.md, ../shared/): comments
and docs cite docs/, README.md, ARCHITECTURE.md or the code.

Files of directories another change is editing may be listed in
scripts/doc_reference_exceptions.txt (one path a line) until that change lands; a listed file
that no longer cites one fails too, so the list only shrinks, to empty.

Usage: scripts/check_doc_references.py [--root REPO]
Exit status: 0 clean, 1 a citation or a stale exception.
"""

import argparse
import pathlib
import re
import subprocess
import sys

PATTERN = re.compile(r"(?<![\w/])(DESIGN\.md|REFERENCES\.md|STYLE\.md)|\.\./shared\b|\bshared/seeds\b"
                     r"|\b\d{3}_[0-9a-f]{16}\.txt\b")
EXCEPTIONS = "scripts/doc_reference_exceptions.txt"
SELF = {"scripts/check_doc_references.py", "tests/style/doc_references_test.py", EXCEPTIONS}


def tracked_files(root):
    """Tracked files (git ls-files), or every file outside .git and build/ without git."""
    try:
        out = subprocess.run(["git", "-C", str(root), "ls-files", "-z"], check=True,
                             capture_output=True).stdout.decode()
        return [p for p in out.split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        return [str(p.relative_to(root)) for p in root.rglob("*")
                if p.is_file() and not {".git", "build"} & set(p.relative_to(root).parts)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default=pathlib.Path(__file__).resolve().parents[1])
    root = pathlib.Path(parser.parse_args().root)
    exceptions_file = root / EXCEPTIONS
    exceptions = set()
    if exceptions_file.exists():
        for line in exceptions_file.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                exceptions.add(line.strip())
    citing = {}
    for path in tracked_files(root):
        if path in SELF:
            continue
        try:
            text = (root / path).read_text(errors="strict")
        except (UnicodeDecodeError, OSError):
            continue  # binary files
        for number, line in enumerate(text.splitlines(), 1):
            if PATTERN.search(line):
                citing.setdefault(path, []).append((number, line.strip()))
    failed = False
    for path, hits in sorted(citing.items()):
        if path in exceptions:
            continue
        failed = True
        for number, line in hits:
            print(f"{path}:{number}: cites a document outside the repository: {line}")
    for path in sorted(exceptions - set(citing)):
        failed = True
        print(f"{EXCEPTIONS}: {path} no longer cites an outside document: remove it from the list")
    if not failed:
        print(f"check_doc_references: {len(citing)} listed exception(s), nothing else cites an "
              "outside document")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
