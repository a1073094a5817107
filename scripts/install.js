// `npm install` (and, with --skip-torch, `npm run build`): sets up everything in one command.
//
//   1. libtorch: $LIBTORCH (an unpacked libtorch zip), else $TORCH_PY (a python that has
//      torch, e.g. a CUDA one), else the project's .venv with the pinned torch wheel
//      (created with python3 -m venv; pip is skipped when the pinned torch is there).
//      The choice is recorded in build/torch-location.json for build-native.js,
//      binding.gyp (scripts/torch-paths.js) and test-deps.js.
//      --skip-torch uses the recorded libtorch (or one found without installing).
//   2. the native addon: cmake-js, incremental (scripts/build-native.js).
//   3. the TypeScript: tsc -p tsconfig.json, incremental.
//
// Missing tools (python3, venv, pip, a C++ compiler, cmake) end in one message saying what
// to install, and exit 1.
'use strict';

const fs = require('fs');
const path = require('path');
const { ROOT, log, fail, main, since, capture, missingBuildTools, missingToolsMessage } = require('./util');
const torchPaths = require('./torch-paths');
const { ensureVenv, pipInstall } = require('./python-env');
const { buildNative } = require('./build-native');

const TORCH_VERSION = '2.13.0+cpu';
// Public PyPI has no `+cpu` builds; this index has them. Used only when it can be reached.
const TORCH_INDEX = process.env.ALBERT_TRAINER_TORCH_INDEX ?? 'https://download.pytorch.org/whl/cpu';

/** Which libtorch this run will use: 'LIBTORCH', 'TORCH_PY' or 'venv'. */
function torchSource() {
  if (process.env.LIBTORCH) return 'LIBTORCH';
  if (process.env.TORCH_PY) return 'TORCH_PY';
  return 'venv';
}

/** Every missing tool in one message, before any slow step. */
function checkTools(source) {
  const needVenv = source === 'venv' && !fs.existsSync(torchPaths.venvPython());
  const missing = missingBuildTools({ python: needVenv ? 'python3' : null });
  if (missing.length) fail(missingToolsMessage(missing));
}

/** The .venv with the pinned torch: made and pip-installed only when not already there. */
function venvTorch() {
  const { python } = ensureVenv(torchPaths.VENV_DIR, 'python3');
  const found = torchPaths.fromPython(python, 'venv');
  if (found && found.version === TORCH_VERSION) {
    log(`torch ${TORCH_VERSION} already in .venv: skipping pip`);
    return found;
  }
  const what = found
    ? `replacing torch ${found.version} with ${TORCH_VERSION} in .venv`
    : `installing torch==${TORCH_VERSION} into .venv (~750 MB)`;
  installPinnedTorch(python, what);
  const installed = torchPaths.fromPython(python, 'venv');
  if (!installed) fail(`pip reported success but ${python} still has no torch`);
  return installed;
}

/** pip install torch==TORCH_VERSION into `python`'s environment. */
function installPinnedTorch(python, what = `installing torch==${TORCH_VERSION} (~750 MB) into ${python}`) {
  pipInstall(python, [`torch==${TORCH_VERSION}`], what, { extraIndexes: TORCH_INDEX ? [TORCH_INDEX] : [] });
}

function resolveTorch(source) {
  if (source === 'LIBTORCH') return torchPaths.fromLibtorch(process.env.LIBTORCH);
  if (source === 'TORCH_PY') return torchPaths.fromTorchPy(process.env.TORCH_PY);
  return venvTorch();
}

/** --skip-torch: the recorded libtorch, unless LIBTORCH/TORCH_PY now say otherwise. */
function recordedTorch() {
  if (process.env.LIBTORCH || process.env.TORCH_PY) return torchPaths.resolveExisting();
  return torchPaths.currentLocation();
}

function tscBin() {
  try {
    return path.join(path.dirname(require.resolve('typescript/package.json', { paths: [ROOT] })), 'bin', 'tsc');
  } catch {
    fail('typescript is not in node_modules: run `npm install` in the albert-trainer folder first');
  }
}

/**
 * tsc -p tsconfig.json (incremental; its build info lives in build/). When dist/ is gone but
 * the build info is not, tsc would think all is emitted: the build info goes first.
 */
function buildTypeScript() {
  const start = Date.now();
  const config = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8')).compilerOptions || {};
  const outDir = path.join(ROOT, config.outDir || 'dist');
  if (config.tsBuildInfoFile && !fs.existsSync(outDir)) fs.rmSync(path.join(ROOT, config.tsBuildInfoFile), { force: true });
  const result = capture(process.execPath, [tscBin(), '-p', 'tsconfig.json', '--listEmittedFiles']);
  const lines = (result.stdout + result.stderr).split('\n').filter((l) => l.trim());
  const emitted = lines.filter((l) => l.startsWith('TSFILE: '));
  const messages = lines.filter((l) => !l.startsWith('TSFILE: '));
  if (messages.length) console.log(messages.join('\n'));
  if (result.status !== 0) fail(`tsc -p tsconfig.json failed (exit ${result.status}); its errors are above`);
  const what = emitted.length ? `compiled (${emitted.length} files written)` : 'up to date';
  log(`TypeScript ${what}: ${path.relative(ROOT, outDir)}/ (${since(start)})`);
}

function describe(torch) {
  const where = torch.python ? `${torch.python}` : torch.root;
  return `libtorch ${torch.version}${torch.cuda ? ' (CUDA)' : ''} from ${torch.source === 'venv' ? '.venv' : torch.source} (${where})`;
}

function install() {
  const start = Date.now();
  const skipTorch = process.argv.includes('--skip-torch');
  const source = torchSource();
  checkTools(skipTorch ? null : source);
  const torch = skipTorch ? recordedTorch() : resolveTorch(source);
  if (!torch) fail('no libtorch recorded yet: run `npm install` first');
  torchPaths.writeLocation(torch);
  log(`using ${describe(torch)}`);
  buildNative(torch);
  buildTypeScript();
  log(`ready (${since(start)})`);
}

if (require.main === module) main(install);

module.exports = { TORCH_VERSION, TORCH_INDEX, venvTorch, installPinnedTorch, buildTypeScript };
