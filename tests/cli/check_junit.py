#!/usr/bin/python3
"""Checks a JUnit XML file written by `poolbench compare --junit` (Debian's python3, stdlib).

Usage: check_junit.py FILE TESTCASES FAILURES

- well formed XML (xml.etree's parser);
- the structure CI systems read (GitLab, Jenkins, the strict windyroad JUnit.xsd's required
  attributes): <testsuites tests failures> > <testsuite name tests failures errors skipped
  time timestamp hostname> > <testcase name classname time> with an optional
  <failure message type> and <system-out>; nothing else;
- integers where counts are, decimal seconds for time, timestamp ISO 8601 without a zone;
- counts add up: per suite and in total, and equal TESTCASES and FAILURES;
- (classname, name) unique, as GitLab keys test cases by both.
Exit 0 when everything holds; otherwise 1 with one line per problem.
"""

import re
import sys
import xml.etree.ElementTree as ET

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
DECIMAL = re.compile(r"^\d+(\.\d+)?$")


def main():
    path, want_cases, want_failures = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    problems = []
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as error:
        print(f"{path}: not well-formed XML: {error}")
        return 1

    def need(element, names):
        for name in names:
            if name not in element.attrib:
                problems.append(f"<{element.tag}> lacks {name}=")

    def integer(element, name):
        value = element.attrib.get(name, "")
        if not value.isdigit():
            problems.append(f"<{element.tag}> {name}={value!r} is not a count")
            return 0
        return int(value)

    if root.tag != "testsuites":
        problems.append(f"root is <{root.tag}>, expected <testsuites>")
    need(root, ["tests", "failures"])
    cases_total = failures_total = 0
    keys = set()
    for suite in root:
        if suite.tag != "testsuite":
            problems.append(f"<testsuites> holds <{suite.tag}>")
            continue
        need(suite, ["name", "tests", "failures", "errors", "skipped", "time", "timestamp",
                     "hostname"])
        if not TIMESTAMP.match(suite.attrib.get("timestamp", "")):
            problems.append(f"timestamp {suite.attrib.get('timestamp')!r} is not ISO 8601 "
                            "without a zone")
        cases = failures = 0
        for case in suite:
            if case.tag != "testcase":
                problems.append(f"<testsuite> holds <{case.tag}>")
                continue
            need(case, ["name", "classname", "time"])
            if not DECIMAL.match(case.attrib.get("time", "")):
                problems.append(f"testcase time {case.attrib.get('time')!r} is not decimal")
            key = (case.attrib.get("classname"), case.attrib.get("name"))
            if key in keys:
                problems.append(f"duplicate test case {key}")
            keys.add(key)
            cases += 1
            for child in case:
                if child.tag == "failure":
                    need(child, ["message", "type"])
                    failures += 1
                elif child.tag != "system-out":
                    problems.append(f"<testcase> holds <{child.tag}>")
        if integer(suite, "tests") != cases:
            problems.append(f"suite {suite.attrib.get('name')!r}: tests= says "
                            f"{suite.attrib.get('tests')}, it holds {cases}")
        if integer(suite, "failures") != failures:
            problems.append(f"suite {suite.attrib.get('name')!r}: failures= says "
                            f"{suite.attrib.get('failures')}, it holds {failures}")
        cases_total += cases
        failures_total += failures
    if integer(root, "tests") != cases_total or integer(root, "failures") != failures_total:
        problems.append("<testsuites> counts do not add up")
    if cases_total != want_cases:
        problems.append(f"{cases_total} test cases, expected {want_cases}")
    if failures_total != want_failures:
        problems.append(f"{failures_total} failures, expected {want_failures}")
    for problem in problems:
        print(f"{path}: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
