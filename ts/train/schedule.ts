// Learning-rate schedules, step for step as HF transformers' Trainer runs them (5.18,
// transformers/optimization.py; checked against it by test/train/schedule.test.ts).
//
// `step` is the 0-based index of the optimizer step: HF's Trainer calls optimizer.step() and
// then lr_scheduler.step(), so the k-th update uses LambdaLR's lr at last_epoch = k, that is
// `baseLr * lambda(k)`, and it logs that same value as `learning_rate`. When an fp16 step is
// skipped for overflow the Trainer does not step the scheduler, so `step` counts the updates
// that ran, not the batches. `at(totalSteps)` is the lr after the last update (0 for linear
// and cosine), what get_last_lr() reports once training ends.
import { invalidArgument } from '../errors';

/** The `lr_scheduler_type`s we run, by HF's names (all with num_cycles 0.5 for cosine). */
export type SchedulerType = 'linear' | 'cosine' | 'constant' | 'constant_with_warmup';

export const SCHEDULER_TYPES: readonly SchedulerType[] = ['linear', 'cosine', 'constant', 'constant_with_warmup'];

export interface ScheduleOptions {
  type: SchedulerType;
  /** Peak learning rate (TrainingArguments.learning_rate). */
  baseLr: number;
  /** Optimizer steps in the whole run (HF's num_training_steps). */
  totalSteps: number;
  /** Warmup steps; when > 0 it wins over warmupRatio, as in HF. Default 0. */
  warmupSteps?: number;
  /** Warmup as a fraction of totalSteps, rounded up: ceil(totalSteps * warmupRatio). Default 0. */
  warmupRatio?: number;
}

/** From one step on, the schedule's lr is multiplied by `factor` (the collapse guard's halving). */
export interface LrMultiplier {
  fromStep: number;
  factor: number;
}

/**
 * HF's number of warmup steps (TrainingArguments.get_warmup_steps): warmupSteps when > 0, else
 * ceil(totalSteps * warmupRatio), multiplied in that order in float64, so 100 * 0.07 =
 * 7.000000000000001 gives 8. transformers 5 dropped `warmup_ratio`; a float `warmup_steps`
 * below 1 is the ratio there. A ratio of exactly 1 has no v5 spelling (warmup_steps=1.0 means
 * one step); here it means every step, as v4's warmup_ratio=1 did.
 */
export function warmupSteps(options: ScheduleOptions): number {
  const { totalSteps, warmupSteps: steps = 0, warmupRatio = 0 } = validateOptions(options);
  return steps > 0 ? steps : Math.ceil(totalSteps * warmupRatio);
}

/** The lr the optimizer uses at 0-based `step` (0..totalSteps), HF's formula in float64. */
export function learningRate(options: ScheduleOptions, step: number): number {
  return new LearningRateSchedule(options).at(step);
}

/**
 * HF's lr_lambda: the factor on baseLr at `step`, for `warmup` warmup steps of `total`.
 * Written as transformers writes it (same operations, same order) so the float64 results agree.
 */
function lrLambda(type: SchedulerType, step: number, warmup: number, total: number): number {
  // 1) constant: no warmup, whatever warmup was asked for (get_scheduler passes none)
  if (type === 'constant') return 1;
  // 2) linear warmup from 0: step / warmup, so step 0 trains with lr 0
  if (step < warmup) return step / Math.max(1, warmup);
  // 3) constant_with_warmup: flat after the warmup
  if (type === 'constant_with_warmup') return 1.0;
  // 4) linear: down to 0 at step == total; max(1, ·) keeps warmup >= total from dividing by 0
  if (type === 'linear') return Math.max(0.0, (total - step) / Math.max(1, total - warmup));
  // 5) cosine: half a cosine wave (num_cycles 0.5) over the steps after warmup; V8's Math.cos
  //    can be 1 ulp off glibc's cos that Python uses, the one place we are not bit-identical
  const progress = (step - warmup) / Math.max(1, total - warmup);
  const numCycles = 0.5;
  return Math.max(0, 0.5 * (1.0 + Math.cos(Math.PI * numCycles * 2.0 * progress)));
}

/**
 * A validated schedule. `at(step)` is `baseLr * lambda(step)` as LambdaLR computes it, times
 * any multipliers whose `fromStep <= step`. Immutable: withLrMultiplier returns a new schedule.
 */
