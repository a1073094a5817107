// The rows of a text data file, each with the line it starts on: what the labelled reader
// (ts/data/dataset.ts) and `predict --file` (ts/cli/inference-inputs.ts) both build on, so the
// two read a file the same way and fail on it with the same messages. What the columns mean
// (text, label, id) is the callers' business.
//
// Formats:
//   jsonl  one JSON object per line. A blank line between rows is an error (pandas would skip
//          it, but it usually marks a file that was cut and pasted together); blank lines after
//          the last row are fine. The columns are the first row's keys.
//   csv    RFC 4180 (ts/data/delimited.ts). The first record is the header; a column named
//          twice is an error; every row has the header's number of fields.
//   tsv    the same with a tab as the delimiter (what pandas, and so HF's csv loader with
//          sep="\t", read).
//   txt    one text per line, in a column named `text` (as HF's `load_dataset('text')` names
//          it). Blank or whitespace-only lines are skipped (HF keeps them as empty texts, which
//          no classifier input can be); each row keeps its line number, so output rows still
//          name their input line.
// In all: a UTF-8 BOM is skipped, lines end in \n, \r\n or \r, and bytes that are not UTF-8
// are an error naming the line and byte offset (ts/data/utf8.ts).
import { AlbertTrainerError } from '../errors';
import { quotedList } from './columns';
import { parseDelimited } from './delimited';
import { decodeUtf8 } from './utf8';

export type TextFormat = 'jsonl' | 'csv' | 'tsv' | 'txt';

/** A file's format from its extension; undefined for an unknown one. */
export const TEXT_EXTENSIONS: Readonly<Record<string, TextFormat>> = { '.jsonl': 'jsonl', '.json': 'jsonl', '.csv': 'csv', '.tsv': 'tsv', '.txt': 'txt' };

export interface TextRecord {
  /** 1-based line of the file where the row starts. */
  line: number;
  /** The row's cells by column name (own properties only: test with Object.hasOwn). */
  values: Record<string, unknown>;
}

export interface TextTable {
  /** The header's names (csv/tsv), the first row's keys (jsonl), ['text'] (txt); [] for an empty file. */
  columns: string[];
  /** The line the columns come from (the header, or the first row). */
  columnsLine: number;
  records: TextRecord[];
}

/** Text from bytes (strict UTF-8, see utf8.ts) or a string, without a leading BOM. */
export function decodeText(contents: ArrayBufferView | string, file: string): string {
  if (typeof contents === 'string') return contents.charCodeAt(0) === 0xfeff ? contents.slice(1) : contents;
  return decodeUtf8(new Uint8Array(contents.buffer, contents.byteOffset, contents.byteLength), file);
}

/** The rows of `text` read as `format`; the first malformed row is one ERR_INPUT naming `file:line`. */
export function parseTextTable(text: string, file: string, format: TextFormat): TextTable {
  if (format === 'jsonl') return jsonLines(text, file);
  if (format === 'txt') return textLines(text);
  return delimited(text, file, format);
}

function jsonLines(text: string, file: string): TextTable {
  const lines = text.split(/\r\n|\r|\n/);
  let last = lines.length - 1;
  while (last >= 0 && lines[last].trim() === '') last--;
  const records: TextRecord[] = [];
  const arrayHint = (lines[0] ?? '').trimStart().startsWith('[')
    ? "; the file looks like one JSON array, and albert-trainer reads JSON Lines: one object per line (jq -c '.[]' converts it)"
    : '';
  for (let i = 0; i <= last; i++) {
    const line = i + 1;
    if (lines[i].trim() === '') {
      throw new AlbertTrainerError('ERR_INPUT', `${file}:${line}: blank line between rows; JSON Lines has one object on every line`);
    }
    let value: unknown;
    try {
      value = JSON.parse(lines[i]);
    } catch (e) {
      throw new AlbertTrainerError('ERR_INPUT', `${file}:${line}: malformed JSON: ${(e as Error).message}${line === 1 ? arrayHint : ''}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
      throw new AlbertTrainerError('ERR_INPUT', `${file}:${line}: the row is ${what}, not a JSON object${line === 1 ? arrayHint : ''}`);
    }
    records.push({ line, values: value as Record<string, unknown> });
  }
  return { columns: records.length > 0 ? Object.keys(records[0].values) : [], columnsLine: 1, records };
}

function textLines(text: string): TextTable {
  const records: TextRecord[] = [];
  text.split(/\r\n|\r|\n/).forEach((source, i) => {
    if (source.trim() !== '') records.push({ line: i + 1, values: { text: source } });
  });
  return { columns: ['text'], columnsLine: 1, records };
}

function delimited(text: string, file: string, format: 'csv' | 'tsv'): TextTable {
  const parsed = parseDelimited(text, format === 'csv' ? ',' : '\t', file);
  if (parsed.length === 0) return { columns: [], columnsLine: 1, records: [] };
  const header = parsed[0];
  if (header.blank) throw new AlbertTrainerError('ERR_INPUT', `${file}:1: the header row is blank; the first line must name the columns`);
  const columns = header.fields;
  columns.forEach((name, i) => {
    const first = columns.indexOf(name);
    if (name !== '' && first !== i) {
      throw new AlbertTrainerError('ERR_INPUT', `${file}:${header.line}: the header names the column "${name}" twice (fields ${first + 1} and ${i + 1})`);
    }
  });
  let last = parsed.length - 1;
  while (last > 0 && parsed[last].blank) last--;
  const records: TextRecord[] = [];
  const delimiterName = format === 'csv' ? '","' : 'a tab';
  for (let r = 1; r <= last; r++) {
    const { line, fields, blank } = parsed[r];
    if (blank) throw new AlbertTrainerError('ERR_INPUT', `${file}:${line}: blank line between rows; remove it`);
    if (fields.length !== columns.length) {
      throw new AlbertTrainerError(
        'ERR_INPUT',
        `${file}:${line}: the row has ${fields.length} field(s) but the header has ${columns.length} (${quotedList(columns)}); ` +
          `a field that holds ${delimiterName} must be quoted`,
      );
    }
    const values: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    columns.forEach((name, c) => {
      values[name] = fields[c];
    });
    records.push({ line, values });
  }
  return { columns, columnsLine: header.line, records };
}

/** Whether `record` has the column `name` (an own property: a JSON row may lack one). */
export function hasColumn(record: TextRecord, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(record.values, name);
}
