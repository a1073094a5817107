// What `albert-train train` reports beside its table: TensorBoard event files (--report-to
// tensorboard) read back by the real tensorboard package and compared with HF's Trainer with
// report_to="tensorboard" on the same tiny run; a resumed run's events; the plain progress lines
// of a stderr that is not a terminal; training_curves.svg, parsed as XML and read back to numbers.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { decodeEvent, encodeEvent, frameRecord, readEvents, readRecords } from '../../ts/report/event-file';
import { trainingCurvesSvg } from '../../ts/report/training-curves';
import type { LogEntry } from '../../ts/train/train-types';
import { makeCliFixture } from '../helpers/cli-fixture';
import { REPO_ROOT, SHARED_DATA } from '../helpers/paths';
import { runReference } from '../helpers/python';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
type Board = { scalars: Record<string, Array<[number, number]>>; texts: Record<string, Array<[number, string]>> };
type LogRow = Record<string, number>;

let work: string;
let hfModel: string;
let dataDir: string;

function cli(args: string[]) {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ALBERT_TRAINER_DATA: SHARED_DATA } });
  expect(run.stderr).not.toMatch(/ERR_/);
  expect(run.status).toBe(0);
  return run;
}

// The run both trainers make: fp32, examples in file order, dropout off (in the checkpoint's config).
const RUN = ['--dataset', '', '--num-train-epochs', '2', '--learning-rate', '1e-3', '--logging-steps', '2', '--amp', 'off', '--threads', '1', '--no-shuffle'];
const runArgs = (out: string, extra: string[] = []) => ['train', '--model', hfModel, ...RUN.map((a) => a || dataDir), '--output-dir', out, ...extra];

