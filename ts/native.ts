// The one door to the compiled addon: finds and loads it, and declares, with types,
// everything it exports. Nothing else in ts/ requires the binary.
//
// Which file: $ALBERT_TRAINER_ADDON when set; else what node-gyp-build resolves in the
// package folder: build/Release/albert_native.node (built from source) first, else the
// prebuilt prebuilds/linux-x64/albert_native.napi.glibc.node, which finds libtorch through
// the build/torch link that set-up makes (scripts/install.js, scripts/prebuilt.js). When
// set-up never ran (pnpm, `npm install --ignore-scripts`) the first use says so and names
// the one command that does it, instead of failing in dlopen.
//
// Native calls that do real work return promises (they run on a libuv worker thread);
// a rejection is an Error with a `code` (see ts/errors.ts) whose stack is the JS caller's.
import * as fs from 'fs';
import * as path from 'path';
import { types } from 'util';
import { AlbertTrainerError, isErrorCode } from './errors';

/** Config as the core takes it: HF AlbertConfig fields, already validated by ts/model/config.ts. */
export interface NativeConfig {
  vocabSize: number;
  embeddingSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numHiddenGroups: number;
  numAttentionHeads: number;
  intermediateSize: number;
  innerGroupNum: number;
  hiddenAct: 'gelu_new' | 'gelu' | 'relu' | 'gelu_python' | 'gelu_pytorch_tanh' | 'silu' | 'swish' | 'tanh';
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  initializerRange: number;
  layerNormEps: number;
  classifierDropoutProb: number;
  numLabels: number;
  padTokenId: number; // the word-embedding row that gets no gradient (HF padding_idx); -1 = none
  problemType: 'single_label_classification' | 'multi_label_classification' | 'regression';
}

export type NativeDevice = 'cpu' | 'cuda';
export type NativeAmp = 'off' | 'bf16' | 'fp16';

/** A batch as typed arrays, row-major B x T. Checked by ts/model/batch.ts before it gets here. */
export interface NativeBatch {
  inputIds: Int32Array; // (B, T)
  attentionMask: Int32Array; // (B, T), 1 = token, 0 = padding
  tokenTypeIds?: Int32Array; // (B, T), zeros when absent
  labels?: Int32Array | Float32Array; // (B) class ids; (B) targets for regression; (B, L) for multi-label
  batchSize: number; // B
  seqLen: number; // T
}

export interface NativeLoadOptions {
  pretrained?: boolean;
  ignoreMismatchedSizes?: boolean;
}

/** What a load did, in HF's terms (output_loading_info): keys newly initialised, not used, re-initialised for their shape. */
export interface NativeLoadingInfo {
  missingKeys: string[];
  unexpectedKeys: string[];
  mismatchedKeys: Array<{ key: string; checkpointShape: number[]; modelShape: number[] }>;
}

export interface NativeForwardResult {
  logits: Float32Array; // (B, L)
  loss?: number;
}

export interface NativeStepResult {
  loss: number; // the unscaled loss of this step's batch
  gradNorm: number; // global L2 norm of the gradients before clipping (NaN/Infinity on overflow)
  skipped: boolean; // true when fp16 gradients overflowed and the update was skipped
  lossScale: number; // the loss scale after this step (1 when no scaler runs)
  stop: boolean; // data-parallel: some rank asked to stop after this step; else the stopRequested passed in
}

export interface NativeParameterInfo {
  name: string; // HF state-dict name
  shape: number[];
}

export interface NativeModel {
  readonly disposed: boolean;
  readonly device: NativeDevice;
  /**
   * Loads a safetensors file or a zip-format pytorch_model.bin (read weights-only). Strict by
   * default (every key, shape and dtype); `pretrained` applies HF from_pretrained's rules and
   * reports what it did (native/albert/weights.h).
   */
  loadWeights(file: string, options?: NativeLoadOptions): Promise<NativeLoadingInfo>;
  /** Writes every parameter (fp32) to a safetensors file, atomically. */
  saveWeights(file: string, metadata: Record<string, string>): Promise<void>;
  forward(batch: NativeBatch, options: { amp: NativeAmp }): Promise<NativeForwardResult>;
  parameters(): NativeParameterInfo[];
  /** A copy of one parameter's values, fp32, row-major. */
  getParameter(name: string): Float32Array;
  dispose(): void;
}

export interface NativeModelConstructor {
  new (config: NativeConfig, options: { seed: number; device: NativeDevice }): NativeModel;
}

