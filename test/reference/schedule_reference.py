"""HF transformers' own learning rates, step by step, for test/train/schedule.test.ts (one run serves the whole file).

stdin (JSON):
  schedules: [{"type": name, "base_lr": x, "total": n, "warmup_steps": w}, ...]
      w is TrainingArguments' warmup_steps (v5: an int, or a float in [0, 1) meaning a ratio). As the
      Trainer does (Trainer.create_scheduler): num_warmup_steps = args.get_warmup_steps(total), then
      get_scheduler(lr_scheduler_type, optimizer, num_warmup_steps, total) on a torch AdamW, and
      each step optimizer.step() then scheduler.step(). lrs[k] is param_groups[0]["lr"] while the k-th
      optimizer.step() runs (k = 0..total-1), and lrs[total] the lr after the last scheduler.step().
  warmup: [{"total": n, "warmup_steps": w}, ...]   args.get_warmup_steps(n) only
stdout (last line, JSON):
  {"version": str, "warmup_ratio_field": bool,
   "schedules": [{"warmup": int, "lrs": [float]}], "warmup": [int]}

TrainingArguments itself cannot be built here: its __post_init__ sets up devices, which needs
`accelerate`, not in test/requirements.txt. So get_warmup_steps, HF's own method, runs unbound on an
object that has just the one field it reads (warmup_steps).
"""

import dataclasses
import json
import sys
from types import SimpleNamespace

import torch
import transformers
from transformers import TrainingArguments
from transformers.optimization import get_scheduler


def get_warmup_steps(warmup_steps, total):
    return TrainingArguments.get_warmup_steps(SimpleNamespace(warmup_steps=warmup_steps), total)


def run_schedule(entry):
    total = entry["total"]
    num_warmup_steps = get_warmup_steps(entry["warmup_steps"], total)
    param = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
    optimizer = torch.optim.AdamW([param], lr=entry["base_lr"])
    scheduler = get_scheduler(
        entry["type"], optimizer, num_warmup_steps=num_warmup_steps, num_training_steps=total
    )
    lrs = []
    for _ in range(total):
        param.grad = torch.ones_like(param)
        lrs.append(optimizer.param_groups[0]["lr"])  # the lr this optimizer.step() uses
        optimizer.step()
        scheduler.step()
    lrs.append(optimizer.param_groups[0]["lr"])
    return {"warmup": num_warmup_steps, "lrs": [float(lr) for lr in lrs]}


def main():
    transformers.logging.set_verbosity_error()
    request = json.load(sys.stdin)
    fields = {field.name for field in dataclasses.fields(TrainingArguments)}
    result = {
        "version": transformers.__version__,
        "warmup_ratio_field": "warmup_ratio" in fields,
        "schedules": [run_schedule(entry) for entry in request.get("schedules", [])],
        "warmup": [get_warmup_steps(entry["warmup_steps"], entry["total"]) for entry in request.get("warmup", [])],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
