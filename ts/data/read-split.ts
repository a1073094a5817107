// One split of a dataset, in any of its formats (parquet, jsonl, csv, tsv), from one file or
// from shards read in order, with its columns picked as HF's run_glue.py picks them and its
// class names from HF `datasets`' ClassLabel feature when the parquet schema carries one.
//
// Columns (pickColumns), when not named by the user: the label column is `label`; the text is
//   `text`, else a pair `sentence1`+`sentence2`, `question`+`sentence`, `question1`+`question2`,
//   `premise`+`hypothesis`, else `sentence`, else the first one or two string columns other than
//   the label's (and `label_text`/`idx`), as run_glue.py takes "the first one or two" non-label
//   columns. The caller prints what was chosen.
// Unlabelled splits: GLUE's test splits carry -1 in every label. With allowUnlabelled, such a
// split reads as { unlabelled: true, rows: [] } so the caller can say it skips it; a split with
// some labels -1 and some not is the same error as any bad label.
import * as fs from 'fs';
import * as path from 'path';
import { AlbertTrainerError, describe } from '../errors';
import { type DatasetRow, type LabelledDataset, type ReadDatasetOptions, checkLabel2id, checkText, readDatasetShard } from './dataset';
import { LABEL_TEXT_COLUMN, LabelTextNames } from './label-names';
import { columnNotFound, quotedList } from './columns';
import { LabelReader, type RawLabel, numberLabel } from './label-reader';
import { type ColumnInfo, type ColumnKind, openParquet } from './parquet';

export interface SplitColumns {
  textColumn: string;
  textPairColumn?: string;
  labelColumn: string;
}

export interface ReadSplitOptions {
  /** Columns the user named (--text-column, --text-pair-column, --label-column); the rest are picked. */
  textColumn?: string;
  textPairColumn?: string;
  labelColumn?: string;
  label2id?: Record<string, number>;
  numLabels?: number;
  /** An all -1 (or null) label column reads as an unlabelled split instead of an error. */
  allowUnlabelled?: boolean;
}

export interface SplitData extends LabelledDataset {
  columns: SplitColumns;
  /** How the columns were chosen, for the start line: `text "sentence", label "label" (run_glue.py's choice)`. */
  columnsNote: string;
  /** True when every label was -1 or null (allowUnlabelled): rows is then empty. */
  unlabelled?: boolean;
  files: string[];
}

export const isParquet = (file: string): boolean => path.extname(file).toLowerCase() === '.parquet';

const PAIRS: [string, string][] = [['sentence1', 'sentence2'], ['question', 'sentence'], ['question1', 'question2'], ['premise', 'hypothesis']];
/** Columns that are never the text: SetFit's label names, GLUE's row ids. */
const NOT_TEXT = new Set(['label_text', 'idx', 'id']);

/** The columns of a data file and what they hold (jsonl: the first row's values; csv/tsv: the first row's fields). */
export async function peekColumns(file: string): Promise<ColumnInfo[]> {
  if (isParquet(file)) {
    const parquet = await openParquet(file);
    await parquet.close();
    return parquet.columns;
  }
  const kind = (value: unknown): ColumnKind => typeof value === 'string' ? 'string' : typeof value === 'boolean' ? 'boolean'
    : typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'float') : 'other';
  let head: string;
  try {
    const fd = fs.openSync(file, 'r');
    const buffer = new Uint8Array(1 << 16);
    const n = fs.readSync(fd, buffer, 0, buffer.length, 0);
    fs.closeSync(fd);
    head = new TextDecoder().decode(buffer.subarray(0, n)).replace(/^\uFEFF/, '');
  } catch (e) {
    throw new AlbertTrainerError('ERR_IO', `${file}: cannot read: ${(e as Error).message}`);
  }
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') {
    // The header's names; every column a string but those whose first field reads as a number.
    const lines = head.split(/\r\n|\r|\n/);
    const split = (line: string) => line.split(ext === '.csv' ? ',' : '\t').map((f) => f.replace(/^"|"$/g, ''));
    const names = split(lines[0] ?? '');
    const first = lines.length > 1 ? split(lines[1]) : [];
    return names.map((name, i) => ({ name, kind: /^[+-]?\d+$/.test(first[i]?.trim() ?? '') ? 'integer' : 'string' }));
  }
  try {
    const record = JSON.parse(head.split(/\r\n|\r|\n/)[0]) as Record<string, unknown>;
    return Object.entries(record).map(([name, value]) => ({ name, kind: kind(value) }));
  } catch {
    return []; // the reader reports what is wrong with the file
  }
}

