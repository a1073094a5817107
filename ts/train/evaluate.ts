// One pass over evaluation batches: loss (as HF's Trainer averages it: each batch's mean loss
// counted once per example, so a short last batch weighs what it holds), accuracy, macro-F1,
// confusion matrix. Runs through Trainer.evalStep, so the trainer's AMP setting applies.
import { AlbertTrainerError } from '../errors';
import type { Batch } from '../model/batch';
import type { Trainer } from '../trainer';
import { type ClassificationMetrics, classificationMetrics, predictions } from './metrics';

export interface EvaluationResult extends ClassificationMetrics {
  loss: number;
  examples: number;
}

export async function evaluate(trainer: Trainer, batches: Iterable<Batch> | AsyncIterable<Batch>): Promise<EvaluationResult> {
  const numLabels = trainer.model.config.num_labels;
  const predicted: number[] = [];
  const truth: number[] = [];
  let lossSum = 0;
  for await (const batch of batches) {
    if (!(batch.labels instanceof Int32Array)) {
      throw new AlbertTrainerError('ERR_INPUT', 'evaluation batches need integer class labels (single-label classification)');
    }
    const { logits, loss } = await trainer.evalStep(batch);
    lossSum += (loss ?? Number.NaN) * batch.batchSize;
    predicted.push(...predictions(logits, numLabels));
    truth.push(...batch.labels);
  }
  if (truth.length === 0) throw new AlbertTrainerError('ERR_INPUT', 'the evaluation set is empty');
  const metrics = classificationMetrics(Int32Array.from(predicted), Int32Array.from(truth), numLabels);
  return { loss: lossSum / truth.length, examples: truth.length, ...metrics };
}
