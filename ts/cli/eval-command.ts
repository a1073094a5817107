// `albert-train eval`: scores a trained model folder on a labelled file (--eval-file, or the
// validation/test file of --dataset): loss, accuracy, macro-F1 and the confusion matrix, under
// HF Trainer.evaluate()'s key names (eval_loss, eval_accuracy, ...). Label names in the file map
// through the model's label2id; integer labels are class ids. Prints a small report (or, with
// --log-format jsonl, one JSON line) and writes the JSON to --output atomically when asked.
import type { Argv } from 'yargs';
import { optionalPositiveCount } from '../checks';
import { BatchIterator } from '../data/batching';
import { withFlagNames as columnFlagNames } from '../data/columns';
import { readSplit } from '../data/read-split';
import { validationSplit } from '../data/splits';
import { AlbertTrainerError } from '../errors';
import { problemTypeOf } from '../model/config';
import { resolveDataset } from '../resolve';
import { evalOnly, evaluate } from '../train/evaluate';
import { evalSpeed, type EvalSpeed } from '../train/speed-metrics';
import { inferenceOptions, inferenceSettings, labelNames, loadClassifier, trainedModelFolder, writeFileAtomically } from './inference-inputs';

export function evalOptions(y: Argv) {
  return inferenceOptions(y)
    .option('dataset', { type: 'string', describe: 'a folder or HF hub dataset id with a validation or test split (parquet, jsonl, csv, tsv), or "subj"' })
    .option('dataset-config-name', { type: 'string', describe: 'the config of --dataset (HF\'s dataset_config_name)' })
    .option('eval-split', { type: 'string', describe: 'the split of --dataset to score (default: validation, valid or dev, else test)' })
    .option('max-eval-samples', { type: 'number', describe: 'score the first N rows (HF\'s --max_eval_samples)' })
    .option('eval-file', { type: 'string', describe: 'the labelled file to score (parquet, jsonl, csv, tsv); instead of --dataset' })
    .option('label-column', { type: 'string', default: 'label', describe: 'class ids, or names from the model\'s label2id' })
    .option('log-format', { choices: ['pretty', 'jsonl'] as const, default: 'pretty' as const, describe: 'jsonl: stdout carries the results as one JSON line' });
}

type EvalFlags = Awaited<ReturnType<ReturnType<typeof evalOptions>['parseAsync']>>;

/** What eval reports, under HF Trainer.evaluate()'s names: the metrics, and its seconds and rates as HF rounds them (EvalSpeed). */
export interface EvalReport extends EvalSpeed {
  eval_loss: number;
  eval_accuracy: number;
  eval_macro_f1: number;
  /** confusion[true class][predicted class], classes in id order (eval_labels). */
  eval_confusion_matrix: number[][];
  /** The class names in id order (id2label): the rows and columns of the confusion matrix. */
  eval_labels: string[];
  eval_samples: number;
}

/** A reader's error in the CLI's words: flag names (as train and predict), the model's label2id named. */
function withFlagNames(error: unknown, configFile: string): unknown {
  const flagged = columnFlagNames(error);
  if (!(flagged instanceof AlbertTrainerError)) return flagged;
  return new AlbertTrainerError(flagged.code, flagged.message.replace(/ is not in label2id;/, ` is not in the model's label2id (${configFile});`));
}

/** The pretty report: metrics, then the confusion matrix labelled with the class names. */
function reportText(report: EvalReport): string {
  const metrics: Array<[string, string]> = [
    ['eval_loss', report.eval_loss.toFixed(4)],
    ['eval_accuracy', report.eval_accuracy.toFixed(4)],
    ['eval_macro_f1', report.eval_macro_f1.toFixed(4)],
    ['eval_samples', String(report.eval_samples)],
    ['eval_runtime', `${report.eval_runtime.toFixed(2)} s`],
    ['eval_samples_per_second', report.eval_samples_per_second.toFixed(1)],
    ['eval_steps_per_second', report.eval_steps_per_second.toFixed(1)],
  ];
  const keyWidth = Math.max(...metrics.map(([key]) => key.length));
  const lines = metrics.map(([key, value]) => `${key.padEnd(keyWidth)}  ${value}`);
  const corner = 'true \\ predicted';
  const rowHeader = Math.max(corner.length, ...report.eval_labels.map((name) => name.length));
  const columnWidths = report.eval_labels.map((name, c) => Math.max(name.length, ...report.eval_confusion_matrix.map((row) => String(row[c]).length)));
  lines.push('', 'confusion matrix (rows: true label, columns: predicted label)');
  lines.push([corner.padEnd(rowHeader), ...report.eval_labels.map((name, c) => name.padStart(columnWidths[c]))].join('  '));
  report.eval_confusion_matrix.forEach((row, r) => {
    lines.push([report.eval_labels[r].padEnd(rowHeader), ...row.map((count, c) => String(count).padStart(columnWidths[c]))].join('  '));
  });
  return `${lines.join('\n')}\n`;
}

