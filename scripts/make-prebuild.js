// Makes the prebuilt addon that `npm pack` ships (see scripts/prebuilt.js for its layout and
// how set-up uses it): the addon built against the pinned CPU torch, its run path set to
// $ORIGIN/../../build/torch/lib (no path of this machine left in it), loaded once to prove it
// works, and a record of what it was built against.
//
//   node scripts/make-prebuild.js        (part of `npm pack`: scripts/prepack.js)
//
// The pinned torch is the checkout's .venv when that holds it, else the per-user cache. The
// addon is the checkout's own build/Release/albert_native.node when that was configured
// against the same libtorch and is newer than every source (CI: `npm install` just made it),
// else a separate build in build/prebuild/ (never touching build/Release);
// ALBERT_TRAINER_PREBUILD_FRESH=1 always takes the separate build.
'use strict';

const fs = require('fs');
const path = require('path');
const { ROOT, BUILD_DIR, log, fail, main, since, capture, which } = require('./util');
const torchPaths = require('./torch-paths');
const { buildNative, cached, ADDON } = require('./build-native');
const { TORCH_VERSION, ensureCachedTorch } = require('./torch-cache');
const { prebuiltFiles, TUPLE } = require('./prebuilt');

const PREBUILD_BUILD_DIR = path.join(BUILD_DIR, 'prebuild');
const RUNPATH = '$ORIGIN/../../build/torch/lib';

/** The pinned CPU torch: .venv's when it is that one, else the per-user cache's (made if missing). */
function pinnedTorch() {
  const venv = torchPaths.venvPython();
  if (fs.existsSync(venv)) {
    const found = torchPaths.fromPython(venv, 'venv');
    if (found && found.version === TORCH_VERSION && !found.cuda) return found;
  }
  return torchPaths.fromPython(ensureCachedTorch(), 'cache');
}

/** The newest modification time under `dir` (files only). */
function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** Why build/Release cannot serve as the prebuild, or null when it can. */
function devBuildUnfit(torch) {
  if (process.env.ALBERT_TRAINER_PREBUILD_FRESH === '1') return 'ALBERT_TRAINER_PREBUILD_FRESH=1';
  if (!fs.existsSync(ADDON)) return 'there is no build/Release/albert_native.node';
  if (cached(BUILD_DIR, 'CMAKE_PREFIX_PATH') !== torch.cmakePrefix) return `build/ was configured against another libtorch than ${torch.root}`;
  if (!['', 'Release', undefined].includes(cached(BUILD_DIR, 'CMAKE_BUILD_TYPE'))) return 'build/ is not a Release build';
  const sources = Math.max(newestMtime(path.join(ROOT, 'native')), fs.statSync(path.join(ROOT, 'CMakeLists.txt')).mtimeMs);
  if (sources > fs.statSync(ADDON).mtimeMs) return 'native/ changed since build/Release/albert_native.node was built';
  return null;
}

/** Sets the ELF run path in place (cmake's own editor: the new path must be no longer than the old). */
function setRunpath(file, runpath) {
  if (!which('cmake')) fail('cmake is needed to set the prebuilt addon\'s run path');
  const script = path.join(path.dirname(file), 'set-runpath.cmake');
  fs.writeFileSync(script, 'file(RPATH_SET FILE "${FILE}" NEW_RPATH "${NEW_RPATH}")\n');
  const result = capture('cmake', [`-DFILE=${file}`, `-DNEW_RPATH=${runpath}`, '-P', script]);
  fs.rmSync(script, { force: true });
  if (result.status !== 0) fail(`could not set the run path of ${file}:\n${result.stdout}${result.stderr}`);
  const dynamic = which('readelf') ? capture('readelf', ['-d', file]).stdout : null;
  if (dynamic !== null && !dynamic.includes(`[${runpath}]`)) fail(`${file}: its run path is not ${runpath} after the edit:\n${dynamic}`);
}

/** Loads `file` in a child with libtorch on LD_LIBRARY_PATH; fails unless it reports `torch`'s version. */
function checkLoads(file, torch) {
  const env = { ...process.env, LD_LIBRARY_PATH: [torch.libDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(path.delimiter) };
  const probe = capture(process.execPath, ['-e', `process.stdout.write(JSON.stringify(require(${JSON.stringify(file)}).info()))`], { env, timeout: 120000 });
  if (probe.status !== 0) fail(`the prebuilt addon does not load:\n${probe.stderr.trim()}`);
  const facts = JSON.parse(probe.stdout);
  if (facts.torchVersion !== torch.version.split('+')[0] || facts.builtWithCuda) {
    fail(`the prebuilt addon reports libtorch ${facts.torchVersion}${facts.builtWithCuda ? ' with CUDA' : ''}, not ${torch.version}`);
  }
}

function makePrebuild() {
  if (`${process.platform}-${process.arch}` !== 'linux-x64') {
    fail(`the prebuilt addon is made on linux-x64 (this is ${process.platform}-${process.arch})`);
  }
  const start = Date.now();
  const torch = pinnedTorch();
  const unfit = devBuildUnfit(torch);
  let built;
  if (unfit) {
    log(`prebuild: a separate build in ${path.relative(ROOT, PREBUILD_BUILD_DIR)}/ (${unfit})`);
    built = buildNative(torch, { buildDir: PREBUILD_BUILD_DIR }).addon;
  } else {
    log(`prebuild: from ${path.relative(ROOT, ADDON)} (built against ${torch.root}, newer than every source)`);
    built = ADDON;
  }
  const { addon, meta } = prebuiltFiles();
  // Edited and checked in build/ first: prebuilds/ only ever holds a finished addon.
  const staging = path.join(BUILD_DIR, 'prebuild-staging', path.basename(addon));
  fs.rmSync(path.dirname(staging), { recursive: true, force: true });
  fs.mkdirSync(path.dirname(staging), { recursive: true });
  fs.copyFileSync(built, staging);
  setRunpath(staging, RUNPATH);
  checkLoads(staging, torch);
  fs.rmSync(path.dirname(addon), { recursive: true, force: true });
  fs.mkdirSync(path.dirname(addon), { recursive: true });
  fs.renameSync(staging, addon);
  fs.rmSync(path.dirname(staging), { recursive: true, force: true });
  const compiler = capture(cached(path.dirname(path.dirname(built)), 'CMAKE_CXX_COMPILER') || 'c++', ['--version']).stdout.split('\n')[0];
  const record = {
    addon: path.basename(addon),
    platform: TUPLE,
    libc: 'glibc',
    napi: 8,
    torch: { version: torch.version, cuda: false },
    runpath: RUNPATH,
    compiler,
    glibc: process.report.getReport().header.glibcVersionRuntime,
  };
  fs.writeFileSync(meta, `${JSON.stringify(record, null, 2)}\n`);
  const size = (fs.statSync(addon).size / 1e6).toFixed(1);
  log(`prebuilt addon: ${path.relative(ROOT, addon)} (${size} MB, libtorch ${torch.version}) (${since(start)})`);
}

if (require.main === module) main(makePrebuild);

module.exports = { makePrebuild, RUNPATH };
