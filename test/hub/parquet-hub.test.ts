// Parquet datasets from the loopback hub, as the hub serves them: a GLUE-shaped repo (README.md
// configs:, config folders, sharded train, an unlabelled test split) trained from with
// --dataset org/glue --dataset-config-name mrpc, fetching that config's files only; a repo whose
// main branch holds only a loading script, read from refs/convert/parquet; a missing config.
// The parquet files are written by HF `datasets` (test/reference/datasets_fixtures.py).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { resolveDataset } from '../../ts/resolve';
import { makeCliFixture, runCliAsync } from '../helpers/cli-fixture';
import { SHARED_DATA } from '../helpers/paths';
import { runReference } from '../helpers/python';
import { type FakeHub, sha1, startFakeHub, useHubEnvironment } from './fake-hub';

const GLUE = sha1('glue');
const SCRIPT = sha1('script');
const CONVERTED = sha1('converted');
let work: string;
let hub: FakeHub;
let modelDir: string;

/** Every file under `dir` as name -> bytes, the hub's way (names relative, '/'-separated). */
function repoFiles(dir: string, prefix = ''): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) Object.assign(out, repoFiles(full, `${prefix}${entry.name}/`));
    else out[`${prefix}${entry.name}`] = new Uint8Array(fs.readFileSync(full));
  }
  return out;
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-parquet-hub-'));
  runReference('datasets_fixtures.py', [path.join(work, 'fx'), path.join(SHARED_DATA, 'subj')]);
  modelDir = makeCliFixture('albert-parquet-hub-model-', { train: 1, test: 1 }).modelDir;
  const glue = repoFiles(path.join(work, 'fx', 'glue'));
  const small = repoFiles(path.join(work, 'fx', 'subj-small', 'data'));
  hub = await startFakeHub({
    'datasets/org/glue': { refs: { main: GLUE }, commits: { [GLUE]: { ...glue, '.gitattributes': '*.parquet filter=lfs\n' } }, lfs: Object.keys(glue).filter((f) => f.endsWith('.parquet')) },
    'datasets/org/scripted': {
      refs: { main: SCRIPT, 'refs/convert/parquet': CONVERTED },
      commits: {
        [SCRIPT]: { 'scripted.py': 'import datasets\n', 'README.md': '# a dataset with a loading script\n' },
        [CONVERTED]: { 'default/train/0000.parquet': small['train-00000-of-00001.parquet'], 'default/test/0000.parquet': small['test-00000-of-00001.parquet'] },
      },
    },
  });
  // The fake hub's listing route takes one path segment as the revision; the conversion branch's name has slashes.
  hub.intercept = (request, response) => {
    if (request.url !== '/api/datasets/org/scripted/revision/refs%2Fconvert%2Fparquet') return false;
    const siblings = Object.keys(hub.repos['datasets/org/scripted'].commits[CONVERTED]).map((rfilename) => ({ rfilename }));
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ sha: CONVERTED, siblings }));
    return true;
  };
}, 120000);

afterAll(async () => {
  await hub.close();
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(path.dirname(modelDir), { recursive: true, force: true });
});

const cli = runCliAsync;

const hubEnv = () => ({ HF_ENDPOINT: hub.url, HF_HUB_CACHE: path.join(work, 'cache'), HF_HOME: path.join(work, 'hf-home'), ALBERT_TRAINER_DATA: path.join(work, 'no-data') });

