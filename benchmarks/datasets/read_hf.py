"""datasets.load_dataset on the same file, a fresh cache (the first load converts to Arrow, as a
user's first run does), then the rows as Python lists (what a trainer's tokenizer loop touches).
argv: FILE CACHE_DIR. Prints seconds and peak RSS as JSON."""
import json, os, resource, sys, time
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
started = time.perf_counter()
import datasets  # noqa: E402
imported = time.perf_counter()
path, cache = sys.argv[1], sys.argv[2]
kind = "parquet" if path.endswith(".parquet") else "json"
ds = datasets.load_dataset(kind, data_files=path, split="train", cache_dir=cache)
loaded = time.perf_counter()
batch = ds[:]
texts, labels = batch["text"], batch["label"]
done = time.perf_counter()
print(json.dumps({"reader": "datasets " + datasets.__version__, "file": path, "rows": len(texts), "import_seconds": imported - started,
                  "load_seconds": loaded - imported, "to_python_seconds": done - loaded, "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
