// Data-parallel training as a user runs it: `albert-train train --nproc-per-node 2` on this
// machine (Gloo over loopback). The equivalence the design rests on: 2 processes x batch 8 take
// the same steps as 1 process x batch 16 over the same data order (fp32, dropout off): the
// same per-step losses and final weights, within 1e-5 relative. Then checkpoints with every
// rank's RNG state, and a resume with another number of processes refused by name.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { AlbertForSequenceClassification } from '../../ts';
import { makeCliFixture } from '../helpers/cli-fixture';
import { REPO_ROOT, SHARED_DATA } from '../helpers/paths';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
let work: string;
let modelDir: string;
let dataDir: string;

function cli(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ALBERT_TRAINER_DATA: SHARED_DATA } });
}

// Dropout off so that the two runs draw nothing at random; the model card's defaults otherwise.
const COMMON = ['--init', 'random', '--num-train-epochs', '2', '--learning-rate', '1e-3', '--logging-steps', '1', '--amp', 'off',
  '--config-overrides', 'hidden_dropout_prob=0,attention_probs_dropout_prob=0,classifier_dropout_prob=0',
  '--no-load-best-model-at-end', '--collapse-guard', 'off', '--log-format', 'jsonl'];

beforeAll(() => {
  ({ work, modelDir, dataDir } = makeCliFixture('albert-ddp-', { train: 96, test: 41 })); // 96 = 6 global batches of 16; 41: the eval shards differ in size
});

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

type Log = { step: number; loss?: number; eval_loss?: number; eval_accuracy?: number; eval_samples?: number };
const history = (dir: string) => (JSON.parse(fs.readFileSync(path.join(dir, 'trainer_state.json'), 'utf8')) as { log_history: Log[] }).log_history;

describe('2 processes x batch 8 against 1 process x batch 16', () => {
  const single = () => path.join(work, 'single');
  const parallel = () => path.join(work, 'parallel');
  let parallelRun: ReturnType<typeof cli>;

  beforeAll(() => {
    const one = cli(['train', '--model', modelDir, '--dataset', dataDir, '--output-dir', single(), ...COMMON, '--per-device-train-batch-size', '16', '--threads', '1']);
    expect(one.stderr).not.toMatch(/ERR_/);
    expect(one.status).toBe(0);
    parallelRun = cli(['train', '--model', modelDir, '--dataset', dataDir, '--output-dir', parallel(), ...COMMON, '--per-device-train-batch-size', '8',
      '--nproc-per-node', '2', '--save-strategy', 'epoch']);
    expect(parallelRun.stderr).not.toMatch(/ERR_/);
    expect(parallelRun.status).toBe(0);
  });

  test('take the same steps with the same losses (1e-5 relative)', () => {
    const a = history(single()).filter((e) => e.loss !== undefined);
    const b = history(parallel()).filter((e) => e.loss !== undefined);
    expect(a.map((e) => e.step)).toEqual([...Array(12).keys()].map((i) => i + 1));
    expect(b.map((e) => e.step)).toEqual(a.map((e) => e.step));
    for (const [i, entry] of a.entries()) {
      expect(Math.abs((b[i].loss as number) - (entry.loss as number)) / Math.abs(entry.loss as number)).toBeLessThan(1e-5);
    }
    // and the losses do change (the comparison is not between two constants)
    expect(new Set(a.map((e) => (e.loss as number).toFixed(4))).size).toBeGreaterThan(3);
  });

  test('end with the same weights (1e-5 relative per tensor), having trained', async () => {
    const a = await AlbertForSequenceClassification.fromPretrained(single());
    const b = await AlbertForSequenceClassification.fromPretrained(parallel());
    const halfway = await AlbertForSequenceClassification.fromPretrained(path.join(parallel(), 'checkpoint-6')); // after epoch 1
    const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    const names = a.parameters().map((p) => p.name);
    expect(b.parameters().map((p) => p.name)).toEqual(names);
    expect(names).toContain('classifier.weight');
    const largest = Math.max(...names.map((name) => norm(a.getParameter(name))));
    for (const name of names) {
      const x = a.getParameter(name);
      const y = b.getParameter(name);
      expect({ name, length: y.length }).toEqual({ name, length: x.length });
      const diff = norm(x.map((v, i) => v - y[i]));
      // The attention key bias gets an exactly-zero gradient in exact arithmetic (softmax is
      // shift-invariant), so it holds rounding noise: measured against the largest tensor.
      const scale = name.endsWith('attention.key.bias') ? largest : norm(x);
      expect({ name, relative: diff / scale < 1e-5 }).toEqual({ name, relative: true });
    }
    // The weights compared are still being trained at the end: the head moved in epoch 2.
    const head = a.getParameter('classifier.weight');
    const before = halfway.getParameter('classifier.weight');
    expect(norm(head.map((v, i) => v - before[i])) / norm(before)).toBeGreaterThan(1e-4);
    for (const m of [a, b, halfway]) m.dispose();
  });

  test('evaluate the whole evaluation set, sharded, with the same metrics', () => {
    const evalsA = history(single()).filter((e) => e.eval_loss !== undefined);
    const evalsB = history(parallel()).filter((e) => e.eval_loss !== undefined);
    expect(evalsA.map((e) => e.eval_samples)).toEqual([41, 41]); // one evaluation per epoch, each of the whole set
    expect(evalsB.map((e) => e.eval_samples)).toEqual([41, 41]);
    for (const [i, entry] of evalsA.entries()) {
      expect(evalsB[i].eval_accuracy).toBe(entry.eval_accuracy);
      expect(Math.abs((evalsB[i].eval_loss as number) - (entry.eval_loss as number)) / (entry.eval_loss as number)).toBeLessThan(1e-5);
    }
  });

  test('only rank 0 reports: one results line per event, none from rank 1', () => {
    expect(parallelRun.stdout).not.toContain('[rank 1]');
    const done = parallelRun.stdout.split('\n').filter((l) => l.startsWith('{"type":"done"'));
    expect(done).toHaveLength(1);
  });

  test('checkpoints carry every rank\'s RNG state, and resuming with another number of processes is refused by name', () => {
    const checkpoint = path.join(parallel(), 'checkpoint-6');
    expect(fs.existsSync(path.join(checkpoint, 'rng_state.json'))).toBe(true);
    expect(fs.existsSync(path.join(checkpoint, 'rng_state_1.json'))).toBe(true);
    const resume = cli(['train', '--model', modelDir, '--dataset', dataDir, '--output-dir', path.join(work, 'resumed'), ...COMMON,
      '--per-device-train-batch-size', '8', '--resume-from-checkpoint', checkpoint]);
    expect(resume.status).toBe(2);
    expect(resume.stderr).toContain('ERR_CHECKPOINT');
    expect(resume.stderr).toContain('the checkpoint was written by a run of 2 process(es), this run has 1');
  });
});
