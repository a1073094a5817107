// ts/train/schedule.ts against HF transformers 5.18 itself: the lr a torch optimizer holds at every
// optimizer step under get_scheduler(...), and TrainingArguments.get_warmup_steps, all from one
// reference run (test/reference/schedule_reference.py).
import { AlbertTrainerError } from '../../ts/errors';
import {
  LearningRateSchedule,
  SCHEDULER_TYPES,
  type ScheduleOptions,
  type SchedulerType,
  learningRate,
  warmupSteps,
} from '../../ts/train/schedule';
import { runReference } from '../helpers/python';

/**
 * float64 agreement asked of every step: 1e-12 relative, plus one float64 ulp of the factor on
 * baseLr (Number.EPSILON * baseLr, 8.9e-21 at 4e-5). The floor is for the cosine tail: V8's
 * Math.cos (fdlibm) and glibc's cos, which Python calls, differ by 1 ulp on about 1% of
 * arguments, and near the end 1 + cos(pi * progress) cancels to ~1e-6, so that ulp becomes up to
 * ~2e-12 relative (4888 steps, step 4871: 1.1937980719034514e-9 vs 1.193798071901231e-9).
 */
const RELATIVE_TOLERANCE = 1e-12;
const tolerance = (want: number, baseLr: number) => RELATIVE_TOLERANCE * Math.abs(want) + Number.EPSILON * baseLr;

interface Reference {
  version: string;
  warmup_ratio_field: boolean;
  schedules: { warmup: number; lrs: number[] }[];
  warmup: number[];
}

type Case = Omit<ScheduleOptions, 'type'>;

/** Each is run under every scheduler type. */
const CASES: Record<string, Case> = {
  'reference run (4e-5, 2500 steps, ratio 0.2)': { baseLr: 4e-5, totalSteps: 2500, warmupRatio: 0.2 },
  'small (20 steps, ratio 0.2 -> 4)': { baseLr: 4e-5, totalSteps: 20, warmupRatio: 0.2 },
  'no warmup given': { baseLr: 1e-3, totalSteps: 20 },
  'warmupSteps 0': { baseLr: 3e-5, totalSteps: 17, warmupSteps: 0 },
  'warmup == total': { baseLr: 2e-5, totalSteps: 20, warmupSteps: 20 },
  'warmup > total': { baseLr: 2e-5, totalSteps: 10, warmupSteps: 15 },
  'warmupRatio 1 (== total)': { baseLr: 5e-5, totalSteps: 12, warmupRatio: 1 },
  'one step': { baseLr: 1e-4, totalSteps: 1 },
  'one step, ratio 0.5 -> 1': { baseLr: 1e-4, totalSteps: 1, warmupRatio: 0.5 },
  'one warmup step': { baseLr: 7e-5, totalSteps: 9, warmupSteps: 1 },
  'ceil rounds 100 * 0.07 up to 8': { baseLr: 1e-5, totalSteps: 100, warmupRatio: 0.07 },
  'warmupSteps wins over warmupRatio': { baseLr: 3e-5, totalSteps: 50, warmupSteps: 5, warmupRatio: 0.5 },
  'odd sizes (1000 steps, ratio 0.06)': { baseLr: 3e-5, totalSteps: 1000, warmupRatio: 0.06 },
  'baseLr 0': { baseLr: 0, totalSteps: 8, warmupRatio: 0.25 },
  'cosine tail past 1e-12 relative (4888 steps)': { baseLr: 4e-5, totalSteps: 4888 },
};

const SCHEDULES: { name: string; options: ScheduleOptions }[] = SCHEDULER_TYPES.flatMap((type) =>
  Object.entries(CASES).map(([name, c]) => ({ name, options: { type, ...c } })),
);

/**
 * The same warmup as TrainingArguments' v5 `warmup_steps` (an int, or a float < 1 meaning a ratio).
 * A ratio of 1 has no v5 spelling (1.0 is one step), so it goes over as the step count it means.
 */
function hfWarmupSteps(options: ScheduleOptions): number {
  if ((options.warmupSteps ?? 0) > 0) return options.warmupSteps!;
  const ratio = options.warmupRatio ?? 0;
  return ratio < 1 ? ratio : options.totalSteps;
}

/** get_warmup_steps alone, over a grid of ratios where ceil(total * ratio) is touchy. */
const WARMUP_TOTALS = [1, 3, 7, 10, 20, 100, 300, 1000, 2500, 3333];
const WARMUP_RATIOS = [0, 0.01, 0.03, 0.06, 0.07, 0.1, 0.14, 0.2, 0.29, 0.3, 0.33, 0.5, 0.57, 0.7, 0.9, 0.99];
const WARMUP_GRID: ScheduleOptions[] = WARMUP_TOTALS.flatMap((totalSteps) => [
  ...WARMUP_RATIOS.map((warmupRatio) => ({ type: 'linear' as const, baseLr: 1, totalSteps, warmupRatio })),
  ...[1, 2, 5, 500].map((steps) => ({ type: 'linear' as const, baseLr: 1, totalSteps, warmupSteps: steps })),
]);

