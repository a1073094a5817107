// TrainingSession: one whole optimization step per native call (autocast forward, loss, backward,
// loss-scale check, clipping, AdamW), with its optimizer state saved and restored for
// exact resume. The epoch loop, schedules and evaluation build on it (ts/train/).
import { AlbertTrainerError, invalidArgument } from './errors';
import { type AlbertForSequenceClassification, resolveAmp } from './model/albert';
import { type Batch, validateBatch } from './model/batch';
import type { ForwardResult } from './model/albert';
import { ProcessGroup } from './distributed/process-group';
import { callNative, callNativeSync, native, type NativeAmp, type NativeTrainer } from './native';

export interface OptimizerOptions {
  /** Adam betas. Default [0.9, 0.999]. */
  betas?: [number, number];
  /** Default 1e-8. */
  eps?: number;
  /** Decoupled weight decay; biases and LayerNorm parameters never decay (HF Trainer's groups). Default 0. */
  weightDecay?: number;
}

export interface LossScaleOptions {
  /** Default 65536 (torch GradScaler). */
  init?: number;
  /** Default 2. */
  growthFactor?: number;
  /** Default 0.5. */
  backoffFactor?: number;
  /** Good steps before growing. Default 2000. */
  growthInterval?: number;
}

export interface TrainingSessionOptions {
  optimizer?: OptimizerOptions;
  /** Global gradient-norm clipping; 0 turns it off. Default 1.0. */
  maxGradNorm?: number;
  /** 'off' (default), 'bf16' (autocast), or 'fp16' (autocast with dynamic loss scaling). */
  amp?: NativeAmp;
  /** fp16 loss scaling; ignored otherwise. */
  lossScale?: LossScaleOptions;
  /**
   * CUDA only (default true there): the whole step (forward, backward, clipping, AdamW) is
   * captured as a CUDA graph per (batch size, length) bucket and replayed, and so is evalStep
   * on labelled batches (forward and loss). On CUDA, lengths are padded to multiples of 16
   * either way (masked: the results do not change). The first batch of a bucket runs eagerly,
   * the second is captured; the trajectory is the eager one. false runs every step eagerly.
   * true on a CPU model is an error.
   */
  cudaGraphs?: boolean;
}

export interface StepResult {
  /** This batch's loss (unscaled). */
  loss: number;
  /** Global L2 gradient norm before clipping; not finite when fp16 overflowed. */
  gradNorm: number;
  /** True when fp16 gradients overflowed and the update was skipped. */
  skipped: boolean;
  /** The loss scale after this step (1 without fp16). */
  lossScale: number;
  /** Data-parallel: some rank asked to stop after this step (every rank gets the same answer); else `stopRequested`. */
  stop: boolean;
}

function finiteNumber(value: unknown, name: string, check: (v: number) => boolean, expected: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !check(value)) throw invalidArgument(expected, name, value);
  return value;
}

export class TrainingSession {
  readonly model: AlbertForSequenceClassification;
  readonly amp: NativeAmp;
  /** Whether steps are replayed as CUDA graphs (TrainingSessionOptions.cudaGraphs). */
  readonly cudaGraphs: boolean;
  private readonly native: NativeTrainer;

