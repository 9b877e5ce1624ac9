#!/usr/bin/python3
"""Fails when a function in src/ is longer than the limit (80 lines).

A function's length is counted from the first line of its declaration to its closing brace,
inclusive (lambdas count in the function around them; a lambda at namespace scope is a
function of its own). The sources are clang-formatted C++: the scanner blanks comments,
string and character literals (raw strings too) and preprocessor lines, then matches braces
and tells a function body from a namespace, class or initializer by what precedes its `{`.

Known exceptions (functions of directories another change is splitting) are listed in
scripts/function_length_exceptions.txt as `path name` lines; an entry whose function is no
longer over the limit fails too, so the list only shrinks.

Usage: scripts/check_function_length.py [--root REPO] [--limit N] [--list] [FILE...]
  --list  print every function over the limit (exceptions included) and exit 0
Exit status: 0 clean, 1 a function over the limit or a stale exception.
"""

import argparse
import pathlib
import re
import sys

LIMIT = 80
EXCEPTIONS = "scripts/function_length_exceptions.txt"
SUFFIXES = {".cpp", ".hpp"}

# What may stand between a parameter list's `)` and a function body's `{`.
QUALIFIERS = re.compile(
    r"^(\s|const\b|volatile\b|noexcept\b|override\b|final\b|mutable\b|constexpr\b|&|"
    r"->[^{;]*|requires\b[^{;]*)*$")
CLASS_HEAD = re.compile(r"(^|[\s;>])(class|struct|union|enum)\b")
NAMESPACE_HEAD = re.compile(r"(^|\s)(namespace\b|extern\s*\"[^\"]*\"\s*$)")
RAW_PREFIX = re.compile(r"(?<![\w])(u8|u|U|L)?R$")
ACCESS = re.compile(r"\b(public|private|protected)\s*:(?!:)")
NAME = re.compile(r"(operator\s*(\(\)|[^\s(]+)|~?[A-Za-z_][\w:~<>,\s]*?)\s*\($")


def blank(text):
    """`text` with comments, literals and preprocessor lines replaced by spaces (newlines
    kept, so line numbers stay)."""
    out = []
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        c = text[i]
        if at_line_start and c == "#":
            # A preprocessor line and its backslash continuations.
            while i < n and not (text[i] == "\n" and text[i - 1] != "\\"):
                out.append("\n" if text[i] == "\n" else " ")
                i += 1
            continue
        if c == "\n":
            at_line_start = True
            out.append(c)
            i += 1
            continue
        if not c.isspace():
            at_line_start = False
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                out.append(" ")
                i += 1
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
            continue
        if c == '"' and i > 0 and text[i - 1] == "R" and RAW_PREFIX.search(text, max(0, i - 3), i):
            delimiter = text[i + 1:text.find("(", i + 1)]
            end = text.find(")" + delimiter + '"', i + 1)
            end = n if end < 0 else end + len(delimiter) + 2
            out.append('"' + re.sub(r"[^\n]", " ", text[i + 1:end - 1]) + '"')
            i = end
            continue
        if c in "\"'":
            # A digit separator (1'000'000) is not a character literal.
            if c == "'" and i > 0 and text[i - 1].isalnum() and i + 1 < n and text[i + 1].isalnum():
                out.append(" ")
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (j - i - 1) + c)
            i = j + 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def after_last_paren(head):
    """The text after the last `)` that closes a parenthesis at depth 0, or None."""
    depth, last = 0, None
    for index, c in enumerate(head):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                last = index
    return None if last is None else head[last + 1:]


def strip_templates(head):
    """`head` without its `template <...>` parameter lists (`class T` is no class)."""
    out, i = [], 0
    for match in re.finditer(r"\btemplate\s*<", head):
        if match.start() < i:
            continue
        out.append(head[i:match.start()])
        depth, j = 0, match.end() - 1
        while j < len(head):
            depth += {"<": 1, ">": -1}.get(head[j], 0)
            j += 1
            if depth == 0:
                break
        i = j
    out.append(head[i:])
    return " ".join(out)


def constructor_initializers(head):
    """The text after `(params) [noexcept] :` when `head` is a constructor's declaration
    with its member initializer list, else None."""
    depth = 0
    for index, c in enumerate(head):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                match = re.match(r"\s*(noexcept\s*)?:(?!:)", head[index + 1:])
                if match:
                    return head[index + 1 + match.end():]
    return None


