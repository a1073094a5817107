// The harness of test/package/package.test.ts: one temporary folder for the whole file (consumer
// projects, stand-in compilers that log each call, and the torch cache unless
// ALBERT_TRAINER_E2E_TORCH_CACHE names one), commands run as a user's shell runs them, the
// consumers' sources, and the checks the tests repeat (trained 5 steps; "not set up" with no
// dlopen message; the prebuilt addon in `albert-train info`).
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const TORCH = '2.13.0+cpu';
const NOT_SET_UP = "albert-trainer's native addon is not set up";
const SETUP = 'npx albert-train setup';
const DLOPEN = /dlopen|cannot open shared object|invalid ELF|undefined symbol/;
export const TOOLS = ['cc', 'c++', 'gcc', 'g++', 'clang', 'clang++', 'cmake', 'make', 'ninja'];

export const work = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-package-'));
export const torchCache = process.env.ALBERT_TRAINER_E2E_TORCH_CACHE ?? path.join(work, 'torch-cache');
export const stubs = path.join(work, 'no-compilers');
export const stubLog = path.join(work, 'no-compilers.log');

export interface Outcome {
  status: number | null;
  output: string; // stdout and stderr, interleaved
  stdout: string;
  seconds: number;
}

/** The environment of a user's shell: no npm_* from the `npm test` that runs jest, no libtorch overrides. */
export function userEnv(extra: Record<string, string> = {}, { compilers = false } = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) || key === 'INIT_CWD') continue;
    if (['LIBTORCH', 'TORCH_PY', 'ALBERT_TRAINER_ADDON', 'ALBERT_TRAINER_BUILD_FROM_SOURCE', 'ALBERT_TRAINER_PYTHON'].includes(key)) continue;
    env[key] = value;
  }
  env.ALBERT_TRAINER_TORCH_CACHE = torchCache;
  if (!compilers) {
    env.PATH = `${stubs}${path.delimiter}${process.env.PATH ?? ''}`;
    env.CC = path.join(stubs, 'cc');
    env.CXX = path.join(stubs, 'c++');
  }
  return { ...env, ...extra };
}

/** Runs a command to its end (asynchronously, so two can overlap). */
export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Outcome> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output, stdout, seconds: (Date.now() - start) / 1000 }));
  });
}

export function expectOk(outcome: Outcome, what: string): Outcome {
  if (outcome.status !== 0) throw new Error(`${what} exited ${outcome.status}:\n${outcome.output.slice(-6000)}`);
  return outcome;
}

export function consumer(name: string): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name, version: '1.0.0', private: true }, null, 2)}\n`);
  return dir;
}

export function npm(dir: string, args: string[], env = userEnv()): Promise<Outcome> {
  return run('npm', args, dir, env);
}

export function npx(dir: string, args: string[], env = userEnv()): Promise<Outcome> {
  return run('npx', ['--no', ...args], dir, env);
}

export function compilerCalls(): string {
  return fs.existsSync(stubLog) ? fs.readFileSync(stubLog, 'utf8') : '';
}

// ---- the consumers' sources -----------------------------------------------------------------

/** Five steps on a tiny random-init model; prints one JSON line. `imports` is how the package is brought in. */
function trainingProgram(imports: string, annotate: boolean): string {
  const t = (type: string) => (annotate ? `: ${type}` : '');
  return `${imports}
