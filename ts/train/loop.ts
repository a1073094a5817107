// The training loop: epochs of shuffled, padded batches -> one native step each, the learning
// rate from HF's schedule, logging every loggingSteps, evaluation per evalStrategy, and the
// best weights kept so that loadBestModelAtEnd hands back the best model, not the last.
//
// Step counting follows HF's Trainer (no gradient accumulation): steps per epoch =
// ceil(examples / batch), with examples = ceil(examples / ranks) when data-parallel; total =
// maxSteps if > 0, else ceil(epochs x steps per epoch); the fractional epoch logged at global
// step g is g / steps per epoch. A skipped fp16 step does
// not advance the schedule (HF: optimizer_step_was_skipped).
//
// Data-parallel (TrainInput.processGroup): every rank runs this same loop on its shard of each
// epoch's order (DistributedSampler's), the native step averages the gradients and the loss
// across ranks, so every decision here (logging, the guard, early stopping, stopping on
// request) sees the same numbers on every rank; evaluation is sharded and gathered; only
// rank 0 writes checkpoints (with every rank's RNG state).
import * as fs from 'fs';
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BatchIterator, type TokenizedExample } from '../data/batching';
import { AlbertTrainerError } from '../errors';
import { getRngState, manualSeed, rngStateFromJson, rngStateToJson, setRngState } from '../random';
import { TrainingSession } from '../training-session';
import { type TrainingArguments, toHfTrainingArguments } from './arguments';
import { CHECKPOINT_FILES, RESUME_STATE_FORMAT, checkpointPath, readCheckpoint, rngStateFile, rotateCheckpoints, writeCheckpoint } from './checkpoint';
import { CollapseGuard, type CollapseReason } from './collapse-guard';
import { type EvaluationResult, evaluate } from './evaluate';
import { type LoopState, parseResumeState, resumeStateToJson, runIdentity } from './resume-state';
import { LearningRateSchedule } from './schedule';
import { evalSpeed } from './speed-metrics';
import { hfTrainerState } from './trainer-state';
import type { CheckpointOptions, EvalLogEntry, GuardEntry, TrainEvent, TrainInput, TrainLogEntry, TrainResult, TrainSummaryEntry } from './train-types';


function metricOf(entry: EvalLogEntry, metric: TrainingArguments['metricForBestModel']): number {
  if (metric === 'loss') return -entry.eval_loss;
  return metric === 'accuracy' ? entry.eval_accuracy : entry.eval_macro_f1;
}

function freshState(): LoopState {
  return {
    globalStep: 0, scheduleStep: 0, epoch: 0, batchInEpoch: 0, samples: 0, trainLossSum: 0, logLossSum: 0, logSteps: 0, logGradNorm: 0,
    evalLossSum: 0, evalSteps: 0, lrMultipliers: [], guard: null, evaluationsWithoutImprovement: 0, logHistory: [],
    evaluations: [], guardEvents: [], best: null,
  };
}

