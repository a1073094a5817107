// The reference run as a user types it: `albert-train train --model albert/albert-large-v2 --dataset
// DATA --output-dir OUT`, every hyperparameter the default, against a loopback hub that serves what
// the hub's albert/albert-large-v2 repo serves: its real file list and config.json
// (../shared/data/albert-configs), and an AlbertForMaskedLM saved by HF transformers (random init:
// no pretrained weights can be had here). A few steps on the CPU, then the output is used.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCliAsync } from '../helpers/cli-fixture';
import { SHARED_DATA } from '../helpers/paths';
import { runReference } from '../helpers/python';
import { type FakeHub, sha1, startFakeHub } from './fake-hub';

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
  // A small MaskedLM with only pytorch_model.bin, as many older hub repos have it.
  const smallConfig = path.join(work, 'small-config.json');
  fs.writeFileSync(smallConfig, JSON.stringify({ ...JSON.parse(fs.readFileSync(configFile, 'utf8')), hidden_size: 64, num_attention_heads: 4, intermediate_size: 128, num_hidden_layers: 2 }));
  const binOnly = path.join(work, 'hf-bin-only');
  runReference('pretrained_reference.py', [], { hub_model: { dir: binOnly, config_file: smallConfig, seed: 4, bin: true } });
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
    'org/bin-only': {
      refs: { main: sha1('bin-only') },
      commits: {
        [sha1('bin-only')]: {
          'config.json': file(binOnly, 'config.json'),
          'pytorch_model.bin': file(binOnly, 'pytorch_model.bin'),
          'tokenizer.json': file(SHARED_DATA, 'albert-v2-tokenizer', 'tokenizer.json'),
        },
      },
      lfs: ['pytorch_model.bin'],
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

function cli(args: string[], env: Record<string, string> = {}) {
  return runCliAsync(args, { HF_ENDPOINT: hub.url, HF_HUB_CACHE: path.join(work, 'cache'), HF_HOME: path.join(work, 'hf-home'), ...env });
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
  // SUBJ's label_text names the classes, also when part of train is held out for evaluation (no validation split here).
  expect(config.id2label).toEqual({ 0: 'objective', 1: 'subjective' });
  expect(fs.existsSync(path.join(out, 'test_results.json'))).toBe(true);
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

test('a repo with only pytorch_model.bin: fetched as the fallback and read weights-only', async () => {
  const run = await cli(['train', '--model', 'org/bin-only', '--dataset', data, '--output-dir', path.join(work, 'out-bin'), '--max-steps', '1', '--eval-strategy', 'no']);
  expect(run.stderr).not.toMatch(/ERR_/);
  expect(run.status).toBe(0);
  expect(run.stderr).toContain('AlbertForSequenceClassification LOAD REPORT from: org/bin-only');
  // torch.save keeps the tied decoder that save_pretrained drops: HF reports it unexpected, so do we.
  expect(run.stderr).toMatch(/^predictions\.decoder\.weight +\| UNEXPECTED \|$/m);
  expect(hub.requests.map((r) => r.url).filter((u) => u.startsWith('/org/bin-only/resolve/')).map((u) => u.split('/').pop())).toContain('pytorch_model.bin');
}, 300000);

test('--ignore-mismatched-sizes both ways: a 2-class fine-tune trained on 3-class data', async () => {
  const threeClass = path.join(work, 'three-class');
  fs.mkdirSync(threeClass);
  for (const split of ['train', 'test']) {
    const rows = fs.readFileSync(path.join(data, `${split}.jsonl`), 'utf8').trim().split('\n')
      .map((line, i) => JSON.stringify({ text: (JSON.parse(line) as { text: string }).text, label: i % 3 }));
    fs.writeFileSync(path.join(threeClass, `${split}.jsonl`), `${rows.join('\n')}\n`);
  }
  const fineTuned = path.join(work, 'out-bin'); // the 2-class output of the test above
  const args = (out: string) => ['train', '--model', fineTuned, '--dataset', threeClass, '--output-dir', path.join(work, out), '--max-steps', '1', '--eval-strategy', 'no'];
  const refused = await cli(args('out-3-refused'));
  expect(refused.status).toBe(2);
  expect(refused.stderr).toContain(`${path.join(fineTuned, 'model.safetensors')}: weight "classifier.weight" has shape [2, 64] but the model's config needs [3, 64] ` +
    '(num_labels 3); pass --ignore-mismatched-sizes (API: ignoreMismatchedSizes) to re-initialise the classifier');
  expect(fs.existsSync(path.join(work, 'out-3-refused'))).toBe(false);
  const reinitialised = await cli([...args('out-3'), '--ignore-mismatched-sizes']);
  expect(reinitialised.stderr).not.toMatch(/ERR_/);
  expect(reinitialised.status).toBe(0);
  expect(reinitialised.stderr).toMatch(/^classifier\.weight +\| MISMATCH +\| checkpoint \[2, 64\], model \[3, 64\]$/m);
  expect((JSON.parse(fs.readFileSync(path.join(work, 'out-3', 'config.json'), 'utf8')) as { id2label: Record<string, string> }).id2label).toEqual({ 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' });
}, 300000);
