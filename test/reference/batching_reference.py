"""HF transformers' group_by_length order, and a Python port of our epoch shuffle, for
test/data/batching.test.ts (one run serves the whole file).

stdin (JSON):
  grouped: [{"lengths": [int], "batch_size": int, "permutation": [int], "mega_batch_mult": int | null}, ...]
      transformers.trainer_pt_utils.get_length_grouped_indices(lengths, batch_size, mega_batch_mult)
      with torch.randperm replaced by one that returns `permutation`: HF's own code, fed our
      permutation in place of its random one.
  shuffles: [{"n": int, "seed": int, "epoch": int}, ...]
      the permutation ts/data/batching.ts's epochOrder documents (SplitMix64 -> xoshiro128** ->
      Fisher-Yates), written again here from that description.
stdout (last line, JSON):
  {"version": transformers.__version__, "grouped": [[int]], "shuffles": [[int]]}
"""

import json
import sys

import torch
import transformers
from transformers import trainer_pt_utils

MASK64 = (1 << 64) - 1
MASK32 = (1 << 32) - 1


def grouped(case):
    permutation = torch.tensor(case["permutation"], dtype=torch.long)
    real_randperm = torch.randperm

    def randperm(n, generator=None):
        assert n == len(permutation), (n, len(permutation))
        return permutation.clone()

    torch.randperm = randperm
    try:
        return trainer_pt_utils.get_length_grouped_indices(
            case["lengths"], case["batch_size"], mega_batch_mult=case["mega_batch_mult"]
        )
    finally:
        torch.randperm = real_randperm


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return state, z ^ (z >> 31)


def rotl32(x, k):
    return ((x << k) | (x >> (32 - k))) & MASK32


def shuffle(case):
    n, seed, epoch = case["n"], case["seed"], case["epoch"]
    _, a = splitmix64(seed)
    state, w0 = splitmix64(a ^ epoch)
    _, w1 = splitmix64(state)
    s = [w0 & MASK32, w0 >> 32, w1 & MASK32, w1 >> 32]
    if s == [0, 0, 0, 0]:
        s[0] = 1

    def next_u32():
        result = (rotl32((s[1] * 5) & MASK32, 7) * 9) & MASK32
        t = (s[1] << 9) & MASK32
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl32(s[3], 11)
        return result

    order = list(range(n))
    for i in range(n - 1, 0, -1):
        bound = i + 1
        limit = (1 << 32) - ((1 << 32) % bound)
        u = next_u32()
        while u >= limit:
            u = next_u32()
        j = u % bound
        order[i], order[j] = order[j], order[i]
    return order


def main():
    request = json.loads(sys.stdin.read() or "{}")
    out = {
        "version": transformers.__version__,
        "grouped": [grouped(case) for case in request.get("grouped", [])],
        "shuffles": [shuffle(case) for case in request.get("shuffles", [])],
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
