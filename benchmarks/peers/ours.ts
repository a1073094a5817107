// The albert-trainer peer of the step benchmark, run in its own node process (so that its peak
// RSS is its own). Through the public API only, the whole step: the next padded batch from a
// BatchIterator (our data pipeline, which pads the following batch while a step runs) and
// TrainingSession.step (autocast forward, loss, backward, clipping, AdamW), as train() takes it.
//
// JSON lines on stdin/stdout (see benchmarks/peer-process.ts):
//   {"cmd": "load", "model_dir", "batches", "threads", "device", "amp"} -> {"ok": true, "libtorch": ...}
//                                                                        (CUDA: + captureS, graphs)
//   {"cmd": "run", "steps": N}                                          -> {"times": [seconds per step]}
//   {"cmd": "stats"}                                                    -> {"peakRssMiB": ...}
//   {"cmd": "quit"}
import * as fs from 'fs';
import * as readline from 'readline';
import { AlbertForSequenceClassification, BatchIterator, TrainingSession, info, manualSeed, setNumThreads } from '../../ts/index';
import type { TokenizedExample } from '../../ts/index';
import type { BatchFile } from '../batches';

const LEARNING_RATE = 4e-5;

interface State { model: AlbertForSequenceClassification; trainer: TrainingSession; batches: AsyncIterator<unknown> }
let state: State | undefined;

async function load(msg: Record<string, unknown>): Promise<Record<string, unknown>> {
  setNumThreads(msg.threads as number);
  manualSeed(42);
  const file = JSON.parse(fs.readFileSync(msg.batches as string, 'utf8')) as BatchFile;
  const examples: TokenizedExample[] = file.batches.flatMap((b) => b.rows);
  const model = await AlbertForSequenceClassification.fromPretrained(msg.model_dir as string, { device: msg.device as 'cpu' | 'cuda' });
  const amp = msg.amp === 'fp32' ? 'off' : (msg.amp as 'bf16' | 'fp16');
  // ALBERT_BENCH_CUDA_GRAPHS=0 measures the eager CUDA step (test/gpu/run.sh's A/B).
  const cudaGraphs = model.device === 'cuda' && process.env.ALBERT_BENCH_CUDA_GRAPHS !== '0';
  const trainer = new TrainingSession(model, { optimizer: { weightDecay: 0.01 }, maxGradNorm: 1.0, amp, cudaGraphs });
  // In file order (no shuffle): batch i of the file is step i, as for every peer.
  const batches = new BatchIterator(examples, { batchSize: file.batchSize, padTokenId: file.padTokenId });
  state = { model, trainer, batches };
  const facts = info();
  const reply: Record<string, unknown> = { ok: true, libtorch: facts.torchVersion, version: facts.version, node: process.versions.node, threads: facts.numThreads,
    cpuBf16Unit: facts.cpuBf16Unit, cpuVectorPath: facts.cpuVectorPath, cpuFusedKernels: facts.cpuFusedKernels };
  if (trainer.cudaGraphs) Object.assign(reply, await captureGraphs(trainer, file));
  return reply;
}

/**
 * CUDA graphs are captured on a bucket's second batch (ts/training-session.ts), as torch.compile
 * compiles on a new length: like hf_peer.py's compile_warmup, this runs before (and apart
 * from) the warm-up every peer gets, two steps per (batch size, length rounded up to 16) of
 * the batch file, at learning rate 0 (the weights do not move). Returns its seconds.
 */
async function captureGraphs(trainer: TrainingSession, file: BatchFile): Promise<Record<string, unknown>> {
  const start = process.hrtime.bigint();
  const byBucket = new Map<string, TokenizedExample[]>();
  for (const b of file.batches) byBucket.set(`${b.rows.length}x${Math.ceil(b.seqLen / 16) * 16}`, b.rows);
  const rows = [...byBucket.values()].flatMap((r) => [...r, ...r]);
  for await (const batch of new BatchIterator(rows, { batchSize: file.batchSize, padTokenId: file.padTokenId })) {
    await trainer.step(batch, 0);
  }
  return { captureS: Number(process.hrtime.bigint() - start) / 1e9, graphs: trainer.cudaGraphsCaptured };
}

async function run(steps: number): Promise<Record<string, unknown>> {
  const { trainer, batches } = state as State;
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = process.hrtime.bigint();
    const next = await batches.next();
    if (next.done) throw new Error('ran out of batches: the suite wrote fewer than it runs');
    await trainer.step(next.value as Parameters<TrainingSession['step']>[0], LEARNING_RATE);
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  return { times };
}

async function main(): Promise<void> {
  for await (const line of readline.createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    const msg = JSON.parse(line) as Record<string, unknown>;
    if (msg.cmd === 'quit') break;
    let reply: Record<string, unknown>;
    try {
      if (msg.cmd === 'load') reply = await load(msg);
      else if (msg.cmd === 'run') reply = await run(msg.steps as number);
      else if (msg.cmd === 'stats') reply = { peakRssMiB: process.resourceUsage().maxRSS / 1024 }; // maxRSS: KiB
      else reply = { error: `unknown command ${String(msg.cmd)}` };
    } catch (error) {
      reply = { error: error instanceof Error ? error.message : String(error) };
    }
    process.stdout.write(`${JSON.stringify(reply)}\n`);
  }
  state?.trainer.dispose();
  state?.model.dispose();
}

void main();
