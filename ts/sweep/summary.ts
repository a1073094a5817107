// The summary of a sweep, from its finished runs' folders: per configuration (a run without its
// seed), the mean, standard deviation (n - 1, as pandas' std), min and max of
//   final accuracy  eval_results.json's eval_accuracy: the model the run saved (with
//                   load_best_model_at_end, its best evaluation's weights), as `train` reports it;
//   best accuracy   the highest eval_accuracy of trainer_state.json's log history;
// how many runs collapsed (their last evaluation at or below the majority class's share of the
// evaluation set, from eval_results.json's confusion matrix, plus one point) and how many times the
// collapse guard fired. Configurations rank by mean final accuracy, then the smaller spread.
// Written as sweep.json, sweep.md and sweep.svg, each to a temporary name renamed into place.
import * as fs from 'fs';
import * as path from 'path';
import { AlbertTrainerError } from '../errors';
import { escapeXml, svgPanel } from '../report/svg-panel';
import { RUN_FILES } from '../train/output-files';
import type { SweepRun } from './grid';

export interface RunSummary {
  name: string;
  config: string;
  values: SweepRun['values'];
  final_accuracy: number;
  best_accuracy: number;
  last_accuracy: number;
  majority_share: number;
  collapsed: boolean;
  guard_firings: number;
  global_step: number;
}

export interface Stats { mean: number; std: number; min: number; max: number }

export interface ConfigSummary {
  config: string;
  values: SweepRun['values'];
  runs: number;
  final_accuracy: Stats;
  best_accuracy: Stats;
  collapsed_runs: number;
  guard_firings: number;
  rank: number;
}

export interface SweepSummary {
  runs: RunSummary[];
  configs: ConfigSummary[];
  best: string | null;
  verdict: string;
}

/** A collapse: ending within one point of what always answering the majority class scores. */
export const COLLAPSE_MARGIN = 0.01;

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new AlbertTrainerError('ERR_IO', `${file}: cannot read this run's result (${(error as Error).message})`);
  }
}

export function summarizeRun(runDir: string, run: SweepRun): RunSummary {
  const results = readJson(path.join(runDir, RUN_FILES.evalResults));
  const state = readJson(path.join(runDir, RUN_FILES.trainerState));
  const history = (state.log_history ?? []) as Array<Record<string, number>>;
  const evaluations = history.filter((entry) => typeof entry.eval_accuracy === 'number').map((entry) => entry.eval_accuracy);
  const confusion = results.eval_confusion_matrix as number[][] | undefined;
  if (typeof results.eval_accuracy !== 'number' || !confusion || evaluations.length === 0) {
    throw new AlbertTrainerError('ERR_ARGUMENT', `${runDir}: the run has no evaluation; a sweep compares accuracies, so its runs need --eval-strategy epoch or steps`);
  }
  const classCounts = confusion.map((row) => row.reduce((a, b) => a + b, 0)); // rows: the true labels
  const majorityShare = Math.max(...classCounts) / classCounts.reduce((a, b) => a + b, 0);
  const last = evaluations[evaluations.length - 1];
  return {
    name: run.name, config: run.config, values: run.values, final_accuracy: results.eval_accuracy, best_accuracy: Math.max(...evaluations),
    last_accuracy: last, majority_share: majorityShare, collapsed: last <= majorityShare + COLLAPSE_MARGIN,
    guard_firings: history.filter((entry) => typeof entry.restored_step === 'number').length, global_step: Number(state.global_step),
  };
}

export function stats(values: readonly number[]): Stats {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length > 1 ? values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, std: Math.sqrt(variance), min: Math.min(...values), max: Math.max(...values) };
}

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
const describeValues = (values: SweepRun['values']) => Object.entries(values).filter(([flag]) => flag !== 'seed').map(([flag, v]) => `--${flag} ${v}`).join(' ') || 'the one configuration';