/** AdamW's and the step's settings; the learning rate is not one: each step() passes its own. */
export interface NativeTrainerOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  maxGradNorm: number; // 0 = no clipping
  amp: NativeAmp;
  lossScale: { init: number; growthFactor: number; backoffFactor: number; growthInterval: number };
  /** CUDA only: capture each (batch size, padded length) bucket's training and evaluation step as a CUDA graph and replay it. */
  cudaGraphs?: boolean;
}

export interface NativeTrainer {
  readonly disposed: boolean;
  /**
   * forward (train mode, autocast), loss, backward, unscale, clip, AdamW, zero grads. With a
   * process group attached, gradients are averaged across the ranks during backward, `loss` is
   * the ranks' mean, and `stop` is true when any rank passed stopRequested.
   */
  step(batch: NativeBatch, lr: number, stopRequested?: boolean): Promise<NativeStepResult>;
  /** Data-parallel from the next step: c10d's DDP reducer over the parameters; rank 0's weights are broadcast first. */
  attachProcessGroup(group: NativeProcessGroup): Promise<void>;
  /** forward in eval mode, no grad. */
  evalStep(batch: NativeBatch): Promise<NativeForwardResult>;
  /** forward + backward only (train mode), gradients returned by HF name; nothing is updated. */
  computeGradients(batch: NativeBatch): Promise<{ loss: number; gradients: Record<string, Float32Array> }>;
  /** AdamW moments and steps, loss-scaler state: one safetensors file, atomically. */
  saveState(file: string): Promise<void>;
  loadState(file: string): Promise<void>;
  readonly stepCount: number;
  readonly lossScale: number;
  /** CUDA graphs captured so far (one per bucket and step kind); 0 without cudaGraphs. */
  readonly cudaGraphsCaptured: number;
  dispose(): void;
}

export interface NativeProcessGroupOptions {
  rank: number;
  worldSize: number;
  masterAddr: string;
  masterPort: number;
  /** The rendezvous and every collective fail with ERR_DISTRIBUTED after this long. */
  timeoutMs: number;
  backend: 'gloo' | 'nccl';
  /** Must be equal on every rank (the run's arguments and data); compared when joining. */
  fingerprint: string;
}

/** This process's membership of a data-parallel job (libtorch c10d: TCPStore + Gloo). */
export interface NativeProcessGroup {
  /** The rendezvous at masterAddr:masterPort (rank 0 hosts it) and the handshake; ERR_DISTRIBUTED names what is wrong. */
  join(options: NativeProcessGroupOptions): Promise<void>;
  allreduce(values: Float64Array, op: 'sum' | 'max'): Promise<Float64Array>;
  /** Every rank's bytes, in rank order. */
  allgather(bytes: Buffer): Promise<Buffer[]>;
  barrier(): Promise<void>;
  readonly rank: number;
  readonly worldSize: number;
  dispose(): void;
}

export interface NativeTrainerConstructor {
  new (model: NativeModel, options: NativeTrainerOptions): NativeTrainer;
}

export interface NativeInfo {
  torchVersion: string;
  builtWithCuda: boolean;
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  numThreads: number;
  /** Whether the addon kept freed host memory mapped (native/runtime/host_allocator.h). */
  mallocTuned: boolean;
  /** Which clone of the hand-written CPU kernels' loops this CPU runs (native/kernels/cpu/dispatch.h). */
  cpuVectorPath: 'avx512' | 'avx2' | 'default';
  /** Whether the CPU step takes the fused bias + gelu_new and residual + LayerNorm kernels (AVX-512 and not ALBERT_CPU_FUSED=0). */
  cpuFusedKernels: boolean;
}

export interface NativeBinding {
  Model: NativeModelConstructor;
  Trainer: NativeTrainerConstructor;
  ProcessGroup: new () => NativeProcessGroup;
  /** The hand-written CPU kernels, one call each, for their reference tests. */
  kernels: NativeKernels;
  /** Every code a native error can carry: native/common/error.h's list, which ts/errors.ts's NATIVE_ERROR_CODES must equal. */
  errorCodes: readonly string[];
  info(): NativeInfo;
  setNumThreads(n: number): void;
  /** Seeds the process-wide generators dropout draws from (torch.manual_seed). */
  manualSeed(seed: number): void;
  /** The dropout generators' states (CPU, and one per CUDA device), for checkpoints. */
  getRngState(): NativeRngState;
  /** Restores getRngState's value (CPU, and the CUDA devices both have); returns the CUDA states set. A state of the wrong size is an ERR_CHECKPOINT and sets nothing. */
  setRngState(state: NativeRngState): number;
}

