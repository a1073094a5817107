// The prebuilt addon the package ships, and whether it fits the libtorch found here.
//
//   prebuilds/linux-x64/albert_native.napi.glibc.node   the addon (node-gyp-build's layout:
//                                                        <platform>-<arch>/, tags napi, glibc)
//   prebuilds/linux-x64/albert_native.json               what it was built against
//
// `npm pack` makes them (scripts/make-prebuild.js). The prebuilt addon's run path is
// $ORIGIN/../../build/torch/lib: set-up (scripts/install.js) points build/torch at the
// libtorch it found, so the same file works wherever the per-user cache or TORCH_PY's torch
// is. It is used when that libtorch is the one it was built against (same version, CPU) and
// it loads in a child process; otherwise the addon is built from source into build/Release,
// which node-gyp-build (ts/native.ts) prefers over any prebuild.
'use strict';

const fs = require('fs');
const path = require('path');
const { ROOT, capture, readJson } = require('./util');

const PREBUILDS_DIR = path.join(ROOT, 'prebuilds');
const TUPLE = `${process.platform}-${process.arch}`;
const ADDON_NAME = 'albert_native.napi.glibc.node';
const META_NAME = 'albert_native.json';

/** The prebuilt addon's path and its record for this platform (under `root`). */
function prebuiltFiles(root = ROOT) {
  const dir = path.join(root, 'prebuilds', TUPLE);
  return { addon: path.join(dir, ADDON_NAME), meta: path.join(dir, META_NAME) };
}

function isMusl() {
  if (process.platform !== 'linux') return false;
  const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null;
  return !(report && report.header && report.header.glibcVersionRuntime);
}

/**
 * { usable: true, addon, meta } when the shipped addon fits `torch` (a torch-paths record)
 * and loads with it; else { usable: false, reason }.
 */
function checkPrebuilt(torch) {
  const { addon, meta: metaFile } = prebuiltFiles();
  if (!fs.existsSync(addon)) return { usable: false, reason: `this package has no prebuilt addon for ${TUPLE}` };
  const meta = readJson(metaFile);
  if (!meta || !meta.torch) return { usable: false, reason: `${path.relative(ROOT, metaFile)} is missing or unreadable` };
  if (isMusl()) return { usable: false, reason: 'the prebuilt addon is for glibc and this system uses musl' };
  if (torch.version !== meta.torch.version || Boolean(torch.cuda) !== Boolean(meta.torch.cuda)) {
    const built = `${meta.torch.version}${meta.torch.cuda ? ' (CUDA)' : ''}`;
    return { usable: false, reason: `the prebuilt addon is for libtorch ${built}, this one is ${torch.version}${torch.cuda ? ' (CUDA)' : ''}` };
  }
  // Loaded with `torch`'s lib folder on LD_LIBRARY_PATH: build/torch is linked only once set-up has succeeded.
  const env = { ...process.env, LD_LIBRARY_PATH: [torch.libDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(path.delimiter) };
  const probe = capture(process.execPath, ['-e', `process.stdout.write(JSON.stringify(require(${JSON.stringify(addon)}).info()))`], {
    env,
    timeout: 120000,
  });
  if (probe.status !== 0) {
    const why = (probe.stderr.split('\n').find((l) => /Error|error/.test(l)) || probe.stderr.trim().split('\n').pop() || 'no output').trim();
    return { usable: false, reason: `the prebuilt addon does not load here (${why})` };
  }
  return { usable: true, addon, meta };
}

module.exports = { PREBUILDS_DIR, TUPLE, ADDON_NAME, META_NAME, prebuiltFiles, checkPrebuilt };
