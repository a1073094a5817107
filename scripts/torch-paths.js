// Where libtorch is. A module (for install.js, build-native.js, build-gyp.js, test-deps.js)
// and a command (for binding.gyp):
//
//   node scripts/torch-paths.js include        torch's include dirs, one a line
//   node scripts/torch-paths.js libdir         torch's lib dir
//   node scripts/torch-paths.js libraries      -L<lib> -ltorch -ltorch_cpu -lc10 -Wl,-rpath,<lib>
//   node scripts/torch-paths.js cmake-prefix   what CMAKE_PREFIX_PATH needs
//   node scripts/torch-paths.js json           the whole record
//
// `npm install` resolves libtorch once ($LIBTORCH, $TORCH_PY, else the project .venv in a
// checkout or the per-user cache in an installed package: scripts/torch-cache.js) and
// records it in build/torch-location.json; everything after reads that record. Without a
// record the command resolves what is there now without installing anything. Paths are
// absolute, so the answer does not depend on the cwd.
//
// The install also points the link build/torch at the torch folder it chose: the prebuilt
// addon finds libtorch through it (its run path is $ORIGIN/../../build/torch/lib, relative
// to prebuilds/linux-x64/; see scripts/prebuilt.js).
'use strict';

const fs = require('fs');
const path = require('path');
const { ROOT, BUILD_DIR, INSTALLED, fail, capture, readJson, writeJson } = require('./util');

const LOCATION_FILE = path.join(BUILD_DIR, 'torch-location.json');
const TORCH_LINK = path.join(BUILD_DIR, 'torch');
const VENV_DIR = path.join(ROOT, '.venv');
const LIBRARIES = ['torch', 'torch_cpu', 'c10'];

// Finds the torch package without importing it (an import takes seconds; a CUDA one more).
// Its dir is what torch.utils.cmake_prefix_path is made from: <torch>/share/cmake.
const FIND_TORCH_PY = `
import importlib.util, importlib.metadata, json, sys
spec = importlib.util.find_spec("torch")
if spec is None or not spec.submodule_search_locations:
    sys.exit(3)
try:
    version = importlib.metadata.version("torch")
except importlib.metadata.PackageNotFoundError:
    version = None
print(json.dumps({"root": list(spec.submodule_search_locations)[0], "version": version,
                  "python": sys.executable}))
`;

function venvPython(dir = VENV_DIR) {
  return process.platform === 'win32' ? path.join(dir, 'Scripts', 'python.exe') : path.join(dir, 'bin', 'python');
}

/** A record from an install root (the torch package dir or an unpacked libtorch). */
function describeRoot(root, source, extra = {}) {
  const cmakePrefix = path.join(root, 'share', 'cmake');
  const config = path.join(cmakePrefix, 'Torch', 'TorchConfig.cmake');
  if (!fs.existsSync(config)) return null;
  const libDir = path.join(root, 'lib');
  return {
    source,
    root,
    version: extra.version || readVersion(root),
    python: extra.python || null,
    cmakePrefix,
    torchDir: path.dirname(config),
    includeDirs: [path.join(root, 'include'), path.join(root, 'include', 'torch', 'csrc', 'api', 'include')],
    libDir,
    cuda: fs.existsSync(path.join(libDir, 'libtorch_cuda.so')),
  };
}

/** libtorch zips carry build-version; the wheel carries version.py. */
function readVersion(root) {
  try {
    return fs.readFileSync(path.join(root, 'build-version'), 'utf8').trim();
  } catch {
    const match = /__version__\s*=\s*'([^']+)'/.exec(safeRead(path.join(root, 'version.py')));
    return match ? match[1] : 'unknown';
  }
}

