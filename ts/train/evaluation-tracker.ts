// Evaluations during a run: each one logged (HF's eval_* entry) and emitted, the best one kept
// (its state on the side, for loadBestModelAtEnd and the guard), early stopping's count of
// evaluations without improvement, and the collapse guard's roll-back: the best evaluation's
// weights and optimizer state, half the LR from here on.
import { BatchIterator } from '../data/batching';
import type { TrainingArguments } from './arguments';
import type { CollapseGuard, CollapseReason } from './collapse-guard';
import { type EvaluationResult, evaluate } from './evaluate';
import { type RunContext, secondsSince } from './run-context';
import { evalSpeed } from './speed-metrics';
import type { EvalLogEntry, GuardEntry } from './train-types';

/** The entry's value of the metric, larger is better (the loss negated). */
function metricOf(entry: EvalLogEntry, metric: TrainingArguments['metricForBestModel']): number {
  if (metric === 'loss') return -entry.eval_loss;
  return metric === 'accuracy' ? entry.eval_accuracy : entry.eval_macro_f1;
}

export class EvaluationTracker {
  /** The evaluation set sorted by length once, longest first, stable (less padding; the metrics do not depend on the order). */
  private readonly byLength;
  /**
   * The full results (confusion matrix included) of the last and the best evaluations of this
   * call, so the model handed back is not evaluated twice when one of them scored its weights.
   */
  private last: { step: number; evaluation: EvaluationResult } | undefined;
  private best: EvaluationResult | undefined;

  constructor(private readonly context: RunContext) {
    const evalSet = context.input.eval ?? [];
    this.byLength = [...evalSet].map((e, i) => ({ e, i })).sort((a, b) => b.e.inputIds.length - a.e.inputIds.length || a.i - b.i).map(({ e }) => e);
  }

  private batches(): BatchIterator {
    const { args, input, plan } = this.context;
    return new BatchIterator(this.byLength, { batchSize: args.perDeviceEvalBatchSize, padTokenId: input.padTokenId, ...plan.shards, padShards: false });
  }

  /** Evaluates the model as it is now, at fractional `epoch`; may roll back through the guard. */
  async run(epoch: number): Promise<void> {
    const { state, args, session, group, keepsBest, guard } = this.context;
    const evalStart = process.hrtime.bigint();
    const evaluation = await evaluate(session, this.batches(), group);
    const runtime = secondsSince(evalStart);
    this.last = { step: state.globalStep, evaluation };
    const entry: EvalLogEntry = {
      step: state.globalStep, epoch, eval_loss: evaluation.loss, eval_accuracy: evaluation.accuracy,
      eval_macro_f1: evaluation.macroF1, eval_samples: evaluation.examples,
      ...evalSpeed(runtime, evaluation.examples, evaluation.batches), train_loss: state.evalSteps ? state.evalLossSum / state.evalSteps : Number.NaN,
    };
    state.evalLossSum = 0;
    state.evalSteps = 0;
    state.logHistory.push(entry);
    state.evaluations.push(entry);
    this.context.emit({ type: 'eval', ...entry });
    // HF's EarlyStoppingCallback: an improvement is better than the best by more than the threshold.
    const improved = !state.best || metricOf(entry, args.metricForBestModel) - metricOf(state.best, args.metricForBestModel) > args.earlyStoppingThreshold;
    state.evaluationsWithoutImprovement = improved ? 0 : state.evaluationsWithoutImprovement + 1;
    if (!state.best || metricOf(entry, args.metricForBestModel) > metricOf(state.best, args.metricForBestModel)) {
      state.best = entry;
      this.best = evaluation;
      if (keepsBest) await this.context.timedWrite(() => this.context.best.save(this.context.model, session));
    }
    const reason = guard?.checkEvaluation(evaluation.accuracy, evaluation.predictedShare);
    if (reason) await this.rollBack(reason, epoch);
  }

  /** The guard's roll-back: the best evaluation's weights and optimizer state, half the LR from here on. */
  async rollBack(reason: CollapseReason, epoch: number): Promise<void> {
    const context = this.context;
    const { state, plan } = context;
    const best = state.best as EvalLogEntry;
    await context.best.restore(context.model, context.session);
    context.schedule = context.schedule.withLrMultiplier(0.5, Math.min(state.scheduleStep, plan.totalSteps));
    (context.guard as CollapseGuard).recoveries += 1;
    const entry: GuardEntry = { step: state.globalStep, epoch, reason, restored_step: best.step, restored_accuracy: best.eval_accuracy, lr_factor: 0.5 };
    state.guardEvents.push(entry);
    state.logHistory.push(entry);
    context.emit({ type: 'guard', ...entry });
  }

  /**
   * The end of a finished run: with loadBestModelAtEnd the best weights go back into the model;
   * returns the evaluation of the model handed back, scoring it only when no evaluation of this
   * call already did.
   */
  async handBack(): Promise<EvaluationResult | undefined> {
    const { state, args, best, model, session, group, plan } = this.context;
    const lastScoredTheseWeights = this.last && this.last.step === state.globalStep && state.guardEvents.every((g) => g.step !== state.globalStep);
    let handedBack = lastScoredTheseWeights ? this.last?.evaluation : undefined;
    if (args.loadBestModelAtEnd && state.best && best.hasFiles && state.best.step !== state.globalStep) {
      await best.restore(model);
      handedBack = this.best;
    }
    if (!plan.evaluates) return undefined;
    return handedBack ?? (await evaluate(session, this.batches(), group));
  }
}
