// One training step, this trainer against HF transformers eager (+ torch.optim.AdamW), on the
// same weights (one seeded HF checkpoint both load), the same batches (one file both read) and
// the same hyperparameters; rounds alternate A B A B after a warm-up; medians and spread.
//
//   npm run bench -- [--configs small,base] [--amps off,bf16] [--steps 5] [--rounds 3] [--threads 2]
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';
import { AlbertForSequenceClassification, Trainer, info, setNumThreads } from '../ts/index';
import type { Batch } from '../ts/index';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const PYTHON = process.env.ALBERT_TRAINER_PYTHON ?? path.join(REPO_ROOT, '.venv', 'bin', 'python');
const SHARED_DATA = process.env.ALBERT_TRAINER_DATA ?? path.resolve(REPO_ROOT, '..', 'shared', 'data');

const CONFIGS: Record<string, () => Record<string, unknown>> = {
  // The small config: hidden 256, 4 layers, 4 heads, FFN 1024, embedding 128.
  small: () => ({ vocab_size: 30000, embedding_size: 128, hidden_size: 256, num_hidden_layers: 4,
    num_attention_heads: 4, intermediate_size: 1024, hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 }),
  base: () => JSON.parse(fs.readFileSync(path.join(SHARED_DATA, 'albert-configs', 'albert-base-v2.json'), 'utf8')),
  large: () => JSON.parse(fs.readFileSync(path.join(SHARED_DATA, 'albert-configs', 'albert-large-v2.json'), 'utf8')),
};

interface Options { device: 'cpu' | 'cuda'; configs: string[]; amps: Array<'off' | 'bf16'>; steps: number; rounds: number; warmup: number;
  threads: number; batchSize: number; seqLen: number }

function parseArgs(argv: string[]): Options {
  const options: Options = { device: 'cpu', configs: ['small', 'base'], amps: ['off', 'bf16'], steps: 5, rounds: 3, warmup: 2,
    threads: os.cpus().length, batchSize: 16, seqLen: 64 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--device') options.device = value as Options['device'];
    else if (flag === '--configs') options.configs = value.split(',');
    else if (flag === '--amps') options.amps = value.split(',') as Options['amps'];
    else if (flag === '--steps') options.steps = Number(value);
    else if (flag === '--rounds') options.rounds = Number(value);
    else if (flag === '--warmup') options.warmup = Number(value);
    else if (flag === '--threads') options.threads = Number(value);
    else if (flag === '--seq-len') options.seqLen = Number(value);
    else throw new Error(`unknown flag ${flag} (see the header of benchmarks/step.ts)`);
  }
  for (const c of options.configs) if (!CONFIGS[c]) throw new Error(`unknown config ${c}: ${Object.keys(CONFIGS).join(', ')}`);
  return options;
}

/** Seeded random batches with full attention (fixed length), written once for both runners. */
function makeBatches(count: number, B: number, T: number, vocab: number, seed: number): Batch[] {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return Array.from({ length: count }, () => {
    const inputIds = Int32Array.from({ length: B * T }, (_, i) => (i % T === 0 ? 2 : 5 + Math.floor(rand() * (vocab - 5))));
    return { inputIds, attentionMask: new Int32Array(B * T).fill(1), tokenTypeIds: new Int32Array(B * T),
      labels: Int32Array.from({ length: B }, () => (rand() < 0.5 ? 0 : 1)), batchSize: B, seqLen: T };
  });
}