export class LearningRateSchedule {
  readonly type: SchedulerType;
  readonly baseLr: number;
  readonly totalSteps: number;
  /** Resolved warmup steps (see `warmupSteps`); 'constant' ignores them, as HF's get_scheduler does. */
  readonly warmupSteps: number;
  /** Multipliers in the order added; a checkpoint stores these to resume the same lr. */
  readonly multipliers: readonly LrMultiplier[];

  constructor(options: ScheduleOptions, multipliers: readonly LrMultiplier[] = []) {
    const checked = validateOptions(options);
    this.type = checked.type;
    this.baseLr = checked.baseLr;
    this.totalSteps = checked.totalSteps;
    this.warmupSteps = warmupSteps(checked);
    if (!Array.isArray(multipliers)) throw invalidArgument('an array of { fromStep, factor }', 'multipliers', multipliers);
    this.multipliers = Object.freeze(multipliers.map((m, i) => this.checkMultiplier(m, `multipliers[${i}]`)));
  }

  /** The lr for 0-based optimizer step `step`, 0 <= step <= totalSteps. */
  at(step: number): number {
    this.checkStep(step, 'step');
    let lr = this.baseLr * lrLambda(this.type, step, this.warmupSteps, this.totalSteps);
    for (const { fromStep, factor } of this.multipliers) if (step >= fromStep) lr *= factor;
    return lr;
  }

  /**
   * This schedule with its lr multiplied by `factor` from `fromStep` on (steps before keep
   * theirs). The collapse guard halves the lr for the rest of a run with
   * `schedule = schedule.withLrMultiplier(0.5, step)`; multipliers compound.
   */
  withLrMultiplier(factor: number, fromStep: number): LearningRateSchedule {
    const added = this.checkMultiplier({ fromStep, factor }, '');
    const options = { type: this.type, baseLr: this.baseLr, totalSteps: this.totalSteps, warmupSteps: this.warmupSteps };
    return new LearningRateSchedule(options, [...this.multipliers, added]);
  }

  private checkStep(step: unknown, name: string): number {
    if (typeof step !== 'number' || !Number.isInteger(step) || step < 0 || step > this.totalSteps) {
      throw invalidArgument(`integer between 0 and ${this.totalSteps}`, name, step);
    }
    return step;
  }

  private checkMultiplier(m: unknown, prefix: string): LrMultiplier {
    const where = (field: string) => (prefix ? `${prefix}.${field}` : field);
    if (m === null || typeof m !== 'object') throw invalidArgument('an object { fromStep, factor }', prefix, m);
    const { fromStep, factor } = m as LrMultiplier;
    if (typeof factor !== 'number' || !Number.isFinite(factor) || factor <= 0) {
      throw invalidArgument('positive finite number', where('factor'), factor);
    }
    return Object.freeze({ fromStep: this.checkStep(fromStep, where('fromStep')), factor });
  }
}

/** Checks every field; the messages name the option as the caller spelled it. */
function validateOptions(options: ScheduleOptions): ScheduleOptions {
  if (options === null || typeof options !== 'object') throw invalidArgument('an options object', 'options', options);
  const { type, baseLr, totalSteps, warmupSteps, warmupRatio } = options;
  if (!SCHEDULER_TYPES.includes(type)) {
    throw invalidArgument("'linear', 'cosine', 'constant' or 'constant_with_warmup'", 'type', type);
  }
  if (typeof baseLr !== 'number' || !Number.isFinite(baseLr) || baseLr < 0) {
    throw invalidArgument('non-negative finite number', 'baseLr', baseLr);
  }
  if (typeof totalSteps !== 'number' || !Number.isInteger(totalSteps) || totalSteps <= 0) {
    throw invalidArgument('positive integer', 'totalSteps', totalSteps);
  }
  if (warmupSteps !== undefined && (typeof warmupSteps !== 'number' || !Number.isInteger(warmupSteps) || warmupSteps < 0)) {
    throw invalidArgument('non-negative integer (a fraction of totalSteps goes in warmupRatio)', 'warmupSteps', warmupSteps);
  }
  if (warmupRatio !== undefined && (typeof warmupRatio !== 'number' || !(warmupRatio >= 0 && warmupRatio <= 1))) {
    throw invalidArgument('number between 0 and 1', 'warmupRatio', warmupRatio);
  }
  return options;
}
