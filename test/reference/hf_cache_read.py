"""Reads files from a HF hub cache with huggingface_hub itself, offline: does a cache that
albert-trainer downloaded work for HF's own tools?

stdin: {"cache_dir": str, "files": [{"repo_id", "repo_type", "filename", "revision"}, ...]}
stdout (last line): {"reads": [...], "scan": scan(cache_dir)}, one read per file, in order:
  {"path": the file hf_hub_download returned, "sha256": of its bytes}
  or {"absent": true} where the cache records that the file is not in that revision
  (a .no_exist marker: try_to_load_from_cache gives _CACHED_NO_EXIST)
  or {"error": "<exception class>: <message>"} where huggingface_hub cannot read it.
"scan" is what huggingface_hub.scan_cache_dir makes of the whole cache (see scan below).
"""
import hashlib
import json
import os
import sys

from huggingface_hub import hf_hub_download, scan_cache_dir, try_to_load_from_cache
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


def scan(cache_dir):
    """scan_cache_dir's view: repos (by type and id), each revision's commit, the refs naming it
    and its files ('/'-separated paths in the snapshot, the blob each points to, its size), and
    the warnings it gives for folders it cannot read as a cache entry."""
    info = scan_cache_dir(cache_dir)
    repos = []
    for repo in sorted(info.repos, key=lambda r: (r.repo_type, r.repo_id)):
        revisions = []
        for revision in sorted(repo.revisions, key=lambda r: r.commit_hash):
            files = [{"name": os.path.relpath(f.file_path, revision.snapshot_path).replace(os.sep, "/"),
                      "blob": f.blob_path.name, "size": f.size_on_disk} for f in revision.files]
            revisions.append({"commit": revision.commit_hash, "refs": sorted(revision.refs),
                              "files": sorted(files, key=lambda f: f["name"])})
        repos.append({"repo_id": repo.repo_id, "repo_type": repo.repo_type, "revisions": revisions})
    return {"repos": repos, "warnings": [f"{type(w).__name__}: {w}" for w in info.warnings]}


def main():
    request = json.load(sys.stdin)
    reads = [read(request["cache_dir"], item) for item in request["files"]]
    print(json.dumps({"reads": reads, "scan": scan(request["cache_dir"])}))


if __name__ == "__main__":
    main()