export interface NativeKernels {
  /** native/kernels/cpu/dropout.h: values x keep(seed, i) / (1 - p), computed in `dtype` (default fp32), returned as float32. */
  dropout(values: Float32Array, p: number, seed: bigint, dtype?: 'fp32' | 'bf16'): Float32Array;
  /** Its gradient through autograd: upstream x keep(seed, i) / (1 - p). */
  dropoutGrad(values: Float32Array, upstream: Float32Array, p: number, seed: bigint): Float32Array;
  /** native/kernels/cpu/gelu_new.h on float32 values; impl 'aten' runs aten's gelu(x, "tanh") instead. */
  geluNew(values: Float32Array, impl?: 'fast' | 'aten'): Float32Array;
  /** Its gradient through autograd: upstream x gelu_new'(values). */
  geluNewGrad(values: Float32Array, upstream: Float32Array, impl?: 'fast' | 'aten'): Float32Array;
  /**
   * native/kernels/cpu/gelu_new.h's bias_gelu_new_cpu: gelu_new(x + bias) over the row-major (rows, C) matrix
   * `values`, bias (C), computed in `dtype`; impl 'aten' runs at::gelu(x + bias, "tanh") instead. Returns the
   * output and, through autograd with `upstream`, the gradients of x and bias, all as float32.
   */
  biasGeluNew(values: Float32Array, bias: Float32Array, upstream: Float32Array, dtype?: 'fp32' | 'bf16', impl?: 'fast' | 'aten'): NativeKernelResult;
  /**
   * native/kernels/cpu/residual_layer_norm.h: LayerNorm(x + residual) * weight + bias over rows of C = weight.length,
   * x and residual in `dtype`, eps; impl 'aten' runs at::layer_norm(residual + x, ...) instead. Returns the output
   * and, through autograd with `upstream`, the gradients of x, residual, weight and bias, as float32.
   */
  residualLayerNorm(values: Float32Array, residual: Float32Array, weight: Float32Array, bias: Float32Array, eps: number,
    upstream: Float32Array, dtype?: 'fp32' | 'bf16', impl?: 'fast' | 'aten'): NativeKernelResult;
  /**
   * native/kernels/cpu/attention_softmax.h: dropout(softmax(scores * scale, masked where !keep), p, seed) over the last
   * dimension of scores (B, N, Tq, T) = shape, in `dtype`. keepMask (1 = real key): B*T values for (B, 1, 1, T), B*Tq*T for
   * (B, 1, Tq, T), or null. impl 'aten' runs fast_dropout(softmax(masked scores * scale)) instead (NaN for fully masked rows).
   * Returns the output and, through autograd with `upstream`, the gradient of scores, as float32.
   */
  attentionProbs(values: Float32Array, keepMask: Uint8Array | null, shape: [number, number, number, number], scale: number, p: number,
    seed: bigint, upstream: Float32Array, dtype?: 'fp32' | 'bf16', impl?: 'fast' | 'aten'): NativeKernelResult;
  /** native/kernels/cpu/rows.h: rows index[r] of the row-major (n, cols) matrix `values`. */
  gatherRows(values: Float32Array, cols: number, index: Int32Array, dtype?: 'fp32' | 'bf16'): Float32Array;
  /** An (n, cols) matrix of zeros whose row index[r] is row r of `values`. */
  scatterRows(values: Float32Array, cols: number, index: Int32Array, n: number, dtype?: 'fp32' | 'bf16'): Float32Array;
  /** Their gradients through autograd: d(sum(upstream * out)) / d(values). */
  gatherRowsGrad(values: Float32Array, cols: number, index: Int32Array, upstream: Float32Array): Float32Array;
  scatterRowsGrad(values: Float32Array, cols: number, index: Int32Array, n: number, upstream: Float32Array): Float32Array;
}

/** A kernel's output and its inputs' gradients (those it has), as float32. */
export interface NativeKernelResult {
  output: Float32Array;
  grads: Record<string, Float32Array>;
}

export interface NativeRngState {
  cpu: Buffer;
  cuda: Buffer[];
}

/** The package's root folder: the nearest one above this file whose package.json names albert-trainer. */
export function packageRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      if ((JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'albert-trainer') {
        return dir;
      }
    } catch {
      // no package.json here: keep going up
    }
    if (path.dirname(dir) === dir) return path.resolve(__dirname, '..');
  }
}

let binding: NativeBinding | undefined;

