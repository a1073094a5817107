"""The HF side of the step benchmark (benchmarks/suite.ts): transformers'
AlbertForSequenceClassification with torch.optim.AdamW, one training step as HF's Trainer takes
it: the batch collated (padded to its longest, to tensors, to the device), autocast forward,
loss, backward (through a GradScaler in fp16), clip_grad_norm_, optimizer.step, zero_grad.
Eager, or with "compile": true the model wrapped in torch.compile (torch's defaults), compiled
at load (compile_warmup) so that no timed step pays for a compilation. Under the defaults a
second length recompiles the graph with the sequence dimension dynamic; compile_warmup marks that
dimension dynamic at the first call instead, so the same dynamic graph compiles once.

A persistent process driven over stdin/stdout, one JSON object a line:
  {"cmd": "load", "model_dir", "batches", "threads", "device", "amp", "compile"}
                              -> {"ok": true, ...versions, "compileS" (with compile)}
  {"cmd": "run", "steps": N}  -> {"times": [seconds per step]}
  {"cmd": "stats"}            -> {"peakRssMiB", "peakGpuAllocatedMiB", "peakGpuReservedMiB"}
  {"cmd": "quit"}
Any failure (torch.compile's included) answers {"error": "<type>: <message>"}.
"""
import json
import resource
import sys
import time
import traceback

import torch
import transformers
from transformers import AlbertForSequenceClassification

LEARNING_RATE = 4e-5
state = {}


def load(msg):
    torch.set_num_threads(msg["threads"])
    torch.manual_seed(42)
    device = torch.device(msg.get("device", "cpu"))
    model = AlbertForSequenceClassification.from_pretrained(msg["model_dir"], attn_implementation="sdpa").to(device)
    model.train()
    with open(msg["batches"]) as f:
        batch_file = json.load(f)
    # The decay groups of HF's Trainer: no weight decay on biases and LayerNorm weights.
    no_decay = lambda n: n.endswith(".bias") or "LayerNorm" in n or "layer_norm" in n
    params = list(model.named_parameters())
    optimizer = torch.optim.AdamW([{"params": [p for n, p in params if not no_decay(n)], "weight_decay": 0.01},
                                   {"params": [p for n, p in params if no_decay(n)], "weight_decay": 0.0}],
                                  lr=LEARNING_RATE, betas=(0.9, 0.999), eps=1e-8)
    amp = msg.get("amp", "fp32")
    scaler = torch.amp.GradScaler(device.type) if amp == "fp16" else None
    state.update(model=model, forward=model, batches=batch_file["batches"], pad=batch_file["padTokenId"],
                 optimizer=optimizer, scaler=scaler, amp=amp, next=0, device=device)
    reply = {"ok": True, "torch": torch.__version__, "transformers": transformers.__version__,
             "python": sys.version.split()[0], "threads": torch.get_num_threads(),
             "gpu": torch.cuda.get_device_name(0) if device.type == "cuda" else ""}
    if msg.get("compile"):
        state["forward"] = torch.compile(model)  # torch's defaults: static first, dynamic after a new length
        reply["compileS"] = compile_warmup()
    return reply


def forward_backward(rows, dynamic_length=False):
    """A step without the optimizer (the weights stay as they are): what compiles. dynamic_length:
    the sequence dimension marked dynamic, as torch's automatic dynamic shapes mark it at the
    second length (maybe_: a dimension torch must specialize stays static instead of failing)."""
    s = state
    batch = collate(rows, s["pad"], s["device"])
    if dynamic_length:
        for name in ("input_ids", "attention_mask", "token_type_ids"):
            torch._dynamo.maybe_mark_dynamic(batch[name], 1)
    dtype = torch.float16 if s["amp"] == "fp16" else torch.bfloat16
    with torch.autocast(s["device"].type, dtype=dtype, enabled=(s["amp"] != "fp32")):
        loss = s["forward"](**batch).loss
    loss.backward()
    s["optimizer"].zero_grad()
    if s["device"].type == "cuda":
        torch.cuda.synchronize()


def compile_warmup(max_passes=8):
    """torch.compile's compilation, before (and apart from) the warm-up every peer gets: forward
    and backward over the batch file's distinct lengths until two passes in a row run at the
    compiled speed (a pass that compiles takes many times longer). Returns its seconds."""
    start = time.perf_counter()
    by_length = {}
    for b in state["batches"]:
        by_length.setdefault(b["seqLen"], b["rows"])
    lengths = list(by_length)
    times = []
    for i in range(max_passes):
        t = time.perf_counter()
        rows = by_length[lengths[i % len(lengths)]]
        forward_backward(rows, dynamic_length=(i == 0 and len(lengths) > 1))
        times.append(time.perf_counter() - t)
        print(f"hf-compile: pass {i + 1} (length {lengths[i % len(lengths)]}) {times[-1]:.1f} s", file=sys.stderr, flush=True)
        if len(times) >= 3 and all(x < 2 * min(times) for x in times[-2:]):
            break
    return time.perf_counter() - start


def collate(rows, pad, device):
    """DataCollatorWithPadding's result for already tokenized rows: right padding to the longest."""
    seq_len = max(len(r["inputIds"]) for r in rows)
    fill = lambda ids, value: ids + [value] * (seq_len - len(ids))
    batch = {
        "input_ids": torch.tensor([fill(r["inputIds"], pad) for r in rows], dtype=torch.long),
        "attention_mask": torch.tensor([fill([1] * len(r["inputIds"]), 0) for r in rows], dtype=torch.long),
        "token_type_ids": torch.tensor([fill(r["tokenTypeIds"], 0) for r in rows], dtype=torch.long),
        "labels": torch.tensor([r["label"] for r in rows], dtype=torch.long),
    }
    return {k: v.to(device, non_blocking=True) for k, v in batch.items()}


def step():
    s = state
    if s["next"] >= len(s["batches"]):
        raise RuntimeError("ran out of batches: the suite wrote fewer than it runs")
    batch = collate(s["batches"][s["next"]]["rows"], s["pad"], s["device"])
    s["next"] += 1
    amp, scaler, optimizer, model = s["amp"], s["scaler"], s["optimizer"], s["model"]
    dtype = torch.float16 if amp == "fp16" else torch.bfloat16
    with torch.autocast(s["device"].type, dtype=dtype, enabled=(amp != "fp32")):
        loss = s["forward"](**batch).loss
    if scaler is not None:
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer)
        scaler.update()
    else:
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
    optimizer.zero_grad()
    value = loss.item()
    if s["device"].type == "cuda":
        torch.cuda.synchronize()
    return value


def run(msg):
    times = []
    for _ in range(msg["steps"]):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return {"times": times}


def stats(_msg):
    reply = {"peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}  # KiB on Linux
    if state.get("device") is not None and state["device"].type == "cuda":
        reply["peakGpuAllocatedMiB"] = torch.cuda.max_memory_allocated() / 2**20
        reply["peakGpuReservedMiB"] = torch.cuda.max_memory_reserved() / 2**20
    return reply


def main():
    handlers = {"load": load, "run": run, "stats": stats}
    for line in sys.stdin:
        if not line.strip():
            continue
        msg = json.loads(line)
        if msg["cmd"] == "quit":
            break
        try:
            reply = handlers[msg["cmd"]](msg)
        except Exception as error:  # noqa: BLE001: every failure goes back to the suite as its reason
            traceback.print_exc(file=sys.stderr)
            lines = [l.strip() for l in f"{type(error).__name__}: {error}".splitlines() if l.strip()]
            reply = {"error": " / ".join(lines[:3])[:600]}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