test('train --dataset org/glue --dataset-config-name mrpc: that config\'s parquet files only, pair columns, class names, the unlabelled test split skipped', async () => {
  hub.requests.length = 0;
  const out = path.join(work, 'out-mrpc');
  const run = await cli(['train', '--model', modelDir, '--init', 'random', '--dataset', 'org/glue', '--dataset-config-name', 'mrpc', '--output-dir', out,
    '--max-steps', '3', '--eval-strategy', 'steps', '--eval-steps', '3', '--amp', 'off', '--save-strategy', 'no'], hubEnv());
  expect(run.stderr).not.toMatch(/ERR_/);
  expect(run.status).toBe(0);
  expect(run.stderr).toContain('albert-train: columns: text "sentence1", text pair "sentence2", label "label" (run_glue.py\'s pair columns)');
  expect(run.stderr).toContain('albert-train: evaluation: the validation split');
  expect(run.stderr).toMatch(/albert-train: the test split \(.*mrpc\/test-00000-of-00001\.parquet\) is unlabelled \(every label is -1, as GLUE's\): skipped, not evaluated/);
  expect(run.stderr).toContain('90 training examples, 30 for evaluation');
  const fetched = hub.requests.map((r) => r.url).filter((u) => u.includes('/resolve/'));
  expect(fetched.map((u) => u.replace(`/datasets/org/glue/resolve/${GLUE}/`, ''))).toEqual(['README.md', 'mrpc/validation-00000-of-00001.parquet',
    'mrpc/test-00000-of-00001.parquet', 'mrpc/train-00000-of-00003.parquet', 'mrpc/train-00001-of-00003.parquet', 'mrpc/train-00002-of-00003.parquet']);
  const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')) as { id2label: Record<string, string> };
  expect(config.id2label).toEqual({ 0: 'not_equivalent', 1: 'equivalent' });
  expect(fs.existsSync(path.join(out, 'test_results.json'))).toBe(false);
  expect(fs.readFileSync(path.join(out, 'README.md'), 'utf8')).toContain('on the org/glue (mrpc) dataset');
  // eval reads the same config's validation split (the pair columns picked as train picked them), from the cache.
  const evaluated = await cli(['eval', '--model', out, '--dataset', 'org/glue', '--dataset-config-name', 'mrpc', '--amp', 'off', '--log-format', 'jsonl'], { ...hubEnv(), HF_HUB_OFFLINE: '1' });
  expect(evaluated.stderr).not.toMatch(/ERR_/);
  expect(evaluated.status).toBe(0);
  expect((JSON.parse(evaluated.stdout.trim().split('\n').pop() as string) as { eval_samples: number; eval_labels: string[] })).toMatchObject({ eval_samples: 30, eval_labels: ['not_equivalent', 'equivalent'] });
});

test('a missing config lists the configs there are; no config named where there are several', async () => {
  const missing = await cli(['train', '--model', modelDir, '--init', 'random', '--dataset', 'org/glue', '--dataset-config-name', 'qnli', '--output-dir', path.join(work, 'out-x'),
    '--max-steps', '1'], hubEnv());
  expect(missing.status).not.toBe(0);
  expect(missing.stderr).toContain('--dataset org/glue: org/glue: no config "qnli" (--dataset-config-name); the configs are "cola", "mrpc", "sst2"');
  const unnamed = await cli(['train', '--model', modelDir, '--init', 'random', '--dataset', 'org/glue', '--output-dir', path.join(work, 'out-y'), '--max-steps', '1'], hubEnv());
  expect(unnamed.status).not.toBe(0);
  expect(unnamed.stderr).toContain('the dataset has 3 configs; pick one with --dataset-config-name: "cola", "mrpc", "sst2"');
});

test('README configs: patterns match only the checked listing\'s names: a pattern reaching out of the repo matches nothing and fetches nothing', async () => {
  const EVIL = sha1('evil-card');
  const card = '---\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n    path: "../../../**/*.parquet"\n---\n';
  hub.repos['datasets/org/evil-card'] = { refs: { main: EVIL }, commits: { [EVIL]: { 'README.md': card, 'data/train.jsonl': '{"text":"a","label":0}\n' } } };
  const restore = useHubEnvironment(hub.url, work, path.join(work, 'cache-evil'));
  hub.requests.length = 0;
  try {
    await expect(resolveDataset('org/evil-card')).rejects.toThrow('--dataset org/evil-card: org/evil-card README.md config "default": split "train" ("../../../**/*.parquet") matches no data file in the repo');
    expect(hub.requests.map((r) => r.url)).toEqual(['/api/datasets/org/evil-card/revision/main', `/datasets/org/evil-card/resolve/${EVIL}/README.md`]);
  } finally {
    restore();
  }
});

test('a repo with only a loading script is read from refs/convert/parquet, then from the cache offline', async () => {
  const restore = useHubEnvironment(hub.url, work, path.join(work, 'cache-scripted'));
  try {
    const snapshot = path.join(work, 'cache-scripted', 'datasets--org--scripted', 'snapshots', CONVERTED);
    const resolved = await resolveDataset('org/scripted');
    expect(resolved).toEqual({ name: 'org/scripted', dir: snapshot, config: 'default', configs: ['default'], commit: CONVERTED, revision: 'refs/convert/parquet',
      splits: { train: [path.join(snapshot, 'default', 'train', '0000.parquet')], test: [path.join(snapshot, 'default', 'test', '0000.parquet')] } });
    process.env.HF_HUB_OFFLINE = '1';
    expect(await resolveDataset('org/scripted')).toEqual(resolved);
  } finally {
    restore();
  }
});