export async function train(input: TrainInput): Promise<TrainResult> {
  const { model, args, padTokenId } = input;
  if (input.train.length === 0) throw new AlbertTrainerError('ERR_INPUT', 'the training set is empty');
  const needsEval = args.evalStrategy !== 'no';
  if (needsEval && (!input.eval || input.eval.length === 0)) {
    throw new AlbertTrainerError('ERR_INPUT', `eval strategy "${args.evalStrategy}" needs an evaluation set`);
  }
  if (args.earlyStoppingPatience > 0 && !needsEval) {
    throw new AlbertTrainerError('ERR_ARGUMENT', 'earlyStoppingPatience needs evaluations (evalStrategy epoch or steps)');
  }
  // 1. How many steps, as HF counts them.
  const group = input.processGroup;
  const world = group?.worldSize ?? 1;
  const rank = group?.rank ?? 0;
  const shards = { numReplicas: world, rank };
  const stepsPerEpoch = Math.ceil(Math.ceil(input.train.length / world) / args.perDeviceTrainBatchSize);
  const totalSteps = args.maxSteps > 0 ? args.maxSteps : Math.ceil(args.numTrainEpochs * stepsPerEpoch);
  const epochs = Math.ceil(totalSteps / stepsPerEpoch);
  const scheduleOptions = {
    type: args.lrSchedulerType,
    baseLr: args.learningRate,
    totalSteps,
    ...(args.warmupSteps > 0 ? { warmupSteps: args.warmupSteps } : { warmupRatio: args.warmupRatio }),
  };
  const identity = runIdentity(args, input.train.length, totalSteps, world);
  // 2. A checkpoint to resume from is read and checked before anything changes.
  const resume = input.resumeFromCheckpoint ? await readCheckpoint(input.resumeFromCheckpoint, rank) : undefined;
  const resumed = resume ? parseResumeState(resume.resumeState, path.join(resume.dir, CHECKPOINT_FILES.resume), identity) : undefined;
  const rngState = resume ? rngStateFromJson(resume.rngState, path.join(resume.dir, rngStateFile(rank))) : undefined;

  manualSeed(args.seed); // dropout's generator, as HF's Trainer calls set_seed(seed)
  const trainer = new TrainingSession(model, {
    optimizer: { betas: [args.adamBeta1, args.adamBeta2], eps: args.adamEpsilon, weightDecay: args.weightDecay },
    maxGradNorm: args.maxGradNorm,
    amp: args.amp,
    cudaGraphs: args.cudaGraphs && model.device === 'cuda' && !group,
  });
  const bestDir = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-best-'));
  const bestFile = path.join(bestDir, CHECKPOINT_FILES.weights);
  const bestStateFile = path.join(bestDir, CHECKPOINT_FILES.optimizer);
  const guard = args.collapseGuard && input.eval && input.eval.length > 0 ? new CollapseGuard(classShares(input.eval, model.config.num_labels)) : undefined;
  const keepsBest = args.loadBestModelAtEnd || guard !== undefined;
  const state = resumed?.state ?? freshState();
  let schedule = new LearningRateSchedule(scheduleOptions, state.lrMultipliers);
  let hasBestFiles = false;
  const result: TrainResult = {
    globalStep: 0, totalSteps, epochs, stepsPerEpoch, logHistory: state.logHistory, guardEvents: state.guardEvents,
    evaluations: state.evaluations, trainSeconds: 0, samplesPerSecond: 0, checkpointSeconds: 0, resumedFromStep: state.globalStep, interrupted: false, earlyStopped: false,
  };
  const syncResult = () => {
    result.globalStep = state.globalStep;
    result.best = state.best ?? undefined;
  };
  const samplesAtStart = state.samples;
  const started = process.hrtime.bigint();
  const emit = (event: TrainEvent) => input.onEvent?.(event);
  // shouldStop is polled once a step: after it when alone; data-parallel, before it, so the
  // native step agrees it across ranks (every rank must stop after the same step).
  const stopRequestedBefore = () => (group ? (input.shouldStop?.() ?? false) : false);
  const stopAfter = (step: { stop: boolean }) => (group ? step.stop : (input.shouldStop?.() ?? false));
  const agreedStop = async () => {
    const mine = input.shouldStop?.() ?? false;
    return group ? (await group.allreduce([mine ? 1 : 0], 'max'))[0] > 0 : mine;
  };

  // 3. Checkpoints: this step's weights, optimizer, RNG and loop state; best/ when the best is older.
  let lastSavedStep = -1;
  // Writing state to disk, timed into result.checkpointSeconds.
  const timedWrite = async (write: () => Promise<void>) => {
    const writeStart = process.hrtime.bigint();
    await write();
    result.checkpointSeconds += Number(process.hrtime.bigint() - writeStart) / 1e9;
  };
  const saveCheckpoint = () => timedWrite(async () => {
    const checkpoints = input.checkpoints as CheckpointOptions;
    syncResult();
    state.lrMultipliers = [...schedule.multipliers];
    state.guard = guard?.snapshot() ?? null;
    const bestIsHere = state.best?.step === state.globalStep && !state.guardEvents.some((g) => g.step === state.globalStep);
    const bestCheckpoint = state.best ? checkpointPath(checkpoints.dir, state.best.step) : null;
    const rngStates = group ? await group.allgatherJson(rngStateToJson(getRngState())) : [rngStateToJson(getRngState())];
    if (rank !== 0) { // rank 0 writes the checkpoint, every rank's RNG state included
      lastSavedStep = state.globalStep;
      result.lastCheckpoint = checkpointPath(checkpoints.dir, state.globalStep);
      return;
    }
    const dir = await writeCheckpoint(checkpoints.dir, state.globalStep, {
      writeNative: async (target) => {
        await model.savePretrained(target);
        await trainer.saveState(path.join(target, CHECKPOINT_FILES.optimizer));
        if (hasBestFiles && !bestIsHere) {
          await fsp.mkdir(path.join(target, CHECKPOINT_FILES.bestDir));
          await fsp.copyFile(bestFile, path.join(target, CHECKPOINT_FILES.bestDir, CHECKPOINT_FILES.weights));
          if (guard) await fsp.copyFile(bestStateFile, path.join(target, CHECKPOINT_FILES.bestDir, CHECKPOINT_FILES.optimizer));
        }
      },
      rngStates,
      resumeState: resumeStateToJson({ format: RESUME_STATE_FORMAT, run: identity, hasBestFiles, state }),
      trainerState: hfTrainerState(args, result, { bestModelCheckpoint: bestCheckpoint && fs.existsSync(bestCheckpoint) ? bestCheckpoint : bestIsHere ? bestCheckpoint : null }),
      trainingArgs: toHfTrainingArguments(args),
      ...(input.checkpoints?.tokenizerDir ? { tokenizerDir: input.checkpoints.tokenizerDir } : {}),
    });
    lastSavedStep = state.globalStep;
    result.lastCheckpoint = dir;
    await rotateCheckpoints(checkpoints.dir, args.saveTotalLimit, [state.globalStep, ...(state.best ? [state.best.step] : [])]);
  });

  // Evaluation batches of similar lengths (the metrics do not depend on the order; padding
  // does cost time): the examples sorted by length once, longest first, stable.
  const evalByLength = input.eval ? [...input.eval].map((e, i) => ({ e, i })).sort((a, b) => b.e.inputIds.length - a.e.inputIds.length || a.i - b.i).map(({ e }) => e) : [];
  const evalBatches = () => new BatchIterator(evalByLength, { batchSize: args.perDeviceEvalBatchSize, padTokenId, ...shards, padShards: false });

  // The full results (confusion matrix included) of the last and the best evaluations, so the
  // model handed back is not evaluated twice when one of them already scored these weights.
  let lastEvaluation: { step: number; evaluation: EvaluationResult } | undefined;
  let bestEvaluation: EvaluationResult | undefined;

  const runEvaluation = async (epoch: number) => {
    const evalStart = process.hrtime.bigint();
    const evaluation = await evaluate(trainer, evalBatches(), group);
    const runtime = Number(process.hrtime.bigint() - evalStart) / 1e9;
    lastEvaluation = { step: state.globalStep, evaluation };
    const entry: EvalLogEntry = {
      step: state.globalStep, epoch, eval_loss: evaluation.loss, eval_accuracy: evaluation.accuracy,
      eval_macro_f1: evaluation.macroF1, eval_samples: evaluation.examples,
      ...evalSpeed(runtime, evaluation.examples, evaluation.batches), train_loss: state.evalSteps ? state.evalLossSum / state.evalSteps : Number.NaN,
    };
    state.evalLossSum = 0;
    state.evalSteps = 0;
    state.logHistory.push(entry);
    state.evaluations.push(entry);
    emit({ type: 'eval', ...entry });
    // HF's EarlyStoppingCallback: an improvement is better than the best by more than the threshold.
    const improved = !state.best || metricOf(entry, args.metricForBestModel) - metricOf(state.best, args.metricForBestModel) > args.earlyStoppingThreshold;
    state.evaluationsWithoutImprovement = improved ? 0 : state.evaluationsWithoutImprovement + 1;
    if (!state.best || metricOf(entry, args.metricForBestModel) > metricOf(state.best, args.metricForBestModel)) {
      state.best = entry;
      bestEvaluation = evaluation;
      if (keepsBest) {
        await timedWrite(async () => {
          await model.saveWeights(bestFile);
          if (guard) await trainer.saveState(bestStateFile);
        });
        hasBestFiles = true;
      }
    }
    const reason = guard?.checkEvaluation(evaluation.accuracy, evaluation.predictedShare);
    if (reason) await recover(reason, epoch);
  };

  // The guard's roll-back: the best evaluation's weights and optimizer state, half the LR from here on.
  const recover = async (reason: CollapseReason, epoch: number) => {
    const best = state.best as EvalLogEntry;
    await model.loadWeights(bestFile);
    await trainer.loadState(bestStateFile);
    schedule = schedule.withLrMultiplier(0.5, Math.min(state.scheduleStep, totalSteps));
    (guard as CollapseGuard).recoveries += 1;
    const entry: GuardEntry = { step: state.globalStep, epoch, reason, restored_step: best.step, restored_accuracy: best.eval_accuracy, lr_factor: 0.5 };
    state.guardEvents.push(entry);
    state.logHistory.push(entry);
    emit({ type: 'guard', ...entry });
  };

  const saveStrategyDue = (when: 'step' | 'epoch') => {
    if (!input.checkpoints) return false;
    if (when === 'epoch') return args.saveStrategy === 'epoch';
    // HF's DefaultFlowCallback: every saveSteps, and at the last step.
    return args.saveStrategy === 'steps' && (state.globalStep % args.saveSteps === 0 || state.globalStep >= totalSteps);
  };

  try {
    // 4. Data-parallel: rank 0's weights everywhere, gradients averaged from the first step.
    if (group) await trainer.attachProcessGroup(group);
    // 5. Resuming: weights, optimizer and scaler, RNG, the best files; the loop state is `state`.
    if (resume && resumed) {
      // Each load checks everything before it changes anything, and the model's weights go
      // last, so a checkpoint that does not fit leaves the caller's model as it was (the RNG
      // state set first is reseeded by the next run anyway).
      const rngFile = path.join(resume.dir, rngStateFile(rank));
      const cudaStatesSet = inCheckpoint(rngFile, () => setRngState(rngState as NonNullable<typeof rngState>));
      if (cudaStatesSet !== (rngState as NonNullable<typeof rngState>).cuda.length) {
        emit({ type: 'warning', message: `${rngFile}: holds ${(rngState as NonNullable<typeof rngState>).cuda.length} CUDA generator states, ` +
          `this machine uses ${cudaStatesSet}; the resumed run's dropout on the other devices will differ from an uninterrupted one` });
      }
      await trainer.loadState(resume.optimizerFile).catch((error: Error) => rethrowMisfit(error, resume.optimizerFile, resume.dir));
      await model.loadWeights(resume.weightsFile).catch((error: Error) => rethrowMisfit(error, resume.weightsFile, resume.dir));
      if (resumed.hasBestFiles && state.best) {
        const from = fs.existsSync(path.join(resume.dir, CHECKPOINT_FILES.bestDir)) ? path.join(resume.dir, CHECKPOINT_FILES.bestDir) : resume.dir;
        for (const [name, target] of [[CHECKPOINT_FILES.weights, bestFile], ...(guard ? [[CHECKPOINT_FILES.optimizer, bestStateFile]] : [])]) {
          const source = path.join(from, name);
          if (!fs.existsSync(source)) throw new AlbertTrainerError('ERR_CHECKPOINT', `${source}: missing; the checkpoint's best evaluation (step ${state.best.step}) has no ${name}`);
          fs.copyFileSync(source, target);
        }
        hasBestFiles = true;
      }
      if (guard && state.guard) guard.restore(state.guard);
      lastSavedStep = state.globalStep;
      result.lastCheckpoint = resume.dir;
    }

    // A checkpoint written where patience ran out resumes to a stop, as HF's saved stop flag does.
    let stop = resumed !== undefined && args.earlyStoppingPatience > 0 && state.evaluationsWithoutImprovement >= args.earlyStoppingPatience;
    result.earlyStopped = stop;
    for (; state.epoch < epochs && !stop; state.epoch++, state.batchInEpoch = 0) {
      const batches = new BatchIterator(input.train as TokenizedExample[], {
        batchSize: args.perDeviceTrainBatchSize, padTokenId, shuffle: args.shuffle, seed: args.seed, epoch: state.epoch,
        groupByLength: args.groupByLength, startBatch: Math.min(state.batchInEpoch, stepsPerEpoch), ...shards,
      });
      for await (const batch of batches) {
        if (state.globalStep >= totalSteps) break;
        const learningRate = schedule.at(Math.min(state.scheduleStep, totalSteps));
        const stepStart = process.hrtime.bigint();
        const step = await trainer.step(batch, learningRate, { stopRequested: stopRequestedBefore() });
        const seconds = Number(process.hrtime.bigint() - stepStart) / 1e9;
        state.batchInEpoch += 1;
        if (!Number.isFinite(step.loss) && !step.skipped) {
          const reason = guard?.checkStepLoss(step.loss);
          if (!reason) {
            throw new AlbertTrainerError('ERR_INPUT', `the training loss became ${step.loss} at step ${state.globalStep + 1}; lower the learning rate`);
          }
          state.globalStep += 1;
          await recover(reason, state.globalStep / stepsPerEpoch);
          if (saveStrategyDue('step')) await saveCheckpoint();
          if (state.globalStep < totalSteps && stopAfter(step)) {
            result.interrupted = true;
            stop = true;
            break;
          }
          continue;
        }
        if (!step.skipped) state.scheduleStep += 1;
        state.globalStep += 1;
        state.samples += batch.batchSize * world; // padded shards: every rank's batch has this size
        state.trainLossSum += step.loss;
        state.logLossSum += step.loss; state.logSteps += 1; state.logGradNorm = step.gradNorm;
        state.evalLossSum += step.loss; state.evalSteps += 1;
        const fractionalEpoch = state.globalStep / stepsPerEpoch;
        emit({ type: 'step', step: state.globalStep, totalSteps, epoch: fractionalEpoch, loss: step.loss, learningRate, samplesPerSecond: (batch.batchSize * world) / seconds });
        if (state.globalStep % args.loggingSteps === 0) {
          const entry: TrainLogEntry = { step: state.globalStep, epoch: fractionalEpoch, loss: state.logLossSum / state.logSteps, learning_rate: learningRate, grad_norm: state.logGradNorm };
          state.logHistory.push(entry);
          emit({ type: 'log', ...entry });
          state.logLossSum = 0;
          state.logSteps = 0;
          const reason = guard?.checkLoggedLoss(entry.loss);
          if (reason) await recover(reason, fractionalEpoch);
        }
        if (args.evalStrategy === 'steps' && state.globalStep % args.evalSteps === 0) await runEvaluation(fractionalEpoch);
        if (saveStrategyDue('step')) await saveCheckpoint();
        if (args.earlyStoppingPatience > 0 && state.evaluationsWithoutImprovement >= args.earlyStoppingPatience) {
          result.earlyStopped = true;
          stop = true;
          break;
        }
        if (state.globalStep < totalSteps && stopAfter(step)) { // after the last step, the run just finishes
          result.interrupted = true;
          stop = true;
          break;
        }
      }
      if (stop) break;
      if (args.evalStrategy === 'epoch') await runEvaluation(state.globalStep / stepsPerEpoch);
      if (saveStrategyDue('epoch')) {
        state.epoch += 1; // the checkpoint resumes at the next epoch's first batch
        state.batchInEpoch = 0;
        await saveCheckpoint();
        state.epoch -= 1;
      }
      if (args.earlyStoppingPatience > 0 && state.evaluationsWithoutImprovement >= args.earlyStoppingPatience) {
        result.earlyStopped = true;
        break;
      }
      if (state.globalStep < totalSteps && (await agreedStop())) {
        result.interrupted = true;
        state.epoch += 1;
        state.batchInEpoch = 0;
        break;
      }
      if (state.globalStep >= totalSteps) break;
    }
    syncResult();
    result.trainSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    result.samplesPerSecond = (state.samples - samplesAtStart) / result.trainSeconds;
    if (result.interrupted) {
      if (input.checkpoints && lastSavedStep !== state.globalStep) await saveCheckpoint();
      return result;
    }
    const lastEvaluated = lastEvaluation && lastEvaluation.step === state.globalStep && state.guardEvents.every((g) => g.step !== state.globalStep);
    let handedBack = lastEvaluated ? lastEvaluation?.evaluation : undefined;
    if (args.loadBestModelAtEnd && state.best && hasBestFiles && state.best.step !== state.globalStep) {
      await model.loadWeights(bestFile);
      handedBack = bestEvaluation;
    }
    const summary: TrainSummaryEntry = {
      step: state.globalStep, epoch: state.globalStep / stepsPerEpoch, train_loss: state.trainLossSum / Math.max(1, state.globalStep),
      train_runtime: result.trainSeconds, train_samples_per_second: result.samplesPerSecond,
      train_steps_per_second: (state.globalStep - result.resumedFromStep) / result.trainSeconds, total_flos: 0,
    };
    state.logHistory.push(summary);
    if (needsEval) {
      result.final = handedBack ?? (await evaluate(trainer, evalBatches(), group));
    }
    return result;
  } finally {
    trainer.dispose();
    fs.rmSync(bestDir, { recursive: true, force: true });
  }
}

/** Each class's share of the labels of `examples`. */
function classShares(examples: readonly TokenizedExample[], numLabels: number): number[] {
  const counts = new Array<number>(numLabels).fill(0);
  for (const example of examples) counts[example.label] += 1;
  return counts.map((count) => count / examples.length);
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
