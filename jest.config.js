// Test tiers: one jest project each. Every test/**/*.test.ts file is listed in exactly one tier below
// (test/tiers.test.ts fails otherwise); the tier says what the file really needs.
//   unit       pure TypeScript: no addon, no Python. The addon path points nowhere and the reference
//              python refuses to start (test/helpers/tier-setup/), so a file that needs either fails.
//   native     the C++ addon over libtorch, no Python (the python refuses to start, as above).
//   reference  compares with the real library, run by the venv's Python (test/reference/*.py: HF
//              transformers, tokenizers, datasets, pandas, safetensors, huggingface_hub).
//   e2e        runs dist/cli.js or several processes (the CLI, the distributed launcher, npm pack,
//              the benchmark suite); may use the Python reference too. Build dist/ first.
// Commands:
//   npm test              type-checks test/ and ts/ (tsc -p test/tsconfig.json), then all four tiers
//                         in band (pretest installs the venv's test requirements)
//   npm run test:unit     unit and native, two workers, without the Python venv
//   npx jest --selectProjects reference --runInBand     one tier by its name
// ts-jest transpiles each file alone (isolatedModules in test/tsconfig.json), without type checks:
// several times faster on a cold cache; the types are npm test's tsc step (or run it by hand).
const fs = require('fs');
const path = require('path');

/** Test files by tier, as paths under test/ without `.test.ts`. */
const TIERS = {
  unit: [
    'bench/machine',
    'bench/options',
    'cli/invocation',
    'cli/suggest',
    'data/dataset-errors',
    'data/dataset-formats',
    'distributed/environment',
    'hub/progress',
    'hub/resolve',
    'readme/readme-blocks',
    'report/progress-lines',
    'tiers',
    'train/arguments',
    'train/checkpoint-ranks',
    'train/device-choice',
    'train/ignored-labels',
    'train/resume',
  ],
  native: [
    'io/atomic-write', // kills child processes mid-write (no CLI): a crash test of one module
    'native/addon-load', // loads dist/native.js in a child process: needs dist/ built
    'native/amp',
    'native/attention-softmax',
    'native/cpu-path',
    'native/batch',
    'native/binding-arguments',
    'native/config-errors',
    'native/error-codes',
    'native/fused-kernels',
    'native/init',
    'native/kernels',
    'native/lifecycle',
    'native/optimizer-state',
    'native/safetensors',
    'train/checkpoint',
    'train/evaluate',
    'train/evaluate-only',
  ],
  reference: [
    'io/float32-text',
    'data/batching',
    'data/delimited-pandas',
    'data/label-names',
    'data/parquet',
    'data/shard',
    'data/tokenizer-errors',
    'data/tokenizer-hf',
    'hub/hf-cache',
    'model/config-errors',
    'model/config-hf',
    'model/pretrained',
    'native/safetensors-python',
    'parity/hf_albert',
    'train/best-checkpoint',
    'train/metrics',
    'train/schedule',
  ],
  e2e: [
    'bench/quick',
    'cli/eval',
    'cli/forgiving',
    'cli/predict',
    'cli/resume',
    'cli/train',
    'data/parquet-train',
    'distributed/data-parallel',
    'distributed/failures',
    'distributed/launcher',
    'export/onnx',
    'hub/cli',
    'hub/hostile-hub',
    'hub/parquet-hub',
    'hub/pretrained-hub',
    'package/package',
    'readme/snippets',
    'report/train-reports',
    'sweep/sweep',
    'train/collapse-guard',
  ],
};

const WITHOUT_PYTHON = '<rootDir>/test/helpers/tier-setup/without-python.ts';
const WITHOUT_ADDON = '<rootDir>/test/helpers/tier-setup/without-addon.ts';
const SETUP = { unit: [WITHOUT_ADDON, WITHOUT_PYTHON], native: [WITHOUT_PYTHON], reference: [], e2e: [] };

/** Every *.test.ts under test/, as TIERS names them. */
function testFiles(dir = path.join(__dirname, 'test'), prefix = '') {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return testFiles(path.join(dir, entry.name), `${prefix}${entry.name}/`);
    return entry.name.endsWith('.test.ts') ? [`${prefix}${entry.name.slice(0, -'.test.ts'.length)}`] : [];
  });
}

// A file no tier lists still runs (in its own project, with everything a test may need) so that a
// new test can be run before it is placed; test/tiers.test.ts is what fails until it is.
const listed = new Set(Object.values(TIERS).flat());
const unclassified = testFiles().filter((name) => !listed.has(name));

const shared = {
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>/test'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json' }],
    // The parquet reader's packages are ES modules only; jest's CommonJS runtime needs them compiled.
    '/node_modules/(hyparquet|hyparquet-compressors|hysnappy|fzstd)/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(hyparquet|hyparquet-compressors|hysnappy|fzstd)/)'],
};

const project = (name, files, setupFiles) => ({
  ...shared,
  displayName: name,
  testMatch: files.map((file) => `<rootDir>/test/${file}.test.ts`),
  setupFiles,
});

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    ...Object.entries(TIERS).map(([name, files]) => project(name, files, SETUP[name])),
    ...(unclassified.length > 0 ? [project('unclassified', unclassified, [])] : []),
  ],
  testTimeout: 120000,
};

