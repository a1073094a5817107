// Mixed precision on the CPU: bf16/fp16 autocast forward close to fp32, training that learns
// under bf16 and fp16, and the fp16 loss scaler's rules (skip + back off on overflow with the
// weights untouched, growth after growthInterval good steps, skipped steps not counted).
import { AlbertForSequenceClassification } from '../../ts/model/albert';
import { TrainingSession } from '../../ts/training-session';
import { maxAbs, maxAbsDiff, sameValues, snapshot, tinyModel } from '../helpers/tiny-model';
import { randomBatch, toyBatch } from '../helpers/batches';

// initializer_range 0.25 makes logits of magnitude ~1, so the absolute tolerances below are
// meaningful: bf16 keeps 8 mantissa bits (relative error ~4e-3 per op), fp16 keeps 11 (~5e-4).
const SCALE_1 = { initializer_range: 0.25 };
const BF16_TOLERANCE = 2e-2;
const FP16_TOLERANCE = 5e-3;

const batch = randomBatch({ batchSize: 4, seqLen: 16, padTail: 5, seed: 21 });
const toy = toyBatch(); // label 1 when token 5 appears

async function train(trainer: TrainingSession, steps: number, lr: number): Promise<number[]> {
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push((await trainer.step(toy, lr)).loss);
  return losses;
}

describe('autocast forward', () => {
  let model: AlbertForSequenceClassification;
  beforeAll(() => {
    model = tinyModel(SCALE_1, 8);
  });
  afterAll(() => model.dispose());

  test(`bf16 logits are within ${BF16_TOLERANCE} (absolute) of fp32 for the same weights and batch`, async () => {
    const fp32 = (await model.forward(batch)).logits;
    const bf16 = (await model.forward(batch, { amp: 'bf16' })).logits;
    expect(maxAbs(fp32)).toBeGreaterThan(0.3); // logits of scale ~1
    expect(maxAbs(fp32)).toBeLessThan(5);
    const diff = maxAbsDiff(bf16, fp32);
    expect(diff).toBeLessThan(BF16_TOLERANCE);
    expect(diff).toBeGreaterThan(0); // bf16 really ran: the amp option is not ignored
  });

  test(`fp16 logits are within ${FP16_TOLERANCE} (absolute) of fp32`, async () => {
    const fp32 = (await model.forward(batch)).logits;
    const fp16 = (await model.forward(batch, { amp: 'fp16' })).logits;
    const diff = maxAbsDiff(fp16, fp32);
    expect(diff).toBeLessThan(FP16_TOLERANCE);
    expect(diff).toBeGreaterThan(0);
  });

  test('autocast leaves the fp32 weights and later fp32 forwards alone', async () => {
    const before = snapshot(model);
    const fp32 = (await model.forward(batch)).logits;
    await model.forward(batch, { amp: 'bf16' });
    expect(sameValues(snapshot(model), before)).toBe(true);
    expect(maxAbsDiff((await model.forward(batch)).logits, fp32)).toBe(0);
  });
});

describe('bf16 training', () => {
  test('50 steps on the toy batch lower the loss clearly; no loss scale', async () => {
    const model = tinyModel({}, 12);
    const trainer = new TrainingSession(model, { amp: 'bf16' });
    const losses = await train(trainer, 50, 3e-3);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[49]).toBeLessThan(0.5 * losses[0]);
    expect(losses[49]).toBeLessThan(0.1);
    expect([trainer.lossScale, trainer.stepCount]).toEqual([1, 50]);
    trainer.dispose();
    model.dispose();
  });
});

