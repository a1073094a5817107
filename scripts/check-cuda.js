// Compiles the hand-written CUDA kernels (native/kernels/cuda/*.cu) and their reference
// check (test/gpu/kernel_check.cu) with nvcc, for sm_80 and sm_90, into objects under
// build/cuda-check/, and links the check into build/cuda-check/kernel_check. Then compiles
// the core's CUDA paths (the C++ files that test ALBERT_WITH_CUDA: CUDA graphs of the step,
// the fused ops) with the host compiler against libtorch's headers, -fsyntax-only: a CPU
// libtorch has the ATen/c10 CUDA headers but not the libraries, so this checks that the code
// a CUDA build compiles is valid C++ against the API, not that it links. Needs nvcc, not a
// GPU: the kernel check runs on a GPU machine (test/gpu/run.sh). One line per file; a
// failed compile ends with the compiler's output and exit 1.
//
//   node scripts/check-cuda.js                           (npm run check:cuda)
//   ALBERT_REQUIRE_NVCC=1 node scripts/check-cuda.js     (CI: a missing nvcc or libtorch fails)
//
// nvcc is $CUDACXX, else `nvcc` on PATH, else /usr/local/cuda/bin/nvcc. Without one the
// check is skipped (exit 0) unless ALBERT_REQUIRE_NVCC is set. libtorch is the one `npm
// install` recorded (or $LIBTORCH, $TORCH_PY, .venv).
'use strict';

const fs = require('fs');
const path = require('path');
const { ROOT, BUILD_DIR, log, fail, main, since, which, capture, findCxx } = require('./util');
const torchPaths = require('./torch-paths');

const KERNEL_DIR = path.join(ROOT, 'native', 'kernels', 'cuda');
const CHECK_SOURCE = path.join(ROOT, 'test', 'gpu', 'kernel_check.cu');
const OUT_DIR = path.join(BUILD_DIR, 'cuda-check');
const DEFAULT_NVCC = '/usr/local/cuda/bin/nvcc';
const FLAGS = [
  '-std=c++17',
  '-O2',
  '-gencode', 'arch=compute_80,code=sm_80',
  '-gencode', 'arch=compute_90,code=sm_90',
  '-I', path.join(ROOT, 'native'),
];

/** The nvcc to use, or null when there is none. */
function findNvcc() {
  const fromEnv = process.env.CUDACXX;
  if (fromEnv) {
    const found = which(fromEnv);
    if (!found) fail(`CUDACXX is set to ${fromEnv}, which is not an executable: fix or unset it`);
    return found;
  }
  return which('nvcc') || which(DEFAULT_NVCC);
}

/** Runs nvcc; a failure ends the script with its output. */
function nvcc(compiler, args, what) {
  const start = Date.now();
  const result = capture(compiler, args);
  const output = `${result.stdout}${result.stderr}`.trim();
  if (result.status !== 0) fail(`nvcc failed on ${what} (exit ${result.status}):\n${output}`);
  log(`nvcc ${what} ok (${since(start)})`);
  if (output) console.log(output); // warnings
}

function checkCuda() {
  const compiler = findNvcc();
  if (!compiler) {
    const message = `no nvcc ($CUDACXX, nvcc on PATH or ${DEFAULT_NVCC})`;
    if (process.env.ALBERT_REQUIRE_NVCC) fail(`${message}, and ALBERT_REQUIRE_NVCC is set: install the CUDA toolkit`);
    log(`${message}: the CUDA kernels were not compiled (set ALBERT_REQUIRE_NVCC=1 to make this an error)`);
    return;
  }
  const version = /release [\d.]+, V[\d.]+/.exec(capture(compiler, ['--version']).stdout);
  log(`nvcc: ${compiler}${version ? ` (${version[0]})` : ''}`);

  const kernels = fs
    .readdirSync(KERNEL_DIR)
    .filter((name) => name.endsWith('.cu'))
    .sort()
    .map((name) => path.join(KERNEL_DIR, name));
  if (!kernels.length) fail(`no .cu files in ${path.relative(ROOT, KERNEL_DIR)}`);
  fs.mkdirSync(OUT_DIR, { recursive: true });

  const start = Date.now();
  const objects = [];
  for (const source of [...kernels, CHECK_SOURCE]) {
    const object = path.join(OUT_DIR, `${path.basename(source, '.cu')}.o`);
    nvcc(compiler, [...FLAGS, '-c', source, '-o', object], path.relative(ROOT, source));
    objects.push(object);
  }
  const executable = path.join(OUT_DIR, 'kernel_check');
  nvcc(compiler, ['-o', executable, ...objects], `link ${path.relative(ROOT, executable)}`);
  log(`CUDA kernels compiled in ${since(start)}; the reference check runs on a GPU machine (test/gpu/run.sh)`);
  checkCudaPaths(compiler);
}

