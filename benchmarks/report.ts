// A suite run written out: <machine>-<date>.json (everything, step times included), .md (the
// tables the suite prints last) and .svg (the ratios to HF, benchmarks/chart.ts), side by side.
import * as fs from 'fs';
import * as path from 'path';
import { CONFIG_LABELS } from './configs';
import { ratioChart } from './chart';
import { type E2eRow, type Results, type StepRow, shapeLabel } from './results';

const ms = (s: number | undefined) => (s === undefined ? '—' : (s * 1000).toFixed(s < 0.1 ? 1 : 0));
const num = (x: number | undefined, digits = 1) => (x === undefined ? '—' : x.toFixed(digits));
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ');

export const STEP_HEADER = '| config | precision | batches | tool | step ms (median) | min-max ms | samples/s | non-pad tokens/s | peak RSS MiB |';
export const E2E_HEADER = '| config | precision | tool | steps | samples | train s | samples/s | peak RSS MiB | vs HF Trainer |';

function stepLine(r: StepRow, gpu: boolean): string {
  const head = `| ${CONFIG_LABELS[r.config] ?? r.config} | ${r.precision} | ${shapeLabel(r)} | ${r.tool} |`;
  const gpuCell = gpu ? ` ${num(r.peakGpuMiB, 0)} |` : '';
  if (r.status !== 'ok') return `${head} — | — | — | — | ${num(r.peakRssMiB, 0)} |${gpuCell} ${r.status}: ${cell(r.reason ?? '')} |`;
  return `${head} ${ms(r.medianStepS)} | ${ms(r.minStepS)}-${ms(r.maxStepS)} | ${num(r.samplesPerS)} | ${num(r.tokensPerS, 0)} | ` +
    `${num(r.peakRssMiB, 0)} |${gpuCell} ${r.ratio === undefined ? '—' : r.ratio.toFixed(2)} |`;
}

function e2eLine(r: E2eRow): string {
  const head = `| ${CONFIG_LABELS[r.config] ?? r.config} | ${r.precision} | ${r.tool} |`;
  if (r.status !== 'ok') return `${head} — | — | — | — | — | ${r.status}: ${cell(r.reason ?? '')} |`;
  return `${head} ${r.steps} | ${r.samples} | ${num(r.trainSeconds)} | ${num(r.samplesPerS)} | ${num(r.peakRssMiB, 0)} | ` +
    `${r.ratio === undefined ? '—' : r.ratio.toFixed(2)} |`;
}

/** The markdown the suite prints last. */
export function markdown(results: Results): string {
  const o = results.options;
  const gpu = o.device === 'cuda';
  const header = gpu ? `${STEP_HEADER} peak GPU MiB | vs HF eager |` : `${STEP_HEADER} vs HF eager |`;
  const columns = header.split('|').length - 2;
  const schedules = o.configs.map((c) => `${c} ${o.schedules[c].warmup} warm-up + ${o.schedules[c].rounds} rounds x ${o.schedules[c].steps} steps`);
  const lines = [
    `Machine: ${results.machine.description}. ${results.date}.`,
    `Batch ${o.batchSize}; peers alternate round by round after the warm-up (${schedules.join('; ')}).`,
    '',
    header,
    `|${'---|'.repeat(columns)}`,
    ...results.rows.map((r) => stepLine(r, gpu)),
  ];
  if (results.e2e.length > 0) {
    lines.push('', `End to end: one SUBJ epoch${o.e2eSteps > 0 ? ` (its first ${o.e2eSteps} steps)` : ''} with each tool's defaults, batch 16.`, '',
      E2E_HEADER, `|${'---|'.repeat(E2E_HEADER.split('|').length - 2)}`, ...results.e2e.map(e2eLine));
  }
  if (results.notes.length > 0) lines.push('', ...results.notes.map((n) => `- ${n}`));
  return `${lines.join('\n')}\n`;
}

/** Writes <outDir>/<machine>-<date>.{json,md,svg}; returns their paths. */
export function writeResults(results: Results, outDir: string): { json: string; md: string; svg: string } {
  fs.mkdirSync(outDir, { recursive: true });
  const base = path.join(outDir, `${results.options.machine}-${results.date}`);
  const files = { json: `${base}.json`, md: `${base}.md`, svg: `${base}.svg` };
  fs.writeFileSync(files.json, `${JSON.stringify(results, null, 2)}\n`);
  fs.writeFileSync(files.md, markdown(results));
  fs.writeFileSync(files.svg, ratioChart(results));
  return files;
}
