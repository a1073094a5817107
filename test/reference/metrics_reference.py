"""scikit-learn's accuracy, macro-F1 and confusion matrix for the cases on stdin (JSON list of
{"pred": [...], "true": [...], "num_labels": L}); prints one JSON list of results."""
import json
import sys
import warnings

from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

warnings.simplefilter("ignore")
out = []
for case in json.load(sys.stdin):
    labels = list(range(case["num_labels"]))
    out.append({
        "accuracy": accuracy_score(case["true"], case["pred"]),
        "macro_f1": f1_score(case["true"], case["pred"], average="macro", zero_division=0),
        "confusion": confusion_matrix(case["true"], case["pred"], labels=labels).tolist(),
    })
print(json.dumps(out))
