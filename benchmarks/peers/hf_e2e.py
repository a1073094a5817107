"""The end-to-end figure, HF's side: one SUBJ epoch (or its first N steps) with HF Trainer's
defaults (its DataLoader, DataCollatorWithPadding, AdamW, linear schedule, no length grouping),
batch 16, no evaluation or saving, from the suite's seeded checkpoint. Needs accelerate.
Arg: one JSON object {modelDir, trainFile, tokenizerDir, amp, steps (0: the epoch), threads,
device}. Prints one JSON line.
"""
import json
import resource
import sys
import tempfile
import time

import torch
from transformers import (AlbertForSequenceClassification, AlbertTokenizerFast, DataCollatorWithPadding, Trainer,
                          TrainingArguments)

job = json.loads(sys.argv[1])
wall_start = time.perf_counter()
torch.set_num_threads(job["threads"])
tokenizer = AlbertTokenizerFast.from_pretrained(job["tokenizerDir"])
rows = [json.loads(line) for line in open(job["trainFile"]) if line.strip()]
encoded = tokenizer([r["text"] for r in rows], truncation=True, max_length=128, return_token_type_ids=True)
dataset = [{"input_ids": encoded["input_ids"][i], "token_type_ids": encoded["token_type_ids"][i],
            "attention_mask": encoded["attention_mask"][i], "labels": r["label"]} for i, r in enumerate(rows)]
model = AlbertForSequenceClassification.from_pretrained(job["modelDir"], attn_implementation="sdpa")
with tempfile.TemporaryDirectory() as out:
    args = TrainingArguments(output_dir=out, per_device_train_batch_size=16, num_train_epochs=1,
                             max_steps=job["steps"] if job["steps"] > 0 else -1, bf16=job["amp"] == "bf16",
                             fp16=job["amp"] == "fp16", use_cpu=job["device"] == "cpu", save_strategy="no",
                             report_to=[], disable_tqdm=True, seed=42)
    trainer = Trainer(model=model, args=args, train_dataset=dataset, data_collator=DataCollatorWithPadding(tokenizer))
    start = time.perf_counter()
    result = trainer.train()
    seconds = time.perf_counter() - start
steps = result.global_step
samples = min(steps * 16, len(dataset))
print(json.dumps({"steps": steps, "samples": samples, "trainSeconds": seconds, "samplesPerS": samples / seconds,
                  "wallSeconds": time.perf_counter() - wall_start,
                  "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
