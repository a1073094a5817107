// What `albert-train eval` and `albert-train predict` share: their common flags, checking them,
// choosing device and precision (as `train` does), loading a trained model folder with its
// tokenizer, reading unlabelled input files, and writing an output file atomically.
// Every problem is an AlbertTrainerError naming the flag, file or line; cli.ts's .fail handler
// prints it and exits 2.
import * as fs from 'fs';
import * as path from 'path';
import type { Argv } from 'yargs';
import { parseDelimited } from '../data/delimited';
import { AlbertTokenizer } from '../data/tokenizer';
import { AlbertTrainerError, describe, invalidArgument } from '../errors';
import { writeFileAtomic } from '../io/atomic-write';
import { info, setNumThreads } from '../info';
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
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw invalidArgument('positive integer', '--per-device-eval-batch-size', batchSize);
  const pair = flags['text-pair-column'] !== undefined;
  const maxLength = flags['max-seq-length'];
  const minLength = pair ? 4 : 3;
  if (!Number.isSafeInteger(maxLength) || maxLength < minLength) {
    const layout = pair ? '[CLS], one token, [SEP], [SEP]' : '[CLS], one token, [SEP]';
    throw invalidArgument(`integer >= ${minLength} (${layout})`, '--max-seq-length', maxLength);
  }
  if (flags.threads !== undefined && (!Number.isSafeInteger(flags.threads) || flags.threads < 1)) {
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
  const facts = info();
  const device = flags.device === 'auto' ? (facts.cudaAvailable ? 'cuda' : 'cpu') : flags.device;
  const amp = flags.amp === 'auto' ? (device === 'cuda' ? 'fp16' : facts.bf16Supported ? 'bf16' : 'off') : flags.amp;
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

/** The class names in id order: id2label, or LABEL_i where it has none. */
export function labelNames(config: AlbertConfig): string[] {
  return Array.from({ length: config.num_labels }, (_, c) => config.id2label[String(c)] ?? `LABEL_${c}`);
}

// ---------------------------------------------------------------------------------------------
// Unlabelled input files (predict --file)

export interface TextRow {
  text: string;
  textPair?: string;
  /** 1-based line of the file where the row starts. */
  line: number;
}

export interface TextColumns {
  textColumn: string;
  textPairColumn?: string;
}

const FORMATS: Record<string, 'jsonl' | 'csv' | 'tsv'> = { '.jsonl': 'jsonl', '.json': 'jsonl', '.csv': 'csv', '.tsv': 'tsv' };

function columnList(names: readonly string[]): string {
  return names.length === 0 ? '(none)' : names.map((n) => JSON.stringify(n)).join(', ');
}

function checkRowText(value: unknown, flag: string, column: string, file: string, line: number): string {
  if (typeof value !== 'string') {
    throw new AlbertTrainerError('ERR_INPUT', `${file}:${line}: the ${flag === '--text-column' ? 'text' : 'text pair'} (column "${column}") is ${describe(value)}; expected a string`);
  }
  if (value.trim() === '') {
    throw new AlbertTrainerError('ERR_INPUT', `${file}:${line}: the ${flag === '--text-column' ? 'text' : 'text pair'} (column "${column}") is ${value === '' ? 'empty' : 'only whitespace'}`);
  }
  return value;
}

function missingColumn(column: string, flag: string, columns: string[], file: string, line: number): AlbertTrainerError {
  return new AlbertTrainerError('ERR_INPUT', `${file}:${line}: ${flag} "${column}" is not a column; the columns are ${columnList(columns)}`);
}

/**
 * The texts of a JSON Lines, CSV or TSV file (format by extension), as readDataset reads them
 * but with no label column: the first problem is one ERR_INPUT naming `file:line`.
 */
export function readTextRows(file: string, columns: TextColumns): TextRow[] {
  const format = FORMATS[path.extname(file).toLowerCase()];
  if (format === undefined) {
    throw new AlbertTrainerError('ERR_ARGUMENT', `--file ${file}: cannot tell the format from the extension; use .jsonl, .json, .csv or .tsv`);
  }
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new AlbertTrainerError('ERR_IO', `--file ${file}: cannot read: ${(error as Error).message}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch {
    throw new AlbertTrainerError('ERR_INPUT', `${file}: not valid UTF-8; save the file as UTF-8`);
  }
  const rows = format === 'jsonl' ? readJsonLines(text, file, columns) : readDelimitedRows(text, file, format === 'csv' ? ',' : '\t', columns);
  if (rows.length === 0) throw new AlbertTrainerError('ERR_INPUT', `${file}: no rows (the file is empty)`);
  return rows;
}

function readJsonLines(text: string, file: string, { textColumn, textPairColumn }: TextColumns): TextRow[] {
  const lines = text.split(/\r\n|\r|\n/);
  let last = lines.length - 1;
  while (last >= 0 && lines[last].trim() === '') last--;
  const rows: TextRow[] = [];
  for (let i = 0; i <= last; i++) {
    const line = i + 1;
    if (lines[i].trim() === '') {
      throw new AlbertTrainerError('ERR_INPUT', `${file}:${line}: blank line between rows; JSON Lines has one object on every line`);
    }
    let value: unknown;
    try {
      value = JSON.parse(lines[i]);
    } catch (error) {
      throw new AlbertTrainerError('ERR_INPUT', `${file}:${line}: malformed JSON: ${(error as Error).message}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new AlbertTrainerError('ERR_INPUT', `${file}:${line}: the row is ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}, not a JSON object`);
    }
    const record = value as Record<string, unknown>;
    const has = (column: string) => Object.prototype.hasOwnProperty.call(record, column);
    if (!has(textColumn)) throw missingColumn(textColumn, '--text-column', Object.keys(record), file, line);
    const row: TextRow = { text: checkRowText(record[textColumn], '--text-column', textColumn, file, line), line };
    if (textPairColumn !== undefined) {
      if (!has(textPairColumn)) throw missingColumn(textPairColumn, '--text-pair-column', Object.keys(record), file, line);
      row.textPair = checkRowText(record[textPairColumn], '--text-pair-column', textPairColumn, file, line);
    }
    rows.push(row);
  }
  return rows;
}

