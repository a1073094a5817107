"""Loads an albert-trainer output directory with HF transformers (AutoTokenizer +
AlbertForSequenceClassification.from_pretrained) and predicts labels for texts on stdin
(JSON {"dir": ..., "texts": [...], "state_dirs": [...]}); prints {"labels": [...], "probabilities": [[...]],
"loading_info": {...}, "states": {dir: {"global_step", "loading_info"}}}: for each of state_dirs
(the output directory, its checkpoints) HF's TrainerState.load_from_json reads its
trainer_state.json and from_pretrained loads its weights. "probabilities": the softmax of each
text's logits, to compare with ours within float tolerance."""
import json
import sys

import torch
from transformers import AlbertForSequenceClassification, AutoTokenizer
from transformers.trainer_callback import TrainerState

request = json.load(sys.stdin)
tokenizer = AutoTokenizer.from_pretrained(request["dir"])
model, info = AlbertForSequenceClassification.from_pretrained(request["dir"], output_loading_info=True)
model.eval()
labels = []
probabilities = []
with torch.no_grad():
    for start in range(0, len(request["texts"]), 32):
        batch = tokenizer(request["texts"][start:start + 32], padding=True, truncation=True, max_length=128, return_tensors="pt")
        logits = model(**batch).logits
        labels += logits.argmax(-1).tolist()
        probabilities += torch.softmax(logits, -1).tolist()
states = {}
for state_dir in request.get("state_dirs", []):
    state = TrainerState.load_from_json(f"{state_dir}/trainer_state.json")
    _, state_info = AlbertForSequenceClassification.from_pretrained(state_dir, output_loading_info=True)
    states[state_dir] = {"global_step": state.global_step, "loading_info": {k: [str(x) for x in v] for k, v in state_info.items()}}
print(json.dumps({"labels": labels, "probabilities": probabilities, "loading_info": {k: [str(x) for x in v] for k, v in info.items()}, "states": states,
                  "id2label": {str(k): v for k, v in model.config.id2label.items()}}))
