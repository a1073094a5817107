// Labels of a dataset file: each row's raw label (a class id or a name) becomes a class id,
// one kind per file; names map through label2id or, without it, sort by code point as HF
// datasets' ClassLabel does (see ts/data/dataset.ts's header for the rules).
import { AlbertTrainerError } from '../errors';
import { quotedList } from './columns';
import type { DataFormat, DatasetRow, LabelledDataset } from './dataset-types';

/** What the label reader needs of the reader's checked options. */
export interface LabelOptions {
  format?: DataFormat | 'parquet';
  labelColumn: string;
  label2id?: Map<string, number>;
  numLabels?: number;
}

export type RawLabel = { id: number } | { name: string };

export function numberLabel(value: number, source: string, file: string, line: number, column: string): RawLabel {
  if (!Number.isInteger(value)) {
    throw new AlbertTrainerError(
      'ERR_INPUT',
      `${file}:${line}: the label (column "${column}") is ${source}, not an integer; expected an integer class id or a label name (string)`,
    );
  }
  if (value < 0) {
    throw new AlbertTrainerError('ERR_INPUT', `${file}:${line}: the label (column "${column}") is ${source}; class ids start at 0`);
  }
  return { id: value };
}

/** Turns the rows' raw labels into class ids, one kind (ids or names) per file. */
export class LabelReader {
  private kind?: { names: boolean; line: number; source: string };
  private maxId = -1;
  /** Label names of a file without label2id, with the rows that carry each; ids come at the end. */
  private readonly pending = new Map<string, DatasetRow['line'][]>();

  constructor(
    private readonly file: string,
    private readonly opts: LabelOptions,
  ) {}

  /** The class id, or -1 until finish() when the label is a name to be sorted. */
  read(raw: RawLabel, line: number): number {
    const isName = 'name' in raw;
    const source = isName ? JSON.stringify(raw.name) : String(raw.id);
    if (this.kind === undefined) {
      this.kind = { names: isName, line, source };
    } else if (this.kind.names !== isName) {
      const kindOf = (names: boolean): string => (names ? 'a label name' : 'an integer class id');
      throw new AlbertTrainerError(
        'ERR_INPUT',
        `${this.file}:${line}: the label ${source} is ${kindOf(isName)} but line ${this.kind.line} has ${kindOf(this.kind.names)} ` +
          `(${this.kind.source}); a file's labels must be all ids or all names`,
      );
    }
    const { label2id, numLabels, labelColumn } = this.opts;
    if ('name' in raw) {
      if (label2id !== undefined) {
        const id = label2id.get(raw.name);
        if (id === undefined) {
          throw new AlbertTrainerError(
            'ERR_INPUT',
            `${this.file}:${line}: the label ${source} (column "${labelColumn}") is not in label2id; the known labels are ${quotedList([...label2id.keys()])}`,
          );
        }
        return id;
      }
      const lines = this.pending.get(raw.name);
      if (lines === undefined) this.pending.set(raw.name, [line]);
      else lines.push(line);
      return -1;
    }
    const limit = numLabels ?? label2id?.size;
    if (limit !== undefined && raw.id >= limit) {
      const why = numLabels !== undefined ? `numLabels is ${numLabels}` : `label2id has ${limit} labels`;
      throw new AlbertTrainerError('ERR_INPUT', `${this.file}:${line}: the label ${raw.id} (column "${labelColumn}") is outside [0, ${limit}): ${why}`);
    }
    this.maxId = Math.max(this.maxId, raw.id);
    return raw.id;
  }

  finish(rows: DatasetRow[]): LabelledDataset {
    const { label2id, numLabels } = this.opts;
    const base = { rows, format: this.opts.format ?? 'parquet' };
    if (label2id !== undefined) {
      const labelNames: string[] = [];
      for (const [name, id] of label2id) labelNames[id] = name;
      return { ...base, labelNames, numLabels: label2id.size };
    }
    if (this.kind?.names) {
      const labelNames = [...this.pending.keys()].sort(compareCodePoints);
      if (numLabels !== undefined && labelNames.length !== numLabels) {
        throw new AlbertTrainerError(
          'ERR_INPUT',
          `${this.file}: ${labelNames.length} distinct labels (${quotedList(labelNames)}) but numLabels is ${numLabels}; ` +
            'pass label2id to fix the mapping',
        );
      }
      if (labelNames.length < 2) {
        throw new AlbertTrainerError(
          'ERR_INPUT',
          `${this.file}: every label is ${quotedList(labelNames)}; classification needs 2 or more classes (pass label2id when a file holds only some of them)`,
        );
      }
      const byRow = new Map<number, number>();
      labelNames.forEach((name, id) => {
        for (const line of this.pending.get(name) as number[]) byRow.set(line, id);
      });
      for (const row of rows) row.label = byRow.get(row.line) as number;
      return { ...base, labelNames, numLabels: labelNames.length };
    }
    if (numLabels !== undefined) return { ...base, numLabels };
    if (this.maxId < 1) {
      throw new AlbertTrainerError(
        'ERR_INPUT',
        `${this.file}: every label is 0, so numLabels would be 1; classification needs 2 or more classes (pass numLabels when a file holds only some of them)`,
      );
    }
    return { ...base, numLabels: this.maxId + 1 };
  }
}

/** Python's str ordering (by code point), not JS's default (by UTF-16 unit). */
function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i].codePointAt(0) as number) - (y[i].codePointAt(0) as number);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
