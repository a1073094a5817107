"""A tiny run of HF transformers' Trainer with report_to="tensorboard", for the TensorBoard test:
the same model folder, data files, hyperparameters and logging steps as the albert-train run it is
compared with. Examples are taken in file order (a SequentialSampler, as albert-train --no-shuffle)
and dropout is off in the model's config, so both runs see the same batches and the losses are
numerically comparable. fp32 on the CPU.

stdin (JSON): {"model_dir", "train_file", "eval_file", "output_dir", "logging_dir", "learning_rate",
               "batch_size", "eval_batch_size", "epochs", "logging_steps", "max_seq_length", "seed"}
stdout (last line, JSON): {"log_history": trainer.state.log_history}
The event files are in logging_dir (TENSORBOARD_LOGGING_DIR, HF's variable for it)."""
import json
import os
import sys

import numpy as np
import torch
from datasets import load_dataset
from sklearn.metrics import accuracy_score, f1_score
from torch.utils.data import SequentialSampler
from transformers import (AlbertForSequenceClassification, AutoTokenizer, DataCollatorWithPadding, Trainer,
                          TrainingArguments)

request = json.load(sys.stdin)
os.environ["TENSORBOARD_LOGGING_DIR"] = request["logging_dir"]
torch.set_num_threads(1)

tokenizer = AutoTokenizer.from_pretrained(request["model_dir"])
model = AlbertForSequenceClassification.from_pretrained(request["model_dir"])
data = load_dataset("json", data_files={"train": request["train_file"], "validation": request["eval_file"]})
data = data.map(lambda rows: tokenizer(rows["text"], truncation=True, max_length=request["max_seq_length"]), batched=True)
data = data.remove_columns([c for c in data["train"].column_names if c not in ("input_ids", "token_type_ids", "attention_mask", "label")])


def compute_metrics(prediction):
    predicted = np.argmax(prediction.predictions, axis=-1)
    return {"accuracy": accuracy_score(prediction.label_ids, predicted),
            "macro_f1": f1_score(prediction.label_ids, predicted, average="macro", zero_division=0)}


class InOrderTrainer(Trainer):
    def _get_train_sampler(self, train_dataset=None):
        return SequentialSampler(train_dataset if train_dataset is not None else self.train_dataset)


args = TrainingArguments(
    output_dir=request["output_dir"], report_to="tensorboard", use_cpu=True, seed=request["seed"],
    learning_rate=request["learning_rate"], per_device_train_batch_size=request["batch_size"],
    per_device_eval_batch_size=request["eval_batch_size"], num_train_epochs=request["epochs"],
    lr_scheduler_type="cosine", warmup_steps=0.2, adam_beta1=0.9, adam_beta2=0.999, adam_epsilon=1e-8,
    weight_decay=0.0, max_grad_norm=1.0, logging_steps=request["logging_steps"], eval_strategy="epoch",
    save_strategy="no", disable_tqdm=True,
)
trainer = InOrderTrainer(model=model, args=args, train_dataset=data["train"], eval_dataset=data["validation"],
                         data_collator=DataCollatorWithPadding(tokenizer), compute_metrics=compute_metrics)
trainer.train()
print(json.dumps({"log_history": trainer.state.log_history}))
