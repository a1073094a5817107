"""Loads an albert-trainer output directory with HF transformers (AutoTokenizer +
AlbertForSequenceClassification.from_pretrained) and predicts labels for texts on stdin
(JSON {"dir": ..., "texts": [...]}); prints {"labels": [...], "loading_info": {...}}."""
import json
import sys

import torch
from transformers import AlbertForSequenceClassification, AutoTokenizer

request = json.load(sys.stdin)
tokenizer = AutoTokenizer.from_pretrained(request["dir"])
model, info = AlbertForSequenceClassification.from_pretrained(request["dir"], output_loading_info=True)
model.eval()
labels = []
with torch.no_grad():
    for start in range(0, len(request["texts"]), 32):
        batch = tokenizer(request["texts"][start:start + 32], padding=True, truncation=True, max_length=128, return_tensors="pt")
        labels += model(**batch).logits.argmax(-1).tolist()
print(json.dumps({"labels": labels, "loading_info": {k: [str(x) for x in v] for k, v in info.items()},
                  "id2label": {str(k): v for k, v in model.config.id2label.items()}}))
