// ts/data/dataset.ts: SUBJ loads as HF loads it, and every bad file, row and option ends in the
// one message the house rule asks for (file:line: what is wrong), with the right code.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ReadDatasetOptions, parseDataset, readDataset } from '../../ts/data/dataset';
import { AlbertTrainerError, ErrorCode } from '../../ts/errors';
import { SHARED_DATA } from '../helpers/paths';
import { concatBytes } from '../helpers/bytes';
import { expectThrowSync } from '../helpers/expect-error';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-dataset-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
/** Writes `contents` to a fresh file named `*.ext` and returns its path. */
function write(ext: string, contents: string | Uint8Array): string {
  const file = path.join(dir, `f${counter++}${ext}`);
  fs.writeFileSync(file, contents);
  return file;
}

/** UTF-8 of the strings and the raw bytes of the number arrays, concatenated. */
function bytesOf(...parts: (string | number[])[]): Uint8Array {
  return concatBytes(parts.map((part) => (typeof part === 'string' ? new TextEncoder().encode(part) : Uint8Array.from(part))));
}

function jsonl(...rows: unknown[]): string {
  return rows.map((row) => (typeof row === 'string' ? row : JSON.stringify(row))).join('\n') + '\n';
}

/** Asserts a synchronous AlbertTrainerError with exactly this code and message. */
function expectError(run: () => unknown, code: ErrorCode, message: string): void {
  expect(expectThrowSync(run, code, message)).toBeInstanceOf(AlbertTrainerError);
}

/** The message `JSON.parse(source)` throws on this Node. */
function jsonMessage(source: string): string {
  try {
    JSON.parse(source);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`${source} parses`);
}

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