/** The native/ C++ files with a CUDA branch (#if ALBERT_WITH_CUDA), sorted. */
function cudaPathSources(dir = path.join(ROOT, 'native')) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return cudaPathSources(full);
    return entry.name.endsWith('.cpp') && /#if ALBERT_WITH_CUDA/.test(fs.readFileSync(full, 'utf8')) ? [full] : [];
  }).sort();
}

/** -fsyntax-only over the core's CUDA branches, against libtorch's headers and the CUDA toolkit's. */
function checkCudaPaths(nvccPath) {
  const torch = torchPaths.readLocation() || torchPaths.resolveExisting();
  const cxx = findCxx();
  if (!torch || !cxx) {
    const message = `no ${!torch ? 'libtorch (run npm install first)' : 'C++ compiler'}: the core's CUDA paths were not compiled`;
    if (process.env.ALBERT_REQUIRE_NVCC) fail(message);
    log(message);
    return;
  }
  // A CPU libtorch lacks the one generated c10 CUDA header; a stand-in with what it defines.
  const shim = path.join(OUT_DIR, 'shim');
  fs.mkdirSync(path.join(shim, 'c10', 'cuda', 'impl'), { recursive: true });
  fs.writeFileSync(path.join(shim, 'c10', 'cuda', 'impl', 'cuda_cmake_macros.h'), '#pragma once\n#define C10_CUDA_BUILD_SHARED_LIBS\n');
  // The toolkit's headers: beside the real nvcc (which may be a wrapper script), $CUDA_HOME, /usr/local/cuda.
  const candidates = [path.join(path.dirname(path.dirname(fs.realpathSync(nvccPath))), 'include'),
    ...(process.env.CUDA_HOME ? [path.join(process.env.CUDA_HOME, 'include')] : []), '/usr/local/cuda/include'];
  const cudaInclude = candidates.find((dir) => fs.existsSync(path.join(dir, 'cuda_runtime_api.h')));
  if (!cudaInclude) fail(`no CUDA headers (cuda_runtime_api.h) in ${candidates.join(', ')}: set CUDA_HOME`);
  const flags = ['-std=c++20', '-fsyntax-only', '-Wall', '-Wextra', '-Wno-unused-parameter', '-DALBERT_WITH_CUDA=1',
    '-I', path.join(ROOT, 'native'), '-I', shim, ...torch.includeDirs.flatMap((d) => ['-I', d]), '-I', cudaInclude,
    '-include', path.join(ROOT, 'native', 'common', 'torch.h')];
  const branches = cudaPathSources();
  if (!branches.length) fail('no native/ C++ file has a CUDA branch (#if ALBERT_WITH_CUDA): the check would check nothing');
  const sources = [...branches, path.join(ROOT, 'test', 'gpu', 'cuda_ops_check.cpp')];  // the GPU machine's op check too
  const start = Date.now();
  for (const source of sources) {
    const t = Date.now();
    const result = capture(cxx, [...flags, source]);
    const output = `${result.stdout}${result.stderr}`.trim();
    if (result.status !== 0) fail(`${path.basename(cxx)} failed on ${path.relative(ROOT, source)} with ALBERT_WITH_CUDA (exit ${result.status}):\n${output}`);
    log(`${path.relative(ROOT, source)} compiles with ALBERT_WITH_CUDA (${since(t)})`);
    if (output) console.log(output);
  }
  log(`the core's CUDA paths compiled (syntax only, against libtorch ${torch.version}'s headers) in ${since(start)}`);
}

main(checkCuda);
