"""HF transformers' AlbertForSequenceClassification as the numeric reference for test/parity/.

One run serves the whole parity suite (importing transformers takes ~20 s here).

stdin (JSON):
  models: [{
    name, seed, dir,            torch.manual_seed(seed); AlbertForSequenceClassification(AlbertConfig(**config));
    config: {...},              save_pretrained(dir) (safetensors) before anything else touches it
    batches: [batch, ...],      batch = {input_ids, attention_mask, token_type_ids: B x T int lists,
                                labels: B numbers, labels_float: true for float32 labels (regression), else int64}
    train: [{steps, lr, weight_decay, betas, eps, max_grad_norm, warmup_ratio}, ...]   runs, each from the saved weights
  }]
  ours: [{name, dir, batch}]    checkpoints albert-trainer wrote; loaded with from_pretrained(output_loading_info=True)

stdout (last line, JSON); every tensor is {"shape": [...], "f32": base64 of little-endian float32}:
  version: {torch, transformers, format}
  models: {name: {
    state_dict: [{name, shape}]            state_dict() order (persistent entries only, as HF saves)
    named_parameters: [name]
    buffers: [{name, persistent}]
    initial: {name: tensor}                the weights as saved
    attn: {eager|sdpa: {
      eval: [{logits, loss}] per batch     model.eval()
      train: {logits, loss, grads}         model.train() (every dropout is 0) on batches[0]; grads by named_parameters
      train_bf16: {logits, loss, grads}    the same under torch.autocast("cpu", dtype=torch.bfloat16) (grads fp32)
    }}
    training: [{losses, lrs, grad_norms, decay, final: {name: tensor}}]   one per train run (eager attention)
  }}
  ours: {name: {missing_keys, unexpected_keys, mismatched_keys, error_msgs, load_log, state: {name: tensor},
                attn: {eager|sdpa: {logits, loss}}}}
"""

import base64
import io
import json
import logging
import math
import sys

import torch
import transformers
from transformers import AlbertConfig, AlbertForSequenceClassification, Trainer
from transformers.optimization import get_cosine_schedule_with_warmup

FORMAT = 2  # bump when the output layout changes
ATTN = ("eager", "sdpa")


def tensor(t):
    t = t.detach().to(torch.float32).contiguous().cpu()
    return {"shape": list(t.shape), "f32": base64.b64encode(t.numpy().astype("<f4").tobytes()).decode("ascii")}


def as_inputs(batch, with_labels=True):
    inputs = {
        "input_ids": torch.tensor(batch["input_ids"], dtype=torch.long),
        "attention_mask": torch.tensor(batch["attention_mask"], dtype=torch.long),
        "token_type_ids": torch.tensor(batch["token_type_ids"], dtype=torch.long),
    }
    labels = batch.get("labels")
    if with_labels and labels is not None:
        inputs["labels"] = torch.tensor(labels, dtype=torch.float32 if batch["labels_float"] else torch.long)
    return inputs


def logits_and_loss(model, batch):
    out = model(**as_inputs(batch))
    return out.logits, out.loss


def eval_outputs(model, batches):
    model.eval()
    with torch.no_grad():
        results = []
        for batch in batches:
            logits, loss = logits_and_loss(model, batch)
            results.append({"logits": tensor(logits), "loss": loss.item()})
    return results


def train_mode_gradients(model, batch):
    model.train()
    model.zero_grad(set_to_none=True)
    logits, loss = logits_and_loss(model, batch)
    loss.backward()
    grads = {}
    for name, p in model.named_parameters():
        grads[name] = tensor(p.grad if p.grad is not None else torch.zeros_like(p))
    model.zero_grad(set_to_none=True)
    return {"logits": tensor(logits), "loss": loss.item(), "grads": grads}


