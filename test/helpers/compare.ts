// Tolerance checks for parity tests (llm.c's habit: print the worst difference per tensor).
//
// One measure everywhere, relative to the reference tensor's own scale:
//   rel = max_i |ours_i - ref_i| / max(max_i |ref_i|, floor)
// `floor` keeps a tensor that is all (near) zeros from turning noise into a huge ratio: 1 for
// logits (an absolute bound for small logits), 1e-6 for gradients and weights (pure scale).
// A NaN anywhere, or a length mismatch, fails the check.

/** One tensor's (or scalar's) comparison. */
export interface Diff {
  name: string;
  /** max |ours - ref| */
  maxAbsDiff: number;
  /** max |ref| */
  refScale: number;
  /** maxAbsDiff / max(refScale, floor) */
  rel: number;
  tol: number;
  ok: boolean;
  /** Where the worst difference is, and the two values there. */
  index: number;
  ours: number;
  ref: number;
  note?: string;
}

export interface Tolerance {
  /** Bound on rel. */
  tol: number;
  /** Lower bound of the scale rel divides by. Default 1e-6. */
  floor?: number;
}

/** max |x_i| (NaN when any element is NaN). */
export function maxAbs(values: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Math.abs(values[i]);
    if (Number.isNaN(v)) return NaN;
    if (v > worst) worst = v;
  }
  return worst;
}

/** Compares two flat tensors element by element (row-major, same layout). */
export function diffTensor(name: string, ours: ArrayLike<number> | undefined, ref: ArrayLike<number>, tolerance: Tolerance): Diff {
  const { tol } = tolerance;
  const floor = tolerance.floor ?? 1e-6;
  const refScale = maxAbs(ref);
  if (ours === undefined || ours.length !== ref.length) {
    const note = ours === undefined ? 'missing in ours' : `length ${ours.length}, reference ${ref.length}`;
    return { name, maxAbsDiff: NaN, refScale, rel: NaN, tol, ok: false, index: -1, ours: NaN, ref: NaN, note };
  }
  let worst = 0;
  let index = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(ours[i] - ref[i]);
    if (Number.isNaN(d)) {
      worst = NaN;
      index = i;
      break;
    }
    if (d > worst) {
      worst = d;
      index = i;
    }
  }
  const rel = worst / Math.max(refScale, floor);
  return { name, maxAbsDiff: worst, refScale, rel, tol, ok: rel <= tol, index, ours: ours[index], ref: ref[index] };
}

/**
 * Compares a set of named tensors. Those named by `noiseOnly` are tensors that are zero in exact
 * arithmetic on both sides (so each holds rounding noise only); their own scale would turn that
 * noise into a failure, so they are measured against the set's largest reference scale instead.
 */
export function diffTensorSet(
  entries: readonly [name: string, ours: ArrayLike<number> | undefined, ref: ArrayLike<number>][],
  tolerance: Tolerance,
  noiseOnly?: RegExp,
): Diff[] {
  const setScale = Math.max(0, ...entries.filter(([name]) => !noiseOnly?.test(name)).map(([, , ref]) => maxAbs(ref)));
  return entries.map(([name, ours, ref]) => {
    if (!noiseOnly?.test(name)) return diffTensor(name, ours, ref, tolerance);
    const diff = diffTensor(name, ours, ref, { tol: tolerance.tol, floor: Math.max(setScale, tolerance.floor ?? 1e-6) });
    return { ...diff, note: diff.note ?? `[${diff.index}]: ${diff.ours} vs ${diff.ref} (noise only: scale of the set)` };
  });
}

/** Compares two scalars with the same measure (|a - b| / max(|ref|, floor)). */
export function diffScalar(name: string, ours: number | undefined, ref: number, tolerance: Tolerance): Diff {
  return diffTensor(name, ours === undefined ? undefined : [ours], [ref], tolerance);
}

/** Compares scalar series (per-step losses, grad norms) entry by entry, one Diff per entry. */
export function diffSeries(name: string, ours: readonly number[], ref: readonly number[], tolerance: Tolerance): Diff[] {
  if (ours.length !== ref.length) return [diffTensor(name, ours, ref, tolerance)];
  return ref.map((r, i) => diffScalar(`${name}[${i}]`, ours[i], r, tolerance));
}

