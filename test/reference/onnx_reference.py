"""The exported ONNX file against HF transformers, for test/export/onnx.test.ts.

stdin (JSON): {onnx, also_check, hf_dir, input_ids, attention_mask, token_type_ids}: the exported
file, more files for the checker only, a folder albert-trainer saved with the same weights, and
one batch (B x T int lists).
stdout: {checker: "ok" or the checker's message for each file, hf: logits (flat), onnxruntime: logits (flat)}
"""

import json
import sys

import numpy as np
import onnx
import onnxruntime
import torch
import transformers


def main():
    request = json.load(sys.stdin)
    checker = "ok"
    for file in [request["onnx"], *request.get("also_check", [])]:
        try:
            onnx.checker.check_model(onnx.load(file), full_check=True)
        except Exception as error:  # the checker's own words, for the test's message
            checker = f"{file}: {error}"
    inputs = {name: np.array(request[name], dtype=np.int64) for name in ("input_ids", "attention_mask", "token_type_ids")}
    session = onnxruntime.InferenceSession(request["onnx"], providers=["CPUExecutionProvider"])
    (ort_logits,) = session.run(["logits"], inputs)
    model = transformers.AlbertForSequenceClassification.from_pretrained(request["hf_dir"]).eval()
    with torch.no_grad():
        hf_logits = model(**{name: torch.from_numpy(value) for name, value in inputs.items()}).logits
    sys.stdout.write(json.dumps({"checker": checker, "hf": hf_logits.flatten().tolist(), "onnxruntime": ort_logits.flatten().tolist()}) + "\n")


if __name__ == "__main__":
    main()
