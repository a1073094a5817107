// The training hyperparameters: HF TrainingArguments' meanings under camelCase names, with
// the reference run's values as defaults (shared/DESIGN.md: lr 4e-5, batch 16/16, seed 42,
// Adam (0.9, 0.999, 1e-8), cosine with warmup ratio 0.2, 5 epochs, AMP).
import { isNonNegativeSafeInteger, isPositiveSafeInteger } from '../checks';
import { invalidArgument } from '../errors';
import type { NativeAmp } from '../native';
import { SCHEDULER_TYPES, type SchedulerType } from './schedule';

export type EvalStrategy = 'epoch' | 'steps' | 'no';
export type SaveStrategy = 'epoch' | 'steps' | 'no';
export type BestModelMetric = 'accuracy' | 'macro_f1' | 'loss';

export interface TrainingArguments {
  learningRate: number;
  perDeviceTrainBatchSize: number;
  perDeviceEvalBatchSize: number;
  numTrainEpochs: number;
  /** > 0 overrides numTrainEpochs, as in HF. */
  maxSteps: number;
  seed: number;
  adamBeta1: number;
  adamBeta2: number;
  adamEpsilon: number;
  weightDecay: number;
  lrSchedulerType: SchedulerType;
  warmupRatio: number;
  /** > 0 overrides warmupRatio. */
  warmupSteps: number;
  maxGradNorm: number;
  /**
   * Autocast precision. The API's default is 'off' (fp32), HF TrainingArguments' own (fp16=False,
   * bf16=False): a program keeps the precision it asked for on any machine, and runs ported from
   * HF train as they did. The CLI's --amp auto (info.ts chooseDeviceAndAmp: fp16 on CUDA, bf16 on
   * a CPU that has it) picks the fastest the device has, and prints what it picked.
   */
  amp: NativeAmp;
  maxSeqLength: number;
  evalStrategy: EvalStrategy;
  evalSteps: number;
  loggingSteps: number;
  /** When checkpoint-<step>/ folders are written (only where the run has a checkpoint folder). */
  saveStrategy: SaveStrategy;
  saveSteps: number;
  /** Keep the newest N checkpoints; 0 keeps all (HF: None). */
  saveTotalLimit: number;
  /** Stop after this many evaluations without improvement of metricForBestModel; 0: never (HF's EarlyStoppingCallback). */
  earlyStoppingPatience: number;
  /** How much better than the best an evaluation must be to count as an improvement. */
  earlyStoppingThreshold: number;
  loadBestModelAtEnd: boolean;
  metricForBestModel: BestModelMetric;
  groupByLength: boolean;
  shuffle: boolean;
  /** Restore the best state and halve the LR when training collapses (ts/train/collapse-guard.ts). */
  collapseGuard: boolean;
  /** On CUDA, replay each training and evaluation step as a CUDA graph (TrainingSessionOptions.cudaGraphs); no effect on the CPU. */
  cudaGraphs: boolean;
  /**
   * Where logs go beside stdout (HF's report_to after its __post_init__: a list; "all" is every
   * integration this build has, "none" is []). HF 5.18's default is "none". The TensorBoard
   * folder is not a TrainingArguments field in HF 5.18 ($TENSORBOARD_LOGGING_DIR): see ts/report/tensorboard.ts.
   */
  reportTo: Array<'tensorboard'>;
  /**
   * What else the run was, for training_args.json, so that an output folder can be rerun: the CLI
   * writes every flag there under HF's names (model_name_or_path, init, dataset_name,
   * config_overrides, ...) and the command line (ts/cli/run-arguments.ts). Written after the
   * hyperparameters, which it cannot override; never part of a run's identity (resume, data-parallel).
   */
  run?: Record<string, unknown>;
}

export const DEFAULT_TRAINING_ARGUMENTS: TrainingArguments = {
  learningRate: 4e-5,
  perDeviceTrainBatchSize: 16,
  perDeviceEvalBatchSize: 16,
  numTrainEpochs: 5,
  maxSteps: -1,
  seed: 42,
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  adamEpsilon: 1e-8,
  weightDecay: 0,
  lrSchedulerType: 'cosine',
  warmupRatio: 0.2,
  warmupSteps: 0,
  maxGradNorm: 1.0,
  amp: 'off',
  maxSeqLength: 128,
  evalStrategy: 'epoch',
  evalSteps: 500,
  loggingSteps: 50,
  saveStrategy: 'epoch',
  saveSteps: 500,
  saveTotalLimit: 0,
  earlyStoppingPatience: 0,
  earlyStoppingThreshold: 0,
  loadBestModelAtEnd: true,
  metricForBestModel: 'accuracy',
  groupByLength: false,
  shuffle: true,
  collapseGuard: true,
  cudaGraphs: true,
  reportTo: [],
};

const positiveInteger = isPositiveSafeInteger;
const nonNegativeInteger = isNonNegativeSafeInteger;
const unit = (v: number) => v >= 0 && v < 1;

