// The package as a consumer gets it: `npm pack` of this checkout (prepack compiles dist/ and
// makes the prebuilt addon), installed into fresh projects in a temporary folder:
//
// - the tarball: what it ships (dist/'s .js and .d.ts, the prebuilt addon, native/, the set-up
//   scripts) and nothing else; every module dist/ requires is a dependency or a Node built-in;
// - npm with --ignore-scripts: `albert-train info`, an ESM import and a require all say the
//   addon is not set up and name `npx albert-train setup` (no dlopen message); then that
//   command, run while a second project's `npm install` runs its install script, both
//   needing the per-user torch cache at once (with the lock and temporary folder of a killed
//   install in it): one takes the lock over and creates it, the other waits, both work;
// - the consumers: a strict TypeScript one (CommonJS and ESM, `module: nodenext`, no
//   skipLibCheck) and plain ESM and CommonJS ones, each training 5 steps through the API,
//   and `npx albert-train info` saying the prebuilt addon runs, from the shared cache;
// - TORCH_PY naming the checkout's own .venv python: set-up takes that torch, prebuilt addon;
// - a libtorch the prebuilt addon was not built for (a stand-in LIBTORCH 2.12.0): set-up
//   turns to a build from source (and here, without a compiler, says what is missing);
// - pnpm (12.4.2, when it installs here): its default skips our install script; the message,
//   then `albert-train setup`; and `--allow-build=<spec>` runs the install script under pnpm.
//
// Every install and set-up that should use the prebuilt addon runs with stand-ins for the
// C/C++ compilers, cmake, make and ninja first on PATH (and CC/CXX pointing at one): each
// call is logged and fails, and the log must stay empty. Install times are printed at the end.
//
// Torch goes into one cache for the whole file, in the temporary folder: installed once
// (~15-90 s), then shared. ALBERT_TRAINER_E2E_TORCH_CACHE names a cache to keep between
// runs instead. ALBERT_TRAINER_E2E_FROM_SOURCE=1 adds a consumer that builds the addon from
// source (several minutes on 2 cores; the build itself is the same cmake-js build that
// `npm install` runs in CI).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import { builtinModules } from 'module';
import * as os from 'os';
import * as path from 'path';
import {
  TOOLS,
  TORCH,
  compilerCalls,
  consumer,
  expectNotSetUp,
  expectOk,
  expectPrebuiltInfo,
  expectTrained,
  firstUseProbes,
  npm,
  npx,
  run,
  stubLog,
  stubs,
  torchCache,
  userEnv,
  work,
  writeConsumerSources,
} from '../helpers/package-consumers';
import { REPO_ROOT } from '../helpers/paths';

const MINUTE = 60_000;
const TYPES_NODE = '@types/node@20.19.43'; // 20.9.x does not compile under TypeScript 5.9 without skipLibCheck
const PNPM = 'pnpm@12.4.2';
const TSC = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts'];

const timings: Array<[string, number]> = [];
let tarball = '';

// ---- the tests ----------------------------------------------------------------------------------

beforeAll(() => {
  fs.mkdirSync(stubs);
  for (const tool of TOOLS) {
    fs.writeFileSync(path.join(stubs, tool), `#!/bin/sh\necho "${tool} $*" >> '${stubLog}'\nexit 127\n`, { mode: 0o755 });
  }
  const start = Date.now();
  // In the checkout, with its tools: prepack may need to compile the prebuilt addon.
  const pack = spawnSync('npm', ['pack', '--pack-destination', work], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, npm_config_foreground_scripts: 'true' } });
  if (pack.status !== 0) throw new Error(`npm pack failed (exit ${pack.status}):\n${pack.stdout}${pack.stderr}`);
  tarball = path.join(work, pack.stdout.trim().split('\n').pop() as string);
  timings.push(['npm pack (prepack: tsc, prebuilt addon)', (Date.now() - start) / 1000]);
}, 30 * MINUTE);

afterAll(() => {
  const size = tarball && fs.existsSync(tarball) ? `${(fs.statSync(tarball).size / 1e6).toFixed(2)} MB` : '-';
  console.log(`package e2e (tarball ${size}):\n${timings.map(([what, s]) => `  ${s.toFixed(1).padStart(7)} s  ${what}`).join('\n')}`);
  if (!process.env.ALBERT_TRAINER_E2E_KEEP) fs.rmSync(work, { recursive: true, force: true });
});

