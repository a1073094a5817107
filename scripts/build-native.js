// Builds the native addon (build/Release/albert_native.node) with cmake-js from
// node_modules, against the libtorch recorded in build/torch-location.json (or found now:
// $LIBTORCH, $TORCH_PY, .venv). Incremental: cmake/ninja rebuild only what changed; the
// build is configured again only when there is no cache yet or libtorch moved.
//
//   node scripts/build-native.js        (npm run build:native)
//
// cmake-js 8 is run as `cmake-js configure|build --CD<VAR>=<value> -p <jobs>`; it takes
// the Node-API headers from node-api-headers (package.json "binary.napi_versions") and so
// never downloads anything. `cmake-js compile`/`rebuild` are avoided: on a failed build
// they delete the whole build/ folder (torch-location.json and others' files with it).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { ROOT, BUILD_DIR, log, fail, main, since, run, requireBuildTools } = require('./util');
const { currentLocation } = require('./torch-paths');

const ADDON = path.join(BUILD_DIR, 'Release', 'albert_native.node');

/** The addon a build in `buildDir` makes. */
function addonIn(buildDir) {
  return path.join(buildDir, 'Release', 'albert_native.node');
}

function cmakeJsBin() {
  try {
    return path.join(path.dirname(require.resolve('cmake-js/package.json', { paths: [ROOT] })), 'bin', 'cmake-js');
  } catch {
    fail('cmake-js is not in node_modules: run `npm install` in the albert-trainer folder first');
  }
}

function jobs() {
  if (process.env.ALBERT_TRAINER_JOBS) return Number(process.env.ALBERT_TRAINER_JOBS);
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** The cached value of a CMake variable in `buildDir`'s cache, or undefined. */
function cached(buildDir, name) {
  let text;
  try {
    text = fs.readFileSync(path.join(buildDir, 'CMakeCache.txt'), 'utf8');
  } catch {
    return undefined;
  }
  const match = new RegExp(`^${name}:[A-Z]+=(.*)$`, 'm').exec(text);
  return match ? match[1] : undefined;
}

/**
 * Why the build must be configured (again), or null. A cache made for another libtorch or
 * another source folder is removed (just CMakeCache.txt): find_package(Torch) caches its
 * paths (Torch_DIR, Caffe2_DIR, TORCH_LIBRARY), so a new CMAKE_PREFIX_PATH alone won't move it.
 */
function configureReason(torch, buildDir) {
  const cache = path.join(buildDir, 'CMakeCache.txt');
  if (!fs.existsSync(cache)) return 'first build';
  const home = cached(buildDir, 'CMAKE_HOME_DIRECTORY');
  let reason = null;
  if (home && path.resolve(home) !== ROOT) reason = `the cache is for ${home}`;
  else if (cached(buildDir, 'CMAKE_PREFIX_PATH') !== torch.cmakePrefix) reason = `libtorch is now ${torch.root}`;
  if (reason) fs.rmSync(cache);
  return reason;
}

/**
 * Configures if needed, then builds; says whether anything was rebuilt. `buildDir` is
 * build/ (the addon everything loads) unless given (scripts/make-prebuild.js builds in its own).
 */
function buildNative(torch = currentLocation(), { buildDir = BUILD_DIR } = {}) {
  requireBuildTools();
  const start = Date.now();
  const addon = addonIn(buildDir);
  const before = mtime(addon);
  const bin = cmakeJsBin();
  const common = ['-d', ROOT, '-O', buildDir, '-l', 'warn', `--CDCMAKE_PREFIX_PATH=${torch.cmakePrefix}`];
  const reason = configureReason(torch, buildDir);
  // Keep the generator of an existing cache (plain cmake may have made it with Makefiles).
  const generator = cached(buildDir, 'CMAKE_GENERATOR');
  if (generator) common.push('-G', generator);
  if (reason) {
    log(`configuring the native build (${reason}) with libtorch ${torch.version} from ${torch.cmakePrefix}`);
    run(process.execPath, [bin, 'configure', ...common], { what: 'cmake configure (cmake-js)' });
  }
  log(`building the native addon (${jobs()} jobs) ...`);
  run(process.execPath, [bin, 'build', ...common, '-p', String(jobs())], { what: 'the native build (cmake-js)' });
  if (!fs.existsSync(addon)) fail(`the native build finished but ${addon} is missing`);
  const rebuilt = mtime(addon) !== before;
  log(`native addon ${rebuilt ? 'built' : 'up to date'}: ${path.relative(ROOT, addon)} (${since(start)})`);
  return { addon, rebuilt };
}

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

if (require.main === module) main(() => buildNative());

module.exports = { buildNative, cached, addonIn, ADDON };