/** The columns to read, as run_glue.py picks them (see the header); `given` wins. */
export function pickColumns(columns: ColumnInfo[], given: { textColumn?: string; textPairColumn?: string; labelColumn?: string }): { columns: SplitColumns; note: string } {
  const labelColumn = given.labelColumn ?? 'label';
  const has = (name: string) => columns.some((c) => c.name === name);
  const named = (c: SplitColumns, how: string) => ({
    columns: c,
    note: `text "${c.textColumn}"${c.textPairColumn ? `, text pair "${c.textPairColumn}"` : ''}, label "${c.labelColumn}" (${how})`,
  });
  if (given.textColumn !== undefined) {
    return named({ textColumn: given.textColumn, ...(given.textPairColumn ? { textPairColumn: given.textPairColumn } : {}), labelColumn }, 'as given');
  }
  if (given.textPairColumn !== undefined) {
    throw new AlbertTrainerError('ERR_ARGUMENT', '--text-pair-column needs --text-column: name the first text too');
  }
  // No columns seen (an empty or unreadable file): the default, and the reader says what is wrong with the file.
  if (has('text') || columns.length === 0) return named({ textColumn: 'text', labelColumn }, 'the default');
  for (const [a, b] of PAIRS) {
    if (has(a) && has(b)) return named({ textColumn: a, textPairColumn: b, labelColumn }, "run_glue.py's pair columns");
  }
  if (has('sentence')) return named({ textColumn: 'sentence', labelColumn }, "run_glue.py's choice");
  const strings = columns.filter((c) => c.kind === 'string' && c.name !== labelColumn && !NOT_TEXT.has(c.name)).map((c) => c.name);
  if (strings.length === 0) {
    throw new AlbertTrainerError('ERR_INPUT', `no text column: none of the columns (${quotedList(columns.map((c) => c.name))}) holds strings; name one with --text-column`);
  }
  return named({ textColumn: strings[0], ...(strings.length > 1 ? { textPairColumn: strings[1] } : {}), labelColumn },
    `the first ${strings.length > 1 ? 'two string columns' : 'string column'}, as run_glue.py picks them; --text-column/--text-pair-column choose others`);
}

/** Reads a split: `files` in order (shards), the columns picked from the first file. */
export async function readSplit(files: string[], options: ReadSplitOptions = {}): Promise<SplitData> {
  if (files.length === 0) throw new AlbertTrainerError('ERR_ARGUMENT', 'readSplit: no files');
  const available = await peekColumns(files[0]);
  let picked: ReturnType<typeof pickColumns>;
  try {
    picked = pickColumns(available, options);
  } catch (error) {
    if (error instanceof AlbertTrainerError && error.code === 'ERR_INPUT') throw new AlbertTrainerError(error.code, `${files[0]}: ${error.message}`);
    throw error;
  }
  const { columns, note } = picked;
  const columnOptions = { textColumn: columns.textColumn, labelColumn: columns.labelColumn, ...(columns.textPairColumn ? { textPairColumn: columns.textPairColumn } : {}) };
  if (files.some(isParquet)) {
    const data = await readParquetSplit(files, columns, options);
    return { ...data, columns, columnsNote: note, files };
  }
  // jsonl / csv / tsv: one file, or shards read with the first one's labels.
  const base: ReadDatasetOptions = { ...columnOptions, ...(options.label2id ? { label2id: options.label2id } : {}), ...(options.numLabels ? { numLabels: options.numLabels } : {}) };
  const labelText = new LabelTextNames();
  const first = readDatasetShard(files[0], base, labelText);
  const rows = [...first.rows];
  for (const file of files.slice(1)) {
    const label2id = first.labelNames ? Object.fromEntries(first.labelNames.map((n, i) => [n, i])) : undefined;
    rows.push(...readDatasetShard(file, { ...base, numLabels: first.numLabels, ...(label2id ? { label2id } : {}) }, labelText).rows);
  }
  const labelNames = first.labelNames ?? labelText.names(first.numLabels);
  return { ...first, ...(labelNames ? { labelNames } : {}), rows, columns, columnsNote: note, files };
}

function parquetLabel(value: unknown, file: string, row: number, column: string): RawLabel {
  if (typeof value === 'number') return numberLabel(value, String(value), file, row, column);
  if (typeof value === 'boolean') return { id: value ? 1 : 0 };
  if (typeof value === 'string' && value.trim() !== '') return { name: value };
  throw new AlbertTrainerError('ERR_INPUT', `${file}:${row}: the label (column "${column}") is ${value === '' ? 'empty' : describe(value)}; expected an integer class id or a label name (string)`);
}