let reference: Reference;

beforeAll(() => {
  reference = runReference<Reference>('schedule_reference.py', [], {
    schedules: SCHEDULES.map(({ options: o }) => ({ type: o.type, base_lr: o.baseLr, total: o.totalSteps, warmup_steps: hfWarmupSteps(o) })),
    warmup: WARMUP_GRID.map((o) => ({ total: o.totalSteps, warmup_steps: hfWarmupSteps(o) })),
  });
}, 120000);

/** The first step that misses the tolerance, and how many steps are not bit-identical. */
function compare(ours: number[], hf: number[], baseLr: number): { miss: string | null; inexact: number } {
  let miss: string | null = null;
  let inexact = 0;
  hf.forEach((want, step) => {
    const got = ours[step];
    if (got !== want) inexact += 1;
    if (!(Math.abs(got - want) <= tolerance(want, baseLr)) && miss === null) miss = `step ${step}: ours ${got}, HF ${want}`;
  });
  return { miss, inexact };
}

describe('against HF transformers', () => {
  test('the reference is transformers 5.18, where warmup_ratio is gone from TrainingArguments', () => {
    expect(reference.version).toBe('5.18.0');
    expect(reference.warmup_ratio_field).toBe(false);
  });

  describe.each(SCHEDULER_TYPES)('%s', (type: SchedulerType) => {
    test.each(Object.keys(CASES))('%s: the lr at every step, and the warmup', (name) => {
      const index = SCHEDULES.findIndex((s) => s.options.type === type && s.name === name);
      const options = SCHEDULES[index].options;
      const hf = reference.schedules[index];
      const schedule = new LearningRateSchedule(options);
      expect(schedule.warmupSteps).toBe(hf.warmup);
      expect(warmupSteps(options)).toBe(hf.warmup);
      expect(hf.lrs).toHaveLength(options.totalSteps + 1);
      const ours = hf.lrs.map((_, step) => schedule.at(step));
      const { miss, inexact } = compare(ours, hf.lrs, options.baseLr);
      expect(miss).toBeNull();
      // only cos can differ (by an ulp); every other formula is exact integer-and-divide arithmetic
      if (type !== 'cosine') expect(inexact).toBe(0);
      // the pure function agrees with the class
      expect(hf.lrs.map((_, step) => learningRate(options, step))).toEqual(ours);
    });
  });

  test('get_warmup_steps over a grid of totals, ratios and step counts', () => {
    const ours = WARMUP_GRID.map((o) => warmupSteps(o));
    const mismatches = WARMUP_GRID.flatMap((o, i) =>
      ours[i] === reference.warmup[i] ? [] : [`${JSON.stringify(o)}: ours ${ours[i]}, HF ${reference.warmup[i]}`],
    );
    expect(mismatches).toEqual([]);
  });
});

describe('withLrMultiplier (the collapse guard halving the lr for the rest of a run)', () => {
  const base = new LearningRateSchedule({ type: 'cosine', baseLr: 4e-5, totalSteps: 20, warmupRatio: 0.2 });
  const steps = Array.from({ length: 21 }, (_, step) => step);

  test('scales the lr from fromStep on, and leaves the earlier steps and the original alone', () => {
    const before = steps.map((step) => base.at(step));
    const halved = base.withLrMultiplier(0.5, 10);
    expect(steps.map((step) => halved.at(step))).toEqual(steps.map((step) => (step < 10 ? before[step] : before[step] * 0.5)));
    expect(steps.map((step) => base.at(step))).toEqual(before);
    expect(base.multipliers).toEqual([]);
    expect(halved.multipliers).toEqual([{ fromStep: 10, factor: 0.5 }]);
    expect([halved.type, halved.baseLr, halved.totalSteps, halved.warmupSteps]).toEqual(['cosine', 4e-5, 20, 4]);
  });

  test('multipliers compound, and a schedule rebuilt from them (a resumed checkpoint) is the same', () => {
    const twice = base.withLrMultiplier(0.5, 6).withLrMultiplier(0.5, 15);
    const expected = steps.map((step) => base.at(step) * (step >= 6 ? 0.5 : 1) * (step >= 15 ? 0.5 : 1));
    expect(steps.map((step) => twice.at(step))).toEqual(expected);
    const resumed = new LearningRateSchedule({ type: 'cosine', baseLr: 4e-5, totalSteps: 20, warmupRatio: 0.2 }, twice.multipliers);
    expect(steps.map((step) => resumed.at(step))).toEqual(expected);
  });

  test('a multiplier from step 0 scales the whole run', () => {
    const whole = base.withLrMultiplier(0.25, 0);
    expect(steps.map((step) => whole.at(step))).toEqual(steps.map((step) => base.at(step) * 0.25));
  });
});

