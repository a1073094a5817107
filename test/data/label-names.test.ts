// Class names from a label_text column beside integer labels (the SetFit datasets' layout), found
// by the readers in the pass that reads the labels: readDataset (jsonl/csv/tsv) and readSplit (any
// format, shards).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readDataset } from '../../ts/data/dataset';
import { readSplit } from '../../ts/data/read-split';
import { runReference } from '../helpers/python';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-label-names-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function names(lines: object[]): Promise<string[] | undefined> {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.jsonl`);
  fs.writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
  return Promise.resolve(readDataset(file).labelNames);
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
  expect(readDataset(file).labelNames).toEqual(['objective', 'subjective']);
  expect((await readSplit([file])).labelNames).toEqual(['objective', 'subjective']);
  // The same rows as the hub's parquet conversion of a SetFit set holds them: label an int64, label_text beside it, no ClassLabel.
  const parquet = path.join(dir, 'subj.parquet');
  runReference('plain_parquet.py', [], { source: file, target: parquet });
  expect((await readSplit([parquet])).labelNames).toEqual(['objective', 'subjective']);
}, 120000);

test('shards of one split: the names come from every shard, and a shard that disagrees drops them', async () => {
  const shard = (lines: object[]) => {
    const file = path.join(dir, `${Math.random().toString(36).slice(2)}.jsonl`);
    fs.writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    return file;
  };
  const a = shard([{ text: 'a', label: 0, label_text: 'neg' }, { text: 'b', label: 1, label_text: 'neu' }]);
  const b = shard([{ text: 'c', label: 2, label_text: 'pos' }, { text: 'd', label: 0, label_text: 'neg' }]);
  const c = shard([{ text: 'e', label: 2, label_text: 'positive' }]);
  expect((await readSplit([a, b], { numLabels: 3 })).labelNames).toEqual(['neg', 'neu', 'pos']);
  expect((await readSplit([a, b, c], { numLabels: 3 })).labelNames).toBeUndefined();
});
