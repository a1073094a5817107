// The ratios of a suite run as a horizontal bar chart, SVG written by hand (no dependencies):
// one bar (and the only <rect> elements) per measured ratio to HF (step rows: to HF eager;
// end-to-end rows: to HF Trainer), a dashed line at 1.0 (parity).
import { CONFIG_LABELS } from './configs';
import { type Results, shapeLabel } from './results';

const COLORS: Record<string, string> = { ours: '#2b6cb0', 'hf-compile': '#dd6b20' };
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface Bar { label: string; ratio: number; color: string }

/** The bars of a run, in row order: every ok row with a ratio except HF eager's own (1.0). */
export function bars(results: Results): Bar[] {
  const out: Bar[] = [];
  for (const r of results.rows) {
    if (r.status !== 'ok' || r.ratio === undefined || r.peer === 'hf-eager') continue;
    out.push({ label: `${CONFIG_LABELS[r.config] ?? r.config} ${r.precision} ${shapeLabel(r)}: ${r.tool}`, ratio: r.ratio, color: COLORS[r.peer] ?? '#555' });
  }
  for (const r of results.e2e) {
    if (r.status !== 'ok' || r.ratio === undefined || r.peer !== 'ours') continue;
    out.push({ label: `${CONFIG_LABELS[r.config] ?? r.config} ${r.precision} SUBJ epoch: ${r.tool} vs HF Trainer`, ratio: r.ratio, color: '#2f855a' });
  }
  return out;
}

export function ratioChart(results: Results): string {
  const data = bars(results);
  const labelWidth = 430;
  const plotWidth = 360;
  const rowHeight = 24;
  const top = 52;
  const width = labelWidth + plotWidth + 60;
  const height = top + Math.max(1, data.length) * rowHeight + 40;
  const maxRatio = Math.max(1.25, ...data.map((b) => b.ratio)) * 1.05;
  const x = (ratio: number) => labelWidth + (ratio / maxRatio) * plotWidth;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>albert-trainer vs HF transformers: samples/s ratio (higher is faster)</title>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">Samples/s relative to HF transformers eager${results.e2e.length ? ' (epoch bars: to HF Trainer)' : ''}; 1.0 = parity, higher is faster</text>`,
    `<text x="10" y="38" fill="#555">${escape(results.machine.description)}, ${escape(results.date)}</text>`,
  ];
  data.forEach((b, i) => {
    const y = top + i * rowHeight;
    const w = Math.max(1, x(b.ratio) - labelWidth);
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escape(b.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 6}" fill="${b.color}"/>`,
      `<text x="${(labelWidth + w + 4).toFixed(1)}" y="${y + 15}">${b.ratio.toFixed(2)}x</text>`,
    );
  });
  if (data.length === 0) parts.push(`<text x="${labelWidth}" y="${top + 15}" fill="#555">no ratios measured</text>`);
  const bottom = top + Math.max(1, data.length) * rowHeight;
  parts.push(
    `<line x1="${x(1).toFixed(1)}" y1="${top - 4}" x2="${x(1).toFixed(1)}" y2="${bottom + 4}" stroke="#c53030" stroke-dasharray="4 3"/>`,
    `<text x="${x(1).toFixed(1)}" y="${bottom + 20}" text-anchor="middle" fill="#c53030">1.0</text>`,
    `<line x1="${labelWidth}" y1="${top - 4}" x2="${labelWidth}" y2="${bottom + 4}" stroke="#333"/>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}
