// One (config, precision, shape) of the step benchmark: a fresh process per peer (so that its
// peak RSS is this row's), all loading the same checkpoint and batch file; a warm-up per peer,
// then rounds in which each peer runs its steps in turn (A B C A B C ...). A peer that fails
// (torch.compile that cannot compile, say) gets a failed row with its reason; the others go on.
import * as path from 'path';
import { BENCH_SRC, PYTHON } from './configs';
import { gpuProcessMiB } from './memory';
import type { Options, PeerName, Precision, Shape } from './options';
import { PeerProcess } from './peer-process';
import { type StepRow, TOOL_NAMES } from './results';
import { spread } from './stats';

export interface RowJob {
  config: string;
  precision: Precision;
  shape: Shape;
  modelDir: string;
  batchFile: string;
  meanSeqLen: number;
  meanTokens: number;
}

/** Versions the peers report when they load (for the machine line). */
export type LoadReply = Record<string, string | number | boolean>;

function spawnPeer(peer: PeerName, options: Options): PeerProcess {
  if (peer === 'ours' || peer === 'ours-aten') {
    const env = peer === 'ours-aten' ? { ...process.env, ALBERT_CPU_FUSED: '0' } : process.env;
    return new PeerProcess(peer, process.execPath, [path.join(__dirname, 'peers', 'ours.js')], options.verbose, env);
  }
  return new PeerProcess(peer, PYTHON, [path.join(BENCH_SRC, 'peers', 'hf_peer.py')], options.verbose);
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function benchRow(job: RowJob, options: Options, onLoad: (peer: PeerName, reply: LoadReply) => void): Promise<StepRow[]> {
  const schedule = options.schedules[job.config];
  const rows = new Map<PeerName, StepRow>();
  const procs = new Map<PeerName, PeerProcess>();
  for (const peer of options.peers) {
    const row: StepRow = { config: job.config, precision: job.precision, shape: job.shape, peer, tool: TOOL_NAMES[peer], status: 'ok',
      batchSize: options.batchSize, meanSeqLen: job.meanSeqLen, meanTokens: job.meanTokens, ...schedule };
    rows.set(peer, row);
    if (peer === 'hf-compile' && !options.compileConfigs.includes(job.config)) {
      row.status = 'skipped';
      row.reason = options.compileConfigs.length === 0
        ? 'torch.compile left out by --quick (compiling takes minutes per row on a small CPU; --compile-configs small runs it)'
        : `not on ${job.config} (--compile-configs ${options.compileConfigs.join(',')}): compiling takes minutes per row on a small CPU`;
      continue;
    }
    procs.set(peer, spawnPeer(peer, options));
  }
  const fail = (peer: PeerName, error: unknown) => {
    const row = rows.get(peer) as StepRow;
    row.status = 'failed';
    row.reason = reasonOf(error);
    const proc = procs.get(peer);
    procs.delete(peer);
    void proc?.close();
    process.stderr.write(`  ${TOOL_NAMES[peer]} failed: ${row.reason}\n`);
  };
  const gpuPeak = new Map<PeerName, number>();
  const sampleGpu = (peer: PeerName) => {
    if (options.device !== 'cuda') return;
    const mib = gpuProcessMiB(procs.get(peer)?.pid);
    if (mib !== undefined) gpuPeak.set(peer, Math.max(gpuPeak.get(peer) ?? 0, mib));
  };
  const times = new Map<PeerName, number[]>();
  try {
    // 1. Load, all peers at once (nothing is timed yet).
    await Promise.all([...procs].map(async ([peer, proc]) => {
      try {
        const reply = await proc.call<LoadReply>({ cmd: 'load', model_dir: job.modelDir, batches: job.batchFile, threads: options.threads,
          device: options.device, amp: job.precision, compile: peer === 'hf-compile' });
        onLoad(peer, reply);
        if (typeof reply.compileS === 'number') (rows.get(peer) as StepRow).compileS = reply.compileS;
        if (typeof reply.captureS === 'number') Object.assign(rows.get(peer) as StepRow, { captureS: reply.captureS, graphs: reply.graphs });
      } catch (error) {
        fail(peer, error);
      }
    }));
    // 2. Warm-up, one peer after the other.
    for (const [peer, proc] of [...procs]) {
      if (schedule.warmup === 0) break;
      try {
        (rows.get(peer) as StepRow).warmupTimes = (await proc.call<{ times: number[] }>({ cmd: 'run', steps: schedule.warmup })).times;
        sampleGpu(peer);
      } catch (error) {
        fail(peer, error);
      }
    }
    // 3. Rounds: A B C, A B C, ...
    for (let round = 0; round < schedule.rounds; round++) {
      for (const [peer, proc] of [...procs]) {
        try {
          const reply = await proc.call<{ times: number[] }>({ cmd: 'run', steps: schedule.steps });
          times.set(peer, [...(times.get(peer) ?? []), ...reply.times]);
          sampleGpu(peer);
        } catch (error) {
          fail(peer, error);
        }
      }
    }
    // 4. Peak memory.
    for (const [peer, proc] of [...procs]) {
      try {
        const stats = await proc.call<{ peakRssMiB: number; peakGpuReservedMiB?: number }>({ cmd: 'stats' });
        const row = rows.get(peer) as StepRow;
        row.peakRssMiB = stats.peakRssMiB;
        if (stats.peakGpuReservedMiB !== undefined) row.torchPeakReservedMiB = stats.peakGpuReservedMiB;
        if (gpuPeak.has(peer)) row.peakGpuMiB = gpuPeak.get(peer);
      } catch (error) {
        fail(peer, error);
      }
    }
  } finally {
    await Promise.all([...procs.values()].map((p) => p.close()));
  }
  // 5. Figures, and the ratio to HF eager.
  for (const [peer, row] of rows) {
    const t = times.get(peer);
    if (row.status !== 'ok' || !t) continue;
    const s = spread(t);
    Object.assign(row, { times: t, medianStepS: s.median, minStepS: s.min, maxStepS: s.max,
      samplesPerS: options.batchSize / s.median, tokensPerS: job.meanTokens / s.median });
  }
  const hf = rows.get('hf-eager');
  for (const row of rows.values()) {
    if (row.status === 'ok' && hf?.status === 'ok' && row.samplesPerS !== undefined && hf.samplesPerS !== undefined) {
      row.ratio = row.samplesPerS / hf.samplesPerS;
    }
  }
  return [...rows.values()];
}
