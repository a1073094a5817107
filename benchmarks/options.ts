// The suite's flags, the presets (--quick, steps per config) and their checks.
import * as os from 'os';
import * as path from 'path';
import { CONFIGS } from './configs';

export type Device = 'cpu' | 'cuda';
export type Precision = 'fp32' | 'bf16' | 'fp16';
/** subj: batches drawn from SUBJ, padded to their longest; fixed: every example seqLen tokens. */
export type Shape = 'subj' | 'fixed';
/** ours-aten: albert-trainer with its fused CPU kernels off (ALBERT_CPU_FUSED=0), for their A/B. */
export type PeerName = 'ours' | 'ours-aten' | 'hf-eager' | 'hf-compile';
export const PEERS: readonly PeerName[] = ['ours', 'ours-aten', 'hf-eager', 'hf-compile'];
/** The peers a suite runs when --peers is not given. */
export const DEFAULT_PEERS: readonly PeerName[] = ['ours', 'hf-eager', 'hf-compile'];

/** Warm-up steps, then rounds x steps timed per peer (peers alternate every round). */
export interface Schedule { warmup: number; rounds: number; steps: number }

export interface Options {
  device: Device;
  configs: string[];
  precisions: Precision[];
  shapes: Shape[];
  /** The shapes each config runs: `shapes`, less the CPU's default omissions (see CPU_SKIPPED_SHAPES). */
  shapesFor: Record<string, Shape[]>;
  peers: PeerName[];
  /** Configs on which hf-compile runs; elsewhere its rows say "skipped" and why. */
  compileConfigs: string[];
  batchSize: number;
  /** The fixed shape's sequence length. */
  seqLen: number;
  threads: number;
  /** Per config; --steps/--rounds/--warmup override every config. */
  schedules: Record<string, Schedule>;
  e2e: boolean;
  /** 0: the whole epoch. */
  e2eSteps: number;
  e2eConfigs: string[];
  outDir: string;
  /** The results' file name prefix; '' until the suite names the machine (benchmarks/machine.ts). */
  machine: string;
  quick: boolean;
  verbose: boolean;
}

export const USAGE = `albert-trainer benchmark suite: one training step of albert-trainer against HF transformers
(eager and torch.compile) on the same weights, batches and hyperparameters; optional end-to-end epoch.

  npm run bench -- [flags]        (or: albert-train bench [flags])

  --quick                 small config only, 1 warm-up + 2 rounds x 2 steps, no e2e, no torch.compile unless
                          --compile-configs small (about 2 minutes on 2 cores)
  --device cpu|cuda       default cpu
  --configs LIST          small,base,large (default all three; --quick: small)
  --amps LIST             fp32 (or off), bf16, fp16 (default cpu: fp32,bf16; cuda: fp16,bf16)
  --shapes LIST           subj (SUBJ length distribution, dynamic padding), fixed (--seq-len tokens); default both,
                          except large on the CPU: subj only (its fixed rows take ~5 minutes on 2 cores;
                          an explicit --shapes runs every listed shape on every config)
  --seq-len N             length of the fixed shape (default 128)
  --batch-size N          default 16
  --peers LIST            ours,ours-aten,hf-eager,hf-compile (default ours,hf-eager,hf-compile; hf-eager is
                          always run: ratios are to it). ours-aten is albert-trainer with its fused CPU
                          kernels off (ALBERT_CPU_FUSED=0): the A/B of those kernels in the same run
  --compile-configs LIST  configs hf-compile runs on (default cpu: small, as compiling base/large on a
                          small CPU takes minutes; cuda: all; --quick: none). torch.compile compiles at load
                          (forward + backward over the batches' lengths), before its warm-up; the JSON
                          gives the seconds (compileS)
  --warmup N --rounds N --steps N   override the per-config presets (cpu: small 2/3/5, base 1/3/1, large 1/2/1;
                          cuda: 3/3/10)
  --threads N             intra-op threads of every peer (default: all cores)
  --e2e                   also one SUBJ epoch per tool with its defaults (ours: train(); HF: Trainer)
  --e2e-steps N           time only the first N steps of that epoch (0: whole epoch)
  --e2e-configs LIST      configs of the e2e figure (default small)
  --output-dir DIR        where <machine>-<date>.{json,md,svg} go (default ./benchmarks/results under the
                          current folder; --out-dir is the same flag)
  --machine NAME          the results' file name prefix (default: the CPU model and its cores, e.g.
                          cpu-amd-epyc-2cores; on CUDA the GPU, e.g. cuda-nvidia-h100-80gb-hbm3)
  --verbose               pass the peers' stderr through
`;

const CPU_SCHEDULES: Record<string, Schedule> = {
  small: { warmup: 2, rounds: 3, steps: 5 },
  base: { warmup: 1, rounds: 3, steps: 1 },
  large: { warmup: 1, rounds: 2, steps: 1 },
};
/** Left out on the CPU unless --shapes is given, to keep the default suite under 15 minutes on 2 cores. */
export const CPU_SKIPPED_SHAPES: Record<string, Shape[]> = { large: ['fixed'] };
const CUDA_SCHEDULE: Schedule = { warmup: 3, rounds: 3, steps: 10 };
const QUICK_SCHEDULE: Schedule = { warmup: 1, rounds: 2, steps: 2 };