describe('fp16 loss scaling', () => {
  test('an overflowing scale skips the step: weights unchanged, scale backs off, step not counted', async () => {
    const model = tinyModel({}, 13);
    const trainer = new TrainingSession(model, { amp: 'fp16', lossScale: { init: 2 ** 40 } });
    const before = snapshot(model);
    const reference = tinyModel({}, 13); // the same weights, for the unscaled fp32 loss
    const fp32Loss = (await reference.forward(toy)).loss as number;

    const result = await trainer.step(toy, 1e-2);
    expect(result.skipped).toBe(true);
    expect(Number.isFinite(result.gradNorm)).toBe(false);
    expect(result.lossScale).toBe(2 ** 39);
    expect(Math.abs(result.loss - fp32Loss)).toBeLessThan(1e-2); // the reported loss is unscaled
    expect(sameValues(snapshot(model), before)).toBe(true);
    expect([trainer.stepCount, trainer.lossScale]).toEqual([0, 2 ** 39]);

    // It keeps halving until the gradients fit in fp16; only then does a step count.
    let scale = 2 ** 39;
    let skipped = 1;
    for (;;) {
      const next = await trainer.step(toy, 1e-2);
      if (!next.skipped) {
        expect(next.lossScale).toBe(scale);
        expect(Number.isFinite(next.gradNorm)).toBe(true);
        break;
      }
      scale /= 2;
      skipped++;
      expect([next.lossScale, trainer.stepCount]).toEqual([scale, 0]);
      expect(skipped).toBeLessThan(40);
    }
    expect(skipped).toBeGreaterThan(1);
    expect(trainer.stepCount).toBe(1);
    expect(sameValues(snapshot(model), before)).toBe(false);
    trainer.dispose();
    model.dispose();
    reference.dispose();
  });

  test('with growthInterval 2, two good steps double the scale', async () => {
    const model = tinyModel({}, 14);
    const trainer = new TrainingSession(model, { amp: 'fp16', lossScale: { init: 128, growthInterval: 2 } });
    expect(trainer.lossScale).toBe(128);
    const first = await trainer.step(toy, 1e-3);
    expect([first.skipped, first.lossScale]).toEqual([false, 128]);
    const second = await trainer.step(toy, 1e-3);
    expect([second.skipped, second.lossScale]).toEqual([false, 256]);
    const third = await trainer.step(toy, 1e-3);
    expect(third.lossScale).toBe(256);
    expect([trainer.stepCount, trainer.lossScale]).toEqual([3, 256]);
    trainer.dispose();
    model.dispose();
  });

  test('custom growth and backoff factors are used', async () => {
    const model = tinyModel({}, 15);
    const trainer = new TrainingSession(model, { amp: 'fp16', lossScale: { init: 2 ** 40, backoffFactor: 0.25, growthFactor: 4, growthInterval: 1 } });
    expect((await trainer.step(toy, 1e-3)).lossScale).toBe(2 ** 38);
    trainer.dispose();
    model.dispose();
  });

  test('~30 fp16 steps on the toy batch lower the loss', async () => {
    const model = tinyModel({}, 16);
    const trainer = new TrainingSession(model, { amp: 'fp16' });
    const losses = await train(trainer, 30, 3e-3);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[29]).toBeLessThan(0.5 * losses[0]);
    trainer.dispose();
    model.dispose();
  });

  test('computeGradients under fp16 returns unscaled gradients close to fp32 ones', async () => {
    const [a, b] = [tinyModel(SCALE_1, 17), tinyModel(SCALE_1, 17)];
    const [ta, tb] = [new TrainingSession(a, { amp: 'fp16', lossScale: { init: 1024 } }), new TrainingSession(b)];
    const fp16 = await ta.computeGradients(batch);
    const fp32 = await tb.computeGradients(batch);
    expect(ta.lossScale).toBe(1024); // gradients only: the scaler does not move
    for (const [name, grad] of Object.entries(fp32.gradients)) {
      const scale = Math.max(maxAbs(grad), 1e-3);
      expect([name, maxAbsDiff(fp16.gradients[name], grad) / scale < 5e-2]).toEqual([name, true]);
    }
    ta.dispose();
    tb.dispose();
    a.dispose();
    b.dispose();
  });

  test('bad loss-scale options are ERR_ARGUMENT', () => {
    const model = tinyModel();
    expect(() => new TrainingSession(model, { amp: 'fp16', lossScale: { init: 0 } })).toThrow('Expected positive number for lossScale.init but received 0 of type number');
    expect(() => new TrainingSession(model, { amp: 'fp16', lossScale: { growthInterval: 1.5 } })).toThrow(
      'Expected positive integer for lossScale.growthInterval but received 1.5 of type number',
    );
    expect(() => new TrainingSession(model, { amp: 'fp16', lossScale: { growthFactor: 1 } })).toThrow('Expected number > 1 for lossScale.growthFactor but received 1 of type number');
    expect(() => new TrainingSession(model, { amp: 'fp8' as never })).toThrow('Expected \'off\', \'bf16\' or \'fp16\' for amp but received "fp8" of type string');
    model.dispose();
  });

  test('backoffFactor 0 is refused, as its message says: (0, 1)', () => {
    // A zero backoff would set the scale to 0 on the first overflow: every later gradient is 0 x inf.
    const model = tinyModel();
    expect(() => new TrainingSession(model, { amp: 'fp16', lossScale: { backoffFactor: 0 } })).toThrow(
      'Expected number in (0, 1) for lossScale.backoffFactor but received 0 of type number',
    );
    model.dispose();
  });
});
