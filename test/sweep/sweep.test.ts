// `albert-train sweep` end to end on a tiny model: a 2 x 2 grid (learning rate x seed) whose runs
// are each the lone `train` run with the same flags, step for step; the summary recomputed with
// pandas from the run folders; a sweep killed with SIGKILL and started again finishes with the same
// summary; bad grids fail at once with one clear error and leave nothing behind.
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { makeCliFixture } from '../helpers/cli-fixture';
import { REPO_ROOT, SHARED_DATA } from '../helpers/paths';
import { runReference } from '../helpers/python';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const RUNS = ['lr-0.001_seed-1', 'lr-0.001_seed-2', 'lr-0.003_seed-1', 'lr-0.003_seed-2'];
let work: string;
let modelDir: string;
let dataDir: string;

const env = { ...process.env, ALBERT_TRAINER_DATA: SHARED_DATA };
const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env });
// Flags every run shares (--threads: the lone runs use what the sweep gives each run).
const common = () => ['--model', modelDir, '--init', 'random', '--dataset', dataDir, '--num-train-epochs', '3', '--logging-steps', '1',
  '--amp', 'off', '--max-seq-length', '64', '--threads', '1'];
const sweepArgs = (out: string, parallel: number) => ['sweep', ...common(), '--learning-rate', '1e-3,3e-3', '--seed', '1,2', '--output-dir', out, '--parallel', String(parallel)];
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
const stepLosses = (dir: string) => (readJson(path.join(dir, 'trainer_state.json')).log_history as Array<{ step: number; loss?: number }>)
  .filter((e) => e.loss !== undefined).map((e) => [e.step, e.loss]);
/** sweep.json without what depends on the invocation (its wall time and --parallel). */
const summaryOf = (dir: string) => {
  const { wall_seconds_this_invocation: _wall, parallel: _parallel, ...rest } = readJson(path.join(dir, 'sweep.json'));
  return rest;
};

