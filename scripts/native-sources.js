// Lists the addon's C++ sources for binding.gyp, one a line: the same set CMakeLists.txt
// globs, native/{albert,io,optim,train,runtime,distributed,kernels/cpu,kernels/cuda,binding}/*.cpp, sorted.
//
//   node scripts/native-sources.js            paths relative to the cwd (gyp runs it from
//                                              the folder of the binding.gyp that asks)
//   node scripts/native-sources.js --absolute absolute paths
//
// The native/ folder is looked for in the cwd first (scripts/build-gyp.js builds from a
// folder whose native/ links to the repo's), else beside this script. No subfolders are
// searched, as in CMakeLists.txt; paths with spaces are not supported (gyp splits on them).
'use strict';

const fs = require('fs');
const path = require('path');

const SOURCE_DIRS = ['albert', 'io', 'optim', 'train', 'runtime', 'distributed', 'kernels/cpu', 'kernels/cuda', 'binding'];

function nativeDir() {
  const here = path.resolve('native');
  return fs.existsSync(here) ? here : path.resolve(__dirname, '..', 'native');
}

/** Absolute paths of the sources, sorted, each dir in SOURCE_DIRS order. */
function nativeSources(root = nativeDir()) {
  return SOURCE_DIRS.flatMap((dir) => {
    const full = path.join(root, dir);
    if (!fs.existsSync(full)) return [];
    return fs
      .readdirSync(full, { withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.cpp'))
      .map((entry) => path.join(full, entry.name))
      .sort();
  });
}

if (require.main === module) {
  const absolute = process.argv.includes('--absolute');
  const sources = nativeSources();
  if (!sources.length) {
    console.error(`albert-trainer: no C++ sources under ${nativeDir()}/{${SOURCE_DIRS.join(',')}}`);
    process.exit(1);
  }
  for (const file of sources) {
    console.log(absolute ? file : path.relative(process.cwd(), file).split(path.sep).join('/'));
  }
}

module.exports = { SOURCE_DIRS, nativeSources };
