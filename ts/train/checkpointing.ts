// Saving checkpoints during a run: when one is due (HF's save strategies), what goes into it
// (this step's weights, optimizer, RNG and loop state; best/ when the best evaluation is older),
// and, data-parallel, the agreement that makes every rank record a checkpoint only once rank 0
// has written it (as HF's Trainer waits at dist.barrier() before it looks for the best one).
import * as fs from 'fs';
import * as path from 'path';
import type { ProcessGroup } from '../distributed/process-group';
import { AlbertTrainerError } from '../errors';
import { getRngState, rngStateToJson } from '../random';
import { toHfTrainingArguments } from './arguments';
import { CHECKPOINT_FILES, type CheckpointWriter, RESUME_STATE_FORMAT, checkpointPath, rotateCheckpoints, writeCheckpoint } from './checkpoint';
import { resumeStateToJson } from './resume-state';
import { type RunContext, syncResult } from './run-context';
import { hfTrainerState } from './trainer-state';
import type { CheckpointOptions } from './train-types';

/** The collectives a checkpoint needs from a data-parallel group. */
export type CheckpointCollective = Pick<ProcessGroup, 'rank' | 'allreduce' | 'allgatherJson'>;

export interface RankedCheckpoint {
  outputDir: string;
  step: number;
  /** Data-parallel: this rank's group; rank 0 writes, every rank waits for the outcome. */
  group?: CheckpointCollective;
  /** This rank's RNG state (JSON); rank 0 writes every rank's. */
  rngState: unknown;
  /** Rank 0: what to write besides the RNG states (called on rank 0 only). */
  contents: () => Omit<CheckpointWriter, 'rngStates'>;
  saveTotalLimit: number;
  /** Steps whose checkpoints save_total_limit must not delete. */
  keepSteps: number[];
}

/**
 * Writes checkpoint-<step>/ (rank 0) and returns its folder once it is complete on disk. Data-
 * parallel, every rank calls it and every rank returns only after rank 0's write (and its
 * rotation) finished; when rank 0's write failed, rank 0 rethrows its error and the other ranks
 * throw ERR_CHECKPOINT, so no rank records a checkpoint that is not there.
 */
export async function saveCheckpointOnRanks(checkpoint: RankedCheckpoint): Promise<string> {
  const { group, outputDir, step } = checkpoint;
  const rank = group?.rank ?? 0;
  const rngStates = group ? await group.allgatherJson(checkpoint.rngState) : [checkpoint.rngState];
  const dir = checkpointPath(outputDir, step);
  let failure: unknown;
  if (rank === 0) {
    try {
      await writeCheckpoint(outputDir, step, { ...checkpoint.contents(), rngStates });
      await rotateCheckpoints(outputDir, checkpoint.saveTotalLimit, checkpoint.keepSteps);
    } catch (error) {
      failure = error;
    }
  }
  if (group) {
    const [failed] = await group.allreduce([failure === undefined ? 0 : 1], 'max');
    if (failed > 0 && rank !== 0) throw new AlbertTrainerError('ERR_CHECKPOINT', `${dir}: rank 0 could not write this checkpoint; see rank 0's error`);
  }
  if (failure !== undefined) throw failure;
  return dir;
}

/** Saves the run's checkpoints; `lastSavedStep` is the step of the newest one (-1: none). */
export class Checkpointer {
  lastSavedStep = -1;

  constructor(private readonly context: RunContext) {}

  /** HF's DefaultFlowCallback: every saveSteps and at the last step ('steps'), or each epoch. */
  due(when: 'step' | 'epoch'): boolean {
    const { input, args, state, plan } = this.context;
    if (!input.checkpoints) return false;
    if (when === 'epoch') return args.saveStrategy === 'epoch';
    return args.saveStrategy === 'steps' && (state.globalStep % args.saveSteps === 0 || state.globalStep >= plan.totalSteps);
  }

  /** A resumed run's checkpoint is its newest. */
  resumedFrom(dir: string): void {
    this.lastSavedStep = this.context.state.globalStep;
    this.context.result.lastCheckpoint = dir;
  }

  /** Writes this step's checkpoint (timed into result.checkpointSeconds) and emits 'checkpoint'. */
  save(): Promise<void> {
    const context = this.context;
    const { args, state, result, model, session, guard, best, plan } = context;
    const checkpoints = context.input.checkpoints as CheckpointOptions;
    return context.timedWrite(async () => {
      state.lrMultipliers = [...context.schedule.multipliers];
      state.guard = guard?.snapshot() ?? null;
      // The step's own weights are the best evaluation's unless the guard rolled them back here.
      const bestIsHere = state.best?.step === state.globalStep && !state.guardEvents.some((g) => g.step === state.globalStep);
      // HF's _save_checkpoint: best_model_checkpoint follows the best step once its folder exists.
      const bestCheckpoint = state.best ? checkpointPath(checkpoints.dir, state.best.step) : null;
      if (bestCheckpoint && (bestIsHere || fs.existsSync(bestCheckpoint))) state.bestModelCheckpoint = bestCheckpoint;
      syncResult(context);
      const hasBestFiles = best.hasFiles;
      const dir = await saveCheckpointOnRanks({
        outputDir: checkpoints.dir, step: state.globalStep, group: context.group, rngState: rngStateToJson(getRngState()),
        saveTotalLimit: args.saveTotalLimit, keepSteps: [state.globalStep, ...(state.best ? [state.best.step] : [])],
        contents: () => ({
          writeNative: async (target) => {
            await model.savePretrained(target);
            await session.saveState(path.join(target, CHECKPOINT_FILES.optimizer));
            if (hasBestFiles && !bestIsHere) await best.copyInto(target);
          },
          resumeState: resumeStateToJson({ format: RESUME_STATE_FORMAT, run: plan.identity, hasBestFiles, state }),
          trainerState: hfTrainerState(args, result),
          trainingArgs: toHfTrainingArguments(args),
          ...(checkpoints.tokenizerDir ? { tokenizerDir: checkpoints.tokenizerDir } : {}),
        }),
      });
      this.lastSavedStep = state.globalStep;
      result.lastCheckpoint = dir;
      context.emit({ type: 'checkpoint', step: state.globalStep, dir, isBest: bestIsHere });
    });
  }
}
