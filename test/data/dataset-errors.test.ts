// ts/data/dataset.ts: every bad row, file and option ends in the one message the house rule asks
// for (file:line: what is wrong), with the right code. Reading each format (CSV and TSV's bad rows
// included): dataset-formats.test.ts.
import * as fs from 'fs';
import * as path from 'path';
import { ReadDatasetOptions, readDataset } from '../../ts/data/dataset';
import { bytesOf, dataFileFolder, expectError, jsonl } from '../helpers/data-files';

const { dir, write } = dataFileFolder('albert-dataset-');

/** The message `JSON.parse(source)` throws on this Node. */
function jsonMessage(source: string): string {
  try {
    JSON.parse(source);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`${source} parses`);
}

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
    const missing = path.join(dir(), 'missing.jsonl');
    expectError(() => readDataset(missing), 'ERR_IO', `${missing}: cannot read: ENOENT: no such file or directory, open '${missing}'`);
    const folder = path.join(dir(), 'folder.csv');
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
