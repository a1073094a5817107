// Reading a labelled text-classification file: JSON Lines, CSV or TSV -> rows of
// { text, textPair?, label, line }. The whole file is checked before anything is returned, and
// the first bad row ends the read with one AlbertTrainerError whose message starts `file:line:`
// (`file:` alone for what concerns the whole file). Codes: ERR_IO (unreadable), ERR_INPUT (the
// file's contents), ERR_ARGUMENT (the options).
//
// Formats (by extension, or `format`): jsonl (.jsonl / .json), csv (.csv), tsv (.tsv), read
// as ts/data/text-rows.ts reads them (blank lines, quoting, header, BOM, line breaks, UTF-8).
// A column that is not there is one error naming the columns there are (ts/data/columns.ts).
//
// Labels: every row's label is either a class id (an integer; in CSV/TSV a field that reads as
// a number, as pandas infers) or a label name (a string), never a mix.
//   - label2id given: names map through it, ids must lie in [0, numLabels).
//   - names, no label2id: labelNames are the distinct names sorted by code point (Python's
//     sorted(), which is what HF datasets' class_encode_column / ClassLabel do), id = position.
//     A train file and its eval file can sort to different maps when one lacks a class: read
//     the eval file with the train file's label2id.
//   - ids, no numLabels: numLabels = max + 1.
//   - ids and a `label_text` column that gives each class one name: those are labelNames (as
//     the CLI names SetFit datasets' classes; ts/data/label-names.ts).
// A number with an integral value is an id (JSON cannot tell 1 from 1.0 after parsing, so CSV
// reads "1.0" the same way); 0.5, true, null and empty labels are errors.
import * as fs from 'fs';
import * as path from 'path';
import { AlbertTrainerError, describe, invalidArgument } from '../errors';
import { type ColumnOption, columnNotFound, quotedList } from './columns';
import type { DataFormat, DatasetRow, LabelledDataset } from './dataset-types';
import { LABEL_TEXT_COLUMN, LabelTextNames } from './label-names';
import { LabelReader, type RawLabel, numberLabel } from './label-reader';
import { type TextRecord, decodeText, hasColumn, parseTextTable } from './text-rows';

export type { DataFormat, DatasetRow, LabelledDataset } from './dataset-types';

export interface ReadDatasetOptions {
  /** 'jsonl', 'csv' or 'tsv'; default: from the extension (.jsonl/.json, .csv, .tsv). */
  format?: DataFormat;
  /** Column (JSON key or CSV header name) of the text. Default 'text'. */
  textColumn?: string;
  /** Column of the second text of a pair task (e.g. premise/hypothesis). Default: none. */
  textPairColumn?: string;
  /** Column of the label. Default 'label'. */
  labelColumn?: string;
  /** Label name -> class id; ids must be exactly 0..K-1. Default: built from the file (sorted). */
  label2id?: Record<string, number>;
  /** Number of classes, >= 2. Default: label2id's size, the number of names, or max id + 1. */
  numLabels?: number;
}

const OPTION_NAMES = ['format', 'textColumn', 'textPairColumn', 'labelColumn', 'label2id', 'numLabels'] as const;
const FORMATS: readonly DataFormat[] = ['jsonl', 'csv', 'tsv'];
const EXTENSIONS: Record<string, DataFormat> = { '.jsonl': 'jsonl', '.json': 'jsonl', '.csv': 'csv', '.tsv': 'tsv' };

/**
 * Reads and checks `file` (see the notes at the top of this file). Synchronous: the whole file
 * is read and checked at once (SUBJ train, 1.4 MB: ~40 ms). Throws AlbertTrainerError.
 */
export function readDataset(file: string, options: ReadDatasetOptions = {}): LabelledDataset {
  return readDatasetShard(file, options);
}

/**
 * readDataset for one shard of a split (read-split.ts): the rows' label_text names go to
 * `labelText`, which the caller turns into names once every shard is read.
 */
export function readDatasetShard(file: string, options: ReadDatasetOptions, labelText?: LabelTextNames): LabelledDataset {
  if (typeof file !== 'string' || file === '') throw invalidArgument('a file path', 'file', file);
  const opts = checkOptions(options);
  const format = opts.format ?? formatFromExtension(file);
  let bytes: ArrayBufferView;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new AlbertTrainerError('ERR_IO', `${file}: cannot read: ${(e as Error).message}`);
  }
  return parseChecked(bytes, file, opts, format, labelText);
}

/** readDataset on contents already in memory; `file` is the name used in messages. */
export function parseDataset(contents: ArrayBufferView | string, file: string, options: ReadDatasetOptions = {}): LabelledDataset {
  if (typeof file !== 'string' || file === '') throw invalidArgument('a file name for messages', 'file', file);
  const opts = checkOptions(options);
  return parseChecked(contents, file, opts, opts.format ?? formatFromExtension(file));
}