/** The row with the largest rel (NaN counts as worst). */
export function worstOf(diffs: readonly Diff[]): Diff | undefined {
  let worst: Diff | undefined;
  for (const d of diffs) {
    if (worst === undefined || Number.isNaN(d.rel) || (!Number.isNaN(worst.rel) && d.rel > worst.rel)) worst = d;
    if (Number.isNaN(worst.rel)) break;
  }
  return worst;
}

const num = (v: number): string => (Number.isNaN(v) ? 'NaN' : v === 0 ? '0' : v.toExponential(2));

/** A fixed-width table of diffs, worst first. */
export function formatDiffs(diffs: readonly Diff[], limit = diffs.length): string {
  const rows = [...diffs].sort((a, b) => (Number.isNaN(a.rel) ? -1 : Number.isNaN(b.rel) ? 1 : b.rel - a.rel)).slice(0, limit);
  const width = Math.max(6, ...rows.map((d) => d.name.length));
  const header = `${'tensor'.padEnd(width)}  ${'rel'.padStart(9)}  ${'tol'.padStart(9)}  ${'max|d|'.padStart(9)}  ${'max|ref|'.padStart(9)}  at: ours vs ref`;
  const lines = rows.map(
    (d) =>
      `${d.name.padEnd(width)}  ${num(d.rel).padStart(9)}  ${num(d.tol).padStart(9)}  ${num(d.maxAbsDiff).padStart(9)}  ${num(d.refScale).padStart(9)}  ` +
      (d.note ?? `[${d.index}]: ${d.ours} vs ${d.ref}`) +
      (d.ok ? '' : '  FAIL'),
  );
  return [header, ...lines].join('\n');
}

/** One line per check for the suite's summary. */
export interface CheckSummary {
  check: string;
  count: number;
  worst: Diff | undefined;
  ok: boolean;
}

/** Collects every check's worst difference so the suite can print one table at the end. */
export class ParityReport {
  readonly checks: CheckSummary[] = [];
  private pending: string[] = [];

  /**
   * Records `diffs` under `check`. Failures are kept until `throwPending()` (call it in afterEach),
   * so one test reports every check that failed, each with its failing rows and the worst others.
   */
  expectWithin(check: string, diffs: readonly Diff[]): void {
    const worst = worstOf(diffs);
    const failing = diffs.filter((d) => !d.ok);
    this.checks.push({ check, count: diffs.length, worst, ok: failing.length === 0 && diffs.length > 0 });
    if (diffs.length === 0) this.pending.push(`${check}: nothing was compared`);
    else if (failing.length > 0) {
      this.pending.push(`${check}: ${failing.length} of ${diffs.length} out of tolerance (rel = max|ours-ref| / max(max|ref|, floor))\n${formatDiffs(diffs, Math.max(failing.length, 8))}`);
    }
  }

  /** Throws one error listing every failed check since the last call. */
  throwPending(): void {
    const failures = this.pending;
    this.pending = [];
    if (failures.length > 0) throw new Error(failures.join('\n\n'));
  }

  /** The summary table: one line per check, its worst tensor and rel. */
  format(title: string): string {
    const width = Math.max(5, ...this.checks.map((c) => c.check.length));
    const lines = this.checks.map((c) => {
      const w = c.worst;
      return `${c.check.padEnd(width)}  ${String(c.count).padStart(4)}  ${num(w?.rel ?? NaN).padStart(9)}  ${num(w?.tol ?? NaN).padStart(9)}  ${num(w?.maxAbsDiff ?? NaN).padStart(9)}  ${c.ok ? 'ok  ' : 'FAIL'}  ${w?.name ?? ''}`;
    });
    const header = `${'check'.padEnd(width)}  ${'n'.padStart(4)}  ${'worst rel'.padStart(9)}  ${'tol'.padStart(9)}  ${'max|d|'.padStart(9)}  ${''.padEnd(4)}  worst tensor`;
    return [title, header, ...lines].join('\n');
  }
}