beforeAll(() => {
  ({ work, dataDir } = makeCliFixture('albert-reports-', { train: 160, test: 48 }));
  hfModel = path.join(work, 'hf-tiny');
  runReference('make_tiny_checkpoint.py', [], { dir: hfModel, tokenizer_dir: path.join(SHARED_DATA, 'albert-v2-tokenizer'), seed: 0,
    config: { hidden_dropout_prob: 0, attention_probs_dropout_prob: 0, classifier_dropout_prob: 0 } });
}, 300_000);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('a run with --report-to tensorboard', () => {
  const out = () => path.join(work, 'ours');
  const logDir = () => fs.readdirSync(path.join(out(), 'runs')).map((name) => path.join(out(), 'runs', name))[0];
  let stderr: string;
  let ours: Board;
  let hf: Board;
  let hfLog: LogRow[];

  beforeAll(() => {
    stderr = cli(runArgs(out(), ['--report-to', 'tensorboard'])).stderr;
    ours = runReference<Board>('tensorboard_read.py', [logDir()]);
    const hfLogs = path.join(work, 'hf-runs');
    hfLog = runReference<{ log_history: LogRow[] }>('hf_trainer_tensorboard.py', [], {
      model_dir: hfModel, train_file: path.join(dataDir, 'train.jsonl'), eval_file: path.join(dataDir, 'validation.jsonl'), output_dir: path.join(work, 'hf-out'),
      logging_dir: hfLogs, learning_rate: 1e-3, batch_size: 16, eval_batch_size: 16, epochs: 2, logging_steps: 2, max_seq_length: 128, seed: 42,
    }).log_history;
    hf = runReference<Board>('tensorboard_read.py', [hfLogs]);
  }, 600_000);

  test('writes into HF\'s default folder, <output-dir>/runs/<Mon DD_HH-MM-SS>_<host>, beside the output files', () => {
    expect(path.basename(logDir())).toMatch(/^[A-Z][a-z]{2}\d{2}_\d{2}-\d{2}-\d{2}_.+$/);
    expect(fs.readdirSync(out())).toEqual(expect.arrayContaining(['runs', 'model.safetensors', 'trainer_state.json', 'training_curves.svg']));
    expect(JSON.parse(fs.readFileSync(path.join(out(), 'training_args.json'), 'utf8')).report_to).toEqual(['tensorboard']);
  });

  test('has HF\'s tags at HF\'s steps, and HF\'s values where both runs compute the same thing', () => {
    expect(Object.keys(ours.scalars).sort()).toEqual(Object.keys(hf.scalars).sort());
    expect(Object.keys(ours.scalars)).toEqual(expect.arrayContaining(['train/loss', 'train/learning_rate', 'train/grad_norm', 'train/epoch', 'eval/loss', 'eval/accuracy', 'eval/macro_f1']));
    for (const tag of Object.keys(hf.scalars)) expect([tag, ours.scalars[tag].map(([step]) => step)]).toEqual([tag, hf.scalars[tag].map(([step]) => step)]);
    // Same weights, batches and fp32 arithmetic: float32 rounding apart (eval batches are padded
    // differently: ours sorted by length). Seconds, rates and FLOPs are measured, not compared.
    const tolerance: Record<string, number> = { 'train/loss': 1e-5, 'train/grad_norm': 1e-4, 'train/learning_rate': 1e-9, 'train/epoch': 0, 'eval/loss': 1e-5,
      'eval/accuracy': 0, 'eval/macro_f1': 0, 'train/train_loss': 1e-5 };
    for (const [tag, bound] of Object.entries(tolerance)) {
      ours.scalars[tag].forEach(([, value], i) => expect([tag, i, Math.abs(value - hf.scalars[tag][i][1]) <= bound]).toEqual([tag, i, true]));
    }
    expect(hfLog.filter((row) => row.loss !== undefined).length).toBe(10);
  });

  test('holds exactly the values of trainer_state.json\'s log history, as float32', () => {
    const history = JSON.parse(fs.readFileSync(path.join(out(), 'trainer_state.json'), 'utf8')).log_history as LogRow[];
    const expected = (key: string) => history.filter((row) => row[key] !== undefined).map((row) => [row.step, Math.fround(row[key])]);
    expect(ours.scalars['train/loss']).toEqual(expected('loss'));
    expect(ours.scalars['train/grad_norm']).toEqual(expected('grad_norm'));
    expect(ours.scalars['train/learning_rate']).toEqual(expected('learning_rate'));
    expect(ours.scalars['eval/accuracy']).toEqual(expected('eval_accuracy'));
    expect(ours.scalars['eval/loss']).toEqual(expected('eval_loss'));
    expect(ours.scalars['eval/macro_f1']).toEqual(expected('eval_macro_f1'));
    // The summary's mean loss of the run (eval entries carry a train_loss of their own, which HF does not log).
    expect(ours.scalars['train/train_loss']).toEqual(history.filter((row) => row.train_runtime !== undefined).map((row) => [row.step, Math.fround(row.train_loss)]));
    // train/epoch: every log and every evaluation, as HF's log dicts both carry "epoch".
    expect(ours.scalars['train/epoch']).toEqual(history.filter((row) => row.loss !== undefined || row.eval_loss !== undefined || row.train_runtime !== undefined)
      .map((row) => [row.step, Math.fround(row.epoch)]));
  });

  test('holds the training arguments and the model config as texts at step 0, as HF\'s callback writes them', () => {
    expect(Object.keys(ours.texts).sort()).toEqual(Object.keys(hf.texts).sort());
    expect(ours.texts.args).toHaveLength(1);
    expect(ours.texts.args[0][0]).toBe(0);
    expect(JSON.parse(ours.texts.args[0][1])).toEqual(JSON.parse(fs.readFileSync(path.join(out(), 'training_args.json'), 'utf8')));
    expect(JSON.parse(ours.texts.model_config[0][1]).hidden_size).toBe(32);
  });

  test('prints a plain line per logging step (rate-limited) and per evaluation when stderr is not a terminal', () => {
    expect(stderr).not.toContain('\r');
    expect(stderr).toMatch(/^albert-train: step 2\/20 epoch 0\.20: loss \d\.\d{4} grad_norm \d\.\d{4} learning_rate [\d.]+e-\d+, ETA \d+ s$/m);
    expect(stderr).toMatch(/^albert-train: step 20\/20 epoch 2\.00: loss /m); // the last step's always shows
    expect(stderr.match(/^albert-train: evaluation at step (10|20) epoch [12]\.00: eval_loss \d\.\d{4} eval_accuracy \d\.\d{4} eval_macro_f1 \d\.\d{4}/gm)).toHaveLength(2);
  });

  test('a resumed run continues the newest runs/ folder and drops what the interrupted run logged after its checkpoint', () => {
    // As a run killed after step 20's logs but before its output folder: checkpoint-10 and all the events.
    const resumed = path.join(work, 'resumed');
    fs.mkdirSync(resumed);
    fs.cpSync(path.join(out(), 'checkpoint-10'), path.join(resumed, 'checkpoint-10'), { recursive: true });
    fs.cpSync(path.join(out(), 'runs'), path.join(resumed, 'runs'), { recursive: true });
    // ... killed in the middle of writing a record: half of one more event ends the file.
    const copied = path.join(resumed, 'runs', path.basename(logDir()));
    const eventFile = path.join(copied, fs.readdirSync(copied)[0]);
    fs.appendFileSync(eventFile, frameRecord(encodeEvent({ wallTime: 1, step: 21, scalars: [{ tag: 'train/loss', value: 9 }] })).subarray(0, 20));
    cli(runArgs(resumed, ['--report-to', 'tensorboard', '--resume-from-checkpoint', 'last']));
    const folders = fs.readdirSync(path.join(resumed, 'runs'));
    expect(folders).toEqual([path.basename(logDir())]);
    const events = (dir: string) => readEvents(dir).flatMap((e) => [...(e.scalars ?? []).map((s) => [s.tag, e.step, s.value]), ...(e.texts ?? []).map((t) => [t.tag, e.step])]);
    const again = path.join(resumed, 'runs', folders[0]);
    expect(fs.readdirSync(again).filter((n) => n.startsWith('events.out.tfevents.'))).toHaveLength(2);
    // The same (tag, step) events in the same order as the uninterrupted run; runtimes differ.
    const steps = (list: unknown[][]) => list.map(([tag, step, value]) => (String(tag).match(/runtime|per_second/) ? [tag, step] : [tag, step, value]));
    expect(steps(events(again))).toEqual(steps(events(logDir())));
    expect(runReference<Board>('tensorboard_read.py', [again]).scalars['train/loss']).toEqual(ours.scalars['train/loss']);
    // The old file was rewritten to its events up to step 10, whole records only.
    const kept = fs.readFileSync(eventFile);
    expect(readRecords(kept).validLength).toBe(kept.length);
    expect(Math.max(...readRecords(kept).records.map((r) => decodeEvent(r).step))).toBe(10);
  }, 300_000);
});

