// Parquet datasets as HF users have them: fixtures written by HF `datasets` and `pyarrow`
// (test/reference/datasets_fixtures.py), read by readSplit and compared, row for row and class
// name for class name, with what datasets.load_dataset reads from the same files; the layout
// (configs, shards, a README.md configs: block) and the errors for bad files.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { holdOut, planData } from '../../ts/data/plan';
import { pickColumns, readSplit } from '../../ts/data/read-split';
import { cardClassNames, resolveLayout, splitOfName } from '../../ts/data/splits';
import { resolveDataset } from '../../ts/resolve';
import { REPO_ROOT, SHARED_DATA } from '../helpers/paths';
import { runReference } from '../helpers/python';

type Loaded = Record<string, Record<string, { rows: [string, string | null, number | string][]; names: string[] | null }>>;

let work: string;
let loaded: Loaded;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-parquet-'));
  loaded = runReference<{ loaded: Loaded }>('datasets_fixtures.py', [path.join(work, 'fx'), path.join(SHARED_DATA, 'subj')]).loaded;
}, 120000);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const fx = (...parts: string[]) => path.join(work, 'fx', ...parts);

describe('rows and class names equal datasets.load_dataset', () => {
  test.each(['subj/default', 'subj-zstd/default', 'carded/default', 'glue/sst2', 'glue/mrpc', 'glue/cola'])('%s', async (key) => {
    const [name, config] = key.split('/');
    const resolved = await resolveDataset(fx(name), 'train', config === 'default' ? undefined : config);
    expect(resolved.config).toBe(config);
    expect(Object.keys(resolved.splits).sort()).toEqual(Object.keys(loaded[key]).sort());
    const train = await readSplit(resolved.splits.train);
    for (const [split, reference] of Object.entries(loaded[key])) {
      const data = split === 'train' ? train : await readSplit(resolved.splits[split], { ...train.columns, ...(train.labelNames ? { label2id: Object.fromEntries(train.labelNames.map((n, i) => [n, i])) } : {}), allowUnlabelled: true });
      if (reference.rows.every((r) => r[2] === -1)) {
        expect(data.unlabelled).toBe(true); // GLUE's test split
        continue;
      }
      const ours = data.rows.map((r) => [r.text, r.textPair ?? null, reference.names ? r.label : (data.labelNames as string[])[r.label]]);
      expect(ours).toEqual(reference.rows);
      if (reference.names) expect(data.labelNames).toEqual(reference.names);
    }
  });
});

test('sharded splits are read in shard order; columns as run_glue.py picks them', async () => {
  const resolved = await resolveDataset(fx('glue'), 'train', 'mrpc');
  expect(resolved.splits.train.map((f) => path.basename(f))).toEqual(['train-00000-of-00003.parquet', 'train-00001-of-00003.parquet', 'train-00002-of-00003.parquet']);
  const data = await readSplit(resolved.splits.train);
  expect(data.columns).toEqual({ textColumn: 'sentence1', textPairColumn: 'sentence2', labelColumn: 'label' });
  expect(data.columnsNote).toBe('text "sentence1", text pair "sentence2", label "label" (run_glue.py\'s pair columns)');
  expect(data.labelNames).toEqual(['not_equivalent', 'equivalent']);
  const sst2 = await readSplit((await resolveDataset(fx('glue'), 'train', 'sst2')).splits.train);
  expect(sst2.columns).toEqual({ textColumn: 'sentence', labelColumn: 'label' });
});

test('a config must be named where there are several; a wrong one lists those there are', async () => {
  await expect(resolveDataset(fx('glue'))).rejects.toThrow(`--dataset ${fx('glue')}: the dataset has 3 configs; pick one with --dataset-config-name: "cola", "mrpc", "sst2"`);
  await expect(resolveDataset(fx('glue'), 'train', 'qnli')).rejects.toThrow(`--dataset ${fx('glue')}: no config "qnli" (--dataset-config-name); the configs are "cola", "mrpc", "sst2"`);
});

