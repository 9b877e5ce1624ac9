#!/usr/bin/python3
"""Keeps the requests of a trace whose first statement starts with one of the given
prefixes (the application's requests, not poolbench's own setup and monitoring sessions),
re-based to arrive from 0 and with a dictionary of only the statements they use.

    cut_trace.py IN.jsonl.gz OUT.jsonl.gz PREFIX...

How scenarios/replay_example/trace.jsonl.gz was made: README.md beside this file.
"""
import gzip
import json
import sys


def main(source, target, prefixes):
    with gzip.open(source, "rt", encoding="utf-8") as lines:
        header = json.loads(next(lines))
        requests = [json.loads(line) for line in lines]
    texts = header["statements"]
    kept = [r for r in requests
            if texts[r["statements"][0]["q"]]["sql"].startswith(tuple(prefixes))]
    index = {}
    dictionary = []
    for request in kept:
        for statement in request["statements"]:
            q = statement["q"]
            if q not in index:
                index[q] = len(dictionary)
                dictionary.append(texts[q])
            statement["q"] = index[q]
    origin = kept[0]["at_us"]
    for request in kept:
        request["at_us"] -= origin
    header.update(requests=len(kept), statements=dictionary,
                  span_s=kept[-1]["at_us"] / 1e6,
                  sessions=len({r["session"] for r in kept}))
    with gzip.open(target, "wt", encoding="utf-8") as out:
        for item in [header] + kept:
            out.write(json.dumps(item, separators=(",", ":")) + "\n")
    print(f"{len(kept)} of {len(requests)} requests, {len(dictionary)} statements, "
          f"{header['span_s']:.3f} s")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
