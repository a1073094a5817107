// What train() takes, tells and returns: its input, the events it emits, the log entries it
// keeps (HF's log_history shapes), and its result.
import type { TokenizedExample } from '../data/batching';
import type { ProcessGroup } from '../distributed/process-group';
import type { AlbertForSequenceClassification } from '../model/albert';
import type { TrainingArguments } from './arguments';
import type { CollapseReason } from './collapse-guard';
import type { EvaluationResult } from './evaluate';
import type { EvalSpeed } from './speed-metrics';

export interface TrainLogEntry {
  step: number;
  epoch: number;
  loss: number; // mean training loss since the previous log
  learning_rate: number;
  grad_norm: number;
}

/** An evaluation, with its seconds and rates as HF's Trainer logs them (EvalSpeed). */
export interface EvalLogEntry extends EvalSpeed {
  step: number;
  epoch: number;
  eval_loss: number;
  eval_accuracy: number;
  eval_macro_f1: number;
  eval_samples: number;
  /** Mean training loss since the previous evaluation (the results table's "Training Loss"). */
  train_loss: number;
}

/** What the collapse guard did: rolled back to the best evaluation and scaled the LR. */
export interface GuardEntry {
  step: number;
  epoch: number;
  reason: CollapseReason;
  restored_step: number;
  restored_accuracy: number;
  lr_factor: number;
}

/** The last log entry of a finished run, as HF's Trainer appends it. */
export interface TrainSummaryEntry {
  step: number;
  epoch: number;
  /** Mean training loss over all steps of the run (a resumed run's included). */
  train_loss: number;
  train_runtime: number;
  train_samples_per_second: number;
  train_steps_per_second: number;
  total_flos: number;
}

export type LogEntry = TrainLogEntry | EvalLogEntry | GuardEntry | TrainSummaryEntry;

export type TrainEvent =
  | { type: 'step'; step: number; totalSteps: number; epoch: number; loss: number; learningRate: number; samplesPerSecond: number }
  | ({ type: 'guard' } & GuardEntry)
  | ({ type: 'log' } & TrainLogEntry)
  | ({ type: 'eval' } & EvalLogEntry)
  /** Something the run goes on with but the user should know (e.g. a resume on another machine). */
  | { type: 'warning'; message: string }
  /**
   * checkpoint-<step>/ is complete on disk (data-parallel: emitted on every rank once rank 0 has
   * written it). `isBest`: this step's weights are the best evaluation's.
   */
  | { type: 'checkpoint'; step: number; dir: string; isBest: boolean }
  /** The run is over (finished, early-stopped or interrupted); `stepsRun` counts this call's steps (a resumed run's excluded). */
  | { type: 'end'; step: number; totalSteps: number; stepsRun: number; interrupted: boolean; earlyStopped: boolean; bestModelCheckpoint: string | null };

/**
 * The best evaluation, under the names of EvaluationResult (TrainResult's style: camelCase; the
 * log entries in logHistory and evaluations keep HF's log_history keys).
 */
export interface BestEvaluation {
  step: number;
  epoch: number;
  loss: number;
  accuracy: number;
  macroF1: number;
  examples: number;
}

export interface TrainResult {
  globalStep: number;
  totalSteps: number;
  epochs: number;
  stepsPerEpoch: number;
  logHistory: LogEntry[];
  guardEvents: GuardEntry[];
  evaluations: EvalLogEntry[];
  best?: BestEvaluation;
  /**
   * HF's TrainerState.best_model_checkpoint: the checkpoint-<step>/ folder of the best evaluation,
   * set when a checkpoint is written and that folder exists (null: none written yet).
   */
  bestModelCheckpoint: string | null;
  /** The evaluation of the model as it is handed back (the best one with loadBestModelAtEnd). */
  final?: EvaluationResult;
  /** Seconds and throughput of this call (a resumed run counts from its resume). */
  trainSeconds: number;
  samplesPerSecond: number;
  /** Seconds spent writing checkpoints and the copy of the best evaluation's state (part of trainSeconds, but for the checkpoint an interrupted run writes after it). */
  checkpointSeconds: number;
  /** The step a resumed run started from (0: a fresh run). */
  resumedFromStep: number;
  /** Stopped by `shouldStop` (e.g. Ctrl-C) after a step; `lastCheckpoint` holds the state to resume from. */
  interrupted: boolean;
  /** Stopped by early stopping (earlyStoppingPatience evaluations without improvement). */
  earlyStopped: boolean;
  lastCheckpoint?: string;
}

export interface CheckpointOptions {
  /** Where checkpoint-<step>/ folders go (HF: the output directory). */
  dir: string;
  /** Copied into each checkpoint, as HF's Trainer saves the tokenizer with it. */
  tokenizerDir?: string;
}

export interface TrainInput {
  model: AlbertForSequenceClassification;
  train: readonly TokenizedExample[];
  eval?: readonly TokenizedExample[];
  padTokenId: number;
  args: TrainingArguments;
  onEvent?: (event: TrainEvent) => void;
  /** Without it, nothing is saved (args.saveStrategy is ignored) and the run cannot be resumed. */
  checkpoints?: CheckpointOptions;
  /** A checkpoint folder to continue from (see findCheckpoint for `last`). */
  resumeFromCheckpoint?: string;
  /**
   * Polled at every step: true stops the run after it, saving a checkpoint when `checkpoints` is
   * set. Data-parallel, a request on any rank stops every rank after the same step.
   */
  shouldStop?: () => boolean;
  /**
   * Data-parallel: this process's rank of a joined job (ts/distributed/process-group.ts). Every rank
   * calls train() with the same arguments and data; args.perDeviceTrainBatchSize is per rank.
   * Only rank 0 writes checkpoints; events are emitted on every rank.
   */
  processGroup?: ProcessGroup;
}