describe('JSON Lines: bad rows', () => {
  test('malformed JSON names the line and says what is wrong', () => {
    const bad = '{"text": "b", "label": 0';
    const file = write('.jsonl', jsonl({ text: 'a', label: 0 }, bad));
    expectError(() => readDataset(file), 'ERR_INPUT', `${file}:2: malformed JSON: ${jsonMessage(bad)}`);
  });

  test('a JSON array file gets a hint', () => {
    const file = write('.json', '[\n{"text": "a", "label": 0}\n]\n');
    expectError(
      () => readDataset(file),
      'ERR_INPUT',
      `${file}:1: malformed JSON: ${jsonMessage('[')}; the file looks like one JSON array, and albert-trainer reads JSON Lines: ` +
        "one object per line (jq -c '.[]' converts it)",
    );
  });

  test.each([
    ['[1, 2]', 'an array'],
    ['3', 'a number'],
    ['"text"', 'a string'],
    ['null', 'null'],
  ])('a row that is %s is not an object', (row, what) => {
    const file = write('.jsonl', jsonl({ text: 'a', label: 0 }, row));
    expectError(() => readDataset(file), 'ERR_INPUT', `${file}:2: the row is ${what}, not a JSON object`);
  });

  test('a blank line between rows', () => {
    const file = write('.jsonl', jsonl({ text: 'a', label: 0 }, '', { text: 'b', label: 1 }));
    expectError(() => readDataset(file), 'ERR_INPUT', `${file}:2: blank line between rows; JSON Lines has one object on every line`);
  });

  test('a missing default column lists the columns present', () => {
    const file = write('.jsonl', jsonl({ sentence: 'a', label: 0 }));
    expectError(
      () => readDataset(file),
      'ERR_INPUT',
      `${file}:1: no "text" column (the default textColumn); the columns are "sentence", "label"; pass textColumn "sentence" to read it`,
    );
  });

  test('a misspelled column: the close name is suggested, never one another option reads', () => {
    const file = write('.jsonl', jsonl({ Sentence: 'a', sentence2: 'b', id: 3, label: 0 }));
    expectError(() => readDataset(file, { textColumn: 'sentense' }), 'ERR_INPUT',
      `${file}:1: textColumn "sentense" is not a column; the columns are "Sentence", "sentence2", "id", "label"; did you mean textColumn "Sentence"?`);
    expectError(() => readDataset(file, { textColumn: 'Sentence', textPairColumn: 'sentence' }), 'ERR_INPUT',
      `${file}:1: textPairColumn "sentence" is not a column; the columns are "Sentence", "sentence2", "id", "label"; did you mean textPairColumn "sentence2"?`);
    expectError(() => readDataset(file, { textColumn: 'Sentence', labelColumn: 'stars' }), 'ERR_INPUT',
      `${file}:1: labelColumn "stars" is not a column; the columns are "Sentence", "sentence2", "id", "label"; name one with labelColumn`);
  });

  test('an unknown column named by the user says which columns exist', () => {
    const file = write('.jsonl', jsonl({ text: 'a', label: 0 }));
    expectError(() => readDataset(file, { labelColumn: 'y' }), 'ERR_INPUT', `${file}:1: labelColumn "y" is not a column; the columns are "text", "label"; pass labelColumn "label" to read it`);
    expectError(
      () => readDataset(file, { textPairColumn: 'b' }),
      'ERR_INPUT',
      `${file}:1: textPairColumn "b" is not a column; the columns are "text", "label"; name one with textPairColumn`,
    );
  });

  test('a later row without the label column', () => {
    const file = write('.jsonl', jsonl({ text: 'a', label: 0 }, { text: 'b', label: 1 }, { text: 'c', lable: 1 }));
    expectError(() => readDataset(file), 'ERR_INPUT', `${file}:3: the row has no "label" column (labelColumn); its columns are "text", "lable"`);
  });

  test.each([
    [5, 'is 5 of type number; expected a string'],
    [null, 'is null; expected a string'],
    ['', 'is empty'],
    [' \t ', 'is only whitespace'],
  ])('text %p', (text, what) => {
    const file = write('.jsonl', jsonl({ text: 'a', label: 0 }, { text, label: 1 }));
    expectError(() => readDataset(file), 'ERR_INPUT', `${file}:2: the text (column "text") ${what}`);
  });

  test('an empty text pair', () => {
    const file = write('.jsonl', jsonl({ a: 'x', b: '', label: 1 }));
    expectError(() => readDataset(file, { textColumn: 'a', textPairColumn: 'b' }), 'ERR_INPUT', `${file}:1: the text pair (column "b") is empty`);
  });

  test.each([
    [0.5, 'is 0.5, not an integer; expected an integer class id or a label name (string)'],
    [true, 'is true, a boolean; expected an integer class id or a label name (string)'],
    [null, 'is null; expected an integer class id or a label name (string)'],
    [[1], 'is an array; expected an integer class id or a label name (string)'],
    ['', 'is empty'],
    [-1, 'is -1; class ids start at 0'],
  ])('label %p', (label, what) => {
    const file = write('.jsonl', jsonl({ text: 'a', label: 0 }, { text: 'b', label }));
    expectError(() => readDataset(file), 'ERR_INPUT', `${file}:2: the label (column "label") ${what}`);
  });

  test('a label at or past numLabels', () => {
    const file = write('.jsonl', jsonl({ text: 'a', label: 0 }, { text: 'b', label: 2 }));
    expectError(() => readDataset(file, { numLabels: 2 }), 'ERR_INPUT', `${file}:2: the label 2 (column "label") is outside [0, 2): numLabels is 2`);
    expectError(
      () => readDataset(file, { label2id: { a: 0, b: 1 } }),
      'ERR_INPUT',
      `${file}:2: the label 2 (column "label") is outside [0, 2): label2id has 2 labels`,
    );
  });

  test('an unknown label name lists the known ones', () => {
    const file = write('.jsonl', jsonl({ text: 'a', label: 'pos' }, { text: 'b', label: 'Neg' }));
    expectError(
      () => readDataset(file, { label2id: { neg: 0, pos: 1 } }),
      'ERR_INPUT',
      `${file}:2: the label "Neg" (column "label") is not in label2id; the known labels are "neg", "pos"`,
    );
  });

  test('mixed names and ids', () => {
    const file = write('.jsonl', jsonl({ text: 'a', label: 0 }, { text: 'b', label: 1 }, { text: 'c', label: 'pos' }));
    expectError(
      () => readDataset(file),
      'ERR_INPUT',
      `${file}:3: the label "pos" is a label name but line 1 has an integer class id (0); a file's labels must be all ids or all names`,
    );
  });

  test('one class only', () => {
    const zeros = write('.jsonl', jsonl({ text: 'a', label: 0 }, { text: 'b', label: 0 }));
    expectError(
      () => readDataset(zeros),
      'ERR_INPUT',
      `${zeros}: every label is 0, so numLabels would be 1; classification needs 2 or more classes (pass numLabels when a file holds only some of them)`,
    );
    expect(readDataset(zeros, { numLabels: 2 }).numLabels).toBe(2);
    const pos = write('.jsonl', jsonl({ text: 'a', label: 'pos' }));
    expectError(
      () => readDataset(pos),
      'ERR_INPUT',
      `${pos}: every label is "pos"; classification needs 2 or more classes (pass label2id when a file holds only some of them)`,
    );
  });

  test('names that do not match numLabels', () => {
    const file = write('.jsonl', jsonl({ text: 'a', label: 'pos' }, { text: 'b', label: 'neg' }));
    expectError(
      () => readDataset(file, { numLabels: 3 }),
      'ERR_INPUT',
      `${file}: 2 distinct labels ("neg", "pos") but numLabels is 3; pass label2id to fix the mapping`,
    );
  });
});