describe('the tarball', () => {
  const unpacked = path.join(work, 'unpacked');
  let files: string[] = [];

  beforeAll(() => {
    fs.mkdirSync(unpacked);
    const tar = spawnSync('tar', ['-xzf', tarball, '-C', unpacked], { encoding: 'utf8' });
    if (tar.status !== 0) throw new Error(`tar: ${tar.stderr}`);
    const walk = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.relative(path.join(unpacked, 'package'), path.join(dir, e.name))]));
    files = walk(path.join(unpacked, 'package')).sort();
  });

  test('ships dist/ (.js, .d.ts), the prebuilt addon, native/, CMakeLists.txt and the set-up scripts, nothing else', () => {
    const allowed = [
      /^(package\.json|README\.md|CMakeLists\.txt)$/,
      /^dist\/.+(\.d\.ts|\.js)$/,
      /^prebuilds\/linux-x64\/albert_native\.(napi\.glibc\.node|json)$/,
      /^native\/.+\.(cpp|h|cu|cuh|md)$/,
      /^scripts\/(install|util|torch-paths|torch-cache|python-env|build-native|prebuilt)\.js$/,
    ];
    expect(files.filter((f) => !allowed.some((re) => re.test(f)))).toEqual([]);
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/cli.js', 'dist/cli/setup-command.js', 'prebuilds/linux-x64/albert_native.napi.glibc.node', 'scripts/install.js']) {
      expect(files).toContain(f);
    }
    const meta = JSON.parse(fs.readFileSync(path.join(unpacked, 'package', 'prebuilds/linux-x64/albert_native.json'), 'utf8')) as { torch: { version: string; cuda: boolean }; runpath: string };
    expect(meta.torch).toEqual({ version: TORCH, cuda: false });
    expect(meta.runpath).toBe('$ORIGIN/../../build/torch/lib');
    expect(fs.statSync(tarball).size).toBeLessThan(5e6);
  });

  test('what the install script and dist/ require is shipped or a dependency (no devDependency, no tsc)', () => {
    const root = path.join(unpacked, 'package');
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; scripts: Record<string, string> };
    expect(pkg.scripts.install).toBe('node scripts/install.js');
    const builtin = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    const problems: string[] = [];
    for (const file of files.filter((f) => f.endsWith('.js'))) {
      const text = fs.readFileSync(path.join(root, file), 'utf8');
      for (const [, request] of text.matchAll(/require\(['"]([^'"]+)['"]\)/g)) {
        if (request.startsWith('.')) {
          const target = path.join(path.dirname(file), request);
          if (!files.includes(target) && !files.includes(`${target}.js`) && !files.includes(`${target}/index.js`)) problems.push(`${file}: ${request} is not shipped`);
          continue;
        }
        const name = request.startsWith('@') ? request.split('/').slice(0, 2).join('/') : request.split('/')[0];
        if (!builtin.has(name) && !builtin.has(request) && !(name in pkg.dependencies)) problems.push(`${file}: ${request} is not a dependency`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('npm', () => {
  const app = path.join(work, 'app'); // a normal `npm install`
  const late = path.join(work, 'late'); // `npm install --ignore-scripts`, then `albert-train setup`

  test('--ignore-scripts: the CLI, import and require say the addon is not set up and name the command', async () => {
    consumer('late');
    firstUseProbes(late);
    const install = expectOk(await npm(late, ['install', '--ignore-scripts', ...NPM_FLAGS, tarball]), 'npm install --ignore-scripts');
    timings.push(['npm install --ignore-scripts (no set-up)', install.seconds]);
    await expectNotSetUp(late, (args) => npx(late, args));
  }, 5 * MINUTE);

  test('`albert-train setup` and another project\'s install at once: one torch cache, created once, no compiler', async () => {
    consumer('app');
    const cacheExisted = fs.existsSync(path.join(torchCache, `torch-${TORCH}`));
    if (!cacheExisted) {
      // What an install killed half-way leaves: its lock and its temporary folder, its process gone.
      const dead = spawnSync('true').pid;
      fs.mkdirSync(path.join(torchCache, `torch-${TORCH}.tmp-${dead}`), { recursive: true });
      fs.writeFileSync(path.join(torchCache, `torch-${TORCH}.lock`), JSON.stringify({ pid: dead, host: os.hostname(), startedAt: new Date().toISOString() }));
    }
    const [installed, setUp] = await Promise.all([npm(app, ['install', ...NPM_FLAGS, tarball]), npx(late, ['albert-train', 'setup'])]);
    expectOk(installed, 'npm install');
    expectOk(setUp, 'albert-train setup');
    timings.push([`npm install, prebuilt addon${cacheExisted ? '' : ', creating the torch cache (concurrently with a setup)'}`, installed.seconds]);
    timings.push([`albert-train setup${cacheExisted ? '' : ' (concurrently, same torch cache)'}`, setUp.seconds]);
    const both = installed.output + setUp.output;
    expect(both.match(/cached in /g) ?? []).toHaveLength(cacheExisted ? 0 : 1);
    if (!cacheExisted) {
      expect(both).toContain(`took over the stale lock ${path.join(torchCache, `torch-${TORCH}.lock`)}`);
      expect(both).toMatch(/waiting for it|already in the per-user cache/);
    }
    for (const out of [installed.output, setUp.output]) expect(out).toContain('using the prebuilt addon');
    expect(fs.readdirSync(torchCache).filter((f) => f.startsWith('torch-'))).toEqual([`torch-${TORCH}`]); // no .lock, .tmp-, .stale- or .trash- left
    expect(compilerCalls()).toBe('');
  }, 15 * MINUTE);

  test('strict TypeScript (CommonJS and ESM), plain ESM and CommonJS consumers train 5 steps; npx albert-train info', async () => {
    writeConsumerSources(app);
    expectOk(await npm(app, ['install', '--save-dev', '--save-exact', '--prefer-offline', '--no-audit', '--no-fund', TYPES_NODE]), `npm install ${TYPES_NODE}`);
    const tsc = expectOk(await run(process.execPath, [TSC, '-p', 'tsconfig.json'], app, userEnv()), 'tsc (strict, no skipLibCheck)');
    timings.push(['tsc of the strict TypeScript consumers', tsc.seconds]);
    const reports = [];
    for (const file of ['out/train-cjs.js', 'out/train-esm.mjs', 'train.mjs', 'train.cjs']) {
      reports.push(expectTrained(await run(process.execPath, [file], app, userEnv()), file));
    }
    for (const report of reports) expect(report.addon).toBe('prebuilt');
    expect(reports[1].losses).toEqual(reports[0].losses); // same seed, same package, either module system
    await expectPrebuiltInfo(app, (args) => npx(app, args));
    // the project set up late works the same
    writeConsumerSources(late);
    expectTrained(await run(process.execPath, ['train.mjs'], late, userEnv()), 'train.mjs (after albert-train setup)');
    expect(compilerCalls()).toBe('');
  }, 10 * MINUTE);

  test('a second project: the torch cache is reused, the prebuilt addon used, nothing compiled', async () => {
    const dir = consumer('second');
    const install = expectOk(await npm(dir, ['install', ...NPM_FLAGS, tarball]), 'npm install');
    timings.push(['npm install, prebuilt addon, torch cache already there', install.seconds]);
    expect(install.output).toContain('already in the per-user cache');
    expect(install.output).toContain('nothing to compile');
    await expectPrebuiltInfo(dir, (args) => npx(dir, args));
    expect(compilerCalls()).toBe('');
  }, 10 * MINUTE);

  // The checkout's own torch (its .venv, as `npm install` recorded it), when it is the pinned one.
  const checkoutTorch = (() => {
    try {
      const record = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'build', 'torch-location.json'), 'utf8')) as { python?: string; root: string; version: string; cuda: boolean };
      return record.python && record.version === TORCH && !record.cuda ? record : null;
    } catch {
      return null;
    }
  })();
  (checkoutTorch ? test : test.skip)('TORCH_PY: set-up takes that python\'s torch (the checkout\'s .venv here) and the prebuilt addon fits it', async () => {
    const { python, root } = checkoutTorch as { python: string; root: string };
    const dir = consumer('torch-py');
    expectOk(await npm(dir, ['install', '--ignore-scripts', ...NPM_FLAGS, tarball]), 'npm install --ignore-scripts');
    const setUp = expectOk(await npx(dir, ['albert-train', 'setup'], userEnv({ TORCH_PY: python })), 'TORCH_PY=... albert-train setup');
    expect(setUp.output).toContain(`using libtorch ${TORCH} from TORCH_PY (${python})`);
    expect(setUp.output).toContain('nothing to compile');
    const json = JSON.parse(expectOk(await npx(dir, ['albert-train', 'info', '--json']), 'albert-train info --json').stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ addon: 'prebuilt', libtorchDir: root });
    expect(compilerCalls()).toBe('');
  }, 5 * MINUTE);

  test('a libtorch the prebuilt addon was not built for: set-up builds from source (here: says the build tools are missing)', async () => {
    const dir = consumer('other-torch');
    firstUseProbes(dir);
    expectOk(await npm(dir, ['install', '--ignore-scripts', ...NPM_FLAGS, tarball]), 'npm install --ignore-scripts');
    const fake = path.join(work, 'libtorch-2.12.0');
    fs.mkdirSync(path.join(fake, 'share', 'cmake', 'Torch'), { recursive: true });
    fs.mkdirSync(path.join(fake, 'lib'));
    fs.writeFileSync(path.join(fake, 'share', 'cmake', 'Torch', 'TorchConfig.cmake'), '# a stand-in\n');
    fs.writeFileSync(path.join(fake, 'build-version'), '2.12.0+cpu\n');
    const setUp = await npx(dir, ['albert-train', 'setup'], userEnv({ LIBTORCH: fake }));
    expect(setUp.status).toBe(1);
    expect(setUp.output).toContain(`using libtorch 2.12.0+cpu from LIBTORCH (${fake})`);
    expect(setUp.output).toContain(`building the addon from source: the prebuilt addon is for libtorch ${TORCH}, this one is 2.12.0+cpu`);
    expect(setUp.output).toMatch(/missing build tools: .*cmake/);
    // A failed set-up leaves the package not set up, and says so again.
    await expectNotSetUp(dir, (args) => npx(dir, args));
    fs.rmSync(stubLog, { force: true }); // `cmake --version` was asked above; later tests start from an empty log
  }, 5 * MINUTE);

  const fromSource = process.env.ALBERT_TRAINER_E2E_FROM_SOURCE === '1' ? test : test.skip;
  fromSource('ALBERT_TRAINER_BUILD_FROM_SOURCE=1: the addon is built in the consumer, trains, and its build tree is pruned', async () => {
    const dir = consumer('from-source');
    const cacheExisted = fs.existsSync(path.join(torchCache, `torch-${TORCH}`));
    const install = expectOk(
      await npm(dir, ['install', ...NPM_FLAGS, tarball], userEnv({ ALBERT_TRAINER_BUILD_FROM_SOURCE: '1' }, { compilers: true })),
      'npm install (from source)',
    );
    timings.push([`npm install, built from source${cacheExisted ? ' (torch cache already there)' : ', creating the torch cache'}`, install.seconds]);
    writeConsumerSources(dir);
    expect(expectTrained(await run(process.execPath, ['train.cjs'], dir, userEnv()), 'train.cjs').addon).toBe('source');
    expect(fs.readdirSync(path.join(dir, 'node_modules', 'albert-trainer', 'build')).sort()).toEqual(['Release', 'torch', 'torch-location.json']);
  }, 40 * MINUTE);
});