def function_name(head):
    """The declarator name of a function head (`Foo::bar`, `operator()`), or `lambda`."""
    depth, start = 0, None
    for index, c in enumerate(head):
        if c == "(" and depth == 0 and start is None:
            start = index
            break
        if c in "<[":
            depth += 1
        elif c in ">]":
            depth = max(0, depth - 1)
    if start is None:
        return "?"
    before = head[:start + 1]
    if re.search(r"\]\s*\($", before) or re.search(r"\]\s*$", head[:start]):
        return "lambda"
    match = NAME.search(" ".join(before.split()))
    if not match:
        return "?"
    name = match.group(1).strip()
    # The last component of a qualified type-and-name run: `std::string Foo::bar` -> Foo::bar.
    return name.split()[-1] if " " in name and not name.startswith("operator") else name


def functions(path):
    """(name, first line, last line) of every function defined in `path`."""
    text = blank(path.read_text(encoding="utf-8", errors="replace"))
    found = []
    stack = []  # scope kinds: "scope" (namespace, class, top), "func", "init"
    head, head_start = "", None

    def reset():
        nonlocal head, head_start
        head, head_start = "", None

    line = 1
    for c in text:
        if c == "\n":
            line += 1
        inside = stack[-1][0] if stack else "scope"
        if inside != "scope":
            if c == "{":
                stack.append(("inner", line))
            elif c == "}":
                kind, start = stack.pop()
                if kind == "func":
                    found.append((start[0], start[1], line))
                    reset()
                elif kind == "init":
                    # A member's braced initializer inside a constructor's initializer list,
                    # or a variable's: the declaration goes on.
                    head += "{}"
            continue
        if c == "{":
            body_head = strip_templates(head)
            rest = after_last_paren(body_head)
            initializers = constructor_initializers(body_head)
            class_head = CLASS_HEAD.search(body_head)
            if NAMESPACE_HEAD.search(body_head) or (
                    class_head and "(" not in body_head[:class_head.start()]):
                stack.append(("scope", line))
                reset()
            elif initializers is not None and re.search(r"[\w>]\s*$", initializers):
                stack.append(("init", line))  # member{...} in a constructor's list
            elif rest is not None and (QUALIFIERS.match(rest) or initializers is not None):
                first = head_start if head_start is not None else line
                stack.append(("func", (function_name(body_head), first)))
            else:
                stack.append(("init", line))
            continue
        if c == "}":
            if stack:
                stack.pop()
            reset()
            continue
        if c == ";":
            reset()
            continue
        if head_start is None and not c.isspace():
            head_start = line
        head += c
        if c == ":" and ACCESS.search(head):
            reset()
    return found


def read_exceptions(root):
    path = root / EXCEPTIONS
    entries = {}
    if not path.exists():
        return entries
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        text = raw.split("#", 1)[0].strip()
        if text:
            file, name = text.split(None, 1)
            entries[(file, name.strip())] = number
    return entries


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=pathlib.Path(__file__).resolve().parent.parent)
    parser.add_argument("--limit", type=int, default=LIMIT)
    parser.add_argument("--list", action="store_true")
    parser.add_argument("files", nargs="*")
    args = parser.parse_args()
    root = pathlib.Path(args.root)
    if args.files:
        files = [pathlib.Path(f) for f in args.files]
    else:
        files = sorted(p for p in (root / "src").rglob("*") if p.suffix in SUFFIXES)
    long_ones = []
    for path in files:
        relative = path.resolve().relative_to(root.resolve()).as_posix() if path.is_absolute() \
            or (root / path).exists() else str(path)
        for name, first, last in functions(path if path.is_absolute() else root / path):
            length = last - first + 1
            if length > args.limit:
                long_ones.append((relative, first, name, length))
    if args.list:
        for relative, first, name, length in sorted(long_ones, key=lambda f: -f[3]):
            print(f"{length:5d} {relative}:{first} {name}")
        return 0
    exceptions = read_exceptions(root)
    problems = []
    for relative, first, name, length in long_ones:
        if (relative, name) in exceptions:
            exceptions.pop((relative, name))
            continue
        problems.append(f"{relative}:{first}: {name} is {length} lines (at most {args.limit}): "
                        "split it")
    if not args.files:
        for (relative, name), number in exceptions.items():
            problems.append(f"{EXCEPTIONS}:{number}: {relative} {name} is no longer over "
                            f"{args.limit} lines (or is gone): remove the entry")
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"check_function_length: {len(files)} files, no function over {args.limit} lines "
              f"outside {EXCEPTIONS}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
