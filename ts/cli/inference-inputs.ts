// What `albert-train eval` and `albert-train predict` share: their common flags, checking them,
// choosing device and precision (as `train` does), loading a trained model folder with its
// tokenizer, reading unlabelled input files, and writing an output file atomically.
// Every problem is an AlbertTrainerError naming the flag, file or line; cli.ts's .fail handler
// prints it and exits 2.
import * as fs from 'fs';
import * as path from 'path';
import type { Argv } from 'yargs';
import { isPositiveSafeInteger } from '../checks';
import { columnNotFound, withFlagNames } from '../data/columns';
import { checkText } from '../data/dataset';
import { TEXT_EXTENSIONS, type TextFormat, type TextTable, decodeText, hasColumn, parseTextTable } from '../data/text-rows';
import { AlbertTokenizer } from '../data/tokenizer';
import { AlbertTrainerError, invalidArgument } from '../errors';
import { writeFileAtomic } from '../io/atomic-write';
import { chooseDeviceAndAmp, info, setNumThreads } from '../info';
import { AlbertForSequenceClassification, PYTORCH_WEIGHTS_FILE, WEIGHTS_FILE, findWeightsFile } from '../model/albert';
import { type AlbertConfig, readAlbertConfig } from '../model/config';
import type { NativeAmp, NativeDevice } from '../native';
import { type ResolvedModel, resolveModel } from '../resolve';
import { DEFAULT_TRAINING_ARGUMENTS as D } from '../train/arguments';

/** The flags eval and predict both take. */
export function inferenceOptions(y: Argv) {
  return y
    .option('model', { type: 'string', demandOption: true, describe: 'a trained HF model folder (config.json + model.safetensors)' })
    .option('tokenizer', { type: 'string', describe: 'tokenizer folder (default: the model\'s)' })
    .option('text-column', { type: 'string', default: 'text' })
    .option('text-pair-column', { type: 'string', describe: 'second text of a pair task' })
    .option('per-device-eval-batch-size', { type: 'number', default: D.perDeviceEvalBatchSize })
    .option('max-seq-length', { type: 'number', default: D.maxSeqLength })
    .option('amp', { choices: ['auto', 'off', 'bf16', 'fp16'] as const, default: 'auto' as const, describe: 'auto: bf16 on a CPU that has it, fp16 on CUDA' })
    .option('device', { choices: ['auto', 'cpu', 'cuda'] as const, default: 'auto' as const })
    .option('threads', { type: 'number', describe: 'libtorch intra-op threads (default: all cores)' })
    .option('output', { type: 'string', describe: 'file to write (atomically: nothing is left on an error)' });
}

/** The parsed common flags (a subset of each command's flags). */
export interface InferenceFlags {
  model: string;
  tokenizer?: string;
  'text-column': string;
  'text-pair-column'?: string;
  'per-device-eval-batch-size': number;
  'max-seq-length': number;
  amp: 'auto' | NativeAmp;
  device: 'auto' | NativeDevice;
  threads?: number;
  output?: string;
}

export interface InferenceSettings {
  batchSize: number;
  maxLength: number;
  device: NativeDevice;
  amp: NativeAmp;
}

/**
 * Checks the numeric flags, the --output path and the column names, sets --threads, and picks
 * device and AMP: auto is CUDA when there is one; AMP auto is fp16 on CUDA, bf16 on a CPU with
 * native bf16, else off. Cheap: runs before any file is read.
 */
