// The pinned torch wheel (libtorch comes from it) and the per-user cache that holds it for
// installed packages: one libtorch per machine and user, not one per project.
//
//   <cache>/torch-2.13.0+cpu/        a python venv with torch==2.13.0+cpu (~1.1 GB)
//   <cache>/torch-2.13.0+cpu.lock    held while one install creates it
//
// <cache> is $ALBERT_TRAINER_TORCH_CACHE, else $XDG_CACHE_HOME/albert-trainer, else
// ~/.cache/albert-trainer. Every project and every albert-trainer version that pins the same
// torch shares the folder. A checkout of the repository does not use it: its own .venv holds
// torch and the test requirements (scripts/install.js, scripts/test-deps.js).
//
// Created atomically: the venv is made and pip-installed in a temporary folder beside it,
// then renamed into place, so the folder is either absent or complete. One install at a time
// creates it (an exclusive lock file); a second one at the same moment waits for the first
// and then uses its result. A lock whose process is gone (same host) or that is older than
// LOCK_STALE_MS is taken over. A folder that is there but broken is replaced.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { log, fail, since, sleepSync, capture } = require('./util');
const { ensureVenv, pipInstall, venvBin } = require('./python-env');

const TORCH_VERSION = '2.13.0+cpu';
// Public PyPI has no `+cpu` builds; this index has them. Used only when it can be reached.
const TORCH_INDEX = process.env.ALBERT_TRAINER_TORCH_INDEX ?? 'https://download.pytorch.org/whl/cpu';
const READY_FILE = 'albert-trainer-torch.json';
const LOCK_STALE_MS = 2 * 60 * 60 * 1000;
const LOCK_POLL_MS = 1000;

/** pip install torch==TORCH_VERSION into `python`'s environment. */
function installPinnedTorch(python, what = `installing torch==${TORCH_VERSION} (~750 MB) into ${python}`) {
  pipInstall(python, [`torch==${TORCH_VERSION}`], what, { extraIndexes: TORCH_INDEX ? [TORCH_INDEX] : [] });
}