const NUMBER_RULES: Array<[keyof TrainingArguments, (v: number) => boolean, string]> = [
  ['learningRate', (v) => v >= 0, 'non-negative number'],
  ['perDeviceTrainBatchSize', positiveInteger, 'positive integer'],
  ['perDeviceEvalBatchSize', positiveInteger, 'positive integer'],
  ['numTrainEpochs', (v) => v > 0, 'positive number'],
  ['maxSteps', (v) => Number.isInteger(v) && v >= -1 && v !== 0, 'positive integer (or -1 for none)'],
  ['seed', nonNegativeInteger, 'non-negative integer'],
  ['adamBeta1', unit, 'number in [0, 1)'],
  ['adamBeta2', unit, 'number in [0, 1)'],
  ['adamEpsilon', (v) => v > 0, 'positive number'],
  ['weightDecay', (v) => v >= 0, 'non-negative number'],
  ['warmupRatio', (v) => v >= 0 && v <= 1, 'number in [0, 1]'],
  ['warmupSteps', nonNegativeInteger, 'non-negative integer'],
  ['maxGradNorm', (v) => v >= 0, 'non-negative number'],
  ['maxSeqLength', (v) => Number.isInteger(v) && v >= 3, 'integer >= 3 ([CLS], one token, [SEP])'],
  ['evalSteps', positiveInteger, 'positive integer'],
  ['loggingSteps', positiveInteger, 'positive integer'],
  ['saveSteps', positiveInteger, 'positive integer'],
  ['saveTotalLimit', nonNegativeInteger, 'non-negative integer (0 keeps all)'],
  ['earlyStoppingPatience', nonNegativeInteger, 'non-negative integer (0 turns early stopping off)'],
  ['earlyStoppingThreshold', (v) => v >= 0, 'non-negative number'],
];

/** Defaults + overrides, each checked; errors name the argument as sharp does. */
export function trainingArguments(overrides: Partial<TrainingArguments> = {}): TrainingArguments {
  const args = { ...DEFAULT_TRAINING_ARGUMENTS, ...overrides };
  for (const [name, ok, expected] of NUMBER_RULES) {
    const value = args[name] as unknown;
    if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) throw invalidArgument(expected, name, value);
  }
  const oneOf = <T>(name: keyof TrainingArguments, allowed: readonly T[]) => {
    if (!allowed.includes(args[name] as T)) throw invalidArgument(`one of ${allowed.join(', ')}`, name, args[name]);
  };
  oneOf('lrSchedulerType', SCHEDULER_TYPES);
  oneOf('amp', ['off', 'bf16', 'fp16']);
  oneOf('evalStrategy', ['epoch', 'steps', 'no']);
  oneOf('saveStrategy', ['epoch', 'steps', 'no']);
  oneOf('metricForBestModel', ['accuracy', 'macro_f1', 'loss']);
  if (!Array.isArray(args.reportTo) || args.reportTo.some((r) => r !== 'tensorboard')) throw invalidArgument('list of tensorboard (or empty)', 'reportTo', args.reportTo);
  if (args.run !== undefined && (args.run === null || typeof args.run !== 'object' || Array.isArray(args.run))) throw invalidArgument('an object', 'run', args.run);
  for (const name of ['loadBestModelAtEnd', 'groupByLength', 'shuffle', 'collapseGuard', 'cudaGraphs'] as const) {
    if (typeof args[name] !== 'boolean') throw invalidArgument('boolean', name, args[name]);
  }
  return args;
}

/** The same values under HF TrainingArguments' names, for training_args.json and the model card. */
export function toHfTrainingArguments(args: TrainingArguments): Record<string, unknown> {
  const hf: Record<string, unknown> = {
    learning_rate: args.learningRate,
    per_device_train_batch_size: args.perDeviceTrainBatchSize,
    per_device_eval_batch_size: args.perDeviceEvalBatchSize,
    num_train_epochs: args.numTrainEpochs,
    max_steps: args.maxSteps,
    seed: args.seed,
    adam_beta1: args.adamBeta1,
    adam_beta2: args.adamBeta2,
    adam_epsilon: args.adamEpsilon,
    weight_decay: args.weightDecay,
    lr_scheduler_type: args.lrSchedulerType,
    warmup_ratio: args.warmupRatio,
    warmup_steps: args.warmupSteps,
    max_grad_norm: args.maxGradNorm,
    amp: args.amp,
    max_seq_length: args.maxSeqLength,
    eval_strategy: args.evalStrategy,
    eval_steps: args.evalSteps,
    logging_steps: args.loggingSteps,
    save_strategy: args.saveStrategy,
    save_steps: args.saveSteps,
    save_total_limit: args.saveTotalLimit > 0 ? args.saveTotalLimit : null,
    early_stopping_patience: args.earlyStoppingPatience,
    early_stopping_threshold: args.earlyStoppingThreshold,
    load_best_model_at_end: args.loadBestModelAtEnd,
    metric_for_best_model: args.metricForBestModel,
    group_by_length: args.groupByLength,
    shuffle: args.shuffle,
    collapse_guard: args.collapseGuard,
    cuda_graphs: args.cudaGraphs,
    report_to: [...args.reportTo],
  };
  // The run's other arguments (the CLI's flags, the command line) after, never in place of, these.
  for (const [key, value] of Object.entries(args.run ?? {})) if (!(key in hf)) hf[key] = value;
  return hf;
}
