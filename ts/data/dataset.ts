// Reading a labelled text-classification file: JSON Lines, CSV or TSV -> rows of
// { text, textPair?, label, line }. The whole file is checked before anything is returned, and
// the first bad row ends the read with one AlbertTrainerError whose message starts `file:line:`
// (`file:` alone for what concerns the whole file). Codes: ERR_IO (unreadable), ERR_INPUT (the
// file's contents), ERR_ARGUMENT (the options).
//
// Formats (by extension, or `format`):
//   jsonl  .jsonl / .json: one JSON object per line. A blank line between rows is an error
//          (pandas would skip it, but it usually marks a file that was cut and pasted
//          together); blank lines after the last row are fine.
//   csv    .csv: RFC 4180. The first record is the header. A field that starts with `"` is
//          quoted: it may hold the delimiter, line breaks and `""` for one quote, and must be
//          followed by the delimiter or the end of the record. A `"` inside an unquoted field
//          is kept as text (as Python's csv and pandas do). Every row has the header's number
//          of fields.
//   tsv    .tsv: the same with a tab as the delimiter (what pandas, and so HF's csv loader with
//          sep="\t", read).
// In all three: a UTF-8 BOM is skipped, lines end in \n, \r\n or \r, and bytes that are not
// UTF-8 are an error naming the line and byte offset.
//
// Labels: every row's label is either a class id (an integer; in CSV/TSV a field that reads as
// a number, as pandas infers) or a label name (a string), never a mix.
//   - label2id given: names map through it, ids must lie in [0, numLabels).
//   - names, no label2id: labelNames are the distinct names sorted by code point (Python's
//     sorted(), which is what HF datasets' class_encode_column / ClassLabel do), id = position.
//     A train file and its eval file can sort to different maps when one lacks a class: read
//     the eval file with the train file's label2id.
//   - ids, no numLabels: numLabels = max + 1.
// A number with an integral value is an id (JSON cannot tell 1 from 1.0 after parsing, so CSV
// reads "1.0" the same way); 0.5, true, null and empty labels are errors.
import * as fs from 'fs';
import * as path from 'path';
import { AlbertTrainerError, describe, invalidArgument } from '../errors';
import { parseDelimited } from './delimited';
import { LabelReader, type RawLabel, numberLabel, quotedList } from './label-reader';
import { decodeUtf8 } from './utf8';

export type DataFormat = 'jsonl' | 'csv' | 'tsv';

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

export interface DatasetRow {
  text: string;
  textPair?: string;
  /** Class id in [0, numLabels). */
  label: number;
  /** 1-based line of the file where the row starts. */
  line: number;
}

export interface LabelledDataset {
  rows: DatasetRow[];
  /** id -> name, when labels are names or label2id was given; undefined for integer labels. */
  labelNames?: string[];
  numLabels: number;
  format: DataFormat | 'parquet';
}

const OPTION_NAMES = ['format', 'textColumn', 'textPairColumn', 'labelColumn', 'label2id', 'numLabels'] as const;
const FORMATS: readonly DataFormat[] = ['jsonl', 'csv', 'tsv'];
const EXTENSIONS: Record<string, DataFormat> = { '.jsonl': 'jsonl', '.json': 'jsonl', '.csv': 'csv', '.tsv': 'tsv' };

/**
 * Reads and checks `file` (see the notes at the top of this file). Synchronous: the whole file
 * is read and checked at once (SUBJ train, 1.4 MB: ~40 ms). Throws AlbertTrainerError.
 */
export function readDataset(file: string, options: ReadDatasetOptions = {}): LabelledDataset {
  if (typeof file !== 'string' || file === '') throw invalidArgument('a file path', 'file', file);
  const opts = checkOptions(options);
  const format = opts.format ?? formatFromExtension(file);
  let bytes: ArrayBufferView;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new AlbertTrainerError('ERR_IO', `${file}: cannot read: ${(e as Error).message}`);
  }
  return parseChecked(bytes, file, opts, format);
}

/** readDataset on contents already in memory; `file` is the name used in messages. */
export function parseDataset(contents: ArrayBufferView | string, file: string, options: ReadDatasetOptions = {}): LabelledDataset {
  if (typeof file !== 'string' || file === '') throw invalidArgument('a file name for messages', 'file', file);
  const opts = checkOptions(options);
  return parseChecked(contents, file, opts, opts.format ?? formatFromExtension(file));
}

