"""1M rows of SUBJ sentences (its 10,000, repeated) as parquet, written by HF datasets with a
ClassLabel, and the same rows as jsonl: the inputs of read.sh. argv: OUT_DIR SUBJ_DIR."""
import json, os, sys
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
import datasets  # noqa: E402

out, subj = sys.argv[1], sys.argv[2]
rows = []
for split in ("train", "test"):
    with open(os.path.join(subj, f"{split}.jsonl"), encoding="utf8") as f:
        rows += [json.loads(line) for line in f if line.strip()]
n = 1_000_000
texts = [rows[i % len(rows)]["text"] for i in range(n)]
labels = [rows[i % len(rows)]["label"] for i in range(n)]
os.makedirs(out, exist_ok=True)
features = datasets.Features({"text": datasets.Value("string"), "label": datasets.ClassLabel(names=["objective", "subjective"])})
datasets.Dataset.from_dict({"text": texts, "label": labels}, features=features).to_parquet(os.path.join(out, "million.parquet"))
with open(os.path.join(out, "million.jsonl"), "w", encoding="utf8") as f:
    for t, l in zip(texts, labels):
        f.write(json.dumps({"text": t, "label": l}) + "\n")
