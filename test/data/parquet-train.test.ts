// Training from parquet is training from the same rows as jsonl: SUBJ's first 256 train and 64
// test rows, written as parquet by HF `datasets` (test/reference/datasets_fixtures.py) and as
// jsonl, give the same loss at every one of 20 steps on the small config (hidden 256, 4 layers),
// and the same test_results.json.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT, SHARED_DATA } from '../helpers/paths';
import { runReference } from '../helpers/python';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
let work: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-parquet-train-'));
  runReference('datasets_fixtures.py', [path.join(work, 'fx'), path.join(SHARED_DATA, 'subj')]);
  const jsonl = path.join(work, 'jsonl');
  fs.mkdirSync(jsonl);
  const head = (file: string, n: number) => `${fs.readFileSync(path.join(SHARED_DATA, 'subj', file), 'utf8').split('\n').slice(0, n).join('\n')}\n`;
  fs.writeFileSync(path.join(jsonl, 'train.jsonl'), head('train.jsonl', 256));
  fs.writeFileSync(path.join(jsonl, 'test.jsonl'), head('test.jsonl', 64));
}, 120000);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function train(dataset: string, out: string): Map<number, number> {
  const run = spawnSync(process.execPath, [CLI, 'train', '--model', 'albert-base-v2', '--init', 'random',
    '--config-overrides', 'hidden_size=256,num_hidden_layers=4,num_attention_heads=4,intermediate_size=1024,embedding_size=128',
    '--dataset', dataset, '--output-dir', out, '--max-steps', '20', '--eval-strategy', 'no', '--save-strategy', 'no', '--logging-steps', '1',
    '--amp', 'off', '--threads', '1', '--log-format', 'jsonl'], { encoding: 'utf8' });
  expect(run.stderr).not.toMatch(/ERR_/);
  expect(run.status).toBe(0);
  const losses = new Map<number, number>();
  for (const line of run.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const event = JSON.parse(line) as { type: string; step: number; loss: number };
    if (event.type === 'log') losses.set(event.step, event.loss);
  }
  return losses;
}

test('20 steps from parquet log the same loss at every step as from jsonl, and the same test results', () => {
  const fromParquet = train(path.join(work, 'fx', 'subj-small'), path.join(work, 'out-parquet'));
  const fromJsonl = train(path.join(work, 'jsonl'), path.join(work, 'out-jsonl'));
  expect(fromParquet.size).toBe(20);
  expect([...fromParquet]).toEqual([...fromJsonl]);
  const results = (dir: string) => JSON.parse(fs.readFileSync(path.join(work, dir, 'test_results.json'), 'utf8')) as Record<string, number>;
  expect(results('out-parquet').test_loss).toBe(results('out-jsonl').test_loss);
  expect(results('out-parquet').test_samples).toBe(64);
  // SetFit's label_text names the jsonl classes; the parquet's ClassLabel names them the same.
  const id2label = (dir: string) => (JSON.parse(fs.readFileSync(path.join(work, dir, 'config.json'), 'utf8')) as { id2label: unknown }).id2label;
  expect(id2label('out-parquet')).toEqual({ 0: 'objective', 1: 'subjective' });
  expect(id2label('out-jsonl')).toEqual(id2label('out-parquet'));
});