export function inferenceSettings(flags: InferenceFlags): InferenceSettings {
  const batchSize = flags['per-device-eval-batch-size'];
  if (!isPositiveSafeInteger(batchSize)) throw invalidArgument('positive integer', '--per-device-eval-batch-size', batchSize);
  const pair = flags['text-pair-column'] !== undefined;
  const maxLength = flags['max-seq-length'];
  const minLength = pair ? 4 : 3;
  if (!Number.isSafeInteger(maxLength) || maxLength < minLength) {
    const layout = pair ? '[CLS], one token, [SEP], [SEP]' : '[CLS], one token, [SEP]';
    throw invalidArgument(`integer >= ${minLength} (${layout})`, '--max-seq-length', maxLength);
  }
  if (flags.threads !== undefined && !isPositiveSafeInteger(flags.threads)) {
    throw invalidArgument('positive integer', '--threads', flags.threads);
  }
  for (const flag of ['text-column', 'text-pair-column'] as const) {
    if (flags[flag] === '') throw new AlbertTrainerError('ERR_ARGUMENT', `--${flag} is empty; name a column`);
  }
  if (pair && flags['text-pair-column'] === flags['text-column']) {
    throw new AlbertTrainerError('ERR_ARGUMENT', `--text-column and --text-pair-column both name the column "${flags['text-column']}"`);
  }
  if (flags.output !== undefined) checkOutputFile(flags.output);
  if (flags.threads !== undefined) setNumThreads(flags.threads);
  const { device, amp } = chooseDeviceAndAmp({ device: flags.device, amp: flags.amp }, info()); // as train chooses
  return { batchSize, maxLength, device, amp };
}

/** A trained model folder: where it is, and its config (read without loading the weights). */
export interface TrainedModelFolder {
  resolved: ResolvedModel;
  weightsDir: string;
  config: AlbertConfig;
}

/** Resolves --model to a folder that has model.safetensors and reads its config.json. */
export async function trainedModelFolder(model: string): Promise<TrainedModelFolder> {
  const resolved = await resolveModel(model);
  const weightsDir = resolved.weightsDir;
  if (weightsDir === undefined) {
    throw new AlbertTrainerError('ERR_ARGUMENT', `--model ${model} is a preset config without weights; pass a trained HF folder with config.json and ${WEIGHTS_FILE}`);
  }
  if (!findWeightsFile(weightsDir)) {
    throw new AlbertTrainerError('ERR_IO', `--model ${model}: no ${WEIGHTS_FILE} (nor ${PYTORCH_WEIGHTS_FILE}) in ${weightsDir}; pass a trained HF folder with config.json and its weights`);
  }
  return { resolved, weightsDir, config: await readAlbertConfig(resolved.configFile) };
}

export interface LoadedClassifier {
  model: AlbertForSequenceClassification;
  tokenizer: AlbertTokenizer;
}

/**
 * Loads the tokenizer (--tokenizer, else the model folder's) and the weights onto `device`, and
 * checks that they fit each other and --max-seq-length. The caller disposes the model.
 */
export async function loadClassifier(folder: TrainedModelFolder, flags: InferenceFlags, settings: InferenceSettings): Promise<LoadedClassifier> {
  const { config, resolved } = folder;
  if (settings.maxLength > config.max_position_embeddings) {
    throw new AlbertTrainerError('ERR_ARGUMENT', `--max-seq-length ${settings.maxLength} exceeds the model's max_position_embeddings (${config.max_position_embeddings}, ${resolved.configFile})`);
  }
  const tokenizer = await AlbertTokenizer.fromDirectory(flags.tokenizer ?? resolved.tokenizerDir);
  if (tokenizer.vocabSize > config.vocab_size) {
    throw new AlbertTrainerError('ERR_CONFIG', `the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocab_size is ${config.vocab_size} (${resolved.configFile})`);
  }
  const model = await AlbertForSequenceClassification.fromPretrained(folder.weightsDir, { device: settings.device, strict: true });
  return { model, tokenizer };
}

/** The class names in id order (ts/model/config.ts's classNames). */
export { classNames as labelNames } from '../model/config';

// ---------------------------------------------------------------------------------------------
// Unlabelled input files (predict --file), read as the labelled reader reads them (ts/data/text-rows.ts)

