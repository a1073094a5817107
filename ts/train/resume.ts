// Resuming a run from a checkpoint folder, in two halves. readResumePoint reads and checks
// everything (the files, the run's identity against this run's plan, the loop state, the RNG
// state) before anything changes, with no model: the addon is not needed for it. restoreResumePoint
// then loads it into the model, the session and the guard.
import * as path from 'path';
import { AlbertTrainerError } from '../errors';
import type { AlbertForSequenceClassification } from '../model/albert';
import { type RngState, rngStateFromJson, setRngState } from '../random';
import type { TrainingSession } from '../training-session';
import type { TrainingArguments } from './arguments';
import type { BestStateFiles } from './best-state';
import { CHECKPOINT_FILES, type LoadedCheckpoint, readCheckpoint, rngStateFile } from './checkpoint';
import type { CollapseGuard } from './collapse-guard';
import { type ResumeState, parseResumeState } from './resume-state';
import type { RunPlan } from './run-plan';
import type { TrainEvent } from './train-types';

/** A checked checkpoint to continue from. */
export interface ResumePoint {
  checkpoint: LoadedCheckpoint;
  resumed: ResumeState;
  /** This rank's RNG state, and the file it came from. */
  rngState: RngState;
  rngFile: string;
}

/** Reads `dir` as a checkpoint of the run `plan` describes (this rank's files); every misfit is an ERR_CHECKPOINT naming its file and field. */
export async function readResumePoint(dir: string, plan: Pick<RunPlan, 'rank' | 'identity'>): Promise<ResumePoint> {
  const checkpoint = await readCheckpoint(dir, plan.rank);
  const resumed = parseResumeState(checkpoint.resumeState, path.join(checkpoint.dir, CHECKPOINT_FILES.resume), plan.identity);
  const rngFile = path.join(checkpoint.dir, rngStateFile(plan.rank));
  return { checkpoint, resumed, rngState: rngStateFromJson(checkpoint.rngState, rngFile), rngFile };
}

/** A checkpoint written where early stopping's patience ran out resumes to a stop, as HF's saved stop flag does. */
export function patienceRanOut(point: ResumePoint | undefined, args: Pick<TrainingArguments, 'earlyStoppingPatience'>): boolean {
  return point !== undefined && args.earlyStoppingPatience > 0 && point.resumed.state.evaluationsWithoutImprovement >= args.earlyStoppingPatience;
}

export interface RestoreTargets {
  model: AlbertForSequenceClassification;
  session: TrainingSession;
  best: BestStateFiles;
  guard?: CollapseGuard;
  emit(event: TrainEvent): void;
}

/**
 * Loads the RNG state, the optimizer and scaler, the weights and the best evaluation's files.
 * Each load checks everything before it changes anything, and the model's weights go last, so
 * a checkpoint that does not fit leaves the caller's model as it was (the RNG state set first is
 * reseeded by the next run anyway).
 */
export async function restoreResumePoint(point: ResumePoint, targets: RestoreTargets): Promise<void> {
  const { checkpoint, resumed, rngState, rngFile } = point;
  const cudaStatesSet = inCheckpoint(rngFile, () => setRngState(rngState));
  if (cudaStatesSet !== rngState.cuda.length) {
    targets.emit({ type: 'warning', message: `${rngFile}: holds ${rngState.cuda.length} CUDA generator states, ` +
      `this machine uses ${cudaStatesSet}; the resumed run's dropout on the other devices will differ from an uninterrupted one` });
  }
  await targets.session.loadState(checkpoint.optimizerFile).catch((error: Error) => rethrowMisfit(error, checkpoint.optimizerFile, checkpoint.dir));
  await targets.model.loadWeights(checkpoint.weightsFile).catch((error: Error) => rethrowMisfit(error, checkpoint.weightsFile, checkpoint.dir));
  const state = resumed.state;
  if (resumed.hasBestFiles && state.best) targets.best.takeFrom(checkpoint.dir, state.best.step);
  if (targets.guard && state.guard) targets.guard.restore(state.guard);
}

/** Runs `load`, turning its error into an ERR_CHECKPOINT that names `file` when it does not already. */
function inCheckpoint<T>(file: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    const message = (error as Error).message;
    throw new AlbertTrainerError('ERR_CHECKPOINT', message.includes(file) ? message : `${file}: ${message}`);
  }
}

/** A weights or optimizer file that does not fit the model (keys, shapes) suggests another config; other errors pass as they are. */
function rethrowMisfit(error: Error, file: string, checkpointDir: string): never {
  if ((error as Error & { code?: string }).code !== 'ERR_CHECKPOINT') throw error;
  const message = error.message.includes(file) ? error.message : `${file}: ${error.message}`;
  throw new AlbertTrainerError('ERR_CHECKPOINT', `${message}; is ${checkpointDir} a checkpoint of another model config?`);
}
