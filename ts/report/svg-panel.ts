// One chart panel of an SVG report (training_curves.svg, sweep.svg): a framed plot area with
// y ticks, x ticks, series drawn as a polyline or as dots, vertical marks and a ringed point.
// The panel's scale is written on its <g> (data-x-domain, data-y-domain, data-plot) so the
// plotted numbers can be read back from the coordinates.
export type Domain = [number, number];
export type Point = [number, number];

export interface Series {
  name: string;
  points: Point[];
  /** line (default): a polyline through the points; dots: a circle per point. */
  style?: 'line' | 'dots';
  color?: string;
  highlight?: { point: Point; label: string };
}

export interface PanelInput {
  id: string;
  title: string;
  series: Series | Series[];
  x: Domain;
  /** Default: the values' range, padded by 5% (a flat series gets +-10% of its value, or +-0.5). */
  y?: Domain;
  marks?: Array<{ step: number; className: string; label: string }>;
  /** Labels for x positions instead of numbers (sweep.svg's configurations). */
  xLabels?: Array<{ at: number; label: string }>;
  box: { left: number; top: number; width: number; height: number };
}

const MARGIN = { left: 64, right: 16, top: 22, bottom: 30 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Coordinates to 3 decimals: a hundredth of a pixel is far below what a reader sees. */
const c = (v: number) => String(Math.round(v * 1000) / 1000);

function valueDomain(values: number[]): Domain {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  if (hi === lo) {
    const pad = lo === 0 ? 0.5 : Math.abs(lo) * 0.1;
    return [lo - pad, hi + pad];
  }
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

const tickLabel = (v: number) => (v === 0 ? '0' : Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5 ? v.toExponential(2) : String(Number(v.toPrecision(4))));

export function svgPanel(input: PanelInput): string {
  const series = Array.isArray(input.series) ? input.series : [input.series];
  const y = input.y ?? valueDomain(series.flatMap((s) => s.points.map((p) => p[1])));
  const plot = {
    left: input.box.left + MARGIN.left, top: input.box.top + MARGIN.top,
    width: input.box.width - MARGIN.left - MARGIN.right, height: input.box.height - MARGIN.top - MARGIN.bottom,
  };
  const px = (step: number) => plot.left + ((step - input.x[0]) / (input.x[1] - input.x[0])) * plot.width;
  const py = (value: number) => plot.top + plot.height - ((value - y[0]) / (y[1] - y[0])) * plot.height;
  const out = [
    `<g class="panel" id="${input.id}" data-x-domain="${input.x[0]} ${input.x[1]}" data-y-domain="${y[0]} ${y[1]}" data-plot="${plot.left} ${plot.top} ${plot.width} ${plot.height}">`,
    `<text x="${plot.left}" y="${plot.top - 8}" font-size="12" font-weight="bold">${escapeXml(input.title)}</text>`,
    `<rect x="${plot.left}" y="${plot.top}" width="${plot.width}" height="${plot.height}" fill="none" stroke="#888"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const value = y[0] + ((y[1] - y[0]) * i) / 4;
    out.push(`<line x1="${plot.left - 4}" y1="${c(py(value))}" x2="${plot.left}" y2="${c(py(value))}" stroke="#888"/>`,
      `<text x="${plot.left - 6}" y="${c(py(value) + 4)}" text-anchor="end">${tickLabel(value)}</text>`);
  }
  const xTicks = input.xLabels ?? Array.from({ length: 5 }, (_, i) => ({ at: input.x[0] + ((input.x[1] - input.x[0]) * i) / 4, label: '' }))
    .map((t) => ({ at: t.at, label: t.label || tickLabel(Math.round(t.at)) }));
  for (const tick of xTicks) {
    out.push(`<text x="${c(px(tick.at))}" y="${plot.top + plot.height + 16}" text-anchor="middle">${escapeXml(tick.label)}</text>`);
  }
  if (!input.xLabels) out.push(`<text x="${plot.left + plot.width}" y="${plot.top + plot.height + 28}" text-anchor="end">step</text>`);
  for (const mark of input.marks ?? []) {
    out.push(`<line class="${mark.className}" data-step="${mark.step}" x1="${c(px(mark.step))}" y1="${plot.top}" x2="${c(px(mark.step))}" y2="${plot.top + plot.height}" ` +
      `stroke="#e377c2" stroke-dasharray="4 3"><title>${escapeXml(mark.label)}</title></line>`,
      `<text x="${c(px(mark.step) - 3)}" y="${plot.top + 11}" text-anchor="end" fill="#e377c2">${escapeXml(mark.label)}</text>`);
  }
  series.forEach((s, i) => {
    const color = s.color ?? COLORS[i % COLORS.length];
    const points = s.points.filter((p) => Number.isFinite(p[1]));
    if (points.length === 0) {
      out.push(`<text x="${plot.left + plot.width / 2}" y="${plot.top + plot.height / 2}" text-anchor="middle" fill="#888">no ${escapeXml(s.name)} logged</text>`);
    } else if ((s.style ?? 'line') === 'line') {
      out.push(`<polyline class="series" data-name="${escapeXml(s.name)}" fill="none" stroke="${color}" stroke-width="1.5" points="${points.map((p) => `${c(px(p[0]))},${c(py(p[1]))}`).join(' ')}"/>`);
      if (points.length <= 60) for (const p of points) out.push(`<circle cx="${c(px(p[0]))}" cy="${c(py(p[1]))}" r="2" fill="${color}"/>`);
    } else {
      for (const p of points) out.push(`<circle class="dot" data-name="${escapeXml(s.name)}" cx="${c(px(p[0]))}" cy="${c(py(p[1]))}" r="3.5" fill="${color}" fill-opacity="0.7"/>`);
    }
    if (s.highlight) {
      const [hx, hy] = s.highlight.point;
      out.push(`<circle class="best" data-step="${hx}" cx="${c(px(hx))}" cy="${c(py(hy))}" r="6" fill="none" stroke="#ff7f0e" stroke-width="2"/>`,
        `<text x="${c(px(hx))}" y="${c(py(hy) - 9)}" text-anchor="middle" fill="#ff7f0e">${escapeXml(s.highlight.label)}</text>`);
    }
  });
  out.push('</g>');
  return out.join('\n');
}
