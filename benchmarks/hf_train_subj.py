"""The peer of `albert-train train` on SUBJ: HF transformers' Trainer from a random init, with
the same config, data files and hyperparameters (cosine, warmup 0.2, 5 epochs, batch 16,
seed 42, bf16 autocast on the CPU). Prints one JSON line: accuracy per epoch and wall time.
Args: config.json, data folder (train.jsonl, test.jsonl), tokenizer folder, learning rate.
HF's Trainer needs accelerate: `.venv/bin/pip install accelerate` first."""
import json
import sys
import time

import numpy as np
import torch
from transformers import (AlbertConfig, AlbertForSequenceClassification, AlbertTokenizerFast, DataCollatorWithPadding,
                          Trainer, TrainingArguments, set_seed)

config_file, data_dir, tokenizer_dir, lr = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
set_seed(42)
tokenizer = AlbertTokenizerFast.from_pretrained(tokenizer_dir)  # AutoTokenizer needs a config.json beside it


def load(split):
    rows = [json.loads(line) for line in open(f"{data_dir}/{split}.jsonl") if line.strip()]
    encoded = tokenizer([r["text"] for r in rows], truncation=True, max_length=128, return_token_type_ids=True)
    return [{"input_ids": encoded["input_ids"][i], "token_type_ids": encoded["token_type_ids"][i],
             "attention_mask": encoded["attention_mask"][i], "labels": r["label"]} for i, r in enumerate(rows)]


config = AlbertConfig(**json.load(open(config_file)), num_labels=2)
model = AlbertForSequenceClassification(config)
args = TrainingArguments(output_dir="/tmp/hf-subj-out", learning_rate=lr, per_device_train_batch_size=16,
                         per_device_eval_batch_size=16, num_train_epochs=5, lr_scheduler_type="cosine", warmup_steps=0.2,
                         seed=42, bf16=True, use_cpu=True, eval_strategy="epoch", save_strategy="no", logging_steps=500,
                         report_to=[], disable_tqdm=True)
trainer = Trainer(model=model, args=args, train_dataset=load("train"), eval_dataset=load("test"),
                  data_collator=DataCollatorWithPadding(tokenizer),
                  compute_metrics=lambda p: {"accuracy": float((np.argmax(p.predictions, -1) == p.label_ids).mean())})
start = time.time()
trainer.train()
wall = time.time() - start
accuracies = [e["eval_accuracy"] for e in trainer.state.log_history if "eval_accuracy" in e]
print(json.dumps({"lr": lr, "accuracy_per_epoch": accuracies, "wall_s": wall, "torch_threads": torch.get_num_threads()}))