beforeAll(() => {
  ({ work, modelDir, dataDir } = makeCliFixture('albert-sweep-', { train: 320, test: 96 }));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('a 2 x 2 sweep', () => {
  const out = () => path.join(work, 'sweep');
  let run: ReturnType<typeof cli>;
  beforeAll(() => {
    run = cli(sweepArgs(out(), 2));
  }, 600_000);

  test('runs every point of the grid into its own folder, two at a time, and writes the summary', () => {
    expect(run.stderr).not.toMatch(/ERR_/);
    expect(run.status).toBe(0);
    expect(fs.readdirSync(out()).sort()).toEqual(['logs', ...RUNS, 'sweep-plan.json', 'sweep.json', 'sweep.md', 'sweep.svg'].sort());
    for (const name of RUNS) expect(fs.readdirSync(path.join(out(), name))).toEqual(expect.arrayContaining(['model.safetensors', 'eval_results.json', 'training_curves.svg']));
    expect(run.stdout).toContain('4 of 4 runs finished');
  });

  test('each run is the lone `train` run with the same flags, loss for loss at every step', () => {
    for (const name of RUNS) {
      const [, lr, seed] = /^lr-([\d.]+)_seed-(\d+)$/.exec(name) as RegExpExecArray;
      const lone = path.join(work, `lone-${name}`);
      const alone = cli(['train', ...common(), '--learning-rate', lr, '--seed', seed, '--output-dir', lone]);
      expect(alone.status).toBe(0);
      const losses = stepLosses(lone);
      expect(losses).toHaveLength(60); // 320 examples / 16 x 3 epochs, logged every step
      expect([name, stepLosses(path.join(out(), name))]).toEqual([name, losses]);
      expect(readJson(path.join(out(), name, 'eval_results.json'))).toEqual(readJson(path.join(lone, 'eval_results.json')));
    }
  }, 600_000);

  test('its statistics are pandas\' over the runs\' eval_results.json and trainer_state.json', () => {
    const summary = readJson(path.join(out(), 'sweep.json'));
    const reference = runReference<Record<string, Record<string, unknown>>>('sweep_stats.py', [out(), ...RUNS]);
    expect(Object.keys(reference).sort()).toEqual(['lr-0.001', 'lr-0.003']);
    for (const config of summary.configs) {
      const expected = reference[config.config] as Record<string, Record<string, number> | number>;
      expect([config.config, config.runs, config.collapsed_runs, config.guard_firings]).toEqual([config.config, expected.runs, expected.collapsed_runs, expected.guard_firings]);
      for (const key of ['final_accuracy', 'best_accuracy']) {
        for (const stat of ['mean', 'std', 'min', 'max']) expect(config[key][stat]).toBeCloseTo((expected[key] as Record<string, number>)[stat], 12);
      }
    }
    // Ranked by mean final accuracy; the verdict names the first with its spread and collapses.
    expect(summary.configs.map((c: { rank: number }) => c.rank)).toEqual([1, 2]);
    expect(summary.configs[0].final_accuracy.mean).toBeGreaterThanOrEqual(summary.configs[1].final_accuracy.mean);
    const best = summary.configs[0];
    expect(summary.best).toBe(best.config);
    expect(summary.verdict).toContain(`Best: --learning-rate ${best.values['learning-rate']}: final accuracy ${(best.final_accuracy.mean * 100).toFixed(2)}% ± ${(best.final_accuracy.std * 100).toFixed(2)}%`);
    expect(summary.verdict).toContain(`${best.collapsed_runs} collapsed`);
    const markdown = fs.readFileSync(path.join(out(), 'sweep.md'), 'utf8');
    expect(markdown).toContain(summary.verdict);
    expect(markdown.match(/^\| [12] \| --learning-rate/gm)).toHaveLength(2);
  });

  test('sweep.svg parses as XML and plots each run\'s final and best accuracy over its configuration', () => {
    const svg = runReference<{ panels: Array<{ x_domain: number[]; y_domain: number[]; plot: number[]; dots: Array<{ name: string; x: number; y: number }> }> }>('svg_read.py', [path.join(out(), 'sweep.svg')]);
    const [panel] = svg.panels;
    const summary = readJson(path.join(out(), 'sweep.json'));
    const unplot = (x: number, y: number) => [panel.x_domain[0] + ((x - panel.plot[0]) / panel.plot[2]) * (panel.x_domain[1] - panel.x_domain[0]),
      panel.y_domain[0] + ((panel.plot[1] + panel.plot[3] - y) / panel.plot[3]) * (panel.y_domain[1] - panel.y_domain[0])];
    const configIndex = new Map(summary.configs.map((c: { config: string }, i: number) => [c.config, i]));
    for (const key of ['final_accuracy', 'best_accuracy']) {
      const dots = panel.dots.filter((d) => d.name === key).map((d) => unplot(d.x, d.y));
      const expected = summary.runs.map((r: Record<string, number | string>) => [configIndex.get(r.config), r[key]]);
      expect(dots).toHaveLength(4);
      dots.forEach(([x, y], i) => {
        expect(Math.abs(x - expected[i][0])).toBeLessThan(1e-3);
        expect(Math.abs(y - expected[i][1])).toBeLessThan(1e-4);
      });
    }
  });

  test('killed with SIGKILL in the middle and started again, it skips what finished, resumes the rest and ends with the same summary', async () => {
    const killed = path.join(work, 'killed');
    const child = spawn(process.execPath, [CLI, ...sweepArgs(killed, 1)], { env, stdio: 'ignore' });
    // Kill once the first run has finished and the second has a checkpoint (its first epoch).
    const second = path.join(killed, RUNS[1]);
    for (let i = 0; i < 6000; i++) {
      if (fs.existsSync(second) && fs.readdirSync(second).some((n) => /^checkpoint-\d+$/.test(n))) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    expect(fs.existsSync(path.join(killed, 'sweep.json'))).toBe(false);
    expect(fs.existsSync(path.join(killed, RUNS[0], 'eval_results.json'))).toBe(true);
    const again = cli(sweepArgs(killed, 2));
    expect(again.status).toBe(0);
    expect(again.stderr).toContain(`[1/4] ${RUNS[0]}: finished earlier, skipped`);
    // The second run had a checkpoint; unless it finished in the moment before the kill, it resumes.
    expect(again.stderr).toMatch(new RegExp(`\\[2/4\\] ${RUNS[1]}: (resuming from its last checkpoint|finished earlier, skipped)`));
    expect(summaryOf(killed)).toEqual(summaryOf(out()));
    for (const name of RUNS) expect([name, stepLosses(path.join(killed, name))]).toEqual([name, stepLosses(path.join(out(), name))]);
  }, 600_000);
});

describe('bad grids', () => {
  test.each([
    [['--seed', ''], '--seed: the list is empty'],
    [['--seed', '1,,2'], '--seed "1,,2": item 2 is empty'],
    [['--learning-rate', '1e-3,abc'], '--learning-rate "1e-3,abc": "abc" is not a number'],
    [['--seed', '1.5,2'], '--seed "1.5,2": Expected non-negative integer but received 1.5'],
    [['--per-device-train-batch-size', '8,8'], '--per-device-train-batch-size "8,8": 8 is listed twice'],
    [['--warmup-ratio', '0.1,0.2'], '--warmup-ratio 0.1,0.2: --warmup-ratio cannot be swept; a sweep varies --learning-rate, --per-device-train-batch-size, --num-train-epochs, --seed'],
    [['--resume-from-checkpoint', 'last'], '--resume-from-checkpoint: a sweep resumes its runs itself'],
    [['--report-to', 'tensorboard', '--logging-dir', 'tb'], '--logging-dir: every run of a sweep writes its TensorBoard events into its own folder'],
    [['--parallel', '0'], 'Expected positive integer for --parallel but received 0'],
    [['--eval-strategy', 'no'], '--eval-strategy no: a sweep compares the runs\' accuracies'],
  ])('%j: one clear error, exit 2, no sweep folder', (extra, message) => {
    const out = path.join(work, 'bad');
    const run = cli(['sweep', ...common(), '--output-dir', out, ...extra]);
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^albert-train: ERR_ARGUMENT: /);
    expect(run.stderr).toContain(message);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('a folder that holds another sweep is refused, naming its file', () => {
    const out = path.join(work, 'other');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'sweep-plan.json'), JSON.stringify({ format: 1, pass_through: [], runs: ['seed-7'], threads_per_run: 1 }));
    const run = cli(['sweep', ...common(), '--seed', '1,2', '--output-dir', out]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`${path.join(out, 'sweep-plan.json')}: this folder holds a sweep with other flags or another grid`);
    expect(fs.readdirSync(out)).toEqual(['sweep-plan.json']);
  });
});
