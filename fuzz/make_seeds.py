#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets into OUT/<target>/ from the shipped files:
scenarios (and the bad-input corpus' scenario files), their transaction scripts, profiles,
DSN and config.yaml examples, and the HdrHistogram V2 strings of the report fixtures (as
base64 text and as the compressed blob). Usage: make_seeds.py SOURCE_DIR OUT_DIR"""

import base64
import glob
import hashlib
import json
import os
import sys

import yaml


def main(source, out):
    seeds = {t: [] for t in ("scenario", "script", "dsn", "app_config", "profile", "hdr",
                              "capture_log")}

    def add_scenario(text):
        seeds["scenario"].append(text.encode())
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError:
            return
        if isinstance(doc, dict) and isinstance(doc.get("transactions"), list):
            for transaction in doc["transactions"]:
                if isinstance(transaction, dict) and isinstance(transaction.get("script"), str):
                    seeds["script"].append(transaction["script"].encode())

    for path in sorted(glob.glob(f"{source}/scenarios/*.yaml") +
                       glob.glob(f"{source}/tests/cli/scenarios/*.yaml")):
        with open(path) as f:
            add_scenario(f.read())
    with open(f"{source}/tests/cli/bad_inputs/cases.yaml") as f:
        for case in yaml.safe_load(f)["cases"]:
            for name, text in (case.get("files") or {}).items():
                if not isinstance(text, str):
                    continue
                if name.endswith(".conf"):
                    seeds["profile"].append(text.encode())
                elif name == "config.yaml":
                    seeds["app_config"].append(text.encode())
                elif name.endswith(".yaml"):
                    add_scenario(text)
            args = case.get("args", [])
            for flag, value in zip(args, args[1:]):
                if flag == "--dsn":
                    seeds["dsn"].append(value.encode())
    for path in sorted(glob.glob(f"{source}/scenarios/profiles/*.conf")):
        with open(path, "rb") as f:
            seeds["profile"].append(f.read())
    with open(f"{source}/fuzz/seeds/dsn.txt") as f:
        seeds["dsn"] += [line.rstrip("\n").encode() for line in f if line.strip()]
    with open(f"{source}/fuzz/seeds/app_config.yaml") as f:
        seeds["app_config"] += [doc.encode() for doc in f.read().split("\n---\n")]
    for path in sorted(glob.glob(f"{source}/tests/unit/report/fixtures/*.json")):
        with open(path) as f:
            results = json.load(f)
        for cell in results.get("cells", []) if isinstance(results, dict) else []:
            strings = list((cell.get("histograms") or {}).values())
            strings += [row.get("latency_hist") for row in cell.get("timeseries") or []]
            for text in strings:
                if isinstance(text, str) and text:
                    seeds["hdr"].append(text.encode())
                    seeds["hdr"].append(base64.b64decode(text))

    for name in ("capture_log.log", "capture_log.csv"):
        with open(f"{source}/fuzz/seeds/{name}", "rb") as f:
            seeds["capture_log"].append(f.read())

    for target, items in seeds.items():
        directory = os.path.join(out, target)
        os.makedirs(directory, exist_ok=True)
        for item in items:
            name = hashlib.sha1(item).hexdigest()
            with open(os.path.join(directory, name), "wb") as f:
                f.write(item)
        print(f"seeds: {target}: {len(set(items))}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