class HfPeer {
  private readonly child = spawn(PYTHON, [path.join(REPO_ROOT, 'benchmarks', 'hf_step.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
  private readonly lines = readline.createInterface({ input: this.child.stdout! })[Symbol.asyncIterator]();
  async call<T>(msg: unknown): Promise<T> {
    this.child.stdin!.write(`${JSON.stringify(msg)}\n`);
    const next = await this.lines.next();
    if (next.done) throw new Error('the HF benchmark process exited');
    return JSON.parse(next.value) as T;
  }
  async close(): Promise<void> {
    this.child.stdin!.end(`${JSON.stringify({ cmd: 'quit' })}\n`);
    await new Promise((resolve) => this.child.once('exit', resolve));
  }
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

interface Row { config: string; amp: string; tool: string; medianStep: number; minStep: number; maxStep: number; samplesPerSec: number; ratio?: number }

let peerInfo: { transformers: string; gpu: string } = { transformers: '?', gpu: '' };

async function benchConfig(name: string, options: Options, peer: HfPeer, rows: Row[]): Promise<void> {
  const config = { ...CONFIGS[name](), num_labels: 2 };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `albert-bench-${name}-`));
  execFileSync(PYTHON, [path.join(REPO_ROOT, 'benchmarks', 'make_model.py'), dir, '42'], { input: JSON.stringify(config), stdio: ['pipe', 'ignore', 'inherit'] });
  const batches = makeBatches(4, options.batchSize, options.seqLen, (config as Record<string, unknown>).vocab_size as number, 7);
  const batchFile = path.join(dir, 'batches.json');
  fs.writeFileSync(batchFile, JSON.stringify(batches.map((b) => ({ ...b, inputIds: [...b.inputIds], attentionMask: [...b.attentionMask], tokenTypeIds: [...b.tokenTypeIds!], labels: [...b.labels!] }))));
  peerInfo = await peer.call({ cmd: 'load', model_dir: dir, batches: batchFile, threads: options.threads, device: options.device });
  const model = await AlbertForSequenceClassification.fromPretrained(dir, { device: options.device });
  for (const amp of options.amps) {
    const trainer = new Trainer(model, { optimizer: { weightDecay: 0.01 }, maxGradNorm: 1.0, amp });
    let next = 0;
    const ours = async (steps: number) => {
      const times: number[] = [];
      for (let i = 0; i < steps; i++) {
        const start = process.hrtime.bigint();
        await trainer.step(batches[next++ % batches.length], 4e-5);
        times.push(Number(process.hrtime.bigint() - start) / 1e9);
      }
      return times;
    };
    const hf = async (steps: number) => (await peer.call<{ times: number[] }>({ cmd: 'run', amp, steps })).times;
    await hf(options.warmup);
    await ours(options.warmup);
    const timesHf: number[] = [];
    const timesOurs: number[] = [];
    for (let r = 0; r < options.rounds; r++) {
      timesHf.push(...(await hf(options.steps)));
      timesOurs.push(...(await ours(options.steps)));
    }
    const row = (tool: string, times: number[]): Row => ({ config: name, amp, tool, medianStep: median(times),
      minStep: Math.min(...times), maxStep: Math.max(...times), samplesPerSec: options.batchSize / median(times) });
    const hfRow = row('HF transformers eager', timesHf);
    const ourRow = row('albert-trainer', timesOurs);
    ourRow.ratio = ourRow.samplesPerSec / hfRow.samplesPerSec;
    rows.push(hfRow, ourRow);
    console.error(`${name} ${amp}: ours ${ourRow.samplesPerSec.toFixed(1)} samples/s, HF ${hfRow.samplesPerSec.toFixed(1)} -> ${ourRow.ratio.toFixed(2)}x`);
    trainer.dispose();
  }
  model.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  setNumThreads(options.threads);
  const peer = new HfPeer();
  const rows: Row[] = [];
  try {
    for (const name of options.configs) await benchConfig(name, options, peer, rows);
  } finally {
    await peer.close();
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const gpu = options.device === 'cuda' ? `${peerInfo.gpu}; ` : '';
  const machine = `${gpu}${cpu}, ${os.cpus().length} cores, ${options.threads} threads; libtorch ${info().torchVersion}, transformers ${peerInfo.transformers}`;
  const outDir = path.join(REPO_ROOT, 'benchmarks', 'results');
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `step-${options.device}-${os.hostname()}-${new Date().toISOString().slice(0, 10)}.json`);
  fs.writeFileSync(file, `${JSON.stringify({ machine, options, rows }, null, 2)}\n`);
  const fmt = (x: number) => (x * 1000).toFixed(0);
  const lines = [
    `Machine: ${machine}. Batch ${options.batchSize} x ${options.seqLen} tokens, ${options.rounds} rounds x ${options.steps} steps, alternating.`,
    '',
    '| config | amp | tool | step ms (median) | min-max ms | samples/s | ratio to HF |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.config} | ${r.amp} | ${r.tool} | ${fmt(r.medianStep)} | ${fmt(r.minStep)}-${fmt(r.maxStep)} | ${r.samplesPerSec.toFixed(1)} | ${r.ratio === undefined ? '1.00' : r.ratio.toFixed(2)} |`),
    '',
    `(written to ${path.relative(REPO_ROOT, file)})`,
  ];
  console.log(lines.join('\n'));
}

main().catch((error) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
