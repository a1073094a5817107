// The training loop: epochs of shuffled, padded batches -> one native step each, the learning
// rate from HF's schedule, logging every loggingSteps, evaluation per evalStrategy, and the
// best weights kept so that loadBestModelAtEnd hands back the best model, not the last.
//
// Step counting follows HF's Trainer (no gradient accumulation): steps per epoch =
// ceil(examples / batch); total = maxSteps if > 0, else ceil(epochs x steps per epoch); the
// fractional epoch logged at global step g is g / steps per epoch. A skipped fp16 step does
// not advance the schedule (HF: optimizer_step_was_skipped).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BatchIterator, type TokenizedExample } from '../data/batching';
import { AlbertTrainerError } from '../errors';
import { manualSeed } from '../info';
import type { AlbertForSequenceClassification } from '../model/albert';
import { Trainer } from '../trainer';
import type { TrainingArguments } from './arguments';
import { CollapseGuard, type CollapseReason } from './collapse-guard';
import { type EvaluationResult, evaluate } from './evaluate';
import { LearningRateSchedule } from './schedule';

export interface TrainLogEntry {
  step: number;
  epoch: number;
  loss: number; // mean training loss since the previous log
  learning_rate: number;
  grad_norm: number;
}

export interface EvalLogEntry {
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

export type TrainEvent =
  | { type: 'step'; step: number; totalSteps: number; epoch: number; loss: number; learningRate: number; samplesPerSecond: number }
  | ({ type: 'guard' } & GuardEntry)
  | ({ type: 'log' } & TrainLogEntry)
  | ({ type: 'eval' } & EvalLogEntry);

export interface TrainResult {
  globalStep: number;
  totalSteps: number;
  epochs: number;
  logHistory: Array<TrainLogEntry | EvalLogEntry | GuardEntry>;
  guardEvents: GuardEntry[];
  evaluations: EvalLogEntry[];
  best?: EvalLogEntry;
  /** The evaluation of the model as it is handed back (the best one with loadBestModelAtEnd). */
  final?: EvaluationResult;
  trainSeconds: number;
  samplesPerSecond: number;
}

export interface TrainInput {
  model: AlbertForSequenceClassification;
  train: readonly TokenizedExample[];
  eval?: readonly TokenizedExample[];
  padTokenId: number;
  args: TrainingArguments;
  onEvent?: (event: TrainEvent) => void;
}

function metricOf(entry: EvalLogEntry, metric: TrainingArguments['metricForBestModel']): number {
  if (metric === 'loss') return -entry.eval_loss;
  return metric === 'accuracy' ? entry.eval_accuracy : entry.eval_macro_f1;
}

export async function train(input: TrainInput): Promise<TrainResult> {
  const { model, args, padTokenId } = input;
  if (input.train.length === 0) throw new AlbertTrainerError('ERR_INPUT', 'the training set is empty');
  const needsEval = args.evalStrategy !== 'no';
  if (needsEval && (!input.eval || input.eval.length === 0)) {
    throw new AlbertTrainerError('ERR_INPUT', `eval strategy "${args.evalStrategy}" needs an evaluation set`);
  }
  // 1. How many steps, as HF counts them.
  const stepsPerEpoch = Math.ceil(input.train.length / args.perDeviceTrainBatchSize);
  const totalSteps = args.maxSteps > 0 ? args.maxSteps : Math.ceil(args.numTrainEpochs * stepsPerEpoch);
  const epochs = Math.ceil(totalSteps / stepsPerEpoch);
  let schedule = new LearningRateSchedule({
    type: args.lrSchedulerType,
    baseLr: args.learningRate,
    totalSteps,
    ...(args.warmupSteps > 0 ? { warmupSteps: args.warmupSteps } : { warmupRatio: args.warmupRatio }),
  });
  manualSeed(args.seed); // dropout's generator, as HF's Trainer calls set_seed(seed)
  const trainer = new Trainer(model, {
    optimizer: { betas: [args.adamBeta1, args.adamBeta2], eps: args.adamEpsilon, weightDecay: args.weightDecay },
    maxGradNorm: args.maxGradNorm,
    amp: args.amp,
  });
  const bestDir = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-best-'));
  const bestFile = path.join(bestDir, 'model.safetensors');
  const bestStateFile = path.join(bestDir, 'optimizer.safetensors');
  const result: TrainResult = { globalStep: 0, totalSteps, epochs, logHistory: [], guardEvents: [], evaluations: [], trainSeconds: 0, samplesPerSecond: 0 };
  const guard = args.collapseGuard && input.eval && input.eval.length > 0 ? new CollapseGuard(classShares(input.eval, model.config.num_labels)) : undefined;
  let scheduleStep = 0;
  let logLossSum = 0, logSteps = 0, logGradNorm = 0;
  let evalLossSum = 0, evalSteps = 0;
  let samples = 0;
  const started = process.hrtime.bigint();
  const emit = (event: TrainEvent) => input.onEvent?.(event);

  const runEvaluation = async (epoch: number) => {
    const batches = new BatchIterator(input.eval as TokenizedExample[], { batchSize: args.perDeviceEvalBatchSize, padTokenId });
    const evaluation = await evaluate(trainer, batches);
    const entry: EvalLogEntry = {
      step: result.globalStep, epoch, eval_loss: evaluation.loss, eval_accuracy: evaluation.accuracy,
      eval_macro_f1: evaluation.macroF1, eval_samples: evaluation.examples, train_loss: evalSteps ? evalLossSum / evalSteps : Number.NaN,
    };
    evalLossSum = 0;
    evalSteps = 0;
    result.logHistory.push(entry);
    result.evaluations.push(entry);
    emit({ type: 'eval', ...entry });
    if (!result.best || metricOf(entry, args.metricForBestModel) > metricOf(result.best, args.metricForBestModel)) {
      result.best = entry;
      if (args.loadBestModelAtEnd || guard) await model.saveWeights(bestFile);
      if (guard) await trainer.saveState(bestStateFile);
    }
    const reason = guard?.checkEvaluation(evaluation.accuracy, evaluation.predictedShare);
    if (reason) await recover(reason, epoch);
  };

  // The guard's roll-back: the best evaluation's weights and optimizer state, half the LR from here on.
  const recover = async (reason: CollapseReason, epoch: number) => {
    const best = result.best as EvalLogEntry;
    await model.loadWeights(bestFile);
    await trainer.loadState(bestStateFile);
    schedule = schedule.withLrMultiplier(0.5, Math.min(scheduleStep, totalSteps));
    (guard as CollapseGuard).recoveries += 1;
    const entry: GuardEntry = { step: result.globalStep, epoch, reason, restored_step: best.step, restored_accuracy: best.eval_accuracy, lr_factor: 0.5 };
    result.guardEvents.push(entry);
    result.logHistory.push(entry);
    emit({ type: 'guard', ...entry });
  };

  try {
    for (let epoch = 0; epoch < epochs && result.globalStep < totalSteps; epoch++) {
      const batches = new BatchIterator(input.train as TokenizedExample[], {
        batchSize: args.perDeviceTrainBatchSize, padTokenId, shuffle: args.shuffle, seed: args.seed, epoch,
        groupByLength: args.groupByLength,
      });
      for await (const batch of batches) {
        const learningRate = schedule.at(Math.min(scheduleStep, totalSteps));
        const stepStart = process.hrtime.bigint();
        const step = await trainer.step(batch, learningRate);
        const seconds = Number(process.hrtime.bigint() - stepStart) / 1e9;
        if (!Number.isFinite(step.loss) && !step.skipped) {
          const reason = guard?.checkStepLoss(step.loss);
          if (!reason) {
            throw new AlbertTrainerError('ERR_INPUT', `the training loss became ${step.loss} at step ${result.globalStep + 1}; lower the learning rate`);
          }
          result.globalStep += 1;
          await recover(reason, result.globalStep / stepsPerEpoch);
          continue;
        }
        if (!step.skipped) scheduleStep += 1;
        result.globalStep += 1;
        samples += batch.batchSize;
        logLossSum += step.loss; logSteps += 1; logGradNorm = step.gradNorm;
        evalLossSum += step.loss; evalSteps += 1;
        const fractionalEpoch = result.globalStep / stepsPerEpoch;
        emit({ type: 'step', step: result.globalStep, totalSteps, epoch: fractionalEpoch, loss: step.loss, learningRate, samplesPerSecond: batch.batchSize / seconds });
        if (result.globalStep % args.loggingSteps === 0) {
          const entry: TrainLogEntry = { step: result.globalStep, epoch: fractionalEpoch, loss: logLossSum / logSteps, learning_rate: learningRate, grad_norm: logGradNorm };
          result.logHistory.push(entry);
          emit({ type: 'log', ...entry });
          logLossSum = 0;
          logSteps = 0;
          const reason = guard?.checkLoggedLoss(entry.loss);
          if (reason) await recover(reason, fractionalEpoch);
        }
        if (args.evalStrategy === 'steps' && result.globalStep % args.evalSteps === 0) await runEvaluation(fractionalEpoch);
        if (result.globalStep >= totalSteps) break;
      }
      if (args.evalStrategy === 'epoch') await runEvaluation(result.globalStep / stepsPerEpoch);
    }
    result.trainSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    result.samplesPerSecond = samples / result.trainSeconds;
    if (args.loadBestModelAtEnd && result.best && result.best !== result.evaluations[result.evaluations.length - 1]) {
      await model.loadWeights(bestFile);
    }
    if (needsEval) {
      result.final = await evaluate(trainer, new BatchIterator(input.eval as TokenizedExample[], { batchSize: args.perDeviceEvalBatchSize, padTokenId }));
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