test('data-parallel: rank 0 alone writes the events, each step once', () => {
  const out = path.join(work, 'data-parallel');
  cli(runArgs(out, ['--report-to', 'tensorboard', '--nproc-per-node', '2']));
  const folders = fs.readdirSync(path.join(out, 'runs'));
  expect(folders).toHaveLength(1);
  const logDir = path.join(out, 'runs', folders[0]);
  expect(fs.readdirSync(logDir).filter((n) => n.startsWith('events.out.tfevents.'))).toHaveLength(1);
  const board = runReference<Board>('tensorboard_read.py', [logDir]);
  const history = JSON.parse(fs.readFileSync(path.join(out, 'trainer_state.json'), 'utf8')).log_history as LogRow[];
  expect(board.scalars['train/loss']).toEqual(history.filter((row) => row.loss !== undefined).map((row) => [row.step, Math.fround(row.loss)]));
  expect(board.scalars['eval/accuracy'].map(([step]) => step)).toEqual([5, 10]); // 160 examples / (2 x 16) per step
  expect(board.texts.args).toHaveLength(1);
}, 300_000);

describe('training_curves.svg', () => {
  type Panel = { id: string; x_domain: [number, number]; y_domain: [number, number]; plot: [number, number, number, number];
    polylines: Array<{ name: string; points: Array<[number, number]> }>; best: Array<{ step: number; x: number; y: number }>; marks: Array<{ class: string; step: number; x: number }> };
  const out = () => path.join(work, 'ours');
  // A plotted point back to (step, value) through the panel's own scale.
  const unplot = (panel: Panel, [x, y]: [number, number]) => {
    const [left, top, width, height] = panel.plot;
    return [panel.x_domain[0] + ((x - left) / width) * (panel.x_domain[1] - panel.x_domain[0]), panel.y_domain[0] + ((top + height - y) / height) * (panel.y_domain[1] - panel.y_domain[0])];
  };

  test('parses as XML and plots the logged loss, learning rate and accuracy, the best evaluation ringed', () => {
    const svg = runReference<{ panels: Panel[] }>('svg_read.py', [path.join(out(), 'training_curves.svg')]);
    const history = JSON.parse(fs.readFileSync(path.join(out(), 'trainer_state.json'), 'utf8')).log_history as LogRow[];
    const byId = Object.fromEntries(svg.panels.map((p) => [p.id, p]));
    expect(Object.keys(byId)).toEqual(['loss', 'learning_rate', 'accuracy']);
    for (const [id, key] of [['loss', 'loss'], ['learning_rate', 'learning_rate'], ['accuracy', 'eval_accuracy']]) {
      const panel = byId[id];
      const logged = history.filter((row) => row[key] !== undefined && (key !== 'loss' || row.learning_rate !== undefined));
      const points = panel.polylines[0].points.map((p) => unplot(panel, p));
      expect(points).toHaveLength(logged.length);
      // Coordinates carry 3 decimals: a value comes back to within 0.001 px of the plot's height.
      const bound = (panel.y_domain[1] - panel.y_domain[0]) * (0.0006 / panel.plot[3]) + 1e-12;
      points.forEach(([step, value], i) => {
        expect(Math.abs(step - logged[i].step)).toBeLessThan(1e-6 * panel.x_domain[1] + 1e-3);
        expect([id, i, Math.abs(value - logged[i][key]) <= bound]).toEqual([id, i, true]);
      });
    }
    const best = history.filter((row) => row.eval_accuracy !== undefined).reduce((a, b) => (b.eval_accuracy > a.eval_accuracy ? b : a));
    expect(byId.accuracy.best.map((b) => b.step)).toEqual([best.step]);
    expect(fs.readFileSync(path.join(out(), 'README.md'), 'utf8')).toContain('](training_curves.svg)');
  });

  test('marks each collapse-guard roll-back across the panels, and the best evaluation', () => {
    const evaluation = (step: number, accuracy: number) => ({ step, epoch: step / 10, eval_loss: 0.5, eval_accuracy: accuracy, eval_macro_f1: accuracy, eval_samples: 10,
      train_loss: 0.6, eval_runtime: 1, eval_samples_per_second: 10, eval_steps_per_second: 1 });
    const history: LogEntry[] = [
      { step: 5, epoch: 0.5, loss: 0.7, learning_rate: 1e-4, grad_norm: 1 }, { step: 10, epoch: 1, loss: 0.6, learning_rate: 2e-4, grad_norm: 1 }, evaluation(10, 0.8),
      { step: 15, epoch: 1.5, loss: 0.9, learning_rate: 1e-4, grad_norm: 1 }, { step: 20, epoch: 2, loss: 0.8, learning_rate: 5e-5, grad_norm: 1 }, evaluation(20, 0.5),
      { step: 20, epoch: 2, reason: 'accuracy', restored_step: 10, restored_accuracy: 0.8, lr_factor: 0.5 },
    ];
    const file = path.join(work, 'synthetic.svg');
    fs.writeFileSync(file, trainingCurvesSvg({ logHistory: history, totalSteps: 30, bestStep: 10, title: 'a <run> & more' }));
    const svg = runReference<{ panels: Panel[] }>('svg_read.py', [file]);
    expect(svg.panels.map((p) => p.marks)).toEqual([0, 1, 2].map(() => [{ class: 'guard', step: 20, x: expect.any(Number) }]));
    for (const panel of svg.panels) expect(unplot(panel, [panel.marks[0].x, 0])[0]).toBeCloseTo(20, 3);
    const accuracy = svg.panels[2];
    expect(accuracy.best).toHaveLength(1);
    expect(unplot(accuracy, [accuracy.best[0].x, accuracy.best[0].y])[0]).toBeCloseTo(10, 3);
    expect(unplot(accuracy, [accuracy.best[0].x, accuracy.best[0].y])[1]).toBeCloseTo(0.8, 5);
    expect(svg.panels[0].polylines[0].points.map((p) => unplot(svg.panels[0], p)[1])).toEqual([0.7, 0.6, 0.9, 0.8].map((v) => expect.closeTo(v, 5)));
  });
});
