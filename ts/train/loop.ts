// train(): the training loop as HF's Trainer runs it, in parts. run-plan.ts counts the steps
// and fixes the schedule and the run's identity; resume.ts reads a checkpoint to continue from
// and restores it; checkpointing.ts saves checkpoints; evaluation-tracker.ts evaluates, keeps the
// best evaluation (so loadBestModelAtEnd hands back the best model, not the last) and rolls back
// for the collapse guard; step-loop.ts runs the steps. Reporters (the CLI's progress line and
// JSONL, TensorBoard, curves) hang off the one event stream, TrainInput.onEvent (TrainEvent).
//
// Data-parallel (TrainInput.processGroup): every rank calls train() with the same input; the
// native step averages gradients and loss across ranks, evaluation is sharded and gathered, and
// only rank 0 writes checkpoints (with every rank's RNG state), the others waiting for it.
import { manualSeed } from '../random';
import { TrainingSession } from '../training-session';
import { BestStateFiles } from './best-state';
import { Checkpointer } from './checkpointing';
import { CollapseGuard, classShares } from './collapse-guard';
import { EvaluationTracker } from './evaluation-tracker';
import { freshState } from './resume-state';
import { patienceRanOut, readResumePoint, restoreResumePoint } from './resume';
import { type RunContext, secondsSince, syncResult } from './run-context';
import { planRun } from './run-plan';
import { LearningRateSchedule } from './schedule';
import { runSteps } from './step-loop';
import type { TrainEvent, TrainInput, TrainResult, TrainSummaryEntry } from './train-types';

export async function train(input: TrainInput): Promise<TrainResult> {
  const { model, args } = input;
  // 1. The plan, and a checkpoint to resume from, read and checked before anything changes.
  const plan = planRun(input);
  const resumePoint = input.resumeFromCheckpoint ? await readResumePoint(input.resumeFromCheckpoint, plan) : undefined;

  // 2. The session, the guard, the state: fresh, or the checkpoint's.
  manualSeed(args.seed); // dropout's generator, as HF's Trainer calls set_seed(seed)
  const session = new TrainingSession(model, {
    optimizer: { betas: [args.adamBeta1, args.adamBeta2], eps: args.adamEpsilon, weightDecay: args.weightDecay },
    maxGradNorm: args.maxGradNorm,
    amp: args.amp,
    cudaGraphs: args.cudaGraphs && model.device === 'cuda' && !input.processGroup,
  });
  const guard = args.collapseGuard && input.eval && input.eval.length > 0
    ? new CollapseGuard(classShares(input.eval.map((e) => e.label), model.config.num_labels)) : undefined;
  const best = new BestStateFiles(guard !== undefined);
  const state = resumePoint?.resumed.state ?? freshState();
  const result: TrainResult = {
    globalStep: 0, totalSteps: plan.totalSteps, epochs: plan.epochs, stepsPerEpoch: plan.stepsPerEpoch, logHistory: state.logHistory,
    guardEvents: state.guardEvents, evaluations: state.evaluations, bestModelCheckpoint: null, trainSeconds: 0, samplesPerSecond: 0,
    checkpointSeconds: 0, resumedFromStep: state.globalStep, interrupted: false, earlyStopped: false,
  };
  const context: RunContext = {
    input, args, plan, state, result, model, session, guard, best,
    ...(input.processGroup ? { group: input.processGroup } : {}),
    keepsBest: args.loadBestModelAtEnd || guard !== undefined,
    schedule: new LearningRateSchedule(plan.scheduleOptions, state.lrMultipliers),
    emit: (event: TrainEvent) => input.onEvent?.(event),
    timedWrite: async (write) => {
      const writeStart = process.hrtime.bigint();
      await write();
      result.checkpointSeconds += secondsSince(writeStart);
    },
  };
  const checkpoints = new Checkpointer(context);
  const evaluations = new EvaluationTracker(context);
  const samplesAtStart = state.samples;
  const started = process.hrtime.bigint();

  try {
    // 3. Data-parallel: rank 0's weights everywhere, gradients averaged from the first step.
    if (context.group) await session.attachProcessGroup(context.group);
    // 4. Resuming: weights, optimizer and scaler, RNG, the best files; the loop state is `state`.
    if (resumePoint) {
      await restoreResumePoint(resumePoint, { model, session, best, guard, emit: context.emit });
      checkpoints.resumedFrom(resumePoint.checkpoint.dir);
    }
    // 5. The steps.
    const end = await runSteps(context, checkpoints, evaluations, patienceRanOut(resumePoint, args));
    result.interrupted = end === 'interrupted';
    result.earlyStopped = end === 'early-stopped';
    // 6. The end: an interrupted run saves where it stopped; a finished one logs HF's summary
    //    and hands back the best model (with loadBestModelAtEnd) and its evaluation.
    syncResult(context);
    result.trainSeconds = secondsSince(started);
    result.samplesPerSecond = (state.samples - samplesAtStart) / result.trainSeconds;
    if (result.interrupted) {
      if (input.checkpoints && checkpoints.lastSavedStep !== state.globalStep) await checkpoints.save();
    } else {
      const summary: TrainSummaryEntry = {
        step: state.globalStep, epoch: state.globalStep / plan.stepsPerEpoch, train_loss: state.trainLossSum / Math.max(1, state.globalStep),
        train_runtime: result.trainSeconds, train_samples_per_second: result.samplesPerSecond,
        train_steps_per_second: (state.globalStep - result.resumedFromStep) / result.trainSeconds, total_flos: 0,
      };
      const final = await evaluations.handBack();
      state.logHistory.push(summary);
      if (final) result.final = final;
    }
    context.emit({
      type: 'end', step: result.globalStep, totalSteps: result.totalSteps, stepsRun: result.globalStep - result.resumedFromStep,
      interrupted: result.interrupted, earlyStopped: result.earlyStopped, bestModelCheckpoint: result.bestModelCheckpoint,
    });
    return result;
  } finally {
    session.dispose();
    best.dispose();
  }
}
