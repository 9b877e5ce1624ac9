#!/usr/bin/python3
"""Checks a poolbench index.html as the report tests need (Debian's python3, stdlib only).

Usage: check_report_html.py INDEX.html CHART_NAME...

- well formed: every non-void element is closed, in order (html.parser events);
- the verdict table (<table class="verdicts">) and a figure id="chart-NAME" holding an inline
  <svg> for each CHART_NAME;
- self-contained: no src attributes (so scripts are inline: the sizing calculator's), no
  <link>/<iframe>/<object>/<embed>/<img>, every href is a fragment (#...), and no
  http:/https: anywhere except the SVG namespace declarations (xmlns attributes name a
  namespace, they fetch nothing); no fetch/XMLHttpRequest/import in a script.
Exit 0 when everything holds; otherwise 1 with one line per problem.
"""

import re
import sys
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
FORBIDDEN = {"link", "iframe", "object", "embed", "img"}
NETWORK_IN_SCRIPTS = ("fetch(", "XMLHttpRequest", "import(", "WebSocket", "sendBeacon")


class Checker(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.problems = []
        self.verdict_table = False
        self.figure = None  # the chart figure currently open
        self.charts_with_svg = set()

    def where(self):
        line, col = self.getpos()
        return f"line {line}:{col}"

    def check_attrs(self, tag, attrs):
        for name, value in attrs:
            value = value or ""
            if name == "src":
                self.problems.append(f"{self.where()}: <{tag} src={value!r}>")
            if name.endswith("href") and not value.startswith("#"):
                self.problems.append(f"{self.where()}: <{tag} {name}={value!r}> is not a fragment")
            if not name.startswith("xmlns") and ("http:" in value or "https:" in value):
                self.problems.append(f"{self.where()}: <{tag} {name}={value!r}> names a URL")
            if name == "style" and "url(" in value:
                self.problems.append(f"{self.where()}: <{tag} style> uses url()")

    def handle_starttag(self, tag, attrs):
        self.start(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.start(tag, attrs)

    def start(self, tag, attrs):
        if tag in FORBIDDEN:
            self.problems.append(f"{self.where()}: <{tag}> is not allowed in a self-contained page")
        self.check_attrs(tag, attrs)
        attributes = dict(attrs)
        if tag == "table" and "verdicts" in (attributes.get("class") or "").split():
            self.verdict_table = True
        if tag == "figure" and (attributes.get("id") or "").startswith("chart-"):
            self.figure = attributes["id"][len("chart-"):]
        if tag == "svg" and self.figure is not None:
            self.charts_with_svg.add(self.figure)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(
                f"{self.where()}: </{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()
        if tag == "figure":
            self.figure = None

    def handle_data(self, data):
        if "http:" in data or "https:" in data:
            self.problems.append(f"{self.where()}: text names a URL: {data.strip()[:60]!r}")


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    with open(sys.argv[1], encoding="utf-8") as page:
        text = page.read()
    checker = Checker()
    checker.feed(text)
    checker.close()
    problems = checker.problems
    if checker.stack:
        problems.append(f"unclosed at the end: {checker.stack}")
    if not checker.verdict_table:
        problems.append('no <table class="verdicts">')
    for name in sys.argv[2:]:
        if name not in checker.charts_with_svg:
            problems.append(f"no inline <svg> in figure id=chart-{name}")
    if "@import" in text:
        problems.append("@import in the page")
    for script in re.findall(r"<script[^>]*>(.*?)</script>", text, flags=re.S):
        for word in NETWORK_IN_SCRIPTS:
            if word in script:
                problems.append(f"a script uses {word}")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
