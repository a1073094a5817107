// The test split, evaluated once after training with the final (or best) weights, as HF's
// `do_predict` + `trainer.save_metrics("test", ...)` write test_results.json: the metrics under
// the `test_` prefix. It never chooses a model: that is the evaluation set's job.
import * as path from 'path';
import { BatchIterator } from '../data/batching';
import type { DatasetRow } from '../data/dataset';
import type { AlbertTokenizer } from '../data/tokenizer';
import { writeFileAtomic } from '../io/atomic-write';
import type { AlbertForSequenceClassification } from '../model/albert';
import type { TrainingArguments } from '../train/arguments';
import { RUN_FILES } from '../train/output-files';
import { classificationMetrics, predictions } from '../train/metrics';
import { evalSpeed } from '../train/speed-metrics';

export interface TestResults {
  test_loss: number;
  test_accuracy: number;
  test_macro_f1: number;
  test_samples: number;
  test_confusion_matrix: number[][];
  test_runtime: number;
  test_samples_per_second: number;
  test_steps_per_second: number;
}

export async function evaluateTestSplit(model: AlbertForSequenceClassification, rows: DatasetRow[], tokenizer: AlbertTokenizer, args: TrainingArguments): Promise<TestResults> {
  const numLabels = model.config.num_labels;
  const examples = rows
    .map((row) => ({ ...tokenizer.encode(row.text, row.textPair, args.maxSeqLength), label: row.label }))
    .sort((a, b) => b.inputIds.length - a.inputIds.length); // less padding; the metrics do not depend on order
  const started = process.hrtime.bigint();
  const predicted: number[] = [];
  const truth: number[] = [];
  let lossSum = 0;
  let steps = 0;
  for await (const batch of new BatchIterator(examples, { batchSize: args.perDeviceEvalBatchSize, padTokenId: tokenizer.padTokenId })) {
    const { logits, loss } = await model.forward(batch, { amp: args.amp });
    lossSum += (loss ?? Number.NaN) * batch.batchSize;
    predicted.push(...predictions(logits, numLabels));
    truth.push(...batch.labels);
    steps += 1;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const metrics = classificationMetrics(Int32Array.from(predicted), Int32Array.from(truth), numLabels);
  const speed = evalSpeed(seconds, truth.length, steps);
  return {
    test_loss: lossSum / truth.length, test_accuracy: metrics.accuracy, test_macro_f1: metrics.macroF1, test_samples: truth.length,
    test_confusion_matrix: metrics.confusion, test_runtime: speed.eval_runtime, test_samples_per_second: speed.eval_samples_per_second,
    test_steps_per_second: speed.eval_steps_per_second,
  };
}

/** test_results.json in the output directory, written atomically (ts/io/atomic-write.ts). ERR_IO on failure. */
export async function writeTestResults(dir: string, results: TestResults): Promise<void> {
  await writeFileAtomic(path.join(dir, RUN_FILES.testResults), `${JSON.stringify(results, null, 2)}\n`, 'the test results');
}
