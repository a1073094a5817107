// `albert-train predict`: classifies texts with a trained model folder and writes one JSON line
// per input, in input order: {label, score, probabilities[, logits]}, numbers as float32 values
// (ts/predict.ts's fp32). Texts come from --text (repeatable) or a --file (jsonl, csv, tsv, or
// txt with one text per line; no label column needed); a --file row's line starts with its
// input's `id` (else `idx`) column, or with its `line` in the file when it has none (a .txt
// skips blank lines, so the line numbers say which text each is); the lines go to stdout,
// or to --output, written atomically once every prediction is made (a one-line summary goes to
// stderr). The inference itself is
// ts/predict.ts (length-sorted batches).
import type { Argv } from 'yargs';
import { AlbertTrainerError } from '../errors';
import { type PredictInput, predict } from '../predict';
import { inferenceOptions, inferenceSettings, loadClassifier, readTextRows, trainedModelFolder, writeFileAtomically } from './inference-inputs';

export function predictOptions(y: Argv) {
  return inferenceOptions(y)
    .option('text', { type: 'string', requiresArg: true, describe: 'a text to classify; repeat for more (instead of --file)' })
    .option('file', { type: 'string', requiresArg: true, describe: 'a jsonl, csv or tsv file of texts to classify, or a .txt with one text per line (instead of --text)' })
    .option('output-logits', { type: 'boolean', default: false, describe: 'add each input\'s logits to its line' });
}

type PredictFlags = Awaited<ReturnType<ReturnType<typeof predictOptions>['parseAsync']>>;

/** --text given once is a string, given again an array (yargs' duplicate-arguments-array). */
function textFlags(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : ([] as string[]).concat(value);
}

export async function runPredict(flags: PredictFlags): Promise<void> {
  // 1. Flags, then the inputs: all checked before the model loads.
  const settings = inferenceSettings(flags);
  const texts = textFlags(flags.text as string | string[] | undefined);
  const file = flags.file;
  if ((texts.length > 0) === (file !== undefined)) {
    throw new AlbertTrainerError('ERR_ARGUMENT', texts.length > 0 ? 'give --text or --file, not both' : 'give the texts to classify: --text "..." (repeatable) or --file FILE');
  }
  let inputs: PredictInput[];
  /** What each output line starts with: the input's id, or its line in the file. */
  let origins: Array<{ id: unknown } | { line: number }> | undefined;
  if (file !== undefined) {
    const columns = { textColumn: flags['text-column'], ...(flags['text-pair-column'] !== undefined ? { textPairColumn: flags['text-pair-column'] } : {}) };
    const rows = readTextRows(file, columns);
    inputs = rows.map(({ text, textPair }) => (textPair === undefined ? text : { text, textPair }));
    origins = rows.map((row) => ('id' in row ? { id: row.id } : { line: row.line }));
  } else {
    if (flags['text-pair-column'] !== undefined) throw new AlbertTrainerError('ERR_ARGUMENT', '--text-pair-column reads a column of --file; --text has no columns');
    texts.forEach((text, i) => {
      if (text.trim() === '') throw new AlbertTrainerError('ERR_ARGUMENT', `--text number ${i + 1} is ${text === '' ? 'empty' : 'only whitespace'}`);
    });
    inputs = texts;
  }

  // 2. Model and tokenizer, then the predictions.
  const folder = await trainedModelFolder(flags.model);
  const { model, tokenizer } = await loadClassifier(folder, flags, settings);
  const started = Date.now();
  let rows;
  try {
    rows = await predict(model, tokenizer, inputs, {
      batchSize: settings.batchSize, maxLength: settings.maxLength, amp: settings.amp, outputLogits: flags['output-logits'],
    });
  } finally {
    model.dispose();
  }
  const seconds = (Date.now() - started) / 1000;

  // 3. The lines: all at once, so an error leaves no partial output.
  const lines = rows.map((row, i) => `${JSON.stringify(origins ? { ...origins[i], ...row } : row)}\n`).join('');
  if (flags.output !== undefined) await writeFileAtomically(flags.output, lines);
  else process.stdout.write(lines);
  process.stderr.write(`albert-train: ${rows.length} prediction(s) in ${seconds.toFixed(2)} s (${settings.device}, amp ${settings.amp})` +
    `${flags.output !== undefined ? `; written to ${flags.output}` : ''}\n`);
}
