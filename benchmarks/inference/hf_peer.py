"""HF transformers' pipeline('text-classification') as its users run it, for benchmarks/inference.

  python hf_peer.py MODEL_DIR BATCH ORDER(input|sorted) N
prints {peer, batch, order, sentences_per_s, seconds, max_rss_mb} as one JSON line; timing starts
after loading and one warm-up batch."""

import json
import os
import resource
import sys
import time

from transformers import pipeline

model_dir, batch, order, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
data = os.environ.get("ALBERT_TRAINER_DATA", os.path.join(os.path.dirname(root), "shared", "data"))
texts = [json.loads(line)["text"] for line in open(os.path.join(data, "subj", "test.jsonl"))][:count]
if order == "sorted":
    texts = sorted(texts, key=len)
classify = pipeline("text-classification", model=model_dir, device="cpu")
classify(texts[:batch], batch_size=batch, truncation=True, max_length=128)
started = time.perf_counter()
classify(texts, batch_size=batch, truncation=True, max_length=128)
seconds = time.perf_counter() - started
print(json.dumps({"peer": "hf-pipeline", "batch": batch, "order": order, "sentences_per_s": len(texts) / seconds, "seconds": seconds,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
