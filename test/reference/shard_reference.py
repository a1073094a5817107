"""torch's DistributedSampler shards, for test/data/shard.test.ts (one run serves the file).

stdin (JSON):
  cases: [{"n": int, "numReplicas": int, "rank": int}, ...]
      list(torch.utils.data.DistributedSampler(range(n), num_replicas, rank, shuffle=False,
      drop_last=False)): the indices rank `rank` visits, padded torch's way.
stdout (last line, JSON):
  {"version": torch.__version__, "shards": [[int]]}
"""

import json
import sys

import torch
from torch.utils.data import DistributedSampler


def shard(case):
    sampler = DistributedSampler(
        range(case["n"]), num_replicas=case["numReplicas"], rank=case["rank"], shuffle=False, drop_last=False
    )
    return [int(i) for i in sampler]


def main():
    request = json.loads(sys.stdin.read() or "{}")
    print(json.dumps({"version": torch.__version__, "shards": [shard(case) for case in request.get("cases", [])]}))


if __name__ == "__main__":
    main()
