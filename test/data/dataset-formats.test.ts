// ts/data/dataset.ts reading each format: SUBJ loads as HF loads it; JSON Lines; CSV and TSV (RFC
// 4180 quoting, headers, and the delimited rows' own errors, file:line: what is wrong). Bad JSON
// Lines rows, whole files and options: dataset-errors.test.ts.
import * as fs from 'fs';
import * as path from 'path';
import { ReadDatasetOptions, parseDataset, readDataset } from '../../ts/data/dataset';
import { SHARED_DATA } from '../helpers/paths';
import { bytesOf, dataFileFolder, expectError, jsonl } from '../helpers/data-files';

const { dir, write } = dataFileFolder('albert-dataset-');

function labelsOf(file: string, options?: ReadDatasetOptions): number[] {
  return readDataset(file, options).rows.map((row) => row.label);
}

describe('SUBJ', () => {
  function counts(labels: number[]): number[] {
    const out = [0, 0];
    for (const label of labels) out[label]++;
    return out;
  }

  /** The file's own facts, read line by line with JSON.parse (not by the reader under test). */
  function facts(file: string): { rows: number; counts: number[]; first: Record<string, unknown> } {
    const records = fs.readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
    return { rows: records.length, counts: counts(records.map((r) => r.label as number)), first: records[0] };
  }

  test('train.jsonl: every line a row, the label counts of the file, integer labels named by label_text', () => {
    const file = path.join(SHARED_DATA, 'subj', 'train.jsonl');
    const expected = facts(file);
    const data = readDataset(file);
    expect(expected.rows).toBeGreaterThan(1000);
    expect(data.rows).toHaveLength(expected.rows);
    expect(data.format).toBe('jsonl');
    expect(data.numLabels).toBe(2);
    // label 0/1 beside label_text objective/subjective: the names the CLI gives the model's id2label.
    expect(data.labelNames).toEqual(['objective', 'subjective']);
    expect(counts(data.rows.map((r) => r.label))).toEqual(expected.counts);
    expect(data.rows[0]).toEqual({ text: expected.first.text, label: expected.first.label, line: 1 });
    expect(data.rows[expected.rows - 1].line).toBe(expected.rows);
    expect(data.rows.every((r) => r.text.trim() !== '' && r.textPair === undefined)).toBe(true);
  });

  test('test.jsonl: every line a row, the label counts of the file', () => {
    const file = path.join(SHARED_DATA, 'subj', 'test.jsonl');
    const expected = facts(file);
    const data = readDataset(file, { numLabels: 2 });
    expect(data.rows).toHaveLength(expected.rows);
    expect(counts(data.rows.map((r) => r.label))).toEqual(expected.counts);
  });

  test('label_text as the label column gives sorted names that agree with the ids', () => {
    const data = readDataset(path.join(SHARED_DATA, 'subj', 'train.jsonl'), { labelColumn: 'label_text' });
    expect(data.labelNames).toEqual(['objective', 'subjective']);
    expect(data.rows.map((r) => r.label)).toEqual(labelsOf(path.join(SHARED_DATA, 'subj', 'train.jsonl')));
  });
});

describe('JSON Lines', () => {
  test('BOM, CRLF and trailing blank lines are fine; line numbers are the file lines', () => {
    const file = write('.jsonl', '\ufeff{"text": "a", "label": 1}\r\n{"text": "b", "label": 0}\r\n\r\n  \n');
    expect(readDataset(file).rows).toEqual([
      { text: 'a', label: 1, line: 1 },
      { text: 'b', label: 0, line: 2 },
    ]);
  });

  test('.json is read as JSON Lines; no final newline is fine; other keys are ignored', () => {
    const file = write('.json', '{"text": "a", "label": 0, "x": [1]}\n{"label": 1, "text": "b"}');
    expect(readDataset(file).rows.map((r) => r.text)).toEqual(['a', 'b']);
  });

  test('label names: sorted by code point as Python sorts, not by UTF-16 unit', () => {
    const names = ['😀', 'z', '～', 'é', 'A'];
    const file = write('.jsonl', jsonl(...names.map((label, i) => ({ text: `t${i}`, label }))));
    const data = readDataset(file);
    expect(data.labelNames).toEqual(['A', 'z', 'é', '～', '😀']);
    expect(data.numLabels).toBe(5);
    expect(data.rows.map((r) => r.label)).toEqual([4, 1, 3, 2, 0]);
  });

  test('label2id maps names; its ids give labelNames', () => {
    const file = write('.jsonl', jsonl({ text: 'a', label: 'pos' }, { text: 'b', label: 'neg' }));
    const data = readDataset(file, { label2id: { pos: 0, neg: 1, neutral: 2 } });
    expect(data.rows.map((r) => r.label)).toEqual([0, 1]);
    expect(data.labelNames).toEqual(['pos', 'neg', 'neutral']);
    expect(data.numLabels).toBe(3);
  });

  test('integer labels: numLabels = max + 1 unless given', () => {
    const file = write('.jsonl', jsonl({ text: 'a', label: 2 }, { text: 'b', label: 0 }));
    expect(readDataset(file).numLabels).toBe(3);
    expect(readDataset(file, { numLabels: 5 }).numLabels).toBe(5);
    expect(labelsOf(file)).toEqual([2, 0]);
  });

  test('text pairs and custom columns', () => {
    const file = write('.jsonl', jsonl({ premise: 'p', hypothesis: 'h', y: 1 }, { premise: 'q', hypothesis: 'i', y: 0 }));
    const data = readDataset(file, { textColumn: 'premise', textPairColumn: 'hypothesis', labelColumn: 'y' });
    expect(data.rows).toEqual([
      { text: 'p', textPair: 'h', label: 1, line: 1 },
      { text: 'q', textPair: 'i', label: 0, line: 2 },
    ]);
  });

  test('parseDataset reads contents in memory', () => {
    expect(parseDataset('{"text": "a", "label": 0}\n{"text": "b", "label": 1}', 'mem.jsonl').rows).toHaveLength(2);
    expect(parseDataset(fs.readFileSync(write('.csv', 'text,label\na,0\nb,1\n')), 'mem.csv').rows).toHaveLength(2);
    expect(parseDataset(bytesOf('text,label\na,0\nb,1\n'), 'mem.csv').rows).toHaveLength(2);
  });
});

