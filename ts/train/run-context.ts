// What the parts of train() share while a run goes on: the input and plan, the loop state (what
// a checkpoint saves), the result being built, the model and its session, the guard, the best
// evaluation's files, the schedule (the guard's roll-back replaces it) and the event stream.
// run-plan.ts plans, resume.ts restores, checkpointing.ts saves, evaluation-tracker.ts evaluates
// and rolls back, step-loop.ts steps; loop.ts (train) builds this context and ends the run.
import type { ProcessGroup } from '../distributed/process-group';
import type { AlbertForSequenceClassification } from '../model/albert';
import type { TrainingSession } from '../training-session';
import type { TrainingArguments } from './arguments';
import type { BestStateFiles } from './best-state';
import type { CollapseGuard } from './collapse-guard';
import type { LoopState } from './resume-state';
import type { RunPlan } from './run-plan';
import type { LearningRateSchedule } from './schedule';
import type { BestEvaluation, EvalLogEntry, TrainEvent, TrainInput, TrainResult } from './train-types';

export interface RunContext {
  readonly input: TrainInput;
  readonly args: TrainingArguments;
  readonly plan: RunPlan;
  readonly state: LoopState;
  readonly result: TrainResult;
  readonly model: AlbertForSequenceClassification;
  readonly session: TrainingSession;
  readonly group?: ProcessGroup;
  readonly guard?: CollapseGuard;
  /** Whether the best evaluation's state is kept (loadBestModelAtEnd, or the guard's roll-back). */
  readonly keepsBest: boolean;
  readonly best: BestStateFiles;
  /** The learning rates; the guard's roll-back replaces it with a halved one. */
  schedule: LearningRateSchedule;
  emit(event: TrainEvent): void;
  /** Runs a write of state to disk, adding its seconds to result.checkpointSeconds. */
  timedWrite(write: () => Promise<void>): Promise<void>;
}

/** The best evaluation's log entry under TrainResult's names. */
export function bestEvaluationOf(entry: EvalLogEntry): BestEvaluation {
  return { step: entry.step, epoch: entry.epoch, loss: entry.eval_loss, accuracy: entry.eval_accuracy, macroF1: entry.eval_macro_f1, examples: entry.eval_samples };
}

/** Copies what the result reports of the loop state (the step, the best evaluation and its checkpoint). */
export function syncResult(context: RunContext): void {
  const { result, state } = context;
  result.globalStep = state.globalStep;
  result.best = state.best ? bestEvaluationOf(state.best) : undefined;
  result.bestModelCheckpoint = state.bestModelCheckpoint;
}

/** Seconds since `start` (process.hrtime.bigint()). */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}