/** Where the addon comes from: a prebuilt one shipped in the package, one built from source, or $ALBERT_TRAINER_ADDON. */
export interface AddonSource {
  kind: 'prebuilt' | 'source' | 'ALBERT_TRAINER_ADDON';
  file: string;
}

/** True when this copy is a dependency installed under node_modules (not a checkout of the repository). */
function installedAsDependency(root: string): boolean {
  return root.split(path.sep).includes('node_modules');
}

/** The one command that sets the addon up, for messages. */
function setupCommand(root: string): string {
  return installedAsDependency(root) ? '`npx albert-train setup` (in your project\'s folder)' : '`npm install` in the albert-trainer folder';
}

function notSetUp(root: string, detail: string): AlbertTrainerError {
  return new AlbertTrainerError(
    'ERR_ADDON_LOAD',
    `albert-trainer's native addon is not set up: ${detail}.\n` +
      (installedAsDependency(root)
        ? '  Package managers that skip install scripts (pnpm by default, `npm install --ignore-scripts`) leave it so.\n'
        : '') +
      `  Set it up with ${setupCommand(root)}: it installs libtorch (torch 2.13.0+cpu, once per machine) ` +
      'and uses the prebuilt addon, or builds one from source.',
  );
}

/** Which addon file native() loads; an ERR_ADDON_LOAD naming the set-up command when there is none. Loads nothing. */
export function addonSource(): AddonSource {
  const fromEnv = process.env.ALBERT_TRAINER_ADDON;
  if (fromEnv) return { kind: 'ALBERT_TRAINER_ADDON', file: fromEnv };
  const root = packageRoot();
  let file: string;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    file = (require('node-gyp-build') as { path(dir: string): string }).path(root);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw notSetUp(root, `no addon was built here and no prebuilt one fits (${reason})`);
  }
  const kind = path.relative(root, file).split(path.sep)[0] === 'prebuilds' ? 'prebuilt' : 'source';
  if (kind === 'prebuilt' && !fs.existsSync(path.join(root, 'build', 'torch', 'lib'))) {
    const link = path.join(root, 'build', 'torch');
    let target: string | null = null;
    try {
      target = fs.readlinkSync(link);
    } catch {
      // no link: set-up never ran
    }
    throw notSetUp(root, target === null ? 'libtorch was never installed for it' : `the libtorch it was set up with is gone (${link} -> ${target})`);
  }
  return { kind, file };
}

/** Loads the addon once; a failed load says what to do about it. */
export function native(): NativeBinding {
  if (binding) return binding;
  const { file } = addonSource();
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    binding = require(file) as NativeBinding;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const root = packageRoot();
    throw new AlbertTrainerError(
      'ERR_ADDON_LOAD',
      `albert-trainer could not load its native addon (${file}).\n` +
        `  ${reason}\n` +
        'Possible solutions:\n' +
        `- Set it up again: ${setupCommand(root)}; if libtorch moved or was removed since, this finds or installs it anew.\n` +
        '- To use an existing libtorch: set TORCH_PY=/path/to/python or LIBTORCH=/path/to/libtorch for that command.',
    );
  }
  return binding;
}

/**
 * Runs a native call and gives any error it throws or rejects with the JS caller's stack
 * (captured before the call, as sharp does), so a native failure points at user code.
 */
export async function callNative<T>(call: () => Promise<T> | T): Promise<T> {
  const caller: { stack?: string } = {};
  Error.captureStackTrace(caller, callNative);
  try {
    return await call();
  } catch (error) {
    throw withCallerStack(error, caller.stack);
  }
}

/** The synchronous form of callNative. */
export function callNativeSync<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    const caller: { stack?: string } = {};
    Error.captureStackTrace(caller, callNativeSync);
    throw withCallerStack(error, caller.stack);
  }
}

function withCallerStack(error: unknown, stack: string | undefined): unknown {
  if (error instanceof AlbertTrainerError) return error;
  // The addon's errors come from Node's main realm: `instanceof Error` is false inside a vm
  // context (jest), so recognise them by shape.
  if (!types.isNativeError(error) && !(error instanceof Error)) return error;
  const code = (error as Error & { code?: string }).code;
  const wrapped = new AlbertTrainerError(isErrorCode(code) ? code : 'ERR_NATIVE', error.message);
  if (stack) wrapped.stack = `${wrapped.name} [${wrapped.code}]: ${error.message}\n${stack.split('\n').slice(1).join('\n')}`;
  return wrapped;
}