async function readParquetSplit(files: string[], columns: SplitColumns, options: ReadSplitOptions): Promise<LabelledDataset & { unlabelled?: boolean }> {
  const label2id = options.label2id ? checkLabel2id(options.label2id) : undefined;
  const wanted = [columns.textColumn, ...(columns.textPairColumn ? [columns.textPairColumn] : []), columns.labelColumn];
  const labelText = new LabelTextNames();
  const where = files.length === 1 ? files[0] : `${files[0]} (and ${files.length - 1} more shard${files.length > 2 ? 's' : ''})`;
  let classNames: string[] | undefined;
  let labels: LabelReader | undefined;
  const rows: DatasetRow[] = [];
  let unlabelled: { file: string; row: number; value: unknown } | undefined;
  let unlabelledCount = 0;
  let line = 0;
  for (const file of files) {
    if (!isParquet(file)) throw new AlbertTrainerError('ERR_INPUT', `${file}: a split's shards must share one format; ${files[0]} is parquet`);
    const parquet = await openParquet(file);
    try {
      const names = parquet.columns.map((c) => c.name);
      const named = [['textColumn', columns.textColumn], ['textPairColumn', columns.textPairColumn], ['labelColumn', columns.labelColumn]] as const;
      const taken = named.map(([, name]) => name).filter((name): name is string => name !== undefined && names.includes(name));
      for (const [option, name] of named) {
        if (name !== undefined && !names.includes(name)) throw columnNotFound(file, option, name, names, { isDefault: options[option] === undefined, taken });
      }
      for (const [what, name] of [['text', columns.textColumn], ['text pair', columns.textPairColumn]] as const) {
        const kind = parquet.columns.find((c) => c.name === name)?.kind;
        if (name !== undefined && kind !== 'string') {
          throw new AlbertTrainerError('ERR_INPUT', `${file}: the ${what} column "${name}" holds ${kind === 'other' ? 'values that are not text' : `${kind} values`}, not strings; name the text with textColumn`);
        }
      }
      const fileNames = parquet.classNames.get(columns.labelColumn);
      if (labels === undefined) {
        classNames = fileNames;
        const numLabels = label2id ? undefined : (options.numLabels ?? classNames?.length);
        labels = new LabelReader(where, { labelColumn: columns.labelColumn, ...(label2id ? { label2id } : {}), ...(numLabels !== undefined ? { numLabels } : {}) });
      } else if (JSON.stringify(fileNames) !== JSON.stringify(classNames)) {
        throw new AlbertTrainerError('ERR_INPUT', `${file}: its ClassLabel names (${quotedList(fileNames ?? [])}) differ from ${files[0]}'s (${quotedList(classNames ?? [])})`);
      }
      let row = 0;
      const withLabelText = columns.labelColumn !== LABEL_TEXT_COLUMN && names.includes(LABEL_TEXT_COLUMN);
      for await (const group of parquet.rowGroups(withLabelText ? [...wanted, LABEL_TEXT_COLUMN] : wanted)) {
        for (const record of group) {
          row += 1;
          line += 1;
          const value = record[columns.labelColumn];
          if (value === -1 || value === null || value === undefined) {
            unlabelledCount += 1;
            unlabelled ??= { file, row, value };
            continue;
          }
          const out: DatasetRow = {
            text: checkText(record[columns.textColumn], 'text', columns.textColumn, file, row),
            label: labels.read(parquetLabel(value, file, row, columns.labelColumn), line),
            line,
          };
          if (columns.textPairColumn) out.textPair = checkText(record[columns.textPairColumn], 'text pair', columns.textPairColumn, file, row);
          labelText.add(out.label, withLabelText ? record[LABEL_TEXT_COLUMN] : undefined);
          rows.push(out);
        }
      }
    } finally {
      await parquet.close();
    }
  }
  if (unlabelled) {
    if (unlabelledCount === line && options.allowUnlabelled) return { rows: [], numLabels: options.numLabels ?? classNames?.length ?? 0, format: 'parquet', unlabelled: true };
    const { file, row, value } = unlabelled;
    const all = unlabelledCount === line ? `; every label in the split is ${value === -1 ? '-1' : 'null'}: it is unlabelled (as GLUE's test splits are)` : '';
    throw new AlbertTrainerError('ERR_INPUT', `${file}:${row}: the label (column "${columns.labelColumn}") is ${value === -1 ? '-1' : 'null'}; expected a class id${all}`);
  }
  if (rows.length === 0) throw new AlbertTrainerError('ERR_INPUT', `${where}: no rows`);
  const data = (labels as LabelReader).finish(rows);
  if (classNames && !label2id) return { ...data, labelNames: classNames, numLabels: classNames.length };
  const fromLabelText = data.labelNames ? undefined : labelText.names(data.numLabels);
  return fromLabelText ? { ...data, labelNames: fromLabelText } : data;
}
