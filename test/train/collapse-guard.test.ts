// The collapse guard: its decisions on numbers, then a run forced to collapse (an absurd
// learning rate on a tiny model), once without the guard (it collapses, like the reference
// run) and once with it (it rolls back, and ends at least where it was before the collapse).
// The forced run is one trajectory: a change to the arithmetic (dropout masks, packing) can
// move it. At 7e-3 it reaches 0.795 at step 75, then sits at 0.47/0.53 without the guard; at
// 5e-3 it now recovers by itself, at 8e-3 it never learns. The preconditions below say which.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CollapseGuard, MAX_RECOVERIES } from '../../ts/train/collapse-guard';
import { REPO_ROOT, SHARED_DATA } from '../helpers/paths';

describe('decisions', () => {
  const shares = [0.4835, 0.5165]; // SUBJ's test set: what the reference run collapsed to

  test('no roll-back before the run was ever clearly better than a constant predictor', () => {
    const guard = new CollapseGuard(shares);
    expect(guard.checkEvaluation(0.5165, [0, 1])).toBeUndefined();
    expect(guard.checkStepLoss(Number.NaN)).toBeUndefined();
  });

  test('the reference run: 93% then 48.35% (majority) or 51.65% (minority) is a collapse', () => {
    const guard = new CollapseGuard(shares);
    expect(guard.checkEvaluation(0.9305, [0.5, 0.5])).toBeUndefined();
    expect(guard.checkEvaluation(0.4835, [1, 0])).toBe('accuracy');
    expect(guard.checkEvaluation(0.5165, [0, 1])).toBe('accuracy');
  });

  test('nearly all predictions on one class, at an accuracy above the constant rates', () => {
    const guard = new CollapseGuard([0.2, 0.8]);
    expect(guard.checkEvaluation(0.9, [0.5, 0.5])).toBeUndefined();
    expect(guard.checkEvaluation(0.83, [0.01, 0.99])).toBe('one-class');
    expect(guard.checkEvaluation(0.83, [0.05, 0.95])).toBeUndefined();
  });

  test('non-finite loss and a loss far above its best, once healthy', () => {
    const guard = new CollapseGuard(shares);
    guard.checkEvaluation(0.9, [0.5, 0.5]);
    expect(guard.checkLoggedLoss(0.25)).toBeUndefined();
    expect(guard.checkLoggedLoss(0.45)).toBeUndefined(); // < 2x best
    expect(guard.checkLoggedLoss(0.7)).toBe('loss-spike');
    expect(guard.checkStepLoss(Number.POSITIVE_INFINITY)).toBe('non-finite-loss');
    expect(guard.checkStepLoss(0.3)).toBeUndefined();
  });

  test(`at most ${MAX_RECOVERIES} roll-backs`, () => {
    const guard = new CollapseGuard(shares);
    guard.checkEvaluation(0.9, [0.5, 0.5]);
    for (let i = 0; i < MAX_RECOVERIES; i++) {
      expect(guard.checkEvaluation(0.4835, [1, 0])).toBe('accuracy');
      guard.recoveries += 1;
    }
    expect(guard.checkEvaluation(0.4835, [1, 0])).toBeUndefined();
  });
});

describe('a run forced to collapse', () => {
  let work: string;
  const run = (guard: 'on' | 'off') => {
    const out = path.join(work, `out-${guard}`);
    const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'cli.js'), 'train', '--model', path.join(work, 'tiny'),
      '--init', 'random', '--dataset', path.join(work, 'data'), '--output-dir', out, '--max-steps', '250', '--eval-strategy', 'steps',
      '--eval-steps', '25', '--learning-rate', '7e-3', '--warmup-ratio', '0.3', '--amp', 'off', '--threads', '2',
      '--collapse-guard', guard, '--no-load-best-model-at-end'], { encoding: 'utf8' });
    expect(result.stderr).not.toMatch(/ERR_/);
    expect(result.status).toBe(0);
    const state = JSON.parse(fs.readFileSync(path.join(out, 'trainer_state.json'), 'utf8'));
    const evals = state.log_history.filter((e: { eval_accuracy?: number }) => e.eval_accuracy !== undefined) as Array<{ step: number; eval_accuracy: number }>;
    const guards = state.log_history.filter((e: { reason?: string }) => e.reason !== undefined) as Array<{ step: number; restored_accuracy: number }>;
    const final = JSON.parse(fs.readFileSync(path.join(out, 'eval_results.json'), 'utf8')).eval_accuracy as number;
    return { stderr: result.stderr, evals, guards, final, card: fs.readFileSync(path.join(out, 'README.md'), 'utf8') };
  };

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'albert-guard-'));
    fs.mkdirSync(path.join(work, 'tiny'));
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'spiece.model']) {
      fs.copyFileSync(path.join(SHARED_DATA, 'albert-v2-tokenizer', f), path.join(work, 'tiny', f));
    }
    fs.writeFileSync(path.join(work, 'tiny', 'config.json'), JSON.stringify({ model_type: 'albert', vocab_size: 30000, embedding_size: 32,
      hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 128, hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 }));
    fs.mkdirSync(path.join(work, 'data'));
    const head = (file: string, n: number) => `${fs.readFileSync(path.join(SHARED_DATA, 'subj', file), 'utf8').split('\n').slice(0, n).join('\n')}\n`;
    fs.writeFileSync(path.join(work, 'data', 'train.jsonl'), head('train.jsonl', 2000));
    fs.writeFileSync(path.join(work, 'data', 'validation.jsonl'), head('test.jsonl', 400)); // the evaluation set the guard watches
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test('without the guard it learns, then collapses to a constant predictor and stays there', () => {
    const { evals, guards, final, card } = run('off');
    const majority = 0.53; // the first 400 rows of SUBJ's test set: 212 of class 1
    const healthy = evals.findIndex((e) => e.eval_accuracy >= majority + 0.05);
    expect(healthy).toBeGreaterThanOrEqual(0); // precondition: it learned something first
    expect(evals.slice(healthy + 1).some((e) => e.eval_accuracy <= majority + 0.01)).toBe(true); // ...then collapsed
    expect(guards).toEqual([]);
    expect(final).toBeLessThanOrEqual(majority + 0.01);
    expect(card).toContain('Off for this run (`--collapse-guard off`).');
  });

  test('with the guard it rolls back, halves the LR, and ends at least where it was before the collapse', () => {
    const { evals, guards, final, stderr, card } = run('on');
    expect(guards.length).toBeGreaterThanOrEqual(1);
    const before = Math.max(...evals.filter((e) => e.step < guards[0].step).map((e) => e.eval_accuracy));
    expect(guards[0].restored_accuracy).toBe(before);
    expect(final).toBeGreaterThanOrEqual(before);
    expect(stderr).toContain(`collapse guard at step ${guards[0].step} (accuracy): restored the weights and optimizer state`);
    expect(card).toContain(`- Step ${guards[0].step} (epoch`);
  });
});