describe('whole-file errors', () => {
  test.each([
    ['.jsonl', ''],
    ['.jsonl', '\ufeff'],
    ['.jsonl', '\n\n \r\n'],
    ['.csv', ''],
  ])('an empty %s file', (ext, contents) => {
    const file = write(ext, contents);
    expectError(() => readDataset(file), 'ERR_INPUT', `${file}: no rows (the file is empty)`);
  });

  test('a CSV with only a header', () => {
    const file = write('.csv', 'text,label\r\n');
    expectError(() => readDataset(file), 'ERR_INPUT', `${file}: no rows after the header (line 1)`);
  });

  test('bytes that are not UTF-8: line and byte offset', () => {
    const head = '{"text": "a", "label": 0}\n{"text": "b", "label": 1}\n{"text": "caf';
    const file = write('.jsonl', bytesOf(head, [0xe9], '", "label": 0}\n'));
    expectError(() => readDataset(file), 'ERR_INPUT', `${file}:3: not valid UTF-8: byte 0xe9 at byte offset ${head.length} of the file; save the file as UTF-8`);
  });

  test.each([
    ['an overlong encoding', [0xc0, 0x80]],
    ['a surrogate', [0xed, 0xa0, 0x80]],
    ['past U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['a truncated sequence at the end', [0xe2, 0x82]],
  ])('%s is not UTF-8', (_, bytes) => {
    const file = write('.csv', bytesOf('text,label\r\nx', bytes));
    expectError(() => readDataset(file), 'ERR_INPUT', `${file}:2: not valid UTF-8: byte 0x${bytes[0].toString(16)} at byte offset 13 of the file; save the file as UTF-8`);
  });

  test('UTF-16 gets a hint', () => {
    const utf16le = Array.from('\ufefftext,label\n').flatMap((c) => [c.charCodeAt(0) & 0xff, c.charCodeAt(0) >> 8]);
    const file = write('.csv', Uint8Array.from(utf16le));
    expectError(() => readDataset(file), 'ERR_INPUT', `${file}:1: not valid UTF-8: byte 0xff at byte offset 0 of the file (the file looks like UTF-16); save it as UTF-8`);
  });

  test('a file that cannot be read is ERR_IO naming it', () => {
    const missing = path.join(dir, 'missing.jsonl');
    expectError(() => readDataset(missing), 'ERR_IO', `${missing}: cannot read: ENOENT: no such file or directory, open '${missing}'`);
    const folder = path.join(dir, 'folder.csv');
    fs.mkdirSync(folder);
    expectError(() => readDataset(folder), 'ERR_IO', `${folder}: cannot read: EISDIR: illegal operation on a directory, read`);
  });

  test('an unknown extension, unless format is given', () => {
    const file = write('.txt', 'text\tlabel\na\t0\nb\t1\n');
    expectError(
      () => readDataset(file),
      'ERR_ARGUMENT',
      `${file}: cannot tell the format from the extension ".txt"; use .jsonl, .json, .csv or .tsv, or pass format: 'jsonl' | 'csv' | 'tsv'`,
    );
    expect(readDataset(file, { format: 'tsv' }).rows).toHaveLength(2);
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

describe('options', () => {
  const file = (): string => write('.jsonl', jsonl({ text: 'a', label: 0 }, { text: 'b', label: 1 }));

  test.each([
    [{ textColum: 'x' }, 'Unknown option textColum for readDataset; the options are format, textColumn, textPairColumn, labelColumn, label2id, numLabels'],
    [{ format: 'parquet' }, `Expected one of 'jsonl', 'csv', 'tsv' for format but received "parquet" of type string`],
    [{ textColumn: '' }, 'Expected non-empty string for textColumn but received "" of type string'],
    [{ labelColumn: 3 }, 'Expected non-empty string for labelColumn but received 3 of type number'],
    [{ textPairColumn: 'text' }, 'textColumn and textPairColumn both name the column "text"'],
    [{ numLabels: 1 }, 'Expected integer >= 2 for numLabels but received 1 of type number'],
    [{ numLabels: 2.5 }, 'Expected integer >= 2 for numLabels but received 2.5 of type number'],
    [{ label2id: ['a', 'b'] }, 'Expected an object of label name -> class id for label2id but received an array of length 2'],
    [{ label2id: { a: 0 } }, 'label2id has 1 label(s); classification needs at least 2'],
    [{ label2id: { a: 0, b: 2 } }, 'Expected integer class id in [0, 2) for label2id["b"] but received 2 of type number'],
    [{ label2id: { a: 1, b: 1 } }, 'label2id maps both "a" and "b" to 1'],
    [{ label2id: { a: 0, b: 1 }, numLabels: 3 }, 'numLabels is 3 but label2id has 2 labels'],
  ])('%p', (options, message) => {
    expectError(() => readDataset(file(), options as ReadDatasetOptions), 'ERR_ARGUMENT', message);
  });

  test('the file argument', () => {
    expectError(() => readDataset(undefined as unknown as string), 'ERR_ARGUMENT', 'Expected a file path for file but received undefined');
  });
});
