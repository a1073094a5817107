// The loop itself: epochs of shuffled, padded batches -> one native step each, the learning rate
// from HF's schedule, logging every loggingSteps, evaluation per evalStrategy, checkpoints per
// saveStrategy, early stopping, and stopping on request. A skipped fp16 step does not advance the
// schedule (HF: optimizer_step_was_skipped).
//
// Data-parallel, every rank runs this same loop on its shard of each epoch's order
// (DistributedSampler's); the native step averages the gradients and the loss across ranks, so
// every decision here (logging, the guard, early stopping, stopping on request) sees the same
// numbers on every rank.
import { BatchIterator, type TokenizedExample } from '../data/batching';
import { AlbertTrainerError } from '../errors';
import type { Checkpointer } from './checkpointing';
import type { EvaluationTracker } from './evaluation-tracker';
import { type RunContext, secondsSince } from './run-context';
import type { TrainLogEntry } from './train-types';

/** How the loop ended before the last step: stopped on request, or by early stopping. */
export type LoopEnd = 'finished' | 'interrupted' | 'early-stopped';

/** Runs the steps from `context.state` on; `stopped`: the run was over before it started (see patienceRanOut). */
export async function runSteps(context: RunContext, checkpoints: Checkpointer, evaluations: EvaluationTracker, stopped: boolean): Promise<LoopEnd> {
  const { input, args, state, plan, session, group, guard } = context;
  // shouldStop is polled once a step: after it when alone; data-parallel, before it, so the
  // native step agrees it across ranks (every rank must stop after the same step).
  const stopRequestedBefore = () => (group ? (input.shouldStop?.() ?? false) : false);
  const stopAfter = (step: { stop: boolean }) => (group ? step.stop : (input.shouldStop?.() ?? false));
  const agreedStop = async () => {
    const mine = input.shouldStop?.() ?? false;
    return group ? (await group.allreduce([mine ? 1 : 0], 'max'))[0] > 0 : mine;
  };
  const patienceRanOut = () => args.earlyStoppingPatience > 0 && state.evaluationsWithoutImprovement >= args.earlyStoppingPatience;
  if (stopped) return 'early-stopped';

  for (; state.epoch < plan.epochs; state.epoch++, state.batchInEpoch = 0) {
    const batches = new BatchIterator(input.train as TokenizedExample[], {
      batchSize: args.perDeviceTrainBatchSize, padTokenId: input.padTokenId, shuffle: args.shuffle, seed: args.seed, epoch: state.epoch,
      groupByLength: args.groupByLength, startBatch: Math.min(state.batchInEpoch, plan.stepsPerEpoch), ...plan.shards,
    });
    for await (const batch of batches) {
      if (state.globalStep >= plan.totalSteps) break;
      const learningRate = context.schedule.at(Math.min(state.scheduleStep, plan.totalSteps));
      const stepStart = process.hrtime.bigint();
      const step = await session.step(batch, learningRate, { stopRequested: stopRequestedBefore() });
      const seconds = secondsSince(stepStart);
      state.batchInEpoch += 1;
      if (!Number.isFinite(step.loss) && !step.skipped) {
        // A non-finite loss: the guard rolls back, or the run cannot go on.
        const reason = guard?.checkStepLoss(step.loss);
        if (!reason) {
          throw new AlbertTrainerError('ERR_INPUT', `the training loss became ${step.loss} at step ${state.globalStep + 1}; lower the learning rate`);
        }
        state.globalStep += 1;
        await evaluations.rollBack(reason, state.globalStep / plan.stepsPerEpoch);
        if (checkpoints.due('step')) await checkpoints.save();
        if (state.globalStep < plan.totalSteps && stopAfter(step)) return 'interrupted';
        continue;
      }
      if (!step.skipped) state.scheduleStep += 1;
      state.globalStep += 1;
      state.samples += batch.batchSize * plan.world; // padded shards: every rank's batch has this size
      state.trainLossSum += step.loss;
      state.logLossSum += step.loss; state.logSteps += 1; state.logGradNorm = step.gradNorm;
      state.evalLossSum += step.loss; state.evalSteps += 1;
      const fractionalEpoch = state.globalStep / plan.stepsPerEpoch;
      context.emit({ type: 'step', step: state.globalStep, totalSteps: plan.totalSteps, epoch: fractionalEpoch, loss: step.loss, learningRate, samplesPerSecond: (batch.batchSize * plan.world) / seconds });
      if (state.globalStep % args.loggingSteps === 0) {
        const entry: TrainLogEntry = { step: state.globalStep, epoch: fractionalEpoch, loss: state.logLossSum / state.logSteps, learning_rate: learningRate, grad_norm: state.logGradNorm };
        state.logHistory.push(entry);
        context.emit({ type: 'log', ...entry });
        state.logLossSum = 0;
        state.logSteps = 0;
        const reason = guard?.checkLoggedLoss(entry.loss);
        if (reason) await evaluations.rollBack(reason, fractionalEpoch);
      }
      if (args.evalStrategy === 'steps' && state.globalStep % args.evalSteps === 0) await evaluations.run(fractionalEpoch);
      if (checkpoints.due('step')) await checkpoints.save();
      if (patienceRanOut()) return 'early-stopped';
      if (state.globalStep < plan.totalSteps && stopAfter(step)) return 'interrupted'; // after the last step, the run just finishes
    }
    // The end of an epoch.
    if (args.evalStrategy === 'epoch') await evaluations.run(state.globalStep / plan.stepsPerEpoch);
    if (checkpoints.due('epoch')) {
      state.epoch += 1; // the checkpoint resumes at the next epoch's first batch
      state.batchInEpoch = 0;
      await checkpoints.save();
      state.epoch -= 1;
    }
    if (patienceRanOut()) return 'early-stopped';
    if (state.globalStep < plan.totalSteps && (await agreedStop())) {
      state.epoch += 1;
      state.batchInEpoch = 0;
      return 'interrupted';
    }
    if (state.globalStep >= plan.totalSteps) break;
  }
  return 'finished';
}
