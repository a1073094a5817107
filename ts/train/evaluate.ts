// One pass over evaluation batches: loss (as HF's Trainer averages it: each batch's mean loss
// counted once per example, so a short last batch weighs what it holds), accuracy, macro-F1,
// confusion matrix. The one evaluation loop of the project: train() runs it through its
// TrainingSession (the session's AMP and CUDA graphs), `albert-train eval` through evalOnly(model)
// (the model's forward, no optimizer). Rows labelled -100 (ignored, as the loss ignores them)
// count as examples but not in the metrics (ts/train/metrics.ts).
// Data-parallel: each rank predicts its own shard of the set, and the shards' predictions are
// gathered so every rank computes the metrics of the whole set (as accelerate's
// gather_for_metrics; the shards are not padded, so no example counts twice).
import type { ProcessGroup } from '../distributed/process-group';
import { AlbertTrainerError } from '../errors';
import type { AlbertForSequenceClassification, ForwardResult } from '../model/albert';
import type { Batch } from '../model/batch';
import type { NativeAmp } from '../native';
import { type ClassificationMetrics, classificationMetrics, predictions } from './metrics';

export interface EvaluationResult extends ClassificationMetrics {
  loss: number;
  examples: number;
  /** Batches this process evaluated (data-parallel: its shard's). */
  batches: number;
}

/**
 * What evaluate() runs its forward passes with: a TrainingSession (its evalStep), or a model
 * alone through evalOnly().
 */
export interface EvalForward {
  readonly model: { readonly config: { readonly num_labels: number } };
  evalStep(batch: Batch): Promise<ForwardResult>;
}

/** An eval-only path over `model`: its eval-mode forward under `amp` (default 'off'); no optimizer state. */
export function evalOnly(model: AlbertForSequenceClassification, amp?: NativeAmp): EvalForward {
  return { model, evalStep: (batch) => model.forward(batch, amp === undefined ? {} : { amp }) };
}

/** One rank's predictions: class ids, labels, and the sum over examples of their batch's mean loss. */
interface PredictionShard {
  predicted: number[];
  truth: number[];
  lossSum: number;
  batches: number;
}

async function predictShard(forward: EvalForward, batches: Iterable<Batch> | AsyncIterable<Batch>): Promise<PredictionShard> {
  const numLabels = forward.model.config.num_labels;
  const shard: PredictionShard = { predicted: [], truth: [], lossSum: 0, batches: 0 };
  for await (const batch of batches) {
    if (!(batch.labels instanceof Int32Array)) {
      throw new AlbertTrainerError('ERR_INPUT', 'evaluation batches need integer class labels (single-label classification)');
    }
    const { logits, loss } = await forward.evalStep(batch);
    shard.lossSum += (loss ?? Number.NaN) * batch.batchSize;
    shard.predicted.push(...predictions(logits, numLabels));
    shard.truth.push(...batch.labels);
    shard.batches += 1;
  }
  return shard;
}

/** Evaluates `batches` (with `group`: this rank's shard of the set, every rank calling it). */
export async function evaluate(forward: EvalForward, batches: Iterable<Batch> | AsyncIterable<Batch>, group?: ProcessGroup): Promise<EvaluationResult> {
  const mine = await predictShard(forward, batches);
  const shards = group ? await gatherShards(group, mine) : [mine];
  const predicted = shards.flatMap((s) => s.predicted);
  const truth = shards.flatMap((s) => s.truth);
  if (truth.length === 0) throw new AlbertTrainerError('ERR_INPUT', 'the evaluation set is empty');
  const lossSum = shards.reduce((sum, s) => sum + s.lossSum, 0);
  const metrics = classificationMetrics(Int32Array.from(predicted), Int32Array.from(truth), forward.model.config.num_labels);
  return { loss: lossSum / truth.length, examples: truth.length, batches: mine.batches, ...metrics };
}

/** Every rank's shard, in rank order. JSON has no NaN: a NaN loss sum travels as null. */
async function gatherShards(group: ProcessGroup, mine: PredictionShard): Promise<PredictionShard[]> {
  const all = await group.allgatherJson({ ...mine, lossSum: Number.isFinite(mine.lossSum) ? mine.lossSum : null });
  return all.map((shard) => ({ ...shard, lossSum: shard.lossSum ?? Number.NaN }));
}