describe('CSV and TSV', () => {
  test('RFC 4180 quoting: delimiters, line breaks and doubled quotes inside quotes; lines stay right', () => {
    const file = write('.csv', '\ufefftext,label\r\n"a, b",0\r\n"line one\r\nline two",1\r\n"say ""hi""",0\r\nplain,1');
    expect(readDataset(file).rows).toEqual([
      { text: 'a, b', label: 0, line: 2 },
      { text: 'line one\r\nline two', label: 1, line: 3 },
      { text: 'say "hi"', label: 0, line: 5 },
      { text: 'plain', label: 1, line: 6 },
    ]);
  });

  test('a quote inside an unquoted field is text; empty header names (a pandas index) are allowed', () => {
    const file = write('.csv', ',text,label\n0,he said "no",1\n1,x,0');
    expect(readDataset(file).rows.map((r) => r.text)).toEqual(['he said "no"', 'x']);
  });

  test('TSV: tabs separate, quoted fields may hold tabs, commas are text', () => {
    const file = write('.tsv', 'label\tsentence\tother\n1\ta, b\tz\n0\t"tab\there"\t\n');
    expect(readDataset(file, { textColumn: 'sentence' }).rows).toEqual([
      { text: 'a, b', label: 1, line: 2 },
      { text: 'tab\there', label: 0, line: 3 },
    ]);
  });

  test('numeric label fields are ids (as pandas infers), others names; 1.0 is 1', () => {
    expect(labelsOf(write('.csv', 'text,label\na,1\nb,0\nc,1.0\nd,+2\ne, 2 \n'))).toEqual([1, 0, 1, 2, 2]);
    const names = readDataset(write('.csv', 'text,label\na,yes\nb,no\n'));
    expect(names.labelNames).toEqual(['no', 'yes']);
    expect(names.rows.map((r) => r.label)).toEqual([1, 0]);
  });

  test('a text pair column', () => {
    const file = write('.csv', 's1,s2,label\n"a",b,0\nc,"d",1\n');
    expect(readDataset(file, { textColumn: 's1', textPairColumn: 's2' }).rows[1]).toEqual({ text: 'c', textPair: 'd', label: 1, line: 3 });
  });

  test('a row with the wrong number of fields', () => {
    const file = write('.csv', 'text,label\na,0\nb, c,1\n');
    expectError(
      () => readDataset(file),
      'ERR_INPUT',
      `${file}:3: the row has 3 field(s) but the header has 2 ("text", "label"); a field that holds "," must be quoted`,
    );
    const tsv = write('.tsv', 'text\tlabel\na\n');
    expectError(() => readDataset(tsv), 'ERR_INPUT', `${tsv}:2: the row has 1 field(s) but the header has 2 ("text", "label"); a field that holds a tab must be quoted`);
  });

  test('an unterminated quote names the line where it opens', () => {
    const file = write('.csv', 'text,label\na,0\n"b,1\nc,0\n');
    expectError(() => readDataset(file), 'ERR_INPUT', `${file}:3: unterminated quote: field 1 opens a quote that no later " closes`);
  });

  test('text after a closing quote', () => {
    const file = write('.csv', 'text,label\n"a" b,0\n');
    expectError(
      () => readDataset(file),
      'ERR_INPUT',
      `${file}:2: " " after the closing quote of field 1; a quoted field ends at its closing quote, and a quote inside it is written ""`,
    );
  });

  test('a blank line between rows; blank lines at the end are fine', () => {
    expect(readDataset(write('.csv', 'text,label\na,0\nb,1\n\n\r\n')).rows).toHaveLength(2);
    const file = write('.csv', 'text,label\na,0\n\nb,1\n');
    expectError(() => readDataset(file), 'ERR_INPUT', `${file}:3: blank line between rows; remove it`);
  });

  test('header problems', () => {
    const blank = write('.csv', '\ntext,label\n');
    expectError(() => readDataset(blank), 'ERR_INPUT', `${blank}:1: the header row is blank; the first line must name the columns`);
    const twice = write('.csv', 'text,label,text\na,0,b\n');
    expectError(() => readDataset(twice), 'ERR_INPUT', `${twice}:1: the header names the column "text" twice (fields 1 and 3)`);
    const missing = write('.tsv', 'sentence\tlabel\na\t0\n');
    expectError(
      () => readDataset(missing),
      'ERR_INPUT',
      `${missing}:1: no "text" column (the default textColumn); the columns are "sentence", "label"; pass textColumn "sentence" to read it`,
    );
  });

  test.each([
    ['1.5', 'is 1.5, not an integer; expected an integer class id or a label name (string)'],
    ['-1', 'is -1; class ids start at 0'],
    ['', 'is empty'],
  ])('label field %p', (label, what) => {
    const file = write('.csv', `text,label\na,0\nb,${label}\n`);
    expectError(() => readDataset(file), 'ERR_INPUT', `${file}:3: the label (column "label") ${what}`);
  });

  test('an empty text field', () => {
    const file = write('.csv', 'text,label\na,0\n"",1\n');
    expectError(() => readDataset(file), 'ERR_INPUT', `${file}:3: the text (column "text") is empty`);
  });
});
