// prepack (`npm pack`, `npm publish`): makes what the package ships that git does not hold.
//
//   1. dist/: tsc -p tsconfig.json (incremental), then every .js/.d.ts/.map in dist/ whose
//      ts/ source is gone is removed, so no stale module ships.
//   2. prebuilds/linux-x64/: the prebuilt addon (scripts/make-prebuild.js).
//
// The package's `files` (package.json) then take dist/'s .js and .d.ts, prebuilds/, native/,
// CMakeLists.txt and the scripts that set-up runs; nothing of test/, ts/ or benchmarks/.
'use strict';

const fs = require('fs');
const path = require('path');
const { ROOT, INSTALLED, log, fail, main } = require('./util');
const { buildTypeScript } = require('./install');
const { makePrebuild } = require('./make-prebuild');

const DIST = path.join(ROOT, 'dist');
const TS = path.join(ROOT, 'ts');
const OUTPUT = /(\.d\.ts\.map|\.d\.ts|\.js\.map|\.js)$/;

/** Removes compiled files whose source is gone; returns their paths. */
function pruneDist(dir = DIST) {
  const removed = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      removed.push(...pruneDist(full));
      if (!fs.readdirSync(full).length) fs.rmdirSync(full);
      continue;
    }
    const match = OUTPUT.exec(entry.name);
    if (!match) continue;
    const source = path.join(TS, path.relative(DIST, full).slice(0, -match[1].length) + '.ts');
    if (!fs.existsSync(source)) {
      fs.rmSync(full);
      removed.push(path.relative(ROOT, full));
    }
  }
  return removed;
}

function prepack() {
  if (INSTALLED || !fs.existsSync(TS)) fail('prepack runs in a checkout of albert-trainer (it compiles ts/)');
  buildTypeScript();
  const removed = pruneDist();
  if (removed.length) log(`removed ${removed.length} stale file(s) from dist/: ${removed.join(', ')}`);
  makePrebuild();
}

if (require.main === module) main(prepack);

module.exports = { prepack, pruneDist };
