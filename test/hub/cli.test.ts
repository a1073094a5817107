// `albert-train train --model org/tiny --dataset org/data` end to end against a fake hub on
// 127.0.0.1: both are downloaded into HF_HUB_CACHE and the run ends with status 0. The CLI runs
// as a child process while this process serves the hub, so the child is awaited, not spawnSync'd.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCliAsync } from '../helpers/cli-fixture';
import { SHARED_DATA } from '../helpers/paths';
import { type FakeHub, sha1, startFakeHub } from './fake-hub';

const COMMIT = sha1('tiny');
let work: string;
let hub: FakeHub;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-hub-cli-'));
  const tokenizer = (file: string) => fs.readFileSync(path.join(SHARED_DATA, 'albert-v2-tokenizer', file), 'utf8');
  const rows = (file: string, n: number) => `${fs.readFileSync(path.join(SHARED_DATA, 'subj', file), 'utf8').split('\n').slice(0, n).join('\n')}\n`;
  hub = await startFakeHub({
    'org/tiny': {
      refs: { main: COMMIT },
      commits: {
        [COMMIT]: {
          'config.json': JSON.stringify({ model_type: 'albert', vocab_size: 30000, embedding_size: 32, hidden_size: 64, num_hidden_layers: 2,
            num_attention_heads: 4, intermediate_size: 128 }),
          'tokenizer.json': tokenizer('tokenizer.json'),
          'tokenizer_config.json': tokenizer('tokenizer_config.json'),
        },
      },
      lfs: ['tokenizer.json'],
    },
    'datasets/org/data': { refs: { main: COMMIT }, commits: { [COMMIT]: { 'train.jsonl': rows('train.jsonl', 64), 'test.jsonl': rows('test.jsonl', 32) } } },
  });
});

afterAll(async () => {
  await hub.close();
  fs.rmSync(work, { recursive: true, force: true });
});

const cli = runCliAsync;

test('train --model org/tiny --dataset org/data: downloaded into the cache, trained, status 0', async () => {
  const cache = path.join(work, 'cache');
  const out = path.join(work, 'out');
  const run = await cli(['train', '--model', 'org/tiny', '--init', 'random', '--dataset', 'org/data', '--output-dir', out,
    '--num-train-epochs', '1', '--amp', 'off', '--eval-strategy', 'no', '--logging-steps', '2'],
  { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache, HF_HOME: path.join(work, 'hf-home'), ALBERT_TRAINER_DATA: path.join(work, 'no-data') });
  expect(run.stderr).not.toMatch(/ERR_/);
  expect(run.status).toBe(0);
  expect(run.stderr).toContain('64 training examples');
  expect(fs.existsSync(path.join(cache, 'models--org--tiny', 'snapshots', COMMIT, 'tokenizer.json'))).toBe(true);
  expect(fs.existsSync(path.join(cache, 'datasets--org--data', 'snapshots', COMMIT, 'train.jsonl'))).toBe(true);
  expect(fs.readdirSync(out)).toContain('model.safetensors');
  expect(fs.readFileSync(path.join(out, 'README.md'), 'utf8')).toContain('org/tiny');
  // The folder says what ran: the hub ids as typed (training_args.json) and the data the card describes.
  expect(JSON.parse(fs.readFileSync(path.join(out, 'training_args.json'), 'utf8'))).toMatchObject({ model_name_or_path: 'org/tiny', dataset_name: 'org/data', init: 'random' });
  expect(fs.readFileSync(path.join(out, 'README.md'), 'utf8')).toContain('org/data: 64 training examples; no evaluation set; test split: 32 examples.');
  expect(hub.requests.map((r) => r.url)).toContain('/api/datasets/org/data/revision/main');
});
