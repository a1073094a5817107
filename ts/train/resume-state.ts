// resume_state.json: where the training loop stands, so that a resumed run continues with
// the same batches, learning rates, dropout masks (rng_state.json) and log as one that never
// stopped. The run's identity (data size, batch size, seed, order options, total steps) is
// stored too: resuming with other values would silently train on another order, so it is an
// error naming the field.
import { AlbertTrainerError } from '../errors';
import type { TrainingArguments } from './arguments';
import type { CollapseGuardState } from './collapse-guard';
import type { EvalLogEntry, GuardEntry, LogEntry } from './train-types';
import { RESUME_STATE_FORMAT } from './checkpoint';
import type { LrMultiplier } from './schedule';

/** The loop's mutable state between two steps (what resume_state.json carries). */
export interface LoopState {
  globalStep: number;
  /** Optimizer steps taken (fp16 skips not counted): the schedule's position. */
  scheduleStep: number;
  /** The epoch in progress, 0-based, and how many of its batches are done. */
  epoch: number;
  batchInEpoch: number;
  samples: number;
  /** Sum of all step losses (the run's train_loss at the end). */
  trainLossSum: number;
  logLossSum: number;
  logSteps: number;
  logGradNorm: number;
  evalLossSum: number;
  evalSteps: number;
  lrMultipliers: LrMultiplier[];
  guard: CollapseGuardState | null;
  /** Evaluations in a row without improvement (early stopping). */
  evaluationsWithoutImprovement: number;
  logHistory: LogEntry[];
  evaluations: EvalLogEntry[];
  guardEvents: GuardEntry[];
  best: EvalLogEntry | null;
  /**
   * HF's best_model_checkpoint: the checkpoint folder of the best evaluation, as of the last
   * checkpoint written (absent in older checkpoints: null).
   */
  bestModelCheckpoint: string | null;
}

/** What must be the same for a resume to continue the same run. */
export interface RunIdentity {
  train_examples: number;
  per_device_train_batch_size: number;
  total_steps: number;
  seed: number;
  shuffle: boolean;
  group_by_length: boolean;
  /** Which best-state files the checkpoints carry depends on these two. */
  load_best_model_at_end: boolean;
  collapse_guard: boolean;
  /** Data-parallel ranks (the data order and steps depend on it); absent in older checkpoints: 1. */
  world_size: number;
}

export function runIdentity(args: TrainingArguments, trainExamples: number, totalSteps: number, worldSize = 1): RunIdentity {
  return {
    train_examples: trainExamples, per_device_train_batch_size: args.perDeviceTrainBatchSize, total_steps: totalSteps,
    seed: args.seed, shuffle: args.shuffle, group_by_length: args.groupByLength,
    load_best_model_at_end: args.loadBestModelAtEnd, collapse_guard: args.collapseGuard, world_size: worldSize,
  };
}

export interface ResumeState {
  format: typeof RESUME_STATE_FORMAT;
  run: RunIdentity;
  /** Whether best/ (or this checkpoint's own files, when best.step is its step) hold the best weights. */
  hasBestFiles: boolean;
  state: LoopState;
}

// JSON has no NaN/Infinity: a logged value that is not finite (a NaN train_loss before any step)
// goes out as null and comes back as NaN.
export function resumeStateToJson(resume: ResumeState): unknown {
  return JSON.parse(JSON.stringify(resume, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value)));
}

const NUMBER_FIELDS: Array<keyof LoopState> = ['globalStep', 'scheduleStep', 'epoch', 'batchInEpoch', 'samples', 'trainLossSum', 'logLossSum', 'logSteps',
  'logGradNorm', 'evalLossSum', 'evalSteps', 'evaluationsWithoutImprovement'];

