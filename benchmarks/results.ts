// What a suite run produces: the rows of the step benchmark, the end-to-end rows, and the
// machine they ran on (written as benchmarks/results/<machine>-<date>.json).
import type { Options, PeerName, Precision, Shape } from './options';

export type Status = 'ok' | 'failed' | 'skipped';

export const TOOL_NAMES: Record<PeerName, string> = {
  ours: 'albert-trainer',
  'ours-aten': 'albert-trainer, aten ops',
  'hf-eager': 'HF eager',
  'hf-compile': 'HF torch.compile',
};

/** One peer on one (config, precision, shape). */
export interface StepRow {
  config: string;
  precision: Precision;
  shape: Shape;
  peer: PeerName;
  tool: string;
  status: Status;
  /** Why a row failed or was skipped (e.g. torch.compile's error). */
  reason?: string;
  batchSize: number;
  /** The padded length: fixed, or the mean over the timed SUBJ batches. */
  meanSeqLen: number;
  /** Non-padding tokens per timed batch, mean. */
  meanTokens: number;
  warmup: number;
  rounds: number;
  steps: number;
  /** hf-compile: seconds torch.compile spent compiling at load, before the warm-up. */
  compileS?: number;
  /** ours on CUDA: seconds spent capturing the batch file's CUDA graphs at load, before the warm-up, and how many. */
  captureS?: number;
  graphs?: number;
  /** Warm-up step times. */
  warmupTimes?: number[];
  /** Timed step times, seconds, in order (round by round). */
  times?: number[];
  medianStepS?: number;
  minStepS?: number;
  maxStepS?: number;
  /** batchSize / median step. */
  samplesPerS?: number;
  /** meanTokens / median step. */
  tokensPerS?: number;
  /** Peak RSS of the peer's own process (load, warm-up and timed steps). */
  peakRssMiB?: number;
  /** CUDA: what nvidia-smi lists for the peer's process after its steps. */
  peakGpuMiB?: number;
  /** CUDA, HF peers: torch.cuda.max_memory_reserved(). */
  torchPeakReservedMiB?: number;
  /** samplesPerS / HF eager's samplesPerS on the same config, precision and shape. */
  ratio?: number;
}

/** One tool's end-to-end SUBJ epoch (or its first N steps). */
export interface E2eRow {
  config: string;
  precision: Precision;
  peer: 'ours' | 'hf-trainer';
  tool: string;
  status: Status;
  reason?: string;
  steps?: number;
  samples?: number;
  /** The training call alone (train() / Trainer.train()). */
  trainSeconds?: number;
  samplesPerS?: number;
  /** The whole process: start, tokenizing, loading, training. */
  wallSeconds?: number;
  peakRssMiB?: number;
  /** samplesPerS / HF Trainer's. */
  ratio?: number;
}

export interface Machine {
  description: string;
  cpu: string;
  cores: number;
  threads: number;
  platform: string;
  node: string;
  libtorch?: string;
  albertTrainer?: string;
  /** The CPU's bf16 matrix unit as /proc/cpuinfo tells it: 'amx', 'avx512_bf16' or 'none'. */
  cpuBf16Unit?: string;
  /** Which path our CPU step took: the kernels' vector clone and whether the fused kernels ran. */
  oursCpuPath?: string;
  torch?: string;
  transformers?: string;
  python?: string;
  gpu?: string;
}

export interface Results {
  schema: 'albert-trainer-bench/1';
  date: string;
  machine: Machine;
  options: Omit<Options, 'outDir'>;
  rows: StepRow[];
  e2e: E2eRow[];
  notes: string[];
  elapsedS: number;
}

/** How tables and the chart name a row's batches. */
export function shapeLabel(row: Pick<StepRow, 'shape' | 'meanSeqLen'>): string {
  return row.shape === 'subj' ? `SUBJ (mean T ${row.meanSeqLen.toFixed(0)})` : `fixed ${row.meanSeqLen}`;
}