describe('pnpm', () => {
  const tool = path.join(work, 'pnpm-tool');
  let pnpm: string | null = null;

  beforeAll(async () => {
    fs.mkdirSync(tool);
    fs.writeFileSync(path.join(tool, 'package.json'), '{"private": true}\n');
    const install = await npm(tool, ['install', '--save-exact', '--prefer-offline', '--no-audit', '--no-fund', PNPM]);
    if (install.status === 0) pnpm = path.join(tool, 'node_modules', '.bin', 'pnpm');
    else console.warn(`${PNPM} did not install here; the pnpm tests pass without running:\n${install.output.slice(-2000)}`);
  }, 5 * MINUTE);

  test('the default skips our install script: the message, then `albert-train setup`, then it trains', async () => {
    if (!pnpm) return;
    const dir = consumer('pnpm-app');
    firstUseProbes(dir);
    const add = await run(pnpm, ['add', '--prefer-offline', tarball], dir, userEnv());
    timings.push(['pnpm add (install script not run)', add.seconds]);
    // pnpm 12 fails an install whose dependencies' build scripts it ignored, after installing them.
    if (add.status !== 0) expect(add.output).toMatch(/ERR_PNPM_IGNORED_BUILDS|Ignored build scripts/);
    expect(fs.existsSync(path.join(dir, 'node_modules', 'albert-trainer', 'package.json'))).toBe(true);
    await expectNotSetUp(dir, (args) => run(pnpm as string, ['exec', ...args], dir, userEnv()));
    const setUp = expectOk(await run(pnpm, ['exec', 'albert-train', 'setup'], dir, userEnv()), 'pnpm exec albert-train setup');
    timings.push(['pnpm exec albert-train setup', setUp.seconds]);
    writeConsumerSources(dir);
    expect(expectTrained(await run(process.execPath, ['train.mjs'], dir, userEnv()), 'train.mjs (pnpm)').addon).toBe('prebuilt');
    await expectPrebuiltInfo(dir, (args) => npx(dir, args));
    expect(compilerCalls()).toBe('');
  }, 10 * MINUTE);

  test('--allow-build runs the install script under pnpm', async () => {
    if (!pnpm) return;
    const dir = consumer('pnpm-allowed');
    // A registry package is allowed by its name; one from a tarball by pnpm's spec for it.
    const spec = `albert-trainer@file:${path.relative(dir, tarball)}`;
    const add = expectOk(await run(pnpm, ['add', '--prefer-offline', `--allow-build=${spec}`, tarball], dir, userEnv()), 'pnpm add --allow-build');
    expect(add.output).toContain('using the prebuilt addon');
    timings.push(['pnpm add --allow-build (prebuilt addon)', add.seconds]);
    await expectPrebuiltInfo(dir, (args) => run(pnpm as string, ['exec', ...args], dir, userEnv()));
    expect(compilerCalls()).toBe('');
  }, 10 * MINUTE);
});