function parseChecked(contents: ArrayBufferView | string, file: string, opts: CheckedOptions, format: DataFormat, shared?: LabelTextNames): LabelledDataset {
  if (typeof contents !== 'string' && !ArrayBuffer.isView(contents)) {
    throw invalidArgument('a string or bytes (Buffer, Uint8Array)', 'contents', contents);
  }
  const table = parseTextTable(decodeText(contents, file), file, format);
  if (table.records.length === 0) {
    if (table.columns.length > 0 && format !== 'jsonl') throw new AlbertTrainerError('ERR_INPUT', `${file}: no rows after the header (line ${table.columnsLine})`);
    throw new AlbertTrainerError('ERR_INPUT', `${file}: no rows (the file is empty)`);
  }
  checkColumns(table.columns, file, table.columnsLine, opts);
  const labels = new LabelReader(file, { ...opts, format });
  const rows = table.records.map((record) => labelledRow(record, file, format, opts, labels));
  // Class names from a label_text column beside integer labels, in the same pass (label-names.ts).
  const labelText = shared ?? new LabelTextNames();
  if (opts.labelColumn !== LABEL_TEXT_COLUMN) table.records.forEach((record, i) => labelText.add(rows[i].label, record.values[LABEL_TEXT_COLUMN]));
  const data = labels.finish(rows);
  const names = shared || data.labelNames ? undefined : labelText.names(data.numLabels);
  return names ? { ...data, labelNames: names } : data;
}

/** One row: its text(s) and its label, each checked (a `file:line:` error naming the column). */
function labelledRow(record: TextRecord, file: string, format: DataFormat, opts: CheckedOptions, labels: LabelReader): DatasetRow {
  const { line } = record;
  const field = (option: ColumnOption, name: string): unknown => {
    if (!hasColumn(record, name)) {
      throw new AlbertTrainerError('ERR_INPUT', `${file}:${line}: the row has no "${name}" column (${option}); its columns are ${quotedList(Object.keys(record.values))}`);
    }
    return record.values[name];
  };
  const rawLabel = field('labelColumn', opts.labelColumn);
  const row: DatasetRow = {
    text: checkText(field('textColumn', opts.textColumn), 'text', opts.textColumn, file, line),
    label: labels.read(format === 'jsonl' ? jsonLabel(rawLabel, file, line, opts.labelColumn) : fieldLabel(rawLabel as string, file, line, opts.labelColumn), line),
    line,
  };
  if (opts.textPairColumn !== undefined) {
    row.textPair = checkText(field('textPairColumn', opts.textPairColumn), 'text pair', opts.textPairColumn, file, line);
  }
  return row;
}

// ---------------------------------------------------------------------------------------------
// Options

interface CheckedOptions {
  format?: DataFormat;
  textColumn: string;
  textPairColumn?: string;
  labelColumn: string;
  /** Which column options the caller named (an absent one of these is "unknown", not "missing"). */
  given: Set<string>;
  label2id?: Map<string, number>;
  numLabels?: number;
}

function checkOptions(options: ReadDatasetOptions): CheckedOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArgument('an options object', 'options', options);
  }
  for (const key of Object.keys(options)) {
    if (!(OPTION_NAMES as readonly string[]).includes(key)) {
      throw new AlbertTrainerError('ERR_ARGUMENT', `Unknown option ${key} for readDataset; the options are ${OPTION_NAMES.join(', ')}`);
    }
  }
  const o = options as Record<string, unknown>;
  if (o.format !== undefined && !FORMATS.includes(o.format as DataFormat)) {
    throw invalidArgument("one of 'jsonl', 'csv', 'tsv'", 'format', o.format);
  }
  const given = new Set<string>();
  const column = (name: string, fallback?: string): string | undefined => {
    const value = o[name];
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || value === '') throw invalidArgument('non-empty string', name, value);
    given.add(name);
    return value;
  };
  const textColumn = column('textColumn', 'text') as string;
  const textPairColumn = column('textPairColumn');
  const labelColumn = column('labelColumn', 'label') as string;
  const chosen: [string, string | undefined][] = [['textColumn', textColumn], ['textPairColumn', textPairColumn], ['labelColumn', labelColumn]];
  for (let i = 0; i < chosen.length; i++) {
    for (let j = i + 1; j < chosen.length; j++) {
      if (chosen[i][1] !== undefined && chosen[i][1] === chosen[j][1]) {
        throw new AlbertTrainerError('ERR_ARGUMENT', `${chosen[i][0]} and ${chosen[j][0]} both name the column "${chosen[i][1]}"`);
      }
    }
  }
  let numLabels: number | undefined;
  if (o.numLabels !== undefined) {
    if (typeof o.numLabels !== 'number' || !Number.isInteger(o.numLabels) || o.numLabels < 2) {
      throw invalidArgument('integer >= 2', 'numLabels', o.numLabels);
    }
    numLabels = o.numLabels;
  }
  let label2id: Map<string, number> | undefined;
  if (o.label2id !== undefined) {
    label2id = checkLabel2id(o.label2id);
    if (numLabels !== undefined && numLabels !== label2id.size) {
      throw new AlbertTrainerError('ERR_ARGUMENT', `numLabels is ${numLabels} but label2id has ${label2id.size} labels`);
    }
  }
  return { format: o.format as DataFormat | undefined, textColumn, textPairColumn, labelColumn, given, label2id, numLabels };
}