describe('bad arguments', () => {
  const good: ScheduleOptions = { type: 'linear', baseLr: 4e-5, totalSteps: 20, warmupRatio: 0.2 };
  const schedule = new LearningRateSchedule(good);

  function thrown(fn: () => unknown): { code: string; message: string } {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(AlbertTrainerError);
      return { code: (error as AlbertTrainerError).code, message: (error as Error).message };
    }
    throw new Error('expected a throw');
  }

  const OPTION_ERRORS: [string, unknown, string][] = [
    ['null options', null, 'Expected an options object for options but received null'],
    ['a string', 'cosine', 'Expected an options object for options but received "cosine" of type string'],
    [
      'an HF type we do not run',
      { ...good, type: 'cosine_with_restarts' },
      `Expected 'linear', 'cosine', 'constant' or 'constant_with_warmup' for type but received "cosine_with_restarts" of type string`,
    ],
    [
      'no type',
      { baseLr: 1, totalSteps: 1 },
      `Expected 'linear', 'cosine', 'constant' or 'constant_with_warmup' for type but received undefined`,
    ],
    ['negative baseLr', { ...good, baseLr: -1e-5 }, 'Expected non-negative finite number for baseLr but received -0.00001 of type number'],
    ['NaN baseLr', { ...good, baseLr: NaN }, 'Expected non-negative finite number for baseLr but received NaN of type number'],
    ['infinite baseLr', { ...good, baseLr: Infinity }, 'Expected non-negative finite number for baseLr but received Infinity of type number'],
    ['baseLr as a string', { ...good, baseLr: '4e-5' }, 'Expected non-negative finite number for baseLr but received "4e-5" of type string'],
    ['zero totalSteps', { ...good, totalSteps: 0 }, 'Expected positive integer for totalSteps but received 0 of type number'],
    ['fractional totalSteps', { ...good, totalSteps: 2.5 }, 'Expected positive integer for totalSteps but received 2.5 of type number'],
    ['missing totalSteps', { type: 'linear', baseLr: 1 }, 'Expected positive integer for totalSteps but received undefined'],
    [
      'negative warmupSteps',
      { ...good, warmupSteps: -1 },
      'Expected non-negative integer (a fraction of totalSteps goes in warmupRatio) for warmupSteps but received -1 of type number',
    ],
    [
      "v5's ratio-as-warmup_steps",
      { ...good, warmupSteps: 0.1 },
      'Expected non-negative integer (a fraction of totalSteps goes in warmupRatio) for warmupSteps but received 0.1 of type number',
    ],
    ['warmupRatio above 1', { ...good, warmupRatio: 1.5 }, 'Expected number between 0 and 1 for warmupRatio but received 1.5 of type number'],
    ['negative warmupRatio', { ...good, warmupRatio: -0.1 }, 'Expected number between 0 and 1 for warmupRatio but received -0.1 of type number'],
    ['NaN warmupRatio', { ...good, warmupRatio: NaN }, 'Expected number between 0 and 1 for warmupRatio but received NaN of type number'],
  ];

  test.each(OPTION_ERRORS)('%s', (_, options, message) => {
    const expected = { code: 'ERR_ARGUMENT', message };
    expect(thrown(() => new LearningRateSchedule(options as ScheduleOptions))).toEqual(expected);
    expect(thrown(() => learningRate(options as ScheduleOptions, 0))).toEqual(expected);
    expect(thrown(() => warmupSteps(options as ScheduleOptions))).toEqual(expected);
  });

  test.each([
    [-1, 'Expected integer between 0 and 20 for step but received -1 of type number'],
    [21, 'Expected integer between 0 and 20 for step but received 21 of type number'],
    [2.5, 'Expected integer between 0 and 20 for step but received 2.5 of type number'],
    ['3', 'Expected integer between 0 and 20 for step but received "3" of type string'],
  ])('step %p', (step, message) => {
    expect(thrown(() => schedule.at(step as number))).toEqual({ code: 'ERR_ARGUMENT', message });
    expect(thrown(() => learningRate(good, step as number))).toEqual({ code: 'ERR_ARGUMENT', message });
  });

  test.each([
    [0, 5, 'Expected positive finite number for factor but received 0 of type number'],
    [NaN, 5, 'Expected positive finite number for factor but received NaN of type number'],
    [0.5, 21, 'Expected integer between 0 and 20 for fromStep but received 21 of type number'],
    [0.5, -1, 'Expected integer between 0 and 20 for fromStep but received -1 of type number'],
  ])('withLrMultiplier(%p, %p)', (factor, fromStep, message) => {
    expect(thrown(() => schedule.withLrMultiplier(factor, fromStep))).toEqual({ code: 'ERR_ARGUMENT', message });
  });

  test('multipliers passed to the constructor are checked by position', () => {
    expect(thrown(() => new LearningRateSchedule(good, [{ fromStep: 2, factor: 0.5 }, { fromStep: 30, factor: 0.5 }]))).toEqual({
      code: 'ERR_ARGUMENT',
      message: 'Expected integer between 0 and 20 for multipliers[1].fromStep but received 30 of type number',
    });
    expect(thrown(() => new LearningRateSchedule(good, [null as unknown as { fromStep: number; factor: number }]))).toEqual({
      code: 'ERR_ARGUMENT',
      message: 'Expected an object { fromStep, factor } for multipliers[0] but received null',
    });
  });
});