function readDelimitedRows(text: string, file: string, delimiter: string, { textColumn, textPairColumn }: TextColumns): TextRow[] {
  const records = parseDelimited(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, delimiter, file);
  if (records.length === 0) return [];
  const header = records[0];
  if (header.blank) throw new AlbertTrainerError('ERR_INPUT', `${file}:1: the header row is blank; the first line must name the columns`);
  const names = header.fields;
  const textAt = names.indexOf(textColumn);
  if (textAt < 0) throw missingColumn(textColumn, '--text-column', names, file, header.line);
  const pairAt = textPairColumn === undefined ? -1 : names.indexOf(textPairColumn);
  if (textPairColumn !== undefined && pairAt < 0) throw missingColumn(textPairColumn, '--text-pair-column', names, file, header.line);
  let last = records.length - 1;
  while (last > 0 && records[last].blank) last--;
  const rows: TextRow[] = [];
  for (let r = 1; r <= last; r++) {
    const { line, fields, blank } = records[r];
    if (blank) throw new AlbertTrainerError('ERR_INPUT', `${file}:${line}: blank line between rows; remove it`);
    if (fields.length !== names.length) {
      throw new AlbertTrainerError('ERR_INPUT', `${file}:${line}: the row has ${fields.length} field(s) but the header has ${names.length} (${columnList(names)}); a field that holds the delimiter must be quoted`);
    }
    const row: TextRow = { text: checkRowText(fields[textAt], '--text-column', textColumn, file, line), line };
    if (pairAt >= 0) row.textPair = checkRowText(fields[pairAt], '--text-pair-column', textPairColumn as string, file, line);
    rows.push(row);
  }
  return rows;
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