test('dictionary-encoded strings over several row groups, bool labels', async () => {
  const dict = await readSplit([fx('bad', 'dictionary.parquet')]);
  expect(dict.rows).toHaveLength(30);
  const first = fs.readFileSync(path.join(SHARED_DATA, 'subj', 'train.jsonl'), 'utf8').split('\n').slice(0, 30).map((l) => JSON.parse(l) as { text: string; label: number });
  expect(dict.rows.map((r) => [r.text, r.label])).toEqual(first.map((r) => [r.text, r.label]));
  const bools = await readSplit([fx('bad', 'bools.parquet')]);
  expect(bools.rows.map((r) => r.label)).toEqual([1, 0]);
});

// hyparquet is ES modules only: where Node cannot require() one, the built reader imports it.
const canRefuseRequireEsm = process.allowedNodeEnvironmentFlags.has('--no-experimental-require-module');
(canRefuseRequireEsm ? test : test.skip)('the built reader loads hyparquet where Node cannot require an ES module', () => {
  const script = `require(${JSON.stringify(path.join(REPO_ROOT, 'dist', 'data', 'read-split.js'))}).readSplit([${JSON.stringify(fx('glue', 'mrpc', 'train-00000-of-00003.parquet'))}])` +
    '.then((d) => console.log(d.rows.length, d.labelNames.join(",")))';
  const run = spawnSync(process.execPath, ['--no-experimental-require-module', '-e', script], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.stdout.trim()).toBe('30 not_equivalent,equivalent');
});

describe('bad input: one clear message naming the file', () => {
  test('a truncated parquet file', async () => {
    await expect(readSplit([fx('bad', 'truncated.parquet')])).rejects.toThrow(`${fx('bad', 'truncated.parquet')}: a truncated or damaged parquet file (no "PAR1" footer at its end`);
  });
  test('a file that is not parquet', async () => {
    await expect(readSplit([fx('bad', 'not-parquet.parquet')])).rejects.toThrow(`${fx('bad', 'not-parquet.parquet')}: not a parquet file (it does not start with "PAR1"`);
  });
  test('a text column of numbers', async () => {
    await expect(readSplit([fx('bad', 'numbers.parquet')], { textColumn: 'text' })).rejects.toThrow(
      `${fx('bad', 'numbers.parquet')}: the text column "text" holds integer values, not strings; name the text with textColumn`);
    // Not named: no string column to pick.
    await expect(readSplit([fx('bad', 'numbers.parquet')])).rejects.toThrow('the text column "text" holds integer values');
  });
  test('a null text cell: file:row', async () => {
    await expect(readSplit([fx('bad', 'nulls.parquet')])).rejects.toThrow(`${fx('bad', 'nulls.parquet')}:3: the text (column "text") is null; expected a string`);
  });
  test('the label column absent', async () => {
    await expect(readSplit([fx('bad', 'bools.parquet')], { labelColumn: 'stars' })).rejects.toThrow(
      `${fx('bad', 'bools.parquet')}: labelColumn "stars" is not a column; the columns are "text", "label", "other"; name one with labelColumn`);
  });
  test('a missing split, and an unlabelled split asked for', async () => {
    const base = { dataset: fx('glue'), datasetConfigName: 'sst2', validationSplitPercentage: 10, seed: 42, evaluates: true };
    await expect(planData({ ...base, evalSplit: 'dev_mismatched' })).rejects.toThrow(
      `--dataset ${fx('glue')} (config "sst2"): no split "dev_mismatched" to evaluate on (--eval-split); its splits are "train", "validation", "test"`);
    await expect(planData({ ...base, evalSplit: 'test' })).rejects.toThrow(`the test split (${fx('glue', 'sst2', 'test-00000-of-00001.parquet')}) is unlabelled (every label is -1 or null); it cannot be evaluated on`);
    await expect(resolveDataset(fx('carded'), 'train', 'other')).rejects.toThrow('no config "other" (--dataset-config-name); the configs are "default"');
  });
});

