// evaluate() over a model alone (evalOnly: its eval-mode forward, no optimizer state) is the same
// pass as over a TrainingSession, and what `albert-train eval` runs; rows labelled -100 count as
// examples and stay out of the metrics. The model's own forward is the reference.
import { TrainingSession } from '../../ts';
import { evalOnly, evaluate } from '../../ts/train/evaluate';
import { classificationMetrics, predictions } from '../../ts/train/metrics';
import { randomBatch } from '../helpers/batches';
import { tinyModel } from '../helpers/tiny-model';

test('evalOnly(model) scores as the session does, with no session', async () => {
  const model = tinyModel({}, 5);
  try {
    const batches = [randomBatch({ seed: 1, batchSize: 4, padTail: 2 }), randomBatch({ seed: 2, batchSize: 3 })];
    const alone = await evaluate(evalOnly(model), batches);
    const session = new TrainingSession(model, {});
    const viaSession = await evaluate(session, batches);
    session.dispose();
    expect(alone).toEqual(viaSession);
    expect(alone.examples).toBe(7);
  } finally {
    model.dispose();
  }
});

test('-100 rows: counted in examples and in the loss weighting, left out of accuracy and the confusion matrix', async () => {
  const model = tinyModel({}, 5);
  try {
    const batch = randomBatch({ seed: 3, batchSize: 5 });
    const labels = batch.labels as Int32Array;
    labels[1] = -100;
    labels[3] = -100;
    const result = await evaluate(evalOnly(model), [batch]);
    const { logits, loss } = await model.forward(batch);
    const predicted = predictions(logits, model.config.num_labels);
    const kept = [0, 2, 4];
    const expected = classificationMetrics(Int32Array.from(kept.map((i) => predicted[i])), Int32Array.from(kept.map((i) => labels[i])), model.config.num_labels);
    expect(result.examples).toBe(5);
    expect(result.loss).toBeCloseTo(loss as number, 10); // one batch: its mean loss over the rows not ignored
    expect(result.accuracy).toBe(expected.accuracy);
    expect(result.confusion).toEqual(expected.confusion);
    expect(result.confusion.flat().reduce((a, b) => a + b, 0)).toBe(3);
  } finally {
    model.dispose();
  }
});
