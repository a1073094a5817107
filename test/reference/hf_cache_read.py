"""Reads files from a HF hub cache with huggingface_hub itself, offline: does a cache that
albert-trainer downloaded work for HF's own tools?

stdin: {"cache_dir": str, "files": [{"repo_id", "repo_type", "filename", "revision"}, ...]}
stdout (last line): one entry per file, in order:
  {"path": the file hf_hub_download returned, "sha256": of its bytes}
  or {"absent": true} where the cache records that the file is not in that revision
  (a .no_exist marker: try_to_load_from_cache gives _CACHED_NO_EXIST)
  or {"error": "<exception class>: <message>"} where huggingface_hub cannot read it.
"""
import hashlib
import json
import sys

from huggingface_hub import hf_hub_download, try_to_load_from_cache
from huggingface_hub.file_download import _CACHED_NO_EXIST


def read(cache_dir, item):
    kwargs = dict(repo_id=item["repo_id"], filename=item["filename"], revision=item["revision"],
                  repo_type=item["repo_type"], cache_dir=cache_dir)
    if try_to_load_from_cache(**kwargs) is _CACHED_NO_EXIST:
        return {"absent": True}
    try:
        path = hf_hub_download(**kwargs, local_files_only=True)
    except Exception as error:  # reported, not raised: the test shows which file failed and why
        return {"error": f"{type(error).__name__}: {error}"}
    with open(path, "rb") as f:
        return {"path": path, "sha256": hashlib.sha256(f.read()).hexdigest()}


def main():
    request = json.load(sys.stdin)
    print(json.dumps([read(request["cache_dir"], item) for item in request["files"]]))


if __name__ == "__main__":
    main()
