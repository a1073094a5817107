"""huggingface_hub fills a cache of its own from HF_ENDPOINT (the test's loopback fake hub): the
cache layout albert-trainer must read, written by the library that defines it.

stdin: {"cache_dir": str,
        "files": [{"repo_id", "repo_type", "filename", "revision"}, ...]  (hf_hub_download each),
        "snapshots": [{"repo_id", "repo_type", "revision"}, ...]  (snapshot_download each)}
stdout (last line): {"files": [...], "snapshots": [...], "scan": scan_cache_dir's view (hf_cache_read.scan)}
  files: {"path", "sha256"}, or {"absent": true} where the hub says the file is not in the
         revision (huggingface_hub then records a .no_exist marker), or {"error": ...}
  snapshots: {"path"} of the snapshot folder, or {"error": ...}
"""
import hashlib
import json
import sys

from huggingface_hub import hf_hub_download, snapshot_download
from huggingface_hub.errors import EntryNotFoundError

from hf_cache_read import scan


def download(cache_dir, item):
    try:
        path = hf_hub_download(repo_id=item["repo_id"], filename=item["filename"], revision=item["revision"],
                               repo_type=item["repo_type"], cache_dir=cache_dir)
    except EntryNotFoundError:
        return {"absent": True}
    except Exception as error:  # reported, not raised: the test shows which file failed and why
        return {"error": f"{type(error).__name__}: {error}"}
    with open(path, "rb") as f:
        return {"path": path, "sha256": hashlib.sha256(f.read()).hexdigest()}


def snapshot(cache_dir, item):
    try:
        return {"path": snapshot_download(repo_id=item["repo_id"], revision=item["revision"],
                                          repo_type=item["repo_type"], cache_dir=cache_dir)}
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}"}


def main():
    request = json.load(sys.stdin)
    cache_dir = request["cache_dir"]
    files = [download(cache_dir, item) for item in request["files"]]
    snapshots = [snapshot(cache_dir, item) for item in request["snapshots"]]
    print(json.dumps({"files": files, "snapshots": snapshots, "scan": scan(cache_dir)}))


if __name__ == "__main__":
    main()
