// pretest (`npm test` runs it first): makes sure the reference python, the one the tests
// run HF transformers with (test/helpers/python.ts: $ALBERT_TRAINER_PYTHON, else
// .venv/bin/python), has torch and test/requirements.txt. A fast check (package metadata,
// no imports, ~0.1 s) skips pip when all is there.
//
// Whose python we install into:
// - .venv (the default) is the project's: we create it when missing and pip-install into it.
//   With TORCH_PY (set now, or recorded by `npm install`) a missing .venv is made from that
//   python and sees its packages through a .pth file, so the tests use TORCH_PY's torch
//   (the one the addon was built against) while transformers & co. go into .venv: the
//   user's own python is never changed. With LIBTORCH (no python) .venv gets the pinned
//   torch wheel, as `npm install` would have.
// - $ALBERT_TRAINER_PYTHON is the user's: we install into it only if it is a virtual
//   environment; a system python that lacks something gets a message saying what to
//   install, and we install nothing.
'use strict';

const fs = require('fs');
const path = require('path');
const { ROOT, log, fail, main, since, capture } = require('./util');
const torchPaths = require('./torch-paths');
const { ensureVenv, isVenv, pipInstall } = require('./python-env');

const REQUIREMENTS = path.join(ROOT, 'test', 'requirements.txt');
const OVERLAY_PTH = 'albert-trainer-torch-py.pth';

// Prints one line per unmet requirement (torch first); exit 0 either way.
const CHECK_PY = `
import sys, importlib.metadata as md
try:
    from pip._vendor.packaging.requirements import Requirement
except Exception:
    from packaging.requirements import Requirement
lines = ["torch"] + [l.split("#")[0].strip() for l in open(sys.argv[1])]
for line in lines:
    if not line or line.startswith("-"):
        continue
    req = Requirement(line)
    if req.marker is not None and not req.marker.evaluate():
        continue
    try:
        have = md.version(req.name)
    except md.PackageNotFoundError:
        print(f"{req.name}: missing")
        continue
    if req.specifier and not req.specifier.contains(have, prereleases=True):
        print(f"{req.name}: {have} installed, {req.specifier} wanted")
`;

/** Unmet requirements of `python`, as lines ("transformers: missing"). */
function unmet(python) {
  const result = capture(python, ['-c', CHECK_PY, REQUIREMENTS], { timeout: 60000 });
  if (result.status !== 0) fail(`could not check the test requirements with ${python}:\n${result.stderr.trim()}`);
  return result.stdout.split('\n').filter(Boolean);
}

/** TORCH_PY now, else the one `npm install` recorded, else null. */
function torchPy() {
  if (process.env.TORCH_PY) return process.env.TORCH_PY;
  const recorded = torchPaths.readLocation();
  return recorded && recorded.source === 'TORCH_PY' ? recorded.python : null;
}

/** The site dirs of `python` (not its stdlib), in its sys.path order. */
function siteDirs(python) {
  const code =
    'import sys, os, sysconfig, json; p = sysconfig.get_paths(); std = {p["stdlib"], p["platstdlib"]};' +
    'print(json.dumps([d for d in sys.path[1:] if d and os.path.isdir(d) and d not in std' +
    ' and not d.endswith("lib-dynload") and not d.endswith(".zip")]))';
  const result = capture(python, ['-c', code], { timeout: 60000 });
  if (result.status !== 0) fail(`could not run TORCH_PY=${python}: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout.trim());
}

/** Makes .venv from TORCH_PY with a .pth to TORCH_PY's site dirs (its torch, shared). */
function overlayVenv(python) {
  const dirs = siteDirs(python);
  const { python: venvPy } = ensureVenv(torchPaths.VENV_DIR, python);
  const purelib = capture(venvPy, ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])']).stdout.trim();
  fs.writeFileSync(path.join(purelib, OVERLAY_PTH), `${dirs.join('\n')}\n`);
  log(`.venv sees TORCH_PY's packages (${python}) through ${OVERLAY_PTH}`);
  return venvPy;
}

/** The reference python and whether installing into it is ours to do. */
function referencePython() {
  if (process.env.ALBERT_TRAINER_PYTHON) {
    const python = process.env.ALBERT_TRAINER_PYTHON;
    return { python, ours: isVenv(python), label: `ALBERT_TRAINER_PYTHON=${python}` };
  }
  const venvPy = torchPaths.venvPython();
  if (fs.existsSync(venvPy)) return { python: venvPy, ours: true, label: '.venv' };
  const fromTorchPy = torchPy();
  if (fromTorchPy) return { python: overlayVenv(fromTorchPy), ours: true, label: '.venv (over TORCH_PY)' };
  const { python } = ensureVenv(torchPaths.VENV_DIR, 'python3');
  return { python, ours: true, label: '.venv' };
}

function testDeps() {
  const start = Date.now();
  const { python, ours, label } = referencePython();
  let missing = unmet(python);
  if (missing.length && !ours) {
    fail(
      `the reference python ${python} lacks: ${missing.join('; ')}.\n` +
        `  It is not a virtual environment, so nothing was installed into it: run\n` +
        `  \`${python} -m pip install torch -r ${path.relative(process.cwd(), REQUIREMENTS)}\` yourself, ` +
        'or unset ALBERT_TRAINER_PYTHON to use the project .venv',
    );
  }
  if (missing.some((line) => line.startsWith('torch:'))) {
    // A .venv made without torch (LIBTORCH installs, a fresh clone) or a bare venv named by
    // ALBERT_TRAINER_PYTHON: the pinned wheel, as `npm install` installs it.
    require('./install').installPinnedTorch(python);
    missing = unmet(python);
  }
  if (missing.length) {
    pipInstall(python, ['-r', REQUIREMENTS], `installing test requirements into ${label} (${missing.join('; ')})`);
    missing = unmet(python);
    if (missing.length) fail(`after pip install, ${python} still lacks: ${missing.join('; ')}`);
    log(`test requirements installed in ${label} (${since(start)})`);
  } else {
    log(`test requirements already in ${label}: skipping pip (${since(start)})`);
  }
}

if (require.main === module) main(testDeps);

module.exports = { testDeps, unmet };