function parseChecked(contents: ArrayBufferView | string, file: string, opts: CheckedOptions, format: DataFormat): LabelledDataset {
  let text: string;
  if (typeof contents === 'string') {
    text = contents.charCodeAt(0) === 0xfeff ? contents.slice(1) : contents;
  } else if (ArrayBuffer.isView(contents)) {
    text = decodeUtf8(new Uint8Array(contents.buffer, contents.byteOffset, contents.byteLength), file);
  } else {
    throw invalidArgument('a string or bytes (Buffer, Uint8Array)', 'contents', contents);
  }
  const labels = new LabelReader(file, { ...opts, format });
  const rows = format === 'jsonl' ? readJsonLines(text, file, opts, labels) : readDelimited(text, file, format, opts, labels);
  if (rows.length === 0) throw new AlbertTrainerError('ERR_INPUT', `${file}: no rows (the file is empty)`);
  return labels.finish(rows);
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
// JSON Lines

function readJsonLines(text: string, file: string, opts: CheckedOptions, labels: LabelReader): DatasetRow[] {
  const lines = text.split(/\r\n|\r|\n/);
  let last = lines.length - 1;
  while (last >= 0 && lines[last].trim() === '') last--;
  const rows: DatasetRow[] = [];
  const arrayHint = (lines[0] ?? '').trimStart().startsWith('[')
    ? "; the file looks like one JSON array, and albert-trainer reads JSON Lines: one object per line (jq -c '.[]' converts it)"
    : '';
  for (let i = 0; i <= last; i++) {
    const line = i + 1;
    const source = lines[i];
    if (source.trim() === '') {
      throw new AlbertTrainerError('ERR_INPUT', `${file}:${line}: blank line between rows; JSON Lines has one object on every line`);
    }
    let value: unknown;
    try {
      value = JSON.parse(source);
    } catch (e) {
      throw new AlbertTrainerError('ERR_INPUT', `${file}:${line}: malformed JSON: ${(e as Error).message}${line === 1 ? arrayHint : ''}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
      throw new AlbertTrainerError('ERR_INPUT', `${file}:${line}: the row is ${what}, not a JSON object${line === 1 ? arrayHint : ''}`);
    }
    const record = value as Record<string, unknown>;
    const columns = Object.keys(record);
    if (rows.length === 0) checkColumns(columns, file, line, opts);
    const field = (option: string, name: string): unknown => {
      if (!Object.prototype.hasOwnProperty.call(record, name)) {
        throw new AlbertTrainerError('ERR_INPUT', `${file}:${line}: the row has no "${name}" column (${option}); its columns are ${quotedList(columns)}`);
      }
      return record[name];
    };
    const row: DatasetRow = {
      text: checkText(field('textColumn', opts.textColumn), 'text', opts.textColumn, file, line),
      label: labels.read(jsonLabel(field('labelColumn', opts.labelColumn), file, line, opts.labelColumn), line),
      line,
    };
    if (opts.textPairColumn !== undefined) {
      row.textPair = checkText(field('textPairColumn', opts.textPairColumn), 'text pair', opts.textPairColumn, file, line);
    }
    rows.push(row);
  }
  return rows;
}

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

// ---------------------------------------------------------------------------------------------
// CSV / TSV

function readDelimited(text: string, file: string, format: 'csv' | 'tsv', opts: CheckedOptions, labels: LabelReader): DatasetRow[] {
  const delimiter = format === 'csv' ? ',' : '\t';
  const records = parseDelimited(text, delimiter, file);
  if (records.length === 0) throw new AlbertTrainerError('ERR_INPUT', `${file}: no rows (the file is empty)`);
  const header = records[0];
  if (header.blank) throw new AlbertTrainerError('ERR_INPUT', `${file}:1: the header row is blank; the first line must name the columns`);
  const columns = header.fields;
  columns.forEach((name, i) => {
    const first = columns.indexOf(name);
    if (name !== '' && first !== i) {
      throw new AlbertTrainerError('ERR_INPUT', `${file}:${header.line}: the header names the column "${name}" twice (fields ${first + 1} and ${i + 1})`);
    }
  });
  checkColumns(columns, file, header.line, opts);
  const textAt = columns.indexOf(opts.textColumn);
  const labelAt = columns.indexOf(opts.labelColumn);
  const pairAt = opts.textPairColumn === undefined ? -1 : columns.indexOf(opts.textPairColumn);
  let last = records.length - 1;
  while (last > 0 && records[last].blank) last--;
  const rows: DatasetRow[] = [];
  const delimiterName = format === 'csv' ? '","' : 'a tab';
  for (let r = 1; r <= last; r++) {
    const { line, fields, blank } = records[r];
    if (blank) throw new AlbertTrainerError('ERR_INPUT', `${file}:${line}: blank line between rows; remove it`);
    if (fields.length !== columns.length) {
      throw new AlbertTrainerError(
        'ERR_INPUT',
        `${file}:${line}: the row has ${fields.length} field(s) but the header has ${columns.length} (${quotedList(columns)}); ` +
          `a field that holds ${delimiterName} must be quoted`,
      );
    }
    const row: DatasetRow = {
      text: checkText(fields[textAt], 'text', opts.textColumn, file, line),
      label: labels.read(fieldLabel(fields[labelAt], file, line, opts.labelColumn), line),
      line,
    };
    if (pairAt >= 0) row.textPair = checkText(fields[pairAt], 'text pair', opts.textPairColumn as string, file, line);
    rows.push(row);
  }
  if (rows.length === 0) throw new AlbertTrainerError('ERR_INPUT', `${file}: no rows after the header (line ${header.line})`);
  return rows;
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
  const wanted: [string, string | undefined][] = [
    ['textColumn', opts.textColumn],
    ['textPairColumn', opts.textPairColumn],
    ['labelColumn', opts.labelColumn],
  ];
  for (const [option, name] of wanted) {
    if (name === undefined || columns.includes(name)) continue;
    if (opts.given.has(option)) {
      throw new AlbertTrainerError('ERR_INPUT', `${file}:${line}: ${option} "${name}" is not a column; the columns are ${quotedList(columns)}`);
    }
    throw new AlbertTrainerError(
      'ERR_INPUT',
      `${file}:${line}: no "${name}" column (the default ${option}); the columns are ${quotedList(columns)}; pass ${option} to name another`,
    );
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