/** Checks a parsed resume_state.json against this run; every mismatch names the field. */
export function parseResumeState(value: Record<string, unknown>, file: string, expected: RunIdentity): ResumeState {
  const bad = (what: string) => new AlbertTrainerError('ERR_CHECKPOINT', `${file}: ${what}`);
  const run = value.run as Record<string, unknown> | undefined;
  const state = value.state as Record<string, unknown> | undefined;
  if (!run || typeof run !== 'object' || !state || typeof state !== 'object' || typeof value.hasBestFiles !== 'boolean') {
    throw bad('expected { format, run, hasBestFiles, state }');
  }
  run.world_size ??= 1; // written before data-parallel training existed
  // world_size first: a different number of processes explains a different total_steps
  const fields = (Object.entries(expected) as Array<[keyof RunIdentity, unknown]>).sort(([a], [b]) => Number(b === 'world_size') - Number(a === 'world_size'));
  for (const [key, want] of fields) {
    if (run[key] !== want) {
      if (key === 'world_size') {
        throw bad(`the checkpoint was written by a run of ${String(run[key])} process(es), this run has ${String(want)}; ` +
          'resume with the same --nnodes x --nproc-per-node (the data order and steps depend on it)');
      }
      throw bad(`the checkpoint was written by a run with ${key} ${JSON.stringify(run[key])}, this run has ${JSON.stringify(want)}; ` +
        'resume with the same data and arguments');
    }
  }
  for (const field of NUMBER_FIELDS) {
    const v = state[field];
    if (field === 'trainLossSum' || field === 'logLossSum' || field === 'evalLossSum' || field === 'logGradNorm') {
      if (v !== null && typeof v !== 'number') throw bad(`state.${field} must be a number`);
      if (v === null) state[field] = Number.NaN;
    } else if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw bad(`state.${field} must be a non-negative integer`);
    }
  }
  for (const field of ['lrMultipliers', 'logHistory', 'evaluations', 'guardEvents'] as const) {
    if (!Array.isArray(state[field])) throw bad(`state.${field} must be an array`);
  }
  (state.lrMultipliers as unknown[]).forEach((m, i) => {
    const { fromStep, factor } = (m ?? {}) as { fromStep?: unknown; factor?: unknown };
    if (typeof fromStep !== 'number' || !Number.isInteger(fromStep) || fromStep < 0 || typeof factor !== 'number' || !(factor > 0)) {
      throw bad(`state.lrMultipliers[${i}] must be { fromStep: integer >= 0, factor: number > 0 }`);
    }
  });
  const guard = state.guard as Record<string, unknown> | null;
  if (guard !== null && (typeof guard !== 'object' || typeof guard.healthy !== 'boolean' || typeof guard.recoveries !== 'number')) {
    throw bad('state.guard must be null or { bestLoggedLoss, healthy, recoveries }');
  }
  const best = state.best as EvalLogEntry | null;
  if (best !== null && (typeof best !== 'object' || typeof best.step !== 'number' || typeof best.eval_accuracy !== 'number')) {
    throw bad('state.best must be null or an evaluation entry');
  }
  state.bestModelCheckpoint ??= null; // written before it was kept
  if (state.bestModelCheckpoint !== null && typeof state.bestModelCheckpoint !== 'string') throw bad('state.bestModelCheckpoint must be null or a folder path');
  const loop = state as unknown as LoopState;
  if (loop.globalStep > expected.total_steps) throw bad(`state.globalStep ${loop.globalStep} is past the run's ${expected.total_steps} steps`);
  // Log entries: NaN back where JSON had null.
  for (const entry of [...loop.evaluations, ...(best ? [best] : [])]) if (entry.train_loss === null) entry.train_loss = Number.NaN;
  return { format: RESUME_STATE_FORMAT, run: run as unknown as RunIdentity, hasBestFiles: value.hasBestFiles, state: loop };
}

/** The state of a run that has not taken a step. */
export function freshState(): LoopState {
  return {
    globalStep: 0, scheduleStep: 0, epoch: 0, batchInEpoch: 0, samples: 0, trainLossSum: 0, logLossSum: 0, logSteps: 0, logGradNorm: 0,
    evalLossSum: 0, evalSteps: 0, lrMultipliers: [], guard: null, evaluationsWithoutImprovement: 0, logHistory: [],
    evaluations: [], guardEvents: [], best: null, bestModelCheckpoint: null,
  };
}