/** The folder that holds the cached torch venvs. */
function cacheRoot() {
  if (process.env.ALBERT_TRAINER_TORCH_CACHE) return path.resolve(process.env.ALBERT_TRAINER_TORCH_CACHE);
  const base = process.env.XDG_CACHE_HOME ? path.resolve(process.env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache');
  return path.join(base, 'albert-trainer');
}

/** The venv that holds torch `version`. */
function cacheDir(version = TORCH_VERSION) {
  return path.join(cacheRoot(), `torch-${version}`);
}

/** The python of a complete cached venv, or null (absent, half made, or its python won't run). */
function readyPython(dir) {
  const python = venvBin(dir, 'python');
  let marker;
  try {
    marker = JSON.parse(fs.readFileSync(path.join(dir, READY_FILE), 'utf8'));
  } catch {
    return null;
  }
  if (!marker || marker.torch !== path.basename(dir).replace(/^torch-/, '')) return null;
  return capture(python, ['-c', 'import importlib.util, sys; sys.exit(importlib.util.find_spec("torch") is None)'], { timeout: 60000 })
    .status === 0
    ? python
    : null;
}

/** True when `pid` is a live process on this host. */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Takes the lock file, or returns its holder ({ pid, host, startedAt }) when another live install has it. */
function tryLock(lock) {
  const me = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  try {
    fs.writeFileSync(lock, `${JSON.stringify(me)}\n`, { flag: 'wx' });
    return null;
  } catch (error) {
    if (error.code !== 'EEXIST') fail(`cannot create the lock file ${lock}: ${error.message}`);
  }
  let holder = null;
  let age = 0;
  try {
    holder = JSON.parse(fs.readFileSync(lock, 'utf8'));
    age = Date.now() - fs.statSync(lock).mtimeMs;
  } catch {
    // being written or just removed: look again on the next poll
    return { pid: null };
  }
  const dead = holder && holder.host === os.hostname() && !alive(holder.pid);
  if (dead || age > LOCK_STALE_MS) {
    // Renamed away rather than deleted: of two installs that found it stale, one moves it.
    const stale = `${lock}.stale-${process.pid}`;
    try {
      fs.renameSync(lock, stale);
    } catch {
      return { pid: null }; // the other one did: look again on the next poll
    }
    fs.rmSync(stale, { force: true });
    log(`took over the stale lock ${lock} (pid ${holder && holder.pid} ${dead ? 'is gone' : 'held it too long'})`);
    return tryLock(lock);
  }
  return holder || { pid: null };
}

/** Moves a broken folder out of the way and deletes it. */
function discard(dir) {
  if (!fs.existsSync(dir)) return;
  const trash = `${dir}.trash-${process.pid}-${Date.now()}`;
  fs.renameSync(dir, trash);
  fs.rmSync(trash, { recursive: true, force: true });
}

/**
 * The python of the cached venv with the pinned torch, created when missing. Safe to call
 * from several processes at once: one creates it, the others wait and reuse it.
 */
function ensureCachedTorch(version = TORCH_VERSION) {
  const dir = cacheDir(version);
  const found = readyPython(dir);
  if (found) {
    log(`torch ${version} already in the per-user cache ${dir}: skipping pip`);
    return found;
  }
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const lock = `${dir}.lock`;
  let waitingSince = null;
  for (;;) {
    const holder = tryLock(lock);
    if (!holder) break;
    const ready = readyPython(dir);
    if (ready) {
      log(`torch ${version} is now in the per-user cache ${dir} (made by pid ${holder.pid}; waited ${since(waitingSince || Date.now())})`);
      return ready;
    }
    if (waitingSince === null) {
      waitingSince = Date.now();
      log(`another install (pid ${holder.pid}) is putting torch ${version} into ${dir}: waiting for it ...`);
    }
    sleepSync(LOCK_POLL_MS);
  }
  try {
    const ready = readyPython(dir); // made while we waited for the lock
    if (ready) return ready;
    return createCache(dir, version);
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/** Removes what installs that died left beside `dir` (their temporary and discarded folders). */
function removeLeftovers(dir) {
  const prefix = path.basename(dir);
  for (const name of fs.readdirSync(path.dirname(dir))) {
    const match = /^\.(?:tmp|trash)-(\d+)/.exec(name.slice(prefix.length));
    if (name.startsWith(prefix) && match && !alive(Number(match[1]))) {
      fs.rmSync(path.join(path.dirname(dir), name), { recursive: true, force: true });
    }
  }
}

/** With the lock held: venv and pip in a temporary folder, then one rename into place. */
function createCache(dir, version) {
  const start = Date.now();
  removeLeftovers(dir);
  const temp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(temp, { recursive: true, force: true });
  try {
    const { python } = ensureVenv(temp, 'python3');
    pipInstall(python, [`torch==${version}`], `installing torch==${version} into the per-user cache ${dir} (~750 MB, once per machine)`, {
      extraIndexes: TORCH_INDEX ? [TORCH_INDEX] : [],
    });
    fs.writeFileSync(path.join(temp, READY_FILE), `${JSON.stringify({ torch: version, createdAt: new Date().toISOString() })}\n`);
    if (readyPython(dir)) {
      // Another host (or a race over a stale lock) finished first: theirs is as good as ours.
      fs.rmSync(temp, { recursive: true, force: true });
      log(`torch ${version} was put into ${dir} by another install meanwhile: using that one`);
    } else {
      discard(dir); // there but not ready: a broken or foreign folder
      fs.renameSync(temp, dir);
      log(`torch ${version} cached in ${dir} (${since(start)})`);
    }
  } catch (error) {
    fs.rmSync(temp, { recursive: true, force: true });
    throw error;
  }
  const python = readyPython(dir);
  if (!python) fail(`the per-user torch cache ${dir} was created but its python cannot import torch`);
  return python;
}

if (require.main === module) {
  // node scripts/torch-cache.js [dir]: prints the cached venv's python, creating it if needed.
  require('./util').main(() => {
    if (process.argv[2] === 'dir') return console.log(cacheDir());
    console.log(ensureCachedTorch());
  });
}

module.exports = { TORCH_VERSION, TORCH_INDEX, installPinnedTorch, cacheRoot, cacheDir, ensureCachedTorch, readyPython };
