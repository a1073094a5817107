// Class names from a label_text column beside integer labels (the SetFit datasets' layout).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readDataset } from '../../ts/data/dataset';
import { labelNamesFromTextColumn } from '../../ts/data/label-names';
import { runReference } from '../helpers/python';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-label-names-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function names(lines: object[]): Promise<string[] | undefined> {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.jsonl`);
  fs.writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  const data = readDataset(file);
  return labelNamesFromTextColumn([file], data.numLabels, { textColumn: 'text', labelColumn: 'label' });
}

test('names by id, whatever their sorted order', async () => {
  expect(await names([{ text: 'a', label: 1, label_text: 'alpha' }, { text: 'b', label: 0, label_text: 'zulu' }, { text: 'c', label: 1, label_text: 'alpha' }]))
    .toEqual(['zulu', 'alpha']);
});

test('no such column, a row without it, two names for one id, one name for two ids, a class with no row: none', async () => {
  expect(await names([{ text: 'a', label: 0 }, { text: 'b', label: 1 }])).toBeUndefined();
  expect(await names([{ text: 'a', label: 0, label_text: 'x' }, { text: 'b', label: 1 }])).toBeUndefined();
  expect(await names([{ text: 'a', label: 0, label_text: 'x' }, { text: 'b', label: 0, label_text: 'y' }, { text: 'c', label: 1, label_text: 'z' }])).toBeUndefined();
  expect(await names([{ text: 'a', label: 0, label_text: 'x' }, { text: 'b', label: 1, label_text: 'x' }])).toBeUndefined();
  expect(await names([{ text: 'a', label: 0, label_text: 'x' }, { text: 'b', label: 2, label_text: 'z' }])).toBeUndefined();
});

test('SUBJ: objective and subjective, from jsonl and from parquet', async () => {
  const file = path.join(process.env.ALBERT_TRAINER_DATA ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'data'), 'subj', 'test.jsonl');
  const data = readDataset(file);
  expect(await labelNamesFromTextColumn([file], data.numLabels, { textColumn: 'text', labelColumn: 'label' })).toEqual(['objective', 'subjective']);
  // The same rows as the hub's parquet conversion of a SetFit set holds them: label an int64, label_text beside it, no ClassLabel.
  const parquet = path.join(dir, 'subj.parquet');
  runReference('plain_parquet.py', [], { source: file, target: parquet });
  expect(await labelNamesFromTextColumn([parquet], 2, { textColumn: 'text', labelColumn: 'label' })).toEqual(['objective', 'subjective']);
}, 120000);
