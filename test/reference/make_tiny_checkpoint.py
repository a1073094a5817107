"""Makes a tiny trained-looking HF checkpoint with HF transformers itself, for the CLI's eval and
predict tests: AlbertForSequenceClassification(AlbertConfig(...)) seeded with torch.manual_seed,
save_pretrained(dir) (config.json + model.safetensors), plus the ALBERT v2 tokenizer files.

stdin (JSON): {"dir": ..., "tokenizer_dir": folder with tokenizer.json, tokenizer_config.json,
               spiece.model, "seed": 0, "config": {AlbertConfig overrides, optional},
               "id2label": {"0": "objective", "1": "subjective"} (optional)}
stdout (last line, JSON): {"dir": ..., "config": the saved config.json}"""
import json
import os
import shutil
import sys

import torch
from transformers import AlbertConfig, AlbertForSequenceClassification

request = json.load(sys.stdin)
id2label = {int(k): v for k, v in request.get("id2label", {"0": "objective", "1": "subjective"}).items()}
config = AlbertConfig(**{
    "vocab_size": 30000, "embedding_size": 16, "hidden_size": 32, "num_hidden_layers": 2,
    "num_attention_heads": 2, "intermediate_size": 64, "max_position_embeddings": 512,
    "id2label": id2label, "label2id": {v: k for k, v in id2label.items()},
    **request.get("config", {}),
})
torch.manual_seed(request.get("seed", 0))
model = AlbertForSequenceClassification(config)
model.save_pretrained(request["dir"])
for name in ("tokenizer.json", "tokenizer_config.json", "spiece.model"):
    source = os.path.join(request["tokenizer_dir"], name)
    if os.path.exists(source):
        shutil.copyfile(source, os.path.join(request["dir"], name))
with open(os.path.join(request["dir"], "config.json")) as f:
    print(json.dumps({"dir": request["dir"], "config": json.load(f)}))
