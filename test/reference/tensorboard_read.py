"""Reads a TensorBoard logging folder with tensorboard's own EventAccumulator (what the
TensorBoard server loads), for the event-file tests.

argv: the folder. stdout (last line, JSON): {"scalars": {tag: [[step, value], ...]},
"texts": {tag: [[step, text], ...]}} with the text plugin's tags without "/text_summary"."""
import json
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.util import tensor_util

# size_guidance 0: keep every event (the default samples scalars down to 10,000).
accumulator = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0, "tensors": 0})
accumulator.Reload()
tags = accumulator.Tags()
scalars = {tag: [[e.step, e.value] for e in accumulator.Scalars(tag)] for tag in tags["scalars"]}
texts = {}
for tag in tags["tensors"]:
    events = accumulator.Tensors(tag)
    name = tag[: -len("/text_summary")] if tag.endswith("/text_summary") else tag
    texts[name] = [[e.step, tensor_util.make_ndarray(e.tensor_proto).reshape(-1)[0].decode("utf-8")] for e in events]
print(json.dumps({"scalars": scalars, "texts": texts}))
