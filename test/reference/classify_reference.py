"""HF transformers' predictions and evaluation metrics for a model folder, as the reference for
the CLI's predict and eval tests: AlbertForSequenceClassification.from_pretrained + AutoTokenizer
(AlbertTokenizerFast) from the same folder, fp32, eval mode, no grad.

stdin (JSON): {"dir": ..., "texts": [...], "pairs": [...] (optional), "labels": [class ids]
               (optional), "max_length": 128, "batch_size": 16}
stdout (last line, JSON):
  logits: [[...]] per text; probabilities: [[...]] softmax per text; predicted: [argmax id];
  id2label: {"0": name, ...};
  eval (when labels are given): {loss, accuracy, confusion}. loss as HF Trainer.evaluate()
  averages it: each batch's mean loss times its size, summed, over the number of examples."""
import json
import sys

import torch
from transformers import AlbertForSequenceClassification, AutoTokenizer

request = json.load(sys.stdin)
tokenizer = AutoTokenizer.from_pretrained(request["dir"])
model = AlbertForSequenceClassification.from_pretrained(request["dir"], dtype=torch.float32)
model.eval()
texts, pairs, labels = request["texts"], request.get("pairs"), request.get("labels")
batch_size, max_length = request.get("batch_size", 16), request.get("max_length", 128)
logits, loss_sum = [], 0.0
with torch.no_grad():
    for start in range(0, len(texts), batch_size):
        chunk = texts[start:start + batch_size]
        second = pairs[start:start + batch_size] if pairs is not None else None
        encoded = tokenizer(chunk, second, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        if labels is not None:
            encoded["labels"] = torch.tensor(labels[start:start + batch_size], dtype=torch.long)
        output = model(**encoded)
        logits.append(output.logits)
        if labels is not None:
            loss_sum += output.loss.item() * len(chunk)
logits = torch.cat(logits)
result = {
    "logits": logits.tolist(),
    "probabilities": torch.softmax(logits, dim=-1).tolist(),
    "predicted": logits.argmax(-1).tolist(),
    "id2label": {str(k): v for k, v in model.config.id2label.items()},
}
if labels is not None:
    num_labels = model.config.num_labels
    confusion = [[0] * num_labels for _ in range(num_labels)]
    for truth, guess in zip(labels, result["predicted"]):
        confusion[truth][guess] += 1
    result["eval"] = {"loss": loss_sum / len(texts),
                      "accuracy": sum(t == p for t, p in zip(labels, result["predicted"])) / len(texts),
                      "confusion": confusion}
print(json.dumps(result))
