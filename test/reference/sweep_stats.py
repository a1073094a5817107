"""A sweep's summary recomputed with pandas from its run folders (eval_results.json and
trainer_state.json), for the sweep test: per configuration (the run folder's name without its
"_seed-N"), mean, std (pandas' default, n - 1), min and max of the final accuracy (eval_results.json)
and the best one (the highest eval_accuracy of the log history), collapsed runs (last evaluation at or
below the majority class's share of the evaluation set, from the confusion matrix, plus 0.01) and the
collapse guard's roll-backs (log entries with restored_step).

argv: the sweep folder, then the run folder names. stdout (last line, JSON): {config: {...}}"""
import json
import os
import re
import sys

import pandas as pd

rows = []
for name in sys.argv[2:]:
    folder = os.path.join(sys.argv[1], name)
    with open(os.path.join(folder, "eval_results.json")) as f:
        results = json.load(f)
    with open(os.path.join(folder, "trainer_state.json")) as f:
        history = json.load(f)["log_history"]
    accuracies = [e["eval_accuracy"] for e in history if "eval_accuracy" in e]
    counts = [sum(row) for row in results["eval_confusion_matrix"]]
    rows.append({"config": re.sub(r"_?seed-\d+$", "", name) or "all", "final": results["eval_accuracy"], "best": max(accuracies),
                 "collapsed": accuracies[-1] <= max(counts) / sum(counts) + 0.01,
                 "guard": sum(1 for e in history if "restored_step" in e)})
frame = pd.DataFrame(rows)
out = {}
for config, group in frame.groupby("config", sort=False):
    out[config] = {"runs": len(group), "collapsed_runs": int(group["collapsed"].sum()), "guard_firings": int(group["guard"].sum())}
    for column in ("final", "best"):
        series = group[column]
        out[config][f"{column}_accuracy"] = {"mean": series.mean(), "std": 0.0 if len(series) == 1 else series.std(),
                                             "min": series.min(), "max": series.max()}
print(json.dumps(out))
