// The reference run as a user types it: `albert-train train --model albert/albert-large-v2 --dataset
// DATA --output-dir OUT`, every hyperparameter the default, against a loopback hub that serves what
// the hub's albert/albert-large-v2 repo serves: its real file list and config.json
// (../shared/data/albert-configs), and an AlbertForMaskedLM saved by HF transformers (random init:
// no pretrained weights can be had here). A few steps on the CPU, then the output is used.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT, SHARED_DATA, runReference } from '../helpers/python';
import { type FakeHub, sha1, startFakeHub } from './fake-hub';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const COMMIT = sha1('albert-large-v2');
const NEVER_FETCHED = ['pytorch_model.bin', 'tf_model.h5', 'flax_model.msgpack', 'rust_model.ot'];
let work: string;
let hub: FakeHub;
let data: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-hub-large-'));
  const configFile = path.join(SHARED_DATA, 'albert-configs', 'albert-large-v2.json');
  const saved = path.join(work, 'hf-saved');
  runReference('pretrained_reference.py', [], { hub_model: { dir: saved, config_file: configFile, seed: 3 } });
  const file = (...parts: string[]) => new Uint8Array(fs.readFileSync(path.join(...parts)));
  hub = await startFakeHub({
    'albert/albert-large-v2': {
      refs: { main: COMMIT },
      commits: {
        [COMMIT]: {
          '.gitattributes': '*.bin filter=lfs diff=lfs merge=lfs -text\n',
          'README.md': '---\nlanguage: en\nlicense: apache-2.0\n---\n# ALBERT Large v2\n',
          'config.json': file(configFile),
          'model.safetensors': file(saved, 'model.safetensors'),
          'spiece.model': file(SHARED_DATA, 'albert-v2-tokenizer', 'spiece.model'),
          'tokenizer.json': file(SHARED_DATA, 'albert-v2-tokenizer', 'tokenizer.json'),
          // Served, and never to be fetched when model.safetensors is there.
          ...Object.fromEntries(NEVER_FETCHED.map((name) => [name, `not ${name}`])),
        },
      },
      lfs: ['model.safetensors', 'spiece.model', 'pytorch_model.bin', 'tf_model.h5', 'flax_model.msgpack', 'rust_model.ot'],
    },
  });
  data = path.join(work, 'subj-slice');
  fs.mkdirSync(data);
  for (const [split, n] of [['train', 32], ['test', 16]] as const) {
    const rows = fs.readFileSync(path.join(SHARED_DATA, 'subj', `${split}.jsonl`), 'utf8').split('\n').slice(0, n);
    fs.writeFileSync(path.join(data, `${split}.jsonl`), `${rows.join('\n')}\n`);
  }
}, 300000);

afterAll(async () => {
  await hub.close();
  fs.rmSync(work, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string> = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  const clean = { ...process.env };
  for (const name of ['HF_TOKEN', 'HF_HUB_OFFLINE', 'TRANSFORMERS_OFFLINE', 'HUGGINGFACE_HUB_CACHE', 'HF_HUB_CACHE', 'HF_HOME']) delete clean[name];
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], {
      encoding: 'utf8', maxBuffer: 1 << 26,
      env: { ...clean, HF_ENDPOINT: hub.url, HF_HUB_CACHE: path.join(work, 'cache'), HF_HOME: path.join(work, 'hf-home'), ...env },
    }, (error, stdout, stderr) => resolve({ status: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }));
  });
}

test('train --model albert/albert-large-v2 (defaults): downloads the MaskedLM checkpoint, reports its load as HF does, fine-tunes', async () => {
  const out = path.join(work, 'out');
  const run = await cli(['train', '--model', 'albert/albert-large-v2', '--dataset', data, '--output-dir', out, '--max-steps', '2']);
  expect(run.stderr).not.toMatch(/ERR_/);
  expect(run.status).toBe(0);
  // HF 5's load report: the MaskedLM head left out, the pooler and classifier newly initialised.
  expect(run.stderr).toContain('AlbertForSequenceClassification LOAD REPORT from: albert/albert-large-v2');
  expect(run.stderr).toMatch(/^predictions\.dense\.weight +\| UNEXPECTED \|$/m);
  for (const key of ['albert.pooler.weight', 'albert.pooler.bias', 'classifier.weight', 'classifier.bias']) {
    expect(run.stderr).toMatch(new RegExp(`^${key.replace(/\./g, '\\.')} +\\| MISSING +\\|$`, 'm'));
  }
  expect(run.stderr).toContain('- MISSING: those params were newly initialized because missing from the checkpoint. Consider training on your downstream task.');
  // Fetched by name (pinned to the commit main resolved to): the safetensors weights, never the other formats.
  const fetched = hub.requests.map((r) => r.url).filter((u) => u.startsWith('/albert/albert-large-v2/resolve/')).map((u) => u.split('/').pop());
  expect(fetched).toContain('model.safetensors');
  for (const name of NEVER_FETCHED) expect(fetched).not.toContain(name);
  // The output: an AlbertForSequenceClassification with the base named in its model card, usable by predict.
  const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
  expect(config.architectures).toEqual(['AlbertForSequenceClassification']);
  expect(config.hidden_size).toBe(1024);
  expect(fs.readFileSync(path.join(out, 'README.md'), 'utf8')).toMatch(/^base_model: albert\/albert-large-v2$/m);
  const predicted = await cli(['predict', '--model', out, '--text', 'a fine plot', '--device', 'cpu']);
  expect(predicted.stderr).not.toMatch(/ERR_/);
  expect(predicted.status).toBe(0);
}, 600000);

test('the hub alias albert-large-v2 resolves to the same cached repo (offline); eval on the base model says it has no classifier', async () => {
  const out = path.join(work, 'out-alias');
  const before = hub.requests.length;
  const run = await cli(['train', '--model', 'albert-large-v2', '--dataset', data, '--output-dir', out, '--max-steps', '1', '--eval-strategy', 'no'], { HF_HUB_OFFLINE: '1' });
  expect(run.stderr).not.toMatch(/ERR_/);
  expect(run.status).toBe(0);
  expect(hub.requests.length).toBe(before);
  const evaluated = await cli(['eval', '--model', 'albert/albert-large-v2', '--dataset', data], { HF_HUB_OFFLINE: '1' });
  expect(evaluated.status).not.toBe(0);
  expect(evaluated.stderr).toMatch(/model\.safetensors: has no trained classification head \(missing albert\.pooler\.weight, .*\): it holds a base model; fine-tune it first/);
}, 600000);
