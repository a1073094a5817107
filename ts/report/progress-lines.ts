// Progress for a stderr that is not a terminal (nohup, CI, a job scheduler's log file), where
// the \r progress bar cannot be used: one plain line per logging step and per evaluation, as
// HF's Trainer prints its log dicts. Log lines are rate-limited (at most one per
// `minIntervalSeconds`; the last step's always shows) so a fast run does not flood the file;
// evaluations are few and always printed.
import type { TrainEvent } from '../train/train-types';

export interface ProgressLinesOptions {
  write: (line: string) => void;
  /** Seconds between two log lines at least (default 5). */
  minIntervalSeconds?: number;
  /** Milliseconds now (Date.now); tests pass a clock of their own. */
  now?: () => number;
}

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : String(value));

export class ProgressLines {
  private readonly write: (line: string) => void;
  private readonly minIntervalMs: number;
  private readonly now: () => number;
  private readonly started: number;
  private lastPrinted = Number.NEGATIVE_INFINITY;
  private firstStep: number | undefined;
  private totalSteps = 0;

  constructor(options: ProgressLinesOptions) {
    this.write = options.write;
    this.minIntervalMs = (options.minIntervalSeconds ?? 5) * 1000;
    this.now = options.now ?? Date.now;
    this.started = this.now();
  }

  onEvent(event: TrainEvent): void {
    if (event.type === 'step') {
      this.firstStep ??= event.step - 1; // a resumed run's ETA counts from where it resumed
      this.totalSteps = event.totalSteps;
    } else if (event.type === 'log') {
      const now = this.now();
      if (now - this.lastPrinted < this.minIntervalMs && event.step < this.totalSteps) return;
      this.lastPrinted = now;
      this.write(`albert-train: step ${event.step}/${this.totalSteps} epoch ${fixed(event.epoch, 2)}: loss ${fixed(event.loss, 4)} ` +
        `grad_norm ${fixed(event.grad_norm, 4)} learning_rate ${event.learning_rate.toExponential(3)}${this.eta(event.step, now)}\n`);
    } else if (event.type === 'eval') {
      this.write(`albert-train: evaluation at step ${event.step} epoch ${fixed(event.epoch, 2)}: eval_loss ${fixed(event.eval_loss, 4)} ` +
        `eval_accuracy ${fixed(event.eval_accuracy, 4)} eval_macro_f1 ${fixed(event.eval_macro_f1, 4)} (${fixed(event.eval_runtime, 1)} s)\n`);
    }
  }

  private eta(step: number, now: number): string {
    const done = step - (this.firstStep ?? 0);
    if (done <= 0 || this.totalSteps <= step) return '';
    const seconds = ((now - this.started) / 1000 / done) * (this.totalSteps - step);
    return `, ETA ${Math.round(seconds)} s`;
  }
}
