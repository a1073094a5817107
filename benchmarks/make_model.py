"""Writes a random-init HF AlbertForSequenceClassification (seeded) to a directory, so that
every runner of a benchmark starts from the same weights. Args: JSON config on stdin, dir, seed."""
import json
import sys

import torch
from transformers import AlbertConfig, AlbertForSequenceClassification

config = json.load(sys.stdin)
torch.manual_seed(int(sys.argv[2]))
AlbertForSequenceClassification(AlbertConfig(**config)).save_pretrained(sys.argv[1])
print(json.dumps({"ok": True}))
