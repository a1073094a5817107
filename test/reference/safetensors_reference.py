"""The safetensors library itself (safetensors.torch) as the reference for albert-trainer's weight
files, both ways: it reads the file albert-trainer wrote, and from those tensors writes the F16,
BF16 and F32 files that albert-trainer must read back exactly (torch's own rounding to half).

stdin: {"source": model.safetensors albert-trainer wrote,
        "out_dir": a folder; one sub-folder per written file, named by its key below,
        "edge": {"name": a tensor whose values are replaced by EDGE_VALUES in the edge files}}
stdout (last line):
  {"read": {"metadata": {...}, "tensors": {name: {"dtype": str, "shape": [...], "bits": [u32...]}}},
   "written": {key: {"file": path, "tensors": {name: {"dtype": str, "bits": [u32...]}}}}}
where "bits" are the float32 bit patterns of the values (the half values widened to float32 for
the half files): exact, and JSON-safe for infinities and -0.
Written files, each with every tensor of the source and {"format": "pt"} as HF writes:
  F16, BF16        the source's tensors cast with torch (round to nearest even)
  F32              the source's tensors as they are (a file albert-trainer did not write)
  F16-edge, BF16-edge  as F16/BF16, with the edge tensor holding values at the edges of the
                   half formats: overflow to inf, subnormals, ties, underflow to zero, -0
"""
import json
import os
import sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

DTYPES = {"F16": torch.float16, "BF16": torch.bfloat16, "F32": torch.float32}

# float32 values at the edges of float16 and bfloat16 (each file widens them back to float32).
EDGE_VALUES = [
    65504.0, 65519.0, 65520.0, -65520.0,  # fp16: largest finite, rounds down to it, overflows to inf
    6.0e-8, 2.9802322e-8, 2.9802326e-8, 1.0e-10,  # fp16: subnormal, exact half of the smallest, above it, to zero
    1.0009765625, 1.00048828125, 1.00146484375,  # fp16 ties at 1 + 2^-11 (to even: 1.0) and 1 + 3*2^-11 (to 1.001953125)
    3.3895314e38, 3.4028235e38, -3.4028235e38, 1.0e-39, 9.2e-41,  # bf16: largest finite, overflow to +-inf, subnormals
    1.00390625, 1.01171875,  # bf16 ties at 1 + 2^-8 (to even: 1.0) and 1 + 3*2^-8 (to 1.015625)
    -0.0, 0.0, 1.0 / 3.0, -2.5, 1.0e-3,
]


def bits(tensor):
    """float32 bit patterns of a float tensor, as unsigned ints."""
    return [b & 0xFFFFFFFF for b in tensor.to(torch.float32).contiguous().view(torch.int32).flatten().tolist()]


def with_edge(tensors, name):
    out = dict(tensors)
    size = out[name].numel()
    values = (EDGE_VALUES * (size // len(EDGE_VALUES) + 1))[:size]
    out[name] = torch.tensor(values, dtype=torch.float32).reshape(out[name].shape)
    return out


def write(tensors, dtype, folder):
    os.makedirs(folder, exist_ok=True)
    file = os.path.join(folder, "model.safetensors")
    cast = {name: t.to(DTYPES[dtype]).contiguous() for name, t in tensors.items()}
    save_file(cast, file, metadata={"format": "pt"})
    return {"file": file, "tensors": {name: {"dtype": str(t.dtype), "bits": bits(t)} for name, t in cast.items()}}


def main():
    request = json.load(sys.stdin)
    source = load_file(request["source"])
    with safe_open(request["source"], framework="pt") as f:
        metadata = f.metadata()
    read = {name: {"dtype": str(t.dtype), "shape": list(t.shape), "bits": bits(t)} for name, t in source.items()}
    edge = with_edge(source, request["edge"]["name"])
    out = request["out_dir"]
    written = {
        "F16": write(source, "F16", os.path.join(out, "F16")),
        "BF16": write(source, "BF16", os.path.join(out, "BF16")),
        "F32": write(source, "F32", os.path.join(out, "F32")),
        "F16-edge": write(edge, "F16", os.path.join(out, "F16-edge")),
        "BF16-edge": write(edge, "BF16", os.path.join(out, "BF16-edge")),
    }
    print(json.dumps({"read": {"metadata": metadata, "tensors": read}, "written": written}))


if __name__ == "__main__":
    main()