const BOOLEAN_FLAGS = new Set(['quick', 'e2e', 'verbose', 'help']);

function list<T extends string>(flag: string, value: string, allowed: readonly string[], alias: Record<string, T> = {}): T[] {
  const items = value.split(',').map((v) => v.trim()).filter(Boolean).map((v) => alias[v] ?? v);
  if (items.length === 0) throw new Error(`--${flag} needs a comma-separated list of ${allowed.join(', ')}`);
  for (const item of items) if (!allowed.includes(item)) throw new Error(`--${flag}: unknown ${item}; choose from ${allowed.join(', ')}`);
  return [...new Set(items)] as T[];
}

function count(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return n;
}

/** Parses `--flag value`, `--flag=value` and the boolean flags; null when --help was asked. */
export function parseOptions(argv: readonly string[]): Options | null {
  const raw = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${JSON.stringify(arg)} (flags start with --; see --help)`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (BOOLEAN_FLAGS.has(name)) {
      raw.set(name, eq < 0 ? 'true' : arg.slice(eq + 1));
    } else if (eq >= 0) {
      raw.set(name, arg.slice(eq + 1));
    } else {
      if (i + 1 >= argv.length) throw new Error(`--${name} needs a value`);
      raw.set(name, argv[++i]);
    }
  }
  if (raw.get('help') === 'true') return null;
  const flag = (name: string) => { const v = raw.get(name); raw.delete(name); return v; };
  const bool = (name: string) => { const v = flag(name); if (v !== undefined && v !== 'true' && v !== 'false') throw new Error(`--${name} is a switch`); return v === 'true'; };

  const quick = bool('quick');
  const device = (flag('device') ?? 'cpu') as Device;
  if (device !== 'cpu' && device !== 'cuda') throw new Error(`--device: cpu or cuda, got ${device}`);
  const configNames = Object.keys(CONFIGS);
  const configs = list<string>('configs', flag('configs') ?? (quick ? 'small' : configNames.join(',')), configNames);
  const precisions = list<Precision>('amps', flag('amps') ?? flag('precisions') ?? (device === 'cuda' ? 'fp16,bf16' : 'fp32,bf16'),
    ['fp32', 'bf16', 'fp16'], { off: 'fp32' });
  if (device === 'cpu' && precisions.includes('fp16')) throw new Error('--amps fp16 needs --device cuda (on the CPU: fp32, bf16)');
  const shapesFlag = flag('shapes');
  const shapes = list<Shape>('shapes', shapesFlag ?? 'subj,fixed', ['subj', 'fixed']);
  const peers = list<PeerName>('peers', flag('peers') ?? DEFAULT_PEERS.join(','), PEERS, { hf: 'hf-eager', compile: 'hf-compile' });
  if (!peers.includes('hf-eager')) peers.push('hf-eager');
  peers.sort((a, b) => PEERS.indexOf(a) - PEERS.indexOf(b));
  const compileFlag = flag('compile-configs');
  // --quick leaves torch.compile out unless asked: compiling takes minutes per row on a small CPU.
  const compileConfigs = compileFlag !== undefined ? list<string>('compile-configs', compileFlag, configNames)
    : quick ? [] : device === 'cuda' ? configNames : ['small'];
  const batchSize = count('batch-size', flag('batch-size') ?? '16', 1);
  const seqLen = count('seq-len', flag('seq-len') ?? '128', 3);
  const threads = count('threads', flag('threads') ?? String(os.cpus().length), 1);
  const override: Partial<Schedule> = {};
  for (const key of ['warmup', 'rounds', 'steps'] as const) {
    const v = flag(key);
    if (v !== undefined) override[key] = count(key, v, key === 'warmup' ? 0 : 1);
  }
  const shapesFor: Record<string, Shape[]> = {};
  for (const c of configs) {
    const skipped = shapesFlag === undefined && device === 'cpu' ? CPU_SKIPPED_SHAPES[c] ?? [] : [];
    shapesFor[c] = shapes.filter((s) => !skipped.includes(s));
  }
  const schedules: Record<string, Schedule> = {};
  for (const c of configNames) {
    const preset = quick ? QUICK_SCHEDULE : device === 'cuda' ? CUDA_SCHEDULE : CPU_SCHEDULES[c];
    schedules[c] = { ...preset, ...override };
  }
  const e2e = bool('e2e');
  const e2eSteps = count('e2e-steps', flag('e2e-steps') ?? '0', 0);
  const e2eConfigs = list<string>('e2e-configs', flag('e2e-configs') ?? 'small', configNames);
  // Under the folder the suite runs in (never into an installed package), or where asked.
  const [outputDir, outDirAlias] = [flag('output-dir'), flag('out-dir')];
  const outDir = path.resolve(outputDir ?? outDirAlias ?? path.join('benchmarks', 'results'));
  const machine = (flag('machine') ?? '').replace(/[^A-Za-z0-9._-]+/g, '-');
  const verbose = bool('verbose');
  if (raw.size > 0) throw new Error(`unknown flag ${[...raw.keys()].map((k) => `--${k}`).join(', ')} (see --help)`);
  return { device, configs, precisions, shapes, shapesFor, peers, compileConfigs, batchSize, seqLen, threads, schedules, e2e, e2eSteps,
    e2eConfigs, outDir, machine, quick, verbose };
}