  constructor(model: AlbertForSequenceClassification, options: TrainingSessionOptions = {}) {
    if (model === null || typeof model !== 'object' || !('native' in model)) {
      throw invalidArgument('an AlbertForSequenceClassification', 'model', model);
    }
    const betas = options.optimizer?.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2) throw invalidArgument('two numbers in [0, 1)', 'optimizer.betas', betas);
    const inUnit = (v: number) => v >= 0 && v < 1;
    const beta1 = finiteNumber(betas[0], 'optimizer.betas[0]', inUnit, 'number in [0, 1)');
    const beta2 = finiteNumber(betas[1], 'optimizer.betas[1]', inUnit, 'number in [0, 1)');
    const eps = finiteNumber(options.optimizer?.eps ?? 1e-8, 'optimizer.eps', (v) => v > 0, 'positive number');
    const weightDecay = finiteNumber(options.optimizer?.weightDecay ?? 0, 'optimizer.weightDecay', (v) => v >= 0, 'non-negative number');
    const maxGradNorm = finiteNumber(options.maxGradNorm ?? 1.0, 'maxGradNorm', (v) => v >= 0, 'non-negative number');
    const scale = options.lossScale ?? {};
    const lossScale = {
      init: finiteNumber(scale.init ?? 65536, 'lossScale.init', (v) => v > 0, 'positive number'),
      growthFactor: finiteNumber(scale.growthFactor ?? 2, 'lossScale.growthFactor', (v) => v > 1, 'number > 1'),
      backoffFactor: finiteNumber(scale.backoffFactor ?? 0.5, 'lossScale.backoffFactor', (v) => v > 0 && v < 1, 'number in (0, 1)'),
      growthInterval: finiteNumber(scale.growthInterval ?? 2000, 'lossScale.growthInterval', (v) => Number.isInteger(v) && v > 0, 'positive integer'),
    };
    if (options.cudaGraphs !== undefined && typeof options.cudaGraphs !== 'boolean') throw invalidArgument('a boolean', 'cudaGraphs', options.cudaGraphs);
    if (options.cudaGraphs && model.device !== 'cuda') {
      throw new AlbertTrainerError('ERR_ARGUMENT', `cudaGraphs needs a model on CUDA; this one is on ${model.device}`);
    }
    this.model = model;
    this.amp = resolveAmp(options.amp);
    this.cudaGraphs = options.cudaGraphs ?? model.device === 'cuda';
    const { Trainer: NativeTrainerClass } = native();
    this.native = callNativeSync(
      () =>
        new NativeTrainerClass(model.native, {
          beta1, beta2, eps, weightDecay, maxGradNorm, amp: this.amp, lossScale, cudaGraphs: this.cudaGraphs,
        }),
    );
  }

  /**
   * One optimization step on `batch` with learning rate `lr`. Data-parallel (after
   * attachProcessGroup): the gradients are averaged over the ranks, `loss` is their mean, and
   * `stopRequested` from any rank comes back as `stop` on every rank.
   */
  async step(batch: Batch, lr: number, options: { stopRequested?: boolean } = {}): Promise<StepResult> {
    this.assertUsable();
    finiteNumber(lr, 'lr', (v) => v >= 0, 'non-negative number');
    const checked = validateBatch(batch, this.model.config, true);
    return callNative(() => this.native.step(checked, lr, options.stopRequested ?? false));
  }

  /**
   * Trains data-parallel from the next step on (PyTorch DDP's reducer, from libtorch): rank 0's
   * weights are broadcast to every rank, and every step's gradients are averaged across the
   * ranks in buckets while backward runs. Every rank must call it, with the same model config.
   */
  async attachProcessGroup(group: ProcessGroup): Promise<void> {
    this.assertUsable();
    if (!(group instanceof ProcessGroup)) throw invalidArgument('a ProcessGroup', 'group', group);
    return callNative(() => this.native.attachProcessGroup(group.native));
  }

  /** Eval-mode forward under the trainer's AMP setting (a replayed CUDA graph with cudaGraphs, when the batch has labels). */
  async evalStep(batch: Batch): Promise<ForwardResult> {
    this.assertUsable();
    const checked = validateBatch(batch, this.model.config);
    return callNative(() => this.native.evalStep(checked));
  }

  /** Train-mode forward and backward only; the gradients by HF parameter name (nothing is updated). */
  async computeGradients(batch: Batch): Promise<{ loss: number; gradients: Record<string, Float32Array> }> {
    this.assertUsable();
    const checked = validateBatch(batch, this.model.config, true);
    return callNative(() => this.native.computeGradients(checked));
  }

  /** Saves the AdamW moments and step counts and the loss-scaler state to one safetensors file (atomic). */
  async saveState(file: string): Promise<void> {
    this.assertUsable();
    if (typeof file !== 'string' || file.length === 0) throw invalidArgument('a file path', 'file', file);
    return callNative(() => this.native.saveState(file));
  }

  /** Restores what saveState wrote; a file for another model is an ERR_CHECKPOINT naming the key. */
  async loadState(file: string): Promise<void> {
    this.assertUsable();
    if (typeof file !== 'string' || file.length === 0) throw invalidArgument('a file path', 'file', file);
    return callNative(() => this.native.loadState(file));
  }

  /** Optimizer steps taken (skipped fp16 steps not counted). */
  get stepCount(): number {
    return callNativeSync(() => this.native.stepCount);
  }

  get lossScale(): number {
    return callNativeSync(() => this.native.lossScale);
  }

  /** CUDA graphs captured so far, one per (batch size, padded length) bucket of training steps and one per bucket of evalSteps; 0 without cudaGraphs. */
  get cudaGraphsCaptured(): number {
    return callNativeSync(() => this.native.cudaGraphsCaptured);
  }

  get disposed(): boolean {
    return this.native.disposed;
  }

  /** Frees the optimizer state. The model stays usable. */
  dispose(): void {
    callNativeSync(() => this.native.dispose());
  }

  private assertUsable(): void {
    if (this.native.disposed) throw new AlbertTrainerError('ERR_DISPOSED', 'this trainer was disposed');
    if (this.model.disposed) throw new AlbertTrainerError('ERR_DISPOSED', 'the trainer\'s model was disposed');
  }
}
