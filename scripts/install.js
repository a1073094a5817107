// `npm install` (and, with --skip-torch, `npm run build`; and `albert-train setup`): sets up
// everything in one command. Two layouts (scripts/util.js INSTALLED):
//
// A checkout of the repository (`npm install` in it):
//   1. libtorch: $LIBTORCH (an unpacked libtorch zip), else $TORCH_PY (a python that has
//      torch, e.g. a CUDA one), else the project's .venv with the pinned torch wheel
//      (created with python3 -m venv; pip is skipped when the pinned torch is there).
//      The choice is recorded in build/torch-location.json for build-native.js,
//      binding.gyp (scripts/torch-paths.js) and test-deps.js.
//      --skip-torch uses the recorded libtorch (or one found without installing).
//   2. the native addon: cmake-js, incremental (scripts/build-native.js).
//   3. the TypeScript: tsc -p tsconfig.json, incremental.
//
// An installed package (a dependency under node_modules; dist/ is shipped compiled):
//   1. libtorch: $LIBTORCH, else $TORCH_PY, else the pinned torch in the per-user cache
//      (scripts/torch-cache.js), shared by every project; recorded as above, and linked as
//      build/torch.
//   2. the addon: the prebuilt one (scripts/prebuilt.js) when it fits that libtorch: no
//      compiler, no cmake; else built from source into build/Release as in a checkout.
//      --from-source (or ALBERT_TRAINER_BUILD_FROM_SOURCE=1) always builds.
//   Nothing here needs a devDependency, tsc or the test folders.
//
// Missing tools (python3, venv, pip, a C++ compiler, cmake) end in one message saying what
// to install, and exit 1.
'use strict';

const fs = require('fs');
const path = require('path');
const { ROOT, BUILD_DIR, INSTALLED, log, fail, main, since, capture, missingBuildTools, missingPython, missingToolsMessage } = require('./util');
const torchPaths = require('./torch-paths');
const { ensureVenv } = require('./python-env');
const { buildNative } = require('./build-native');
const { TORCH_VERSION, TORCH_INDEX, installPinnedTorch, ensureCachedTorch, cacheDir } = require('./torch-cache');
const { checkPrebuilt } = require('./prebuilt');

/** Which libtorch this run will use: 'LIBTORCH', 'TORCH_PY', 'cache' (installed package) or 'venv' (checkout). */
function torchSource() {
  if (process.env.LIBTORCH) return 'LIBTORCH';
  if (process.env.TORCH_PY) return 'TORCH_PY';
  return INSTALLED ? 'cache' : 'venv';
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

function resolveTorch(source) {
  if (source === 'LIBTORCH') return torchPaths.fromLibtorch(process.env.LIBTORCH);
  if (source === 'TORCH_PY') return torchPaths.fromTorchPy(process.env.TORCH_PY);
  if (source === 'cache') {
    const python = ensureCachedTorch();
    const found = torchPaths.fromPython(python, 'cache');
    if (!found) fail(`${python} (the per-user torch cache) has no torch: delete ${cacheDir()} and run set-up again`);
    return found;
  }
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
  const from = { venv: '.venv', cache: 'the per-user cache' }[torch.source] || torch.source;
  return `libtorch ${torch.version}${torch.cuda ? ' (CUDA)' : ''} from ${from} (${where})`;
}

/**
 * Set-up of an installed package: libtorch, then the prebuilt addon or a build from source.
 * build/torch and build/torch-location.json are written only once the addon is ready, so a
 * failed set-up leaves the package as unset-up as it found it (and the loader says so).
 */
function setupInstalled() {
  const start = Date.now();
  const source = torchSource();
  if (source === 'cache' && !require('./torch-cache').readyPython(cacheDir())) {
    const missing = missingPython('python3');
    if (missing.length) fail(missingToolsMessage(missing));
  }
  const torch = resolveTorch(source);
  log(`using ${describe(torch)}`);
  const fromSource = process.argv.includes('--from-source') || process.env.ALBERT_TRAINER_BUILD_FROM_SOURCE === '1';
  const prebuilt = fromSource
    ? { usable: false, reason: 'asked to build from source (--from-source or ALBERT_TRAINER_BUILD_FROM_SOURCE=1)' }
    : checkPrebuilt(torch);
  if (prebuilt.usable) {
    torchPaths.writeLocation(torch);
    torchPaths.linkTorch(torch);
    // A build from an earlier set-up would be loaded first (node-gyp-build prefers build/Release).
    fs.rmSync(path.join(BUILD_DIR, 'Release'), { recursive: true, force: true });
    log(`using the prebuilt addon ${path.relative(ROOT, prebuilt.addon)} (built against libtorch ${prebuilt.meta.torch.version}): nothing to compile`);
  } else {
    log(`building the addon from source: ${prebuilt.reason}`);
    buildNative(torch);
    torchPaths.writeLocation(torch);
    torchPaths.linkTorch(torch);
    pruneBuildTree();
  }
  log(`ready (${since(start)})`);
}

/**
 * An installed package keeps only the addon of a build from source: the objects and the
 * precompiled header (~440 MB) would stay in every project's node_modules. A later set-up
 * builds from scratch again.
 */
function pruneBuildTree() {
  const keep = new Set(['Release', path.basename(torchPaths.TORCH_LINK), path.basename(torchPaths.LOCATION_FILE)]);
  for (const name of fs.readdirSync(BUILD_DIR)) {
    if (!keep.has(name)) fs.rmSync(path.join(BUILD_DIR, name), { recursive: true, force: true });
  }
}

function install() {
  if (INSTALLED) return setupInstalled();
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
