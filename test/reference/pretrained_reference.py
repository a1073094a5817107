"""Checkpoints as users have them, made by HF transformers itself, for test/model/pretrained.test.ts.

stdin (JSON), one of:
  {"make": {dir, seed, config, wide_config, batches, train}}
      In dir, one folder per ALBERT architecture, saved by HF's save_pretrained from a random init
      (torch.manual_seed(seed)) with `config` (the hub's albert-large-v2 config.json, shrunk):
      AlbertModel, AlbertForMaskedLM, AlbertForPreTraining, AlbertForTokenClassification,
      AlbertForQuestionAnswering, AlbertForMultipleChoice, AlbertForSequenceClassification.
      Beside them, made with the tools users have:
        AlbertForMaskedLM-bin         the same MaskedLM weights as torch.save(state_dict) (pytorch_model.bin)
        AlbertForSequenceClassification-bin   likewise
        AlbertForMaskedLM-wide        a MaskedLM of `wide_config` (a large pooler, for the init statistics)
        legacy-bin                    torch.save(..., _use_new_zipfile_serialization=False)
        evil-bin                      a zip whose data.pkl calls os.system("touch <dir>/PWNED")
        bert-weights                  the ALBERT config with a BertModel's model.safetensors
        missing-backbone, wrong-shape the MaskedLM file less one encoder tensor / with one reshaped
        hf-seqcls                     HF's AlbertForSequenceClassification.from_pretrained(AlbertForMaskedLM)
                                      after torch.manual_seed(seed + 1), saved: HF's own head init
      stdout: {loading_info: {arch: {missing_keys, unexpected_keys, mismatched_keys, raised}},
               training: HF's 20 steps from hf-seqcls (hf_albert.train) on `batches`}
  {"hub_model": {dir, config_file, seed, bin}}
      An AlbertForMaskedLM of the hub's own config.json (config_file), random init, saved to dir:
      what `albert/albert-large-v2` serves, less the pretraining; with bin, as torch.save's
      pytorch_model.bin only (as many older hub repos have it). stdout: {}
  {"drop_head": {source, target}}
      The safetensors file `source` less its pooler and classifier, written to `target`: a base
      model's file, for the commands that need a trained head. stdout: {}
  {"check": [{name, source, ours}]}
      Loads `ours` (a folder albert-trainer saved) with HF's from_pretrained(output_loading_info=True),
      and compares its backbone with HF's own load of `source`, bit for bit.
      stdout: {name: {missing_keys, unexpected_keys, mismatched_keys, backbone_tensors, differing}}
"""


import json
import os
import pickle
import sys
import zipfile

import torch
import transformers
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hf_albert import train  # noqa: E402  (the parity suite's HF Trainer loop)

ARCHS = [
    "AlbertModel", "AlbertForMaskedLM", "AlbertForPreTraining", "AlbertForTokenClassification",
    "AlbertForQuestionAnswering", "AlbertForMultipleChoice", "AlbertForSequenceClassification",
]


def loading_info(path):
    cls = transformers.AlbertForSequenceClassification
    raised = None
    try:
        _, info = cls.from_pretrained(path, output_loading_info=True)
    except RuntimeError as error:  # a classifier of another shape: HF refuses unless told to re-initialise
        raised = str(error)
        _, info = cls.from_pretrained(path, output_loading_info=True, ignore_mismatched_sizes=True)
    return {
        "missing_keys": sorted(info["missing_keys"]),
        "unexpected_keys": sorted(info["unexpected_keys"]),
        "mismatched_keys": sorted(k[0] for k in info["mismatched_keys"]),
        "raised": raised,
    }


def save_with_config(model, folder, weights_name, state=None):
    os.makedirs(folder, exist_ok=True)
    model.config.save_pretrained(folder)
    torch.save(model.state_dict() if state is None else state, os.path.join(folder, weights_name))