function safeRead(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** torch as seen by `python`, or null when that python has no torch. Fails if python won't run. */
function fromPython(python, source) {
  const result = capture(python, ['-c', FIND_TORCH_PY], { timeout: 60000 });
  if (result.status === 3) return null;
  if (result.status === -1 && /ENOENT/.test(result.stderr)) fail(`${python}: no such program`);
  if (result.status !== 0) {
    fail(`could not run ${python}: ${(result.stderr.trim().split('\n').pop() || 'no output').trim()}`);
  }
  const found = JSON.parse(result.stdout.trim().split('\n').pop());
  const record = describeRoot(found.root, source, { version: found.version, python: found.python });
  if (!record) fail(`${python} has torch at ${found.root} but without its C++ files (share/cmake/Torch)`);
  return record;
}

/** $LIBTORCH: an unpacked libtorch zip. */
function fromLibtorch(dir) {
  const root = path.resolve(dir);
  const record = describeRoot(root, 'LIBTORCH');
  if (!record) {
    fail(`LIBTORCH=${dir} is not an unpacked libtorch: ${path.join(root, 'share/cmake/Torch/TorchConfig.cmake')} is missing`);
  }
  return record;
}

/** $TORCH_PY: a python that has torch (a CUDA one, say). */
function fromTorchPy(python) {
  const record = fromPython(python, 'TORCH_PY');
  if (!record) fail(`TORCH_PY=${python} has no torch (\`${python} -c "import torch"\` fails)`);
  return record;
}

/**
 * The environment's choice, without installing: $LIBTORCH, $TORCH_PY, else the .venv (a
 * checkout) or the per-user cache (an installed package), or null.
 */
function resolveExisting() {
  if (process.env.LIBTORCH) return fromLibtorch(process.env.LIBTORCH);
  if (process.env.TORCH_PY) return fromTorchPy(process.env.TORCH_PY);
  if (INSTALLED) {
    const cached = require('./torch-cache').readyPython(require('./torch-cache').cacheDir());
    return cached ? fromPython(cached, 'cache') : null;
  }
  if (fs.existsSync(venvPython())) return fromPython(venvPython(), 'venv');
  return null;
}

function readLocation() {
  const record = readJson(LOCATION_FILE);
  return record && record.cmakePrefix && fs.existsSync(record.cmakePrefix) ? record : null;
}

function writeLocation(record) {
  writeJson(LOCATION_FILE, { ...record, recordedAt: new Date().toISOString() });
}

/** Points build/torch at the record's torch folder (replaced atomically: a new link, then a rename). */
function linkTorch(record) {
  fs.mkdirSync(BUILD_DIR, { recursive: true });
  const temp = `${TORCH_LINK}.${process.pid}.tmp`;
  fs.rmSync(temp, { force: true });
  fs.symlinkSync(record.root, temp, 'dir');
  fs.renameSync(temp, TORCH_LINK);
}

/** The recorded libtorch, else what is there now; fails with what to do when there is none. */
function currentLocation() {
  const record = readLocation() || resolveExisting();
  if (!record) {
    fail(
      (INSTALLED
        ? 'no libtorch found: run `npx albert-train setup` (it installs torch into the per-user cache), or set '
        : 'no libtorch found: run `npm install` first (it installs torch into .venv), or set ') +
        'TORCH_PY=/path/to/python (a python with torch) or LIBTORCH=/path/to/libtorch',
    );
  }
  return record;
}

function linkFlags(record) {
  return [`-L${record.libDir}`, ...LIBRARIES.map((l) => `-l${l}`), `-Wl,-rpath,${record.libDir}`];
}

function printForGyp(what) {
  const record = currentLocation();
  const answers = {
    include: () => record.includeDirs,
    libdir: () => [record.libDir],
    libraries: () => linkFlags(record),
    'cmake-prefix': () => [record.cmakePrefix],
    json: () => [JSON.stringify(record, null, 2)],
  };
  if (!answers[what]) fail(`usage: node scripts/torch-paths.js ${Object.keys(answers).join('|')}`);
  console.log(answers[what]().join('\n'));
}

if (require.main === module) {
  // Called from binding.gyp: any failure must be one readable line on stderr and exit 1.
  try {
    printForGyp(process.argv[2]);
  } catch (error) {
    console.error(`albert-trainer: ${error.message}`);
    process.exit(1);
  }
}

module.exports = {
  LOCATION_FILE,
  TORCH_LINK,
  VENV_DIR,
  venvPython,
  fromPython,
  fromLibtorch,
  fromTorchPy,
  resolveExisting,
  readLocation,
  writeLocation,
  linkTorch,
  currentLocation,
  linkFlags,
};