describe('the evaluation set is never the test split without saying so', () => {
  test('no validation split: a seeded share of train is held out, test is kept for the end', async () => {
    const plan = await planData({ dataset: fx('subj-small'), validationSplitPercentage: 10, seed: 42, evaluates: true });
    expect(plan.train.rows).toHaveLength(230);
    expect(plan.eval?.rows).toHaveLength(26);
    expect(plan.eval?.what).toBe('26 rows (10%) held out of the train split (--validation-split-percentage 10, seed 42), as it has no validation split');
    expect(plan.evalIsTest).toBe(false);
    expect(plan.test?.rows).toHaveLength(64);
    const again = await planData({ dataset: fx('subj-small'), validationSplitPercentage: 10, seed: 42, evaluates: true, maxTrainSamples: 100, maxEvalSamples: 5 });
    expect(again.eval?.rows).toEqual(plan.eval?.rows.slice(0, 5));
    expect(again.train.rows).toEqual(plan.train.rows.slice(0, 100));
  });
  test('--eval-split test says so', async () => {
    const plan = await planData({ dataset: fx('subj-small'), validationSplitPercentage: 10, seed: 42, evaluates: true, evalSplit: 'test' });
    expect(plan.evalIsTest).toBe(true);
    expect(plan.eval?.what).toMatch(/^the test split \(--eval-split test: the best model, the collapse guard and the reported accuracy all select on the test split\)/);
    expect(plan.test).toBeUndefined();
    expect(plan.train.rows).toHaveLength(256);
  });
  test('a validation split is used as it is; an unlabelled test split is skipped with a note', async () => {
    const plan = await planData({ dataset: fx('glue'), datasetConfigName: 'cola', validationSplitPercentage: 10, seed: 42, evaluates: true });
    expect(plan.eval?.what).toBe('the validation split');
    expect(plan.train.rows).toHaveLength(90);
    expect(plan.test).toBeUndefined();
    expect(plan.notes).toContain('the test split (test-00000-of-00001.parquet) is unlabelled (every label is -1, as GLUE\'s): skipped, not evaluated'.replace('test-00000-of-00001.parquet', fx('glue', 'cola', 'test-00000-of-00001.parquet')));
  });
  test('holdOut: deterministic for a seed, each part in file order', () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({ text: String(i), label: i % 2, line: i + 1 }));
    const a = holdOut(rows, 10, 1);
    expect(a.heldOut).toHaveLength(5);
    expect(holdOut(rows, 10, 1)).toEqual(a);
    expect(holdOut(rows, 10, 2).heldOut).not.toEqual(a.heldOut);
    expect([...a.train, ...a.heldOut].map((r) => r.line).sort((x, y) => x - y)).toEqual(rows.map((r) => r.line));
    expect(a.heldOut.map((r) => r.line)).toEqual([...a.heldOut.map((r) => r.line)].sort((x, y) => x - y));
  });
});

