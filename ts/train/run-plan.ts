// The run plan: what train() works out before it touches the model. Checks the input, counts
// the steps as HF's Trainer does, and fixes the schedule and the run's identity (what a resume
// must match). Pure: no addon needed.
//
// Step counting follows HF's Trainer (no gradient accumulation): steps per epoch =
// ceil(examples / batch), with examples = ceil(examples / ranks) when data-parallel; total =
// maxSteps if > 0, else ceil(epochs x steps per epoch); the fractional epoch logged at global
// step g is g / steps per epoch.
import { AlbertTrainerError } from '../errors';
import type { TrainingArguments } from './arguments';
import { type RunIdentity, runIdentity } from './resume-state';
import type { ScheduleOptions } from './schedule';
import type { TrainInput } from './train-types';

export interface RunPlan {
  /** Data-parallel ranks (1 alone) and this process's rank. */
  world: number;
  rank: number;
  /** This rank's share of each epoch's order (BatchIterator's numReplicas/rank). */
  shards: { numReplicas: number; rank: number };
  stepsPerEpoch: number;
  totalSteps: number;
  /** Epochs started (the last may be partial with maxSteps). */
  epochs: number;
  scheduleOptions: ScheduleOptions;
  identity: RunIdentity;
  /** Whether evaluations run (evalStrategy is not 'no'). */
  evaluates: boolean;
}

/** Checks `input` and plans the run; errors name what is wrong before anything is loaded. */
export function planRun(input: Pick<TrainInput, 'train' | 'eval' | 'args'> & { processGroup?: { worldSize: number; rank: number } }): RunPlan {
  const { args } = input;
  if (input.train.length === 0) throw new AlbertTrainerError('ERR_INPUT', 'the training set is empty');
  const evaluates = args.evalStrategy !== 'no';
  if (evaluates && (!input.eval || input.eval.length === 0)) {
    throw new AlbertTrainerError('ERR_INPUT', `eval strategy "${args.evalStrategy}" needs an evaluation set`);
  }
  if (args.earlyStoppingPatience > 0 && !evaluates) {
    throw new AlbertTrainerError('ERR_ARGUMENT', 'earlyStoppingPatience needs evaluations (evalStrategy epoch or steps)');
  }
  const world = input.processGroup?.worldSize ?? 1;
  const rank = input.processGroup?.rank ?? 0;
  const stepsPerEpoch = Math.ceil(Math.ceil(input.train.length / world) / args.perDeviceTrainBatchSize);
  const totalSteps = args.maxSteps > 0 ? args.maxSteps : Math.ceil(args.numTrainEpochs * stepsPerEpoch);
  return {
    world, rank, shards: { numReplicas: world, rank }, stepsPerEpoch, totalSteps,
    epochs: Math.ceil(totalSteps / stepsPerEpoch),
    scheduleOptions: scheduleOptionsOf(args, totalSteps),
    identity: runIdentity(args, input.train.length, totalSteps, world),
    evaluates,
  };
}

function scheduleOptionsOf(args: TrainingArguments, totalSteps: number): ScheduleOptions {
  return {
    type: args.lrSchedulerType,
    baseLr: args.learningRate,
    totalSteps,
    ...(args.warmupSteps > 0 ? { warmupSteps: args.warmupSteps } : { warmupRatio: args.warmupRatio }),
  };
}