def train(model, batches, opts):
    """HF Trainer's inner loop, by hand: its parameter groups, torch AdamW, clip_grad_norm_, cosine warmup."""
    model.set_attn_implementation("eager")
    decay = set(Trainer.get_decay_parameter_names(None, model))  # the library's own rule, not a copy of it
    groups = [
        {"params": [p for n, p in model.named_parameters() if n in decay and p.requires_grad], "weight_decay": opts["weight_decay"]},
        {"params": [p for n, p in model.named_parameters() if n not in decay and p.requires_grad], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=opts["lr"], betas=tuple(opts["betas"]), eps=opts["eps"])
    steps = opts["steps"]
    scheduler = get_cosine_schedule_with_warmup(optimizer, num_warmup_steps=math.ceil(opts["warmup_ratio"] * steps), num_training_steps=steps)
    losses, lrs, grad_norms = [], [], []
    model.train()
    optimizer.zero_grad(set_to_none=True)
    for step in range(steps):
        _, loss = logits_and_loss(model, batches[step % len(batches)])
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), opts["max_grad_norm"])
        losses.append(loss.item())
        grad_norms.append(grad_norm.item())
        lrs.append(scheduler.get_last_lr()[0])
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
    return {
        "losses": losses,
        "lrs": lrs,
        "grad_norms": grad_norms,
        "decay": sorted(decay),
        "final": {name: tensor(p) for name, p in model.state_dict().items()},
    }


def reference_model(spec):
    torch.manual_seed(spec["seed"])
    model = AlbertForSequenceClassification(AlbertConfig(**spec["config"], attn_implementation="eager"))
    model.save_pretrained(spec["dir"])  # before any forward: HF writes the problem_type it resolves into the config
    out = {
        "state_dict": [{"name": n, "shape": list(t.shape)} for n, t in model.state_dict().items()],
        "named_parameters": [n for n, _ in model.named_parameters()],
        "buffers": [{"name": n, "persistent": n in model.state_dict()} for n, _ in model.named_buffers()],
        "initial": {n: tensor(t) for n, t in model.state_dict().items()},
        "attn": {},
    }
    for attn in ATTN:
        model.set_attn_implementation(attn)
        out["attn"][attn] = {"eval": eval_outputs(model, spec["batches"]), "train": train_mode_gradients(model, spec["batches"][0])}
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out["attn"][attn]["train_bf16"] = train_mode_gradients(model, spec["batches"][0])
    initial = {n: t.clone() for n, t in model.state_dict().items()}
    out["training"] = []
    for run in spec.get("train", []):  # each run starts from the saved weights
        model.load_state_dict(initial)
        out["training"].append(train(model, spec["batches"], run))
    return out


def load_ours(spec):
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    handler.setLevel(logging.WARNING)
    logger = logging.getLogger("transformers")
    logger.addHandler(handler)
    try:
        model, info = AlbertForSequenceClassification.from_pretrained(spec["dir"], output_loading_info=True)
    finally:
        logger.removeHandler(handler)
    out = {key: sorted(str(k) for k in info[key]) for key in ("missing_keys", "unexpected_keys", "mismatched_keys", "error_msgs")}
    out["load_log"] = log.getvalue()
    out["state"] = {n: tensor(t) for n, t in model.state_dict().items()}
    out["attn"] = {}
    for attn in ATTN:
        model.set_attn_implementation(attn)
        model.eval()
        with torch.no_grad():
            logits, loss = logits_and_loss(model, spec["batch"])
        out["attn"][attn] = {"logits": tensor(logits), "loss": None if loss is None else loss.item()}
    return out


def main():
    request = json.load(sys.stdin)
    transformers.utils.logging.disable_progress_bar()
    result = {
        "version": {"torch": torch.__version__, "transformers": transformers.__version__, "format": FORMAT},
        "models": {spec["name"]: reference_model(spec) for spec in request.get("models", [])},
        "ours": {spec["name"]: load_ours(spec) for spec in request.get("ours", [])},
    }
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