class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def evil_bin(source_zip, folder, marker):
    """A real torch.save zip, with data.pkl replaced by a pickle that would run a shell command."""
    os.makedirs(folder, exist_ok=True)
    with zipfile.ZipFile(source_zip) as src, zipfile.ZipFile(os.path.join(folder, "pytorch_model.bin"), "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.endswith("/data.pkl"):
                data = pickle.dumps({"albert.embeddings.word_embeddings.weight": Evil(marker)}, protocol=2)
            dst.writestr(item, data)


def make(spec):
    root, seed = spec["dir"], spec["seed"]
    config = transformers.AlbertConfig(**spec["config"])
    out = {"loading_info": {}}
    models = {}
    for arch in ARCHS:
        torch.manual_seed(seed)
        models[arch] = getattr(transformers, arch)(config)
        models[arch].save_pretrained(os.path.join(root, arch))
        out["loading_info"][arch] = loading_info(os.path.join(root, arch))
    mlm = models["AlbertForMaskedLM"]
    for arch in ("AlbertForMaskedLM", "AlbertForSequenceClassification"):
        save_with_config(models[arch], os.path.join(root, f"{arch}-bin"), "pytorch_model.bin")
    out["loading_info"]["AlbertForMaskedLM-bin"] = loading_info(os.path.join(root, "AlbertForMaskedLM-bin"))
    torch.manual_seed(seed)
    transformers.AlbertForMaskedLM(transformers.AlbertConfig(**spec["wide_config"])).save_pretrained(os.path.join(root, "AlbertForMaskedLM-wide"))

    legacy = os.path.join(root, "legacy-bin")
    os.makedirs(legacy, exist_ok=True)
    mlm.config.save_pretrained(legacy)
    torch.save(mlm.state_dict(), os.path.join(legacy, "pytorch_model.bin"), _use_new_zipfile_serialization=False)
    evil = os.path.join(root, "evil-bin")
    evil_bin(os.path.join(root, "AlbertForMaskedLM-bin", "pytorch_model.bin"), evil, os.path.join(root, "PWNED"))
    mlm.config.save_pretrained(evil)

    bert = os.path.join(root, "bert-weights")
    transformers.BertModel(transformers.BertConfig(vocab_size=120, hidden_size=32, num_hidden_layers=1, num_attention_heads=4,
                                                   intermediate_size=37, max_position_embeddings=40)).save_pretrained(bert)
    mlm.config.save_pretrained(bert)  # an ALBERT config over BERT weights

    weights = load_file(os.path.join(root, "AlbertForMaskedLM", "model.safetensors"))
    dropped = "albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight"
    for name, change in (("missing-backbone", lambda w: w.pop(dropped)), ("wrong-shape", lambda w: w.update({dropped: w[dropped][:, :-1].contiguous()}))):
        folder = os.path.join(root, name)
        os.makedirs(folder, exist_ok=True)
        mlm.config.save_pretrained(folder)
        changed = dict(weights)
        change(changed)
        save_file(changed, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})

    torch.manual_seed(seed + 1)
    seqcls = transformers.AlbertForSequenceClassification.from_pretrained(os.path.join(root, "AlbertForMaskedLM"), attn_implementation="eager")
    seqcls.save_pretrained(os.path.join(root, "hf-seqcls"))
    out["training"] = train(seqcls, spec["batches"], spec["train"])
    out["training"].pop("final")
    return out


def check(items):
    cls = transformers.AlbertForSequenceClassification
    result = {}
    for item in items:
        ours, info = cls.from_pretrained(item["ours"], output_loading_info=True)
        try:
            source = cls.from_pretrained(item["source"], ignore_mismatched_sizes=True)
        except Exception:
            source = cls.from_pretrained(item["source"])
        ours_state, source_state = ours.state_dict(), source.state_dict()
        backbone = [n for n in source_state if n.startswith("albert.") and not n.startswith("albert.pooler.")]
        result[item["name"]] = {
            "missing_keys": sorted(info["missing_keys"]),
            "unexpected_keys": sorted(info["unexpected_keys"]),
            "mismatched_keys": sorted(k[0] for k in info["mismatched_keys"]),
            "backbone_tensors": len(backbone),
            "differing": [n for n in backbone if not torch.equal(ours_state[n], source_state[n])],
        }
    return result


def main():
    request = json.load(sys.stdin)
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    if "make" in request:
        result = make(request["make"])
    elif "drop_head" in request:
        spec = request["drop_head"]
        weights = {n: t for n, t in load_file(spec["source"]).items() if not n.startswith(("classifier.", "albert.pooler."))}
        save_file(weights, spec["target"], metadata={"format": "pt"})
        result = {}
    elif "hub_model" in request:
        spec = request["hub_model"]
        torch.manual_seed(spec["seed"])
        model = transformers.AlbertForMaskedLM(transformers.AlbertConfig.from_json_file(spec["config_file"]))
        if spec.get("bin"):
            save_with_config(model, spec["dir"], "pytorch_model.bin")
        else:
            model.save_pretrained(spec["dir"])
        result = {}
    else:
        result = check(request["check"])
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
