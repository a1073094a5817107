// training_curves.svg of an output folder: three panels over the run's steps, drawn from its
// log history (trainer_state.json's log_history) as plain SVG, which GitHub and the HF hub show
// in a model card without a browser-side script:
//   1. the training loss at each logging step,
//   2. the learning rate at each logging step,
//   3. the evaluation accuracy at each evaluation, the best one ringed.
// The collapse guard's roll-backs are dashed vertical lines across all panels.
//
// Each panel is a <g class="panel"> that carries its own scale (data-x-domain, data-y-domain,
// data-plot: left top width height of the plot area), so a reader (and the tests) can turn a
// point of a polyline back into the (step, value) it plots.
import type { EvalLogEntry, GuardEntry, LogEntry, TrainLogEntry } from '../train/train-types';
import { type Domain, type Series, escapeXml, svgPanel } from './svg-panel';

const WIDTH = 720;
const PANEL_HEIGHT = 200;

export interface TrainingCurvesInput {
  logHistory: readonly LogEntry[];
  /** The step the x axis ends at (the run's total steps). */
  totalSteps: number;
  /** The best evaluation's step (the checkpoint load_best_model_at_end keeps), if any. */
  bestStep?: number;
  title?: string;
}

export function trainingCurvesSvg(input: TrainingCurvesInput): string {
  const logs = input.logHistory.filter((e): e is TrainLogEntry => 'loss' in e && 'learning_rate' in e);
  const evals = input.logHistory.filter((e): e is EvalLogEntry => 'eval_accuracy' in e);
  const guards = input.logHistory.filter((e): e is GuardEntry => 'restored_step' in e);
  const lastStep = Math.max(input.totalSteps, ...input.logHistory.map((e) => e.step));
  const x: Domain = [0, Math.max(1, lastStep)];
  const marks = guards.map((g) => ({ step: g.step, className: 'guard', label: `guard: back to step ${g.restored_step}` }));
  const best = evals.find((e) => e.step === input.bestStep);
  const panels: Array<{ id: string; title: string; series: Series }> = [
    { id: 'loss', title: 'training loss', series: { name: 'train/loss', points: logs.map((e) => [e.step, e.loss]) } },
    { id: 'learning_rate', title: 'learning rate', series: { name: 'train/learning_rate', points: logs.map((e) => [e.step, e.learning_rate]) } },
    {
      id: 'accuracy', title: 'evaluation accuracy',
      series: { name: 'eval/accuracy', points: evals.map((e) => [e.step, e.eval_accuracy]), ...(best ? { highlight: { point: [best.step, best.eval_accuracy], label: `best (step ${best.step})` } } : {}) },
    },
  ];
  const top = input.title ? 32 : 8;
  const height = top + panels.length * PANEL_HEIGHT;
  const body = panels.map((panel, i) => svgPanel({ ...panel, x, marks, box: { left: 0, top: top + i * PANEL_HEIGHT, width: WIDTH, height: PANEL_HEIGHT } }));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${height}" fill="white"/>`,
    ...(input.title ? [`<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(input.title)}</text>`] : []),
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
