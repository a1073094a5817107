"""Dataset fixtures written by HF `datasets` and `pyarrow`, and what `datasets.load_dataset`
reads back from them, for test/data/parquet.test.ts and the hub tests.

argv: OUT (a folder to fill), SUBJ (the folder with SUBJ's train.jsonl and test.jsonl).
Writes under OUT:
  subj/data/{train,test}-00000-of-00001.parquet   SUBJ with a ClassLabel (objective, subjective), snappy
  subj-zstd/data/...                              the same rows, zstd
  subj-small/data/...                             the first 256 train / 64 test rows, snappy
  glue/                                           GLUE-shaped: README.md configs: block as the hub's
    sst2/train-0000{0,1,2}-of-00003.parquet       sharded train; validation; test with label -1
    mrpc/...                                      a pair task (sentence1, sentence2)
    cola/...
  carded/                                         a README.md configs: with data_files patterns
    files/my_training_*.parquet, files/held_out.parquet
  bad/truncated.parquet, bad/not-parquet.parquet, bad/numbers.parquet (text of ints),
  bad/nulls.parquet (a null text in row 3)
stdout (last line, JSON): {"versions": {...}, "loaded": {"<name>/<config>": {"<split>": {"rows":
  [[text, text_pair|null, label]], "names": [...]|null}}}} from datasets.load_dataset(folder, config).
"""

import json
import os
import shutil
import sys

os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")

import datasets  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

NAMES = ["objective", "subjective"]


def read_jsonl(path, n=None):
    rows = []
    with open(path, encoding="utf8") as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
            if n is not None and len(rows) >= n:
                break
    return rows


def write(ds, path, compression):
    """datasets' own writer for snappy (its default); pyarrow's, with the same schema and its
    `huggingface` metadata, for other codecs (datasets' to_parquet fixes the codec)."""
    if compression == "snappy":
        ds.to_parquet(path)
    else:
        table = ds.data.table
        assert b"huggingface" in (table.schema.metadata or {}), "the features should travel in the schema"
        pq.write_table(table, path, compression=compression)


def subj(out, name, subj_dir, compression, n_train=None, n_test=None):
    features = datasets.Features({"text": datasets.Value("string"), "label": datasets.ClassLabel(names=NAMES)})
    os.makedirs(os.path.join(out, name, "data"), exist_ok=True)
    for split, n in (("train", n_train), ("test", n_test)):
        rows = read_jsonl(os.path.join(subj_dir, f"{split}.jsonl"), n)
        ds = datasets.Dataset.from_dict({"text": [r["text"] for r in rows], "label": [r["label"] for r in rows]}, features=features)
        write(ds, os.path.join(out, name, "data", f"{split}-00000-of-00001.parquet"), compression)


GLUE_CARD = """---
configs:
- config_name: cola
  data_files:
  - split: train
    path: cola/train-*
  - split: validation
    path: cola/validation-*
  - split: test
    path: cola/test-*
- config_name: mrpc
  data_files:
  - split: train
    path: mrpc/train-*
  - split: validation
    path: mrpc/validation-*
  - split: test
    path: mrpc/test-*
- config_name: sst2
  data_files:
  - split: train
    path: sst2/train-*
  - split: validation
    path: sst2/validation-*
  - split: test
    path: sst2/test-*
---
# GLUE-shaped fixture
"""


def glue(out, subj_rows):
    root = os.path.join(out, "glue")
    specs = {
        "sst2": (["negative", "positive"], False),
        "cola": (["unacceptable", "acceptable"], False),
        "mrpc": (["not_equivalent", "equivalent"], True),
    }
    for config, (names, pair) in specs.items():
        cols = {"sentence1": datasets.Value("string"), "sentence2": datasets.Value("string")} if pair else {"sentence": datasets.Value("string")}
        features = datasets.Features({**cols, "label": datasets.ClassLabel(names=names), "idx": datasets.Value("int32")})
        os.makedirs(os.path.join(root, config), exist_ok=True)

        def make(rows, unlabelled=False):
            data = {"label": [-1 if unlabelled else r["label"] for r in rows], "idx": list(range(len(rows)))}
            if pair:
                data["sentence1"] = [r["text"] for r in rows]
                data["sentence2"] = [r["text"][::-1] for r in rows]
            else:
                data["sentence"] = [r["text"] for r in rows]
            return datasets.Dataset.from_dict(data, features=features)

        train = make(subj_rows[:90])
        for i in range(3):
            train.shard(3, i, contiguous=True).to_parquet(os.path.join(root, config, f"train-{i:05d}-of-00003.parquet"))
        make(subj_rows[90:120]).to_parquet(os.path.join(root, config, "validation-00000-of-00001.parquet"))
        make(subj_rows[120:140], unlabelled=True).to_parquet(os.path.join(root, config, "test-00000-of-00001.parquet"))
    with open(os.path.join(root, "README.md"), "w") as f:
        f.write(GLUE_CARD)