export function checkLabel2id(value: unknown): Map<string, number> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgument('an object of label name -> class id', 'label2id', value);
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length < 2) {
    throw new AlbertTrainerError('ERR_ARGUMENT', `label2id has ${entries.length} label(s); classification needs at least 2`);
  }
  const byId = new Map<number, string>();
  for (const [name, id] of entries) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= entries.length) {
      throw invalidArgument(`integer class id in [0, ${entries.length})`, `label2id[${JSON.stringify(name)}]`, id);
    }
    const other = byId.get(id);
    if (other !== undefined) {
      throw new AlbertTrainerError('ERR_ARGUMENT', `label2id maps both ${JSON.stringify(other)} and ${JSON.stringify(name)} to ${id}`);
    }
    byId.set(id, name);
  }
  return new Map(entries as [string, number][]);
}

function formatFromExtension(file: string): DataFormat {
  const ext = path.extname(file).toLowerCase();
  const format = EXTENSIONS[ext];
  if (ext === '.parquet') {
    throw new AlbertTrainerError('ERR_ARGUMENT', `${file}: parquet is read by readSplit (ts/data/read-split.ts), which is asynchronous; readDataset reads jsonl, csv and tsv`);
  }
  if (format === undefined) {
    throw new AlbertTrainerError(
      'ERR_ARGUMENT',
      `${file}: cannot tell the format from the extension ${ext === '' ? '(none)' : `"${ext}"`}; ` +
        `use .jsonl, .json, .csv or .tsv, or pass format: 'jsonl' | 'csv' | 'tsv'`,
    );
  }
  return format;
}

// ---------------------------------------------------------------------------------------------
// Labels

function jsonLabel(value: unknown, file: string, line: number, column: string): RawLabel {
  if (typeof value === 'number') return numberLabel(value, String(value), file, line, column);
  if (typeof value === 'string') {
    if (value.trim() === '') throw new AlbertTrainerError('ERR_INPUT', `${file}:${line}: the label (column "${column}") is empty`);
    return { name: value };
  }
  const what = typeof value === 'boolean' ? `${value}, a boolean` : value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object';
  throw new AlbertTrainerError(
    'ERR_INPUT',
    `${file}:${line}: the label (column "${column}") is ${what}; expected an integer class id or a label name (string)`,
  );
}

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A CSV/TSV label field: a number (as pandas would infer it) or a name. */
function fieldLabel(value: string, file: string, line: number, column: string): RawLabel {
  if (value.trim() === '') throw new AlbertTrainerError('ERR_INPUT', `${file}:${line}: the label (column "${column}") is empty`);
  const trimmed = value.trim();
  if (INTEGER.test(trimmed) || DECIMAL.test(trimmed)) return numberLabel(Number(trimmed), trimmed, file, line, column);
  return { name: value };
}

// ---------------------------------------------------------------------------------------------
// Columns, text and labels

function checkColumns(columns: string[], file: string, line: number, opts: CheckedOptions): void {
  const wanted: [ColumnOption, string | undefined][] = [
    ['textColumn', opts.textColumn],
    ['textPairColumn', opts.textPairColumn],
    ['labelColumn', opts.labelColumn],
  ];
  const taken = wanted.map(([, name]) => name).filter((name): name is string => name !== undefined && columns.includes(name));
  for (const [option, name] of wanted) {
    if (name === undefined || columns.includes(name)) continue;
    throw columnNotFound(`${file}:${line}`, option, name, columns, { isDefault: !opts.given.has(option), taken });
  }
}

/** A text cell: a string with something in it, else a `file:line:` error naming the column. */
export function checkText(value: unknown, what: string, column: string, file: string, line: number): string {
  if (typeof value !== 'string') {
    throw new AlbertTrainerError('ERR_INPUT', `${file}:${line}: the ${what} (column "${column}") is ${describe(value)}; expected a string`);
  }
  if (value.trim() === '') {
    throw new AlbertTrainerError(
      'ERR_INPUT',
      `${file}:${line}: the ${what} (column "${column}") is ${value === '' ? 'empty' : 'only whitespace'}`,
    );
  }
  return value;
}
