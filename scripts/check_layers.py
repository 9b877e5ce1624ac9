#!/usr/bin/python3
"""Checks the include graph between the directories of src/ against src/layers.txt.

Every `#include "dir/..."` in a file under src/ whose first path component is another
directory of src/ must be listed in src/layers.txt as `from -> to` (files directly in src/,
such as main.cpp, are the layer `main`). An include missing from the list fails naming the
file and line; a cycle in the list, or a list line naming no directory of src/, fails too.

Usage: scripts/check_layers.py [--root REPO] [--unused]
  --root REPO  the repository to check (default: the one this script is in)
  --unused     also print allowed edges that no include uses (never a failure)
Exit status: 0 clean, 1 a violation, 2 the list itself is unreadable.
"""

import argparse
import pathlib
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
EDGE = re.compile(r"^([a-z_]+)\s*->\s*([a-z_]+)$")
SOURCE_SUFFIXES = {".cpp", ".hpp", ".in"}
ROOT_LAYER = "main"


def read_allowed(path, layers):
    """The allowed edges {(from, to): line}; problems as 'file:line: message'."""
    allowed, problems = {}, []
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = EDGE.match(line)
        if not match:
            problems.append(f"{path}:{number}: expected 'from -> to', got '{raw.strip()}'")
            continue
        for name in match.groups():
            if name not in layers:
                problems.append(f"{path}:{number}: '{name}' is not a directory of src/")
        allowed[match.groups()] = number
    return allowed, problems


def find_cycle(edges):
    """One cycle of the directed graph as a list of nodes (first == last), or None."""
    graph = {}
    for source, target in edges:
        graph.setdefault(source, []).append(target)
    state = {}  # node -> 1 on the current path, 2 finished

    def visit(node, path):
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, [])):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state:
                cycle = visit(target, path)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node, [])
            if cycle:
                return cycle
    return None


def scan_includes(src, layers):
    """Yields (file, line, from_layer, to_layer) for each include of another layer."""
    for path in sorted(src.rglob("*")):
        if not path.is_file() or path.suffix not in SOURCE_SUFFIXES:
            continue
        relative = path.relative_to(src)
        source = relative.parts[0] if len(relative.parts) > 1 else ROOT_LAYER
        text = path.read_text(errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            match = INCLUDE.match(line)
            if not match or "/" not in match.group(1):
                continue
            target = match.group(1).split("/", 1)[0]
            if target in layers and target != source:
                yield path, number, source, target


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=pathlib.Path,
                        default=pathlib.Path(__file__).resolve().parent.parent)
    parser.add_argument("--unused", action="store_true")
    args = parser.parse_args()
    src = args.root / "src"
    list_file = src / "layers.txt"
    if not list_file.is_file():
        print(f"{list_file}: no such file", file=sys.stderr)
        return 2
    layers = {p.name for p in src.iterdir() if p.is_dir()} | {ROOT_LAYER}
    allowed, problems = read_allowed(list_file, layers)
    cycle = find_cycle(allowed)
    if cycle:
        problems.append(f"{list_file}: the allowed includes form a cycle: "
                        + " -> ".join(cycle))
    used = set()
    for path, number, source, target in scan_includes(src, layers):
        used.add((source, target))
        if (source, target) not in allowed:
            problems.append(f"{path.relative_to(args.root)}:{number}: {source}/ includes "
                            f"{target}/, which {list_file.relative_to(args.root)} does not "
                            f"allow ('{source} -> {target}')")
    for problem in problems:
        print(problem, file=sys.stderr)
    if args.unused:
        for source, target in sorted(set(allowed) - used):
            print(f"unused: {source} -> {target}")
    if problems:
        return 1
    print(f"layers: {len(used)} directory-to-directory include edges, all allowed, no cycle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