describe('layout and columns (pure)', () => {
  test('split names by keyword, as datasets', () => {
    expect(['train.jsonl', 'train-00000-of-00003.parquet', 'dev.tsv', 'valid.csv', 'dev_matched.parquet', 'test.parquet', 'trainer.jsonl', 'training.csv'].map(splitOfName))
      .toEqual(['train', 'train', 'validation', 'validation', 'validation', 'test', undefined, 'train']);
  });
  test('the hub parquet conversion layout: <config>/<split>/0000.parquet', () => {
    const files = ['default/train/0000.parquet', 'default/train/0001.parquet', 'default/test/0000.parquet', 'default/partial-train/0000.parquet', 'README.md'];
    expect(resolveLayout(files, { where: 'org/x' })).toEqual({ config: 'default', configs: ['default'], splits: { train: ['default/train/0000.parquet', 'default/train/0001.parquet'], test: ['default/test/0000.parquet'] }, source: 'file names' });
  });
  test('a README configs: pattern matches only listed names', () => {
    const readme = '---\nconfigs:\n- config_name: main\n  default: true\n  data_files:\n  - split: train\n    path: "**/*.parquet"\n---\n';
    expect(resolveLayout(['a/x.parquet', 'b/c/y.parquet', 'z.txt'], { where: 'r', readme }).splits).toEqual({ train: ['a/x.parquet', 'b/c/y.parquet'] });
  });
  test('class names from a card\'s dataset_info (per config) or a dataset_info.json', () => {
    const readme = ['---', 'dataset_info:', '- config_name: sst2', '  features:', '  - name: sentence', '    dtype: string', '  - name: label', '    dtype:',
      '      class_label:', '        names:', "          '0': negative", "          '1': positive", '- config_name: cola', '  features:', '  - name: label',
      '    dtype:', '      class_label:', '        names:', "          '0': unacceptable", "          '1': acceptable", '---', ''].join('\n');
    expect(cardClassNames({ readme }, 'sst2', 'label')).toEqual(['negative', 'positive']);
    expect(cardClassNames({ readme }, 'cola', 'label')).toEqual(['unacceptable', 'acceptable']);
    expect(cardClassNames({ readme }, 'sst2', 'sentence')).toBeUndefined();
    const datasetInfo = JSON.stringify({ features: { label: { names: ['neg', 'pos'], _type: 'ClassLabel' } } });
    expect(cardClassNames({ datasetInfo }, 'default', 'label')).toEqual(['neg', 'pos']);
  });
  test('jsonl with integer labels takes its class names from the folder\'s README.md dataset_info', async () => {
    const dir = path.join(work, 'named-jsonl');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'train.jsonl'), '{"text":"a","label":0}\n{"text":"b","label":1}\n{"text":"c","label":1}\n');
    fs.writeFileSync(path.join(dir, 'validation.jsonl'), '{"text":"d","label":0}\n');
    fs.writeFileSync(path.join(dir, 'README.md'), "---\ndataset_info:\n  features:\n  - name: label\n    dtype:\n      class_label:\n        names:\n          '0': sad\n          '1': happy\n---\n");
    const plan = await planData({ dataset: dir, validationSplitPercentage: 10, seed: 1, evaluates: true });
    expect(plan.train.labelNames).toEqual(['sad', 'happy']);
    expect(plan.notes).toContain('class names from the dataset card: "sad", "happy"');
  });
  test('run_glue.py column choices', () => {
    const cols = (...names: string[]) => names.map((name) => ({ name, kind: name === 'label' || name === 'idx' ? 'integer' as const : 'string' as const }));
    expect(pickColumns(cols('question', 'sentence', 'label', 'idx'), {}).columns).toEqual({ textColumn: 'question', textPairColumn: 'sentence', labelColumn: 'label' });
    expect(pickColumns(cols('premise', 'hypothesis', 'label'), {}).columns).toEqual({ textColumn: 'premise', textPairColumn: 'hypothesis', labelColumn: 'label' });
    expect(pickColumns(cols('question1', 'question2', 'label'), {}).columns).toEqual({ textColumn: 'question1', textPairColumn: 'question2', labelColumn: 'label' });
    expect(pickColumns(cols('review', 'label', 'idx'), {}).columns).toEqual({ textColumn: 'review', labelColumn: 'label' });
    expect(pickColumns(cols('text', 'label', 'label_text'), {}).note).toBe('text "text", label "label" (the default)');
    expect(pickColumns(cols('a', 'b', 'stars'), { textColumn: 'b', labelColumn: 'stars' }).columns).toEqual({ textColumn: 'b', labelColumn: 'stars' });
  });
});
