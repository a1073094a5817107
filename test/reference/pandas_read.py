"""Reads CSV/TSV files with pandas, as HF datasets' csv loader does (pandas.read_csv), for the
reader tests to compare with.

stdin (JSON): {files: [{path, sep, label_column?}]}
stdout: one JSON list, per file: {columns, cells (every cell as the string pandas read, with
dtype=str and no NA conversion), labels (the label column with pandas' own type inference,
or null)}
"""

import json
import sys

import pandas as pd


def main():
    request = json.load(sys.stdin)
    out = []
    for spec in request["files"]:
        as_text = pd.read_csv(spec["path"], sep=spec["sep"], dtype=str, keep_default_na=False)
        labels = None
        if spec.get("label_column"):
            inferred = pd.read_csv(spec["path"], sep=spec["sep"], keep_default_na=False)[spec["label_column"]]
            labels = [v.item() if hasattr(v, "item") else v for v in inferred.tolist()]
        out.append({
            "columns": [str(c) for c in as_text.columns],
            "cells": as_text.values.tolist(),
            "labels": labels,
        })
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