export function summarize(runs: RunSummary[]): SweepSummary {
  const names = [...new Set(runs.map((r) => r.config))];
  const configs = names.map((config) => {
    const mine = runs.filter((r) => r.config === config);
    const { seed: _seed, ...values } = mine[0].values;
    return {
      config, values, runs: mine.length, final_accuracy: stats(mine.map((r) => r.final_accuracy)), best_accuracy: stats(mine.map((r) => r.best_accuracy)),
      collapsed_runs: mine.filter((r) => r.collapsed).length, guard_firings: mine.reduce((sum, r) => sum + r.guard_firings, 0), rank: 0,
    };
  });
  configs.sort((a, b) => b.final_accuracy.mean - a.final_accuracy.mean || a.final_accuracy.std - b.final_accuracy.std || names.indexOf(a.config) - names.indexOf(b.config));
  configs.forEach((c, i) => { c.rank = i + 1; });
  const best = configs[0];
  const verdict = best
    ? `Best: ${describeValues(best.values)}: final accuracy ${pct(best.final_accuracy.mean)} ± ${pct(best.final_accuracy.std)} ` +
      `(min ${pct(best.final_accuracy.min)}, max ${pct(best.final_accuracy.max)}) over ${best.runs} run${best.runs === 1 ? '' : 's'}; ` +
      `${best.collapsed_runs} collapsed; the collapse guard fired ${best.guard_firings} time${best.guard_firings === 1 ? '' : 's'}.` +
      (best.runs === 1 ? ' One seed says nothing of its stability.' : '')
    : 'No run finished.';
  return { runs, configs, best: best?.config ?? null, verdict };
}

export function sweepMarkdown(summary: SweepSummary): string {
  const lines = [
    '# Sweep', '', summary.verdict, '',
    '| Rank | Configuration | Runs | Final accuracy (mean ± std) | Final min | Final max | Best accuracy (mean ± std) | Best min | Best max | Collapsed | Guard fired |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...summary.configs.map((c) => `| ${c.rank} | ${describeValues(c.values)} | ${c.runs} | ${pct(c.final_accuracy.mean)} ± ${pct(c.final_accuracy.std)} | ${pct(c.final_accuracy.min)} | ` +
      `${pct(c.final_accuracy.max)} | ${pct(c.best_accuracy.mean)} ± ${pct(c.best_accuracy.std)} | ${pct(c.best_accuracy.min)} | ${pct(c.best_accuracy.max)} | ${c.collapsed_runs} | ${c.guard_firings} |`),
    '', '## Runs', '',
    '| Run | Final accuracy | Best accuracy | Last evaluation | Majority share | Collapsed | Guard fired | Steps |',
    '|---|---|---|---|---|---|---|---|',
    ...summary.runs.map((r) => `| ${r.name} | ${pct(r.final_accuracy)} | ${pct(r.best_accuracy)} | ${pct(r.last_accuracy)} | ${pct(r.majority_share)} | ${r.collapsed ? 'yes' : 'no'} | ${r.guard_firings} | ${r.global_step} |`),
    '', 'Final: the saved model\'s evaluation (eval_results.json). Best: the best evaluation of the run. Collapsed: the last evaluation at or below the majority class\'s share plus one point.',
    '', '![Final and best accuracy of each run, by configuration](sweep.svg)', '',
  ];
  return lines.join('\n');
}

/** Each configuration (ranked, left to right) with its runs' final and best accuracies as dots. */
export function sweepSvg(summary: SweepSummary): string {
  const width = Math.max(480, 120 + summary.configs.length * 110);
  const height = 320;
  const at = new Map(summary.configs.map((c, i) => [c.config, i]));
  const points = (key: 'final_accuracy' | 'best_accuracy') => summary.runs.map((r) => [at.get(r.config) as number, r[key]] as [number, number]);
  const panel = svgPanel({
    id: 'accuracy', title: 'final (blue) and best (red) accuracy of each run', x: [-0.5, summary.configs.length - 0.5],
    series: [{ name: 'final_accuracy', points: points('final_accuracy'), style: 'dots' }, { name: 'best_accuracy', points: points('best_accuracy'), style: 'dots' }],
    xLabels: summary.configs.map((c, i) => ({ at: i, label: `#${c.rank} ${Object.entries(c.values).map(([f, v]) => `${f === 'learning-rate' ? 'lr' : f} ${v}`).join(' ')}` })),
    box: { left: 0, top: 24, width, height: height - 24 },
  });
  return [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`, `<text x="${width / 2}" y="16" text-anchor="middle" font-size="13">${escapeXml(summary.verdict.slice(0, 140))}</text>`,
    panel, '</svg>', ''].join('\n');
}

function writeWhole(file: string, text: string): void {
  const temporary = `${path.join(path.dirname(file), `.${path.basename(file)}`)}.tmp-${process.pid}`;
  fs.writeFileSync(temporary, text);
  fs.renameSync(temporary, file);
}

export function writeSummary(sweepDir: string, summary: SweepSummary, extra: Record<string, unknown>): void {
  writeWhole(path.join(sweepDir, 'sweep.json'), `${JSON.stringify({ ...extra, ...summary }, null, 2)}\n`);
  writeWhole(path.join(sweepDir, 'sweep.md'), sweepMarkdown(summary));
  writeWhole(path.join(sweepDir, 'sweep.svg'), sweepSvg(summary));
}
