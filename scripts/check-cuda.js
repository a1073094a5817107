// Compiles the hand-written CUDA kernels (native/kernels/cuda/*.cu) and their reference
// check (benchmarks/gpu/kernel_check.cu) with nvcc, for sm_80 and sm_90, into objects under
// build/cuda-check/, and links the check into build/cuda-check/kernel_check. Needs nvcc,
// not a GPU: the check is only built here; it runs on a GPU machine (benchmarks/gpu/run.sh).
// One line per file; a failed compile ends with nvcc's output and exit 1.
//
//   node scripts/check-cuda.js                           (npm run check:cuda)
//   ALBERT_REQUIRE_NVCC=1 node scripts/check-cuda.js     (CI: a missing nvcc fails)
//
// nvcc is $CUDACXX, else `nvcc` on PATH, else /usr/local/cuda/bin/nvcc. Without one the
// check is skipped (exit 0) unless ALBERT_REQUIRE_NVCC is set.
'use strict';

const fs = require('fs');
const path = require('path');
const { ROOT, BUILD_DIR, log, fail, main, since, which, capture } = require('./util');

const KERNEL_DIR = path.join(ROOT, 'native', 'kernels', 'cuda');
const CHECK_SOURCE = path.join(ROOT, 'benchmarks', 'gpu', 'kernel_check.cu');
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
  log(`CUDA kernels compiled in ${since(start)}; the reference check runs on a GPU machine (benchmarks/gpu/run.sh)`);
}

main(checkCuda);
