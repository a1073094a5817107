// evaluate(): its loss is HF's (per-example weighting across uneven batches), its metrics those
// of the logits it saw. The model's own forward is the reference for the logits and losses.
import { AlbertForSequenceClassification, TrainingSession } from '../../ts';
import { evaluate } from '../../ts/train/evaluate';
import { classificationMetrics, predictions } from '../../ts/train/metrics';
import { tinyModel } from '../helpers/tiny-model';
import { randomBatch } from '../helpers/batches';

let model: AlbertForSequenceClassification;
let trainer: TrainingSession;
beforeAll(() => {
  model = tinyModel({}, 5);
  trainer = new TrainingSession(model, {});
});
afterAll(() => {
  trainer.dispose();
  model.dispose();
});

test('loss weights each example once; metrics come from the same logits', async () => {
  const batches = [randomBatch({ seed: 1, batchSize: 4, padTail: 2 }), randomBatch({ seed: 2, batchSize: 4 }), randomBatch({ seed: 3, batchSize: 1 })];
  const result = await evaluate(trainer, batches);
  let weighted = 0;
  const preds: number[] = [];
  const labels: number[] = [];
  for (const b of batches) {
    const { logits, loss } = await model.forward(b);
    weighted += (loss as number) * b.batchSize;
    preds.push(...predictions(logits, model.config.num_labels));
    labels.push(...(b.labels as Int32Array));
  }
  expect(result.examples).toBe(9);
  expect(result.loss).toBeCloseTo(weighted / 9, 10);
  const expected = classificationMetrics(Int32Array.from(preds), Int32Array.from(labels), model.config.num_labels);
  expect(result.accuracy).toBe(expected.accuracy);
  expect(result.macroF1).toBe(expected.macroF1);
  expect(result.confusion).toEqual(expected.confusion);
});

test('an empty evaluation set is ERR_INPUT', async () => {
  await expect(evaluate(trainer, [])).rejects.toMatchObject({ code: 'ERR_INPUT', message: 'the evaluation set is empty' });
});
