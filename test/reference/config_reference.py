"""HF transformers' own view of ALBERT configs, for test/model/config-hf.test.ts and config-errors.test.ts (one run serves the whole file).

stdin (JSON):
  construct: [kwargs, ...]                    AlbertConfig(**kwargs)
  load:      [{"path": p, "resave": d}, ...]  AlbertConfig.from_pretrained(p); when d is not null,
                                              AlbertForSequenceClassification(config).save_pretrained(d)
  save:      [{"dir": d, "kwargs": {...}}]    AlbertConfig(**kwargs).save_pretrained(d)
stdout (last line, JSON):
  {"version": transformers.__version__, "construct": [view], "load": [{"config": view, "text": str | null}],
   "save": [view]}
where view is config.to_dict() plus "num_labels" (a property HF does not serialize).
"""

import json
import os
import sys

import transformers
from transformers import AlbertConfig, AlbertForSequenceClassification


def view(config):
    out = config.to_dict()
    out["num_labels"] = config.num_labels
    return out


def load(entry):
    config = AlbertConfig.from_pretrained(entry["path"])
    text = None
    if entry.get("resave"):
        AlbertForSequenceClassification(config).save_pretrained(entry["resave"])
        with open(os.path.join(entry["resave"], "config.json"), encoding="utf-8") as f:
            text = f.read()
    return {"config": view(config), "text": text}


def save(entry):
    config = AlbertConfig(**entry["kwargs"])
    config.save_pretrained(entry["dir"])
    return view(config)


def main():
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    request = json.load(sys.stdin)
    result = {
        "version": transformers.__version__,
        "construct": [view(AlbertConfig(**kwargs)) for kwargs in request.get("construct", [])],
        "load": [load(entry) for entry in request.get("load", [])],
        "save": [save(entry) for entry in request.get("save", [])],
    }
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
