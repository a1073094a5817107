// Builds the node-gyp variant of the addon (binding.gyp) into
//   build/gyp/build/Release/albert_native.node
// leaving cmake-js's build/Release/albert_native.node alone. node-gyp always writes to
// ./build, so it runs in build/gyp/, which holds a copy of binding.gyp and links back to
// the repo's native/, scripts/ and node_modules/: the sources compile from where they are.
//
//   node scripts/build-gyp.js      (npm run build:gyp; then npm run smoke:gyp)
//
// Offline: node-gyp would download Node's headers unless it is given a folder that has
// them (--nodedir). We pass npm's `nodedir` when set, else the headers beside this node
// (<prefix>/include/node, as Debian/NodeSource/official tarballs ship them), else
// node-gyp's own cache; with none of those it stops with what to do.
// node-gyp is npm's bundled one ($npm_config_node_gyp under npm), else one in PATH.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { ROOT, BUILD_DIR, log, fail, main, since, run, which, findCxx, missingToolsMessage } = require('./util');
const { currentLocation } = require('./torch-paths');

const GYP_DIR = path.join(BUILD_DIR, 'gyp');
const GYP_ADDON = path.join(GYP_DIR, 'build', 'Release', 'albert_native.node');
const LINKS = ['native', 'scripts', 'node_modules'];

function requireGypTools() {
  const missing = [];
  if (!findCxx()) missing.push({ what: 'a C++ compiler (g++ 10 or newer, or clang++)', apt: 'g++' });
  if (!which('make')) missing.push({ what: 'make', apt: 'make' });
  if (!which('python3') && !process.env.PYTHON) missing.push({ what: 'python3 (node-gyp runs gyp with it)', apt: 'python3' });
  if (missing.length) fail(missingToolsMessage(missing));
}

function nodeGypBin() {
  const candidates = [
    process.env.npm_config_node_gyp,
    tryResolve('node-gyp/bin/node-gyp.js'),
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  const found = candidates.find((file) => file && fs.existsSync(file));
  if (found) return [process.execPath, found];
  const onPath = which('node-gyp');
  if (onPath) return [onPath];
  fail('node-gyp not found: it comes with npm; or `npm install -g node-gyp`');
}

function tryResolve(request) {
  try {
    return require.resolve(request, { paths: [ROOT] });
  } catch {
    return null;
  }
}

/** A folder with include/node/{common.gypi,node_version.h} for this node, or null. */
function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const version = process.versions.node;
  const prefixes = [
    process.config.variables.node_prefix,
    path.resolve(path.dirname(process.execPath), '..'),
    path.join(os.homedir(), '.cache', 'node-gyp', version),
    process.env.npm_config_devdir && path.join(process.env.npm_config_devdir, version),
  ];
  return prefixes.find((prefix) => prefix && headersMatch(prefix, version)) || null;
}

function headersMatch(prefix, version) {
  const include = path.join(prefix, 'include', 'node');
  if (!fs.existsSync(path.join(include, 'common.gypi'))) return false;
  let header;
  try {
    header = fs.readFileSync(path.join(include, 'node_version.h'), 'utf8');
  } catch {
    return false;
  }
  const part = (name) => (new RegExp(`#define ${name} (\\d+)`).exec(header) || [])[1];
  return `${part('NODE_MAJOR_VERSION')}.${part('NODE_MINOR_VERSION')}.${part('NODE_PATCH_VERSION')}` === version;
}

/** build/gyp/: binding.gyp (copied only when changed, so make stays incremental) and links. */
function prepareFolder() {
  fs.mkdirSync(GYP_DIR, { recursive: true });
  const source = fs.readFileSync(path.join(ROOT, 'binding.gyp'));
  const copy = path.join(GYP_DIR, 'binding.gyp');
  if (!fs.existsSync(copy) || !fs.readFileSync(copy).equals(source)) fs.writeFileSync(copy, source);
  for (const name of LINKS) {
    const link = path.join(GYP_DIR, name);
    const target = path.relative(GYP_DIR, path.join(ROOT, name));
    let current = null;
    try {
      current = fs.readlinkSync(link);
    } catch {
      // not a link (or absent)
    }
    if (current === target) continue;
    fs.rmSync(link, { force: true });
    fs.symlinkSync(target, link, 'dir');
  }
}

function buildGyp() {
  requireGypTools();
  const torch = currentLocation();
  const nodedir = nodeDir();
  if (!nodedir) {
    fail(
      `node-gyp needs Node ${process.versions.node}'s headers and cannot download them offline: ` +
        'set npm config nodedir (`npm config set nodedir /path/with/include/node`) or run ' +
        '`node-gyp install` once while online',
    );
  }
  const start = Date.now();
  prepareFolder();
  const jobs = String(typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
  log(`node-gyp build against libtorch ${torch.version} (${torch.libDir}), Node headers from ${nodedir}, ${jobs} jobs ...`);
  const [bin, ...pre] = nodeGypBin();
  // configure each time (cheap; picks up new source files), then an incremental make.
  run(bin, [...pre, 'configure', 'build', `--nodedir=${nodedir}`, '--jobs', jobs, '--loglevel', 'warn'], {
    cwd: GYP_DIR,
    what: 'node-gyp',
  });
  if (!fs.existsSync(GYP_ADDON)) fail(`node-gyp finished but ${GYP_ADDON} is missing`);
  log(`node-gyp addon: ${path.relative(ROOT, GYP_ADDON)} (${since(start)})`);
  return GYP_ADDON;
}

if (require.main === module) main(buildGyp);

module.exports = { buildGyp, GYP_DIR, GYP_ADDON };
