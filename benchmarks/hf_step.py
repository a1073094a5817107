"""The peer side of benchmarks/step.ts: HF transformers' AlbertForSequenceClassification with
torch.optim.AdamW, eager, one training step as HF Trainer takes it (autocast forward, loss,
backward, clip_grad_norm_, optimizer.step, zero_grad).

A persistent process driven over stdin/stdout, so the benchmark can alternate A B A B:
  {"cmd": "load", "model_dir": ..., "batches": ..., "threads": 2}  -> {"ok": true, ...versions}
  {"cmd": "run", "amp": "off"|"bf16", "steps": N}                 -> {"times": [seconds per step]}
  {"cmd": "quit"}
"""
import json
import sys
import time

import torch
import transformers
from transformers import AlbertForSequenceClassification

state = {}


def load(msg):
    torch.set_num_threads(msg["threads"])
    device = torch.device(msg.get("device", "cpu"))
    model = AlbertForSequenceClassification.from_pretrained(msg["model_dir"], attn_implementation="sdpa").to(device)
    model.train()
    with open(msg["batches"]) as f:
        raw = json.load(f)
    batches = []
    for b in raw:
        shape = (b["batchSize"], b["seqLen"])
        batches.append({
            "input_ids": torch.tensor(b["inputIds"], dtype=torch.long).view(shape),
            "attention_mask": torch.tensor(b["attentionMask"], dtype=torch.long).view(shape),
            "token_type_ids": torch.tensor(b["tokenTypeIds"], dtype=torch.long).view(shape),
            "labels": torch.tensor(b["labels"], dtype=torch.long),
        })
    batches = [{k: v.to(device) for k, v in b.items()} for b in batches]
    decay = [p for n, p in model.named_parameters() if not (n.endswith(".bias") or "LayerNorm" in n or "layer_norm" in n)]
    no_decay = [p for n, p in model.named_parameters() if n.endswith(".bias") or "LayerNorm" in n or "layer_norm" in n]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=4e-5, betas=(0.9, 0.999), eps=1e-8)
    state.update(model=model, batches=batches, optimizer=optimizer, next=0, device=device)
    return {"ok": True, "torch": torch.__version__, "transformers": transformers.__version__,
            "threads": torch.get_num_threads(),
            "gpu": torch.cuda.get_device_name(0) if device.type == "cuda" else ""}


def step(amp):
    model, optimizer = state["model"], state["optimizer"]
    batch = state["batches"][state["next"] % len(state["batches"])]
    state["next"] += 1
    with torch.autocast(state["device"].type, dtype=torch.bfloat16, enabled=(amp == "bf16")):
        loss = model(**batch).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    optimizer.zero_grad()
    return loss.item()


def run(msg):
    times = []
    for _ in range(msg["steps"]):
        start = time.perf_counter()
        step(msg["amp"])
        times.append(time.perf_counter() - start)
    return {"times": times}


def main():
    for line in sys.stdin:
        msg = json.loads(line)
        if msg["cmd"] == "quit":
            break
        reply = load(msg) if msg["cmd"] == "load" else run(msg)
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