CARDED = """---
configs:
- config_name: default
  data_files:
  - split: train
    path: files/my_training_*.parquet
  - split: validation
    path: files/held_out.parquet
---
# A card that names its files
"""


def carded(out, subj_rows):
    root = os.path.join(out, "carded")
    os.makedirs(os.path.join(root, "files"), exist_ok=True)
    # String labels, no ClassLabel: datasets keeps them as strings.
    def table(rows):
        return pa.table({"text": [r["text"] for r in rows], "label": [r["label_text"] for r in rows]})
    pq.write_table(table(subj_rows[:40]), os.path.join(root, "files", "my_training_a.parquet"), compression="gzip")
    pq.write_table(table(subj_rows[40:80]), os.path.join(root, "files", "my_training_b.parquet"), compression="gzip", row_group_size=7)
    pq.write_table(table(subj_rows[80:100]), os.path.join(root, "files", "held_out.parquet"))
    pq.write_table(table(subj_rows[100:110]), os.path.join(root, "files", "ignored.parquet"))
    with open(os.path.join(root, "README.md"), "w") as f:
        f.write(CARDED)


def bad(out, subj_rows):
    root = os.path.join(out, "bad")
    os.makedirs(root, exist_ok=True)
    good = os.path.join(root, "good.parquet")
    pq.write_table(pa.table({"text": [r["text"] for r in subj_rows[:50]], "label": [r["label"] for r in subj_rows[:50]]}), good)
    with open(good, "rb") as f:
        body = f.read()
    with open(os.path.join(root, "truncated.parquet"), "wb") as f:
        f.write(body[: len(body) // 2])
    with open(os.path.join(root, "not-parquet.parquet"), "w") as f:
        f.write('{"text": "a jsonl file with the wrong name", "label": 0}\n')
    pq.write_table(pa.table({"text": [1, 2, 3], "label": [0, 1, 0]}), os.path.join(root, "numbers.parquet"))
    pq.write_table(pa.table({"text": ["a", "b", None, "d"], "label": [0, 1, 0, 1]}), os.path.join(root, "nulls.parquet"))
    pq.write_table(pa.table({"text": ["a", "b"], "label": [True, False], "other": ["x", "y"]}), os.path.join(root, "bools.parquet"))
    # Dictionary-encoded, nullable string columns with several row groups.
    pq.write_table(pa.table({"text": pa.array([r["text"] for r in subj_rows[:30]]).dictionary_encode(), "label": [r["label"] for r in subj_rows[:30]]}),
                   os.path.join(root, "dictionary.parquet"), use_dictionary=True, row_group_size=8)


def loaded(folder, config=None):
    out = {}
    dd = datasets.load_dataset(folder, config) if config else datasets.load_dataset(folder)
    for split, ds in dd.items():
        cols = ds.column_names
        text, pair = ("sentence1", "sentence2") if "sentence1" in cols else ("sentence" if "sentence" in cols else "text", None)
        feature = ds.features["label"]
        names = list(feature.names) if isinstance(feature, datasets.ClassLabel) else None
        out[split] = {"rows": [[r[text], r[pair] if pair else None, r["label"]] for r in ds], "names": names}
    return out


def main():
    datasets.disable_progress_bars()
    out, subj_dir = sys.argv[1], sys.argv[2]
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    os.environ["HF_DATASETS_CACHE"] = os.path.join(out, ".cache")
    subj_rows = read_jsonl(os.path.join(subj_dir, "train.jsonl"), 400)
    subj(out, "subj", subj_dir, "snappy")
    subj(out, "subj-zstd", subj_dir, "zstd")
    subj(out, "subj-small", subj_dir, "snappy", 256, 64)
    glue(out, subj_rows)
    carded(out, subj_rows)
    bad(out, subj_rows)
    result = {
        "subj/default": loaded(os.path.join(out, "subj")),
        "subj-zstd/default": loaded(os.path.join(out, "subj-zstd")),
        "carded/default": loaded(os.path.join(out, "carded")),
    }
    for config in ("sst2", "mrpc", "cola"):
        result[f"glue/{config}"] = loaded(os.path.join(out, "glue"), config)
    versions = {"datasets": datasets.__version__, "pyarrow": pa.__version__}
    print(json.dumps({"versions": versions, "loaded": result}))


if __name__ == "__main__":
    main()