export async function runEval(flags: EvalFlags): Promise<void> {
  // 1. Flags, the evaluation file, the model's config: all checked before the weights load.
  const settings = inferenceSettings(flags);
  let evalFiles = flags['eval-file'] !== undefined ? [flags['eval-file']] : undefined;
  if (evalFiles === undefined) {
    if (flags.dataset === undefined) throw new AlbertTrainerError('ERR_ARGUMENT', 'give --dataset or --eval-file');
    const resolved = await resolveDataset(flags.dataset, 'eval', flags['dataset-config-name']);
    const split = flags['eval-split'] ?? validationSplit(resolved.splits) ?? (resolved.splits.test ? 'test' : undefined);
    if (split === undefined || resolved.splits[split] === undefined) {
      throw new AlbertTrainerError('ERR_ARGUMENT', `--dataset ${flags.dataset}: no ${flags['eval-split'] !== undefined ? `split "${split}"` : 'validation or test split'} to score; its splits are ${Object.keys(resolved.splits).join(', ') || '(none)'}; pass --eval-split or --eval-file`);
    }
    evalFiles = resolved.splits[split];
  }
  const evalFile = evalFiles.length === 1 ? evalFiles[0] : `${evalFiles[0]} (and ${evalFiles.length - 1} more shards)`;
  const maxEval = optionalPositiveCount(flags['max-eval-samples'], '--max-eval-samples');
  const folder = await trainedModelFolder(flags.model);
  const { config } = folder;
  const problemType = problemTypeOf(config);
  if (problemType !== 'single_label_classification') {
    throw new AlbertTrainerError('ERR_CONFIG', `${folder.resolved.configFile}: eval scores single-label classification; this model's problem_type is ${problemType}`);
  }
  const names = labelNames(config);
  let data;
  try {
    // --text-column's default ('text') is picked first anyway where there is such a column; elsewhere the columns are picked as train picks them.
    const textColumn = flags['text-column'] === 'text' && flags['text-pair-column'] === undefined ? undefined : flags['text-column'];
    data = await readSplit(evalFiles, {
      textColumn, labelColumn: flags['label-column'],
      ...(flags['text-pair-column'] !== undefined ? { textPairColumn: flags['text-pair-column'] } : {}),
      label2id: config.label2id, numLabels: config.num_labels,
    });
    if (maxEval !== undefined) data.rows = data.rows.slice(0, maxEval);
  } catch (error) {
    throw withFlagNames(error, folder.resolved.configFile);
  }

  // 2. Model and tokenizer; examples longest first (less padding: the metrics do not depend on order).
  const { model, tokenizer } = await loadClassifier(folder, flags, settings);
  const jsonl = flags['log-format'] === 'jsonl';
  if (!jsonl) {
    process.stderr.write(`albert-train: evaluating ${data.rows.length} examples from ${evalFile}; ${settings.device}, amp ${settings.amp}\n`);
  }
  const examples = data.rows
    .map((row) => ({ ...tokenizer.encode(row.text, row.textPair, settings.maxLength), label: row.label }))
    .sort((a, b) => b.inputIds.length - a.inputIds.length);

  // 3. One pass of the evaluation loop train() uses (ts/train/evaluate.ts), over the model alone.
  const started = process.hrtime.bigint();
  let evaluation;
  try {
    evaluation = await evaluate(evalOnly(model, settings.amp), new BatchIterator(examples, { batchSize: settings.batchSize, padTokenId: tokenizer.padTokenId }));
  } finally {
    model.dispose();
  }
  const runtime = Number(process.hrtime.bigint() - started) / 1e9;
  const report: EvalReport = {
    eval_loss: evaluation.loss,
    eval_accuracy: evaluation.accuracy,
    eval_macro_f1: evaluation.macroF1,
    eval_confusion_matrix: evaluation.confusion,
    eval_labels: names,
    eval_samples: evaluation.examples,
    ...evalSpeed(runtime, evaluation.examples, evaluation.batches),
  };

  // 4. The file first (atomic), then the report.
  if (flags.output !== undefined) await writeFileAtomically(flags.output, `${JSON.stringify(report, null, 2)}\n`);
  if (jsonl) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(reportText(report) + (flags.output !== undefined ? `\nwritten to ${flags.output}\n` : ''));
}