async function main()${t('Promise<void>')} {
  const model = AlbertForSequenceClassification.fromConfig(
    { vocab_size: 100, embedding_size: 16, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 32,
      hidden_dropout_prob: 0, attention_probs_dropout_prob: 0, classifier_dropout_prob: 0 },
    { seed: 1 },
  );
  const trainer = new TrainingSession(model, { optimizer: { weightDecay: 0.01 } });
  const B = 4, T = 8;
  const batch${t('Batch')} = {
    inputIds: Int32Array.from({ length: B * T }, (_, i) => 1 + ((i * 7) % 99)),
    attentionMask: new Int32Array(B * T).fill(1),
    labels: Int32Array.from([0, 1, 0, 1]),
    batchSize: B,
    seqLen: T,
  };
  const losses${t('number[]')} = [];
  for (let step = 0; step < 5; step++) {
    const result${t('StepResult')} = await trainer.step(batch, 1e-3);
    losses.push(result.loss);
  }
  const facts${t('Info')} = info();
  console.log(JSON.stringify({ addon: facts.addon, libtorchDir: facts.libtorchDir, steps: trainer.stepCount, losses }));
}
main().catch((error${t('unknown')}) => { console.error(error); process.exit(1); });
`;
}

const TS_IMPORTS = "import { AlbertForSequenceClassification, TrainingSession, info, type Batch, type Info, type StepResult } from 'albert-trainer';";

export function writeConsumerSources(dir: string): void {
  // Strict TypeScript against the shipped .d.ts, no skipLibCheck: .ts compiles to CommonJS, .mts to ESM.
  fs.writeFileSync(path.join(dir, 'train-cjs.ts'), trainingProgram(TS_IMPORTS, true));
  fs.writeFileSync(path.join(dir, 'train-esm.mts'), trainingProgram(TS_IMPORTS, true));
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    `${JSON.stringify({ compilerOptions: { strict: true, target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', outDir: 'out', types: ['node'] }, files: ['train-cjs.ts', 'train-esm.mts'] }, null, 2)}\n`,
  );
  fs.writeFileSync(path.join(dir, 'train.mjs'), trainingProgram("import { AlbertForSequenceClassification, TrainingSession, info } from 'albert-trainer';", false));
  fs.writeFileSync(path.join(dir, 'train.cjs'), trainingProgram("const { AlbertForSequenceClassification, TrainingSession, info } = require('albert-trainer');", false));
}

/** Both module systems' first use of the API when set-up never ran: the message, no crash in dlopen. */
export function firstUseProbes(dir: string): void {
  const probe = (load: string) => `${load}
  try { info(); console.log('LOADED'); } catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); }`;
  fs.writeFileSync(path.join(dir, 'probe.mjs'), probe("import { info, TrainingSession } from 'albert-trainer'; if (typeof TrainingSession !== 'function') throw new Error('no TrainingSession');"));
  fs.writeFileSync(path.join(dir, 'probe.cjs'), probe("const { info } = require('albert-trainer');"));
}

export interface TrainReport {
  addon: string;
  libtorchDir: string | null;
  steps: number;
  losses: number[];
}

export function expectTrained(outcome: Outcome, what: string): TrainReport {
  expectOk(outcome, what);
  const report = JSON.parse(outcome.stdout.trim().split('\n').pop() as string) as TrainReport;
  expect(report.steps).toBe(5);
  expect(report.losses).toHaveLength(5);
  for (const loss of report.losses) expect(Number.isFinite(loss) && loss > 0).toBe(true);
  return report;
}

export async function expectNotSetUp(dir: string, runner: (args: string[]) => Promise<Outcome>): Promise<void> {
  const cli = await runner(['albert-train', 'info']);
  expect(cli.status).toBe(2);
  expect(cli.output).toContain(NOT_SET_UP);
  expect(cli.output).toContain(SETUP);
  expect(cli.output).not.toMatch(DLOPEN);
  for (const file of ['probe.mjs', 'probe.cjs']) {
    const probe = expectOk(await run(process.execPath, [file], dir, userEnv()), file);
    const error = JSON.parse(probe.stdout.trim()) as { name: string; code: string; message: string };
    expect(error).toMatchObject({ name: 'AlbertTrainerError', code: 'ERR_ADDON_LOAD' });
    expect(error.message).toContain(NOT_SET_UP);
    expect(error.message).toContain(SETUP);
    expect(error.message).not.toMatch(DLOPEN);
  }
}

export async function expectPrebuiltInfo(dir: string, runner: (args: string[]) => Promise<Outcome>): Promise<void> {
  const text = expectOk(await runner(['albert-train', 'info']), 'albert-train info');
  expect(text.stdout).toMatch(/^addon\s+prebuilt \(.*prebuilds\/linux-x64\/albert_native\.napi\.glibc\.node\)$/m);
  const json = JSON.parse(expectOk(await runner(['albert-train', 'info', '--json']), 'albert-train info --json').stdout) as Record<string, unknown>;
  expect(json).toMatchObject({ addon: 'prebuilt', torchVersion: TORCH.split('+')[0], builtWithCuda: false });
  expect(String(json.libtorchDir)).toContain(path.join(torchCache, `torch-${TORCH}`));
  expect(fs.realpathSync(String(json.addonFile)).startsWith(fs.realpathSync(dir))).toBe(true);
}