export interface TextRow {
  text: string;
  textPair?: string;
  /** 1-based line of the file where the row starts. */
  line: number;
  /** The row's `id` (else `idx`) column, when the file has one: what the output row names it by. */
  id?: unknown;
}

export interface TextColumns {
  textColumn: string;
  textPairColumn?: string;
}

/** Columns that name a row, in the order they are looked for (GLUE's idx, most others' id). */
export const ID_COLUMNS = ['id', 'idx'] as const;

/**
 * The texts of a JSON Lines, CSV, TSV or text (one per line) file, format by extension, as
 * readDataset reads them but with no label column: the first problem is one ERR_INPUT naming
 * `file:line`, with the CLI's flag names.
 */
export function readTextRows(file: string, columns: TextColumns): TextRow[] {
  const format = TEXT_EXTENSIONS[path.extname(file).toLowerCase()];
  if (format === undefined) {
    throw new AlbertTrainerError('ERR_ARGUMENT', `--file ${file}: cannot tell the format from the extension; use .jsonl, .json, .csv, .tsv or .txt (one text per line)`);
  }
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new AlbertTrainerError('ERR_IO', `--file ${file}: cannot read: ${(error as Error).message}`);
  }
  try {
    return textRows(parseTextTable(decodeText(bytes, file), file, format), file, format, columns);
  } catch (error) {
    throw withFlagNames(error);
  }
}

function textRows(table: TextTable, file: string, format: TextFormat, { textColumn, textPairColumn }: TextColumns): TextRow[] {
  if (table.records.length === 0) throw new AlbertTrainerError('ERR_INPUT', `${file}: no rows (the file is ${format === 'txt' ? 'empty or blank' : 'empty'})`);
  if (format === 'txt' && (textColumn !== 'text' || textPairColumn !== undefined)) {
    throw new AlbertTrainerError('ERR_ARGUMENT', `--file ${file}: a .txt file holds one text per line and has no columns; --text-column and --text-pair-column read jsonl, csv and tsv`);
  }
  const wanted = [['textColumn', textColumn], ['textPairColumn', textPairColumn]] as const;
  const idColumn = ID_COLUMNS.find((name) => table.columns.includes(name) && name !== textColumn && name !== textPairColumn);
  return table.records.map((record) => {
    const { line } = record;
    for (const [option, name] of wanted) {
      if (name !== undefined && !hasColumn(record, name)) {
        throw columnNotFound(`${file}:${line}`, option, name, Object.keys(record.values), { taken: [textColumn, ...(textPairColumn ? [textPairColumn] : [])] });
      }
    }
    const row: TextRow = { text: checkText(record.values[textColumn], 'text', textColumn, file, line), line };
    if (textPairColumn !== undefined) row.textPair = checkText(record.values[textPairColumn], 'text pair', textPairColumn, file, line);
    if (idColumn !== undefined && hasColumn(record, idColumn)) row.id = record.values[idColumn];
    return row;
  });
}

// ---------------------------------------------------------------------------------------------
// Output files

/** Refuses an --output whose folder does not exist or that names a folder, before any work. */
export function checkOutputFile(file: string): void {
  if (file === '') throw new AlbertTrainerError('ERR_ARGUMENT', '--output is empty; name a file');
  const parent = path.dirname(path.resolve(file));
  if (!fs.existsSync(parent) || !fs.statSync(parent).isDirectory()) {
    throw new AlbertTrainerError('ERR_IO', `--output ${file}: the folder ${parent} does not exist`);
  }
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
    throw new AlbertTrainerError('ERR_IO', `--output ${file}: is a folder; name a file`);
  }
}

/** Writes an --output file atomically (ts/io/atomic-write.ts): nothing is left on an error. */
export async function writeFileAtomically(file: string, contents: string): Promise<void> {
  try {
    await writeFileAtomic(file, contents);
  } catch (error) {
    throw new AlbertTrainerError('ERR_IO', `--output ${(error as Error).message}`);
  }
}
